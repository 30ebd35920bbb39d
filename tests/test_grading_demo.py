"""Demo cells wait for the learner (issue 14, item 4): ``with skip_if_unfinished():`` turns
an unwritten exercise into one sentence, so Jupyter's Run All reaches ``check_all()``.

The last test executes every blank exercise notebook in a real kernel, as a learner's
Run All would, with the real ``check`` cells: it must run to the end and show the score.
"""

from __future__ import annotations

import pytest

from course_utils.course_root import find_course_root
from course_utils.grading.learner import demo
from course_utils.grading.learner.demo import skip_if_unfinished

ROOT = find_course_root()


def _notebook_namespace(source: str) -> dict:
    """Run ``source`` as a notebook does: in a namespace named ``__main__``."""
    namespace = {"__name__": "__main__", "skip_if_unfinished": skip_if_unfinished}
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


@pytest.fixture(autouse=True)
def _fresh_kernel(monkeypatch):
    monkeypatch.setattr(demo, "skipped", [])


STUBS = '''
def fit_power_law(x, y):
    raise NotImplementedError("write your solution here")

def bootstrap_interval(x, y):
    return fit_power_law(x, y)
'''


def test_a_demo_of_an_unwritten_function_says_which_to_finish_and_stops_quietly(capsys):
    _notebook_namespace(STUBS + "with skip_if_unfinished():\n    A, alpha = fit_power_law([1], [2])\n"
                        "    print('never printed')\n")
    assert capsys.readouterr().out == "finish `fit_power_law` above first: this demo runs once it is written.\n"


def test_the_function_to_finish_is_the_stub_even_when_the_demo_calls_another(capsys):
    _notebook_namespace(STUBS + "with skip_if_unfinished():\n    bootstrap_interval([1], [2])\n")
    assert "finish `fit_power_law` above first" in capsys.readouterr().out


def test_a_later_demo_that_needs_a_skipped_result_is_skipped_too(capsys):
    namespace = _notebook_namespace(STUBS + "with skip_if_unfinished():\n    A, alpha = fit_power_law([1], [2])\n")
    exec("with skip_if_unfinished():\n    print(alpha)\n", namespace)
    assert capsys.readouterr().out.splitlines()[-1] == \
        "finish `fit_power_law` above first: this demo uses results of a demo that needed it."


def test_any_other_error_is_raised_as_usual():
    with pytest.raises(ZeroDivisionError):
        _notebook_namespace("with skip_if_unfinished():\n    1 / 0\n")
    with pytest.raises(NameError):  # no demo was skipped: a NameError is a bug to see
        _notebook_namespace("with skip_if_unfinished():\n    undefined_name\n")
    with pytest.raises(NotImplementedError):  # raised by a library, not a stub of the notebook
        with skip_if_unfinished():
            raise NotImplementedError("a library's")


def test_a_finished_demo_runs_whole(capsys):
    _notebook_namespace("def f():\n    return 2\nwith skip_if_unfinished():\n    print(f() + 1)\n")
    assert capsys.readouterr().out == "3\n"


def test_a_skipped_demo_leaves_no_empty_figure():
    pyplot = pytest.importorskip("matplotlib.pyplot")
    before = set(pyplot.get_fignums())
    _notebook_namespace(STUBS + "import matplotlib.pyplot as plt\nwith skip_if_unfinished():\n"
                                "    fig, ax = plt.subplots()\n    ax.plot(fit_power_law([1], [2]))\n")
    assert set(pyplot.get_fignums()) == before


#: the notebook run with every check("...") cell; the others keep only check_all() (each check
#: cell grades in a subprocess of its own, seconds each, and returns a report whatever happens)
WITH_EVERY_CHECK = "ex02_power_laws"


@pytest.mark.slow
def test_run_all_on_every_blank_exercise_notebook_reaches_check_all(tmp_path):
    """Each blank notebook, copied under its own name (so check finds the saved file), runs
    top to bottom with no error; its last cell, ``check_all()``, shows a score of 0 as one
    table (HTML) with a plain-text twin, and every demo cell said which function to finish."""
    from course_utils.grading.course.rubric import exercise_notebooks
    from course_utils.nbtools import execute_notebook, read_notebook, write_notebook

    notebooks = exercise_notebooks(ROOT.exercises, ROOT.exercise_tests)
    assert len(notebooks) >= 6 and WITH_EVERY_CHECK in [path.stem for path in notebooks]
    for source in notebooks:
        nb = read_notebook(source)
        if source.stem != WITH_EVERY_CHECK:
            nb.cells = [cell for cell in nb.cells if not cell.source.startswith("check(")]
        folder = tmp_path / source.stem
        write_notebook(nb, folder / source.name)
        cells = execute_notebook(folder / source.name, timeout=300).notebook.cells
        last = cells[-1]
        assert last.source.strip() == "check_all()", source.name
        results = [output for output in last.outputs if output.output_type == "execute_result"]
        assert len(results) == 1 and not [o for o in last.outputs if o.output_type == "stream"], source.name
        text, page = results[0]["data"]["text/plain"], results[0]["data"]["text/html"]
        assert "Score: 0/" in text and page.count("<table>") == 1, source.name
        demos = [cell for cell in cells if "with skip_if_unfinished():" in cell.source]
        assert demos, source.name
        for cell in demos:
            said = "".join(output.get("text", "") for output in cell.outputs)
            assert "above first" in said, f"{source.name}: {cell.source[:60]}"
