"""The conventions every subcommand of ``scaling-course`` follows, in one place.

* Exit status: 0 when the command did what was asked, 1 when it ran and found a failure (a
  test that failed, a notebook that raised), :data:`EXIT_USAGE` (2) when it cannot run (a
  usage error, a file that does not exist, an error from the operating system), and
  :data:`EXIT_INTERRUPTED` (130) after Ctrl-C. The same as git's and argparse's.
* ``--help`` shows each option's default and ends with an example (:class:`HelpFormatter`,
  :func:`example_epilog`).
* An error is one line on standard error, ``error: what: where``, never a traceback
  (:func:`os_error_line` for errors from the operating system).
"""

from __future__ import annotations

import argparse

#: the console script ``pip`` installs (``[project.scripts]`` in pyproject.toml)
CONSOLE_SCRIPT = "scaling-course"
#: the same entry point through the interpreter
MODULE_COMMAND = "python -m course_utils"
#: exit status when something ran and failed (a test, a notebook)
EXIT_FAILED = 1
#: exit status of a command that cannot run (argparse's, for a usage error too)
EXIT_USAGE = 2
#: exit status after Ctrl-C (128 + SIGINT, as a shell reports it)
EXIT_INTERRUPTED = 130


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help, with each option's default appended where it has one worth saying.

    (``ArgumentDefaultsHelpFormatter`` would also print "default: None" and "default: False".)
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "default" in text or default in (None, False, argparse.SUPPRESS):
            return text
        return f"{text} (default: %(default)s)"


def example_epilog(*commands: str) -> str:
    """The ``example:`` block at the end of a subcommand's help."""
    lines = ["example:" if len(commands) == 1 else "examples:"]
    lines += [f"  {CONSOLE_SCRIPT} {command}" for command in commands]
    return "\n".join(lines)


def os_error_line(error: OSError) -> str:
    """One line for an error from the operating system: what failed, and where."""
    where = " -> ".join(str(name) for name in (error.filename, error.filename2) if name is not None)
    what = error.strerror or str(error) or type(error).__name__
    return f"error: {what}: {where}" if where else f"error: {what}"
