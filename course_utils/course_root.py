"""Where the course's folders are: the one module that knows.

A *course root* is a folder that holds some of ``notebooks/`` (the lessons), ``exercises/``
(the learners' notebooks), ``solutions/`` (reference answers, instructors only),
``tests/exercises/`` (the public exercise tests), ``tests/hidden/`` (hidden tests and
held-out data, instructors only) and ``docs/`` (the website's source, in a checkout).
:func:`find_course_root` looks, in this order, at

1. an explicit folder (a command-line option or an argument);
2. the environment variable ``SCALING_COURSE_ROOT``;
3. a folder made by ``start``: the current folder or one above it holding the marker file
   ``.scaling-course``;
4. the source checkout this package was imported from (``pyproject.toml`` of
   ``scaling-laws-course`` beside the package);
5. the copy of the course carried inside an installed package (``course_utils/_course``).

and raises :class:`CourseRootError`, saying what it tried, when none is found. Nothing
else in the course derives a path from ``__file__``: ask this module.

The public part of a course root (what a learner may see) is :data:`PUBLIC`; the wheel's
build hook (``setup.py``) copies exactly :func:`public_files` into ``course_utils/_course``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: environment variable naming the course root explicitly
ENV_ROOT = "SCALING_COURSE_ROOT"
#: file ``start`` writes into a learner's course folder
MARKER = ".scaling-course"
#: folder inside the installed package that carries the course's public files (the wheel's copy)
BUNDLE_NAME = "_course"
#: the distribution name a source checkout's pyproject.toml declares
DISTRIBUTION = "scaling-laws-course"

#: the folders a course root may hold, by name (relative paths)
FOLDERS = {
    "notebooks": Path("notebooks"),
    "exercises": Path("exercises"),
    "solutions": Path("solutions"),
    "exercise_tests": Path("tests") / "exercises",
    "hidden_tests": Path("tests") / "hidden",
    "docs": Path("docs"),  # the course website's source (a checkout only; see course_utils.website)
}


#: The public course, as (folder, glob) pairs relative to a course root: the lessons, the
#: exercise notebooks, the public exercise tests (and any data beside them) and the conftest
#: that registers the grading plugin for them. Never ``solutions/`` or ``tests/hidden/``.
PUBLIC: tuple[tuple[str, str], ...] = (
    ("notebooks", "[0-9][0-9]_*.ipynb"),
    ("exercises", "*.ipynb"),
    ("tests/exercises", "**/*"),
    ("tests", "conftest.py"),
)
#: path parts that never belong in the public course, wherever they appear
NEVER_PUBLIC = frozenset({"solutions", "hidden", "__pycache__", ".ipynb_checkpoints"})


class CourseRootError(ValueError):
    """No course folder could be found, or it lacks a folder that is needed."""


@dataclass(frozen=True)
class CourseRoot:
    """A course folder and how it was found.

    Attributes
    ----------
    path
        The folder (absolute).
    found_by
        ``"argument"``, ``"environment"``, ``"started folder"``, ``"source checkout"`` or
        ``"installed package"``.
    """

    path: Path
    found_by: str

    def folder(self, name: str) -> Path:
        """The path of folder ``name`` (a key of :data:`FOLDERS`), whether or not it exists."""
        if name not in FOLDERS:
            raise KeyError(f"unknown course folder {name!r}; known: {', '.join(FOLDERS)}")
        return self.path / FOLDERS[name]

    def has(self, name: str) -> bool:
        """Whether folder ``name`` exists in this course root."""
        return self.folder(name).is_dir()

    def require(self, name: str) -> Path:
        """Folder ``name``, or :class:`CourseRootError` saying where it was looked for."""
        path = self.folder(name)
        if not path.is_dir():
            raise CourseRootError(
                f"the course folder {self.path} (found by {self.found_by}) has no {FOLDERS[name].as_posix()}/; "
                f"point {ENV_ROOT} or --course-root at a folder that has it")
        return path

    @property
    def notebooks(self) -> Path:
        return self.folder("notebooks")

    @property
    def exercises(self) -> Path:
        return self.folder("exercises")

    @property
    def solutions(self) -> Path:
        return self.folder("solutions")

    @property
    def exercise_tests(self) -> Path:
        return self.folder("exercise_tests")

    @property
    def hidden_tests(self) -> Path:
        return self.folder("hidden_tests")


def package_dir() -> Path:
    """The folder of the imported ``course_utils`` package (site-packages once installed)."""
    return Path(__file__).resolve().parent


def bundled_course() -> Path | None:
    """The course files carried inside the installed package, or None (a source checkout)."""
    path = package_dir() / BUNDLE_NAME
    return path if path.is_dir() else None


def source_checkout() -> Path | None:
    """The source checkout holding this package, or None when it was installed from a wheel."""
    root = package_dir().parent
    pyproject = root / "pyproject.toml"
    try:
        declares = f'name = "{DISTRIBUTION}"' in pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return root if declares else None


def started_folder(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the current folder) with the marker."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    return None


def public_files(root: str | os.PathLike) -> list[Path]:
    """The files of the public course under ``root`` (:data:`PUBLIC`), relative, sorted.

    Compiled bytecode, notebook checkpoints and anything under a ``solutions`` or ``hidden``
    folder are left out.
    """
    root = Path(root)
    found = set()
    for folder, pattern in PUBLIC:
        for path in (root / folder).glob(pattern):
            relative = path.relative_to(root)
            if path.is_file() and not NEVER_PUBLIC & set(relative.parts) and path.suffix != ".pyc":
                found.add(relative)
    return sorted(found)


def candidates(explicit: str | os.PathLike | None = None, *,
               cwd: str | os.PathLike | None = None, started: bool = True) -> list[CourseRoot]:
    """The course roots to consult, in order.

    An explicit folder or ``$SCALING_COURSE_ROOT`` is the only candidate when given (saying
    where the course is means exactly that); otherwise a started folder (unless ``started``
    is False: ``start`` copies from the course, never from a learner's own folder), the
    source checkout and the installed package's copy, those that exist.

    Raises
    ------
    CourseRootError
        When an explicit or environment folder does not exist.
    """
    for value, how in ((explicit, "argument"), (os.environ.get(ENV_ROOT) or None, "environment")):
        if value is None:
            continue
        path = Path(value).expanduser().resolve()
        if not path.is_dir():
            where = "the course root given" if how == "argument" else f"${ENV_ROOT}"
            raise CourseRootError(f"{where} ({value}) is not a folder")
        return [CourseRoot(path, how)]
    found = [(started_folder(cwd) if started else None, "started folder"),
             (source_checkout(), "source checkout"), (bundled_course(), "installed package")]
    return [CourseRoot(path, how) for path, how in found if path is not None]


def _not_found(cwd: str | os.PathLike | None, what: str) -> CourseRootError:
    return CourseRootError(
        f"no course folder{what} found: set {ENV_ROOT}, run 'scaling-course start --dir DIR' and work "
        f"in DIR, or run from a source checkout (looked from {Path(cwd or Path.cwd()).resolve()} "
        f"upwards and beside {package_dir()})")


def find_course_root(explicit: str | os.PathLike | None = None, *,
                     cwd: str | os.PathLike | None = None) -> CourseRoot:
    """The first of :func:`candidates`.

    Parameters
    ----------
    explicit
        A folder given by the caller; it must exist.
    cwd
        Where to start looking for a started folder (default: the current folder).

    Raises
    ------
    CourseRootError
        When an explicit or environment folder does not exist, or nothing is found.
    """
    found = candidates(explicit, cwd=cwd)
    if not found:
        raise _not_found(cwd, "")
    return found[0]


def find_folder(name: str, explicit: str | os.PathLike | None = None, *,
                cwd: str | os.PathLike | None = None, started: bool = True) -> Path:
    """Folder ``name`` (a key of :data:`FOLDERS`) from the first candidate root that has it.

    A learner's started folder holds the lessons and exercises; the tests may come from the
    installed package's copy. ``started=False`` skips the started folder (see
    :func:`candidates`). Raises :class:`CourseRootError` when no candidate has it.
    """
    found = candidates(explicit, cwd=cwd, started=started)
    for root in found:
        if root.has(name):
            return root.folder(name)
    if found:
        tried = "; ".join(f"{root.path} ({root.found_by})" for root in found)
        raise CourseRootError(f"no {FOLDERS[name].as_posix()}/ in the course folders found: {tried}")
    raise _not_found(cwd, f" with {FOLDERS[name].as_posix()}/")
