"""The course website (issue 25, item 4): ``scaling-course site`` builds a Jupyter Book 1 site
from the checkout, offline, with the executed lessons, the exercises, the guides, the API
reference, a table of contents, search and an index page; a warning (a broken link between
pages, a page missing from the table of contents) fails the build; no page loads anything
from the network, which a person checks in Chromium with the network cut off.

The lessons are executed once in a test run: tests/test_notebooks.py keeps its executed
lessons in ``test-artifacts/executed/`` and the site is built from them (``--executed``).
Run alone, this file executes the lessons itself first.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import nbformat
import pytest

from course_utils import nbtools, website
from course_utils.__main__ import main
from course_utils.course_root import find_course_root
from test_nbtools import external_loads

ROOT = find_course_root().path
EXECUTED = ROOT / "test-artifacts" / "executed"
LESSONS = nbtools.lesson_notebooks(ROOT / "notebooks")
CHROMIUM = Path("/usr/bin/chromium")


def _notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


# ------------------------------------------------------------------- the parts, no build


def test_a_lesson_s_link_to_the_learner_s_copy_opens_the_exercise_s_page():
    nb = _notebook(nbformat.v4.new_markdown_cell(
        "Open [your copy](../my_work/ex01_history_compute.ipynb) or [the paper](https://arxiv.org/abs/2203.15556)."))
    page = website.site_notebook(nb).cells[0].source
    assert "](../exercises/ex01_history_compute.ipynb)" in page and "](https://arxiv.org/abs/2203.15556)" in page
    assert "my_work" in nb.cells[0].source  # a copy: the lesson itself is unchanged


def test_the_api_reference_has_a_page_per_public_module_and_none_for_private_ones():
    modules = website.api_modules(ROOT / "course_utils")
    assert {"course_utils.chinchilla", "course_utils.grading", "course_utils.grading.compare",
            "course_utils.lab"} <= set(modules)
    assert not [name for name in modules if "._" in name or name == "course_utils"]


def test_a_module_kept_under_an_old_name_has_no_page_of_its_own():
    """``course_utils.grading.rubric`` is ``course_utils.grading.course.rubric`` under the name the
    capstone notebook imports: one page, the module's own."""
    modules = website.api_modules(ROOT / "course_utils")
    assert "course_utils.grading.course.rubric" in modules and "course_utils.grading.rubric" not in modules


def test_the_command_will_not_replace_a_folder_of_someone_else_s_files(tmp_path, capsys):
    (tmp_path / "thesis.tex").write_text("years of work")
    assert main(["site", "--out", str(tmp_path)]) == 2
    assert "not a website built by" in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == ["thesis.tex"]
    (tmp_path / website.BUILD_MARKER).write_text("")
    website.check_out_folder(tmp_path)  # an earlier website may be replaced


def _executed_copy(lesson: Path, folder: Path, *, edit: str | None = None) -> None:
    nb = nbtools.read_notebook(lesson)
    for count, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
        cell.execution_count = count
    if edit is not None:
        nb.cells[-1].source += edit
    nbtools.write_notebook(nb, folder / lesson.name)


def test_executed_copies_are_taken_only_when_they_were_made_from_the_lesson_as_it_is(tmp_path):
    lesson = LESSONS[0]
    _executed_copy(lesson, tmp_path)
    assert [path for path, _ in website.executed_lessons([lesson], tmp_path)] == [lesson]
    _executed_copy(lesson, tmp_path, edit="\n# an older version")
    with pytest.raises(website.SiteError, match="another version of the lesson"):
        website.executed_lessons([lesson], tmp_path)
    with pytest.raises(website.SiteError, match=f"{LESSONS[1].name}: no executed copy"):
        website.executed_lessons([LESSONS[1]], tmp_path)


def test_the_command_given_stale_copies_stops_before_executing_or_building_anything(tmp_path, capsys):
    _executed_copy(LESSONS[0], tmp_path / "executed", edit="\n# an older version")
    assert main(["site", "--out", str(tmp_path / "site"), "--executed", str(tmp_path / "executed")]) == 2
    err = capsys.readouterr().err
    assert "another version of the lesson" in err and f"{LESSONS[1].name}: no executed copy" in err
    assert not (tmp_path / "site").exists()


def test_a_copy_that_stopped_part_way_is_refused(tmp_path):
    lesson = LESSONS[0]
    nbtools.write_notebook(nbtools.read_notebook(lesson), tmp_path / lesson.name)  # never executed
    with pytest.raises(website.SiteError, match="not executed to the end"):
        website.executed_lessons([lesson], tmp_path)


# ---------------------------------------------- what fails the build (a book of one page)


def _tiny_book(root: Path, index: str, *, extra_page: str | None = None) -> Path:
    """A checkout with the course's book configuration and a table of contents of one page."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    shutil.copy2(ROOT / "docs" / "_config.yml", docs)
    shutil.copytree(ROOT / "docs" / "_ext", docs / "_ext")
    (docs / "_toc.yml").write_text("format: jb-book\nroot: index\n", encoding="utf-8")
    (docs / "index.md").write_text(index, encoding="utf-8")
    if extra_page is not None:
        (docs / "forgotten.md").write_text(extra_page, encoding="utf-8")
    (root / "exercises").mkdir()
    return root


@pytest.mark.slow
@pytest.mark.parametrize("index, extra_page, problem", [
    ("# Home\n\nSee [lesson 09](notebooks/09_missing.ipynb).\n", None, "09_missing"),
    ("# Home\n\nNothing links the other page.\n", "# Forgotten\n", "forgotten"),
], ids=["a broken link between pages", "a page missing from the table of contents"])
def test_a_warning_fails_the_build_and_names_the_page(tmp_path, index, extra_page, problem):
    root = _tiny_book(tmp_path / "checkout", index, extra_page=extra_page)
    build = website.build_site(tmp_path / "site", [], root=root)
    assert not build.ok and not (tmp_path / "site").exists()
    assert any(problem in line and "docs/" in line for line in build.problems), build.problems


@pytest.mark.slow
def test_the_tiny_book_builds_when_nothing_is_wrong(tmp_path):
    """The control for the test above: the same book, the link fixed, builds."""
    root = _tiny_book(tmp_path / "checkout", "# Home\n\nSee [the index](genindex).\n")
    build = website.build_site(tmp_path / "site", [], root=root)
    assert build.ok, build.problems
    assert (tmp_path / "site" / "index.html").is_file()


# ----------------------------------------------------------------- the course's website


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The website, built by the README's command from the lessons test_notebooks.py executed
    (or, when this file runs alone, from lessons the command executes itself)."""
    out = tmp_path_factory.mktemp("website") / "site"
    try:
        website.executed_lessons(LESSONS, EXECUTED)
        reuse = ["--executed", str(EXECUTED)]
    except website.SiteError:
        reuse = []
    assert main(["site", "--out", str(out), *reuse]) == 0
    return out


def _pages(site: Path) -> dict[str, str]:
    return {path.relative_to(site).as_posix(): path.read_text(encoding="utf-8") for path in site.rglob("*.html")}


@pytest.mark.slow
def test_the_website_has_an_index_a_table_of_contents_search_and_the_general_index(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Scaling Laws in AI" in index
    for target in ("notebooks/00_welcome.html", "exercises/ex01_history_compute.html", "api.html"):
        assert f'href="{target}"' in index, target  # the table of contents in the side bar
    assert (site / "search.html").is_file() and (site / "searchindex.js").is_file()
    assert (site / "genindex.html").is_file()


@pytest.mark.slow
def test_every_lesson_is_a_page_with_its_outputs_figures_and_explorer_snapshots(site):
    for lesson in LESSONS:
        source = lesson.read_text(encoding="utf-8")
        page = (site / "notebooks" / f"{lesson.stem}.html").read_text(encoding="utf-8")
        assert 'class="cell_output' in page, lesson.name
        figures = re.findall(r'<img[^>]*src="(\.\./_images/[^"]+\.png)"', page)
        assert bool(figures) == ("show(" in source), lesson.name
        assert all((site / "notebooks" / src).resolve().is_file() for src in figures), lesson.name
        assert page.count('class="cu-widget-snapshot"') >= source.count("_explorer("), lesson.name


@pytest.mark.slow
def test_every_exercise_and_guide_is_a_page(site):
    for exercise in (ROOT / "exercises").glob("*.ipynb"):
        assert (site / "exercises" / f"{exercise.stem}.html").is_file(), exercise.name
    for guide in (ROOT / "docs" / "guides").glob("*.md"):
        assert (site / "guides" / f"{guide.stem}.html").is_file(), guide.name


@pytest.mark.slow
def test_a_guide_s_links_to_the_readme_and_the_architecture_reach_pages_of_the_site(site):
    maintainers = (site / "guides" / "maintainers.html").read_text(encoding="utf-8")
    learners = (site / "guides" / "learners.html").read_text(encoding="utf-8")
    assert 'href="../architecture.html"' in maintainers and 'href="../index.html"' in learners
    assert "trust boundary" in (site / "architecture.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_api_reference_shows_each_module_s_functions_from_their_docstrings(site):
    page = (site / "api" / "course_utils" / "chinchilla.html").read_text(encoding="utf-8")
    assert 'id="course_utils.chinchilla.fit_chinchilla"' in page
    assert 'id="course_utils.grading.compare.number"' in \
        (site / "api" / "course_utils" / "grading" / "compare.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_no_page_loads_anything_from_the_network(site):
    loads = {name: found for name, page in _pages(site).items() if (found := external_loads(page))}
    assert loads == {}
    scripts = {src for page in _pages(site).values() for src in re.findall(r'<script[^>]*\ssrc="([^"]+)"', page)}
    assert scripts and not [src for src in scripts if re.search("mathjax|thebe", src, re.IGNORECASE)]


# ------------------------------------------------------------------- in Chromium, offline


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request in the test's output
        pass


@pytest.fixture(scope="module")
def served(site):
    """The website on a loopback port, as a person would put it on a web server."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def offline_page(served):
    """A Chromium page whose every request that leaves the machine is aborted and recorded."""
    if not CHROMIUM.is_file():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium; never `playwright install`)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires the browser test to run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.blocked = []

            def route(request_route):
                if request_route.request.url.startswith(served):
                    request_route.continue_()
                else:
                    page.blocked.append(request_route.request.url)
                    request_route.abort()

            page.route("**/*", route)
            yield page
        finally:
            browser.close()


@pytest.mark.slow
@pytest.mark.browser
def test_a_reader_opens_the_index_then_a_lesson_then_searches_with_the_network_cut_off(offline_page, served):
    page = offline_page
    page.goto(f"{served}/index.html")
    assert "Scaling Laws in AI" in page.title()
    page.get_by_role("link", name="Chinchilla", exact=False).first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("notebooks/04_chinchilla.html")
    assert page.locator(".cell_output img").count() >= 1

    page.locator("button.search-button__button").first.click()  # the search box in the header
    search = page.locator("input[name=q]:visible").first
    search.fill("chinchilla")
    search.press("Enter")
    page.wait_for_load_state("load")
    # Sphinx lists the results one by one, best first: wait for the lesson's, wherever it ranks
    page.locator("#search-results li a[href*='notebooks/04_chinchilla.html']").first.wait_for(timeout=60_000)
    assert page.blocked == []
