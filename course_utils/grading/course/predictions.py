"""How good a prediction was: the learner's feedback on it, and the class table of errors.

A prediction test (exercise 3's hidden tests) records, on its result row, what was predicted,
the held-out value, the error and the scoring band (:func:`.credit.prediction_record`). The
write stage turns those records into

* a paragraph of each learner's feedback (:func:`feedback_lines`): the prediction, the error
  as a multiple of the tolerance and what it earned; once the notebook's due date
  (``grade --due``) has passed, also the held-out value and the signed error. Before it, the
  value stays back: a learner who could be regraded must not be handed the answer. Only the
  held-out *value* is ever shown, never the held-out runs;
* when the instructor opts in (``grade --prediction-table on``), a pseudonymous class table,
  ``predictions.csv`` (:func:`class_table`), and in each learner's feedback their own rank and
  pseudonym, so they can find themselves in the table if it is shown to the class.

Both are computed from the gradebook's record by the write stage, so ``grade``,
``merge-grades`` of its shards and a rebuild give the same table and the same ranks.

A pseudonym is ``P-`` and six hex digits of SHA-256 of the class's salt and the learner's
folder name. The salt is the SHA-256 of the class's folder names when the table was first
asked for (the same for every shard of a class), kept in the gradebook's settings.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from .csvio import csv_text

TABLE_FILE = "predictions.csv"
TABLE_COLUMNS = ("notebook", "test", "rank", "of", "pseudonym", "error_in_tolerances", "credit", "predicted",
                 "heldout", "error", "direction")


def pseudonym(salt: str, student: str) -> str:
    """``P-`` and the first six hex digits of SHA-256(salt, NUL, student)."""
    digest = hashlib.sha256(f"{salt}\0{student}".encode("utf-8", "surrogateescape")).hexdigest()
    return f"P-{digest[:6]}"


def revealed(settings: Mapping[str, Any], notebook: str, now: datetime | None = None) -> bool:
    """Whether ``notebook``'s due date (``settings["due"]``) has passed, so its held-out values may be shown."""
    from .lateness import parse_time

    when = (settings.get("due") or {}).get(notebook)
    if not when:
        return False
    try:
        due = parse_time(str(when))
    except ValueError:
        return False
    return (now or datetime.now(timezone.utc)) >= due


def multiple(record: Mapping[str, Any]) -> float:
    """The error as a multiple of the tolerance (infinite when there was no usable prediction)."""
    error, tolerance = record.get("error"), record.get("tolerance")
    if not isinstance(error, (int, float)) or not isinstance(tolerance, (int, float)) or not tolerance > 0:
        return math.inf
    return abs(float(error)) / float(tolerance)


def _value(value: Any, unit: str) -> str:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "no number"
    if unit == "parameters":
        return f"{value:,.0f} parameters"
    return f"{value:.4f} {unit}".rstrip()


def _band(record: Mapping[str, Any]) -> str:
    """"full points within ±0.0162 nats, none beyond ±0.0485" (or as factors for a log scale)."""
    tolerance, zero_at = float(record["tolerance"]), float(record["zero_at"])
    if record.get("scale") == "log":
        return f"full points within a factor {math.exp(tolerance):.2f}, none beyond a factor {math.exp(zero_at * tolerance):.2f}"
    unit = f" {record['unit']}" if record.get("unit") else ""
    return f"full points within ±{tolerance:.4f}{unit}, none beyond ±{zero_at * tolerance:.4f}{unit}"


def _signed(record: Mapping[str, Any]) -> str:
    """The signed error in words: "+0.0064 nats (too high)" or "a factor 1.21 too large"."""
    error = float(record["error"])
    if record.get("scale") == "log":
        factor = math.exp(abs(error))
        return f"a factor {factor:.2f} too {'large' if error > 0 else 'small'}"
    unit = f" {record['unit']}" if record.get("unit") else ""
    return f"{error:+.4f}{unit} (too {'high' if error > 0 else 'low'})"


def prediction_sentence(record: Mapping[str, Any], *, reveal: bool) -> str:
    """One learner-facing sentence about a prediction record (see the module docstring)."""
    unit = str(record.get("unit", ""))
    said = f"{record.get('quantity', 'your prediction')}: you predicted {_value(record.get('predicted'), unit)}"
    times = multiple(record)
    if not math.isfinite(times):
        return f"{said}; it could not be compared with the held-out runs ({_band(record)})."
    credit = float(record.get("credit", 0.0))
    earned = "full points" if credit >= 1 else "no points" if credit <= 0 else f"{credit:.0%} of the points"
    if reveal:
        return (f"{said}; the held-out runs give {_value(record.get('heldout'), unit)}, so yours is "
                f"{_signed(record)}, {times:.2f} times the tolerance: {earned} ({_band(record)}).")
    return (f"{said}, {times:.2f} times the tolerance from the held-out value: {earned} ({_band(record)}). "
            f"The held-out value is shown once the due date has passed.")


@dataclass(frozen=True)
class Standing:
    """A learner's place in the class table for one prediction test."""

    notebook: str
    test: str
    rank: int
    of: int
    pseudonym: str


def _records(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [row for row in rows if isinstance(row.get("prediction"), Mapping)]


def standings(rows: Sequence[Mapping[str, Any]], salt: str) -> dict[str, list[Standing]]:
    """``{student: [Standing, ...]}``: each prediction test's learners ranked by the size of
    their error in tolerances (smallest first; ties share a rank; no usable prediction last)."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in _records(rows):
        groups.setdefault((row["notebook"], row["test"]), []).append(row)
    out: dict[str, list[Standing]] = {}
    for (notebook, test), members in sorted(groups.items()):
        errors = sorted(multiple(row["prediction"]) for row in members)
        for row in members:
            rank = 1 + sum(error < multiple(row["prediction"]) for error in errors)
            out.setdefault(row["student"], []).append(
                Standing(notebook, test, rank, len(members), pseudonym(salt, row["student"])))
    return out


def class_table(rows: Sequence[Mapping[str, Any]], salt: str, settings: Mapping[str, Any],
                now: datetime | None = None) -> str:
    """``predictions.csv``: one line per learner and prediction test, best first, by pseudonym.

    The predicted value, held-out value, error (its size, in the quantity's unit, or the factor
    for a size) and direction columns are filled once the notebook's due date has passed
    (:func:`revealed`), empty before.
    """
    ranks = standings(rows, salt)
    table = []
    for row in _records(rows):
        record = row["prediction"]
        place = next(s for s in ranks[row["student"]] if (s.notebook, s.test) == (row["notebook"], row["test"]))
        shown = revealed(settings, row["notebook"], now)
        times = multiple(record)
        table.append([row["notebook"], row["test"], place.rank, place.of, place.pseudonym,
                      f"{times:.2f}" if math.isfinite(times) else "", f"{float(record.get('credit', 0.0)):.2f}",
                      *(_cells(record) if shown else ("", "", "", ""))])
    table.sort(key=lambda line: (line[0], line[1], line[2], line[4]))
    return csv_text(TABLE_COLUMNS, table)


def _cells(record: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """Predicted, held-out, the error's size and its direction: unsigned numbers, so that no cell
    starts with a sign a spreadsheet would read as a formula."""
    def text(value: Any) -> str:
        return f"{value:.6g}" if isinstance(value, (int, float)) and math.isfinite(value) else ""

    error = record.get("error")
    if not isinstance(error, (int, float)) or not math.isfinite(error):
        return text(record.get("predicted")), text(record.get("heldout")), "", ""
    log = record.get("scale") == "log"
    size = math.exp(abs(error)) if log else abs(error)
    direction = ("too large" if error > 0 else "too small") if log else ("too high" if error > 0 else "too low")
    return (text(record.get("predicted")), text(record.get("heldout")), f"{'factor ' if log else ''}{size:.6g}",
            direction if error else "")


def feedback_lines(rows: Sequence[Mapping[str, Any]], notebook: str, settings: Mapping[str, Any],
                   standing: Sequence[Standing] = (), now: datetime | None = None) -> list[str]:
    """The Markdown lines of one learner's feedback on the predictions in ``notebook`` (none: [])."""
    mine = [row for row in _records(rows) if row["notebook"] == notebook]
    if not mine:
        return []
    reveal = revealed(settings, notebook, now)
    lines = ["#### Your predictions, against runs you never saw"]
    lines += [f"- {prediction_sentence(row['prediction'], reveal=reveal)}" for row in mine]
    places = [s for s in standing if s.notebook == notebook]
    if places:
        where = "; ".join(f"{s.test}: {s.rank} of {s.of}" for s in places)
        lines.append(f"- In the class table ({TABLE_FILE}, by pseudonym) you are {places[0].pseudonym}: {where} "
                     f"(rank 1 is the smallest error).")
    return lines


__all__ = ["pseudonym", "revealed", "multiple", "prediction_sentence", "Standing", "standings", "class_table",
           "feedback_lines", "TABLE_FILE"]
