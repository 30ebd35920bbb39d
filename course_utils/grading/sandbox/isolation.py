"""The sandbox that learner code runs in while an instructor grades (Linux).

Two processes per notebook, forked from the clean template of :mod:`.template`:

``outer``
    Enters new mount, PID, IPC, network and UTS namespaces (as root; an unprivileged
    grader adds a user namespace to be allowed to), builds the learner's view of the
    file system (below) and forks the learner's process, PID 1 of the new PID namespace.
    It stays outside, where the learner can neither see nor signal it, and watches the
    *lifeline*, a socket whose other end only the grader holds. When the learner's process
    ends, or the grader closes its end of the lifeline (or dies), it kills that PID 1 (the
    kernel then kills every process of the namespace: nothing a learner starts survives
    it), reaps it, reports how the learner's process ended on the lifeline, and exits.
``learner``
    Drops to an unprivileged uid of its own (``SANDBOX_UID_BASE`` + the outer process's
    pid) when the grader is root, or drops every capability in its user namespace
    otherwise; sets ``PR_SET_NO_NEW_PRIVS`` and ``PR_SET_DUMPABLE`` 0; restricts itself
    with Landlock where the kernel has it (file system, TCP, signals and abstract sockets
    outside its domain); sets *hard* rlimits (address space, processes, CPU time, file
    size, open files); and only then runs the learner's cells (:func:`.child.serve`).

The learner's view of the file system: an empty read-only memory file system as ``/``,
with read-only bind mounts, at their usual paths, of the system folders (``/usr``, ``/lib*``,
``/bin``, ``/sbin``, ``/etc``), the interpreter's prefixes, the site-packages folders and
the ``course_utils`` package; ``/dev/{null,zero,full,random,urandom}``; and a writable,
size-limited memory file system as ``/tmp`` (its working folder and ``$HOME``), gone when
the sandbox ends. No ``/proc``, no ``/sys``, no ``/home``, nothing else of the course tree
(``solutions/``, the tests, the hidden tests), no submissions, no gradebook, no network.

Where namespaces cannot be created (macOS and Windows have none; a container may forbid
them) the sandbox falls back, in order, to Landlock alone and to the limits alone, and
:class:`Isolation` says what is missing in one line. See docs/guides/security.md.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import select
import signal
import site
import socket
import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable

try:  # imported now: after dropping its uid, the learner's process may not read the stdlib
    import resource
except ImportError:  # Windows: this module is imported everywhere, the sandbox runs on Linux
    resource = None  # type: ignore[assignment]

#: host uid (and gid) of a root grader's sandbox: this plus the outer process's pid
SANDBOX_UID_BASE = 1 << 30
#: folders of the system bound read-only into the sandbox when they exist
SYSTEM_FOLDERS = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
#: the sandbox's writable folder: its working folder, $HOME and $TMPDIR
SCRATCH = "/tmp"

_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_MNT_DETACH = 2
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS = 1, 4, 36, 38
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446


class Level(str, Enum):
    """How well learner code is isolated, best first."""

    NAMESPACES = "namespaces"  # own file-system view, PID, IPC, network; own uid or user namespace
    LANDLOCK = "landlock"  # no namespaces: Landlock limits what it may read and write
    LIMITS = "limits"  # only the hard rlimits (and a separate uid when the grader is root)
    OFF = "off"  # the grader was told not to isolate (--no-sandbox): a plain child, hard rlimits

    def __str__(self) -> str:
        return self.value


#: the levels' names, strongest first
ISOLATION_LEVELS = tuple(level.value for level in Level)


@dataclass(frozen=True)
class Isolation:
    """What the sandbox achieved on this machine.

    ``note`` is one line for the instructor when learner code is not fully isolated.
    """

    level: Level
    mechanisms: tuple[str, ...] = ()
    note: str = ""

    @property
    def active(self) -> bool:
        return self.level is Level.NAMESPACES

    def describe(self) -> str:
        return f"{self.level.value} ({', '.join(self.mechanisms)})" if self.mechanisms else self.level.value

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level.value, "mechanisms": list(self.mechanisms), "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Isolation":
        return cls(Level(data["level"]), tuple(data.get("mechanisms", ())), data.get("note", ""))


@dataclass(frozen=True)
class Limits:
    """Hard limits of every learner process; the values and their defaults are
    :class:`~.config.GradingConfig`'s (build them with :meth:`from_config`)."""

    memory_mb: float
    processes: int
    cpu_seconds: float
    file_mb: float
    scratch_mb: float
    open_files: int

    @classmethod
    def from_config(cls, config: Any = None) -> "Limits":
        """The limits of ``config`` (default: a default :class:`~.config.GradingConfig`)."""
        if config is None:
            from ..config import GradingConfig

            config = GradingConfig()
        return cls(config.memory_mb, int(config.processes), config.cpu_seconds, config.file_mb,
                   config.scratch_mb, int(config.open_files))


@dataclass(frozen=True)
class Layout:
    """The learner's view of the file system.

    ``read_only``: folders bound read-only at their own paths. ``package``: the
    ``course_utils`` package, bound last. ``hidden``: folders the learner must not see
    (the course root, submissions, gradebook, hidden tests, $HOME); one that lies inside a
    bound folder is covered by an empty one.
    """

    read_only: tuple[str, ...] = ()
    package: str = ""
    hidden: tuple[str, ...] = ()

    @classmethod
    def default(cls, hidden: Iterable[str | os.PathLike] = ()) -> "Layout":
        """System folders, interpreter prefixes, site-packages and the import folders that
        hold nothing ``hidden`` ($HOME is always hidden)."""
        from ...course_root import package_dir

        hidden_paths = [os.path.abspath(p) for p in (*hidden, os.path.expanduser("~")) if p]
        always = [*SYSTEM_FOLDERS, sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix]
        try:
            always += site.getsitepackages()
        except AttributeError:  # pragma: no cover - old virtualenv
            pass
        always.append(site.getusersitepackages())
        here = os.getcwd()  # python -m puts the folder it was started in on sys.path: never bind that
        optional = [entry for entry in sys.path if entry and os.path.isabs(entry) and entry != here
                    and not any(_inside(h, entry) or _inside(entry, h) for h in hidden_paths)]
        read_only = [os.path.abspath(path) for path in always + optional
                     if path and os.path.isdir(path) and os.path.abspath(path) != "/"]
        return cls(tuple(dict.fromkeys(read_only)), str(package_dir()), tuple(dict.fromkeys(hidden_paths)))

    def to_dict(self) -> dict[str, Any]:
        return {"read_only": list(self.read_only), "package": self.package, "hidden": list(self.hidden)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Layout":
        return cls(tuple(data["read_only"]), data["package"], tuple(data["hidden"]))


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (both absolute)."""
    folder = folder.rstrip("/") or "/"
    return folder == "/" or path == folder or path.startswith(folder + "/")


# ------------------------------------------------------------------ the kernel


_LIBC: Any = None


def _libc() -> Any:
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _check(result: int, what: str) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


def _prctl(option: int, value: int) -> None:
    _check(_libc().prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0),
                         ctypes.c_ulong(0)), f"prctl({option})")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = (lambda text: text.encode("utf-8", "surrogateescape") if text is not None else None)
    _check(_libc().mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {target}")


def _unshare(flags: int) -> None:
    _check(_libc().unshare(ctypes.c_int(flags)), "unshare")


def _pivot_root(path: str) -> None:
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(errno.ENOSYS, f"pivot_root: unknown system call number on {platform.machine()}")
    _check(_libc().syscall(ctypes.c_long(number), path.encode(), path.encode()), "pivot_root")


def _drop_capabilities() -> None:
    """Empty the effective, permitted and inheritable capability sets (capset(2), version 3)."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()
    _check(_libc().capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def no_new_privileges() -> None:
    """``PR_SET_NO_NEW_PRIVS``: no execve can grant more (setuid files, file capabilities)."""
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)


def set_dumpable(on: bool) -> None:
    """``PR_SET_DUMPABLE``: 0 forbids ptrace and ``/proc/<pid>/mem`` by same-uid processes."""
    _prctl(_PR_SET_DUMPABLE, 1 if on else 0)


def set_child_subreaper() -> None:
    """Orphaned descendants become this process's children (so it can kill and reap them)."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Have the kernel send ``sig`` to this process when its parent thread dies."""
    _prctl(_PR_SET_PDEATHSIG, int(sig))


# ------------------------------------------------------------------- landlock

_LL_EXECUTE, _LL_WRITE_FILE, _LL_READ_FILE, _LL_READ_DIR = 1, 2, 4, 8
_LL_ALL_V1 = (1 << 13) - 1
_LL_REFER, _LL_TRUNCATE, _LL_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_LL_FILE_RIGHTS = _LL_EXECUTE | _LL_WRITE_FILE | _LL_READ_FILE | _LL_TRUNCATE | _LL_IOCTL_DEV


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when it has none (or it is switched off)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        version = _libc().syscall(ctypes.c_long(_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0),
                                  ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def _landlock_fs_rights(abi: int) -> int:
    rights = _LL_ALL_V1
    if abi >= 2:
        rights |= _LL_REFER
    if abi >= 3:
        rights |= _LL_TRUNCATE
    if abi >= 5:
        rights |= _LL_IOCTL_DEV
    return rights


def landlock_restrict(read: Iterable[str], write: Iterable[str], devices: Iterable[str] = ()) -> list[str]:
    """Restrict this process (and what it starts) with Landlock; return what was restricted.

    ``read``: folders it may read and execute from; ``write``: folders it may also change;
    ``devices``: files it may read and write. With ABI 4 it may neither bind nor connect
    TCP sockets; with ABI 6 it may not signal, nor connect to abstract Unix sockets of,
    processes outside its domain. Needs ``PR_SET_NO_NEW_PRIVS`` first.
    """
    abi = landlock_abi()
    if abi < 1:
        raise OSError(errno.ENOSYS, "Landlock is not available")
    fs = _landlock_fs_rights(abi)
    net = 3 if abi >= 4 else 0
    scoped = 3 if abi >= 6 else 0

    class RulesetAttr(ctypes.Structure):
        _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                    ("scoped", ctypes.c_uint64)]

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    attr = RulesetAttr(fs, net, scoped)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    libc = _libc()
    ruleset = _check(libc.syscall(ctypes.c_long(_LANDLOCK_CREATE_RULESET), ctypes.byref(attr),
                                  ctypes.c_size_t(size), ctypes.c_uint32(0)), "landlock_create_ruleset")
    try:
        rules = [(path, _LL_READ_FILE | _LL_READ_DIR | _LL_EXECUTE) for path in read]
        rules += [(path, fs) for path in write]
        rules += [(path, _LL_READ_FILE | _LL_WRITE_FILE | _LL_TRUNCATE | _LL_IOCTL_DEV) for path in devices]
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                allowed = rights & fs & (_LL_FILE_RIGHTS if not os.path.isdir(path) else ~0)
                rule = PathBeneath(allowed, fd)
                _check(libc.syscall(ctypes.c_long(_LANDLOCK_ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(1),
                                    ctypes.byref(rule), ctypes.c_uint32(0)), f"landlock_add_rule {path}")
            finally:
                os.close(fd)
        _check(libc.syscall(ctypes.c_long(_LANDLOCK_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)),
               "landlock_restrict_self")
    finally:
        os.close(ruleset)
    done = [f"landlock ABI {abi}: files"]
    if net:
        done.append("no TCP")
    if scoped:
        done.append("no signals out")
    return done


# ------------------------------------------------------------- the file system


def _vm_size() -> int:
    """This process's address space in bytes (0 when /proc cannot tell)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _mkdirs(root: str, path: str) -> str:
    target = root + path
    os.makedirs(target, mode=0o755, exist_ok=True)
    return target


def build_root(mountpoint: str, layout: Layout, limits: Limits) -> None:
    """Make ``mountpoint`` (in a new mount namespace) the learner's whole file system and
    move this process's root there (``pivot_root``); see the module docstring."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing we do here leaks to the host
    _mount("tmpfs", mountpoint, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=4m,mode=0755")
    root = mountpoint
    scratch = _mkdirs(root, SCRATCH)  # first: a bound folder below /tmp (a venv there) stays visible
    _mount("tmpfs", scratch, "tmpfs", _MS_NOSUID | _MS_NODEV,
           f"size={int(limits.scratch_mb * 2**20)},mode=1777")
    for top in SYSTEM_FOLDERS:  # /lib -> usr/lib on merged-/usr systems: the same link inside
        if os.path.islink(top):
            os.symlink(os.readlink(top), root + top)
    bound: list[str] = []
    links: dict[str, str] = {}
    for path in sorted({os.path.realpath(p) for p in layout.read_only}, key=len):
        if not any(_inside(path, done) for done in bound):
            _bind_read_only(path, _mkdirs(root, path))
            bound.append(path)
    for path in layout.read_only:  # a prefix reached through a link (/opt/py -> /opt/python3.11)
        if os.path.realpath(path) != path and not os.path.lexists(root + path):
            links[path] = os.path.realpath(path)
    for path, real in links.items():
        parent = os.path.realpath(root + os.path.dirname(path))
        if _inside(parent, root) and not os.path.lexists(root + path):
            os.makedirs(parent, exist_ok=True)
            os.symlink(real, root + path)
    for path in layout.hidden:  # an empty, read-only folder over anything secret that a bind exposed
        path = os.path.realpath(path)
        if any(_inside(path, done) for done in bound) and os.path.isdir(root + path):
            _mount("tmpfs", root + path, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_RDONLY, "size=4k,mode=0555")
    if layout.package:
        package = os.path.realpath(layout.package)
        _bind_read_only(package, _mkdirs(root, package))
    dev = _mkdirs(root, "/dev")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            open(f"{dev}/{name}", "w").close()
            _mount(f"/dev/{name}", f"{dev}/{name}", None, _MS_BIND)
    os.symlink(SCRATCH, f"{dev}/shm")  # multiprocessing's semaphores live in /dev/shm
    os.chdir(root)
    _pivot_root(".")  # the old root ends up on top of the new one ...
    _check(_libc().umount2(b".", ctypes.c_int(_MNT_DETACH)), "umount old root")  # ... and is let go
    os.chdir("/")
    _mount(None, "/", None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)


def _bind_read_only(source: str, target: str) -> None:
    _mount(source, target, None, _MS_BIND | _MS_REC)
    _mount(None, target, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)


def enter_namespaces(mountpoint: str, layout: Layout, limits: Limits) -> list[str]:
    """New mount, PID, IPC, network and UTS namespaces for this (single-threaded) process,
    and the learner's file system. The PID namespace is that of this process's children.

    As root the namespaces belong to the initial user namespace (the learner later drops to
    its own uid); an unprivileged grader first creates a user namespace that maps only its
    own uid, which lets it mount, and the learner drops every capability in it.
    """
    flags = _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWIPC | _CLONE_NEWNET | _CLONE_NEWUTS
    done = ["mount", "pid", "ipc", "net"]
    if os.geteuid() == 0:
        _unshare(flags)
    else:
        uid, gid = os.geteuid(), os.getegid()
        _unshare(flags | _CLONE_NEWUSER)
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w", encoding="ascii") as handle:
                handle.write(text)
        done.insert(0, "user")
    build_root(mountpoint, layout, limits)
    return done


# ----------------------------------------------------------- the three processes


@dataclass
class Request:
    """One sandbox to start: how, with what limits, for which learner entry point."""

    level: Level
    layout: Layout
    limits: Limits
    mountpoint: str = ""
    scratch_base: str = ""  # host folder for scratch folders when there is no mount namespace
    extra: dict[str, Any] = field(default_factory=dict)


def _send_line(sock: socket.socket, message: dict[str, Any]) -> None:
    try:
        sock.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass


def run_outer(request: Request, conn: socket.socket, lifeline: socket.socket,
              learner_main: Callable[[socket.socket, dict[str, Any]], None]) -> None:
    """Body of the outer process (a fresh fork of the template); never returns.

    It builds the sandbox, forks the learner's process into it (PID 1 of the new PID
    namespace), and watches: when that process ends or the grader lets go of the lifeline,
    it kills the namespace (the kernel kills every process in a PID namespace whose PID 1
    dies, and reaping PID 1 waits for them), reports how the learner's process ended, and
    exits. Without a PID namespace it is a child subreaper and kills the tree itself.
    """
    code = 0
    scratch = None
    keep = {conn.fileno(), lifeline.fileno()}
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C stops the grader, which lets go of us
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _close_other_fds(keep)
        vm_size = _vm_size()
        uid = SANDBOX_UID_BASE + os.getpid() if os.geteuid() == 0 and request.level is not Level.OFF else None
        mechanisms: list[str] = []
        in_namespace = request.level is Level.NAMESPACES
        if in_namespace:
            mechanisms = enter_namespaces(request.mountpoint, request.layout, request.limits)
            workdir = SCRATCH
        else:
            import tempfile

            set_child_subreaper()
            scratch = tempfile.mkdtemp(prefix="learner-", dir=request.scratch_base or None)
            if uid is not None:
                os.chown(scratch, uid, uid)
            workdir = scratch
        learner = os.fork()
        if learner == 0:
            try:
                done = _restrict_learner(request, uid, vm_size, workdir)
            except BaseException as exc:  # before any learner code: the lifeline is still ours
                _send_line(lifeline, {"event": "error", "message": f"{type(exc).__name__}: {exc}"})
                os._exit(70)
            _send_line(lifeline, {"event": "isolated", "mechanisms": [*mechanisms, *done]})
            lifeline.close()  # before any learner code: what the lifeline says is the sandbox's own
            learner_main(conn, {"isolation": [*mechanisms, *done], **request.extra})
            os._exit(0)
        conn.close()
        how = _watch(learner, lifeline)
        _kill_everything(in_namespace, learner)
        _send_line(lifeline, {"event": "exit", "how": how})
    except BaseException as exc:  # the sandbox could not be built: say so, run nothing
        _send_line(lifeline, {"event": "error", "message": f"{type(exc).__name__}: {exc}"})
        code = 1
    finally:
        if scratch is not None:
            remove_tree(scratch)
        os._exit(code)


def _close_other_fds(keep: set[int]) -> None:
    """Close every descriptor above 2 but ``keep`` (the template's control socket above all)."""
    try:
        open_fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        open_fds = list(range(3, 1024))
    for fd in open_fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _restrict_learner(request: Request, uid: int | None, vm_size: int, workdir: str) -> list[str]:
    """Everything the learner's process gives up before any learner code runs."""
    done = []
    os.setsid()
    if uid is not None:  # a root grader: the learner becomes a uid of its own, without groups
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        done.append("own uid")
    elif request.level is Level.NAMESPACES:
        _drop_capabilities()
    no_new_privileges()
    set_dumpable(False)
    if request.level in (Level.NAMESPACES, Level.LANDLOCK) and landlock_abi() > 0:
        if request.level is Level.NAMESPACES:
            read, write = ["/"], [SCRATCH]
        else:
            read, write = [*request.layout.read_only, request.layout.package], [workdir]
        try:
            done += landlock_restrict(read, write, [f"/dev/{name}" for name in DEVICES])
        except OSError:
            if request.level is Level.LANDLOCK:
                raise
    limits = request.limits
    memory = vm_size + int(limits.memory_mb * 2**20) if limits.memory_mb else resource.RLIM_INFINITY
    for name, value in (("RLIMIT_AS", memory), ("RLIMIT_NPROC", limits.processes),
                        ("RLIMIT_CPU", int(limits.cpu_seconds)), ("RLIMIT_FSIZE", int(limits.file_mb * 2**20)),
                        ("RLIMIT_NOFILE", limits.open_files), ("RLIMIT_CORE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))
    done.append("hard rlimits")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large file is an OSError, not a kill
    os.chdir(workdir)
    os.environ.update(HOME=workdir, TMPDIR=workdir, MPLCONFIGDIR=workdir)
    return done


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by signal {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit code {os.WEXITSTATUS(status)}"


def _reap(learner: int) -> str | None:
    """Reap every finished child; how the learner's process ended, if it did."""
    how = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return how or "it stopped"
        if pid == 0:
            return how
        if pid == learner:
            how = _describe_status(status)


def _watch(learner: int, lifeline: socket.socket) -> str:
    """Wait until the learner's process ends or the grader lets go of the lifeline."""
    try:
        pidfd = os.pidfd_open(learner)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while True:
            watched = [lifeline] + ([pidfd] if pidfd is not None else [])
            try:
                ready, _, _ = select.select(watched, [], [], 0.5)
            except InterruptedError:  # pragma: no cover
                continue
            how = _reap(learner)
            if how is not None:
                return how
            if lifeline in ready:
                try:
                    data = lifeline.recv(64)
                except OSError:
                    data = b""
                if not data:  # the grader is done with it, or gone
                    return "stopped by the grader"
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _children() -> list[int]:
    """This process's children (read from /proc; [] when it cannot tell)."""
    me = os.getpid()
    try:
        tasks = os.listdir(f"/proc/{me}/task")
        found = []
        for task in tasks:
            with open(f"/proc/{me}/task/{task}/children", encoding="ascii") as handle:
                found += [int(pid) for pid in handle.read().split()]
        return found
    except OSError:
        return []


def _kill_everything(in_namespace: bool, learner: int) -> None:
    """SIGKILL every process of the sandbox and reap them all (until there are no children).

    In a PID namespace, killing its PID 1 (the learner's process, our only child) kills
    every process in it, and reaping it returns only once they are gone. Without one, this
    process is a child subreaper: every orphan of the learner's becomes its child, and is
    killed as it turns up.
    """
    while True:
        if in_namespace:
            try:
                os.kill(learner, signal.SIGKILL)
            except OSError:
                pass
        else:
            for target in (-learner, *_children()):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
        try:
            pid, _status = os.waitpid(-1, 0 if in_namespace else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            import time

            time.sleep(0.01)


def kill_descendants() -> None:
    """SIGKILL and reap every child of this process (a subreaper: orphans included) until none."""
    while True:
        for pid in _children():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            import time

            time.sleep(0.01)


def remove_tree(path: str | os.PathLike) -> None:
    """Remove a scratch folder whatever the learner did to its permissions."""
    import shutil
    import stat

    retried: set[str] = set()

    def _unlock(function: Any, name: str, _info: Any) -> None:
        """Give back the permissions a learner took away (never through a link: its target
        is not the learner's) and remove ``name`` again, with everything below it, once."""
        if name in retried:
            return
        retried.add(name)
        try:
            os.chmod(os.path.dirname(name), stat.S_IRWXU)
            if os.path.islink(name):
                os.unlink(name)
                return
            os.chmod(name, stat.S_IRWXU)
            if os.path.isdir(name):
                shutil.rmtree(name, onerror=_unlock)
            else:
                function(name)
        except OSError:
            pass

    shutil.rmtree(path, onerror=_unlock)
