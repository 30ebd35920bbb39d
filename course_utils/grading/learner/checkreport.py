"""What ``check()`` and ``check_all()`` return: a report that shows itself once.

In JupyterLab the last value of a cell is displayed through its richest representation, so
a :class:`CheckReport` left as a cell's value renders as one HTML table
(:meth:`CheckReport._repr_html_`); in a terminal or a plain ``print`` it is the familiar text
report (:meth:`__str__`, the same text :func:`.report.format_results` writes into feedback).
The idea follows otter-grader, whose ``Notebook.check`` returns a test-results object that
renders itself in the notebook (otter-grader.readthedocs.io, "Student Usage: otter check and
otter.Notebook").

Nothing of a test's code is shown: the exercise, a readable test name, the result, the
points, and for a failure the reason and the hint. Learner text is escaped.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..course.report import FAIL, PASS, by_exercise, format_results, row_mark, score
from ..safetext import LABEL_CHARS, NOTE_CHARS, RESULT_CHARS, html_text

_STYLE = ("<style>.course-check table{border-collapse:collapse;margin:.3em 0}"
          ".course-check th,.course-check td{padding:.2em .6em;text-align:left;vertical-align:top;"
          "border-bottom:1px solid #ddd}.course-check .pass{color:#1a7f37}.course-check .fail{color:#b42318}"
          ".course-check .ex td{font-weight:600;background:#f4f4f4}.course-check .hint{color:#555;font-style:italic}"
          "</style>")


class CheckReport:
    """Results of checking some exercises: rows as in ``results.jsonl``, and notes.

    Parameters
    ----------
    rows
        One dict per test (``exercise``, ``test``, ``status``, ``points``, ``max_points``,
        ``message``, ``hint``).
    notes
        Notes on the notebook (unsaved changes, a missing tag...).
    title
        A heading (e.g. the notebook's name); empty for none.
    hidden_points
        Points of hidden tests that only the instructor's grading runs; said once at the end.
    total
        Whether to end with the score (``check_all``) or not (one exercise's ``check``).
    """

    def __init__(self, rows: Sequence[Mapping], notes: Sequence[str] = (), *, title: str = "",
                 hidden_points: float = 0.0, total: bool = True) -> None:
        self.rows = [dict(row) for row in rows]
        self.notes = list(dict.fromkeys(notes))
        self.title = title
        self.hidden_points = float(hidden_points)
        self.total = total

    @property
    def earned(self) -> float:
        return score(self.rows)[0]

    @property
    def possible(self) -> float:
        return score(self.rows)[1]

    @property
    def all_passed(self) -> bool:
        """True when there were tests and every one passed."""
        return bool(self.rows) and all(row["status"] == "passed" for row in self.rows)

    def _hidden_line(self) -> str:
        if not self.hidden_points:
            return ""
        return (f"{self.hidden_points:g} more points come from hidden tests, which only the "
                f"instructor's grading runs: the same behaviours, checked on inputs of your own.")

    def __str__(self) -> str:
        if not self.rows and not self.notes:
            return "No tests ran."
        text = format_results(self.rows, self.notes, heading=self.title, total=self.total)
        hidden = self._hidden_line()
        return f"{text}\n{hidden}" if hidden else text

    __repr__ = __str__

    def _repr_html_(self) -> str:
        parts = ['<div class="course-check">', _STYLE]
        if self.title:
            parts.append(f"<h4>{html_text(self.title, LABEL_CHARS)}</h4>")
        if not self.rows:
            parts.append("<p>No tests ran.</p>")
        else:
            parts.append("<table><thead><tr><th></th><th>test</th><th>points</th><th>why, and a hint</th>"
                         "</tr></thead><tbody>")
            for exercise, rows in by_exercise(self.rows).items():
                earned, possible = score(rows)
                ok = earned == possible
                parts.append(f'<tr class="ex"><td class="{"pass" if ok else "fail"}">{PASS if ok else FAIL}</td>'
                             f"<td><code>{html_text(exercise, LABEL_CHARS)}</code></td>"
                             f"<td>{earned:g}/{possible:g}</td><td></td></tr>")
                for row in rows:
                    passed = row["status"] == "passed"
                    why = "" if passed else html_text(row.get("message") or row["status"], RESULT_CHARS)
                    if not passed and row.get("hint"):
                        why += f'<br><span class="hint">hint: {html_text(row["hint"], RESULT_CHARS)}</span>'
                    parts.append(f'<tr><td class="{"pass" if passed else "fail"}">{row_mark(row)}</td>'
                                 f"<td>{html_text(row['test'], LABEL_CHARS)}</td>"
                                 f"<td>{float(row['points']):g}/{float(row['max_points']):g}</td><td>{why}</td></tr>")
            parts.append("</tbody></table>")
        if self.notes:
            parts.append("<p>Notes on your notebook:</p><ul>")
            parts += [f"<li>{html_text(note, NOTE_CHARS)}</li>" for note in self.notes]
            parts.append("</ul>")
        if self.total and self.rows:
            percent = 100.0 * self.earned / self.possible if self.possible else 0.0
            parts.append(f"<p><strong>Score: {self.earned:g}/{self.possible:g} points ({percent:.0f}%)</strong></p>")
        if self.hidden_points:
            parts.append(f"<p>{html_text(self._hidden_line(), NOTE_CHARS)}</p>")
        parts.append("</div>")
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for ``--json``): rows, notes, earned, possible, hidden points."""
        return {"rows": self.rows, "notes": self.notes, "earned": self.earned, "possible": self.possible,
                "hidden_points": self.hidden_points}
