"""Data filtering against repetition: when does a small, clean pool lose to a large, rough one?

Goyal et al. 2024 ("Scaling Laws for Data Filtering — Data Curation cannot be Compute
Agnostic", CVPR 2024, arXiv:2404.07177) give each quality bucket of a web-scraped pool a
utility b < 0, the slope of log-error against log-samples while its data is fresh, and
a half-life τ: on the j-th repetition (epoch j = 0, 1, …) the slope has decayed to

    b_j = b · 2^(−j/τ).

Within epoch j the error y falls as a power law with that slope, so across the epoch
boundaries at n_j = (j + 1)·S samples (S samples per epoch)

    y(n) = y(n_0) · ∏_j (n_{j+1} / n_j)^(b_j),   y(n_0) = d + (a·n_0)^(b_0),

with samples counted in units of 100,000, a a scale and d an error floor. A pool made of
m buckets repeats them together: its slope in epoch j is the mean of the buckets' decayed
slopes, and an epoch holds all of them. This is the authors' "effective utility" rule
(their repository locuslab/scaling_laws_data_filtering, ``objective.py``,
``func_effective_utility_aggregation``), written out here.

One step of the authors' pipeline sits outside that rule: the script that picks the best pool,
``estimate_best_pool.py`` (``estimate_best_buckets``), multiplies every bucket's half-life by
the number of buckets in the pool (``c_list = c_list * num_buckets``) before it applies the
rule. The half-lives were fitted on one bucket at a time; in a pool of m buckets each decays m
times more slowly, counted in passes over the pool. The paper's text does not derive this
step; the course follows the authors' code, which produced their choice of pools, and says so
where it uses it. Heavy filtering gives the steepest slope but repeats soonest, so the best
pool grows with the compute budget. Used in lesson 06.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from course_utils._validation import positive_array

__all__ = ["pool_error"]


def pool_error(samples_seen: ArrayLike, buckets: Sequence[Mapping[str, float]], bucket_size: float,
               a: float, d: float, sample_unit: float = 100_000.0):
    """Error after training on ``samples_seen`` samples drawn, with repetition, from a pool.

    Parameters
    ----------
    samples_seen : float or array
        Total samples processed (counting repeats), positive.
    buckets : sequence of mappings
        The quality buckets in the pool, each with keys ``utility`` (b < 0) and
        ``half_life`` (τ > 0, in epochs of that bucket alone, as fitted); e.g. the first m
        entries of ``literature.GOYAL_2024_BUCKETS``. In a pool of m buckets each half-life
        is multiplied by m, as the authors' ``estimate_best_pool.py`` does.
    bucket_size : float
        Samples in each bucket (one epoch of the pool is len(buckets)·bucket_size).
    a, d : float
        Scale and error floor of the fit (``literature.GOYAL_2024_CONSTANTS``).
    sample_unit : float
        Samples per unit of n in the fit (100,000 in the authors' code).

    Returns
    -------
    float or ndarray
        Predicted error (1 − accuracy) of the fitted task.
    """
    n = positive_array("samples_seen", samples_seen)
    if isinstance(buckets, Mapping) or not isinstance(buckets, Sequence) or len(buckets) == 0:
        raise ValueError("buckets must be a non-empty sequence of {'utility': b, 'half_life': tau}")
    try:
        b = np.array([float(bucket["utility"]) for bucket in buckets])
        tau = np.array([float(bucket["half_life"]) for bucket in buckets])
    except (KeyError, TypeError, ValueError):
        raise ValueError("each bucket needs numeric 'utility' and 'half_life'") from None
    if not np.all(np.isfinite(b)) or np.any(b >= 0):
        raise ValueError(f"utilities must be negative (error falls with data); got {b.tolist()}")
    positive_array("half_life", tau)
    size = float(positive_array("bucket_size", bucket_size))
    a = float(positive_array("a", a))
    d = float(d)
    if not (np.isfinite(d) and d >= 0):
        raise ValueError(f"d must be a finite error floor >= 0; got {d!r}")
    unit = float(positive_array("sample_unit", sample_unit))

    epoch_size = size * len(b)
    tau = tau * len(b)  # the authors' estimate_best_pool.py: c_list * num_buckets (module docstring)
    out = np.empty(n.shape, dtype=float)
    for index in np.ndindex(n.shape):
        seen = float(n[index])
        epochs = np.arange(int(seen // epoch_size) + 1)
        slopes = np.mean(b[None, :] * 2.0 ** (-epochs[:, None] / tau[None, :]), axis=1)
        ends = np.minimum(epoch_size * (epochs + 1), seen) * a / unit
        starts = epoch_size * epochs * a / unit
        error = d + ends[0] ** slopes[0]
        for j in range(1, len(epochs)):
            if ends[j] > starts[j]:
                error *= (ends[j] / starts[j]) ** slopes[j]
        out[index] = error
    return float(out) if out.ndim == 0 else out
