"""Which names a learner's code defines and which it uses from elsewhere (no code is run).

The grader runs an exercise notebook's setup cell and its exercise cells. A learner who
writes a helper function, an import or a constant in a cell of its own makes the graded
function fail with ``NameError`` unless the grader finds it; and a failure of
``bootstrap_interval`` may come from the ``fit_power_law`` it calls. Both questions are
answered here, statically, with :mod:`symtable` (the compiler's own view of scopes) and
:mod:`ast`:

:func:`bound_names`
    the names a cell binds at top level (definitions, imports, assignments);
:func:`free_names`
    the names a piece of code reads but does not bind, builtins left out (inside functions
    too: what the function will look up in the notebook's namespace when it is called);
:func:`definitions`
    a cell's top-level definitions, each with its own source lines: functions and classes,
    imports, and constants (an assignment whose value involves no call, index or
    comprehension, so that taking it runs nothing of consequence).
"""

from __future__ import annotations

import ast
import builtins
import functools
import symtable
from dataclasses import dataclass

_BUILTINS = frozenset(dir(builtins))
#: expression nodes a constant's value may hold: literals, containers, arithmetic, names
_CONSTANT_NODES = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.BinOp, ast.UnaryOp, ast.Name,
                   ast.Attribute, ast.Load, ast.operator, ast.unaryop)


@dataclass(frozen=True)
class Definition:
    """One top-level definition of a cell: the names it binds, its kind and its source.

    ``source`` is the definition's own lines, preceded by as many blank lines as come
    before it in the cell, so that a line number in a traceback is the cell's.
    """

    names: tuple[str, ...]
    kind: str  # "function", "class", "import" or "constant"
    source: str


#: cells up to this many characters have their tree and symbol table remembered: grading asks
#: about each graded cell several times (its functions, definitions, imports and names); the
#: longest graded cell of the course's notebooks is 2,900 characters. A larger cell is parsed
#: each time, so that a notebook of many large cells cannot make the grader hold their trees
#: (about 7 MB for a 60 KB cell): at most 64 × ~1 MB are kept.
REMEMBERED_CHARS = 8192


def parse(source: str) -> ast.Module:
    """``ast.parse(source)``, remembered for a cell of at most :data:`REMEMBERED_CHARS`
    characters. The tree may be shared: read it, never change it. Raises what ``ast.parse``
    raises (a failure is not remembered)."""
    return _parse(source) if len(source) <= REMEMBERED_CHARS else ast.parse(source)


@functools.lru_cache(maxsize=64)
def _parse(source: str) -> ast.Module:
    return ast.parse(source)


def _table(source: str) -> symtable.SymbolTable | None:
    return _symbols(source) if len(source) <= REMEMBERED_CHARS else _symbols.__wrapped__(source)


@functools.lru_cache(maxsize=64)
def _symbols(source: str) -> symtable.SymbolTable | None:
    try:
        return symtable.symtable(source, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def bound_names(source: str) -> set[str]:
    """Names ``source`` binds at top level; empty when it does not compile."""
    table = _table(source)
    return {symbol.get_name() for symbol in table.get_symbols() if symbol.is_local()} if table else set()


def free_names(source: str) -> set[str]:
    """Names ``source`` reads without binding them (at top level or in any function or class
    it defines), builtins left out; empty when it does not compile."""
    table = _table(source)
    if table is None:
        return set()
    bound = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_local()}
    used = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_referenced() and not symbol.is_local()}
    pending = list(table.get_children())
    while pending:
        scope = pending.pop()
        pending += scope.get_children()
        used |= {symbol.get_name() for symbol in scope.get_symbols()
                 if symbol.is_referenced() and (symbol.is_global() or symbol.is_declared_global())}
    return used - bound - _BUILTINS


def _is_constant(value: ast.expr) -> bool:
    return all(isinstance(node, _CONSTANT_NODES) for node in ast.walk(value))


def definitions(source: str) -> list[Definition]:
    """The top-level definitions of ``source``, in order (empty when it does not parse)."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lines = source.splitlines(keepends=True)
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names, kind = (node.name,), "class" if isinstance(node, ast.ClassDef) else "function"
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(alias.name == "*" for alias in node.names):
                continue
            names = tuple(alias.asname or alias.name.split(".")[0] for alias in node.names)
            kind = "import"
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda) \
                and all(isinstance(target, ast.Name) for target in node.targets):
            names, kind = tuple(target.id for target in node.targets), "function"
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and _is_constant(node.value):
            names, kind = (node.targets[0].id,), "constant"
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None \
                and _is_constant(node.value):
            names, kind = (node.target.id,), "constant"
        else:
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        text = "".join(lines[start:node.end_lineno])
        found.append(Definition(names, kind, "\n" * start + text.rstrip("\n") + "\n"))
    return found


def has_star_import(source: str) -> bool:
    """Whether ``source`` holds ``from module import *`` (its names cannot be known)."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
               for node in ast.walk(tree))
