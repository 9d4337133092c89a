"""Rosters, nbgrader's ``submitted/`` layout and LMS zip downloads.

A roster is a CSV file with a header. Recognised columns (case-insensitive):

``id`` (or ``student_id``, ``username``)
    the nbgrader student id, required;
``first_name``, ``last_name``, ``email``
    optional, copied into the gradebook;
``lms_id`` (or ``lms_user_id``)
    optional: the learning-management system's user number, used to match zip downloads.

Zip downloads are matched to roster students from the entry names:

* Canvas ("Download submissions"): ``doejane_12345_678901_problem1.ipynb``, or
  ``doejane_LATE_12345_...`` for late work (user 12345; the name is last+first);
* Moodle ("Download all submissions"): ``Jane Doe_12345_assignsubmission_file_/problem1.ipynb``
  (folders) or ``Jane Doe_12345_assignsubmission_file_problem1.ipynb`` (flat);
* anything else: a top folder named after the student id (``s01/problem1.ipynb``) or a file
  name that starts with it (``s01_problem1.ipynb``, ``s01-problem1.ipynb``).

Entries that match nobody, or more than one student, are reported, never dropped silently.
Zip entries are extracted defensively: no absolute paths, no ``..``, no links, bounded sizes.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .executor import IGNORED_FILES

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


@dataclass
class Student:
    """A roster student.

    Examples
    --------
    >>> Student("s01", first_name="Ada", last_name="Lovelace").id
    's01'
    """

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_id: str = ""


_ID_COLS = ("id", "student_id", "username", "student")
_COLS = {
    "first_name": ("first_name", "first", "firstname", "given_name"),
    "last_name": ("last_name", "last", "lastname", "surname", "family_name"),
    "email": ("email", "e-mail", "mail"),
    "lms_id": ("lms_id", "lms_user_id", "canvas_id", "moodle_id", "user_id"),
}
_VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


def load_roster(path: str | os.PathLike) -> list[Student]:
    r"""Read a roster CSV (see the module docstring); ids must be unique and path-safe.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file, with a header row.

    Returns
    -------
    list of Student
        The students in file order; a row without an id is skipped.

    Raises
    ------
    ValueError
        No id column, an id that is not usable as a folder name or appears twice, or no students.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "roster.csv"
    >>> _ = p.write_text("id,first_name,last_name\ns01,Ada,Lovelace\ns02,Alan,Turing\n")
    >>> [s.id for s in load_roster(p)]
    ['s01', 's02']
    """
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            raise ValueError(f"{path}: the roster is empty")
        cols = {c.strip().lower(): c for c in reader.fieldnames}
        id_col = next((cols[c] for c in _ID_COLS if c in cols), None)
        if id_col is None:
            raise ValueError(f"{path}: the roster needs an 'id' column (found: {', '.join(reader.fieldnames)})")
        out: list[Student] = []
        seen: set[str] = set()
        for n, row in enumerate(reader, start=2):
            sid = (row.get(id_col) or "").strip()
            if not sid:
                continue
            if not _VALID_ID.match(sid) or sid in (".", ".."):
                raise ValueError(f"{path}, line {n}: student id {sid!r} is not usable as a folder name")
            if sid in seen:
                raise ValueError(f"{path}, line {n}: student id {sid!r} appears twice")
            seen.add(sid)
            extra = {}
            for key, names in _COLS.items():
                col = next((cols[c] for c in names if c in cols), None)
                extra[key] = (row.get(col) or "").strip() if col else ""
            out.append(Student(sid, **extra))
    if not out:
        raise ValueError(f"{path}: the roster lists no students")
    return out


# --------------------------------------------------------------------------- notebook names

_SUFFIXES = [
    re.compile(r"\s*\(\d+\)$"),  # "problem1 (1)"
    re.compile(r"[-_ ]\d+$"),  # Canvas "problem1-1"
    re.compile(r"[-_ ]?copy\d*$"),  # "problem1 - Copy", "problem1_copy"
    re.compile(r"^copy[-_ ]of[-_ ]"),  # "Copy of problem1"
]


def _canon(name: str) -> str:
    stem = name[:-6] if name.lower().endswith(".ipynb") else name
    stem = stem.strip().lower()
    for _ in range(3):
        for rx in _SUFFIXES:
            stem = rx.sub("", stem).strip(" -_")
    return re.sub(r"[^a-z0-9]", "", stem)


def match_notebooks(files: list[str], expected: list[str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Match submitted notebook file names to the assignment's notebook names.

    Parameters
    ----------
    files : list of str
        The submitted notebook file names.
    expected : list of str
        The assignment's notebook names, without ``.ipynb``.

    Returns
    -------
    tuple of (dict, dict, list)
        ``(matched, renamed, extra)``: expected name -> file, expected name -> original
        file name for inexact matches, and files that match nothing.

    Examples
    --------
    >>> match_notebooks(["Problem1 (1).ipynb", "scratch.ipynb"], ["problem1"])
    ({'problem1': 'Problem1 (1).ipynb'}, {'problem1': 'Problem1 (1).ipynb'}, ['scratch.ipynb'])
    """
    matched: dict[str, str] = {}
    renamed: dict[str, str] = {}
    left = sorted(files)
    for name in expected:
        if f"{name}.ipynb" in left:
            matched[name] = f"{name}.ipynb"
            left.remove(f"{name}.ipynb")
    for name in expected:
        if name in matched:
            continue
        cands = [f for f in left if _canon(f) == _canon(name)]
        if len(cands) >= 1:
            pick = sorted(cands, key=lambda f: (len(f), f))[-1] if len(cands) > 1 else cands[0]
            matched[name] = pick
            renamed[name] = pick
            left.remove(pick)
    missing = [n for n in expected if n not in matched]
    if len(missing) == 1 and len(left) == 1 and len(expected) == 1:
        matched[missing[0]] = left[0]
        renamed[missing[0]] = left[0]
        left = []
    return matched, renamed, left


# --------------------------------------------------------------------------- submitted/ layout


@dataclass
class Submission:
    """What one student submitted for one assignment, as found on disk.

    Examples
    --------
    >>> Submission("s01", None, {"problem1": None}).submitted_anything
    False
    """

    student: str
    folder: Path | None
    notebooks: dict[str, str | None] = field(default_factory=dict)  # expected name -> path
    renamed: dict[str, str] = field(default_factory=dict)
    extra_notebooks: list[str] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)  # (path, relative) regular data files
    skipped: list[str] = field(default_factory=list)  # symlinks, special files, too large, config files
    timestamp: dt.datetime | None = None
    timestamp_note: str = ""

    @property
    def submitted_anything(self) -> bool:
        """Whether any expected notebook was found."""
        return any(v is not None for v in self.notebooks.values())


def parse_timestamp(text: str) -> dt.datetime:
    r"""Parse a timestamp as nbgrader does (UTC).

    Parameters
    ----------
    text : str
        The time, e.g. the contents of a submission's ``timestamp.txt``.

    Examples
    --------
    >>> parse_timestamp("2026-03-01 12:30:00.000000 UTC\n").isoformat()
    '2026-03-01T12:30:00'
    """
    from nbgrader.utils import parse_utc

    return parse_utc(text.strip())


def scan_submission(folder: Path | None, student: str, expected: list[str], max_file_bytes: int) -> Submission:
    r"""Find a student's expected notebooks in ``folder`` without following links or reading huge files.

    Parameters
    ----------
    folder : Path or None
        ``submitted/<student>/<assignment>``; None (or not a folder) gives an empty submission.
    student : str
        The student id.
    expected : list of str
        The assignment's notebook names, without ``.ipynb``.
    max_file_bytes : int
        Data files larger than this are skipped (and listed in ``skipped``).

    Returns
    -------
    Submission
        The notebooks found (None for a missing one), data files, skipped files and timestamp.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "Problem1 (1).ipynb").write_text("{}")
    >>> _ = (folder / "data.csv").write_text("x\n1\n")
    >>> sub = scan_submission(folder, "s01", ["problem1"], max_file_bytes=1000)
    >>> sub.renamed, [rel for _, rel in sub.files]
    ({'problem1': 'Problem1 (1).ipynb'}, ['data.csv'])
    """
    sub = Submission(student, folder, {n: None for n in expected})
    if folder is None or not folder.is_dir() or folder.is_symlink():
        return sub
    notebooks: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not os.path.islink(os.path.join(dirpath, d)))
        for fname in sorted(filenames):
            full = os.path.join(dirpath, fname)
            rel = os.path.relpath(full, folder)
            st = os.lstat(full)
            if rel == "timestamp.txt":
                continue
            if fname.endswith(".ipynb") and os.sep not in rel:
                notebooks.append(fname)  # links and odd files too: the grader rejects them with a reason
                continue
            if not stat.S_ISREG(st.st_mode):
                sub.skipped.append(f"{rel} (not a regular file)")
                continue
            if IGNORED_FILES.search(rel.replace(os.sep, "/")):
                sub.skipped.append(f"{rel} (Jupyter/IPython configuration or cache)")
                continue
            if st.st_size > max_file_bytes:
                sub.skipped.append(f"{rel} (larger than {max_file_bytes} bytes)")
                continue
            sub.files.append((full, rel))
    matched, renamed, extra = match_notebooks(notebooks, expected)
    for name, fname in matched.items():
        sub.notebooks[name] = str(folder / fname)
    sub.renamed = renamed
    sub.extra_notebooks = extra
    ts = folder / "timestamp.txt"
    if ts.is_file() and not ts.is_symlink():
        try:
            sub.timestamp = parse_timestamp(ts.read_text()[:200])
        except (ValueError, OverflowError):
            sub.timestamp_note = "timestamp.txt is not a valid time; graded as if no time was recorded"
    return sub


def find_submissions(submitted_dir: Path, assignment: str, roster: list[Student], expected: list[str],
                     max_file_bytes: int = 50 << 20) -> tuple[dict[str, Submission], list[str]]:
    """Return every roster student's submission (possibly empty) and the ids found that are not on the roster.

    Parameters
    ----------
    submitted_dir : Path
        nbgrader's ``submitted/`` folder (``<student>/<assignment>/...``).
    assignment : str
        The assignment name.
    roster : list of Student
        The students to look for.
    expected : list of str
        The assignment's notebook names, without ``.ipynb``.
    max_file_bytes : int, optional
        Data files larger than this are skipped.

    Returns
    -------
    tuple of (dict, list)
        Student id -> :class:`Submission`, and the ids with a submission that are not on the roster.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sid in ("s01", "s99"):
    ...     (root / sid / "ps1").mkdir(parents=True)
    ...     _ = (root / sid / "ps1" / "problem1.ipynb").write_text("{}")
    >>> subs, strangers = find_submissions(root, "ps1", [Student("s01"), Student("s02")], ["problem1"])
    >>> subs["s01"].submitted_anything, subs["s02"].submitted_anything, strangers
    (True, False, ['s99'])
    """
    subs = {}
    for s in roster:
        folder = submitted_dir / s.id / assignment
        subs[s.id] = scan_submission(folder if folder.exists() else None, s.id, expected, max_file_bytes)
    known = {s.id for s in roster}
    strangers = []
    if submitted_dir.is_dir():
        for entry in sorted(submitted_dir.iterdir()):
            if entry.name not in known and (entry / assignment).is_dir():
                strangers.append(entry.name)
    return subs, strangers


# --------------------------------------------------------------------------- LMS zips

_CANVAS = re.compile(r"^(?P<name>[a-z0-9]+?)(?P<late>_late)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$", re.I)
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$", re.I)


@dataclass
class ZipImport:
    """What an LMS zip import wrote, and what it could not use.

    Examples
    --------
    >>> ZipImport().unmatched
    []
    """

    imported: dict[str, list[str]] = field(default_factory=dict)  # student -> files written
    late: set[str] = field(default_factory=set)  # students the LMS marked late
    unmatched: list[str] = field(default_factory=list)  # "entry: why"
    replaced: list[str] = field(default_factory=list)  # older duplicates that were not used


def _norm_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _who(entry: str, roster: list[Student]) -> tuple[list[Student], str, bool]:
    """(candidates, file path inside the student's folder, marked late) for one zip entry."""
    parts = entry.split("/")
    top, rest = parts[0], "/".join(parts[1:])
    by_id = {s.id.lower(): s for s in roster}
    by_lms = {s.lms_id: s for s in roster if s.lms_id}
    m = _MOODLE.match(top)
    if m:
        fname = rest if len(parts) > 1 else m.group("file")
        if m.group("uid") in by_lms:
            return [by_lms[m.group("uid")]], fname, False
        name = _norm_name(m.group("name"))
        return [s for s in roster if _norm_name(f"{s.first_name}{s.last_name}") == name and name], fname, False
    m = _CANVAS.match(top) if len(parts) == 1 else None
    if m:
        late = bool(m.group("late"))
        if m.group("uid") in by_lms:
            return [by_lms[m.group("uid")]], m.group("file"), late
        name = _norm_name(m.group("name"))
        cands = [s for s in roster if name and _norm_name(f"{s.last_name}{s.first_name}") == name]
        if cands:
            return cands, m.group("file"), late
        if name in by_id:
            return [by_id[name]], m.group("file"), late
    if len(parts) > 1 and top.lower() in by_id:
        return [by_id[top.lower()]], rest, False
    for sep in ("_", "-", " "):
        if sep in top and len(parts) == 1:
            head, tail = top.split(sep, 1)
            if head.lower() in by_id:
                return [by_id[head.lower()]], tail, False
    return [], top, False


def import_zip(zip_path: str | os.PathLike, submitted_dir: Path, assignment: str, roster: list[Student],
               expected: list[str], timestamp: dt.datetime | None = None, max_entry_bytes: int = 50 << 20,
               max_total_bytes: int = 2 << 30, max_entries: int = 20000) -> ZipImport:
    """Unpack an LMS download into ``submitted/<student>/<assignment>/`` (replacing those folders).

    Notebooks are written under the assignment's notebook names when they match (renamed
    copies are kept under their own names; the grader matches them again and reports it).
    ``timestamp.txt`` gets ``timestamp`` if given, else the newest entry time in the zip for
    that student (zip times have no time zone; they are read as the grader's local time).

    Parameters
    ----------
    zip_path : str or os.PathLike
        The LMS download.
    submitted_dir : Path
        nbgrader's ``submitted/`` folder.
    assignment : str
        The assignment name.
    roster : list of Student
        The students entries are matched to (by LMS id, name or student id).
    expected : list of str
        The assignment's notebook names, without ``.ipynb``.
    timestamp : datetime.datetime, optional
        The submission time (UTC) to record; default: the newest entry time per student.
    max_entry_bytes, max_total_bytes, max_entries : int, optional
        Limits: bigger entries are skipped; a bigger or longer zip is refused.

    Returns
    -------
    ZipImport
        The files written per student, late students, unmatched and replaced entries.

    Examples
    --------
    >>> import tempfile, pathlib, zipfile
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(tmp / "canvas.zip", "w") as zf:
    ...     zf.writestr("lovelaceada_LATE_12345_678901_problem1.ipynb", "{}")
    ...     zf.writestr("someone_99999_1_problem1.ipynb", "{}")
    >>> roster = [Student("s01", first_name="Ada", last_name="Lovelace")]
    >>> res = import_zip(tmp / "canvas.zip", tmp / "submitted", "ps1", roster, ["problem1"])
    >>> res.imported, res.late, len(res.unmatched)
    ({'s01': ['problem1.ipynb']}, {'s01'}, 1)
    """
    result = ZipImport()
    chosen: dict[tuple[str, str], zipfile.ZipInfo] = {}
    total = 0
    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise ValueError(f"{zip_path}: {len(infos)} entries; refusing more than {max_entries}")
        for info in infos:
            name = info.filename.replace("\\", "/")
            if info.is_dir() or name.endswith("/"):
                continue
            if name.startswith("/") or any(p in ("..", "") for p in name.split("/")) or ":" in name.split("/")[0]:
                result.unmatched.append(f"{info.filename}: unsafe path, skipped")
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                result.unmatched.append(f"{info.filename}: a link, skipped")
                continue
            if name.split("/")[-1].startswith(".") or name.startswith("__MACOSX/"):
                continue
            if info.file_size > max_entry_bytes:
                result.unmatched.append(f"{info.filename}: larger than {max_entry_bytes} bytes, skipped")
                continue
            cands, rel, late = _who(name, roster)
            if len(cands) != 1:
                why = "matches no roster student" if not cands else \
                    f"matches several students ({', '.join(s.id for s in cands)})"
                result.unmatched.append(f"{info.filename}: {why}")
                continue
            student = cands[0].id
            if late:
                result.late.add(student)
            # Canvas appends -1, -2 ... to resubmitted files: keep the newest per logical file
            key_name = rel
            if rel.lower().endswith(".ipynb") and "/" not in rel:
                matched, _, _ = match_notebooks([rel], expected)
                key_name = f"{next(iter(matched))}.ipynb" if matched else rel
            key = (student, key_name)
            prev = chosen.get(key)
            if prev is not None:
                older, newer = sorted([prev, info], key=lambda i: (i.date_time, i.filename))
                result.replaced.append(f"{older.filename} (a newer copy, {newer.filename}, was used)")
                info = newer
            chosen[key] = info
        for info in chosen.values():
            total += info.file_size
            if total > max_total_bytes:
                raise ValueError(f"{zip_path}: more than {max_total_bytes} bytes uncompressed; refusing")
        folders_done: set[str] = set()
        for (student, key_name), info in sorted(chosen.items()):
            dest_dir = submitted_dir / student / assignment
            if student not in folders_done:
                if dest_dir.exists():
                    shutil.rmtree(dest_dir)
                dest_dir.mkdir(parents=True)
                folders_done.add(student)
            dest = dest_dir / key_name
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(dest, "wb") as out:
                copied = 0
                while chunk := src.read(1 << 20):
                    copied += len(chunk)
                    if copied > max_entry_bytes:
                        break
                    out.write(chunk)
            result.imported.setdefault(student, []).append(key_name)
        for student in folders_done:
            times = [info.date_time for (s, _), info in chosen.items() if s == student]
            when = timestamp
            if when is None:
                local = dt.datetime(*max(times)).astimezone()
                when = local.astimezone(dt.timezone.utc).replace(tzinfo=None)
            stamp = when.replace(tzinfo=dt.timezone.utc).strftime(TIMESTAMP_FORMAT)
            (submitted_dir / student / assignment / "timestamp.txt").write_text(stamp)
    return result
