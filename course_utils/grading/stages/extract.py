"""The extract stage: each student's notebooks copied into a private staging folder (a
:class:`Submission` each), or the reason one was refused (a link, too large) or is missing.

Nothing a learner submits is ever written to or followed out of its folder: the grader reads
each submission once, through no link and no further than the size cap, and works on its copy.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Status
from ..notebook.names import missing_notebook_message
from .discover import Plan, label_of


@dataclass
class Submission:
    """One student's notebooks as the grader will read them (output of :func:`extract`)."""

    student: str  # folder name, as the OS gives it
    notebooks: dict[str, Path] = field(default_factory=dict)  # stem -> staged private copy
    refused: dict[str, tuple[Status, str]] = field(default_factory=dict)  # stem -> (status, reason)
    notes: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)  # stem -> the submitted file it was copied from
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # "<stem>:<sha256>" -> submission time kept
    cells: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # notebook SHA-256 -> its cells, as kept


def _find_notebook(folder: Path, stem: str) -> tuple[Path | None, str | None]:
    """``(path, None)`` of ``<stem>.ipynb`` in ``folder`` (or deeper: a zip unpacked in a
    folder), never through a symbolic link; ``(None, reason)`` when only a link was found."""
    name = f"{stem}.ipynb"
    link = None
    direct = folder / name
    try:
        info = direct.lstat()
        if stat.S_ISLNK(info.st_mode):
            link = direct
        elif stat.S_ISREG(info.st_mode):
            return direct, None
    except OSError:
        pass
    for here, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints" and not d.startswith("."))
        if name in files and Path(here) != folder:
            path = Path(here) / name
            if path.is_symlink():
                link = link or path
                continue
            return path, None
    if link is not None:
        return None, (f"{link.relative_to(folder)} is a symbolic link; the grader does not follow links "
                      f"(submit the notebook itself)")
    return None, None


def _copy_capped(source: Path, target: Path, max_bytes: float) -> str | None:
    """Copy a regular file without following links; the reason when it is refused."""
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return f"{source.name} could not be read ({exc.strerror})"
    with open(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return f"{source.name} is not a file"
        if info.st_size > max_bytes:
            return (f"{source.name} is {info.st_size / 2**20:.1f} MB; the grader reads notebooks up to "
                    f"{max_bytes / 2**20:.0f} MB (clear the outputs and submit again)")
        data = handle.read(int(max_bytes) + 1)
    if len(data) > max_bytes:
        return f"{source.name} is larger than {max_bytes / 2**20:.0f} MB"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return None


def extract(plan: Plan, staging: Path) -> list[Submission]:
    """Each student's notebooks, copied into ``staging`` (private to the grader), so that the
    grader never reads a submission twice, through a link, or past the size cap."""
    submissions = []
    for number, student in enumerate(plan.students):
        found = Submission(student)
        folder = plan.submissions / student
        for stem in plan.notebooks:
            path, reason = _find_notebook(folder, stem)
            if path is None:
                found.refused[stem] = ((Status.REFUSED, reason) if reason else
                                       (Status.MISSING, missing_notebook_message(folder, stem)))
                continue
            target = staging / str(number) / f"{stem}.ipynb"
            refused = _copy_capped(path, target, plan.config.max_notebook_mb * 2**20)
            if refused:
                found.refused[stem] = (Status.REFUSED, refused)
                continue
            found.notebooks[stem] = target
            found.sources[stem] = path
            if path.parent != folder:
                found.notes.setdefault(stem, []).append(f"graded {label_of(str(path.relative_to(folder)))}")
        submissions.append(found)
    return submissions


def private_folder() -> tempfile.TemporaryDirectory:
    """A folder only the grader can read, for the staged notebooks."""
    return tempfile.TemporaryDirectory(prefix="course-grade-")
