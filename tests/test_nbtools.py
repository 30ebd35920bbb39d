"""The one notebook executor and output cleaner (course_utils.nbtools)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from course_utils import nbtools, website, widgets
from course_utils.widget_snapshot import WIDGET_STATE, WIDGET_VIEW, snapshot_widgets


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def test_strip_outputs_removes_outputs_counts_and_widget_state():
    nb = _notebook("1 + 1")
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"})]
    nb.cells[0].execution_count = 3
    nb.metadata["widgets"] = {"state": {}}
    nbtools.strip_outputs(nb)
    assert nbtools.cells_with_outputs(nb) == []
    assert "widgets" not in nb.metadata


def test_read_notebook_explains_an_empty_file(tmp_path):
    path = tmp_path / "empty.ipynb"
    path.write_text("")
    with pytest.raises(nbtools.NotebookError, match="empty"):
        nbtools.read_notebook(path)


def test_read_notebook_explains_invalid_json(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [')
    with pytest.raises(nbtools.NotebookError, match="not a valid Jupyter notebook"):
        nbtools.read_notebook(path)


def test_read_notebook_explains_json_that_is_not_a_notebook(tmp_path):
    path = tmp_path / "data.ipynb"
    path.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(nbtools.NotebookError):
        nbtools.read_notebook(path)


def test_read_notebook_explains_a_missing_file(tmp_path):
    with pytest.raises(nbtools.NotebookError, match="no such notebook"):
        nbtools.read_notebook(tmp_path / "absent.ipynb")


def test_write_then_read_round_trips(tmp_path):
    path = nbtools.write_notebook(_notebook("x = 1"), tmp_path / "sub" / "nb.ipynb")
    assert nbtools.read_notebook(path).cells[0].source == "x = 1"
    assert path.read_text().endswith("\n")


@pytest.mark.slow
def test_execute_notebook_runs_cells_in_order_in_the_given_folder(tmp_path):
    nb = _notebook("import os; x = 20", "print(x + 22, os.path.basename(os.getcwd()))")
    result = nbtools.execute_notebook(nb, cwd=tmp_path, timeout=60)
    assert result.notebook.cells[1].outputs[0]["text"].split() == ["42", tmp_path.name]
    assert result.seconds > 0


@pytest.mark.slow
def test_execute_notebook_stops_at_the_first_error_and_names_it(tmp_path):
    nb = _notebook("raise ValueError('broken lesson')", "print('never')")
    with pytest.raises(CellExecutionError, match="broken lesson"):
        nbtools.execute_notebook(nb, cwd=tmp_path, timeout=60)


@pytest.mark.slow
def test_run_all_command_executes_and_prints_the_table(tmp_path, capsys):
    path = nbtools.write_notebook(_notebook("print('hello course')"), tmp_path / "00_demo.ipynb")
    args = type("Args", (), {"notebooks": [path], "html": None, "timeout": 60})()
    assert nbtools.run_command("run-all", args) == 0
    assert "00_demo.ipynb" in capsys.readouterr().out


def test_run_all_html_points_to_the_website_that_replaced_it(tmp_path, capsys):
    """The index-less HTML copies are gone (issue 25): the old option says what replaced them
    and executes nothing."""
    args = type("Args", (), {"notebooks": [], "html": tmp_path / "html", "timeout": 60})()
    assert nbtools.run_command("run-all", args) == 2
    assert "scaling-course site" in capsys.readouterr().err and not (tmp_path / "html").exists()


def _run_all(*paths, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course_utils", "run-all", *map(str, paths)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.slow
def test_run_all_carries_on_after_a_failing_notebook_and_ends_with_a_table(tmp_path):
    failing = nbtools.write_notebook(_notebook("x = 1", "raise ValueError('bad slope')", "print('unreached')"),
                                     tmp_path / "01_fails.ipynb")
    fine = nbtools.write_notebook(_notebook("print('second notebook ran')"), tmp_path / "02_fine.ipynb")
    (tmp_path / "03_broken.ipynb").write_text("{not json")
    done = _run_all(failing, fine, tmp_path / "03_broken.ipynb", cwd=tmp_path)
    assert done.returncode == 1
    table = done.stdout.split("notebook  ", 1)[1]
    assert re.search(r"01_fails\.ipynb\s+FAILED\s+[\d.]+\s+cell 2: ValueError: bad slope", table), done.stdout
    assert re.search(r"02_fine\.ipynb\s+ok\s+[\d.]+", table)
    assert re.search(r"03_broken\.ipynb\s+FAILED\s+[\d.]+\s+.*not a valid Jupyter notebook", table)
    assert table.rstrip().endswith("1 ok, 2 failed")
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.slow
def test_run_all_says_which_notebook_runs_and_keeps_the_kernels_warnings_out(tmp_path):
    fine = nbtools.write_notebook(_notebook("print(1)"), tmp_path / "00_fine.ipynb")
    done = _run_all(fine, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("00_fine.ipynb") and "starting" in done.stdout.splitlines()[0]
    assert "without encryption" not in done.stdout + done.stderr and "WARNING" not in done.stderr
    assert done.stdout.rstrip().endswith("all 1 ok")


def test_progress_counts_the_cells_done_and_redraws_one_line_in_a_terminal():
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    with nbtools.Progress("03_scaling_lab.ipynb", screen) as progress:
        progress.cell(12, 41)
    lines = screen.getvalue().split("\r")
    assert any(re.match(r"03_scaling_lab\.ipynb\s+12/41 cells\s+\d+ s", line) for line in lines), lines
    assert "\n" not in screen.getvalue()  # redrawn in place, and cleared at the end


def test_progress_in_a_log_writes_whole_lines():
    import io

    log = io.StringIO()
    with nbtools.Progress("03_scaling_lab.ipynb", log, log_every=3600):
        pass
    assert log.getvalue().endswith("\n") and "starting" in log.getvalue()


# ------------------------------------------------------------ offline HTML (issue 12, item 5)

PNG_1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def _model(name: str, **state) -> dict:
    return {"model_name": f"{name}Model", "model_module": "@jupyter-widgets/controls", "state": state}


def _with_widget(state: dict, model_id: str) -> nbformat.NotebookNode:
    nb = _notebook("explorer()")
    nb.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", data={"text/plain": "VBox(...)", WIDGET_VIEW: {"model_id": model_id, "version_major": 2}})]
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}
    return nb


def _explorer_like_state() -> dict:
    image = _model("Image", format="png", _dom_classes=["cu-plot"])
    image["buffers"] = [{"path": ["value"], "encoding": "base64", "data": PNG_1x1}]
    return {
        "root": _model("VBox", children=["IPY_MODEL_title", "IPY_MODEL_row", "IPY_MODEL_plot"],
                       _dom_classes=["cu-explorer", "cu-data-limits"]),
        "title": _model("HTML", value="<b>Data-limits explorer</b>"),
        "row": _model("HBox", children=["IPY_MODEL_slider", "IPY_MODEL_law"]),
        "slider": _model("FloatLogSlider", description="budget C", base=10.0, min=16.0, max=28.0, value=5.76e23),
        "law": _model("Dropdown", description="law", _options_labels=["Hoffmann", "Besiroglu"], index=1),
        "plot": image,
    }


def test_a_widget_output_becomes_a_static_snapshot_of_its_saved_state():
    nb = snapshot_widgets(_with_widget(_explorer_like_state(), "root"))
    data = nb.cells[0].outputs[0].data
    assert WIDGET_VIEW not in data and "widgets" not in nb.metadata
    page = data["text/html"]
    assert f"data:image/png;base64,{PNG_1x1}" in page            # the explorer's plot
    assert "Data-limits explorer" in page and "cu-data-limits" in page
    assert "5.76e+23" in page and 'value="23.76' in page       # a log slider: value, and its exponent
    assert "<option selected>Besiroglu</option>" in page
    assert "open the notebook in Jupyter" in page


def test_a_progress_bar_becomes_a_progress_element_without_the_explorer_note():
    state = {"bar": _model("HBox", children=["IPY_MODEL_label", "IPY_MODEL_progress"]),
             "label": _model("HTML", value="sweep: 100%"),
             "progress": _model("FloatProgress", value=3.0, max=3.0)}
    page = snapshot_widgets(_with_widget(state, "bar")).cells[0].outputs[0].data["text/html"]
    assert '<progress value="3.0" max="3.0"' in page and "sweep: 100%" in page
    assert "open the notebook in Jupyter" not in page


def test_an_unknown_widget_is_named_not_dropped():
    page = snapshot_widgets(_with_widget({"w": _model("ColorPicker", value="#ff0000")}, "w")).cells[0].outputs[0]
    assert "ColorPicker: interactive in Jupyter only" in page.data["text/html"]


def test_a_widget_whose_state_was_not_saved_keeps_its_text_form():
    nb = _with_widget({}, "missing")
    data = snapshot_widgets(nb).cells[0].outputs[0].data
    assert data == {"text/plain": "VBox(...)"}


class _Loads(HTMLParser):
    """Every URL a browser would fetch while showing a page: scripts, style sheets, images,
    frames, and ``url(...)``/``@import``/``import`` inside style and script elements."""

    ATTRIBUTES = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src",
                  "embed": "src", "video": "src", "audio": "src", "object": "data"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._inside: str | None = None

    def handle_starttag(self, tag, attrs):
        value = dict(attrs).get(self.ATTRIBUTES.get(tag, ""), None)
        if value:
            self.urls.append(value)
        self._inside = tag if tag in {"script", "style"} else None
        for _, text in attrs:
            if text and "url(" in text:
                self.handle_data(text)

    def handle_endtag(self, tag):
        self._inside = None

    def handle_data(self, data):
        if self._inside == "script":
            self.urls += re.findall(r"""(?:https?:)?//[^\s'"`)]+""", data)
        self.urls += re.findall(r"""url\(\s*['"]?([^'")]+)""", data)
        self.urls += re.findall(r"""@import\s+['"]([^'"]+)""", data)


def external_loads(page: str) -> list[str]:
    parser = _Loads()
    parser.feed(page)
    return [url for url in parser.urls if re.match(r"^(https?:)?//", url.strip())]


def test_the_load_finder_sees_what_a_browser_would_fetch():
    page = ('<script src="https://cdn.example/require.js"></script><link rel="stylesheet" href="//fonts.example/a.css">'
            '<style>@import "https://x.example/b.css"; .a{background:url(http://x.example/c.png)}</style>'
            '<script>import("https://cdn.example/mermaid.mjs")</script><a href="https://epoch.ai">a link</a>'
            '<img src="data:image/png;base64,AAAA">')
    assert len(external_loads(page)) == 5  # the link and the data: image load nothing


@pytest.mark.slow
def test_the_website_shows_every_explorer_and_progress_bar_as_a_snapshot_that_loads_nothing(tmp_path):
    """Every explorer of course_utils.widgets, a tqdm bar (the lab's) and the doctor's slider,
    executed and made a website's page: no network URL, and each widget output shows its first view."""
    explorers = [name for name in widgets.__all__ if name.endswith("_explorer")]
    nb = _notebook(*[f"from course_utils.widgets import {name}\n{name}()" for name in explorers],
                   "from tqdm.auto import tqdm\nfor _ in tqdm(range(3), desc='sweep'):\n    pass",
                   "import os\nos.environ.pop('COURSE_HEADLESS', None)\n"
                   "from course_utils.doctor import doctor\ndoctor();")
    executed = nbtools.execute_notebook(nb, cwd=tmp_path, timeout=120).notebook
    assert executed.metadata.get("widgets")  # the executor saved the widget state
    page = "".join("".join(output.get("data", {}).get("text/html", ""))
                   for cell in website.site_notebook(executed).cells for output in cell.get("outputs", []))
    assert external_loads(page) == []
    snapshots = page.split('<div class="cu-widget-snapshot">')[1:]
    assert len(snapshots) == len(explorers) + 2
    for name, snapshot in zip(explorers, snapshots):
        assert "data:image/png;base64," in snapshot, f"{name} shows no plot"
    assert "<progress" in snapshots[len(explorers)] and "sweep" in snapshots[len(explorers)]
    assert 'type="range"' in snapshots[-1]  # the doctor's "move me" slider


def test_every_explorer_a_lesson_shows_is_one_the_offline_test_covers():
    used = {name for path in nbtools.lesson_notebooks() for cell in nbtools.read_notebook(path).cells
            if cell.cell_type == "code" for name in re.findall(r"\b(\w+_explorer)\(", cell.source)}
    assert used and used <= {name for name in widgets.__all__ if name.endswith("_explorer")}


# ------------------------------------------------------- the lessons' first cell (item 4)


def test_every_lessons_first_code_cell_is_the_setup_cell():
    for path in nbtools.lesson_notebooks():
        first = next(cell for cell in nbtools.read_notebook(path).cells if cell.cell_type == "code")
        assert first.source == nbtools.LESSON_SETUP_CELL, f"{path.name}: first code cell differs"


def test_the_setup_cell_is_silent_where_the_course_is_installed(tmp_path):
    done = subprocess.run([sys.executable, "-c", nbtools.LESSON_SETUP_CELL], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Python ")  # doctor's report, nothing else
    assert "has what the course's kernel needs" in done.stdout and "All set" not in done.stdout  # no page here


def test_the_setup_cell_switches_on_colabs_widget_manager_on_every_run(tmp_path):
    """On Colab the course is installed after the first run, and a restarted session still
    needs Colab's widget manager switched on: the cell must do it where nothing is installed."""
    package = tmp_path / "fake" / "google" / "colab"
    package.mkdir(parents=True)
    (tmp_path / "fake" / "google" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "output.py").write_text(
        "from pathlib import Path\n"
        "def enable_custom_widget_manager():\n"
        "    Path('widget-manager-enabled').write_text('yes')\n")
    import os

    env = dict(os.environ, PYTHONPATH=str(tmp_path / "fake"))
    for run in range(2):  # the course is installed already: both runs take the short path
        done = subprocess.run([sys.executable, "-c", "import google.colab\n" + nbtools.LESSON_SETUP_CELL],
                              capture_output=True, text=True, cwd=tmp_path, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "widget-manager-enabled").read_text() == "yes", f"run {run + 1}"
        (tmp_path / "widget-manager-enabled").unlink()


def test_the_setup_cell_asks_for_the_wheel_where_the_course_is_missing(tmp_path):
    """``-S``: no site-packages, so no course; and no wheel beside the notebook."""
    done = subprocess.run([sys.executable, "-S", "-c", nbtools.LESSON_SETUP_CELL], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode != 0 and "upload its wheel" in done.stderr
