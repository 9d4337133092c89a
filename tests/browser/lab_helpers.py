"""A JupyterLab server on a temporary copy of the course, and what a learner does in it.

Used by ``tests/browser/conftest.py`` and the browser tests; importing this module imports
neither Playwright nor JupyterLab (pytest's ``--doctest-modules`` imports every module, and
the suite must still collect where Playwright is missing).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"
CHROMIUM = Path(os.environ.get("DLCOURSE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"

#: Chromium flags: no sandbox (CI runs as root), nothing that phones home, and no host name
#: resolves (the Colab badge and other external images fail at once): the browser only ever
#: talks to the JupyterLab server on 127.0.0.1.
CHROMIUM_ARGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

#: JupyterLab user settings that keep a test run quiet and deterministic: no news pop-up,
#: every cell rendered (no virtual scrolling), no autosave while a test runs.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

#: Course-relative paths that are nbgrader's instructor working files: never served to a test.
_SKIP = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "gradebook.db", "submitted", "autograded", "feedback", "nbgrader.log")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assignments(kind: str = "release", course: Path = COURSE) -> list[str]:
    """Assignment names in ``course/<kind>/`` (``source`` or ``release``) that hold a notebook."""
    folder = Path(course) / kind
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


@dataclass
class LabServer:
    """A running ``jupyter lab`` serving ``root`` (a copy of ``course/``) on 127.0.0.1."""

    base: Path
    root: Path
    port: int
    token: str
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str = "", workspace: str | None = None) -> str:
        """URL that opens ``path`` (relative to the course) in a fresh, empty workspace."""
        workspace = workspace or f"w{uuid.uuid4().hex[:8]}"
        tree = f"/tree/{path}" if path else ""
        return f"{self.url}/lab/workspaces/{workspace}{tree}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET", body: Any = None, timeout: float = 30) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def shutdown_kernels(self) -> None:
        """Stop every kernel: each lesson kernel holds hundreds of MB (PyTorch + TensorFlow)."""
        try:
            for kernel in self.api("/api/kernels"):
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")
        except (urllib.error.URLError, OSError):
            pass

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.shutdown_kernels()
            # The server runs in its own session (process group) that this fixture created;
            # signal that group, which holds the server and the kernels it started.
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=10)


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


#: Run in a subprocess in the course copy: release each assignment named on the command line
#: to the exchange, as ``nbgrader release_assignment`` does, in one interpreter.
_RELEASE = """
import sys
from nbgrader.apps.api import NbGraderAPI
from nbgrader.apps.baseapp import NbGrader
from nbgrader.coursedir import CourseDirectory

app = NbGrader()
app.load_config_file()
api = NbGraderAPI(coursedir=CourseDirectory(config=app.config), config=app.config)
for name in sys.argv[1:]:
    result = api.release_assignment(name)
    if not result["success"]:
        sys.exit(f"release_assignment {name} failed:\\n{result.get('error') or result.get('log')}")
"""


def start_lab(base: Path, course: Path = COURSE, startup_timeout: float = 120) -> LabServer:
    """Copy ``course`` into ``base/course`` and start JupyterLab on it.

    Everything Jupyter writes (config, settings, workspaces, runtime files, IPython profile,
    nbgrader exchange and gradebook) stays under ``base``: a learner's autosave or a test's
    "Fetch" never touches the repository. The nbgrader extensions read their course from a
    ``nbgrader_config.py`` in the temporary ``JUPYTER_CONFIG_DIR`` (the course root and a
    private exchange) and from the course's own ``nbgrader_config.py`` (the working
    directory), exactly as when an instructor runs ``jupyter lab`` in ``course/``.
    """
    base = Path(base)
    root = base / "course"
    shutil.copytree(course, root, ignore=_SKIP)
    config_dir, settings_dir = base / "jupyter-config", base / "lab-settings"
    exchange = base / "exchange"
    for d in (config_dir, settings_dir, base / "workspaces", base / "runtime", base / "ipython", exchange):
        d.mkdir(parents=True, exist_ok=True)
    for name, value in LAB_SETTINGS.items():
        _write_json(settings_dir / name, value)
    (config_dir / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        'c.CourseDirectory.course_id = "dlcourse"\n'
    )
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the test suite sets Agg; a learner's kernel uses the inline backend
    env.pop("JUPYTER_PATH", None)
    # ipykernel does not forward output written straight to file descriptors 1 and 2 (C/C++
    # libraries such as TensorFlow's logger) when PYTEST_CURRENT_TEST is set; a learner's
    # kernel does, so the server and its kernels must not inherit pytest's variables.
    for name in [n for n in env if n.startswith("PYTEST_")]:
        del env[name]
    env.update(
        JUPYTER_CONFIG_DIR=str(config_dir),
        JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        IPYTHONDIR=str(base / "ipython"),
        # nbgrader runs `alembic` from PATH when it opens the gradebook.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        TF_CPP_MIN_LOG_LEVEL=env.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        PYTHONUNBUFFERED="1",
    )
    port, token = free_port(), uuid.uuid4().hex
    log_path = base / "jupyter-server.log"
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        # window.jupyterapp: lets a test read the notebook model (outputs by type), as galata does.
        "--LabApp.expose_app_in_browser=True",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = LabServer(base=base, root=root, port=port, token=token, process=process, log_path=log_path, env=env)
    # Learners find released assignments in nbgrader's exchange: put every student version
    # there with nbgrader's own release step, while the server starts.
    release = subprocess.Popen(
        [sys.executable, "-c", _RELEASE, *assignments("release", root)],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        released, _ = release.communicate(timeout=startup_timeout)
    except subprocess.TimeoutExpired:
        release.kill()
        server.stop()
        raise
    if release.returncode != 0:
        server.stop()
        raise RuntimeError(f"nbgrader could not release the student versions into the exchange:\n{released}")
    deadline = time.monotonic() + startup_timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with code {process.returncode}:\n{server.log_tail()}")
        try:
            server.api("/api/status", timeout=5)
            return server
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"jupyter lab did not answer /api/status within {startup_timeout:.0f} s:\n{server.log_tail()}")
        time.sleep(0.5)


class KernelJanitor:
    """Stops the kernels started while it watched (a lesson kernel holds hundreds of MB)."""

    def __init__(self, server: LabServer):
        self.server = server
        self.before = self._ids()

    def _ids(self) -> set[str]:
        try:
            return {k["id"] for k in self.server.api("/api/kernels")}
        except (urllib.error.URLError, OSError):
            return set()

    def cleanup(self) -> None:
        for kernel_id in self._ids() - self.before:
            try:
                self.server.api(f"/api/kernels/{kernel_id}", method="DELETE")
            except (urllib.error.URLError, OSError):
                pass


def new_page(context: Any) -> Any:
    """A new tab that records the page's JavaScript errors (shown when a test fails)."""
    page = context.new_page()
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    return page


# --------------------------------------------------------------------------- in the page
# `page` arguments are playwright.sync_api.Page objects.

#: The visible notebook panel (JupyterLab keeps hidden panels in the DOM).
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def open_in_lab(page: Any, server: LabServer, path: str = "", timeout: float = 120) -> None:
    """Open JupyterLab (and ``path`` in it) and wait until the application has started."""
    page.goto(server.lab_url(path), wait_until="domcontentloaded", timeout=timeout * 1000)
    page.wait_for_selector("#jp-main-dock-panel", state="visible", timeout=timeout * 1000)
    # The splash screen goes once the shell has restored its layout.
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=timeout * 1000)


_READY_JS = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return false;
  const panel = [...app.shell.widgets('main')].find((w) => w.context && w.context.path === path);
  if (!panel || !panel.context.isReady || !panel.isVisible) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected'
      && panel.content.widgets.length > 0;
}
"""


def wait_for_kernel_idle(page: Any, path: str, timeout: float = 120) -> None:
    """Wait until the notebook ``path`` is loaded, shown, and its kernel connected and idle."""
    page.wait_for_function(_READY_JS, arg=path, timeout=timeout * 1000, polling=500)


def open_notebook(page: Any, server: LabServer, path: str, timeout: float = 120) -> None:
    """Open a notebook as a learner would and wait until its kernel is idle."""
    open_in_lab(page, server, path, timeout)
    page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook .jp-Cell", state="visible", timeout=timeout * 1000)
    wait_for_kernel_idle(page, path, timeout)


def run_all(page: Any) -> None:
    """Run > Run All Cells, through the menu as a learner does."""
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()


_CELL_STATE_JS = """
() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.widgets) return null;
  return panel.content.widgets.filter((cell) => cell.model.type === 'code').map((cell) => ({
    prompt: (cell.node.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
    error: cell.model.outputs.toJSON().some((o) => o.output_type === 'error'),
  }));
}
"""


def code_cell_states(page: Any) -> list[dict[str, Any]]:
    """Prompt text (``[ ]:``, ``[*]:``, ``[3]:``) and whether it shows an error, per code cell of
    the current notebook."""
    return page.evaluate(_CELL_STATE_JS) or []


def wait_for_run_all(page: Any, timeout: float = 300) -> list[dict[str, Any]]:
    """Wait until every code cell ran, or a cell failed and the run stopped; return the states."""
    deadline = time.monotonic() + timeout
    started = False
    while time.monotonic() < deadline:
        states = code_cell_states(page)
        prompts = [s["prompt"] for s in states]
        busy = any("*" in p for p in prompts)
        started = started or busy or all(any(ch.isdigit() for ch in p) for p in prompts)
        done = states and not busy and (
            all(any(ch.isdigit() for ch in p) for p in prompts) or any(s["error"] for s in states)
        )
        if started and done:
            indicator = page.locator(f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator").first
            if indicator.get_attribute("data-status") == "idle":
                return states
        time.sleep(1)
    raise TimeoutError(f"the notebook did not finish running within {timeout:.0f} s; prompts: {prompts}")


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_OUTPUTS_JS = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  const panel = [...app.shell.widgets('main')].find((w) => w.context && w.context.path === path);
  if (!panel) return null;
  const cells = [];
  const model = panel.content.model;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    const outputs = cell.outputs.toJSON().map((o) => ({
      type: o.output_type,
      name: o.name || '',
      ename: o.ename || '',
      evalue: o.evalue || '',
      text: [].concat(o.text || []).join('').slice(0, 4000),
      traceback: [].concat(o.traceback || []).join('\\n').slice(0, 6000),
      mimetypes: Object.keys(o.data || {}),
    }));
    cells.push({index: i, count: cell.executionCount, source: cell.sharedModel.getSource().slice(0, 300), outputs});
  }
  return cells;
}
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def notebook_outputs(page: Any, path: str) -> list[dict[str, Any]]:
    """The code cells of the open notebook ``path`` from JupyterLab's own model: execution
    count, source (start) and outputs by type (``stream``/``error``/``display_data``...)."""
    cells = page.evaluate(_OUTPUTS_JS, path)
    if cells is None:
        raise AssertionError(f"{path} is not open in JupyterLab (window.jupyterapp has no such panel)")
    for cell in cells:
        for out in cell["outputs"]:
            out["traceback"] = _ANSI.sub("", out["traceback"])
    return cells


#: Outermost widgets a lesson marked with a ``dlcourse-*`` CSS class (the quiz excluded).
_WIDGET_ROOTS_JS = """
(sel) => {
  const panel = document.querySelector(sel);
  const all = [...panel.querySelectorAll('.jupyter-widgets[class*="dlcourse-"]')]
      .filter((e) => ![...e.classList].some((c) => c.startsWith('dlcourse-quiz')));
  const roots = all.filter((e) => !all.some((o) => o !== e && o.contains(e)));
  roots.forEach((e, i) => e.setAttribute('data-browser-test-root', String(i)));
  return roots.map((e) => [...e.classList].filter((c) => c.startsWith('dlcourse-')).join(' '));
}
"""

#: What a widget shows besides its controls: HTML and Output widgets, labels, images (hashed).
_SNAPSHOT_JS = """
(root) => {
  const parts = [];
  root.querySelectorAll('.widget-html, .widget-htmlmath, .widget-output, .widget-label-basic').forEach(
      (e) => parts.push(e.innerText));
  root.querySelectorAll('img, svg').forEach((e) => {
    const s = e.tagName === 'IMG' ? e.src : e.outerHTML;
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    parts.push(e.tagName + ':' + s.length + ':' + h);
  });
  return parts.join('\\n');
}
"""


def widget_roots(page: Any) -> list[str]:
    """Mark the lesson's interactive widgets (outermost ``dlcourse-*`` roots); their classes."""
    return page.evaluate(_WIDGET_ROOTS_JS, NOTEBOOK)


def widget_snapshot(root: Any) -> str:
    return root.evaluate(_SNAPSHOT_JS)


def _not_in_play(locator: Any) -> list[Any]:
    """Controls that are not part of a Play widget (its buttons start an animation)."""
    return [el for el in locator.all() if el.is_visible() and not el.evaluate("e => !!e.closest('.widget-play')")]


def widget_actions(root: Any) -> list[tuple[str, Any]]:
    """What a learner can do with the controls in ``root``: (description, callable) pairs,
    in the order the test tries them."""
    actions: list[tuple[str, Any]] = []
    for button in _not_in_play(root.locator(".widget-toggle-button:not(.mod-active)"))[:1]:
        actions.append((f"click toggle button {button.inner_text()!r}", button.click))
    for select in _not_in_play(root.locator(".widget-dropdown select"))[:2]:
        values = select.evaluate("s => [...s.options].map(o => o.value)")
        current = select.input_value()
        others = [v for v in values if v != current]
        if others:
            actions.append((f"choose {others[-1]!r} in a dropdown", lambda s=select, v=others[-1]: s.select_option(v)))
    for radio in _not_in_play(root.locator(".widget-radio-box input[type=radio]:not(:checked)"))[:1]:
        actions.append(("pick another radio button", radio.check))
    for handle in _not_in_play(root.locator(".widget-slider .noUi-handle"))[:2]:

        def slide(h=handle):
            h.focus()
            for key in ("ArrowRight", "ArrowRight", "ArrowRight"):
                h.press(key)

        actions.append(("move a slider with the keyboard", slide))
    for box in _not_in_play(root.locator(".widget-checkbox input[type=checkbox]"))[:1]:
        actions.append(("tick a checkbox", box.click))
    for button in _not_in_play(root.locator("button.jupyter-button:not(.widget-toggle-button)"))[:1]:
        actions.append((f"click button {button.inner_text()!r}", button.click))
    return actions


def lessons(course: Path = COURSE) -> list[str]:
    """Lesson notebooks, as paths relative to ``course/``."""
    return sorted(p.relative_to(course).as_posix() for p in course.glob("module*/*.ipynb"))


#: The lesson the default browser run executes: the quickest lesson in ``benchmarks/RESULTS.md``
#: (01_history: about 35 s with PyTorch and Keras on a loaded 2-core machine), and it has two
#: different widgets (a dropdown-driven timeline, toggle buttons + slider for the perceptron).
#: The first of these that exists is used, else the first lesson.
QUICK_LESSONS = ["module1/01_history.ipynb", "module1/04_backprop.ipynb"]


def browser_lessons() -> list[str]:
    """Lessons to run in the browser: ``DLCOURSE_BROWSER_LESSONS`` = ``all`` or a comma list of
    course-relative paths; by default one quick lesson (a full run takes minutes per lesson)."""
    available = lessons()
    wanted = os.environ.get("DLCOURSE_BROWSER_LESSONS", "").strip()
    if wanted == "all":
        return available
    if wanted:
        return [w.strip() for w in wanted.split(",") if w.strip()]
    return [next((q for q in QUICK_LESSONS if q in available), None) or available[0]] if available else []


def browser_assignments() -> list[str]:
    """Student versions to validate in the browser: ``DLCOURSE_BROWSER_ASSIGNMENTS`` = ``all`` or
    a comma list of assignment names; by default the first released assignment."""
    available = assignments("release")
    wanted = os.environ.get("DLCOURSE_BROWSER_ASSIGNMENTS", "").strip()
    if wanted == "all":
        return available
    if wanted:
        return [w.strip() for w in wanted.split(",") if w.strip()]
    return available[:1]


def open_nbgrader_menu_item(page: Any, command: str) -> None:
    """Nbgrader > <item>, from JupyterLab's menu bar (``command`` is the item's command id)."""
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


def expect(target: Any) -> Any:
    """Playwright's retrying assertions (imported here so that collection never needs Playwright)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)
