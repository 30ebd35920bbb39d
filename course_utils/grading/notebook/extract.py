"""Find the code the grader may run in an exercise notebook: cells tagged ``setup`` and
``exercise``, and the definitions they use from other cells.

A learner's notebook can be damaged in many ways; :func:`extract_cells` grades what it can
find and says what it could not:

* a helper written in a cell of its own (a function, an import, a constant) that an
  exercise uses: its *definition* (only that: nothing the cell does) is graded with the
  exercise, with a note; a name the exercise uses that no graded cell defines is named in
  a note (its tests would fail with ``NameError``);
* an exercise cell that lost its tag: the function's *definition* (only that) is taken from
  the untagged cell, with a note asking to restore the tag;
* an exercise defined in two tagged cells: both run in notebook order, so the last one
  counts, as it would in the kernel; a note says so;
* an exercise defined nowhere: a note names it (its tests then fail as "missing");
* a syntax error: the cell is kept (it fails when run, with the line) and, when the
  function name can still be read off a ``def`` line, the note names the exercise;
* a cell Jupyter could not have written (metadata that is not an object, a source that is
  not text, tags that are not words): the notebook is unreadable, and the message names the
  cell by its place and first line (:func:`cell_problem`);
* a notebook too large to grade safely (``max_bytes`` for the file, ``max_code_bytes`` for
  the code of its tagged cells) or that is a symbolic link is refused with a note
  (:class:`~.errors.NotebookRefused`). Untagged cells are parsed only when they are small.

Feedback names a cell by what it defines ("the cell defining fit_power_law"), never by a
position Jupyter does not show; only a cell that cannot be read at all is named by its
place, counted from the top, and its first line. :attr:`Extraction.uses` says which other exercises each
exercise calls (through helpers too), so a failure can point at its cause.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..errors import NotebookProblem, NotebookRefused
from .calls import Definition, bound_names, definitions, free_names, has_star_import, parse

SETUP_TAG = "setup"
EXERCISE_TAG = "exercise"
_DEF_LINE = re.compile(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)", re.MULTILINE)
#: what the notebooks and the notes say about which code is graded
GRADED_CODE = ("only the setup cell and the cells tagged 'exercise' are graded, with the functions, "
               "imports and fixed values they use from other cells")


@dataclass(frozen=True)
class Cell:
    """One piece of code the grader runs; ``label`` names it in feedback."""

    index: int  # position in the notebook (0-based); never shown to learners
    kind: str  # "setup", "exercise", "untagged" (a lost exercise) or "helper"
    source: str
    defines: tuple[str, ...] = ()
    syntax_error: str | None = None

    @property
    def label(self) -> str:
        """``the cell defining fit_power_law``, ``the setup cell``...: what a learner can find."""
        names = " and ".join(", ".join(self.defines).rsplit(", ", 1)) if self.defines else ""
        if self.kind == "setup":
            return "the setup cell"
        if self.kind == "helper":
            return f"the untagged cell defining {names}"
        if self.kind == "untagged":
            return f"the untagged cell defining {names}"
        if names:
            return f"the cell defining {names}"
        first = next((line.strip() for line in self.source.splitlines() if line.strip()), "")
        return f"the exercise cell starting {first[:40]!r}" if first else "an empty exercise cell"


@dataclass
class Extraction:
    """Cells to run, in order (setup cells, helpers, exercise cells), notes, and which other
    exercises each exercise uses (``uses["bootstrap_interval"] == ("fit_power_law",)``)."""

    cells: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict)


def cell_tags(cell: dict) -> set[str]:
    """A cell's tags (tolerates the metadata a hand-edited notebook may carry)."""
    tags = cell.get("metadata", {}).get("tags", [])
    return {tag for tag in tags if isinstance(tag, str)} if isinstance(tags, list) else set()


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def top_level_functions(source: str) -> tuple[tuple[str, ...], str | None]:
    """Names of the functions ``source`` defines at top level (``def`` or ``name = lambda``),
    and its syntax error if any."""
    try:
        tree = parse(source)
    except SyntaxError as exc:
        return tuple(_DEF_LINE.findall(source)), f"SyntaxError: {exc.msg} (line {exc.lineno})"
    except (ValueError, RecursionError) as exc:  # null bytes, absurd nesting
        return (), f"{type(exc).__name__}: {exc}"
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):  # f = lambda ...
            names += [target.id for target in node.targets if isinstance(target, ast.Name)]
    return tuple(names), None


_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                ast.Assign, ast.AnnAssign)


def definitions_only(source: str) -> str:
    """``source`` without its top-level statements that *do* something (calls, loops, plots).

    Keeps imports, function and class definitions and assignments; ``check`` uses it on the
    cells a kernel ran, which may hold demo code next to an exercise.
    """
    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return source
    lines = source.splitlines(keepends=True)
    kept = []
    for node in tree.body:
        if isinstance(node, _DEFINITIONS):
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
            kept.append("".join(lines[start:node.end_lineno]))
    return "\n".join(part.rstrip("\n") for part in kept) + "\n"


def _size(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.1f} MB" if n_bytes >= 2**20 else f"{n_bytes / 2**10:.0f} KB"


def _names(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def extract_cells(nb: dict, expected: Iterable[str] = (), max_code_bytes: float | None = None) -> Extraction:
    """The setup and exercise cells of ``nb``, repaired where possible, with notes.

    Parameters
    ----------
    nb
        A notebook as a dict (from :func:`read_notebook_json` or nbformat).
    expected
        Exercise names the tests will call; used to find untagged definitions, to name
        what is missing, and to say which exercise uses which.
    max_code_bytes
        The most code the tagged cells may hold together (:class:`NotebookRefused` past
        it); an untagged cell larger than an eighth of it is never parsed.
    """
    result = Extraction()
    setup, exercises, untagged = [], [], []
    tagged_bytes = 0
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        tags, source = cell_tags(cell), _source(cell)
        if SETUP_TAG in tags or EXERCISE_TAG in tags:
            tagged_bytes += len(source)
            if max_code_bytes is not None and tagged_bytes > max_code_bytes:
                raise NotebookRefused(f"its tagged cells hold more than {_size(max_code_bytes)} of code; "
                                      f"the grader reads no more (keep exercise cells to the function)")
            defines, error = top_level_functions(source)
            if SETUP_TAG in tags:
                setup.append(Cell(index, "setup", source, defines, error))
            else:
                exercises.append(Cell(index, "exercise", source, defines, error))
        else:
            untagged.append((index, source))
    largest = max_code_bytes / 8 if max_code_bytes is not None else None
    searchable = [(index, source) for index, source in untagged if largest is None or len(source) <= largest]

    expected = list(dict.fromkeys(expected))
    for name in expected:
        holders = [cell for cell in exercises if name in cell.defines]
        if len(holders) > 1:
            result.notes.append(f"{name}: defined in {len(holders)} exercise cells; the last one in the "
                                f"notebook was graded")
        for cell in holders:
            if cell.syntax_error:
                result.notes.append(f"{name}: the cell defining it has a {cell.syntax_error}")
        if holders:
            continue
        defining = re.compile(r"^(?:async\s+)?def\s+" + re.escape(name) + r"\b", re.MULTILINE)
        found = None
        for index, source in untagged:
            if not defining.search(source):
                continue
            if largest is not None and len(source) > largest:
                result.notes.append(f"{name}: a cell ({_size(len(source))} of untagged code) is too large to "
                                    f"search for it; tag the cell that defines it '{EXERCISE_TAG}'")
                continue
            snippet = next((d.source for d in definitions(source) if d.kind == "function" and name in d.names),
                           None)
            if snippet is not None:
                found = (index, snippet)
                break
        if found is not None:
            index, snippet = found
            exercises.append(Cell(index, "untagged", snippet, (name,)))
            result.notes.append(f"{name}: found in a cell which is not tagged '{EXERCISE_TAG}'; graded its "
                                f"definition (put the tag back)")
        else:
            result.notes.append(f"{name}: no cell tagged '{EXERCISE_TAG}' defines it "
                                f"(deleted or renamed?)")
    helpers = _helpers(setup, exercises, searchable, expected, result)
    result.cells = setup + helpers + exercises
    result.uses = _uses(helpers + exercises, expected)
    return result


def _helpers(setup: list[Cell], exercises: list[Cell], untagged: list[tuple[int, str]], expected: list[str],
             result: Extraction) -> list[Cell]:
    """Definitions from untagged cells that the exercise code uses, as cells (with a note);
    a note for each name an exercise uses that nothing graded defines."""
    graded = setup + exercises
    if any(has_star_import(cell.source) for cell in graded):
        return []  # its names cannot be known: assume it defines what is used
    defined = set().union(*(bound_names(cell.source) for cell in graded))
    latest: dict[str, tuple[int, Definition]] = {}  # the kernel keeps the last definition run
    for index, source in untagged:
        for definition in definitions(source):
            for name in definition.names:
                latest[name] = (index, definition)
    users: dict[str, list[str]] = {}  # needed name -> the exercises (or helpers) that use it
    for cell in exercises:
        reading = {d.names: free_names(d.source) for d in definitions(cell.source)}
        for name in sorted(free_names(cell.source) - defined):
            who = [n for names, reads in reading.items() if name in reads for n in names]
            users.setdefault(name, []).extend(who or [cell.label])
    taken: list[Cell] = []
    unresolved: dict[str, list[str]] = {}
    pending = list(users)
    while pending:
        name = pending.pop(0)
        if name in defined:
            continue
        if name not in latest:
            if name not in expected:  # a missing exercise has a note of its own
                unresolved[name] = users[name]
            continue
        index, definition = latest[name]
        defined |= set(definition.names)
        taken.append(Cell(index, "helper", definition.source, definition.names))
        for used in sorted(free_names(definition.source) - defined):
            users.setdefault(used, []).extend(definition.names)
            pending.append(used)
    # notebook order (an import before the constant that uses it): cell, then line
    taken.sort(key=lambda cell: (cell.index, len(cell.source) - len(cell.source.lstrip("\n"))))
    if taken:
        names = [name for cell in taken for name in cell.defines]
        result.notes.append(f"also graded, from cells not tagged '{EXERCISE_TAG}': {_names(names)} "
                            f"(used by your exercises; only their definitions, nothing else those cells do)")
    for name, who in unresolved.items():
        who = [w for w in dict.fromkeys(who) if w != name]
        result.notes.append(f"{_names(who)}: uses {name}, which no graded cell defines ({GRADED_CODE}); "
                            f"define {name} inside the function or in the exercise cell")
    return taken


def _uses(cells: list[Cell], expected: list[str]) -> dict[str, tuple[str, ...]]:
    """``{exercise: other exercises it calls}``, directly or through helper definitions."""
    reads: dict[str, set[str]] = {}  # definition name -> names its code reads
    for cell in cells:
        for definition in definitions(cell.source):
            for name in definition.names:
                reads[name] = free_names(definition.source)
    exercises = set(expected)
    uses = {}
    for exercise in expected:
        seen, pending, found = {exercise}, list(reads.get(exercise, ())), []
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in exercises:
                found.append(name)
            elif name in reads:  # a helper: follow what it reads
                pending += reads[name]
        if found:
            uses[exercise] = tuple(sorted(found, key=expected.index))
    return uses


def read_notebook_json(path: str | Path, max_bytes: float | None = None) -> dict:
    """Read a notebook as plain JSON, raising :class:`NotebookProblem` with the reason.

    Grading reads notebooks with :mod:`json` rather than nbformat: it needs only the cells,
    must survive any file a learner submits, and importing nbformat takes seconds. A
    symbolic link is never followed, and a file larger than ``max_bytes`` is never read
    (both :class:`NotebookRefused`).
    """
    import os
    import stat

    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if path.is_symlink():
            raise NotebookRefused(f"{path.name} is a symbolic link; the grader does not follow links "
                                  f"(submit the notebook itself)") from None
        if not path.exists():
            raise NotebookProblem(f"no notebook {path.name} was found") from None
        raise NotebookProblem(f"{path.name} could not be read ({exc.strerror})") from None
    with open(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotebookProblem(f"{path.name} is not a file")
        if max_bytes is not None and info.st_size > max_bytes:
            raise NotebookRefused(f"{path.name} is {_size(info.st_size)}; the grader reads notebooks up to "
                                  f"{_size(max_bytes)} (clear the outputs and submit again)")
        try:
            data = handle.read(int(max_bytes) + 1 if max_bytes is not None else -1)
        except OSError as exc:
            raise NotebookProblem(f"{path.name} could not be read ({exc.strerror})") from None
    if max_bytes is not None and len(data) > max_bytes:  # it grew while we read it
        raise NotebookRefused(f"{path.name} is larger than {_size(max_bytes)}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotebookProblem(f"{path.name} is not a notebook (not a text file)") from None
    if not text.strip():
        raise NotebookProblem(f"{path.name} is empty, not a notebook")
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotebookProblem(f"{path.name} is not valid JSON, so not a notebook ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookProblem(f"{path.name} is JSON but not a Jupyter notebook (no list of cells)")
    for index, cell in enumerate(nb["cells"]):
        problem = cell_problem(cell)
        if problem:
            raise NotebookProblem(f"{path.name} is not a notebook the grader can read: "
                                  f"{_which_cell(nb['cells'], index)} {problem} (Jupyter never writes that: copy "
                                  f"your code into a fresh copy of the exercise notebook and submit that)")
    return nb


def _json_type(value: object) -> str:
    """What a JSON value is, in JSON's words."""
    return {type(None): "null", bool: "true or false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def cell_problem(cell: object) -> str | None:
    """What is wrong with one cell of a notebook's JSON (None when nothing is): every field the
    grader reads must have the shape Jupyter gives it (nbformat 4)."""
    if not isinstance(cell, dict):
        return f"is {_json_type(cell)}, not a cell (a JSON object)"
    if not isinstance(cell.get("cell_type"), str):
        return f"has a cell_type that is {_json_type(cell.get('cell_type'))}, not text"
    source = cell.get("source", "")
    if not isinstance(source, str):
        if not isinstance(source, list):
            return f"has a source that is {_json_type(source)}, not text"
        wrong = next((line for line in source if not isinstance(line, str)), "")
        if wrong != "":
            return f"has a source holding {_json_type(wrong)} among its lines of text"
    metadata = cell.get("metadata", {})
    if not isinstance(metadata, dict):
        return f"has metadata that is {_json_type(metadata)}, not an object"
    tags = metadata.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        return f"has tags that are {_json_type(tags)}, not a list of words" if not isinstance(tags, list) \
            else "has tags that are not all words"
    return None


def _which_cell(cells: list, index: int) -> str:
    """``cell 3 of 7 (a code cell starting 'def add(a, b):')``: how a person finds it."""
    cell = cells[index]
    kind = cell.get("cell_type") if isinstance(cell, dict) else None
    what = f"a {kind} cell" if isinstance(kind, str) and kind.isidentifier() and len(kind) < 20 else "a cell"
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    first = source if isinstance(source, str) else next((line for line in source if isinstance(line, str)), "") \
        if isinstance(source, list) else ""
    first = next((line.strip() for line in first.splitlines() if line.strip()), "")
    if first:
        from ..safetext import clean

        what += f" starting {clean(first, 40)!r}"
    return f"cell {index + 1} of {len(cells)}, counting from the top ({what}),"


def load_submission(path: str | Path, expected: Iterable[str] = (), *, max_bytes: float | None = None,
                    max_code_bytes: float | None = None) -> Extraction:
    """Read a notebook file and extract its cells; :class:`NotebookProblem` says why not."""
    return extract_cells(read_notebook_json(path, max_bytes), expected, max_code_bytes)
