"""Fast tests of the grading path's pieces: no kernels, no sandbox, no root needed."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import zipfile

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from dlcourse.grading import demo
from dlcourse.grading.executor import (
    CellInfo,
    NotebookRejected,
    normalize_test_outputs,
    read_submitted_notebook,
    repair_metadata,
    visible_source,
)
from dlcourse.grading.feedback import scrub_notebook
from dlcourse.grading.sandbox import Limits, parse_size, read_only_paths
from dlcourse.grading.status import StudentResult
from dlcourse.grading.submissions import Student, import_zip, load_roster, match_notebooks, scan_submission

# --------------------------------------------------------------------------- status


@pytest.mark.parametrize(
    ("reasons", "submitted", "status"),
    [
        ([], True, "graded"),
        ([("late", "1 h late")], True, "late"),
        ([("late", "1 h late"), ("timeout", "timeout in cell 3")], True, "failed"),
        ([("extra_file_ignored", "x"), ("renamed_notebook", "y")], True, "graded"),
        ([("output_truncated", "cut")], True, "failed"),
        ([("tampered_tests", "restored")], True, "failed"),
        ([], False, "missing"),
    ],
)
def test_status_precedence(reasons, submitted, status):
    r = StudentResult("s", "a")
    for kind, msg in reasons:
        r.add(kind, msg)
    r.finalize(submitted=submitted)
    assert r.status == status


def test_unknown_reason_kind_is_refused():
    with pytest.raises(ValueError):
        StudentResult("s", "a").add("oops", "x")


def test_result_round_trips_through_json():
    r = StudentResult("s", "a", score=2.5, max_score=5)
    r.add("timeout", "timeout in cell 2", "problem1")
    r.finalize()
    back = StudentResult.from_dict(json.loads(json.dumps(r.to_dict())))
    assert back == r


def test_parse_size():
    assert parse_size("2G") == 2 << 30
    assert parse_size("64k") == 64 << 10
    assert parse_size("1.5M") == int(1.5 * (1 << 20))
    assert Limits().memory_bytes == 2 << 30


# --------------------------------------------------------------------------- roster and names


def test_roster_columns_and_errors(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("Student_ID,First,Last,Email,LMS_ID\ns1,Ada,Lovelace,ada@x.org,101\ns2,,,,\n")
    roster = load_roster(p)
    assert roster[0] == Student("s1", "Ada", "Lovelace", "ada@x.org", "101")
    assert roster[1].id == "s2"
    for text, msg in [
        ("name\nx\n", "needs an 'id' column"),
        ("id\ns1\ns1\n", "appears twice"),
        ("id\n../etc\n", "not usable as a folder name"),
        ("id\n", "lists no students"),
    ]:
        p.write_text(text)
        with pytest.raises(ValueError, match=msg):
            load_roster(p)


@pytest.mark.parametrize(
    ("files", "expected", "matched", "extra"),
    [
        (["problem1.ipynb"], ["problem1"], {"problem1": "problem1.ipynb"}, []),
        (["Problem1 (2).ipynb"], ["problem1"], {"problem1": "Problem1 (2).ipynb"}, []),
        (["problem1-1.ipynb", "problem1.ipynb"], ["problem1"], {"problem1": "problem1.ipynb"}, ["problem1-1.ipynb"]),
        (["Copy of part_a.ipynb", "part-b.ipynb"], ["part_a", "part_b"],
         {"part_a": "Copy of part_a.ipynb", "part_b": "part-b.ipynb"}, []),
        (["homework.ipynb"], ["problem1"], {"problem1": "homework.ipynb"}, []),  # the only notebook of one
        (["x.ipynb", "y.ipynb"], ["problem1"], {}, ["x.ipynb", "y.ipynb"]),  # ambiguous: nothing guessed
    ],
)
def test_match_notebooks(files, expected, matched, extra):
    got, renamed, left = match_notebooks(files, expected)
    assert got == matched
    assert left == extra
    assert set(renamed) == {k for k, v in matched.items() if v != f"{k}.ipynb"}


def test_scan_submission_skips_links_and_kernel_config(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    nbformat.write(new_notebook(), folder / "problem1.ipynb")
    (folder / "data.csv").write_text("1,2\n")
    (folder / "ipython_kernel_config.py").write_text("c = 1\n")
    (folder / "secret").symlink_to("/etc/passwd")
    (folder / "timestamp.txt").write_text("not a time")
    sub = scan_submission(folder, "s1", ["problem1"], max_file_bytes=1 << 20)
    assert sub.notebooks == {"problem1": str(folder / "problem1.ipynb")}
    assert [rel for _, rel in sub.files] == ["data.csv"]
    assert any("secret" in s for s in sub.skipped) and any("ipython_kernel_config" in s for s in sub.skipped)
    assert sub.timestamp is None and "not a valid time" in sub.timestamp_note


# --------------------------------------------------------------------------- LMS zips


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, when in entries:
            info = zipfile.ZipInfo(name, date_time=when)
            if name.endswith("@link"):
                info.filename = name[:-5]
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)


def test_import_canvas_moodle_and_folder_zips(tmp_path):
    roster = [Student("s1", "Ada", "Lovelace", lms_id="101"), Student("s2", "Alan", "Turing"),
              Student("s3", "Grace", "Hopper"), Student("s4", "Edsger", "Dijkstra")]
    nb = nbformat.writes(new_notebook())
    t0, t1 = (2026, 3, 1, 10, 0, 0), (2026, 3, 1, 12, 0, 0)
    z = tmp_path / "download.zip"
    _zip(z, [
        ("lovelaceada_101_5001_problem1.ipynb", nb, t0),  # Canvas, by LMS id
        ("lovelaceada_101_5002_problem1-1.ipynb", nb + " ", t1),  # Canvas resubmission: newer wins
        ("turingalan_LATE_202_5003_problem1.ipynb", nb, t1),  # Canvas, by name, marked late
        ("Grace Hopper_303_assignsubmission_file_/problem1.ipynb", nb, t0),  # Moodle folders
        ("s4/problem1.ipynb", nb, t0),  # one folder per student id
        ("s4/data/input.csv", "1,2\n", t0),
        ("nobody_999_1_problem1.ipynb", nb, t0),  # not on the roster
        ("../../etc/evil.ipynb", nb, t0),  # zip slip
        ("/abs/evil.ipynb", nb, t0),
        ("s4/link.ipynb@link", "/etc/passwd", t0),  # a symlink entry
        ("__MACOSX/._junk", "x", t0),
    ])
    submitted = tmp_path / "submitted"
    res = import_zip(z, submitted, "ps1", roster, ["problem1"])
    assert sorted(res.imported) == ["s1", "s2", "s3", "s4"]
    assert (submitted / "s1" / "ps1" / "problem1.ipynb").read_text() == nb + " "  # the newer copy
    assert any("problem1.ipynb (a newer copy" in r for r in res.replaced)
    assert res.late == {"s2"}
    assert (submitted / "s4" / "ps1" / "data" / "input.csv").exists()
    unmatched = "\n".join(res.unmatched)
    assert "nobody_999" in unmatched and "unsafe path" in unmatched and "a link" in unmatched
    assert not (tmp_path / "etc").exists() and not (submitted.parent.parent / "etc" / "evil.ipynb").exists()
    stamp = (submitted / "s1" / "ps1" / "timestamp.txt").read_text()
    assert stamp.endswith("UTC") and stamp.startswith("2026-03-01")
    # a fixed time for everyone
    res = import_zip(z, submitted, "ps1", roster, ["problem1"], timestamp=dt.datetime(2026, 3, 2, 9, 0))
    assert (submitted / "s3" / "ps1" / "timestamp.txt").read_text().startswith("2026-03-02 09:00:00")


def test_zip_bomb_is_refused(tmp_path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("s1/problem1.ipynb", b"0" * (3 << 20))
    res = import_zip(z, tmp_path / "submitted", "ps1", [Student("s1")], ["problem1"], max_entry_bytes=1 << 20)
    assert not res.imported and "larger than" in res.unmatched[0]
    with pytest.raises(ValueError, match="uncompressed"):
        import_zip(z, tmp_path / "submitted", "ps1", [Student("s1")], ["problem1"], max_total_bytes=1 << 20)


# --------------------------------------------------------------------------- reading notebooks


@pytest.mark.parametrize(
    ("content", "kind", "text"),
    [
        (b"", "invalid_notebook", "empty"),
        (b"\xff\xfe\x00garbage", "invalid_notebook", "not UTF-8"),
        (b"{not json", "invalid_notebook", "looks truncated"),
        (b'{"cells": "no"}', "invalid_notebook", "without a list of cells"),
        (b'{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
         "invalid_notebook", "invalid notebook"),
        (b"x" * 5000, "notebook_too_large", "limit is 4096"),
        (b"[" * 1500 + b"]" * 1500, "invalid_notebook", "nested too deeply"),
    ],
)
def test_read_submitted_notebook_rejects(tmp_path, content, kind, text):
    p = tmp_path / "nb.ipynb"
    p.write_bytes(content)
    with pytest.raises(NotebookRejected) as info:
        read_submitted_notebook(str(p), max_bytes=4096)
    assert info.value.kind == kind and text in str(info.value)


def test_read_submitted_notebook_refuses_links_and_accepts_v3(tmp_path):
    real = tmp_path / "real.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1")]), real)
    link = tmp_path / "link.ipynb"
    link.symlink_to(real)
    with pytest.raises(NotebookRejected, match="symbolic link"):
        read_submitted_notebook(str(link), 1 << 20)
    v3 = tmp_path / "v3.ipynb"
    v3.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [
        {"cells": [{"cell_type": "code", "input": "x = 1", "outputs": [], "language": "python"}]}]}))
    assert read_submitted_notebook(str(v3), 1 << 20).cells[0].source == "x = 1"


# --------------------------------------------------------------------------- metadata and outputs


def _cells():
    return {
        "square": CellInfo("square", "code", False, "def square(x):\n    return x * x", solution=True),
        "test_square": CellInfo("test_square", "code", True, demo.SQUARE_TEST, grade=True, points=2),
    }


def _nb(*cells):
    nb = new_notebook()
    for gid, src, md in cells:
        c = new_code_cell(src)
        if gid is not None:
            c.metadata["nbgrader"] = {"grade_id": gid, "schema_version": 3, **md}
        nb.cells.append(c)
    return nb


def test_repair_metadata_restores_flags_and_reports_tampering():
    visible = visible_source(demo.SQUARE_TEST)
    assert "HIDDEN" not in visible and "square(-4)" not in visible
    nb = _nb(("square", "def square(x): return x*x", {"solution": True, "grade": False, "locked": False}),
             ("test_square", "pass", {"grade": False, "points": 99, "locked": False, "solution": False}),
             ("bonus", "pass", {"grade": True, "points": 50, "locked": True, "solution": False}))
    reasons = repair_metadata(nb, _cells(), "problem1")
    text = " | ".join(r.message for r in reasons)
    assert "test cell 'test_square' was changed" in text or "test cell 'test_square' was edited" in text
    assert "'bonus'" in text
    md = nb.cells[1].metadata["nbgrader"]
    assert (md["grade"], md["locked"], md["points"]) == (True, True, 2)
    assert "nbgrader" not in nb.cells[2].metadata
    assert {r.kind for r in reasons} >= {"tampered_tests", "metadata_repaired"}


def test_repair_metadata_keeps_the_genuine_copy_of_a_duplicated_test():
    genuine = visible_source(demo.SQUARE_TEST)
    flags = {"grade": True, "points": 2, "locked": True, "solution": False}
    nb = _nb(("test_square", "pass", flags), ("square", "def square(x): return x*x", {"solution": True}),
             ("test_square", genuine, flags))
    reasons = repair_metadata(nb, _cells(), "problem1")
    assert "nbgrader" not in nb.cells[0].metadata and nb.cells[2].metadata["nbgrader"]["grade"]
    assert [r.kind for r in reasons] == ["metadata_repaired"]


def test_repair_metadata_reports_deleted_tests():
    nb = _nb(("square", "def square(x): return x*x", {"solution": True}))
    reasons = repair_metadata(nb, _cells(), "problem1")
    assert [r.kind for r in reasons] == ["tampered_tests"] and "deleted" in reasons[0].message


def test_nbgrader_alone_would_award_points_that_normalizing_removes():
    from nbgrader.utils import determine_grade

    cell = new_code_cell("assert square(3) == 9")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 2, "solution": False, "locked": True}
    cell.outputs = [new_output("execute_result", data={"text/plain": "'all tests passed'"}, execution_count=1),
                    new_output("error", ename="AssertionError", evalue="", traceback=[])]
    assert determine_grade(cell)[0] == 2  # nbgrader: full marks, the assert failure is never looked at
    normalize_test_outputs(cell, {"status": "error", "ename": "AssertionError", "evalue": ""})
    assert determine_grade(cell)[0] == 0
    silent = new_code_cell("assert square(3) == 9")
    silent.metadata["nbgrader"] = dict(cell.metadata["nbgrader"])
    assert determine_grade(silent)[0] == 2  # nbgrader: a test that never ran has no output: full marks
    normalize_test_outputs(silent, None, not_run_reason="the kernel died before this test ran")
    assert determine_grade(silent)[0] == 0
    forged = new_code_cell("x")
    forged.metadata["nbgrader"] = dict(cell.metadata["nbgrader"])
    forged.outputs = []
    normalize_test_outputs(forged, {"status": "ok"}, tampered=True)
    assert determine_grade(forged)[0] == 0


# --------------------------------------------------------------------------- feedback


def test_scrub_notebook_hides_hidden_tests():
    ansi_tb = ["\x1b[31mAssertionError\x1b[39m Traceback", "Cell \x1b[32mIn[2]\x1b[39m, line 3\n      1 assert square(3) "
               "== 9\n      2 ### BEGIN HIDDEN TESTS\n----> 3 assert square(-4) == 16"]
    nb = new_notebook(cells=[new_code_cell(demo.SQUARE_TEST), new_code_cell(demo.SQUARE_TEST)])
    nb.cells[0].outputs = [new_output("stream", name="stdout", text="expected 16\n"),
                           new_output("error", ename="AssertionError", evalue="got 8, want 16", traceback=ansi_tb)]
    nb.cells[1].outputs = [new_output("error", ename="AssertionError", evalue="square(3) != 9",
                                      traceback=["Cell In[3], line 1\n----> 1 assert square(3) == 9\n"
                                                 "      2 ### BEGIN HIDDEN TESTS\n      3 assert square(-4) == 16"])]
    out = scrub_notebook(nb, ["status **failed**", "timeout in cell 4"])
    text = json.dumps(out)
    assert "square(-4)" not in text and "HIDDEN" not in text and "want 16" not in text and "expected 16" not in text
    assert "in a hidden test" in text
    assert "in a visible test, line 1: assert square(3) == 9" in text and "square(3) != 9" in text
    assert out.cells[0].cell_type == "markdown" and "timeout in cell 4" in out.cells[0].source
    assert "square(-4)" in json.dumps(nb)  # the original is untouched


# --------------------------------------------------------------------------- sandbox allowlist


def test_allowlist_never_exposes_a_folder_holding_protected_data(tmp_path):
    course = tmp_path / "repo" / "course"
    course.mkdir(parents=True)
    import sys

    ro, warnings = read_only_paths(sys.executable, [str(course)], extra=[str(tmp_path / "repo"), str(tmp_path)])
    assert str(tmp_path / "repo") not in ro and str(tmp_path) not in ro
    assert any("protected" in w for w in warnings)
    assert "/usr" in ro
    assert os.path.realpath(sys.base_prefix) in ro or any(os.path.realpath(sys.base_prefix).startswith(p + "/")
                                                          for p in ro)
