"""course_utils.doctor: the environment check run in the first cell of every notebook."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import doctor as doctor_module
from course_utils.doctor import MINIMUM_VERSIONS, check, doctor
from course_utils.frontend import WIDGET_MANAGER, ServerInfo

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
NO_SERVER = ServerInfo(False, reason="a test")


def test_report_lists_every_package_the_kernel_needs_with_its_installed_version():
    report = check()
    for name in ("ipykernel", "ipywidgets", "numpy", "scipy", "matplotlib", "torch"):
        assert name in report.packages
    assert report.packages["numpy"].version is not None


def test_a_kernel_without_jupyterlab_beside_it_is_still_ready(monkeypatch):
    """JupyterHub, VS Code and Colab run the server in another environment: the kernel's own
    environment is never reported as the server's."""
    real = doctor_module._installed_version
    monkeypatch.setattr(doctor_module, "_installed_version",
                        lambda name: None if name == "jupyterlab" else real(name))
    report = check(server=NO_SERVER)
    assert report.ok and "jupyterlab" not in report.packages
    assert "notebook server  not known" in report.as_text()


def test_the_report_says_where_the_course_was_found():
    report = check()
    assert report.course_root == f"{PYPROJECT.parent} (source checkout)"


def test_the_ready_environment_passes():
    """The project's own environment meets every minimum and ships the required data."""
    report = check()
    assert report.ok, report.problems
    assert report.data_files["notable_models.csv"]


def test_a_too_old_package_is_a_problem_naming_it():
    report = check(minimums={"numpy": "999.0"})
    assert not report.ok
    assert not report.packages["numpy"].ok
    assert any("numpy" in p and "999.0" in p for p in report.problems)


def test_a_missing_package_is_a_problem_with_an_install_command():
    report = check(minimums={"no-such-package-for-the-course": "1.0"})
    assert report.packages["no-such-package-for-the-course"].version is None
    assert any("pip install" in p for p in report.problems)


def test_an_old_python_is_a_problem():
    assert any("Python 3.8" in p for p in check(python_version=(3, 8, 10)).problems)


def test_a_missing_optional_data_file_is_a_note_not_a_problem():
    report = check(minimums={}, data_files={"sweep_missing_on_purpose.csv": (False, "a test")})
    assert report.ok
    assert report.data_files == {"sweep_missing_on_purpose.csv": False}
    assert any("sweep_missing_on_purpose.csv" in n for n in report.notes)


def test_a_missing_required_data_file_is_a_problem():
    report = check(minimums={}, data_files={"required_missing_on_purpose.csv": (True, "a test")})
    assert not report.ok


@pytest.mark.parametrize("version, minimum, expected", [
    ("2.13.0+cpu", "2.1", True), ("1.26.4", "1.24", True), ("1.23.5", "1.24", False),
    ("4.0", "4.0.0", True), ("0.10.1", "0.8", True), ("8.1.5", "8.10", False)])
def test_version_comparison_is_numeric_not_alphabetic(version, minimum, expected):
    assert doctor_module._at_least(version, minimum) is expected


def test_minimum_versions_match_pyproject():
    """The doctor checks every dependency pyproject.toml declares, at the same minimum."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    if not PYPROJECT.exists():
        pytest.skip("not running from a source checkout")
    declared = {}
    for requirement in tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement.strip())
        if match:
            declared[match.group(1).lower()] = match.group(2)
    assert MINIMUM_VERSIONS == declared


def test_doctor_prints_the_report_and_returns_it(capsys):
    report = doctor(show_widget=False)
    out = capsys.readouterr().out
    assert "numpy" in out and report.python in out
    assert report.widget_shown is False


def test_outside_a_kernel_no_widget_is_shown(capsys):
    assert doctor().widget_shown is False
    capsys.readouterr()


def test_headless_flag_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    assert check().headless


def test_command_line_prints_json_and_exits_zero():
    done = subprocess.run([sys.executable, "-m", "course_utils", "doctor", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] is True and "torch" in data["packages"]


def test_command_line_text_report_never_says_all_set_without_a_page_to_ask():
    done = subprocess.run([sys.executable, "-m", "course_utils", "doctor"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "has what the course's kernel needs" in done.stdout and "All set" not in done.stdout
    assert "ok torch" in " ".join(done.stdout.split()) and "imports)" in done.stdout


# ------------------------------------------------------- a torch that is installed but broken


def _broken_torch(folder: Path) -> dict:
    """An environment in which ``import torch`` fails while torch's metadata says it is there
    (what a missing shared library does), by a package of that name earlier on the path."""
    import os

    (folder / "torch").mkdir(parents=True)
    (folder / "torch" / "__init__.py").write_text(
        'raise ImportError("libtorch_cpu.so: cannot open shared object file: No such file or directory")\n')
    return dict(os.environ, PYTHONPATH=str(folder))


def test_a_torch_that_cannot_be_imported_is_a_problem_not_ok(tmp_path):
    done = subprocess.run([sys.executable, "-m", "course_utils", "doctor"], capture_output=True, text=True,
                          timeout=120, env=_broken_torch(tmp_path))
    assert done.returncode == 1, done.stdout
    line = next(line for line in done.stdout.splitlines() if " torch " in line)
    assert line.lstrip().startswith("!!") and "DOES NOT IMPORT" in line
    assert "torch 2" in done.stdout and "libtorch_cpu.so" in done.stdout
    assert "All set" not in done.stdout and "has what the course" not in done.stdout


def test_an_import_that_takes_too_long_is_not_known_not_ok(monkeypatch):
    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs.get("timeout"))

    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(doctor_module.subprocess, "run", slow)
    doctor_module.import_problem.cache_clear()
    report = check(server=NO_SERVER)
    doctor_module.import_problem.cache_clear()
    assert report.packages["torch"].imports is None and report.ok
    assert any("not known whether torch imports" in note for note in report.notes)


# ------------------------------------------------------------- what the page can show


def _page(app_version="4.2.5", extensions=(WIDGET_MANAGER,), disabled=()) -> str:
    config = {"appVersion": app_version, "staticDir": "/srv/hub-env/lib/python3.12/site-packages/jupyterlab/static",
              "federated_extensions": [{"name": name, "load": "static/remoteEntry.js"} for name in extensions],
              "disabledExtensions": list(disabled)}
    return (f'<html><head><script id="jupyter-config-data" type="application/json">{json.dumps(config)}'
            f'</script></head></html>')


@pytest.mark.parametrize("page, drawn", [
    (_page(), True),
    (_page(extensions=("jupyterlab_pygments",)), False),
    (_page(disabled=(WIDGET_MANAGER,)), False),
    (_page(disabled=(f"{WIDGET_MANAGER}:plugin",)), False),
], ids=["with", "not-installed", "disabled", "plugin-disabled"])
def test_the_server_page_says_whether_it_loads_the_widget_manager(page, drawn):
    from course_utils.frontend import page_config, server_from_config

    server = server_from_config(page_config(page), "http://127.0.0.1:8888/user/ada/")
    assert server.widget_manager is drawn and server.jupyterlab == "4.2.5"
    assert server.environment == "/srv/hub-env"


def test_a_server_without_the_widget_manager_is_a_problem_naming_its_environment():
    server = ServerInfo(True, url="http://127.0.0.1:8888/", jupyterlab="4.2.5", widget_manager=False,
                        environment="/srv/hub-env")
    report = check(server=server)
    assert not report.ok
    assert "JupyterLab 4.2.5 WITHOUT the widget manager" in report.as_text()
    assert any("show as text" in p and "/srv/hub-env" in p and "ipywidgets" in p for p in report.problems)


def test_find_server_asks_the_server_that_started_this_process(tmp_path, monkeypatch):
    """A server described in the runtime folder under its pid, answering with a token."""
    import http.server
    import os
    import threading

    from course_utils.frontend import find_server

    seen = []

    class Lab(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization")))
            body = _page(extensions=()).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Lab)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/user/ada/"
        (tmp_path / f"jpserver-{os.getppid()}.json").write_text(json.dumps({"url": url, "token": "t0k"}))
        monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
        found = find_server()
    finally:
        server.shutdown()
    assert seen == [("/user/ada/lab", "token t0k")]
    assert found.found and found.url == url and not found.widget_manager


def test_no_server_to_ask_is_said_and_is_not_a_problem(tmp_path, monkeypatch):
    from course_utils.frontend import find_server

    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    found = find_server()
    assert not found.found and "not known" in found.describe()
    assert check(server=found).ok


@pytest.mark.parametrize("state, says", [
    ("drawn", "All set"), ("waiting", "asking this page"), ("refused", "PROBLEM: this page has no widget manager"),
    ("no answer", "Not known whether this page draws widgets"), ("not asked", "not known here")])
def test_only_a_page_that_answered_gives_all_set(state, says):
    report = check(server=NO_SERVER)
    report.widgets = state
    assert says in report.verdict()
    assert ("All set" in report.verdict()) is (state == "drawn") is report.all_set


def test_the_probe_says_no_answer_once_the_kernel_has_been_free_long_enough():
    import threading

    from course_utils.frontend import WidgetProbe

    answered = threading.Event()
    states = []
    probe = WidgetProbe(lambda state: (states.append(state), answered.set()), idle_wait=0.2)
    probe._post_run()  # the cell that made it has finished; nothing else runs, nothing answers
    assert answered.wait(30)
    assert states == ["no answer"]


@pytest.mark.slow
def test_in_a_headless_kernel_it_skips_the_widget_and_otherwise_shows_it():
    """Run under the course's executor (which sets COURSE_HEADLESS=1), then unset the flag."""
    import nbformat

    from course_utils.nbtools import execute_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from course_utils.doctor import doctor\nr = doctor()\n"
                                  "assert r.in_kernel and r.headless and not r.widget_shown"),
        nbformat.v4.new_code_cell("import os\nos.environ.pop('COURSE_HEADLESS')\nr = doctor()\n"
                                  "assert r.in_kernel and r.widget_shown and r.widgets == 'waiting'"),
    ]
    result = execute_notebook(nb, timeout=120)
    outputs = result.notebook.cells[1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    texts = [o["data"]["text/plain"] for o in outputs if o.get("output_type") == "display_data"]
    assert "asking this page" in texts[-1]  # the last line waits for a page; nbclient never answers


def test_a_course_folder_older_than_the_course_is_noted_with_the_command_that_updates_it(tmp_path, monkeypatch):
    from course_utils.course_root import ENV_ROOT
    from course_utils.grading.commands.workcopy import start_course

    monkeypatch.delenv(ENV_ROOT, raising=False)
    start_course(tmp_path / "course", version="0.1.0")
    monkeypatch.chdir(tmp_path / "course" / "my_work")
    report = check(server=NO_SERVER)
    assert report.ok
    assert any("holds the lessons of version 0.1.0" in note and
               f"start --dir {tmp_path / 'course'} --update" in note for note in report.notes)
