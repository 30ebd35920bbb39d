"""The course's one command-line entry point: ``python -m course_utils <subcommand>``.

Each subcommand lives in the module that owns the idea. The registry below maps a
subcommand name to that module; the module is imported only when its subcommand runs,
so ``grade`` never pays for importing PyTorch. A module that provides subcommands
defines two functions::

    def add_arguments(command: str, parser: argparse.ArgumentParser) -> None: ...
    def run_command(command: str, args: argparse.Namespace) -> int: ...

To add a subcommand, add one line to ``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

#: subcommand -> (module that implements it, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("course_utils.doctor", "check Python, packages and data files"),
    "run-all": ("course_utils.nbtools", "execute every lesson notebook (optionally writing HTML)"),
    "lab": ("course_utils.lab", "train tiny transformers and run scaling sweeps"),
    "start": ("course_utils.grading", "copy the exercise notebooks into your own working folder"),
    "check": ("course_utils.grading", "run the autograder tests on your own exercise notebook"),
    "grade": ("course_utils.grading", "grade a folder of submitted notebooks"),
    "release": ("course_utils.grading", "generate exercises/ (student notebooks) from solutions/"),
}


def _usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = ["usage: python -m course_utils <subcommand> [options]", "", "subcommands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    lines += ["", "Run 'python -m course_utils <subcommand> --help' for the options of one."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``argv`` to the registered subcommand and return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in SUBCOMMANDS:
        print(f"error: unknown subcommand {command!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, help_ = SUBCOMMANDS[command]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"python -m course_utils {command}", description=help_)
    module.add_arguments(command, parser)
    args = parser.parse_args(rest)
    return int(module.run_command(command, args) or 0)


if __name__ == "__main__":
    sys.exit(main())
