"""A learner's own copy of the course: ``scaling-course start`` (or ``python -m course_utils start``).

In a source checkout the default folder is ``my_work/``, which git ignores, and ``start``
copies the exercise notebooks into it, exactly as before: the lessons are right there in
``notebooks/``. Anywhere else (a course installed from its wheel, a hub, or ``--dir`` outside
the checkout) ``start --dir DIR`` writes a whole course folder::

    DIR/.scaling-course          the marker: the course root is here (see course_root)
    DIR/notebooks/00_welcome.ipynb ...   the lessons
    DIR/ex01_history_compute.ipynb ...   your copies of the exercises

``check``, ``check_all()``, ``run-all`` and ``lab`` then work from DIR (or any folder below
it); the exercise tests come from the installed package. Existing files are never
overwritten: running ``start`` again only adds what is new in the course.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..course_root import MARKER, CourseRootError, find_folder

#: the default working folder (git ignores it in a source checkout)
DEFAULT_FOLDER = Path("my_work")


@dataclass
class StartReport:
    """What :func:`start_course` did: files copied, files kept, and the folder it made."""

    folder: Path
    copied: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    course_folder: bool = False  # lessons and the marker were written (a full course folder)


def _copy_new(source: Path, target: Path, report: StartReport) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "xb") as handle, open(source, "rb") as original:  # never overwrite
            shutil.copyfileobj(original, handle)
    except FileExistsError:
        report.kept.append(target)
        return
    report.copied.append(target)


def start(folder: str | os.PathLike = DEFAULT_FOLDER,
          exercises: str | os.PathLike | None = None) -> tuple[list[Path], list[Path]]:
    """Copy every exercise notebook into ``folder``; return ``(copied, kept)`` paths.

    ``exercises`` defaults to the course's ``exercises/`` (see :mod:`course_utils.course_root`),
    never a learner's own started folder.
    """
    exercises = Path(exercises) if exercises is not None else find_folder("exercises", started=False)
    folder = Path(folder)
    sources = sorted(exercises.glob("*.ipynb"))
    if not sources:
        raise ValueError(f"exercises: no notebooks in {exercises}")
    folder.mkdir(parents=True, exist_ok=True)
    report = StartReport(folder)
    for source in sources:
        _copy_new(source, folder / source.name, report)
    return report.copied, report.kept


def _inside(path: Path, root: Path) -> bool:
    path, root = path.resolve(), root.resolve()
    return path == root or root in path.parents


def start_course(folder: str | os.PathLike = DEFAULT_FOLDER, *, version: str | None = None) -> StartReport:
    """Set up a learner's folder: the exercises always; the lessons and the marker too,
    unless ``folder`` lies inside the course root it copies from (a source checkout's
    ``my_work/``, where the lessons already are).

    Raises
    ------
    ValueError
        When no course is found (:class:`~course_utils.course_root.CourseRootError`), or it has
        no exercise notebooks.
    """
    folder = Path(folder)
    exercises = find_folder("exercises", started=False)
    source_root = exercises.parent
    copied, kept = start(folder, exercises)
    report = StartReport(folder, copied, kept)
    if _inside(folder, source_root):
        return report
    try:
        lessons = find_folder("notebooks", started=False)
    except CourseRootError:
        lessons = None
    for lesson in sorted(lessons.glob("[0-9][0-9]_*.ipynb")) if lessons else []:
        _copy_new(lesson, folder / "notebooks" / lesson.name, report)
    marker = folder / MARKER
    if not marker.exists():
        from course_utils import __version__

        marker.write_text(json.dumps({"course": "scaling-laws-course", "started_with": version or __version__})
                          + "\n", encoding="utf-8")
    report.course_folder = True
    return report


__all__ = ["DEFAULT_FOLDER", "StartReport", "start", "start_course"]
