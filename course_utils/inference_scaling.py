"""Scaling compute at test time: repeated sampling, coverage, and FLOPs-matched comparisons.

Three ideas, each a line of probability or arithmetic:

* **pass@k** (Chen et al. 2021, "Evaluating Large Language Models Trained on Code",
  arXiv:2107.03374, §2.1, eq. 1). From n samples of which c are correct, the unbiased
  estimate of the chance that k samples contain at least one correct answer is
  1 − C(n−c, k) / C(n, k). Brown et al. 2024 ("Large Language Monkeys",
  arXiv:2407.21787) call its average over problems the **coverage**.
* **Coverage from a spread of difficulties.** A problem solved by one sample with
  probability p is solved by k samples with probability 1 − (1 − p)^k. Averaged over
  problems whose p follows a Beta(a, b) distribution, the expected failure rate is
  B(a, b + k) / B(a, b), which falls as a power law k^(−a) for large k: many problems
  with tiny p make coverage grow slowly, the mechanism Schaeffer et al. 2025 ("How Do
  Large Language Monkeys Get Their Power (Laws)?", ICML 2025) identify.
* **FLOPs-matched comparisons.** A model with N parameters costs 6·N·D_pre to train and
  2·N per token at inference. Giving a smaller model the compute of one M times larger
  lets it spend M + 3·(M − 1)·D_pre / D_inf times the inference tokens (derived in
  :func:`flops_matched_inference_factor`).

Used in lesson 06 (test-time compute) and exercise 6.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq
from scipy.special import betaln

from course_utils._validation import positive_array

__all__ = ["pass_at_k", "coverage", "beta_coverage", "fit_beta_coverage", "flops_matched_inference_factor"]


def _counts(name: str, value: ArrayLike, minimum: int) -> np.ndarray:
    """``value`` as an integer array; ValueError unless every entry is a whole number >= minimum."""
    if isinstance(value, (str, bytes, bool)):
        raise ValueError(f"{name} must be a whole number, not {type(value).__name__}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number or an array of them; got {value!r}") from None
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
        raise ValueError(f"{name} must hold whole numbers; got {value!r}")
    if np.any(array < minimum):
        raise ValueError(f"{name} must be >= {minimum}; got {value!r}")
    return array.astype(np.int64)


def _out(array: np.ndarray):
    return float(array) if array.ndim == 0 else array


def pass_at_k(n: ArrayLike, c: ArrayLike, k: ArrayLike):
    """Unbiased estimate of the chance that k of n samples include a correct one.

    pass@k = 1 − C(n − c, k) / C(n, k), which is 1 when n − c < k. Computed as
    1 − ∏_{i=n−c+1}^{n} (1 − k / i), a product of c terms that never overflows
    (Chen et al. 2021, §2.1, eq. 1 and their numerically stable form).

    Parameters
    ----------
    n : int or array of int
        Samples drawn per problem (>= 1).
    c : int or array of int
        Correct samples among them (0 <= c <= n).
    k : int or array of int
        Samples a user would draw (1 <= k <= n).

    Returns
    -------
    float or ndarray
        pass@k per problem (broadcast over the inputs); average it over problems for
        Brown et al.'s coverage.

    Examples
    --------
    >>> pass_at_k(10, 1, 1)
    0.1
    >>> pass_at_k(5, 2, 3)   # 1 - C(3, 3) / C(5, 3) = 1 - 1/10
    0.9
    """
    n_arr = _counts("n", n, 1)
    c_arr = _counts("c", c, 0)
    k_arr = _counts("k", k, 1)
    n_arr, c_arr, k_arr = np.broadcast_arrays(n_arr, c_arr, k_arr)
    if np.any(c_arr > n_arr):
        raise ValueError("c (correct samples) cannot exceed n (samples drawn)")
    if np.any(k_arr > n_arr):
        raise ValueError("k cannot exceed n: pass@k is estimated from n >= k samples")
    result = np.empty(n_arr.shape, dtype=float)
    for index in np.ndindex(n_arr.shape):
        ni, ci, ki = int(n_arr[index]), int(c_arr[index]), int(k_arr[index])
        if ni - ci < ki:
            result[index] = 1.0
        else:
            terms = 1.0 - ki / np.arange(ni - ci + 1, ni + 1, dtype=float)
            result[index] = 1.0 - float(np.prod(terms))
    return _out(result)


def coverage(success_probabilities: ArrayLike, k: ArrayLike):
    """Expected fraction of problems solved by at least one of k independent samples.

    coverage(k) = mean over problems of 1 − (1 − p_i)^k.

    Parameters
    ----------
    success_probabilities : array
        p_i, the single-sample success rate of each problem (each in [0, 1]).
    k : int or array of int
        Numbers of samples (>= 1).

    Returns
    -------
    float or ndarray
        Coverage for each k.
    """
    p = np.asarray(success_probabilities, dtype=float).ravel()
    if p.size == 0 or not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("success_probabilities must be a non-empty array of numbers in [0, 1]")
    k_arr = _counts("k", k, 1).astype(float)
    failures = np.power(1.0 - p, k_arr[..., None])  # shape (*k.shape, problems)
    return _out(1.0 - failures.mean(axis=-1))


def beta_coverage(k: ArrayLike, a: float, b: float):
    """Expected coverage after k samples when single-sample success p ~ Beta(a, b).

    coverage(k) = 1 − E[(1 − p)^k] = 1 − B(a, b + k) / B(a, b). For large k the failure
    rate B(a, b + k) / B(a, b) ≈ Γ(a + b) / Γ(b) · k^(−a): a power law whose exponent is
    the Beta distribution's a, the weight of problems with p near 0.

    Parameters
    ----------
    k : int or array
        Numbers of samples (>= 1; real values are accepted for smooth curves).
    a, b : float
        Positive parameters of the Beta distribution; its mean a / (a + b) is the
        single-sample success rate, coverage(1).

    Returns
    -------
    float or ndarray
    """
    k_arr = positive_array("k", k)
    a = float(positive_array("a", a))
    b = float(positive_array("b", b))
    return _out(1.0 - np.exp(betaln(a, b + k_arr) - betaln(a, b)))


def fit_beta_coverage(single_sample_rate: float, k: float, coverage_at_k: float) -> tuple[float, float]:
    """Beta(a, b) whose coverage passes through (1, single_sample_rate) and (k, coverage_at_k).

    The mean fixes b = a·(1 − m)/m with m = single_sample_rate; a is the root of
    beta_coverage(k, a, b(a)) = coverage_at_k (smaller a, a heavier tail of hard
    problems, slower growth). Needs m < coverage_at_k < 1 − (1 − m)^k, the coverage if
    every problem had the same success rate m.

    Returns
    -------
    (a, b) : tuple of float
    """
    m = float(positive_array("single_sample_rate", single_sample_rate))
    k = float(positive_array("k", k))
    target = float(positive_array("coverage_at_k", coverage_at_k))
    if not m < 1:
        raise ValueError(f"single_sample_rate must be below 1; got {single_sample_rate!r}")
    if not k > 1:
        raise ValueError(f"k must exceed 1 to add information; got {k!r}")
    ceiling = 1.0 - (1.0 - m) ** k
    if not m < target < ceiling:
        raise ValueError(f"coverage_at_k must lie between {m:.4g} (one sample) and {ceiling:.4g} "
                         f"(every problem alike); got {coverage_at_k!r}")

    def gap(log_a: float) -> float:
        a = math.exp(log_a)
        return beta_coverage(k, a, a * (1.0 - m) / m) - target

    log_a = brentq(gap, math.log(1e-8), math.log(1e8), xtol=1e-14)
    a = math.exp(log_a)
    return a, a * (1.0 - m) / m


def flops_matched_inference_factor(size_ratio: ArrayLike, pretrain_tokens: ArrayLike,
                                   inference_tokens: ArrayLike):
    """How many times more inference tokens a small model may spend to match a larger one's FLOPs.

    A model with N parameters costs X = 6·N·D_pre + 2·N·D_inf FLOPs over training and
    use (6ND for training, 2N per inference token). One with M·N parameters, the same
    D_pre and D_inf, costs M·X. Solving 6·N·D_pre + 2·N·D_inf' = M·X for D_inf' gives

        D_inf' / D_inf = M + 3·(M − 1)·D_pre / D_inf.

    This is the accounting behind "FLOPs-matched" comparisons such as Snell et al. 2024's.

    Parameters
    ----------
    size_ratio : float or array
        M, how many times larger the big model is (>= 1).
    pretrain_tokens, inference_tokens : float or array
        D_pre and D_inf (positive).

    Returns
    -------
    float or ndarray
        The factor D_inf' / D_inf.
    """
    m = positive_array("size_ratio", size_ratio)
    if np.any(m < 1):
        raise ValueError(f"size_ratio must be >= 1 (the big model is M times the small one); got {size_ratio!r}")
    d_pre = positive_array("pretrain_tokens", pretrain_tokens)
    d_inf = positive_array("inference_tokens", inference_tokens)
    return _out(m + 3.0 * (m - 1.0) * d_pre / d_inf)
