"""Fixtures for the browser tests: a real JupyterLab server and headless Chromium.

The server runs on a free loopback port with a random token, in a temporary folder
holding a copy of the lessons (or, for a journey, started by the route's own command:
``./start.sh``, ``jupyter lab DIR``), with its own settings, workspace and runtime folders, so
it neither reads nor changes the developer's Jupyter setup. News and update checks are
off: nothing is fetched from the network. Chromium is Debian's ``/usr/bin/chromium``
driven through Playwright (never ``playwright install``).

Clean-up always runs: the server is asked to shut down over its REST API (which stops
the kernels it started), then its process group is terminated, then any process it had
started that is still alive is killed. A failing test leaves a screenshot in
``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
SERVER_START_TIMEOUT = 60.0

#: JupyterLab user settings for the test: render every cell (no virtual scrolling), so
#: outputs far down a lesson exist in the page; and answer the "official Jupyter news?"
#: question in advance (the notification would cover part of the page).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium, or skip (outside CI) / fail (under CI=true) saying how to get it."""
    reason = None
    if not CHROMIUM.is_file():
        reason = (f"Chromium not found at {CHROMIUM}; install Debian's package with "
                  "`sudo apt-get install chromium` to run the browser test (never `playwright install`)")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the Playwright Python package is missing; install the dev extra: pip install -e '.[dev]'"
    if reason:
        if _in_ci():
            pytest.fail(f"CI=true requires the browser test to run: {reason}")
        pytest.skip(reason)
    return CHROMIUM


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    """All processes below ``pid`` (Linux /proc), including those in new sessions (kernels)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pids: set[int], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = {pid for pid in pids if _alive(pid)}
        if not pids:
            break
        time.sleep(0.1)
    return {pid for pid in pids if _alive(pid)}


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: its address, token and the folder it serves."""

    url: str
    token: str
    root: Path
    log: Path

    def lab_url(self, notebook: str, workspace: str) -> str:
        """Open ``notebook`` in a workspace of its own, so no tab of another test is restored."""
        return f"{self.url}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 5.0):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None


def _jupyter_command() -> list[str]:
    jupyter = Path(sys.executable).parent / "jupyter"
    return [str(jupyter), "lab"] if jupyter.exists() else [sys.executable, "-m", "jupyterlab"]


def lab_options(token: str, port: int, work: Path) -> list[str]:
    """The test's own options for any JupyterLab it starts (a route's command adds them)."""
    return ["--no-browser", "--allow-root", f"--ServerApp.token={token}", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.open_browser=False",
            f"--LabApp.user_settings_dir={work / 'settings'}", f"--LabApp.workspaces_dir={work / 'workspaces'}",
            # No announcements feed and no update check: nothing is fetched from the network.
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]


def lab_environment(work: Path, base: dict | None = None) -> dict:
    """The test's own Jupyter folders: the developer's settings are neither read nor changed."""
    for name, settings in LAB_SETTINGS.items():
        path = work / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    # No build check (it hashes the whole JupyterLab install on every page load), no
    # language-server scan, no terminals.
    (work / "config").mkdir(exist_ok=True)
    (work / "config" / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {
        "tornado_settings": {"page_config_data": {"buildCheck": False, "buildAvailable": False}},
        "jpserver_extensions": {"jupyter_lsp": False}, "terminals_enabled": False}}))
    return dict(base if base is not None else os.environ, JUPYTER_CONFIG_DIR=str(work / "config"),
                JUPYTER_RUNTIME_DIR=str(work / "runtime"), IPYTHONDIR=str(work / "ipython"), PYTHONUNBUFFERED="1")


def start_lab(root: Path, work: Path, *, command: list[str] | None = None, cwd: Path | None = None,
              env: dict | None = None) -> tuple[subprocess.Popen, LabServer]:
    """Start JupyterLab; ``work`` holds its config, settings and log.

    By default this environment's JupyterLab serves ``root``; a route's ``command`` (``./start.sh``,
    ``jupyter lab DIR``) decides the root itself, and ``root`` only records what it should be.
    """
    token, port = secrets.token_hex(16), _free_port()
    base = _jupyter_command() + [f"--ServerApp.root_dir={root}"] if command is None else command
    log = work / "jupyter.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(base + lab_options(token, port, work), cwd=cwd or root,
                                   env=lab_environment(work, env), stdout=handle, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return process, LabServer(url=f"http://127.0.0.1:{port}", token=token, root=root, log=log)


def wait_until_ready(process: subprocess.Popen, server: LabServer, timeout: float = SERVER_START_TIMEOUT) -> None:
    """Wait until the server answers its REST API; fail with its log if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{server.log.read_text()[-3000:]}")
        try:
            server.api("status", timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{server.log.read_text()[-3000:]}")


def stop_lab(process: subprocess.Popen, server: LabServer) -> set[int]:
    """Shut the server and everything it started down; return pids that survived (none)."""
    started = _descendants(process.pid)
    if process.poll() is None:
        try:
            server.api("shutdown", method="POST")
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        survivors = _wait_gone(started, 0 if sig == signal.SIGTERM else grace)
        for pid in survivors:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    return _wait_gone(started | {process.pid}, 5)


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory) -> Path:
    """A temporary copy of the lessons for the server to serve (tests add to it)."""
    root = tmp_path_factory.mktemp("lab-root")
    source = REPO_ROOT / "notebooks"
    if source.is_dir():
        shutil.copytree(source, root / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    else:
        (root / "notebooks").mkdir()
    return root


@pytest.fixture(scope="module")
def lab(chromium_path, lab_root, tmp_path_factory):
    """A JupyterLab server on a free loopback port, always stopped afterwards."""
    work = tmp_path_factory.mktemp("lab-work")
    process, server = start_lab(lab_root, work)
    try:
        wait_until_ready(process, server)
        yield server
    finally:
        survivors = stop_lab(process, server)
        if survivors:
            pytest.fail(f"processes left behind by JupyterLab: {sorted(survivors)}")


@pytest.fixture(scope="module")
def browser(chromium_path):
    """Headless Chromium through Playwright, always closed afterwards."""
    from playwright.sync_api import sync_playwright

    before = _descendants(os.getpid())
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS,
                                              headless=True)
        started = _descendants(os.getpid()) - before  # Playwright's driver and Chromium
        try:
            yield instance
        finally:
            instance.close()
    survivors = _wait_gone(started, 10)
    if survivors:
        pytest.fail(f"processes left behind by Playwright/Chromium: {sorted(survivors)}")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so the page fixture can see a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(browser, request):
    """A fresh browser page; on failure a full-page screenshot goes to test-artifacts/."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        report = getattr(request.node, "report_call", None)
        if report is None or report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"{request.node.name}.png"
            try:
                tab.screenshot(path=str(shot), full_page=True)
                print(f"screenshot saved to {shot}")
            except Exception as error:  # the page may be gone; the test's own error matters more
                print(f"could not save a screenshot: {error}")
        context.close()
