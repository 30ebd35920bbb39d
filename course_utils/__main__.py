"""The course's one command-line entry point: ``scaling-course <subcommand>``, the same as
``python -m course_utils <subcommand>`` (the console script is installed with the package).

Each subcommand lives in the module that owns the idea. The registry below maps a
subcommand name to that module; the module is imported only when its subcommand runs,
so ``grade`` never pays for importing PyTorch. A module that provides subcommands
defines two functions::

    def add_arguments(command: str, parser: argparse.ArgumentParser) -> None: ...
    def run_command(command: str, args: argparse.Namespace) -> int: ...

To add a subcommand, add one line to ``SUBCOMMANDS``.

Every subcommand also takes ``--course-root DIR``: the course folder to use (see
:mod:`course_utils.course_root`), the same as setting ``$SCALING_COURSE_ROOT`` for this run and
the processes it starts. ``--version`` prints the course's version.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import Sequence

#: the console script ``pip`` installs (``[project.scripts]`` in pyproject.toml)
CONSOLE_SCRIPT = "scaling-course"
MODULE_COMMAND = "python -m course_utils"

#: subcommand -> (module that implements it, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("course_utils.doctor", "check Python, packages and data files"),
    "run-all": ("course_utils.nbtools", "execute every lesson notebook (optionally writing HTML)"),
    "lab": ("course_utils.lab", "train tiny transformers and run scaling sweeps"),
    "start": ("course_utils.grading", "copy the exercise notebooks into your own working folder"),
    "check": ("course_utils.grading", "run the autograder tests on your own exercise notebook"),
    "grade": ("course_utils.grading", "grade a folder of submitted notebooks"),
    "merge-grades": ("course_utils.grading", "merge the shards of a sharded grade (grade --shard K/N) into one gradebook"),
    "import": ("course_utils.grading", "turn a Canvas or Moodle submissions download into one folder per student"),
    "export": ("course_utils.grading", "write a gradebook as Canvas's or Moodle's import CSV, or a Gradescope bundle"),
    "release": ("course_utils.grading", "generate exercises/ (student notebooks) from solutions/"),
}


def _program() -> str:
    """How this process was started: the console script or ``python -m course_utils``."""
    return CONSOLE_SCRIPT if Path(sys.argv[0]).name.startswith(CONSOLE_SCRIPT) else MODULE_COMMAND


def _version() -> str:
    from course_utils import __version__

    return f"scaling-laws-course {__version__}"


def _usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = [f"usage: {CONSOLE_SCRIPT} <subcommand> [options]",
             f"   or: {MODULE_COMMAND} <subcommand> [options]", "", "subcommands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    lines += ["", "options of every subcommand:",
              "  --course-root DIR  the course folder to use (default: $SCALING_COURSE_ROOT, the folder made by",
              "                     'start' you are in, the source checkout, or the installed course)",
              "", f"Run '{_program()} <subcommand> --help' for the options of one; "
              f"'{_program()} --version' prints the version."]
    return "\n".join(lines)


def _add_course_root(parser: argparse.ArgumentParser) -> None:
    if "--course-root" not in parser._option_string_actions:  # a module may define its own
        parser.add_argument("--course-root", type=Path, metavar="DIR",
                            help="the course folder to use (the same as setting $SCALING_COURSE_ROOT)")


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``argv`` to the registered subcommand and return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    if argv[0] in {"-V", "--version", "version"}:
        print(_version())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in SUBCOMMANDS:
        print(f"error: unknown subcommand {command!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, help_ = SUBCOMMANDS[command]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"{_program()} {command}", description=help_)
    module.add_arguments(command, parser)
    _add_course_root(parser)
    args = parser.parse_args(rest)
    if getattr(args, "course_root", None) is not None:
        from .course_root import ENV_ROOT, CourseRootError, find_course_root

        try:
            root = find_course_root(args.course_root)
        except CourseRootError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        os.environ[ENV_ROOT] = str(root.path)  # this process and the graders it starts
    return int(module.run_command(command, args) or 0)


if __name__ == "__main__":
    sys.exit(main())
