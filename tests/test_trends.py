"""course_utils.trends: exponential trends over calendar time."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from course_utils import trends


# ---------------------------------------------------------------- decimal_year


def test_decimal_year_of_new_year_is_the_year():
    assert trends.decimal_year("2020-01-01") == 2020.0


def test_decimal_year_counts_days_of_a_leap_year():
    """2024 has 366 days; 2 July is day 183 (0-based), so 2024 + 183/366 = 2024.5."""
    assert trends.decimal_year(dt.date(2024, 7, 2)) == pytest.approx(2024.5)


def test_decimal_year_accepts_year_month_strings_as_the_first_of_the_month():
    assert trends.decimal_year("2023-03") == trends.decimal_year("2023-03-01")


def test_fit_accepts_numpy_datetime64_dates_as_in_notable_models_arrays():
    dates = np.array(["2020-01-01", "2021-01-01", "2022-01-01"], dtype="datetime64[D]")
    fit = trends.fit_exponential_trend(dates, [1.0, 10.0, 100.0])
    assert fit.oom_per_year == pytest.approx(1.0, rel=2e-3)


def test_decimal_year_passes_numbers_through():
    assert trends.decimal_year(2017.5) == 2017.5


@pytest.mark.parametrize("bad", ["March 2023", "2023-13-01", "", True, None, float("nan")])
def test_decimal_year_rejects_what_is_not_a_date(bad):
    with pytest.raises(ValueError, match="date"):
        trends.decimal_year(bad)


# ------------------------------------------------------- fit_exponential_trend


def test_exact_moore_series_gives_a_two_year_doubling():
    """A series doubling every 2 years (Moore 1975) must give exactly that."""
    years = np.arange(1975.0, 1996.0)
    fit = trends.fit_exponential_trend(years, 2300.0 * 2.0 ** ((years - 1975) / 2))
    assert fit.doubling_years == pytest.approx(2.0, rel=1e-10)
    assert fit.doubling_months == pytest.approx(24.0, rel=1e-10)
    assert fit.growth_per_year == pytest.approx(math.sqrt(2), rel=1e-10)
    assert fit.oom_per_year == pytest.approx(math.log10(2) / 2, rel=1e-10)


def test_a_halving_series_has_a_negative_doubling_time():
    years = np.arange(2000.0, 2012.0)
    fit = trends.fit_exponential_trend(years, 0.5 ** ((years - 2000) / 3))
    assert fit.doubling_years == pytest.approx(-3.0, rel=1e-10)


def test_fit_accepts_date_strings():
    dates = ["2020-01-01", "2021-01-01", "2022-01-01", "2023-01-01"]
    fit = trends.fit_exponential_trend(dates, [1.0, 10.0, 100.0, 1000.0])
    assert fit.oom_per_year == pytest.approx(1.0, rel=1e-3)  # 2020 is a leap year: 366/365 days


def test_slope_interval_matches_scipy_linregress():
    """The t-interval is slope ± t_{0.95, n−2} · stderr, as from scipy.stats.linregress."""
    rng = np.random.default_rng(0)
    years = np.sort(rng.uniform(2010, 2022, 40))
    values = 10 ** (0.6 * (years - 2010) + rng.normal(0, 0.4, years.size))
    fit = trends.fit_exponential_trend(years, values, level=0.9)
    ref = stats.linregress(years, np.log10(values))
    half = stats.t.ppf(0.95, years.size - 2) * ref.stderr
    assert fit.slope == pytest.approx(ref.slope, rel=1e-10)
    assert fit.slope_interval == pytest.approx((ref.slope - half, ref.slope + half), rel=1e-10)
    assert fit.r_squared == pytest.approx(ref.rvalue**2, rel=1e-10)


def test_noisy_sevilla_like_trend_recovers_its_doubling_time():
    """Synthetic compute doubling every 5.7 months (Sevilla et al. 2022, deep-learning era),
    72 points with log-normal scatter 0.5 (seed 0); the 90% interval must contain 5.7."""
    rng = np.random.default_rng(0)
    years = np.sort(rng.uniform(2010.0, 2022.0, 72))
    values = 1e15 * 2.0 ** ((years - 2010) / (5.7 / 12)) * rng.lognormal(0, 0.5, years.size)
    fit = trends.fit_exponential_trend(years, values)
    low, high = fit.doubling_interval_months
    assert low < 5.7 < high
    assert fit.doubling_months == pytest.approx(5.7, rel=0.05)


def test_predict_reproduces_the_trend_and_year_reaching_inverts_it():
    years = np.arange(2010.0, 2020.0)
    fit = trends.fit_exponential_trend(years, 3.0 * 4.0 ** (years - 2010))
    assert fit.predict(2025.0) == pytest.approx(3.0 * 4.0**15, rel=1e-9)
    assert fit.year_reaching(3.0 * 4.0**15) == pytest.approx(2025.0, rel=1e-12)


def test_predict_accepts_a_date_string():
    fit = trends.fit_exponential_trend([2000.0, 2001.0, 2002.0], [1.0, 2.0, 4.0])
    assert fit.predict("2003-01-01") == pytest.approx(8.0, rel=1e-9)


def test_fit_rejects_a_non_positive_value():
    with pytest.raises(ValueError, match="positive"):
        trends.fit_exponential_trend([2000.0, 2001.0, 2002.0], [1.0, 0.0, 4.0])


def test_fit_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="equal length"):
        trends.fit_exponential_trend([2000.0, 2001.0, 2002.0], [1.0, 2.0])


def test_fit_rejects_two_points():
    with pytest.raises(ValueError, match="3 points"):
        trends.fit_exponential_trend([2000.0, 2001.0], [1.0, 2.0])


def test_fit_rejects_a_level_outside_zero_one():
    with pytest.raises(ValueError, match="level"):
        trends.fit_exponential_trend([2000.0, 2001.0, 2002.0], [1.0, 2.0, 4.0], level=90)


# ------------------------------------------------------------- helpers


def test_moores_law_doubles_every_two_years_by_default():
    assert trends.moores_law(1981.0, 1971.0, 2300.0) == pytest.approx(2300.0 * 2**5)


def test_sevilla_deep_learning_doubling_is_about_4_3x_per_year():
    """Sevilla et al. 2022: 5.7-month doubling → 2^(12/5.7) = 4.30 per year."""
    assert trends.growth_per_year_from_doubling(5.7) == pytest.approx(4.30, abs=0.01)


def test_epoch_four_to_five_x_per_year_is_a_five_to_six_month_doubling():
    """Epoch AI 2024: ×4–5/yr. 12 ln2 / ln4 = 6.0 months, 12 ln2 / ln5 = 5.17 months."""
    assert trends.doubling_months_from_growth(4.0) == pytest.approx(6.0)
    assert trends.doubling_months_from_growth(5.0) == pytest.approx(5.168, abs=1e-3)


def test_doubling_and_growth_conversions_are_inverse():
    assert trends.doubling_months_from_growth(trends.growth_per_year_from_doubling(9.9)) == pytest.approx(9.9)
