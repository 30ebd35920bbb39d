"""Feedback in the learner's own notebook: one HTML page per learner and notebook.

nbgrader and otter-grader hand a learner back their own notebook with the results beside
their code; a separate list of test names makes them hunt for the cell each result is about.
:func:`notebook_page` renders the learner's cells in order, as the grader read them (from the
notebook's JSON: no kernel runs, nothing executes), and places under the cell that defines
each exercise that exercise's results: what passed, what failed with the reason and the
hint, hidden tests by name and points only. Under each written answer it puts the answer's
mark, or "not marked yet". The page opens with the notebook's score, the late line
(:attr:`.lateness.LateFlag.line`) and the notes on the notebook.

Every piece of the learner's text (their cells, a message quoting their code, their folder
name) is escaped by :mod:`.safetext`, and a Content-Security-Policy forbids scripts, images
and anything loaded from elsewhere: nothing a learner writes can run when the page opens.

The cells are kept in the gradebook, by the SHA-256 of the notebook they came from
(``cells/<sha256>.json``, :func:`cell_record`), so that every later write (marks merged, a
late rule changed, shards merged) rebuilds the page without the submissions folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..notebook.extract import EXERCISE_TAG, cell_tags
from ..safetext import BLOCK_CHARS, FOLDER_CHARS, LABEL_CHARS, NOTE_CHARS, RESULT_CHARS, html_block, html_text
from .report import DECISIONS, FAIL, NOTE, PASS, PENDING, by_exercise, row_mark, score

#: the gradebook's folder of learners' cells, one file per notebook content (its SHA-256)
CELLS = "cells"
#: the most cells of one notebook a page shows
MAX_CELLS = 600
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: a function defined at the top level of a cell: ``def name(`` or ``name = lambda``
_TOP_LEVEL_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)|^([A-Za-z_]\w*)[ \t]*=[ \t]*lambda\b",
                            re.MULTILINE)

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 58em; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.35em; } .meta { color: #555; } .late { background: #fff2e0; padding: .4em .8em; }
.cell { margin: .8em 0; } .cell pre, .md { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
pre.code { background: #f6f8fa; border-left: 4px solid #c8d1dc; padding: .6em .9em; font-size: .92em; }
.md { padding: .2em .9em; color: #333; }
.results { border: 1px solid #d0d7de; border-radius: 6px; margin: .3em 0 1.2em 1.5em; padding: .3em .9em; }
.results h3 { font-size: 1em; margin: .4em 0; } .results ul { margin: .2em 0; padding-left: 1.2em; }
.pass { color: #1a7f37; } .fail { color: #b42318; } .hint { color: #555; font-style: italic; }
.notes { background: #f4f4f4; padding: .4em .9em; }
"""


def cell_record(nb: Mapping) -> list[dict[str, Any]]:
    """A notebook's cells as the gradebook keeps them: type, source (at most
    :data:`.safetext.BLOCK_CHARS` characters each) and tags; no outputs, at most
    :data:`MAX_CELLS` cells. Anything that is not a cell is skipped."""
    kept = []
    for cell in list(nb.get("cells", []))[:MAX_CELLS] if isinstance(nb.get("cells"), list) else []:
        if not isinstance(cell, Mapping) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        source = cell.get("source", "")
        text = "".join(part for part in source if isinstance(part, str)) if isinstance(source, list) else str(source)
        kept.append({"type": cell["cell_type"], "source": text[:BLOCK_CHARS + 1],
                     "tags": sorted(cell_tags(dict(cell)))[:20]})
    return kept


def cells_file(out: Path, sha256: str) -> Path | None:
    """Where the cells of the notebook with this SHA-256 are kept in gradebook ``out`` (None
    for anything that is not a SHA-256, so a record cannot name another file)."""
    return out / CELLS / f"{sha256}.json" if isinstance(sha256, str) and _SHA256.fullmatch(sha256) else None


def read_cells(folders: Iterable[Path], sha256: str) -> list[dict[str, Any]] | None:
    """The kept cells of a notebook content, from the first gradebook folder that has them."""
    for folder in folders:
        path = cells_file(folder, sha256)
        try:
            cells = json.loads(path.read_text(encoding="utf-8")) if path is not None else None
        except (OSError, ValueError):
            continue
        if isinstance(cells, list):
            return [cell for cell in cells if isinstance(cell, dict)]
    return None


def _defined_in(cells: Sequence[Mapping], exercises: Iterable[str]) -> dict[int, list[str]]:
    """``{cell index: exercises}``: the cell each exercise's results go under, the last cell
    tagged ``exercise`` that defines it, else the last code cell that does (a ``def`` or
    ``name = lambda`` at the start of a line; read as text, never parsed or run)."""
    where: dict[str, int] = {}
    for tagged in (False, True):  # a tagged cell wins over an untagged one
        for index, cell in enumerate(cells):
            if cell.get("type") != "code" or (tagged and EXERCISE_TAG not in cell.get("tags", [])):
                continue
            for match in _TOP_LEVEL_DEF.finditer(str(cell.get("source", ""))):
                where[match.group(1) or match.group(2)] = index
    placed: dict[int, list[str]] = {}
    for name in exercises:
        if name in where:
            placed.setdefault(where[name], []).append(name)
    return placed


def _answered_in(cells: Sequence[Mapping]) -> dict[int, str]:
    """``{cell index: question}`` of the written-answer cells (tags ``answer``, ``question:<id>``)."""
    found = {}
    for index, cell in enumerate(cells):
        tags = cell.get("tags", [])
        if "answer" in tags:
            question = next((tag.split(":", 1)[1] for tag in sorted(tags) if tag.startswith("question:")), None)
            if question:
                found[index] = question
    return found


def _row_html(row: Mapping) -> str:
    if row["status"] == "unmarked":
        return f'<li>{PENDING} not marked yet ({row["max_points"]:g} points)</li>'
    if row["status"] == "marked":
        comment = f": {html_text(row['message'], RESULT_CHARS)}" if row.get("message") else ""
        return f"<li>{NOTE} marked by hand, {row['points']:g}/{row['max_points']:g} points{comment}</li>"
    if row["status"] in DECISIONS:
        text = html_text(row.get("message") or row["status"], RESULT_CHARS)
        return f"<li>{NOTE} {text} ({row['points']:g} points)</li>"
    name = html_text(row["test"], LABEL_CHARS)
    points = f"({row['points']:g}/{row['max_points']:g} points)"
    if row.get("hidden"):
        return f'<li><span class="{"pass" if row["status"] == "passed" else "fail"}">{row_mark(row)}</span> ' \
               f"hidden test: {name} {points}</li>"
    if row["status"] == "passed":
        return f'<li><span class="pass">{PASS}</span> {name}</li>'
    why = html_text(row.get("message") or row["status"], RESULT_CHARS)
    hint = f'<br><span class="hint">hint: {html_text(row["hint"], RESULT_CHARS)}</span>' if row.get("hint") else ""
    return f'<li><span class="fail">{row_mark(row)}</span> {name}: {why} {points}{hint}</li>'


def _results_html(name: str, rows: Sequence[Mapping]) -> str:
    earned, possible = score(rows)
    done = all(row["status"] == "passed" for row in rows) or all(row["status"] in DECISIONS for row in rows)
    mark = PENDING if all(row["status"] == "unmarked" for row in rows) else PASS if done and earned == possible \
        else NOTE if all(row["status"] in DECISIONS for row in rows) else FAIL
    return (f'<div class="results" data-exercise="{html_text(name, LABEL_CHARS)}"><h3>{mark} '
            f"<code>{html_text(name, LABEL_CHARS)}</code>: {earned:g}/{possible:g} points</h3><ul>"
            + "".join(_row_html(row) for row in rows) + "</ul></div>")


def notebook_page(student: str, notebook: str, cells: Sequence[Mapping], rows: Sequence[Mapping],
                  notes: Sequence[str] = (), late: str = "") -> str:
    """One learner's notebook as a self-contained, escaped HTML page with the results under
    their code (see the module docstring).

    Parameters
    ----------
    cells
        The learner's cells (:func:`cell_record`).
    rows
        The learner's result rows of this notebook (tests, marks, questions not marked yet,
        overrides, a late penalty).
    notes
        Notes on the notebook (the first may say "marking in progress").
    late
        The late line, or empty.
    """
    groups = by_exercise(rows)
    placed = _defined_in(cells, [name for name, group in groups.items()
                                 if not all(row["status"] in DECISIONS | {"unmarked"} for row in group)])
    answered = {index: question for index, question in _answered_in(cells).items() if question in groups}
    shown: set[str] = set()
    earned, possible = score(rows)
    title = f"{notebook}.ipynb: feedback for {student}"
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
             f"<title>{html_text(title, FOLDER_CHARS)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
             f"<h1>{html_text(title, FOLDER_CHARS)}</h1>",
             f'<p class="meta" id="score"><strong>Score: {earned:g}/{possible:g} points '
             f"({100.0 * earned / possible if possible else 0:.0f}%)</strong></p>"]
    if late:
        parts.append(f'<p class="late" id="late">{html_text(late, NOTE_CHARS)}</p>')
    if notes:
        parts.append('<div class="notes"><p>Notes on your notebook:</p><ul>'
                     + "".join(f"<li>{html_text(note, NOTE_CHARS)}</li>" for note in dict.fromkeys(notes))
                     + "</ul></div>")
    for index, cell in enumerate(cells):
        source = html_block(cell.get("source", ""))
        if cell.get("type") == "code":
            parts.append(f'<div class="cell" id="cell-{index + 1}"><pre class="code"><code>{source}</code></pre></div>')
        else:
            parts.append(f'<div class="cell" id="cell-{index + 1}"><div class="md">{source}</div></div>')
        for name in [*placed.get(index, []), *([answered[index]] if index in answered else [])]:
            if name not in shown:
                parts.append(_results_html(name, groups[name]))
                shown.add(name)
    rest = [name for name in groups if name not in shown]
    if rest:
        parts.append('<h2 id="elsewhere">Results not placed under a cell</h2>'
                     '<p class="meta">No cell of this notebook defines these (renamed or deleted?), or they are '
                     "your instructor's decisions:</p>")
        parts += [_results_html(name, groups[name]) for name in rest]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
