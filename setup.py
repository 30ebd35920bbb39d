"""Build hook: a wheel of the course carries the course.

Everything else about the package is declared in ``pyproject.toml``. This file only adds a
step to ``build_py``: it copies the public course (the lessons, the exercise notebooks, the
public exercise tests; see ``course_utils.course_root.PUBLIC``) into
``course_utils/_course/`` of the wheel, where ``course_root.find_course_root`` finds it
once the package is installed. ``solutions/``, ``tests/hidden/`` and held-out data are never
copied, and the build stops if a copied notebook still holds a ``### BEGIN SOLUTION`` block.

An editable install (``pip install -e .``) skips the copy: there the source checkout itself
is the course root, exactly as before.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: what a copied notebook must never contain (the marker release.py strips)
SOLUTION_MARKER = "### BEGIN SOLUTION"


def _course_root_module():
    """``course_utils/course_root.py`` loaded on its own (no package import, no dependencies)."""
    spec = importlib.util.spec_from_file_location("_course_root_for_build", HERE / "course_utils" / "course_root.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def copy_public_course(source: Path, destination: Path) -> list[Path]:
    """Copy the public course under ``source`` to ``destination`` (emptied first); return the files.

    Raises
    ------
    RuntimeError
        When ``source`` has no lessons or no exercises (e.g. an sdist built without them), or
        when a notebook to copy still holds a solution block.
    """
    course_root = _course_root_module()
    files = course_root.public_files(source)
    for folder in ("notebooks", "exercises", "tests/exercises"):
        if not any(path.parts[: len(Path(folder).parts)] == Path(folder).parts for path in files):
            raise RuntimeError(f"cannot build the course's wheel: {source / folder} has no course files")
    leaking = [path.as_posix() for path in files
               if path.suffix == ".ipynb" and SOLUTION_MARKER in (source / path).read_text(encoding="utf-8")]
    if leaking:
        raise RuntimeError(f"cannot build the course's wheel: solution blocks in {', '.join(leaking)} "
                           "(run 'python -m course_utils release')")
    if destination.exists():
        shutil.rmtree(destination)
    for path in files:
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / path, target)
    return files


class BuildWithCourse(build_py):
    """``build_py`` that also puts the public course into ``course_utils/_course``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        bundle = Path(self.build_lib) / "course_utils" / _course_root_module().BUNDLE_NAME
        files = copy_public_course(HERE, bundle)
        self.announce(f"copied {len(files)} course files into {bundle}", level=2)


setup(cmdclass={"build_py": BuildWithCourse})
