"""Sharded grading: ``grade --shard K/N`` grades one part of a class into a folder of its own,
``python -m course_utils merge-grades DIR SHARD_DIR...`` merges the parts into one gradebook.

A cluster engine runs the same ``grade`` command N times (a Slurm job array, a Kubernetes
Indexed Job, a CI matrix); ``--shard K/N`` (or ``auto``, see :mod:`course_utils.sharding`)
makes the K-th copy grade the students whose folder name it owns: shard 1 + (first 8 bytes
of SHA-256 of the folder name) mod N, so a re-run or a retry grades the same students.
Each shard's gradebook records, in ``manifest.json``, which shard it is and the class it
was cut from (the number of student folders and a SHA-256 of their names,
:func:`.discover.class_identity`).

:func:`merge_shards` reads every shard's record (:func:`.ledger.read_ledger`), checks that
the shards belong together, combines them (:meth:`.ledger.Ledger.merged`) and rebuilds every
output through the write stage of ``grade`` (:func:`.outputs.write_outputs`), so the merged
folder holds what one unsharded run would have written. It refuses, saying why and writing
nothing (``merge-grades`` exits 2):

* a folder that holds no finished shard: missing, empty, half-written (a write that was
  interrupted; :func:`.ledger.record_problem`), a whole-class or merged gradebook;
* shards of different splits (K/N with different N) or of different classes (or of
  submissions that changed between the shards' runs);
* shards graded against different tests (SHA-256 of the test modules), with different
  course versions, limits, notebooks or settings (due dates, late rule);
* shards graded at different isolation levels (a node without user namespaces), unless
  ``--accept-mixed-isolation``: the merged gradebook then records the weakest level and
  which shard had which;
* a student in two folders with different results (the same shard graded twice into two
  folders, say); the same results twice are merged once, with a note;
* a missing shard, named, with the command that grades it;
* a destination that holds something other than an earlier merge of the same class.

Merging again into the same folder (after retrying a shard) replaces every test result and
keeps what an instructor added there (marks, overrides: :meth:`.ledger.Ledger.merged`).
A destination that does not exist yet is written in a temporary folder beside it and
renamed into place: it appears whole or not at all.

What an instructor adds for the whole class (a roster, marking sheets, overrides, due
dates, a late rule, exports) is given to ``merge-grades`` (:class:`.instructions.Instructions`),
since each shard knows only its own students.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from ...sharding import Shard, ShardError
from ..course.ledger import (ANSWERS, ASSIGNED, EXTENSIONS, FORGOTTEN, MANIFEST, PREDICTION_TABLE, RESULTS, Ledger, read_ledger,
                             record_problem)
from ..sandbox.isolation import ISOLATION_LEVELS

MERGE_COMMAND = "python -m course_utils merge-grades"
GRADE_COMMAND = "python -m course_utils grade"
#: ``grade`` options that concern the whole class: given to merge-grades, not to a shard
WHOLE_CLASS_OPTIONS = (("roster", "--roster"), ("merge_rubric", "--merge-rubric"), ("overrides", "--overrides"),
                       ("export", "--export"), ("assignment", "--assignment"), ("wheel", "--wheel"))


# ------------------------------------------------------------------ grade --shard


def has_record(folder: Path) -> bool:
    """Whether ``folder`` holds a gradebook's record (or part of one)."""
    return any((folder / name).exists() for name in (RESULTS, ANSWERS, MANIFEST))


def check_shard_options(args: argparse.Namespace) -> None:
    """Raise ValueError when ``grade --shard`` is given an option that concerns the whole class."""
    given = [flag for name, flag in WHOLE_CLASS_OPTIONS if getattr(args, name, None)]
    if given:
        raise ValueError(f"shard: {', '.join(given)} concern(s) the whole class, and a shard knows only its own "
                         f"students: give {'it' if len(given) == 1 else 'them'} to merge-grades ({MERGE_COMMAND} DIR "
                         f"SHARD_DIR... {' '.join(given)} ...)")


def check_out_folder(out: Path, shard: Shard | None) -> None:
    """Raise ValueError when ``grade`` (``--shard`` or not) must not write into ``out``.

    A shard writes into an empty folder or one holding the same shard (a retry replaces
    its results); a whole-class run never writes into a shard's folder.
    """
    out = Path(out)
    if not out.is_dir() or not has_record(out):
        return
    run = read_ledger(out).run
    recorded = run.get("shard") if isinstance(run.get("shard"), dict) else None
    if shard is None:
        if recorded is not None:
            raise ValueError(f"out: {out} holds shard {_shard_text(recorded)} of a sharded run; grade the whole "
                             f"class into another folder, or merge the shards ({MERGE_COMMAND} DIR SHARD_DIR...)")
        return
    if recorded is None:
        what = "a merged gradebook" if run.get("merged") else "a gradebook of the whole class"
        raise ValueError(f"out: {out} holds {what}; give each shard an empty folder of its own "
                         f"(e.g. --out shards/{shard.index})")
    if (recorded.get("index"), recorded.get("count")) != (shard.index, shard.count):
        raise ValueError(f"out: {out} holds shard {_shard_text(recorded)}, not {shard}; give each shard a folder "
                         f"of its own (e.g. --out shards/{shard.index})")


def _shard_text(record: Mapping[str, Any]) -> str:
    return f"{record.get('index')}/{record.get('count')}"


# ------------------------------------------------------------------ reading shards


@dataclass
class ShardBook:
    """One shard's gradebook folder, read."""

    folder: Path
    ledger: Ledger
    shard: Shard
    record: dict[str, Any]  # the manifest's "shard"

    @property
    def name(self) -> str:
        return f"{self.shard} ({self.folder})"


def read_shard(folder: Path) -> ShardBook:
    """The shard gradebook in ``folder``; ValueError saying why it is not one (finished)."""
    folder = Path(folder)
    if not folder.exists():
        raise ValueError(f"{folder}: no such folder (a shard that has not run yet?)")
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder")
    if not (folder / MANIFEST).is_file():
        if has_record(folder):
            raise ValueError(f"{folder}: half-written: {record_problem(folder)}; grade this shard again")
        state = "empty" if not any(folder.iterdir()) else f"no {MANIFEST}"
        raise ValueError(f"{folder}: holds no gradebook ({state}: its grade run has not finished, or did not "
                         f"start); grade this shard again")
    problem = record_problem(folder)
    if problem:
        raise ValueError(f"{folder}: half-written: {problem}; grade this shard again")
    ledger = read_ledger(folder)
    record = ledger.run.get("shard")
    if not isinstance(record, dict):
        if ledger.run.get("merged"):
            raise ValueError(f"{folder}: a merged gradebook, not a shard (merge the shard folders it was merged from)")
        raise ValueError(f"{folder}: a gradebook of the whole class (graded without --shard), not a shard")
    try:
        shard = Shard(record.get("index"), record.get("count"))
    except ShardError as exc:
        raise ValueError(f"{folder}: its {MANIFEST} has no readable shard ({exc})") from None
    return ShardBook(folder, ledger, shard, record)


def _row_key(row: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in row.items() if k != "seconds"}, sort_keys=True)


def _results_of(ledger: Ledger, student: str) -> tuple[list[str], list[str]]:
    """A student's results and written answers, timings aside, to compare two copies."""
    rows = sorted(_row_key(row) for row in ledger.rows if row["student"] == student)
    answers = sorted(_row_key(row) for row in ledger.answers if row["student"] == student)
    return rows, answers


def _grouped(books: Sequence[ShardBook], value: Any) -> dict[str, list[str]]:
    """``{json of value(book): [shard names]}``."""
    groups: dict[str, list[str]] = {}
    for book in books:
        groups.setdefault(json.dumps(value(book), sort_keys=True), []).append(str(book.shard))
    return groups


def _disagreement(groups: Mapping[str, list[str]], describe: Any) -> str:
    return "; ".join(f"{', '.join(shards)}: {describe(json.loads(key))}" for key, shards in groups.items())


def _strength(level: Any) -> int:
    """0 for the strongest isolation level, larger for weaker ones (unknown: weakest)."""
    return ISOLATION_LEVELS.index(level) if level in ISOLATION_LEVELS else len(ISOLATION_LEVELS)


def _retry_folder(books: Sequence[ShardBook], missing: int) -> str:
    """Where a missing shard probably goes: the other folders' name with its number, else a placeholder."""
    guesses = set()
    for book in books:
        pattern = rf"(?<!\d){book.shard.index}(?!\d)"
        if len(re.findall(pattern, book.folder.name)) != 1:
            return "FOLDER"
        guesses.add(str(book.folder.with_name(re.sub(pattern, str(missing), book.folder.name))))
    return guesses.pop() if len(guesses) == 1 else "FOLDER"


def check_shards(books: Sequence[ShardBook], *, accept_mixed_isolation: bool = False) -> list[str]:
    """Every reason ``books`` cannot be merged (empty when they can). See the module docstring."""
    problems = []
    counts = _grouped(books, lambda b: b.shard.count)
    if len(counts) > 1:
        problems.append(f"the shards come from different splits ({_disagreement(counts, lambda n: f'N = {n}')}): "
                        f"merge the shards of one run, all K/N with the same N")
    classes = _grouped(books, lambda b: [b.record.get("class_students"), b.record.get("class_sha256")])
    if len(classes) > 1:
        problems.append(f"the shards were cut from different classes, or the submissions changed between their "
                        f"runs ({_disagreement(classes, lambda c: f'{c[0]} student folders, SHA-256 {str(c[1])[:12]}')})"
                        f": grade again the shards that saw other submissions, or merge the shards of one class")
    for key, what, shown in (("tests_sha256", "tests", lambda v: f"tests SHA-256 {str(v)[:12]}"),
                             ("course_version", "course versions", lambda v: f"version {v}")):
        groups = _grouped([b for b in books if key in b.ledger.run], lambda b, key=key: b.ledger.run[key])
        if len(groups) > 1:
            problems.append(f"the shards were graded with different {what} ({_disagreement(groups, shown)}): "
                            f"grade every shard again with the same course and tests")
    tests = _grouped(books, lambda b: sorted(b.ledger.run.get("tests", {})))
    if len(tests) > 1:
        problems.append(f"the shards graded different notebooks ({_disagreement(tests, ', '.join)}): grade the "
                        f"missing notebooks in those shards (grade ... --notebook STEM --shard K/N)")
    config = _grouped([b for b in books if "config" in b.ledger.run],
                      lambda b: {k: v for k, v in b.ledger.run["config"].items() if k != "sandbox"})
    if len(config) > 1:
        problems.append(f"the shards were graded with different limits ({_disagreement(config, _limits)}): grade "
                        f"them again with the same --timeout, --startup and --memory-mb")
    settings = _grouped(books, lambda b: {"due": b.ledger.settings.get("due", {}),
                                          "late_rule": b.ledger.settings.get("late_rule"),
                                          PREDICTION_TABLE: b.ledger.settings.get(PREDICTION_TABLE),
                                          EXTENSIONS: b.ledger.settings.get(EXTENSIONS)})
    if len(settings) > 1:
        problems.append(f"the shards' settings differ ({_disagreement(settings, _settings)}): give every shard the "
                        f"same --due, --extensions, --late-rule and --prediction-table (or give them to merge-grades "
                        f"instead)")
    levels = _grouped([b for b in books if isinstance(b.ledger.run.get("isolation"), dict)],
                      lambda b: b.ledger.run["isolation"].get("level"))
    if len(levels) > 1 and not accept_mixed_isolation:
        problems.append(f"the shards were graded at different isolation levels ({_disagreement(levels, str)}): "
                        f"learner code was isolated less on some nodes (user namespaces off? see "
                        f"docs/guides/scale.md); grade those shards again where namespaces work, or pass "
                        f"--accept-mixed-isolation to merge anyway (the gradebook then records the weakest level)")
    problems += _conflicts(books)
    if len(counts) == 1 and books:
        count = books[0].shard.count
        missing = sorted(set(range(1, count + 1)) - {b.shard.index for b in books})
        if missing:
            submissions = books[0].record.get("submissions") or "SUBMISSIONS"
            commands = "; ".join(f"{GRADE_COMMAND} {submissions} --out {_retry_folder(books, k)} --shard {k}/{count} "
                                 f"..." for k in missing[:3])
            plural = len(missing) > 1
            problems.append(f"shard{'s' if plural else ''} {', '.join(f'{k}/{count}' for k in missing)} "
                            f"{'are' if plural else 'is'} missing: grade {'them' if plural else 'it'} with the other "
                            f"shards' options ({commands}{'; ...' if len(missing) > 3 else ''}) and merge again")
    return problems


def _limits(config: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in sorted(config.items())
                     if k in ("timeout", "startup_seconds", "memory_mb")) or "default limits"


def _settings(settings: Mapping[str, Any]) -> str:
    due = ", ".join(f"{stem} due {when}" for stem, when in sorted(settings["due"].items())) or "no due date"
    table = "; a class table of predictions" if settings.get(PREDICTION_TABLE) else ""
    extended = settings.get(EXTENSIONS) or {}
    extensions = f"; extensions for {', '.join(sorted(extended))}" if extended else ""
    return f"{due}; late rule {settings['late_rule'] or 'none'}{extensions}{table}"


def _conflicts(books: Sequence[ShardBook]) -> list[str]:
    """A student in two folders with different results (the same results twice are fine)."""
    holders: dict[str, list[ShardBook]] = {}
    for book in books:
        for student in book.ledger.known_students:
            holders.setdefault(student, []).append(book)
    problems = []
    for student, found in holders.items():
        if len(found) < 2:
            continue
        first = _results_of(found[0].ledger, student)
        for other in found[1:]:
            if _results_of(other.ledger, student) != first:
                where = (f"shard {found[0].shard} is in two folders, {found[0].folder} and {other.folder}, "
                         if found[0].shard == other.shard else
                         f"shard {found[0].shard} ({found[0].folder}) and shard {other.shard} ({other.folder}) ")
                problems.append(f"{where}with different results for {student}: merge one of them (the other is "
                                f"an older run, or another class)")
                if len(problems) >= 5:
                    return problems + ["(further conflicts not listed)"]
                break
    return problems


# ------------------------------------------------------------------ merging


@dataclass
class Merged:
    """What :func:`merge_shards` did."""

    out: Path
    shards: list[ShardBook]
    students: int
    written: Any = None  # outputs.Written
    notes: list[str] = field(default_factory=list)
    remerged: bool = False


@dataclass
class _WholeClass:
    """What :meth:`.instructions.Instructions.check` reads of a plan, for the merged class
    (nothing is graded now, so no notebook is in the run's scope)."""

    students: list[str]
    submissions: str
    available: list[str]
    notebooks: list[str]
    rubrics: dict[str, Any]
    tested: list[str]
    replace_only: bool = False
    stems: list[str] = field(default_factory=list)
    syllabus: dict[str, Any] = field(default_factory=dict)
    class_sha256: str = ""  # the class the shards were cut from (the class table's salt)


def _destination(out: Path, books: Sequence[ShardBook]) -> Ledger | None:
    """The record to merge into: None for a new (or empty) folder, the earlier merge of the
    same class when ``out`` holds one. Raises ValueError for anything else."""
    resolved = out.resolve()
    for book in books:
        folder = book.folder.resolve()
        if resolved == folder or folder in resolved.parents:
            raise ValueError(f"{out} is (inside) the folder of shard {book.shard} ({book.folder}); merge into a "
                             f"folder of its own")
    if not out.exists():
        return None
    if not out.is_dir():
        raise ValueError(f"{out} is not a folder")
    if not has_record(out):
        if any(out.iterdir()):
            raise ValueError(f"{out} is not empty and holds no gradebook; merge into a new folder")
        return None
    problem = record_problem(out)
    if problem:
        raise ValueError(f"{out} holds a half-written gradebook ({problem}); merge into a new folder")
    earlier = read_ledger(out)
    merged = earlier.run.get("merged")
    if not isinstance(merged, dict):
        what = (f"shard {_shard_text(earlier.run['shard'])}" if isinstance(earlier.run.get("shard"), dict)
                else "a gradebook graded by grade")
        raise ValueError(f"{out} already holds {what} ({len(earlier.known_students)} students), not an earlier "
                         f"merge; merge into a new folder (nothing was changed)")
    if merged.get("class_sha256") != books[0].record.get("class_sha256"):
        raise ValueError(f"{out} holds the merge of another class ({merged.get('class_students')} student folders, "
                         f"not {books[0].record.get('class_students')}; or the submissions changed since): merge into "
                         f"a new folder (nothing was changed)")
    return earlier


def _combined(books: Sequence[ShardBook], notes: list[str]) -> tuple[Ledger, list[str]]:
    """Every shard's record in one (students taken once; their results were checked equal)."""
    rows, answers, students, taken = [], [], {}, set()
    run: dict[str, Any] = {}
    for book in books:
        mine = [s for s in book.ledger.known_students if s not in taken]
        skipped = len(book.ledger.known_students) - len(mine)
        if skipped:
            notes.append(f"{book.folder}: {skipped} student(s) already merged from another folder with the same "
                         f"results (shard {book.shard} given twice?), merged once")
        keep = set(mine)
        rows += [row for row in book.ledger.rows if row["student"] in keep]
        answers += [row for row in book.ledger.answers if row["student"] in keep]
        students.update({label: entry for label, entry in book.ledger.students.items() if label in keep})
        taken |= keep
        run = {**run, **book.ledger.run, "tests": {**run.get("tests", {}), **book.ledger.run.get("tests", {})},
               "order": {**run.get("order", {}), **book.ledger.run.get("order", {})}}
    return Ledger(rows, answers, students, run, {}), sorted(taken)


def _merged_run(run: dict[str, Any], books: Sequence[ShardBook], notes: list[str]) -> dict[str, Any]:
    """The merged gradebook's run record: the shards' (they agree), the latest time, the
    weakest isolation, and which shards it was merged from."""
    run = {key: value for key, value in run.items() if key != "shard"}
    times = [b.ledger.run["graded_at"] for b in books if b.ledger.run.get("graded_at")]
    if times:
        run["graded_at"] = max(times)
    isolated = [b for b in books if isinstance(b.ledger.run.get("isolation"), dict)]
    level_of = {b.shard: b.ledger.run["isolation"].get("level") for b in isolated}
    levels = sorted(set(level_of.values()), key=_strength)
    if len(levels) > 1:
        source = next(b for b in isolated if level_of[b.shard] == levels[-1])  # the weakest
        by_level = "; ".join(f"{level}: {', '.join(str(s) for s, found in level_of.items() if found == level)}"
                             for level in levels)
        note = (f"mixed isolation (merged with --accept-mixed-isolation): {by_level}. "
                f"{source.ledger.run['isolation'].get('note', '')}").strip()
        run["isolation"] = {**source.ledger.run["isolation"], "note": note}
        notes.append(note)
    first = books[0].record
    run["merged"] = {"count": books[0].shard.count, "class_students": first.get("class_students"),
                     "class_sha256": first.get("class_sha256"), "merged_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                     "shards": [{"shard": str(b.shard), "folder": str(b.folder), "students": len(b.ledger.known_students),
                                 "graded_at": b.ledger.run.get("graded_at"),
                                 "isolation": (b.ledger.run.get("isolation") or {}).get("level")} for b in books]}
    return run


def merge_shards(out: str | os.PathLike, folders: Sequence[str | os.PathLike], *,
                 tests_dir: str | os.PathLike | None = None, accept_mixed_isolation: bool = False,
                 instructions: Any = None) -> Merged:
    """Merge the shard gradebooks in ``folders`` into gradebook folder ``out`` (see the module docstring).

    ``instructions`` (:class:`.instructions.Instructions`) adds a roster, marks, overrides,
    due dates, a late rule and exports for the whole class.

    Raises
    ------
    ValueError
        Every reason the shards cannot be merged, or ``out`` cannot receive them; nothing
        is written then.
    """
    from ..stages.outputs import load_rubrics, settle, write_outputs

    out = Path(out)
    if not folders:
        raise ValueError("give the shard folders to merge: merge-grades DIR SHARD_DIR [SHARD_DIR ...]")
    notes: list[str] = []
    books, problems, seen = [], [], {}
    for folder in map(Path, folders):
        key = folder.resolve()
        if key in seen:
            notes.append(f"{folder} was given twice; merged once")
            continue
        seen[key] = folder
        try:
            books.append(read_shard(folder))
        except ValueError as exc:
            problems.append(str(exc))
    books.sort(key=lambda b: (b.shard.count, b.shard.index))
    problems += check_shards(books, accept_mixed_isolation=accept_mixed_isolation)
    if problems:
        raise ValueError("cannot merge (nothing was written):\n  - " + "\n  - ".join(problems))
    base = _destination(out, books)
    rubrics = load_rubrics(tests_dir)
    wanted = sorted(stem for b in books for stem, facts in b.ledger.run.get("tests", {}).items()
                    if isinstance(facts, dict) and facts.get("rubric"))
    lacking = sorted(set(wanted) - set(rubrics))
    if lacking:
        raise ValueError(f"the shards collected written answers with rubric_{lacking[0]}.toml, which the tests folder "
                         f"{tests_dir or 'tests/exercises'} lacks: pass the course's tests folder with --tests DIR")
    combined, students = _combined(books, notes)
    earlier = base or Ledger()
    merged = earlier.merged(combined, students=students)
    shard_settings = books[0].ledger.settings
    settings = {"due": {**earlier.settings.get("due", {}), **shard_settings.get("due", {})},
                "late_rule": shard_settings.get("late_rule") or earlier.settings.get("late_rule"),
                EXTENSIONS: shard_settings.get(EXTENSIONS) or earlier.settings.get(EXTENSIONS)}
    table = shard_settings.get(PREDICTION_TABLE) or earlier.settings.get(PREDICTION_TABLE)
    settings.update({PREDICTION_TABLE: table} if table else {})
    sets = [b.ledger.assigned for b in books if b.ledger.assigned is not None]
    if sets or earlier.assigned is not None:  # assignment mode: every notebook any shard (or the earlier merge) set
        forgotten = earlier.forgotten
        settings.update({ASSIGNED: sorted(set().union(*sets, earlier.assigned or ()) - set(forgotten)),
                         FORGOTTEN: forgotten or None})
        notes += [f"{stem} stays forgotten here (grade ... --out {out} --restore {stem} brings it back)"
                  for stem in forgotten]
    merged = Ledger(merged.rows, merged.answers, merged.students, _merged_run(merged.run, books, notes), settings)
    exports = ()
    if instructions is not None:
        plan = _WholeClass(students=merged.known_students,
                           submissions=str(books[0].record.get("submissions") or "the shards"),
                           available=sorted({*merged.run.get("tests", {}), *rubrics}),
                           notebooks=sorted(merged.run.get("tests", {})), rubrics=rubrics,
                           tested=sorted(stem for stem, facts in merged.run.get("tests", {}).items()
                                         if isinstance(facts, dict) and facts.get("public")),
                           class_sha256=str(books[0].record.get("class_sha256") or ""))
        notes += instructions.check(plan, merged)
        merged = instructions.apply(merged)
        exports = tuple(instructions.exports)
        rows = settle(merged)[0].rows
        for export in exports:
            if export.kind != "gradescope":
                try:
                    export.text(rows)
                except ValueError as exc:
                    raise ValueError(f"export {export.kind}: {exc} (nothing was written)") from None
    result = Merged(out, list(books), len(merged.known_students), notes=notes, remerged=base is not None)
    if base is not None:
        result.written = write_outputs(out, merged, rubrics=rubrics, exports=exports,
                                       cells_from=[book.folder for book in books])
        return result
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.merging-", dir=parent))
    try:
        written = write_outputs(staging, merged, rubrics=rubrics, exports=exports,
                                cells_from=[book.folder for book in books])
        os.replace(staging, out)  # a new or empty folder: the gradebook appears whole or not at all
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ValueError(f"cannot write {out} ({exc.strerror or exc}); nothing was written") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    written.files = [out / path.relative_to(staging) for path in written.files]
    written.exports = [out / path.relative_to(staging) for path in written.exports]
    result.written = written
    return result


# ------------------------------------------------------------------ the subcommand


def add_merge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="DIR",
                        help="the merged gradebook's folder: new, empty, or an earlier merge of the same class")
    parser.add_argument("shards", type=Path, nargs="+", metavar="SHARD_DIR",
                        help="the shards' gradebook folders (grade --shard K/N --out SHARD_DIR), every K of N")
    parser.add_argument("--accept-mixed-isolation", action="store_true",
                        help="merge shards graded at different isolation levels (recorded in manifest.json)")
    parser.add_argument("--tests", type=Path, default=None,
                        help="folder of the tests and rubrics (default: tests/exercises); for the answer pages")
    whole = parser.add_argument_group("for the whole class (as for grade)")
    whole.add_argument("--roster", type=Path, metavar="FILE", help="class roster CSV; needed by --export canvas|moodle")
    whole.add_argument("--merge-rubric", action="append", type=Path, metavar="FILE",
                       help="a filled marking sheet (marking_<notebook>.csv) (repeatable)")
    whole.add_argument("--overrides", type=Path, metavar="FILE",
                       help="CSV of student, exercise, points, reason (replaces earlier overrides)")
    whole.add_argument("--due", action="append", metavar="NOTEBOOK=TIME",
                       help="a notebook's due date, ISO 8601 (repeatable)")
    whole.add_argument("--extensions", type=Path, metavar="FILE",
                       help="CSV of student, notebook, due: one learner's own due date for one notebook")
    whole.add_argument("--late-rule", metavar="RULE", help="e.g. '10%%/day, grace 15min, max 50%%' ('none' removes it)")
    whole.add_argument("--prediction-table", choices=("on", "off"),
                       help="the pseudonymous class table of prediction errors (predictions.csv)")
    whole.add_argument("--export", action="append", choices=("canvas", "moodle", "gradescope"),
                       help="also write canvas.csv, moodle.csv or the Gradescope autograder zip (repeatable)")
    whole.add_argument("--assignment", action="append", metavar="NOTEBOOK=TITLE (ID)[/POINTS]",
                       help="a notebook's column in the Canvas or Moodle export (repeatable)")
    whole.add_argument("--moodle-id", choices=("email", "idnumber"), default="email")
    whole.add_argument("--wheel", type=Path, metavar="FILE", help="the course's wheel, for --export gradescope")
    whole.add_argument("--allow-partial", action="store_true",
                       help="export notebooks whose written answers are not all marked yet (else refused)")
    whole.add_argument("--notebook", action="append", metavar="STEM",
                       help="the notebook(s) of the Gradescope export")


def run_merge(args: argparse.Namespace) -> int:
    """``merge-grades``: 0 when merged, 2 when refused (nothing written) or an export failed."""
    from ..stages.instructions import Instructions

    bare = [option for option in args.due or () if "=" not in option]
    if bare:
        raise ValueError(f"due: merge-grades sets due dates per notebook: --due NOTEBOOK=TIME (got {bare[0]!r})")
    instructions = None
    if any((args.roster, args.merge_rubric, args.overrides, args.due, args.late_rule, args.export, args.assignment,
            args.wheel, args.prediction_table, args.extensions)):
        instructions = Instructions.read(roster=args.roster, merge_rubric=args.merge_rubric or (),
                                         overrides=args.overrides, due=args.due or (), late_rule=args.late_rule,
                                         export=args.export or (), assignment=args.assignment or (),
                                         moodle_id=args.moodle_id, wheel=args.wheel, notebooks=args.notebook or (),
                                         prediction_table=args.prediction_table, extensions=args.extensions,
                                         allow_partial=args.allow_partial)
    merged = merge_shards(args.out, args.shards, tests_dir=args.tests,
                          accept_mixed_isolation=args.accept_mixed_isolation, instructions=instructions)
    written = merged.written
    for line in [*merged.notes, *written.notes]:
        print(f"note: {line}")
    count = merged.shards[0].shard.count
    how = "merged again into" if merged.remerged else "merged into"
    print(f"{len(merged.shards)} shard(s) of {count}, {merged.students} student(s), {how} {merged.out}: "
          f"grades.csv, results.jsonl, feedback/, summary.csv, manifest.json and the rest rebuilt")
    if written.identical:
        from .gradebook_lines import identical_line

        print(identical_line(written.identical))
    if written.late:
        from .gradebook_lines import late_line

        print(late_line(written.late))
    for path in written.exports:
        print(f"export: wrote {path}")
    for line in written.export_errors:
        print(f"error: {line} (the gradebook in {merged.out} was written; fix this and run the export again)",
              file=sys.stderr)
    return 2 if written.export_errors else 0
