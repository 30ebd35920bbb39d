"""What the learner's page can show: which notebook server serves it, and whether it draws widgets.

A kernel does not run where the page is drawn. On a laptop JupyterLab and the kernel share
one environment; on a hub, in VS Code or on Colab the notebook server may run in another
one, and when that server has no widget manager every explorer shows as text such as
``VBox(children=(…))``. Two checks, from the kernel's side:

* :func:`find_server` asks the notebook server that started this kernel (its ``jpserver-<pid>.json``
  in Jupyter's runtime folder, where the pid is the kernel's parent) for the page it serves,
  and reads JupyterLab's version and its list of front-end extensions from that page's
  configuration: whether ``@jupyter-widgets/jupyterlab-manager`` is among them, and enabled.
* :class:`WidgetProbe` asks the page itself. It links two widgets with ``jslink``: a page
  with a widget manager creates the link in the browser, which copies one value into the
  other and sends it back to the kernel; a page without one refuses the widgets and closes
  their channel ("Exception opening new comm" in the browser's console). Either answer
  reaches the kernel once it is free (after Run All), and the probe then updates a line of
  the cell's output. If the kernel has been free for :data:`IDLE_WAIT` seconds with no
  answer, the probe says that it could not find out.

Neither check ever says more than it knows: no server found, or no answer, is reported as
such.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

#: the front-end extension that draws ipywidgets in JupyterLab (from ``jupyterlab_widgets``)
WIDGET_MANAGER = "@jupyter-widgets/jupyterlab-manager"
#: seconds the kernel must have been free, without an answer from the page, before saying so
IDLE_WAIT = 8.0
_CONFIG_DATA = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S)


@dataclass(frozen=True)
class ServerInfo:
    """The notebook server that started this kernel, as its page describes itself.

    ``found`` is False when no server could be asked (``reason`` says why); then nothing else
    is known. ``widget_manager`` is False when the page loads no widget manager (or has it disabled).
    """

    found: bool
    reason: str = ""
    url: str = ""
    jupyterlab: str | None = None
    widget_manager: bool = False
    environment: str | None = None

    def describe(self) -> str:
        """One line: which JupyterLab serves the page, from where, and whether it draws widgets."""
        if not self.found:
            return f"not known ({self.reason})"
        lab = f"JupyterLab {self.jupyterlab}" if self.jupyterlab else "a Jupyter server without JupyterLab"
        widgets = "with the widget manager" if self.widget_manager else f"WITHOUT the widget manager ({WIDGET_MANAGER})"
        where = f", environment {self.environment}" if self.environment else ""
        return f"{lab} {widgets}, at {self.url}{where}"


def _runtime_dirs() -> list[Path]:
    """Where Jupyter servers of this user describe themselves (``jpserver-<pid>.json``)."""
    found = []
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        found.append(Path(jupyter_runtime_dir()))
    except ImportError:
        pass
    if os.environ.get("JUPYTER_RUNTIME_DIR"):
        found.append(Path(os.environ["JUPYTER_RUNTIME_DIR"]))
    found.append(Path.home() / ".local" / "share" / "jupyter" / "runtime")
    return list(dict.fromkeys(found))


def _ancestors(pid: int, depth: int = 3) -> list[int]:
    """``pid``, its parent and grandparent (a kernel may be started through a wrapper)."""
    found = [pid]
    for _ in range(depth - 1):
        try:
            stat = Path(f"/proc/{found[-1]}/stat").read_text()
        except OSError:
            break
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent <= 1:
            break
        found.append(parent)
    return found


def _environment_of(static_dir: str | None) -> str | None:
    """The Python environment a JupyterLab is installed in, from its ``staticDir``."""
    if not static_dir:
        return None
    match = re.match(r"(.*?)[/\\](?:[Ll]ib[/\\]|share[/\\]jupyter[/\\])", static_dir)
    return match.group(1) if match else static_dir


def page_config(html: str) -> dict:
    """JupyterLab's page configuration (``jupyter-config-data``) from the HTML of ``/lab``."""
    match = _CONFIG_DATA.search(html)
    if not match:
        raise ValueError("the page has no jupyter-config-data: not a JupyterLab page")
    return json.loads(match.group(1))


def server_from_config(config: dict, url: str) -> ServerInfo:
    """What a page configuration says: JupyterLab's version and whether the widget manager is on."""
    disabled = config.get("disabledExtensions") or []
    if isinstance(disabled, dict):
        disabled = [name for name, off in disabled.items() if off]
    names = {extension.get("name") for extension in config.get("federated_extensions") or []}
    manager = WIDGET_MANAGER in names and not any(
        item == WIDGET_MANAGER or item.startswith(f"{WIDGET_MANAGER}:") for item in disabled)
    return ServerInfo(True, url=url, jupyterlab=config.get("appVersion"), widget_manager=manager,
                      environment=_environment_of(config.get("staticDir")))


def find_server(pid: int | None = None, timeout: float = 3.0) -> ServerInfo:
    """Ask the notebook server that started the kernel ``pid`` (default: this process)."""
    pids = _ancestors(os.getppid() if pid is None else pid)
    info = None
    for folder in _runtime_dirs():
        for candidate in pids:
            path = folder / f"jpserver-{candidate}.json"
            if path.is_file():
                try:
                    info = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                break
        if info:
            break
    if not info:
        return ServerInfo(False, reason="no Jupyter server of this user on this machine started this process: "
                                        "a terminal, VS Code, Colab or a remote kernel")
    url = info.get("url") or ""
    token = info.get("token") or os.environ.get("JUPYTERHUB_API_TOKEN") or os.environ.get("JPY_API_TOKEN") or ""
    request = urllib.request.Request(url.rstrip("/") + "/lab", headers={"Authorization": f"token {token}"}
                                     if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            html = response.read().decode("utf-8", "replace")
        return server_from_config(page_config(html), url)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return ServerInfo(False, reason=f"the server at {url} did not show its JupyterLab page: {exc}", url=url)


class WidgetProbe:
    """Ask the page whether it draws widgets; report the answer through ``report(state)``.

    ``state`` is ``"drawn"`` (the page's widget manager answered), ``"refused"`` (the page
    closed the widgets' channel: it has no widget manager) or ``"no answer"`` (the kernel was
    free for ``idle_wait`` seconds and nothing came). ``report`` is called once, from the
    kernel's main thread for the first two and from a timer thread for the last.
    """

    def __init__(self, report: Callable[[str], None], idle_wait: float = IDLE_WAIT) -> None:
        import ipywidgets
        from IPython import get_ipython

        self._report, self.idle_wait = report, idle_wait
        self.state: str | None = None
        self._lock = threading.Lock()
        self._shell = get_ipython()
        self._busy = True  # the cell that made the probe is still running
        self._idle_since = time.monotonic()
        self._source = ipywidgets.IntText(value=1)
        self._target = ipywidgets.IntText(value=0)
        self._target.observe(lambda change: self._answer("drawn"), names="value")
        self._source.comm.on_close(lambda message: self._answer("refused"))
        self._link = ipywidgets.jslink((self._source, "value"), (self._target, "value"))
        if self._shell is not None:
            self._shell.events.register("pre_run_cell", self._pre_run)
            self._shell.events.register("post_run_cell", self._post_run)
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _pre_run(self, *args) -> None:
        self._busy = True

    def _post_run(self, *args) -> None:
        self._busy = False
        self._idle_since = time.monotonic()

    def _watch(self) -> None:
        while not self._stop.wait(0.25):
            if not self._busy and time.monotonic() - self._idle_since >= self.idle_wait:
                self._answer("no answer")

    def _answer(self, state: str) -> None:
        with self._lock:
            if self.state is not None:
                return
            self.state = state
        self._stop.set()
        if self._shell is not None:
            for event, callback in (("pre_run_cell", self._pre_run), ("post_run_cell", self._post_run)):
                try:
                    self._shell.events.unregister(event, callback)
                except ValueError:
                    pass
        try:
            self._report(state)
        finally:
            if state != "refused":  # a refused channel is closed already
                for widget in (self._link, self._source, self._target):
                    widget.close()


__all__ = ["ServerInfo", "WidgetProbe", "find_server", "page_config", "server_from_config", "WIDGET_MANAGER",
           "IDLE_WAIT"]

