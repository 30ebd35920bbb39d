"""A learner steers an LMS import with a file name (issue 21, item 5).

The instructor's journey: download the class's submissions from Moodle or Canvas, run
``python -m course_utils import`` with the roster, then ``grade`` the folder it made. Eve
chooses only the name of her upload (and, on Canvas, her sortable name where the
institution lets her edit it). Before this issue, Eve's Moodle upload named
``x_5502_assignsubmission_file_tiny-7.ipynb`` replaced her classmate Alan's notebook
(participant 5502): the greedy name pattern read Alan's id in it, and the ``-7`` beat his
real upload. Now such a name is refused with a note naming it, Alan's own notebook is
graded, and the class is graded beside them as usual.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import channel_attacks as hostile  # noqa: E402

pytestmark = pytest.mark.slow

BLANK = json.dumps({**hostile.base(), "cells": []})  # scores 0: what Eve wants Alan to have


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course_utils", *args], capture_output=True, text=True, timeout=600)


def _graded(tmp_path: Path, lms: str, download: dict[str, str], roster: str, *extra: str) -> tuple[str, dict]:
    """Import ``download`` ({name in the zip: notebook text}) through the CLI, grade the
    folder it made; (import's output, {student: total points})."""
    archive = tmp_path / f"{lms}.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for name, text in download.items():
            handle.writestr(name, text)
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    imported = _cli("import", lms, str(archive), "--roster", str(tmp_path / "roster.csv"), "--into",
                    str(tmp_path / "subs"), *extra)
    assert imported.returncode == 0, imported.stderr
    graded = _cli("grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--tests", str(hostile.FIXTURE),
                  "--quiet", "--timeout", "5")
    assert graded.returncode == 0, graded.stderr
    totals = {}
    for line in (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        totals[row["student"]] = totals.get(row["student"], 0.0) + row["points"]
    return imported.stdout, totals


def test_a_moodle_upload_named_with_a_classmate_s_participant_id_is_refused(tmp_path):
    good = json.dumps(hostile.base())
    (tmp_path / "worksheet.csv").write_text(
        "Identifier,Full name,Email address\nParticipant 5501,Ada Lovelace,ada@example.org\n"
        "Participant 5502,Alan Turing,alan@example.org\nParticipant 5503,Eve Hacker,eve@example.org\n")
    output, totals = _graded(tmp_path, "moodle", {
        "Ada Lovelace_5501_assignsubmission_file_tiny.ipynb": good,
        "Alan Turing_5502_assignsubmission_file_tiny.ipynb": good,
        "Eve Hacker_5503_assignsubmission_file_x_5502_assignsubmission_file_tiny-7.ipynb": BLANK,
    }, "folder,name,email\nada,Ada Lovelace,ada@example.org\nalan,Alan Turing,alan@example.org\n"
       "eve,Eve Hacker,eve@example.org\n", "--worksheet", str(tmp_path / "worksheet.csv"))
    assert "note: Eve Hacker_5503_assignsubmission_file_x_5502_assignsubmission_file_tiny-7.ipynb: refused" in output
    assert (tmp_path / "subs" / "alan" / "tiny.ipynb").read_text() == good
    assert [p.name for p in (tmp_path / "subs" / "alan").iterdir()] == ["tiny.ipynb"]
    assert totals == {"ada": 6.0, "alan": 6.0}  # eve handed in nothing she may be graded on


def test_a_canvas_file_whose_name_reads_as_two_students_uploads_is_refused(tmp_path):
    """Eve's sortable name ``eve_102_5`` makes her file read as user 102's (Alan) as well as
    her own: before, the first reading put it in Alan's folder."""
    good = json.dumps(hostile.base())
    output, totals = _graded(tmp_path, "canvas", {
        "lovelaceada_101_9001_tiny.ipynb": good,
        "turingalan_102_9002_tiny.ipynb": good,
        "eve_102_5_103_9003_tiny.ipynb": BLANK,
    }, "folder,canvas_id\nada,101\nalan,102\neve,103\n")
    assert "note: eve_102_5_103_9003_tiny.ipynb: refused (not imported)" in output
    assert "Canvas users 102 and 103" in output
    assert [p.name for p in (tmp_path / "subs" / "alan").iterdir()] == ["tiny.ipynb"]
    assert totals == {"ada": 6.0, "alan": 6.0}
