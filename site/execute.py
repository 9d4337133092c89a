"""Execute the site's notebooks before Sphinx renders them, caching each result.

``scripts/build_site.sh`` runs ``python site/execute.py _build/site-src``: every lesson and
landing page under ``course/`` (not the student versions in ``course/release/``, which stop
at ``raise NotImplementedError()`` by design) runs in a fresh ``python3`` kernel of the
course environment, with its working folder the notebook's own, and is written back with
its outputs; Sphinx then renders the stored outputs (``nb_execution_mode = "off"`` in
``site/conf.py``).

Why not myst-nb's own execution (jupyter-cache): the site build running it stalled on
``course/module2/06_gans.ipynb`` (kernel idle, client waiting for a reply that never came,
for over 10 minutes), while the same lesson runs in under 30 s when each cell is sent on
its own with nbclient's ``execute_cell``, as ``benchmarks/notebooks.py`` and this script
do. The stall came and went (the same lesson also ran through jupyter-cache's executor in
236 s and through nbclient's ``execute()`` in 132 s under load), so this script also guards
against it: a cell that runs longer than ``--cell-timeout`` (no lesson cell needs more than a
minute) stops that kernel, the notebook is run once more in a fresh one, said so in the log,
and a second time-out fails the build with the notebook and cell named, instead of holding
CI to its time limit.

The cache (``_build/.executed``) is keyed by the notebook's bytes and a hash of what the
outputs depend on besides (``dlcourse/`` and the pinned environment), so a rebuild with no
change executes nothing, and a change to the package re-executes every lesson.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from nbclient.output_widget import OutputWidget

ROOT = Path(__file__).resolve().parents[1]


def environment_key() -> str:
    """Hash of what a lesson's outputs depend on besides the notebook itself."""
    h = hashlib.sha256()
    files = sorted(p for p in (ROOT / "dlcourse").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    files += [ROOT / "requirements" / "course.txt", ROOT / "requirements" / "constraints.txt"]
    for path in files:
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


class _OutputWidgetNoEcho(OutputWidget):
    """nbclient's imitation of a browser's Output widget, minus the echo to the kernel.

    nbclient routes what a cell prints inside ``with out:`` into the widget's state, as a
    browser does, and then sends that state back to the kernel as a comm message on the
    shell channel while the cell is still running. That round trip is the suspect of the
    random stalls (a lesson that drew its widget with Image/HTML widgets instead of an
    Output widget stopped stalling); the kernel has no use for the echo, so it is not sent.
    """

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:  # noqa: D102
        pass


class CellTimeout(RuntimeError):
    """A cell ran past the time-out (the kernel was stopped)."""


def execute(path: Path, cell_timeout: int) -> float:
    """Run ``path`` in a fresh kernel, cell by cell, and write it back with its outputs; return seconds."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=cell_timeout, startup_timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.widget_registry = {"@jupyter-widgets/output": {"OutputModel": _OutputWidgetNoEcho}}
    start = time.perf_counter()
    # The kernel's own stderr (TensorFlow's C++ start-up log) is not the page's; what a cell
    # writes to stderr still reaches its outputs (and site/conf.py leaves it off the page).
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                raise CellTimeout(f"{path}: cell {index} did not finish within {cell_timeout} s") from None
            except CellExecutionError as exc:
                raise RuntimeError(f"{path}: cell {index} failed:\n{exc}") from None
        client.set_widgets_metadata()
    nbformat.write(nb, path)
    return time.perf_counter() - start


def _run(job: tuple[Path, Path, int]) -> tuple[Path, float]:
    path, cached, cell_timeout = job
    original = path.read_bytes()
    try:
        seconds = execute(path, cell_timeout)
    except CellTimeout as exc:
        print(f"  {exc}; running the notebook again in a fresh kernel", flush=True)
        path.write_bytes(original)
        seconds = execute(path, cell_timeout)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    shutil.copyfile(path, tmp)
    tmp.replace(cached)
    return path, seconds


def main(argv: list[str] | None = None) -> int:
    """Execute every notebook under SRC/course (cached); return the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path, help="the staged site source (its course/ folder is executed in place)")
    ap.add_argument("--cache", type=Path, default=ROOT / "_build" / ".executed")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="kernels at once (default 2)")
    ap.add_argument("--cell-timeout", type=int, default=300, help="seconds a cell may run (default 300)")
    args = ap.parse_args(argv)

    env_key = environment_key()
    notebooks = sorted(p for p in (args.src / "course").rglob("*.ipynb")
                       if "release" not in p.relative_to(args.src / "course").parts[:1]
                       and ".ipynb_checkpoints" not in p.parts)
    jobs = []
    reused = 0
    for path in notebooks:
        key = hashlib.sha256(env_key.encode() + path.read_bytes()).hexdigest()
        cached = args.cache / f"{key}.ipynb"
        if cached.exists():
            shutil.copyfile(cached, path)
            reused += 1
        else:
            jobs.append((path, cached, args.cell_timeout))
    print(f"site notebooks: {len(notebooks)}, {reused} from the cache, {len(jobs)} to execute "
          f"({args.jobs} at a time)", flush=True)
    start = time.perf_counter()
    failures = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(_run, job): job[0] for job in jobs}
        for future in concurrent.futures.as_completed(futures):
            path = futures[future]
            try:
                _, seconds = future.result()
                print(f"  {path.relative_to(args.src)}: {seconds:.1f} s", flush=True)
            except Exception as exc:
                failures.append(f"{path.relative_to(args.src)}: {exc}")
                print(f"  {path.relative_to(args.src)}: FAILED", flush=True)
    print(f"executed {len(jobs) - len(failures)} notebooks in {time.perf_counter() - start:.0f} s", flush=True)
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
