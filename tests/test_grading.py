"""The instructor's grading path end to end, on a small nbgrader course built in tmp_path.

Sandboxed runs need root on Linux (CI runs as root) and are skipped elsewhere with that
reason; the refusal without root and the ``--no-sandbox`` path run everywhere.
Run time on the 2-core CI machine: about 2 minutes.
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlcourse.grading import demo
from dlcourse.grading.sandbox import environment_problem

pytestmark = [
    pytest.mark.nbgrader,
    # nbgrader's own gradebook code and nbformat's id repair warn; neither is what these tests check
    pytest.mark.filterwarnings("ignore:Object of type .* not in session"),
    pytest.mark.filterwarnings("ignore:Non-unique cell id"),
]
_NO_SANDBOX = environment_problem()
ROOT_ONLY = pytest.mark.skipif(_NO_SANDBOX is not None, reason=f"cannot run the grading sandbox here: {_NO_SANDBOX}")
WRONG_SQUARE = {"square": "def square(x):\n    return x + x", "mean": demo.CORRECT["mean"]}


def _class(root: Path) -> Path:
    """A course with five roster students: correct, partly wrong, late, renamed, missing."""
    release = demo.make_demo_course(root, duedate="2026-01-01 12:00:00")
    demo.submit(root, "ada", demo.student_notebook(release))
    demo.submit(root, "alan", demo.student_notebook(release, WRONG_SQUARE))
    demo.submit(root, "grace", demo.student_notebook(release), timestamp="2026-01-01 15:30:00.000000 UTC")
    demo.submit(root, "edsger", demo.student_notebook(release), name="problem1 (1).ipynb")
    roster = root / "roster.csv"
    roster.write_text("id,first_name,last_name,email\nada,Ada,Lovelace,ada@example.org\nalan,Alan,Turing,\n"
                      "grace,Grace,Hopper,\nedsger,Edsger,Dijkstra,\nbarbara,Barbara,Liskov,\n")
    return roster


EXPECTED = {"ada": ("graded", 5), "alan": ("graded", 3), "grace": ("late", 5), "edsger": ("graded", 5),
            "barbara": ("missing", 0)}


def _read_csv(path: Path) -> dict[str, dict]:
    with open(path, newline="") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """Grade the class twice through the command line (the second run must change nothing)."""
    from dlcourse.cli import main

    root = tmp_path_factory.mktemp("course")
    roster = _class(root)
    argv = ["grade", "run", "ps1", "--course", str(root), "--roster", str(roster), "--timeout", "20",
            "--no-progress", "--jobs", "2"]
    outputs = []
    for _ in range(2):
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            status = main(argv)
        assert status == 0, buf.getvalue()
        outputs.append((buf.getvalue(), (root / "dlcourse_grading" / "ps1" / "grades.csv").read_text()))
    return root, outputs


@ROOT_ONLY
def test_every_student_gets_a_status_and_the_right_score(graded_class):
    root, outputs = graded_class
    rows = _read_csv(root / "dlcourse_grading" / "ps1" / "grades.csv")
    assert set(rows) == set(EXPECTED)
    for sid, (status, score) in EXPECTED.items():
        assert (rows[sid]["status"], float(rows[sid]["score"])) == (status, score), rows[sid]
    assert rows["ada"]["email"] == "ada@example.org"
    assert float(rows["grace"]["seconds_late"]) == 3.5 * 3600
    assert "problem1 (1).ipynb" in rows["edsger"]["reasons"]
    assert "nothing submitted" in rows["barbara"]["reasons"]


@ROOT_ONLY
def test_summary_table_and_sandbox_facts_are_printed(graded_class):
    text = graded_class[1][0][0]
    assert "sandbox verified" in text and "no network" in text
    assert "student" in text and "status" in text and "reasons" in text
    assert "ps1: 3 graded, 1 late, 1 missing, 0 failed (5 on the roster)" in text


@ROOT_ONLY
def test_rerunning_gives_the_same_grades(graded_class):
    (_, first), (_, second) = graded_class[1]
    assert first == second


@ROOT_ONLY
def test_feedback_withholds_hidden_tests_unless_asked(graded_class):
    from dlcourse.cli import main

    root = graded_class[0]
    assert main(["grade", "feedback", "ps1", "--course", str(root)]) == 0
    html = (root / "feedback" / "alan" / "ps1" / "problem1.html").read_text()
    assert "square(-4)" not in html and "HIDDEN TESTS" not in html
    assert "mean([10])" not in html
    assert "in a visible test, line 1" in html  # alan's visible test failed and may say so
    assert "Autograder:" in html and "status <strong>graded</strong>" in html
    assert main(["grade", "feedback", "ps1", "--course", str(root), "--student", "alan", "--reveal-hidden"]) == 0
    html = (root / "feedback" / "alan" / "ps1" / "problem1.html").read_text()
    assert "square" in html and "BEGIN HIDDEN TESTS" in html


@ROOT_ONLY
def test_export_reflects_manual_grades(graded_class, tmp_path):
    from nbgrader.api import Gradebook

    from dlcourse.cli import main

    root = graded_class[0]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "demo") as gb:
        grade = gb.find_grade("test_square", "problem1", "ps1", "alan")
        grade.manual_score = 2
        gb.db.commit()
    dest = tmp_path / "out.csv"
    assert main(["grade", "export", "ps1", "--course", str(root), "--to", str(dest)]) == 0
    rows = _read_csv(dest)
    assert float(rows["alan"]["score"]) == 5 and rows["alan"]["status"] == "graded"
    assert rows["barbara"]["status"] == "missing"


@ROOT_ONLY
def test_check_command_reports_what_it_verified(capsys, tmp_path):
    from dlcourse.cli import main

    demo.make_demo_course(tmp_path)
    assert main(["grade", "check", "--course", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "cannot read" in out and str(tmp_path / "gradebook.db") in out


@ROOT_ONLY
def test_same_grades_as_plain_nbgrader(tmp_path):
    """Per-cell scores equal those of ``nbgrader autograde`` on the same (honest) submissions."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from dlcourse.grading.batch import GradeOptions, grade_assignment

    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    release = demo.make_demo_course(mine)
    subs = {"s1": demo.student_notebook(release), "s2": demo.student_notebook(release, WRONG_SQUARE),
            "s3": demo.student_notebook(release, {"square": demo.CORRECT["square"],
                                                 "mean": "def mean(xs):\n    return sum(xs) / 3"})}
    for sid, nb in subs.items():
        demo.submit(mine, sid, nb)
    shutil.copytree(mine, theirs)
    (mine / "roster.csv").write_text("id\n" + "\n".join(subs) + "\n")
    grade_assignment(GradeOptions("ps1", mine, roster=mine / "roster.csv", progress=False, quiet=True))
    c = Config()
    c.CourseDirectory.root = str(theirs)
    c.CourseDirectory.course_id = "demo"
    api = NbGraderAPI(coursedir=CourseDirectory(config=c), config=c)
    for sid in subs:
        assert api.autograde("ps1", sid, force=True)["success"]

    def grades(root):
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "demo") as gb:
            return {(sid, g.name): g.auto_score for sid in subs
                    for g in gb.find_submission_notebook("problem1", "ps1", sid).grades}

    assert grades(mine) == grades(theirs)
    assert grades(mine)[("s3", "test_mean")] == 0 and grades(mine)[("s2", "test_square")] == 0


@ROOT_ONLY
def test_grading_from_an_lms_zip(tmp_path):
    from dlcourse.grading.batch import GradeOptions, grade_assignment

    release = demo.make_demo_course(tmp_path)
    good = nbformat.writes(demo.student_notebook(release))
    wrong = nbformat.writes(demo.student_notebook(release, WRONG_SQUARE))
    (tmp_path / "roster.csv").write_text("id,first_name,last_name,lms_id\nada,Ada,Lovelace,101\n"
                                         "alan,Alan,Turing,102\ngrace,Grace,Hopper,\nbarbara,Barbara,Liskov,\n")
    z = tmp_path / "canvas.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("lovelaceada_101_9001_problem1.ipynb", good)
        zf.writestr("turingalan_LATE_102_9002_problem1-1.ipynb", wrong)
        zf.writestr("Grace Hopper_77_assignsubmission_file_/problem1.ipynb", good)
        zf.writestr("stranger_999_9003_problem1.ipynb", good)
    run = grade_assignment(GradeOptions("ps1", tmp_path, roster=tmp_path / "roster.csv", zip_path=z,
                                        progress=False, quiet=True))
    got = {r.student: (r.status, r.score) for r in run.results}
    assert got == {"ada": ("graded", 5), "alan": ("late", 3), "grace": ("graded", 5), "barbara": ("missing", 0)}
    assert any("stranger_999" in u for u in run.unmatched)
    assert (tmp_path / "submitted" / "alan" / "ps1" / "problem1.ipynb").exists()


def test_refuses_without_root(tmp_path, monkeypatch, capsys):
    """Without root there is no sandbox: the grader refuses and says what would fix it."""
    from dlcourse.cli import main
    from dlcourse.grading import sandbox

    release = demo.make_demo_course(tmp_path)
    demo.submit(tmp_path, "s1", demo.student_notebook(release))
    (tmp_path / "roster.csv").write_text("id\ns1\n")
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    status = main(["grade", "run", "ps1", "--course", str(tmp_path), "--roster", str(tmp_path / "roster.csv"),
                   "--no-progress"])
    err = capsys.readouterr().err
    assert status == 1
    assert "needs root" in err and "Refusing to grade" in err and "--no-sandbox" in err
    assert not (tmp_path / "autograded").exists()


def test_no_sandbox_grades_but_says_so_everywhere(tmp_path):
    from dlcourse.grading.batch import GradeOptions, grade_assignment

    release = demo.make_demo_course(tmp_path)
    demo.submit(tmp_path, "s1", demo.student_notebook(release))
    demo.submit(tmp_path, "s2", demo.student_notebook(release, {**demo.CORRECT, "square": "while True:\n    pass"}))
    import io

    out = io.StringIO()
    (tmp_path / "roster.csv").write_text("id\ns1\ns2\n")
    run = grade_assignment(GradeOptions("ps1", tmp_path, roster=tmp_path / "roster.csv", sandbox=False,
                                        cell_timeout=5, progress=False, out=out))
    text = out.getvalue()
    assert text.count("NO SANDBOX") >= 2  # before and after the table
    got = {r.student: r for r in run.results}
    assert (got["s1"].status, got["s1"].score) == ("graded", 5)
    assert (got["s2"].status, got["s2"].score) == ("failed", 3) and got["s2"].has("timeout")
    assert all(r.has("unsandboxed") for r in run.results)
    assert "WITHOUT the sandbox" in (tmp_path / "dlcourse_grading" / "ps1" / "grades.csv").read_text()


def test_not_a_course_and_unknown_assignment_are_clear_errors(tmp_path, capsys):
    from dlcourse.cli import main

    assert main(["grade", "run", "ps1", "--course", str(tmp_path)]) == 1
    assert "does not look like an nbgrader course" in capsys.readouterr().err
    demo.make_demo_course(tmp_path)
    assert main(["grade", "run", "nope", "--course", str(tmp_path)]) == 1
    assert "generate_assignment nope" in capsys.readouterr().err


@pytest.fixture(scope="module")
def tmp_environment(tmp_path_factory) -> Path:
    """A Python environment under /tmp: its own interpreter binary (``--copies``), prefix and
    ``ipykernel``; the rest of the packages come from the shared environment through a ``.pth``.
    Before the fix the sandbox's private /tmp hid all of it and every kernel failed to start."""
    import subprocess
    import sys
    import sysconfig

    env = tmp_path_factory.mktemp("env-under-tmp")
    env.chmod(0o755)  # as `python -m venv` leaves it (mktemp makes it 0700: the sandbox user could not enter)
    assert str(env).startswith("/tmp/")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--copies", str(env)], check=True)
    site = Path(subprocess.run([str(env / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path("
                                "'purelib'))"], check=True, capture_output=True, text=True).stdout.strip())
    import ipykernel

    shutil.copytree(Path(ipykernel.__file__).parent, site / "ipykernel")
    shutil.copy(Path(ipykernel.__file__).parent.parent / "ipykernel_launcher.py", site)
    (site / "shared-environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return env / "bin" / "python"


@ROOT_ONLY
def test_grades_with_the_environment_under_tmp(tmp_path, tmp_environment):
    from dlcourse.grading.batch import GradeOptions, grade_assignment

    release = demo.make_demo_course(tmp_path)
    where = "import sys, ipykernel\nprint('KERNEL', sys.executable, ipykernel.__file__)\n"
    demo.submit(tmp_path, "ada", demo.student_notebook(release, {**demo.CORRECT, "square": where +
                                                                 demo.CORRECT["square"]}))
    demo.submit(tmp_path, "alan", demo.student_notebook(release, WRONG_SQUARE))
    (tmp_path / "roster.csv").write_text("id\nada\nalan\n")
    run = grade_assignment(GradeOptions("ps1", tmp_path, roster=tmp_path / "roster.csv", kernel_python=str(
        tmp_environment), cell_timeout=20, progress=False, quiet=True, jobs=2))
    assert {r.student: (r.status, r.score) for r in run.results} == {"ada": ("graded", 5), "alan": ("graded", 3)}
    printed = (tmp_path / "autograded" / "ada" / "ps1" / "problem1.ipynb").read_text()
    env = str(tmp_environment.parent.parent)
    assert f"KERNEL {env}/bin/python {env}/lib/" in printed  # the interpreter and ipykernel from /tmp


FORK_STORM = """import os, time
children = []
try:
    for _ in range(500):
        pid = os.fork()
        if pid == 0:
            time.sleep(20)
            os._exit(0)
        children.append(pid)
except OSError:
    pass
print("STORM", len(children))
time.sleep(12)  # hold every process while the other worker's student runs
""" + demo.CORRECT["square"]

NEEDS_PROCESSES = """import subprocess, time
time.sleep(4)  # start while the storm in the other worker holds its processes
procs = [subprocess.Popen(["sleep", "1"]) for _ in range(10)]
print("SPAWNED", sum(p.wait() == 0 for p in procs))
""" + demo.CORRECT["square"]


@ROOT_ONLY
def test_a_fork_storm_does_not_starve_a_student_in_another_worker_without_cgroups(tmp_path):
    """Without cgroups RLIMIT_NPROC bounds processes per user: each worker runs as its own user."""
    from dlcourse.grading.batch import GradeOptions, grade_assignment
    from dlcourse.grading.sandbox import Limits

    release = demo.make_demo_course(tmp_path)
    demo.submit(tmp_path, "storm", demo.student_notebook(release, {**demo.CORRECT, "square": FORK_STORM}))
    demo.submit(tmp_path, "honest", demo.student_notebook(release, {**demo.CORRECT, "square": NEEDS_PROCESSES}))
    (tmp_path / "roster.csv").write_text("id\nstorm\nhonest\n")
    run = grade_assignment(GradeOptions("ps1", tmp_path, roster=tmp_path / "roster.csv", cgroups=False, jobs=2,
                                        limits=Limits(processes=48), cell_timeout=40, progress=False, quiet=True))
    assert any("cgroups not used" in w for w in run.warnings)
    got = {r.student: r for r in run.results}
    assert (got["honest"].status, got["honest"].score) == ("graded", 5), got["honest"].reason_text()
    honest = (tmp_path / "autograded" / "honest" / "ps1" / "problem1.ipynb").read_text()
    assert "SPAWNED 10" in honest
    storm = (tmp_path / "autograded" / "storm" / "ps1" / "problem1.ipynb").read_text()
    forked = int(storm.split("STORM ")[1].split("\\n")[0].split('"')[0])
    assert 0 < forked < 48  # the storm met its own bound
