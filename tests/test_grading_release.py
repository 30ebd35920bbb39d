"""``release --without-solutions`` and ``start``: what learners get, and what they keep."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.course_root import find_course_root
from course_utils.grading.commands.release import BEGIN, END, release, workshop_copy
from course_utils.grading.commands.workcopy import start

ROOT = find_course_root()
REPO_ROOT = ROOT.path
SOLUTIONS = ROOT.solutions
HIDDEN = ROOT.hidden_tests


def _solution_blocks() -> list[str]:
    """The text between the markers of every solution notebook, one block per entry."""
    blocks = []
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            pattern = re.escape(BEGIN) + r"\n(.*?)\n[ \t]*" + re.escape(END)
            blocks += re.findall(pattern, source, flags=re.DOTALL)
    return blocks


@pytest.fixture(scope="module")
def workshop(tmp_path_factory) -> Path:
    return workshop_copy(tmp_path_factory.mktemp("release") / "workshop")


@pytest.mark.slow
@pytest.mark.skipif(not SOLUTIONS.is_dir(), reason="a workshop copy has no solutions/")
def test_a_workshop_copy_has_no_solutions_anywhere(workshop):
    copy = workshop
    assert not (copy / "solutions").exists()
    assert sorted(p.name for p in (copy / "exercises").glob("*.ipynb")) == sorted(
        p.name for p in SOLUTIONS.glob("*.ipynb"))
    texts = {path: path.read_text(encoding="utf-8", errors="replace")
             for path in copy.rglob("*") if path.is_file()}
    notebooks = {p: text for p, text in texts.items() if p.suffix == ".ipynb"}
    assert not [p for p, text in notebooks.items() if BEGIN in text]  # docs may name the marker
    blocks = _solution_blocks()
    assert blocks, "no solution blocks found: this test would prove nothing"
    for block in blocks:
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        # one-line blocks can coincide with library code; they must not appear in a notebook
        searched = texts if len(lines) > 1 else notebooks
        for path, text in searched.items():
            flat = "\n".join(line.strip() for line in text.replace("\\n", "\n").splitlines())
            assert "\n".join(lines) not in flat, f"solution text found in {path.relative_to(copy)}"


@pytest.mark.slow
@pytest.mark.skipif(not HIDDEN.is_dir(), reason="this copy of the course has no hidden tests")
def test_a_workshop_copy_has_no_hidden_tests_and_no_held_out_data(workshop):
    """Nothing of tests/hidden/ (its test modules, any held-out data) is in the copy, under
    its own name or another, and no hidden test function is defined anywhere in it."""
    private = [path for path in HIDDEN.rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    assert any(path.name.startswith("test_") for path in private), "no hidden tests found: this test would prove nothing"
    assert not (workshop / HIDDEN.relative_to(REPO_ROOT)).exists()
    copied = {path.read_bytes() for path in workshop.rglob("*") if path.is_file()}
    leaked = [path.relative_to(REPO_ROOT).as_posix() for path in private
              if path.read_bytes() in copied and path.stat().st_size > 0 and path.name != "__init__.py"]
    assert not leaked, f"hidden tests or held-out data in the workshop copy: {leaked}"
    hidden_tests = {name for path in private if path.suffix == ".py"
                    for name in re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), re.MULTILINE)}
    defined = [f"{path.relative_to(workshop).as_posix()}: {name}" for path in workshop.rglob("*.py")
               for name in re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8", errors="replace"),
                                      re.MULTILINE) if name in hidden_tests]
    assert hidden_tests and not defined, f"hidden tests in the workshop copy: {defined}"


def test_a_workshop_copy_refuses_to_land_inside_the_course():
    with pytest.raises(ValueError, match="outside the course"):
        workshop_copy(REPO_ROOT / "exercises" / "copy")


def test_release_writes_one_stubbed_notebook_per_solution(tmp_path):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nb = {"cells": [{"cell_type": "code", "id": "c1", "metadata": {"tags": ["exercise"]}, "execution_count": 3,
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": "42\n"}],
                     "source": "def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION"}],
          "metadata": {"widgets": {"state": {}}}, "nbformat": 4, "nbformat_minor": 5}
    (solutions / "ex09_demo.ipynb").write_text(json.dumps(nb))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "ex08_stale.ipynb").write_text("{}")
    release(solutions, tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["ex09_demo.ipynb"]
    cell = json.loads((tmp_path / "out" / "ex09_demo.ipynb").read_text())["cells"][0]
    assert "return 42" not in "".join(cell["source"]) and "NotImplementedError" in "".join(cell["source"])
    assert cell["outputs"] == [] and cell["execution_count"] is None


def test_start_copies_the_exercises_and_never_overwrites_a_learners_file(tmp_path):
    exercises = tmp_path / "exercises"
    exercises.mkdir()
    for name in ("ex01.ipynb", "ex02.ipynb"):
        (exercises / name).write_text("course version")
    mine = tmp_path / "my_work"
    mine.mkdir()
    (mine / "ex01.ipynb").write_text("my answers")
    copied, kept = start(mine, exercises)
    assert [p.name for p in copied] == ["ex02.ipynb"] and [p.name for p in kept] == ["ex01.ipynb"]
    assert (mine / "ex01.ipynb").read_text() == "my answers"


def test_my_work_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", "my_work/ex01_history_compute.ipynb"], cwd=REPO_ROOT)
    if result.returncode == 128:
        pytest.skip("not a git checkout")
    assert result.returncode == 0


def test_the_start_command_reports_what_it_did(tmp_path):
    run = subprocess.run([sys.executable, "-m", "course_utils", "start", "--dir", str(tmp_path / "mine")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "added" in run.stdout and list((tmp_path / "mine" / "my_work").glob("ex0*.ipynb"))
