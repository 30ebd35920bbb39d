"""Precision-aware scaling: training in fewer bits acts like having fewer parameters.

Kumar et al. 2024 ("Scaling Laws for Precision", arXiv:2411.04330, ICLR 2025) fit

    L(N, D, P) = A·N_eff^(−α) + B·D^(−α) + E,
    N_eff = N · ∏_x (1 − exp(−P_x / γ_x + n_x)),  x ∈ {weights, activations, KV cache},

with α = β tied and a small offset n_x inside each exponential (their §4.2, Finding 2,
and App. K, Table 2). Compute grows linearly with the bits: C = (6/16)·N·D·P (their
eq. 5). With α = β, the best loss a budget C buys at precision P is

    L*(C, P) = E + 2·√(A·B) · (k·P / (C·f(P)))^(α/2),   k = 6/16,  f = N_eff / N,

so the compute-optimal precision maximises f(P)/P, whatever the budget: the paper's
"compute-optimal precision is in general independent of compute" (§4.3.2), "around 7-8
bits" for their integer-quantisation fit. Used in lesson 06 and exercise 6.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize_scalar

from course_utils._validation import positive_array

__all__ = ["effective_parameter_fraction", "lowest_precision", "compute_optimal_precision",
           "loss_at_precision"]

#: Compute per parameter per token at P bits, relative to 6 FLOPs at 16 bits (Kumar et al. eq. 5).
COST_PER_BIT = 6.0 / 16.0


def _parts(gammas: Mapping[str, float] | ArrayLike, offsets: Mapping[str, float] | ArrayLike | None
           ) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(gammas, Mapping):
        names = list(gammas)
        gamma = np.array([gammas[name] for name in names], dtype=float)
        if offsets is None:
            offset = np.zeros_like(gamma)
        elif isinstance(offsets, Mapping):
            if set(offsets) != set(names):
                raise ValueError(f"offsets must name the same parts as gammas ({names}); got {list(offsets)}")
            offset = np.array([offsets[name] for name in names], dtype=float)
        else:
            raise ValueError("give offsets as a mapping when gammas is one")
    else:
        gamma = np.atleast_1d(np.asarray(gammas, dtype=float))
        offset = np.zeros_like(gamma) if offsets is None else np.atleast_1d(np.asarray(offsets, dtype=float))
    if gamma.ndim != 1 or gamma.size == 0 or offset.shape != gamma.shape:
        raise ValueError(f"gammas and offsets must be non-empty and of equal length; got {gamma.shape} and {offset.shape}")
    positive_array("gammas", gamma)
    if not np.all(np.isfinite(offset)):
        raise ValueError(f"offsets must be finite; got {offsets!r}")
    return gamma, offset


def lowest_precision(gammas: Mapping[str, float] | ArrayLike,
                     offsets: Mapping[str, float] | ArrayLike | None = None) -> float:
    """The precision below which the fit gives a non-positive factor: max over parts of n_x·γ_x
    (0 without offsets). The fit is meaningless there."""
    gamma, offset = _parts(gammas, offsets)
    return float(max(0.0, np.max(offset * gamma)))


def effective_parameter_fraction(precision_bits: ArrayLike, gammas: Mapping[str, float] | ArrayLike,
                                 offsets: Mapping[str, float] | ArrayLike | None = None):
    """N_eff / N = ∏_x (1 − exp(−P/γ_x + n_x)) when every part is trained at P bits.

    Parameters
    ----------
    precision_bits : float or array
        P, the training precision in bits, above :func:`lowest_precision`.
    gammas : mapping or array
        γ_x for each quantised part (e.g. ``KUMAR_2024_FIT["gamma"]``).
    offsets : mapping or array, optional
        n_x for each part (Kumar et al. App. K); zero when omitted.

    Returns
    -------
    float or ndarray
        The fraction of parameters that "count", in (0, 1).
    """
    p = positive_array("precision_bits", precision_bits)
    gamma, offset = _parts(gammas, offsets)
    floor = lowest_precision(gamma, offset)
    if np.any(p <= floor):
        raise ValueError(f"precision_bits must exceed {floor:.3g} bits, where this fit's factor reaches 0; "
                         f"got {precision_bits!r}")
    factors = 1.0 - np.exp(-p[..., None] / gamma + offset)
    fraction = np.prod(factors, axis=-1)
    return float(fraction) if fraction.ndim == 0 else fraction


def compute_optimal_precision(gammas: Mapping[str, float] | ArrayLike,
                              offsets: Mapping[str, float] | ArrayLike | None = None,
                              max_bits: float = 32.0) -> float:
    """Training precision that buys the lowest loss per FLOP: the P maximising f(P) / P.

    With α = β and C ∝ N·D·P, the compute-optimal loss depends on P only through
    f(P)/P, f = N_eff/N (see the module docstring), so P* does not depend on the budget.

    Parameters
    ----------
    gammas, offsets
        As in :func:`effective_parameter_fraction`.
    max_bits : float
        Upper end of the search (default 32).

    Returns
    -------
    float
        P* in bits. Kumar et al.'s fitted constants (App. K, Table 2) give 7.0 bits,
        their "around 7-8 bits" (§4.3.2).

    Raises
    ------
    ValueError
        If f(P)/P has no maximum inside the search interval (for instance a single part
        without offset, whose f(P)/P only falls with P).
    """
    gamma, offset = _parts(gammas, offsets)
    low = lowest_precision(gamma, offset)
    high = float(positive_array("max_bits", max_bits))
    if not high > low:
        raise ValueError(f"max_bits must exceed {low:.3g}; got {max_bits!r}")

    def negative_log_value(p: float) -> float:
        factors = 1.0 - np.exp(-p / gamma + offset)
        if np.any(factors <= 0):
            return math.inf
        return -(float(np.sum(np.log(factors))) - math.log(p))

    start = low + 1e-9 * max(1.0, low)
    result = minimize_scalar(negative_log_value, bounds=(start, high), method="bounded",
                             options={"xatol": 1e-10})
    best = float(result.x)
    if best < start + 1e-6 * (high - start) or best > high - 1e-6 * (high - start):
        raise ValueError(f"f(P)/P has no interior maximum between {start:.3g} and {high:.3g} bits "
                         "for these constants")
    return best


def loss_at_precision(compute: ArrayLike, precision_bits: ArrayLike, fit: Mapping) -> np.ndarray | float:
    """Lowest loss a training budget buys at a given precision (Kumar et al.'s law, α = β).

    L*(C, P) = E + 2·√(A·B) · ((6/16)·P / (C·f(P)))^(α/2), the loss of the best split of
    C = (6/16)·N·D·P between N and D.

    Parameters
    ----------
    compute : float or array
        C in FLOPs.
    precision_bits : float or array
        P in bits (broadcast against ``compute``).
    fit : mapping
        Keys ``A``, ``B``, ``E``, ``alpha``, ``gamma`` and optionally ``offset``, as in
        ``literature.KUMAR_2024_FIT``.

    Returns
    -------
    float or ndarray
        Loss in the units of the fit (nats per token on their Dolma validation set).
    """
    c = positive_array("compute", compute)
    p = positive_array("precision_bits", precision_bits)
    try:
        A, B, E, alpha = (float(fit[key]) for key in ("A", "B", "E", "alpha"))
        gammas, offsets = fit["gamma"], fit.get("offset")
    except (KeyError, TypeError, ValueError):
        raise ValueError("fit needs keys A, B, E, alpha, gamma (and optionally offset)") from None
    c, p = np.broadcast_arrays(c, p)
    fraction = np.asarray(effective_parameter_fraction(p, gammas, offsets))
    loss = E + 2.0 * math.sqrt(A * B) * (COST_PER_BIT * p / (c * fraction)) ** (alpha / 2.0)
    return float(loss) if loss.ndim == 0 else loss
