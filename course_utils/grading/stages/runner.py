"""Run exercise tests against a notebook and collect one result per test.

:func:`run_tests` runs pytest in the current process with a :class:`Session` plugin that
records, for every test, its exercise, points, hint, status and a learner-facing message
(never the test's code: assertions are run in ``--assert=plain`` mode and only the first
line of an assertion message is kept). :func:`run_isolated` runs work like this in a
forked worker so that many notebooks can be graded side by side, each in a fresh process
that inherits the already imported numpy, scipy and pytest.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Iterator

import pytest

from .. import credit
from ..config import GradingConfig, Status
from ..errors import GraderProblem, StudentError, StudentProblem
from ..plugin import SESSION_KEY, exercise_info, notebook_of
from ..safetext import clean
from ..sandbox.child import environment
from ..sandbox.proxy import process_context


@dataclass
class TestResult:
    """One test of one notebook: what ``results.jsonl`` stores, one JSON object per line."""

    notebook: str
    exercise: str
    test: str
    status: str  # a Status value: passed, failed, error, timeout, crashed, missing, ...
    points: float
    max_points: float
    message: str = ""
    hint: str = ""
    seconds: float = 0.0
    requires_value: bool = False  # earns points only with a passing value test (scoring.apply_gates)
    hidden: bool = False  # a hidden test (tests/hidden/): feedback shows its name and points only
    prediction: dict[str, Any] | None = None  # what a prediction test recorded (credit.prediction_record)

    def to_dict(self) -> dict[str, Any]:
        # a field at a time, not dataclasses.asdict, whose deep copy of every value cost about 40 ms
        # of a learner's grading; only a prediction holds anything that is not immutable
        row = {name: getattr(self, name) for name in self.__dataclass_fields__}
        if self.prediction is None:  # only prediction tests carry one
            del row["prediction"]
        else:
            row["prediction"] = copy.deepcopy(self.prediction)
        return row


@dataclass(eq=False)  # pytest keeps plugins in sets and dicts: compare and hash by identity
class Session:
    """pytest plugin object collecting :class:`TestResult` rows (and notes) for one run.

    ``notebooks`` maps a notebook stem to the file its test module grades (it overrides
    ``--target``); ``exercises`` restricts the run to those exercises. ``config`` holds
    the limits, ``launcher`` starts the learner's processes (the sandbox's template when
    grading a class), and ``student`` is the name of the student's folder, from which the
    ``student_seed`` fixture draws that student's hidden-test inputs. ``proxies`` holds one
    ``Student`` per notebook, shared by its public and hidden test modules.
    """

    notebooks: dict[str, str] = field(default_factory=dict)
    exercises: frozenset[str] | None = None
    timeout: float | None = None
    memory_mb: float | None = None
    results: list[TestResult] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    config: GradingConfig | None = None
    launcher: Any = None
    student: str | None = None
    proxies: dict[str, Any] = field(default_factory=dict)
    isolation: dict[str, list[str]] = field(default_factory=dict)

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SESSION_KEY] = self

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        keep = [item for item in items if (info := exercise_info(item)) is not None
                and (self.exercises is None or info["name"] in self.exercises)]
        dropped = [item for item in items if item not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep

    @pytest.hookimpl(specname="pytest_runtest_makereport", tryfirst=True)
    def pytest_brief_report(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
        """A failure's report without pytest's traceback: pytest formats one with the source of
        every frame (about 20 ms a failure, most of a failing learner's grading), and the grader
        reads the exception itself (:func:`describe_failure`), never the traceback. Passes and
        skips keep pytest's own report."""
        excinfo = call.excinfo
        if excinfo is None or isinstance(excinfo.value, (pytest.skip.Exception, BaseExceptionGroup)):
            return None
        try:
            brief = excinfo.exconly()
        except Exception:  # an exception whose str() raises
            brief = excinfo.typename
        call_fields = SimpleNamespace(when=call.when, duration=call.duration, start=call.start, stop=call.stop,
                                      excinfo=clean(brief, 300))  # not an ExceptionInfo: pytest keeps it as text
        return pytest.TestReport.from_item_and_call(item, call_fields)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        report = yield
        if report.when == "call" or (report.when == "setup" and not report.passed):
            info = exercise_info(item) or {}
            status, message, kind = describe_failure(report, call, info.get("name", ""))
            max_points = float(info.get("points", 0))
            status, points = credit.outcome(status, max_points, call.excinfo.value if call.excinfo else None)
            hint = (info.get("hints") or {}).get(kind) or info.get("hint", "")
            self.results.append(TestResult(
                notebook=notebook_of(item), exercise=info.get("name", "?"),
                test=describe_test(item.name, info.get("name", "")), status=status,
                points=points, max_points=max_points,
                message=message, hint=hint, seconds=round(report.duration, 3),
                requires_value=bool(info.get("requires_value", False)),
                hidden=bool(info.get("hidden", False)), prediction=credit.prediction_of(report.user_properties)))
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        """After a notebook's last test (its public and hidden modules run one after the
        other), stop its learner process: a learner's run holds one sandbox at a time, not one
        per notebook."""
        result = yield
        if nextitem is None or notebook_of(nextitem) != notebook_of(item):
            self._finish(notebook_of(item))
        return result

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Stop every learner process still running (a run stopped early)."""
        for stem in list(self.proxies):
            self._finish(stem)

    def _finish(self, stem: str) -> None:
        """Stop the learner process of notebook ``stem``, keep its notes and what isolated it,
        and point each failure at the failing exercises its code uses."""
        proxy = self.proxies.pop(stem, None)
        if proxy is None:
            return
        proxy.close()
        self.notes.setdefault(stem, []).extend(proxy.notes)
        if proxy.isolation:
            self.isolation[stem] = list(proxy.isolation)
        attribute_failures(self.results, stem, proxy.uses)


#: two numbers joined by one underscore in a test's name are one number with a decimal point
_DECIMAL = re.compile(r"(?<![^_])(\d+)_(\d+)(?![^_])")


def describe_test(function_name: str, exercise: str) -> str:
    """``test_fit_power_law_recovers_x`` -> ``recovers x`` (a name a learner can read).

    A Python name cannot hold a decimal point, so a test writes 46.7 as ``46_7``: two groups
    of digits joined by one underscore, each a word of its own, read as one number
    (``test_mixtral_has_46_7_billion`` -> ``mixtral has 46.7 billion``; ``llama3_8b`` stays).
    """
    words = function_name.removeprefix("test_")
    words = words.removeprefix(f"{exercise}_") if exercise else words
    base = _DECIMAL.sub(r"\1.\2", words.split("[")[0])
    return base.replace("_", " ") + (f" [{function_name.split('[', 1)[1]}" if "[" in function_name else "")


#: what an assertion message looks like when it is a tool's dump, not a sentence for learners
_DUMP = re.compile(r"Not equal to tolerance|Arrays are not|Mismatched elements|Max (absolute|relative) "
                   r"difference|\(shapes .* mismatch\)|^x and y nan location mismatch")
#: pytest's own text for a bare ``assert`` (it shows the test's code)
_REWRITTEN = re.compile(r"^assert |^where |approx\(")
_DID_NOT_RAISE = re.compile(r"DID NOT RAISE (?:<class '(?:[\w.]*\.)?(\w+)'>|\(?([\w., ]+)\)?)")
#: the kind of failure (for ``@exercise(hints=...)``) of each status that is not a comparison
_STATUS_KINDS = {Status.NOT_IMPLEMENTED: "not implemented", Status.ERROR: "raised", Status.TIMEOUT: "timeout",
                 Status.TOO_SLOW: "timeout"}
_UNDEFINED = re.compile(r"name '(\w+)' is not defined")
_NAME_ERROR_NOTE = ("; only the setup cell and the cells tagged 'exercise' are graded, with the functions, "
                    "imports and fixed values they use from other cells")


def describe_outcome(report: pytest.TestReport, call: pytest.CallInfo) -> tuple[str, str]:
    """Status word and learner-facing message for a test report (no test code)."""
    status, message, _kind = describe_failure(report, call)
    return status, message


def describe_failure(report: pytest.TestReport, call: pytest.CallInfo, exercise: str = "") -> tuple[str, str, str]:
    """``(status, message, kind)`` of a test report: a learner-facing sentence (never test
    code, never a tool's tolerance dump) and the kind of failure that ``@exercise(hints=...)``
    keys hints by ("wrong sign", "did not raise", "not implemented"...; "" when none)."""
    if report.passed:
        return Status.PASSED, "", ""
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return Status.SKIPPED, reason.removeprefix("Skipped: "), ""
    exc = call.excinfo.value if call.excinfo is not None else None
    function = exercise or "your function"
    if isinstance(exc, GraderProblem):
        return Status.GRADER_ERROR, str(exc), ""
    if report.when == "setup":
        return Status.GRADER_ERROR, f"the grader could not prepare this test ({type(exc).__name__}: {exc})", ""
    if isinstance(exc, StudentError):
        message = f"{function} raised {exc}"
        if exc.type_name in ("NameError", "UnboundLocalError") and "is not defined" in exc.learner_message:
            message += _NAME_ERROR_NOTE
        return exc.status, message, _STATUS_KINDS.get(exc.status, "")
    if isinstance(exc, StudentProblem):
        return exc.status, str(exc), _STATUS_KINDS.get(exc.status, "")
    if isinstance(exc, AssertionError):
        # keep an explicit message's first line; drop pytest's rewritten "assert <code>" text and
        # the dumps of numpy.testing ("Not equal to tolerance rtol=...")
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
        kind = getattr(exc, "kind", "")
        if _DUMP.search(first):
            return Status.FAILED, "your result is not the expected one, within this test's tolerance", kind
        if not first or _REWRITTEN.search(first):
            return Status.FAILED, "wrong result", kind
        return Status.FAILED, clean(first, 300), kind
    raised = _DID_NOT_RAISE.search(str(exc)) if type(exc).__name__ == "Failed" else None
    if raised:
        error = raised.group(1) or raised.group(2) or "an error"
        return Status.FAILED, f"{function} accepted this test's input; it should raise {error}", "did not raise"
    return Status.FAILED, f"your result could not be checked ({type(exc).__name__}: {clean(exc, 200)})", ""


def attribute_failures(results: list[TestResult], notebook: str, uses: dict[str, tuple[str, ...]]) -> None:
    """Point each failed test of ``notebook`` at the failing exercises its code uses.

    ``bootstrap_interval`` calls ``fit_power_law``: when both fail, the bootstrap's message
    ends "... — it uses your fit_power_law, which fails 3 of 4 checks" and its hint says to
    fix that first. A check counts as failing when it earns nothing (the scoring gates
    included). Hidden tests show no message, so they are left alone. Changes ``results``.
    """
    from ..scoring import apply_gates

    mine = [result for result in results if result.notebook == notebook]
    tally: dict[str, list[int]] = {}
    for row in apply_gates(result.to_dict() for result in mine):
        counts = tally.setdefault(row["exercise"], [0, 0])
        counts[0] += row["status"] != Status.PASSED
        counts[1] += 1
    for result in mine:
        if result.status == Status.PASSED or result.hidden:
            continue
        undefined = _UNDEFINED.search(result.message)
        if undefined and undefined.group(1) in tally:  # an exercise is not a helper to move
            result.message = result.message.replace(_NAME_ERROR_NOTE, "")
        failing = [(other, *tally[other]) for other in uses.get(result.exercise, ())
                   if tally.get(other, [0])[0] and f"calls {other}," not in result.message]
        if not failing:
            continue
        which = "; ".join(f"your {other}, which fails {failed} of {total} checks" for other, failed, total in failing)
        first = " and ".join(other for other, _, _ in failing)
        result.message = f"{result.message} — it uses {which}"
        result.hint = f"fix {first} first" + (f"; then: {result.hint}" if result.hint else "")


#: pytest plugins the engine switches off: together they cost ~0.3 s per notebook
#: (unraisableexception runs gc.collect twice; logging adds and removes its handlers around
#: every phase of every test; the terminal reporter writes a line per test and a summary
#: nobody reads: :class:`_Errors` keeps what it would say about a module that does not
#: load); third-party plugins are not loaded at all.
_UNNEEDED_PLUGINS = ("cacheprovider", "unraisableexception", "threadexception", "faulthandler", "logging", "terminal")


class _Errors:
    """What pytest's terminal reporter would have written about a test module that cannot be
    collected (the message :func:`check_exit_code` quotes)."""

    def __init__(self, out: io.StringIO) -> None:
        self.out = out

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.out.write(f"ERROR collecting {report.nodeid}\n{report.longrepr}\n")


def run_pytest(args: list[str], plugins: list[Any], *, modules: str = "fresh") -> tuple[int, str]:
    """Run pytest here with its output captured: ``(exit code, output)``.

    The grading plugin (:mod:`.plugin`) is registered whatever the tests' folder holds, so
    its options exist even where no ``conftest.py`` imports it.

    pytest reuses a test module of the same name that is already imported (its import modes
    name a module after its path). ``modules`` says what to do about that:

    ``"fresh"``
        set aside every test module for the run, forget what the run imported, and put the
        others back (a process that runs tests more than once: ``check``, the tests);
    ``"keep"``
        import the test modules afresh and leave them imported: the collection of a class's
        grading, in the process that then forks a grading worker per learner;
    ``"reuse"``
        use the test modules already imported as they are: the session of a class's grading
        (:func:`run_collected`), in the process that collected (and hashed) them.
    """
    from .. import plugin

    if modules not in ("fresh", "keep", "reuse"):
        raise ValueError(f"modules must be 'fresh', 'keep' or 'reuse', not {modules!r}")
    out = io.StringIO()
    aside = {} if modules == "reuse" else {name: module for name, module in sys.modules.items()
                                           if _is_test_module(name)}
    for name in aside:
        del sys.modules[name]
    known = set(sys.modules)
    with environment(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = pytest.main(args, plugins=[plugin, _Errors(out), *plugins])
        except Exception as exc:  # pytest itself raised: the same as an internal error
            out.write(f"\n{type(exc).__name__}: {exc}")
            code = pytest.ExitCode.INTERNAL_ERROR
        finally:
            if modules == "fresh":
                for name in set(sys.modules) - known:
                    if _is_test_module(name):
                        del sys.modules[name]
                sys.modules.update(aside)
    return int(code), out.getvalue()


def _is_test_module(name: str) -> bool:
    """``test_x``, ``pkg.test_x``, ``conftest``: names pytest gives the files it collects."""
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def check_exit_code(code: int, output: str, *, allow_no_tests: bool = False) -> None:
    """Raise :class:`~.errors.GraderProblem` with pytest's message unless pytest ran the tests
    (exit code 0 or 1; 5, no tests, only when ``allow_no_tests``)."""
    if code in (0, 1) or (code == 5 and allow_no_tests):
        return
    try:
        name = pytest.ExitCode(code).name.lower().replace("_", " ")
    except ValueError:
        name = "unknown"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or line.startswith(("E ", "ERROR"))]
    detail = " / ".join((errors or lines)[-3:])[-600:]
    raise GraderProblem(f"pytest stopped with exit code {code} ({name})" + (f": {detail}" if detail else ""))


def pytest_args(*test_files: str | os.PathLike, target: str | os.PathLike = "solutions",
                extra: Iterable[str] = ()) -> list[str]:
    """The pytest command line the engine uses for some test modules and a target.

    ``--import-mode=importlib``: a hidden test module has the same file name as its public
    one (``tests/hidden/test_ex02.py``, ``tests/exercises/test_ex02.py``). ``-o addopts=``:
    the engine's options are the whole command line, whatever an ini file adds (the project's
    ``--mpl`` names a plugin the grader does not load; ``-ra`` would need the terminal
    reporter, which is off). ``--capture=no``: nothing reads what a test prints (learner code
    prints in its own process, to ``os.devnull``), and capturing costs every test three
    rounds of redirecting and reading back.
    """
    return [*map(str, test_files), "--target", str(target), "-o", "addopts=", "--assert=plain", "-W", "ignore",
            "--capture=no", "--import-mode=importlib",
            *(arg for plugin in _UNNEEDED_PLUGINS for arg in ("-p", f"no:{plugin}")), *extra]


def run_tests(test_files: Iterable[str | os.PathLike], target: str | os.PathLike = "solutions", *,
              notebooks: dict[str, str] | None = None, exercises: Iterable[str] | None = None,
              timeout: float | None = None, memory_mb: float | None = None,
              config: GradingConfig | None = None, launcher: Any = None, student: str | None = None) -> Session:
    """Run the exercise tests of ``test_files`` here, against ``target`` or ``notebooks``
    (``check``; ``grade`` collects once and runs each learner in a fork, :func:`run_collected`).

    Raises
    ------
    GraderProblem
        When pytest did not run the tests (an exit code other than 0 or 1), with its message.
    """
    session = Session(dict(notebooks or {}), frozenset(exercises) if exercises is not None else None,
                      timeout, memory_mb, config=config, launcher=launcher, student=student)
    code, output = run_pytest(pytest_args(*test_files, target=target), [session])
    check_exit_code(code, output, allow_no_tests=exercises is not None)
    return session


class CollectedTests:
    """A pytest session that collects its tests once and then, instead of running them, hands
    them to ``body`` (:func:`run_collected`), which forks grading workers: each worker grades
    one learner on the collected tests (:meth:`grade`), then exits."""

    def __init__(self, session: Session, body: Callable[["CollectedTests"], None]) -> None:
        self.session = session
        self.body = body
        self.items: list[pytest.Item] = []
        self.pytest_session: pytest.Session | None = None
        self.raised: BaseException | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        if session.testsfailed:  # a module did not import: pytest's own loop stops the run with its errors
            return None
        self.items, self.pytest_session = list(session.items), session
        try:
            _prepare_workers(self.items)
            self.body(self)
        except BaseException as exc:  # Ctrl-C included: raised again once pytest has finished
            self.raised = exc
        return True

    def grade(self, notebooks: dict[str, str], student: str) -> dict[str, Any]:
        """In a grading worker forked by ``body``: the tests of the notebooks in ``notebooks``
        (stem -> file), run as pytest's own loop runs them; plain data back (each notebook's
        rows, notes and what isolated it). ``student`` seeds the hidden tests' inputs."""
        session, pytest_session = self.session, self.pytest_session
        session.notebooks, session.student = dict(notebooks), student
        items = [item for item in self.items if notebook_of(item) in notebooks]
        pytest_session.items = items  # the student fixture finds a notebook's test modules here
        for index, item in enumerate(items):
            nextitem = items[index + 1] if index + 1 < len(items) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        session.pytest_sessionfinish(pytest_session)  # every learner process stopped
        rows: dict[str, list[dict]] = {stem: [] for stem in notebooks}
        for row in session.results:
            rows.setdefault(row.notebook, []).append(row.to_dict())
        return {"rows": rows, "notes": session.notes, "isolation": session.isolation}


def _prepare_workers(items: list[pytest.Item]) -> None:
    """Done here once, before ``body`` forks the grading workers, what each worker would
    otherwise do again for every learner: read each test module's ``BLOCKED`` names, and have
    pytest work out each test's location (a cached path relative to the root that every
    report carries: 0.2 ms a test)."""
    from ..plugin import blocked_names

    modules = list(dict.fromkeys(item.module for item in items if getattr(item, "module", None) is not None))
    for module in modules:
        blocked_names(module)
    for item in items:
        item.location  # noqa: B018 (a cached property: computed here, inherited by every worker)


def run_collected(test_files: Iterable[str | os.PathLike], body: Callable[[CollectedTests], None], *,
                  config: GradingConfig, launcher: Any = None, preload: Iterable[str] = ()) -> None:
    """Start pytest and collect ``test_files`` once, then call ``body`` with the collected
    tests instead of running them; ``body`` forks a grading worker per learner
    (:func:`run_isolated`) that calls :meth:`CollectedTests.grade`. Every learner is graded
    as a pytest run of their own would grade them, without starting pytest and collecting
    the tests again for each (about a tenth of a learner's grading). Test modules imported
    already (:func:`collect_syllabi` with ``keep_modules``) are used as they are. ``preload``
    names the modules the tests import as they run (:func:`.discover.preload_names`): they
    are imported here, once, before the workers fork (about 35 ms a worker otherwise, without
    bytecode caches).

    Raises
    ------
    GraderProblem
        When pytest could not collect the tests; and what ``body`` raised.
    """
    from ..sandbox.blocking import preload_names

    preload_names(preload)
    session = Session(timeout=config.timeout, memory_mb=config.memory_mb, config=config, launcher=launcher)
    suite = CollectedTests(session, body)
    code, output = run_pytest(pytest_args(*test_files), [session, suite], modules="reuse")
    if suite.raised is not None:
        raise suite.raised
    check_exit_code(code, output, allow_no_tests=True)


def collect_syllabi(test_files: Iterable[str | os.PathLike], *, keep_modules: bool = False
                    ) -> dict[str, list[dict[str, Any]]]:
    """Every exercise test in ``test_files``, collected in one pytest session, by the notebook
    its module grades (``test_<stem>.py``: ``stem``): ``{exercise, test, max_points, hint,
    hidden, timeout, requires_value}`` in order. With ``keep_modules`` the test modules stay
    imported (:func:`run_pytest`'s ``"keep"``). A module that does not import is a
    :class:`GraderProblem`."""
    test_files = list(test_files)
    syllabi: dict[str, list[dict[str, Any]]] = {}
    if not test_files:  # pytest would collect the ini file's testpaths instead
        return syllabi

    class _Collector:
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            for item in session.items:
                info = exercise_info(item)
                if info is not None:
                    syllabi.setdefault(notebook_of(item), []).append({
                        "exercise": info["name"], "test": describe_test(item.name, info["name"]),
                        "max_points": float(info["points"]), "hint": info.get("hint", ""),
                        "hidden": bool(info.get("hidden", False)), "timeout": info.get("timeout"),
                        "requires_value": bool(info.get("requires_value", False))})

    code, output = run_pytest(pytest_args(*test_files, extra=["--collect-only"]), [_Collector()],
                              modules="keep" if keep_modules else "fresh")
    check_exit_code(code, output, allow_no_tests=True)
    return syllabi


def collect_syllabus(*test_files: str | os.PathLike) -> list[dict[str, Any]]:
    """Every exercise test in ``test_files`` (collected together), in order: see
    :func:`collect_syllabi`."""
    return [row for rows in collect_syllabi(test_files).values() for row in rows]


# ---------------------------------------------------------------- isolated workers


def _worker(conn: Any, fn: Callable, args: tuple, kwargs: dict, memory_mb: float | None = None) -> None:
    if sys.platform.startswith("linux"):  # the worker goes when the grader goes (its sandboxes follow)
        try:
            from ..sandbox.isolation import die_with_parent

            die_with_parent()
        except OSError:
            pass
    if memory_mb:  # a hard limit: nothing a learner's process sends can make the worker grow past it
        from ..sandbox.child import apply_memory_limit

        apply_memory_limit(memory_mb)
    try:
        conn.send(("ok", fn(*args, **kwargs)))
    except BaseException as exc:  # reported to the parent, never raised past the worker
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass
class Job:
    """Work for :func:`run_isolated`: ``fn(*args, **kwargs)`` returning picklable data."""

    key: Any
    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    deadline: float = 600.0  # seconds before the worker is killed
    memory_mb: float | None = None  # address space the worker may add to what it starts with


def run_isolated(jobs: list[Job], *, workers: int = 1) -> Iterator[tuple[Any, str, Any]]:
    """Run jobs in fresh worker processes, ``workers`` at a time, yielding as they finish.

    Yields ``(key, "ok", value)`` or ``(key, "error", reason)``; a worker that dies or
    passes its deadline is killed and reported, never raised.
    """
    ctx = process_context()
    pending = list(reversed(jobs))
    running: dict[Any, tuple[Job, Any, float]] = {}
    try:
        yield from _schedule(ctx, pending, running, workers)
    finally:  # interrupted (Ctrl-C) or abandoned: stop every worker still running
        for _job, proc, _deadline in running.values():
            if proc.is_alive():
                proc.kill()
            proc.join(5)


def _schedule(ctx: Any, pending: list[Job], running: dict, workers: int) -> Iterator[tuple[Any, str, Any]]:
    from multiprocessing.connection import wait

    while pending or running:
        while pending and len(running) < max(1, workers):
            job = pending.pop()
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(child, job.fn, job.args, job.kwargs, job.memory_mb))
            proc.start()
            child.close()
            running[parent] = (job, proc, time.monotonic() + job.deadline)
        soonest = min(deadline for _, _, deadline in running.values())
        ready = wait(list(running), timeout=max(0.0, soonest - time.monotonic()))
        now = time.monotonic()
        for conn in list(running):
            job, proc, deadline = running[conn]
            if conn in ready:
                try:
                    status, value = conn.recv()
                except (EOFError, OSError):
                    proc.join(5)
                    status, value = "error", f"the grading process died (exit code {proc.exitcode})"
            elif now >= deadline:
                status, value = "error", f"grading took longer than {job.deadline:g} s and was stopped"
            else:
                continue
            del running[conn]
            conn.close()
            if proc.is_alive():
                proc.kill()
            proc.join(5)
            yield job.key, status, value
