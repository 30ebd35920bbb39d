"""The install story: pyproject.toml, environment.yml (+ environment-dev.yml), the scripts,
README and CI agree with each other, and environment.yml meets repo2docker's rules."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from documents import README, commands, guide, section

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent

#: PyPI name -> conda-forge name, where they differ. conda-forge's `pytorch` may pull a CUDA
#: build (`pytorch-cpu` is its CPU-only variant); `matplotlib` there adds a Qt GUI
#: (`matplotlib-base` is the library); conda-forge's `playwright` is the Node.js tool, and the
#: Python bindings are `playwright-python`.
PYPI_TO_CONDA = {"torch": "pytorch-cpu", "matplotlib": "matplotlib-base", "playwright": "playwright-python"}
#: conda-forge names that look right and are not, with the reason
WRONG_CONDA_NAMES = {
    "torch": "PyPI's name; conda-forge's package is pytorch-cpu",
    "pytorch": "may resolve to a CUDA build; the course wants pytorch-cpu",
    "playwright": "conda-forge's playwright is the Node.js tool, not the Python bindings (playwright-python)",
}
#: repo2docker's pattern for the Python version (repo2docker/buildpacks/conda/__init__.py,
#: PYTHON_REGEX, applied with re.match to each dependency string); a spec such as
#: `python>=3.10` does not match, and repo2docker then falls back to its default Python.
REPO2DOCKER_PYTHON = re.compile(r"python\s*=+\s*([\d\.]*)")
#: the Python versions repo2docker has lock files for (environment.py-X.Y-linux-64.lock)
REPO2DOCKER_PYTHONS = {"3.10", "3.11", "3.12", "3.13", "3.14"}


def _split_requirement(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    return match.group(1).lower(), match.group(2).replace(" ", "")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements(*groups: str) -> dict[str, str]:
    """PyPI name -> version spec of ``dependencies`` and of the optional groups named."""
    project = _pyproject()["project"]
    found = {}
    for group in groups:
        listed = project["dependencies"] if group == "dependencies" else project["optional-dependencies"][group]
        found.update(_split_requirement(r) for r in listed)
    return found


def _environment(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def _conda_requirements(name: str) -> dict[str, str]:
    conda = {}
    for entry in _environment(name)["dependencies"]:
        if isinstance(entry, str):
            package, spec = _split_requirement(entry)
            if package not in {"python", "pip"}:
                conda[package] = spec
    return conda


def _as_conda(requirements: dict[str, str]) -> dict[str, str]:
    return {PYPI_TO_CONDA.get(name, name): spec for name, spec in requirements.items()}


def test_environment_yml_is_what_the_kernel_needs_plus_jupyterlab_under_conda_names():
    assert _conda_requirements("environment.yml") == _as_conda(_requirements("dependencies", "lab"))


def test_environment_dev_yml_adds_exactly_the_development_only_packages():
    runtime = _as_conda(_requirements("dependencies", "lab"))
    dev_only = {name: spec for name, spec in _as_conda(_requirements("dev")).items() if name not in runtime}
    assert _conda_requirements("environment-dev.yml") == dev_only
    assert not set(dev_only) & set(_conda_requirements("environment.yml"))


@pytest.mark.parametrize("name", ["environment.yml", "environment-dev.yml"])
def test_no_conda_name_is_one_of_the_known_wrong_ones(name):
    wrong = {package: WRONG_CONDA_NAMES[package] for package in _conda_requirements(name) if package in WRONG_CONDA_NAMES}
    assert wrong == {}


def test_environment_yml_pins_python_in_the_form_repo2docker_reads():
    """repo2docker takes the first dependency matching its pattern and keeps X.Y; it has
    environments for 3.10-3.14 only. The pin must also satisfy requires-python."""
    strings = [entry for entry in _environment("environment.yml")["dependencies"] if isinstance(entry, str)]
    pins = [m.group(1) for m in map(REPO2DOCKER_PYTHON.match, strings) if m]
    assert pins, "no python=X.Y pin: repo2docker would use its default Python"
    assert re.fullmatch(r"3\.\d+", pins[0]) and pins[0] in REPO2DOCKER_PYTHONS
    assert not [s for s in strings if s.startswith("python") and not REPO2DOCKER_PYTHON.match(s)]
    minimum = _pyproject()["project"]["requires-python"].removeprefix(">=")
    assert tuple(map(int, pins[0].split("."))) >= tuple(map(int, minimum.split(".")))


def test_environment_yml_is_found_by_repo2docker_and_installs_the_course_from_the_repository():
    """repo2docker reads environment.yml (not .yaml) at the top or in binder/; a local pip
    requirement (`-e .`) makes it copy the repository before building the environment."""
    assert not (ROOT / "environment.yaml").exists() and not (ROOT / "binder").exists()
    environment = _environment("environment.yml")
    assert environment["channels"] == ["conda-forge"]
    pip_section = [e for e in environment["dependencies"] if isinstance(e, dict)]
    assert pip_section == [{"pip": ["-e ."]}]


def test_runtime_dependencies_are_what_the_kernel_needs_and_jupyterlab_is_an_extra():
    names = set(_requirements("dependencies"))
    needed = {"numpy", "scipy", "matplotlib", "ipywidgets", "ipykernel", "torch", "tqdm",
              "nbformat", "nbclient", "nbconvert", "pytest"}
    assert needed <= names and "jupyterlab" not in names
    assert "jupyterlab" in _requirements("lab") and "jupyterlab" in _requirements("dev")


def test_the_dev_extra_can_build_the_wheel_offline():
    """tests/test_wheel.py builds with --no-build-isolation: the build requirements must be
    installed by the dev extra."""
    build = dict(_split_requirement(r) for r in _pyproject()["build-system"]["requires"])
    assert set(build) <= set(_requirements("dev"))


def test_the_version_is_declared_once_and_cited_alike():
    from course_utils import __version__

    project = _pyproject()
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "course_utils.__version__"}
    assert str(yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))["version"]) == __version__
    assert f"## {__version__}" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_distribution_and_package_names_follow_the_design():
    project = _pyproject()
    assert project["project"]["name"] == "scaling-laws-course"
    assert project["project"]["requires-python"] == ">=3.10"


def test_every_subpackage_is_in_the_distribution():
    """A non-editable install must carry course_utils.lab and course_utils.grading too."""
    from setuptools import find_packages

    include = _pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    found = set(find_packages(where=str(ROOT), include=include))
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "course_utils").rglob("__init__.py")}
    assert found == on_disk and {"course_utils", "course_utils.lab", "course_utils.grading"} <= found


def _readme_commands(heading: str) -> list[str]:
    return commands(section(README, heading))


def _manual_steps() -> list[str]:
    """The commands of the learners' guide's manual steps, the README's two scripts by hand."""
    return commands(section(guide("learners"), "Manual steps"))


def _script_commands(path: str) -> list[str]:
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_the_readme_leads_with_the_two_laptop_commands():
    assert _readme_commands("Quickstart")[:2] == ["./start.sh", "./test.sh"]
    for script in ("start.sh", "test.sh", "scripts/setup-venv.sh", ".ci/run"):
        assert os.access(ROOT / script, os.X_OK), f"{script} is not executable"


def test_ci_runs_the_readme_test_command_and_test_sh_ends_with_the_manual_one():
    """CI runs the README's ``./test.sh``; that script's last line is the test command the
    learners' guide gives for running the tests by hand."""
    assert _script_commands(".ci/run")[-1] == "bash test.sh" and "./test.sh" in _readme_commands("Quickstart")
    manual_test = [c for c in _manual_steps() if shlex.split(c)[0] == "pytest"]
    assert manual_test, "the learners' guide's manual steps must show the test command"
    assert _script_commands("test.sh")[-1] == manual_test[-1]


def test_setup_installs_cpu_torch_before_the_course_as_the_manual_steps_say():
    setup = (ROOT / "scripts" / "setup-venv.sh").read_text(encoding="utf-8")
    version = re.search(r'torch_version="([\d.]+)"', setup).group(1)
    assert setup.index("torch==${torch_version}") < setup.index('pip install --quiet -e ".[${extras}]"')
    manual = _manual_steps()
    torch_line = next(i for i, c in enumerate(manual) if f"torch=={version}" in c)
    course_line = manual.index('pip install -e ".[dev]"')
    assert torch_line < course_line and "whl/cpu" in manual[torch_line]
    assert _script_commands("test.sh")[0] == "set -euo pipefail" and "setup-venv.sh dev" in _script_commands("test.sh")[2]


def test_start_sh_sets_up_the_lab_extra_and_opens_lesson_00_in_jupyterlab_even_as_root():
    """The server's root stays the course folder (a notebook given as an argument would make
    its own folder the root and hide my_work/); lesson 00 is the default URL."""
    start = (ROOT / "start.sh").read_text(encoding="utf-8")
    assert "scripts/setup-venv.sh lab" in start
    command = " ".join(start.split("exec .venv/bin/jupyter lab", 1)[1].replace("\\\n", " ").split())
    assert '--ServerApp.root_dir="$PWD"' in command
    assert "--LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb" in command
    assert not re.search(r"\s\S+\.ipynb\b", command.replace("default_url=/lab/tree/notebooks/00_welcome.ipynb", ""))
    assert re.search(r'if \[ "\$\(id -u\)" = "0" \]; then\s+extra\+=\(--allow-root\)', start)
    assert (ROOT / "notebooks" / "00_welcome.ipynb").is_file()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("script", ["start.sh", "test.sh", "scripts/setup-venv.sh", ".ci/run"])
def test_the_scripts_parse(script):
    assert subprocess.run(["bash", "-n", str(ROOT / script)]).returncode == 0


def test_every_shipped_data_file_is_attributed():
    data = ROOT / "course_utils" / "data"
    sources = (data / "SOURCES.md").read_text(encoding="utf-8")
    for path in sorted(data.glob("*.csv")):
        assert path.name in sources, f"{path.name} has no entry in course_utils/data/SOURCES.md"


def test_license_and_citation_files_exist():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["title"].startswith("Scaling Laws in AI")


def test_the_instructors_guide_counts_the_exercise_tests_and_points_right():
    """The instructors' guide's "The exercise tests" states how many public and hidden tests there are and
    their points; counted here from the test modules, so the sentence cannot go stale."""
    import re

    from course_utils.grading.stages.runner import collect_syllabus

    def counted(folder: str) -> tuple[int, int]:
        rows = [row for path in sorted((ROOT / folder).glob("test_*.py")) for row in collect_syllabus(path)]
        return len(rows), round(sum(row["max_points"] for row in rows))

    text = " ".join(section(guide("instructors"), "The exercise tests").split())
    found = re.search(r"There are (\d+) public tests worth (\d+) points over \w+ exercise notebooks, in "
                      r"`tests/exercises/test_<notebook>.py`, and (\d+) hidden tests worth (\d+) points", text)
    assert found, "the instructors' guide's sentence on the exercise tests has changed shape"
    stated = tuple(int(group) for group in found.groups())
    assert stated == (*counted("tests/exercises"), *counted("tests/hidden"))


def test_the_syllabus_links_every_exercise_notebook_from_its_lessons_row():
    """Each exercises/exNN_*.ipynb is linked in row NN of the README's syllabus, the capstone's
    written answers included (issue 22: row 07 listed none)."""
    import re

    rows = {match.group(1): match.group(0) for match in
            re.finditer(r"^\| (\d\d) \| \[.*$", README.read_text(encoding="utf-8"), re.MULTILINE)}
    for notebook in sorted((ROOT / "exercises").glob("ex*.ipynb")):
        number = notebook.stem[2:4]
        assert number in rows, f"the syllabus has no row {number}"
        assert f"](exercises/{notebook.name})" in rows[number], f"row {number} does not link {notebook.name}"
