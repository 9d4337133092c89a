"""``dlcourse grade report``: one self-contained HTML page and a CSV about a class's results.

:func:`read_class` reads a graded assignment from the course (the export's rows and statuses,
the gradebook's points per graded cell, the failure messages in ``autograded/`` and in the
last run's reasons) into a :class:`~dlcourse.grading.report.ClassTable`;
:func:`render_report` turns the statistics of :mod:`.report` into HTML with its figures
embedded as base64 PNG and its CSS inline, so the page opens anywhere, offline, and can be
mailed; :func:`write_report` writes ``report.html`` and ``report.csv`` (one row per graded
cell) under ``COURSE/dlcourse_grading/ASSIGNMENT/``.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot, so the caller's backend and
figures are left alone), in the course style (:data:`dlcourse.plotting.STYLE`, colours from
:data:`dlcourse.plotting.PALETTE`), each with a title, labelled axes and alt text that says
what it shows.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
import math
import os
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .report import (
    COUNTED,
    GRADED_STATUSES,
    ClassTable,
    ItemStats,
    MessageGroup,
    StudentRow,
    group_messages,
    item_statistics,
    needs_a_look,
    status_counts,
)

#: The CSV's columns: one row per graded cell.
CSV_COLUMNS = ["assignment", "item", "autograded", "points", "students", "mean_score", "pass_rate", "difficulty",
               "discrimination", "discrimination_undefined_because"]


@dataclass
class ClassResults:
    """What :func:`read_class` found: the table and the failure messages ``(student, where, message)``.

    Examples
    --------
    >>> import numpy as np
    >>> ClassResults("ps1", ClassTable([], [], np.zeros(0), np.zeros((0, 0)))).messages
    []
    """

    assignment: str
    table: ClassTable
    messages: list[tuple[str, str, str]] = field(default_factory=list)
    warning: str = ""  # e.g. the last grading run did not finish


def _error_message(output: Any, source: str) -> str:
    """One line for an error output: ``ename: evalue``, or the failing line when there is no message."""
    from .feedback import cell_error_line

    ename = output.get("ename") or "Error"
    evalue = " ".join(str(output.get("evalue", "")).split())
    if evalue:
        return f"{ename}: {evalue}"[:300]
    line_no = cell_error_line(output.get("traceback", []))
    lines = source.split("\n")
    if line_no is not None and 1 <= line_no <= len(lines):
        return f"{ename} at `{lines[line_no - 1].strip()}`"[:300]
    return f"{ename} (no message)"


def _cell_order(path: Path) -> list[str]:
    """Return the grade ids of a notebook in the order of its cells ([] when it cannot be read)."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return []
    return [c.metadata.get("nbgrader", {}).get("grade_id", "") for c in nb.cells]


def read_class(course_root: str | os.PathLike, assignment: str) -> ClassResults:
    """Read a graded assignment from the course: statuses, points per graded cell, failure messages.

    Parameters
    ----------
    course_root : str or os.PathLike
        The nbgrader course folder.
    assignment : str
        The assignment name.

    Returns
    -------
    ClassResults
        One row per student of the export (:func:`~dlcourse.grading.export.export_rows`),
        the points of every graded cell (a cell waiting for a manual grade is NaN), and the
        messages of failing test cells and of the last run's failure reasons.

    Raises
    ------
    ValueError
        If the assignment is not in the gradebook.

    Examples
    --------
    A demo course (:mod:`.demo`) with one submission that no run has graded yet:

    >>> import tempfile, pathlib
    >>> from dlcourse.grading.demo import make_demo_course, student_notebook, submit
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = submit(root, "s01", student_notebook(make_demo_course(root)))
    >>> found = read_class(root, "ps1")
    >>> found.table.items, [(r.student, r.status) for r in found.table.rows]
    (['test_square', 'test_mean'], [('s01', 'not graded')])
    """
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.coursedir import CourseDirectory

    from .course import last_run_problem, load_course_config, load_results, quiet_logger
    from .export import export_rows
    from .status import FAILURES

    root = Path(course_root).resolve()
    rows = export_rows(root, assignment)  # raises ValueError for an assignment not in the gradebook
    saved = load_results(root, assignment)
    config = load_course_config(root)
    coursedir = CourseDirectory(config=config, log=quiet_logger("coursedir"))
    students = []
    for r in rows:
        kinds = {x["kind"] for x in saved.get(r["student_id"], {}).get("reasons", [])}
        students.append(StudentRow(r["student_id"], r["status"], r["score"], float(r["max_score"]),
                                   float(r["seconds_late"] or 0.0), r["reasons"], kinds))
    index = {row.student: i for i, row in enumerate(students)}
    messages: list[tuple[str, str, str]] = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        a = gb.find_assignment(assignment)
        notebooks = sorted(nb.name for nb in a.notebooks)
        items: list[tuple[str, str, float, bool]] = []  # notebook, grade_id, points, autograded
        for nb in sorted(a.notebooks, key=lambda n: n.name):
            solution = {c.name for c in nb.solution_cells}
            order = _cell_order(Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
                                / f"{nb.name}.ipynb")
            cells = sorted(nb.grade_cells, key=lambda c: (order.index(c.name) if c.name in order else len(order),
                                                          c.name))
            items += [(nb.name, c.name, float(c.max_score), c.name not in solution) for c in cells]
        column = {(nb, gid): j for j, (nb, gid, _, _) in enumerate(items)}
        scores = np.full((len(students), len(items)), np.nan)
        for row in students:
            if row.status not in GRADED_STATUSES:
                continue
            try:
                sub = gb.find_submission(assignment, row.student)
            except MissingEntry:
                continue
            for snb in sub.notebooks:
                for g in snb.grades:
                    j = column.get((snb.name, g.name))
                    if j is None:
                        continue
                    value = g.manual_score if g.manual_score is not None else g.auto_score
                    if value is not None:
                        scores[index[row.student], j] = float(value) + float(g.extra_credit or 0.0)

    one_notebook = len(notebooks) == 1
    names = [gid if one_notebook else f"{nb}/{gid}" for nb, gid, _, _ in items]
    label = {(nb, gid): names[j] for (nb, gid), j in column.items()}
    autograded_dir = Path(coursedir.format_path(coursedir.autograded_directory, ".", ".")).resolve()
    for row in students:
        if row.status not in GRADED_STATUSES:
            continue
        for nb_name in notebooks:
            path = autograded_dir / row.student / assignment / f"{nb_name}.ipynb"
            if not path.is_file():
                continue
            try:
                nb = nbformat.read(path, as_version=4)
            except (OSError, ValueError):
                continue
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                where = label.get((nb_name, meta.get("grade_id", "")))
                if cell.cell_type != "code" or where is None or meta.get("solution"):
                    continue
                for out in cell.get("outputs", []):
                    if out.get("output_type") == "error":
                        messages.append((row.student, where, _error_message(out, cell.source)))
        for reason in saved.get(row.student, {}).get("reasons", []):
            if reason.get("kind") in FAILURES:
                messages.append((row.student, reason.get("notebook") or "grading run", reason.get("message", "")))
    table = ClassTable(students, names, np.array([p for _, _, p, _ in items]), scores,
                       [auto for _, _, _, auto in items])
    return ClassResults(assignment, table, messages, last_run_problem(root, assignment) or "")


# --------------------------------------------------------------------------- figures


@dataclass
class ReportFigure:
    """A rendered figure: its title, PNG bytes and a text description (the img's alt text).

    Examples
    --------
    >>> ReportFigure("Scores", b"", "No graded students.").data_uri()
    'data:image/png;base64,'
    """

    title: str
    png: bytes
    alt: str

    def data_uri(self) -> str:
        """Return the PNG as a ``data:`` URI for an ``<img src>``."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _draw(title: str, alt: str, plot: Any, size: tuple[float, float] = (6.4, 3.6)) -> ReportFigure:
    """Draw with ``plot(ax)`` on an Agg canvas in the course style; return the PNG and alt text."""
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    from ..plotting import STYLE

    with matplotlib.style.context(STYLE):
        fig = MplFigure(figsize=size, dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        plot(ax)
        ax.set_title(title)
        fig.set_label(alt)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Title": title, "Description": alt})
    return ReportFigure(title, buf.getvalue(), alt)


def _status_figure(counts: dict[str, int]) -> ReportFigure:
    from ..plotting import PALETTE

    labels = list(COUNTED)
    values = [counts[k] for k in labels]
    total = sum(counts[k] for k in labels if k != "flagged")
    alt = (f"Bar chart of the status of {total} students: "
           + ", ".join(f"{counts[k]} {k}" for k in labels) + " (flagged students are also counted as failed).")

    def plot(ax: Any) -> None:
        colours = [PALETTE[2], PALETTE[1], PALETTE[3], PALETTE[4], PALETTE[7], PALETTE[5]]
        bars = ax.barh(labels[::-1], values[::-1], color=colours[::-1])
        ax.bar_label(bars, padding=3)
        ax.set_xlabel("students")
        ax.set_ylabel("status")
        ax.set_xlim(0, max(values + [1]) * 1.15)

    return _draw("Status of every student on the roster", alt, plot, (6.4, 3.0))


def _score_figure(totals: list[float], max_score: float, low_score: float) -> ReportFigure:
    from ..plotting import PALETTE

    if totals:
        alt = (f"Histogram of the scores of {len(totals)} graded students out of {max_score:g} points: "
               f"median {statistics.median(totals):g}, mean {statistics.fmean(totals):.2f}, lowest {min(totals):g}, "
               f"highest {max(totals):g}; {sum(t < low_score * max_score for t in totals)} below the low-score line "
               f"at {low_score * max_score:g}.")
    else:
        alt = "Histogram of the scores: no student has been graded yet, so it is empty."

    def plot(ax: Any) -> None:
        top = max(max_score, max(totals, default=0.0), 1.0)
        if top <= 30 and float(top).is_integer():
            bins = np.arange(-0.5, top + 1.0, 1.0)  # one bar per whole point
        else:
            bins = np.linspace(0.0, top, 11)
        ax.hist(totals, bins=bins, color=PALETTE[0], edgecolor="white")
        ax.axvline(low_score * max_score, color=PALETTE[3], linestyle="--", label=f"low score ({low_score:.0%})")
        ax.set_xlabel(f"score (out of {max_score:g})")
        ax.set_ylabel("students")
        ax.legend(loc="upper left")

    return _draw("Score distribution (graded students)", alt, plot)


def _pass_rate_figure(stats: list[ItemStats]) -> ReportFigure:
    from ..plotting import PALETTE

    shown = [s for s in stats if s.students]
    if shown:
        low = min(shown, key=lambda s: s.pass_rate)
        high = max(shown, key=lambda s: s.pass_rate)
        alt = (f"Bar chart of the share of graded students with full marks on each of {len(shown)} graded cells; "
               f"lowest {low.item} ({low.pass_rate:.0%}), highest {high.item} ({high.pass_rate:.0%}).")
    else:
        alt = "Bar chart of pass rates per graded cell: no cell has a graded score yet, so it is empty."

    def plot(ax: Any) -> None:
        names = [s.item for s in shown][::-1]
        rates = [100 * s.pass_rate for s in shown][::-1]
        colours = [PALETTE[0] if s.autograded else PALETTE[1] for s in shown][::-1]
        bars = ax.barh(names, rates, color=colours)
        ax.bar_label(bars, labels=[f"{r:.0f}%" for r in rates], padding=3)
        if len({s.autograded for s in shown}) > 1:  # say which colour is which when both kinds are there
            from matplotlib.patches import Patch

            ax.legend(handles=[Patch(color=PALETTE[0], label="test cell"),
                               Patch(color=PALETTE[1], label="graded by hand")], loc="lower right")
        ax.set_xlim(0, 115)
        ax.set_xlabel("students with full marks (%)")
        ax.set_ylabel("graded cell")

    return _draw("Pass rate of every graded cell", alt, plot, (6.4, max(2.4, 0.9 + 0.35 * len(shown))))


def _item_figure(stats: list[ItemStats]) -> ReportFigure | None:
    from ..plotting import PALETTE

    shown = [s for s in stats if s.defined]
    if not shown:
        return None
    weakest = min(shown, key=lambda s: s.discrimination)
    alt = (f"Scatter plot of difficulty (share of points earned) against discrimination (correlation with the rest "
           f"of the score) for {len(shown)} items whose discrimination is defined; the weakest is {weakest.item} "
           f"(difficulty {weakest.difficulty:.2f}, discrimination {weakest.discrimination:.2f}).")

    def plot(ax: Any) -> None:
        ax.axhline(0.0, color=PALETTE[7], linewidth=0.8)
        ax.scatter([s.difficulty for s in shown], [s.discrimination for s in shown], color=PALETTE[0], zorder=3)
        for s in shown:
            ax.annotate(s.item, (s.difficulty, s.discrimination), textcoords="offset points", xytext=(4, 4),
                        fontsize=8)
        ax.set_xlim(-0.05, 1.1)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel("difficulty (share of the points earned)")
        ax.set_ylabel("discrimination (item-rest r)")

    return _draw("Item analysis: difficulty and discrimination", alt, plot)


# --------------------------------------------------------------------------- page

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:62rem;padding:0 1rem;
color:#1a1a1a;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}img{max-width:100%;height:auto}figcaption{font-size:.88rem;color:#444}
.warning{background:#fff4e0;border-left:4px solid #E69F00;padding:.5rem .8rem}.muted{color:#555;font-size:.9rem}
code{background:#f4f4f4;padding:0 .2rem}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float, fmt: str = "{:.2f}") -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else fmt.format(value)


def _figure_html(fig: ReportFigure) -> str:
    return (f'<figure><img src="{fig.data_uri()}" alt="{_e(fig.alt)}" title="{_e(fig.title)}">'
            f"<figcaption>{_e(fig.alt)}</figcaption></figure>")


def _table(head: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    out = ["<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_report(results: ClassResults, *, low_score: float = 0.5, top: int = 10,
                  generated: dt.datetime | None = None) -> str:
    """Render the report page: status, scores, pass rates, item analysis, failure messages, students to see.

    Parameters
    ----------
    results : ClassResults
        What :func:`read_class` returned (or a table built by hand).
    low_score : float, optional
        Students below this fraction of the maximum are listed as ``low score``.
    top : int, optional
        How many groups of failure messages to show.
    generated : datetime.datetime, optional
        The time printed on the page (default: now, UTC).

    Returns
    -------
    str
        A complete HTML document with inline CSS and figures as base64 PNG (no network).

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.grading.report import StudentRow, ClassTable
    >>> rows = [StudentRow(s, "graded", t, 2.0) for s, t in [("a", 2.0), ("b", 1.0), ("c", 0.0)]]
    >>> table = ClassTable(rows, ["t1", "t2"], np.ones(2), np.array([[1, 1], [1, 0], [0, 0]]))
    >>> page = render_report(ClassResults("ps1", table, [("c", "t1", "AssertionError: got 3")]))
    >>> page.startswith("<!DOCTYPE html>"), page.count("<img "), page.count('alt=""'), "http" in page
    (True, 4, 0, False)
    """
    table = results.table
    counts = status_counts(table.rows)
    stats = item_statistics(table)
    graded = [r for r in table.rows if r.status in GRADED_STATUSES and r.score is not None]
    totals = [float(r.score) for r in graded if r.score is not None]
    max_score = max((r.max_score for r in table.rows), default=float(np.nansum(table.points)))
    when = (generated or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    title = f"Grading report: {results.assignment}"
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{_CSS}</style></head>"
             f"<body><h1>{_e(title)}</h1>",
             f"<p class=\"muted\">{len(table.rows)} students, {len(graded)} graded (graded, late or failed), "
             f"maximum score {max_score:g}; generated {when} by <code>dlcourse grade report</code>. For "
             "instructors only: failure messages quote test lines, hidden tests included.</p>"]
    if results.warning:
        parts.append(f'<p class="warning">Warning: {_e(results.warning)}. The numbers below are what the gradebook '
                     "holds now.</p>")

    parts.append("<h2>Status</h2>")
    parts.append(_figure_html(_status_figure(counts)))
    parts.append(_table(["status", "students"], [[_e(k), str(counts[k])] for k in COUNTED], {1}))

    parts.append("<h2>Score distribution</h2>")
    parts.append(_figure_html(_score_figure(totals, max_score, low_score)))
    if totals:
        summary = [["mean", f"{statistics.fmean(totals):.2f}"], ["median", f"{statistics.median(totals):g}"],
                   ["lowest", f"{min(totals):g}"], ["highest", f"{max(totals):g}"],
                   ["standard deviation", f"{statistics.pstdev(totals):.2f}"]]
        parts.append(_table(["of the graded students", f"score (out of {max_score:g})"], summary, {1}))

    parts.append("<h2>Graded cells: pass rate, difficulty, discrimination</h2>")
    parts.append(_figure_html(_pass_rate_figure(stats)))
    parts.append(
        "<p><b>Pass rate</b>: share of graded students with full marks on the cell. <b>Difficulty</b>: share of "
        "the cell's points the graded students earned (for a right/wrong item, the proportion correct; 1 = everyone "
        "got it). <b>Discrimination</b>: the correlation of the cell's points with the rest of the score (total "
        "minus the cell); for a right/wrong item this is the point-biserial correlation. Near 0 or negative: the "
        "cell does not separate students who did well elsewhere from those who did not; check its key or its "
        "test. It is undefined when everyone scored the same on the cell or on the rest.</p>")
    item_rows = []
    for s in stats:
        disc = _num(s.discrimination) if s.defined else f"undefined: {_e(s.undefined_because)}"
        item_rows.append([_e(s.item), "test" if s.autograded else "manual", f"{s.points:g}", str(s.students),
                          _num(s.mean_score), _num(s.pass_rate, "{:.0%}"), _num(s.difficulty), disc])
    parts.append(_table(["cell", "graded by", "points", "students", "mean points", "pass rate", "difficulty",
                         "discrimination"], item_rows, {2, 3, 4, 5, 6}))
    item_fig = _item_figure(stats)
    if item_fig is not None:
        parts.append(_figure_html(item_fig))
    else:
        parts.append("<p class=\"muted\">No item has a defined discrimination, so there is no item-analysis "
                     "figure.</p>")

    parts.append("<h2>Most frequent failure messages</h2>")
    groups: list[MessageGroup] = group_messages(results.messages)
    if groups:
        parts.append(f"<p class=\"muted\">Messages of failing test cells and of the grading run, grouped when they "
                     f"differ only in numbers, paths, addresses or quoted values (shown as <code>&lt;n&gt;</code>, "
                     f"<code>&lt;path&gt;</code>, <code>&lt;addr&gt;</code>, <code>'…'</code>); "
                     f"{min(top, len(groups))} of {len(groups)} groups.</p>")
        msg_rows = [[str(len(g.students)), str(g.count), _e(", ".join(g.where)), f"<code>{_e(g.pattern)}</code>",
                     _e(g.example), _e(", ".join(g.students[:12]) + (" …" if len(g.students) > 12 else ""))]
                    for g in groups[:top]]
        parts.append(_table(["students", "times", "where", "message", "example", "who"], msg_rows, {0, 1}))
    else:
        parts.append("<p>No test cell failed and the run recorded no failure.</p>")

    parts.append("<h2>Students who need a look</h2>")
    look = needs_a_look(table.rows, low_score=low_score)
    if look:
        parts.append(_table(["student", "status", "score", "why"],
                            [[_e(r.student), _e(r.status), "" if r.score is None else f"{r.score:g} / {r.max_score:g}",
                              "<br>".join(_e(w) for w in why)] for r, why in look], {2}))
    else:
        parts.append("<p>Nobody: no student failed, was flagged, was late or scored below "
                     f"{low_score:.0%}.</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_report(course_root: str | os.PathLike, assignment: str, *, dest: str | os.PathLike | None = None,
                 low_score: float = 0.5, top: int = 10) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.csv`` for ``assignment``.

    Parameters
    ----------
    course_root : str or os.PathLike
        The nbgrader course folder.
    assignment : str
        The assignment name.
    dest : str or os.PathLike, optional
        The folder to write to (default ``COURSE/dlcourse_grading/ASSIGNMENT``).
    low_score : float, optional
        Students below this fraction of the maximum are listed as ``low score``.
    top : int, optional
        How many groups of failure messages the page shows.

    Returns
    -------
    tuple of Path
        The HTML page and the CSV (one row per graded cell, columns :data:`CSV_COLUMNS`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from dlcourse.grading.demo import make_demo_course, student_notebook, submit
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = submit(root, "s01", student_notebook(make_demo_course(root)))
    >>> page, table = write_report(root, "ps1", dest=root / "out")
    >>> page.name, table.read_text().splitlines()[0].split(",")[:3]
    ('report.html', ['assignment', 'item', 'autograded'])
    """
    from .course import results_dir

    if not 0 <= low_score <= 1:
        raise ValueError(f"--low-score is a fraction of the maximum score, between 0 and 1 (got {low_score})")
    results = read_class(course_root, assignment)
    folder = Path(dest) if dest is not None else results_dir(Path(course_root), assignment)
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "report.html"
    tmp = page.with_suffix(".html.tmp")
    tmp.write_text(render_report(results, low_score=low_score, top=top), encoding="utf-8")
    tmp.replace(page)
    table = folder / "report.csv"
    tmp = table.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for s in item_statistics(results.table):
            writer.writerow([assignment, s.item, int(s.autograded), f"{s.points:g}", s.students,
                             *("" if math.isnan(v) else f"{v:.4f}" for v in (s.mean_score, s.pass_rate, s.difficulty,
                                                                            s.discrimination)),
                             s.undefined_because])
    tmp.replace(table)
    if results.warning:
        print(f"dlcourse grade report: warning: {results.warning}", file=sys.stderr)
    return page, table


__all__ = ["CSV_COLUMNS", "ClassResults", "ReportFigure", "read_class", "render_report", "write_report"]
