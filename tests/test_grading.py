"""Unit tests of the grading engine: extraction, plain data, errors, the proxy, reports.

The proxy tests use the grader's fixture notebook ``tests/hostile/fixture/tiny.ipynb``
(exercises ``add``, ``mean`` and ``scale``; setup cell imports numpy and statistics).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from course_utils.grading import (BadReturn, ExerciseMissing, NotebookProblem, NotImplementedYet,
                                  StudentError, StudentTimeout, exercise)
from course_utils.grading.errors import student_error
from course_utils.grading.notebook.extract import extract_cells, read_notebook_json
from course_utils.grading.sandbox.plaindata import WireError, dumps, loads, to_plain
from course_utils.course_root import find_course_root
from course_utils.grading.plugin import target_notebook
from course_utils.grading.sandbox.proxy import Student
from course_utils.grading.commands.release import strip_solutions
from course_utils.grading.course.report import format_results
from course_utils.grading.stages.runner import describe_test

REPO_ROOT = find_course_root().path

TINY = Path(__file__).parent / "hostile" / "fixture" / "tiny.ipynb"


def _code(source: str, *tags: str) -> dict:
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": source, "outputs": []}


def _notebook(tmp_path: Path, *cells: dict) -> Path:
    path = tmp_path / "tiny.ipynb"
    path.write_text(json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


# ------------------------------------------------------------------- release


def test_strip_solutions_replaces_the_block_by_a_stub_at_its_indentation():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n    ### END SOLUTION\n"
    assert strip_solutions(source) == ('def f(x):\n    raise NotImplementedError("write your solution here")\n')


def test_strip_solutions_keeps_code_outside_the_block():
    source = "def f(x):\n    x = float(x)\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
    assert strip_solutions(source).startswith("def f(x):\n    x = float(x)\n    raise NotImplementedError(")


@pytest.mark.parametrize("source", ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION",
                                    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_strip_solutions_rejects_unbalanced_markers(source):
    with pytest.raises(ValueError, match="cell"):
        strip_solutions(source)


# ---------------------------------------------------------------- extraction


def test_setup_cells_come_first_then_exercise_cells_and_nothing_else():
    nb = {"cells": [_code("def f():\n    pass", "exercise"), _code("print('demo')"),
                    _code("import math", "setup")]}
    kinds = [cell.kind for cell in extract_cells(nb, ["f"]).cells]
    assert kinds == ["setup", "exercise"]


def test_an_untagged_exercise_is_found_and_only_its_definition_is_taken():
    nb = {"cells": [_code("print('side effect')\ndef f(x):\n    return x\nf(1)")]}
    found = extract_cells(nb, ["f"])
    assert [cell.source.strip() for cell in found.cells] == ["def f(x):\n    return x"]
    assert "not tagged 'exercise'" in found.notes[0]


def test_a_missing_exercise_is_named():
    assert extract_cells({"cells": []}, ["f"]).notes == ["f: no cell tagged 'exercise' defines it (deleted or renamed?)"]


def test_a_syntax_error_still_names_the_exercise_of_its_cell():
    found = extract_cells({"cells": [_code("def f(x)\n    return x", "exercise")]}, ["f"])
    assert found.cells[0].defines == ("f",)
    assert "SyntaxError" in found.notes[0]


def test_extraction_keeps_no_syntax_tree_of_a_large_cell():
    """A notebook of twelve 60 KB untagged cells (each about 7 MB of syntax tree and symbol
    table): once extracted, the grader holds well under one cell's tree of them, while the
    trees of small graded cells are remembered (notebook.calls.REMEMBERED_CHARS)."""
    import tracemalloc

    big = "".join(f"def g{i}(a, b):\n    return a + b * {i}\n" for i in range(2200))
    nb = {"cells": [_code("def f(x):\n    return g0(x, 1)", "exercise")]
          + [_code(f"{big}\nLABEL = {k}\n") for k in range(12)]}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        found = extract_cells(nb, ["f"])
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert [cell.kind for cell in found.cells] == ["helper", "exercise"]
    assert kept < 4 * 2**20


@pytest.mark.parametrize("content, reason", [
    (b"", "is empty"), (b"{oops", "not valid JSON"), (b"[1, 2]", "not a Jupyter notebook"),
    (b"\xff\xfe\x00binary", "not a text file"),
])
def test_unreadable_notebooks_get_a_reason(tmp_path, content, reason):
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    with pytest.raises(NotebookProblem, match=reason):
        read_notebook_json(path)


# ---------------------------------------------------------------- plain data


def test_numpy_scalars_become_python_numbers_and_arrays_stay_arrays():
    value = to_plain((np.float64(1.5), np.int64(2), np.array([1.0, 2.0]), {"k": [np.bool_(True)]}))
    assert type(value[0]) is float and type(value[1]) is int and value[3] == {"k": [True]}
    assert isinstance(value[2], np.ndarray)


def test_other_objects_are_refused_with_their_type():
    class Anything:
        def __eq__(self, other):
            return True

    with pytest.raises(BadReturn, match="returned a .*Anything; expected numbers/arrays"):
        to_plain(Anything())


def test_the_wire_format_reads_plain_data_and_refuses_a_pickle():
    assert loads(dumps([1, "a", np.arange(3)]))[2].tolist() == [0, 1, 2]
    with pytest.raises(WireError, match="not a message of this grader"):
        loads(pickle.dumps(Path(".")))


# -------------------------------------------------------------------- errors


def test_a_learner_value_error_is_both_a_student_error_and_a_value_error():
    error = student_error("ValueError", "x must be positive", "line 3 of f")
    assert isinstance(error, StudentError) and isinstance(error, ValueError)
    assert str(error) == "ValueError: x must be positive (line 3 of f)"


def test_not_implemented_yet_is_caught_by_no_builtin_pytest_raises():
    assert not issubclass(NotImplementedYet, (RuntimeError, ValueError, TypeError, StudentError))


def test_a_custom_learner_exception_is_a_plain_student_error():
    error = student_error("MyError", "boom")
    assert type(error) is StudentError and error.type_name == "MyError"


@pytest.mark.parametrize("kwargs", [{"name": "not a name"}, {"name": "f", "points": 0},
                                    {"name": "f", "hint": 3}, {"name": "f", "timeout": -1}])
def test_the_exercise_decorator_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        exercise(**kwargs)


# --------------------------------------------------------------------- proxy


def test_the_proxy_returns_plain_results_of_the_learners_functions():
    with Student(TINY, expected=["add", "mean", "scale"]) as student:
        assert student.add(2, 3) == 5
        assert student.scale([1, 2], 3.0).tolist() == [3.0, 6.0]
        assert student.has("mean") and not student.has("median")


def test_a_blank_stub_fails_as_not_implemented(tmp_path):
    path = _notebook(tmp_path, _code(strip_solutions("def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n"
                                                     "    ### END SOLUTION"), "exercise"))
    with Student(path, expected=["add"]) as student, pytest.raises(NotImplementedYet, match="not implemented yet"):
        student.add(1, 2)


def test_a_learner_exception_keeps_its_type_and_message(tmp_path):
    path = _notebook(tmp_path, _code("def f(x):\n    raise ValueError('x must be positive')", "exercise"))
    with Student(path, expected=["f"]) as student, pytest.raises(ValueError, match="x must be positive"):
        student.f(-1)


def test_a_slow_function_times_out_once_then_fails_at_once(tmp_path):
    path = _notebook(tmp_path, _code("def f():\n    while True:\n        pass", "exercise"),
                     _code("def g():\n    return 1", "exercise"))
    with Student(path, expected=["f", "g"], timeout=0.5) as student:
        with pytest.raises(StudentTimeout, match="did not finish within 0.5 s"):
            student.f()
        with pytest.raises(StudentTimeout, match="already ran out of time"):
            student.f()
        assert student.g() == 1  # the child was restarted for the other exercise


def test_a_function_that_is_not_defined_is_missing(tmp_path):
    path = _notebook(tmp_path, _code("x = 1", "exercise"))
    with Student(path, expected=["f"]) as student, pytest.raises(ExerciseMissing, match="f was not found"):
        student.f()


def test_a_blocked_reference_cannot_be_called_from_learner_code(tmp_path):
    path = _notebook(tmp_path, _code("import statistics\ndef f(xs):\n    return statistics.mean(xs)", "exercise"))
    with Student(path, expected=["f"], blocked=["statistics.mean", "no_such_module.thing"]) as student:
        with pytest.raises(ImportError, match="not available while grading: write it yourself"):
            student.f([1, 2])


def test_learner_code_runs_in_another_process(tmp_path):
    path = _notebook(tmp_path, _code("import os\ndef pid():\n    return os.getpid()", "exercise"))
    with Student(path, expected=["pid"]) as student:
        assert student.pid() != __import__("os").getpid()


# ------------------------------------------------------------ targets, reports


def test_targets_map_a_test_module_to_its_notebook(tmp_path):
    assert target_notebook("solutions", "ex02_power_laws") == REPO_ROOT / "solutions" / "ex02_power_laws.ipynb"
    assert target_notebook("exercises", "ex02") == REPO_ROOT / "exercises" / "ex02.ipynb"
    assert target_notebook(tmp_path, "ex02") == tmp_path / "ex02.ipynb"
    assert target_notebook(tmp_path / "mine.ipynb", "ex02") == tmp_path / "mine.ipynb"


def test_test_names_are_readable_without_the_exercise_prefix():
    assert describe_test("test_fit_power_law_recovers_the_exponent", "fit_power_law") == "recovers the exponent"


@pytest.mark.parametrize("name, readable", [
    ("test_mixtral_has_46_7_billion_parameters_12_9_billion_active",
     "mixtral has 46.7 billion parameters 12.9 billion active"),
    ("test_three_equal_parts_without_offsets_give_1_904_gamma", "three equal parts without offsets give 1.904 gamma"),
    ("test_llama3_8b_saw_1875_tokens_per_parameter", "llama3 8b saw 1875 tokens per parameter"),
    ("test_the_search_stops_at_32_bits", "the search stops at 32 bits"),
])
def test_test_names_keep_their_decimal_points(name, readable):
    """A name writes 46.7 as 46_7; the learner reads 46.7, while llama3_8b stays two words (issue 22)."""
    assert describe_test(name, "") == readable


def test_every_exercise_test_name_with_a_decimal_reads_as_the_number_its_docstring_states():
    """Each public and hidden test whose readable name holds a decimal number states that
    number (to at least as many digits, rounded) in its module's text: the decimal is real, not an
    artefact of the underscores."""
    import re

    for path in sorted((REPO_ROOT / "tests").glob("*/test_ex*.py")):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"^def (test_\w+)", text, re.MULTILINE):
            for number in re.findall(r"\d+\.\d+", describe_test(name, "")):
                places = len(number.split(".")[1])
                stated = {round(float(x), places) for x in re.findall(r"\d+\.\d+", text.replace(name, ""))}
                assert float(number) in stated, f"{path.name}: {name} reads {number}, which its text never states"


def test_a_report_shows_the_hint_of_a_failure_and_the_score():
    rows = [dict(exercise="f", test="works", status="passed", points=1.0, max_points=1.0, message="", hint="h1"),
            dict(exercise="f", test="rejects", status="failed", points=0.0, max_points=2.0,
                 message="wrong result", hint="Raise ValueError.")]
    text = format_results(rows)
    assert "✗ f: 1/3 points" in text and "hint: Raise ValueError." in text and "Score: 1/3 points (33%)" in text
    assert "h1" not in text  # hints only for failures


def test_definitions_only_drops_demo_calls_but_keeps_helpers():
    from course_utils.grading.notebook.extract import definitions_only

    source = "import math\nK = 2\ndef f(x):\n    return K * x\nprint(f(3))\ncheck('f')\nfor i in range(3):\n    f(i)\n"
    assert definitions_only(source) == "import math\nK = 2\ndef f(x):\n    return K * x\n"


def _run_forever(notebook: str) -> None:
    with Student(notebook, expected=["f"], timeout=600) as student:
        student.f()


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_learners_endless_loop_stops_when_its_grading_worker_is_killed(tmp_path):
    import os
    import time

    from course_utils.grading.stages.runner import Job, run_isolated

    pid_file = tmp_path / "pid"
    path = _notebook(tmp_path, _code(f"import os\ndef f():\n    open({str(pid_file)!r}, 'w').write(str(os.getpid()))"
                                     f"\n    while True:\n        pass", "exercise"))
    [(_, status, reason)] = list(run_isolated([Job("k", _run_forever, (str(path),), deadline=2.0)]))
    assert status == "error" and "longer than 2 s" in reason
    pid = int(pid_file.read_text())
    for _ in range(50):
        state = Path(f"/proc/{pid}/status")
        if not state.exists() or "zombie" in state.read_text():
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        pytest.fail("the learner's process outlived its grading worker")


def test_a_function_written_as_a_lambda_counts_as_defined():
    found = extract_cells({"cells": [_code("add = lambda a, b: a + b", "exercise")]}, ["add"])
    assert found.cells[0].defines == ("add",) and not found.notes


def test_files_the_learners_code_writes_land_in_a_scratch_folder_that_is_removed(tmp_path):
    path = _notebook(tmp_path, _code("import os\ndef f():\n    open('out.txt', 'w').write('x')\n"
                                     "    return os.getcwd()", "exercise"))
    student = Student(path, expected=["f"])
    workdir = Path(student.f())
    assert (workdir / "out.txt").is_file() and tmp_path not in workdir.parents
    student.close()
    assert not workdir.exists()


def test_check_snapshots_every_exercise_the_kernel_defined_but_warns_only_about_the_checked_one(
        tmp_path, monkeypatch):
    """One exercise may call another, so check("add") must carry mean and scale too."""
    import linecache

    from course_utils.grading.learner import feedback

    monkeypatch.setenv(feedback.ENV_TESTS, str(TINY.parent))
    namespace: dict = {}
    for index, source in enumerate(["def add(a, b):\n    return a + b\n", "def mean(xs):\n    return 0.0\n"]):
        filename = f"<kernel cell {index}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)
    path, warnings = feedback._snapshot("tiny", ["add"], namespace, None, tmp_path)
    sources = [cell["source"] for cell in json.loads(path.read_text())["cells"]]
    assert any("def add" in s for s in sources) and any("def mean" in s for s in sources)
    assert warnings == []  # scale is not defined in the kernel, but it is not being checked


@pytest.mark.parametrize("kwargs", [{"timeout": 0}, {"timeouts": {"f": -1}}, {"memory_mb": 0}, {"timeout": "10"}])
def test_the_proxy_rejects_non_positive_limits(kwargs):
    with pytest.raises(ValueError, match="must be a positive number"):
        Student(TINY, **kwargs)


def test_without_the_resource_module_the_grader_says_memory_is_not_limited(monkeypatch, tmp_path):
    """Windows has no ``resource``: the note says so, and the time limit still holds."""
    from course_utils.grading.sandbox.child import memory_limit_note

    assert memory_limit_note() is None  # this platform has it
    monkeypatch.setitem(__import__("sys").modules, "resource", None)  # import resource -> ImportError
    assert "memory is not limited (time is)" in memory_limit_note()
    path = _notebook(tmp_path, _code("def f():\n    while True:\n        pass", "exercise"))
    with Student(path, expected=["f"], timeout=0.5) as student, pytest.raises(StudentTimeout):
        student.f()


def test_student_seed_is_sha256_of_the_folder_name_not_python_hash():
    """First 8 bytes of SHA-256("ada"), big-endian, computed here by hand: the same number in
    every process (Python's hash() of a str changes with PYTHONHASHSEED)."""
    import hashlib

    from course_utils.grading.plugin import student_seed_for

    expected = int.from_bytes(hashlib.sha256(b"ada").digest()[:8], "big")
    assert student_seed_for("ada") == expected
    assert student_seed_for("ada") != student_seed_for("alan")


def test_exercise_marker_records_hidden_and_refuses_non_booleans():
    assert exercise("f", hidden=True).kwargs["hidden"] is True
    assert exercise("f").kwargs["hidden"] is False
    with pytest.raises(ValueError, match="hidden must be True or False"):
        exercise("f", hidden="yes")
