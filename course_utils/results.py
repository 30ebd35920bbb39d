"""The one results schema for training runs, shared by the lab, the lessons and the tests.

A results file is a CSV with the columns of :class:`RunResult`, one finished run per row.
Rows are appended (and flushed to disk) one at a time, so an interrupted sweep keeps every
run that finished and can resume by skipping the run ids already present. One writer at a
time: :func:`lock_results` holds an exclusive lock on the file while a sweep writes it, and
:func:`merge_results` joins the files of sweeps run in parts (shards), by run id.

Model size is recorded twice, because the choice matters (Kaplan et al. 2020 count
non-embedding parameters; Hoffmann et al. 2022 count all of them), and so is compute:
``flops_6nd`` is Kaplan's C = 6·N·D with N the non-embedding parameters, and
``flops_counted`` counts every matrix multiply of the forward and backward pass,
attention scores and output logits included.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np


@dataclass(frozen=True)
class RunResult:
    """One finished training run.

    Attributes
    ----------
    run_id : str
        Unique key of the configuration (model shape, token budget, seed, corpus).
    corpus : str
        ``"synthetic"`` or ``"pydoc"`` (character-level English text).
    n_layer, d_model, n_head, n_ctx, vocab_size : int
        The model's shape.
    params_total : int
        Every trainable parameter, embeddings included (Hoffmann et al.'s N).
    params_non_embedding : int
        Parameters excluding token and position embeddings (Kaplan et al.'s N, §2.1).
    tokens : int
        Training tokens processed, D.
    flops_6nd : float
        6 · params_non_embedding · tokens (Kaplan et al. 2020, §2.1).
    flops_counted : float
        Forward-and-backward FLOPs counted layer by layer with attention and logits
        (3 × the forward count of Kaplan et al. 2020, Table 1).
    loss : float
        Mean validation cross-entropy, nats per token.
    train_loss : float
        Mean training loss over the last steps, nats per token.
    oracle_loss : float
        The data source's own NLL of the same validation tokens (NaN for real text).
    seed : int
        Random seed of initialisation and data order.
    seconds : float
        Wall-clock training time.
    data_hash : str
        Hash of the training text (real text changes between Python versions).
    """

    run_id: str
    corpus: str
    n_layer: int
    d_model: int
    n_head: int
    n_ctx: int
    vocab_size: int
    params_total: int
    params_non_embedding: int
    tokens: int
    flops_6nd: float
    flops_counted: float
    loss: float
    train_loss: float
    oracle_loss: float
    seed: int
    seconds: float
    data_hash: str = ""


FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RunResult))
_TYPES = {f.name: f.type for f in dataclasses.fields(RunResult)}
_CASTS = {"int": int, "float": float, "str": str}


def _parse_row(row: dict[str, str], where: str) -> RunResult:
    missing = [name for name in FIELDS if name not in row]
    if missing:
        raise ValueError(f"{where}: results row lacks column(s) {missing}")
    values = {}
    for name in FIELDS:
        cast = _CASTS[str(_TYPES[name]).replace("builtins.", "")]
        try:
            values[name] = cast(row[name]) if cast is not int else int(float(row[name]))
        except ValueError:
            raise ValueError(f"{where}: column {name!r} holds {row[name]!r}, not a {cast.__name__}") from None
    return RunResult(**values)


def read_results(path: str | os.PathLike) -> list[RunResult]:
    """Read a results CSV. A final line cut short by a crash is ignored, not fatal."""
    path = Path(path)
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines = lines[:-1]  # a row half-written when the process died
    reader = csv.DictReader(io.StringIO("".join(lines)))
    if reader.fieldnames is not None and tuple(reader.fieldnames) != FIELDS:
        raise ValueError(f"{path}: header {reader.fieldnames} does not match the results schema {list(FIELDS)}")
    return [_parse_row(row, f"{path}:{i + 2}") for i, row in enumerate(reader)]


def append_result(path: str | os.PathLike, result: RunResult) -> None:
    """Append one run to ``path`` (writing the header first if the file is new) and fsync."""
    path = Path(path)
    new = not path.exists() or path.stat().st_size == 0
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    if new:
        writer.writeheader()
    writer.writerow(dataclasses.asdict(result))
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
        handle.flush()
        os.fsync(handle.fileno())


def write_results(path: str | os.PathLike, results: Iterable[RunResult]) -> None:
    """Write a whole results file atomically (temporary file, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    for result in results:
        append_result(tmp, result)
    if not tmp.exists():
        tmp.write_text(",".join(FIELDS) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def as_arrays(results: Iterable[RunResult]) -> dict[str, np.ndarray]:
    """Columns of ``results`` as NumPy arrays, keyed by field name."""
    rows = list(results)
    return {name: np.array([getattr(r, name) for r in rows]) for name in FIELDS}


#: Columns that identify a configuration: runs equal on all of them differ only in seed.
CONFIGURATION = ("corpus", "data_hash", "n_layer", "d_model", "n_head", "n_ctx", "vocab_size", "tokens")


def mean_over_seeds(results: Iterable[RunResult]) -> dict[str, np.ndarray]:
    """One row per configuration: numeric columns averaged over its seeds.

    Configurations are the distinct values of :data:`CONFIGURATION`, in order of
    (parameters, tokens). Besides the averaged columns of :func:`as_arrays` (``seed``
    and ``seconds`` are dropped), ``n_seeds`` counts the runs behind each row and
    ``loss_sd`` is the standard deviation of their losses (0 for a single run).
    """
    rows = list(results)
    if not rows:
        raise ValueError("results is empty")
    groups: dict[tuple, list[RunResult]] = {}
    for r in rows:
        groups.setdefault(tuple(getattr(r, name) for name in CONFIGURATION), []).append(r)
    keys = sorted(groups, key=lambda k: (groups[k][0].params_non_embedding, groups[k][0].tokens, k))
    out: dict[str, np.ndarray] = {}
    for name in FIELDS:
        if name in ("seed", "seconds", "run_id"):
            continue
        values = [[getattr(r, name) for r in groups[k]] for k in keys]
        out[name] = np.array([v[0] if name in CONFIGURATION else np.mean(v) for v in values])
    losses = [np.array([r.loss for r in groups[k]]) for k in keys]
    out["n_seeds"] = np.array([len(v) for v in losses])
    out["loss_sd"] = np.array([v.std(ddof=1) if len(v) > 1 else 0.0 for v in losses])
    return out


# ------------------------------------------------------------------ one writer per file


class ResultsLocked(RuntimeError):
    """Another process holds the results file (the message says which, and since when)."""


def _owner_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.owner")


#: Where the Windows lock sits: 1 GiB, beyond any results file (a row is ~300 bytes).
_WINDOWS_LOCK_OFFSET = 2**30


def _try_lock(handle) -> bool:
    """Take a non-blocking exclusive lock on an open file; False when someone else holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: a mandatory region lock on one byte far past any results file's end,
        import msvcrt  # so that appends through other handles are never blocked by it

        try:
            handle.seek(_WINDOWS_LOCK_OFFSET)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def lock_results(path: str | os.PathLike, purpose: str = "a sweep") -> Iterator[Path]:
    """Hold an exclusive lock on the results file ``path`` (created if missing) while the block runs.

    The lock is the operating system's (``flock`` on POSIX, a region lock on Windows), so it
    is released whenever its holder exits, even after a crash or ``kill -9``. Who holds it
    (process id, host, start time, command) is written next to the file as
    ``.NAME.owner`` and removed on release, so a second writer can say whom it waits for.

    Raises
    ------
    ResultsLocked
        Another process holds the lock; nothing is written.
    """
    path = Path(path)
    with open(path, "a+", encoding="utf-8", newline="") as handle:
        if not _try_lock(handle):
            owner = _owner_path(path)
            try:
                info = json.loads(owner.read_text(encoding="utf-8"))
                holder = (f"process {info['pid']} on {info['host']} since {info['since']} "
                          f"({info['purpose']}: {info['command']})")
            except (OSError, ValueError, KeyError, TypeError):
                holder = "another process"
            raise ResultsLocked(f"{path} is being written by {holder}. Two writers would mix their rows: "
                                "wait for it to finish, stop it, or write to another file "
                                "(shards each write their own file; 'lab merge' joins them)")
        owner = _owner_path(path)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "purpose": purpose,
                "since": time.strftime("%Y-%m-%d %H:%M:%S"), "command": " ".join(sys.argv) or "python"}
        try:
            owner.write_text(json.dumps(info), encoding="utf-8")
        except OSError:
            pass  # the lock itself is what protects the file; the note is a courtesy
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                owner.unlink()


# ------------------------------------------------------------------ merging shards

#: Fields that may differ between two records of the same run: how long it took.
TIMING_FIELDS = ("seconds",)


def merge_results(sources: Iterable[Iterable[RunResult]]) -> list[RunResult]:
    """Join results by run id: one row per run, sorted by (parameters, tokens, seed, run id).

    A run that appears in several sources must agree in every field except its timing
    (:data:`TIMING_FIELDS`); the first record is kept.

    Raises
    ------
    ValueError
        Two records of one run disagree (say, a run retrained on another machine whose
        loss differs): the message names the run and the fields, and nothing is merged.
    """
    merged: dict[str, RunResult] = {}
    for source in sources:
        for result in source:
            first = merged.setdefault(result.run_id, result)
            if first is result:
                continue
            differ = [name for name in FIELDS if name not in TIMING_FIELDS
                      and getattr(first, name) != getattr(result, name)
                      and not (isinstance(getattr(first, name), float)
                               and np.isnan(getattr(first, name)) and np.isnan(getattr(result, name)))]
            if differ:
                detail = ", ".join(f"{name} {getattr(first, name)!r} vs {getattr(result, name)!r}" for name in differ)
                raise ValueError(f"run {result.run_id} appears twice with different results ({detail}); "
                                 "keep one of the files' rows, or retrain the run once, before merging")
    return sorted(merged.values(), key=lambda r: (r.params_non_embedding, r.tokens, r.seed, r.run_id))
