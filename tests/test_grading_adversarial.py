"""The adversarial suite: hostile and broken submissions graded in one class-wide run.

Every case ends with the right status, score and reason; the batch completes; the honest
students next to the attackers keep their full marks; the sandbox holds (student code
cannot read or write instructor files or other students' work, or reach the network).

Needs root on Linux (the sandbox switches users and builds namespaces and cgroups); CI
runs as root. Elsewhere the whole module is skipped with that reason, and
``test_grading.py::test_refuses_without_root`` checks that the grader refuses instead.
Run time on the 2-core CI machine: about 2-3 minutes (two grading runs, 36 students).
"""

from __future__ import annotations

import copy
import json
import os
import socket
from pathlib import Path

import nbformat
import pytest

from dlcourse.grading import demo
from dlcourse.grading.sandbox import Limits, environment_problem

_NO_SANDBOX = environment_problem()

pytestmark = [
    pytest.mark.nbgrader,
    pytest.mark.filterwarnings("ignore:Object of type .* not in session"),
    pytest.mark.filterwarnings("ignore:Non-unique cell id"),
    pytest.mark.skipif(_NO_SANDBOX is not None, reason=f"cannot run the grading sandbox here: {_NO_SANDBOX}"),
]

C = demo.CORRECT
WRONG_SQUARE = "def square(x):\n    return x + x"


def answers(**kw):
    return {**C, **kw}


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def build_submissions(root: Path, release: Path, port: int, home_secret: Path) -> dict[str, object]:
    """student id -> notebook object, raw bytes/text, or a callable(folder) that writes the submission."""
    nb = lambda **kw: demo.student_notebook(release, answers(**kw))  # noqa: E731
    s: dict[str, object] = {}
    s["honest"] = nb()
    s["honest2"] = nb()
    s["wrong"] = nb(square=WRONG_SQUARE)
    # --- resources and crashes
    s["loop"] = nb(square="import time\nwhile True:\n    time.sleep(0.05)")
    s["sigign"] = nb(square="import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                            "while True:\n    time.sleep(0.05)")
    s["crash"] = nb(square="import ctypes\nctypes.string_at(0)\n" + C["square"])
    s["exit"] = nb(mean="import os\nos._exit(3)")
    s["memory"] = nb(mean="hog = b'x' * (1 << 30)\n" + C["mean"])
    s["forkbomb"] = nb(mean="import os\nwhile True:\n    os.fork()")
    s["bigprint"] = nb(square="print('z' * 200_000)\n" + C["square"])
    s["flood"] = nb(square="while True:\n    print('y' * 10_000)")
    s["disk_fill"] = nb(square="""import os
block = b'0' * (1 << 20)
results = {}
for target in ('big.bin', '/tmp/big.bin', '/dev/shm/big.bin'):
    try:
        with open(target, 'wb') as fh:
            for _ in range(300):
                fh.write(block)
        results[target] = 'wrote 300 MiB'
    except OSError as exc:
        results[target] = type(exc).__name__ + ' ' + str(exc.errno)
print('DISK', results)
""" + C["square"])
    # --- broken files
    good = nbformat.writes(nb())
    s["invalid_json"] = "{not json at all"
    s["truncated"] = good[: len(good) // 2]
    s["empty"] = b""
    s["not_notebook"] = '{"hello": "world"}'
    s["binary"] = bytes(range(256)) * 64
    huge = nb()
    huge.cells.append(nbformat.v4.new_markdown_cell("x" * (3 << 20)))
    s["huge"] = huge

    def symlink_nb(folder: Path):
        (folder / "problem1.ipynb").symlink_to(root / "source" / "ps1" / "problem1.ipynb")
    s["symlink_nb"] = symlink_nb

    def extra(folder: Path):
        nbformat.write(nb(), folder / "problem1.ipynb")
        nbformat.write(nb(square=WRONG_SQUARE), folder / "scratch.ipynb")
        (folder / "notes.txt").write_text("my notes")
        (folder / "solution_link.txt").symlink_to(root / "source" / "ps1" / "problem1.ipynb")
    s["extra"] = extra

    def renamed(folder: Path):
        nbformat.write(nb(), folder / "Problem1 (1).ipynb")
    s["renamed"] = renamed
    s["missing"] = None
    # --- tampering with tests
    t = nb()
    t.cells = [c for c in t.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_square"]
    s["deleted_test"] = t
    t = nb(square="def square(x):\n    return 0")
    _cell(t, "test_square").source = "pass"
    s["edited_test"] = t
    t = nb(square="def square(x):\n    return 0")
    _cell(t, "test_square").metadata["nbgrader"].update(points=100, grade=False, locked=False)
    s["meta_tamper"] = t
    t = nb()
    fake = nbformat.v4.new_code_cell("pass")
    fake.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "bonus",
                                 "points": 50, "schema_version": 3}
    t.cells.append(fake)
    dup = copy.deepcopy(_cell(t, "test_mean"))
    dup.source = "pass"
    t.cells.insert(2, dup)
    s["fake_cells"] = t
    t = nb(square="def square(x):\n    return 0")
    for cell in t.cells:
        if cell.cell_type == "code":
            cell.execution_count = 1
            cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    s["prefilled"] = t
    s["fake_partial"] = nb(square="def square(x):\n    get_ipython().displayhook('all tests passed')\n    return 0")
    s["hook_blank"] = nb(square="get_ipython().input_transformers_cleanup.append(lambda lines: [])\n"
                                "def square(x):\n    return 0")
    s["hook_forge"] = nb(square="""ip = get_ipython()
orig = ip.run_cell_async
async def forged(*args, **kwargs):
    result = await orig(*args, **kwargs)
    result.error_in_exec = None
    result.error_before_exec = None
    return result
ip.run_cell_async = forged
ip.showtraceback = lambda *a, **k: None
def square(x):
    return 0""")
    s["swallow"] = nb(square="get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)\n"
                             + WRONG_SQUARE)
    # --- escaping the sandbox
    s["killall"] = nb(square="import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n"
                             "    pass\n" + C["square"])
    secret_reads = {
        "source": str(root / "source" / "ps1" / "problem1.ipynb"),
        "gradebook": str(root / "gradebook.db"),
        "other_student": str(root / "submitted" / "honest" / "ps1" / "problem1.ipynb"),
        "home_file": str(home_secret),
        "home": os.path.expanduser("~"),
        "shadow": "/etc/shadow",
        "git": str(Path(__file__).resolve().parents[1] / ".git"),
    }
    writes = {
        "gradebook": str(root / "gradebook.db"),
        "source": str(root / "source" / "ps1" / "pwned.txt"),
        "autograded": str(root / "autograded" / "pwned.txt"),
        "host_tmp": f"/tmp/dlcourse-pwned-{os.getpid()}",
        "usr": "/usr/lib/pwned.txt",
    }
    s["snoop"] = nb(square=f"""import json, os, socket
out = {{"read": {{}}, "write": {{}}, "net": {{}}}}
for name, path in {secret_reads!r}.items():
    try:
        if os.path.isdir(path):
            out["read"][name] = "LISTED " + str(os.listdir(path)[:3])
        else:
            with open(path, "rb") as fh:
                out["read"][name] = "READ " + repr(fh.read(20))
    except OSError as exc:
        out["read"][name] = type(exc).__name__
for name, path in {writes!r}.items():
    try:
        with open(path, "ab") as fh:
            fh.write(b"pwned")
        out["write"][name] = "WROTE"
    except OSError as exc:
        out["write"][name] = type(exc).__name__
for name, addr in {{"grader_loopback": ("127.0.0.1", {port}), "internet": ("192.0.2.1", 80)}}.items():
    try:
        socket.create_connection(addr, timeout=2).close()
        out["net"][name] = "CONNECTED"
    except OSError as exc:
        out["net"][name] = type(exc).__name__
try:
    socket.getaddrinfo("pypi.org", 443)
    out["net"]["dns"] = "RESOLVED"
except OSError as exc:
    out["net"]["dns"] = type(exc).__name__
out["uid"] = os.getuid()
out["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
out["siblings"] = os.listdir(os.path.dirname(os.getcwd().rstrip("/").rsplit("/", 1)[0]))
out["tmp"] = os.listdir("/tmp")
print("PROBE" + json.dumps(out))
""" + C["square"])
    return s


EXPECTED = {
    # student: (status, score, reason kinds that must be present)
    "honest": ("graded", 5, []),
    "honest2": ("graded", 5, []),
    "wrong": ("graded", 3, []),
    "loop": ("failed", 3, ["timeout"]),
    "sigign": ("failed", 0, ["timeout"]),
    "crash": ("failed", 0, ["kernel_died"]),
    "exit": ("failed", 2, ["kernel_died"]),
    "memory": ("failed", 2, ["memory_limit"]),
    "forkbomb": ("failed", 2, ["process_limit"]),
    "bigprint": ("failed", 5, ["output_truncated"]),
    # An endless print loop is stopped by whichever limit it reaches first: the grader's
    # output cap, or the kernel's memory limit as its unsent output queues up (on an idle
    # machine the queue can win the race). Either way the reason names it; a tuple = any of.
    "flood": ("failed", 0, [("output_flood", "memory_limit")]),
    "disk_fill": ("graded", 5, []),
    "invalid_json": ("failed", 0, ["invalid_notebook"]),
    "truncated": ("failed", 0, ["invalid_notebook"]),
    "empty": ("failed", 0, ["invalid_notebook"]),
    "not_notebook": ("failed", 0, ["invalid_notebook"]),
    "binary": ("failed", 0, ["invalid_notebook"]),
    "huge": ("failed", 0, ["notebook_too_large"]),
    "symlink_nb": ("failed", 0, ["invalid_notebook"]),
    "extra": ("graded", 5, ["extra_file_ignored"]),
    "renamed": ("graded", 5, ["renamed_notebook"]),
    "missing": ("missing", 0, ["missing"]),
    "deleted_test": ("failed", 5, ["tampered_tests"]),
    "edited_test": ("failed", 3, ["tampered_tests"]),
    "meta_tamper": ("failed", 3, ["tampered_tests"]),
    "fake_cells": ("graded", 5, ["metadata_repaired"]),
    "prefilled": ("graded", 3, []),
    "fake_partial": ("graded", 3, []),
    "hook_blank": ("failed", 0, ["tampered_execution"]),
    "hook_forge": ("failed", 0, ["tampered_execution"]),
    "swallow": ("graded", 3, []),
    "killall": ("graded", 5, []),
    "snoop": ("graded", 5, []),
}


@pytest.fixture(scope="module")
def adversarial_run(tmp_path_factory):
    from dlcourse.grading.batch import GradeOptions, grade_assignment

    root = tmp_path_factory.mktemp("adversarial_course")
    release = demo.make_demo_course(root)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    home_secret = Path(os.path.expanduser("~")) / f".dlcourse-test-secret-{os.getpid()}"
    home_secret.write_text("instructor secret")
    subs = build_submissions(root, release, port, home_secret)
    for sid, content in subs.items():
        folder = root / "submitted" / sid / "ps1"
        if content is None:
            continue
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-01-01 10:00:00.000000 UTC")
        if callable(content):
            content(folder)
        else:
            demo.submit(root, sid, content)
    (root / "roster.csv").write_text("id\n" + "\n".join(subs) + "\n")
    before = (root / "source" / "ps1" / "problem1.ipynb").read_bytes()
    opts = GradeOptions("ps1", root, roster=root / "roster.csv", cell_timeout=6, progress=False, quiet=True,
                        limits=Limits(memory_bytes=512 << 20, output_bytes=64 << 10),
                        max_notebook_bytes=2 << 20)
    try:
        run = grade_assignment(opts)
    finally:
        home_secret.unlink()
    try:
        conn, _ = listener.accept()
        conn.close()
        accepted = True
    except BlockingIOError:
        accepted = False
    listener.close()
    return {"root": root, "run": run, "by_id": {r.student: r for r in run.results}, "accepted": accepted,
            "source_before": before}


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_case_ends_with_the_right_status_and_score(adversarial_run, student):
    res = adversarial_run["by_id"][student]
    status, score, kinds = EXPECTED[student]
    got = {r.kind for r in res.reasons}
    assert (res.status, res.score) == (status, score), f"{student}: {res.status} {res.score}: {res.reason_text()}"
    for kind in kinds:
        alternatives = set(kind) if isinstance(kind, tuple) else {kind}
        assert alternatives & got, f"{student}: reasons {sorted(got)}, expected {kind}: {res.reason_text()}"
    assert res.max_score == 5
    if status != "graded":
        assert res.reason_text(), "a status other than graded always says why"


def test_every_roster_student_has_a_row_and_the_gradebook_agrees(adversarial_run):
    from nbgrader.api import Gradebook

    root, run = adversarial_run["root"], adversarial_run["run"]
    assert [r.student for r in run.results] == list(EXPECTED)  # roster order, nobody dropped
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "demo") as gb:
        for res in run.results:
            if res.status == "missing":
                continue
            sub = gb.find_submission("ps1", res.student)
            assert sub.score == pytest.approx(res.score), res.student
    rows = (root / "dlcourse_grading" / "ps1" / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(EXPECTED)
    header = rows[0].split(",")
    assert "status" in header and "reasons" in header


def test_specific_reasons_name_the_cell(adversarial_run):
    by_id = adversarial_run["by_id"]
    assert "timeout in cell 2 (grade_id square)" in by_id["loop"].reason_text()
    assert "SIGSEGV" in by_id["crash"].reason_text()
    assert "exited with code 3" in by_id["exit"].reason_text()
    assert "memory limit (512 MiB)" in by_id["memory"].reason_text()
    assert "looks truncated" in by_id["truncated"].reason_text()
    assert "'test_square' was deleted" in by_id["deleted_test"].reason_text()
    assert "'test_square' was edited" in by_id["edited_test"].reason_text()
    assert "scratch.ipynb" in by_id["extra"].reason_text()
    assert "solution_link.txt" in by_id["extra"].reason_text()  # a symlink is never followed
    assert "Problem1 (1).ipynb" in by_id["renamed"].reason_text()


def _outputs(root: Path, student: str) -> str:
    nb = nbformat.read(root / "autograded" / student / "ps1" / "problem1.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_sandbox_blocks_reading_writing_and_network(adversarial_run):
    root = adversarial_run["root"]
    text = _outputs(root, "snoop")
    probe = json.loads(text.split("PROBE", 1)[1].splitlines()[0])
    assert probe["uid"] != 0
    for name, result in probe["read"].items():
        if name == "home":  # the path exists (the Python install may live under it) but holds nothing of ours
            assert ".dlcourse-test-secret" not in result, result
            continue
        assert not result.startswith(("READ", "LISTED")), (name, result)
    for name, result in probe["write"].items():
        if name == "host_tmp":  # its own private /tmp: allowed there, invisible on the host (checked below)
            continue
        assert result != "WROTE", (name, result)
    assert set(probe["net"].values()) <= {"ConnectionRefusedError", "OSError", "gaierror", "TimeoutError"}, probe
    assert probe["net"]["grader_loopback"] == "ConnectionRefusedError"  # its own loopback, not the host's
    assert not adversarial_run["accepted"], "a sandboxed kernel reached the grader's loopback listener"
    assert 1 not in probe["pids"] and len(probe["pids"]) <= 2, probe["pids"]  # its own processes only
    assert len(probe["siblings"]) == 1, probe["siblings"]  # no other student's kernel folder
    assert not os.path.exists(f"/tmp/dlcourse-pwned-{os.getpid()}")
    assert not (root / "source" / "ps1" / "pwned.txt").exists()
    assert (root / "source" / "ps1" / "problem1.ipynb").read_bytes() == adversarial_run["source_before"]


def test_disk_limits_hold(adversarial_run):
    text = _outputs(adversarial_run["root"], "disk_fill")
    assert "wrote 300 MiB" not in text, text
    assert "DISK" in text


def test_symlinked_notebook_was_not_followed(adversarial_run):
    res = adversarial_run["by_id"]["symlink_nb"]
    assert "symbolic link" in res.reason_text()
    assert not (adversarial_run["root"] / "autograded" / "symlink_nb" / "ps1" / "problem1.ipynb").exists()


def test_batch_left_nothing_behind(adversarial_run):
    mounts = Path("/proc/mounts").read_text()
    assert "dlcg-" not in mounts
    leftovers = [p for p in Path("/tmp").glob("dlcg-*")]
    assert not leftovers, leftovers


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    from dlcourse.grading.batch import GradeOptions, grade_assignment

    root = tmp_path_factory.mktemp("cpu_course")
    release = demo.make_demo_course(root)
    demo.submit(root, "cpuhog", demo.student_notebook(release, answers(square="while True:\n    pass")))
    demo.submit(root, "honest", demo.student_notebook(release))
    (root / "roster.csv").write_text("id\ncpuhog\nhonest\n")
    opts = GradeOptions("ps1", root, roster=root / "roster.csv", cell_timeout=120, progress=False, quiet=True,
                        limits=Limits(cpu_seconds=3))
    return {r.student: r for r in grade_assignment(opts).results}


def test_cpu_time_limit(cpu_run):
    hog = cpu_run["cpuhog"]
    assert (hog.status, hog.score) == ("failed", 0), hog.reason_text()
    assert hog.has("cpu_limit"), hog.reason_text()
    assert (cpu_run["honest"].status, cpu_run["honest"].score) == ("graded", 5)
