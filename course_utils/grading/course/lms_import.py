"""Turn a learning system's "download all submissions" into one folder per student.

``grade`` wants ``submissions/<folder>/<notebook>.ipynb``; Canvas and Moodle hand out
something else. :func:`plan_canvas` and :func:`plan_moodle` read only file *names* and the
roster and say where each file goes (pure functions); :func:`import_submissions` reads a
download (a folder or the zip itself), applies the plan and records it in
``submissions/.lms_import.csv`` (a hidden file, which ``grade`` skips).

Canvas (checked against Canvas's own code, ``lib/content_zipper.rb`` in
github.com/instructure/canvas-lms, ``get_filename`` and ``add_upload_submission``): one flat
folder; each uploaded file is named ``<name>[_LATE]_<user id>_<attachment id>_<original
name>``, where ``<name>`` is the student's sortable name ("Lovelace, Ada") lower-cased with
every non-word character removed (``lovelaceada``), ``LATE`` appears when Canvas counts the
submission late, and ``<user id>`` is Canvas's numeric user ID (the ``ID`` column of its
gradebook). With anonymous grading the prefix is ``[LATE_]anon_<anonymous id>``. A file
uploaded under a name the student already used gets ``-1``, ``-2``... before its extension
(``Attachment.make_unique_filename``, app/models/attachment.rb), so ``ex02_power_laws-1.ipynb``
is this week's ``ex02_power_laws.ipynb``. Text and URL entries arrive as
``<prefix>_text.html`` / ``<prefix>_link.html`` and are not notebooks.

Moodle (checked against ``mod/assign/classes/downloader.php`` in github.com/moodle/moodle,
``get_student_prefix`` and ``load_submissionplugin_filelist``): with "Download submissions in
folders" (the default since Moodle 3.1) each participant gets a folder
``<Full Name>_<participant id>_assignsubmission_file`` (a trailing ``_`` in versions before
the 2022 rewrite); without it the files lie flat as
``<Full Name>_<participant id>_assignsubmission_file_<original name>``. The participant id is
per assignment (``assign_user_mapping``), not the user's ID, so students are matched by full
name, or, under blind marking ("Participant_<id>"), through the assignment's grading
worksheet CSV (its ``Identifier`` column reads "Participant <id>", beside ``Email address``).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

from .csvio import Table, csv_text, read_table
from .roster import Roster, RosterEntry

#: the hidden manifest ``import_submissions`` writes into the submissions folder
MANIFEST = ".lms_import.csv"
MANIFEST_COLUMNS = ("folder", "filename", "source", "lms", "late_marker", "file_time", "sha256")
#: files larger than this are not copied (a notebook is a few MB at most)
MAX_FILE_BYTES = 50 * 2**20

_CANVAS_ANON = re.compile(r"^(?:(?P<late>LATE)_)?anon_(?P<anon>[A-Za-z0-9]+)_(?P<attachment>\d+)_(?P<original>.+)$")
#: what follows the sortable name in a Canvas file name, read at one position
_CANVAS_TAIL = re.compile(r"(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<original>.+)$")
_CANVAS_TEXT = re.compile(r"^(?P<name>.*?)(?P<late>_LATE)?_(?P<user>\d+|anon_[A-Za-z0-9]+)_(?:text|link)\.html$")
#: Canvas's duplicate-name suffix: -N (N = 1..7) or, after seven tries, -<uuid>
_DUPLICATE = re.compile(r"^(?P<base>.+?)-(?P<n>\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
                        r"(?P<ext>(?:\.[A-Za-z][A-Za-z0-9]*)*\.[A-Za-z0-9]*)$")
_MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
#: not greedy: the first marker is Moodle's own; what follows it is the name the student uploaded
_MOODLE_FLAT = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<original>.+)$")
_MOODLE_MARKER = re.compile(r"_\d+_assignsubmission_[a-z]+(?:_|$)")


class LMSImportError(ValueError):
    """A download cannot be imported (nothing matched, a file would be overwritten...)."""


@dataclass(frozen=True)
class CanvasName:
    """What a Canvas submission file name says.

    ``original`` is the name the student uploaded, with Canvas's duplicate suffix removed;
    ``duplicate`` is that suffix's number (0 when there was none, 8 for a uuid suffix).
    """

    name: str
    late: bool
    user_id: str
    anonymous_id: str
    attachment_id: str
    original: str
    duplicate: int


def strip_duplicate_suffix(filename: str) -> tuple[str, int]:
    """``"ex02_power_laws-2.ipynb"`` -> ``("ex02_power_laws.ipynb", 2)``; unchanged names give 0.

    Canvas appends ``-N`` (N from 1 to 7, then a random uuid, scored 8 here) to a file whose
    name the student had already used (``Attachment.make_unique_filename``).
    """
    match = _DUPLICATE.match(filename)
    if not match:
        return filename, 0
    number = match.group("n")
    return match.group("base") + match.group("ext"), int(number) if number.isdigit() else 8


def parse_canvas_filename(filename: str) -> CanvasName | None:
    """Parse one file name of a Canvas "Download Submissions" zip, or None if it is not one
    (the first of :func:`canvas_readings` for a named file)."""
    match = _CANVAS_ANON.match(filename)
    if match:
        original, duplicate = strip_duplicate_suffix(match.group("original"))
        return CanvasName("", bool(match.group("late")), "", match.group("anon"), match.group("attachment"),
                          original, duplicate)
    readings = canvas_readings(filename)
    return readings[0] if readings else None


def canvas_readings(filename: str) -> list[CanvasName]:
    """Every way to read a named Canvas file name, first split first.

    Canvas writes the sortable name lower-cased with its non-word characters removed, so
    the name is word characters with no capital; but a word character may be a digit or an
    ``_``, and the student chose both their sortable name (where the institution lets them)
    and the name of their upload. ``lovelaceada_101_9001_x_102_5_ex02.ipynb`` therefore
    reads as user 101's upload ``x_102_5_ex02.ipynb`` and as user 102's ``ex02.ipynb``:
    :func:`plan_canvas` refuses a file whose readings name two students of the roster.
    """
    readings = []
    for position, char in enumerate(filename):
        if char != "_":
            continue
        name, match = filename[:position], _CANVAS_TAIL.match(filename, position)
        if match is None or not re.fullmatch(r"\w*", name) or name != name.lower():
            continue
        original, duplicate = strip_duplicate_suffix(match.group("original"))
        readings.append(CanvasName(name, bool(match.group("late")), match.group("user"), "",
                                   match.group("attachment"), original, duplicate))
    return readings


@dataclass(frozen=True)
class PlannedFile:
    """One file of a download and where it goes: ``<out>/<folder>/<filename>``."""

    source: str
    folder: str
    filename: str
    late_marker: bool = False


@dataclass
class ImportPlan:
    """Where every file of a download goes, and what could not be placed.

    Attributes
    ----------
    files
        Files to copy.
    unmatched
        Download entries that belong to no roster student (each with the reason).
    absent
        Roster folders with no file in this download.
    notes
        Everything else worth saying (renamed duplicates, text entries, zips).
    """

    lms: str
    files: list[PlannedFile] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _basename(name: str) -> str:
    """The file name of a download's entry, in Unicode NFC (a zip made on a Mac holds NFD)."""
    return unicodedata.normalize("NFC", PurePosixPath(name.replace("\\", "/")).name)


def _safe_filename(name: str) -> str:
    name = re.sub(r"[/\\\x00-\x1f\x7f]", "_", name).strip() or "unnamed"
    return "_" + name if name.startswith(".") else name


def _place(plan: ImportPlan, wanted: dict[str, list[tuple[int, str, bool]]], roster: Roster) -> None:
    """Resolve several files aiming at the same ``folder/filename``: the highest duplicate
    number (the latest upload) takes the name, the others keep their name in the download."""
    for key, candidates in sorted(wanted.items()):
        folder, filename = key.split("\0")
        candidates.sort()
        number, source, late = candidates[-1]
        plan.files.append(PlannedFile(source, folder, filename, late))
        for other_number, other, other_late in candidates[:-1]:
            kept = _safe_filename(_basename(other))
            plan.files.append(PlannedFile(other, folder, kept, other_late))
            plan.notes.append(f"{folder}: {len(candidates)} files named {filename}; graded "
                              f"{_basename(source)}, kept {kept} beside it")
    placed = {planned.folder for planned in plan.files}
    plan.absent = [entry.folder for entry in roster if entry.folder not in placed]


def plan_canvas(names: Iterable[str], roster: Roster) -> ImportPlan:
    """Plan a Canvas submissions download (file names as listed in the zip or folder).

    Students are matched by Canvas user ID (roster column ``canvas_id``). Anonymous downloads
    cannot be matched to a roster and are refused with a message saying so.
    """
    plan = ImportPlan("canvas")
    roster.require("canvas_id", "importing a Canvas download")
    wanted: dict[str, list[tuple[int, str, bool]]] = {}
    for source in names:
        base = _basename(source)
        if not base or base.startswith("."):
            continue
        parsed = parse_canvas_filename(base)
        if parsed is None:
            if _CANVAS_TEXT.match(base):
                plan.notes.append(f"{base}: a text or URL entry, not a notebook (not imported)")
            else:
                plan.unmatched.append(f"{base}: not a Canvas submission file name")
            continue
        if parsed.anonymous_id:
            plan.unmatched.append(f"{base}: an anonymous submission (anon_{parsed.anonymous_id}); "
                                  f"download again after Canvas reveals names")
            continue
        readings = {reading.user_id: reading for reading in reversed(canvas_readings(base))
                    if roster.lookup("canvas_id", reading.user_id) is not None}
        if len(readings) > 1:
            plan.notes.append(f"{base}: refused (not imported): its name reads as the upload of more than one "
                              f"student (Canvas users {' and '.join(sorted(readings))}); a name made so could stand "
                              f"for a classmate's upload. Ask the student to rename the file and upload it again")
            continue
        parsed = next(iter(readings.values()), parsed)
        entry = roster.lookup("canvas_id", parsed.user_id)
        if entry is None:
            plan.unmatched.append(f"{base}: Canvas user {parsed.user_id} ({parsed.name}) is not in the roster")
            continue
        filename = _safe_filename(parsed.original)
        if filename.lower().endswith(".zip"):
            plan.notes.append(f"{entry.folder}: submitted a zip ({filename}); unpack it in the student's folder")
        wanted.setdefault(f"{entry.folder}\0{filename}", []).append((parsed.duplicate, source, parsed.late))
    _place(plan, wanted, roster)
    return plan


def _worksheet_index(worksheet: Table | None, roster: Roster) -> dict[str, RosterEntry]:
    """Participant id -> roster student, from a Moodle grading worksheet (by e-mail, else name)."""
    index: dict[str, RosterEntry] = {}
    if worksheet is None:
        return index
    for row in worksheet.rows:
        match = re.search(r"(\d+)\s*$", row.get("identifier", ""))
        if not match:
            continue
        entry = None
        if row.get("email_address"):
            entry = roster.lookup("email", row["email_address"])
        if entry is None and row.get("full_name"):
            entry = roster.lookup("name", row["full_name"])
        if entry is not None:
            index[match.group(1)] = entry
    return index


def plan_moodle(names: Iterable[str], roster: Roster, worksheet: Table | None = None) -> ImportPlan:
    """Plan a Moodle assignment download (paths as listed in the zip or folder).

    Students are matched through the grading ``worksheet`` when given (participant id ->
    e-mail or full name), else by full name (roster column ``name``).
    """
    plan = ImportPlan("moodle")
    by_participant = _worksheet_index(worksheet, roster)
    if not by_participant:
        roster.require("name", "importing a Moodle download without its grading worksheet")
    wanted: dict[str, list[tuple[int, str, bool]]] = {}
    for source in names:
        parts = PurePosixPath(unicodedata.normalize("NFC", source).replace("\\", "/")).parts
        if not parts or any(part.startswith(".") for part in parts):
            continue
        folder_match = _MOODLE_FOLDER.match(parts[0]) if len(parts) > 1 else None
        flat_match = _MOODLE_FLAT.match(parts[0]) if len(parts) == 1 else None
        match = folder_match or flat_match
        if match is None:
            plan.unmatched.append(f"{source}: not a Moodle submission name (<Full Name>_<id>_assignsubmission_file)")
            continue
        if len(_MOODLE_MARKER.findall(parts[0])) > 1:
            plan.notes.append(f"{source}: refused (not imported): its name holds more than one Moodle submission "
                              f"marker (_<id>_assignsubmission_), so it could stand for another student's upload. "
                              f"Ask the student to rename the file and upload it again")
            continue
        if match.group("plugin") != "file":
            plan.notes.append(f"{source}: a {match.group('plugin')} entry, not a file (not imported)")
            continue
        participant, name = match.group("pid"), match.group("name")
        entry = by_participant.get(participant) or roster.lookup("name", name)
        if entry is None:
            why = ("not in the grading worksheet or the roster" if worksheet is not None
                   else "not in the roster (blind marking? pass the grading worksheet)")
            plan.unmatched.append(f"{source}: {name} (participant {participant}) {why}")
            continue
        original = match.group("original") if flat_match else parts[-1]
        original, duplicate = strip_duplicate_suffix(original) if original.endswith(".ipynb") else (original, 0)
        filename = _safe_filename(original)
        wanted.setdefault(f"{entry.folder}\0{filename}", []).append((duplicate, source, False))
    _place(plan, wanted, roster)
    return plan


# ---------------------------------------------------------------- applying a plan


@dataclass(frozen=True)
class _Entry:
    name: str
    size: int
    time: datetime | None
    read: Callable[[], bytes]


def _list_download(download: Path) -> dict[str, _Entry]:
    if download.is_dir():
        entries = {}
        for path in sorted(download.rglob("*")):
            if path.is_file() and not path.is_symlink():
                name = path.relative_to(download).as_posix()
                stat = path.stat()
                entries[name] = _Entry(name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, timezone.utc),
                                       path.read_bytes)
        return entries
    if zipfile.is_zipfile(download):
        archive = zipfile.ZipFile(download)
        entries = {}
        for info in archive.infolist():
            if info.is_dir():
                continue
            try:
                when = datetime(*info.date_time)  # zip times carry no zone: left naive on purpose
            except ValueError:
                when = None
            entries[info.filename] = _Entry(info.filename, info.file_size, when,
                                            lambda info=info: archive.read(info))
        return entries
    raise LMSImportError(f"{download}: neither a folder nor a zip file")


def _read_manifest(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [{name: row.get(name, "") for name in MANIFEST_COLUMNS} for row in read_table(path).rows]


def _folder_in(out: Path, folder: str) -> str:
    """The name of ``folder`` in ``out`` as the file system holds it: an existing folder whose
    name is ``folder`` in Unicode NFC (``rené`` unpacked from a macOS zip is decomposed, NFD),
    else ``folder`` itself."""
    if (out / folder).is_dir() or not out.is_dir():
        return folder
    wanted = unicodedata.normalize("NFC", folder)
    return next((entry.name for entry in sorted(os.scandir(out), key=lambda e: e.name)
                 if entry.is_dir(follow_symlinks=False) and unicodedata.normalize("NFC", entry.name) == wanted),
                folder)


def import_submissions(download: str | os.PathLike, out: str | os.PathLike, roster: Roster, lms: str, *,
                       worksheet: Table | None = None, overwrite: bool = False) -> ImportPlan:
    """Copy a Canvas or Moodle download into ``out/<folder>/`` through the roster.

    Parameters
    ----------
    download
        The unpacked download folder or the zip file itself.
    out
        The submissions folder ``grade`` reads (created if needed; other weeks' files stay).
    lms
        ``"canvas"`` or ``"moodle"``.
    worksheet
        Moodle only: the assignment's grading worksheet (needed under blind marking).
    overwrite
        Replace a file that already exists with different content. Without it such a file
        is an error and nothing is written.

    Returns
    -------
    ImportPlan
        The plan that was applied. ``out/.lms_import.csv`` records, per file, its source,
        Canvas's LATE marker, the time the download recorded for it (a folder's file time, or a
        zip entry's local time, which carries no time zone) and the SHA-256 of its content, by
        which ``grade`` finds the record again after the file is renamed or copied.

    Raises
    ------
    LMSImportError
        Not a folder or zip; no file matched the roster; files that would be overwritten.
    """
    download, out = Path(download), Path(out)
    if lms not in ("canvas", "moodle"):
        raise LMSImportError(f"lms must be 'canvas' or 'moodle', got {lms!r}")
    entries = _list_download(download)
    plan = plan_canvas(entries, roster) if lms == "canvas" else plan_moodle(entries, roster, worksheet)
    if not plan.files:
        reasons = "; ".join(plan.unmatched[:3]) or "the download holds no files"
        raise LMSImportError(f"{download}: no file matched a student of the roster ({reasons})")
    payloads: dict[PlannedFile, bytes] = {}
    clashes = []
    plan.files = [replace(planned, folder=_folder_in(out, planned.folder)) for planned in plan.files]
    for planned in plan.files:
        entry = entries[planned.source]
        if entry.size > MAX_FILE_BYTES:
            plan.notes.append(f"{planned.folder}: {planned.filename} is {entry.size / 2**20:.0f} MB; not copied")
            continue
        data = entry.read()
        target = out / planned.folder / planned.filename
        if target.is_file() and not overwrite:
            if hashlib.sha256(target.read_bytes()).digest() != hashlib.sha256(data).digest():
                clashes.append(str(target))
                continue
        payloads[planned] = data
    if clashes:
        raise LMSImportError(f"{len(clashes)} file(s) already exist with other content (pass overwrite to "
                           f"replace them): {', '.join(clashes[:5])}")
    manifest = {(row["folder"], row["filename"]): row for row in _read_manifest(out / MANIFEST)}
    for planned, data in payloads.items():
        target = out / planned.folder / planned.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        when = entries[planned.source].time
        manifest[planned.folder, planned.filename] = {
            "folder": planned.folder, "filename": planned.filename, "source": planned.source, "lms": lms,
            "late_marker": "yes" if planned.late_marker else "no",
            "file_time": when.isoformat(timespec="seconds") if when else "",
            "sha256": hashlib.sha256(data).hexdigest()}
    text = csv_text(MANIFEST_COLUMNS, ([row[name] for name in MANIFEST_COLUMNS]
                                       for _, row in sorted(manifest.items())))
    tmp = out / f"{MANIFEST}.tmp"
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, out / MANIFEST)
    return plan


def read_manifest(submissions: str | os.PathLike) -> list[dict]:
    """The rows of ``submissions/.lms_import.csv`` (empty when nothing was imported)."""
    return _read_manifest(Path(submissions) / MANIFEST)

