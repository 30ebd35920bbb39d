"""What ``grade`` and ``merge-grades`` print about the gradebook they wrote: one line each for
late.csv and identical.csv."""

from __future__ import annotations

from typing import Any


def late_line(flags: list[Any]) -> str:
    """What ``grade`` and ``merge-grades`` say of late.csv (:class:`.lateness.LateFlag`)."""
    doubtful = sum(bool(flag.doubt) for flag in flags)
    return (f"late submissions: {len(flags)}, listed in late.csv"
            + (f"; {doubtful} of them on a file time that copying changed: flagged for you, never penalised "
               f"(import from the learning system, or copy with cp -p, to keep the real times)" if doubtful else ""))


def identical_line(groups: list[Any]) -> str:
    """What ``grade`` and ``merge-grades`` say of identical.csv (:class:`.similarity.IdenticalGroup`)."""
    reference = [group for group in groups if group.reference]
    said = "; ".join(f"{len(group.students)} handed in the reference solution of {group.notebook}"
                     for group in reference)
    return (f"identical submissions: {plural(len(groups), 'group')}, listed in identical.csv"
            f"{f' ({said})' if said else ''}; read them before deciding anything")


def plural(count: int, word: str) -> str:
    """``count`` and ``word``, plural unless one: ``plural(2, "group")`` is ``"2 groups"``."""
    return f"{count} {word}{'' if count == 1 else 's'}"
