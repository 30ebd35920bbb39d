"""Exponential trends over calendar time: growth per year and doubling times.

A quantity that grows exponentially, v(t) = v0 · g^(t − t0), is a straight line on a log
scale: log10 v = log10 v0 + (t − t0) · log10 g. So the trend is fitted by ordinary least
squares of log10(value) on the decimal year, as Sevilla et al. (2022) do for training
compute. The slope s is in orders of magnitude (OOM) per year, and

* growth factor per year g = 10^s;
* doubling time = log10(2) / s years (negative for a shrinking quantity).

The confidence interval of the slope uses the t distribution with n − 2 degrees of freedom
(the textbook OLS interval, which assumes independent, normal scatter around the line).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Iterable, Union

import numpy as np
from numpy.typing import ArrayLike

from course_utils._validation import finite_number, level as _level, positive_array, positive_number
from course_utils.literature import MOORE_DOUBLING_YEARS

__all__ = [
    "decimal_year", "TrendFit", "fit_exponential_trend", "moores_law",
    "growth_per_year_from_doubling", "doubling_months_from_growth",
]

DateLike = Union[str, _dt.date, _dt.datetime, float, int]
_LOG10_2 = math.log10(2.0)


def decimal_year(date: DateLike) -> float:
    """A date as a decimal year: 2024-07-02 (day 183 of a 366-day year) → 2024.5.

    Accepts ``"YYYY-MM-DD"``, ``"YYYY-MM"`` (the first of the month), ``"YYYY"``,
    :class:`datetime.date`, :class:`datetime.datetime`, :class:`numpy.datetime64` or a
    number (returned as a float).
    """
    if isinstance(date, np.datetime64):
        date = date.astype("datetime64[us]").item()
    if isinstance(date, bool):
        raise ValueError(f"date must be a date, a 'YYYY-MM-DD' string or a year; got {date!r}")
    if isinstance(date, (int, float, np.integer, np.floating)):
        if not math.isfinite(date):
            raise ValueError(f"date must be finite; got {date!r}")
        return float(date)
    if isinstance(date, str):
        text = date.strip()
        try:
            parts = [int(p) for p in text.split("-")]
            if not 1 <= len(parts) <= 3 or len(text.split("-")[0]) != 4:
                raise ValueError
            date = _dt.date(*(parts + [1] * (3 - len(parts))))
        except (ValueError, TypeError):
            raise ValueError(f"date string must look like 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY'; got {text!r}") from None
    if isinstance(date, _dt.datetime):
        start = _dt.datetime(date.year, 1, 1, tzinfo=date.tzinfo)
        length = (_dt.datetime(date.year + 1, 1, 1, tzinfo=date.tzinfo) - start).total_seconds()
        return date.year + (date - start).total_seconds() / length
    if isinstance(date, _dt.date):
        start = _dt.date(date.year, 1, 1)
        length = (_dt.date(date.year + 1, 1, 1) - start).days
        return date.year + (date - start).days / length
    raise ValueError(f"date must be a date, a 'YYYY-MM-DD' string or a year; got {type(date).__name__}")


@dataclass(frozen=True)
class TrendFit:
    """An exponential trend fitted by :func:`fit_exponential_trend`.

    Attributes
    ----------
    slope : float
        Orders of magnitude per year, the fitted d log10(value) / d year.
    intercept : float
        log10 of the trend's value at ``reference_year``.
    reference_year : float
        The mean of the fitted years (centring keeps the intercept well conditioned).
    slope_interval : (float, float)
        Confidence interval of ``slope`` at ``level`` (t distribution, n − 2 d.o.f.).
    level : float
        Confidence level of the intervals.
    n : int
        Number of points.
    r_squared : float
        Fraction of the variance of log10(value) explained by the line.
    """

    slope: float
    intercept: float
    reference_year: float
    slope_interval: tuple[float, float]
    level: float
    n: int
    r_squared: float

    @property
    def oom_per_year(self) -> float:
        """Orders of magnitude per year (same as ``slope``)."""
        return self.slope

    @property
    def growth_per_year(self) -> float:
        """Factor by which the quantity grows each year, 10^slope."""
        return 10.0**self.slope

    @property
    def growth_interval(self) -> tuple[float, float]:
        """Confidence interval of the yearly growth factor."""
        low, high = self.slope_interval
        return 10.0**low, 10.0**high

    @property
    def doubling_years(self) -> float:
        """Years for the quantity to double, log10(2) / slope (negative if it shrinks)."""
        return _LOG10_2 / self.slope if self.slope != 0 else math.inf

    @property
    def doubling_months(self) -> float:
        """Doubling time in months, 12 × :attr:`doubling_years`."""
        return 12.0 * self.doubling_years

    @property
    def doubling_interval_months(self) -> tuple[float, float]:
        """Confidence interval of the doubling time in months; (−inf, inf) when the
        slope's interval includes zero (the data cannot tell growth from decline)."""
        low, high = self.slope_interval
        if low <= 0 <= high:
            return -math.inf, math.inf
        return 12 * _LOG10_2 / high, 12 * _LOG10_2 / low

    def params(self) -> dict[str, float]:
        """The fitted slope and the two numbers quoted from it, by name.

        ``slope`` (OOM per year), ``growth_per_year`` (10^slope) and ``doubling_months``:
        what :func:`course_utils.powerlaw.bootstrap` resamples, e.g.
        ``bootstrap(fit_exponential_trend, years, values)``. The intercept is left out:
        it is the value at the mean year of each resample, so it does not compare
        across resamples.
        """
        return {"slope": self.slope, "growth_per_year": self.growth_per_year,
                "doubling_months": self.doubling_months}

    def predict(self, year: ArrayLike):
        """Trend value at ``year`` (decimal years or dates): 10^(intercept + slope·(year − ref))."""
        years = _years(year, "year")
        values = 10.0 ** (self.intercept + self.slope * (years - self.reference_year))
        return float(values) if values.ndim == 0 else values

    def band(self, year: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """The trend at ``year`` under the two ends of ``slope_interval``, lower then upper:
        10^(intercept + s·(year − ref)) for s at each end, the band a figure draws around the fit."""
        years = _years(year, "year")
        fan = [10.0 ** (self.intercept + s * (years - self.reference_year)) for s in self.slope_interval]
        return np.minimum(*fan), np.maximum(*fan)

    def year_reaching(self, value: float) -> float:
        """Decimal year at which the trend reaches ``value``."""
        value = positive_number("value", value)
        if self.slope == 0:
            raise ValueError("a flat trend never reaches another value")
        return self.reference_year + (math.log10(value) - self.intercept) / self.slope

    def __str__(self) -> str:
        low, high = self.growth_interval
        return (f"×{self.growth_per_year:.3g} per year ({self.slope:.3f} OOM/yr), doubling every "
                f"{self.doubling_months:.1f} months; {self.level:.0%} interval for the growth "
                f"×{low:.3g}–×{high:.3g}/yr (n = {self.n}, R² = {self.r_squared:.2f})")


def _years(dates: Union[ArrayLike, Iterable[DateLike]], name: str) -> np.ndarray:
    if isinstance(dates, (str, _dt.date)):
        return np.asarray(decimal_year(dates))
    if isinstance(dates, np.ndarray) and dates.dtype.kind in "iuf":
        years = dates.astype(float)
    elif np.ndim(dates) == 0:
        years = np.asarray(decimal_year(dates))
    else:
        try:
            years = np.array([decimal_year(d) for d in dates], dtype=float)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    if not np.all(np.isfinite(years)):
        raise ValueError(f"{name} must be finite")
    return years


def fit_exponential_trend(dates: Iterable[DateLike], values: ArrayLike, level: float = 0.9) -> TrendFit:
    """Fit log10(value) = intercept + slope · (year − mean year) by least squares.

    Parameters
    ----------
    dates : sequence of dates
        Decimal years, ``"YYYY-MM-DD"`` strings or :class:`datetime.date` objects.
    values : array
        Positive values (FLOP, parameters, tokens, transistors...).
    level : float
        Confidence level for the slope's interval, in (0, 1).

    Returns
    -------
    TrendFit
        Growth per year, doubling time in years and months, OOM/year, the slope's
        t-interval, and ``.predict(year)``.

    Notes
    -----
    Sevilla et al. 2022 (arXiv:2202.05924) fit training compute this way and find a
    doubling time of 5.7 months for 2010-2022; Moore (1975) predicted two years for
    transistors per chip.
    """
    level = _level("level", level)
    years = _years(dates, "dates")
    y = positive_array("values", values)  # positive: their logarithm is fitted
    if years.ndim != 1 or y.shape != years.shape:
        raise ValueError(f"dates and values must be 1-D of equal length; got {years.shape} and {y.shape}")
    if years.size < 3:
        raise ValueError(f"need at least 3 points for a slope and its interval; got {years.size}")
    if np.ptp(years) == 0:
        raise ValueError("dates are all the same: no trend over time can be fitted")

    reference = float(years.mean())
    t = years - reference
    log_y = np.log10(y)
    sxx = float(t @ t)
    slope = float(t @ (log_y - log_y.mean())) / sxx
    intercept = float(log_y.mean())
    residuals = log_y - intercept - slope * t
    dof = years.size - 2
    sse = float(residuals @ residuals)
    sst = float(((log_y - intercept) ** 2).sum())
    standard_error = math.sqrt(sse / dof / sxx)
    from scipy import stats  # imported here: scipy.stats takes a second to import

    half_width = float(stats.t.ppf(0.5 + level / 2, dof)) * standard_error
    return TrendFit(slope=slope, intercept=intercept, reference_year=reference,
                    slope_interval=(slope - half_width, slope + half_width), level=level,
                    n=int(years.size), r_squared=1.0 - sse / sst if sst > 0 else 1.0)


def moores_law(year: ArrayLike, reference_year: float, reference_value: float,
               doubling_years: float = MOORE_DOUBLING_YEARS):
    """A quantity doubling every ``doubling_years``: v = v_ref · 2^((year − year_ref) / T).

    Moore (1975) revised his 1965 one-year doubling of components per chip to two years,
    the default here. Pass any anchor, e.g. a model's training compute, to compare a trend
    with Moore's pace.
    """
    years = _years(year, "year")
    reference_year = decimal_year(reference_year)
    reference_value = positive_number("reference_value", reference_value)
    if finite_number("doubling_years", doubling_years) == 0:
        raise ValueError(f"doubling_years must be a non-zero number; got {doubling_years!r}")
    values = reference_value * 2.0 ** ((years - reference_year) / doubling_years)
    return float(values) if values.ndim == 0 else values


def growth_per_year_from_doubling(doubling_months: float) -> float:
    """Yearly growth factor of a quantity doubling every ``doubling_months``: 2^(12 / T).

    Sevilla et al. 2022's 5.7-month doubling is ×4.3 per year.
    """
    if finite_number("doubling_months", doubling_months) == 0:
        raise ValueError(f"doubling_months must be a non-zero number; got {doubling_months!r}")
    return 2.0 ** (12.0 / doubling_months)


def doubling_months_from_growth(growth_per_year: float) -> float:
    """Doubling time in months of a quantity growing ×g per year: 12 · ln 2 / ln g.

    Epoch AI's ×4–5 per year for frontier training compute is 6.0–5.2 months.
    """
    if positive_number("growth_per_year", growth_per_year) == 1:
        raise ValueError(f"growth_per_year must be a positive number other than 1; got {growth_per_year!r}")
    return 12.0 * math.log(2.0) / math.log(growth_per_year)
