"""What an instructor adds to a grading run: a roster, rubric marks, overrides, due dates, a
late rule and exports (the options of ``grade`` beyond what to grade).

:meth:`Instructions.read` reads every file named on the command line, :meth:`Instructions.check`
checks them against the plan and the gradebook already there, both *before* anything is
graded: a wrong roster, a marking sheet with an unknown student or points above the
maximum, an overrides file naming an unknown exercise, a due date in the wrong format, an
export the roster cannot serve: each stops the run with the reason (``grade`` exits 2) and
the gradebook is not touched. :meth:`Instructions.apply` then adds them to the merged record
(:class:`.ledger.Ledger`) that the write stage turns into files.

Marks and overrides are kept in the record and survive later runs; a new overrides file
replaces every earlier override (it is the whole list: keep one file for the term). Due
dates are kept per notebook: ``--due NOTEBOOK=TIME`` sets one, a bare ``--due TIME`` the
notebooks this run grades; ``--extensions FILE`` (``student, notebook, due``) gives one
learner their own due date for one notebook, and like an overrides file it is the whole list.
``--late-rule RULE`` is kept until another is given (``--late-rule none`` removes it). ``--prediction-table on`` keeps the pseudonymous class
table of prediction errors (:mod:`.predictions`) until ``--prediction-table off``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..course.csvio import Table
from ..course.ledger import DERIVED_STATUSES, EXTENSIONS, PREDICTION_TABLE, Ledger
from .outputs import EXPORT_KINDS, Export

NO_RULE = ("none", "off")


@dataclass
class Instructions:
    """An instructor's additions to one run (see the module docstring)."""

    roster: Any = None  # roster.Roster
    sheets: list[Table] = field(default_factory=list)
    overrides: Table | None = None
    due: list[str] = field(default_factory=list)
    extensions: Table | None = None
    late_rule: str | None = None
    prediction_table: str | None = None  # "on" or "off" (grade --prediction-table); None: as before
    exports: list[Export] = field(default_factory=list)
    # filled in by check()
    marks: list[dict[str, Any]] = field(default_factory=list)
    parsed_overrides: list[Any] | None = None
    due_dates: dict[str, str] = field(default_factory=dict)
    extension_dates: dict[str, dict[str, str]] | None = None
    prediction_salt: str = ""
    notes: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, *, roster: str | os.PathLike | None = None, merge_rubric: Sequence[str | os.PathLike] = (),
             overrides: str | os.PathLike | None = None, due: Sequence[str] = (), late_rule: str | None = None,
             export: Sequence[str] = (), assignment: Sequence[str] = (), moodle_id: str = "email",
             wheel: str | os.PathLike | None = None, notebooks: Sequence[str] = (),
             prediction_table: str | None = None, extensions: str | os.PathLike | None = None,
             allow_partial: bool = False) -> Instructions:
        """Read the files and parse the options; nothing is checked against a class yet.

        Raises
        ------
        ValueError
            A file that cannot be read or parsed (named, with the line), a due date or late
            rule that cannot be read, options that need another option.
        """
        from ..course.lateness import parse_due, parse_late_rule
        from ..course.lms_export import MOODLE_IDENTIFIERS, parse_assignment
        from ..course.overrides import read_overrides
        from ..course.roster import read_roster
        from ..course.rubric import read_marking_sheet

        found = cls()
        try:
            if roster is not None:
                found.roster = read_roster(roster)
                found.notes += [f"roster: {note}" for note in found.roster.notes]
        except ValueError as exc:
            raise ValueError(f"roster: {exc}") from None
        try:
            found.sheets = [read_marking_sheet(path) for path in merge_rubric]
        except ValueError as exc:
            raise ValueError(f"merge-rubric: {exc}") from None
        try:
            if overrides is not None:
                found.overrides = read_overrides(overrides)
        except ValueError as exc:
            raise ValueError(f"overrides: {exc}") from None
        for option in due:
            try:
                parse_due(option)
            except ValueError as exc:
                raise ValueError(f"due: {exc}") from None
        found.due = list(due)
        if extensions is not None:
            found.extensions = read_extensions(extensions)
        if late_rule is not None:
            if late_rule.strip().lower() not in NO_RULE:
                try:
                    parse_late_rule(late_rule)
                except ValueError as exc:
                    raise ValueError(f"late-rule: {exc}") from None
            found.late_rule = late_rule.strip()
        if prediction_table is not None:
            if prediction_table not in ("on", "off"):
                raise ValueError(f"prediction-table: 'on' or 'off', got {prediction_table!r}")
            found.prediction_table = prediction_table
        if assignment and not any(kind in ("canvas", "moodle") for kind in export):
            raise ValueError("assignment: --assignment describes a Canvas or Moodle column; add --export canvas "
                             "or --export moodle")
        if wheel is not None and "gradescope" not in export:
            raise ValueError("wheel: --wheel is for the Gradescope bundle; add --export gradescope")
        if moodle_id not in MOODLE_IDENTIFIERS:
            raise ValueError(f"moodle-id: must be one of {', '.join(MOODLE_IDENTIFIERS)}, got {moodle_id!r}")
        assignments = tuple(parse_assignment(text) for text in assignment)
        for kind in dict.fromkeys(export):
            if kind not in EXPORT_KINDS:
                raise ValueError(f"export: {kind!r} is not one of {', '.join(EXPORT_KINDS)}")
            if kind in ("canvas", "moodle") and found.roster is None:
                raise ValueError(f"export: {kind} matches students by their {kind.title()} identity; "
                                 f"give the class roster with --roster FILE")
            if kind == "gradescope":
                found.exports.append(_gradescope(wheel, notebooks, found.roster))
            else:
                found.exports.append(Export(kind, found.roster, assignments, moodle_id, allow_partial=allow_partial))
        return found

    # ------------------------------------------------------------------ before grading

    def check(self, plan: Any, previous: Ledger) -> list[str]:
        """Check everything against the class (``plan``, a :class:`.discover.Plan`) and the
        gradebook already there; returns notes. Raises ValueError, saying why, before any
        grading."""
        from ..course.lateness import due_dates
        from ..course.overrides import OverrideError, parse_overrides
        from .discover import class_identity, label_of
        from ..course.roster import compare_with_folders
        from ..course.rubric import RubricError, merge_marks

        notes = self.notes
        labels = [label_of(name) for name in plan.students]
        everyone = sorted({*previous.known_students, *labels})
        if self.roster is not None:
            unknown, absent = compare_with_folders(self.roster, labels)
            if not plan.replace_only and len(unknown) == len(labels):
                raise ValueError(f"roster: {self.roster.source} lists none of the {len(labels)} folder(s) in "
                                 f"{plan.submissions} (is it another class's roster?); its folders: "
                                 f"{', '.join(self.roster.folders[:5])}{', ...' if len(self.roster) > 5 else ''}")
            if unknown:
                notes.append(f"roster: {len(unknown)} folder(s) not in {self.roster.source}: {', '.join(unknown)}")
            if absent and not plan.replace_only:
                notes.append(f"roster: {len(absent)} student(s) of the roster have no folder: {', '.join(absent)}")
        available = plan.available
        if self.extensions is not None:
            learners = sorted({*everyone, *getattr(plan, "everyone", ())})  # a shard is given the whole class's
            self.extension_dates = check_extensions(self.extensions, learners, available)
        if self.due:
            general = [option for option in self.due if "=" not in option]
            specific = [option for option in self.due if "=" in option]
            try:
                dates = {**due_dates(general, plan.notebooks), **due_dates(specific, available)}
            except ValueError as exc:
                raise ValueError(f"due: {exc}") from None
            self.due_dates = {stem: when.isoformat(timespec="minutes") for stem, when in dates.items()}
            earlier = previous.settings.get("due", {})
            moved = sorted(stem for stem, when in self.due_dates.items() if earlier.get(stem) != when)
            if moved and plan.replace_only:
                raise ValueError(f"due: --due moves {', '.join(moved)}'s due date for the whole class, while --student "
                                 f"regrades one learner; to move one learner's due date, give an extension "
                                 f"(--extensions FILE, a CSV of student, notebook, due)")
        if self.prediction_table == "on":  # the salt of the pseudonyms: the class's, kept once chosen
            self.prediction_salt = previous.settings.get(PREDICTION_TABLE) or getattr(plan, "class_sha256", "") \
                or class_identity(everyone)
        if self.late_rule and self.late_rule.lower() not in NO_RULE and not (self.due_dates or
                                                                             previous.settings.get("due")):
            notes.append("late rule: no due date is set (--due), so no work is late yet")
        if self.sheets:
            rubrics = {stem: rubric for stem, rubric in plan.rubrics.items()}
            if not rubrics:
                raise ValueError("merge-rubric: the tests folder has no rubric (rubric_<notebook>.toml)")
            for sheet in self.sheets:
                try:
                    merged = merge_marks(sheet, rubrics, everyone)
                except RubricError as exc:
                    raise ValueError(f"merge-rubric: {exc}") from None
                self.marks += merged.rows
                if merged.unmarked:
                    notes.append(f"merge-rubric: {len(merged.unmarked)} question(s) in {sheet.source} have no "
                                 f"points yet and stay unmarked")
        if self.overrides is not None:
            try:
                self.parsed_overrides = parse_overrides(self.overrides, _expected_rows(plan, previous, labels))
            except OverrideError as exc:
                raise ValueError(f"overrides: {exc}") from None
        for export in self.exports:
            if export.kind != "gradescope" and not (plan.stems or previous.rows or self.marks):
                raise ValueError(f"export {export.kind}: the gradebook has no results yet and this run grades no "
                                 f"tests (grade a notebook first, or merge a marking sheet)")
            _check_export(export, everyone, available, plan)
        return notes

    # ------------------------------------------------------------------ after grading

    def apply(self, ledger: Ledger) -> Ledger:
        """The merged record with these marks, overrides, due dates, late rule and class table added."""
        from ..course.overrides import apply_overrides
        from ..course.rubric import replace_marks

        rows = replace_marks(ledger.rows, self.marks) if self.marks else list(ledger.rows)
        if self.parsed_overrides is not None:
            present = {(row["student"], row["notebook"], row["exercise"]) for row in rows}
            rows = apply_overrides(rows, [item for item in self.parsed_overrides
                                          if (item.student, item.notebook, item.exercise) in present])
        settings = {**ledger.settings, "due": {**ledger.settings.get("due", {}), **self.due_dates},
                    "late_rule": ledger.settings.get("late_rule")}
        if self.extension_dates is not None:  # the file is the whole list
            settings[EXTENSIONS] = self.extension_dates or None
        if self.late_rule is not None:
            settings["late_rule"] = None if self.late_rule.lower() in NO_RULE else self.late_rule
        if self.prediction_table == "off":
            settings.pop(PREDICTION_TABLE, None)
        elif self.prediction_table == "on":
            settings[PREDICTION_TABLE] = self.prediction_salt
        return Ledger(rows, ledger.answers, ledger.students, ledger.run, settings)


def read_extensions(path: str | os.PathLike) -> Table:
    """An extensions file: a CSV of ``student, notebook, due`` (ISO 8601, as ``--due``).

    Raises
    ------
    ValueError
        A file that cannot be read, without those columns, or with a due date that cannot be
        read (named with its line).
    """
    from ..course.csvio import read_table
    from ..course.lateness import parse_time

    try:
        table = read_table(path, required=("student", "notebook", "due"))
    except ValueError as exc:
        raise ValueError(f"extensions: {exc}") from None
    problems = []
    for row in table.rows:
        try:
            parse_time(row["due"])
        except ValueError as exc:
            problems.append(f"line {row['_line']}: {exc}")
    if problems:
        raise ValueError(f"extensions: {table.source}: " + "; ".join(problems))
    return table


def check_extensions(table: Table, students: Sequence[str], notebooks: Sequence[str]) -> dict[str, dict[str, str]]:
    """``{student: {notebook: due}}`` from an extensions file, checked against the class.

    Raises
    ------
    ValueError
        Every unknown learner or notebook, and a learner given two dates for one notebook,
        each with its line.
    """
    from ..course.lateness import parse_time

    problems, dates, seen = [], {}, {}
    for row in table.rows:
        student, stem, line = row["student"], row["notebook"], row["_line"]
        if student not in students:
            problems.append(f"line {line}: no learner {student!r} in this class")
        elif stem not in notebooks:
            problems.append(f"line {line}: no notebook {stem!r} (notebooks: {', '.join(notebooks)})")
        elif (student, stem) in seen:
            problems.append(f"line {line}: {student} / {stem} has an extension on line {seen[student, stem]} already")
        else:
            seen[student, stem] = line
            dates.setdefault(student, {})[stem] = parse_time(row["due"]).isoformat(timespec="minutes")
    if problems:
        raise ValueError(f"extensions: {table.source}: " + "; ".join(problems))
    return dates


def _expected_rows(plan: Any, previous: Ledger, labels: Sequence[str]) -> list[dict[str, Any]]:
    """The rows the gradebook will hold after this run, with zero points for what is about to
    be graded: enough to check an overrides file (students, exercises, maximum points)."""
    scope = set(labels) if plan.replace_only else None
    kept = [row for row in previous.rows if row.get("status") not in DERIVED_STATUSES | {"override"}
            and not ((scope is None or row["student"] in scope) and row["notebook"] in plan.stems)]
    fresh = [{"student": label, "notebook": stem, "exercise": test["exercise"], "test": test["test"],
              "status": "pending", "points": 0.0, "max_points": test["max_points"]}
             for label in labels for stem in plan.stems for test in plan.syllabus[stem]]
    return kept + fresh


def _gradescope(wheel: str | os.PathLike | None, notebooks: Sequence[str], roster: Any) -> Export:
    from ...course_root import find_course_root

    if wheel is None:
        raise ValueError("export: the Gradescope bundle installs the course from its wheel; give it with --wheel "
                         "(build one with `python -m build --wheel`)")
    wheel = Path(wheel)
    if not (wheel.is_file() and wheel.suffix == ".whl"):
        raise ValueError(f"wheel: {wheel} is not a .whl file (build one with `python -m build --wheel`)")
    if not notebooks:
        raise ValueError("export: name the notebook(s) of the Gradescope assignment with --notebook STEM")
    return Export("gradescope", roster, (), wheel=wheel, notebooks=tuple(dict.fromkeys(notebooks)),
                  course_root=find_course_root().path)


def _check_export(export: Export, students: Sequence[str], available: Sequence[str], plan: Any) -> None:
    """Raise ValueError when ``export`` cannot be written for this class (before grading)."""
    from ..course.roster import RosterError

    if export.kind == "gradescope":
        untested = [stem for stem in export.notebooks if stem not in plan.tested]
        if untested:
            raise ValueError(f"export gradescope: {', '.join(untested)} has no tests to run on Gradescope "
                             f"(notebooks with tests: {', '.join(plan.tested)}; written answers are marked by hand)")
        return
    unknown = [a.notebook for a in export.assignments if a.notebook not in available]
    if unknown:
        raise ValueError(f"assignment: no notebook {', '.join(unknown)} (notebooks: {', '.join(available)})")
    missing = [student for student in students if export.roster.by_folder(student) is None]
    try:
        if missing:
            raise RosterError(f"{export.roster.source}: no roster entry for the folder(s) {', '.join(missing)}; "
                              f"add them (with their LMS identity) before exporting")
        if export.kind == "canvas":
            export.roster.require("canvas_id", "the Canvas export")
        else:
            export.roster.require(export.moodle_id, "the Moodle export")
    except RosterError as exc:
        raise ValueError(f"export {export.kind}: {exc}") from None
