"""A learner's first hour, step by step, in a real JupyterLab page (Playwright, Chromium).

The same steps on every route (tests/browser/test_journeys.py, test_hub.py), :meth:`Journey.first_hour`:

1. lesson 00 is open: run it; its environment check must end in "All set", which it says only
   once the page's widget manager has answered; move its slider and see the readout change;
2. in the file browser, from the top: ``notebooks/`` and ``my_work/`` side by side, and in
   ``my_work/`` every exercise copy;
3. open exercise 1 from there, run all its cells, see the ``check_all()`` table;
4. type a correct body into one exercise cell, save, run it and its check: ✓.

Each step leaves a screenshot in ``test-artifacts/``, named for the route and the step.

The steps are a generator that pauses (``yield``) each time the kernel has been given work
(Run All, a check): :func:`side_by_side` lets several learners' kernels work at once, the
way a class does, and :func:`take` walks one learner through. Every wait names what it waits
for, with generous limits: a busy machine makes the journey slower, never wrong.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
#: milliseconds for anything that runs a kernel (starting one, Run All, a check)
SLOW_MS = 180_000
EXERCISES = ["ex01_history_compute", "ex02_power_laws", "ex03_scaling_lab", "ex04_chinchilla",
             "ex05_data_limits", "ex06_since_chinchilla", "ex07_capstone"]
#: the function the learner writes (exercise 1's first), and a correct body for it
FUNCTION = "training_flops"
ANSWER = ("def training_flops(N, D):\n"
          "    \"\"\"C = 6·N·D FLOP (Kaplan et al. 2020, §2.1).\"\"\"\n"
          "    return 6 * N * D\n")
LESSON_00 = "00_welcome.ipynb"

_NO_CELL_RUNNING_JS = """(panel) => ![...panel.querySelectorAll(".jp-InputArea-prompt")]
    .some(prompt => prompt.textContent.includes("*"))"""

Steps = Iterator[None]


def take(steps: Steps) -> None:
    """Walk one learner through ``steps``."""
    for _ in steps:
        pass


def side_by_side(*journeys: Steps) -> None:
    """Walk several learners through their steps in turn: while one waits for their kernel,
    the others' kernels work too."""
    running = list(journeys)
    while running:
        for steps in list(running):
            try:
                next(steps)
            except StopIteration:
                running.remove(steps)


class Journey:
    """One learner's page on one route; ``route`` names the screenshots."""

    def __init__(self, page, route: str) -> None:
        self.page, self.route = page, route
        self.shots: list[Path] = []
        self.started = time.monotonic()

    # ----------------------------------------------------------------- the pieces of a page

    def shot(self, step: str, scroll_to=None) -> Path:
        """A screenshot of the page as the learner sees it (scrolled to ``scroll_to`` first)."""
        if scroll_to is not None:
            scroll_to.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"journey-{self.route}-{step}.png"
        self.page.screenshot(path=str(path))
        self.shots.append(path)
        print(f"{self.route}: {step} after {time.monotonic() - self.started:.1f} s")
        return path

    def panel(self):
        """The notebook in the main area's current tab."""
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first

    def wait_for_idle(self, notebook: str) -> None:
        """The status bar's kernel item for ``notebook`` reads "… | Idle" (the toolbar's
        indicator reads idle too early)."""
        from playwright.sync_api import expect

        status = self.page.locator(f'#jp-main-statusbar .jp-StatusBar-TextItem[title="Change kernel for {notebook}"]')
        expect(status).to_have_text(re.compile(r"\| Idle$"), timeout=SLOW_MS)

    def start_run_all(self) -> None:
        """Run ▸ Run All Cells."""
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        self.page.locator('li[data-command="runmenu:run-all"]').click()

    def finish_run_all(self, notebook: str) -> None:
        """Wait until no cell of ``notebook`` is queued or running and its kernel is idle."""
        self.page.wait_for_function(_NO_CELL_RUNNING_JS, arg=self.panel().element_handle(), timeout=SLOW_MS,
                                    polling=250)
        self.wait_for_idle(notebook)

    def cell(self, contains: str):
        """The code cell of the current notebook whose source contains ``contains``."""
        return self.panel().locator(".jp-CodeCell", has=self.page.locator(".jp-InputArea-editor",
                                                                          has_text=contains)).first

    def listing(self) -> list[str]:
        """The names the file browser shows now."""
        items = self.page.locator(".jp-DirListing-content .jp-DirListing-itemText")
        items.first.wait_for(timeout=SLOW_MS)
        return [text.strip() for text in items.all_inner_texts()]

    def open_in_file_browser(self, name: str) -> None:
        """Double-click ``name`` in the file browser (a folder opens, a notebook opens in a tab)."""
        item = self.page.locator(".jp-DirListing-content .jp-DirListing-item",
                                 has=self.page.locator(".jp-DirListing-itemText", has_text=re.compile(
                                     rf"^{re.escape(name)}$")))
        item.first.dblclick(timeout=SLOW_MS)

    def show_file_browser(self) -> None:
        """Open the left sidebar's file browser if it is closed (once the page has restored its layout)."""
        self.page.locator("#filebrowser:not(.jp-mod-restoring)").wait_for(state="attached", timeout=SLOW_MS)
        browser = self.page.locator("#filebrowser")
        if not browser.is_visible():
            self.page.locator('.jp-SideBar .lm-TabBar-tab[data-id="filebrowser"]').first.click()
        browser.wait_for(timeout=SLOW_MS)

    def go_to_root(self, expected: str = "my_work") -> None:
        """Click the file browser's home (the server's root folder) until it shows ``expected``
        and stays there: a page that opened a lesson by its URL may still be moving the file
        browser to that lesson's folder."""
        self.show_file_browser()
        for _ in range(5):
            self.page.locator("#filebrowser .jp-BreadCrumbs-home").first.click()
            self.page.wait_for_timeout(1000)
            if expected in self.listing():
                return
        raise AssertionError(f"the file browser's top folder does not show {expected}/: {self.listing()}")

    def open_lesson_00(self) -> None:
        """From the file browser's root, as a learner finds it: notebooks/, then lesson 00."""
        self.show_file_browser()
        assert {"notebooks", "my_work"} <= set(self.listing()), self.listing()
        self.open_in_file_browser("notebooks")
        self.open_in_file_browser(LESSON_00)

    # ----------------------------------------------------------------------- the journey

    def first_hour(self) -> Steps:
        """Steps 1 to 4 (the module's docstring), with lesson 00 already open."""
        yield from self.lesson_00()
        self.find_the_exercises()
        yield from self.exercise_1()
        yield from self.write_a_function()

    def lesson_00(self) -> Steps:
        """Run lesson 00, see "All set" once the page answered, move the slider."""
        from playwright.sync_api import expect

        self.panel().wait_for(timeout=SLOW_MS)
        self.wait_for_idle(LESSON_00)
        self.start_run_all()
        yield
        self.finish_run_all(LESSON_00)
        setup = self.cell("from course_utils.doctor import doctor")
        expect(setup.locator(".jp-OutputArea-output", has_text="All set")).to_be_visible(timeout=SLOW_MS)
        explorer = setup.locator(".widget-vbox", has_text="move me").first
        assert explorer.is_visible(), "the set-up cell's slider did not render as a widget"
        readout = explorer.locator(".widget-label", has_text=re.compile(r"^value: \d+$")).first
        before = readout.inner_text()
        handle = explorer.locator(".noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        expect(readout).not_to_have_text(before, timeout=SLOW_MS)
        assert int(readout.inner_text().split()[-1]) == int(before.split()[-1]) + 1
        self.shot("1-lesson-00", scroll_to=setup)

    def find_the_exercises(self, folder: str = "my_work") -> None:
        """From the root of the file browser: ``notebooks/`` and ``my_work/`` side by side, then
        every exercise copy inside ``my_work/``."""
        from playwright.sync_api import expect

        self.go_to_root(folder)
        assert {"notebooks", folder} <= set(self.listing()), self.listing()
        self.open_in_file_browser(folder)
        expect(self.page.locator("#filebrowser .jp-BreadCrumbs")).to_contain_text(folder, timeout=SLOW_MS)
        expect(self.page.locator(".jp-DirListing-content .jp-DirListing-itemText",
                                 has_text=f"{EXERCISES[0]}.ipynb")).to_be_visible(timeout=SLOW_MS)
        assert [f"{name}.ipynb" for name in EXERCISES] == sorted(n for n in self.listing() if n.endswith(".ipynb"))
        self.shot("2-my-work")

    def exercise_1(self) -> Steps:
        """Open ex01 from the file browser, run all of it, see the ``check_all()`` table."""
        from playwright.sync_api import expect

        notebook = f"{EXERCISES[0]}.ipynb"
        self.open_in_file_browser(notebook)
        self.page.locator(f'.lm-TabBar-tab[title*="{notebook}"]').first.wait_for(timeout=SLOW_MS)
        self.wait_for_idle(notebook)
        self.start_run_all()
        yield
        self.finish_run_all(notebook)
        table = self.cell("check_all()").locator(".course-check table")
        expect(table).to_be_visible(timeout=SLOW_MS)
        assert table.locator("tr.ex", has_text=FUNCTION).locator("td").first.inner_text().strip() == "✗"
        self.shot("3-check-all", scroll_to=table)

    def write_a_function(self) -> Steps:
        """Type a correct body into the exercise cell, save, run it and its check: ✓."""
        from playwright.sync_api import expect

        editor = self.cell(f"def {FUNCTION}(").locator(".cm-content").first
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.insert_text(ANSWER.rstrip("\n"))
        self.page.keyboard.press("ControlOrMeta+s")  # graders read the saved file: save, as check() asks
        self.page.keyboard.press("Shift+Enter")  # runs the function's cell, then selects its check
        check = self.cell(f'check("{FUNCTION}")')
        check.locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Shift+Enter")
        yield
        row = check.locator(".course-check tr.ex", has_text=FUNCTION)
        expect(row.locator("td").first).to_have_text("✓", timeout=SLOW_MS)
        earned, possible = row.locator("td").nth(2).inner_text().split("/")
        assert float(earned) == float(possible) > 0, (earned, possible)
        self.shot("4-check-passes", scroll_to=check)

    def run_new_cell(self, notebook: str, code: str) -> str:
        """Add a cell at the end of ``notebook`` (the current tab), type ``code``, run it; return its output."""
        from playwright.sync_api import expect

        cells = self.panel().locator(".jp-Cell")
        count = cells.count()
        cells.last.locator(".jp-InputPrompt, .jp-Cell-inputCollapser").first.click()
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("b")  # command mode: insert a cell below
        expect(cells).to_have_count(count + 1, timeout=SLOW_MS)
        cells.last.locator(".cm-content").click()
        self.page.keyboard.insert_text(code)
        self.page.keyboard.press("Shift+Enter")
        output = cells.nth(count).locator(".jp-OutputArea-output")
        output.first.wait_for(timeout=SLOW_MS)
        self.wait_for_idle(notebook)
        self.shot("5-new-cell", scroll_to=output.first)
        return "\n".join(output.all_inner_texts())
