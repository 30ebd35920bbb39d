"""The Chinchilla law L(N, D) = E + A/N^α + B/D^β and compute-optimal allocation.

Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models",
arXiv:2203.15556) estimated how loss depends on parameters N and training tokens D
in three ways, all here:

* Approach 1, the lower envelope of many training curves: :func:`efficient_frontier`.
* Approach 2, IsoFLOP profiles, a parabola in log N for each budget: :func:`fit_isoflop_profile`;
  on a sweep of several budgets, with bootstrap intervals for the exponents of N_opt ∝ C^a
  and D_opt ∝ C^b: :func:`fit_isoflop_scaling` (budgets found by :func:`compute_budgets`,
  the frontier of one best run per budget by :func:`budget_frontier`).
* Approach 3, the parametric law fitted with a robust loss: :func:`fit_chinchilla`,
  giving a :class:`ChinchillaLaw`, whose closed-form optimum under C = 6ND (their
  eq. 4) is :meth:`ChinchillaLaw.compute_optimal`.

Besiroglu et al. 2024 (arXiv:2404.10102) refitted Approach 3 on points read off
Hoffmann's Figure 4 and found different exponents; both laws are provided
(:data:`HOFFMANN_2022`, :data:`HOFFMANN_2022_UNROUNDED`, :data:`BESIROGLU_2024`).

Kaplan et al. 2020's laws are kept apart at the end of the module: their losses were
measured with another tokenizer and dataset and their N excludes embeddings, so the
numbers are not comparable with Chinchilla's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize_scalar

from course_utils import literature as lit
from course_utils._validation import finite_array, non_negative_number, positive_array, positive_int, positive_number
from course_utils.powerlaw import fit_log_sum_exp, huber, lse_objective

__all__ = [
    "ChinchillaLaw", "ChinchillaFit", "IsoFlopProfile", "HOFFMANN_2022", "HOFFMANN_2022_UNROUNDED",
    "BESIROGLU_2024", "fit_chinchilla", "chinchilla_objective", "hoffmann_grid", "fit_isoflop_profile",
    "efficient_frontier", "synthetic_isoflop_data", "huber", "kaplan_loss_of_params",
    "kaplan_loss_of_tokens", "kaplan_loss_of_compute", "kaplan_joint_loss", "kaplan_allocation",
    "kaplan_joint_compute_optimal", "kaplan_joint_exponent", "BudgetSummary", "budget_summary",
    "compute_budgets", "budget_frontier", "IsoFlopScaling", "fit_isoflop_scaling",
]


# --------------------------------------------------------------------- the law


@dataclass(frozen=True)
class ChinchillaLaw:
    """L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, eq. 2).

    E is the irreducible loss of the data; A/N^α is what a finite model adds; B/D^β is
    what finite training data adds. Losses are in nats per token, N counts all
    parameters and D training tokens.
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    name: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        for field_name in ("E", "A", "B", "alpha", "beta"):
            object.__setattr__(self, field_name, positive_number(field_name, getattr(self, field_name)))

    @classmethod
    def from_literature(cls, fit: lit.ParametricFit, name: str) -> "ChinchillaLaw":
        """Build a law from a published :class:`course_utils.literature.ParametricFit`."""
        return cls(E=fit.E, A=fit.A, B=fit.B, alpha=fit.alpha, beta=fit.beta, name=name, source=fit.source)

    def loss(self, N: ArrayLike, D: ArrayLike) -> np.ndarray | float:
        """Predicted loss E + A/N^α + B/D^β (broadcasts over arrays)."""
        N, D = positive_array("N", N), positive_array("D", D)
        return _scalar_or_array(self.E + self.A * N ** (-self.alpha) + self.B * D ** (-self.beta))

    @property
    def G(self) -> float:
        """G = (αA / (βB))^(1/(α+β)) (Hoffmann et al. 2022, eq. 4)."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    @property
    def a(self) -> float:
        """Exponent of N_opt ∝ C^a: a = β/(α+β) (eq. 4)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of D_opt ∝ C^b: b = α/(α+β) = 1 − a (eq. 4)."""
        return self.alpha / (self.alpha + self.beta)

    def compute_optimal(self, C: ArrayLike) -> tuple[np.ndarray | float, np.ndarray | float]:
        """Loss-minimising (N_opt, D_opt) for training compute C = 6·N·D FLOP.

        N_opt = G·(C/6)^a and D_opt = G^(−1)·(C/6)^b (Hoffmann et al. 2022, eq. 4).
        Found by setting dL/dN = 0 on L(N, C/(6N)): αA/N^α = βB/D^β at the optimum.
        """
        C = positive_array("C", C)
        return _scalar_or_array(self.G * (C / 6) ** self.a), _scalar_or_array((C / 6) ** self.b / self.G)

    def tokens_per_parameter(self, C: ArrayLike) -> np.ndarray | float:
        """D_opt/N_opt = G^(−2)·(C/6)^(b−a) at compute C."""
        C = positive_array("C", C)
        return _scalar_or_array((C / 6) ** (self.b - self.a) / self.G**2)

    def isoflop_loss(self, N: ArrayLike, C: ArrayLike) -> np.ndarray | float:
        """Loss of an N-parameter model trained with C FLOP: L(N, C/(6N))."""
        N, C = positive_array("N", N), positive_array("C", C)
        return self.loss(N, C / (6 * N))


def _scalar_or_array(value: np.ndarray) -> np.ndarray | float:
    return float(value) if np.ndim(value) == 0 else value


#: Hoffmann et al. 2022, App. D.2, as printed: E 1.69, A 406.4, B 410.7, α 0.34, β 0.28.
HOFFMANN_2022 = ChinchillaLaw.from_literature(lit.HOFFMANN_2022_PRINTED, "Hoffmann et al. 2022 (printed)")

#: The same fit at full precision from the paper's TeX source (Besiroglu et al. 2024,
#: notebook cell 16): A = exp(6.0073404), B = exp(6.0179186), E = exp(0.5267228).
HOFFMANN_2022_UNROUNDED = ChinchillaLaw(
    E=float(np.exp(lit.HOFFMANN_2022_UNROUNDED_LOGS["e"])),
    A=float(np.exp(lit.HOFFMANN_2022_UNROUNDED_LOGS["a"])),
    B=float(np.exp(lit.HOFFMANN_2022_UNROUNDED_LOGS["b"])),
    alpha=lit.HOFFMANN_2022_UNROUNDED_EXPONENTS["alpha"],
    beta=lit.HOFFMANN_2022_UNROUNDED_EXPONENTS["beta"],
    name="Hoffmann et al. 2022 (unrounded)",
    source="Hoffmann et al. 2022 TeX source, via Besiroglu et al. 2024 notebook cell 16",
)

#: Besiroglu et al. 2024, Table 1 (their likelihood fit): E 1.81686, A 482.01, B 2085.43, α 0.34781, β 0.36585.
BESIROGLU_2024 = ChinchillaLaw.from_literature(lit.BESIROGLU_2024_FIT, "Besiroglu et al. 2024 (refit)")


# ------------------------------------------------------- spending one budget


@dataclass(frozen=True)
class BudgetSummary:
    """Compute-optimal allocation of a training budget under one parametric law.

    ``N`` and ``isoflop_loss`` trace the IsoFLOP curve L(N, C/(6N)) around the optimum;
    ``kaplan_N`` is Kaplan et al.'s published allocation for the same budget, for
    comparison only (his losses are in other units, see :func:`kaplan_allocation`).
    Used by the compute-budget explorer (lesson 04).
    """

    C: float
    law: ChinchillaLaw
    N_opt: float
    D_opt: float
    tokens_per_param: float
    loss: float
    N: np.ndarray
    isoflop_loss: np.ndarray
    kaplan_N: float


def budget_summary(C: float, law: ChinchillaLaw = BESIROGLU_2024, span: float = 100.0,
                   n_grid: int = 201) -> BudgetSummary:
    """Where a budget of ``C`` FLOP should go, and the IsoFLOP curve around that point.

    N_opt = G·(C/6)^a, D_opt = C/(6·N_opt) (Hoffmann et al. 2022, eq. 4, via
    :meth:`ChinchillaLaw.compute_optimal`); the predicted loss is L(N_opt, D_opt). The
    IsoFLOP curve is L(N, C/(6N)) for N from N_opt/span to N_opt·span.

    Parameters
    ----------
    C : float
        Training compute in FLOP, > 0.
    law : ChinchillaLaw
        The law to allocate with (default: Besiroglu et al.'s refit).
    span : float
        How far the IsoFLOP curve reaches either side of N_opt, as a factor (> 1).
    n_grid : int
        Points on the curve (≥ 3).
    """
    C = positive_number("C", C)
    if not isinstance(law, ChinchillaLaw):
        raise ValueError(f"law must be a ChinchillaLaw; got {type(law).__name__}")
    if positive_number("span", span) <= 1:
        raise ValueError(f"span must be a finite factor above 1; got {span!r}")
    n_grid = positive_int("n_grid", n_grid, minimum=3)
    N_opt, D_opt = law.compute_optimal(C)
    N = np.geomspace(N_opt / span, N_opt * span, n_grid)
    return BudgetSummary(C=C, law=law, N_opt=N_opt, D_opt=D_opt, tokens_per_param=law.tokens_per_parameter(C),
                         loss=law.loss(N_opt, D_opt), N=N, isoflop_loss=law.isoflop_loss(N, C),
                         kaplan_N=kaplan_allocation(C))


# ----------------------------------------------------------- Approach 3: fitting


@dataclass(frozen=True)
class ChinchillaFit:
    """Result of :func:`fit_chinchilla`.

    Attributes
    ----------
    law : ChinchillaLaw
    objective : float
        The minimised Σ (or mean, see ``reduction``) of Huber_δ(log L̂ − log L).
    n_starts : int
        Initialisations tried (4,500 for Hoffmann's grid).
    n_polished : int
        How many of the best were polished to convergence (Newton steps on the exact
        Hessian, see :func:`course_utils.powerlaw.fit_log_sum_exp`).
    """

    law: ChinchillaLaw
    objective: float
    n_starts: int
    n_polished: int
    delta: float
    reduction: str
    n_points: int

    def params(self) -> dict[str, float]:
        """The fitted parameters by name, for :func:`course_utils.powerlaw.bootstrap`."""
        law = self.law
        return {"E": law.E, "A": law.A, "B": law.B, "alpha": law.alpha, "beta": law.beta}

    def predict(self, x: ArrayLike) -> np.ndarray | float:
        """The fitted law's loss at ``x``, rows of (N, D): the same two columns a bootstrap
        of this fit resamples (:func:`course_utils.powerlaw.bootstrap`)."""
        x = positive_array("x", x)
        if x.shape[-1:] != (2,):
            raise ValueError(f"x must hold (N, D) pairs in its last axis; got shape {x.shape}")
        return self.law.loss(x[..., 0], x[..., 1])


def hoffmann_grid() -> np.ndarray:
    """Hoffmann et al.'s 4,500 starting points as rows (a, b, e, alpha, beta) (App. D.2).

    α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25}: 5·5·5·6·6 = 4,500.
    """
    return _grid_from_mapping(lit.HOFFMANN_2022_GRID)


def _grid_from_mapping(grid: Mapping[str, ArrayLike]) -> np.ndarray:
    keys = ("a", "b", "e", "alpha", "beta")
    missing = [k for k in keys if k not in grid]
    if missing:
        raise ValueError(f"grid must give values for {keys}; missing {missing}")
    return np.array(list(itertools.product(*(np.atleast_1d(finite_array(f"grid[{k!r}]", grid[k])) for k in keys))))


def _chinchilla_inputs(N: ArrayLike, D: ArrayLike, L: ArrayLike, delta: float, reduction: str):
    N, D, L = positive_array("N", N), positive_array("D", D), positive_array("L", L)
    if not N.ndim == D.ndim == L.ndim == 1:
        raise ValueError(f"N, D and L must be 1-D; got shapes {N.shape}, {D.shape}, {L.shape}")
    if not N.size == D.size == L.size:
        raise ValueError(f"N, D and L must have the same length; got {N.size}, {D.size}, {L.size}")
    if N.size < 5:
        raise ValueError(f"need at least 5 points to fit 5 parameters; got {N.size}")
    positive_number("delta", delta)
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean'; got {reduction!r}")
    return np.log(N), np.log(D), np.log(L)


def chinchilla_objective(params: ArrayLike, N: ArrayLike, D: ArrayLike, L: ArrayLike,
                         delta: float = lit.HOFFMANN_2022_HUBER_DELTA,
                         reduction: str = "sum") -> tuple[float, np.ndarray]:
    """Hoffmann's Approach-3 objective and its exact gradient, for your own optimiser.

    f(a, b, e, α, β) = Σ_i Huber_δ( LSE(a − α log N_i, b − β log D_i, e) − log L_i )
    (Hoffmann et al. 2022, App. D.2), divided by the number of points when
    ``reduction="mean"``. The minimum is in the same place either way, but an optimiser
    whose stopping tests are absolute stops earlier on the smaller mean objective: scipy's
    BFGS stops when the largest gradient component is below ``gtol``, and L-BFGS-B adds a
    test on the decrease divided by ``max(|f_k|, |f_k+1|, 1)``, which for objectives below 1
    is absolute too. Besiroglu et al. (2024) trace Hoffmann's biased fit to this "poor
    choice of loss scale".

    Returns ``(value, gradient)``, so it can be passed to
    ``scipy.optimize.minimize(..., jac=True)``.
    """
    log_N, log_D, log_L = _chinchilla_inputs(N, D, L, delta, reduction)
    p = finite_array("params", params)
    if p.shape != (5,):
        raise ValueError(f"params must be 5 finite numbers (a, b, e, alpha, beta); got {params!r}")
    a, b, e, alpha, beta = p
    scale = log_L.size if reduction == "mean" else 1.0
    value, grad = lse_objective([a, alpha, b, beta, e], np.stack([log_N, log_D]), log_L, delta, scale)
    return value, grad[[0, 2, 4, 1, 3]]


def fit_chinchilla(N: ArrayLike, D: ArrayLike, L: ArrayLike, delta: float = lit.HOFFMANN_2022_HUBER_DELTA,
                   grid: str | Mapping[str, ArrayLike] | ArrayLike = "hoffmann",
                   reduction: str = "sum") -> ChinchillaFit:
    """Fit L(N, D) = E + A/N^α + B/D^β the way Hoffmann et al. 2022 did (Approach 3).

    Minimises :func:`chinchilla_objective`, Σ_i Huber_δ(LSE(a − α log N_i,
    b − β log D_i, e) − log L_i) over (a, b, e, α, β), then A, B, E = exp(a, b, e)
    (App. D.2, δ = 1e-3). The search starts from every point of their 4,500-point grid,
    as they did, but instead of running L-BFGS separately from each start it evaluates the
    objective at all starts at once (numpy, single precision), keeps the 300 lowest, takes
    ten damped Gauss-Newton steps from those together (exact derivatives), and polishes the
    six best distinct ones in double precision with damped Newton steps until none can go lower
    (:func:`course_utils.powerlaw.fit_log_sum_exp`). It reaches the same optimum as the
    one-optimiser-per-start loop (see ``benchmarks/bench_fit.py``) in well under a tenth
    of a second. Deterministic.

    Parameters
    ----------
    N, D, L : array_like
        Parameters, training tokens and final loss of each run; positive, same length.
    delta : float
        Huber threshold on log-loss residuals.
    grid : "hoffmann", mapping or array
        Starting points: Hoffmann's grid, a mapping of ``a, b, e, alpha, beta`` to
        values (their product is used) or an array of rows (a, b, e, alpha, beta).
    reduction : {"sum", "mean"}
        Whether ``objective`` is the sum (as Besiroglu et al. recommend) or the mean.
        The fitted law is the same.
    """
    log_N, log_D, log_L = _chinchilla_inputs(N, D, L, delta, reduction)
    if isinstance(grid, str):
        if grid != "hoffmann":
            raise ValueError(f"grid must be 'hoffmann', a mapping or an array of starts; got {grid!r}")
        starts = hoffmann_grid()
    elif isinstance(grid, Mapping):
        starts = _grid_from_mapping(grid)
    else:
        starts = np.atleast_2d(finite_array("grid", grid))
        if starts.ndim != 2 or starts.shape[1] != 5:
            raise ValueError(f"grid must be finite rows (a, b, e, alpha, beta); got shape {starts.shape}")
    # Work with centred logs: a − α log N = (a − α m_N) − α (log N − m_N); same optimum,
    # much better conditioned.
    m_N, m_D = log_N.mean(), log_D.mean()
    a, b, e, alpha, beta = starts.T
    theta = np.column_stack([a - alpha * m_N, alpha, b - beta * m_D, beta, e])
    best = fit_log_sum_exp(np.stack([log_N - m_N, log_D - m_D]), log_L, theta, delta=delta)
    c_N, alpha, c_D, beta, e = best.theta
    if not (alpha > 0 and beta > 0):
        raise ValueError(f"the best fit has alpha = {alpha:.3g} and beta = {beta:.3g}; a Chinchilla law needs both "
                         "positive (loss falling with N and with D), which these data do not show")
    law = ChinchillaLaw(E=float(np.exp(e)), A=float(np.exp(c_N + alpha * m_N)), B=float(np.exp(c_D + beta * m_D)),
                        alpha=float(alpha), beta=float(beta), name="fit_chinchilla",
                        source=f"Approach 3 fit to {log_L.size} points (Huber delta={delta:g})")
    objective = best.objective / (log_L.size if reduction == "mean" else 1.0)
    return ChinchillaFit(law=law, objective=objective, n_starts=best.n_starts, n_polished=best.n_polished,
                         delta=float(delta), reduction=reduction, n_points=int(log_L.size))


# -------------------------------------------------- Approaches 1 and 2, data


@dataclass(frozen=True)
class IsoFlopProfile:
    """A parabola L ≈ c0 + c1·x + c2·x², x = ln N, fitted to one IsoFLOP budget.

    ``N_opt`` = exp(−c1/(2·c2)) is the compute-optimal size at that budget and
    ``L_min`` = c0 − c1²/(4·c2) the loss the parabola predicts there.
    """

    N_opt: float
    L_min: float
    coefficients: tuple[float, float, float]

    def params(self) -> dict[str, float]:
        """The profile's optimum by name, for :func:`course_utils.powerlaw.bootstrap`."""
        return {"N_opt": self.N_opt, "L_min": self.L_min}

    def predict(self, N: ArrayLike) -> np.ndarray | float:
        """The parabola's loss at N."""
        c0, c1, c2 = self.coefficients
        x = np.log(positive_array("N", N))
        return _scalar_or_array(c0 + c1 * x + c2 * x**2)


def fit_isoflop_profile(N: ArrayLike, L: ArrayLike) -> IsoFlopProfile:
    """Approach 2 of Hoffmann et al. 2022 (§3.2): fit a parabola to one IsoFLOP profile.

    For runs that all used the same compute C, loss against log N is U-shaped; a
    least-squares parabola in x = ln N locates the minimum, N_opt = exp(−c1/(2c2)).
    Repeating this for several budgets and fitting N_opt ∝ C^a gives their Table 2
    "Approach 2" exponent.

    Raises
    ------
    ValueError
        Fewer than 3 points, fewer than 3 distinct N, or a parabola that opens downwards
        (no minimum: the budget's runs do not bracket the optimum).
    """
    N = positive_array("N", N)
    L = positive_array("L", L)
    if N.ndim != 1 or N.shape != L.shape:
        raise ValueError(f"N and L must be 1-D of the same length; got shapes {N.shape} and {L.shape}")
    x = np.log(N)
    if np.unique(x).size < 3:
        raise ValueError(f"need at least 3 distinct values of N to fit a parabola; got {np.unique(x).size}")
    c2, c1, c0 = np.polyfit(x, L, 2)
    if c2 <= 0:
        raise ValueError("the fitted parabola has no minimum (it opens downwards): the runs in N do not "
                         "bracket the optimum of this budget")
    x_opt = -c1 / (2 * c2)
    return IsoFlopProfile(N_opt=float(np.exp(x_opt)), L_min=float(c0 - c1**2 / (4 * c2)),
                          coefficients=(float(c0), float(c1), float(c2)))


def efficient_frontier(C: ArrayLike, L: ArrayLike) -> np.ndarray:
    """Approach 1 of Hoffmann et al. 2022 (§3.1): the lower envelope of loss against compute.

    A point is on the frontier when its loss is lower than that of every other point
    with smaller or equal compute: no cheaper (or equally cheap) run did better. Among
    exact ties the first one listed is kept.

    Returns
    -------
    ndarray of bool
        Mask in the input order; ``C[mask]`` rises and ``L[mask]`` falls.
    """
    C = positive_array("C", C)
    L = positive_array("L", L)
    if C.ndim != 1 or C.shape != L.shape:
        raise ValueError(f"C and L must be 1-D of the same length; got shapes {C.shape} and {L.shape}")
    order = np.lexsort((L, C))  # by compute, then loss
    best_before = np.concatenate([[np.inf], np.minimum.accumulate(L[order])[:-1]])
    mask = np.zeros(C.size, dtype=bool)
    mask[order] = L[order] < best_before
    return mask


def synthetic_isoflop_data(law: ChinchillaLaw = BESIROGLU_2024, budgets: ArrayLike | None = None,
                           n_points: int = 240, noise: float = 0.01, span: float = 10.0,
                           seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chinchilla-style training results drawn from a known law: the course's own data set.

    Mimics Hoffmann et al.'s IsoFLOP design (§3.2): for each compute budget C, model
    sizes log-spaced from N_opt/span to N_opt·span around the law's optimum, each
    trained on D = C/(6N) tokens; the loss is the law's value times exp(noise·z) with z
    standard normal (``noise=0.01`` is about 1% scatter).

    Parameters
    ----------
    law : ChinchillaLaw
        The true law (default: Besiroglu et al.'s refit).
    budgets : array_like, optional
        FLOP budgets; default nine log-spaced from 6e18 to 3e21, Hoffmann's range.
    n_points : int
        Total runs, shared as evenly as possible among the budgets (240: 27 or 26 each).
    noise : float
        Standard deviation of the multiplicative log-normal noise (0 for exact values).
    span : float
        How far the sizes reach on either side of N_opt, as a factor (> 1).
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    N, D, L : ndarray
    """
    if budgets is None:
        low, high = lit.HOFFMANN_2022_ISOFLOP_RANGE
        budgets = np.geomspace(low, high, lit.HOFFMANN_2022_ISOFLOP_N_BUDGETS)
    budgets = positive_array("budgets", budgets).ravel()
    n_points = positive_int("n_points", n_points, minimum=3 * budgets.size)
    noise = non_negative_number("noise", noise)
    if positive_number("span", span) <= 1:
        raise ValueError(f"span must be a finite factor above 1; got {span}")
    seed = positive_int("seed", seed, minimum=0)
    sizes = [len(part) for part in np.array_split(np.arange(n_points), budgets.size)]
    N_opt, _ = law.compute_optimal(budgets)
    N = np.concatenate([np.geomspace(n / span, n * span, k) for n, k in zip(np.atleast_1d(N_opt), sizes)])
    C = np.repeat(budgets, sizes)
    D = C / (6 * N)
    rng = np.random.default_rng(seed)
    L = law.loss(N, D) * np.exp(noise * rng.standard_normal(N.size))
    return N, D, L


# ------------------------------------------- Approaches 1 and 2 on a sweep of budgets


def compute_budgets(C: ArrayLike, rtol: float = 0.05) -> np.ndarray:
    """Label runs by compute budget: runs whose C agree within ``rtol`` share a label.

    An IsoFLOP sweep trains every size of a budget on D = C/(6N) tokens rounded to whole
    batches, so the sizes of one budget differ in C by a fraction of a percent: near-ties,
    not different budgets. Sorted by C, a run starts a new budget when its C exceeds the
    first C of the current one by more than ``rtol``.

    Returns
    -------
    ndarray of int
        0, 1, 2, … in order of increasing compute, in the input order of the runs.
    """
    C = positive_array("C", C)
    if C.ndim != 1:
        raise ValueError(f"C must be 1-D; got shape {C.shape}")
    if not (np.isfinite(rtol) and 0 <= rtol < 1):
        raise ValueError(f"rtol must be between 0 and 1; got {rtol}")
    order = np.argsort(C, kind="stable")
    labels = np.empty(C.size, dtype=int)
    label, start = -1, -np.inf
    for i in order:
        if C[i] > start * (1 + rtol):
            label, start = label + 1, C[i]
        labels[i] = label
    return labels


def budget_frontier(C: ArrayLike, L: ArrayLike, rtol: float = 0.05) -> np.ndarray:
    """The compute-efficient frontier of a sweep, one run per budget (Approach 1 with near-ties).

    :func:`efficient_frontier` compares exact costs, so in an IsoFLOP sweep a run a hair
    cheaper than the best of its budget would count as a frontier point of its own. Here
    the runs are first grouped into budgets (:func:`compute_budgets`); the best run of each
    budget is on the frontier when it beats the best of every cheaper budget.

    Returns
    -------
    ndarray of bool
        Mask in the input order.
    """
    C = positive_array("C", C)
    L = positive_array("L", L)
    if C.ndim != 1 or C.shape != L.shape:
        raise ValueError(f"C and L must be 1-D of the same length; got shapes {C.shape} and {L.shape}")
    labels = compute_budgets(C, rtol)
    mask = np.zeros(C.size, dtype=bool)
    best_so_far = np.inf
    for label in range(labels.max() + 1):
        members = np.flatnonzero(labels == label)
        best = members[np.argmin(L[members])]
        if L[best] < best_so_far:
            mask[best], best_so_far = True, L[best]
    return mask


@dataclass(frozen=True)
class IsoFlopScaling:
    """Approach 2 on a sweep: IsoFLOP parabola minima and N_opt ∝ C^a, D_opt ∝ C^b.

    Attributes
    ----------
    budgets : ndarray
        Compute C (mean 6ND of the profile's runs) of every profile used, increasing.
    N_opt, D_opt, L_min : ndarray
        Each profile's parabola minimum: size, tokens D = C/(6·N_opt) and loss.
    profiles : tuple of IsoFlopProfile
    a, b : float
        Least-squares slopes of log N_opt and log D_opt against log C. Since
        D_opt = C/(6·N_opt), b = 1 − a exactly.
    samples : dict of name -> ndarray
        ``"a"`` and ``"b"`` of every successful bootstrap resample.
    dropped : tuple of float
        Budgets left out because their parabola had no minimum inside the sizes tried.
    """

    budgets: np.ndarray
    N_opt: np.ndarray
    D_opt: np.ndarray
    L_min: np.ndarray
    profiles: tuple
    a: float
    b: float
    log_G: float
    samples: dict = field(repr=False)
    dropped: tuple = ()

    def interval(self, name: str, level: float = 0.9) -> tuple[float, float]:
        """Percentile bootstrap interval of ``"a"`` or ``"b"`` holding ``level`` of the resamples."""
        if name not in self.samples:
            raise ValueError(f"name must be one of {sorted(self.samples)}; got {name!r}")
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1; got {level}")
        low, high = np.quantile(self.samples[name], [(1 - level) / 2, (1 + level) / 2])
        return float(low), float(high)

    def N_opt_at(self, C: ArrayLike) -> np.ndarray | float:
        """The fitted N_opt = G·C^a at compute C."""
        return _scalar_or_array(np.exp(self.log_G) * positive_array("C", C) ** self.a)

    def D_opt_at(self, C: ArrayLike) -> np.ndarray | float:
        """D_opt = C/(6·N_opt(C)), the tokens of the fitted optimum."""
        C = positive_array("C", C)
        return _scalar_or_array(C / (6 * np.exp(self.log_G) * C ** self.a))


def _isoflop_minima(C: np.ndarray, N: np.ndarray, L: np.ndarray, labels: np.ndarray, min_sizes: int):
    """(budget, profile) for every budget with ≥ min_sizes sizes whose minimum lies inside its sizes."""
    kept, dropped = [], []
    for label in np.unique(labels):
        pick = labels == label
        if np.unique(N[pick]).size < min_sizes:
            continue
        budget = float(np.exp(np.log(C[pick]).mean()))
        try:
            profile = fit_isoflop_profile(N[pick], L[pick])
        except ValueError:
            dropped.append(budget)
            continue
        if not N[pick].min() <= profile.N_opt <= N[pick].max():
            dropped.append(budget)
            continue
        kept.append((budget, profile))
    return kept, dropped


def fit_isoflop_scaling(N: ArrayLike, D: ArrayLike, L: ArrayLike, *, rtol: float = 0.05, min_sizes: int = 3,
                        n_boot: int = 1000, seed: int = 0) -> IsoFlopScaling:
    """Approach 2 of Hoffmann et al. 2022 (§3.2) on a sweep of IsoFLOP budgets, with intervals.

    1. Runs are grouped into budgets by C = 6ND (:func:`compute_budgets`); runs with equal
       N and D (seeds of one configuration) are averaged.
    2. Each budget with at least ``min_sizes`` sizes gets a parabola in ln N
       (:func:`fit_isoflop_profile`); its minimum is (N_opt, L_min), kept when it lies
       inside the sizes tried (a minimum outside them is an extrapolation).
    3. log N_opt and log D_opt = log(C/(6 N_opt)) are fitted by least squares against log C:
       N_opt ∝ C^a, D_opt ∝ C^b (Hoffmann et al. 2022, Table 2, Approach 2).

    Intervals: a two-level bootstrap with ``numpy.random.default_rng(seed)``. Each resample
    draws the budgets with replacement and, inside each drawn budget, the runs of each
    configuration (its seeds) with replacement, then repeats steps 1–3. Resamples with
    fewer than two distinct budgets are skipped.

    Parameters
    ----------
    N, D, L : array_like
        Parameters, tokens and loss of every run (one row per run and seed).

    Raises
    ------
    ValueError
        Fewer than two budgets with a bracketed minimum.
    """
    N, D, L = positive_array("N", N), positive_array("D", D), positive_array("L", L)
    if not N.ndim == D.ndim == L.ndim == 1 or not N.size == D.size == L.size:
        raise ValueError(f"N, D and L must be 1-D of the same length; got shapes {N.shape}, {D.shape}, {L.shape}")
    if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer; got {n_boot!r}")
    C = 6 * N * D
    labels = compute_budgets(C, rtol)
    # configurations: same N and D; their runs are the seeds
    keys = np.unique(np.column_stack([N, D]), axis=0, return_inverse=True)[1].ravel()

    def one(rows: np.ndarray, relabel: np.ndarray):
        key = relabel * (keys.max() + 1) + keys[rows]
        uniq, inverse = np.unique(key, return_inverse=True)
        count = np.bincount(inverse)
        mean = lambda v: np.bincount(inverse, weights=v[rows]) / count  # noqa: E731
        first = np.unique(inverse, return_index=True)[1]
        kept, dropped = _isoflop_minima(mean(C), N[rows][first], mean(L), relabel[first], min_sizes)
        return kept, dropped

    def slopes(kept):
        budgets = np.array([b for b, _ in kept])
        n_opt = np.array([p.N_opt for _, p in kept])
        if np.unique(budgets).size < 2:
            return None
        a, log_G = np.polyfit(np.log(budgets), np.log(n_opt), 1)
        b = np.polyfit(np.log(budgets), np.log(budgets / (6 * n_opt)), 1)[0]
        return a, b, log_G, budgets, n_opt

    all_rows = np.arange(N.size)
    kept, dropped = one(all_rows, labels)
    kept.sort(key=lambda item: item[0])
    fitted = slopes(kept)
    if fitted is None:
        raise ValueError(f"need at least two budgets whose IsoFLOP parabola has a minimum inside the sizes tried; "
                         f"got {len(kept)} (budgets dropped: {[f'{b:.3g}' for b in dropped]})")
    a, b, log_G, budgets, n_opt = fitted
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(labels == k) for k in range(labels.max() + 1)]
    samples: dict[str, list[float]] = {"a": [], "b": []}
    for _ in range(n_boot):
        rows, relabel = [], []
        for new, k in enumerate(rng.integers(0, len(groups), size=len(groups))):
            members = groups[k]
            for config in np.unique(keys[members]):
                runs = members[keys[members] == config]
                rows.append(rng.choice(runs, size=runs.size, replace=True))
                relabel.append(np.full(runs.size, new))
        rows_arr, relabel_arr = np.concatenate(rows), np.concatenate(relabel)
        result = slopes(one(rows_arr, relabel_arr)[0])
        if result is not None:
            samples["a"].append(result[0])
            samples["b"].append(result[1])
    return IsoFlopScaling(budgets=budgets, N_opt=n_opt, D_opt=budgets / (6 * n_opt),
                          L_min=np.array([p.L_min for _, p in kept]), profiles=tuple(p for _, p in kept),
                          a=float(a), b=float(b), log_G=float(log_G),
                          samples={k: np.array(v) for k, v in samples.items()}, dropped=tuple(dropped))


# ------------------------------------------------------------ Kaplan et al. 2020
#
# Kaplan's N counts non-embedding parameters, his losses come from WebText2 with a
# GPT-2 tokenizer, and his compute law is in PF-days: do not mix these numbers with the
# Chinchilla laws above.


def _kaplan_single(law: lit.KaplanSingleLaw, name: str, X: ArrayLike) -> np.ndarray | float:
    return _scalar_or_array((law.scale / positive_array(name, X)) ** law.alpha)


def kaplan_loss_of_params(N: ArrayLike) -> np.ndarray | float:
    """L(N) = (N_c/N)^α_N, α_N = 0.076, N_c = 8.8e13 (Kaplan et al. 2020, eq. 1.1).

    For models trained to convergence on enough data; N = non-embedding parameters.
    Doubling N multiplies the loss by 2^(−0.076) ≈ 0.949.
    """
    return _kaplan_single(lit.KAPLAN_2020_L_OF_N, "N", N)


def kaplan_loss_of_tokens(D: ArrayLike) -> np.ndarray | float:
    """L(D) = (D_c/D)^α_D, α_D = 0.095, D_c = 5.4e13 tokens (Kaplan et al. 2020, eq. 1.2)."""
    return _kaplan_single(lit.KAPLAN_2020_L_OF_D, "D", D)


def kaplan_loss_of_compute(C_pf_days: ArrayLike) -> np.ndarray | float:
    """L(C_min) = (C_c/C_min)^0.050, C_c = 3.1e8 PF-days (Kaplan et al. 2020, eq. 1.3).

    Compute is in PF-days (1 PF-day = 8.64e19 FLOP), with optimal allocation.
    """
    return _kaplan_single(lit.KAPLAN_2020_L_OF_CMIN, "C_pf_days", C_pf_days)


def kaplan_joint_loss(N: ArrayLike, D: ArrayLike) -> np.ndarray | float:
    """L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D (Kaplan et al. 2020, eq. 1.5).

    With its own fitted constants (Table 2): α_N = 0.076, α_D = 0.103, N_c = 6.4e13,
    D_c = 1.8e13 — not the single-variable ones.
    """
    k = lit.KAPLAN_2020_JOINT
    N, D = positive_array("N", N), positive_array("D", D)
    return _scalar_or_array(((k["N_c"] / N) ** (k["alpha_N"] / k["alpha_D"]) + k["D_c"] / D) ** k["alpha_D"])


def kaplan_allocation(C_flops: ArrayLike) -> np.ndarray | float:
    """Kaplan's compute-efficient model size N = 1.3e9 · C^0.73, C in PF-days (Table 6, §6.1).

    Takes compute in FLOP and converts it (1 PF-day = 8.64e19 FLOP). Kaplan found the
    optimal size grows about 5× per 10× compute; Hoffmann et al. found about 3.2×
    (a ≈ 0.5).
    """
    k = lit.KAPLAN_2020_ALLOCATION
    C = positive_array("C_flops", C_flops)
    return _scalar_or_array(k["N_coefficient"] * (C / lit.PF_DAY) ** k["N_exponent"])


def kaplan_joint_compute_optimal(C_flops: ArrayLike) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Minimise Kaplan's joint law L(N, D) subject to C = 6·N·D, numerically.

    With p = α_N/α_D and D = C/(6N), L = [(N_c/N)^p + 6·D_c·N/C]^α_D, which is an
    increasing function of u(N) = (N_c/N)^p + 6·D_c·N/C. Setting du/dN = 0,

        −p·N_c^p·N^(−p−1) + 6·D_c/C = 0  ⇒  N^(1+p) = p·N_c^p·C/(6·D_c),

    so N_opt ∝ C^(1/(1+p)) = C^(α_D/(α_N+α_D)) = C^(0.103/0.179) ≈ C^0.575 and
    D_opt ∝ C^0.425. That is much nearer Chinchilla's 0.5 than Kaplan's own 0.73, which
    came from stopping large models early (the L(N, S) frontier of §6), not from this law.

    The minimum is found with a bounded scalar search over log N for each C (u is convex
    in log N, so there is one minimum); the closed form above is what the tests check.

    Returns
    -------
    N_opt, D_opt : ndarray or float
    """
    C = positive_array("C_flops", C_flops)

    def one(c: float) -> float:
        upper = np.log(c / 6)  # D >= 1 token
        result = minimize_scalar(lambda x: kaplan_joint_loss(np.exp(x), c / (6 * np.exp(x))),
                                 bounds=(0.0, upper), method="bounded", options=dict(xatol=1e-10))
        return float(np.exp(result.x))

    N_opt = np.vectorize(one, otypes=[float])(C)
    return _scalar_or_array(N_opt), _scalar_or_array(C / (6 * N_opt))


def kaplan_joint_exponent(C_low: float = 1e20, C_high: float = 1e24) -> float:
    """Slope d log N_opt / d log C of Kaplan's own joint law minimised under C = 6ND.

    Measured between two budgets from :func:`kaplan_joint_compute_optimal`; it is
    α_D/(α_N + α_D) = 0.103/0.179 ≈ 0.575 (Kaplan et al. 2020, eq. 1.5, Table 2), not the
    0.73 of his published allocation.
    """
    (N_low, N_high), _ = kaplan_joint_compute_optimal(np.array([C_low, C_high]))
    return float(np.log(N_high / N_low) / np.log(C_high / C_low))
