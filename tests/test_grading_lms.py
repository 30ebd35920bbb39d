"""LMS imports and exports: Canvas and Moodle downloads, Canvas/Moodle CSVs, Gradescope.

Formats were checked against the vendors' own code and documentation (cited in
course_utils/grading/course/lms_import.py, lms_export.py and gradescope.py); the checks below
re-state the rules the vendors apply when they read what we write.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import jsonschema
import pytest

from course_utils.course_root import find_course_root
from course_utils.grading.course.csvio import parse_table
from course_utils.grading.gradescope import (error_results, find_submitted, gradescope_results, student_folder,
                                             write_bundle)
from course_utils.grading.course.lms_export import (Assignment, canvas_gradebook_csv, moodle_grades_csv,
                                             parse_assignment)
from course_utils.grading.course.lms_import import (MANIFEST, LMSImportError, import_submissions, parse_canvas_filename,
                                             plan_canvas, plan_moodle, read_manifest, strip_duplicate_suffix)
from course_utils.grading.course.roster import RosterError, parse_roster
from vendor_formats import RESULTS_SCHEMA, canvas_reads

ROOT = find_course_root()
ROSTER = parse_roster("""folder,name,canvas_id,sis_user_id,sis_login_id,section,email,idnumber
ada,Ada Lovelace,101,S1,ada.l,A,ada@example.org,1001
alan,Alan Turing,102,S2,alan.t,A,alan@example.org,1002
grace,Grace Hopper,103,S3,grace.h,B,grace@example.org,1003
""")


def _row(student, notebook, exercise, test, status, points, max_points, message="", hint="", seconds=0.1):
    return dict(student=student, notebook=notebook, exercise=exercise, test=test, status=status, points=points,
                max_points=max_points, message=message, hint=hint, seconds=seconds)


ROWS = [
    _row("ada", "ex02_power_laws", "fit_power_law", "recovers slope", "passed", 2.0, 2.0),
    _row("ada", "ex02_power_laws", "huber", "matches quadratic", "failed", 0.0, 1.5, "wrong result", "Check delta."),
    _row("alan", "ex02_power_laws", "fit_power_law", "recovers slope", "passed", 2.0, 2.0),
    _row("alan", "ex02_power_laws", "huber", "matches quadratic", "passed", 1.5, 1.5),
    _row("ada", "ex07_capstone", "plan", "marked by hand", "marked", 5.0, 6.0, "=clear plan"),
]


# ------------------------------------------------------------------ Canvas download


def test_a_canvas_file_name_gives_the_user_and_the_original_name():
    parsed = parse_canvas_filename("lovelaceada_101_9001_ex02_power_laws.ipynb")
    assert (parsed.name, parsed.late, parsed.user_id, parsed.attachment_id, parsed.original) == (
        "lovelaceada", False, "101", "9001", "ex02_power_laws.ipynb")


def test_canvas_s_late_marker_is_read():
    parsed = parse_canvas_filename("turingalan_LATE_102_9002_ex02_power_laws.ipynb")
    assert parsed.late and parsed.user_id == "102" and parsed.name == "turingalan"


def test_a_name_with_an_underscore_does_not_confuse_the_parse():
    parsed = parse_canvas_filename("o_neil_104_77_my_file_1_2.ipynb")
    assert (parsed.name, parsed.user_id, parsed.original) == ("o_neil", "104", "my_file_1_2.ipynb")


def test_an_anonymous_canvas_file_is_recognised():
    parsed = parse_canvas_filename("LATE_anon_aB3dE_9006_ex02_power_laws.ipynb")
    assert parsed.anonymous_id == "aB3dE" and parsed.late and parsed.user_id == ""


@pytest.mark.parametrize("name, clean, number", [
    ("ex02_power_laws-1.ipynb", "ex02_power_laws.ipynb", 1),
    ("ex02_power_laws-7.ipynb", "ex02_power_laws.ipynb", 7),
    ("ex02_power_laws-3f2504e0-4f89-11d3-9a0c-0305e82c3301.ipynb", "ex02_power_laws.ipynb", 8),
    ("ex02_power_laws.ipynb", "ex02_power_laws.ipynb", 0),
    ("ex02_power_laws-Copy1.ipynb", "ex02_power_laws-Copy1.ipynb", 0),
])
def test_canvas_s_duplicate_suffix_is_removed(name, clean, number):
    assert strip_duplicate_suffix(name) == (clean, number)


CANVAS_NAMES = [
    "lovelaceada_101_9001_ex02_power_laws.ipynb",
    "turingalan_LATE_102_9002_ex02_power_laws.ipynb",
    "turingalan_LATE_102_9003_ex02_power_laws-1.ipynb",
    "nobody_999_9005_ex02_power_laws.ipynb",
    "hoppergrace_103_text.html",
    "LATE_anon_aB3dE_9006_ex02_power_laws.ipynb",
    "README.txt",
]


def test_a_canvas_plan_places_files_through_the_roster():
    plan = plan_canvas(CANVAS_NAMES, ROSTER)
    placed = {(f.folder, f.filename, f.source, f.late_marker) for f in plan.files}
    assert ("ada", "ex02_power_laws.ipynb", CANVAS_NAMES[0], False) in placed
    # the later upload (-1) is graded; the earlier one is kept beside it under its download name
    assert ("alan", "ex02_power_laws.ipynb", CANVAS_NAMES[2], True) in placed
    assert ("alan", CANVAS_NAMES[1], CANVAS_NAMES[1], True) in placed
    assert plan.absent == ["grace"]
    assert any("Canvas user 999" in u for u in plan.unmatched)
    assert any("anonymous" in u for u in plan.unmatched)
    assert any("README.txt" in u for u in plan.unmatched)
    assert any("text or URL entry" in n for n in plan.notes)


def test_a_sortable_name_that_looks_like_ids_is_read_at_the_split_the_roster_knows():
    """Canvas keeps digits and underscores of a sortable name: ``x_999_5`` is a name here, and
    user 101 (on the roster) is the one who uploaded ``ex02_power_laws.ipynb``."""
    plan = plan_canvas(["x_999_5_101_9001_ex02_power_laws.ipynb"], ROSTER)
    assert [(f.folder, f.filename) for f in plan.files] == [("ada", "ex02_power_laws.ipynb")]


def test_a_canvas_import_needs_canvas_ids_in_the_roster():
    with pytest.raises(RosterError, match="canvas_id"):
        plan_canvas(CANVAS_NAMES, parse_roster("folder\nada\n"))


def _canvas_zip(path: Path, names=CANVAS_NAMES) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, json.dumps({"cells": [], "name": name}))
    return path


def test_importing_a_canvas_zip_writes_one_folder_per_student_and_a_manifest(tmp_path):
    download = _canvas_zip(tmp_path / "submissions.zip")
    out = tmp_path / "submissions"
    import_submissions(download, out, ROSTER, "canvas")
    assert json.loads((out / "ada" / "ex02_power_laws.ipynb").read_text())["name"] == CANVAS_NAMES[0]
    assert json.loads((out / "alan" / "ex02_power_laws.ipynb").read_text())["name"] == CANVAS_NAMES[2]
    manifest = {(r["folder"], r["filename"]): r for r in read_manifest(out)}
    assert manifest["alan", "ex02_power_laws.ipynb"]["late_marker"] == "yes"
    assert manifest["ada", "ex02_power_laws.ipynb"]["late_marker"] == "no"
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "ada", "alan"]


def test_an_import_never_silently_replaces_a_different_file(tmp_path):
    download = _canvas_zip(tmp_path / "submissions.zip")
    out = tmp_path / "submissions"
    (out / "ada").mkdir(parents=True)
    (out / "ada" / "ex02_power_laws.ipynb").write_text("kept", encoding="utf-8")
    with pytest.raises(LMSImportError, match="already exist"):
        import_submissions(download, out, ROSTER, "canvas")
    assert (out / "ada" / "ex02_power_laws.ipynb").read_text() == "kept"
    assert not (out / "alan").exists()
    import_submissions(download, out, ROSTER, "canvas", overwrite=True)
    assert (out / "ada" / "ex02_power_laws.ipynb").read_text() != "kept"


def test_importing_the_same_download_twice_is_harmless(tmp_path):
    download = _canvas_zip(tmp_path / "submissions.zip")
    out = tmp_path / "submissions"
    import_submissions(download, out, ROSTER, "canvas")
    import_submissions(download, out, ROSTER, "canvas")
    assert len(read_manifest(out)) == 3


def test_a_download_matching_nobody_is_an_error(tmp_path):
    download = _canvas_zip(tmp_path / "d.zip", ["nobody_999_1_x.ipynb"])
    with pytest.raises(LMSImportError, match="no file matched"):
        import_submissions(download, tmp_path / "out", ROSTER, "canvas")


def test_an_unpacked_download_folder_imports_like_the_zip(tmp_path):
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / CANVAS_NAMES[0]).write_text("{}", encoding="utf-8")
    import_submissions(folder, tmp_path / "out", ROSTER, "canvas")
    row = read_manifest(tmp_path / "out")[0]
    assert row["folder"] == "ada" and re.match(r"\d{4}-\d\d-\d\dT", row["file_time"])


# ------------------------------------------------------------------ Moodle download


MOODLE_NAMES = [
    "Ada Lovelace_5501_assignsubmission_file/ex02_power_laws.ipynb",
    "Alan Turing_5502_assignsubmission_file_/ex02_power_laws.ipynb",
    "Alan Turing_5502_assignsubmission_onlinetext/onlinetext.html",
    "Grace Hopper_5503_assignsubmission_file_ex02_power_laws.ipynb",
    "Someone Else_5504_assignsubmission_file/ex02_power_laws.ipynb",
]


def test_a_moodle_plan_matches_folders_and_flat_files_by_full_name():
    plan = plan_moodle(MOODLE_NAMES, ROSTER)
    placed = {(f.folder, f.filename) for f in plan.files}
    assert placed == {("ada", "ex02_power_laws.ipynb"), ("alan", "ex02_power_laws.ipynb"),
                      ("grace", "ex02_power_laws.ipynb")}
    assert any("Someone Else" in u for u in plan.unmatched)
    assert any("onlinetext" in n for n in plan.notes)


def test_blind_marking_is_resolved_through_the_grading_worksheet():
    worksheet = parse_table("Identifier,Full name,Email address,Status,Grade\n"
                            "Participant 5501,Ada Lovelace,ada@example.org,Submitted,\n"
                            "Participant 5502,,alan@example.org,Submitted,\n", "worksheet.csv")
    names = ["Participant_5501_assignsubmission_file/ex02_power_laws.ipynb",
             "Participant_5502_assignsubmission_file/ex02_power_laws.ipynb",
             "Participant_5509_assignsubmission_file/ex02_power_laws.ipynb"]
    plan = plan_moodle(names, ROSTER, worksheet)
    assert {f.folder for f in plan.files} == {"ada", "alan"}
    assert len(plan.unmatched) == 1 and "5509" in plan.unmatched[0]


def test_importing_a_moodle_zip(tmp_path):
    download = tmp_path / "moodle.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for name in MOODLE_NAMES:
            archive.writestr(name, "{}")
    import_submissions(download, tmp_path / "out", ROSTER, "moodle")
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["ada", "alan", "grace"]


def test_a_moodle_download_unpacked_on_a_mac_matches_the_roster_and_its_existing_folder(tmp_path):
    """macOS writes names decomposed (NFD): "René" in the download and "rené/" in the
    submissions are the roster's composed "René Descartes" and "rené"."""
    roster = parse_roster("folder,name,email\nrené,René Descartes,rene@example.org\n")
    download = tmp_path / "moodle"
    name = unicodedata.normalize("NFD", "René Descartes_5601_assignsubmission_file")
    (download / name).mkdir(parents=True)
    (download / name / "ex02_power_laws.ipynb").write_text("{}")
    existing = tmp_path / "out" / unicodedata.normalize("NFD", "rené")
    existing.mkdir(parents=True)
    plan = import_submissions(download, tmp_path / "out", roster, "moodle")
    assert [f.folder for f in plan.files] == [existing.name] and not plan.unmatched
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == [existing.name]


# ------------------------------------------------------------------ Canvas export


def test_the_canvas_csv_has_canvas_s_header_and_an_assignment_column_named_title_and_id():
    assignments = [Assignment("ex02_power_laws", "Exercises 2: power laws", "5123"),
                   Assignment("ex07_capstone", "Capstone", "")]
    text = canvas_gradebook_csv(ROWS, ROSTER, assignments)
    assert text.splitlines()[0] == ("Student,ID,SIS User ID,SIS Login ID,Section,"
                                    "Exercises 2: power laws (5123),Capstone")
    titles, points, scores = canvas_reads(text)
    assert titles == [("Exercises 2: power laws", "5123"), ("Capstone", None)]
    # a new assignment gets its points; an existing one's cell stays blank, keeping Canvas's settings
    assert points == {"Exercises 2: power laws (5123)": "", "Capstone": "6"}
    assert scores["101"] == {"Exercises 2: power laws (5123)": "2", "Capstone": "5"}
    assert scores["102"] == {"Exercises 2: power laws (5123)": "3.5", "Capstone": ""}
    assert "103" not in scores  # no result at all: left out, so Canvas keeps what it has


def test_the_canvas_csv_rescales_to_the_assignment_s_points():
    text = canvas_gradebook_csv(ROWS, ROSTER, [Assignment("ex02_power_laws", "Power laws", "5123", 10.0)])
    assert canvas_reads(text)[2]["101"] == {"Power laws (5123)": "5.71"}  # 2 of 3.5 points -> 5.714 of 10


def test_names_that_look_like_formulas_are_escaped_in_the_canvas_csv():
    roster = parse_roster('folder,name,canvas_id\nada,"=HYPERLINK(""http://x"")",101\nalan,Alan,102\n')
    text = canvas_gradebook_csv(ROWS[:4], roster, [Assignment("ex02_power_laws", "Power laws", "5")])
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_the_canvas_export_refuses_a_graded_folder_missing_from_the_roster():
    with pytest.raises(RosterError, match="no roster entry for the graded folder.*zed"):
        canvas_gradebook_csv(ROWS + [_row("zed", "ex02_power_laws", "huber", "t", "passed", 1, 1)], ROSTER,
                             [Assignment("ex02_power_laws")])


@pytest.mark.parametrize("text, expected", [
    ("ex02_power_laws=Power laws (5123)", Assignment("ex02_power_laws", "Power laws", "5123", None)),
    ("ex02_power_laws=Power laws (5123)/10", Assignment("ex02_power_laws", "Power laws", "5123", 10.0)),
    ("ex02_power_laws=Week (2) work", Assignment("ex02_power_laws", "Week (2) work", "", None)),
    ("ex02_power_laws", Assignment("ex02_power_laws", "ex02_power_laws", "", None)),
])
def test_assignment_options_are_parsed(text, expected):
    assert parse_assignment(text) == expected


# ------------------------------------------------------------------ Moodle export


def test_the_moodle_csv_has_an_identifier_column_then_grades():
    text = moodle_grades_csv(ROWS, ROSTER, [Assignment("ex02_power_laws", "Power laws")], identifier="email",
                             feedback={("ada", "ex02_power_laws"): "-see feedback file"})
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Email address", "Power laws", "Feedback: Power laws"]
    assert rows[1:] == [["ada@example.org", "2", "'-see feedback file"], ["alan@example.org", "3.5", ""]]
    assert text.endswith("\r\n") and "\r\n" in text


def test_moodle_grades_are_plain_numbers_with_a_dot():
    text = moodle_grades_csv(ROWS, ROSTER, [Assignment("ex02_power_laws", points=20.0)], identifier="idnumber")
    values = [row[1] for row in csv.reader(io.StringIO(text))][1:]
    assert values == ["11.43", "20"] and all(re.fullmatch(r"\d+(\.\d{1,2})?", v) for v in values)


def test_a_moodle_grade_above_100_is_refused_with_advice():
    with pytest.raises(ValueError, match="gradepointmax"):
        moodle_grades_csv(ROWS, ROSTER, [Assignment("ex02_power_laws", points=400.0)])


# ------------------------------------------------------------------ Gradescope


def test_gradescope_results_follow_the_specification():
    ada = [row for row in ROWS if row["student"] == "ada" and row["notebook"] == "ex02_power_laws"]
    results = gradescope_results(ada)
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert results["score"] == 2.0
    failed = results["tests"][1]
    assert failed == {"name": "huber: matches quadratic", "name_format": "text", "score": 0.0, "max_score": 1.5,
                      "status": "failed", "output": "wrong result\nhint: Check delta.", "output_format": "text",
                      "visibility": "visible"}


def test_hidden_tests_show_their_name_and_points_only():
    row = dict(ROWS[1], hidden=True)
    test = gradescope_results([row], hidden_visibility="after_due_date")["tests"][0]
    assert test["output"] == "" and test["visibility"] == "after_due_date" and test["max_score"] == 1.5


def test_several_notebooks_are_told_apart_in_test_names():
    results = gradescope_results([r for r in ROWS if r["student"] == "ada"])
    assert results["tests"][-1]["name"] == "ex07_capstone / plan: marked by hand"


def test_rows_of_two_students_are_refused():
    with pytest.raises(ValueError, match="one submission"):
        gradescope_results(ROWS)


def test_a_failed_run_still_gets_a_valid_result():
    jsonschema.validate(error_results("the grader crashed"), RESULTS_SCHEMA)


def test_a_submission_is_graded_under_the_roster_folder_of_its_email():
    metadata = {"users": [{"email": "Ada@Example.org", "id": 77, "name": "Ada"}]}
    assert student_folder(metadata, {"ada@example.org": "ada"}) == "ada"
    assert student_folder(metadata) == "gs-77"
    assert student_folder({}) == "gs-student"


def test_a_renamed_upload_is_found_when_it_is_the_only_one(tmp_path):
    (tmp_path / "ex02_power_laws (1).ipynb").write_text("{}")
    assert find_submitted(tmp_path, "ex02_power_laws").name == "ex02_power_laws (1).ipynb"
    (tmp_path / "ex02_power_laws-2.ipynb").write_text("{}")
    assert find_submitted(tmp_path, "ex02_power_laws") is None


@pytest.fixture()
def wheel(tmp_path) -> Path:
    path = tmp_path / "scaling_laws_course-0.1.0-py3-none-any.whl"
    path.write_bytes(b"not a real wheel: the install issue's test builds real ones")
    return path


def test_the_bundle_installs_the_wheel_inside_it_and_carries_the_tests(tmp_path, wheel):
    bundle = write_bundle(tmp_path / "autograder.zip", wheel=wheel, notebooks=["ex01_history_compute"],
                          course_root=ROOT.path, email_to_folder={"ada@example.org": "ada"})
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert {"setup.sh", "run_autograder", f"wheels/{wheel.name}", "course/tests/conftest.py",
            "course/tests/exercises/test_ex01_history_compute.py", "course/pytest.ini", "roster.csv"} <= names
    assert not any("solutions" in name or "test_ex02" in name for name in names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert f'"$SOURCE/wheels/{wheel.name}"' in setup and "download.pytorch.org/whl/cpu" in setup
    assert "course_utils.grading.gradescope run" in run and "--notebook ex01_history_compute" in run
    assert "\r" not in setup + run


def _bundle_text(bundle: Path) -> tuple[set[str], str, str]:
    with zipfile.ZipFile(bundle) as archive:
        return set(archive.namelist()), archive.read("setup.sh").decode(), archive.read("constraints.txt").decode()


def test_each_bundle_carries_only_its_own_tests_and_the_data_they_read(tmp_path, wheel):
    ex02, _, _ = _bundle_text(write_bundle(tmp_path / "a.zip", wheel=wheel, notebooks=["ex02_power_laws"],
                                           course_root=ROOT.path))
    ex03, _, _ = _bundle_text(write_bundle(tmp_path / "b.zip", wheel=wheel, notebooks=["ex03_scaling_lab"],
                                           course_root=ROOT.path))
    assert not any("hidden/data" in name for name in ex02)
    assert {name for name in ex03 if "hidden/data" in name} == {"course/tests/hidden/data/ex03_heldout.json"}
    assert not any("make_ex03_heldout" in name or "test_ex02" in name for name in ex03)


def test_setup_updates_apt_first_and_pins_the_versions_the_course_was_tested_with(tmp_path, wheel):
    from importlib.metadata import version

    _, setup, constraints = _bundle_text(write_bundle(tmp_path / "a.zip", wheel=wheel,
                                                      notebooks=["ex01_history_compute"], course_root=ROOT.path))
    assert setup.index("apt-get update") < setup.index("apt-get install")
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"PY=python{python}" in setup
    for package in ("numpy", "scipy", "torch", "pytest"):
        pinned = f'{package}=={version(package).split("+")[0]}; python_version == "{python}"'
        assert pinned in constraints.splitlines(), package
    installs = [line for line in setup.splitlines() if line.startswith("$PIP install")]
    assert installs and all('-c "$SOURCE/constraints.txt"' in line for line in installs)


def test_a_misnamed_upload_is_named_in_the_message(tmp_path):
    from course_utils.grading.gradescope import missing_note

    (tmp_path / "Untitled.ipynb").write_text("{}")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "power.ipynb").write_text("{}")
    assert missing_note(tmp_path, "ex02_power_laws") == (
        "no ex02_power_laws.ipynb in the submission (it holds Untitled.ipynb, notes/power.ipynb): upload the "
        "notebook under the name ex02_power_laws.ipynb")


def test_an_e_mail_that_is_not_on_the_roster_is_noted():
    from course_utils.grading.gradescope import roster_note

    metadata = {"users": [{"email": "Eve@Example.org", "id": 77}]}
    assert roster_note(metadata, {"ada@example.org": "ada"}).startswith(
        "the submitter's e-mail (eve@example.org) is not on the course roster: graded as gs-77")
    assert roster_note(metadata, {"eve@example.org": "eve"}) is None and roster_note(metadata, None) is None


def test_with_a_wheelhouse_setup_installs_without_any_index(tmp_path, wheel):
    dep = tmp_path / "numpy-2.0.0-cp311-cp311-linux_x86_64.whl"
    dep.write_bytes(b"x")
    bundle = write_bundle(tmp_path / "a.zip", wheel=wheel, notebooks=["ex01_history_compute"],
                          course_root=ROOT.path, wheelhouse=[dep])
    with zipfile.ZipFile(bundle) as archive:
        setup = archive.read("setup.sh").decode()
        assert f"wheels/{dep.name}" in archive.namelist()
    assert "--no-index" in setup and "pytorch.org" not in setup


def test_a_rubric_only_notebook_cannot_go_to_gradescope(tmp_path, wheel):
    with pytest.raises(ValueError, match="rubric-only"):
        write_bundle(tmp_path / "a.zip", wheel=wheel, notebooks=["ex07_capstone"], course_root=ROOT.path)


@pytest.mark.slow
@pytest.mark.skipif(not ROOT.solutions.is_dir(), reason="a workshop copy has no solutions/ to submit")
def test_run_autograder_grades_a_submission_and_writes_valid_results(tmp_path, wheel):
    """The bundle's own run_autograder script, run as Gradescope would (paths moved under tmp)."""
    bundle = write_bundle(tmp_path / "autograder.zip", wheel=wheel, notebooks=["ex01_history_compute"],
                          course_root=ROOT.path)
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    shutil.copy(ROOT.solutions / "ex01_history_compute.ipynb", root / "submission" / "ex01_history_compute.ipynb")
    (root / "submission_metadata.json").write_text(json.dumps({"users": [{"email": "a@x", "id": 5}]}))
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    env.pop("SCALING_COURSE_ROOT", None)
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert results["tests"], results["output"]
    assert all(test["status"] == "passed" for test in results["tests"]), results
    assert results["score"] == sum(test["max_score"] for test in results["tests"]) > 0


def test_a_path_inside_the_zip_never_decides_where_a_file_lands(tmp_path):
    download = _canvas_zip(tmp_path / "d.zip", ["../../lovelaceada_101_1_.bashrc", "x/../../lovelaceada_101_2_a.ipynb"])
    out = tmp_path / "deep" / "submissions"
    import_submissions(download, out, ROSTER, "canvas")
    landed = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert landed == ["d.zip", "deep/submissions/.lms_import.csv", "deep/submissions/ada/_.bashrc",
                      "deep/submissions/ada/a.ipynb"]
