"""A grading worker: one job at a time over a socket (the grader's side is :mod:`.pool`).

It receives one :class:`~dlcourse.grading.executor.StudentJob` at a time and answers each
with a :class:`~dlcourse.grading.executor.StudentOutcome`.

The grader normally forks its workers after it has imported nbgrader, nbclient and
jupyter_client itself, so a worker starts in milliseconds and shares those modules. Where
forking is unsafe (the grader has other threads) it starts ``python -m
dlcourse.grading.worker FD`` instead, which imports them and then receives the settings
(a separate program, not ``multiprocessing``, so the caller's main script is never
imported again).
"""

from __future__ import annotations

import os
import signal
import sys
import traceback


def serve(conn, settings=None) -> int:
    """Answer jobs on ``conn`` until it sends None or closes; return the exit status.

    Parameters
    ----------
    conn : multiprocessing.connection.Connection
        The worker's end of the connection to the grader.
    settings : RunSettings, optional
        The run's settings (a forked worker has them); default: received first on ``conn``.

    Examples
    --------
    A worker stops when it is sent None (it sets SIGINT and SIGTERM handling, put back here):

    >>> import signal
    >>> from multiprocessing import Pipe
    >>> handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    >>> grader, worker = Pipe()
    >>> grader.send(None)
    >>> serve(worker)
    0
    >>> _ = signal.signal(signal.SIGINT, handlers[0]), signal.signal(signal.SIGTERM, handlers[1])
    """
    from .executor import StudentOutcome, grade_student

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if settings is None:
        try:
            settings = conn.recv()
        except EOFError:
            return 0
        if settings is None:
            return 0
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return 0
        if job is None:
            return 0
        try:
            outcome = grade_student(job, settings)
        except BaseException as exc:  # pragma: no cover - grade_student reports its own errors
            outcome = StudentOutcome(job.student)
            outcome.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        conn.send(outcome)


def main(argv: list[str]) -> int:
    """Run a worker started as ``python -m dlcourse.grading.worker FD``; return its exit code.

    Parameters
    ----------
    argv : list of str
        ``[FD]``: the file descriptor of the connection to the grader (the worker closes it).

    Examples
    --------
    >>> import os, signal
    >>> from multiprocessing import Pipe
    >>> handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    >>> grader, worker = Pipe()
    >>> grader.send(None)  # no settings: stop
    >>> main([str(os.dup(worker.fileno()))])
    0
    >>> _ = signal.signal(signal.SIGINT, handlers[0]), signal.signal(signal.SIGTERM, handlers[1])
    """
    from multiprocessing.connection import Connection

    conn = Connection(int(argv[0]))
    from . import executor, kernels  # noqa: F401  (import before the first job arrives)

    executor.execute_class()
    return serve(conn)


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # every kernel is already released; skip the slow interpreter teardown
