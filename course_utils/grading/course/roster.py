"""The class list: which submission folder belongs to which student, and their LMS identities.

A roster is a CSV file with one row per student. Only ``folder`` is required: the name of the
student's folder under ``submissions/`` (it is also what seeds the student's hidden-test
inputs, so keep it stable for a term). The other columns are the identities each learning
system matches on; a column an import or export needs is checked when it is used:

==================  =========================================================================
``folder``          submission folder name (required, unique)
``name``            full name as people read it ("Ada Lovelace"); Moodle downloads match on it
``canvas_id``       Canvas's numeric user ID: the ``ID`` column of a Canvas gradebook export and
                    the number in Canvas's submission file names
``sis_user_id``     Canvas ``SIS User ID``
``sis_login_id``    Canvas ``SIS Login ID``
``section``         Canvas ``Section``
``email``           e-mail address (Moodle grade import, Gradescope)
``idnumber``        Moodle's user "ID number"
==================  =========================================================================

Headers are matched without regard to case, spaces or dashes. A Canvas gradebook export
(Grades, Export) is a roster as it is (checked against Canvas's ``lib/gradebook_exporter.rb``):
its headers (``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``) are understood,
the assignment and score columns ignored, and the rows that are not students skipped, each
with a note (``Roster.notes``): ``Points Possible``, the ``Manual Posting`` row of
assignments posted by hand, and Canvas's test student (``Student, Test``, whom "Student
View" adds). Without a ``folder`` column, each learner's folder is their SIS Login ID when
every learner has one, else their Canvas ID. Extra columns are ignored. A roster holds
personal data: keep it outside the course repository (see the instructors' privacy notes).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from .csvio import Table, TableError, parse_table, read_table

#: roster fields in the order they are written
FIELDS = ("folder", "name", "canvas_id", "sis_user_id", "sis_login_id", "section", "email", "idnumber")
#: other header spellings (normalised) accepted for each field, e.g. a Canvas gradebook export's
ALIASES = {"student": "name", "full_name": "name", "id": "canvas_id", "canvas_user_id": "canvas_id",
           "email_address": "email", "e_mail": "email", "id_number": "idnumber", "folder_name": "folder"}
#: fields whose values must be unique when given (two students cannot share them)
UNIQUE = ("folder", "canvas_id", "sis_user_id", "sis_login_id", "email", "idnumber")
_BAD_FOLDER = re.compile(r"[/\\\x00-\x1f\x7f]")
MAX_FOLDER_CHARS = 100


class RosterError(TableError):
    """The roster cannot be used; the message names the file, the line and the student."""


@dataclass(frozen=True)
class RosterEntry:
    """One student. Empty strings for identities the roster does not give."""

    folder: str
    name: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""
    idnumber: str = ""


def folder_problem(folder: str) -> str | None:
    """Why ``folder`` cannot name a submission folder, or None when it can."""
    if not folder:
        return "is empty"
    if folder in (".", "..") or folder.startswith("."):
        return "starts with '.' (grade skips hidden folders)"
    if _BAD_FOLDER.search(folder):
        return "contains a slash, a backslash or a control character"
    if len(folder) > MAX_FOLDER_CHARS:
        return f"is longer than {MAX_FOLDER_CHARS} characters"
    if folder != folder.strip():
        return "begins or ends with a space"
    return None


class Roster:
    """The students of a class, looked up by folder or by any identity.

    Build one with :func:`read_roster` or :func:`roster_from_table`.
    """

    def __init__(self, entries: Iterable[RosterEntry], source: str = "roster", notes: Iterable[str] = ()) -> None:
        self.entries: tuple[RosterEntry, ...] = tuple(entries)
        self.source = source
        self.notes = list(notes)  # what was read otherwise than as written (Canvas's own rows, derived folders)
        self._index: dict[str, dict[str, RosterEntry]] = {}
        for name in UNIQUE + ("name",):
            index: dict[str, RosterEntry] = {}
            for entry in self.entries:
                value = _key(name, getattr(entry, name))
                if value:
                    index.setdefault(value, entry)
            self._index[name] = index

    def __iter__(self) -> Iterator[RosterEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def folders(self) -> list[str]:
        return [entry.folder for entry in self.entries]

    def has(self, field_name: str) -> bool:
        """Whether any student has a value for ``field_name``."""
        return any(getattr(entry, field_name) for entry in self.entries)

    def lookup(self, field_name: str, value: str) -> RosterEntry | None:
        """The student whose ``field_name`` equals ``value`` (in Unicode NFC; e-mail without
        regard to case; names without regard to case and repeated spaces), or None."""
        return self._index[field_name].get(_key(field_name, value))

    def by_folder(self, folder: str) -> RosterEntry | None:
        return self.lookup("folder", folder)

    def require(self, field_name: str, purpose: str) -> None:
        """Raise :class:`RosterError` unless every student has ``field_name`` (for ``purpose``)."""
        lacking = [entry.folder for entry in self.entries if not getattr(entry, field_name)]
        if lacking:
            shown = ", ".join(lacking[:5]) + (f" and {len(lacking) - 5} more" if len(lacking) > 5 else "")
            raise RosterError(f"{self.source}: {purpose} needs the column {field_name} for every student; "
                              f"missing for {shown}")


def _key(field_name: str, value: str) -> str:
    value = unicodedata.normalize("NFC", value.strip())
    if field_name == "email":
        return value.lower()
    if field_name == "name":
        return " ".join(value.lower().split())
    return value


def roster_from_table(table: Table) -> Roster:
    """Validate a parsed roster table and build the :class:`Roster`.

    Raises
    ------
    RosterError
        No ``folder`` column; an empty or unusable folder name; two students sharing a folder,
        a Canvas ID, SIS ID, e-mail or ID number; a Canvas ID that is not a number. All
        problems are reported together, each with its line.
    """
    rows, notes = _students_only(table)
    derived = ""
    if "folder" not in table.columns:
        derived = _folder_column(table.columns, rows)
        if not derived:
            found = ", ".join(table.columns) or "none"
            raise RosterError(f"{table.source}: no column 'folder' (the submission folder of each student; "
                              f"found: {found})")
        notes.append(f"{table.source}: no folder column, so each learner's folder is their "
                     f"{'SIS Login ID' if derived == 'sis_login_id' else 'Canvas ID'}")
    problems: list[str] = []
    entries: list[RosterEntry] = []
    first_line: dict[tuple[str, str], int] = {}
    for row in rows:
        line = row["_line"]
        values = {name: row.get(name, "") for name in FIELDS}
        if derived:
            values["folder"] = values[derived]
        problem = folder_problem(values["folder"])
        if problem:
            problems.append(f"line {line}: folder {values['folder']!r} {problem}")
            continue
        if values["canvas_id"] and not values["canvas_id"].isdigit():
            problems.append(f"line {line}: canvas_id {values['canvas_id']!r} is not a number "
                            f"(Canvas's user ID, the ID column of its gradebook export)")
        for name in UNIQUE:
            key = _key(name, values[name])
            if not key:
                continue
            if (name, key) in first_line:
                problems.append(f"line {line}: {name} {values[name]!r} already belongs to the student "
                                f"on line {first_line[name, key]}")
            else:
                first_line[name, key] = line
        entries.append(RosterEntry(**values))
    if problems:
        raise RosterError(f"{table.source}: " + "; ".join(problems))
    if not entries:
        raise RosterError(f"{table.source}: has a header but no students")
    return Roster(entries, table.source, [*table.notes, *notes])


#: the name Canvas gives the test student that "Student View" adds to a course (as sorted, and as shown)
CANVAS_TEST_STUDENT = ("student, test", "test student")


def _students_only(table: Table) -> tuple[list[dict], list[str]]:
    """The rows of ``table`` that are students, and a note for each Canvas row that is not:
    ``Points Possible``, ``Manual Posting``, the test student."""
    rows, notes = [], []
    for row in table.rows:
        name = " ".join(str(row.get("name", "")).lower().split())
        cells = [str(value).strip() for key, value in row.items() if key != "_line"]
        if name == "points possible":
            notes.append(f"{table.source}: line {row['_line']}: Canvas's 'Points Possible' row, skipped")
        elif not row.get("name") and not row.get("canvas_id") and any(c.startswith("Manual Posting") for c in cells):
            notes.append(f"{table.source}: line {row['_line']}: Canvas's 'Manual Posting' row, skipped")
        elif name in CANVAS_TEST_STUDENT and "canvas_id" in table.columns:
            notes.append(f"{table.source}: line {row['_line']}: Canvas's test student ({row['name']}), skipped")
        else:
            rows.append(row)
    return rows, notes


def _folder_column(columns: Iterable[str], rows: list[dict]) -> str:
    """The column a Canvas gradebook export's folders come from: ``sis_login_id`` when every
    learner has one, else ``canvas_id``; empty when the table is not such an export."""
    columns = set(columns)
    if not {"name", "canvas_id"} <= columns:
        return ""
    if "sis_login_id" in columns and all(row.get("sis_login_id") for row in rows):
        return "sis_login_id"
    return "canvas_id"


def read_roster(path: str | Path) -> Roster:
    """Read and validate a roster CSV file (see the module docstring for its columns)."""
    try:
        return roster_from_table(read_table(path, aliases=ALIASES))
    except RosterError:
        raise
    except TableError as exc:
        raise RosterError(str(exc)) from None


def parse_roster(text: str, source: str = "roster") -> Roster:
    """A roster from CSV text (what :func:`read_roster` does after reading the file)."""
    try:
        return roster_from_table(parse_table(text, source, aliases=ALIASES))
    except RosterError:
        raise
    except TableError as exc:
        raise RosterError(str(exc)) from None


def compare_with_folders(roster: Roster, folders: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(unknown, absent)``: submission folders the roster does not list, and roster students
    with no folder. ``grade`` reports both and grades the folders it finds."""
    folders = list(folders)
    known = set(roster.folders)
    return sorted(set(folders) - known), [folder for folder in roster.folders if folder not in set(folders)]


def roster_fields(entry: RosterEntry) -> Mapping[str, str]:
    """An entry as a dict in :data:`FIELDS` order."""
    return {f.name: getattr(entry, f.name) for f in fields(entry)}
