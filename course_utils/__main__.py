"""The course's one command-line entry point: ``scaling-course <subcommand>``, the same as
``python -m course_utils <subcommand>`` (the console script is installed with the package).

Each subcommand lives in the module that owns the idea. The registry below maps a
subcommand name to that module; the module is imported only when its subcommand runs,
so ``grade`` never pays for importing PyTorch. A module that provides subcommands
defines two functions::

    def add_arguments(command: str, parser: argparse.ArgumentParser) -> None: ...
    def run_command(command: str, args: argparse.Namespace) -> int: ...

To add a subcommand, add one line to ``SUBCOMMANDS``, with an example command line for its
``--help``. Every subcommand follows the conventions of :mod:`course_utils.commandline` (exit
status 0, 1 or 2; errors in one line; defaults shown in ``--help``).

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
from typing import NamedTuple, Sequence

from .commandline import (CONSOLE_SCRIPT, EXIT_INTERRUPTED, EXIT_USAGE, MODULE_COMMAND, HelpFormatter,
                          example_epilog, os_error_line)


class Subcommand(NamedTuple):
    """One registered subcommand: the module that implements it, its one-line help and a
    typical command line (shown at the end of its ``--help``)."""

    module: str
    help: str
    example: str


#: subcommand -> (module that implements it, one-line help, an example)
SUBCOMMANDS: dict[str, Subcommand] = {
    "doctor": Subcommand("course_utils.doctor", "check Python, packages and data files",
                         "doctor --json"),
    "run-all": Subcommand("course_utils.nbtools", "execute every lesson notebook, showing progress and a table",
                          "run-all notebooks/04_chinchilla.ipynb"),
    "site": Subcommand("course_utils.website", "build the course website (the lessons executed, the exercises, "
                       "the guides, the API reference) from a checkout", "site --out _build/site"),
    "lab": Subcommand("course_utils.lab", "train tiny transformers and run scaling sweeps",
                      "lab sweep --preset quick --out my_results.csv"),
    "start": Subcommand("course_utils.grading", "make your course folder: the lessons and your copies of the "
                        "exercises", "start --dir ~/scaling-course"),
    "check": Subcommand("course_utils.grading", "run the autograder tests on your own exercise notebook",
                        "check my_work/ex02_power_laws.ipynb"),
    "grade": Subcommand("course_utils.grading", "grade a folder of submitted notebooks",
                        "grade submissions --out gradebook"),
    "merge-grades": Subcommand("course_utils.grading", "merge the shards of a sharded grade (grade --shard K/N) "
                               "into one gradebook", "merge-grades gradebook shard-1 shard-2"),
    "import": Subcommand("course_utils.grading", "turn a Canvas or Moodle submissions download into one folder "
                         "per student", "import canvas submissions.zip --roster roster.csv --into submissions"),
    "export": Subcommand("course_utils.grading", "write a gradebook as Canvas's or Moodle's import CSV, or a "
                         "Gradescope bundle", "export canvas --out gradebook --roster roster.csv"),
    "release": Subcommand("course_utils.grading", "generate exercises/ (student notebooks) from solutions/",
                          "release --without-solutions workshop"),
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
    lines += [f"  {name:<{width}}  {command.help}" for name, command in SUBCOMMANDS.items()]
    lines += ["", "options of every subcommand:",
              "  --course-root DIR  the course folder to use (default: $SCALING_COURSE_ROOT, the folder made by",
              "                     'start' you are in, the source checkout, or the installed course)",
              "", f"Run '{_program()} <subcommand> --help' for the options and an example of one; "
              f"'{_program()} --version' prints the version."]
    return "\n".join(lines)


_COURSE_ROOT_HELP = "the course folder to use (the same as setting $SCALING_COURSE_ROOT)"


def _add_course_root(parser: argparse.ArgumentParser, default=None) -> None:
    """``--course-root`` on ``parser`` and on each of its own subcommands (``lab sweep``)."""
    if "--course-root" not in parser._option_string_actions:  # a module may define its own
        parser.add_argument("--course-root", type=Path, metavar="DIR", default=default, help=_COURSE_ROOT_HELP)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():  # SUPPRESS: never override a value given before it
                _add_course_root(child, default=argparse.SUPPRESS)


def build_parser(command: str) -> argparse.ArgumentParser:
    """The argument parser of one subcommand, with its options, defaults and example."""
    entry = SUBCOMMANDS[command]
    parser = argparse.ArgumentParser(prog=f"{_program()} {command}", description=entry.help,
                                     formatter_class=HelpFormatter, epilog=example_epilog(entry.example))
    importlib.import_module(entry.module).add_arguments(command, parser)
    _add_course_root(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``argv`` to the registered subcommand and return its exit status.

    Exit status (:mod:`course_utils.commandline`): the subcommand's own, 2 for a usage error
    (no subcommand, an unknown one, a bad option) or an error from the operating system
    (reported in one line), 130 after Ctrl-C.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    if argv and argv[0] in {"-V", "--version", "version"}:
        print(_version())
        return 0
    if not argv:
        print(f"error: no subcommand given\n\n{_usage()}", file=sys.stderr)
        return EXIT_USAGE
    command, rest = argv[0], argv[1:]
    if command not in SUBCOMMANDS:
        print(f"error: unknown subcommand {command!r}\n\n{_usage()}", file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser(command)
    try:
        args = parser.parse_args(rest)
    except SystemExit as exit_:  # --help (0) or a usage error (2, already explained by argparse)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        if getattr(args, "course_root", None) is not None:
            from .course_root import ENV_ROOT, CourseRootError, find_course_root

            try:
                root = find_course_root(args.course_root)
            except CourseRootError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return EXIT_USAGE
            os.environ[ENV_ROOT] = str(root.path)  # this process and the graders it starts
        module = importlib.import_module(SUBCOMMANDS[command].module)
        return int(module.run_command(command, args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        print(os_error_line(exc), file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
