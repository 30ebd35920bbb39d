"""The comparison helper of the exercise tests never passes vacuously (issue 10, item 4),
and says how far off a result is without giving the answer away."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.grading.compare import (KINDS, Mismatch, array, assert_all, assert_close, fields, how_far, items,
                                          miss, number, numbers, rejects)
from course_utils.grading.errors import student_error


def _message(got, expected, **tolerance) -> str:
    with pytest.raises(AssertionError) as caught:
        assert_close(got, expected, **(tolerance or {"rtol": 1e-9}))
    return str(caught.value)


# ------------------------------------------------------- nothing vacuous passes


@pytest.mark.parametrize("got", [np.array([]), np.zeros((0, 2)), [], ()], ids=["empty", "empty 2-D", "[]", "()"])
def test_an_empty_result_never_passes(got):
    """``pytest.approx([]) == []`` and ``assert_allclose(np.array([]), 3.0)`` both pass."""
    with pytest.raises(AssertionError):
        assert_close(got, 3.0, rtol=1e-9)
    with pytest.raises(AssertionError):
        assert_close(got, [1.0, 2.0], rtol=1e-9)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_never_pass(bad):
    assert "NaN" in _message(math.nan, 1.0) and "infinite" in _message(math.inf, 1.0)
    with pytest.raises(AssertionError):
        assert_close(np.array([1.0, bad]), [1.0, 2.0], rtol=1.0)


def test_a_wrong_shape_never_passes_even_when_it_broadcasts():
    assert _message(np.array([2.0, 2.0]), [2.0, 2.0, 2.0]) == "your result has shape (2,), but should have shape (3,)"
    assert "single number" in _message(np.array([2.0]), 2.0)
    assert "single number" in _message(np.full(3, 2.0), 2.0)
    assert "shape (2, 1)" in _message(np.ones((2, 1)), [1.0, 1.0])


@pytest.mark.parametrize("got, kind", [("3.0", "a string"), (None, "None"), (True, "True/False"),
                                       ({"x": 3.0}, "a dict"), (3 + 0j, "complex"),
                                       (np.array(["3.0"]), "values of type")])
def test_a_result_that_is_not_numbers_never_passes(got, kind):
    expected = [3.0] if isinstance(got, np.ndarray) else 3.0
    assert kind in _message(got, expected)


def test_a_tuple_result_must_have_as_many_numbers_as_expected():
    assert _message(np.array([]), (1.0, 2.0)) == \
        "your result should be 2 values (a tuple), but is an empty array (shape (0,))"
    assert "should be 2 values" in _message((1.0,), (1.0, 2.0))
    assert _message((1.0, np.array([])), (1.0, 2.0), rtol=1e-9) == \
        "item 2 of your result should be a single number, but is an empty array (shape (0,))"


def test_a_test_without_a_tolerance_or_with_nothing_to_compare_is_a_bug_in_the_test():
    with pytest.raises(TypeError, match="needs a tolerance"):
        assert_close(1.0, 1.0)
    with pytest.raises(ValueError, match="proves nothing"):
        assert_close([], [], rtol=1e-9)


def test_a_condition_on_an_empty_array_does_not_hold():
    """``assert np.all(np.diff(x) > 0)`` passes on an empty x; assert_all does not."""
    with pytest.raises(AssertionError, match="should rise"):
        assert_all(np.diff(np.array([])) > 0, "should rise")
    assert_all(np.array([True, True]), "never shown")


# ------------------------------------------------------- what passes


def test_values_within_the_tolerance_pass():
    assert_close(3.0000001, 3.0, rtol=1e-6)
    assert_close(np.float64(2.0), 2.0, rtol=0, atol=0)
    assert_close(np.array(2.0), 2.0, rtol=0, atol=0)  # a 0-d array is a number
    assert_close([1.0, 2.0], np.array([1.0, 2.0]), rtol=0, atol=0)
    assert_close((5.0, [1.0, 2.0]), (5.0, [1.0, 2.0]), rtol=1e-12)
    assert_close(0.01, 0.0, atol=0.02)  # the larger of rtol·|expected| and atol, as pytest.approx


def test_checked_conversions_return_plain_numbers():
    assert number(np.float64(2.5)) == 2.5 and type(number(np.float64(2.5))) is float
    assert numbers((1, 2.0), 2) == (1.0, 2.0)
    assert fields({"E": 1.0, "A": np.float64(2.0), "extra": "kept out"}, ["E", "A"]) == {"E": 1.0, "A": 2.0}
    assert array([1, 2], shape=(2,)).dtype == float
    assert items([np.array([1.0]), 2.0], 2)[1] == 2.0


def test_checked_conversions_refuse_what_they_cannot_use():
    with pytest.raises(AssertionError, match="N should be positive, but is negative"):
        number(-1.0, "N", positive=True)
    with pytest.raises(AssertionError, match="has no key 'beta'"):
        fields({"alpha": 0.3}, ["alpha", "beta"])
    with pytest.raises(AssertionError, match="empty array"):
        array(np.array([]))
    with pytest.raises(AssertionError, match="should be a 1-D array"):
        array(np.ones((2, 2)), ndim=1)


# ------------------------------------------------------- learner-facing messages


@pytest.mark.parametrize("got, expected, phrase", [
    (-3.0, 3.0, "has the wrong sign (its size is right)"),
    (-7.0, 3.0, "has the wrong sign"),
    (30.0, 3.0, "is 10× too large"),
    (13.8, 3.0, "is 4.6× too large"),
    (117.0, 3.0, "is 39× too large"),
    (3700.0, 3.0, "is 1,200× too large"),
    (3e9, 3.0, "is 1.0×10^9 times too large"),
    (0.03, 3.0, "is 100× too small"),
    (6.2, 3.0, "is 2.1× too large"),
    (1.0, 3.0, "is 3.0× too small"),
    (3.15, 3.0, "is 5.0% too large"),
    (2.4, 3.0, "is 20% too small"),
    (3.01, 3.0, "is 0.33% too large"),
    (3.0 + 3e-9, 3.0, "is close, but outside the tolerance"),
    (0.0, 3.0, "is zero, but should not be"),
])
def test_misses_say_how_far_to_two_significant_figures(got, expected, phrase):
    """A 4.6× error reads 4.6×, not "roughly 10×"; a 39× error 39×, not "roughly 100×" (issue 22)."""
    assert how_far(got, expected, 1e-9 * abs(expected)) == phrase


def test_a_message_never_contains_the_expected_value():
    for got in (1.0, 30.0, -7.0, 12.344, 12.3456):
        message = _message(got, 12.3456789, rtol=1e-9)
        assert "12.3" not in message and "1.23" not in message


def test_an_array_message_names_the_first_wrong_position_and_how_many():
    message = _message(np.array([1.0, 20.0, 3.0, 40.0]), [1.0, 2.0, 3.0, 4.0])
    assert message == "your result: 2 of 4 values are off; the first, at index 1, is 10× too large"


def test_every_miss_has_a_kind_a_hint_can_be_keyed_to():
    """``@exercise(hints={...})`` keys hints by these kinds (plugin.FAILURE_KINDS lists them too)."""
    from course_utils.grading.plugin import FAILURE_KINDS

    cases = {(-3.0, 3.0): "wrong sign", (30.0, 3.0): "too large", (0.3, 3.0): "too small",
             (3.0 + 3e-9, 3.0): "close", (0.0, 3.0): "zero", (5.0, 0.0): "not zero"}
    for (got, expected), kind in cases.items():
        assert miss(got, expected, 1e-9)[0] == kind
        with pytest.raises(Mismatch) as caught:
            assert_close(got, expected, atol=1e-9)
        assert caught.value.kind == kind
    assert set(KINDS) <= set(FAILURE_KINDS)


@pytest.mark.parametrize("got, kind", [(None, "wrong type"), (np.array([1.0, 2.0]), "wrong shape"),
                                       (math.nan, "not finite"), ("3", "wrong type")])
def test_a_result_that_is_no_number_has_its_own_kind(got, kind):
    with pytest.raises(Mismatch) as caught:
        assert_close(got, 3.0, rtol=1e-9)
    assert caught.value.kind == kind


def test_an_array_whose_values_all_miss_the_same_way_says_so_once():
    assert _message(np.array([-1.0, -2.0]), [1.0, 2.0]) == \
        "your result: all 2 values have the wrong sign (their size is right)"
    assert _message(np.array([10.0, 20.0]), [1.0, 2.0]) == "your result: all 2 values are 10× too large"


# ------------------------------------------------------- a refusal


def _refusal(raise_what=None) -> Mismatch:
    with pytest.raises(Mismatch) as caught:
        with rejects(ValueError, "fit_power_law", "a negative y"):
            if raise_what is not None:
                raise raise_what
    return caught.value


def test_a_function_that_accepts_bad_input_is_told_what_it_accepted():
    """pytest.raises says "DID NOT RAISE <class 'ValueError'>"; the learner reads this instead."""
    refusal = _refusal()
    assert str(refusal) == "fit_power_law accepted a negative y; it should raise ValueError"
    assert refusal.kind == "did not raise"


def test_a_function_that_raises_another_error_is_told_which_and_what_was_expected():
    refusal = _refusal(student_error("TypeError", "expected x and y to have same length"))
    assert str(refusal) == ("fit_power_law raised TypeError (expected x and y to have same length) for a "
                            "negative y; it should raise ValueError")
    assert refusal.kind == "raised another error"


def test_the_promised_error_passes_and_a_stub_is_left_to_the_grader():
    from course_utils.grading.errors import NotImplementedYet

    with rejects(ValueError, "fit_power_law", "a negative y"):
        raise student_error("ValueError", "y must be positive")
    with rejects(ValueError, "fit_power_law", "a negative y"):
        raise ValueError("the reference solution's own error")  # tests run on solutions directly, too
    with pytest.raises(NotImplementedYet):
        with rejects(ValueError, "fit_power_law", "a negative y"):
            raise NotImplementedYet("fit_power_law is not implemented yet")
