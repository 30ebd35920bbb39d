"""The learners of issue 21: attacks on the grader's channel, as notebooks.

Each learner has only their own notebook. The learner's process can walk its own stack to
the code that serves the grader (``child.serve``), find the channel there (``conn``) and the
id of the call being answered (``call_id``), and write whatever it likes: it can import
``course_utils.grading.sandbox.plaindata`` to write well-formed values, or write raw bytes. Every
attack is the fixture notebook ``fixture/tiny.ipynb`` (exercises ``add``, ``mean`` and
``scale``, 2 points each) with some cells replaced.

:data:`ATTACKS` maps a student folder to ``(notebook, what the attack tries, what each
exercise it attacks must come out as)``: ``{exercise: (status, words of the message)}``.
Exercises not named keep their full points. ``SLOW`` is checked on its own (its rows are
either passed or "too slow", and at least one is too slow).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent / "fixture"
#: the limits of the class these learners are graded in: a notebook's budget is
#: startup + 3 exercises x timeout = 8 + 3 x 2 = 14 s
TIMEOUT, STARTUP = 2.0, 8.0

#: the learner's way to the grader's channel: frames of its own process
_REACH = '''
import os, struct, sys, time
from course_utils.grading.sandbox.plaindata import dumps

def _serving():
    """The locals of the grader's serve() in this process: the channel and the call id."""
    frame = sys._getframe()
    while frame is not None:
        if hasattr(frame.f_locals.get("conn"), "send_bytes"):
            return frame.f_locals
        frame = frame.f_back
    raise RuntimeError("attack stopped: no channel found")

def _send(data):
    """Write ``data`` as one message on the grader's channel."""
    _serving()["conn"].send_bytes(data)

def _reply(kind, *fields):
    """Answer the call being served with a message of our own, then end before serve() does."""
    _send(dumps((kind, _serving().get("call_id", 0), *fields)))
    os._exit(0)
'''


def base() -> dict:
    return json.loads((FIXTURE / "tiny.ipynb").read_text(encoding="utf-8"))


def _cells(nb: dict) -> dict[str, dict]:
    """The exercise cells of ``nb`` by the function they define."""
    found = {}
    for cell in nb["cells"]:
        if "exercise" in cell["metadata"].get("tags", []):
            for name in ("add", "mean", "scale"):
                if f"def {name}(" in "".join(cell["source"]):
                    found[name] = cell
    return found


def replaced(**sources: str) -> dict:
    """The fixture with the exercise cells named replaced by ``sources``."""
    nb = base()
    for name, cell in _cells(nb).items():
        if name in sources:
            cell["source"] = sources[name]
    return nb


def _add(body: str) -> dict:
    """The fixture whose ``add`` cell reaches the channel and does ``body`` when called."""
    return replaced(add=_REACH + "def add(a, b):\n" + "".join(f"    {line}\n" for line in body.splitlines()))


def _damaged(change: Any) -> dict:
    nb = base()
    change(_cells(nb)["add"])
    return nb


_PICKLE = '''import pickle
import numpy as np
try:
    from numpy._core import multiarray
except ImportError:
    from numpy.core import multiarray

class Huge:
    def __reduce__(self):
        return multiarray._reconstruct, (np.ndarray, (402_653_184,), np.dtype("f8"))

_send(pickle.dumps(("ok", _serving().get("call_id", 0), Huge())))
os._exit(0)'''

_HUGE_ARRAY = '''# a reply whose array header promises 402,653,184 float64 values (3 GiB), in 60 bytes
head = dumps(("ok", _serving()["call_id"], None))[:-1]
_send(head + b"a" + bytes([3]) + b"<f8" + bytes([1]) + struct.pack("!Q", 402_653_184))
os._exit(0)'''

_HALF_FRAME = '''# a frame header promising 1,000 bytes, one byte, then silence
conn = _serving()["conn"]
conn._sock.sendall(struct.pack("!Q", 1000) + b"x")
time.sleep(3600)'''

SLOW = replaced(**{name: f"import time\ntime.sleep(1.5)\n{source}" for name, source in {
    "add": "def add(a, b):\n    time.sleep(1.9)\n    return a + b",
    "mean": "def mean(xs):\n    time.sleep(1.9)\n    if len(xs) == 0:\n        raise ValueError('empty')\n"
            "    return sum(xs) / len(xs)",
    "scale": "import numpy as np\ndef scale(xs, k):\n    time.sleep(1.9)\n    return k * np.asarray(xs)",
}.items()})

#: strings a forged isolation record tried to put into the manifest
FORGED = ("<script>alert(1)</script>", "graded by hand by Prof. X", "no sandbox at all")
#: what a learner's exception tried to write into the feedback
INJECTION = "\n\n**Total: 23/23 points (100%)**\n<img src=x onerror=alert(1)>\n# Feedback for zz_victim\n- ✓ all"
ANSI = "\x1b[2J\x1b[31mred "

ATTACKS: dict[str, tuple[dict, str, dict[str, tuple[str, str]]]] = {
    "forged_isolation_list": (
        replaced(add=_REACH + '_send(dumps(("sandbox", [["x"], 1, "x"])))\ndef add(a, b):\n    return a + b\n'),
        "an isolation record of lists (the whole class's run ended with TypeError: unhashable type)",
        {"add": ("missing", "wrote to the grader's channel something that is not part of its protocol")}),
    "forged_isolation_text": (
        replaced(add=_REACH + f'_send(dumps(("sandbox", {list(FORGED)!r})))\ndef add(a, b):\n    return a + b\n'),
        "an isolation record of strings (they reached manifest.json)",
        {"add": ("missing", "a message of kind 'sandbox' while the cells run")}),
    "half_frame": (_add(_HALF_FRAME), "a frame that stops half-way (the worker hung until its deadline)",
                   {"add": ("timeout", "did not finish within 2 s")}),
    "huge_array": (_add(_HUGE_ARRAY), "an array header promising 3 GiB (the worker allocated it)",
                   {"add": ("crashed", "(3,221,225,472 bytes) was promised, 0 bytes were sent")}),
    "pickled_array": (_add(_PICKLE), "numpy's _reconstruct in a 140-byte pickle (the worker allocated 3 GiB)",
                      {"add": ("crashed", "not a message of this grader")}),
    "uncapped_message": (_add(f'_reply("error", "ValueError", {ANSI!r} * 700_000, "")'),
                         "an 8 MiB exception message of terminal escapes (a 100 MB feedback file)",
                         {"add": ("error", "characters in all")}),
    "int_message": (_add('_reply("error", "NameError", 5, "")'),
                    "an exception message that is an int (pytest INTERNALERROR: every row 'grader error')",
                    {"add": ("crashed", "an exception's message that is an int, not text")}),
    "null_metadata": (_damaged(lambda cell: cell.update(metadata=None)),
                      "a code cell whose metadata is null (AttributeError: every row 'grader error')",
                      {name: ("unreadable", "cell 3 of 7, counting from the top (a code cell starting 'def add(a, "
                                            "b):'), has metadata that is null") for name in ("add", "mean", "scale")}),
    "number_in_source": (_damaged(lambda cell: cell.update(source=["def add(a, b):\n", 5, "    return a + b"])),
                         "a number among a cell's lines (TypeError: every row 'grader error')",
                         {name: ("unreadable", "has a source holding a number among its lines of text")
                          for name in ("add", "mean", "scale")}),
    "feedback_injection": (replaced(add=f"def add(a, b):\n    raise ValueError({INJECTION!r})\n"),
                           "an exception message that writes a fake total, a heading and HTML into the feedback",
                           {"add": ("error", "add raised ValueError: **Total: 23/23 points (100%)** <img")}),
}


def write_notebook(folder: Path, notebook: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
