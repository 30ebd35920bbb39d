"""How much text there is, what repeating it is worth, and when growing datasets run out.

Three ideas, each a few lines of arithmetic:

* **Repeated data** (Muennighoff et al. 2023, "Scaling Data-Constrained Language Models",
  arXiv:2305.16264). Training for R_D = D/U − 1 extra epochs over U unique tokens is worth
  as much as D' = U + U·R*·(1 − exp(−R_D/R*)) fresh tokens, with R* = 15.39 fitted on
  their C4 runs. Up to about 4 epochs repeated tokens are almost as good as new ones;
  D' can never exceed (1 + R*)·U, about 16 times the unique data. R* is an e-folding
  constant, not a half-life.
* **Exhaustion** (Villalobos et al. 2024, "Will we run out of data?", arXiv:2211.04325v2).
  If the largest training set grows by a factor g per year from D_now, it reaches a stock S
  after log(S/D_now)/log(g) years. Their effective stock of public human text is about
  3e14 tokens (90% interval 1e14–1e15). "Effective" means it already allows for training
  on it for several epochs, so repeating it again would count repetition twice.
  Repeating a stock of *unique* text k times stretches it by D'/U and postpones its
  exhaustion by log(D'/U)/log(g) years: about one year for 4 epochs at 3.7× per year.
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

from course_utils._validation import (
    finite_number, non_negative_array, non_negative_number, positive_array, positive_number,
)
from course_utils.literature import (
    EPOCH_2024_DATASET_GROWTH_PER_YEAR, LLAMA3_RELEASE_DATE, LLAMA3_TRAINING_TOKENS, MUENNIGHOFF_2023_R_D_STAR,
    VILLALOBOS_2024_STOCK_INTERVAL, VILLALOBOS_2024_STOCK_TOKENS,
)
from course_utils.trends import decimal_year

__all__ = [
    "effective_data", "repeated_data_value", "data_exhaustion_year", "exhaustion_interval",
    "lifetime_flops", "InferenceOptimum", "inference_optimal_size", "years_bought_by_repetition",
    "DataLimitsSummary", "data_limits_summary",
]


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
        R_D*, the e-folding constant of repetition: after R_D* repeated epochs the value
        still to be gained from repeating has fallen by a factor e (not 2, so it is not a
        half-life). The default is the fitted value 15.387756 from the authors'
        datablations repository (the paper rounds it to 15.4).

    Returns
    -------
    float or ndarray
        D', in tokens.
    """
    unique = positive_array("unique_tokens", unique_tokens)
    total = positive_array("total_tokens", total_tokens)
    r_star = positive_number("r_star", r_star)
    repeats = np.maximum(total / unique - 1.0, 0.0)
    effective = unique + unique * r_star * (1.0 - np.exp(-repeats / r_star))
    return _out(np.where(total <= unique, total, effective))


def repeated_data_value(epochs: ArrayLike, r_star: float = MUENNIGHOFF_2023_R_D_STAR):
    """Worth of a repeated token relative to a fresh one: D' / (epochs · U).

    With R* = 15.39 (Muennighoff et al. 2023): 2 epochs → 0.984, 4 → 0.931,
    16 → 0.661, 100 → 0.164. One epoch or less is worth 1.
    """
    epochs = positive_array("epochs", epochs)
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
    now = positive_number("dataset_tokens_now", dataset_tokens_now)
    stock = positive_number("stock_tokens", stock_tokens)
    growth = positive_number("growth_per_year", growth_per_year)
    if growth <= 1.0:
        raise ValueError(f"growth_per_year must be > 1 for the dataset to reach the stock; got {growth_per_year!r}")
    year_now = finite_number("year_now", year_now)
    return year_now + math.log(stock / now) / math.log(growth)


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
    n = positive_array("N", N)
    d_train = positive_array("D_train", D_train)
    d_inference = non_negative_array("inference_tokens", inference_tokens)
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
    target = positive_number("target_loss", target_loss)
    d_inference = non_negative_number("inference_tokens", inference_tokens)
    n_low, n_high = (float(v) for v in positive_array("N_range", N_range))
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



def years_bought_by_repetition(epochs: float, growth_per_year: float,
                               r_star: float = MUENNIGHOFF_2023_R_D_STAR) -> float:
    """Years by which repeating a stock of unique text ``epochs`` times postpones its exhaustion.

    Repetition stretches the stock U to D' = effective_data(U, epochs·U) (Muennighoff et al.
    2023, eq. 5); a training set growing ×g per year needs log(D'/U)/log(g) more years to
    reach it. With R_D* = 15.39, 4 epochs at Epoch AI's 3.7× per year (June 2024) buy
    log(3.73)/log(3.7) ≈ 1.0 year; even the ceiling D'/U = 1 + R_D* = 16.4 buys only
    log(16.4)/log(3.7) ≈ 2.1 years.
    """
    growth = positive_number("growth_per_year", growth_per_year)
    if growth <= 1.0:
        raise ValueError(f"growth_per_year must be > 1; got {growth_per_year!r}")
    stretch = float(effective_data(1.0, positive_number("epochs", epochs), r_star))
    return math.log(stretch) / math.log(growth)


@dataclass(frozen=True)
class DataLimitsSummary:
    """When a growing training set uses up a stock of text, and what repeating it buys.

    ``exhaustion_year_one_pass`` uses each token of the stock once;
    ``exhaustion_year_effective`` allows ``epochs`` passes, valued by Muennighoff et al.'s
    effective-data formula. ``years`` and ``dataset_tokens`` trace the largest training set
    growing from ``dataset_tokens_now`` in ``year_now`` by ``growth_per_year``. Used by the
    data-limits explorer (lesson 05).
    """

    stock_tokens: float
    epochs: float
    growth_per_year: float
    effective_tokens: float
    value_per_token: float
    exhaustion_year_one_pass: float
    exhaustion_year_effective: float
    dataset_tokens_now: float
    year_now: float
    years: np.ndarray
    dataset_tokens: np.ndarray

    @property
    def years_gained(self) -> float:
        """How much later the stock runs out with repetition than without."""
        return self.exhaustion_year_effective - self.exhaustion_year_one_pass

    @property
    def counts_repetition_twice(self) -> bool:
        """True when Villalobos et al.'s effective stock (which already allows for several
        epochs) is repeated again."""
        return self.epochs > 1 and math.isclose(self.stock_tokens, VILLALOBOS_2024_STOCK_TOKENS)


def data_limits_summary(stock_tokens: float = VILLALOBOS_2024_STOCK_TOKENS, epochs: float = 1.0,
                        growth_per_year: float = EPOCH_2024_DATASET_GROWTH_PER_YEAR,
                        dataset_tokens_now: float = LLAMA3_TRAINING_TOKENS,
                        year_now: float | None = None) -> DataLimitsSummary:
    """The year a growing training set reaches a stock of text, with and without repetition.

    The year is year_now + log(S/D_now)/log(g) (:func:`data_exhaustion_year`), for the
    stock S itself and for the stock stretched by ``epochs`` passes,
    D' = effective_data(S, epochs·S) (Muennighoff et al. 2023, eq. 5).

    Parameters
    ----------
    stock_tokens : float
        Tokens available. Default: Villalobos et al. 2024's effective stock of public human
        text, 3e14, which already allows for training on it for several epochs: keep
        ``epochs=1`` with it. Repeat (``epochs`` > 1) only a stock of unique tokens.
    epochs : float
        Passes over the stock, ≥ 1.
    growth_per_year : float
        Yearly growth factor of the largest training sets, > 1 (Epoch AI: 3.7, June 2024).
    dataset_tokens_now, year_now : float
        Starting point; default Llama 3's 15T tokens on its release date (18 April 2024).
    """
    stock = positive_number("stock_tokens", stock_tokens)
    epochs = positive_number("epochs", epochs)
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1 (one pass over the stock); got {epochs!r}")
    growth = positive_number("growth_per_year", growth_per_year)
    start = decimal_year(LLAMA3_RELEASE_DATE) if year_now is None else finite_number("year_now", year_now)
    now = positive_number("dataset_tokens_now", dataset_tokens_now)
    effective = float(effective_data(stock, epochs * stock))
    year_one_pass = data_exhaustion_year(now, start, growth, stock)
    year_effective = data_exhaustion_year(now, start, growth, effective)
    years = np.linspace(min(start, year_one_pass) - 1, max(start, year_effective) + 2, 200)
    return DataLimitsSummary(
        stock_tokens=stock, epochs=epochs, growth_per_year=growth, effective_tokens=effective,
        value_per_token=float(repeated_data_value(epochs)), exhaustion_year_one_pass=year_one_pass,
        exhaustion_year_effective=year_effective, dataset_tokens_now=now, year_now=start, years=years,
        dataset_tokens=now * growth ** (years - start))
