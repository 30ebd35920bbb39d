"""A learner opens the page of their own notebook with the results under their code (issue 20,
item 9), in headless Chromium, as the file the instructor sends them.

The class is the grader's fixture, ``tiny``: graded with ``grade``, one learner's notebook
carries a hostile script in a code cell, a markdown cell and the message of an exception;
the page must show every piece of it as text, run none of it, and place each exercise's
results right under the cell that defines it, hidden tests by name and points only.

Run with ``pytest -m browser``; needs Debian's Chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from course_utils.__main__ import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURE = Path(__file__).resolve().parents[1] / "hostile" / "fixture"
#: what a hostile learner writes into their own notebook: each must reach the page as text
SCRIPT = "<script>window.pwned = 'code'</script>"
IMAGE = '<img src=x onerror="window.pwned = \'markdown\'">'
RAISED = "<svg onload=\"window.pwned = 'message'\">"


def _hostile_tiny() -> dict:
    nb = json.loads((FIXTURE / "tiny.ipynb").read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = f"# My tiny exercises {IMAGE}\n"
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if text.startswith("def add("):
            cell["source"] = f"# {SCRIPT}\ndef add(a, b):\n    return a + b\n"
        elif text.startswith("def mean("):
            cell["source"] = f"def mean(xs):\n    raise ValueError({RAISED!r})\n"
    return nb


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("feedback-page")
    tests = root / "tests"
    shutil.copytree(FIXTURE, tests, ignore=shutil.ignore_patterns("tiny_hidden", "__pycache__"))
    (root / "subs" / "mallory").mkdir(parents=True)
    (root / "subs" / "mallory" / "tiny.ipynb").write_text(json.dumps(_hostile_tiny()), encoding="utf-8")
    assert main(["grade", str(root / "subs"), "--out", str(root / "out"), "--tests", str(tests),
                 "--hidden-tests", str(FIXTURE / "tiny_hidden"), "--quiet"]) == 0
    return root / "out" / "feedback" / "mallory" / "tiny.html"


def test_the_page_shows_the_learner_s_script_as_text_and_runs_none_of_it(page, page_file):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.pwned") is None and not dialogs
    assert page.locator("script, img, svg, iframe").count() == 0
    text = page.locator("body").inner_text()
    assert SCRIPT in text and IMAGE in text and "window.pwned = 'message'" in text


def test_each_exercise_s_results_are_right_under_the_cell_that_defines_it(page, page_file):
    page.goto(page_file.as_uri())
    order = page.evaluate("""() => [...document.querySelectorAll('.cell, .results')].map(node =>
        node.classList.contains('results')
            ? 'results:' + node.dataset.exercise
            : 'cell:' + node.innerText.split('\\n').find(line => line.startsWith('def ')))""")
    for name in ("add", "mean", "scale"):
        defining = next(i for i, item in enumerate(order) if item.startswith(f"cell:def {name}("))
        assert order[defining + 1] == f"results:{name}", order
    mean = page.locator('.results[data-exercise="mean"]').inner_text()
    assert "ValueError" in mean and "hint:" in mean
    add = page.locator('.results[data-exercise="add"]').inner_text()
    assert "hidden test: " in add and "points)" in add


def test_the_page_opens_with_the_score_and_is_styled_without_loading_anything(page, page_file):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_file.as_uri())
    assert page.locator("#score").inner_text().startswith("Score: ")
    assert requests == [page_file.as_uri()]  # no script, font, image or style from anywhere
    assert page.locator("pre.code").first.evaluate("node => getComputedStyle(node).whiteSpace") == "pre-wrap"
