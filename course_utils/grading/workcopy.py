"""A learner's own copy of the exercises: ``python -m course_utils start``.

The copy lives in a folder git ignores (``my_work/`` by default), so pulling course updates
never conflicts with a learner's work. Existing files are never overwritten: running
``start`` again only adds notebooks that are new in the course.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..course_root import find_folder


def start(folder: str | os.PathLike = "my_work",
          exercises: str | os.PathLike | None = None) -> tuple[list[Path], list[Path]]:
    """Copy every exercise notebook into ``folder``; return ``(copied, kept)`` paths.

    ``exercises`` defaults to the course's ``exercises/`` (see :mod:`course_utils.course_root`).
    """
    exercises = Path(exercises) if exercises is not None else find_folder("exercises")
    folder = Path(folder)
    sources = sorted(exercises.glob("*.ipynb"))
    if not sources:
        raise ValueError(f"exercises: no notebooks in {exercises}")
    folder.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for source in sources:
        target = folder / source.name
        try:
            with open(target, "xb") as handle, open(source, "rb") as original:  # never overwrite
                shutil.copyfileobj(original, handle)
        except FileExistsError:
            kept.append(target)
            continue
        copied.append(target)
    return copied, kept
