"""How much text there is, what repeating it is worth, and when growing datasets run out.

Three ideas, each a few lines of arithmetic:

* **Repeated data** (Muennighoff et al. 2023, "Scaling Data-Constrained Language Models",
  arXiv:2305.16264). Training for R_D = D/U − 1 extra epochs over U unique tokens is worth
  as much as D' = U + U·R*·(1 − exp(−R_D/R*)) fresh tokens, with R* = 15.39 fitted on
  their C4 runs. Up to about 4 epochs repeated tokens are almost as good as new ones;
  D' can never exceed (1 + R*)·U, about 16 times the unique data.
* **Exhaustion** (Villalobos et al. 2024, "Will we run out of data?", arXiv:2211.04325v2).
  If the largest training set grows by a factor g per year from D_now, it reaches a stock S
  after log(S/D_now)/log(g) years. Their effective stock of public human text is about
  3e14 tokens (90% interval 1e14–1e15).
* **Inference-aware sizing** (Sardana et al. 2023, "Beyond Chinchilla-Optimal",
  arXiv:2401.00448). Over a model's life, training costs 6·N·D_train FLOPs and serving
  costs about 2·N per generated or read token, so heavy use favours a smaller model
  trained on more tokens to reach the same loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq, minimize_scalar

from course_utils.compute import check_positive
from course_utils.literature import (
    MUENNIGHOFF_2023_R_D_STAR, VILLALOBOS_2024_STOCK_INTERVAL, VILLALOBOS_2024_STOCK_TOKENS,
)

__all__ = [
    "effective_data", "repeated_data_value", "data_exhaustion_year", "exhaustion_interval",
    "lifetime_flops", "InferenceOptimum", "inference_optimal_size",
]


def _non_negative(name: str, value: ArrayLike) -> np.ndarray:
    if isinstance(value, (str, bytes, bool)):
        raise ValueError(f"{name} must be a number >= 0; got {value!r}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number >= 0; got {value!r}") from None
    if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be finite and >= 0; got {value!r}")
    return array


def _out(array: np.ndarray):
    return float(array) if array.ndim == 0 else array


# ------------------------------------------------------------- repeated data


def effective_data(unique_tokens: ArrayLike, total_tokens: ArrayLike, r_star: float = MUENNIGHOFF_2023_R_D_STAR):
    """Fresh-data equivalent of training on ``total_tokens`` drawn from ``unique_tokens``.

    D' = U + U · R* · (1 − exp(−R_D / R*)), R_D = max(D/U − 1, 0)
    (Muennighoff et al. 2023, eq. 5). When D ≤ U nothing repeats and D' = D.

    Parameters
    ----------
    unique_tokens : float or array
        U, the number of distinct tokens available.
    total_tokens : float or array
        D, tokens processed in training (epochs × U).
    r_star : float
        R_D*, the repetition "half-life" constant. The default is the fitted value
        15.387756 from the authors' datablations repository (the paper rounds it to 15.4).

    Returns
    -------
    float or ndarray
        D', in tokens.
    """
    unique = check_positive("unique_tokens", unique_tokens)
    total = check_positive("total_tokens", total_tokens)
    r_star = float(check_positive("r_star", r_star))
    repeats = np.maximum(total / unique - 1.0, 0.0)
    effective = unique + unique * r_star * (1.0 - np.exp(-repeats / r_star))
    return _out(np.where(total <= unique, total, effective))


def repeated_data_value(epochs: ArrayLike, r_star: float = MUENNIGHOFF_2023_R_D_STAR):
    """Worth of a repeated token relative to a fresh one: D' / (epochs · U).

    With R* = 15.39 (Muennighoff et al. 2023): 2 epochs → 0.984, 4 → 0.931,
    16 → 0.661, 100 → 0.164. One epoch or less is worth 1.
    """
    epochs = check_positive("epochs", epochs)
    return _out(np.asarray(effective_data(1.0, epochs, r_star)) / epochs)


# ---------------------------------------------------------------- exhaustion


def data_exhaustion_year(dataset_tokens_now: float, year_now: float, growth_per_year: float,
                         stock_tokens: float = VILLALOBOS_2024_STOCK_TOKENS) -> float:
    """Year when a dataset growing ×``growth_per_year`` reaches ``stock_tokens``.

    year = year_now + log(stock / dataset_now) / log(growth).

    Parameters
    ----------
    dataset_tokens_now : float
        Size of the largest training set at ``year_now`` (e.g. Llama 3's 15T tokens in
        April 2024, ``literature.LLAMA3_TRAINING_TOKENS``).
    year_now : float
        Decimal year of that dataset (see :func:`course_utils.trends.decimal_year`).
    growth_per_year : float
        Yearly growth factor of training sets, > 1 (e.g. Epoch AI's 3.7×, June 2024).
    stock_tokens : float
        Tokens available. Default: Villalobos et al. 2024's effective stock of public
        human text, 3e14.

    Returns
    -------
    float
        Decimal year; earlier than ``year_now`` if the stock is already smaller.
    """
    now = float(check_positive("dataset_tokens_now", dataset_tokens_now))
    stock = float(check_positive("stock_tokens", stock_tokens))
    growth = float(check_positive("growth_per_year", growth_per_year))
    if growth <= 1.0:
        raise ValueError(f"growth_per_year must be > 1 for the dataset to reach the stock; got {growth_per_year!r}")
    if isinstance(year_now, bool) or not isinstance(year_now, (int, float)) or not math.isfinite(year_now):
        raise ValueError(f"year_now must be a finite number (a decimal year); got {year_now!r}")
    return float(year_now) + math.log(stock / now) / math.log(growth)


def exhaustion_interval(dataset_tokens_now: float, year_now: float, growth_per_year: float,
                        stock_interval: tuple[float, float] = VILLALOBOS_2024_STOCK_INTERVAL,
                        ) -> tuple[float, float]:
    """Exhaustion years at the low and high ends of a stock interval (default: Villalobos
    et al. 2024's 90% interval, 1e14–1e15 tokens). Only the stock's uncertainty is
    propagated; the growth rate is taken as exact."""
    low, high = stock_interval
    return (data_exhaustion_year(dataset_tokens_now, year_now, growth_per_year, low),
            data_exhaustion_year(dataset_tokens_now, year_now, growth_per_year, high))


# ------------------------------------------------------- inference-aware sizing


def lifetime_flops(N: ArrayLike, D_train: ArrayLike, inference_tokens: ArrayLike):
    """Training plus inference compute: 6·N·D_train + 2·N·D_inference.

    Training costs 6N FLOPs per token (Kaplan et al. 2020, §2.1); a forward pass at
    inference costs 2N per token (Sardana et al. 2023, §2).
    """
    n = check_positive("N", N)
    d_train = check_positive("D_train", D_train)
    d_inference = _non_negative("inference_tokens", inference_tokens)
    return _out(6.0 * n * d_train + 2.0 * n * d_inference)


@dataclass(frozen=True)
class InferenceOptimum:
    """The model that reaches a target loss for the least lifetime compute."""

    N: float
    D_train: float
    target_loss: float
    inference_tokens: float
    training_flops: float
    inference_flops: float

    @property
    def total_flops(self) -> float:
        return self.training_flops + self.inference_flops

    @property
    def tokens_per_parameter(self) -> float:
        return self.D_train / self.N


_D_RANGE = (1e3, 1e18)  # training tokens searched: far outside any real run at both ends


def _tokens_for_loss(loss: Callable[[float, float], float], N: float, target: float) -> float | None:
    """Training tokens at which ``loss(N, D)`` equals ``target`` (None if out of reach)."""
    def gap(log_d: float) -> float:
        return float(loss(N, math.exp(log_d))) - target

    low, high = math.log(_D_RANGE[0]), math.log(_D_RANGE[1])
    if gap(high) > 0:
        return None  # even a huge dataset cannot bring this model to the target
    if gap(low) <= 0:
        return _D_RANGE[0]
    return math.exp(brentq(gap, low, high, xtol=1e-12, rtol=1e-12))


def inference_optimal_size(loss: Callable[[float, float], float], target_loss: float,
                           inference_tokens: float, N_range: tuple[float, float] = (1e6, 1e14),
                           ) -> InferenceOptimum:
    """The model size N (and tokens D) reaching ``target_loss`` at the least lifetime FLOPs.

    Minimises 6·N·D(N) + 2·N·D_inf over N, where D(N) solves loss(N, D) = target_loss
    (Sardana et al. 2023's inference-aware objective, written for any loss law). With no
    inference this is the compute-optimal model for that loss.

    Parameters
    ----------
    loss : callable
        ``loss(N, D) -> float``, decreasing in both N and D, e.g.
        ``ChinchillaLaw(...).loss``.
    target_loss : float
        Loss to reach, nats per token.
    inference_tokens : float
        Tokens processed at inference over the model's life (≥ 0).
    N_range : (float, float)
        Model sizes searched.

    Raises
    ------
    ValueError
        If no model in ``N_range`` can reach ``target_loss`` (for a law with an irreducible
        term E, any target at or below E).
    """
    if not callable(loss):
        raise ValueError(f"loss must be a callable loss(N, D); got {type(loss).__name__}")
    target = float(check_positive("target_loss", target_loss))
    d_inference = float(_non_negative("inference_tokens", inference_tokens))
    n_low, n_high = (float(v) for v in check_positive("N_range", N_range))
    if not n_low < n_high:
        raise ValueError(f"N_range must be (low, high) with low < high; got {N_range!r}")

    def total(log_n: float) -> float:
        n = math.exp(log_n)
        d = _tokens_for_loss(loss, n, target)
        return math.inf if d is None else 6.0 * n * d + 2.0 * n * d_inference

    grid = np.linspace(math.log(n_low), math.log(n_high), 241)
    costs = np.array([total(g) for g in grid])
    if not np.isfinite(costs).any():
        raise ValueError(f"no model with N in {N_range} reaches target_loss={target}: is it below the law's floor?")
    best = int(np.argmin(costs))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    refined = minimize_scalar(total, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    log_n = refined.x if refined.fun <= costs[best] else grid[best]
    n = math.exp(log_n)
    d = _tokens_for_loss(loss, n, target)
    return InferenceOptimum(N=n, D_train=d, target_loss=target, inference_tokens=d_inference,
                            training_flops=6.0 * n * d, inference_flops=2.0 * n * d_inference)
