"""Make reference implementations unusable from learner code while grading.

The child process that runs a learner's notebook (see :mod:`.child`) calls :func:`block`
with the dotted names a test module lists in ``BLOCKED`` before any learner code runs.
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any, Iterable

#: filenames of learner code start with this (see :mod:`.child`)
LEARNER_FILE_PREFIX = "<learner "


def _called_from_learner_code() -> bool:
    frame = sys._getframe(2)
    return frame is not None and frame.f_code.co_filename.startswith(LEARNER_FILE_PREFIX)


def _guard(original: Any, dotted: str) -> Any:
    @functools.wraps(original)
    def blocked(*args: Any, **kwargs: Any) -> Any:
        if _called_from_learner_code():
            raise ImportError(f"{dotted} is not available while grading: write it yourself")
        return original(*args, **kwargs)

    blocked.__course_blocked__ = True
    return blocked


def block(names: list[str]) -> None:
    """Make each dotted name (module.function or module.Class.method) unusable from learner code.

    Every ``course_utils`` module that holds the same object gets the guard, so the name
    cannot be reached through another module either. Names that do not resolve are ignored.
    """
    for dotted in names:
        try:
            _block_one(dotted)
        except Exception:  # e.g. attributes of a C type cannot be replaced: leave it usable
            continue


def resolve(dotted: str) -> tuple[Any, str, Any]:
    """``(owner, attribute name, raw value)`` for ``package.module.Class.attr``.

    Imports the longest importable prefix, then follows attributes (which also triggers a
    package's lazy imports). Raises ImportError or AttributeError when it does not resolve.
    """
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
            break
        except ImportError:
            continue
    else:
        raise ImportError(f"no module in {dotted}")
    for attr in parts[split:-1]:
        owner = getattr(owner, attr)
    name = parts[-1]
    return owner, name, (vars(owner)[name] if name in vars(owner) else getattr(owner, name))


def preload_names(names: Iterable[str]) -> None:
    """Import what dotted ``names`` need (never patching anything), ignoring failures."""
    for dotted in names:
        try:
            importlib.import_module(dotted)
            continue
        except Exception:
            pass
        try:
            resolve(dotted)
        except Exception:
            continue


def _block_one(dotted: str) -> None:
    owner, name, raw = resolve(dotted)
    if isinstance(raw, (staticmethod, classmethod)):
        setattr(owner, name, type(raw)(_guard(raw.__func__, dotted)))
        return
    if not callable(raw) or getattr(raw, "__course_blocked__", False):
        return
    guarded = _guard(raw, dotted)
    setattr(owner, name, guarded)
    for module_name, module in list(sys.modules.items()):  # other references in the course
        if module is not None and module_name.split(".")[0] == "course_utils":
            for key, value in list(vars(module).items()):
                if value is raw:
                    setattr(module, key, guarded)
