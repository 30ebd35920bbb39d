"""The gradebook's record: what a gradebook folder keeps, from which every output is rebuilt.

Three files in the gradebook folder are the record; everything else there (``grades.csv``,
``feedback/``, the summary, the answer pages, the exports) is rebuilt from them by
:func:`.outputs.write_outputs`:

``results.jsonl``
    one row per test per student and notebook, plus the rows an instructor adds: ``marked``
    (a rubric's marks), ``override`` (points set by hand; the row keeps ``set_to`` and
    ``reason`` so that it is recomputed against every regrade) and ``late penalty`` (always
    recomputed from the due dates and the late rule).
``answers.jsonl``
    one row per written answer: student, notebook, question, text, cell, answered.
``manifest.json``
    the last run (course version, SHA-256 of the tests, isolation, limits, the exercises of
    each notebook in syllabus order), the course's settings (due dates, late rule) and, per
    student, the feedback file and, per notebook, when and with which tests it was graded,
    its notes, the fingerprint of its exercise cells and when it was submitted. A shard of
    a sharded run (``grade --shard K/N``) records which shard it is and the class it was
    cut from; a merged gradebook (``merge-grades``) records the shards it was merged from
    (:mod:`.shards`). Its ``record`` holds the SHA-256 of the two JSON-lines files written
    with it, so that a write interrupted between them is recognised
    (:func:`record_problem`).

A run regrades a *scope*, some students times some notebooks (:meth:`Ledger.merged`): the
rows, answers and per-notebook facts inside the scope are replaced, everything outside it
is kept, and an instructor's marks and overrides are kept whatever the scope, since no test
run produces them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .assignments import merge_results

RESULTS = "results.jsonl"
ANSWERS = "answers.jsonl"
MANIFEST = "manifest.json"
#: row statuses an instructor adds (kept across regrades)
INSTRUCTOR_STATUSES = frozenset({"marked", "override"})
#: row statuses derived from other rows and settings, recomputed by every write: a late
#: penalty, and a rubric's question not marked yet in a notebook whose marking has begun
DERIVED_STATUSES = frozenset({"late penalty", "unmarked"})
#: the manifest's keys that describe the last run ("shard": this folder is one shard of a
#: sharded run; "merged": it was merged from shards; "order": each notebook's exercises;
#: "questions": each rubric's questions and their points; "reference": the fingerprint of each
#: notebook's reference solution, a hash, for identical.csv)
RUN_KEYS = ("course_version", "tests_sha256", "isolation", "graded_at", "config", "tests", "order", "shard",
            "merged", "questions", "reference")
#: the manifest's key holding the SHA-256 of results.jsonl and answers.jsonl
RECORD = "record"
#: the settings key of the class table of predictions (its salt; see :mod:`.predictions`)
PREDICTION_TABLE = "prediction_table"
#: a student's key holding the time each notebook's content was submitted (:func:`.lateness.judge`)
SUBMISSIONS = "submissions"
#: the settings keys of assignment mode: the notebooks set, and those forgotten (with when)
ASSIGNED, FORGOTTEN = "assigned", "forgotten"
#: per-learner due dates (``grade --extensions``): ``{student: {notebook: ISO time}}``
EXTENSIONS = "extensions"
#: settings kept only when set, and the type each must have
OPTIONAL_SETTINGS = {PREDICTION_TABLE: str, ASSIGNED: list, FORGOTTEN: dict, EXTENSIONS: dict}


@dataclass
class Ledger:
    """Everything a gradebook records (see the module docstring).

    Attributes
    ----------
    rows
        ``results.jsonl``: each a dict with at least ``student``, ``notebook``, ``exercise``,
        ``test``, ``status``, ``points`` and ``max_points``.
    answers
        ``answers.jsonl``: each a dict with ``student``, ``notebook``, ``question``, ``text``,
        ``cell`` and ``answered``.
    students
        ``{student label: {"feedback": "feedback/<file>.md", "tests_sha256", "course_version",
        "graded_at", "sandbox": [...], "notebooks": {stem: {"graded_at", "tests_sha256",
        "notes": [...], "fingerprint": hex or None, "sha256": the notebook's, "submitted":
        {"when", "source", "late_marker"[, "doubt"]} or None}}, "submissions": {"<notebook>:<sha256>":
        {"when", "source", "late_marker", "file_time", "recorded_at"}}}}``: ``submitted`` is the
        evidence the last grading used, ``submissions`` every content's time as first recorded.
    run
        The last run: ``course_version``, ``tests_sha256``, ``isolation``, ``graded_at``,
        ``config``, ``tests`` (``{stem: {"public": file name, "hidden": bool}}``, over
        every notebook graded into this gradebook) and ``order`` (``{stem: exercise names}``,
        the syllabus order of ``grades.csv``'s columns); ``questions`` (``{stem: {question:
        points}}``: each rubric's, so that a part-marked notebook is known without the rubric
        file); ``shard`` for one shard of a sharded run, ``merged`` for a gradebook merged
        from shards (see :mod:`.shards`).
    settings
        ``{"due": {stem: ISO time}, "late_rule": text or None}``; ``"prediction_table"`` (the
        class table's salt, :mod:`.predictions`) when the instructor asked for the table;
        ``"assigned"`` (the notebooks set, :attr:`assigned`), ``"forgotten"``
        (:attr:`forgotten`) and ``"extensions"`` (``{student: {stem: ISO time}}``) once used.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    students: dict[str, dict[str, Any]] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def known_students(self) -> list[str]:
        """Every student the gradebook knows, sorted (from rows, answers and the manifest)."""
        return sorted({*self.students, *(row["student"] for row in self.rows),
                       *(row["student"] for row in self.answers)})

    def notebooks_of(self, student: str) -> dict[str, dict[str, Any]]:
        """The per-notebook facts the manifest holds for ``student`` (empty when none)."""
        return self.students.get(student, {}).get("notebooks", {})

    def manifest(self) -> dict[str, Any]:
        """``manifest.json``'s content."""
        optional = {key: self.settings[key] for key in OPTIONAL_SETTINGS if self.settings.get(key) is not None}
        return {**{key: self.run[key] for key in RUN_KEYS if key in self.run},
                "settings": {"due": dict(sorted(self.settings.get("due", {}).items())),
                             "late_rule": self.settings.get("late_rule"), **optional},
                "students": dict(sorted(self.students.items()))}

    @property
    def graded_notebooks(self) -> list[str]:
        """Every notebook this gradebook holds results, answers or facts of (forgotten ones too)."""
        return sorted({*(row["notebook"] for row in self.rows), *(row["notebook"] for row in self.answers),
                       *(stem for entry in self.students.values() for stem in entry.get("notebooks", {}))})

    @property
    def assigned(self) -> list[str] | None:
        """The notebooks set in this gradebook, once a run into it used ``--notebook`` (the
        gradebook is then in *assignment mode*: a plain ``grade`` regrades these and adds
        none); None before (a plain ``grade`` grades every notebook)."""
        value = self.settings.get(ASSIGNED)
        return sorted(map(str, value)) if isinstance(value, list) else None

    @property
    def forgotten(self) -> dict[str, str]:
        """``{notebook: when}``: notebooks taken out of the totals (``grade --forget``); their
        results stay in the record, counted nowhere, until ``grade --restore``."""
        value = self.settings.get(FORGOTTEN)
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def counted(self) -> tuple[Ledger, Ledger]:
        """``(counted, aside)``: this record without the forgotten notebooks (what every output
        shows), and their rows, answers and facts (what the record keeps of them)."""
        gone = set(self.forgotten)
        if not gone:
            return self, Ledger()
        shown = {label: {**entry, "notebooks": {s: f for s, f in entry.get("notebooks", {}).items() if s not in gone}}
                 for label, entry in self.students.items()}
        aside = {label: {s: f for s, f in entry.get("notebooks", {}).items() if s in gone}
                 for label, entry in self.students.items()}
        return (Ledger([r for r in self.rows if r["notebook"] not in gone],
                       [r for r in self.answers if r["notebook"] not in gone], shown, self.run, self.settings),
                Ledger([r for r in self.rows if r["notebook"] in gone],
                       [r for r in self.answers if r["notebook"] in gone],
                       {label: {"notebooks": facts} for label, facts in aside.items() if facts}))

    def set_aside(self, forget: Iterable[str] = (), restore: Iterable[str] = (), when: str = "") -> Ledger:
        """This record with notebooks ``forget`` taken out of the totals and ``restore`` put
        back (``grade --forget`` and ``--restore``). It is then in assignment mode: a plain
        ``grade`` regrades the notebooks still set, never a forgotten one.

        Raises
        ------
        ValueError
            Forgetting a notebook the gradebook has no results of, or one already forgotten;
            restoring one that is not forgotten.
        """
        graded, forgotten = self.graded_notebooks, self.forgotten
        assigned = set(self.assigned if self.assigned is not None else graded) - set(forgotten)
        for stem in forget:
            if stem not in graded:
                raise ValueError(f"forget: this gradebook has no results of {stem} (it holds "
                                 f"{', '.join(graded) or 'none yet'})")
            if stem in forgotten:
                raise ValueError(f"forget: {stem} was forgotten already ({forgotten[stem]}); "
                                 f"--restore {stem} brings it back")
            forgotten[stem] = when
            assigned.discard(stem)
        for stem in restore:
            if stem not in forgotten:
                raise ValueError(f"restore: {stem} is not forgotten "
                                 f"(forgotten: {', '.join(sorted(forgotten)) or 'none'})")
            del forgotten[stem]
            assigned.add(stem)
        settings = {**self.settings, ASSIGNED: sorted(assigned), FORGOTTEN: forgotten or None}
        return Ledger(self.rows, self.answers, self.students, self.run, settings)

    def merged(self, fresh: Ledger, *, students: Iterable[str] | None = None,
               notebooks: Iterable[str] | None = None) -> Ledger:
        """This (earlier) record with the scope ``students`` x ``notebooks`` regraded by ``fresh``.

        None means every student (or notebook). Inside the scope, test rows, answers and
        per-notebook facts come from ``fresh``; outside it they are kept. Marks and
        overrides (:data:`INSTRUCTOR_STATUSES`) are always kept; late penalties are dropped
        (the write recomputes them). The run record is ``fresh``'s, with ``tests`` listing
        the notebooks of both; settings are this record's.
        """
        chosen = set(students) if students is not None else None
        stems = set(notebooks) if notebooks is not None else None

        def inside(student: str, stem: str) -> bool:
            return (chosen is None or student in chosen) and (stems is None or stem in stems)

        tests = [row for row in self.rows if row.get("status") not in INSTRUCTOR_STATUSES | DERIVED_STATUSES]
        kept = [row for row in self.rows if row.get("status") in INSTRUCTOR_STATUSES]
        rows = merge_results(tests, fresh.rows, students=chosen, notebooks=stems) + [dict(row) for row in kept]
        answers = merge_results(self.answers, fresh.answers, students=chosen, notebooks=stems)
        people: dict[str, dict[str, Any]] = {}
        for label, entry in self.students.items():
            entry = dict(entry)
            entry["notebooks"] = {stem: facts for stem, facts in entry.get("notebooks", {}).items()
                                  if not inside(label, stem)}
            people[label] = entry
        for label, entry in fresh.students.items():
            earlier = people.get(label, {})
            people[label] = {**earlier, **entry,
                             "notebooks": {**earlier.get("notebooks", {}), **entry.get("notebooks", {})}}
            times = {**earlier.get(SUBMISSIONS, {}), **entry.get(SUBMISSIONS, {})}
            if times:  # every content's time, recorded once (see lateness.judge), whatever the scope
                people[label][SUBMISSIONS] = times
        run = {**self.run, **fresh.run, "tests": {**self.run.get("tests", {}), **fresh.run.get("tests", {})},
               "order": {**self.run.get("order", {}), **fresh.run.get("order", {})},
               "reference": {**self.run.get("reference", {}), **fresh.run.get("reference", {})}}
        if not run["reference"]:
            del run["reference"]
        if "shard" not in fresh.run:  # which shard a folder holds is said by its last run only
            run.pop("shard", None)
        return Ledger(rows, answers, people, run, dict(self.settings))


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file; lines that are not a JSON object with a student are skipped."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("student"), str) and isinstance(row.get("notebook"), str):
            rows.append(row)
    return rows


def read_ledger(out: str | Path) -> Ledger:
    """The record in gradebook folder ``out``; an empty one when nothing was graded there.

    A ``manifest.json`` that is not JSON (edited by hand?) is read as empty: the rows in
    ``results.jsonl`` still hold every grade.
    """
    out = Path(out)
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict):
        manifest = {}
    settings = manifest.get("settings") if isinstance(manifest.get("settings"), dict) else {}
    students = manifest.get("students") if isinstance(manifest.get("students"), dict) else {}
    optional = {key: settings[key] for key, kind in OPTIONAL_SETTINGS.items() if isinstance(settings.get(key), kind)}
    return Ledger(_read_jsonl(out / RESULTS), _read_jsonl(out / ANSWERS),
                  {label: entry for label, entry in students.items() if isinstance(entry, dict)},
                  {key: manifest[key] for key in RUN_KEYS if key in manifest},
                  {"due": dict(settings.get("due") or {}), "late_rule": settings.get("late_rule"), **optional})


def text_sha256(text: str) -> str:
    """SHA-256 of ``text`` as the UTF-8 bytes a record file holds."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_problem(out: str | os.PathLike) -> str | None:
    """Why the record in ``out`` is not whole, or None when it is (or cannot tell: a
    gradebook written before the manifest kept its files' SHA-256).

    The write stage writes ``answers.jsonl``, then ``results.jsonl``, then ``manifest.json``
    with the SHA-256 of the two; a write stopped between them leaves files that disagree.
    """
    out = Path(out)
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        if (out / RESULTS).exists() or (out / ANSWERS).exists():
            return f"it has {RESULTS} but no {MANIFEST}: its write was interrupted"
        return None
    except (OSError, ValueError) as exc:
        return f"its {MANIFEST} cannot be read ({exc})"
    recorded = manifest.get(RECORD) if isinstance(manifest, dict) else None
    if not isinstance(recorded, dict):
        return None
    for name, key in ((RESULTS, "results_sha256"), (ANSWERS, "answers_sha256")):
        try:
            data = (out / name).read_bytes()
        except FileNotFoundError:
            data = b""
        except OSError as exc:
            return f"its {name} cannot be read ({exc.strerror})"
        if hashlib.sha256(data).hexdigest() != recorded.get(key):
            return f"its {name} is not the one its {MANIFEST} was written with: its write was interrupted"
    return None


def jsonl_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows as JSON lines (what ``results.jsonl`` and ``answers.jsonl`` hold)."""
    return "".join(json.dumps(dict(row)) + "\n" for row in rows)
