"""A term an instructor can trust (issue 20), on the grader's small fixture, through the CLI.

Each test is one thing an instructor (or a careless one) does in a term, and what the
gradebook must do then: late work judged on evidence that survives a rename, a copy and a
regrade; a gradebook that remembers which notebooks were set; an extension for one learner;
forgetting a notebook and taking it back; written answers part-marked; names typed on a Mac;
a gradebook written into the submissions folder.

The class: ``tiny`` (6 points over add, mean and scale: ``tests/hostile/fixture``) and ``essay``,
two written answers marked with a rubric (``why``, 5 points; ``how``, 3 points).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pytest

from course_utils.__main__ import main

FIXTURE = Path(__file__).parent / "hostile" / "fixture"
RUBRIC = ('notebook = "essay"\ntitle = "Why and how"\n\n[[question]]\nid = "why"\npoints = 5\n\n'
          '[[question]]\nid = "how"\npoints = 3\n')
ROSTER = ("folder,name,canvas_id,email\nada,Ada Lovelace,101,ada@example.org\nken,Ken Thompson,102,ken@example.org\n"
          "linus,Linus Torvalds,103,linus@example.org\n")
DUE = "2025-03-07T23:59+00:00"
BEFORE_DUE = (2025, 3, 7, 20, 0, 0)  # a zip entry's time: the download's record of the upload
LATE = 1741737600  # 2025-03-12 00:00 UTC: four days and a minute after the due date


def _essay(why: str, how: str) -> dict:
    cells = [{"cell_type": "markdown", "id": f"c{n}", "metadata": {"tags": ["answer", f"question:{q}"]}, "source": text}
             for n, (q, text) in enumerate((("why", why), ("how", how)))]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def term(tmp_path):
    """The tests folder (fixture + rubric), a roster; returns (folder, cli) where cli runs
    ``python -m course_utils`` in this process and returns its exit status."""
    tests = tmp_path / "tests"
    shutil.copytree(FIXTURE, tests, ignore=shutil.ignore_patterns("tiny_hidden", "__pycache__"))
    (tests / "rubric_essay.toml").write_text(RUBRIC, encoding="utf-8")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")

    def cli(*argv: str) -> int:
        command, *rest = argv
        extra = ["--tests", str(tests), "--quiet"] if command == "grade" else []
        return main([command, *rest, *extra])

    return tmp_path, cli


def _class(root: Path, names=("ada", "ken", "linus"), *, when: float | None = None) -> Path:
    """One folder per learner with the fixture's tiny notebook and an essay (``when``: their file times)."""
    for name in names:
        folder = root / "subs" / name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURE / "tiny.ipynb", folder / "tiny.ipynb")
        (folder / "essay.ipynb").write_text(json.dumps(_essay(f"{name} thinks so.", "Carefully.")), encoding="utf-8")
        if when is not None:
            for path in folder.iterdir():
                os.utime(path, (when, when))
    return root / "subs"


def _grades(root: Path) -> dict[str, dict[str, str]]:
    with open(root / "out" / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _late(root: Path) -> dict[str, dict[str, str]]:
    with open(root / "out" / "late.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _manifest(root: Path) -> dict:
    return json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))


def _feedback(root: Path, name: str) -> str:
    return (root / "out" / "feedback" / f"{name}.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------ late work judged on evidence


def _canvas_download(root: Path) -> Path:
    """Canvas's download: ken's upload arrived as 'tiny (1).ipynb', all before the due date."""
    path = root / "submissions.zip"
    tiny = (FIXTURE / "tiny.ipynb").read_bytes()
    with zipfile.ZipFile(path, "w") as archive:
        for entry in ("lovelaceada_101_1_tiny.ipynb", "thompsonken_102_2_tiny (1).ipynb",
                      "torvaldslinus_103_3_tiny.ipynb"):
            archive.writestr(zipfile.ZipInfo(entry, date_time=BEFORE_DUE), tiny)
    return path


def test_an_import_a_rename_as_the_feedback_asks_a_regrade_and_a_copy_keep_the_learner_on_time(term):
    root, cli = term
    assert cli("import", "canvas", str(_canvas_download(root)), "--roster", str(root / "roster.csv"),
               "--into", str(root / "subs")) == 0
    week = ["--notebook", "tiny", "--due", f"tiny={DUE}", "--late-rule", "10%/day"]
    assert cli("grade", str(root / "subs"), "--out", str(root / "out"), *week) == 0
    assert "rename it to tiny.ipynb" in _feedback(root, "ken")
    (root / "subs" / "ken" / "tiny (1).ipynb").rename(root / "subs" / "ken" / "tiny.ipynb")  # as asked, today
    assert cli("grade", str(root / "subs"), "--out", str(root / "out"), "--student", "ken", "--notebook", "tiny") == 0
    assert _late(root) == {} and _grades(root)["ken"]["tiny"] == "6"
    copied = shutil.copytree(root / "subs", root / "copy", copy_function=shutil.copyfile)  # cp -r without -p
    assert cli("grade", str(copied), "--out", str(root / "out"), "--notebook", "tiny") == 0
    assert _late(root) == {} and {row["tiny"] for row in _grades(root).values()} == {"6"}
    kept = _manifest(root)["students"]["ken"]["notebooks"]["tiny"]["submitted"]
    assert kept == {"when": "2025-03-07T20:00:00+00:00", "source": "download", "late_marker": False}


def test_work_collected_by_hand_with_cp_is_flagged_for_the_instructor_not_penalised(term):
    root, cli = term
    subs = _class(root)  # copied in just now: every file time is the copy's
    assert cli("grade", str(subs), "--out", str(root / "out"), "--notebook", "tiny", "--due", f"tiny={DUE}",
               "--late-rule", "10%/day") == 0
    late = _late(root)
    assert sorted(late) == ["ada", "ken", "linus"]
    assert all("not penalised: its file time lies within 2 seconds of another learner's" in row["note"]
               for row in late.values())
    assert {row["tiny"] for row in _grades(root).values()} == {"6"}
    assert "Your instructor checks this by hand" in _feedback(root, "ada")


def test_a_file_time_that_moved_after_it_was_recorded_is_no_longer_penalised(term):
    root, cli = term
    subs = _class(root, ["ada"], when=LATE)
    options = ["--notebook", "tiny", "--due", f"tiny={DUE}", "--late-rule", "10%/day"]
    assert cli("grade", str(subs), "--out", str(root / "out"), *options) == 0
    assert _grades(root)["ada"]["tiny"] == "3"  # 5 started days late: 50% of 6 points
    line = next(line for line in _feedback(root, "ada").splitlines() if line.startswith("Late:"))
    assert line == ("Late: due 2025-03-07 23:59+00:00; submitted 2025-03-12 00:00+00:00, by the file's time "
                    "when the grader first saw it (4.0 days after the due date).")
    shutil.copyfile(subs / "ada" / "tiny.ipynb", subs / "ada" / "copy")  # the instructor copies it back and forth
    os.replace(subs / "ada" / "copy", subs / "ada" / "tiny.ipynb")
    assert cli("grade", str(subs), "--out", str(root / "out"), *options) == 0
    assert _grades(root)["ada"]["tiny"] == "6"
    assert "its file time changed after the grader first saw it" in _late(root)["ada"]["note"]


# ------------------------------------------------------------------ a gradebook that remembers what was set


def test_a_plain_grade_after_grade_notebook_regrades_what_was_set_and_leaves_possible_unchanged(term, capsys):
    root, cli = term
    subs = _class(root)
    assert cli("grade", str(subs), "--out", str(root / "out"), "--notebook", "tiny") == 0
    before = {name: row["possible"] for name, row in _grades(root).items()}
    capsys.readouterr()
    assert cli("grade", str(subs), "--out", str(root / "out")) == 0
    assert {name: row["possible"] for name, row in _grades(root).items()} == before == dict.fromkeys(before, "6")
    assert "a plain grade regrades them and adds none; to set another, add --notebook STEM" in capsys.readouterr().out
    assert _manifest(root)["settings"]["assigned"] == ["tiny"]


def test_a_plain_grade_into_an_empty_gradebook_grades_everything_as_before(term):
    root, cli = term
    assert cli("grade", str(_class(root)), "--out", str(root / "out")) == 0
    assert "assigned" not in _manifest(root)["settings"]
    assert (root / "out" / "marking_essay.csv").is_file() and _grades(root)["ada"]["tiny"] == "6"


def test_forget_takes_a_notebook_out_of_the_totals_and_restore_brings_it_back(term):
    root, cli = term
    subs = _class(root)
    assert cli("grade", str(subs), "--out", str(root / "out"), "--notebook", "tiny") == 0
    assert cli("grade", str(subs), "--out", str(root / "out"), "--notebook", "essay", "--merge-rubric",
               str(_sheet(root, "ada,essay,why,5,4,Good\nada,essay,how,3,3,\n"))) == 0
    before = (root / "out" / "grades.csv").read_bytes()
    assert _grades(root)["ada"]["possible"] == "14"
    assert cli("grade", str(subs), "--out", str(root / "out"), "--forget", "tiny") == 0
    assert _grades(root)["ada"]["possible"] == "8" and "tiny" not in _grades(root)["ada"]
    assert any('"notebook": "tiny"' in line for line in (root / "out" / "results.jsonl").read_text().splitlines())
    assert cli("grade", str(subs), "--out", str(root / "out")) == 0  # a plain grade does not bring it back
    assert "tiny" not in _grades(root)["ada"]
    assert cli("grade", str(subs), "--out", str(root / "out"), "--restore", "tiny") == 0
    assert (root / "out" / "grades.csv").read_bytes() == before


def test_forgetting_what_is_not_there_and_restoring_what_was_not_forgotten_are_refused(term, capsys):
    root, cli = term
    subs = _class(root)
    assert cli("grade", str(subs), "--out", str(root / "out"), "--notebook", "tiny") == 0
    capsys.readouterr()
    assert cli("grade", str(subs), "--out", str(root / "out"), "--forget", "essay") == 2
    assert cli("grade", str(subs), "--out", str(root / "out"), "--restore", "tiny") == 2
    assert cli("grade", str(subs), "--out", str(root / "out"), "--forget", "tiny", "--notebook", "tiny") == 2
    errors = capsys.readouterr().err
    assert "no results of essay" in errors and "tiny is not forgotten" in errors and "run them on their own" in errors


# ------------------------------------------------------------------ extensions


def test_an_extension_moves_one_learner_s_due_date_and_no_one_else_s(term):
    root, cli = term
    subs = _class(root, when=LATE)
    for number, name in enumerate(("ada", "ken", "linus")):  # three separate hand-ins, a minute apart
        os.utime(subs / name / "tiny.ipynb", (LATE + 60 * number, LATE + 60 * number))
    (root / "extensions.csv").write_text("student,notebook,due\nlinus,tiny,2025-03-14T12:00+00:00\n")
    assert cli("grade", str(subs), "--out", str(root / "out"), "--notebook", "tiny", "--due", f"tiny={DUE}",
               "--extensions", str(root / "extensions.csv")) == 0
    late = _late(root)
    assert sorted(late) == ["ada", "ken"] and {row["due"] for row in late.values()} == {"2025-03-07T23:59+00:00"}
    assert _manifest(root)["settings"]["due"] == {"tiny": "2025-03-07T23:59+00:00"}
    assert _manifest(root)["settings"]["extensions"] == {"linus": {"tiny": "2025-03-14T12:00+00:00"}}


def test_a_due_date_with_student_and_an_extension_of_an_unknown_learner_are_refused(term, capsys):
    root, cli = term
    subs = _class(root)
    (root / "extensions.csv").write_text("student,notebook,due\nlinsu,tiny,2025-03-14T12:00+00:00\n")
    assert cli("grade", str(subs), "--out", str(root / "out"), "--student", "linus", "--due", f"tiny={DUE}") == 2
    assert cli("grade", str(subs), "--out", str(root / "out"), "--extensions", str(root / "extensions.csv")) == 2
    errors = capsys.readouterr().err
    assert "--due moves tiny's due date for the whole class" in errors and "no learner 'linsu'" in errors
    assert not (root / "out").exists()


# ------------------------------------------------------------------ marking in progress


def _sheet(root: Path, rows: str) -> Path:
    path = root / "marks.csv"
    path.write_text("student,notebook,question,max_points,points,comment\n" + rows, encoding="utf-8")
    return path


def test_a_part_marked_notebook_says_marking_in_progress_out_of_its_full_points(term):
    root, cli = term
    subs = _class(root)
    assert cli("grade", str(subs), "--out", str(root / "out"), "--notebook", "essay", "--merge-rubric",
               str(_sheet(root, "ada,essay,why,5,4,Good\nada,essay,how,3,,\n"))) == 0
    feedback = _feedback(root, "ada")
    assert "marking in progress: 1 of 2 questions marked; still to mark: how" in feedback
    assert "◌ `how`: not marked yet (3 points)" in feedback and "Score: 4/8 points (50%)" in feedback
    grades = _grades(root)["ada"]
    assert (grades["why"], grades["how"], grades["essay"], grades["possible"]) == ("4", "", "4", "8")


def test_an_export_refuses_part_marked_notebooks_unless_allowed_and_then_says_how_many(term, capsys):
    root, cli = term
    subs = _class(root)
    assert cli("grade", str(subs), "--out", str(root / "out"), "--notebook", "essay", "--merge-rubric",
               str(_sheet(root, "ada,essay,why,5,4,Good\nken,essay,why,5,5,\nken,essay,how,3,3,\n"))) == 0
    capsys.readouterr()
    export = ["export", "canvas", "--out", str(root / "out"), "--roster", str(root / "roster.csv")]
    assert cli(*export) == 2 and not (root / "out" / "canvas.csv").exists()
    assert "marking in progress: essay for 1 learner (ada)" in capsys.readouterr().err
    assert cli(*export, "--allow-partial") == 0
    assert "part-marked notebooks exported with their points so far" in capsys.readouterr().out
    with open(root / "out" / "canvas.csv", newline="", encoding="utf-8") as handle:
        rows = {row["Student"]: row for row in csv.DictReader(handle)}
    assert rows["Points Possible"]["essay"] == "8"  # the notebook's full points, not the 5 marked of ada's
    assert rows["Ada Lovelace"]["essay"] == "4" and rows["Ken Thompson"]["essay"] == "8"


# ------------------------------------------------------------------ names and folders


def test_a_folder_named_on_a_mac_matches_the_roster_and_exports(term, capsys):
    root, cli = term
    roster = root / "roster.csv"
    roster.write_text(ROSTER + "rené,René Descartes,109,rene@example.org\n", encoding="utf-8")
    subs = _class(root, ["ada", "ken", "linus", unicodedata.normalize("NFD", "rené")])
    assert cli("grade", str(subs), "--out", str(root / "out"), "--notebook", "tiny", "--roster", str(roster),
               "--export", "moodle") == 0
    assert "roster:" not in capsys.readouterr().out
    assert "rené" in _grades(root) and (root / "out" / "feedback" / "rené.md").is_file()
    assert "rene@example.org,6" in (root / "out" / "moodle.csv").read_text(encoding="utf-8")


def test_feedback_files_keep_readable_names_and_an_index_lists_them(term):
    root, cli = term
    subs = _class(root, ["李雷", "josé", "Ada", "ada", "o'brien"])
    assert cli("grade", str(subs), "--out", str(root / "out"), "--notebook", "tiny") == 0
    with open(root / "out" / "feedback" / "index.csv", newline="", encoding="utf-8") as handle:
        index = {(row["student"], row["notebook"]): row["file"] for row in csv.DictReader(handle)}
    assert (index["李雷", ""], index["josé", ""], index["o'brien", ""]) == ("李雷.md", "josé.md", "o_brien.md")
    assert index["josé", "tiny"] == "josé/tiny.html"
    assert index["Ada", ""].startswith("Ada-") and index["ada", ""].startswith("ada-")  # one file on a Mac: hashed
    assert all((root / "out" / "feedback" / path).is_file() for path in index.values())


@pytest.mark.parametrize("out", ["subs/out", "subs", "."])
def test_a_gradebook_inside_the_submissions_or_around_them_is_refused(term, capsys, out):
    root, cli = term
    subs = _class(root)
    assert cli("grade", str(subs), "--out", str(root / out)) == 2
    assert "out:" in capsys.readouterr().err
    assert sorted(path.name for path in subs.iterdir()) == ["ada", "ken", "linus"]
