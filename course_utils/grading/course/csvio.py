"""CSV files that instructors and spreadsheets exchange: read tolerantly, write safely.

Reading (:func:`read_table`, :func:`parse_table`) accepts what spreadsheets actually save:
UTF-8 with or without a byte-order mark, UTF-16 with a mark (Excel's "Unicode text"),
comma, semicolon or tab separators, blank lines, headers in any case and spacing; the
text is read in Unicode NFC, so ``rené`` typed on a Mac is ``rené`` typed elsewhere. It refuses
with a :class:`TableError` naming the file and the line: a missing column, two columns that
mean the same (both named), a row with more cells than the header, bytes that are not text.

Writing (:func:`csv_text`) makes every text cell safe to open in a spreadsheet: a cell that
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with an apostrophe,
so Excel, LibreOffice and Google Sheets show it as text instead of evaluating it as a formula
(OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection). Numbers are
written by :func:`format_points` and are never prefixed, so a spreadsheet still sums them.
Lines end in CRLF, as RFC 4180 (section 2) specifies. Reading undoes the apostrophe, so a
file written here reads back unchanged.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

#: first characters a spreadsheet treats as the start of a formula (OWASP CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class TableError(ValueError):
    """A CSV file an instructor supplied cannot be used; the message names file and line."""


@dataclass
class Table:
    """The rows of a CSV file: each a dict keyed by normalised column name.

    Attributes
    ----------
    columns
        Normalised column names in file order (see :func:`normalise_header`).
    rows
        One dict per data row; ``row["_line"]`` is its line number in the file (1-based).
    notes
        What was tolerated (an encoding guessed, a separator that was not a comma).
    """

    source: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def normalise_header(name: str) -> str:
    """``" SIS Login-ID "`` -> ``"sis_login_id"``: lower case, runs of spaces/dashes -> ``_``."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower()).strip("_")


def decode_text(data: bytes, source: str) -> tuple[str, list[str]]:
    """Decode a spreadsheet's bytes: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252.

    Returns the text and notes on what was assumed. Raises :class:`TableError` for data that
    is none of these (a binary file, a zip, a UTF-16 file without its mark).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise TableError(f"{source}: starts like UTF-16 text but is not valid UTF-16") from None
    if b"\x00" in data:
        raise TableError(f"{source}: is not a text file (it contains NUL bytes; is it a spreadsheet "
                         f".xlsx or a zip? save it as CSV)")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise TableError(f"{source}: is neither UTF-8 nor Windows-1252 text; save it as 'CSV UTF-8'") from None
    return text, [f"{source}: not UTF-8; read as Windows-1252 (save it as 'CSV UTF-8' to be sure "
                  f"names with accents survive)"]


def _separator(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else ","


def parse_table(text: str, source: str, *, required: Iterable[str] = (),
                aliases: Mapping[str, str] | None = None) -> Table:
    """Parse CSV ``text`` into a :class:`Table`.

    Parameters
    ----------
    text
        The file's text (see :func:`decode_text`).
    source
        Names the file in error messages.
    required
        Normalised column names that must be present.
    aliases
        Other header spellings mapped to a normalised name (``{"student_id": "canvas_id"}``).

    Raises
    ------
    TableError
        Empty file, a duplicated or missing column, a row with more cells than the header.
    """
    aliases = dict(aliases or {})
    text = unicodedata.normalize("NFC", text)  # names typed on a Mac (NFD) match names typed elsewhere
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise TableError(f"{source}: is empty (expected a header row)")
    sep = _separator(first)
    notes = [] if sep == "," else [f"{source}: columns separated by {'a tab' if sep == chr(9) else repr(sep)}"]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header: list[str] | None = None
    table: Table | None = None
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [aliases.get(normalise_header(cell), normalise_header(cell)) for cell in row]
                named = [name for name in header if name]
                duplicated = sorted({name for name in named if named.count(name) > 1})
                if duplicated:
                    clashes = "; ".join(" and ".join(repr(cell.strip()) for cell, as_name in zip(row, header)
                                                     if as_name == name) + f" both mean {name!r}"
                                        for name in duplicated)
                    raise TableError(f"{source}: line {line}: columns {clashes}; keep one of each")
                missing = [name for name in required if name not in header]
                if missing:
                    found = ", ".join(name for name in header if name) or "none"
                    raise TableError(f"{source}: line {line}: missing column {', '.join(missing)} "
                                     f"(found: {found})")
                table = Table(source, [name for name in header if name], notes=notes)
                continue
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
                raise TableError(f"{source}: line {line}: {len(row)} cells but the header names "
                                 f"{len(header)} columns (a separator inside an unquoted cell?)")
            values = {name: unescape_cell(row[i].strip() if i < len(row) else "")
                      for i, name in enumerate(header) if name}
            values["_line"] = line
            table.rows.append(values)
    except csv.Error as exc:
        raise TableError(f"{source}: line {reader.line_num}: not valid CSV ({exc})") from None
    return table


def read_table(path: str | Path, *, required: Iterable[str] = (),
               aliases: Mapping[str, str] | None = None) -> Table:
    """Read and parse a CSV file (see :func:`parse_table`); errors name the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TableError(f"{path}: no such file") from None
    except OSError as exc:
        raise TableError(f"{path}: cannot be read ({exc.strerror})") from None
    text, notes = decode_text(data, str(path))
    table = parse_table(text, str(path), required=required, aliases=aliases)
    table.notes = notes + table.notes
    return table


def format_points(value: float) -> str:
    """Points as a plain decimal with at most two places: ``7.5``, ``8``, ``0.33``.

    Never scientific notation, never ``-0``; the decimal separator is a dot.

    Raises
    ------
    ValueError
        For NaN or an infinity (a gradebook never holds one).
    """
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"points must be a finite number, got {value}")
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def safe_cell(value: Any) -> str:
    """One cell as text a spreadsheet will not execute.

    Numbers go through :func:`format_points`; ``None`` is empty; text that starts like a
    formula (:data:`FORMULA_STARTS`) gets a leading apostrophe.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return format_points(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unescape_cell(text: str) -> str:
    """Undo :func:`safe_cell`'s apostrophe: ``"'=x"`` -> ``"=x"``, so files written here read back
    unchanged. Other text is returned as it is."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document: ``header`` then ``rows``, every cell through :func:`safe_cell`, CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def parse_number(text: str, what: str) -> float:
    """A number a person typed: ``7``, ``7.5``, ``7,5`` (decimal comma), ``7`` between spaces.

    Raises
    ------
    ValueError
        With ``what`` (e.g. ``"line 4: points"``) for anything else, NaN and infinities included.
    """
    cleaned = text.strip().replace(" ", "")
    if re.fullmatch(r"-?\d+,\d+", cleaned):
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{what}: {text!r} is not a finite number")
    return value
