"""A week of a real course, end to end, through the commands an instructor types:

1. ``import canvas`` turns a Canvas download into one folder per student through a roster;
2. ``grade --notebook ex02_power_laws --roster`` grades this week's notebook only;
3. ``grade --notebook ex07_capstone`` collects the capstone's written answers: one page per
   student and a marking sheet;
4. the instructor fills the sheet; ``grade --notebook ex07_capstone --merge-rubric SHEET
   --overrides FILE --export canvas --assignment ...`` merges the marks and an override and
   writes Canvas's CSV, which is read back as Canvas's importer reads it;
5. ``grade --student grace --notebook ex02_power_laws`` regrades one resubmission and
   replaces only those results;
6. ``export gradescope`` writes the autograder bundle; its own ``run_autograder`` grades a
   submission and writes a ``results.json`` that validates against Gradescope's spec.

Five learners: ada (the reference solution), hopper (the same solution, reformatted: an
identical submission), grace (half solved, marked LATE by Canvas), alan (the blank notebook),
zed (nothing at all).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from course_utils.course_root import find_course_root
from course_utils.grading.course.csvio import format_points
from vendor_formats import RESULTS_SCHEMA, canvas_reads

ROOT = find_course_root()
WEEK = "ex02_power_laws"
CAPSTONE = "ex07_capstone"
ROSTER_CSV = """folder,name,canvas_id,sis_user_id,sis_login_id,section,email
ada,Ada Lovelace,101,S101,ada.l,A,ada@example.org
alan,Alan Turing,102,S102,alan.t,A,alan@example.org
grace,Grace Hopper,103,S103,grace.h,B,grace@example.org
hopper,Hopper Grace,104,S104,hopper.g,B,hopper@example.org
zed,Zed Zero,105,S105,zed.z,B,zed@example.org
"""

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not ROOT.solutions.is_dir(), reason="a workshop copy has no solutions/")]


def _course(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m course_utils ARGS`` as an instructor runs it; must exit 0."""
    ran = subprocess.run([sys.executable, "-m", "course_utils", *args], cwd=cwd, capture_output=True, text=True,
                         timeout=600, env=env)
    assert ran.returncode == 0, f"{args}: {ran.stdout}\n{ran.stderr}"
    return ran


def _notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _half_solved(solution: dict, blank: dict) -> dict:
    nb = json.loads(json.dumps(solution))
    exercise = [i for i, c in enumerate(nb["cells"]) if "exercise" in c["metadata"].get("tags", [])]
    for i in exercise[1::2]:
        nb["cells"][i] = blank["cells"][i]
    return nb


def _reformatted(solution: dict) -> dict:
    nb = json.loads(json.dumps(solution))
    for cell in nb["cells"]:
        if "exercise" in cell["metadata"].get("tags", []):
            source = "".join(cell["source"])
            cell["source"] = "# my own work\n" + re.sub(r"^\s*### (BEGIN|END) SOLUTION\n", "", source, flags=re.M)
    return nb


def _table(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """Run the week (see the module docstring); returns the folders and what each step printed."""
    tmp = tmp_path_factory.mktemp("week")
    solution = _notebook(ROOT.solutions / f"{WEEK}.ipynb")
    blank = _notebook(ROOT.exercises / f"{WEEK}.ipynb")
    capstone = _notebook(ROOT.exercises / f"{CAPSTONE}.ipynb")
    answered = json.loads(json.dumps(capstone))
    for cell in answered["cells"]:
        if "question:plan" in cell["metadata"].get("tags", []):
            cell["source"] = "N = 3.5e10, D = 1e13 (285 tokens per parameter) <because> inference dominates."
    download = tmp / "canvas.zip"
    with zipfile.ZipFile(download, "w") as archive:  # Canvas's names: <name>[_LATE]_<user id>_<file id>_<name>
        archive.writestr(f"lovelaceada_101_1_{WEEK}.ipynb", json.dumps(solution))
        archive.writestr(f"lovelaceada_101_2_{CAPSTONE}.ipynb", json.dumps(answered))
        archive.writestr(f"turingalan_102_3_{WEEK}.ipynb", json.dumps(blank))
        archive.writestr(f"turingalan_102_4_{CAPSTONE}.ipynb", json.dumps(capstone))
        archive.writestr(f"hoppergrace_LATE_103_5_{WEEK}-1.ipynb", json.dumps(_half_solved(solution, blank)))
        archive.writestr(f"gracehopper_104_6_{WEEK}.ipynb", json.dumps(_reformatted(solution)))
    (tmp / "roster.csv").write_text(ROSTER_CSV, encoding="utf-8")
    steps = {"import": _course("import", "canvas", "canvas.zip", "--roster", "roster.csv", "--into", "submissions",
                               cwd=tmp)}
    steps["week"] = _course("grade", "submissions", "--out", "gradebook", "--notebook", WEEK, "--roster",
                            "roster.csv", "--quiet", cwd=tmp)
    steps["week_grades"] = _table(tmp / "gradebook" / "grades.csv")
    steps["collect"] = _course("grade", "submissions", "--out", "gradebook", "--notebook", CAPSTONE, "--quiet",
                               cwd=tmp)
    sheet = tmp / "gradebook" / f"marking_{CAPSTONE}.csv"
    steps["sheet"] = sheet.read_text(encoding="utf-8")
    filled = [{**row, "points": "5", "comment": "Clear; cite the fit."}
              if (row["student"], row["question"]) == ("ada", "plan") else row
              for row in csv.DictReader(io.StringIO(steps["sheet"]))]
    with sheet.open("w", encoding="utf-8", newline="") as handle:  # as a spreadsheet saves it
        writer = csv.DictWriter(handle, fieldnames=list(filled[0]))
        writer.writeheader()
        writer.writerows(filled)
    (tmp / "overrides.csv").write_text("student,exercise,points,reason\n"
                                       "alan,fit_power_law,1,Worked it out on paper in class\n", encoding="utf-8")
    steps["merge"] = _course("grade", "submissions", "--out", "gradebook", "--notebook", CAPSTONE, "--merge-rubric",
                             str(sheet), "--overrides", "overrides.csv", "--roster", "roster.csv", "--export",
                             "canvas", "--assignment", f"{WEEK}=Exercises 2: power laws (7001)/10", "--assignment",
                             f"{CAPSTONE}=Capstone (7007)", "--quiet", cwd=tmp)
    steps["merged_results"] = (tmp / "gradebook" / "results.jsonl").read_text(encoding="utf-8")
    steps["canvas"] = (tmp / "gradebook" / "canvas.csv").read_text(encoding="utf-8")
    # grace resubmits the whole solution; only her ex02 results are regraded
    (tmp / "submissions" / "grace" / f"{WEEK}.ipynb").write_text(json.dumps(solution), encoding="utf-8")
    steps["regrade"] = _course("grade", "submissions", "--out", "gradebook", "--student", "grace", "--notebook", WEEK,
                               "--quiet", cwd=tmp)
    # Gradescope: the bundle, then its own run_autograder on grace's first, half-solved notebook
    (tmp / "scaling_laws_course-0.1.0-py3-none-any.whl").write_bytes(b"a stand-in: test_wheel.py builds real ones")
    steps["bundle"] = _course("export", "gradescope", "--out", "gradebook", "--wheel",
                              "scaling_laws_course-0.1.0-py3-none-any.whl", "--notebook", WEEK, "--roster",
                              "roster.csv", cwd=tmp)
    autograder = tmp / "autograder"
    with zipfile.ZipFile(tmp / "gradebook" / f"gradescope_{WEEK}.zip") as archive:
        archive.extractall(autograder / "source")
    (autograder / "submission").mkdir()
    (autograder / "submission" / f"{WEEK}.ipynb").write_text(json.dumps(_half_solved(solution, blank)))
    (autograder / "submission_metadata.json").write_text(json.dumps({"users": [{"email": "grace@example.org",
                                                                                  "id": 9}]}))
    env = {**os.environ, "AUTOGRADER_ROOT": str(autograder), "AUTOGRADER_PYTHON": sys.executable}
    env.pop("SCALING_COURSE_ROOT", None)
    ran = subprocess.run(["bash", str(autograder / "source" / "run_autograder")], env=env, cwd=autograder,
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr
    steps["results.json"] = json.loads((autograder / "results" / "results.json").read_text())
    return tmp, tmp / "gradebook", steps



def _points(stem: str, exercise: str | None = None) -> float:
    """Points of notebook ``stem``'s public and hidden tests (of one exercise, if named), read
    from the test modules themselves, so the expectations follow the tests."""
    from course_utils.grading.stages.runner import collect_syllabus

    root = find_course_root()
    rows = [row for folder in (root.exercise_tests, root.hidden_tests)
            for row in collect_syllabus(folder / f"test_{stem}.py")]
    return sum(row["max_points"] for row in rows if exercise in (None, row["exercise"]))


def test_the_download_became_one_folder_per_student(week):
    tmp, _, steps = week
    assert sorted(p.name for p in (tmp / "submissions").iterdir() if p.is_dir()) == ["ada", "alan", "grace", "hopper"]
    assert "no file for 1 student(s) of the roster: zed" in steps["import"].stdout
    assert "marked LATE by Canvas: grace" in steps["import"].stdout


def test_the_week_s_notebook_alone_is_graded_and_nothing_unassigned_counts_as_missing(week):
    _, _, steps = week
    grades = steps["week_grades"]
    week_possible = _points(WEEK)  # ex02's public and hidden tests
    assert list(grades["ada"])[-4:] == [WEEK, "total", "possible", "percent"]
    assert "ex01_history_compute" not in grades["ada"] and CAPSTONE not in grades["ada"]
    assert grades["ada"][WEEK] == grades["ada"]["possible"] == f"{week_possible:g}"  # ex01, ex03...: not missing
    assert grades["ada"]["percent"] == "100" and grades["alan"]["total"] == "0"
    assert "roster: 1 student(s) of the roster have no folder: zed" in steps["week"].stdout


def test_the_class_summary_saves_the_mean_per_exercise_and_a_histogram(week):
    _, out, _ = week
    summary = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text(encoding="utf-8"))))
    fit = next(row for row in summary if row["level"] == "exercise" and row["exercise"] == "fit_power_law")
    assert fit["students"] == "4" and fit["max_points"] == f"{_points(WEEK, 'fit_power_law'):g}"
    assert {row["notebook"] for row in summary if row["level"] == "notebook"} == {WEEK, CAPSTONE}
    assert (out / "totals.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_copy_and_the_late_work_are_flagged_for_a_person(week):
    _, out, _ = week
    identical = list(csv.DictReader(io.StringIO((out / "identical.csv").read_text(encoding="utf-8"))))
    # hopper's reformatted copy of the solution; grace's resubmission (step 5) is that solution too
    assert [(row["notebook"], row["students"]) for row in identical] == [(WEEK, "ada; grace; hopper")]
    late = list(csv.DictReader(io.StringIO((out / "late.csv").read_text(encoding="utf-8"))))
    assert [(row["student"], row["note"]) for row in late] == [("grace", "marked LATE by Canvas")]


def test_the_written_answers_are_on_one_page_per_student_with_a_marking_sheet(week):
    _, out, steps = week
    page = (out / "answers" / CAPSTONE / "ada.html").read_text(encoding="utf-8")
    assert "&lt;because&gt;" in page and "<because>" not in page
    assert "Not answered" in (out / "answers" / CAPSTONE / "alan.html").read_text(encoding="utf-8")
    sheet = list(csv.DictReader(io.StringIO(steps["sheet"])))
    assert len(sheet) == 4 * 5  # four students x the rubric's five questions
    assert [(r["points"], r["comment"]) for r in sheet if r["student"] == "ada" and r["question"] == "plan"] == [
        ("", "")]  # answered: for the marker; every unanswered question comes at 0, "no answer"


def test_the_filled_rubric_and_the_override_are_in_grades_csv_and_the_feedback(week):
    _, out, _ = week
    grades = _table(out / "grades.csv")
    assert grades["ada"]["plan"] == "5" and grades["ada"][CAPSTONE] == "5"
    assert grades["ada"]["possible"] == f"{_points(WEEK) + 20:g}"  # the capstone's 20 points, now that it is marked
    fit_points = _points(WEEK, "fit_power_law")
    assert grades["alan"]["fit_power_law"] == "1"  # the override: 1 point, the tests gave 0
    ada = (out / "feedback" / "ada.md").read_text(encoding="utf-8")
    assert "• marked by hand, 5/6 points: Clear; cite the fit." in ada
    alan = (out / "feedback" / "alan.md").read_text(encoding="utf-8")
    assert (f"set to 1 of {fit_points:g} points by the instructor (the tests gave 0): Worked it out on paper in class"
            in alan)


def test_a_regrade_of_one_student_and_notebook_replaces_only_those_results(week):
    _, out, steps = week
    before = [json.loads(line) for line in steps["merged_results"].splitlines()]
    after = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    outside = [row for row in before if not (row["student"] == "grace" and row["notebook"] == WEEK)]
    assert [row for row in after if not (row["student"] == "grace" and row["notebook"] == WEEK)] == outside
    assert _table(out / "grades.csv")["grace"][WEEK] == f"{_points(WEEK):g}"  # her resubmission passes everything
    assert "graded 1 student x 1 notebook" in steps["regrade"].stdout


def test_the_canvas_csv_validates_against_canvas_s_importer(week):
    _, _, steps = week
    titles, points, scores = canvas_reads(steps["canvas"])
    assert titles == [("Exercises 2: power laws", "7001"), ("Capstone", "7007")]
    assert points == {}  # both assignments exist in Canvas: no Points Possible row
    assert set(scores) == {"101", "102", "103", "104"}  # zed has no result: left for Canvas to keep
    assert scores["101"]["Capstone (7007)"] == "5"  # 5 of 20 points, on Canvas's 20
    assert scores["101"]["Exercises 2: power laws (7001)"] == "10"  # full marks, rescaled to Canvas's 10
    # alan's override: 1 point of the notebook's total, on Canvas's 10
    assert scores["102"]["Exercises 2: power laws (7001)"] == format_points(10 * 1 / _points(WEEK))
    assert re.fullmatch(r"\d(\.\d\d?)?", scores["103"]["Exercises 2: power laws (7001)"])


def test_the_gradescope_bundle_writes_a_results_json_that_validates_against_the_spec(week):
    _, _, steps = week
    results = steps["results.json"]
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert 0 < results["score"] < sum(test["max_score"] for test in results["tests"])
    hidden = [test for test in results["tests"] if "hidden test" in test["name"] or test["visibility"] != "visible"]
    assert hidden and all(t["visibility"] == "after_published" and t["output"] == "" for t in hidden)
