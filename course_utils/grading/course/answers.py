"""Written answers: collect the markdown cells tagged ``answer`` and show them to a marker.

An answer cell is a *markdown* cell with the tag ``answer`` and a second tag
``question:<id>`` naming the rubric question it answers (see :mod:`.rubric`). The released
notebook's answer cells hold a placeholder; a learner's cell that still equals it, or is
empty, counts as not answered.

:func:`answers_html` renders one student's answers as a single self-contained HTML page:
no script, no external file, no network (a Content-Security-Policy forbids both), every
piece of learner text escaped by :mod:`.safetext` and shown as written (``white-space:
pre-wrap``), so a marker reads exactly what was submitted and nothing in it can run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from ..notebook.extract import NotebookProblem, cell_tags, read_notebook_json
from ..safetext import FOLDER_CHARS, NOTE_CHARS, html_block, html_text
from .rubric import Rubric

ANSWER_TAG = "answer"
QUESTION_TAG_PREFIX = "question:"


@dataclass(frozen=True)
class Answer:
    """One answer cell: the question it answers, the learner's text, and its cell (1-based)."""

    question: str
    text: str
    cell: int
    answered: bool


@dataclass
class Answers:
    """A notebook's answers in notebook order, and notes on what was odd."""

    answers: list[Answer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def by_question(self) -> dict[str, Answer]:
        return {answer.question: answer for answer in self.answers}

    def answered(self) -> dict[str, bool]:
        return {answer.question: answer.answered for answer in self.answers}


def _text(cell: Mapping) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _normal(text: str) -> str:
    return " ".join(text.split())


def question_of(cell: Mapping) -> str | None:
    """The question id of an answer cell (its ``question:<id>`` tag), or None."""
    for tag in sorted(cell_tags(cell)):
        if tag.startswith(QUESTION_TAG_PREFIX) and tag[len(QUESTION_TAG_PREFIX):]:
            return tag[len(QUESTION_TAG_PREFIX):]
    return None


def placeholders(template: Mapping) -> dict[str, str]:
    """``{question: placeholder text}`` from the released notebook's answer cells."""
    found = {}
    for cell in template.get("cells", []):
        if cell.get("cell_type") == "markdown" and ANSWER_TAG in cell_tags(cell):
            question = question_of(cell)
            if question:
                found[question] = _normal(_text(cell))
    return found


def collect_answers(nb: Mapping, template: Mapping | None = None) -> Answers:
    """The answer cells of notebook ``nb`` (a dict as read from JSON).

    An answer equal to the ``template``'s placeholder for its question (whitespace aside) or
    empty is ``answered=False``. An answer cell without a ``question:`` tag is named
    ``answer_<n>`` (its position) with a note; two cells answering one question are joined,
    in notebook order, with a note. A code cell tagged ``answer`` is noted and skipped.
    """
    result = Answers()
    blank = placeholders(template) if template is not None else {}
    merged: dict[str, Answer] = {}
    untagged = 0
    for index, cell in enumerate(nb.get("cells", [])):
        if not isinstance(cell, Mapping) or ANSWER_TAG not in cell_tags(cell):
            continue
        if cell.get("cell_type") != "markdown":
            result.notes.append(f"cell {index + 1} is tagged '{ANSWER_TAG}' but is not a markdown cell; "
                                f"written answers belong in markdown cells")
            continue
        text = _text(cell)
        question = question_of(cell)
        if question is None:
            untagged += 1
            question = f"answer_{untagged}"
            result.notes.append(f"cell {index + 1}: an answer without a 'question:' tag, collected as {question}")
        answered = bool(_normal(text)) and _normal(text) != blank.get(question)
        if question in merged:
            earlier = merged[question]
            result.notes.append(f"{question}: answered in cells {earlier.cell} and {index + 1}; both are shown")
            merged[question] = Answer(question, earlier.text.rstrip() + "\n\n" + text, earlier.cell,
                                      earlier.answered or answered)
        else:
            merged[question] = Answer(question, text, index + 1, answered)
    result.answers = list(merged.values())
    return result


def collect_answers_from_file(path: str | os.PathLike, template: Mapping | None = None) -> Answers:
    """:func:`collect_answers` on a notebook file; an unreadable file gives no answers and a note."""
    try:
        nb = read_notebook_json(path)
    except NotebookProblem as exc:
        return Answers([], [str(exc)])
    return collect_answers(nb, template)


_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
.meta, .criteria { color: #555; font-size: 0.92em; }
.prompt { font-style: italic; white-space: pre-wrap; }
.answer { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f2; border-left: 4px solid #8a8;
          padding: 0.6em 0.9em; margin: 0.6em 0; }
.none { color: #a33; font-style: italic; }
.notes { background: #fff6e0; padding: 0.5em 1em; }
"""


def _e(text: str) -> str:
    """One line of text (a title, a name, a note) escaped for HTML (:func:`.safetext.html_text`)."""
    return html_text(text, FOLDER_CHARS)


def answers_html(student: str, answers: Answers, rubric: Rubric | None = None, *,
                 notebook: str = "") -> str:
    """One student's written answers as a self-contained, escaped HTML page.

    Questions follow the rubric (title, points, prompt, and the criteria of a good answer
    folded under "What a good answer contains"); answers to questions the rubric does not
    know follow at the end.
    """
    notebook = notebook or (rubric.notebook if rubric else "")
    title = f"Written answers: {student}" + (f" ({notebook})" if notebook else "")
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
             f"<title>{_e(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
             f"<h1>{_e(title)}</h1>"]
    if rubric is not None:
        parts.append(f'<p class="meta">{_e(rubric.title)}: {rubric.total:g} points</p>')
    if answers.notes:
        parts.append('<div class="notes"><p>Notes on the notebook:</p><ul>')
        parts += [f"<li>{html_text(note, NOTE_CHARS)}</li>" for note in answers.notes]
        parts.append("</ul></div>")
    given = answers.by_question()
    questions = list(rubric.questions) if rubric is not None else []
    for question in questions:
        answer = given.pop(question.id, None)
        parts.append(f'<h2 id="{_e(question.id)}">{_e(question.title or question.id)} '
                     f'<span class="meta">({question.points:g} points)</span></h2>')
        if question.prompt:
            parts.append(f'<p class="prompt">{html_block(question.prompt)}</p>')
        if question.criteria:
            parts.append('<details class="criteria"><summary>What a good answer contains</summary><ul>')
            parts += [f"<li>{_e(criterion)}</li>" for criterion in question.criteria]
            parts.append("</ul></details>")
        parts.append(_answer_block(answer))
    for question_id, answer in given.items():
        parts.append(f'<h2 id="{_e(question_id)}">{_e(question_id)} <span class="meta">(not in the rubric)</span></h2>')
        parts.append(_answer_block(answer))
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _answer_block(answer: Answer | None) -> str:
    if answer is None:
        return '<p class="none">No answer cell for this question (deleted or untagged?).</p>'
    if not answer.answered:
        return f'<p class="none">Not answered (cell {answer.cell} still holds the placeholder or is empty).</p>'
    return f'<div class="answer">{html_block(answer.text)}</div>'


def answer_page_name(student: str) -> str:
    """A file name for a student's page that is safe on every system (``answers/<name>.html``)."""
    name = re.sub(r"[^\w.-]", "_", student).strip("._") or "student"
    return f"{name}.html"


def index_html(notebook: str, students: Sequence[str], answered: Mapping[str, int], total: int,
               pages: Mapping[str, str] | None = None) -> str:
    """A page linking every student's answers page, with how many questions each answered.

    ``pages`` maps a student to the file name of their page (default :func:`answer_page_name`).
    """
    pages = pages or {}
    rows = "\n".join(f'<li><a href="{_e(pages.get(s) or answer_page_name(s))}">{_e(s)}</a>: '
                     f"{answered.get(s, 0)} of {total} answered</li>" for s in students)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">'
            f"<title>Written answers: {_e(notebook)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>Written answers: {_e(notebook)}</h1><ul>\n{rows}\n</ul></body></html>\n")


def answer_rows(student: str, notebook: str, answers: Answers) -> list[dict]:
    """One student's answers as rows of the gradebook's ``answers.jsonl``."""
    return [{"student": student, "notebook": notebook, "question": a.question, "text": a.text, "cell": a.cell,
             "answered": a.answered} for a in answers.answers]


def answers_from_rows(rows: Iterable[Mapping], notes: Sequence[str] = ()) -> Answers:
    """:class:`Answers` from rows of ``answers.jsonl`` (one student, one notebook), in order."""
    return Answers([Answer(str(row["question"]), str(row.get("text", "")), int(row.get("cell", 0)),
                           bool(row.get("answered"))) for row in rows], list(notes))


def answer_pages(notebook: str, collected: Mapping[str, Answers], rubric: Rubric | None,
                 pages: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{file name: HTML}``: one page per student (named by ``pages``, default
    :func:`answer_page_name`) and ``index.html``; what :func:`write_answer_pages` writes into
    ``answers/<notebook>/``."""
    pages = {student: (pages or {}).get(student) or answer_page_name(student) for student in collected}
    files = {pages[student]: answers_html(student, answers, rubric, notebook=notebook)
             for student, answers in sorted(collected.items())}
    total = len(rubric.questions) if rubric is not None else max((len(a.answers) for a in collected.values()), default=0)
    counts = {student: sum(a.answered for a in answers.answers) for student, answers in collected.items()}
    files["index.html"] = index_html(notebook, sorted(collected), counts, total, pages)
    return files


def collect_class(submissions: str | os.PathLike, students: Iterable[str], notebook: str,
                  template: Mapping | None = None) -> dict[str, Answers]:
    """Every student's answers in ``submissions/<student>/<notebook>.ipynb`` (missing -> a note)."""
    out = {}
    for student in students:
        path = Path(submissions) / student / f"{notebook}.ipynb"
        out[student] = collect_answers_from_file(path, template) if path.is_file() else Answers(
            [], [f"no notebook {notebook}.ipynb was submitted"])
    return out


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)
    return path


def write_answer_pages(out: str | os.PathLike, notebook: str, collected: Mapping[str, Answers],
                       rubric: Rubric | None) -> list[Path]:
    """Write ``out/answers/<notebook>/<student>.html``, an ``index.html`` beside them and, with a
    rubric, the marking sheet ``out/marking_<notebook>.csv``. Returns the files written.

    An existing marking sheet is never overwritten (it may hold an instructor's marks): the
    fresh one is written as ``marking_<notebook>.new.csv`` instead. (``grade`` writes these
    through :func:`.outputs.write_outputs`, which also carries merged marks into a new sheet.)
    """
    from .rubric import marking_sheet_csv

    folder = Path(out) / "answers" / notebook
    pages = answer_pages(notebook, collected, rubric)
    index = pages.pop("index.html")
    written = [_write(folder / name, text) for name, text in pages.items()]
    written.append(_write(folder / "index.html", index))
    if rubric is not None:
        sheet = Path(out) / f"marking_{notebook}.csv"
        if sheet.exists():
            sheet = sheet.with_name(f"marking_{notebook}.new.csv")
        written.append(_write(sheet, marking_sheet_csv(rubric, {s: a.answered() for s, a in collected.items()})))
    return written


def released_template(nb: Mapping) -> tuple[str | None, dict | None]:
    """``(stem, notebook)``: the released notebook whose answer cells ask this notebook's
    questions (found by its questions, never by its file name); ``(None, None)`` when there is
    none or the course's ``exercises/`` is not found."""
    mine = {question for cell in nb.get("cells", []) if isinstance(cell, Mapping)
            and ANSWER_TAG in cell_tags(cell) and (question := question_of(cell))}
    if not mine:
        return None, None
    try:
        from ...course_root import find_folder

        candidates = sorted(find_folder("exercises").glob("*.ipynb"))
    except ValueError:
        return None, None
    for candidate in candidates:
        try:
            template = read_notebook_json(candidate)
        except NotebookProblem:
            continue
        if mine <= set(placeholders(template)):
            return candidate.stem, template
    return None, None


def _running_notebook() -> Path | None:
    """The saved file of the notebook whose kernel runs this, when Jupyter says which."""
    import sys

    main = sys.modules.get("__main__")
    for candidate in (getattr(main, "__session__", None), os.environ.get("JPY_SESSION_NAME")):
        if candidate and str(candidate).endswith(".ipynb") and Path(candidate).is_file():
            return Path(candidate)
    return None


def answer_status(notebook: str | os.PathLike | None = None) -> str:
    """For a learner: which written answers the *saved* notebook holds, as one short text.

    Reads the saved file (save first: the marker reads the file, not the kernel): ``notebook``,
    else the notebook this kernel runs (as Jupyter reports it), else ``ex07_capstone.ipynb``
    here. Each answer cell is compared with the released notebook's placeholder for its
    question; the released notebook is found by its questions, so a copy saved under another
    name is judged the same way (and told to take its proper name).
    """
    from ..notebook.names import rename_note

    path = Path(notebook) if notebook is not None else _running_notebook() or Path("ex07_capstone.ipynb")
    if not path.is_file():
        return (f"Could not find {path.name} here; save the notebook, then run this cell again "
                f"(or pass the notebook's path).")
    try:
        nb = read_notebook_json(path)
    except NotebookProblem as exc:
        return str(exc)
    stem, template = released_template(nb)
    found = collect_answers(nb, template)
    done = [a.question for a in found.answers if a.answered]
    todo = [a.question for a in found.answers if not a.answered]
    lines = [f"{len(done)} of {len(found.answers)} written answers filled in"
             + (f"; still to write: {', '.join(todo)}" if todo else ".")]
    if stem and path.name != f"{stem}.ipynb":
        lines.append(rename_note(path.name, stem))
    lines += found.notes
    return "\n".join(lines)
