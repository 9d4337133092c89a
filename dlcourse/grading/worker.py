"""A grading worker process: ``python -m dlcourse.grading.worker FD``.

It receives the run's settings and then one :class:`~dlcourse.grading.executor.StudentJob`
at a time over the socket ``FD`` and answers each with a
:class:`~dlcourse.grading.executor.StudentOutcome`. A separate program (rather than
``multiprocessing``) so that it never re-imports the caller's main script.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback


def main(argv: list[str]) -> int:
    from multiprocessing.connection import Connection

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides when to stop
    conn = Connection(int(argv[0]))
    # import the heavy modules while the main process prepares the first job
    from . import executor, kernels  # noqa: F401
    from .executor import StudentOutcome, grade_student

    executor.execute_class()
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


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # every kernel is already released; skip the slow interpreter teardown
