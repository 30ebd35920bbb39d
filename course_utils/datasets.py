"""The course's own data: notable language models, and the scaling-lab sweep it ships.

``data/notable_models.csv`` was compiled by hand for this course from published papers and
model cards, with estimates from Epoch AI's "Notable AI Models" database (CC BY) where a
developer published no figure; ``data/SOURCES.md`` attributes every source. Each number
carries a status:

* ``official``: published by the developer (paper, technical report, model card);
* ``estimate``: somebody's estimate, and the ``source`` column says whose, e.g. "Epoch AI
  estimate (hardware)" or "6ND (course arithmetic)";
* ``unknown``: not published; the cell is empty.

Compute for mixture-of-experts models (``active_params`` set) is 6 × active parameters × D,
since only the active experts process each token.

``data/sweep_<preset>.csv`` files are produced by the scaling lab (``python -m course_utils
lab sweep``) in the one results schema of :mod:`course_utils.results`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
import math
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

import numpy as np

from course_utils.results import RunResult, read_results
from course_utils.trends import decimal_year

__all__ = ["ModelRecord", "notable_models", "notable_models_arrays", "estimated_by", "sweep_results",
           "data_file", "STATUSES", "NOTABLE_MODELS_FILE"]

NOTABLE_MODELS_FILE = "notable_models.csv"
STATUSES = ("official", "estimate", "unknown")
_COLUMNS = ("name", "organization", "date", "params", "active_params", "tokens", "flops",
            "params_status", "tokens_status", "flops_status", "source")


@dataclass(frozen=True)
class ModelRecord:
    """One notable language model. Unknown numbers are ``None``.

    Attributes
    ----------
    name, organization : str
    date : datetime.date
        Month of publication (the CSV gives ``YYYY-MM``; the day is set to the 1st).
    params : float or None
        Parameters, N (total parameters for mixture-of-experts models).
    active_params : float or None
        Parameters used per token, for mixture-of-experts models only.
    tokens : float or None
        Training tokens, D.
    flops : float or None
        Training compute, C.
    params_status, tokens_status, flops_status : str
        ``"official"``, ``"estimate"`` or ``"unknown"``.
    source : str
        Where each number comes from, and whose estimate it is.
    """

    name: str
    organization: str
    date: _dt.date
    params: float | None
    active_params: float | None
    tokens: float | None
    flops: float | None
    params_status: str
    tokens_status: str
    flops_status: str
    source: str

    @property
    def year(self) -> float:
        """Publication date as a decimal year."""
        return decimal_year(self.date)

    @property
    def tokens_per_param(self) -> float | None:
        """D / N (None when either is unknown)."""
        if self.tokens is None or self.params is None:
            return None
        return self.tokens / self.params


def data_file(name: str) -> Path:
    """Path of a file in the package's ``data/`` folder (it may not exist yet)."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        raise ValueError(f"name must be a plain file name in course_utils/data; got {name!r}")
    return Path(str(resources.files("course_utils").joinpath("data", name)))


def _number(text: str, status: str, column: str, where: str) -> float | None:
    if status not in STATUSES:
        raise ValueError(f"{where}: {column}_status is {status!r}, not one of {STATUSES}")
    if status == "unknown":
        if text.strip():
            raise ValueError(f"{where}: {column} is marked unknown but holds {text!r}")
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {column} holds {text!r}, not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{where}: {column} must be positive; got {text!r}")
    return value


def _parse(row: dict[str, str], where: str) -> ModelRecord:
    try:
        year, month = (int(part) for part in row["date"].split("-"))
        date = _dt.date(year, month, 1)
    except ValueError:
        raise ValueError(f"{where}: date {row['date']!r} is not YYYY-MM") from None
    active = row["active_params"].strip()
    if not row["source"].strip():
        raise ValueError(f"{where}: every row needs a source")
    return ModelRecord(
        name=row["name"], organization=row["organization"], date=date,
        params=_number(row["params"], row["params_status"], "params", where),
        active_params=_number(active, row["params_status"], "active_params", where) if active else None,
        tokens=_number(row["tokens"], row["tokens_status"], "tokens", where),
        flops=_number(row["flops"], row["flops_status"], "flops", where),
        params_status=row["params_status"], tokens_status=row["tokens_status"],
        flops_status=row["flops_status"], source=row["source"],
    )


@functools.lru_cache(maxsize=None)
def _load_notable_models() -> tuple[ModelRecord, ...]:
    path = data_file(NOTABLE_MODELS_FILE)
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise ValueError(f"{path}: columns {reader.fieldnames} are not {list(_COLUMNS)}")
    return tuple(_parse(row, f"{path.name}:{i + 2}") for i, row in enumerate(reader))


def notable_models() -> list[ModelRecord]:
    """The notable language models shipped with the course, oldest first.

    Returns
    -------
    list of ModelRecord
        Frozen records; see :func:`notable_models_arrays` for NumPy columns.
    """
    return sorted(_load_notable_models(), key=lambda record: (record.date, record.name))


def notable_models_arrays(records: list[ModelRecord] | None = None) -> dict[str, np.ndarray]:
    """Columns of ``records`` (default: :func:`notable_models`) as NumPy arrays.

    Numbers are float arrays with NaN where unknown; ``year`` holds decimal years; text
    columns (``name``, ``organization``, the statuses, ``source``) are string arrays.
    """
    rows = notable_models() if records is None else list(records)
    columns: dict[str, np.ndarray] = {}
    for f in fields(ModelRecord):
        values = [getattr(r, f.name) for r in rows]
        if f.name in ("params", "active_params", "tokens", "flops"):
            columns[f.name] = np.array([np.nan if v is None else v for v in values], dtype=float)
        elif f.name == "date":
            columns["date"] = np.array(values, dtype="datetime64[D]")
        else:
            columns[f.name] = np.array(values, dtype=str)
    columns["year"] = np.array([r.year for r in rows], dtype=float)
    return columns


#: The letter each number has in a row's ``source`` column ("N, D: ...; C: ...").
_SOURCE_LETTER = {"params": "N", "tokens": "D", "flops": "C"}


def estimated_by(columns: dict[str, np.ndarray], quantity: str) -> np.ndarray:
    """Who gave each model's ``quantity`` ("params", "tokens" or "flops"), read off the table.

    ``"official"`` where the developer published it, ``"unknown"`` where nobody did, and
    for an estimate: ``"epoch"`` (Epoch AI's), ``"course"`` (the course's own arithmetic,
    6ND from published N and D) or ``"other"`` (anyone else's, e.g. Hoffmann et al.'s), from
    the clause of the ``source`` column that names the quantity ("C: Epoch AI estimate").
    """
    if quantity not in _SOURCE_LETTER:
        raise ValueError(f"quantity must be one of {sorted(_SOURCE_LETTER)}; got {quantity!r}")
    letter = _SOURCE_LETTER[quantity]
    found = []
    for status, source in zip(columns[f"{quantity}_status"], columns["source"]):
        if status != "estimate":
            found.append(str(status))
            continue
        clauses = [c.split(":", 1) for c in str(source).replace(". ", ".|").split("|") if ":" in c]
        clause = next((text for head, text in clauses if letter in head.replace(",", " ").split()), "")
        found.append("course" if "course arithmetic" in clause else "epoch" if "Epoch AI" in clause else "other")
    return np.array(found, dtype=str)


def sweep_results(preset: str = "course") -> list[RunResult]:
    """The scaling-lab sweep shipped with the course, ``data/sweep_<preset>.csv``.

    Raises
    ------
    FileNotFoundError
        If that file is not in the package (it is produced by ``python -m course_utils lab``).
    """
    if not isinstance(preset, str) or not preset.isidentifier():
        raise ValueError(f"preset must be a name such as 'course' or 'quick'; got {preset!r}")
    path = data_file(f"sweep_{preset}.csv")
    if not path.is_file():
        shipped = sorted(p.name for p in path.parent.glob("sweep_*.csv"))
        raise FileNotFoundError(
            f"{path} does not exist: the sweep results for preset {preset!r} are not in this "
            f"installation (shipped sweeps: {shipped or 'none'}). They are produced by the scaling "
            f"lab, 'python -m course_utils lab', and ship in course_utils/data/.")
    return read_results(path)
