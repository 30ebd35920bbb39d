"""The grading plugin for the whole suite, the course's wheel and fresh environments built
from it (for the wheel test and the journeys), and the contact sheet of every figure.

The grading plugin: exercise tests grade a notebook through ``student``. Registered here, at
the top of ``tests/``, so the ``--target`` option works from a bare ``pytest`` as well as from
``pytest tests/exercises``. ``pytest tests/exercises --target exercises`` grades the blank
notebooks (all must fail), ``--target my_work`` a folder of your own, ``--target
path/to/ex02_power_laws.ipynb`` one notebook; the default is ``solutions``. The hooks and the
fixture live in :mod:`course_utils.grading.plugin`.

The contact sheet: the notebook tests save every figure a lesson, exercise or explorer draws
in ``test-artifacts/figures/`` (:mod:`notebook_figures`); when the run ends, they are put
side by side in one image, ``test-artifacts/figures-contact-sheet.png``, for a reviewer.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from course_utils.grading.plugin import (pytest_addoption, pytest_configure, student,  # noqa: F401
                                         student_seed)

CHECKOUT = Path(__file__).resolve().parents[1]
ARTIFACTS = CHECKOUT / "test-artifacts"
#: what the copy of the checkout used to build the wheel leaves out (environments, build output)
_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", "my_work", "test-artifacts", "_build", "html")
#: the course itself, never linked into a new environment: it must come from the wheel
_OWN = re.compile(r"^(course_utils|scaling_laws_course[-.].*|__editable__.*|.*\.pth)$")


@pytest.fixture(scope="session")
def course_wheel(tmp_path_factory) -> Path:
    """The course's wheel, built offline (no build isolation, no index) from a copy of this checkout."""
    pytest.importorskip("setuptools", reason="the dev extra installs setuptools (pip install -e '.[dev]')")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(CHECKOUT, source, ignore=_NOT_COPIED, symlinks=True)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
                           "--quiet", "-w", str(work / "dist"), str(source)], capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, f"building the wheel failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    (found,) = (work / "dist").glob("scaling_laws_course-*.whl")
    return found


def new_environment(prefix: Path, *, leave_out: tuple[str, ...] = (), leave_out_data: tuple[str, ...] = (),
                    base_python: str | None = None) -> dict:
    """A new virtual environment at ``prefix`` that sees this environment's third-party packages
    (PyTorch alone is ~1 GB) through a folder of links, one per package, inside it.

    The data files and configuration those packages installed beside their code are linked too
    (``share/jupyter``, ``etc/jupyter``). Never linked: the course (its package, its editable
    finder, any ``.pth``), the packages
    named in ``leave_out`` (top-level names or distribution folders), kernel specs (the new
    Python is its own kernel) and the data folders under ``share/jupyter`` named in
    ``leave_out_data`` (relative paths such as ``labextensions/@jupyter-widgets``).
    ``base_python`` is another interpreter of the same Python version to build it on (one that
    other users may run, where this one lives in a private folder). Returns ``{python, bin, site}``.
    """
    if base_python is None:
        venv.EnvBuilder(with_pip=False, symlinks=True).create(prefix)
    else:
        subprocess.run([base_python, "-m", "venv", "--without-pip", str(prefix)], check=True, capture_output=True,
                       timeout=120)
    python = prefix / "bin" / "python"
    site = prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    farm = prefix / "third-party"
    farm.mkdir()
    skip = re.compile(r"^(%s)([-_.].*)?$" % "|".join(map(re.escape, leave_out))) if leave_out else None
    for packages in dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]):
        for entry in Path(packages).iterdir():
            if _OWN.match(entry.name) or (skip and skip.match(entry.name)) or (farm / entry.name).exists():
                continue
            (farm / entry.name).symlink_to(entry)
    (site / "third_party_packages.pth").write_text(f"{farm}\n")
    data = Path(sysconfig.get_paths()["data"])
    _link_jupyter_data(data / "share" / "jupyter", prefix / "share" / "jupyter", {"kernels", *leave_out_data})
    if (data / "etc" / "jupyter").is_dir():  # which server extensions are on (JupyterLab's, for one)
        (prefix / "etc").mkdir(exist_ok=True)
        (prefix / "etc" / "jupyter").symlink_to(data / "etc" / "jupyter")
    return {"python": python, "bin": python.parent, "site": site}


def _link_jupyter_data(shared: Path, target: Path, leave_out: set[str], relative: str = "") -> None:
    """Link what packages installed under ``<prefix>/share/jupyter`` (nbconvert's templates,
    JupyterLab's assets, front-end extensions), descending only where something is left out."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(shared.iterdir()) if shared.is_dir() else []:
        name = f"{relative}{entry.name}"
        if name in leave_out:
            continue
        if any(item.startswith(f"{name}/") for item in leave_out):
            _link_jupyter_data(entry, target / entry.name, leave_out, f"{name}/")
        else:
            (target / entry.name).symlink_to(entry)


@pytest.fixture(scope="session")
def make_environment():
    """:func:`new_environment`, for tests that build an environment of their own."""
    return new_environment


def contact_sheet(folder: Path, out: Path, columns: int = 4, width: int = 640) -> Path | None:
    """Every PNG in ``folder`` as a thumbnail ``width`` pixels wide, named, ``columns`` to a row."""
    from PIL import Image, ImageDraw

    paths = sorted(folder.glob("*.png"))
    if not paths or (out.exists() and out.stat().st_mtime >= max(p.stat().st_mtime for p in paths)):
        return None
    thumbs = []
    for path in paths:
        with Image.open(path) as image:
            image = image.convert("RGB")
            thumbs.append((path.stem, image.resize((width, max(1, round(image.height * width / image.width))))))
    label, gap = 22, 12
    rows = [thumbs[i:i + columns] for i in range(0, len(thumbs), columns)]
    heights = [max(t.height for _, t in row) + label + gap for row in rows]
    sheet = Image.new("RGB", (columns * (width + gap) + gap, sum(heights) + gap), "white")
    draw = ImageDraw.Draw(sheet)
    y = gap
    for row, height in zip(rows, heights):
        for column, (name, thumb) in enumerate(row):
            x = gap + column * (width + gap)
            draw.text((x, y), name, fill="black")
            sheet.paste(thumb, (x, y + label))
        y += height
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes it once
        return
    contact_sheet(ARTIFACTS / "figures", ARTIFACTS / "figures-contact-sheet.png")
