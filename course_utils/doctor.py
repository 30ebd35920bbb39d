"""Environment check for the first cell of every notebook: ``from course_utils.doctor import doctor; doctor()``.

It checks what the *kernel* needs — Python, ipykernel, ipywidgets, numpy, torch and the
other packages the course imports, and the course's data files — and warns about versions
older than the course needs. It also reports, as information only, the JupyterLab version
when JupyterLab is installed beside the kernel, and where the course's folders were found.
JupyterLab is not required here: on JupyterHub, in VS Code or on Colab the notebook server
runs elsewhere (``pip install "scaling-laws-course[lab]"`` puts both in one environment, as
``start.sh`` does on a laptop). Inside a Jupyter kernel it shows a small slider. A kernel cannot see whether the browser draws widgets, so the
learner checks that by eye: if the slider appears and moves, the lessons' widgets will work.

Versions are read from the installed packages' metadata, so the check never imports
PyTorch and takes a fraction of a second. The same report is printed by
``python -m course_utils doctor``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata

__all__ = ["doctor", "DoctorReport", "PackageStatus", "MINIMUM_VERSIONS", "MINIMUM_PYTHON", "DATA_FILES",
           "INFORMATION_ONLY", "add_arguments", "run_command"]

#: Oldest versions the course supports of what the kernel imports; keep in step with
#: pyproject.toml's dependencies (a test checks).
MINIMUM_PYTHON = (3, 10)
MINIMUM_VERSIONS: dict[str, str] = {
    "ipykernel": "5.5",
    "ipywidgets": "8.0",
    "numpy": "1.24",
    "scipy": "1.10",
    "matplotlib": "3.7",
    "adjusttext": "1.0",
    "torch": "2.1",
    "nbformat": "5.9",
    "nbclient": "0.8",
    "nbconvert": "7.0",
    "tqdm": "4.65",
    "pytest": "7.4",
}
#: Reported when visible, never required: the notebook server may run in another environment.
INFORMATION_ONLY: dict[str, str] = {
    "jupyterlab": "the notebook server; not needed beside the kernel when it runs elsewhere "
                  "(JupyterHub, VS Code, Colab)",
}
#: Package data: file name -> what needs it. A missing required file is a problem; a
#: missing optional one is a note (the lesson computes or trains instead).
DATA_FILES: dict[str, tuple[bool, str]] = {
    "notable_models.csv": (True, "lessons 01 and 05 (notable language models)"),
    "SOURCES.md": (True, "attribution of the shipped data"),
    "sweep_course.csv": (True, "lessons 03 and 04 (the scaling lab's shipped course sweep)"),
}
_HEADLESS_VARIABLE = "COURSE_HEADLESS"


@dataclass(frozen=True)
class PackageStatus:
    """One package: installed version (None if missing), minimum, and whether it is enough."""

    name: str
    version: str | None
    minimum: str | None
    ok: bool


@dataclass
class DoctorReport:
    """What :func:`doctor` found. ``problems`` stop the course working; ``notes`` don't."""

    python: str
    platform: str
    course_utils: str
    packages: dict[str, PackageStatus]
    data_files: dict[str, bool]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    information: dict[str, str | None] = field(default_factory=dict)
    course_root: str | None = None
    in_kernel: bool = False
    headless: bool = False
    widget_shown: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        return data

    def as_text(self) -> str:
        width = max(len(name) for name in [*self.packages, *self.information]) + 2
        lines = [f"Python      {self.python} ({self.platform})", f"course_utils {self.course_utils}", ""]
        for status in self.packages.values():
            version = status.version or "not installed"
            need = f"(needs >= {status.minimum})" if status.minimum else ""
            mark = "ok " if status.ok else "!! "
            lines.append(f"  {mark}{status.name:<{width}}{version:<16}{need}")
        for name, version in self.information.items():
            lines.append(f"  -- {name:<{width}}{version or 'not in this environment':<16}(information only)")
        lines.append("")
        lines.append(f"course folder  {self.course_root or 'none found'}")
        lines.append("")
        for name, present in self.data_files.items():
            lines.append(f"  {'ok ' if present else '-- '}data/{name}{'' if present else '  (missing)'}")
        lines.append("")
        lines += [f"PROBLEM: {p}" for p in self.problems]
        lines += [f"note: {n}" for n in self.notes]
        lines.append("All set: the course's requirements are met." if self.ok
                     else "Fix the problems above, then restart the kernel and run this cell again.")
        return "\n".join(lines)


def _version_tuple(version: str) -> tuple[int, ...]:
    """Leading numeric release of a version string: '2.13.0+cpu' -> (2, 13, 0)."""
    match = re.match(r"\d+(?:\.\d+)*", version.strip())
    if not match:
        raise ValueError(f"version must start with digits; got {version!r}")
    return tuple(int(part) for part in match.group(0).split("."))


def _at_least(version: str, minimum: str) -> bool:
    have, need = _version_tuple(version), _version_tuple(minimum)
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) >= need + (0,) * (width - len(need))


def _installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _in_kernel() -> bool:
    """True inside a Jupyter (IPython) kernel, False in a plain interpreter or terminal IPython."""
    if "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def check(minimums: dict[str, str] | None = None, data_files: dict[str, tuple[bool, str]] | None = None,
          python_version: tuple[int, ...] | None = None) -> DoctorReport:
    """Gather the report without printing or displaying anything (arguments are for tests)."""
    from course_utils import __version__
    from course_utils.datasets import data_file

    minimums = MINIMUM_VERSIONS if minimums is None else minimums
    data_files = DATA_FILES if data_files is None else data_files
    python_version = tuple(sys.version_info[:3]) if python_version is None else tuple(python_version)

    problems: list[str] = []
    notes: list[str] = []
    if python_version[:2] < MINIMUM_PYTHON:
        problems.append(f"Python {'.'.join(map(str, python_version))} is older than "
                        f"{'.'.join(map(str, MINIMUM_PYTHON))}; install a newer Python.")

    packages: dict[str, PackageStatus] = {}
    for name, minimum in minimums.items():
        version = _installed_version(name)
        ok = version is not None and _at_least(version, minimum)
        packages[name] = PackageStatus(name, version, minimum, ok)
        if version is None:
            problems.append(f"{name} is not installed: run  pip install '{name}>={minimum}'")
        elif not ok:
            problems.append(f"{name} {version} is older than {minimum}: run  pip install -U '{name}>={minimum}'")

    present: dict[str, bool] = {}
    for name, (required, purpose) in data_files.items():
        present[name] = data_file(name).is_file()
        if not present[name]:
            message = f"data file {name} is missing; it is used by {purpose}."
            if required:
                problems.append(message + " Reinstall the course package (pip install -e .).")
            else:
                notes.append(message + " It is produced by the scaling lab (python -m course_utils lab).")

    information = {name: _installed_version(name) for name in INFORMATION_ONLY}
    for name, version in information.items():
        if version is None:
            notes.append(f"{name} is not installed beside this kernel: {INFORMATION_ONLY[name]}.")

    return DoctorReport(
        python=".".join(map(str, python_version)), platform=platform.platform(terse=True),
        course_utils=__version__, packages=packages, data_files=present, problems=problems, notes=notes,
        information=information, course_root=_course_root(notes),
        in_kernel=_in_kernel(), headless=os.environ.get(_HEADLESS_VARIABLE, "") == "1",
    )


def _course_root(notes: list[str]) -> str | None:
    """Where the course's folders come from, as ``path (found by)``; a note when nowhere."""
    from course_utils.course_root import CourseRootError, find_course_root

    try:
        root = find_course_root()
    except CourseRootError as exc:
        notes.append(f"no course folder: {exc}")
        return None
    return f"{root.path} ({root.found_by})"


def _show_test_widget() -> bool:
    """Display a slider the learner can drag; False if ipywidgets cannot be imported."""
    try:
        import ipywidgets
        from IPython.display import display
    except ImportError:
        return False
    slider = ipywidgets.IntSlider(value=3, min=0, max=10, description="move me")
    label = ipywidgets.Label("If you can see and drag this slider, widgets work in your browser.")
    echo = ipywidgets.Label(f"value: {slider.value}")
    slider.observe(lambda change: setattr(echo, "value", f"value: {change['new']}"), names="value")
    display(ipywidgets.VBox([label, ipywidgets.HBox([slider, echo])]))
    return True


def doctor(show_widget: bool | None = None) -> DoctorReport:
    """Print the environment report and, in a kernel, show a test slider.

    Parameters
    ----------
    show_widget : bool, optional
        Show the slider. Default: only inside a Jupyter kernel and not when
        ``COURSE_HEADLESS=1`` (set when notebooks run unattended, where nobody can look).

    Returns
    -------
    DoctorReport
        ``.ok`` is False when something the course needs is missing or too old.
    """
    report = check()
    print(report.as_text())
    if show_widget is None:
        show_widget = report.in_kernel and not report.headless
    if show_widget:
        report.widget_shown = _show_test_widget()
        if not report.widget_shown:
            report.problems.append("ipywidgets cannot be imported, so the lessons' widgets will not work.")
            print(f"PROBLEM: {report.problems[-1]}")
    elif report.headless:
        print(f"({_HEADLESS_VARIABLE}=1: running unattended, so the widget test is skipped.)")
    return report


# ------------------------------------------------------------------ command line


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m course_utils doctor``."""
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run_command(command: str, args: argparse.Namespace) -> int:
    """Print the report; exit status 1 if the course's requirements are not met."""
    if getattr(args, "json", False):
        report = check()
        print(json.dumps(report.as_dict(), indent=2))
    else:
        report = doctor(show_widget=False)
    return 0 if report.ok else 1
