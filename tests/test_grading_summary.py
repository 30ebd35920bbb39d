"""Class summary and histogram, manual overrides, identical submissions, late work, and the
report object check() returns. Expected numbers are worked out by hand in each test."""

from __future__ import annotations

import csv
import io
import math
import struct
from datetime import datetime, timedelta, timezone

import matplotlib
import pytest

from course_utils.grading.learner.checkreport import CheckReport
from course_utils.grading.course.csvio import parse_table
from course_utils.grading.course.lateness import (LateRule, Submitted, due_dates, late_csv, late_flags, parse_due,
                                           parse_late_rule, parse_time, penalty_rows)
from course_utils.grading.course.overrides import OverrideError, apply_overrides, parse_overrides
from course_utils.grading.course.report import format_results
from course_utils.grading.course.similarity import fingerprint, identical_csv, identical_groups, normalise_source
from course_utils.grading.course.summary import histogram_png, pass_counts, point_stats, student_totals, summary_csv


def _row(student, exercise, test, status, points, max_points, notebook="nb1", **extra):
    return dict(student=student, notebook=notebook, exercise=exercise, test=test, status=status, points=points,
                max_points=max_points, message="" if status == "passed" else "wrong result", hint="h",
                seconds=0.1, **extra)


# ada: e1 2/2, e2 2/2 (4);  alan: e1 1/2, e2 0/2 (1);  grace: e1 0/2, e2 2/2 (2)
ROWS = [
    _row("ada", "e1", "t1", "passed", 1, 1), _row("ada", "e1", "t2", "passed", 1, 1), _row("ada", "e2", "t", "passed", 2, 2),
    _row("alan", "e1", "t1", "passed", 1, 1), _row("alan", "e1", "t2", "failed", 0, 1), _row("alan", "e2", "t", "failed", 0, 2),
    _row("grace", "e1", "t1", "failed", 0, 1), _row("grace", "e1", "t2", "failed", 0, 1), _row("grace", "e2", "t", "passed", 2, 2),
]


# ------------------------------------------------------------------ summary


def test_pass_rates_per_test():
    rates = {(t.exercise, t.test): (t.students, t.passed, round(t.pass_rate, 4)) for t in pass_counts(ROWS)}
    assert rates == {("e1", "t1"): (3, 2, 0.6667), ("e1", "t2"): (3, 1, 0.3333), ("e2", "t"): (3, 2, 0.6667)}


def test_mean_and_population_spread_per_exercise_and_notebook():
    by_exercise, by_notebook = point_stats(ROWS)
    e1, e2 = by_exercise
    # e1 points 2, 1, 0: mean 1, sd sqrt(2/3); e2 points 2, 0, 2: mean 4/3, sd sqrt(8/9)
    assert (e1.mean, e1.sd, e1.minimum, e1.maximum, e1.max_points) == pytest.approx((1, math.sqrt(2 / 3), 0, 2, 2))
    assert (e2.mean, e2.sd) == pytest.approx((4 / 3, math.sqrt(8 / 9)))
    # notebook totals 4, 1, 2: mean 7/3, sd sqrt(14/9)
    assert (by_notebook[0].students, by_notebook[0].mean, by_notebook[0].sd) == pytest.approx(
        (3, 7 / 3, math.sqrt(14 / 9)))


def test_a_notebook_only_some_students_have_counts_only_them():
    rows = ROWS + [_row("ada", "f", "t", "passed", 3, 3, notebook="nb2")]
    nb2 = [s for s in point_stats(rows)[1] if s.notebook == "nb2"][0]
    assert (nb2.students, nb2.mean, nb2.sd) == (1, 3.0, 0.0)


def test_marks_overrides_and_penalties_count_as_points_but_not_as_tests():
    rows = ROWS + [_row("ada", "plan", "marked by hand", "marked", 5, 6),
                   _row("alan", "e1", "manual override", "override", 1, 0)]
    assert {t.test for t in pass_counts(rows)} == {"t1", "t2", "t"}
    e1 = [s for s in point_stats(rows)[0] if s.exercise == "e1"][0]
    assert e1.mean == pytest.approx((2 + 2 + 0) / 3)
    assert student_totals(rows)["ada"] == (9.0, 10.0)


def test_the_summary_csv_has_a_level_column_and_readable_numbers():
    table = list(csv.DictReader(io.StringIO(summary_csv(ROWS))))
    assert [row["level"] for row in table] == ["test"] * 3 + ["exercise"] * 2 + ["notebook"]
    assert table[0]["pass_rate"] == "0.67" and table[0]["passed"] == "2"
    assert table[3]["mean"] == "1" and table[3]["sd"] == "0.82" and table[5]["mean"] == "2.33"


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_histogram_is_a_png_and_leaves_matplotlib_as_it_was(tmp_path):
    backend = matplotlib.get_backend()
    path = histogram_png(ROWS, tmp_path / "out" / "totals.png")
    assert _png_size(path) == (640, 360)  # 6.4 x 3.6 inches at 100 dpi
    assert matplotlib.get_backend() == backend


def test_no_rows_no_histogram(tmp_path):
    with pytest.raises(ValueError, match="no results"):
        histogram_png([], tmp_path / "x.png")


# ------------------------------------------------------------------ overrides


def _overrides(text):
    return parse_table(text, "overrides.csv", required=("student", "exercise", "points", "reason"))


def test_an_override_sets_the_exercise_total_and_keeps_the_test_results():
    overrides = parse_overrides(_overrides("student,exercise,points,reason\nalan,e2,1.5,Right idea; sign slip\n"), ROWS)
    results = apply_overrides(ROWS, overrides)
    alan_e2 = [r for r in results if r["student"] == "alan" and r["exercise"] == "e2"]
    assert [r["status"] for r in alan_e2] == ["failed", "override"]
    assert sum(r["points"] for r in alan_e2) == 1.5 and sum(r["max_points"] for r in alan_e2) == 2
    assert alan_e2[1]["message"] == ("set to 1.5 of 2 points by the instructor (the tests gave 0): "
                                     "Right idea; sign slip")


def test_applying_the_same_overrides_twice_changes_nothing():
    overrides = parse_overrides(_overrides("student,exercise,points,reason\nada,e1,1,late hint\n"), ROWS)
    once = apply_overrides(ROWS, overrides)
    assert apply_overrides(once, parse_overrides(_overrides("student,exercise,points,reason\nada,e1,1,x\n"), once)
                           )[-1]["points"] == once[-1]["points"] == -1


def test_every_bad_override_line_is_named():
    rows = ROWS + [_row("ada", "e1", "t1", "passed", 1, 1, notebook="nb2")]
    text = ("student,exercise,points,reason\n"
            "zed,e1,1,x\n"       # line 2
            "ada,e9,1,x\n"       # line 3
            "ada,e1,1,x\n"       # line 4: e1 is in nb1 and nb2
            "alan,e1,3,x\n"      # line 5: above the maximum 2
            "alan,e2,1,\n"       # line 6: no reason
            "grace,nb1:e1,1,x\n"
            "grace,nb1:e1,2,x\n")  # line 8: twice
    with pytest.raises(OverrideError) as info:
        parse_overrides(_overrides(text), rows)
    for expected in ("line 2: unknown student 'zed'", "line 3: ada has no exercise 'e9'",
                     "line 4: 'e1' is in notebooks nb1, nb2; write notebook:e1", "line 5: points 3 outside 0..2",
                     "line 6: no reason", "line 8: grace / e1 is already overridden on line 7"):
        assert expected in str(info.value)


# ------------------------------------------------------------------ identical submissions


def _code_nb(*sources):
    return {"cells": [{"cell_type": "code", "metadata": {"tags": ["exercise"]}, "source": s, "outputs": [],
                       "execution_count": None} for s in sources]}


STUB = 'def f(x):\n    """Return twice x."""\n    raise NotImplementedError("write your solution here")\n'


def test_comments_docstrings_and_layout_do_not_hide_a_copy():
    original = 'def f(x):\n    """Return twice x."""\n    return 2 * x  # easy\n'
    disguised = "def f( x ):\n\n    # my own work\n    return 2*x\n"
    assert normalise_source(original) == normalise_source(disguised) == "def f(x):\n    return 2 * x"
    assert fingerprint(_code_nb(original)) == fingerprint(_code_nb(disguised))


def test_a_change_to_the_code_changes_the_fingerprint():
    assert fingerprint(_code_nb("def f(x):\n    return 2 * x\n")) != fingerprint(_code_nb("def f(x):\n    return x + x\n"))


def test_untouched_stubs_are_not_evidence():
    template = _code_nb(STUB, STUB.replace("f(", "g("))
    assert fingerprint(_code_nb(STUB, STUB.replace("f(", "g(")), template) is None
    solved = _code_nb("def f(x):\n    return 2 * x\n", STUB.replace("f(", "g("))
    assert fingerprint(solved, template) == fingerprint(_code_nb("def f(x):\n    return 2 * x\n"))


def test_code_that_does_not_parse_still_gets_a_fingerprint():
    assert fingerprint(_code_nb("def f(x:\n    return 2 * x  # broken\n")) == fingerprint(
        _code_nb("def f(x:\n  return 2*x\n"))


def test_identical_submissions_are_grouped_per_notebook():
    prints = {("ada", "nb1"): "A", ("alan", "nb1"): "A", ("grace", "nb1"): "B", ("grace", "nb2"): "A",
              ("hopper", "nb1"): None, ("zed", "nb1"): None}
    groups = identical_groups(prints)
    assert [(g.notebook, g.students) for g in groups] == [("nb1", ("ada", "alan"))]
    assert identical_csv(groups).splitlines()[1] == "nb1,1,ada; alan,A,"


def test_a_group_that_handed_in_the_reference_solution_is_marked_so_even_alone():
    prints = {("ada", "nb1"): "A", ("alan", "nb1"): "A", ("grace", "nb2"): "S", ("ken", "nb2"): "T"}
    groups = identical_groups(prints, reference={"nb1": "A", "nb2": "S"})
    assert [(g.notebook, g.students, g.reference) for g in groups] == [("nb1", ("ada", "alan"), True),
                                                                       ("nb2", ("grace",), True)]
    assert identical_csv(groups).splitlines()[1] == "nb1,1,ada; alan,A,the reference solution"


# ------------------------------------------------------------------ late work


UTC = timezone.utc
DUE = datetime(2025, 3, 7, 23, 59, tzinfo=UTC)


def test_times_and_due_dates_are_read():
    assert parse_time("2025-03-07T23:59Z") == DUE
    assert parse_time("2025-03-07T23:59").tzinfo is not None  # no zone: the local one
    assert parse_due("ex02_power_laws=2025-03-07T23:59+00:00") == ("ex02_power_laws", DUE)
    assert due_dates(["2025-03-01T00:00+00:00", "nb2=2025-03-07T23:59+00:00"], ["nb1", "nb2"])["nb2"] == DUE
    with pytest.raises(ValueError, match="unknown notebook nb9"):
        due_dates(["nb9=2025-03-07"], ["nb1"])
    with pytest.raises(ValueError, match="not a date"):
        parse_time("next friday")


@pytest.mark.parametrize("text, rule", [
    ("10%/day", LateRule(10, timedelta(days=1))),
    ("10% per day", LateRule(10, timedelta(days=1))),
    ("5%/hour, grace 15min, max 50%", LateRule(5, timedelta(hours=1), timedelta(minutes=15), 50)),
    ("20% / 2days; max 60%", LateRule(20, timedelta(days=2), max_percent=60)),
])
def test_late_rules_are_read(text, rule):
    assert parse_late_rule(text) == rule


@pytest.mark.parametrize("text", ["", "ten percent", "10%/fortnight", "150%/day", "10%/day, cap 5%"])
def test_a_late_rule_that_cannot_be_read_is_refused_with_an_example(text):
    with pytest.raises(ValueError, match="10%/day"):
        parse_late_rule(text)


@pytest.mark.parametrize("late, fraction", [(timedelta(hours=1), 0.10), (timedelta(hours=25), 0.20),
                                            (timedelta(minutes=10), 0.0), (timedelta(days=10), 0.50)])
def test_the_deduction_counts_started_periods_after_grace_up_to_the_cap(late, fraction):
    rule = LateRule(10, timedelta(days=1), grace=timedelta(minutes=15), max_percent=50)
    assert rule.fraction(late) == pytest.approx(fraction)


TIMES = {("ada", "nb1"): Submitted(DUE - timedelta(hours=1), "download"),
         ("alan", "nb1"): Submitted(DUE + timedelta(hours=25), "file-time"),
         ("grace", "nb1"): Submitted(None, "canvas-marker", late_marker=True)}


def test_late_work_is_flagged_with_its_evidence():
    flags = late_flags(TIMES, {"nb1": DUE})
    assert [(f.student, f.late_by) for f in flags] == [("alan", timedelta(hours=25)), ("grace", None)]
    assert flags[0].description == "submitted 25.0 hours after the due date (by file time, which copying can change)"
    assert flags[1].description == "marked LATE by Canvas"
    assert late_csv(flags).splitlines()[1].startswith("alan,nb1,2025-03-07T23:59+00:00,,2025-03-09T00:59+00:00,25,")


def test_flags_are_not_penalties_unless_a_rule_is_given():
    flags = late_flags(TIMES, {"nb1": DUE})
    rows = penalty_rows(flags, ROWS, parse_late_rule("10%/day"))
    # alan: 2 started days late -> 20% of 4 possible = 0.8, but he earned only 1 -> -0.8; grace: no time, no rule
    assert [(r["student"], r["points"], r["status"]) for r in rows] == [("alan", -0.8, "late penalty")]
    capped = penalty_rows(flags, ROWS, parse_late_rule("50%/hour"))
    assert capped[0]["points"] == -1.0  # never below zero points


# ------------------------------------------------------------------ the check() report


def test_the_check_report_prints_the_feedback_text():
    report = CheckReport(ROWS[:3], ["a note"], title="nb1.ipynb")
    assert str(report) == format_results(ROWS[:3], ["a note"], heading="nb1.ipynb") == repr(report)
    assert report.all_passed and (report.earned, report.possible) == (4.0, 4.0)


def test_the_check_report_renders_one_escaped_table_in_jupyterlab():
    row = dict(ROWS[4], message="<b>wrong</b>", hint="look at <i>t2</i>")
    page = CheckReport([ROWS[3], row], hidden_points=3)._repr_html_()
    assert page.count("<table>") == 1
    assert "&lt;b&gt;wrong&lt;/b&gt;" in page and "hint: look at &lt;i&gt;t2&lt;/i&gt;" in page
    assert "Score: 1/2 points (50%)" in page and "3 more points come from hidden tests" in page


def test_a_report_of_one_exercise_has_no_total_and_an_empty_report_says_so():
    assert "Score" not in str(CheckReport(ROWS[:2], total=False))
    assert str(CheckReport([])) == "No tests ran." and "No tests ran." in CheckReport([])._repr_html_()
