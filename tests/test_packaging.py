"""The install story: pyproject.toml, environment.yml, README and CI agree with each other."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent

#: PyPI name -> conda-forge name, where they differ.
PYPI_TO_CONDA = {"torch": "pytorch"}


def _split_requirement(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    return match.group(1).lower(), match.group(2).replace(" ", "")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pip_requirements() -> dict[str, str]:
    project = _pyproject()["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(_split_requirement(r) for r in requirements)


def _conda_requirements() -> dict[str, str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, str):
            name, spec = _split_requirement(entry)
            if name not in {"python", "pip"}:
                conda[name] = spec
    return conda


def test_environment_yml_lists_every_pyproject_dependency_under_its_conda_name():
    pip = {PYPI_TO_CONDA.get(name, name): spec for name, spec in _pip_requirements().items()}
    assert _conda_requirements() == pip


def test_environment_yml_uses_conda_forge_and_installs_the_course_with_pip():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert environment["channels"] == ["conda-forge"]
    pip_section = [e for e in environment["dependencies"] if isinstance(e, dict)]
    assert pip_section == [{"pip": ["-e ."]}]


def test_runtime_dependencies_include_what_the_course_needs():
    names = {_split_requirement(r)[0] for r in _pyproject()["project"]["dependencies"]}
    needed = {"jupyterlab", "numpy", "scipy", "matplotlib", "ipywidgets", "torch", "tqdm",
              "nbformat", "nbclient", "nbconvert", "pytest"}
    assert needed <= names


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


def _readme_commands(section: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    body = readme.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", body, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def _ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_ci_runs_exactly_the_readme_test_command_last():
    readme_test = [c for c in _readme_commands("Quickstart") if shlex.split(c)[0] == "pytest"]
    assert readme_test, "the README Quickstart must show the test command"
    assert _ci_commands()[-1] == readme_test[-1]


def test_ci_installs_cpu_torch_before_the_project_as_the_readme_says():
    ci = _ci_commands()
    torch_line = next(i for i, c in enumerate(ci) if "torch==2.13.0" in c)
    project_line = next(i for i, c in enumerate(ci) if '-e ".[dev]"' in c)
    assert torch_line < project_line
    readme = _readme_commands("Quickstart")
    assert any("torch==2.13.0" in c for c in readme)
    assert any('pip install -e ".[dev]"' in c for c in readme)


def test_every_shipped_data_file_is_attributed():
    data = ROOT / "course_utils" / "data"
    sources = (data / "SOURCES.md").read_text(encoding="utf-8")
    for path in sorted(data.glob("*.csv")):
        assert path.name in sources, f"{path.name} has no entry in course_utils/data/SOURCES.md"


def test_license_and_citation_files_exist():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["title"].startswith("Scaling Laws in AI")
