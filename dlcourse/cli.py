"""The ``dlcourse`` command: ``dlcourse doctor``, ``dlcourse data list|path|fetch|clear`` and plug-ins.

Run ``dlcourse --help`` (or ``python -m dlcourse --help``). Errors print one line,
``dlcourse: error: ...``, and exit with status 1; set ``DLCOURSE_DEBUG=1`` to see the
traceback instead.

Adding a sub-command
--------------------
A sub-command lives in its own module, listed in :data:`PLUGINS` (command name -> module).
The module defines ``add_parser(subparsers)``, which adds its parser with
``subparsers.add_parser(name, help=...)`` and sets ``parser.set_defaults(func=run)``;
``run(args)`` returns the exit status (``None`` means 0). A plug-in module is imported only
when its command (or the help) is asked for, and only if it exists; keep its top-level
imports light. If it exists but cannot be imported, the command stays listed and says why
it cannot run.

Examples
--------
>>> from dlcourse.cli import main
>>> main(["data", "path"])  # doctest: +ELLIPSIS
/...
0
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, Literal

__all__ = ["PLUGINS", "build_parser", "main"]

#: command -> module with ``add_parser(subparsers)``; imported lazily, skipped when absent.
PLUGINS: dict[str, str] = {"grade": "dlcourse.grading.cli"}


# --------------------------------------------------------------------------- doctor


def _add_doctor(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="report Python, packages, CPU, memory and GPUs",
        description="Report this machine and environment: Python, package versions, CPU, memory, "
        "and which GPUs PyTorch and TensorFlow can use.",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--benchmark", action="store_true", help="also time a matrix product on the CPU and on the accelerator"
    )
    p.add_argument(
        "--framework",
        choices=["torch", "tensorflow", "numpy"],
        help="framework for --benchmark (default: torch if installed, else tensorflow, else numpy)",
    )
    p.add_argument("--size", type=int, default=2048, help="matrix size n for --benchmark (default 2048)")
    p.add_argument(
        "--no-frameworks",
        action="store_true",
        help="do not import PyTorch/TensorFlow (faster; their devices are not checked)",
    )
    p.set_defaults(func=_run_doctor)


def _run_doctor(args: argparse.Namespace) -> int:
    from .device import compare_cpu_accelerator, environment_report, format_report
    from .frameworks import available

    report = environment_report(frameworks=not args.no_frameworks)
    if args.benchmark:
        framework: Literal["torch", "tensorflow", "numpy"] = args.framework or (
            "torch" if available("torch") else "tensorflow" if available("tensorflow") else "numpy"
        )
        report["benchmark"] = compare_cpu_accelerator(n=args.size, framework=framework, verbose=False)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(format_report(report))
    if args.benchmark:
        print("  Benchmark   " + report["benchmark"]["message"])
    return 0


# --------------------------------------------------------------------------- data


def _add_data(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "data",
        help="list, locate and download the course's data sets",
        description="Data shipped with dlcourse works offline; larger data sets are downloaded once "
        "into a cache folder (DLCOURSE_DATA, else a per-user cache) and checked by sha256.",
    )
    actions = p.add_subparsers(dest="action", metavar="{list,path,fetch,clear}", required=True)
    actions.add_parser("list", help="show the shipped and the downloadable data sets, with licences")
    actions.add_parser("path", help="print the cache folder")
    fetch = actions.add_parser("fetch", help="download a data set into the cache")
    fetch.add_argument("name", help="a downloadable data set ('dlcourse data list' shows them)")
    fetch.add_argument("--subset", choices=["all", "train", "test"], default="all")
    fetch.add_argument("--data-home", help="cache folder (default: DLCOURSE_DATA or the per-user cache)")
    fetch.add_argument(
        "--mirror",
        action="append",
        help="base URL of a mirror to use instead of the built-in ones (repeatable; 'default' = built-in)",
    )
    fetch.add_argument("--no-progress", action="store_true", help="no progress bar")
    clear = actions.add_parser("clear", help="delete downloaded data sets from the cache")
    clear.add_argument("name", nargs="?", help="only this data set (default: every downloaded one)")
    clear.add_argument("--data-home", help="cache folder (default: DLCOURSE_DATA or the per-user cache)")
    p.set_defaults(func=_run_data)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _run_data(args: argparse.Namespace) -> int:
    from .datasets import get_data_home

    if args.action == "path":
        print(get_data_home())
    elif args.action == "list":
        _data_list()
    elif args.action == "clear":
        _data_clear(args)
    else:
        _data_fetch(args)
    return 0


def _data_list() -> None:
    from .datasets import DATASETS, get_data_home
    from .datasets._base import DATA_DIR, SHIPPED

    print("Shipped with dlcourse (work offline):")
    for name, (_, loader, what, licence) in SHIPPED.items():
        path = DATA_DIR / name
        size = _size(path.stat().st_size) if path.exists() else "missing!"
        print(f"  {loader:<22} {size:>8}  {what}; {licence}")
    home = get_data_home()
    print("\nDownloadable (once; sha256-checked on every use):  dlcourse data fetch NAME")
    for key, dataset in DATASETS.items():
        size = _size(dataset.size) if dataset.size else "size ?"
        cached = all((home / key / f.name).exists() for f in dataset.files.values())
        state = "downloaded" if cached else "not downloaded"
        print(f"  {key:<14} {size:>8}  {state:<14}  {dataset.title}; {dataset.licence}")
    print(f"\nCache folder: {home}  (set DLCOURSE_DATA to change it)")
    mirror = os.environ.get("DLCOURSE_MIRROR")
    print(f"Mirrors: DLCOURSE_MIRROR={mirror}" if mirror else "Mirrors: built-in (set DLCOURSE_MIRROR to use others)")


def _data_fetch(args: argparse.Namespace) -> None:
    from .datasets import fetch, get_data_home

    name = args.name.replace("-", "_").lower()
    _, target = fetch(
        name, args.subset, data_home=args.data_home, return_X_y=True, progress=not args.no_progress, mirrors=args.mirror
    )
    folder = get_data_home(args.data_home) / name
    print(f"{name} ({args.subset}): {len(target)} examples, cached in {folder}")


def _data_clear(args: argparse.Namespace) -> None:
    from .datasets import clear_data_home, get_data_home

    name = args.name.replace("-", "_").lower() if args.name else None
    removed = clear_data_home(data_home=args.data_home, dataset=name)
    for folder in removed:
        print(f"removed {folder}")
    if not removed:
        print(f"nothing to remove in {get_data_home(args.data_home)}")


# --------------------------------------------------------------------------- main


def _add_plugin(subparsers: Any, command: str, module_name: str) -> None:
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):  # a parent package is missing
        spec = None
    if spec is None:
        return
    try:
        importlib.import_module(module_name).add_parser(subparsers)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        p = subparsers.add_parser(command, help=f"(unavailable: {reason})", add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)

        def unavailable(_args: argparse.Namespace, reason: str = reason) -> int:
            raise RuntimeError(f"'dlcourse {command}' cannot run: {module_name} failed to import ({reason})")

        p.set_defaults(func=unavailable)


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Return the argument parser; plug-ins are loaded for ``commands`` (None: all of them).

    Parameters
    ----------
    commands : sequence of str, optional
        The plug-in commands to load (an empty list loads none, which is fast).

    Returns
    -------
    argparse.ArgumentParser
        The parser of ``dlcourse``.

    Examples
    --------
    >>> from dlcourse.cli import build_parser
    >>> build_parser([]).parse_args(["data", "path"]).action
    'path'
    """
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="dlcourse",
        description="Tools for the dlcourse deep-learning course.",
        epilog="Run 'dlcourse COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"dlcourse {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_doctor(subparsers)
    _add_data(subparsers)
    for command, module_name in PLUGINS.items():
        if commands is None or command in commands:
            _add_plugin(subparsers, command, module_name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dlcourse`` command line; return the exit status.

    Errors print one line on stderr (``dlcourse: error: ...``) and give status 1; set
    ``DLCOURSE_DEBUG=1`` to see the traceback instead.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 on an error, 2 for wrong usage.

    Examples
    --------
    >>> from dlcourse.cli import main
    >>> main(["data", "path"])  # doctest: +ELLIPSIS
    /...
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    # Import a plug-in only when its command, or the full help, is asked for.
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(None if first is None or first in PLUGINS else [])
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        status = args.func(args)
    except KeyboardInterrupt:
        print("dlcourse: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("DLCOURSE_DEBUG"):
            raise
        print(f"dlcourse: error: {' '.join(str(exc).split()) or type(exc).__name__}", file=sys.stderr)
        return 1
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
