"""A throw-away PostgreSQL server on 127.0.0.1 for the tests and the grading benchmark.

It runs Debian's ``postgresql`` binaries (``scripts/test.sh`` installs the package when it
can) from a fresh data folder, as the ``postgres`` user when we are root (``initdb``
refuses root), with ``trust`` authentication on loopback only and ``fsync`` off: nothing in
it outlives the test.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def postgres_problem() -> str | None:
    """Why a test server cannot start here, or None."""
    if _bindir() is None:
        return "PostgreSQL's server binaries are not installed (Debian package postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (requirements/course.txt)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def temporary_postgres() -> Iterator[str]:
    """Start a server; yield its base URL (``postgresql+psycopg://postgres@127.0.0.1:PORT``); stop it."""
    bindir = _bindir()
    assert bindir is not None, postgres_problem()
    as_postgres: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="dlcourse-pg-"))
    data = home / "data"
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chmod(home, 0o755)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    try:
        subprocess.run([*as_postgres, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True, text=True)
        subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "server.log"),
                        "-w", "-t", "60", "-o",
                        f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60",
                        "start"], check=True, capture_output=True, text=True)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    except subprocess.CalledProcessError as exc:
        log = (home / "server.log").read_text() if (home / "server.log").exists() else ""
        raise RuntimeError(f"{exc.cmd[len(as_postgres)]} failed: {exc.stderr or exc.stdout}\n{log}") from exc
    finally:
        subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def create_database(base_url: str, name: str) -> str:
    """Create database ``name`` on the server; return its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(base_url.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url}/{name}"
