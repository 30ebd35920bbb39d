"""Why a test failed because of the learner's code: the exceptions the proxy raises.

Every failure that is the learner's (not the grader's) is a :class:`StudentProblem`, so
reports can say *why* without showing the test's code:

==========================  ==========================================================
``NotImplementedYet``       the function still raises ``NotImplementedError`` (a stub)
``StudentError``            the learner's code raised; ``type_name`` and ``str()`` say what
``StudentTimeout``          the call did not finish within its time limit
``StudentTooSlow``          the notebook had used its whole time budget (all its cells and calls)
``StudentCrashed``          the learner's code ended the grading process (``os._exit``...), or
                            wrote to the grader's channel what is not part of its protocol
``ExerciseMissing``         no cell defines the function (deleted, renamed, syntax error)
``BadReturn``               the function returned something that is not plain data
``NotebookProblem``         the notebook could not be read (missing, empty, invalid JSON)
``NotebookRefused``         the notebook is a symbolic link, or too large to grade
==========================  ==========================================================

:class:`GraderProblem` is the other kind: the *grader* failed (its template process or
sandbox could not start, pytest stopped with an internal error). Its tests are marked
``grader error``, never counted against the learner, and ``grade`` says so.

A learner exception of a common built-in type is re-raised as a class that subclasses both
:class:`StudentError` and that built-in, so ``pytest.raises(ValueError)`` works in tests.
``NotImplementedYet`` deliberately subclasses no built-in, so no ``pytest.raises`` written
for a real answer passes on a blank stub.
"""

from __future__ import annotations

import builtins

from .config import Status


class StudentProblem(Exception):
    """Base class: a test failed because of the learner's code or notebook."""

    #: what happened, as stored in results.jsonl (a :class:`~.config.Status`)
    status = Status.FAILED


class NotImplementedYet(StudentProblem):
    status = Status.NOT_IMPLEMENTED


class StudentTimeout(StudentProblem):
    status = Status.TIMEOUT


class StudentTooSlow(StudentProblem):
    status = Status.TOO_SLOW


class StudentCrashed(StudentProblem):
    status = Status.CRASHED


class ExerciseMissing(StudentProblem):
    status = Status.MISSING


class BadReturn(StudentProblem):
    status = Status.BAD_RETURN


class NotebookProblem(StudentProblem):
    status = Status.UNREADABLE


class NotebookRefused(NotebookProblem):
    status = Status.REFUSED


class GraderProblem(Exception):
    """The grader itself failed (not the learner's code): those tests are ``grader error``."""

    status = Status.GRADER_ERROR


class StudentError(StudentProblem):
    """The learner's code raised ``type_name: message`` (at ``where``, if known)."""

    status = Status.ERROR

    def __init__(self, type_name: str, message: str = "", where: str = "") -> None:
        type_name, message, where = (str(text) if text is not None else "" for text in (type_name, message, where))
        text = f"{type_name}: {message}" if message else type_name
        if where:
            text += f" ({where})"
        super().__init__(text)
        self.type_name = type_name
        self.learner_message = message
        self.where = where

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.type_name


#: Built-in exception types re-raised as themselves (plus StudentError). They share
#: BaseException's constructor, so the combined class behaves. NotImplementedError is
#: absent on purpose (see the module docstring).
_MIRRORED = (
    "ValueError", "TypeError", "ZeroDivisionError", "ArithmeticError", "OverflowError",
    "FloatingPointError", "IndexError", "KeyError", "LookupError", "RuntimeError",
    "RecursionError", "AssertionError", "AttributeError", "NameError", "UnboundLocalError",
    "MemoryError", "ImportError", "ModuleNotFoundError",
)
_CLASSES: dict[str, type[StudentError]] = {}


def student_error(type_name: str, message: str = "", where: str = "") -> StudentError:
    """Build the exception to raise in a test for a learner exception ``type_name``."""
    cls = _CLASSES.get(type_name)
    if cls is None:
        cls = StudentError
        if type_name in _MIRRORED:
            base = getattr(builtins, type_name)
            try:
                cls = type(f"Student{type_name}", (StudentError, base), {"__module__": __name__})
            except TypeError:  # an incompatible layout: fall back to the plain class
                cls = StudentError
        _CLASSES[type_name] = cls
    return cls(type_name, message, where)
