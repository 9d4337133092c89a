"""Benchmark: plain ``nbgrader autograde`` against ``dlcourse grade run`` on the same submissions.

Builds the demo nbgrader course (``dlcourse.grading.demo``) with N student submissions
(default 20: most correct, some with one wrong function), copies it twice, grades one copy
with ``nbgrader autograde ps1`` and the other with ``python -m dlcourse.grading run ps1``
(both as command lines, start-up included), then checks that every student got the same
score on every test cell in both gradebooks and prints both times and the ratio.

    sudo .venv/bin/python benchmarks/grading.py            # the sandbox needs root
    .venv/bin/python benchmarks/grading.py --no-sandbox    # without root: rlimits only, said so

The machine's load average is printed next to the times: on a shared machine they vary.

``--postgres`` also grades a third copy whose gradebook is a PostgreSQL database (a
throw-away server on 127.0.0.1, ``tests/postgres_server.py``) in two shards started at the
same time (``--shard 1/2`` and ``2/2``, each with half the jobs), checks the grades again and
prints that time. On one machine this measures what sharding costs, not what it gains: the
gain comes from giving each shard its own machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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


def build(root: Path, n: int, db_url: str | None = None) -> Path:
    release = demo.make_demo_course(root, db_url=db_url)
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


def scores(root: Path, db_url: str | None = None) -> dict[tuple[str, str], float | None]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url or f"sqlite:///{root / 'gradebook.db'}", "demo") as gb:
        out = {}
        for student in gb.students:
            try:
                sub = gb.find_submission_notebook("problem1", "ps1", student.id)
            except Exception:
                continue
            for grade in sub.grades:
                out[(student.id, grade.name)] = grade.auto_score
        return out


class CpuMeter:
    """CPU seconds used by a command and everything it starts (kernels included), from a
    cgroup made for it (root only; cgroup v1 ``cpuacct`` or v2 ``cpu.stat``); None elsewhere.
    On cgroup v2 the sandboxed kernels move to the grader's own cgroups and are not counted."""

    def __init__(self, name: str):
        self.path: Path | None = None
        self.v2 = False
        if os.geteuid() != 0:
            return
        own = {}
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, ctrls, rel = line.split(":", 2)
            for c in (ctrls.split(",") if ctrls else [""]):
                own[c] = rel
        for base, key, v2 in (("/sys/fs/cgroup/cpuacct", "cpuacct", False), ("/sys/fs/cgroup", "", True)):
            if key in own and Path(base, own[key].lstrip("/")).is_dir():
                path = Path(base, own[key].lstrip("/"), f"bench-{name}-{os.getpid()}")
                try:
                    path.mkdir()
                except OSError:
                    continue
                if (path / ("cpu.stat" if v2 else "cpuacct.usage")).exists():
                    self.path, self.v2 = path, v2
                    return
                path.rmdir()

    def wrap(self, cmd: list[str]) -> list[str]:
        if self.path is None:
            return cmd
        return ["sh", "-c", f'echo $$ > {self.path / "cgroup.procs"} && exec "$@"', "sh", *cmd]

    def seconds(self) -> float | None:
        if self.path is None:
            return None
        if self.v2:
            usage = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines())
            value = int(usage["usage_usec"]) / 1e6
        else:
            value = int((self.path / "cpuacct.usage").read_text()) / 1e9
        for _ in range(50):
            try:
                self.path.rmdir()
                break
            except OSError:
                time.sleep(0.1)
        return value


def run_timed(cmd: list[str], cwd: Path, env: dict[str, str], name: str) -> tuple[float, float | None]:
    meter = CpuMeter(name)
    t0 = time.perf_counter()
    proc = subprocess.run(meter.wrap(cmd), cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    cpu = meter.seconds()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=0, help="dlcourse grade --jobs (default: its own, one per CPU plus one)")
    ap.add_argument("--no-sandbox", action="store_true", help="grade without the sandbox (when not root)")
    ap.add_argument("--keep", type=Path, help="keep the two courses in this folder")
    ap.add_argument("--repeat", type=int, default=1, help="alternate the two runs this many times; report medians")
    ap.add_argument("--postgres", action="store_true", help="also grade in two concurrent shards against a "
                    "PostgreSQL gradebook (Debian's postgresql and psycopg needed)")
    args = ap.parse_args(argv)

    if os.geteuid() != 0 and not args.no_sandbox:
        sys.exit("the sandbox needs root: run with sudo, or pass --no-sandbox to compare without it")
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    work = Path(tempfile.mkdtemp(prefix="dlcourse-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    base, plain, mine = work / "base", work / "nbgrader", work / "dlcourse"
    shutil.rmtree(base, ignore_errors=True)
    roster = build(base, args.students)
    plain_runs, mine_runs, loads = [], [], []
    for _ in range(max(1, args.repeat)):
        for p in (plain, mine):
            shutil.rmtree(p, ignore_errors=True)
            shutil.copytree(base, p)
        loads.append(os.getloadavg()[0])
        plain_runs.append(run_timed([os.path.join(bindir, "nbgrader"), "autograde", "ps1"], plain, env, "nbgrader"))
        cmd = [sys.executable, "-m", "dlcourse.grading", "run", "ps1", "--course", str(mine),
               "--roster", str(mine / roster.name), "--no-progress"]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        if args.no_sandbox:
            cmd.append("--no-sandbox")
        mine_runs.append(run_timed(cmd, mine, env, "dlcourse"))
        loads.append(os.getloadavg()[0])

    a, b = scores(plain), scores(mine)
    same = a == b and len(a) == 2 * args.students
    points = {sid: 0.0 for sid, _ in a}
    for (sid, _), v in a.items():
        points[sid] += v or 0
    t_plain = statistics.median(t for t, _ in plain_runs)
    t_mine = statistics.median(t for t, _ in mine_runs)
    cpu_plain = [c for _, c in plain_runs if c is not None]
    cpu_mine = [c for _, c in mine_runs if c is not None]
    runs = f"median of {len(plain_runs)} alternating runs" if len(plain_runs) > 1 else "one run each"
    print(f"{args.students} submissions of the demo assignment, {os.cpu_count()} CPUs, {runs}; "
          f"load average {min(loads):.2f}-{max(loads):.2f} during the runs")
    kind = "no sandbox" if args.no_sandbox else "sandboxed"
    print(f"  nbgrader autograde:             {t_plain:7.1f} s wall" +
          (f", {statistics.median(cpu_plain):6.1f} CPU-s" if cpu_plain else ""))
    print(f"  dlcourse grade run ({kind}): {t_mine:7.1f} s wall" +
          (f", {statistics.median(cpu_mine):6.1f} CPU-s" if cpu_mine else ""))
    if len(plain_runs) > 1:
        print("  each run (nbgrader / dlcourse, s): " +
              ", ".join(f"{p:.1f}/{m:.1f}" for (p, _), (m, _) in zip(plain_runs, mine_runs)))
    print(f"  speed-up: {t_plain / t_mine:.2f}x")
    print(f"  same grades on every test cell: {'yes' if same else 'NO'} "
          f"({len(a)} cell grades; total points {sum(points.values()):g})")
    if not same:
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                print(f"    {key}: nbgrader {a.get(key)} vs dlcourse {b.get(key)}")
    if args.postgres:
        same = sharded(work / "sharded", args, env, a) and same
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


def sharded(root: Path, args: argparse.Namespace, env: dict[str, str], expected: dict) -> bool:
    """Grade the class in two concurrent shards against a PostgreSQL gradebook; print the time."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from postgres_server import create_database, postgres_problem, temporary_postgres

    problem = postgres_problem()
    if problem:
        print(f"  sharded PostgreSQL run: skipped ({problem})")
        return True
    with temporary_postgres() as server:
        db_url = create_database(server, "bench")
        shutil.rmtree(root, ignore_errors=True)
        roster = build(root, args.students, db_url)
        jobs = max(1, (args.jobs or (os.cpu_count() or 1) + 1) // 2)
        cmds = [[sys.executable, "-m", "dlcourse.grading", "run", "ps1", "--course", str(root), "--roster",
                 str(roster), "--no-progress", "--jobs", str(jobs), "--shard", f"{k}/2"] +
                (["--no-sandbox"] if args.no_sandbox else []) for k in (1, 2)]
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        procs = [subprocess.Popen(c, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for c in cmds]
        outs = [p.communicate()[0] for p in procs]
        seconds = time.perf_counter() - t0
        for p, out in zip(procs, outs):
            if p.returncode != 0:
                sys.exit(f"a shard failed ({p.returncode}):\n{out[-3000:]}")
        got = scores(root, db_url)
    same = got == expected
    print(f"  two shards at once on this machine, PostgreSQL gradebook ({jobs} jobs each): {seconds:7.1f} s wall "
          f"(load average {load:.2f} before); same grades as nbgrader: {'yes' if same else 'NO'}")
    return same


if __name__ == "__main__":
    sys.exit(main())
