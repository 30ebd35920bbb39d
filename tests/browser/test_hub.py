"""The course on a real JupyterHub, as the learners' guide (docs/guides/learners.md) tells an
administrator to set it up (issue 19).

A JupyterHub (from PyPI) with its proxy (configurable-http-proxy, from npm), the built-in
``dummy`` authenticator allowing everyone, and ``LocalProcessSpawner`` running each learner's
server as their own system user. The users are created by this test (CI runs as root) and
removed afterwards, with their homes. The single-user environment is a fresh one with the
course's wheel installed; the hub's configuration is the guide's block, verbatim, plus what
only a test needs (ports, the database, the authenticator).

* Three learners log in side by side. Each gets a course folder of their own at first login,
  and takes the journey of :mod:`journey` in it.
* One learner's kernel cannot read another learner's files.
* A hub whose notebook server runs in another environment, without the widget manager: the
  explorers show as text there, and the environment check must say so, never "All set".

Skips (and fails under ``CI=true``) without root, Chromium, Playwright, JupyterHub or the
proxy; and when the learners' users cannot read this environment (a checkout in a private
folder), saying so.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import LAB_SETTINGS, _alive, _in_ci
from documents import guide, section
from journey import ANSWER, ARTIFACTS, EXERCISES, LESSON_00, SLOW_MS, Journey, side_by_side

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

#: the learners, and one whose server runs in an environment without the widget manager
LEARNERS = 3
#: packages the split server's environment lacks: the widget manager and what installs it
WIDGET_PACKAGES = ("ipywidgets", "jupyterlab_widgets", "widgetsnbextension")


def _unavailable(reason: str):
    if _in_ci():
        pytest.fail(f"CI=true requires the hub journey to run: {reason}")
    pytest.skip(reason)


def _proxy() -> str | None:
    """configurable-http-proxy: beside this environment (test.sh puts it there) or on PATH."""
    local = Path(sys.prefix) / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


def guide_hub_config() -> str:
    """The administrator's ``jupyterhub_config.py`` block of the learners' guide, verbatim."""
    blocks = re.findall(r"```python\n(.*?)```", section(guide("learners"), "A JupyterHub"), re.S)
    config = [block for block in blocks if block.startswith("# jupyterhub_config.py")]
    assert config, "the learners' guide's hub section has no jupyterhub_config.py block"
    return config[0]


def _public(path: Path) -> bool:
    """Whether any user can run ``path``: every folder on the way can be entered, the file executed."""
    path = path.resolve()
    return all(folder.stat().st_mode & 0o001 for folder in path.parents) and bool(path.stat().st_mode & 0o001)


def learners_python() -> str | None:
    """An interpreter of this Python version that the learners' users can run: this one, or a
    system one (this one may live in a private folder, such as a pyenv build under /root)."""
    if _public(Path(sys.executable)):
        return sys.executable
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in ("/usr/bin", "/usr/local/bin", "/opt/python/bin"):
        candidate = Path(folder) / version
        if candidate.is_file() and _public(candidate):
            return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wrapper(bin_dir: Path, python: Path) -> None:
    """The ``jupyterhub-singleuser`` command that ``pip install jupyterhub`` puts in an environment."""
    script = bin_dir / "jupyterhub-singleuser"
    script.write_text(f"#!{python}\nimport sys\nfrom jupyterhub.singleuser import main\nsys.exit(main())\n")
    script.chmod(0o755)


def _processes_of(uids: set[int]) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    found.add(int(entry.name))
            except OSError:
                pass
    return found


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return str(pid)


class Hub:
    """A running JupyterHub and what it was built from; :meth:`close` undoes everything."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.users: list[str] = []
        self.learners: list[str] = []
        self.split_user = ""
        self.process: subprocess.Popen | None = None
        self.url = ""

    def add_user(self, name: str) -> str:
        done = subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
        self.users.append(name)
        return name

    def home(self, name: str) -> Path:
        return Path(pwd.getpwnam(name).pw_dir)

    def start(self, config: str, env: dict) -> None:
        (self.base / "jupyterhub_config.py").write_text(config)
        log = open(self.base / "hub.log", "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(self.base / "jupyterhub_config.py")],
                                        cwd=self.base, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        raise RuntimeError(f"JupyterHub did not answer within 120 s:\n{self.log()[-4000:]}")

    def log(self) -> str:
        path = self.base / "hub.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> list[str]:
        """Stop the hub (which stops the learners' servers and its proxy), then anything of the
        learners' still running, then remove the users, their homes and the hub's folder."""
        problems = []
        if self.process is not None and self.process.poll() is None:
            # The hub alone: it stops the servers and then its proxy, in that order (a proxy
            # stopped under it would make it wait on every route it tries to remove).
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=300)
            except subprocess.TimeoutExpired:
                problems.append(f"JupyterHub did not stop within 300 s of SIGTERM:\n{self.log()[-3000:]}")
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # anything of its own group still there
            except ProcessLookupError:
                pass
            self.process.wait()
        uids = {pwd.getpwnam(name).pw_uid for name in self.users}
        deadline = time.monotonic() + 30  # servers stop their kernels as they shut down
        while (left := _processes_of(uids)) and time.monotonic() < deadline:
            time.sleep(0.25)
        if left:
            problems.append(f"processes of the learners left running 30 s after the hub stopped: "
                            f"{[_command_line(pid) for pid in sorted(left)]}")
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(_alive(pid) for pid in left):
                time.sleep(0.1)
        for name in self.users:
            done = subprocess.run(["userdel", "--remove", name], capture_output=True, text=True)
            if done.returncode not in (0, 12):  # 12: the mail spool was not there
                problems.append(f"userdel {name}: {done.stderr.strip()}")
        shutil.rmtree(self.base, ignore_errors=True)
        return problems


@pytest.fixture(scope="module")
def hub(chromium_path, course_wheel, make_environment):
    """A JupyterHub with ``LEARNERS`` learners and one learner on a split environment."""
    if os.geteuid() != 0:
        _unavailable("the hub journey creates system users for its learners, which needs root (CI runs as root)")
    if not all(map(shutil.which, ("useradd", "userdel", "runuser"))):
        _unavailable("useradd, userdel and runuser are needed to create the hub's learners")
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        _unavailable("JupyterHub is not installed: pip install -e '.[dev]'")
    base_python = learners_python()
    if base_python is None:
        _unavailable(f"no python{sys.version_info.major}.{sys.version_info.minor} that other users may run (this "
                     f"one, {sys.executable}, lies in a private folder): install the system's python3")
    proxy = _proxy()
    if proxy is None:
        _unavailable("configurable-http-proxy is missing: `bash scripts/setup-venv.sh dev` installs it from npm "
                     "(or: npm install --prefix .venv/node configurable-http-proxy)")

    base = Path(tempfile.mkdtemp(prefix="course-hub-", dir="/tmp"))
    base.chmod(0o755)  # the learners run the single-user environment from here
    hub = Hub(base)
    try:
        course = make_environment(base / "course-env", base_python=base_python)
        done = subprocess.run([str(course["python"]), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                               str(course_wheel)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        _wrapper(course["bin"], course["python"])
        split = make_environment(base / "server-env", leave_out=WIDGET_PACKAGES, base_python=base_python,
                                 leave_out_data=("labextensions/@jupyter-widgets", "nbextensions"))
        _wrapper(split["bin"], split["python"])
        kernel = base / "server-env" / "share" / "jupyter" / "kernels" / "python3"
        kernel.mkdir(parents=True)
        (kernel / "kernel.json").write_text(json.dumps({  # the kernel runs in the course's environment
            "argv": [str(course["python"]), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (course)", "language": "python"}))

        suffix = secrets.token_hex(3)
        learners = [hub.add_user(f"learner{n}-{suffix}") for n in range(1, LEARNERS + 1)]
        split_user = hub.add_user(f"splitenv-{suffix}")
        probe = subprocess.run(["runuser", "-u", learners[0], "--", str(course["python"]), "-c",
                                "import numpy, jupyterhub, course_utils"], capture_output=True, text=True, timeout=120)
        if probe.returncode != 0:
            _unavailable(f"the learners' users cannot use this environment ({sys.prefix}), probably because the "
                         f"checkout lies in a folder other users cannot enter: {probe.stderr.strip()[-300:]}")

        # Settings only a test needs: the learners' JupyterLab without news or update checks,
        # rendering every cell, with no build check; read-only and shared.
        shared = base / "lab"
        for name, settings in LAB_SETTINGS.items():
            (shared / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
            (shared / "settings" / name).write_text(json.dumps(settings))
        (shared / "config").mkdir()
        (shared / "config" / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {
            "tornado_settings": {"page_config_data": {"buildCheck": False, "buildAvailable": False}},
            "jpserver_extensions": {"jupyter_lsp": False}}}))
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)

        port = _free_port()
        hub.url = f"http://127.0.0.1:{port}"
        path = os.pathsep.join([str(course["bin"]), "/usr/local/bin", "/usr/bin", "/bin"])
        config = guide_hub_config() + f"""
# ---- what only the test needs ----
c.JupyterHub.bind_url = {hub.url + '/'!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{_free_port()}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{_free_port()}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {str(base / 'proxy.pid')!r}
c.JupyterHub.db_url = {'sqlite:///' + str(base / 'hub.sqlite')!r}
c.JupyterHub.cookie_secret_file = {str(base / 'cookie_secret')!r}
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.Spawner.args = ["--LabApp.user_settings_dir={shared / 'settings'}", "--LabApp.news_url=None",
                  "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
c.Spawner.environment = {{"JUPYTER_CONFIG_DIR": {str(shared / 'config')!r}}}

def split_environment(spawner):
    # One learner's server runs in an environment without the widget manager; the kernel in
    # the course's (its kernel spec points there), as on a hub whose server image lags behind.
    if spawner.user.name == {split_user!r}:
        spawner.environment["PATH"] = {os.pathsep.join([str(split['bin']), path])!r}

c.Spawner.pre_spawn_hook = split_environment
"""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("PYTHON", "SCALING_COURSE", "COURSE_", "JUPYTER", "VIRTUAL_ENV", "PYTEST"))}
        env["PATH"] = path
        hub.start(config, env)
        hub.learners, hub.split_user = learners, split_user
        yield hub
    finally:
        problems = hub.close()
        if problems:
            pytest.fail("; ".join(problems))


def log_in(browser, hub: Hub, name: str):
    """A learner's own browser session: the hub's login page, their name, any password."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{hub.url}/hub/login")
    page.locator("input#username_input").fill(name)
    page.locator("input#password_input").fill("any password")
    page.locator("#login_submit").click()
    return context, page


def _keep_evidence(hub: Hub, pages: dict) -> None:
    """After a failure: a screenshot of every learner's page and the end of the hub's log."""
    ARTIFACTS.mkdir(exist_ok=True)
    for name, page in pages.items():
        try:
            page.screenshot(path=str(ARTIFACTS / f"hub-failure-{name.split('-')[0]}.png"), full_page=True)
        except Exception as error:  # the page may be gone; the test's own error matters more
            print(f"no screenshot of {name}: {error}")
    print(hub.log()[-6000:])


def test_three_learners_take_the_journey_side_by_side_in_folders_of_their_own(browser, hub):
    sessions = [log_in(browser, hub, name) for name in hub.learners]  # their servers start side by side
    try:
        journeys = []
        for number, (name, (_, page)) in enumerate(zip(hub.learners, sessions), start=1):
            page.wait_for_url(re.compile(rf"/user/{re.escape(name)}/lab/tree/notebooks/{LESSON_00}"), timeout=SLOW_MS)
            journeys.append(Journey(page, f"hub-learner{number}").first_hour())
        side_by_side(*journeys)
        for name in hub.learners:  # each one's own folder, made at first login, with their answer in it
            folder = hub.home(name) / "scaling-course"
            assert folder.stat().st_uid == pwd.getpwnam(name).pw_uid and folder.stat().st_mode & 0o777 == 0o700
            assert "return 6 * N * D" in (folder / "my_work" / f"{EXERCISES[0]}.ipynb").read_text()

        # one learner's kernel tries to read another's answers
        first, second = hub.learners[0], hub.learners[1]
        theirs = hub.home(second) / "scaling-course" / "my_work" / f"{EXERCISES[0]}.ipynb"
        _, page = sessions[0]
        output = Journey(page, "hub-learner1").run_new_cell(
            f"{EXERCISES[0]}.ipynb",
            f"import pathlib\n"
            f"try:\n    print(pathlib.Path({str(theirs)!r}).read_text()[:80])\n"
            f"except OSError as error:\n    print('refused:', type(error).__name__)\n"
            f"try:\n    print(sorted(p.name for p in pathlib.Path({str(theirs.parent)!r}).iterdir()))\n"
            f"except OSError as error:\n    print('refused:', type(error).__name__)")
        assert output.count("refused: PermissionError") == 2, output
        assert ANSWER.splitlines()[-1].strip() not in output and first != second
    except BaseException:
        _keep_evidence(hub, {name: page for name, (_, page) in zip(hub.learners, sessions)})
        raise
    finally:
        for context, _ in sessions:
            context.close()


def test_a_server_without_the_widget_manager_never_gets_all_set(browser, hub):
    """The split environment: the explorers render as text, and the check says why instead of "All set"."""
    from playwright.sync_api import expect

    context, page = log_in(browser, hub, hub.split_user)
    try:
        page.wait_for_url(re.compile(rf"/lab/tree/notebooks/{LESSON_00}"), timeout=SLOW_MS)
        journey = Journey(page, "hub-split-environment")
        journey.panel().wait_for(timeout=SLOW_MS)
        journey.wait_for_idle(LESSON_00)
        journey.start_run_all()
        journey.finish_run_all(LESSON_00)
        setup = journey.cell("from course_utils.doctor import doctor")
        output = setup.locator(".jp-OutputArea")
        expect(output).to_contain_text("VBox(children=", timeout=SLOW_MS)  # the slider, as text
        expect(output).to_contain_text("WITHOUT the widget manager", timeout=SLOW_MS)
        expect(output).to_contain_text("PROBLEM: every explorer will show as text", timeout=SLOW_MS)
        page.wait_for_timeout(3000)  # time for a late answer to change the last line (it must not say All set)
        journey.shot("1-lesson-00", scroll_to=setup)
        text = output.inner_text()
        assert "All set" not in text and "Fix the problems above" in text, text
        assert setup.locator(".widget-slider").count() == 0
    except BaseException:
        _keep_evidence(hub, {hub.split_user: page})
        raise
    finally:
        context.close()
