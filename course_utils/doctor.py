"""Environment check for the first cell of every notebook: ``from course_utils.doctor import doctor; doctor()``.

It checks what the *kernel* needs — Python, ipykernel, ipywidgets, numpy, torch and the
other packages the course imports, and the course's data files — and warns about versions
older than the course needs. Versions are read from the installed packages' metadata, and
``import torch`` is tried in a separate interpreter with a time limit (metadata says a
package is installed, not that it loads), so doctor stays quick and never loads PyTorch
into the kernel.

It also says what the learner's page can show (:mod:`course_utils.frontend`): which JupyterLab
serves the page, asked of the notebook server that started the kernel (on a hub, in VS Code
or on Colab the server may run in another environment than the kernel, and a server without
the widget manager shows every explorer as text); and, inside a kernel, whether this page
actually draws widgets, asked of the page itself through a widget link. That answer arrives
once the kernel is free, and updates the last line of the cell's output: "All set" only when
the page has answered. Where nothing can be known (a terminal, an unattended run, no answer)
the report says so instead of "All set". A test slider shows the learner the same by eye.

The same report is printed by ``python -m course_utils doctor`` (exit status 1 when a
requirement is not met).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata

from .frontend import ServerInfo

__all__ = ["doctor", "DoctorReport", "PackageStatus", "MINIMUM_VERSIONS", "MINIMUM_PYTHON", "DATA_FILES",
           "IMPORT_CHECKED", "IMPORT_TIMEOUT", "import_problem", "add_arguments", "run_command"]

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
#: Packages whose import is tried, not only their metadata read: compiled ones that can be
#: installed and still fail to load (a missing shared library, a build for another CPU).
IMPORT_CHECKED = ("torch",)
#: seconds an ``import`` may take in the separate interpreter before doctor stops waiting
IMPORT_TIMEOUT = 60.0
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
    """One package: installed version (None if missing), minimum, whether it is enough, and
    for :data:`IMPORT_CHECKED` packages whether ``import`` worked (None: not tried)."""

    name: str
    version: str | None
    minimum: str | None
    ok: bool
    imports: bool | None = None


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
    server: ServerInfo | None = None
    course_root: str | None = None
    in_kernel: bool = False
    headless: bool = False
    widget_shown: bool = False
    #: what the page said about widgets: "not asked", "waiting", "drawn", "refused", "no answer"
    widgets: str = "not asked"

    @property
    def ok(self) -> bool:
        """The kernel's requirements are met (widgets are judged separately: :attr:`widgets`)."""
        return not self.problems

    @property
    def all_set(self) -> bool:
        """Everything the course needs is there, and the page has shown that it draws widgets."""
        return self.ok and self.widgets == "drawn"

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        return data

    def as_text(self) -> str:
        """The report, without its last line (:meth:`verdict`)."""
        width = max(len(name) for name in self.packages) + 2
        lines = [f"Python      {self.python} ({self.platform})", f"course_utils {self.course_utils}", ""]
        for status in self.packages.values():
            version = status.version or "not installed"
            need = f"(needs >= {status.minimum}" + ("; imports)" if status.imports else
                                                   "; DOES NOT IMPORT)" if status.imports is False else ")")
            mark = "ok " if status.ok else "!! "
            lines.append(f"  {mark}{status.name:<{width}}{version:<16}{need if status.minimum else ''}")
        lines.append("")
        if self.server is not None:
            lines.append(f"notebook server  {self.server.describe()}")
        lines.append(f"course folder    {self.course_root or 'none found'}")
        lines.append("")
        for name, present in self.data_files.items():
            lines.append(f"  {'ok ' if present else '-- '}data/{name}{'' if present else '  (missing)'}")
        lines.append("")
        lines += [f"PROBLEM: {p}" for p in self.problems]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines).rstrip()

    def verdict(self) -> str:
        """The last line: "All set" only when everything, widgets included, is known to work."""
        if not self.ok:
            return "Fix the problems above, then restart the kernel and run this cell again."
        return _WIDGET_VERDICTS[self.widgets].format(server_env=_server_environment(self.server))


def _server_environment(server: ServerInfo | None) -> str:
    if server is not None and server.found and server.environment:
        return f"the notebook server's environment ({server.environment})"
    return "the environment the notebook server runs in"


#: what to do when the page cannot draw widgets
_WIDGETS_REMEDY = ("In {server_env}, install ipywidgets 8 (pip install 'ipywidgets>=8'), or enable its "
                   "extension if it is there (jupyter labextension enable @jupyter-widgets/jupyterlab-manager); "
                   "then restart the server and reload this page.")
#: the last line of the report, by what the page said about widgets (the kernel's needs are met)
_WIDGET_VERDICTS = {
    "drawn": "All set: this kernel has what the course needs, and this page draws the course's widgets.",
    "waiting": "This kernel has what the course needs. Widgets: asking this page whether it draws them... "
               "(the answer comes when the kernel is free: after Run All, this line changes).",
    "refused": "PROBLEM: this page has no widget manager, so every explorer will show as text such as "
               "VBox(children=(...)). " + _WIDGETS_REMEDY + " The kernel itself has what the course needs.",
    "no answer": "Not known whether this page draws widgets: it did not answer (a front end without widget "
                 "support?). If the slider above shows as text: " + _WIDGETS_REMEDY + " The kernel itself has "
                 "what the course needs.",
    "not asked": "This environment has what the course's kernel needs. Whether your page draws widgets is not "
                 "known here: the first cell of each lesson checks it in JupyterLab.",
}


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


@functools.lru_cache(maxsize=None)
def import_problem(module: str, timeout: float = IMPORT_TIMEOUT) -> tuple[bool | None, str]:
    """Try ``import module`` in a fresh interpreter of this environment (once per process:
    a package reinstalled since needs a restarted kernel anyway).

    Returns ``(True, "")`` when it imports, ``(False, why)`` when it fails (the last line of
    the error), and ``(None, why)`` when it took longer than ``timeout`` seconds (not known).
    A module this process has imported already counts as importable.
    """
    if module in sys.modules:
        return True, ""
    try:
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"import {module} took longer than {timeout:.0f} s"
    except OSError as exc:
        return None, f"could not start {sys.executable}: {exc}"
    if done.returncode == 0:
        return True, ""
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return False, lines[-1] if lines else f"exit status {done.returncode}"


def check(minimums: dict[str, str] | None = None, data_files: dict[str, tuple[bool, str]] | None = None,
          python_version: tuple[int, ...] | None = None, server: ServerInfo | None = None) -> DoctorReport:
    """Gather the report without printing or displaying anything (arguments are for tests;
    ``server`` default: :func:`course_utils.frontend.find_server`)."""
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
        imports = None
        if version is None:
            problems.append(f"{name} is not installed: run  pip install '{name}>={minimum}'")
        elif not _at_least(version, minimum):
            problems.append(f"{name} {version} is older than {minimum}: run  pip install -U '{name}>={minimum}'")
        elif name in IMPORT_CHECKED:
            imports, why = import_problem(name)
            if imports is False:
                problems.append(f"{name} {version} is installed but does not import ({why}): reinstall it, "
                                f"e.g.  pip install --force-reinstall '{name}>={minimum}'")
            elif imports is None:
                notes.append(f"not known whether {name} imports: {why}.")
        ok = version is not None and _at_least(version, minimum) and imports is not False
        packages[name] = PackageStatus(name, version, minimum, ok, imports)

    present: dict[str, bool] = {}
    for name, (required, purpose) in data_files.items():
        present[name] = data_file(name).is_file()
        if not present[name]:
            message = f"data file {name} is missing; it is used by {purpose}."
            if required:
                problems.append(message + " Reinstall the course package (pip install -e .).")
            else:
                notes.append(message + " It is produced by the scaling lab (python -m course_utils lab).")

    if server is None:
        from .frontend import find_server

        server = find_server()
    if server.found and not server.widget_manager:
        remedy = _WIDGETS_REMEDY.format(server_env=_server_environment(server))
        problems.append(f"every explorer will show as text: the notebook server serving this page has no widget "
                        f"manager (see 'notebook server' above). {remedy}")

    return DoctorReport(
        python=".".join(map(str, python_version)), platform=platform.platform(terse=True),
        course_utils=__version__, packages=packages, data_files=present, problems=problems, notes=notes,
        server=server, course_root=_course_root(notes),
        in_kernel=_in_kernel(), headless=os.environ.get(_HEADLESS_VARIABLE, "") == "1",
    )


def _course_root(notes: list[str]) -> str | None:
    """Where the course's folders come from, as ``path (found by)``; a note when nowhere, and
    one when a course folder holds the lessons of another version than the installed course."""
    from course_utils import __version__
    from course_utils.course_root import CourseRootError, find_course_root

    try:
        root = find_course_root()
    except CourseRootError as exc:
        notes.append(f"no course folder: {exc}")
        return None
    if root.found_by == "started folder":
        from course_utils.grading.commands.workcopy import folder_version, read_marker

        version = folder_version(read_marker(root.path))
        if version and version != __version__:
            notes.append(f"your course folder holds the lessons of version {version}; the installed course is "
                         f"{__version__}. To bring in the new lessons (your exercise copies are never "
                         f"overwritten): scaling-course start --dir {root.path} --update")
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


def _show_verdict(report: DoctorReport):
    """Display the verdict line so that it can change later (a display handle), or None."""
    from IPython.display import display

    return display({"text/plain": report.verdict()}, raw=True, display_id=True)


def _ask_the_page(report: DoctorReport, handle) -> None:
    """Start the widget probe; when the page answers, update ``report`` and the verdict line."""
    from .frontend import WidgetProbe

    def answered(state: str) -> None:
        report.widgets = state
        handle.update({"text/plain": report.verdict()}, raw=True)

    report.widgets = "waiting"
    handle.update({"text/plain": report.verdict()}, raw=True)
    WidgetProbe(answered)


def doctor(show_widget: bool | None = None) -> DoctorReport:
    """Print the environment report; in a kernel, show a test slider and ask the page about widgets.

    Parameters
    ----------
    show_widget : bool, optional
        Show the slider and ask the page whether it draws widgets. Default: only inside a
        Jupyter kernel and not when ``COURSE_HEADLESS=1`` (set when notebooks run
        unattended, where there is no page to ask).

    Returns
    -------
    DoctorReport
        ``.ok`` is False when something the course needs is missing or too old;
        ``.widgets`` says what the page answered (it changes when the answer arrives).
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
        print(f"({_HEADLESS_VARIABLE}=1: running unattended, so there is no page to ask about widgets.)")
    if report.widget_shown and report.in_kernel:
        _ask_the_page(report, _show_verdict(report))
    else:
        print(report.verdict())
    return report


# ------------------------------------------------------------------ command line


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m course_utils doctor``."""
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run_command(command: str, args: argparse.Namespace) -> int:
    """Print the report; exit status 1 if the course's requirements are not met."""
    if getattr(args, "json", False):
        report = check()
        print(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        report = doctor(show_widget=False)
    return 0 if report.ok else 1
