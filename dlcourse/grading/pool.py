"""The worker pool: students graded in parallel, one worker process per job slot.

The main process (:mod:`.batch`) starts ``jobs`` workers (:func:`start_workers`), hands each
one student at a time (:func:`run_jobs`) and stops them (:func:`stop_workers`). A worker is
a process that grades one student's notebooks per job (:func:`.executor.grade_student`,
served by :mod:`.worker`) and sends back a :class:`~dlcourse.grading.executor.StudentOutcome`;
it never writes the gradebook. A worker that dies or runs past its time budget is killed and
replaced, and its student is retried once on a fresh worker.

Workers are forked from the grader when it has no other threads (instant: nbgrader and its
dependencies are already imported), otherwise started as ``python -m dlcourse.grading.worker``.
They talk over a socket pair with ``multiprocessing.connection`` (pickles) and are waited
for with ``multiprocessing.connection.wait``. Why not ``multiprocessing.Pool`` or
``concurrent.futures.ProcessPoolExecutor``: the grader must kill the one worker whose
student hangs and go on with the others, while a ``Pool`` never returns the result of a task
whose worker died and a ``ProcessPoolExecutor`` fails every pending task when one worker
dies; and a worker started with ``spawn`` would import the caller's main script again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time

from .executor import RunSettings, StudentJob, StudentOutcome


class _Worker:
    """A grading worker process, spoken to over a socket pair (pickles).

    Forked from this process when it has no other threads (instant: nbgrader and friends
    are already imported); otherwise ``python -m dlcourse.grading.worker``.
    """

    def __init__(self, settings: RunSettings, slot: int = 0):
        from multiprocessing.connection import Connection

        settings = dataclasses.replace(settings, slot=slot)
        self.slot = slot
        parent, child = socket.socketpair()
        self.proc = None
        self.returncode: int | None = None
        if sys.platform.startswith("linux") and threading.active_count() == 1:
            pid = os.fork()
            if pid == 0:  # the worker: never returns into the caller's code
                code = 1
                try:
                    parent.close()
                    from .worker import serve

                    code = serve(Connection(child.detach()), settings)
                finally:
                    os._exit(code)
            self.pid = pid
            child.close()
            self.conn = Connection(parent.detach())
        else:
            import subprocess

            self.proc = subprocess.Popen([sys.executable, "-m", "dlcourse.grading.worker", str(child.fileno())],
                                         pass_fds=[child.fileno()], stdin=subprocess.DEVNULL)
            self.pid = self.proc.pid
            child.close()
            self.conn = Connection(parent.detach())
            self.conn.send(settings)
        self.job: StudentJob | None = None
        self.deadline = 0.0
        self.started = 0.0

    def poll(self) -> int | None:
        if self.returncode is None:
            if self.proc is not None:
                self.returncode = self.proc.poll()
            else:
                with contextlib.suppress(ChildProcessError):
                    pid, status = os.waitpid(self.pid, os.WNOHANG)
                    if pid:
                        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def give(self, job: StudentJob, budget: float) -> None:
        self.job = job
        self.started = time.monotonic()
        self.deadline = self.started + budget
        self.conn.send(job)

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)

    def stop(self, kill: bool = False, wait: float = 5.0) -> None:
        if not kill:
            self.close()
            deadline = time.monotonic() + wait
            while self.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            while self.poll() is None:
                time.sleep(0.01)
        self.conn.close()


def default_jobs() -> int:
    """Return the default number of workers: one per CPU, plus one.

    A worker waits while its kernel starts and while the main process records grades, and
    the extra one keeps the CPUs busy meanwhile.

    Examples
    --------
    >>> default_jobs() >= 2
    True
    """
    return (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1) + 1


def start_workers(n: int, settings: RunSettings) -> list[_Worker]:
    """Start ``n`` (at least one) grading workers, numbered as slots ``0 .. n-1``.

    Parameters
    ----------
    n : int
        How many workers.
    settings : RunSettings
        What every worker needs; each gets its own ``slot``.

    Returns
    -------
    list of _Worker
        The started workers.

    Examples
    --------
    Two workers of a run without isolation, started and stopped with nothing to grade:

    >>> import sys
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> settings = RunSettings(assignment="ps1", db_url="sqlite://", config={}, cells={}, limits=Limits(),
    ...                        workspace=ws, kernel_python=sys.executable)
    >>> workers = start_workers(2, settings)
    >>> [w.slot for w in workers]
    [0, 1]
    >>> stop_workers(workers)
    >>> ws.close()
    """
    if settings.workspace is not None:
        settings.workspace.prepare_slots(max(1, n))
    return [_Worker(settings, slot) for slot in range(max(1, n))]


def run_jobs(jobs: list[StudentJob], settings: RunSettings, workers: list[_Worker], budget_for, on_done) -> None:
    """Run ``jobs`` on ``workers``; call ``on_done(job, outcome, error)`` here, in completion order.

    A worker that dies or overruns its budget is replaced; its student is retried once
    on a fresh worker (unless it overran), then reported as failed. Stops the workers.

    Parameters
    ----------
    jobs : list of StudentJob
        The students to grade, in order.
    settings : RunSettings
        The run's settings (for replacement workers).
    workers : list of _Worker
        From :func:`start_workers`; replaced in place when one dies.
    budget_for : callable
        ``budget_for(job)``: the seconds a job may take before its worker is killed.
    on_done : callable
        ``on_done(job, outcome, error)``: ``outcome`` (a ``StudentOutcome``) or ``error`` (str) is None.

    Examples
    --------
    >>> import sys
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> settings = RunSettings(assignment="ps1", db_url="sqlite://", config={}, cells={}, limits=Limits(),
    ...                        workspace=ws, kernel_python=sys.executable)
    >>> workers = start_workers(1, settings)
    >>> run_jobs([], settings, workers, budget_for=lambda job: 60.0, on_done=print)
    >>> [w.poll() for w in workers]  # stopped
    [0]
    >>> ws.close()
    """
    pending = list(jobs)
    retried: set[str] = set()
    try:
        for w in workers:
            if pending:
                job = pending.pop(0)
                w.give(job, budget_for(job))
        while any(w.job is not None for w in workers):
            busy = [w for w in workers if w.job is not None]
            ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=1.0)
            now = time.monotonic()
            for i, w in enumerate(list(workers)):
                if w.job is None:
                    continue
                error = None
                outcome = None
                if w.conn in ready:
                    try:
                        outcome = w.conn.recv()
                    except (EOFError, OSError):
                        time.sleep(0.05)
                        error = f"the grading worker process died (exit code {w.poll()})"
                elif w.poll() is not None:
                    error = f"the grading worker process died (exit code {w.returncode})"
                elif now > w.deadline:
                    error = f"grading this student took longer than {int(w.deadline - w.started)} s; stopped"
                else:
                    continue
                job = w.job
                w.job = None
                report: tuple[StudentJob, StudentOutcome | None, str | None] | None = None
                if error is not None:
                    w.stop(kill=True)
                    workers[i] = w = _Worker(settings, w.slot)
                    if job.student not in retried and "longer than" not in error:
                        retried.add(job.student)
                        pending.insert(0, job)
                    else:
                        report = (job, None, error)
                else:
                    report = (job, outcome, None)
                # hand out the next student first, so the worker runs while we record this one
                if pending:
                    nxt = pending.pop(0)
                    w.give(nxt, budget_for(nxt))
                else:
                    w.close()  # nothing left for it: let it exit while the others finish
                if report is not None:
                    on_done(*report)
    finally:
        stop_workers(workers)


def stop_workers(workers: list[_Worker]) -> None:
    """Stop the workers: idle ones close their connection, busy ones are killed, within 5 seconds.

    Parameters
    ----------
    workers : list of _Worker
        From :func:`start_workers`.

    Examples
    --------
    >>> import sys
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> settings = RunSettings(assignment="ps1", db_url="sqlite://", config={}, cells={}, limits=Limits(),
    ...                        workspace=ws, kernel_python=sys.executable)
    >>> workers = start_workers(1, settings)
    >>> stop_workers(workers)
    >>> [w.poll() for w in workers]
    [0]
    >>> ws.close()
    """
    for w in workers:
        if w.job is None:
            w.close()
    deadline = time.monotonic() + 5
    for w in workers:
        w.stop(kill=w.job is not None, wait=max(0.1, deadline - time.monotonic()))
