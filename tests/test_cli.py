"""The one command-line entry point, ``python -m course_utils``."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from course_utils.__main__ import SUBCOMMANDS, main


def test_without_arguments_it_lists_every_subcommand(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in out


def test_an_unknown_subcommand_exits_2_and_names_it(capsys):
    assert main(["frobnicate"]) == 2
    assert "frobnicate" in capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_registered_module_implements_the_subcommand_protocol(command):
    module = importlib.import_module(SUBCOMMANDS[command][0])
    assert callable(getattr(module, "add_arguments", None)), f"{module.__name__} lacks add_arguments"
    assert callable(getattr(module, "run_command", None)), f"{module.__name__} lacks run_command"


def test_the_module_runs_as_a_script():
    done = subprocess.run([sys.executable, "-m", "course_utils", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "run-all" in done.stdout


def test_version_is_printed_by_the_module(capsys):
    from course_utils import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"scaling-laws-course {__version__}"


def test_the_console_script_prints_the_same_version():
    from pathlib import Path

    script = Path(sys.executable).parent / "scaling-course"
    if not script.exists():
        pytest.skip("the console script is installed by pip install (-e) .")
    by_script = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    by_module = subprocess.run([sys.executable, "-m", "course_utils", "--version"],
                               capture_output=True, text=True, timeout=60)
    assert by_script.returncode == 0 and by_script.stdout == by_module.stdout != ""


def test_the_usage_line_names_both_entry_points(capsys):
    main([])
    out = capsys.readouterr().out
    assert out.startswith("usage: scaling-course <subcommand>")
    assert "or: python -m course_utils <subcommand>" in out


def test_course_root_option_names_a_folder_that_does_not_exist(tmp_path, capsys):
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "out"),
                 "--course-root", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_grade_uses_the_tests_of_the_course_root_it_is_given(tmp_path, capsys, monkeypatch):
    """``--course-root`` is the only place grade looks: an empty folder has no tests."""
    from course_utils.course_root import ENV_ROOT

    monkeypatch.setenv(ENV_ROOT, "")  # recorded, so that what main() sets is undone afterwards
    monkeypatch.delenv(ENV_ROOT)
    (tmp_path / "submissions" / "ada").mkdir(parents=True)
    (tmp_path / "course").mkdir()
    code = main(["grade", str(tmp_path / "submissions"), "--out", str(tmp_path / "out"),
                 "--course-root", str(tmp_path / "course")])
    assert code == 2
    assert f"no tests/exercises/ in the course folders found: {tmp_path / 'course'}" in capsys.readouterr().err


def test_course_root_option_is_what_doctor_reports(tmp_path):
    import json

    done = subprocess.run([sys.executable, "-m", "course_utils", "doctor", "--json", "--course-root", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout)["course_root"] == f"{tmp_path.resolve()} (environment)"


def test_the_readme_command_table_has_a_row_for_every_subcommand():
    from course_utils.course_root import find_course_root

    readme = (find_course_root().path / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("`")[1].split()[0] for line in table.splitlines() if line.startswith("| `")}
    assert rows == set(SUBCOMMANDS)
