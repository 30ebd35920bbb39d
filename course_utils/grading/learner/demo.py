"""Demo cells that wait for the learner: ``with skip_if_unfinished():``.

An exercise notebook shows each function at work in a demo cell below it. On a
half-finished notebook the demo of an unwritten function raises ``NotImplementedError``,
and Jupyter's "Run All" stops at the first error, so the ``check_all()`` cell at the end
never runs. Inside ``with skip_if_unfinished():`` the demo stops quietly instead, saying
which function to finish::

    with skip_if_unfinished():
        A_hat, alpha_hat = fit_power_law(x_pure, y_pure)
        print(f"alpha = {alpha_hat:.3f}")

prints "finish `fit_power_law` above first: this demo runs once it is written." and lets
the notebook run on. A later demo that needs what a skipped demo would have computed
(a ``NameError`` after a skip) is skipped the same way. Every other error is raised as
usual: a bug should be seen.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

#: the unfinished functions that stopped a demo in this kernel, in order
skipped: list[str] = []


def _unfinished_function(tb: TracebackType | None) -> str | None:
    """The innermost notebook function in a traceback (the stub that raised), or None."""
    name = None
    for frame, _lineno in traceback.walk_tb(tb):
        if frame.f_globals.get("__name__") == "__main__" and frame.f_code.co_name != "<module>":
            name = frame.f_code.co_name
    return name


def _figures() -> set[int]:
    pyplot = sys.modules.get("matplotlib.pyplot")  # never imported here: only if the demo did
    return set(pyplot.get_fignums()) if pyplot is not None else set()


class skip_if_unfinished:  # noqa: N801 (used like a function: ``with skip_if_unfinished():``)
    """Context manager: a demo that reaches an unwritten exercise says so and stops quietly
    (closing the figures it had opened, so no empty axes are shown)."""

    def __enter__(self) -> "skip_if_unfinished":
        self._figures = _figures()
        return self

    def _skip(self, message: str) -> bool:
        pyplot = sys.modules.get("matplotlib.pyplot")
        for number in _figures() - self._figures:
            pyplot.close(number)
        print(message)
        return True

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> bool:
        if kind is None:
            return False
        if issubclass(kind, NotImplementedError):
            name = _unfinished_function(tb)
            if name is None:  # raised by a library, not by a stub in this notebook
                return False
            skipped.append(name)
            return self._skip(f"finish `{name}` above first: this demo runs once it is written.")
        if issubclass(kind, NameError) and skipped:  # a result an earlier skipped demo would have made
            return self._skip(f"finish `{skipped[-1]}` above first: this demo uses results of a demo that needed it.")
        return False
