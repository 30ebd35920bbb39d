"""The dishonest students of issue 10, as notebooks: one per attack on the grader.

Every attack is the fixture notebook ``fixture/tiny.ipynb`` with its ``add`` cell replaced.
The attack runs when the cell runs (and again when ``add`` is called); ``add`` returns the
right answer only when the attack *worked*, and otherwise raises ``RuntimeError`` saying what
stopped it. So the gradebook itself tells whether an attack worked: ``add`` 2/2 means it
did, 0/2 means it was stopped (and the attacker loses only those points). Attacks that
target the grader or classmates (killing workers, emptying notebooks, rewriting the
gradebook later) are judged by what happens to the others.

:data:`ATTACKS` maps a student folder name to ``(notebook, what the attack tries)``.
:func:`write_class` writes a submissions folder with the attackers, a good student and a
victim graded after them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent / "fixture"
#: a token that names this suite's leftover processes (for the "nothing still runs" checks)
SURVIVOR_TAG = "course-hostile-survivor"


def base() -> dict:
    return json.loads((FIXTURE / "tiny.ipynb").read_text(encoding="utf-8"))


def with_add(source: str, *extra_cells: tuple[str, str]) -> dict:
    """The fixture with the ``add`` cell replaced by ``source`` (plus extra (tag, source) cells)."""
    nb = base()
    for cell in nb["cells"]:
        if "exercise" in cell["metadata"].get("tags", []) and "def add(" in "".join(cell["source"]):
            cell["source"] = source
    for index, (tag, text) in enumerate(extra_cells):
        nb["cells"].insert(1, {"cell_type": "code", "metadata": {"tags": [tag] if tag else []},
                               "source": text, "outputs": [], "execution_count": None,
                               "id": f"extra{index}"})
    return nb


def _attack(setup: str, check: str) -> str:
    """A cell that runs ``setup`` once and defines ``add`` returning a + b iff ``check`` is true."""
    return (f"import os, sys, gc, signal, time\nfrom pathlib import Path\n"
            f"{setup}\n"
            f"def add(a, b):\n"
            f"    worked, why = ({check})\n"
            f"    if not worked:\n"
            f"        raise RuntimeError('attack stopped: ' + str(why)[:150])\n"
            f"    return a + b\n")


_ANCESTOR_ARGS = '''
def _ancestors():
    """(pid, argv) of every ancestor this process can see through /proc."""
    found, pid = [], os.getppid()
    while pid > 1:
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
            pid_next = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except OSError:
            break
        found.append((pid, argv))
        pid = pid_next
    return found

def _out_folders():
    """Where the gradebook will be: --out of an ancestor, or any folder the grader's memory names."""
    found = []
    for _pid, argv in _ancestors():
        if b"--out" in argv:
            found.append(Path(argv[argv.index(b"--out") + 1].decode()).resolve())
    for obj in gc.get_objects():
        if isinstance(obj, (str, Path)) and str(obj).startswith("/") and len(str(obj)) < 300:
            if Path(obj).name in ("out", "gradebook"):
                found.append(Path(obj))
    return found
'''

_SURVIVOR = _ANCESTOR_ARGS + f'''
_outs = _out_folders()
if os.fork() == 0:  # double fork + setsid: no longer the grader's child nor in its group
    os.setsid()
    if os.fork() == 0:
        code = ("import sys, time, pathlib\\n"
                "outs = [pathlib.Path(p) for p in sys.argv[2:]]\\n"
                "for _ in range(600):\\n"
                "    time.sleep(0.1)\\n"
                "    for out in outs:\\n"
                "        book = out / 'grades.csv'\\n"
                "        if book.is_file() and 'survivor' in book.read_text():\\n"
                "            lines = book.read_text().splitlines()\\n"
                "            forged = [lines[0]] + [l.split(',')[0] + ',0' * (len(lines[0].split(',')) - 2)"
                " + ',0.0' if 'survivor' not in l else l.split(',')[0] + ',99,99,99,297,100.0'"
                " for l in lines[1:]]\\n"
                "            time.sleep(2)\\n"
                "            book.write_text('\\\\n'.join(forged) + '\\\\n')\\n"
                "            sys.exit(0)\\n")
        os.execv(sys.executable, [sys.executable, "-c", code, "{SURVIVOR_TAG}", *map(str, _outs)])
    os._exit(0)
time.sleep(0.2)
'''

_MEMORY_THIEF = '''
_seen_tests, _emptied = [], []
for obj in gc.get_objects():
    if callable(obj) and getattr(obj, "__name__", "").startswith("test_") \
            and "tests" in getattr(getattr(obj, "__code__", None), "co_filename", ""):
        _seen_tests.append(obj.__name__)  # a test function of the grader's, with its expected values
    if isinstance(obj, (str, Path)) and str(obj).endswith(".ipynb") and len(str(obj)) < 300:
        mine = Path(obj)
        try:
            classmates = [p / mine.name for p in mine.parent.parent.iterdir() if p != mine.parent]
        except OSError:
            continue
        for other in classmates:
            try:
                if other.is_file() and "zz_victim" in str(other):
                    other.write_text("{}")
                    _emptied.append(str(other))
            except OSError:
                pass
'''

_KILLER = _ANCESTOR_ARGS + '''
_killed = []
def _kill_graders(sig):
    """Kill the grader: every ancestor running course_utils, and every process with the same
    command line (the other grading worker of --jobs 2 is a fork of the same parent)."""
    graders = {b"\\0".join(argv).rstrip(b"\\0") for _pid, argv in _ancestors() if b"course_utils" in b"".join(argv)}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                argv = open(f"/proc/{entry}/cmdline", "rb").read().rstrip(b"\\0")
            except OSError:
                continue
            if argv in graders:
                try:
                    os.kill(int(entry), sig)
                    _killed.append(int(entry))
                except OSError:
                    pass
'''

_STOPPER = _ANCESTOR_ARGS + '''
_stopped = []
for _pid, _argv in _ancestors():
    if b"course_utils" not in b"".join(_argv):
        continue
    try:
        os.kill(_pid, signal.SIGSTOP)
        _stopped.append(_pid)
    except OSError:
        pass
'''

_SOLUTION_READER = '''
import course_utils
_root = Path(course_utils.__file__).resolve().parents[1]
_ref = None
for _candidate in [*sorted((_root / "solutions").glob("*.ipynb")), _root / "tests" / "hostile" / "fixture" / "tiny.ipynb"]:
    try:
        for _cell in __import__("json").loads(_candidate.read_text())["cells"]:
            if "def add(" in "".join(_cell["source"]):
                _ref = "".join(_cell["source"])
    except (OSError, ValueError, KeyError):
        continue
_reference = {}
if _ref:
    exec(_ref, _reference)
'''

_COURSE_WRITER = '''
import course_utils
_root = Path(course_utils.__file__).resolve().parents[1]
_written = []
for _target in (_root / "course_utils" / "grading" / "runner.py", _root / "solutions" / "PWNED.txt",
                _root / "tests" / "hostile" / "fixture" / "test_tiny.py"):
    try:
        with open(_target, "a") as _f:
            _f.write("\\n# hostile student was here\\n")
        _written.append(str(_target))
    except OSError:
        pass
'''

_HIDDEN_READER = '''
import course_utils
_root = Path(course_utils.__file__).resolve().parents[1]
_hidden_text = ""
for _candidate in (_root / "tests" / "hidden", _root / "tests" / "hostile" / "fixture" / "tiny_hidden"):
    try:
        _hidden_text += "".join(p.read_text() for p in _candidate.glob("test_*.py"))
    except OSError:
        pass
_hidden_seen = [getattr(o, "__name__", "") for o in gc.get_objects()
                if callable(o) and "hidden" in str(getattr(o, "__module__", "") or "")]
'''

_RLIMIT_RAISER = '''
import resource
def _grab():
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError) as exc:
        return False, f"could not raise RLIMIT_AS: {exc}"
    try:
        block = bytearray(3 * 2**30)  # 3 GiB, past any --memory-mb the suite uses
    except MemoryError:
        return False, "MemoryError"
    del block
    return True, ""
'''

_PROC_MEM = '''
def _proc_mem():
    target = os.getppid()
    try:
        with open(f"/proc/{target}/mem", "r+b"):
            return True, ""
    except OSError as exc:
        return False, f"/proc/{target}/mem: {exc}"
'''

_PTRACER = '''
import ctypes
def _ptrace():
    libc = ctypes.CDLL(None, use_errno=True)
    target = os.getppid()
    if target <= 0:
        return False, "no parent to trace"
    if libc.ptrace(16, target, None, None) == 0:  # PTRACE_ATTACH
        libc.ptrace(17, target, None, None)  # PTRACE_DETACH
        return True, ""
    return False, f"ptrace errno {ctypes.get_errno()}"
'''

_FORKER = '''
def _forks(n=200):
    children = []
    try:
        for _ in range(n):
            pid = os.fork()
            if pid == 0:
                time.sleep(5)
                os._exit(0)
            children.append(pid)
    except OSError as exc:
        return False, f"fork number {len(children) + 1}: {exc}"
    finally:
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return True, ""
'''

_FILE_FILLER = '''
def _fill():
    try:
        with open("big.bin", "wb") as handle:
            for _ in range(300):
                handle.write(b"x" * 2**20)
    except OSError as exc:
        return False, f"writing 300 MiB: {exc}"
    finally:
        try:
            os.remove("big.bin")
        except OSError:
            pass
    return True, ""
'''

_OUTSIDE_FILES = '''
import course_utils
def _outside():
    seen = []
    course = Path(course_utils.__file__).resolve().parents[1]
    bound = (sys.prefix, sys.base_prefix, str(course))  # a clone below /tmp is bound at its own path
    if [e for e in os.listdir("/tmp") if not any(b.startswith(os.path.join("/tmp", e) + os.sep) for b in bound)]:
        seen.append("/tmp")  # the machine's /tmp is never empty; the sandbox's own one is
    if os.path.exists("/proc/self"):
        seen.append("/proc")
    for home in ("/root", "/home", os.path.expanduser("~")):
        try:  # anything but the way to the interpreter (the sandbox binds only that)
            if [e for e in os.listdir(home) if not sys.prefix.startswith(os.path.join(home, e))
                    and not sys.base_prefix.startswith(os.path.join(home, e))]:
                seen.append(home)
        except OSError:
            pass
    if (course / "tests").exists() or (course / "solutions").exists() or (course / "README.md").exists():
        seen.append(str(course))
    return bool(seen), "saw nothing outside its sandbox"
'''

_NETWORK = '''
import socket
def _network():
    names = [name for _, name in socket.if_nameindex()]
    if any(name != "lo" for name in names):
        return True, ""
    try:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        socket.create_connection(server.getsockname(), timeout=1).close()
        return True, "loopback works"
    except OSError as exc:
        return False, f"interfaces {names}, loopback: {exc}"
'''


def _tagged_setup_sleepers(count: int, seconds: float) -> list[tuple[str, str]]:
    return [("setup", f"import time\ntime.sleep({seconds})") for _ in range(count)]


def _huge_untagged(megabytes: float) -> tuple[str, str]:
    line = "value_0123456789 = [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
    return ("", line * int(megabytes * 2**20 / len(line)))


#: student folder -> (notebook dict, what the attack tries)
ATTACKS: dict[str, tuple[dict, str]] = {
    "survivor": (with_add(_attack(_SURVIVOR, "True, ''")),
                 "double-fork + setsid, survive the run, rewrite grades.csv afterwards"),
    "memory_thief": (with_add(_attack(_MEMORY_THIEF, "bool(_seen_tests or _emptied), 'found no grader objects'")),
                     "gc.get_objects() on inherited memory: see the tests, empty a classmate's notebook"),
    "course_writer": (with_add(_attack(_COURSE_WRITER, "bool(_written), 'could not write into the course'")),
                      "append to course_utils/grading/stages/runner.py, solutions/, the tests"),
    "solution_reader": (with_add(_attack(_SOLUTION_READER,
                                         "('add' in _reference), 'no reference found via course_utils.__file__'")
                                 .replace("return a + b\n", "return _reference['add'](a, b)\n")),
                        "find solutions through course_utils.__file__ and run them"),
    "hidden_reader": (with_add(_attack(_HIDDEN_READER, "bool(_hidden_text or _hidden_seen), 'no hidden tests visible'")),
                      "read the hidden tests from disk or from inherited memory"),
    "grader_killer": (with_add(_attack(_KILLER, "(_kill_graders(signal.SIGKILL) or bool(_killed)), 'nothing to kill'")),
                      "os.kill the grader and the other worker (--jobs 2)"),
    "grader_stopper": (with_add(_attack(_STOPPER, "bool(_stopped), 'no ancestor to stop'")),
                       "SIGSTOP the grader"),
    "rlimit_raiser": (with_add(_attack(_RLIMIT_RAISER, "_grab()")),
                      "raise the memory limit and allocate 3 GiB"),
    "proc_mem": (with_add(_attack(_PROC_MEM, "_proc_mem()")), "open /proc/<parent>/mem read-write"),
    "ptracer": (with_add(_attack(_PTRACER, "_ptrace()")), "ptrace the grader"),
    "fork_bomb": (with_add(_attack(_FORKER, "_forks()")), "start 200 processes"),
    "file_filler": (with_add(_attack(_FILE_FILLER, "_fill()")), "write a 300 MiB file"),
    "outside_files": (with_add(_attack(_OUTSIDE_FILES, "_outside()")), "list /tmp, $HOME, /proc, the course folder"),
    "network": (with_add(_attack(_NETWORK, "_network()")), "reach a network interface or loopback"),
    "setup_sleeper": (with_add(_attack("", "True, ''"), *_tagged_setup_sleepers(6, 100)),
                      "six learner cells tagged 'setup', each sleeping 100 s"),
    "huge_notebook": (with_add(_attack("", "True, ''"), _huge_untagged(5)),
                      "a 5 MB untagged code cell"),
    "undecodable_message": (with_add("def add(a, b):\n    raise ValueError('\\ud800 ' + chr(0xDFFF))\n"),
                            "raise ValueError with lone surrogates in the message"),
}


def write_notebook(folder: Path, notebook: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = notebook if isinstance(notebook, bytes) else json.dumps(notebook).encode()
    (folder / "tiny.ipynb").write_bytes(data)


def write_class(submissions: Path, attacks: list[str] | None = None) -> None:
    """``aa_good`` and ``zz_victim`` (good notebooks, graded first and last) and the attackers."""
    write_notebook(submissions / "aa_good", base())
    write_notebook(submissions / "zz_victim", base())
    for name in attacks if attacks is not None else ATTACKS:
        write_notebook(submissions / name, ATTACKS[name][0])
