"""Run a notebook and look at every figure it shows, as a reviewer would.

:func:`execute_capturing` executes a notebook with one cell put in front that wraps
:func:`course_utils.plotting.figure_png`, the one way a course figure becomes pixels (``show``
in the lessons and exercises, the explorers' refresh). Each figure is audited in the kernel
(:func:`course_utils.figure_audit.figure_problems`, while the live figure still exists) and
saved under ``test-artifacts/figures/`` for the contact sheet that ``conftest.py`` assembles.
:func:`figure_failures` then checks the executed notebook: every image a learner sees is a
PNG of at least 150 dpi carrying its text alternative, shown with a visible caption, and
every figure audited clean.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import nbformat

from course_utils import nbtools

ROOT = Path(__file__).resolve().parent.parent
#: Where the figures go for the contact sheet (ignored by git; CI keeps the folder).
FIGURES = ROOT / "test-artifacts" / "figures"
MIN_DPI = 150

_CAPTURE = '''
import base64 as _base64
import json as _json
import course_utils.plotting as _plotting
from course_utils.figure_audit import figure_problems as _figure_problems

_course_figure_png = _plotting.figure_png


def _captured_figure_png(fig, alt, *args, **kwargs):
    problems = _figure_problems(fig)
    png = _course_figure_png(fig, alt, *args, **kwargs)
    with open({log!r}, "a", encoding="utf-8") as _log:
        _log.write(_json.dumps({{"alt": alt, "problems": problems, "png": _base64.b64encode(png).decode()}}) + "\\n")
    return png


_plotting.figure_png = _captured_figure_png
'''


def execute_capturing(path: Path, workdir: Path, *, timeout: float = 600, env: dict | None = None):
    """Execute ``path`` in ``workdir`` with figure capture; return (executed notebook, records).

    Each record is a dict with the figure's ``alt`` text, its audit ``problems`` and its
    ``png`` bytes, in the order the notebook drew them. The PNGs are also written to
    ``test-artifacts/figures/<folder>-<notebook>-<n>.png``.
    """
    log = workdir / "figures.jsonl"
    nb = nbtools.read_notebook(path)
    capture = nbformat.v4.new_code_cell(_CAPTURE.format(log=str(log)))
    nb.cells.insert(0, capture)
    result = nbtools.execute_notebook(nb, cwd=workdir, timeout=timeout, env=env)
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    for record in records:
        record["png"] = base64.b64decode(record["png"])
    FIGURES.mkdir(parents=True, exist_ok=True)
    stem = f"{path.parent.name}-{path.stem}"
    for old in FIGURES.glob(f"{stem}-*.png"):
        old.unlink()
    for number, record in enumerate(records, start=1):
        (FIGURES / f"{stem}-{number:02d}.png").write_bytes(record["png"])
    result.notebook.cells.pop(0)
    return result.notebook, records


def png_text_and_dpi(png: bytes) -> tuple[dict[str, str], float]:
    """The tEXt entries of a PNG and its resolution in dots per inch (0 without a pHYs chunk)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    texts, dpi, at = {}, 0.0, 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        body = png[at + 8:at + 8 + length]
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            texts[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            texts[key.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            value = rest[2:].split(b"\0", 2)[-1]
            texts[key.decode("latin-1")] = (zlib.decompress(value) if rest[0] else value).decode("utf-8")
        elif kind == b"pHYs":
            per_metre, _, unit = struct.unpack(">IIB", body)
            dpi = per_metre * 0.0254 if unit == 1 else 0.0
        at += 12 + length
    return texts, dpi


def figure_failures(nb, records: list[dict]) -> list[str]:
    """What is wrong with the figures of an executed notebook, one sentence each."""
    failures = []
    for number, record in enumerate(records, start=1):
        failures += [f"figure {number} ({record['alt'][:60]}…): {problem}" for problem in record["problems"]]
    for index, cell in enumerate(nb.cells):
        outputs = cell.get("outputs", [])
        for at, output in enumerate(outputs):
            png = output.get("data", {}).get("image/png")
            if png is None:
                continue
            texts, dpi = png_text_and_dpi(base64.b64decode(png))
            where = f"cell {index}"
            if not texts.get("Description", "").strip():
                failures.append(f"{where}: an image without its text alternative (use plotting.show, not plt.show)")
            if dpi < MIN_DPI - 0.5:
                failures.append(f"{where}: an image at {dpi:.0f} dpi, under {MIN_DPI}")
            following = outputs[at + 1] if at + 1 < len(outputs) else {}
            caption = "".join(following.get("data", {}).get("text/markdown", ""))
            if not caption.startswith("*Figure: "):
                failures.append(f"{where}: an image without a visible caption under it")
    return failures
