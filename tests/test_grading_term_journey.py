"""An instructor's term, end to end, through the commands they type (issue 20).

Twelve learners, among them ``rené`` (whose folder a Mac unpacked in decomposed Unicode),
``李雷`` and ``josé``; the roster is Canvas's own gradebook export, as Canvas writes it.

1. ``import canvas`` puts week 1's download into one folder per learner (ken's upload came
   in as ``ex01_history_compute (1).ipynb``; grace's is marked LATE);
2. ``grade --notebook ex01_history_compute --due ... --late-rule ...`` grades week 1;
3. ken renames his notebook as his feedback asks, and is regraded;
4. the instructor copies the submissions to another disk with ``cp -r`` (no ``-p``) and runs
   the README's plain ``grade`` from the copy, mid-term;
5. week 2 (``ex02_power_laws``) with an extension for linus;
6. the capstone's written answers: collected, part-marked (hedy's marking is not finished),
   exported to Canvas (refused, then ``--allow-partial``);
7. the class graded again in two shards and merged.

Every learner gets an HTML copy of their notebook with the results under their code.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest

from course_utils.course_root import find_course_root

ROOT = find_course_root()
WEEK1, WEEK2, CAPSTONE = "ex01_history_compute", "ex02_power_laws", "ex07_capstone"
#: folder (the SIS Login ID), sortable name, Canvas user ID
CLASS = [("ada", "Lovelace, Ada", 101), ("ken", "Thompson, Ken", 102), ("linus", "Torvalds, Linus", 103),
         ("hedy", "Lamarr, Hedy", 104), ("katherine", "Johnson, Katherine", 105), ("grace", "Hopper, Grace", 106),
         ("alan", "Turing, Alan", 107), ("barbara", "Liskov, Barbara", 108), ("rené", "Descartes, René", 109),
         ("李雷", "Li, Lei", 110), ("josé", "Martí, José", 111), ("margaret", "Hamilton, Margaret", 112)]
DUE1, DUE2 = "2025-03-07T23:59", "2025-03-14T23:59"  # no zone: the grading machine's, as the zip's times
ON_TIME1, LATE1 = (2025, 3, 7, 20, 0, 0), (2025, 3, 9, 12, 0, 0)  # grace: 36 hours and a minute late, 2 started days
ON_TIME2, AFTER2 = (2025, 3, 14, 20, 0, 0), (2025, 3, 16, 10, 0, 0)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not ROOT.solutions.is_dir(), reason="a workshop copy has no solutions/")]


def _course(*args: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess:
    ran = subprocess.run([sys.executable, "-m", "course_utils", *args], cwd=cwd, capture_output=True, text=True,
                         timeout=600)
    assert (ran.returncode == 0) == ok, f"{args}: {ran.returncode}\n{ran.stdout}\n{ran.stderr}"
    return ran


def _notebook(folder: Path, stem: str) -> dict:
    return json.loads((folder / f"{stem}.ipynb").read_text(encoding="utf-8"))


def _canvas_roster() -> str:
    """The class as Canvas's gradebook export writes it (lib/gradebook_exporter.rb)."""
    lines = ["Student,ID,SIS User ID,SIS Login ID,Section,Capstone (7007),Current Score",
             ",,,,,Manual Posting,", "    Points Possible,,,,,20.00,(read only)"]
    lines += [f'"{name}",{user},S{user},{folder},A,,' for folder, name, user in CLASS]
    lines.append('"Student, Test",9999,,,A,,')
    return "\r\n".join(lines) + "\r\n"


def _download(path: Path, files: list[tuple[str, dict, tuple]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, nb, when in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=when), json.dumps(nb))
    return path


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())  # Canvas's sortable name, as its zip writes it


def _half(solution: dict, blank: dict) -> dict:
    nb = json.loads(json.dumps(solution))
    tagged = [i for i, cell in enumerate(nb["cells"]) if "exercise" in cell["metadata"].get("tags", [])]
    for i in tagged[1::2]:
        nb["cells"][i] = blank["cells"][i]
    return nb


def _table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _grades(out: Path) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in _table((out / "grades.csv").read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("term")
    solution1, blank1 = _notebook(ROOT.solutions, WEEK1), _notebook(ROOT.exercises, WEEK1)
    solution2, blank2 = _notebook(ROOT.solutions, WEEK2), _notebook(ROOT.exercises, WEEK2)
    capstone = _notebook(ROOT.exercises, CAPSTONE)
    (tmp / "grades.csv").write_text(_canvas_roster(), encoding="utf-8")
    steps = {}

    # 1-2: week 1
    week1 = []
    for folder, name, user in CLASS:
        nb = {"alan": blank1, "margaret": _half(solution1, blank1)}.get(folder, solution1)
        file = f"{WEEK1} (1).ipynb" if folder == "ken" else f"{WEEK1}.ipynb"
        late = "_LATE" if folder == "grace" else ""
        week1.append((f"{_key(name)}{late}_{user}_{user}1_{file}", nb, LATE1 if late else ON_TIME1))
    steps["import"] = _course("import", "canvas", str(_download(tmp / "week1.zip", week1)), "--roster", "grades.csv",
                              "--into", "submissions", cwd=tmp)
    subs = tmp / "submissions"
    (subs / "rené").rename(subs / unicodedata.normalize("NFD", "rené"))  # unpacked again on a Mac
    rule = ["--late-rule", "10%/day, max 50%"]
    steps["week1"] = _course("grade", "submissions", "--out", "gradebook", "--notebook", WEEK1, "--roster",
                             "grades.csv", "--due", f"{WEEK1}={DUE1}", *rule, "--quiet", cwd=tmp)
    steps["week1 grades"] = _grades(tmp / "gradebook")
    steps["ken before"] = (tmp / "gradebook" / "feedback" / "ken.md").read_text(encoding="utf-8")

    # 3: ken renames as asked; regraded
    (subs / "ken" / f"{WEEK1} (1).ipynb").rename(subs / "ken" / f"{WEEK1}.ipynb")
    _course("grade", "submissions", "--out", "gradebook", "--student", "ken", "--notebook", WEEK1, "--quiet", cwd=tmp)
    steps["ken after"] = _grades(tmp / "gradebook")["ken"]
    steps["late after rename"] = (tmp / "gradebook" / "late.csv").read_text(encoding="utf-8")

    # 4: cp -r to another disk (new file times), then the README's plain grade, mid-term
    shutil.copytree(subs, tmp / "disk2" / "submissions", copy_function=shutil.copyfile)
    steps["plain"] = _course("grade", "disk2/submissions", "--out", "gradebook", "--quiet", cwd=tmp)
    steps["plain grades"] = _grades(tmp / "gradebook")
    steps["late after copy"] = (tmp / "gradebook" / "late.csv").read_text(encoding="utf-8")

    # 5: week 2, linus with an extension; katherine late without one
    week2 = [(f"{_key(name)}_{user}_{user}2_{WEEK2}.ipynb",
              solution2 if folder in ("ada", "linus", "katherine") else blank2,
              AFTER2 if folder in ("linus", "katherine") else ON_TIME2) for folder, name, user in CLASS]
    _course("import", "canvas", str(_download(tmp / "week2.zip", week2)), "--roster", "grades.csv", "--into",
            "disk2/submissions", cwd=tmp)
    (tmp / "extensions.csv").write_text(f"student,notebook,due\nlinus,{WEEK2},2025-03-17T23:59\n", encoding="utf-8")
    steps["week2"] = _course("grade", "disk2/submissions", "--out", "gradebook", "--notebook", WEEK2, "--due",
                             f"{WEEK2}={DUE2}", "--extensions", "extensions.csv", "--quiet", cwd=tmp)

    # 6: the capstone: collected, marked (hedy's marking unfinished), exported
    answered = json.loads(json.dumps(capstone))
    for cell in answered["cells"]:
        if "answer" in cell["metadata"].get("tags", []):
            cell["source"] = "N = 3.5e10 and D = 1e13, because <inference> dominates the cost."
    final = [(f"{_key(name)}_{user}_{user}7_{CAPSTONE}.ipynb", answered, ON_TIME2) for _, name, user in CLASS]
    _course("import", "canvas", str(_download(tmp / "capstone.zip", final)), "--roster", "grades.csv", "--into",
            "disk2/submissions", cwd=tmp)
    _course("grade", "disk2/submissions", "--out", "gradebook", "--notebook", CAPSTONE, "--quiet", cwd=tmp)
    sheet = tmp / "gradebook" / f"marking_{CAPSTONE}.csv"
    rows = _table(sheet.read_text(encoding="utf-8"))
    for row in rows:
        unfinished = row["student"] == "hedy" and row["question"] in ("sensitivity", "validation", "stopping")
        row["points"] = "" if unfinished else str(float(row["max_points"]) / 2)
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    steps["marked"] = _course("grade", "disk2/submissions", "--out", "gradebook", "--notebook", CAPSTONE,
                              "--merge-rubric", str(sheet), "--roster", "grades.csv", "--export", "canvas", "--quiet",
                              cwd=tmp, ok=False)
    steps["allowed"] = _course("export", "canvas", "--out", "gradebook", "--roster", "grades.csv", "--allow-partial",
                               cwd=tmp)
    steps["canvas"] = (tmp / "gradebook" / "canvas.csv").read_text(encoding="utf-8")

    # 7: week 1 again in two shards, merged
    shard = ["--notebook", WEEK1, "--due", f"{WEEK1}={DUE1}", *rule, "--quiet"]
    for k in (1, 2):
        _course("grade", "disk2/submissions", "--out", f"shards/{k}", "--shard", f"{k}/2", *shard, cwd=tmp)
    steps["merge"] = _course("merge-grades", "merged", "shards/1", "shards/2", cwd=tmp)
    return tmp, tmp / "gradebook", steps


def test_canvas_s_own_gradebook_export_served_as_the_roster_unchanged(term):
    _, _, steps = term
    said = steps["import"].stdout
    assert "Canvas's 'Points Possible' row, skipped" in said
    assert "Canvas's test student (Student, Test), skipped" in said
    assert "imported 12 file(s) for 12 student(s)" in said
    graded = steps["week1"].stdout
    assert "folder(s) not in grades.csv" not in graded and "have no folder" not in graded


def test_the_mac_s_folder_is_the_roster_s_learner(term):
    _, out, steps = term
    assert "rené" in steps["week1 grades"] and (out / "feedback" / "rené.md").is_file()
    assert steps["week1 grades"]["rené"][WEEK1] == steps["week1 grades"]["ada"][WEEK1]


def test_following_the_feedback_s_rename_costs_nothing(term):
    _, _, steps = term
    assert "rename it to ex01_history_compute.ipynb" in steps["ken before"]
    assert steps["ken after"][WEEK1] == steps["ken after"]["possible"]
    assert [row["student"] for row in _table(steps["late after rename"])] == ["grace"]


def test_a_copy_without_p_and_a_plain_grade_mid_term_change_nobody_s_standing(term):
    _, _, steps = term
    assert "a plain grade regrades them and adds none" in steps["plain"].stdout
    before, after = steps["week1 grades"], steps["plain grades"]
    assert {k: (r["possible"], r["percent"]) for k, r in after.items() if k != "ken"} == \
           {k: (r["possible"], r["percent"]) for k, r in before.items() if k != "ken"}
    assert steps["late after copy"] == steps["late after rename"]


def test_late_work_is_judged_on_canvas_s_time_and_its_line_says_so(term):
    _, out, steps = term
    [grace] = _table(steps["late after copy"])
    assert (grace["evidence"], grace["late_hours"]) == ("download", "36.02")  # 12:00 on the 9th, due 23:59 on the 7th
    feedback = (out / "feedback" / "grace.md").read_text(encoding="utf-8")
    assert "Late: due 2025-03-07 23:59" in feedback
    assert "by the time the download from the learning system gave the file (36.0 hours after the due date)" in feedback
    assert "20% of 23 points is 4.6; 4.6 points deducted" in feedback


def test_linus_s_extension_moves_his_due_date_and_no_one_else_s(term):
    _, out, _ = term
    late = _table((out / "late.csv").read_text(encoding="utf-8"))
    assert sorted((row["student"], row["notebook"]) for row in late) == [("grace", WEEK1), ("katherine", WEEK2)]
    settings = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["settings"]
    assert settings["due"] == {WEEK1: f"{DUE1}{settings['due'][WEEK1][len(DUE1):]}",
                               WEEK2: f"{DUE2}{settings['due'][WEEK2][len(DUE2):]}"}
    assert list(settings["extensions"]) == ["linus"] and settings["assigned"] == [WEEK1, WEEK2, CAPSTONE]


def test_part_marked_capstones_say_marking_in_progress_and_export_only_when_allowed(term):
    _, out, steps = term
    hedy = (out / "feedback" / "hedy.md").read_text(encoding="utf-8")
    assert "marking in progress: 2 of 5 questions marked; still to mark: sensitivity, validation, stopping" in hedy
    assert "Score: 5/20 points (25%)" in hedy
    assert "export canvas: marking in progress: ex07_capstone for 1 learner (hedy)" in steps["marked"].stderr
    assert "for 1 learner (hedy)" in steps["allowed"].stdout
    scores = {row["Student"]: row for row in _table(steps["canvas"])}
    assert scores["Lamarr, Hedy"][CAPSTONE] == "5" and scores["Points Possible"][CAPSTONE] == "20"


def test_the_reference_solution_handed_in_verbatim_is_marked_in_identical_csv(term):
    _, out, steps = term
    groups = _table((out / "identical.csv").read_text(encoding="utf-8"))
    [week1] = [row for row in groups if row["notebook"] == WEEK1]
    assert week1["matches"] == "the reference solution" and len(week1["students"].split("; ")) == 10
    assert "10 handed in the reference solution of ex01_history_compute" in steps["plain"].stdout


def test_every_learner_gets_an_html_copy_of_each_notebook_with_the_results_under_their_code(term):
    _, out, _ = term
    index = _table((out / "feedback" / "index.csv").read_text(encoding="utf-8"))
    pages = {(row["student"], row["notebook"]): row["file"] for row in index if row["notebook"]}
    assert {student for student, _ in pages} == {folder for folder, _, _ in CLASS}
    assert all((student, WEEK1) in pages and (student, CAPSTONE) in pages for student, _, _ in CLASS)
    page = (out / "feedback" / pages["margaret", WEEK1]).read_text(encoding="utf-8")
    assert page.index("def training_flops(") < page.index('data-exercise="training_flops"') < page.index(
        "def forward_flops_per_token(")
    capstone = (out / "feedback" / pages["ada", CAPSTONE]).read_text(encoding="utf-8")
    assert "&lt;inference&gt;" in capstone and "<inference>" not in capstone and "marked by hand" in capstone


def test_the_merged_shards_keep_the_set_notebooks_and_the_settings(term):
    tmp, _, _ = term
    manifest = json.loads((tmp / "merged" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["assigned"] == [WEEK1]
    assert sorted(manifest["students"]) == sorted(folder for folder, _, _ in CLASS)
    assert all((tmp / "merged" / "feedback" / folder / f"{WEEK1}.html").is_file() for folder, _, _ in CLASS)
