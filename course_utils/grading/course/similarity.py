"""Identical submissions, flagged for a person to look at (never penalised automatically).

Two notebooks are *identical* when their ``exercise`` cells are the same program once
layout is ignored: :func:`normalise_source` parses each cell and prints it back with
comments, docstrings, blank lines, spacing and quote style removed, so reformatting or
re-commenting a copy does not hide it, while any change to the code itself does. Cells still
equal to the released stub do not count, and a notebook with nothing but stubs has no
fingerprint: blank notebooks are all alike and say nothing.

Shared code has innocent causes (pair work that was allowed, a hint followed to the letter,
short exercises with one natural answer): the flag is a prompt to read both notebooks. A
group whose code is the course's reference solution is marked so (compared by its
fingerprint, a hash: the solutions need not travel with the gradebook).
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..notebook.extract import EXERCISE_TAG, cell_tags
from .csvio import csv_text


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]


_LAYOUT = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)


def normalise_source(source: str) -> str:
    """The code of ``source`` without comments, docstrings and layout (``ast.unparse``).

    Code that does not parse falls back to its tokens without comments, one space apart (up
    to the point where tokenising fails).
    """
    try:
        tree = ast.parse(source)
        _strip_docstrings(tree)
        return ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError):
        pass
    tokens = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type not in _LAYOUT:
                tokens.append(tok.string)
    except (tokenize.TokenError, SyntaxError):
        pass  # an unclosed bracket: the tokens read so far still describe the code
    return " ".join(tokens) if tokens else " ".join(source.split())


def _exercise_sources(nb: Mapping) -> list[str]:
    sources = []
    for cell in nb.get("cells", []):
        if isinstance(cell, Mapping) and cell.get("cell_type") == "code" and EXERCISE_TAG in cell_tags(cell):
            source = cell.get("source", "")
            sources.append("".join(source) if isinstance(source, list) else str(source))
    return sources


def fingerprint(nb: Mapping, template: Mapping | None = None) -> str | None:
    """SHA-256 (hex) of a notebook's normalised exercise cells, in order, or None.

    Cells equal (after normalising) to one of ``template``'s exercise cells, the untouched
    stubs, are left out; None when nothing else remains.
    """
    stubs = {normalise_source(source) for source in _exercise_sources(template)} if template else set()
    written = [code for code in map(normalise_source, _exercise_sources(nb)) if code.strip() and code not in stubs]
    if not written:
        return None
    return hashlib.sha256("\n\0\n".join(written).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IdenticalGroup:
    """Students whose ``notebook`` has the same fingerprint; ``reference`` when that is the
    fingerprint of the course's reference solution."""

    notebook: str
    fingerprint: str
    students: tuple[str, ...]
    reference: bool = False


def identical_groups(fingerprints: Mapping[tuple[str, str], str | None],
                     reference: Mapping[str, str] | None = None) -> list[IdenticalGroup]:
    """Groups of two or more students with the same fingerprint for a notebook, and every
    student whose notebook matches the reference solution, alone or not.

    Parameters
    ----------
    fingerprints
        ``{(student, notebook): fingerprint or None}``; None never groups.
    reference
        ``{notebook: fingerprint of the reference solution}`` (compared as hashes: the
        solutions themselves are not needed here).

    Sorted by notebook, then by the group's first student.
    """
    reference = reference or {}
    buckets: dict[tuple[str, str], list[str]] = {}
    for (student, notebook), value in fingerprints.items():
        if value is not None:
            buckets.setdefault((notebook, value), []).append(student)
    groups = [IdenticalGroup(notebook, value, tuple(sorted(students)), reference.get(notebook) == value)
              for (notebook, value), students in buckets.items()
              if len(students) > 1 or reference.get(notebook) == value]
    return sorted(groups, key=lambda group: (group.notebook, group.students))


def identical_csv(groups: Sequence[IdenticalGroup]) -> str:
    """``notebook, group, students, fingerprint, matches``: one row per group, students joined
    by ``"; "``; ``matches`` says "the reference solution" for a group that handed it in."""
    return csv_text(("notebook", "group", "students", "fingerprint", "matches"),
                    ([g.notebook, number, "; ".join(g.students), g.fingerprint[:16],
                      "the reference solution" if g.reference else ""]
                     for number, g in enumerate(groups, start=1)))
