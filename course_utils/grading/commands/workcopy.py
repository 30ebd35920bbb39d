"""A learner's own copy of the course: ``scaling-course start`` (or ``python -m course_utils start``).

Every route lays the learner's copies out the same way, so that one sentence in the lessons
("your copy is ``my_work/ex01_history_compute.ipynb``", linked as ``../my_work/…`` from
``notebooks/``) is true on each of them:

* a source checkout: the lessons are in ``notebooks/`` already, and ``start`` copies the
  exercise notebooks into ``my_work/``, which git ignores;
* anywhere else (a course installed from its wheel, a hub, ``--dir`` outside the checkout),
  ``start --dir DIR`` writes a whole course folder::

      DIR/.scaling-course                  the marker: the course root is here (see course_root)
      DIR/notebooks/00_welcome.ipynb ...   the lessons
      DIR/my_work/ex01_history_compute.ipynb ...   your copies of the exercises

``check``, ``check_all()``, ``run-all`` and ``lab`` then work from DIR (or any folder below
it); the exercise tests come from the installed package. Existing files are never
overwritten: running ``start`` again only adds what is new in the course.

The marker records the version whose lessons the folder holds and a fingerprint of each
lesson's cells as written. After an upgrade, ``start`` says that the folder is older than the
course, and ``start --update`` brings in new and changed lessons and new exercises: a lesson
whose cells the learner edited is kept under ``earlier-lessons/<version>/`` before it is
replaced; an exercise copy is never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ...course_root import MARKER, CourseRootError, find_folder, source_checkout, started_folder

#: the learners' copies of the exercises, inside a checkout or a course folder (git ignores it)
WORK_FOLDER = "my_work"
#: the default working folder when the command runs in a source checkout
DEFAULT_FOLDER = Path(WORK_FOLDER)
#: the default course folder anywhere else, made in the current folder
DEFAULT_COURSE_FOLDER = Path("scaling-course")
#: where ``--update`` keeps a lesson the learner edited before replacing it
EARLIER_LESSONS = "earlier-lessons"
_COURSE = "scaling-laws-course"
_LESSON_GLOB = "[0-9][0-9]_*.ipynb"


@dataclass
class StartReport:
    """What :func:`start_course` did, file by file.

    ``course_folder`` is True when ``folder`` is a whole course folder (lessons and marker).
    ``folder_version`` is the version whose lessons the folder held before this run, read
    from its marker (None for a new folder or a checkout's ``my_work/``).
    """

    folder: Path
    copied: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    saved: dict[Path, Path] = field(default_factory=dict)  # edited lesson -> where it was kept
    moved: dict[Path, Path] = field(default_factory=dict)  # copy in the 0.2.0 layout -> my_work/
    course_folder: bool = False
    folder_version: str | None = None
    version: str = ""

    @property
    def exercises(self) -> Path:
        """The folder of the learner's exercise copies."""
        return self.folder / WORK_FOLDER if self.course_folder else self.folder

    @property
    def outdated(self) -> bool:
        """The folder's lessons come from another version than the installed course."""
        return self.folder_version is not None and self.folder_version != self.version


def default_folder(cwd: str | os.PathLike | None = None) -> Path:
    """Where ``start`` works without ``--dir``: the course folder you are in, else the source
    checkout's ``my_work/``, else ``./scaling-course``."""
    here = started_folder(cwd)
    if here is not None:
        return here
    checkout = source_checkout()
    return checkout / DEFAULT_FOLDER if checkout is not None else Path(cwd or ".") / DEFAULT_COURSE_FOLDER


def cells_fingerprint(path: str | os.PathLike) -> str | None:
    """SHA-256 of a notebook's cell types and sources (outputs, counts and metadata ignored):
    whether a learner *edited* a lesson, not whether they ran it. None if it cannot be read."""
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
        content = [(cell["cell_type"], "".join(cell["source"]) if isinstance(cell["source"], list)
                    else cell["source"]) for cell in cells]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return hashlib.sha256(json.dumps(content).encode("utf-8")).hexdigest()


def read_marker(folder: str | os.PathLike) -> dict | None:
    """The marker of a course folder as a dict, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def folder_version(marker: dict | None) -> str | None:
    """The version whose lessons a course folder holds (``lessons_version``, else ``started_with``)."""
    if not marker:
        return None
    return marker.get("lessons_version") or marker.get("started_with")


def _copy_new(source: Path, target: Path, report: StartReport) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "xb") as handle, open(source, "rb") as original:  # never overwrite
            shutil.copyfileobj(original, handle)
    except FileExistsError:
        report.kept.append(target)
        return
    report.copied.append(target)


def _replace(source: Path, target: Path) -> None:
    """Copy ``source`` over ``target`` atomically (a temporary file renamed into place)."""
    temporary = target.with_name(f".{target.name}.new")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)


def _make_folder(folder: Path) -> None:
    """Create the learner's folder, private to them (mode 700) when ``start`` creates it."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"dir: cannot create the folder {folder}: {exc.strerror or exc}; "
                         f"choose one you can write to, e.g. --dir ~/{DEFAULT_COURSE_FOLDER}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"dir: cannot write to {folder}; choose a folder you can write to, "
                         f"e.g. --dir ~/{DEFAULT_COURSE_FOLDER}")


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
    _make_folder(folder)
    report = StartReport(folder)
    for source in sources:
        _copy_new(source, folder / source.name, report)
    return report.copied, report.kept


def _inside(path: Path, root: Path) -> bool:
    path, root = path.resolve(), root.resolve()
    return path == root or root in path.parents


def _update_lesson(source: Path, target: Path, recorded: str | None, version: str, report: StartReport) -> None:
    """Bring ``target`` up to ``source``; keep the learner's edited copy first."""
    current = cells_fingerprint(target)
    if current == cells_fingerprint(source):
        return
    if current is None or current != recorded:  # edited by the learner, or nothing recorded to tell
        keep = target.parent.parent / EARLIER_LESSONS / version / target.name
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, keep)
        report.saved[target] = keep
    _replace(source, target)
    report.updated.append(target)


def _move_old_layout(folder: Path, names: list[str], report: StartReport) -> None:
    """Version 0.2.0 kept exercise copies in the folder itself; move them into ``my_work/``."""
    for name in names:
        old, new = folder / name, folder / WORK_FOLDER / name
        if old.is_file() and not new.exists():
            new.parent.mkdir(parents=True, exist_ok=True)
            os.rename(old, new)
            report.moved[old] = new


def start_course(folder: str | os.PathLike | None = None, *, version: str | None = None,
                 update: bool = False) -> StartReport:
    """Set up (or, with ``update``, bring up to date) a learner's folder.

    The exercises always go into the folder's ``my_work/`` (or into ``folder`` itself when it
    lies inside the course root it copies from: a checkout's ``my_work/``, where the lessons
    already are); a whole course folder also gets the lessons and the marker.

    Parameters
    ----------
    folder
        The learner's folder (default: :func:`default_folder`).
    version
        The version to record (default: the installed course's).
    update
        Replace lessons that changed since the folder was made (an edited one is kept under
        ``earlier-lessons/<old version>/`` first) and move exercise copies of the 0.2.0 layout
        into ``my_work/``. Exercise copies are never overwritten, with or without it.

    Raises
    ------
    ValueError
        When no course is found (:class:`~course_utils.course_root.CourseRootError`), it has
        no exercise notebooks, or the folder cannot be created or written.
    """
    from course_utils import __version__

    version = version or __version__
    folder = Path(folder) if folder is not None else default_folder()
    exercises = find_folder("exercises", started=False)
    if _inside(folder, exercises.parent):
        copied, kept = start(folder, exercises)
        return StartReport(folder, copied, kept, version=version)
    try:
        lessons_folder = find_folder("notebooks", started=False)
    except CourseRootError:
        lessons_folder = None
    _make_folder(folder)
    marker = read_marker(folder)
    report = StartReport(folder, course_folder=True, folder_version=folder_version(marker), version=version)
    blanks = sorted(exercises.glob("*.ipynb"))
    if update:
        _move_old_layout(folder, [blank.name for blank in blanks], report)
    for blank in blanks:
        _copy_new(blank, folder / WORK_FOLDER / blank.name, report)
    recorded = dict((marker or {}).get("lessons", {}))
    lessons = sorted(lessons_folder.glob(_LESSON_GLOB)) if lessons_folder else []
    for lesson in lessons:
        target = folder / "notebooks" / lesson.name
        if update and target.exists():
            _update_lesson(lesson, target, recorded.get(lesson.name), report.folder_version or "earlier", report)
        else:
            _copy_new(lesson, target, report)
        if target in report.copied or target in report.updated:
            recorded[lesson.name] = cells_fingerprint(lesson)
    fresh = marker is None or update
    _write_marker(folder, {"course": _COURSE, "started_with": (marker or {}).get("started_with", version),
                           "lessons_version": version if fresh else report.folder_version,
                           "lessons": recorded})
    return report


def _write_marker(folder: Path, data: dict) -> None:
    path = folder / MARKER
    temporary = path.with_name(f"{MARKER}.new")
    temporary.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)


__all__ = ["DEFAULT_FOLDER", "DEFAULT_COURSE_FOLDER", "WORK_FOLDER", "EARLIER_LESSONS", "StartReport", "start",
           "start_course", "default_folder", "read_marker", "folder_version", "cells_fingerprint"]
