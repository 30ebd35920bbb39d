"""Readable file names for what a gradebook writes about each learner.

A learner's feedback is ``feedback/<name>.md`` and their notebooks with the results beside
their code are ``feedback/<name>/<notebook>.html`` (:mod:`.notebook_page`); their written
answers are ``answers/<notebook>/<name>.html``. ``<name>`` is the learner's folder name made
safe for every file system (:func:`slug`): letters and digits of any script are kept
(``rené``, ``李雷``), anything else becomes ``_``. Only where two learners' names would land
on the same file (``a b`` and ``a_b``, or ``Ada`` and ``ada`` on a file system that ignores
case, as macOS and Windows do) does each of them get a short hash of their folder name
(``ada-3f2a9c1e``): :func:`learner_files` names a whole class at once, so the names do not
depend on the order learners were graded in, nor on how a class was split into shards.
``feedback/index.csv`` lists every file with its learner (:func:`index_csv`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Iterable, Mapping, Sequence

from .csvio import csv_text

#: bytes of a name before its hash and extension (file systems allow 255 per name)
MAX_NAME_BYTES = 80
#: names Windows reserves for devices, whatever the extension
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                       *(f"lpt{i}" for i in range(1, 10))})
INDEX = "index.csv"


def slug(label: str) -> str:
    """``label`` (a learner's folder name, as the gradebook writes it) as a file name.

    Unicode letters, digits, ``_``, ``.`` and ``-`` stay; every other run of characters
    becomes one ``_``; no name starts or ends with ``.``, ``_`` or ``-``; at most
    :data:`MAX_NAME_BYTES` bytes of UTF-8; Windows's device names get a ``_``; an empty result
    is ``learner``.

    >>> slug("rené"), slug("李雷"), slug('=HYPERLINK("x")'), slug("a b")
    ('rené', '李雷', 'HYPERLINK_x', 'a_b')
    """
    text = unicodedata.normalize("NFC", label)
    text = re.sub(r"[^\w.-]+", "_", text).strip("._-")
    while len(text.encode("utf-8")) > MAX_NAME_BYTES:
        text = text[:-1]
    text = text.rstrip("._-") or "learner"
    return text + "_" if text.split(".")[0].lower() in _RESERVED else text


def _hash(label: str) -> str:
    return hashlib.sha256(label.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def learner_files(labels: Iterable[str]) -> dict[str, str]:
    """``{label: name}`` for a class: :func:`slug` of each label, with ``-<hash>`` added to
    every name that two labels share (ignoring case)."""
    labels = sorted(set(labels))
    taken: dict[str, list[str]] = {}
    for label in labels:
        taken.setdefault(slug(label).casefold(), []).append(label)
    return {label: slug(label) if len(taken[slug(label).casefold()]) == 1 else f"{slug(label)}-{_hash(label)}"
            for label in labels}


def index_csv(files: Mapping[str, Sequence[tuple[str, str]]]) -> str:
    """``feedback/index.csv``: ``student, notebook, file`` for every file of every learner
    (``files``: ``{label: [(notebook or "", path inside feedback/)]}``); the notebook is
    empty for the feedback file itself."""
    return csv_text(("student", "notebook", "file"),
                    ([label, notebook, path] for label in sorted(files) for notebook, path in files[label]))
