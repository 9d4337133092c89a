"""Benchmark: plain ``nbgrader autograde`` against ``dlcourse grade run`` on the same submissions.

Builds the demo nbgrader course (``dlcourse.grading.demo``) with N student submissions
(default 20: most correct, some with one wrong function), copies it twice, grades one copy
with ``nbgrader autograde ps1`` and the other with ``python -m dlcourse.grading run ps1``
(both as command lines, start-up included), then checks that every student got the same
score on every test cell in both gradebooks and prints both times and the ratio.

    sudo .venv/bin/python benchmarks/grading.py            # the sandbox needs root
    .venv/bin/python benchmarks/grading.py --no-sandbox    # without root: rlimits only, said so

The machine's load average is printed next to the times: on a shared machine they vary.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dlcourse.grading import demo

WRONG = {
    "square": "def square(x):\n    return x + x",
    "mean": "def mean(xs):\n    return sum(xs) / 3",
}


def build(root: Path, n: int) -> Path:
    release = demo.make_demo_course(root)
    ids = [f"s{i:02d}" for i in range(n)]
    for i, sid in enumerate(ids):
        answers = dict(demo.CORRECT)
        if i % 7 == 3:
            answers["square"] = WRONG["square"]
        if i % 5 == 4:
            answers["mean"] = WRONG["mean"]
        demo.submit(root, sid, demo.student_notebook(release, answers))
    roster = root / "roster.csv"
    roster.write_text("id\n" + "\n".join(ids) + "\n")
    return roster


def scores(root: Path) -> dict[tuple[str, str], float | None]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "demo") as gb:
        out = {}
        for student in gb.students:
            try:
                sub = gb.find_submission_notebook("problem1", "ps1", student.id)
            except Exception:
                continue
            for grade in sub.grades:
                out[(student.id, grade.name)] = grade.auto_score
        return out


def run_timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=0, help="dlcourse grade --jobs (default: its own, one per CPU plus one)")
    ap.add_argument("--no-sandbox", action="store_true", help="grade without the sandbox (when not root)")
    ap.add_argument("--keep", type=Path, help="keep the two courses in this folder")
    args = ap.parse_args(argv)

    if os.geteuid() != 0 and not args.no_sandbox:
        sys.exit("the sandbox needs root: run with sudo, or pass --no-sandbox to compare without it")
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    work = Path(tempfile.mkdtemp(prefix="dlcourse-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    base, plain, mine = work / "base", work / "nbgrader", work / "dlcourse"
    for p in (base, plain, mine):
        shutil.rmtree(p, ignore_errors=True)
    roster = build(base, args.students)
    shutil.copytree(base, plain)
    shutil.copytree(base, mine)

    load_before = os.getloadavg()
    t_plain = run_timed([os.path.join(bindir, "nbgrader"), "autograde", "ps1"], plain, env)
    cmd = [sys.executable, "-m", "dlcourse.grading", "run", "ps1", "--course", str(mine),
           "--roster", str(mine / roster.name), "--no-progress"]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    if args.no_sandbox:
        cmd.append("--no-sandbox")
    t_mine = run_timed(cmd, mine, env)
    load_after = os.getloadavg()

    a, b = scores(plain), scores(mine)
    same = a == b and len(a) == 2 * args.students
    points = {sid: 0.0 for sid, _ in a}
    for (sid, _), v in a.items():
        points[sid] += v or 0
    print(f"{args.students} submissions of the demo assignment on {os.cpu_count()} CPUs "
          f"(load average {load_before[0]:.2f} before, {load_after[0]:.2f} after)")
    print(f"  nbgrader autograde:                   {t_plain:7.1f} s")
    print(f"  dlcourse grade run ({'no sandbox' if args.no_sandbox else 'sandboxed'}):  {t_mine:12.1f} s")
    print(f"  speed-up: {t_plain / t_mine:.2f}x")
    print(f"  same grades on every test cell: {'yes' if same else 'NO'} "
          f"({len(a)} cell grades; total points {sum(points.values()):g})")
    if not same:
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                print(f"    {key}: nbgrader {a.get(key)} vs dlcourse {b.get(key)}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
