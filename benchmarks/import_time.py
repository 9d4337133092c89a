"""How long does ``import dlcourse`` take? Median wall time of fresh interpreters.

Each statement runs in a new ``python -c`` process, several times; the script prints the
median wall time of the whole process next to that of a bare interpreter (``pass``), and
the difference, which is what the import costs. Run it with the environment's Python::

    .venv/bin/python benchmarks/import_time.py [--repeats 9]

Plain prints, no assertions: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

STATEMENTS = [
    "pass",
    "import numpy",
    "import dlcourse",
    "import dlcourse.datasets",
    "import dlcourse.plotting",
    "import dlcourse.quiz",
    "import dlcourse.device",
    "import dlcourse.cli",
    "import dlcourse, dlcourse.datasets, dlcourse.plotting, dlcourse.quiz, dlcourse.device",
]


def wall_time(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="fresh interpreters per statement (default 7)")
    args = parser.parse_args()

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"Python {sys.version.split()[0]} at {sys.executable}")
    print(f"{os.cpu_count()} logical cores; load average {load and ', '.join(f'{x:.2f}' for x in load)}")
    print(f"median of {args.repeats} fresh interpreters each\n")
    print(f"{'statement':<84} {'median':>8} {'import':>8}")
    bare = None
    for statement in STATEMENTS:
        wall_time(statement)  # warm the file-system cache
        median = statistics.median(wall_time(statement) for _ in range(args.repeats))
        if bare is None:
            bare = median
        print(f"{statement:<84} {median * 1e3:6.0f}ms {(median - bare) * 1e3:6.0f}ms")
    print("\n'import' = median minus the bare interpreter's start-up (the 'pass' row).")


if __name__ == "__main__":
    main()
