"""Late work judged on evidence that survives ordinary handling (issue 20, item 1).

A submission's time is recorded once, for its content (the learner, the notebook, the
SHA-256 of its bytes): the time the learning system's download gave the file, else the
file's time when the grader first saw it. Renaming the file, copying it without ``cp -p``
or grading it again keeps that time; a file time that moved, or two learners' file times
two seconds apart (one copy wrote both), is flagged for the instructor and never penalised.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from course_utils.grading.course.lateness import (COPY_WINDOW, LateFlag, Submitted, copied_together, judge, late_csv,
                                           late_flags, parse_late_rule, penalty_rows)

UTC = timezone.utc
DUE = datetime(2025, 3, 7, 23, 59, tzinfo=UTC)
NOW = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
IMPORTED = {"folder": "ken", "filename": "ex01 (1).ipynb", "late_marker": "no",
            "file_time": "2025-03-07T20:00:00+00:00", "sha256": "ab" * 32}


def test_the_download_s_time_is_the_evidence_and_is_recorded_with_the_file_s_time_then():
    seen, kept = judge(None, IMPORTED, NOW, now=NOW)
    assert seen == Submitted(datetime(2025, 3, 7, 20, tzinfo=UTC), "download")
    assert kept["when"] == "2025-03-07T20:00:00+00:00" and kept["file_time"] == "2026-01-10T09:00:00+00:00"


def test_a_recorded_time_stands_after_a_rename_or_a_copy_gives_the_file_a_new_time():
    _, kept = judge(None, IMPORTED, NOW, now=NOW)
    later = NOW + timedelta(days=3)  # renamed (no import record under the new name) and copied
    seen, kept_again = judge(kept, None, later, now=later)
    assert seen == Submitted(datetime(2025, 3, 7, 20, tzinfo=UTC), "download") and kept_again == kept


def test_without_an_import_the_file_s_time_when_first_seen_is_recorded():
    first = DUE - timedelta(hours=2)
    seen, kept = judge(None, None, first, now=NOW)
    assert seen == Submitted(first, "file-time") and kept["file_time"] == kept["when"]


def test_an_import_after_a_first_grading_replaces_a_recorded_file_time():
    _, kept = judge(None, None, NOW, now=NOW)
    seen, upgraded = judge(kept, IMPORTED, NOW, now=NOW)
    assert seen.source == "download" and upgraded["source"] == "download"


def test_a_recorded_file_time_that_moved_is_doubted_not_trusted():
    first = DUE - timedelta(hours=2)
    _, kept = judge(None, None, first, now=NOW)
    seen, kept_again = judge(kept, None, NOW, now=NOW)  # cp without -p after the first grading
    assert seen.when == first and "its file time changed after the grader first saw it" in seen.doubt
    assert kept_again == kept  # the record itself is never rewritten
    same, _ = judge(kept, None, first + COPY_WINDOW / 2, now=NOW)  # a file system keeping 2-second times
    assert same.doubt == ""


def test_two_learners_file_times_within_two_seconds_were_written_by_one_copy():
    times = {("ada", "nb"): Submitted(NOW, "file-time"),
             ("ken", "nb"): Submitted(NOW + timedelta(seconds=1), "file-time"),
             ("ken", "other"): Submitted(NOW + timedelta(seconds=1.5), "file-time"),  # ken's own: not another's
             ("linus", "nb"): Submitted(NOW + timedelta(minutes=5), "file-time"),
             ("hedy", "nb"): Submitted(NOW, "download")}
    assert set(copied_together(times)) == {("ada", "nb"), ("ken", "nb"), ("ken", "other")}


def test_doubtful_lateness_is_flagged_but_never_penalised():
    times = {("ada", "nb1"): Submitted(DUE + timedelta(days=2), "file-time", doubt="copied"),
             ("ken", "nb1"): Submitted(DUE + timedelta(days=2), "download")}
    flags = late_flags(times, {"nb1": DUE})
    assert [f.student for f in flags] == ["ada", "ken"]
    rows = [{"student": s, "notebook": "nb1", "exercise": "e", "test": "t", "status": "passed", "points": 4,
             "max_points": 4} for s in ("ada", "ken")]
    assert [r["student"] for r in penalty_rows(flags, rows, parse_late_rule("10%/day"))] == ["ken"]
    assert late_csv(flags).splitlines()[1].endswith("not penalised: copied\"")


def test_the_late_line_gives_the_due_date_the_submission_time_and_its_source():
    flag = LateFlag("ken", "nb1", DUE, DUE + timedelta(hours=25), timedelta(hours=25), "download")
    assert flag.line == ("Late: due 2025-03-07 23:59+00:00; submitted 2025-03-09 00:59+00:00, by the time the "
                         "download from the learning system gave the file (25.0 hours after the due date).")
    extended = LateFlag("ken", "nb1", DUE, DUE + timedelta(hours=25), timedelta(hours=25), "file-time", "copied", True)
    assert "due 2025-03-07 23:59+00:00 (your extension)" in extended.line
    assert "nothing is deducted for it" in extended.line


def test_a_capped_deduction_states_the_points_actually_deducted():
    flags = [LateFlag("hedy", "cap", DUE, DUE + timedelta(days=9), timedelta(days=9), "download")]
    rows = [{"student": "hedy", "notebook": "cap", "exercise": "q", "test": "t", "status": "marked", "points": 4,
             "max_points": 20}]
    [row] = penalty_rows(flags, rows, parse_late_rule("10%/day, max 50%"))
    assert row["points"] == -4
    assert row["message"].endswith("50% of 20 points is 10, capped at the 4 points earned; 4 points deducted under "
                                   "the course's late rule")


def test_an_extension_moves_one_learner_s_due_date_and_no_one_else_s():
    times = {(s, "nb1"): Submitted(DUE + timedelta(days=1), "download") for s in ("ada", "linus")}
    flags = late_flags(times, {"nb1": DUE}, extensions={("linus", "nb1"): DUE + timedelta(days=3)})
    assert [(f.student, f.due) for f in flags] == [("ada", DUE)]


@pytest.mark.parametrize("marker", [True, False])
def test_canvas_s_marker_alone_is_flagged_without_a_deduction(marker):
    times = {("grace", "nb1"): Submitted(None, "canvas-marker", late_marker=marker)}
    flags = late_flags(times, {"nb1": DUE})
    assert [f.line for f in flags] == (["Late: marked LATE by Canvas (due 2025-03-07 23:59+00:00)."] if marker else [])
