"""course_utils.doctor: the environment check run in the first cell of every notebook."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import doctor as doctor_module
from course_utils.doctor import MINIMUM_VERSIONS, check, doctor

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_report_lists_every_package_the_kernel_needs_with_its_installed_version():
    report = check()
    for name in ("ipykernel", "ipywidgets", "numpy", "scipy", "matplotlib", "torch"):
        assert name in report.packages
    assert report.packages["numpy"].version is not None


def test_jupyterlab_is_reported_as_information_not_required():
    report = check()
    assert "jupyterlab" not in report.packages
    assert report.information["jupyterlab"] is not None  # the dev environment has it
    assert "information only" in report.as_text()


def test_a_kernel_without_jupyterlab_beside_it_is_still_ready(monkeypatch):
    """JupyterHub, VS Code and Colab run the server in another environment."""
    real = doctor_module._installed_version
    monkeypatch.setattr(doctor_module, "_installed_version",
                        lambda name: None if name == "jupyterlab" else real(name))
    report = check()
    assert report.ok and report.information == {"jupyterlab": None}
    assert any("JupyterHub" in note for note in report.notes)


def test_the_report_says_where_the_course_was_found():
    report = check()
    assert report.course_root == f"{PYPROJECT.parent} (source checkout)"


def test_the_ready_environment_passes():
    """The project's own environment meets every minimum and ships the required data."""
    report = check()
    assert report.ok, report.problems
    assert report.data_files["notable_models.csv"]


def test_a_too_old_package_is_a_problem_naming_it():
    report = check(minimums={"numpy": "999.0"})
    assert not report.ok
    assert not report.packages["numpy"].ok
    assert any("numpy" in p and "999.0" in p for p in report.problems)


def test_a_missing_package_is_a_problem_with_an_install_command():
    report = check(minimums={"no-such-package-for-the-course": "1.0"})
    assert report.packages["no-such-package-for-the-course"].version is None
    assert any("pip install" in p for p in report.problems)


def test_an_old_python_is_a_problem():
    assert any("Python 3.8" in p for p in check(python_version=(3, 8, 10)).problems)


def test_a_missing_optional_data_file_is_a_note_not_a_problem():
    report = check(minimums={}, data_files={"sweep_missing_on_purpose.csv": (False, "a test")})
    assert report.ok
    assert report.data_files == {"sweep_missing_on_purpose.csv": False}
    assert any("sweep_missing_on_purpose.csv" in n for n in report.notes)


def test_a_missing_required_data_file_is_a_problem():
    report = check(minimums={}, data_files={"required_missing_on_purpose.csv": (True, "a test")})
    assert not report.ok


@pytest.mark.parametrize("version, minimum, expected", [
    ("2.13.0+cpu", "2.1", True), ("1.26.4", "1.24", True), ("1.23.5", "1.24", False),
    ("4.0", "4.0.0", True), ("0.10.1", "0.8", True), ("8.1.5", "8.10", False)])
def test_version_comparison_is_numeric_not_alphabetic(version, minimum, expected):
    assert doctor_module._at_least(version, minimum) is expected


def test_minimum_versions_match_pyproject():
    """The doctor checks every dependency pyproject.toml declares, at the same minimum."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    if not PYPROJECT.exists():
        pytest.skip("not running from a source checkout")
    declared = {}
    for requirement in tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement.strip())
        if match:
            declared[match.group(1).lower()] = match.group(2)
    assert MINIMUM_VERSIONS == declared


def test_doctor_prints_the_report_and_returns_it(capsys):
    report = doctor(show_widget=False)
    out = capsys.readouterr().out
    assert "numpy" in out and report.python in out
    assert report.widget_shown is False


def test_outside_a_kernel_no_widget_is_shown(capsys):
    assert doctor().widget_shown is False
    capsys.readouterr()


def test_headless_flag_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    assert check().headless


def test_command_line_prints_json_and_exits_zero():
    done = subprocess.run([sys.executable, "-m", "course_utils", "doctor", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] is True and "torch" in data["packages"]


def test_command_line_text_report():
    done = subprocess.run([sys.executable, "-m", "course_utils", "doctor"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "All set" in done.stdout


@pytest.mark.slow
def test_in_a_headless_kernel_it_skips_the_widget_and_otherwise_shows_it():
    """Run under the course's executor (which sets COURSE_HEADLESS=1), then unset the flag."""
    import nbformat

    from course_utils.nbtools import execute_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from course_utils.doctor import doctor\nr = doctor()\n"
                                  "assert r.in_kernel and r.headless and not r.widget_shown"),
        nbformat.v4.new_code_cell("import os\nos.environ.pop('COURSE_HEADLESS')\nr = doctor()\n"
                                  "assert r.in_kernel and r.widget_shown"),
    ]
    result = execute_notebook(nb, timeout=120)
    outputs = result.notebook.cells[1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
