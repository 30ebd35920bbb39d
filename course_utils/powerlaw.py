"""Fitting power laws: y = A·x^(−α) and the saturating form y = E + A·x^(−α).

Both are fitted in log space, the way scaling-law papers do it:

* :func:`fit_power_law` is ordinary least squares of log y on log x, because
  log y = log A − α·log x is a straight line.
* :func:`fit_saturating_power_law` cannot be made linear, so it minimises a robust
  (Huber) or squared loss of the log residuals, log ŷ − log y, with the prediction
  written as a log-sum-exp, log ŷ = LSE(a − α·log x, e) with A = exp(a), E = exp(e).
  This is the objective Hoffmann et al. (2022, App. D.2) used for L(N, D); the same
  engine (:func:`fit_log_sum_exp`) fits their three-term law in :mod:`course_utils.chinchilla`.
* :func:`bootstrap` refits on resampled data to give intervals for any fitted parameter.

The log-sum-exp form keeps every term positive without constraints and never takes the
log of a negative number, and measuring errors in log space gives every point the same
relative weight whether its loss is 2 or 5 nats.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from course_utils import literature as lit
from course_utils.heap import keep_freed_memory
from course_utils._validation import (
    finite_array, level as _level, non_negative_number, positive_array, positive_int, positive_number, real_array,
)

__all__ = [
    "PowerLawFit", "SaturatingPowerLawFit", "BootstrapResult", "LogSumExpFit",
    "fit_power_law", "fit_saturating_power_law", "fit_log_sum_exp", "bootstrap",
    "huber", "huber_derivative", "log_r_squared", "FIT_MODELS", "FitExperiment", "fit_experiment",
]


# ------------------------------------------------------------------ validation


def _paired_1d(x_name: str, x: ArrayLike, y_name: str, y: ArrayLike, n_params: int):
    """Validate two 1-D positive arrays of equal length with more points than parameters."""
    x = positive_array(x_name, x)
    y = positive_array(y_name, y)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"{x_name} and {y_name} must be 1-D; got shapes {x.shape} and {y.shape}")
    if x.shape != y.shape:
        raise ValueError(f"{x_name} and {y_name} must have the same length; got {x.size} and {y.size}")
    if x.size < n_params:
        raise ValueError(f"need at least {n_params} points to fit {n_params} parameters; got {x.size}")
    return x, y


# ------------------------------------------------------------------ Huber loss


def huber(residual: ArrayLike, delta: float) -> np.ndarray:
    """Huber loss: ½r² for ``|r| ≤ δ``, ``δ·(|r| − ½δ)`` beyond (Huber 1964).

    Quadratic near zero and linear in the tails, so a few outlying points pull the fit
    far less than under squared error. Hoffmann et al. (2022, App. D.2) use δ = 1e-3 on
    log-loss residuals; at that δ almost every residual is in the linear part, so the
    fit behaves like a least-absolute-deviations (median) fit. Same convention as
    ``scipy.special.huber``.
    """
    return _huber(real_array("residual", residual), positive_number("delta", delta))


def huber_derivative(residual: ArrayLike, delta: float) -> np.ndarray:
    """d huber(r, δ)/dr = clip(r, −δ, δ)."""
    return np.clip(real_array("residual", residual), -positive_number("delta", delta), delta)


def _huber(r: np.ndarray, delta: float) -> np.ndarray:
    """:func:`huber` without the checks, for the fitting loops (inputs already validated):
    with a = |r| and c = min(a, δ), c·(a − ½c) is ½a² inside δ and δ·(a − ½δ) beyond."""
    a = np.abs(r)
    c = np.minimum(a, delta)
    a -= 0.5 * c
    a *= c
    return a


# ------------------------------------------------------------- plain power law


@dataclass(frozen=True)
class PowerLawFit:
    """y = A·x^(−alpha), fitted by least squares in log-log space.

    ``r2`` is the coefficient of determination of log y (1 is a perfect straight line).
    """

    A: float
    alpha: float
    r2: float

    @property
    def exponent(self) -> float:
        """The power k in y = A·x^k, that is −alpha: the slope of the line on log-log axes.

        Positive for a quantity that grows with x (N_opt ∝ C^a has exponent a), negative
        for a loss that falls.
        """
        return -self.alpha

    def predict(self, x: ArrayLike) -> np.ndarray:
        """A·x^(−alpha)."""
        return self.A * positive_array("x", x) ** (-self.alpha)

    def params(self) -> dict[str, float]:
        """The fitted parameters by name, for :func:`bootstrap`."""
        return {"A": self.A, "alpha": self.alpha}


def fit_power_law(x: ArrayLike, y: ArrayLike) -> PowerLawFit:
    """Fit y = A·x^(−α) by ordinary least squares of log y on log x.

    Parameters
    ----------
    x, y : array_like
        Positive, finite, same length, at least two distinct x values.

    Returns
    -------
    PowerLawFit
        ``A``, ``alpha`` (positive when y falls with x) and ``r2`` in log space.

    Examples
    --------
    >>> fit = fit_power_law([1, 10, 100], [2.0, 1.0, 0.5])
    >>> round(fit.alpha, 4), round(fit.A, 4)
    (0.301, 2.0)
    """
    x, y = _paired_1d("x", x, "y", y, n_params=2)
    log_x, log_y = np.log(x), np.log(y)
    if np.ptp(log_x) == 0:
        raise ValueError("x must take at least two distinct values to fit a slope")
    slope, intercept = np.polyfit(log_x, log_y, 1)
    r2 = log_r_squared(y, np.exp(intercept + slope * log_x))
    return PowerLawFit(A=float(np.exp(intercept)), alpha=float(-slope), r2=r2)


def log_r_squared(y: ArrayLike, predicted: ArrayLike) -> float:
    """Coefficient of determination in log space: 1 − Σ(log y − log ŷ)² / Σ(log y − mean log y)².

    The space every fit in this module minimises in; 1 when y is constant and matched.
    """
    log_y = np.log(positive_array("y", y))
    residual = log_y - np.log(positive_array("predicted", predicted))
    total = np.sum((log_y - log_y.mean()) ** 2)
    return 1.0 if total == 0 else float(1.0 - np.sum(residual**2) / total)


# ------------------------------------------- log-sum-exp models (shared engine)
#
# A model with m power-law terms plus a constant:
#     log ŷ = LSE(c_1 − s_1·z_1, …, c_m − s_m·z_m, e),
# where z_k are (centred) log features. Parameters theta = (c_1, s_1, …, c_m, s_m, e).
# Residual r = log ŷ − log y. Objective Σ ρ(r), ρ = Huber_δ (or ½r² when delta is None).
# With softmax weights w_k of the terms, ∂r/∂c_k = w_k, ∂r/∂s_k = −w_k·z_k, ∂r/∂e = w_{m+1}.


#: |exponent| below which exp neither overflows nor underflows to zero in float64
_EXP_SAFE = 700.0


def _lse_residuals(theta: np.ndarray, Z: np.ndarray, log_y: np.ndarray):
    """Residuals (S, n) and the m+1 softmax weights (each (S, n)) for S parameter rows.

    A row whose exponents c_k − s_k·z_k and e are all bounded by :data:`_EXP_SAFE` (known
    from its parameters and the largest |z|, before any array is built) has its terms
    exponentiated as they are (:func:`_lse_residuals_direct`); any other row has each
    point's largest term taken out first, which cannot overflow
    (:func:`_lse_residuals_shifted`). Both give the same numbers to rounding.
    """
    m = Z.shape[0]
    reach = np.abs(Z).max(axis=1)
    bound = np.abs(theta[:, 2 * m])
    for k in range(m):
        bound = np.maximum(bound, np.abs(theta[:, 2 * k]) + np.abs(theta[:, 2 * k + 1]) * reach[k])
    safe = bound < _EXP_SAFE
    if safe.all():
        return _lse_residuals_direct(theta, Z, log_y)
    if not safe.any():
        return _lse_residuals_shifted(theta, Z, log_y)
    residual, weights = np.empty((len(theta), Z.shape[1])), [np.empty((len(theta), Z.shape[1])) for _ in range(m + 1)]
    for rows, part in ((safe, _lse_residuals_direct), (~safe, _lse_residuals_shifted)):
        residual[rows], part_weights = part(theta[rows], Z, log_y)
        for whole, piece in zip(weights, part_weights):
            whole[rows] = piece
    return residual, weights


def _lse_residuals_direct(theta: np.ndarray, Z: np.ndarray, log_y: np.ndarray):
    """:func:`_lse_residuals` for rows whose exponents are all below :data:`_EXP_SAFE`."""
    m = Z.shape[0]
    weights = []
    for k in range(m):
        term = np.multiply(theta[:, 2 * k + 1, None], Z[k])
        np.subtract(theta[:, 2 * k, None], term, out=term)
        weights.append(np.exp(term, out=term))
    constant = np.exp(theta[:, 2 * m, None])
    total = weights[0] + constant
    for term in weights[1:]:
        total += term
    residual = np.log(total)
    residual -= log_y
    np.reciprocal(total, out=total)
    for term in weights:
        term *= total
    total *= constant
    weights.append(total)
    return residual, weights


def _lse_residuals_shifted(theta: np.ndarray, Z: np.ndarray, log_y: np.ndarray):
    """:func:`_lse_residuals` for exponents of any size: each point's largest term is
    subtracted before exponentiating."""
    m = Z.shape[0]
    weights = [theta[:, 2 * k, None] - theta[:, 2 * k + 1, None] * Z[k] for k in range(m)]
    constant = theta[:, 2 * m, None]
    top = np.maximum(weights[0], constant)
    for term in weights[1:]:
        np.maximum(top, term, out=top)
    for term in weights:
        term -= top
        np.exp(term, out=term)
    weights.append(np.exp(constant - top))
    total = weights[0] + weights[1]
    for term in weights[2:]:
        total += term
    residual = np.log(total)
    residual += top
    residual -= log_y
    np.reciprocal(total, out=total)
    for term in weights:
        term *= total
    return residual, weights


def _rho(r: np.ndarray, delta: float | None) -> np.ndarray:
    return 0.5 * r**2 if delta is None else _huber(r, delta)


def _rho_prime(r: np.ndarray, delta: float | None) -> np.ndarray:
    return r if delta is None else np.clip(r, -delta, delta)


def _gradient(weights: list[np.ndarray], Z: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Σ_i psi_i ∂r_i/∂theta for every row: (S, 2m+1)."""
    m = Z.shape[0]
    g = np.empty((psi.shape[0], 2 * m + 1))
    for k, w in enumerate(weights):
        u = psi * w
        g[:, 2 * k] = u.sum(axis=1)
        if k < m:
            g[:, 2 * k + 1] = -(u @ Z[k])
    return g


def _gauss_newton_matrix(weights: list[np.ndarray], Z: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """J^T·diag(omega)·J for every row, (S, P, P), built from sums of weight products."""
    m = Z.shape[0]
    S, P = omega.shape[0], 2 * m + 1
    H = np.empty((S, P, P))
    for k in range(m + 1):
        q = omega * weights[k]
        for l in range(k, m + 1):
            p = q * weights[l]
            ck, cl = 2 * k, 2 * l
            H[:, ck, cl] = p.sum(axis=1)
            if k < m:
                H[:, ck + 1, cl] = -(p @ Z[k])
            if l < m:
                H[:, ck, cl + 1] = -(p @ Z[l])
            if k < m and l < m:
                H[:, ck + 1, cl + 1] = p @ (Z[k] * Z[l])
    upper = _upper(P)  # every upper entry was set above; mirror it
    H[:, upper[1], upper[0]] = H[:, upper[0], upper[1]]
    return H


@functools.lru_cache(maxsize=None)
def _upper(P: int) -> tuple[np.ndarray, np.ndarray]:
    """The indices of the entries above the diagonal of a P×P matrix."""
    return np.triu_indices(P, 1)


def _hessian(weights: list[np.ndarray], Z: np.ndarray, r: np.ndarray, delta: float | None) -> np.ndarray:
    """The exact Hessian of Σ ρ(r) for every row, (S, P, P).

    With ψ = ρ'(r) and the gradient rows J_i = ∂r_i/∂θ, the second derivative of a
    log-sum-exp, ∂²LSE/∂u_k∂u_l = w_k·δ_kl − w_k·w_l, gives

        ∇²Σρ = Σ_i (ρ''(r_i) − ψ_i)·J_i J_iᵀ + Σ_i ψ_i Σ_k w_ki·a_ki a_kiᵀ,

    where a_ki = ∂u_ki/∂θ is (1, −z_ki) on term k's (c_k, s_k) and 1 on e. ρ'' is 1 inside
    the Huber threshold and 0 beyond it (1 everywhere for ½r²).
    """
    m = Z.shape[0]
    psi = _rho_prime(r, delta)
    curvature = np.ones_like(r) if delta is None else (np.abs(r) <= delta).astype(float)
    H = _gauss_newton_matrix(weights, Z, curvature - psi)
    for k, w in enumerate(weights):
        u = psi * w
        H[:, 2 * k, 2 * k] += u.sum(axis=1)
        if k < m:
            cross, square = u @ Z[k], u @ (Z[k] * Z[k])
            H[:, 2 * k, 2 * k + 1] -= cross
            H[:, 2 * k + 1, 2 * k] -= cross
            H[:, 2 * k + 1, 2 * k + 1] += square
    return H


def lse_objective(theta: ArrayLike, Z: np.ndarray, log_y: np.ndarray,
                  delta: float | None, scale: float = 1.0) -> tuple[float, np.ndarray]:
    """Σ ρ(r)/scale and its exact gradient for one parameter vector (for scipy)."""
    theta = np.asarray(theta, dtype=float)[None, :]
    r, weights = _lse_residuals(theta, Z, log_y)
    value = _rho(r, delta).sum() / scale
    return float(value), _gradient(weights, Z, _rho_prime(r, delta))[0] / scale


@dataclass
class _Trial:
    """Damped steps from every row, evaluated: where they lead, what they give there, and
    the decrease the step's linear model promised (−gᵀ·step)."""

    theta: np.ndarray
    r: np.ndarray
    weights: list[np.ndarray]
    f: np.ndarray
    promised: np.ndarray

    def rows(self, part: slice) -> "_Trial":
        return _Trial(self.theta[part], self.r[part], [w[part] for w in self.weights], self.f[part],
                      self.promised[part])


@functools.lru_cache(maxsize=None)
def _eye(P: int) -> np.ndarray:
    return np.eye(P)


class _BatchedLevenbergMarquardt:
    """Damped Gauss-Newton steps on many parameter rows at once.

    The curvature is the iteratively-reweighted least-squares model of the Huber loss,
    J^T·diag(min(1, δ/|r|))·J, which majorises it; a step is kept only where it lowers
    that row's objective, and each row has its own damping λ (Levenberg 1944,
    Marquardt 1963).
    """

    #: the damping's bounds; a row whose damping reaches the top found no lower point
    LAM_MIN, LAM_MAX = 1e-12, 1e12
    #: how far above the lowest finished row a row may be and still be polished (relative)
    POLISH_MARGIN = 1e-2

    def __init__(self, theta: np.ndarray, Z: np.ndarray, log_y: np.ndarray, delta: float | None):
        self.Z, self.log_y, self.delta = Z, log_y, delta
        self.theta = theta.copy()
        self.r, self.weights = _lse_residuals(self.theta, Z, log_y)
        self.f = self._objective(self.r)
        self.lam = np.full(len(theta), 1e-2)

    def _objective(self, r: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            f = _rho(r, self.delta).sum(axis=1)
        f[~np.isfinite(f)] = np.inf
        return f

    def _trial(self, g: np.ndarray, H: np.ndarray, lam: np.ndarray, theta: np.ndarray | None = None) -> _Trial:
        """The step solving (H + λ·diag|H|)·step = −g from every row of ``theta`` (default:
        the rows' own), evaluated."""
        theta = self.theta if theta is None else theta
        diag = np.abs(np.einsum("spp->sp", H))
        floor = 1e-9 * diag.max(axis=1, keepdims=True) + np.finfo(diag.dtype).tiny
        damped = H + _eye(H.shape[1]) * (lam[:, None] * (diag + floor))[:, None, :]
        with np.errstate(all="ignore"):
            try:
                step = np.linalg.solve(damped, -g[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                step = np.stack([np.linalg.lstsq(d, -gi, rcond=None)[0] for d, gi in zip(damped, g)])
            theta = (theta + step).astype(self.theta.dtype, copy=False)  # float32 rows stay so
            r, weights = _lse_residuals(theta, self.Z, self.log_y)
        return _Trial(theta, r, weights, self._objective(r), -np.einsum("sp,sp->s", g, step))

    def _take(self, trial: _Trial, rows: np.ndarray) -> None:
        """Move ``rows`` to where ``trial`` leads."""
        self.theta[rows], self.r[rows], self.f[rows] = trial.theta[rows], trial.r[rows], trial.f[rows]
        for w, w_trial in zip(self.weights, trial.weights):
            w[rows] = w_trial[rows]

    def _gauss_newton(self) -> tuple[np.ndarray, np.ndarray]:
        """The gradient and the majoriser's curvature at every row."""
        r, delta = self.r, self.delta
        g = _gradient(self.weights, self.Z, _rho_prime(r, delta))
        omega = np.ones_like(r) if delta is None else np.minimum(1.0, delta / np.maximum(np.abs(r),
                                                                                        np.finfo(r.dtype).tiny))
        return g, _gauss_newton_matrix(self.weights, self.Z, omega)

    def step(self) -> None:
        """One damped Gauss-Newton step on every row (kept where it lowers the objective)."""
        trial = self._trial(*self._gauss_newton(), self.lam)
        better = trial.f < self.f
        self._take(trial, better)
        self.lam = np.clip(np.where(better, self.lam / 3.0, self.lam * 4.0), self.LAM_MIN, self.LAM_MAX)

    def polish(self, max_steps: int = 500) -> None:
        """Steps until no row can go lower: at each, a Gauss-Newton step and a Newton step on
        the exact Hessian (:func:`_hessian`), each with its own damping, solved and evaluated
        together, and a row takes whichever goes lower. Far from a minimum the exact Hessian
        of the Huber objective can be indefinite and the majoriser's steps do the work; near
        one, Newton converges quadratically where the majoriser's steps shrink geometrically.

        A row is done when its better step gains at most 1e-15 of its objective and neither
        step promises more, or when neither step can lower it at any damping. Once the lowest
        row is done, a row more than :attr:`POLISH_MARGIN` above it is left where it is: on a
        Huber objective a row can creep for hundreds of steps along a valley to the same
        minimum (a floor starting at zero), and in 630 random fits, the bench's 21 data sets
        and the tests, no row that far behind ever ended lower.
        """
        S = len(self.f)
        newton_lam = np.full(S, 1e-6)
        for _ in range(max_steps):
            g, H = self._gauss_newton()
            both = self._trial(np.concatenate([g, g]), np.concatenate([H, _hessian(self.weights, self.Z, self.r,
                                                                                   self.delta)]),
                               np.concatenate([self.lam, newton_lam]), np.concatenate([self.theta, self.theta]))
            majoriser, newton = both.rows(slice(None, S)), both.rows(slice(S, None))
            before = self.f.copy()
            use_newton = newton.f < majoriser.f
            self._take(newton, use_newton & (newton.f < before))
            self._take(majoriser, ~use_newton & (majoriser.f < before))
            self.lam = np.clip(np.where(majoriser.f < before, self.lam / 3.0, self.lam * 4.0),
                               self.LAM_MIN, self.LAM_MAX)
            newton_lam = np.clip(np.where(newton.f < before, newton_lam / 3.0, newton_lam * 4.0),
                                 self.LAM_MIN, self.LAM_MAX)
            tiny = 1e-15 * np.abs(before)
            done = (before - self.f <= tiny) & (np.maximum(newton.promised, majoriser.promised) <= tiny)
            done |= (self.lam >= self.LAM_MAX) & (newton_lam >= self.LAM_MAX)
            lowest = int(np.argmin(self.f))
            if done[lowest]:
                done |= self.f > self.f[lowest] * (1 + self.POLISH_MARGIN)
            if done.all():
                return


#: starts evaluated together while ranking them (their arrays stay in the CPU's caches)
_RANK_BLOCK = 512


def _best_starts(starts: np.ndarray, Z: np.ndarray, log_y: np.ndarray, delta: float | None,
                 keep: int) -> np.ndarray:
    """The ``keep`` starts with the lowest objective, as single-precision rows.

    Ranking and the first steps only choose where to polish, so they run in single
    precision: float32's exp and log are about ten times faster than float64's here
    (numpy vectorises them for float32 on AVX2, not for float64), and the arrays are half
    the size. The objective is evaluated :data:`_RANK_BLOCK` starts at a time.
    """
    single = np.float32
    starts, Z32, log_y32 = starts.astype(single), Z.astype(single), log_y.astype(single)
    f = np.concatenate([_BatchedLevenbergMarquardt(starts[first:first + _RANK_BLOCK], Z32, log_y32, delta).f
                        for first in range(0, len(starts), _RANK_BLOCK)])
    return starts[np.argsort(f, kind="stable")[:keep]]


@dataclass(frozen=True)
class LogSumExpFit:
    """Best parameters of a log-sum-exp model, in the centred parametrisation."""

    theta: np.ndarray
    objective: float
    n_starts: int
    n_polished: int


def fit_log_sum_exp(Z: np.ndarray, log_y: np.ndarray, starts: np.ndarray, *, delta: float | None,
                    keep: int = 300, steps: int = 10, n_polish: int = 6) -> LogSumExpFit:
    """Minimise Σ ρ(LSE(c_k − s_k·z_k, e) − log y) from many starts; return the best.

    The engine behind :func:`fit_saturating_power_law` and
    :func:`course_utils.chinchilla.fit_chinchilla`. Rather than run a separate optimiser
    from each start, it

    1. when there are more than ``keep`` starts, evaluates the objective at every start and
       keeps the ``keep`` lowest (:func:`_best_starts`), and then takes step 2 in single
       precision;
    2. takes ``steps`` damped Gauss-Newton steps from all the rows at once (vectorised over
       rows, exact derivatives of the log-sum-exp model);
    3. polishes the ``n_polish`` best distinct rows in double precision with damped Newton
       steps on the exact Hessian (``_BatchedLevenbergMarquardt.polish``) until no row can
       go lower, and returns the lowest objective found.

    Ranking the starts before any step, and stepping in single precision, reaches the same
    optimum as taking one step from every start before ranking and stepping in double
    precision: to 1e-14 of the objective on the anchor data of ``benchmarks/bench_fit.py``
    and on 40 synthetic IsoFLOP sets drawn near the published fits, in 0.06 s instead of
    0.10 s on the anchor data.

    Newton rather than a quasi-Newton method (BFGS, L-BFGS-B) for the polish: with five
    parameters the exact Hessian costs about as much as the gradient, converges
    quadratically, and needs no stopping tolerance on the gradient or the decrease, whose
    scale is the trap Besiroglu et al. 2024 describe (L-BFGS-B's ``ftol`` test, relative to
    ``max(|f|, 1)``, stops early on objectives far below 1); and L-BFGS-B's compiled core calls
    BLAS, whose threads stall for milliseconds per iteration on a busy machine.

    Parameters
    ----------
    Z : ndarray, shape (m, n)
        Log features, best centred (e.g. log N − mean log N) for conditioning.
    log_y : ndarray, shape (n,)
        Log targets.
    starts : ndarray, shape (S, 2m+1)
        Initial parameters (c_1, s_1, …, c_m, s_m, e) in the same parametrisation.
    delta : float or None
        Huber δ, or None for squared error ½r².
    """
    keep_freed_memory()
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    if len(starts) > keep:
        single = np.float32
        search = _BatchedLevenbergMarquardt(_best_starts(starts, Z, log_y, delta, keep), Z.astype(single),
                                            log_y.astype(single), delta)
    else:
        search = _BatchedLevenbergMarquardt(starts, Z, log_y, delta)
    for _ in range(steps):
        search.step()
    chosen: list[int] = []
    for index in np.argsort(search.f, kind="stable"):
        if not np.isfinite(search.f[index]) or len(chosen) == n_polish:
            break
        if all(np.max(np.abs(search.theta[index] - search.theta[other])) > 1e-6 for other in chosen):
            chosen.append(int(index))
    final = _BatchedLevenbergMarquardt(search.theta[chosen].astype(float), Z, log_y, delta)
    final.lam = search.lam[chosen]
    final.polish()
    best = int(np.argmin(final.f))
    return LogSumExpFit(theta=final.theta[best].copy(), objective=float(final.f[best]),
                        n_starts=len(starts), n_polished=len(chosen))


# ----------------------------------------------------- saturating power law


@dataclass(frozen=True)
class SaturatingPowerLawFit:
    """y = E + A·x^(−alpha): a power law that levels off at the floor E.

    ``objective`` is the minimised Σ ρ(log ŷ − log y) (ρ = Huber_δ or ½r²).
    """

    E: float
    A: float
    alpha: float
    objective: float
    loss: str
    delta: float
    n_starts: int

    @property
    def exponent(self) -> float:
        """The power of the reducible term, −alpha (y − E = A·x^exponent)."""
        return -self.alpha

    def predict(self, x: ArrayLike) -> np.ndarray:
        """E + A·x^(−alpha)."""
        return self.E + self.A * positive_array("x", x) ** (-self.alpha)

    def params(self) -> dict[str, float]:
        """The fitted parameters by name, for :func:`bootstrap`."""
        return {"E": self.E, "A": self.A, "alpha": self.alpha}


def fit_saturating_power_law(x: ArrayLike, y: ArrayLike, loss: str = "huber", delta: float = 1e-3,
                             starts: ArrayLike | None = None) -> SaturatingPowerLawFit:
    """Fit y = E + A·x^(−α) in log space, robustly, from several starting points.

    Minimises Σ_i ρ(LSE(a − α·log x_i, e) − log y_i) over (a, α, e), with
    A = exp(a), E = exp(e) and ρ the Huber loss with threshold ``delta`` (or ½r² for
    ``loss="squared"``). This is the one-variable version of the objective of
    Hoffmann et al. 2022 (§3.3 and App. D.2).

    Parameters
    ----------
    x, y : array_like
        Positive, finite, same length, at least 3 points (three parameters).
    loss : {"huber", "squared"}
    delta : float
        Huber threshold on log residuals (ignored for ``"squared"``).
    starts : array_like of shape (S, 3), optional
        Initial (E, A, alpha) triples. By default six data-driven starts are used: for
        floors E₀ = f·min(y), f ∈ {0, 0.5, 0.8, 0.9, 0.95, 0.99}, the straight-line fit
        of log(y − E₀) on log x gives A₀ and α₀.

    Returns
    -------
    SaturatingPowerLawFit
    """
    if loss not in ("huber", "squared"):
        raise ValueError(f"loss must be 'huber' or 'squared'; got {loss!r}")
    if loss == "huber":
        delta = positive_number("delta", delta)
    x, y = _paired_1d("x", x, "y", y, n_params=3)
    log_x, log_y = np.log(x), np.log(y)
    if np.ptp(log_x) == 0:
        raise ValueError("x must take at least two distinct values")
    centre = log_x.mean()
    Z = (log_x - centre)[None, :]
    if starts is None:
        rows = []
        for fraction in (0.0, 0.5, 0.8, 0.9, 0.95, 0.99):
            floor = fraction * y.min()
            slope, intercept = np.polyfit(log_x, np.log(y - floor), 1)
            e = np.log(floor) if floor > 0 else log_y.min() - 10.0
            rows.append((intercept, -slope, e))
        start_theta = np.array(rows)
    else:
        starts = np.atleast_2d(np.asarray(starts, dtype=float))
        if starts.ndim != 2 or starts.shape[1] != 3 or not np.isfinite(starts).all():
            raise ValueError(f"starts must be finite (E, A, alpha) rows; got shape {starts.shape}")
        E0 = positive_array("starts[:, 0] (E)", starts[:, 0])
        A0 = positive_array("starts[:, 1] (A)", starts[:, 1])
        start_theta = np.column_stack([np.log(A0), starts[:, 2], np.log(E0)])
    # centred parametrisation: a − α·log x = (a − α·centre) − α·(log x − centre)
    start_theta[:, 0] -= start_theta[:, 1] * centre
    best = fit_log_sum_exp(Z, log_y, start_theta, delta=delta if loss == "huber" else None)
    c, alpha, e = best.theta
    return SaturatingPowerLawFit(E=float(np.exp(e)), A=float(np.exp(c + alpha * centre)), alpha=float(alpha),
                                 objective=best.objective, loss=loss, delta=float(delta),
                                 n_starts=best.n_starts)


# ------------------------------------------------------------------ bootstrap


@dataclass(frozen=True)
class BootstrapResult:
    """Parameter estimates from refits on resampled data.

    Attributes
    ----------
    estimate : dict
        The parameters fitted to the full data.
    samples : dict of name -> ndarray
        One value per successful resample.
    fits : tuple
        The refitted results (for :meth:`predict_band`).
    n_failed : int
        Resamples whose refit raised ValueError (e.g. all x equal) and were skipped.
    """

    estimate: dict[str, float]
    samples: dict[str, np.ndarray]
    fits: tuple = field(repr=False)
    n_failed: int = 0

    def interval(self, name: str, level: float = 0.9, method: str = "percentile") -> tuple[float, float]:
        """An interval for ``name`` at coverage ``level``, from the resampled values.

        ``method="percentile"``: the central ``level`` of the refits, (q_lo, q_hi) (Efron
        1979). It takes the refits at face value, so if they are shifted from the full-data
        estimate θ̂ (see :meth:`bias`), the interval is shifted the same way.
        ``method="basic"``: the percentiles reflected about the estimate,
        (2θ̂ − q_hi, 2θ̂ − q_lo), which undoes such a shift (the "basic" bootstrap interval,
        Davison & Hinkley 1997, *Bootstrap Methods and their Application*, ch. 5).
        """
        if name not in self.samples:
            raise ValueError(f"name must be one of {sorted(self.samples)}; got {name!r}")
        if method not in ("percentile", "basic"):
            raise ValueError(f"method must be 'percentile' or 'basic'; got {method!r}")
        level = _level("level", level)
        low, high = np.quantile(self.samples[name], [(1 - level) / 2, (1 + level) / 2])
        if method == "basic":
            estimate = self.estimate[name]
            low, high = 2 * estimate - high, 2 * estimate - low
        return float(low), float(high)

    def bias(self, name: str) -> float:
        """Mean of the refits minus the full-data estimate: the bootstrap's estimate of the
        fit's bias (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 10)."""
        if name not in self.samples:
            raise ValueError(f"name must be one of {sorted(self.samples)}; got {name!r}")
        return float(np.mean(self.samples[name]) - self.estimate[name])

    def predict_band(self, x: ArrayLike, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise percentile band of the refits' predictions at ``x``."""
        level = _level("level", level)
        if not all(hasattr(fit, "predict") for fit in self.fits):
            raise ValueError("predict_band needs fit results with a .predict(x) method")
        predictions = np.array([fit.predict(x) for fit in self.fits])
        low, high = np.quantile(predictions, [(1 - level) / 2, (1 + level) / 2], axis=0)
        return low, high


def _params_of(result: Any) -> dict[str, float]:
    if isinstance(result, Mapping):
        return {str(k): float(v) for k, v in result.items()}
    if hasattr(result, "params"):
        return {k: float(v) for k, v in result.params().items()}
    raise ValueError("fit_fn must return a mapping of parameters or a result with a .params() method")


def bootstrap(fit_fn: Callable[[np.ndarray, np.ndarray], Any], x: ArrayLike, y: ArrayLike,
              n: int = 1000, seed: int = 0) -> BootstrapResult:
    """Refit ``fit_fn`` on ``n`` resamples of the (x, y) pairs, drawn with replacement.

    The nonparametric (pairs) bootstrap of Efron (1979): each resample picks len(y)
    rows at random with replacement, using ``numpy.random.default_rng(seed)``, so the
    result is reproducible. A resample that draws the same rows as an earlier one (in any
    order) reuses that refit instead of fitting again: the same draws and the same
    result, much faster for a few points (four points allow only 35 different resamples).
    ``fit_fn`` must therefore give the same answer for the same rows, as every fit here does. Hoffmann et al. (2022, Table 2) and Besiroglu et al.
    (2024, Table 1) report intervals made this way.

    Parameters
    ----------
    fit_fn : callable
        ``fit_fn(x, y)`` returning a result with ``.params()`` (as every fit in this
        package does) or a dict of parameters.
    x : array_like, shape (n,) or (n, k)
        Rows are resampled together (use a 2-column array for two inputs, e.g. N and D).
    y : array_like, shape (n,)
    n : int
        Number of resamples.
    seed : int
    """
    x = finite_array("x", x)
    y = finite_array("y", y)
    if y.ndim != 1 or x.ndim not in (1, 2) or len(x) != len(y):
        raise ValueError(f"x and y must have the same number of rows; got shapes {x.shape} and {y.shape}")
    n = positive_int("n", n, minimum=2)
    seed = positive_int("seed", seed, minimum=0)
    estimate = _params_of(fit_fn(x, y))
    rng = np.random.default_rng(seed)
    fits, rows, failed = [], [], 0
    refits: dict[tuple[int, ...], Any] = {}  # a resample of the same rows again reuses its fit
    for _ in range(n):
        index = rng.integers(0, len(y), size=len(y))
        key = tuple(np.sort(index).tolist())
        if key not in refits:
            try:
                refits[key] = fit_fn(x[index], y[index])
            except ValueError:
                refits[key] = None
        fit = refits[key]
        if fit is None:
            failed += 1
            continue
        fits.append(fit)
        rows.append(_params_of(fit))
    if not rows:
        raise ValueError("every bootstrap refit failed")
    samples = {name: np.array([row[name] for row in rows]) for name in rows[0]}
    return BootstrapResult(estimate=estimate, samples=samples, fits=tuple(fits), n_failed=failed)



# ------------------------------------------------------- a fitting experiment


#: The two model families :func:`fit_experiment` can fit.
FIT_MODELS = ("saturating", "power law")


@dataclass(frozen=True)
class FitExperiment:
    """One draw of noisy data from a known curve, its fit and a bootstrap band.

    ``grid`` runs from the smallest fitted x out to ``extrapolate_to``; ``band`` is the
    pointwise bootstrap interval of the fitted curve on that grid. ``extrapolated`` and
    ``true_at_target`` are the fitted and true values at ``extrapolate_to``.
    """

    x: np.ndarray
    y: np.ndarray
    model: str
    fit: PowerLawFit | SaturatingPowerLawFit
    true_params: dict[str, float]
    grid: np.ndarray
    true_curve: np.ndarray
    fit_curve: np.ndarray
    band: tuple[np.ndarray, np.ndarray]
    alpha_interval: tuple[float, float]
    level: float
    extrapolate_to: float
    extrapolated: float
    extrapolated_band: tuple[float, float]
    true_at_target: float
    n_bootstrap_failed: int

    @property
    def extrapolation_error(self) -> float:
        """Relative error of the extrapolated value: predicted/true − 1."""
        return self.extrapolated / self.true_at_target - 1.0


def fit_experiment(noise: float, n_points: int, x_range: tuple[float, float], seed: int = 0,
                   model: str = "saturating", n_bootstrap: int = 100, level: float = 0.9,
                   extrapolate_to: float = 1e12) -> FitExperiment:
    """Draw noisy points from a known scaling curve, fit them, and extrapolate.

    The true curve is L(N) = E + A/N^α with Hoffmann et al. 2022's printed values
    (E = 1.69, A = 406.4, α = 0.34, App. D.2): the loss of an N-parameter model given
    unlimited data under their law. ``n_points`` model sizes are log-spaced over
    ``x_range``; each loss is multiplied by exp(noise·z), z standard normal
    (``numpy.random.default_rng(seed)``). The fit is either the right family,
    E + A·N^(−α) (:func:`fit_saturating_power_law`), or a pure power law A·N^(−α) that
    ignores the floor (:func:`fit_power_law`). The band is the pointwise ``level``
    interval of ``n_bootstrap`` pairs-bootstrap refits (:func:`bootstrap`); saturating
    refits start from the full-data fit, which keeps a refit to a few milliseconds.
    Used by the fit explorer (lesson 02).

    Parameters
    ----------
    noise : float
        Standard deviation of the log noise, ≥ 0 (0.02 is about 2% scatter).
    n_points : int
        Number of model sizes, at least 4.
    x_range : (float, float)
        Smallest and largest fitted model size, 0 < low < high.
    seed : int
    model : {"saturating", "power law"}
    n_bootstrap : int
        Bootstrap refits, at least 2.
    level : float
        Coverage of the band and of the interval on α, in (0, 1).
    extrapolate_to : float
        Model size at which to compare the extrapolation with the truth (> high).
    """
    noise = non_negative_number("noise", noise)
    n_points = positive_int("n_points", n_points, minimum=4)
    try:
        low, high = x_range
    except (TypeError, ValueError):
        raise ValueError(f"x_range must be a pair (low, high); got {x_range!r}") from None
    low, high = positive_number("x_range[0]", low), positive_number("x_range[1]", high)
    if not low < high:
        raise ValueError(f"x_range must be (low, high) with low < high; got {x_range!r}")
    if model not in FIT_MODELS:
        raise ValueError(f"model must be one of {FIT_MODELS}; got {model!r}")
    n_bootstrap = positive_int("n_bootstrap", n_bootstrap, minimum=2)
    level = _level("level", level)
    extrapolate_to = positive_number("extrapolate_to", extrapolate_to)
    if extrapolate_to <= high:
        raise ValueError(f"extrapolate_to must lie beyond the fitted range (> {high:g}); got {extrapolate_to:g}")

    printed = lit.HOFFMANN_2022_PRINTED
    true = {"E": printed.E, "A": printed.A, "alpha": printed.alpha}

    def true_loss(n: np.ndarray) -> np.ndarray:
        return true["E"] + true["A"] * n ** (-true["alpha"])

    x = np.geomspace(low, high, n_points)
    y = true_loss(x) * np.exp(noise * np.random.default_rng(seed).standard_normal(x.size))
    if model == "saturating":
        fit = fit_saturating_power_law(x, y)
        start = [[fit.E, fit.A, fit.alpha]]
        result = bootstrap(lambda xs, ys: fit_saturating_power_law(xs, ys, starts=start), x, y,
                           n=n_bootstrap, seed=seed)
    else:
        fit = fit_power_law(x, y)
        result = bootstrap(fit_power_law, x, y, n=n_bootstrap, seed=seed)
    grid = np.geomspace(low, extrapolate_to, 200)
    band = result.predict_band(grid, level)
    target_band = result.predict_band([extrapolate_to], level)
    return FitExperiment(
        x=x, y=y, model=model, fit=fit, true_params=true, grid=grid, true_curve=true_loss(grid),
        fit_curve=fit.predict(grid), band=band, alpha_interval=result.interval("alpha", level), level=level,
        extrapolate_to=extrapolate_to, extrapolated=float(fit.predict([extrapolate_to])[0]),
        extrapolated_band=(float(target_band[0][0]), float(target_band[1][0])),
        true_at_target=float(true_loss(np.array(extrapolate_to))), n_bootstrap_failed=result.n_failed)
