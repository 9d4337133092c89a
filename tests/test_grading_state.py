"""Issue 17: an export after a failed, killed or partial run tells each student's truth.

``missing`` is decided from ``submitted/``, never from the absence of a grade; a student who
submitted but was not graded is ``not graded`` with the reason and an empty score; an export
after a run that failed or did not finish warns on stderr and exits non-zero unless
``--force``.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from dlcourse.grading import demo

pytestmark = [
    pytest.mark.nbgrader,
    pytest.mark.filterwarnings("ignore:Object of type .* not in session"),
    pytest.mark.filterwarnings("ignore:Non-unique cell id"),
]


def _class(root: Path) -> Path:
    """Four students who submitted (ada, alan, grace, edsger) and one who did not (barbara)."""
    release = demo.make_demo_course(root)
    for sid in ("ada", "alan", "grace", "edsger"):
        demo.submit(root, sid, demo.student_notebook(release))
    roster = root / "roster.csv"
    roster.write_text("id\nada\nalan\ngrace\nedsger\nbarbara\n")
    return roster


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def test_a_run_that_cannot_start_leaves_no_results_and_the_export_says_so(tmp_path, capsys, monkeypatch):
    from dlcourse.cli import main
    from dlcourse.grading import sandbox

    roster = _class(tmp_path)
    if os.geteuid() != 0:  # the same refusal, for the reason a non-root grader meets
        monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    # an unusable sandbox user (uid 0): the run must refuse before grading anyone
    status = main(["grade", "run", "ps1", "--course", str(tmp_path), "--roster", str(roster), "--no-progress",
                   "--sandbox-user", "root"])
    err = capsys.readouterr().err
    assert status != 0 and err.strip()
    results = tmp_path / "dlcourse_grading" / "ps1"
    assert not (results / "results.json").exists() and not (results / "grades.csv").exists()
    assert not (results / "progress.jsonl").exists()
    state = json.loads((results / "run.json").read_text())
    assert state["state"] == "failed" and state["reason"]

    dest = tmp_path / "out.csv"
    assert main(["grade", "export", "ps1", "--course", str(tmp_path), "--to", str(dest)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "failed" in err and "--force" in err
    assert not dest.exists()

    assert main(["grade", "export", "ps1", "--course", str(tmp_path), "--to", str(dest), "--force"]) == 0
    assert "failed" in capsys.readouterr().err
    rows = _rows(dest)
    assert set(rows) == {"ada", "alan", "grace", "edsger", "barbara"}
    for sid in ("ada", "alan", "grace", "edsger"):
        assert rows[sid]["status"] == "not graded", rows[sid]
        assert rows[sid]["score"] == ""
        assert state["reason"][:40] in rows[sid]["reasons"]
    assert (rows["barbara"]["status"], rows["barbara"]["score"]) == ("missing", "0")


def test_never_run_warns_and_exports_not_graded(tmp_path, capsys):
    from dlcourse.cli import main

    _class(tmp_path)
    dest = tmp_path / "out.csv"
    assert main(["grade", "export", "ps1", "--course", str(tmp_path), "--to", str(dest)]) == 1
    assert "never run" in capsys.readouterr().err and not dest.exists()
    assert main(["grade", "export", "ps1", "--course", str(tmp_path), "--to", str(dest), "--force"]) == 0
    rows = _rows(dest)
    # the students come from submitted/ here: the gradebook has no roster yet
    assert {sid: r["status"] for sid, r in rows.items()} == {s: "not graded" for s in ("ada", "alan", "grace",
                                                                                       "edsger")}


def test_an_interrupted_run_exports_graded_ungraded_and_missing_students(tmp_path, capsys, monkeypatch):
    """Kill a run after its first student (Ctrl-C while the second is recorded)."""
    from dlcourse.cli import main
    from dlcourse.grading import batch
    from dlcourse.grading.gradebook import Recorder

    roster = _class(tmp_path)
    real_record = Recorder.record
    calls = []

    def record_then_stop(self, sub, outcome, result):
        calls.append(sub.student)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_record(self, sub, outcome, result)

    monkeypatch.setattr(Recorder, "record", record_then_stop)
    before = set(Path("/tmp").glob("dlcg-*"))
    with pytest.raises(KeyboardInterrupt):
        batch.grade_assignment(batch.GradeOptions("ps1", tmp_path, roster=roster, sandbox=False, jobs=1,
                                                  cell_timeout=20, progress=False, out=io.StringIO()))
    first = calls[0]
    results = tmp_path / "dlcourse_grading" / "ps1"
    assert not (results / "results.json").exists()
    assert json.loads((results / "run.json").read_text())["state"] == "interrupted"
    assert set(Path("/tmp").glob("dlcg-*")) <= before, "the interrupted run left its workspace behind"

    dest = tmp_path / "out.csv"
    assert main(["grade", "export", "ps1", "--course", str(tmp_path), "--to", str(dest)]) == 1
    assert "did not finish" in capsys.readouterr().err
    assert main(["grade", "export", "ps1", "--course", str(tmp_path), "--to", str(dest), "--force"]) == 0
    rows = _rows(dest)
    assert (rows[first]["status"], rows[first]["score"]) == ("graded", "5")
    ungraded = {"ada", "alan", "grace", "edsger"} - {first}
    for sid in ungraded:
        assert (rows[sid]["status"], rows[sid]["score"]) == ("not graded", ""), rows[sid]
        assert "did not finish" in rows[sid]["reasons"]
    assert (rows["barbara"]["status"], rows["barbara"]["score"]) == ("missing", "0")

    # a finished run afterwards: no warning, everyone graded, progress folded into results.json
    monkeypatch.setattr(Recorder, "record", real_record)
    run = batch.grade_assignment(batch.GradeOptions("ps1", tmp_path, roster=roster, sandbox=False, jobs=2,
                                                    cell_timeout=20, progress=False, quiet=True))
    assert {r.student: r.status for r in run.results} == {**{s: "graded" for s in ("ada", "alan", "grace",
                                                                                    "edsger")}, "barbara": "missing"}
    assert not (results / "progress.jsonl").exists()
    capsys.readouterr()
    assert main(["grade", "export", "ps1", "--course", str(tmp_path), "--to", str(dest)]) == 0
    assert capsys.readouterr().err == ""


def test_a_killed_run_reads_as_interrupted(tmp_path):
    from dlcourse.grading.course import last_run_problem, read_run_state, write_run_state

    write_run_state(tmp_path, "ps1", "running")
    assert read_run_state(tmp_path, "ps1").state == "interrupted"  # nobody holds the course lock
    assert "did not finish" in last_run_problem(tmp_path, "ps1")
    write_run_state(tmp_path, "ps1", "finished")
    assert last_run_problem(tmp_path, "ps1") is None


def test_work_submitted_after_a_run_is_not_graded_not_missing(tmp_path, capsys):
    from dlcourse.cli import main
    from dlcourse.grading.course import results_dir, write_run_state
    from dlcourse.grading.status import StudentResult

    _class(tmp_path)
    res = StudentResult("barbara", "ps1")
    res.finalize(submitted=False)
    folder = results_dir(tmp_path, "ps1")
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({"results": [res.to_dict()]}))
    write_run_state(tmp_path, "ps1", "finished")
    release = tmp_path / "release" / "ps1" / "problem1.ipynb"
    demo.submit(tmp_path, "barbara", demo.student_notebook(release))
    dest = tmp_path / "out.csv"
    assert main(["grade", "export", "ps1", "--course", str(tmp_path), "--to", str(dest)]) == 0
    row = _rows(dest)["barbara"]
    assert (row["status"], row["score"]) == ("not graded", "") and "after the last" in row["reasons"]
