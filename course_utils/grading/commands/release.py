"""Build the student notebooks from the solutions: ``python -m course_utils release``.

Each line ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` (and everything between) becomes
one line ``raise NotImplementedError("...")`` at the marker's indentation; outputs,
execution counts and widget state are stripped. The result is byte-for-byte reproducible,
so a test can fail when the committed ``exercises/`` drifts from ``solutions/``.

``--without-solutions DIR`` also writes a workshop copy of the course (the files git
tracks, or the folder tree outside a git checkout) with no ``solutions/`` folder, no
hidden tests or held-out data (``tests/hidden/``) and no solution text anywhere in it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from ...course_root import FOLDERS, find_course_root

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = 'raise NotImplementedError("write your solution here")'
_MARKER = re.compile(r"^(\s*)(### (?:BEGIN|END) SOLUTION)\s*$")
#: never copied into a workshop copy (besides solutions/)
_SKIP = {".git", "solutions", "my_work", "__pycache__", ".pytest_cache", ".ipynb_checkpoints",
         ".venv", "venv", "build", "dist", "_build", "test-artifacts"}
#: course folders for instructors only, never in a workshop copy: reference answers, hidden tests
PRIVATE = (FOLDERS["solutions"], FOLDERS["hidden_tests"])


def is_private(relative: Path) -> bool:
    """Whether a path relative to the course root lies in a folder learners never get."""
    return any(relative == folder or folder in relative.parents for folder in PRIVATE)


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace every solution block in ``source`` by a stub that raises NotImplementedError.

    Raises
    ------
    ValueError
        If the markers are unbalanced or nested (``where`` names the cell).
    """
    out, inside = [], False
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        match = _MARKER.match(line.rstrip("\n"))
        if match and match.group(2) == BEGIN:
            if inside:
                raise ValueError(f"{where}: nested {BEGIN} at line {number}")
            inside = True
            out.append(f"{match.group(1)}{STUB}\n")
        elif match:
            if not inside:
                raise ValueError(f"{where}: {END} without {BEGIN} at line {number}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN} is never closed")
    text = "".join(out)
    return text if source.endswith("\n") else text.rstrip("\n")


def release_notebook(source: str | os.PathLike, destination: str | os.PathLike) -> Path:
    """Write the student version of one solution notebook."""
    from ...nbtools import read_notebook, strip_outputs, write_notebook

    nb = strip_outputs(read_notebook(source))
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{Path(source).name} cell {index + 1}")
        elif BEGIN in cell.source:
            raise ValueError(f"{Path(source).name} cell {index + 1}: solution markers belong in code cells")
    return write_notebook(nb, destination)


def release(solutions: str | os.PathLike | None = None,
            exercises: str | os.PathLike | None = None) -> list[Path]:
    """Write ``exercises/<name>.ipynb`` for every ``solutions/ex*.ipynb``; remove stale ones.

    Both folders default to the course root's (see :mod:`course_utils.course_root`).
    """
    root = find_course_root() if solutions is None or exercises is None else None
    solutions = Path(solutions) if solutions is not None else root.require("solutions")
    exercises = Path(exercises) if exercises is not None else root.exercises
    sources = sorted(solutions.glob("*.ipynb"))
    if not sources:
        raise ValueError(f"solutions: no notebooks in {solutions}")
    written = [release_notebook(path, exercises / path.name) for path in sources]
    for stale in set(exercises.glob("*.ipynb")) - set(written):
        stale.unlink()
    return written


def _tracked_files(root: Path) -> list[Path] | None:
    try:
        listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                 cwd=root, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return [root / name for name in listing.stdout.decode().split("\0") if name]


def workshop_copy(destination: str | os.PathLike, root: str | os.PathLike | None = None) -> Path:
    """Copy the course to ``destination`` without ``solutions/``, ``tests/hidden/`` and solution text.

    Notebooks anywhere in the copy pass through :func:`strip_solutions`, so even a
    solution block outside ``solutions/`` does not leak.
    """
    root = Path(root).resolve() if root is not None else find_course_root().path
    destination = Path(destination).resolve()
    if destination == root or root in destination.parents and destination.parts[len(root.parts)] not in _SKIP:
        raise ValueError(f"destination {destination} must lie outside the course folder "
                         f"(or in an ignored folder such as my_work/)")
    if destination.exists() and any(destination.iterdir()):
        raise ValueError(f"destination {destination} exists and is not empty")
    files = _tracked_files(root)
    if files is None:
        files = [path for path in root.rglob("*") if path.is_file()]
    for path in files:
        relative = path.relative_to(root)
        if (not path.is_file() or _SKIP & set(relative.parts) or is_private(relative)
                or relative.parts[0].endswith(".egg-info")):
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".ipynb":
            release_notebook(path, target)
        else:
            shutil.copy2(path, target)
    return destination
