"""The one command-line entry point, ``python -m course_utils``."""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path
import sys

import pytest

from course_utils.__main__ import SUBCOMMANDS, main


def test_without_arguments_it_is_a_usage_error_that_lists_every_subcommand(capsys):
    """As git and argparse do: no subcommand is a usage error, exit status 2."""
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no subcommand given")
    for name in SUBCOMMANDS:
        assert name in err


def test_help_lists_every_subcommand_and_exits_0(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in out


#: every subcommand's --help, with the lab's own subcommands
_HELPS = [[name] for name in sorted(SUBCOMMANDS)] + [["lab", "sweep"], ["lab", "merge"]]


@pytest.mark.parametrize("words", _HELPS, ids=" ".join)
def test_every_subcommand_help_shows_an_example_and_exits_0(words, capsys):
    assert main([*words, "--help"]) == 0
    out = capsys.readouterr().out
    example = out.split("example", 1)[1]
    assert f"scaling-course {' '.join(words)}" in example, out


def test_help_shows_the_default_of_an_option_that_has_one(capsys):
    main(["lab", "sweep", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: quick)" in out and "(default: results.csv)" in out and "default: None" not in out


def test_lab_sweep_and_lab_merge_are_subcommands_with_their_own_options(capsys):
    assert main(["lab", "merge", "out.csv", "a.csv", "--dry-run"]) == 2  # a sweep option, not merge's
    assert "unrecognized arguments: --dry-run" in capsys.readouterr().err
    assert main(["lab", "sweep", "extra.csv"]) == 2
    assert main(["lab"]) == 2
    assert main(["lab", "merge", "only-the-output.csv"]) == 2


def test_an_error_from_the_operating_system_is_one_line_with_exit_status_2(monkeypatch, capsys):
    import course_utils.doctor

    def denied(command, args):
        raise PermissionError(13, "Permission denied", "/srv/course/notes.csv")

    monkeypatch.setattr(course_utils.doctor, "run_command", denied)
    assert main(["doctor"]) == 2
    assert capsys.readouterr().err == "error: Permission denied: /srv/course/notes.csv\n"


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
    main(["--help"])
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


# ------------------------------------------------------------------ check's exit status


def _check(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course_utils", "check", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def _course(folder: str):
    from course_utils.course_root import find_course_root

    return find_course_root().path / folder


@pytest.mark.slow
def test_check_exits_0_when_every_test_passes():
    done = _check(str(_course("solutions") / "ex01_history_compute.ipynb"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("tests passed (1 notebook)")


@pytest.mark.slow
def test_check_exits_1_when_a_test_fails():
    done = _check(str(_course("exercises") / "ex01_history_compute.ipynb"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "0 of " in done.stdout.splitlines()[-1]


@pytest.mark.parametrize("args, says", [
    (["nosuch.ipynb"], "nosuch.ipynb: no such notebook"),
    (["notes.txt"], "notes.txt: not a notebook"),
    ([str(Path("notebooks") / "00_welcome.ipynb")], "no tests for this notebook"),
    ([str(Path("exercises") / "ex07_capstone.ipynb")], "a person marks its written answers against the rubric"),
    ([str(Path("exercises") / "ex01_history_compute.ipynb"), "--exercise", "no_such_function"],
     "no exercise named no_such_function"),
], ids=["missing", "not-a-notebook", "lesson", "rubric-only", "unknown-exercise"])
def test_check_exits_2_on_a_usage_error_in_one_line(args, says, tmp_path):
    root = _course(".")
    (tmp_path / "notes.txt").write_text("not a notebook")
    done = _check(*[str(root / a) if a.endswith(".ipynb") and "/" in a else a for a in args],
                  cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
