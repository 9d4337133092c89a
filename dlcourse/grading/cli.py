"""``dlcourse grade``: the instructor's grading commands (a plug-in of :mod:`dlcourse.cli`).

::

    dlcourse grade run ASSIGNMENT --course course/ --roster roster.csv [--zip canvas.zip]
    dlcourse grade feedback ASSIGNMENT --course course/ [--reveal-hidden]
    dlcourse grade export ASSIGNMENT --course course/ [--to grades.csv]
    dlcourse grade report ASSIGNMENT --course course/ [--to folder/]   # HTML page + CSV for the instructor
    dlcourse grade check --course course/      # the sandbox self-test only

Also runnable as ``python -m dlcourse.grading``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``grade`` and its sub-commands to ``dlcourse``'s sub-parsers.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``grade`` parser.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="dlcourse")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["grade", "run", "ps1", "--course", "course", "--jobs", "4"])
    >>> args.assignment, args.course.as_posix(), args.jobs
    ('ps1', 'course', 4)
    """
    grade = subparsers.add_parser(
        "grade",
        help="autograde an nbgrader assignment for a whole class, sandboxed and in parallel",
        description="Grade nbgrader assignments for a class: every roster student gets a status "
        "(graded, late, missing, failed + reason). Student code runs in a sandbox (needs root).",
    )
    sub = grade.add_subparsers(dest="grade_command", metavar="ACTION")

    run = sub.add_parser("run", help="autograde ASSIGNMENT for every student on the roster",
                         description="Autograde ASSIGNMENT from submitted/ (or an LMS zip) for every roster "
                         "student, in parallel sandboxes; print a summary and write results.json and grades.csv "
                         "under COURSE/dlcourse_grading/ASSIGNMENT/.")
    run.add_argument("assignment")
    _course(run)
    run.add_argument("--roster", type=Path, help="CSV with an 'id' column (optional: first_name, last_name, "
                     "email, lms_id); default: the students in the gradebook")
    run.add_argument("--zip", type=Path, dest="zip_path", help="an LMS download (Canvas, Moodle or one folder per "
                     "student) to import into submitted/ first")
    run.add_argument("--zip-time", help="submission time to record for zip imports, e.g. '2026-03-01 17:00' "
                     "(UTC); default: each student's newest file time in the zip")
    run.add_argument("--student", action="append", dest="students", metavar="ID",
                     help="grade only this student (repeatable)")
    run.add_argument("--shard", metavar="K/N", help="grade only part K of N of the roster (by a hash of the "
                     "student id), for N machines sharing one PostgreSQL gradebook; see the README")
    run.add_argument("-j", "--jobs", type=int, default=0, help="parallel sandboxes (default: one per CPU, plus one)")
    run.add_argument("--timeout", type=int, help="seconds per cell (default: the course's Execute.timeout)")
    run.add_argument("--notebook-timeout", type=int, help="seconds per notebook in total (default: 20 x the "
                     "cell timeout, at least 300)")
    run.add_argument("--memory", default="2G", help="memory per kernel (default 2G)")
    run.add_argument("--processes", type=int, default=64, help="processes per kernel (default 64)")
    run.add_argument("--cpus", type=float, default=1.0, help="CPU share per kernel (default 1)")
    run.add_argument("--cpu-seconds", type=int, default=600, help="CPU seconds per process (default 600)")
    run.add_argument("--output-limit", default="2M", help="output kept per notebook (default 2M)")
    run.add_argument("--allow-read", action="append", default=[], metavar="PATH",
                     help="an extra folder the kernels may read (datasets); repeatable")
    run.add_argument("--sandbox-user", default="dlcourse-sandbox", help="the user kernels run as (created if "
                     "missing)")
    run.add_argument("--no-sandbox", action="store_true", help="run student code WITHOUT isolation, as you "
                     "(rlimits only); for trusted work only; reported in every result")
    run.add_argument("--no-cgroups", action="store_true", help="limit kernels with rlimits only, as on a machine "
                     "without cgroups (one sandbox user per worker)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.set_defaults(func=_run)

    fb = sub.add_parser("feedback", help="HTML feedback for students, hidden tests withheld",
                        description="Write feedback/STUDENT/ASSIGNMENT/*.html from the autograded notebooks. "
                        "Hidden tests, and tracebacks and output that would reveal them, are withheld unless "
                        "--reveal-hidden.")
    fb.add_argument("assignment")
    _course(fb)
    fb.add_argument("--student", action="append", dest="students", metavar="ID")
    fb.add_argument("--reveal-hidden", action="store_true", help="show hidden tests and full tracebacks")
    fb.set_defaults(func=_feedback)

    ex = sub.add_parser("export", help="grades with status and reasons to CSV",
                        description="Export grades (from the gradebook, so manual grades count) with the status "
                        "and reasons of the last 'dlcourse grade run'.")
    ex.add_argument("assignment")
    _course(ex)
    ex.add_argument("--to", type=Path, help="CSV file (default: COURSE/dlcourse_grading/ASSIGNMENT/grades.csv)")
    ex.add_argument("--force", action="store_true", help="export even when the last 'dlcourse grade run' failed, "
                    "did not finish or never ran (submitted but ungraded students are 'not graded', score empty)")
    ex.set_defaults(func=_export)

    rep = sub.add_parser("report", help="a one-page HTML report (and a CSV) on how the class did",
                         description="Write report.html (self-contained: figures and CSS inline, no network) and "
                         "report.csv (one row per graded cell) under COURSE/dlcourse_grading/ASSIGNMENT/: status "
                         "counts (graded, late, failed, flagged, missing), the score distribution, the pass rate of "
                         "every test cell, each graded cell's difficulty (share of points earned) and discrimination "
                         "(correlation with the rest of the score; point-biserial for a right/wrong cell), the most "
                         "frequent failure messages grouped, and the students who need a look (failed, flagged, "
                         "late, not graded, low score). Reads the gradebook, so manual grades count.")
    rep.add_argument("assignment")
    _course(rep)
    rep.add_argument("--to", type=Path, help="folder for report.html and report.csv (default: "
                     "COURSE/dlcourse_grading/ASSIGNMENT/)")
    rep.add_argument("--low-score", type=float, default=0.5, metavar="FRACTION",
                     help="list graded students below this fraction of the maximum score (default 0.5)")
    rep.add_argument("--top", type=int, default=10, help="groups of failure messages to show (default 10)")
    rep.set_defaults(func=_report)

    chk = sub.add_parser("check", help="run the sandbox self-test and print what it verified")
    _course(chk)
    chk.add_argument("--sandbox-user", default="dlcourse-sandbox")
    chk.set_defaults(func=_check)

    grade.set_defaults(func=lambda args: (grade.print_help(), 2)[1])
    return grade


def _course(p: argparse.ArgumentParser) -> None:
    p.add_argument("--course", type=Path, default=Path("."), help="the nbgrader course folder (default: .)")


def _run(args) -> int:
    from .batch import GradeOptions, grade_assignment
    from .sandbox import Limits, parse_size

    limits = Limits(memory_bytes=parse_size(args.memory), processes=args.processes, cpus=args.cpus,
                    cpu_seconds=args.cpu_seconds, output_bytes=parse_size(args.output_limit))
    shard = None
    if args.shard:
        from .shard import Shard

        shard = Shard.parse(args.shard)
    when = None
    if args.zip_time:
        when = dt.datetime.fromisoformat(args.zip_time)
        if when.tzinfo is not None:
            when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    opts = GradeOptions(
        assignment=args.assignment, course_root=args.course, roster=args.roster, zip_path=args.zip_path,
        zip_timestamp=when, jobs=args.jobs, sandbox=not args.no_sandbox, sandbox_user=args.sandbox_user,
        limits=limits, cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout, students=args.students,
        shard=shard, extra_read_only=args.allow_read, cgroups=not args.no_cgroups, progress=not args.no_progress,
    )
    run = grade_assignment(opts)
    return 0 if run.results else 1


def _feedback(args) -> int:
    from .feedback import generate_feedback

    written = generate_feedback(args.course, args.assignment, args.students, reveal_hidden=args.reveal_hidden)
    n = sum(len(v) for v in written.values())
    hidden = "hidden tests SHOWN" if args.reveal_hidden else "hidden tests withheld"
    print(f"feedback: {n} file(s) for {len(written)} student(s) ({hidden}) in "
          f"{Path(args.course).resolve() / 'feedback'}")
    return 0


def _export(args: argparse.Namespace) -> int:
    """``dlcourse grade export``: refuse (exit 1) after a failed or unfinished run unless ``--force``."""
    from .course import results_dir
    from .export import export_csv, last_run_problem

    problem = last_run_problem(args.course, args.assignment)
    if problem:
        advice = "exporting anyway (--force)" if args.force else "nothing exported; pass --force to export anyway"
        print(f"dlcourse grade export: warning: {problem}; {advice}", file=sys.stderr)
        if not args.force:
            return 1
    dest = args.to or results_dir(args.course, args.assignment) / "grades.csv"
    path = export_csv(args.course, args.assignment, dest)
    print(f"grades: {path}")
    return 0


def _report(args: argparse.Namespace) -> int:
    """``dlcourse grade report``: write the page and the CSV, print where they are."""
    from .report_page import write_report

    page, table = write_report(args.course, args.assignment, dest=args.to, low_score=args.low_score, top=args.top)
    print(f"report: {page}\nper-cell statistics: {table}")
    return 0


def _check(args) -> int:
    from . import sandbox as sb

    iso = sb.detect(args.sandbox_user)
    if not iso.available:
        print(f"sandbox NOT available: {iso.reason}")
        return 1
    root = Path(args.course).resolve()
    ws = sb.Workspace(iso, sb.Limits(), sys.executable, [str(root), os.path.expanduser("~")])
    try:
        secrets = [str(p) for p in (root / "source", root / "gradebook.db", root / "submitted") if p.exists()]
        facts = sb.preflight(ws, secrets)
    finally:
        ws.close()
    print(f"sandbox verified ({ws.cgroups.describe() if ws.cgroups else 'rlimits only'}):")
    for line in facts + [f"warning: {w}" for w in ws.warnings]:
        print(f"  - {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m dlcourse.grading``: the same commands without the rest of ``dlcourse``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``grade`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status; errors are printed on stderr (set ``DLCOURSE_DEBUG`` to raise them).

    Examples
    --------
    Exporting an assignment no run has graded is refused (the warning goes to stderr):

    >>> import tempfile
    >>> main(["export", "ps1", "--course", tempfile.mkdtemp()])
    1
    """
    parser = argparse.ArgumentParser(prog="python -m dlcourse.grading")
    subparsers = parser.add_subparsers(dest="command")
    add_parser(subparsers)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(["grade", *argv])
    try:
        return int(args.func(args) or 0)
    except Exception as exc:
        if os.environ.get("DLCOURSE_DEBUG"):
            raise
        print(f"dlcourse grade: error: {' '.join(str(exc).split()) or type(exc).__name__}", file=sys.stderr)
        return 1
