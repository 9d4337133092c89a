"""``dlcourse grade report``: statistics on a synthetic class whose numbers are known exactly,
grouped failure messages, and the command on a real gradebook graded by ``dlcourse grade run``.

The class graded through the command line runs without the sandbox (``--no-sandbox``: the
report reads the gradebook, not the sandbox), so this file runs without root too; about a
minute on 2 busy cores.
"""

from __future__ import annotations

import csv
import html.parser
import io
import math
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import numpy as np
import pytest
from scipy import stats
from test_grading import WRONG_SQUARE, _class

from dlcourse.grading import demo
from dlcourse.grading.report import (
    ClassTable,
    StudentRow,
    group_messages,
    item_rest_correlation,
    item_statistics,
    needs_a_look,
    normalise_message,
    status_counts,
)
from dlcourse.grading.report_page import ClassResults, render_report

# --------------------------------------------------------------------------- synthetic class


def _synthetic() -> ClassTable:
    """Six graded students, one late, one failed and flagged, one missing, one not graded.

    ``all`` everyone passes; ``twin_a`` and ``twin_b`` are the same right/wrong item, so each
    one's rest (``all`` + the twin = 1 + the item) is a linear function of the item: r = 1.
    """
    students = [("s1", "graded"), ("s2", "graded"), ("s3", "late"), ("s4", "failed"), ("s5", "graded"),
                ("s6", "graded"), ("s7", "missing"), ("s8", "not graded")]
    items = ["all", "twin_a", "twin_b"]
    scores = np.array([
        [1, 1, 1],
        [1, 1, 1],
        [1, 1, 1],
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [np.nan] * 3,
        [np.nan] * 3,
    ], dtype=float)
    rows = []
    for (sid, status), line in zip(students, scores):
        score = None if status == "not graded" else float(np.nansum(line))
        kinds = {"tampered_tests"} if sid == "s4" else set()
        rows.append(StudentRow(sid, status, score, 3.0, 7200.0 if status == "late" else 0.0,
                               "test cells tampered with and restored" if sid == "s4" else "", kinds))
    return ClassTable(rows, items, np.ones(3), scores)


def test_status_counts_include_flagged_students():
    counts = status_counts(_synthetic().rows)
    assert counts == {"graded": 4, "late": 1, "failed": 1, "flagged": 1, "missing": 1, "not graded": 1}


def test_an_item_everyone_passes_has_difficulty_one_and_no_discrimination():
    by_item = {s.item: s for s in item_statistics(_synthetic())}
    everyone = by_item["all"]
    assert everyone.students == 6  # the missing and the not-graded students are left out
    assert everyone.difficulty == 1.0 and everyone.pass_rate == 1.0
    assert math.isnan(everyone.discrimination) and not everyone.defined
    assert everyone.undefined_because == "everyone scored the same on this item"


def test_items_correlated_perfectly_with_the_rest():
    by_item = {s.item: s for s in item_statistics(_synthetic())}
    assert by_item["twin_a"].discrimination == pytest.approx(1.0)
    assert by_item["twin_b"].discrimination == pytest.approx(1.0)
    assert by_item["twin_a"].difficulty == 0.5
    # an item passed only by the students with less of the rest: r = -1
    assert item_rest_correlation([0, 0, 1, 1], [2, 2, 1, 1])[0] == pytest.approx(-1.0)


def test_point_biserial_by_hand_and_against_scipy():
    # item [1, 1, 0, 0], rest [3, 2, 1, 0]: means 2.5 and 0.5, population sd of the rest sqrt(5/4),
    # p = q = 1/2, so r = (2.5 - 0.5) / sqrt(5/4) * sqrt(1/4) = 2 / sqrt(5)
    r, why = item_rest_correlation([1, 1, 0, 0], [3, 2, 1, 0])
    assert why == "" and r == pytest.approx(2 / math.sqrt(5), abs=1e-12)
    rng = np.random.default_rng(0)
    ability = rng.normal(size=40)
    scores = (ability[:, None] + rng.normal(size=(40, 6)) > 0).astype(float)
    scores[:, 5] *= 2  # a two-point item: still right/wrong, scored 0 or 2
    table = ClassTable([StudentRow(f"s{i}", "graded", 0.0, 7.0) for i in range(40)], [f"q{j}" for j in range(6)],
                       np.array([1, 1, 1, 1, 1, 2.0]), scores)
    for j, s in enumerate(item_statistics(table)):
        rest = scores.sum(axis=1) - scores[:, j]
        expected = stats.pointbiserialr(scores[:, j] > 0, rest).statistic
        assert s.discrimination == pytest.approx(expected, abs=1e-12), s.item
        assert s.difficulty == pytest.approx(scores[:, j].mean() / table.points[j])


def test_partial_credit_items_as_in_the_knowledge_check():
    # ex06_knowledge_check grades three questions per cell (0 to 3 points): difficulty is the share of
    # the points earned, the pass rate the share with all three, discrimination Pearson's r with the rest
    quiz = np.array([3, 2, 2, 1, 0, 3.0])
    other = np.array([1, 1, 0, 1, 0, 1.0])
    table = ClassTable([StudentRow(f"s{i}", "graded", 0.0, 4.0) for i in range(6)], ["quiz", "other"],
                       np.array([3.0, 1.0]), np.column_stack([quiz, other]))
    q = item_statistics(table)[0]
    assert q.difficulty == pytest.approx(11 / 18) and q.pass_rate == pytest.approx(2 / 6)
    assert q.discrimination == pytest.approx(stats.pearsonr(quiz, other).statistic, abs=1e-12)


def test_discrimination_undefined_when_the_rest_has_no_spread_or_too_few_students():
    assert item_rest_correlation([1, 0, 1], [2, 2, 2]) == (
        pytest.approx(math.nan, nan_ok=True), "everyone scored the same on the rest of the assignment")
    r, why = item_rest_correlation([1, 0], [1, 0])
    assert math.isnan(r) and "at least 3" in why


def test_a_cell_waiting_for_a_manual_grade_leaves_the_others_alone():
    rows = [StudentRow(s, "graded", 0.0, 3.0) for s in "abcd"]
    scores = np.array([[1, 1, np.nan], [1, 0, 2], [0, 0, np.nan], [0, 1, 1]], dtype=float)
    table = ClassTable(rows, ["t1", "t2", "essay"], np.array([1.0, 1.0, 2.0]), scores, [True, True, False])
    essay = item_statistics(table)[2]
    assert (essay.students, essay.mean_score, essay.autograded) == (2, 1.5, False)
    t1 = item_statistics(table)[0]
    assert t1.discrimination == pytest.approx(stats.pearsonr([1, 1, 0, 0], [1, 2, 0, 2]).statistic)


def test_bad_tables_are_refused_with_what_is_wrong():
    with pytest.raises(ValueError, match="points has 1 values for 2 items"):
        ClassTable([StudentRow("a", "graded", 1.0, 1.0)], ["t1", "t2"], np.ones(1), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"scores has shape \(1, 3\), expected \(students, items\) = \(1, 2\)"):
        ClassTable([StudentRow("a", "graded", 1.0, 1.0)], ["t1", "t2"], np.ones(2), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        needs_a_look([], low_score=50)


def test_equivalent_messages_group_and_different_ones_do_not():
    entries = [
        ("s1", "run", "problem1: timeout in cell 4 (grade_id test_mean) after 30 s"),
        ("s2", "run", "problem1: timeout in cell 7 (grade_id test_mean) after 30 s"),
        ("s3", "test_square", "FileNotFoundError: [Errno 2] No such file or directory: '/home/s3/data.csv'"),
        ("s4", "test_square", "FileNotFoundError: [Errno 2] No such file or directory: 'C:\\Users\\s4\\d.csv'"),
        ("s4", "test_mean", "AssertionError: expected 0.5, got 0.49999"),
        ("s4", "test_mean", "AssertionError: expected 1e-3, got -2"),
        ("s5", "test_mean", "NameError: name 'mean' is not defined"),
        ("s5", "test_mean", "   "),
    ]
    groups = group_messages(entries)
    got = [(g.pattern, g.students, g.count) for g in groups]
    assert got == [
        ("FileNotFoundError: [Errno <n>] No such file or directory: '…'", ["s3", "s4"], 2),
        ("problem<n>: timeout in cell <n> (grade_id test_mean) after <n> s", ["s1", "s2"], 2),
        ("AssertionError: expected <n>, got <n>", ["s4"], 2),
        ("NameError: name '…' is not defined", ["s5"], 1),
    ]
    assert groups[0].where == ["test_square"] and groups[0].example.endswith("'/home/s3/data.csv'")
    assert normalise_message("at 0x7f00beef in /usr/lib/x.so\n  line 3") == "at <addr> in <path> line <n>"


def test_students_who_need_a_look():
    look = needs_a_look(_synthetic().rows, low_score=0.0)
    assert [(r.student, why[0].split(":")[0].split(" (")[0]) for r, why in look] == [
        ("s4", "flagged"), ("s8", "not graded"), ("s3", "late")]
    low = needs_a_look(_synthetic().rows, low_score=0.5)  # 1 of 3 is below 50 %, 3 of 3 is not
    assert [r.student for r, _ in low] == ["s4", "s8", "s3", "s5", "s6"]
    assert dict((r.student, w) for r, w in low)["s5"] == ["low score (1 of 3)"]
    assert [r.student for r, _ in needs_a_look(_synthetic().rows, low_score=0.0)] == ["s4", "s8", "s3"]


class _Images(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        for key in ("src", "href"):
            if attrs.get(key) and not str(attrs[key]).startswith("data:"):
                self.external.append(str(attrs[key]))
        if tag in ("script", "link"):
            self.external.append(tag)


def test_page_is_self_contained_and_every_figure_has_alt_text():
    table = _synthetic()
    page = render_report(ClassResults("ps1", table, [("s4", "twin_a", "AssertionError: got 3")]), low_score=0.5)
    parser = _Images()
    parser.feed(page)
    assert len(parser.images) == 4 and parser.external == []
    for img in parser.images:
        assert str(img["src"]).startswith("data:image/png;base64,") and len(str(img["src"])) > 2000
        assert img["alt"] and len(str(img["alt"])) > 40
    alts = " ".join(str(i["alt"]) for i in parser.images)
    assert "4 graded, 1 late, 1 failed, 1 flagged, 1 missing, 1 not graded" in alts
    assert "undefined: everyone scored the same on this item" in page
    assert "<code>AssertionError: got &lt;n&gt;</code>" in page


def test_a_class_nobody_has_submitted_to_renders_and_says_so():
    rows = [StudentRow(s, "missing", 0.0, 2.0) for s in ("a", "b")]
    page = render_report(ClassResults("ps1", ClassTable(rows, ["t1"], np.ones(1), np.full((2, 1), np.nan))))
    parser = _Images()
    parser.feed(page)
    assert len(parser.images) == 3 and all(i["alt"] for i in parser.images)  # no item has a discrimination
    assert "no student has been graded yet" in page and "No test cell failed" in page
    assert "undefined: only 0 graded student(s)" in page


def test_report_code_leaves_the_pyplot_backend_and_figures_alone():
    import matplotlib
    import matplotlib.pyplot as plt

    before = (matplotlib.get_backend(), plt.get_fignums())
    render_report(ClassResults("ps1", _synthetic()))
    assert (matplotlib.get_backend(), plt.get_fignums()) == before


# --------------------------------------------------------------------------- a real class, through the CLI

RAISES_7X = {"square": "def square(x):\n    raise ValueError(f'no square for {7 * x}')", "mean": demo.CORRECT["mean"]}
RAISES_X = {"square": "def square(x):\n    raise ValueError(f'no square for {x}')", "mean": demo.CORRECT["mean"]}
WRONG_MEAN = {"square": demo.CORRECT["square"], "mean": "def mean(xs):\n    return sum(xs) / 3"}


@pytest.fixture(scope="module")
def reported_class(tmp_path_factory):
    """test_grading's class (ada, alan wrong, grace late, edsger renamed, barbara missing) plus a
    student who edited a test (ken), two whose function raises (linus, guido) and a wrong mean
    (margaret); graded by ``dlcourse grade run --no-sandbox``, then ``dlcourse grade report``."""
    from dlcourse.cli import main

    root = tmp_path_factory.mktemp("course")
    roster = _class(root)
    release = root / "release" / "ps1" / "problem1.ipynb"
    tampered = demo.student_notebook(release, WRONG_SQUARE)
    for cell in tampered.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_square":
            cell.source = "pass"
    demo.submit(root, "ken", tampered)
    demo.submit(root, "linus", demo.student_notebook(release, RAISES_7X))
    demo.submit(root, "guido", demo.student_notebook(release, RAISES_X))
    demo.submit(root, "margaret", demo.student_notebook(release, WRONG_MEAN))
    with open(roster, "a") as fh:
        fh.write("ken,Ken,Thompson,\nlinus,Linus,Torvalds,\nguido,Guido,van Rossum,\nmargaret,Margaret,Hamilton,\n")
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["grade", "run", "ps1", "--course", str(root), "--roster", str(roster), "--timeout", "20",
                     "--no-progress", "--jobs", "2", "--no-sandbox"]) == 0, buf.getvalue()
        assert main(["grade", "report", "ps1", "--course", str(root), "--low-score", "0.5"]) == 0
    return root, buf.getvalue()


def test_cli_writes_the_page_and_the_csv(reported_class):
    root, out = reported_class
    folder = root / "dlcourse_grading" / "ps1"
    assert f"report: {folder / 'report.html'}" in out
    with open(folder / "report.csv", newline="") as fh:
        rows = {r["item"]: r for r in csv.DictReader(fh)}
    assert list(rows) == ["test_square", "test_mean"]
    # graded: ada, alan, grace, edsger, ken, linus, guido, margaret (barbara is missing)
    square = np.array([2, 0, 2, 2, 0, 0, 0, 2.0])
    mean = np.array([3, 3, 3, 3, 3, 3, 3, 0.0])
    assert rows["test_square"]["students"] == "8"
    assert float(rows["test_square"]["pass_rate"]) == 0.5 and float(rows["test_mean"]["pass_rate"]) == 0.875
    assert float(rows["test_mean"]["difficulty"]) == 0.875
    assert float(rows["test_square"]["discrimination"]) == pytest.approx(
        stats.pointbiserialr(square > 0, mean).statistic, abs=1e-4)
    assert float(rows["test_mean"]["discrimination"]) == pytest.approx(
        stats.pointbiserialr(mean > 0, square).statistic, abs=1e-4)


def test_page_from_the_gradebook_groups_messages_and_lists_students(reported_class):
    root, _ = reported_class
    page = (root / "dlcourse_grading" / "ps1" / "report.html").read_text()
    parser = _Images()
    parser.feed(page)
    assert len(parser.images) == 4 and parser.external == [] and all(i["alt"] for i in parser.images)
    assert "Bar chart of the status of 9 students: 6 graded, 1 late, 1 failed, 1 flagged, 1 missing" in page
    # linus's 21 and guido's 3 are one message; alan's and ken's failing visible line another
    assert "<code>ValueError: no square for &lt;n&gt;</code>" in page
    assert "linus, guido" not in page and "guido, linus" in page
    square_group = "<code>AssertionError at `assert square(&lt;n&gt;) == &lt;n&gt;`</code>"
    assert square_group in page and "alan, ken" in page.split(square_group)[1].split("</tr>")[0]
    assert "assert mean([10]) == 10" in page  # a hidden test's line: the page is for the instructor only
    look = page.split("Students who need a look")[1]
    assert look.index("ken") < look.index("grace") < look.index("margaret")
    assert "flagged" in look and "low score (2 of 5)" in look and "late (3.5 h)" in look
    assert "barbara" not in look  # missing is in the counts, not a student to chase here


def test_an_unknown_assignment_is_a_clear_error(reported_class, capsys):
    from dlcourse.cli import main

    assert main(["grade", "report", "nope", "--course", str(reported_class[0])]) == 1
    assert "'nope' is not in the gradebook" in capsys.readouterr().err


def test_report_reads_the_autograded_notebooks_it_says(reported_class):
    root, _ = reported_class
    nb = nbformat.read(root / "autograded" / "alan" / "ps1" / "problem1.ipynb", as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors, "alan's wrong square should have failed a test cell"
    assert Path(root / "dlcourse_grading" / "ps1" / "report.html").stat().st_size < 2_000_000


def test_cli_help_describes_the_report(capsys):
    from dlcourse.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["grade", "report", "--help"])
    assert stop.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "report.html (self-contained" in text and "point-biserial" in text and "--low-score FRACTION" in text
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    assert "a one-page HTML report" in capsys.readouterr().out
