"""The sandbox learner code runs in while ``grade`` grades a class (issue 10, item 1).

A notebook whose ``observe()`` reports what it can see and do is run through the proxy with
the sandbox's template as launcher; each test checks one thing it must (not) see or do.
On a machine without namespaces these tests skip, except the one that says CI's machine
has them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from course_utils.course_root import find_course_root
from course_utils.grading.config import GradingConfig
from course_utils.grading.sandbox.proxy import Student
from course_utils.grading.sandbox.isolation import SANDBOX_UID_BASE, Level, Layout
from course_utils.grading.sandbox.template import ENV_LEVEL, Template, probe_isolation

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is Linux-only")
COURSE = find_course_root().path
CONFIG = GradingConfig(memory_mb=256, processes=16, cpu_seconds=30, file_mb=8, open_files=64)
TAG = "course-sandbox-test-sleeper"

OBSERVE = '''
import ctypes, gc, os, resource, socket, sys
from pathlib import Path

def _listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return type(exc).__name__

def _writable(path):
    try:
        with open(path, "a"):
            return True
    except OSError:
        return False

def _own_entries(folder, bound):
    """What ``folder`` holds besides the way down to a bound folder (a course cloned below /tmp)."""
    return [e for e in _listing(folder) if not any(b.startswith(os.path.join(folder, e) + os.sep) for b in bound)]

def observe():
    import course_utils
    libc = ctypes.CDLL(None)
    course = Path(course_utils.__file__).resolve().parents[1]
    names = ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE")
    return {"pid": os.getpid(), "ppid": os.getppid(), "uid": os.getuid(), "root": _listing("/"),
            "course": _listing(course), "tmp": _own_entries("/tmp", [sys.prefix, sys.base_prefix, str(course)]),
            "cwd": os.getcwd(),
            "proc": os.path.exists("/proc/self"), "home": os.environ.get("HOME"),
            "limits": {n: list(resource.getrlimit(getattr(resource, n))) for n in names},
            "package_writable": _writable(course_utils.__file__),
            "tmp_writable": _writable("/tmp/mine.txt"),
            "interfaces": [name for _, name in socket.if_nameindex()],
            "no_new_privs": libc.prctl(39, 0, 0, 0, 0), "dumpable": libc.prctl(3, 0, 0, 0, 0),
            "numpy": __import__("numpy").ones(3).sum() == 3.0, "frozen": gc.get_freeze_count()}
'''

SPAWNER = f'''
import os, subprocess, sys, time
def spawn():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)", "{TAG}"])
        os._exit(0)
    time.sleep(0.3)
    return 1

def spin():
    while True:
        pass
'''


def _notebook(folder: Path, source: str) -> Path:
    cell = {"cell_type": "code", "metadata": {"tags": ["exercise"]}, "source": source, "outputs": [],
            "execution_count": None}
    path = folder / "probe.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _tagged() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if TAG.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def template():
    if not sys.platform.startswith("linux") or not probe_isolation().active:
        pytest.skip(f"no sandbox on this machine: {probe_isolation().note}")
    with Template.spawn(["numpy"], [str(COURSE)]) as started:
        yield started


@pytest.fixture(scope="module")
def seen(template, tmp_path_factory):
    path = _notebook(tmp_path_factory.mktemp("observe"), OBSERVE)
    with Student(path, expected=["observe"], config=CONFIG, launcher=template) as student:
        return student.observe()


@linux
@pytest.mark.skipif(os.environ.get("CI") != "true", reason="CI's machine is the one known to allow namespaces")
def test_the_sandbox_is_active_on_ci():
    isolation = probe_isolation()
    assert isolation.level is Level.NAMESPACES, isolation.note
    assert {"mount", "pid", "net", "hard rlimits"} <= set(isolation.mechanisms)


def test_learner_code_runs_as_pid_1_of_a_namespace_of_its_own(seen):
    assert seen["pid"] == 1 and seen["ppid"] == 0  # its parent, the grader's side, is outside


@pytest.mark.skipif(os.geteuid() != 0, reason="an unprivileged grader uses a user namespace instead")
def test_a_root_grader_runs_learner_code_as_an_unprivileged_uid_of_its_own(seen):
    assert seen["uid"] >= SANDBOX_UID_BASE


def test_the_learner_sees_the_system_the_interpreter_and_course_utils_only(seen):
    tops = {part for path in Layout.default([str(COURSE)]).read_only for part in Path(path).parts[1:2]}
    assert set(seen["root"]) <= {*tops, "dev", "tmp", Path(str(COURSE)).parts[1]}
    assert "course_utils" in seen["course"]
    assert not {"solutions", "tests", "exercises", "README.md", "pyproject.toml"} & set(seen["course"])


def test_the_learner_sees_no_proc_and_an_empty_tmp_of_its_own(seen):
    assert seen["proc"] is False
    assert seen["tmp"] == [] and seen["cwd"] == "/tmp" and seen["home"] == "/tmp"
    assert seen["tmp_writable"] is True


def test_the_learner_cannot_write_into_course_utils(seen):
    assert seen["package_writable"] is False


def test_the_learner_has_no_network_interface_but_loopback(seen):
    assert seen["interfaces"] == ["lo"]


def test_the_learner_cannot_gain_privileges_nor_be_traced(seen):
    assert seen["no_new_privs"] == 1 and seen["dumpable"] == 0


@pytest.mark.parametrize("name, expected", [
    ("RLIMIT_NPROC", CONFIG.processes), ("RLIMIT_CPU", CONFIG.cpu_seconds),
    ("RLIMIT_FSIZE", CONFIG.file_mb * 2**20), ("RLIMIT_NOFILE", CONFIG.open_files)])
def test_the_learners_limits_are_hard(seen, name, expected):
    assert seen["limits"][name] == [expected, expected]


def test_the_learners_address_space_limit_is_hard(seen):
    soft, hard = seen["limits"]["RLIMIT_AS"]
    assert soft == hard and 0 < hard < 2**62


def test_the_learner_can_use_the_preloaded_libraries(seen):
    assert seen["numpy"] is True


def test_the_templates_objects_are_out_of_the_learners_garbage_collections(seen):
    """The template freezes what it loaded (gc.freeze) before it forks: a learner's collections
    then never touch those objects, whose pages stay shared instead of being copied."""
    assert seen["frozen"] > 10_000


def test_everything_the_learner_started_dies_when_the_proxy_closes(template, tmp_path):
    path = _notebook(tmp_path, SPAWNER)
    with Student(path, expected=["spawn"], config=CONFIG, launcher=template) as student:
        assert student.spawn() == 1
        assert _tagged(), "the test's sleeper did not start"
    assert _tagged() == []


def test_a_learner_writing_into_an_argument_leaves_the_tests_array_alone(template, tmp_path):
    """Tests share module-level inputs between learners (the ex03 bigram texts): the learner
    gets a copy, so a function that zeroes its argument changes nothing the next test sees."""
    import numpy as np

    source = "def zero(a):\n    a[:] = 0\n    return float(a.sum())\n"
    shared = np.arange(1.0, 6.0)
    with Student(_notebook(tmp_path, source), expected=["zero"], config=CONFIG, launcher=template) as student:
        assert student.zero(shared) == 0.0
        assert student.zero(shared) == 0.0
    assert shared.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def _spin_forever(notebook: str, launcher: Template) -> None:
    with Student(notebook, expected=["spin"], timeout=600, launcher=launcher) as student:
        student.spawn()
        student.spin()


def test_the_sandbox_dies_with_its_grading_worker(template, tmp_path):
    """A worker past its deadline is killed: its end of the lifeline closes, and the sandbox goes."""
    from course_utils.grading.stages.runner import Job, run_isolated

    path = _notebook(tmp_path, SPAWNER)
    [(_, status, reason)] = list(run_isolated([Job("k", _spin_forever, (str(path), template), deadline=3.0)]))
    assert status == "error" and "longer than 3 s" in reason
    for _ in range(50):
        if not _tagged():
            break
        time.sleep(0.1)
    assert _tagged() == []


@linux
def test_without_namespaces_grade_falls_back_says_so_and_keeps_the_limits(tmp_path, monkeypatch):
    from course_utils.grading.errors import StudentError

    monkeypatch.setenv(ENV_LEVEL, "limits")
    path = _notebook(tmp_path, "def hog():\n    return len(bytearray(2**31))\n")
    with Template.spawn(["numpy"], [str(COURSE)]) as template:
        assert template.isolation.level is Level.LIMITS
        assert "NOT isolated" in template.isolation.note and "\n" not in template.isolation.note
        with Student(path, expected=["hog"], config=CONFIG, launcher=template) as student, \
                pytest.raises(StudentError, match="MemoryError"):
            student.hog()


@linux
@pytest.mark.skipif(not __import__("course_utils.grading.sandbox.isolation", fromlist=["x"]).landlock_abi(),
                    reason="this kernel has no Landlock")
def test_landlock_alone_still_keeps_the_course_out_of_reach(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_LEVEL, "landlock")
    source = ("import os\nimport course_utils\nfrom pathlib import Path\n"
              "def peek():\n    root = Path(course_utils.__file__).resolve().parents[1]\n"
              "    try:\n        return sorted(os.listdir(root / 'tests'))\n"
              "    except OSError as exc:\n        return type(exc).__name__\n")
    with Template.spawn(["numpy"], [str(COURSE)]) as template:
        assert template.isolation.level is Level.LANDLOCK
        with Student(_notebook(tmp_path, source), expected=["peek"], config=CONFIG, launcher=template) as student:
            assert student.peek() == "PermissionError"


def test_the_layout_binds_the_package_but_nothing_that_holds_a_hidden_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [*sys.path, str(COURSE), str(COURSE / "tests"), str(tmp_path)])
    layout = Layout.default([str(COURSE)])
    assert layout.package == str(COURSE / "course_utils")
    assert str(COURSE) in layout.hidden and os.path.expanduser("~") in layout.hidden
    bound = [path for path in layout.read_only if path != sys.prefix and not sys.prefix.startswith(path + "/")]
    assert not [path for path in bound if path == str(COURSE) or path.startswith(str(COURSE) + "/")
                and not path.startswith(sys.prefix)]
    assert str(tmp_path) not in layout.read_only  # the folder grade was started in


@linux
def test_scratch_folders_are_removed_whatever_the_learner_did_to_them(tmp_path, monkeypatch):
    """Without a mount namespace the scratch folder is on disk: a learner who locks it
    (chmod 000) still leaves nothing behind once grading is over."""
    import tempfile

    monkeypatch.setenv(ENV_LEVEL, "limits")
    source = ("import os\ndef lock():\n    os.makedirs('deep/er')\n    open('deep/er/f', 'w').write('x')\n"
              "    os.chmod('deep/er', 0)\n    os.chmod('deep', 0)\n    return os.getcwd()\n")
    with Template.spawn(["numpy"], [str(COURSE)]) as template:
        with Student(_notebook(tmp_path, source), expected=["lock"], config=CONFIG, launcher=template) as student:
            scratch = Path(student.lock())
        assert not scratch.exists()
    # the template's own workspace, not every course-sandbox-* of the temporary folder: other
    # graders (pytest-xdist's other workers) make and remove theirs meanwhile
    [workspace] = [folder for folder in scratch.parents if folder.name.startswith("course-sandbox-")]
    assert Path(tempfile.gettempdir()) in workspace.parents and not workspace.exists()


def _remove_locked_tree() -> bool:
    """Build a scratch tree a learner locked (chmod 000, a link out to a folder of theirs),
    remove it with ``remove_tree``; True when it is gone and the link's target kept its mode."""
    import tempfile

    from course_utils.grading.sandbox.isolation import remove_tree

    base = Path(tempfile.mkdtemp())
    tree, target = base / "scratch", base / "elsewhere"
    (tree / "a" / "b" / "c").mkdir(parents=True)
    (tree / "a" / "b" / "c" / "f").write_text("x")
    target.mkdir(mode=0o755)
    (tree / "a" / "link").symlink_to(target)
    for folder in ("a/b/c", "a/b", "a"):
        (tree / folder).chmod(0)
    remove_tree(tree)
    ok = not tree.exists() and (target.stat().st_mode & 0o777) == 0o755
    remove_tree(base)
    return ok


@linux
def test_an_unprivileged_grader_removes_a_locked_scratch_tree_and_never_chmods_through_a_link():
    """The grader's own permissions, not root's, decide here (CI runs as root: the check
    then runs in a child that has become ``nobody``)."""
    if os.geteuid() != 0:
        assert _remove_locked_tree()
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(65534)
            os.setuid(65534)
            os._exit(0 if _remove_locked_tree() else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
