"""The one notebook executor and output cleaner (course_utils.nbtools)."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from course_utils import nbtools


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
def test_run_all_command_writes_an_html_copy(tmp_path, capsys):
    path = nbtools.write_notebook(_notebook("print('hello course')"), tmp_path / "00_demo.ipynb")
    args = type("Args", (), {"notebooks": [path], "html": tmp_path / "html", "timeout": 60})()
    assert nbtools.run_command("run-all", args) == 0
    html = (tmp_path / "html" / "00_demo.html").read_text()
    assert "hello course" in html
    assert "00_demo.ipynb" in capsys.readouterr().out
