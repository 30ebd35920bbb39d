"""Which exercise notebook a file is, when a learner's copy of it is misnamed.

Jupyter's "Duplicate" makes ``ex02_power_laws-Copy1.ipynb``, a second download makes
``ex02_power_laws (1).ipynb``, Colab makes ``Copy of ex02_power_laws.ipynb``, and some
systems change the case. The grader looks for ``ex02_power_laws.ipynb`` only (guessing
among several copies would grade the wrong one), so these functions find what a file name
stands for and say, in one sentence, what to rename it to:

:func:`exercise_stem`
    the exercise notebook a file name stands for (``None`` if none);
:func:`rename_note`
    ``"this notebook is named ...; rename it to ex02_power_laws.ipynb ..."``;
:func:`misnamed_copies`, :func:`missing_notebook_message`
    for ``grade``: the copies in a student's folder, and the message for a notebook that
    was not submitted under its name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable

#: what copying adds at the end of a name: -Copy1, " copy", " (1)", "(2)", "_copy2"
_COPY_SUFFIX = re.compile(r"(?:[-_ ]*copy\d*|\s*\(\d+\))$", re.IGNORECASE)
_COPY_PREFIX = re.compile(r"^copy of\s+", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_ .]+")


def _normal(name: str) -> str:
    """A file name reduced to what identifies it: no .ipynb, no copy marks, lower case,
    one underscore between words."""
    while name.lower().endswith(".ipynb"):
        name = name[: -len(".ipynb")]
    name = _COPY_PREFIX.sub("", name.strip())
    previous = None
    while previous != name:
        previous, name = name, _COPY_SUFFIX.sub("", name).strip()
    return _SEPARATORS.sub("_", name.lower()).strip("_")


def exercise_stem(filename: str, stems: Iterable[str]) -> str | None:
    """The stem in ``stems`` that notebook ``filename`` stands for, or None.

    Exact names match, and so do copies (``-Copy1``, `` (1)``, ``Copy of ``), other cases
    and separators (``Ex02 Power-Laws.ipynb``) and a suffix after the full name
    (``ex02_power_laws_final.ipynb``). Jupyter's checkpoints (``-checkpoint``) never match.
    """
    name = Path(filename).name
    if not name.lower().endswith(".ipynb") or "-checkpoint" in name.lower():
        return None
    normal = _normal(name)
    for stem in stems:
        target = _normal(stem)
        if normal == target or (normal.startswith(target + "_") and target):
            return stem
    return None


def rename_note(filename: str, stem: str) -> str:
    """What to tell a learner whose notebook ``filename`` should be called ``stem.ipynb``."""
    return (f"this notebook is named {Path(filename).name}; rename it to {stem}.ipynb "
            f"(the grader looks for that name only)")


def misnamed_copies(folder: str | os.PathLike, stem: str) -> list[Path]:
    """Notebooks in ``folder`` (and below, outside hidden folders and checkpoints) that stand
    for ``stem`` but are not named ``stem.ipynb``; symbolic links are never followed."""
    found = []
    for here, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            path = Path(here) / name
            if name != f"{stem}.ipynb" and exercise_stem(name, [stem]) == stem and not path.is_symlink():
                found.append(path)
    return found


def missing_notebook_message(folder: str | os.PathLike, stem: str) -> str:
    """``grade``'s message for a student who submitted no ``stem.ipynb``: it names a misnamed
    copy when there is one ("... but ex02_power_laws-Copy1.ipynb was: rename it to ...")."""
    copies = misnamed_copies(folder, stem)
    if not copies:
        return f"no notebook {stem}.ipynb was submitted"
    names = ", ".join(path.name for path in copies[:3]) + (" ..." if len(copies) > 3 else "")
    return (f"no notebook {stem}.ipynb was submitted, but {names} {'was' if len(copies) == 1 else 'were'}: "
            f"rename {'it' if len(copies) == 1 else 'the one to grade'} to {stem}.ipynb")
