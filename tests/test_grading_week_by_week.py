"""A week of a real course, end to end, composed from the pieces the ``grade`` pipeline calls:
a Canvas download imported through a roster, this week's notebook graded, identical and late
submissions flagged, the capstone's written answers collected and a filled rubric merged,
an override applied, then grades.csv, the class summary, a Canvas CSV and a Gradescope
results.json, each checked against what its reader accepts.

Five learners: ada (the reference solution), hopper (the same solution, reformatted: an
identical submission), grace (half solved, late), alan (the blank notebook), zed (nothing).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import jsonschema
import pytest

from course_utils.course_root import find_course_root
from course_utils.grading.answers import collect_class, write_answer_pages
from course_utils.grading.assignments import gradebook_table, merge_results, select_notebooks
from course_utils.grading.csvio import parse_table
from course_utils.grading.extract import read_notebook_json
from course_utils.grading.gradescope import gradescope_results
from course_utils.grading.lateness import late_flags, parse_late_rule, penalty_rows, submission_times
from course_utils.grading.lms_export import Assignment, canvas_gradebook_csv
from course_utils.grading.lms_import import import_submissions, read_manifest
from course_utils.grading.overrides import apply_overrides, parse_overrides
from course_utils.grading.rubric import load_rubric, merge_marks, read_marking_sheet
from course_utils.grading.similarity import fingerprint, identical_groups
from course_utils.grading.summary import histogram_png, pass_counts, summary_csv
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


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """Import, grade and mark one week; returns everything the checks below look at."""
    from course_utils.grading.grade import grade_class
    from course_utils.grading.roster import parse_roster

    tmp = tmp_path_factory.mktemp("week")
    roster = parse_roster(ROSTER_CSV)
    solution = read_notebook_json(ROOT.solutions / f"{WEEK}.ipynb")
    blank = read_notebook_json(ROOT.exercises / f"{WEEK}.ipynb")
    capstone = read_notebook_json(ROOT.exercises / f"{CAPSTONE}.ipynb")
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
    submissions = tmp / "submissions"
    plan = import_submissions(download, submissions, roster, "canvas")

    out = tmp / "gradebook"
    grade_class(submissions, out, progress=False)
    graded = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    # --notebook ex02_power_laws: this week's notebook only (the grader graded the others as missing)
    notebooks = select_notebooks([p.stem.removeprefix("test_") for p in sorted(ROOT.exercise_tests.glob("test_*.py"))],
                                 [WEEK])
    results = merge_results([], graded, notebooks=notebooks)
    results = [row for row in results if row["notebook"] in notebooks]

    students = [s for s in roster.folders if (submissions / s).is_dir()]
    prints = {(s, WEEK): fingerprint(read_notebook_json(submissions / s / f"{WEEK}.ipynb"), blank)
              for s in students if (submissions / s / f"{WEEK}.ipynb").is_file()}
    times = submission_times(submissions, students, [WEEK], read_manifest(submissions))
    flags = late_flags(times, {})

    rubric = load_rubric(ROOT.exercise_tests / f"rubric_{CAPSTONE}.toml")
    collected = collect_class(submissions, [s for s in students if (submissions / s / f"{CAPSTONE}.ipynb").is_file()],
                              CAPSTONE, capstone)
    write_answer_pages(out, CAPSTONE, collected, rubric)
    sheet = out / f"marking_{CAPSTONE}.csv"
    filled = [row if row["student"] != "ada" or row["question"] != "plan" else {**row, "points": "5",
                                                                                "comment": "Clear; cite the fit."}
              for row in csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8")))]
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(filled[0]))
        writer.writeheader()
        writer.writerows(filled)
    marks = merge_marks(read_marking_sheet(sheet), rubric, students)
    results = results + marks.rows
    overrides = parse_table("student,exercise,points,reason\nalan,fit_power_law,1,Worked it out on paper in class\n",
                            "overrides.csv", required=("student", "exercise", "points", "reason"))
    results = apply_overrides(results, parse_overrides(overrides, results))
    return dict(plan=plan, submissions=submissions, out=out, results=results, prints=prints, flags=flags,
                marks=marks, roster=roster, rubric=rubric)


def test_the_download_became_one_folder_per_student(week):
    assert week["plan"].absent == ["zed"]
    assert sorted(p.name for p in week["submissions"].iterdir() if p.is_dir()) == ["ada", "alan", "grace", "hopper"]


def test_only_this_week_s_notebook_and_the_capstone_are_in_the_gradebook(week):
    header, table = gradebook_table(week["results"])
    assert WEEK in header and CAPSTONE in header and "ex01_history_compute" not in header
    by_student = {line[0]: dict(zip(header, line)) for line in table}
    ada = by_student["ada"]
    week_possible = sum(r["max_points"] for r in week["results"] if r["student"] == "ada" and r["notebook"] == WEEK)
    assert ada[WEEK] == week_possible > 0          # the reference solution passes everything
    assert ada[CAPSTONE] == 5                      # 5 for the plan, 0 for the four unanswered questions
    assert ada["possible"] == week_possible + 20   # the capstone's 20 points
    assert by_student["alan"]["fit_power_law"] == 1  # the override
    assert by_student["grace"][CAPSTONE] is None     # grace handed in no capstone: not counted as missing


def test_the_copy_is_flagged_and_the_late_work_too(week):
    groups = identical_groups(week["prints"])
    assert [(g.notebook, g.students) for g in groups] == [(WEEK, ("ada", "hopper"))]
    assert [(f.student, f.description) for f in week["flags"]] == [("grace", "marked LATE by Canvas")]
    assert penalty_rows(week["flags"], week["results"], parse_late_rule("10%/day")) == []  # a marker has no time


def test_the_written_answers_are_on_one_page_per_student(week):
    page = (week["out"] / "answers" / CAPSTONE / "ada.html").read_text(encoding="utf-8")
    assert "&lt;because&gt;" in page and "<because>" not in page
    assert "Not answered" in (week["out"] / "answers" / CAPSTONE / "alan.html").read_text(encoding="utf-8")
    # the sheet came pre-filled with 0 for every unanswered question; the marker gave ada's plan 5
    assert len(week["marks"].rows) == 10 and week["marks"].unmarked == []
    assert [(r["student"], r["exercise"], r["points"]) for r in week["marks"].rows if r["points"]] == [("ada", "plan", 5.0)]


def test_the_class_summary_and_histogram_are_written(week, tmp_path):
    summary = list(csv.DictReader(io.StringIO(summary_csv(week["results"]))))
    notebook_rows = {row["notebook"]: row for row in summary if row["level"] == "notebook"}
    assert notebook_rows[WEEK]["students"] == "4"
    assert all(t.students == 4 for t in pass_counts(week["results"]) if t.notebook == WEEK)
    assert histogram_png(week["results"], tmp_path / "totals.png").stat().st_size > 1000


def test_the_canvas_csv_validates_against_canvas_s_importer(week):
    assignments = [Assignment(WEEK, "Exercises 2: power laws", "7001", 10.0), Assignment(CAPSTONE, "Capstone", "7007")]
    titles, points, scores = canvas_reads(canvas_gradebook_csv(week["results"], week["roster"], assignments))
    assert titles == [("Exercises 2: power laws", "7001"), ("Capstone", "7007")]
    assert points == {}  # both assignments exist in Canvas: no Points Possible row
    assert set(scores) == {"101", "102", "103", "104"}  # zed has no result: left for Canvas to keep
    assert scores["101"]["Capstone (7007)"] == "5"  # 5 of 20 points, on Canvas's 20
    assert scores["101"]["Exercises 2: power laws (7001)"] == "10"  # full marks, rescaled to Canvas's 10
    assert re.fullmatch(r"\d(\.\d\d?)?", scores["103"]["Exercises 2: power laws (7001)"])


def test_a_gradescope_results_json_validates_against_the_spec(week):
    rows = [r for r in week["results"] if r["student"] == "grace" and r["notebook"] == WEEK]
    results = gradescope_results(rows)
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert 0 < results["score"] < sum(t["max_score"] for t in results["tests"])
