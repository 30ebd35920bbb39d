"""The pytest side of grading: the ``exercise`` decorator, the ``student`` fixture and
the ``--target`` option.

``tests/conftest.py`` imports the hooks and the fixture from here. Each test
module ``test_<stem>.py`` is graded against ``<target>/<stem>.ipynb``, where the target is
``solutions`` (default), ``exercises``, a notebook or a folder of notebooks.
"""

from __future__ import annotations

import functools
import hashlib
import os
import zlib
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest

from ..course_root import FOLDERS
from .sandbox.proxy import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, Student
from .scoring import literal_constant

MARKER = "exercise"
ENV_TARGET = "COURSE_GRADING_TARGET"
#: environment variable naming the student whose hidden-test inputs to draw (see ``student_seed``)
ENV_STUDENT = "COURSE_STUDENT_NAME"
#: where the grading engine keeps its :class:`~.runner.Session` plugin on the pytest config
SESSION_KEY: pytest.StashKey = pytest.StashKey()


#: what a failure can be, for ``hints``: the ways a comparison misses (``compare.KINDS``) and
#: what the learner's function did instead of answering
FAILURE_KINDS = ("wrong sign", "too large", "too small", "close", "zero", "not zero", "wrong type", "wrong shape",
                 "not finite", "did not raise", "raised another error", "not implemented", "raised", "timeout")


def exercise(name: str, points: float = 1, hint: str = "", timeout: float | None = None,
             hidden: bool = False, requires_value: bool = False,
             hints: Mapping[str, str] | None = None) -> Callable:
    """Mark a test as checking exercise ``name``, worth ``points``, with a ``hint`` for learners.

    Parameters
    ----------
    name
        The exercise: the name of the function the learner writes.
    points
        Points earned when this test passes (positive).
    hint
        One friendly sentence shown when the test fails (the test's code never is).
    timeout
        Seconds each call to the learner's function may take (default 10).
    hidden
        A hidden test: it lives in ``tests/hidden/`` (never shipped to learners), runs only when
        an instructor grades, and feedback names it and its points only.
    requires_value
        The test only checks that bad input is refused (``pytest.raises``): it earns its
        points only when a test of the same exercise's result passes, so a function that
        raises for every input earns nothing (see :func:`.scoring.apply_gates`).
    hints
        Hints for one kind of failure, shown instead of ``hint`` when the test fails that
        way: ``{"wrong sign": "alpha is minus the slope"}``. Kinds are :data:`FAILURE_KINDS`:
        how a comparison missed (``"wrong sign"``, ``"too large"``, ``"too small"``, ``"close"``,
        ``"did not raise"``...) or what the function did (``"not implemented"``, ``"raised"``,
        ``"timeout"``).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"exercise name must be a Python identifier, got {name!r}")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise ValueError(f"points must be a positive number, got {points!r}")
    if not isinstance(hint, str):
        raise ValueError(f"hint must be a string, got {type(hint).__name__}")
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not isinstance(hidden, bool):
        raise ValueError(f"hidden must be True or False, got {hidden!r}")
    if not isinstance(requires_value, bool):
        raise ValueError(f"requires_value must be True or False, got {requires_value!r}")
    hints = dict(hints or {})
    unknown = [kind for kind in hints if kind not in FAILURE_KINDS]
    if unknown or not all(isinstance(text, str) and text for text in hints.values()):
        raise ValueError(f"hints maps kinds of failure ({', '.join(FAILURE_KINDS)}) to sentences; "
                         f"got {unknown or hints!r}")
    return pytest.mark.exercise(name=name, points=float(points), hint=hint, timeout=timeout, hidden=hidden,
                                requires_value=requires_value, hints=hints)


def student_seed_for(name: str) -> int:
    """The seed of a student's own hidden-test inputs: the first 8 bytes of SHA-256 of the
    student's folder name, big-endian (never Python's ``hash()``, which changes per process)."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big")


def student_rng(seed: int, label: str) -> Any:
    """The random generator of one hidden test: ``numpy.random.default_rng`` seeded with the
    student's seed and a CRC-32 of ``label`` (the test's own name), so that each test of a
    student draws its own inputs, the same every time that student is graded."""
    import numpy as np

    return np.random.default_rng([int(seed), zlib.crc32(label.encode("utf-8"))])


def exercise_info(item: pytest.Item) -> dict[str, Any] | None:
    """The ``exercise`` marker's arguments of a collected test, or None."""
    marker = item.get_closest_marker(MARKER)
    return dict(marker.kwargs) if marker is not None else None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("course grading")
    try:
        group.addoption("--target", default=None, metavar="TARGET",
                        help="what the exercise tests grade: 'solutions' (default), 'exercises', "
                             "a notebook, or a folder of notebooks")
        group.addoption("--exercise-timeout", type=float, default=None, metavar="S",
                        help=f"seconds each call to a learner's function may take (default {DEFAULT_TIMEOUT:g})")
    except ValueError:  # already added by another conftest that imports these hooks
        pass


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "exercise(name, points, hint, timeout, hidden, requires_value, hints): an autograded "
        "exercise test")


def _option(config: pytest.Config, name: str) -> Any:
    try:
        return config.getoption(name)
    except ValueError:  # the option was registered too late (conftest not loaded at start)
        return None


def target_notebook(target: str | os.PathLike | None, stem: str,
                    solutions_dir: str | os.PathLike | None = None) -> Path:
    """The notebook a test module ``test_<stem>.py`` grades for a given ``--target``.

    ``solutions_dir`` replaces ``solutions/`` for test modules that grade notebooks kept
    elsewhere (a module sets ``SOLUTIONS_DIR``; the grader's own test fixtures do).
    """
    target = str(target) if target else "solutions"
    if target == "solutions" and solutions_dir is not None:
        return Path(solutions_dir) / f"{stem}.ipynb"
    if target in ("solutions", "exercises"):
        from ..course_root import find_course_root

        return find_course_root().folder(target) / f"{stem}.ipynb"
    path = Path(target)
    if path.suffix == ".ipynb" or path.is_file():
        return path
    return path / f"{stem}.ipynb"


def notebook_of(item: pytest.Item) -> str:
    """``ex02_power_laws`` for a test of ``test_ex02_power_laws.py`` (public or hidden)."""
    return item.path.stem.removeprefix("test_")  # pytest gives every item a pathlib.Path


def _module_stem(module: Any) -> str:
    """``ex02_power_laws`` for ``tests/exercises/test_ex02_power_laws.py`` (and ``tests/hidden/``)."""
    return Path(module.__file__).stem.removeprefix("test_")


def blocked_names(module: Any) -> list[str]:
    """What the child running a notebook must block for test ``module``: its ``BLOCKED``,
    and for a hidden test module (``tests/hidden/test_<stem>.py``) also the ``BLOCKED`` of
    the public one (``tests/exercises/test_<stem>.py``), so both guard the same code."""
    return list(_blocked_names(module))


@functools.cache
def _blocked_names(module: Any) -> tuple[str, ...]:
    """Read once per module object (the public module's text is parsed for a hidden one:
    about 5 ms). The grader reads them before it forks its workers (:mod:`.stages.runner`)."""
    names = list(getattr(module, "BLOCKED", []))
    path = Path(module.__file__)
    hidden, public = FOLDERS["hidden_tests"].parts, FOLDERS["exercise_tests"]
    if path.parent.parts[-len(hidden):] == hidden:
        root = path.parent.parents[len(hidden) - 1]
        names += [str(name) for name in literal_constant(root / public / path.name, "BLOCKED", [])]
    return tuple(dict.fromkeys(names))


def _graded_notebook(request: pytest.FixtureRequest) -> tuple[Path, str, str]:
    """``(notebook, target, stem)`` that the requesting test module grades."""
    config = request.config
    session = config.stash.get(SESSION_KEY, None)
    target = _option(config, "--target") or os.environ.get(ENV_TARGET) or "solutions"
    stem = _module_stem(request.module)
    notebook = target_notebook(target, stem, getattr(request.module, "SOLUTIONS_DIR", None))
    if session is not None and stem in session.notebooks:
        notebook = Path(session.notebooks[stem])
    return notebook, target, stem


@pytest.fixture(scope="module")
def student_seed(request: pytest.FixtureRequest) -> int:
    """Seed of this student's own hidden-test inputs (:func:`student_seed_for`).

    The student is the grading engine's ``Session.student`` (``grade`` sets it to the
    student's folder name), else ``$COURSE_STUDENT_NAME`` when set, else the name of the
    folder holding the graded notebook.
    """
    session = request.config.stash.get(SESSION_KEY, None)
    name = (getattr(session, "student", None) or os.environ.get(ENV_STUDENT)
            or _graded_notebook(request)[0].resolve().parent.name)
    return student_seed_for(name)


@pytest.fixture(scope="module")
def student(request: pytest.FixtureRequest):
    """The learner's functions in the notebook this test module grades (see :class:`Student`)."""
    config = request.config
    session = config.stash.get(SESSION_KEY, None)
    notebook, target, stem = _graded_notebook(request)
    if target == "solutions" and not notebook.parent.is_dir() and not (session and session.notebooks):
        pytest.skip("this copy of the course has no solutions/ folder (a workshop copy); "
                    "use --target to grade your own notebooks")
    if notebook.suffix == ".ipynb" and Path(target).suffix == ".ipynb" and notebook.stem != stem:
        pytest.skip(f"--target {target} is not {stem}.ipynb")

    proxies = getattr(session, "proxies", None)
    if proxies is not None and stem in proxies:  # the notebook's public and hidden tests share it
        yield proxies[stem]
        return
    # every module grading this notebook (its public and hidden tests) shares one proxy
    modules = list(dict.fromkeys(item.module for item in request.session.items
                                 if notebook_of(item) == stem)) \
        if proxies is not None else []
    infos = [info for item in request.session.items
             if (item.module is request.module or item.module in modules) and (info := exercise_info(item))]
    limits = getattr(session, "config", None)  # the grading engine's GradingConfig
    timeout = (getattr(session, "timeout", None) or _option(config, "--exercise-timeout")
               or getattr(limits, "timeout", None) or DEFAULT_TIMEOUT)
    timeouts = {}
    for info in infos:
        if info.get("timeout"):
            timeouts[info["name"]] = max(info["timeout"], timeouts.get(info["name"], 0))
    blocked = list(dict.fromkeys(name for module in (modules or [request.module])
                                 for name in blocked_names(module)))
    proxy = Student(
        notebook,
        expected=[info["name"] for info in infos],
        blocked=blocked,
        timeout=timeout,
        timeouts=timeouts,
        memory_mb=getattr(session, "memory_mb", None) or getattr(limits, "memory_mb", None) or DEFAULT_MEMORY_MB,
        config=limits,
        launcher=getattr(session, "launcher", None),
    )
    if proxies is not None:  # closed by the session after the notebook's last test (Session._finish)
        proxies[stem] = proxy
        yield proxy
        return
    try:
        yield proxy
    finally:
        proxy.close()
        if session is not None:
            session.notes.setdefault(stem, []).extend(proxy.notes)
