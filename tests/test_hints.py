"""Hints teach without telling (issue 22): no hint, pasted as the function body, passes its test,
and every hint names the idea to revisit and where the course teaches it.

The harness takes every code fragment out of every hint of every public exercise test (an
expression such as ``2**3``, or a formula such as ``G = (alpha*A)/(beta*B)`` whose names the
function could hold), wraps it as the exercise function's ``return`` with the exercise's
parameters, the notebook's setup cell and imports, and the hint's other formulas before it,
runs the hint's own test on it, and asserts that the test does not pass.

A fragment that fails with a NameError or a SyntaxError proves nothing, so the harness supplies
the names a hint may use (the parameters, the notebook's names and functions, ``math``, NumPy as
``np`` and its functions by their bare names, ``ln`` for the natural logarithm, ``betaln``) and
fails on a fragment that still uses a name it cannot supply: such a hint must be written
without code.

What counts as code: a stretch of the hint that parses as a Python expression (after
``·``→``*``, ``^``→``**``, ``−``→``-``, Greek letters spelled out) and computes something: a
call (a name and its parenthesis with no space between), ``* / **``, a comparison of numbers
(``<``, ``==``...), a sign in front of a name, or a ``+``, ``-`` or ``%`` with spaces around it
(so that "half-life", "top-10", "10%" and "a size (layers, widths)" stay words).
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import inspect
import json
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.special

from course_utils.course_root import find_course_root
from course_utils.grading.plugin import MARKER

ROOT = find_course_root()
TESTS, SOLUTIONS = ROOT.exercise_tests, ROOT.solutions

pytestmark = pytest.mark.skipif(not SOLUTIONS.is_dir(), reason="a workshop copy has no solutions/ to run hints on")

_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "τ": "tau", "π": "pi", "σ": "sigma", "η": "eta"}
_SPELLING = {"·": "*", "−": "-", "^": "**", "²": "**2", "³": "**3", **_GREEK}
#: what a hint may call by a bare name, besides the notebook's own names
_SUPPLIED = {**{name: getattr(np, name) for name in ("exp", "log", "log2", "log10", "sqrt", "where", "prod", "sum",
                                                       "mean", "abs", "polyfit", "asarray", "array", "maximum",
                                                       "minimum", "cumsum", "argsort", "unique", "median")},
             **{name: getattr(math, name) for name in dir(math) if not name.startswith("_")},
             "ln": np.log, "np": np, "math": math, "betaln": scipy.special.betaln, "gammaln": scipy.special.gammaln}


# ------------------------------------------------------------------ finding code in prose


def _spelled(text: str) -> str:
    for symbol, word in _SPELLING.items():
        text = text.replace(symbol, word)
    return re.sub(r"(?<=\S)×(?=\S)", "*", text)


def _computes(node: ast.AST, source: str) -> bool:
    """Whether an expression computes something (see the module docstring)."""
    for part in ast.walk(node):
        if isinstance(part, ast.Call) and source[part.func.end_col_offset:part.func.end_col_offset + 1] == "(":
            return True  # "word (a, b)" with a space is prose with an aside
        if isinstance(part, ast.Compare) and all(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq,
                                                                  ast.NotEq)) for op in part.ops):
            return True  # "is" and "in" are words in prose
        if isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.USub) and \
                isinstance(part.operand, (ast.Name, ast.Call, ast.BinOp, ast.Attribute)) and \
                source[part.col_offset - 1:part.col_offset] in ("", " ", "(", ",", "=", "*", "/"):
            return True  # a sign, not a hyphen inside a word ("top-10")
        if isinstance(part, ast.BinOp):
            if isinstance(part.op, (ast.Mult, ast.Div, ast.Pow, ast.FloorDiv)):
                return True
            if not isinstance(part.op, (ast.Add, ast.Sub, ast.Mod)):  # "Cover & Thomas" is a name
                continue
            gap = source[part.left.end_col_offset:part.right.col_offset]
            if gap.startswith((" ", "\t")) and gap.endswith((" ", "\t")):
                return True
    return False


def _parsed(text: str) -> tuple[str, ast.AST] | None:
    """``("expr", node)`` or ``("formula", Assign)`` when ``text`` is one of them, else None."""
    try:
        return "expr", ast.parse(text, mode="eval").body
    except SyntaxError:
        pass
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError:
        return None
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign) and len(tree.body[0].targets) == 1 \
            and isinstance(tree.body[0].targets[0], ast.Name):
        return "formula", tree.body[0]
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Return) and tree.body[0].value is not None:
        return "expr", tree.body[0].value
    return None


def fragments(hint: str) -> list[tuple[str, str]]:
    """The code in a hint: ``[(kind, text), ...]`` in order, kind "expr" or "formula"
    (``name = expression``), each a longest stretch that parses and computes something."""
    text = _spelled(hint)
    starts = [i for i, ch in enumerate(text) if not ch.isspace() and (i == 0 or text[i - 1].isspace()
                                                                         or text[i - 1] in "(;:,")]
    ends = [i + 1 for i, ch in enumerate(text) if (ch.isalnum() or ch in ")]_") and
            (i + 1 == len(text) or text[i + 1].isspace() or text[i + 1] in ",;:.)")]
    found = []
    for start in starts:
        for end in reversed([e for e in ends if e > start]):
            piece = text[start:end]
            parsed = _parsed(piece)
            if parsed is None:
                continue
            kind, node = parsed
            value = node.value if kind == "formula" else node
            if _computes(value, piece if kind == "expr" else piece[value.col_offset:]):
                found.append((start, end, kind, piece))
            break  # the longest stretch from this start that parses
    chosen: list[tuple[int, int, str, str]] = []
    for start, end, kind, piece in sorted(found, key=lambda f: f[0] - f[1]):
        if all(end <= s or start >= e for s, e, _, _ in chosen):
            chosen.append((start, end, kind, piece))
    return [(kind, piece) for _, _, kind, piece in sorted(chosen)]


# ------------------------------------------------------------------ running a fragment


def _notebook(stem: str) -> dict:
    """The solution notebook's namespace: its setup cell and every exercise cell, run."""
    nb = json.loads((SOLUTIONS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    namespace: dict = {}
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags") or []
        if cell["cell_type"] == "code" and ("setup" in tags or "exercise" in tags):
            exec(compile("".join(cell["source"]), f"<{stem}>", "exec"), namespace)
    return namespace


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"_hints_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hinted_tests() -> list[tuple[str, str, object, str]]:
    """``(notebook, exercise, test, hint)`` for every hint (``hint`` and every ``hints`` value)."""
    found = []
    for path in sorted(TESTS.glob("test_*.py")):
        module = _module(path)
        for name, test in vars(module).items():
            marks = [mark for mark in getattr(test, "pytestmark", []) if mark.name == MARKER]
            if not name.startswith("test_") or not marks:
                continue
            info = marks[0].kwargs
            for hint in [info.get("hint", ""), *(info.get("hints") or {}).values()]:
                if hint:
                    found.append((path.stem.removeprefix("test_"), info["name"], test, hint))
    return found


HINTED = _hinted_tests() if SOLUTIONS.is_dir() else []
_NAMESPACES: dict[str, dict] = {}


def _namespace(stem: str) -> dict:
    if stem not in _NAMESPACES:
        _NAMESPACES[stem] = _notebook(stem)
    return _NAMESPACES[stem]


def unsupplied(names: set[str], parameters: list[str], assigned: set[str], namespace: dict) -> list[str]:
    return sorted(name for name in names if name not in parameters and name not in assigned
                  and name not in namespace and name not in _SUPPLIED and not hasattr(builtins, name))


def _names(text: str) -> set[str]:
    return {node.id for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Name)}


def hint_verdicts(stem: str, exercise: str, test, hint: str) -> list[str]:
    """Problems with one hint: a fragment that cannot run, or one that passes its test."""
    namespace = _namespace(stem)
    parameters = list(inspect.signature(namespace[exercise]).parameters)
    found = fragments(hint)
    formulas = [piece for kind, piece in found if kind == "formula"]
    assigned = {piece.split("=", 1)[0].strip() for piece in formulas}
    problems = []
    for kind, piece in found:
        expression = piece.split("=", 1)[1].strip() if kind == "formula" else piece
        if expression.startswith("return "):
            expression = expression[len("return "):]
        missing = unsupplied(_names(expression) | set().union(*[_names(f) for f in formulas]) if formulas
                             else _names(expression), parameters, assigned, namespace)
        if missing:
            problems.append(f"{piece!r} uses {', '.join(missing)}, which no parameter or notebook name supplies")
            continue
        body = "".join(f"    {formula}\n" for formula in formulas) + f"    return {expression}\n"
        source = f"def {exercise}({', '.join(parameters)}):\n{body}"
        scope = {**_SUPPLIED, **namespace}
        try:
            exec(compile(source, "<hint>", "exec"), scope)
        except SyntaxError as error:
            problems.append(f"{piece!r} is not a function body ({error.msg})")
            continue
        student = SimpleNamespace(**{name: value for name, value in namespace.items() if callable(value)})
        setattr(student, exercise, scope[exercise])
        try:
            test(student)
        except NameError as error:
            problems.append(f"{piece!r} could not run ({error})")
        except BaseException:  # the test failed on it (any way): the hint is not the answer
            continue
        else:
            problems.append(f"{piece!r}, pasted as {exercise}'s body, passes {test.__name__}")
    return problems


@pytest.mark.parametrize("stem, exercise, test, hint", HINTED,
                         ids=[f"{stem}-{test.__name__}-{i}" for i, (stem, _, test, _) in enumerate(HINTED)])
def test_no_hint_pasted_as_the_function_body_passes_its_test(stem, exercise, test, hint):
    assert not hint_verdicts(stem, exercise, test, hint), hint_verdicts(stem, exercise, test, hint)


# ------------------------------------------------------------------ the harness itself


@pytest.mark.parametrize("hint, expected", [
    ("Two years at 8 months per halving is three halvings: 2**3.", [("expr", "2**3")]),
    ("1 - exp(betaln(a, b + k) - betaln(a, b)).", [("expr", "1 - exp(betaln(a, b + k) - betaln(a, b))")]),
    ("12 * n_layer * d_model**2 (Kaplan et al. 2020, eq. 2.1).", [("expr", "12 * n_layer * d_model**2")]),
    ("G = (alpha·A / (beta·B))^(1/(alpha+beta)); N = G·(C/6)^a.",
     [("formula", "G = (alpha*A / (beta*B))**(1/(alpha+beta))"), ("formula", "N = G*(C/6)**a")]),
    ("A half-life of τ repetitions; the top-10% pool (lesson 06, 'Data quality').", []),
    ("alpha is minus the slope: return -slope, not abs(slope).", [("expr", "return -slope, not abs(slope)")]),
])
def test_the_harness_finds_the_code_in_a_hint(hint, expected):
    assert fragments(hint) == expected


def test_the_harness_catches_a_hint_that_hands_over_the_answer():
    """The hints exercises 3 and 6 had before issue 22: their formulas are the functions."""
    ex03 = _module(TESTS / "test_ex03_scaling_lab.py")
    ex06 = _module(TESTS / "test_ex06_since_chinchilla.py")
    for stem, exercise, test, hint in (
            ("ex03_scaling_lab", "count_non_embedding_params", ex03.test_non_embedding_params_of_a_small_model,
             "12 * n_layer * d_model**2 (Kaplan et al. 2020, eq. 2.1)."),
            ("ex06_since_chinchilla", "expected_coverage", ex06.test_swe_bench_lite_beta_fit_gives_56_percent_at_250_samples,
             "1 - exp(betaln(a, b + k) - betaln(a, b)).")):
        assert any("passes" in problem for problem in hint_verdicts(stem, exercise, test, hint)), hint


def test_the_harness_refuses_a_fragment_it_cannot_run():
    problems = hint_verdicts("ex02_power_laws", "fit_power_law", lambda student: None,
                             "alpha is minus the slope: return -slope, not abs(slope).")
    assert problems and all("no parameter or notebook name supplies" in p for p in problems)


# ------------------------------------------------------------------ where the course teaches it

#: a place a hint points to: "section 3" (of the exercise's own notebook) or "lesson 04" with an
#: optional heading ("lesson 04, 'The closed form'")
_PLACE = re.compile(r"\bsections? (\d+)(?: and (\d+))?|\blesson (\d\d)(?:, '([^']+)')?")


def _headings(notebook: Path) -> list[str]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return [line.lstrip("#").strip() for cell in nb["cells"] if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines() if line.startswith("#")]


def places(stem: str, hint: str) -> list[str]:
    """Problems with where a hint points: none named, or a section or heading that does not exist."""
    found = list(_PLACE.finditer(hint))
    if not found:
        return [f"names no place to revisit (section N of the notebook, or lesson NN, 'Heading')"]
    problems = []
    own = _headings(ROOT.exercises / f"{stem}.ipynb")
    for match in found:
        for number in filter(None, match.group(1, 2)):
            if not any(heading.startswith(f"{number}. ") for heading in own):
                problems.append(f"points to section {number}, which {stem}.ipynb does not have")
        if match.group(3):
            lessons = sorted(ROOT.notebooks.glob(f"{match.group(3)}_*.ipynb"))
            if not lessons:
                problems.append(f"points to lesson {match.group(3)}, which does not exist")
            elif match.group(4) and not any(match.group(4) in heading for heading in _headings(lessons[0])):
                problems.append(f"points to '{match.group(4)}' in {lessons[0].name}, which has no such heading")
    return problems


@pytest.mark.parametrize("stem, exercise, test, hint", HINTED,
                         ids=[f"{stem}-{test.__name__}-{i}" for i, (stem, _, test, _) in enumerate(HINTED)])
def test_every_hint_names_where_the_course_teaches_its_idea(stem, exercise, test, hint):
    assert not places(stem, hint), places(stem, hint)
