"""Blocked stays blocked, however reached (issue 10, item 5).

Each test runs learner code in the grader's child process (through the ``Student`` proxy,
as grading does) and tries one route to a reference implementation that the test module
blocked. Every route must end in ``ImportError: <name> is not available while grading``.
Blocking itself is never called in this process: it changes functions for good.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest

from course_utils.grading.sandbox.blocking import split_entry, stub_code
from course_utils.grading.sandbox.proxy import Student

NOT_AVAILABLE = "not available while grading: write it yourself"


def _notebook(tmp_path: Path, exercise_source: str, setup_source: str = "import numpy as np") -> Path:
    cells = [{"cell_type": "code", "metadata": {"tags": ["setup"]}, "source": setup_source, "outputs": []},
             {"cell_type": "code", "metadata": {"tags": ["exercise"]}, "source": textwrap.dedent(exercise_source),
              "outputs": []}]
    path = tmp_path / "routes.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _student(tmp_path: Path, source: str, blocked: list[str], expected: list[str], **kwargs) -> Student:
    return Student(_notebook(tmp_path, source, **kwargs), expected=expected, blocked=blocked)


# --------------------------------------------------------------- the routes


def test_calling_a_blocked_function_raises_import_error(tmp_path):
    source = """
        from course_utils.powerlaw import fit_power_law
        def direct(x, y):
            return fit_power_law(x, y).alpha
    """
    with _student(tmp_path, source, ["course_utils.powerlaw.fit_power_law"], ["direct"]) as student:
        with pytest.raises(ImportError, match=f"course_utils.powerlaw.fit_power_law is {NOT_AVAILABLE}"):
            student.direct([1.0, 2.0, 4.0], [1.0, 0.5, 0.25])


def test_wrapped_and_copied_functions_are_blocked_too(tmp_path):
    """``__wrapped__`` (today's guard exposed the original there), ``inspect.unwrap`` and a
    new function built from the blocked one's code object all reach the same dead code."""
    source = """
        import inspect, types
        import course_utils.compute as compute
        def via_wrapped(n, d):
            return getattr(compute.training_flops, "__wrapped__", compute.training_flops)(n, d)
        def via_unwrap(n, d):
            return inspect.unwrap(compute.training_flops)(n, d)
        def via_code_copy(n, d):
            f = compute.training_flops
            return types.FunctionType(f.__code__, f.__globals__, "copy", f.__defaults__, f.__closure__)(n, d)
    """
    names = ["via_wrapped", "via_unwrap", "via_code_copy"]
    with _student(tmp_path, source, ["course_utils.compute.training_flops"], names) as student:
        for name in names:
            with pytest.raises(ImportError, match=NOT_AVAILABLE):
                getattr(student, name)(1e9, 2e10)


def test_a_cached_or_decorated_function_is_blocked_with_its_cache(tmp_path, monkeypatch):
    """A blocked name may be a wrapper (``functools.lru_cache``, ``functools.wraps``): the
    function inside is blocked, and answers the cache already holds are forgotten."""
    library = tmp_path / "library"
    library.mkdir()
    (library / "reference_demo.py").write_text(textwrap.dedent("""
        import functools

        @functools.lru_cache(maxsize=None)
        def cached(x):
            return 2 * x

        def _logged(function):
            @functools.wraps(function)
            def wrapper(*args):
                return function(*args)
            return wrapper

        @_logged
        def decorated(x):
            return 3 * x

        ANSWER = cached(21)  # computed at import: in the cache before blocking
    """))
    monkeypatch.syspath_prepend(str(library))  # the child inherits sys.path
    source = """
        import reference_demo
        def via_cache(x):
            return reference_demo.cached(x)
        def via_inner(x):
            return reference_demo.cached.__wrapped__(x)
        def via_decorated(x):
            return reference_demo.decorated(x)
        def via_decorated_inner(x):
            return reference_demo.decorated.__wrapped__(x)
    """
    names = ["via_cache", "via_inner", "via_decorated", "via_decorated_inner"]
    with _student(tmp_path, source, ["reference_demo.cached", "reference_demo.decorated"], names) as student:
        for name in names:
            with pytest.raises(ImportError, match=NOT_AVAILABLE):
                getattr(student, name)(21)


def test_course_functions_that_call_a_blocked_one_fail_too(tmp_path):
    """Private helpers and unblocked wrappers: when only the immediate caller was checked,
    ``powerlaw._rho`` and the public ``huber`` (which both call the private ``_huber``) and
    ``repeated_data_value`` (which calls ``effective_data``) computed blocked answers."""
    source = """
        import numpy as np
        from course_utils import data_limits, powerlaw
        def via_private_helper(r, delta):
            return powerlaw._rho(np.asarray(r), delta)
        def via_public_wrapper(r, delta):
            return powerlaw.huber(r, delta)
        def via_unblocked_wrapper(epochs):
            return data_limits.repeated_data_value(epochs)
    """
    blocked = ["course_utils.powerlaw._huber", "course_utils.data_limits.effective_data"]
    names = ["via_private_helper", "via_public_wrapper", "via_unblocked_wrapper"]
    with _student(tmp_path, source, blocked, names) as student:
        for name in names[:2]:
            with pytest.raises(ImportError, match=f"course_utils.powerlaw._huber is {NOT_AVAILABLE}"):
                getattr(student, name)([3.0, -2.0], 1.0)
        with pytest.raises(ImportError, match=f"course_utils.data_limits.effective_data is {NOT_AVAILABLE}"):
            student.via_unblocked_wrapper(4.0)


def test_blocked_properties_raise(tmp_path):
    """``law.G``, ``.a`` and ``.b`` give N_opt = G·(C/6)^a without calling compute_optimal."""
    source = """
        from course_utils.chinchilla import ChinchillaLaw
        def via_property(name):
            law = ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
            return getattr(law, name)
    """
    blocked = [f"course_utils.chinchilla.ChinchillaLaw.{name}" for name in ("G", "a", "b")]
    with _student(tmp_path, source, blocked, ["via_property"]) as student:
        for name in ("G", "a", "b"):
            with pytest.raises(ImportError, match=f"ChinchillaLaw.{name} is {NOT_AVAILABLE}"):
                student.via_property(name)


def test_module_attributes_and_aliases_are_blocked(tmp_path):
    """The same function through another module that imported it, the module's ``__dict__``,
    ``sys.modules`` and the garbage collector's list of every live object."""
    source = """
        import gc, sys, types
        import course_utils.chinchilla
        def via_alias(r):
            return course_utils.chinchilla.huber(r, 1.0)
        def via_module_dict(r):
            return vars(sys.modules["course_utils.powerlaw"])["huber"](r, 1.0)
        def via_gc(r):
            found = [o for o in gc.get_objects() if isinstance(o, types.FunctionType)
                     and (o.__module__, o.__name__) == ("course_utils.powerlaw", "huber")]
            return [f(r, 1.0) for f in found]
    """
    with _student(tmp_path, source, ["course_utils.powerlaw.huber"], ["via_alias", "via_module_dict", "via_gc"]) \
            as student:
        for name in ("via_alias", "via_module_dict", "via_gc"):
            with pytest.raises(ImportError, match=NOT_AVAILABLE):
                getattr(student, name)(3.0)


def test_reloading_or_reimporting_a_module_does_not_unblock_it(tmp_path):
    """``importlib.reload``, deleting the module from ``sys.modules`` and importing it
    again, and loading its file under another name all rebuild blocked code."""
    source = """
        import importlib, importlib.util, sys
        import course_utils.powerlaw
        def via_reload(x, y):
            module = importlib.reload(course_utils.powerlaw)
            return module.fit_power_law(x, y).alpha
        def via_reimport(x, y):
            del sys.modules["course_utils.powerlaw"]
            return importlib.import_module("course_utils.powerlaw").fit_power_law(x, y).alpha
        def via_file_loader(x, y):
            spec = importlib.util.spec_from_file_location("my_copy", course_utils.powerlaw.__file__)
            module = sys.modules["my_copy"] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.fit_power_law(x, y).alpha
    """
    names = ["via_reload", "via_reimport", "via_file_loader"]
    with _student(tmp_path, source, ["course_utils.powerlaw.fit_power_law"], names) as student:
        for name in names:
            with pytest.raises(ImportError, match=NOT_AVAILABLE):
                getattr(student, name)([1.0, 2.0, 4.0], [1.0, 0.5, 0.25])


def test_blocking_a_class_blocks_every_method_defined_in_it(tmp_path):
    source = """
        from course_utils.chinchilla import ChinchillaLaw
        def via_class(c):
            law = ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
            return law.compute_optimal(c)
    """
    with _student(tmp_path, source, ["course_utils.chinchilla.ChinchillaLaw"], ["via_class"]) as student:
        with pytest.raises(ImportError, match=NOT_AVAILABLE):
            student.via_class(1e21)


# ------------------------------------------------- what still works while blocked


def test_a_kept_call_answers_the_setup_cell_and_nothing_else(tmp_path):
    """ex04's setup cell calls ``synthetic_isoflop_data(seed=7)``, which needs the blocked
    ``compute_optimal`` and ``loss``: that exact call still answers (computed before
    blocking); another call, which would give N_opt for any law, is refused."""
    setup = "import numpy as np\nfrom course_utils.chinchilla import synthetic_isoflop_data\n" \
            "N_runs, D_runs, L_runs = synthetic_isoflop_data(seed=7)"
    source = """
        from course_utils.chinchilla import ChinchillaLaw
        def setup_rows():
            return len(N_runs), float(L_runs[0])
        def leak(c):
            law = ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
            N, _D, _L = synthetic_isoflop_data(law, budgets=[c], n_points=3, noise=0.0, span=1.000001)
            return float(N[1])
    """
    blocked = ["course_utils.chinchilla.ChinchillaLaw.compute_optimal", "course_utils.chinchilla.ChinchillaLaw.loss",
               "course_utils.chinchilla.synthetic_isoflop_data(seed=7)"]
    from course_utils.chinchilla import synthetic_isoflop_data

    _N, _D, L = synthetic_isoflop_data(seed=7)
    with _student(tmp_path, source, blocked, ["setup_rows", "leak"], setup_source=setup) as student:
        assert student.setup_rows() == (240, pytest.approx(float(L[0]), rel=1e-12))
        assert not student.notes  # the setup cell ran without an error
        with pytest.raises(ImportError, match=NOT_AVAILABLE):
            student.leak(1e21)


def test_unblocked_course_code_and_the_learners_own_code_still_work(tmp_path):
    source = """
        import math
        from course_utils.powerlaw import log_r_squared
        def own(x):
            return math.log(x)
        def other(y, p):
            return log_r_squared(y, p)
    """
    with _student(tmp_path, source, ["course_utils.powerlaw.fit_power_law"], ["own", "other"]) as student:
        assert student.own(math.e) == pytest.approx(1.0)
        assert student.other([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == pytest.approx(1.0)


# ------------------------------------------------------------------ pure parts


def test_a_stub_keeps_the_free_variables_so_it_can_replace_a_closures_code():
    def outer():
        k = 2

        def inner(x):
            return k * x

        return inner

    inner = outer()
    stub = stub_code(inner.__code__, "inner is blocked")
    assert stub.co_freevars == inner.__code__.co_freevars
    assert (stub.co_name, stub.co_firstlineno) == (inner.__code__.co_name, inner.__code__.co_firstlineno)
    inner.__code__ = stub
    with pytest.raises(ImportError, match="inner is blocked"):
        inner(3)


def test_blocked_entries_split_into_name_and_literal_call():
    assert split_entry("course_utils.compute.training_flops") == ("course_utils.compute.training_flops", None, None)
    assert split_entry("m.f(1, 'a', seed=7)") == ("m.f", (1, "a"), {"seed": 7})
    with pytest.raises(ValueError):
        split_entry("m.f(x)")
