"""The explorers work where learners use them: in JupyterLab, in a browser.

For lesson 04 and lesson 05: open the lesson in a real JupyterLab in headless Chromium,
run all cells, then move an explorer's slider with the arrow keys and check that the
readout and the plot change, and the way they should (more compute → a larger optimal
model; faster growth → an earlier exhaustion year). Typing nonsense into a text box
must give a message in the widget, not a traceback.

Run with ``pytest -m browser``; needs Debian's Chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import re
import time

import nbformat
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RUN_TIMEOUT_MS = 75_000

#: Hash of the plot's bytes, read back from the <img> blob URL the widget made.
_IMAGE_DIGEST_JS = """async (img) => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Array.from(digest, b => b.toString(16).padStart(2, "0")).join("");
}"""

_NO_CELL_RUNNING_JS = """() => ![...document.querySelectorAll(".jp-InputArea-prompt")]
    .some(prompt => prompt.textContent.includes("*"))"""


def _lesson(lab_root, name: str, call: str) -> str:
    """The lesson's path relative to the server root; the lesson must call ``call``."""
    notebook = nbformat.read(lab_root / "notebooks" / name, as_version=4)
    assert any(call in cell.source for cell in notebook.cells if cell.cell_type == "code"), \
        f"notebooks/{name} does not call {call}"
    return f"notebooks/{name}"


def _wait_for_idle_kernel(page, notebook: str) -> None:
    """The status bar's kernel item for ``notebook`` reads "… | Idle".

    The status bar, not the toolbar's execution indicator, which reads idle too early.
    """
    from playwright.sync_api import expect

    status = page.locator(f'#jp-main-statusbar .jp-StatusBar-TextItem[title="Change kernel for {notebook}"]')
    expect(status).to_have_text(re.compile(r"\| Idle$"), timeout=RUN_TIMEOUT_MS)


def open_notebook(page, lab, notebook: str) -> None:
    """Open ``notebook`` in a fresh workspace and wait until its kernel is idle."""
    page.goto(lab.lab_url(notebook, workspace=re.sub(r"\W", "-", notebook)))
    page.locator(".jp-NotebookPanel").wait_for()
    _wait_for_idle_kernel(page, notebook.rsplit("/", 1)[-1])


def run_all_cells(page, notebook: str, explorer_class: str) -> None:
    """Run → Run All Cells; wait for a new explorer, the last cell and an idle kernel.

    Explorers already on the page are marked stale first, so that a re-run waits for the
    explorer the re-run builds.
    """
    page.evaluate("(cls) => document.querySelectorAll('.' + cls).forEach(e => e.dataset.stale = 'yes')",
                  explorer_class)
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item:visible", has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(
        r"^Run All Cells$"))).click()
    page.locator(f".{explorer_class}:not([data-stale])").first.wait_for(timeout=RUN_TIMEOUT_MS)
    page.wait_for_function(_NO_CELL_RUNNING_JS, timeout=RUN_TIMEOUT_MS, polling=250)
    _wait_for_idle_kernel(page, notebook.rsplit("/", 1)[-1])
    tracebacks = page.locator(".jp-OutputArea-output", has_text="Traceback (most recent call last)")
    assert tracebacks.count() == 0, f"a cell of {notebook} failed:\n{tracebacks.first.inner_text()[:2000]}"


class ExplorerView:
    """One explorer as the browser shows it (found by its CSS class)."""

    def __init__(self, page, css_class: str) -> None:
        self.page = page
        self.root = page.locator(f".{css_class}:not([data-stale])").first
        self.readout = self.root.locator(".cu-readout")
        self.plot = self.root.locator("img.cu-plot")
        self.message = self.root.locator(".cu-message")

    def handle(self, control_class: str):
        return self.root.locator(f".{control_class} .noUi-handle").first

    def plot_digest(self) -> str:
        return self.plot.evaluate(_IMAGE_DIGEST_JS)

    def press(self, control_class: str, key: str) -> None:
        """Move a slider one step from the keyboard, as a learner can (one step, one update)."""
        handle = self.handle(control_class)
        handle.focus()
        handle.press(key)

    def wait_for_new_plot(self, old_src: str, old_digest: str) -> None:
        from playwright.sync_api import expect

        expect(self.plot).not_to_have_attribute("src", old_src, timeout=RUN_TIMEOUT_MS)
        assert self.plot_digest() != old_digest, "the plot's <img> was replaced by identical bytes"


def _number(text: str, label: str) -> float:
    match = re.search(rf"{label} = ([0-9.e+-]+)", text)
    assert match, f"no '{label} = …' in the readout: {text!r}"
    return float(match.group(1))


def _wait_until_changed(locator, old_text: str) -> str:
    """Poll ``locator``'s text until it differs from ``old_text``; return the new text."""
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        text = locator.inner_text()
        if text != old_text:
            return text
        time.sleep(0.1)
    raise AssertionError(f"the readout did not change from {old_text!r}")


def test_lesson_04_budget_slider_moves_the_optimum_and_the_plot(page, lab, lab_root):
    notebook = _lesson(lab_root, "04_chinchilla.ipynb", "compute_budget_explorer(")
    open_notebook(page, lab, notebook)
    run_all_cells(page, notebook, "cu-compute-budget")
    explorer = ExplorerView(page, "cu-compute-budget")
    handle = explorer.handle("cu-budget")
    assert handle.is_visible(), "the budget slider did not render"
    before = explorer.readout.inner_text()
    src, digest = explorer.plot.get_attribute("src"), explorer.plot_digest()

    explorer.press("cu-budget", "ArrowRight")  # one step: 10^0.05, about 1.12× the budget

    after = _wait_until_changed(explorer.readout, before)
    explorer.wait_for_new_plot(src, digest)
    assert _number(after, "N_opt") > _number(before, "N_opt")
    assert explorer.message.inner_text().strip() == ""


def test_lesson_05_growth_slider_bad_epochs_and_a_rerun(page, lab, lab_root):
    from playwright.sync_api import expect

    notebook = _lesson(lab_root, "05_data_limits.ipynb", "data_limits_explorer(")
    open_notebook(page, lab, notebook)
    run_all_cells(page, notebook, "cu-data-limits")
    explorer = ExplorerView(page, "cu-data-limits")
    assert explorer.handle("cu-growth").is_visible(), "the growth slider did not render"
    before = explorer.readout.inner_text()
    src, digest = explorer.plot.get_attribute("src"), explorer.plot_digest()

    explorer.press("cu-growth", "ArrowRight")  # datasets growing 0.1× per year faster

    after = _wait_until_changed(explorer.readout, before)
    explorer.wait_for_new_plot(src, digest)
    assert _number(after, "exhaustion year") < _number(before, "exhaustion year")

    epochs = explorer.root.locator(".cu-epochs-text input")
    epochs.fill("0")
    epochs.press("Enter")
    expect(explorer.message).to_contain_text("epochs must be positive", timeout=RUN_TIMEOUT_MS)
    assert explorer.readout.inner_text() == after

    # Re-running the notebook builds a new explorer, which works too.
    run_all_cells(page, notebook, "cu-data-limits")
    rerun = ExplorerView(page, "cu-data-limits")
    fresh = rerun.readout.inner_text()
    rerun.press("cu-growth", "ArrowLeft")
    assert _number(_wait_until_changed(rerun.readout, fresh), "exhaustion year") > _number(fresh, "exhaustion year")
