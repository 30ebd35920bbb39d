"""Fractional points (issue 22): a test that pays by accuracy, through every output of the grader.

``credit.accuracy_credit`` pays full points within the tolerance, nothing from ``zero_at``
tolerances on and a straight line between; a partly earned test is status ``partial`` with its
share rounded down to the hundredth, so no score exceeds a test's or an exercise's maximum. A
prediction test's record becomes a paragraph of the learner's feedback, with the held-out
value only once the due date has passed, and (opt-in) a pseudonymous class table.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from course_utils.grading.compare import Mismatch
from course_utils.grading.credit import (PartialCredit, accuracy_credit, award, outcome, prediction_of,
                                         prediction_record)
from course_utils.grading.commands.grade import grade_class
from course_utils.grading.gradescope import gradescope_results
from course_utils.grading.stages.instructions import Instructions
from course_utils.grading.course.lms_export import Assignment, moodle_grades_csv
from course_utils.grading.course.predictions import prediction_sentence, pseudonym
from course_utils.grading.course.roster import parse_roster
from course_utils.grading.commands.shards import merge_shards
from course_utils.sharding import parse_shard
from vendor_formats import RESULTS_SCHEMA

FIXTURE = Path(__file__).parent / "hostile" / "fixture"


# ------------------------------------------------------------------ the rule


@pytest.mark.parametrize("error, credit", [(0.0, 1.0), (0.5, 1.0), (-0.5, 1.0), (0.75, 0.75), (1.0, 0.5),
                                           (1.25, 0.25), (1.5, 0.0), (40.0, 0.0), (math.nan, 0.0), (math.inf, 0.0)])
def test_credit_is_full_within_the_tolerance_and_falls_linearly_to_nothing_at_three_tolerances(error, credit):
    """Tolerance 0.5, nothing from 3 × 0.5 = 1.5: at 1.0 (two tolerances) half the points."""
    assert accuracy_credit(error, 0.5, zero_at=3.0) == pytest.approx(credit)


@pytest.mark.parametrize("tolerance, zero_at", [(0.0, 3.0), (-1.0, 3.0), (math.nan, 3.0), (1.0, 1.0), (1.0, 0.5)])
def test_a_band_that_cannot_score_is_refused(tolerance, zero_at):
    with pytest.raises(ValueError):
        accuracy_credit(0.1, tolerance, zero_at)


def test_award_passes_on_full_credit_fails_on_none_and_raises_partial_credit_between():
    award(1.0, "unused")
    with pytest.raises(Mismatch, match="far off") as failed:
        award(0.0, "far off")
    assert not isinstance(failed.value, PartialCredit)
    with pytest.raises(PartialCredit) as partly:
        award(0.25, "a quarter")
    assert partly.value.fraction == 0.25 and str(partly.value) == "a quarter"


@pytest.mark.parametrize("fraction, max_points, points", [(0.5, 3.0, 1.5), (1 / 3, 1.0, 0.33), (0.999, 3.0, 2.99),
                                                          (0.9999, 1.0, 0.99), (0.75, 2.0, 1.5)])
def test_partial_points_are_rounded_down_to_the_hundredth_and_stay_below_the_maximum(fraction, max_points, points):
    assert outcome("failed", max_points, PartialCredit(fraction, "m")) == ("partial", points)


def test_a_pass_pays_its_points_and_anything_else_nothing():
    assert outcome("passed", 2.0, None) == ("passed", 2.0)
    assert outcome("failed", 2.0, AssertionError("x")) == ("failed", 0.0)
    assert outcome("error", 2.0, None) == ("error", 0.0)


def test_a_prediction_record_keeps_only_plain_known_fields():
    record = prediction_record("the loss", "nats", 0.60, 0.58, 0.01, 3.0)
    assert record["error"] == pytest.approx(0.02) and record["credit"] == pytest.approx(0.5)
    kept = prediction_of([("prediction", {**record, "extra": 1, "quantity": object()}), ("other", 1)])
    assert set(kept) == set(record) - {"quantity"}
    assert prediction_of([("prediction", "not a mapping")]) is None


def test_a_size_is_scored_on_a_log_scale():
    record = prediction_record("N_opt", "parameters", 2e6, 1e6, math.log(1.5), 3.0, scale="log")
    assert record["error"] == pytest.approx(math.log(2.0))
    assert record["credit"] == pytest.approx((3 - math.log(2) / math.log(1.5)) / 2)
    nothing = prediction_record("N_opt", "parameters", -5.0, 1e6, math.log(1.5), 3.0, scale="log")
    assert nothing["error"] is None and nothing["credit"] == 0.0


def test_the_sentence_hides_the_held_out_value_until_it_may_be_revealed():
    record = prediction_record("the loss of the best model", "nats", 0.5921, 0.5857, 0.0162, 3.0)
    before = prediction_sentence(record, reveal=False)
    after = prediction_sentence(record, reveal=True)
    assert "0.5921" in before and "0.5857" not in before and "shown once the due date has passed" in before
    assert "0.5857" in after and "+0.0064 nats (too high)" in after and "full points within ±0.0162 nats" in after


# ------------------------------------------------------------------ through the grader

PARTIAL_TESTS = '''"""A mean scored by accuracy: full within 0.5 of 3, nothing beyond 1.5."""

from pathlib import Path

from course_utils.grading import exercise
from course_utils.grading.credit import award, prediction_record, record_prediction

SOLUTIONS_DIR = Path(__file__).parent


@exercise("mean", points=3, hint="Sum the numbers and divide by how many there are.")
def test_mean_three_numbers_averaged_within_the_tolerance(student, record_property):
    got = float(student.mean([1.0, 2.0, 6.0]))
    record = prediction_record("the mean of 1, 2 and 6", "", got, 3.0, 0.5, 3.0)
    record_prediction(record_property, record)
    award(record["credit"], f"the mean is {abs(got - 3.0) / 0.5:.1f} tolerances off")


@exercise("add", points=1, hint="Use the + operator.")
def test_add_two_integers(student):
    assert student.add(2, 3) == 5
'''


def _with_mean(body: str) -> dict:
    nb = json.loads((FIXTURE / "tiny.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "".join(cell["source"]).startswith("def mean"):
            cell["source"] = f"def mean(xs):\n    {body}\n"
    return nb


@pytest.fixture
def klass(tmp_path):
    """ada's mean is right (3/3), bob's is 3.75 (1.5 tolerances: 0.75 × 3 = 2.25 points), cy's 10 (0)."""
    tests = tmp_path / "tests"
    tests.mkdir()
    shutil.copy(FIXTURE / "conftest.py", tests / "conftest.py")
    shutil.copy(FIXTURE / "tiny.ipynb", tests / "tiny.ipynb")
    (tests / "test_tiny.py").write_text(PARTIAL_TESTS, encoding="utf-8")
    for student, body in (("ada", "return sum(xs) / len(xs)"), ("bob", "return sum(xs) / len(xs) + 0.75"),
                          ("cy", "return 10.0")):
        (tmp_path / "subs" / student).mkdir(parents=True)
        (tmp_path / "subs" / student / "tiny.ipynb").write_text(json.dumps(_with_mean(body)), encoding="utf-8")
    return tmp_path / "subs", tmp_path / "out", tests


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_a_partly_right_prediction_earns_its_share_in_every_output(klass):
    subs, out, tests = klass
    grade_class(subs, out, tests_dir=tests, progress=False)
    bob = {row["exercise"]: row for row in _rows(out) if row["student"] == "bob"}
    assert (bob["mean"]["status"], bob["mean"]["points"], bob["mean"]["max_points"]) == ("partial", 2.25, 3.0)
    assert bob["mean"]["prediction"]["predicted"] == pytest.approx(3.75)
    assert "prediction" not in bob["add"]  # only prediction tests carry a record
    grades = _grades(out)
    assert (grades["bob"]["mean"], grades["bob"]["total"], grades["bob"]["possible"], grades["bob"]["percent"]) == \
        ("2.25", "3.25", "4", "81.2")
    assert (grades["ada"]["mean"], grades["cy"]["mean"]) == ("3", "0")
    feedback = (out / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert "◐ three numbers averaged within the tolerance: the mean is 1.5 tolerances off (2.25/3 points)" in feedback
    assert "you predicted 3.7500, 1.50 times the tolerance from the held-out value: 75% of the points" in feedback
    summary = (out / "summary.csv").read_text(encoding="utf-8")
    assert "exercise,tiny,mean,,3,,,1.75," in summary  # mean of 3, 2.25 and 0


def test_no_score_exceeds_the_exercise_maximum_in_the_exports(klass):
    subs, out, tests = klass
    grade_class(subs, out, tests_dir=tests, progress=False)
    rows = _rows(out)
    bob = [row for row in rows if row["student"] == "bob"]
    results = gradescope_results(bob)
    jsonschema.validate(results, RESULTS_SCHEMA)
    mean = next(test for test in results["tests"] if test["name"].startswith("mean"))
    assert (mean["score"], mean["max_score"], mean["status"]) == (2.25, 3.0, "failed")
    assert results["score"] == 3.25
    roster = parse_roster("folder,email\nada,ada@example.org\nbob,bob@example.org\ncy,cy@example.org\n", "roster")
    extra = rows + [{"student": "ada", "notebook": "tiny", "exercise": "mean", "test": "override", "status": "override",
                     "points": 2.0, "max_points": 0.0}]  # a hand-edited record giving ada more than the maximum
    values = [line[1] for line in csv.reader(io.StringIO(moodle_grades_csv(extra, roster, [Assignment("tiny")])))]
    assert values[1:] == ["4", "3.25", "1"]  # ada capped at the notebook's 4 points


def test_the_held_out_value_is_shown_once_the_due_date_has_passed(klass):
    subs, out, tests = klass
    past = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat(timespec="minutes")
    grade_class(subs, out, tests_dir=tests, progress=False, instructions=Instructions.read(due=[f"tiny={past}"]))
    feedback = (out / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert "the held-out runs give 3.0000, so yours is +0.7500 (too high), 1.50 times the tolerance" in feedback


def test_the_class_table_is_opt_in_pseudonymous_and_ranks_every_learner(klass):
    subs, out, tests = klass
    grade_class(subs, out, tests_dir=tests, progress=False)
    assert not (out / "predictions.csv").exists()
    grade_class(subs, out, tests_dir=tests, progress=False, instructions=Instructions.read(prediction_table="on"))
    table = list(csv.DictReader(io.StringIO((out / "predictions.csv").read_text(encoding="utf-8"))))
    assert [(row["rank"], row["of"], row["error_in_tolerances"]) for row in table] == \
        [("1", "3", "0.00"), ("2", "3", "1.50"), ("3", "3", "14.00")]
    text = (out / "predictions.csv").read_text(encoding="utf-8")
    assert not any(name in text for name in ("ada", "bob", "cy"))
    assert table[0]["predicted"] == ""  # no due date passed: the values stay back
    salt = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["settings"]["prediction_table"]
    feedback = (out / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert f"you are {pseudonym(salt, 'bob')}: three numbers averaged within the tolerance: 2 of 3" in feedback
    grade_class(subs, out, tests_dir=tests, progress=False, instructions=Instructions.read(prediction_table="off"))
    assert not (out / "predictions.csv").exists() and "class table" not in (out / "feedback" / "bob.md").read_text()


def test_grade_and_merge_grades_give_the_same_class_table(klass, tmp_path):
    """The ranks are computed in the write stage from the whole record, so two shards merged
    rank every learner of the class, exactly as one run does."""
    subs, out, tests = klass
    grade_class(subs, out, tests_dir=tests, progress=False, instructions=Instructions.read(prediction_table="on"))
    shards = []
    for index in (1, 2):
        folder = tmp_path / f"shard{index}"
        grade_class(subs, folder, tests_dir=tests, progress=False, shard=parse_shard(f"{index}/2"),
                    instructions=Instructions.read(prediction_table="on"))
        shards.append(folder)
    merge_shards(tmp_path / "merged", shards, tests_dir=tests)
    assert (tmp_path / "merged" / "predictions.csv").read_text() == (out / "predictions.csv").read_text()
    for student in ("ada", "bob", "cy"):
        mine = (out / "feedback" / f"{student}.md").read_text()
        merged = (tmp_path / "merged" / "feedback" / f"{student}.md").read_text()
        assert mine.split("#### Your predictions")[1] == merged.split("#### Your predictions")[1]


def test_after_the_due_date_the_table_shows_values_as_plain_unsigned_numbers(klass):
    """Predicted, held-out and the size of the error, and its direction in words: no cell a
    spreadsheet could read as a formula (a leading sign would be escaped)."""
    subs, out, tests = klass
    past = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat(timespec="minutes")
    grade_class(subs, out, tests_dir=tests, progress=False,
                instructions=Instructions.read(prediction_table="on", due=[f"tiny={past}"]))
    table = {row["rank"]: row for row in csv.DictReader(io.StringIO((out / "predictions.csv").read_text()))}
    assert (table["2"]["predicted"], table["2"]["heldout"], table["2"]["error"], table["2"]["direction"]) == \
        ("3.75", "3", "0.75", "too high")
    assert (table["1"]["error"], table["1"]["direction"]) == ("0", "")
