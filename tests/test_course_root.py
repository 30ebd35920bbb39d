"""course_root: the one place that finds the course's folders (issue 12, item 1).

Order: an explicit folder, $SCALING_COURSE_ROOT, a folder made by ``start`` (marker file),
the source checkout, the installed package's copy; a clear error when none is found.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course_utils import course_root
from course_utils.course_root import (ENV_ROOT, MARKER, CourseRootError, find_course_root,
                                      find_folder)

CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_root_variable(monkeypatch):
    monkeypatch.delenv(ENV_ROOT, raising=False)


def test_source_checkout_is_found_from_anywhere(tmp_path):
    root = find_course_root(cwd=tmp_path)
    assert (root.path, root.found_by) == (CHECKOUT, "source checkout")


def test_explicit_folder_wins_over_everything(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_ROOT, str(CHECKOUT))
    root = find_course_root(tmp_path)
    assert (root.path, root.found_by) == (tmp_path.resolve(), "argument")


def test_environment_variable_wins_over_the_checkout(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_ROOT, str(tmp_path))
    assert find_course_root().path == tmp_path.resolve()


def test_explicit_folder_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(CourseRootError, match="is not a folder"):
        find_course_root(tmp_path / "nowhere")


def test_environment_folder_that_does_not_exist_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_ROOT, str(tmp_path / "nowhere"))
    with pytest.raises(CourseRootError, match=re.escape(f"${ENV_ROOT}")):
        find_course_root()


def test_started_folder_is_found_from_a_subfolder(tmp_path):
    (tmp_path / MARKER).write_text("{}\n")
    (tmp_path / "exercises").mkdir()
    root = find_course_root(cwd=tmp_path / "exercises")
    assert (root.path, root.found_by) == (tmp_path.resolve(), "started folder")


def test_a_folder_missing_from_the_started_folder_comes_from_the_next_candidate(tmp_path):
    """A learner's folder holds notebooks; the tests still come from the checkout (or wheel)."""
    (tmp_path / MARKER).write_text("{}\n")
    (tmp_path / "notebooks").mkdir()
    assert find_folder("notebooks", cwd=tmp_path) == tmp_path.resolve() / "notebooks"
    assert find_folder("exercise_tests", cwd=tmp_path) == CHECKOUT / "tests" / "exercises"


def test_an_explicit_root_is_the_only_candidate(tmp_path):
    """Naming the course folder means exactly that: no fallback to the checkout's solutions."""
    with pytest.raises(CourseRootError, match="no solutions/"):
        find_folder("solutions", tmp_path)


def test_installed_package_copy_is_used_when_nothing_else_is_found(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "course_utils"
    (package / course_root.BUNDLE_NAME / "notebooks").mkdir(parents=True)
    monkeypatch.setattr(course_root, "package_dir", lambda: package)
    root = find_course_root(cwd=tmp_path)
    assert (root.path, root.found_by) == (package / course_root.BUNDLE_NAME, "installed package")


def test_nothing_found_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(course_root, "package_dir", lambda: tmp_path / "site-packages" / "course_utils")
    with pytest.raises(CourseRootError, match=f"set {ENV_ROOT}.*start --dir"):
        find_course_root(cwd=tmp_path)


def test_require_names_the_missing_folder(tmp_path):
    root = find_course_root(tmp_path)
    with pytest.raises(CourseRootError, match="has no tests/hidden/"):
        root.require("hidden_tests")


def test_no_other_module_derives_paths_from_its_own_file():
    """Only course_root may compute a path from ``__file__`` (issue 12: nothing else does)."""
    package = CHECKOUT / "course_utils"
    offenders = [path.relative_to(CHECKOUT).as_posix() for path in package.rglob("*.py")
                 if path.name != "course_root.py"
                 and re.search(r"(?<!module\.)__file__", path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_public_files_are_lessons_exercises_and_public_tests_only(tmp_path):
    for name in ("notebooks/00_welcome.ipynb", "notebooks/scratch.ipynb", "notebooks/quick_results.csv",
                 "exercises/ex01.ipynb", "solutions/ex01.ipynb", "tests/conftest.py", "tests/test_lib.py",
                 "tests/exercises/test_ex01.py", "tests/exercises/data/public.csv",
                 "tests/exercises/__pycache__/test_ex01.cpython-311.pyc", "tests/hidden/test_ex01.py",
                 "tests/hidden/data/held_out.csv", "tests/exercises/hidden/secret.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert [p.as_posix() for p in course_root.public_files(tmp_path)] == [
        "exercises/ex01.ipynb", "notebooks/00_welcome.ipynb", "tests/conftest.py",
        "tests/exercises/data/public.csv", "tests/exercises/test_ex01.py"]


def test_the_checkouts_public_files_hold_no_solution_or_hidden_test():
    files = course_root.public_files(CHECKOUT)
    assert {p.parts[0] for p in files} == {"notebooks", "exercises", "tests"}
    assert not [p for p in files if "solutions" in p.parts or "hidden" in p.parts]


def test_start_can_look_past_the_learners_own_folder(tmp_path):
    """``start`` copies from the course, never from the started folder it is run in."""
    (tmp_path / MARKER).write_text("{}\n")
    (tmp_path / "exercises").mkdir()
    assert find_folder("exercises", cwd=tmp_path) == tmp_path.resolve() / "exercises"
    assert find_folder("exercises", cwd=tmp_path, started=False) == CHECKOUT / "exercises"
