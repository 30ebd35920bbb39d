"""Algorithmic progress: the compute needed for a fixed result keeps falling.

Ho et al. 2024 ("Algorithmic progress in language models", arXiv:2403.05812) estimate
from 200+ language-model evaluations (2012-2023) that the training compute needed to
reach a fixed loss halves about every h = 8 months (arXiv v1: 95% interval about 5 to 14
months; NeurIPS 2024 version: 90% interval about 2 to 22 months). A halving time h
means a factor

    2^(12·t / h)

less compute after t years, 2^(12/h) per year. Better algorithms multiply with more
physical compute into "effective compute". Used in lesson 06 and exercise 6.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from course_utils._validation import positive_array

__all__ = ["compute_reduction_factor", "effective_compute_growth"]


def compute_reduction_factor(years: ArrayLike, halving_months: ArrayLike):
    """How many times less compute reaches the same result after ``years``: 2^(12·years/h).

    Parameters
    ----------
    years : float or array
        Elapsed time in years (>= 0).
    halving_months : float or array
        h, the halving time of the required compute in months (positive).

    Returns
    -------
    float or ndarray
        The factor (1 at years = 0).

    Examples
    --------
    >>> compute_reduction_factor(2.0, 8.0)   # three halvings
    8.0
    """
    if isinstance(years, (str, bytes, bool)):
        raise ValueError(f"years must be a number, not {type(years).__name__}")
    t = np.asarray(years, dtype=float)
    if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError(f"years must be finite and >= 0; got {years!r}")
    h = positive_array("halving_months", halving_months)
    factor = 2.0 ** (12.0 * t / h)
    return float(factor) if factor.ndim == 0 else factor


def effective_compute_growth(compute_growth_per_year: ArrayLike, halving_months: ArrayLike):
    """Yearly growth of effective compute: physical growth times 2^(12/h).

    Parameters
    ----------
    compute_growth_per_year : float or array
        Growth factor of training compute per year (e.g. Epoch AI's 4-5x, 2024).
    halving_months : float or array
        Halving time of the compute needed for a fixed result (Ho et al.: 8 months).

    Returns
    -------
    float or ndarray
    """
    g = positive_array("compute_growth_per_year", compute_growth_per_year)
    growth = g * compute_reduction_factor(1.0, halving_months)
    return float(growth) if np.ndim(growth) == 0 else growth
