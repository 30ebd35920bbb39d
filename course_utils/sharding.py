"""Shards: split a deterministic list of work items into N parts, the K-th run by one job.

A cluster runs the same command N times, once per shard, and tells each copy which one
it is. ``--shard K/N`` (K from 1 to N) names the shard explicitly; ``--shard auto`` reads
it from the engine that started the job:

* a Slurm job array (``sbatch --array=1-N``, or any contiguous range): K =
  ``SLURM_ARRAY_TASK_ID`` − ``SLURM_ARRAY_TASK_MIN`` + 1 (divided by
  ``SLURM_ARRAY_TASK_STEP`` when the range has a step), N = ``SLURM_ARRAY_TASK_COUNT``
  (Slurm, "Job Array Support", https://slurm.schedmd.com/job_array.html);
* a Kubernetes Indexed Job (``completionMode: Indexed``): K = ``JOB_COMPLETION_INDEX`` + 1,
  which Kubernetes sets from 0 to ``completions`` − 1; Kubernetes sets no count, so N comes
  from ``COURSE_SHARD_COUNT``, which the manifest must set equal to ``completions``
  (Kubernetes, "Indexed Job for Parallel Processing with Static Work Assignment").

Two ways to split, both the same on every machine and in every retry:

* :meth:`Shard.owns` by key: an item belongs to shard 1 + (first 8 bytes of SHA-256 of
  its key) mod N, so a new item never moves the others (grading students by folder name);
* :meth:`Shard.select_balanced` by cost: items are dealt longest first to the least-loaded
  shard, so N shards finish at about the same time (lab sweeps, whose runs differ in cost
  by a factor of a hundred).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import Mapping, Sequence, TypeVar

__all__ = ["Shard", "ShardError", "parse_shard", "shard_from_environment", "key_shard"]

T = TypeVar("T")

#: Kubernetes sets no shard count; the manifest passes it in this variable.
COUNT_VARIABLE = "COURSE_SHARD_COUNT"


class ShardError(ValueError):
    """A shard specification that cannot be used (the message says why and what to do)."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1 ≤ index ≤ count); ``str()`` gives ``"K/N"``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        for name in ("index", "count"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ShardError(f"shard {name} must be an integer; got {value!r}")
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise ShardError(f"a shard K/N needs 1 <= K <= N; got {self.index}/{self.count}")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, key: str) -> bool:
        """Whether the item named ``key`` belongs to this shard (see :func:`key_shard`)."""
        return key_shard(key, self.count) == self.index

    def select_balanced(self, items: Sequence[T], costs: Sequence[float]) -> list[T]:
        """This shard's part of ``items`` when they are dealt longest first to the least-loaded shard.

        Ties in cost keep the items' order and ties in load go to the lowest shard, so the
        split depends only on ``items`` and ``costs``. Returns the items in their original order.
        """
        if len(items) != len(costs):
            raise ValueError(f"items and costs must have the same length; got {len(items)} and {len(costs)}")
        loads = [0.0] * self.count
        mine: list[int] = []
        for position in sorted(range(len(items)), key=lambda i: -float(costs[i])):
            shard = loads.index(min(loads))
            loads[shard] += float(costs[position])
            if shard + 1 == self.index:
                mine.append(position)
        return [items[i] for i in sorted(mine)]


def key_shard(key: str, count: int) -> int:
    """1 + (first 8 bytes of SHA-256 of ``key``, big-endian) mod ``count``: stable everywhere."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ShardError(f"count must be a positive integer; got {count!r}")
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def _integer(environ: Mapping[str, str], name: str) -> int:
    text = environ.get(name, "").strip()
    if not re.fullmatch(r"-?\d+", text):
        raise ShardError(f"--shard auto: {name} must be an integer; got {text!r}")
    return int(text)


def shard_from_environment(environ: Mapping[str, str] | None = None) -> Shard:
    """The shard a Slurm array task or a Kubernetes Indexed Job pod is (see the module docstring)."""
    environ = os.environ if environ is None else environ
    if "SLURM_ARRAY_TASK_ID" in environ:
        missing = [v for v in ("SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT") if v not in environ]
        if missing:
            raise ShardError(f"--shard auto: SLURM_ARRAY_TASK_ID is set but {', '.join(missing)} is not; "
                             "run inside an 'sbatch --array' job or pass --shard K/N")
        task, low = _integer(environ, "SLURM_ARRAY_TASK_ID"), _integer(environ, "SLURM_ARRAY_TASK_MIN")
        count = _integer(environ, "SLURM_ARRAY_TASK_COUNT")
        step = _integer(environ, "SLURM_ARRAY_TASK_STEP") if environ.get("SLURM_ARRAY_TASK_STEP") else 1
        offset = task - low
        if step < 1 or offset < 0 or offset % step or offset // step >= count:
            raise ShardError(f"--shard auto: Slurm array task {task} (lowest {low}, step {step}, {count} tasks) "
                             "is not part of a contiguous range; submit with --array=1-N (or A-B[:S]), "
                             "or pass --shard K/N")
        return Shard(offset // step + 1, count)
    if "JOB_COMPLETION_INDEX" in environ:
        if COUNT_VARIABLE not in environ:
            raise ShardError(f"--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but "
                             f"{COUNT_VARIABLE} is not; set it in the manifest to the Job's 'completions'")
        index, count = _integer(environ, "JOB_COMPLETION_INDEX"), _integer(environ, COUNT_VARIABLE)
        if count < 1 or not 0 <= index < count:
            raise ShardError(f"--shard auto: JOB_COMPLETION_INDEX {index} is outside 0..{COUNT_VARIABLE}-1 "
                             f"(= {count - 1}); set {COUNT_VARIABLE} to the Job's 'completions'")
        return Shard(index + 1, count)
    raise ShardError("--shard auto needs a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, "
                     "SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with "
                     f"{COUNT_VARIABLE}); neither is set. Pass --shard K/N to choose a shard yourself")


def parse_shard(spec: str | None, environ: Mapping[str, str] | None = None) -> Shard | None:
    """``None`` for no sharding, ``"K/N"`` for shard K of N, ``"auto"`` for the engine's variables."""
    if spec is None:
        return None
    if not isinstance(spec, str):
        raise ShardError(f"--shard must be 'K/N' or 'auto'; got {spec!r}")
    text = spec.strip()
    if text == "auto":
        return shard_from_environment(environ)
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+)", text)
    if not match:
        raise ShardError(f"--shard must be 'K/N' (K from 1 to N, e.g. 2/8) or 'auto'; got {spec!r}")
    return Shard(int(match.group(1)), int(match.group(2)))
