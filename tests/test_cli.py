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
