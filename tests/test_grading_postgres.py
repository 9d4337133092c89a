"""Grading one class on several machines: ``--shard K/N`` against a shared PostgreSQL gradebook.

A real PostgreSQL server (Debian's ``postgresql``, started by the test on 127.0.0.1) holds
two gradebooks of the same class: one graded by a single run, one by two shard runs started
at the same time on one course folder, as two machines would. The two must hold exactly the
same grades and export the same rows. Run time on the 2-core CI machine: about a minute.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from postgres_server import create_database, postgres_problem, temporary_postgres

from dlcourse.grading import demo
from dlcourse.grading.sandbox import environment_problem
from dlcourse.grading.shard import Shard

pytestmark = [
    pytest.mark.nbgrader,
    pytest.mark.skipif(postgres_problem() is not None, reason=f"no PostgreSQL here: {postgres_problem()}"),
    pytest.mark.filterwarnings("ignore:Object of type .* not in session"),
]
SANDBOX = [] if environment_problem() is None else ["--no-sandbox"]  # isolation is tested in test_grading.py

WRONG = {"square": "def square(x):\n    return x + x", "mean": demo.CORRECT["mean"]}
HALF = {"square": demo.CORRECT["square"], "mean": "def mean(xs):\n    return 2"}
# id -> answers (None: nothing submitted), submission time
CLASS = {
    "ada": (None, "2026-01-01 10:00:00.000000 UTC"), "alan": (WRONG, "2026-01-01 10:00:00.000000 UTC"),
    "grace": ({}, "2026-01-01 15:30:00.000000 UTC"), "edsger": (HALF, "2026-01-01 11:00:00.000000 UTC"),
    "barbara": (False, ""), "donald": ({}, "2026-01-01 09:00:00.000000 UTC"),
    "john": (WRONG, "2026-01-01 12:30:00.000000 UTC"), "frances": (False, ""),
}


def _class(root: Path, db_url: str) -> Path:
    release = demo.make_demo_course(root, duedate="2026-01-01 12:00:00", db_url=db_url)
    for sid, (answers, when) in CLASS.items():
        if answers is not False:
            demo.submit(root, sid, demo.student_notebook(release, answers or None), timestamp=when)
    roster = root / "roster.csv"
    roster.write_text("id,first_name\n" + "".join(f"{sid},{sid.title()}\n" for sid in CLASS))
    return roster


def _grade(root: Path, roster: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    return subprocess.Popen([sys.executable, "-m", "dlcourse.grading", "run", "ps1", "--course", str(root),
                             "--roster", str(roster), "--timeout", "30", "--no-progress", "--jobs", "2",
                             *SANDBOX, *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def _finish(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    return out


def _export(root: Path) -> dict[str, dict[str, str]]:
    from dlcourse.grading import export_csv

    path = export_csv(root, "ps1", root / "export.csv")
    with open(path, newline="") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def _gradebook(db_url: str) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url, "demo") as gb:
        return {(g.student.id, g.cell.name): float(g.score) for sub in gb.assignment_submissions("ps1")
                for nb in sub.notebooks for g in nb.grades}


@pytest.fixture(scope="module")
def two_ways(tmp_path_factory):
    """The class graded once whole and once in two shards at the same time, on one server."""
    with temporary_postgres() as server:
        whole_db, sharded_db = create_database(server, "whole"), create_database(server, "sharded")
        whole, sharded = tmp_path_factory.mktemp("whole"), tmp_path_factory.mktemp("sharded")
        whole_roster, sharded_roster = _class(whole, whole_db), _class(sharded, sharded_db)
        one = _grade(whole, whole_roster)
        shards = [_grade(sharded, sharded_roster, "--shard", f"{k}/2") for k in (1, 2)]
        outputs = [_finish(p) for p in [one, *shards]]
        yield {"whole": (whole, whole_db), "sharded": (sharded, sharded_db), "outputs": outputs,
               "exports": (_export(whole), _export(sharded)), "grades": (_gradebook(whole_db),
                                                                         _gradebook(sharded_db))}


def test_two_shards_give_exactly_the_grades_of_one_run(two_ways):
    whole_rows, sharded_rows = two_ways["exports"]
    assert set(whole_rows) == set(sharded_rows) == set(CLASS)
    for sid in CLASS:
        a, b = dict(whole_rows[sid]), dict(sharded_rows[sid])
        assert a == b, (sid, a, b)
    scores = {sid: float(r["score"]) for sid, r in whole_rows.items()}
    assert scores == {"ada": 5.0, "alan": 3.0, "grace": 5.0, "edsger": 2.0, "barbara": 0.0, "donald": 5.0,
                      "john": 3.0, "frances": 0.0}
    assert whole_rows["grace"]["status"] == "late" and whole_rows["john"]["status"] == "late"
    assert whole_rows["frances"]["status"] == "missing"
    whole_grades, sharded_grades = two_ways["grades"]
    assert whole_grades == sharded_grades and len(whole_grades) == 2 * 6  # two graded cells, six submissions


def test_each_shard_graded_only_its_own_students(two_ways):
    _, first, second = two_ways["outputs"]
    owners = {sid: 1 if Shard(1, 2).owns(sid) else 2 for sid in CLASS}
    assert 0 < sum(o == 1 for o in owners.values()) < len(CLASS)  # the test class really is split
    for k, out in ((1, first), (2, second)):
        mine = [sid for sid, o in owners.items() if o == k]
        assert f"ps1 (shard {k}/2): " in out and f"({len(mine)} on the roster)" in out, out
        for sid in CLASS:
            assert bool(re.search(rf"^{sid} ", out, re.M)) == (sid in mine), (k, sid, out)


def test_the_shards_left_no_state_behind_and_one_results_file(two_ways):
    import json

    root, _ = two_ways["sharded"]
    folder = root / "dlcourse_grading" / "ps1"
    results = json.loads((folder / "results.json").read_text())["results"]
    assert sorted(r["student"] for r in results) == sorted(CLASS)
    assert not list(folder.glob("progress*.jsonl"))
    states = sorted(p.name for p in folder.glob("run*.json"))
    assert states == ["run-shard-1-of-2.json", "run-shard-2-of-2.json"]
    from dlcourse.grading.course import last_run_problem

    assert last_run_problem(root, "ps1") is None


def test_a_failed_shard_is_not_hidden_by_one_that_finished(tmp_path):
    from dlcourse.grading.course import last_run_problem, write_run_state

    write_run_state(tmp_path, "ps1", "finished", suffix=Shard(1, 2).suffix)
    write_run_state(tmp_path, "ps1", "failed", reason="the database went away", suffix=Shard(2, 2).suffix)
    problem = last_run_problem(tmp_path, "ps1")
    assert problem is not None and " failed (" in problem and problem.endswith("shard 2/2: the database went away")


def test_sharding_a_sqlite_gradebook_or_a_shard_that_does_not_exist_is_refused(tmp_path, capsys):
    from dlcourse.grading.cli import main

    demo.make_demo_course(tmp_path)
    assert main(["run", "ps1", "--course", str(tmp_path), "--shard", "1/2", "--no-sandbox"]) == 1
    assert "needs a gradebook that several machines can write at once" in capsys.readouterr().err
    assert main(["run", "ps1", "--course", str(tmp_path), "--shard", "3/2", "--no-sandbox"]) == 1
    assert "shard 3/2 does not exist" in capsys.readouterr().err
    assert main(["run", "ps1", "--course", str(tmp_path), "--shard", "half", "--no-sandbox"]) == 1
    assert "expected K/N" in capsys.readouterr().err
