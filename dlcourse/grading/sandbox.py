"""The sandbox student code runs in: a separate user, namespaces, cgroups and rlimits.

Only the *kernel* is sandboxed. nbgrader, the gradebook and this package run as the
instructor (trusted); they talk to the kernel over ZeroMQ ``ipc`` sockets in a folder both
sides can reach (TCP on loopback does not cross the kernel's private network namespace).

What a sandboxed kernel gets (see ``_sandbox_init.py`` for the mechanics):

* its own user (``dlcourse-sandbox`` by default, created on first use), no supplementary
  groups, ``no_new_privs``;
* its own mount namespace and a root file system built from an allowlist: the system
  (``/usr``, ``/etc``, ``/sys``), the Python environment, read-only; its working folder, a
  size-limited tmpfs that holds a copy of the assignment's data files; private ``/tmp``,
  ``/var/tmp`` and ``/dev/shm``. Course sources, solutions, hidden tests, the gradebook,
  other students' work and the instructor's home are simply not there;
* its own network namespace with only a loopback interface: no network at all;
* its own PID and IPC namespaces: it cannot see, signal or trace any other process, and
  every process it starts dies with it;
* cgroup limits (v1 or v2) on memory, number of processes and CPU share, plus rlimits on
  CPU seconds, file size, open files and core dumps; the grader adds per-cell timeouts and
  a cap on output bytes.

All of this needs root on Linux (``sudo dlcourse grade ...``, or a root container with
``CAP_SYS_ADMIN``). Without it :func:`detect` says why, and the grader refuses to run
student code unless the instructor passes ``--no-sandbox``, which it then reports loudly on
screen and in every result row.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ._sandbox_init import SandboxConfig  # the launcher's configuration: one definition for both sides

INIT_SCRIPT = Path(__file__).with_name("_sandbox_init.py")
KERNEL_NAME = "dlcourse-sandbox"
DEFAULT_USER = "dlcourse-sandbox"
SYSTEM_READ_ONLY = ("/usr", "/etc", "/sys", "/opt")
TOP_LEVEL_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

MNT_DETACH = 2
MS_NOSUID = 2
MS_NODEV = 4

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


class SandboxUnavailable(RuntimeError):
    """Isolation cannot be set up here; the message says why and what would fix it."""


@dataclass
class Limits:
    """Resource limits for one sandboxed kernel (one notebook of one student).

    Examples
    --------
    >>> Limits(memory_bytes=parse_size("1G"), processes=32).describe()[:36]
    'memory 1 GiB, 32 processes, 1 CPU, 6'
    """

    memory_bytes: int = 2 << 30  # cgroup memory limit (RLIMIT_AS fallback without cgroups)
    processes: int = 64  # cgroup pids.max (RLIMIT_NPROC fallback)
    cpus: float = 1.0  # cgroup CPU quota, in CPUs
    cpu_seconds: int = 600  # RLIMIT_CPU per process
    file_bytes: int = 64 << 20  # RLIMIT_FSIZE: largest file the kernel may write
    open_files: int = 1024  # RLIMIT_NOFILE
    workdir_bytes: int = 256 << 20  # tmpfs size of the kernel's working folder
    tmp_bytes: int = 64 << 20  # tmpfs size of /tmp, /var/tmp and /dev/shm (each)
    output_bytes: int = 2 << 20  # all outputs of one notebook together (the grader enforces it)

    def describe(self) -> str:
        """Describe the limits in words for people."""
        return (
            f"memory {human_size(self.memory_bytes)}, {self.processes} processes, {self.cpus:g} CPU, "
            f"{self.cpu_seconds} CPU-s per process, files up to {human_size(self.file_bytes)}, "
            f"working folder {human_size(self.workdir_bytes)}, output {human_size(self.output_bytes)} per notebook"
        )


def human_size(n: float) -> str:
    """Format a byte count for people.

    Parameters
    ----------
    n : float
        Bytes.

    Returns
    -------
    str
        Binary units, three significant digits.

    Examples
    --------
    >>> human_size(512), human_size(2 << 20), human_size(3 << 30)
    ('512 B', '2 MiB', '3 GiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def parse_size(text: str) -> int:
    """Parse a size such as ``"2G"`` (2147483648); accepts K, M, G (binary) and plain bytes.

    Parameters
    ----------
    text : str
        A number with an optional K, M or G suffix (``KiB``, ``MB``... and lower case too).

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> parse_size("512M"), parse_size("2g"), parse_size("1000")
    (536870912, 2147483648, 1000)
    """
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in "KMG" else text
    return int(float(number) * scale)


# --------------------------------------------------------------------------- cgroups


def _read(path: str | Path, default: str = "") -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return default


def _write(path: str | Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _parse_kv(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


class Cgroups:
    """A private cgroup subtree for one grading run, on cgroup v2 or v1.

    Examples
    --------
    Made by :meth:`create` (root only); describing one reads nothing on cgroup v1:

    >>> Cgroups(1, {"memory": Path("/sys/fs/cgroup/memory/dlcourse-run"),
    ...             "pids": Path("/sys/fs/cgroup/pids/dlcourse-run")}).describe()
    'cgroup v1 (memory, pids)'
    """

    def __init__(self, version: int, bases: dict[str, Path]):
        self.version = version
        self.bases = bases  # v2: {"unified": path}; v1: {"memory": path, "pids": path, "cpu": path}

    @property
    def controllers(self) -> list[str]:
        """The controllers the kernel groups get (memory, pids, cpu where available)."""
        if self.version == 2:
            ctl = _read(self.bases["unified"] / "cgroup.subtree_control").split()
            return [c for c in ("memory", "pids", "cpu") if c in ctl]
        return sorted(self.bases)

    def describe(self) -> str:
        """Describe the cgroup version and controllers in words."""
        return f"cgroup v{self.version} ({', '.join(self.controllers)})"

    @classmethod
    def create(cls, run_name: str) -> Cgroups | None:
        """Make ``dlcourse-<run>`` cgroups we may put kernels in, or None if impossible.

        Parameters
        ----------
        run_name : str
            The run's name; the cgroups are ``dlcourse-<run_name>``.
        """
        if os.geteuid() != 0:
            return None
        mounts = [line.split() for line in _read("/proc/self/mounts").splitlines()]
        own = {}
        for line in _read("/proc/self/cgroup").splitlines():
            hid, ctrls, path = line.split(":", 2)
            for ctrl in ctrls.split(",") if ctrls else [""]:
                own[ctrl] = path
        v2_mount = next((m[1] for m in mounts if m[2] == "cgroup2"), None)
        if v2_mount:
            root = Path(v2_mount)
            avail = _read(root / "cgroup.controllers").split()
            if {"memory", "pids"} <= set(avail):
                rel = own.get("", "/").lstrip("/")
                for parent in ([root / rel] if rel else []) + [root]:
                    base = parent / f"dlcourse-{run_name}"
                    try:
                        enable = " ".join(f"+{c}" for c in ("memory", "pids", "cpu") if c in avail)
                        with contextlib.suppress(OSError):
                            _write(parent / "cgroup.subtree_control", enable)
                        if not {"memory", "pids"} <= set(_read(parent / "cgroup.subtree_control").split()):
                            continue
                        base.mkdir(exist_ok=True)
                        with contextlib.suppress(OSError):
                            _write(base / "cgroup.subtree_control", enable)
                        if {"memory", "pids"} <= set(_read(base / "cgroup.subtree_control").split()):
                            return cls(2, {"unified": base})
                        base.rmdir()
                    except OSError:
                        continue
        v1 = {c: m[1] for m in mounts if m[2] == "cgroup" for c in m[3].split(",") if c in ("memory", "pids", "cpu")}
        if {"memory", "pids"} <= set(v1):
            bases = {}
            try:
                for ctrl, mnt in v1.items():
                    base = Path(mnt + own.get(ctrl, "/").rstrip("/")) / f"dlcourse-{run_name}"
                    base.mkdir(parents=True, exist_ok=True)
                    bases[ctrl] = base
                return cls(1, bases)
            except OSError:
                for base in bases.values():
                    with contextlib.suppress(OSError):
                        base.rmdir()
        return None

    def new_kernel_group(self, name: str, limits: Limits) -> KernelCgroup:
        """Create the cgroup of one kernel, with ``limits`` written into it.

        Parameters
        ----------
        name : str
            The kernel's name (a folder under each of the run's cgroups).
        limits : Limits
            The memory, process and CPU limits to write.
        """
        paths = {ctrl: base / name for ctrl, base in self.bases.items()}
        for path in paths.values():
            path.mkdir()
        if self.version == 2:
            p = paths["unified"]
            _write(p / "memory.max", str(limits.memory_bytes))
            with contextlib.suppress(OSError):
                _write(p / "memory.swap.max", "0")
            _write(p / "pids.max", str(limits.processes))
            if (p / "cpu.max").exists():
                _write(p / "cpu.max", f"{int(limits.cpus * 100000)} 100000")
        else:
            m = paths["memory"]
            _write(m / "memory.limit_in_bytes", str(limits.memory_bytes))
            with contextlib.suppress(OSError):
                _write(m / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
            _write(paths["pids"] / "pids.max", str(limits.processes))
            if "cpu" in paths:
                with contextlib.suppress(OSError):
                    _write(paths["cpu"] / "cpu.cfs_period_us", "100000")
                    _write(paths["cpu"] / "cpu.cfs_quota_us", str(int(limits.cpus * 100000)))
        return KernelCgroup(self.version, paths)

    def remove(self) -> None:
        """Remove the run's cgroups and every kernel group left in them."""
        for base in self.bases.values():
            if base.exists():
                for child in base.iterdir():
                    if child.is_dir():
                        KernelCgroup._rmdir(child)
                KernelCgroup._rmdir(base)


@dataclass
class KernelCgroup:
    """The cgroup of one kernel: its directory per controller.

    Examples
    --------
    >>> KernelCgroup(2, {"unified": Path("/sys/fs/cgroup/dlcourse-run/k1")}).procs_files
    ['/sys/fs/cgroup/dlcourse-run/k1/cgroup.procs']
    """

    version: int
    paths: dict[str, Path]

    @property
    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files to add the kernel's process to."""
        return [str(p / "cgroup.procs") for p in self.paths.values()]

    def stats(self) -> dict[str, int]:
        """``oom_kills``, ``pids_limit_hits``, ``memory_peak`` (bytes, 0 if unknown)."""
        pids: dict[str, int] | Path  # the pids.events counts (v2), the pids cgroup folder (v1)
        if self.version == 2:
            p = self.paths["unified"]
            mem = _parse_kv(_read(p / "memory.events"))
            pids = _parse_kv(_read(p / "pids.events"))
            peak = _read(p / "memory.peak", "0").strip() or "0"
            return {"oom_kills": mem.get("oom_kill", 0), "memory_limit_hits": mem.get("max", 0),
                    "pids_limit_hits": pids.get("max", 0), "memory_peak": int(peak) if peak.isdigit() else 0}
        m, pids = self.paths["memory"], self.paths["pids"]
        oom = _parse_kv(_read(m / "memory.oom_control"))
        return {
            "oom_kills": oom.get("oom_kill", 0),
            "memory_limit_hits": int(_read(m / "memory.failcnt", "0").strip() or 0),
            "pids_limit_hits": _parse_kv(_read(pids / "pids.events")).get("max", 0),
            "memory_peak": int(_read(m / "memory.max_usage_in_bytes", "0").strip() or 0),
        }

    def kill_all(self) -> None:
        """Kill every process in the group."""
        for path in self.paths.values():
            for pid in _read(path / "cgroup.procs").split():
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)

    @staticmethod
    def _rmdir(path: Path, wait: float = 3.0) -> None:
        deadline = time.monotonic() + wait
        while True:
            try:
                path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError as exc:
                if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                    return
                for pid in _read(path / "cgroup.procs").split():
                    with contextlib.suppress(OSError):
                        os.kill(int(pid), signal.SIGKILL)
                time.sleep(0.05)

    def remove(self) -> None:
        """Kill every process in the group and remove its directories."""
        self.kill_all()
        for path in self.paths.values():
            self._rmdir(path)


# --------------------------------------------------------------------------- environment


def ensure_user(name: str = DEFAULT_USER) -> tuple[int, int]:
    """Return (uid, gid) of the sandbox user, creating a locked system user if needed.

    Parameters
    ----------
    name : str, optional
        The user's name.

    Raises
    ------
    SandboxUnavailable
        If the user cannot be created (not root, no ``useradd``) or has uid or gid 0.

    Examples
    --------
    >>> ensure_user("root")
    Traceback (most recent call last):
    ...
    dlcourse.grading.sandbox.SandboxUnavailable: the sandbox user 'root' has uid or gid 0
    """
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        if os.geteuid() != 0:
            raise SandboxUnavailable(f"the sandbox user {name!r} does not exist and only root can create it") from None
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        cmd = [useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
               "/usr/sbin/nologin", "--user-group", name]
        try:
            subprocess.run(cmd, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or exc
            raise SandboxUnavailable(f"could not create the sandbox user {name!r}: {detail}") from exc
        pw = pwd.getpwnam(name)
    if pw.pw_uid == 0 or pw.pw_gid == 0:
        raise SandboxUnavailable(f"the sandbox user {name!r} has uid or gid 0")
    return pw.pw_uid, pw.pw_gid


def python_paths(python: str) -> list[str]:
    """Return the directories a kernel started with ``python`` needs to read (prefixes, sys.path, editable installs).

    Parameters
    ----------
    python : str
        The kernel's Python executable (asked in a subprocess, without ``PYTHON*`` variables).

    Examples
    --------
    >>> import sys
    >>> sys.prefix in python_paths(sys.executable)
    True
    """
    code = r"""
import json, sys, os, glob
paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
paths.update(p for p in sys.path if p and os.path.isdir(p))
for sp in [p for p in sys.path if p.endswith("site-packages")]:
    for finder in glob.glob(os.path.join(sp, "__editable___*_finder.py")):
        try:
            src = open(finder).read()
            start = src.index("MAPPING")
            ns2 = {}
            exec(src[start:src.index("\n", src.index("}", start)) + 1], ns2)
            paths.update(ns2.get("MAPPING", {}).values())
        except Exception:
            pass
paths.add(os.path.dirname(os.path.realpath(sys.executable)))
print(json.dumps(sorted(paths)))
"""
    # Ask with the environment the kernel gets (kernel_env sets no PYTHON* variables): a
    # PYTHONPATH of the grader's shell (say, a checkout's root) would otherwise be bound into
    # the sandbox whole, .git, tests and course files included, though the kernel never uses it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    out = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True, timeout=60,
                         env=env).stdout
    return json.loads(out)


def _is_within(path: str, parent: str) -> bool:
    path, parent = os.path.realpath(path), os.path.realpath(parent)
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def read_only_paths(python: str, protected: list[str], extra: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """Return the allowlist of read-only paths and the warnings for paths left out because they hold protected data.

    Parameters
    ----------
    python : str
        The kernel's Python executable (see :func:`python_paths`).
    protected : list of str
        Paths the kernel must not see (the course, the workspace); a path that holds one is left out.
    extra : sequence of str, optional
        More paths to make readable.

    Returns
    -------
    tuple of (list of str, list of str)
        The paths (none inside another) and the warnings.

    Examples
    --------
    >>> import os, sys, tempfile
    >>> tmp = tempfile.mkdtemp()
    >>> course = os.path.join(tmp, "course")
    >>> os.mkdir(course)
    >>> kept, warnings = read_only_paths(sys.executable, [course], extra=[tmp])
    >>> "/usr" in kept, os.path.realpath(tmp) in kept
    (True, False)
    >>> [w.endswith(os.path.realpath(tmp)) for w in warnings]
    [True]
    """
    wanted = [p for p in SYSTEM_READ_ONLY if os.path.isdir(p)]
    wanted += [p for p in TOP_LEVEL_LINKS if os.path.isdir(p) and not os.path.islink(p)]
    wanted += python_paths(python) + [os.path.realpath(p) for p in extra]
    out, warnings = [], []
    for path in dict.fromkeys(os.path.realpath(p) for p in wanted):
        if not os.path.exists(path):
            continue
        if any(_is_within(prot, path) for prot in protected):
            # e.g. a sys.path entry that is the repository root: binding it would expose the course
            warnings.append(f"not visible in the sandbox (it contains protected course data): {path}")
            continue
        out.append(path)
    # drop paths already covered by a parent in the list
    out.sort(key=len)
    kept: list[str] = []
    for path in out:
        if not any(_is_within(path, k) for k in kept):
            kept.append(path)
    return kept, warnings


def mount_tmpfs(target: str, size: int, uid: int, gid: int) -> None:
    """Mount a private tmpfs of ``size`` bytes on ``target``, owned by ``uid``:``gid``.

    Parameters
    ----------
    target : str
        An existing folder (needs root and a private mount namespace or the grader's workspace).
    size : int
        Bytes.
    uid, gid : int
        The owner of the tmpfs root.

    Raises
    ------
    OSError
        If the mount fails, with the reason.

    Examples
    --------
    >>> try:
    ...     mount_tmpfs("/nonexistent/dlcourse-example", 1 << 20, 1000, 1000)
    ... except OSError as exc:
    ...     print(exc.strerror.split(":")[0])
    mount tmpfs on /nonexistent/dlcourse-example
    """
    data = f"size={size},mode=0700,uid={uid},gid={gid}".encode()
    if _libc.mount(b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount tmpfs on {target}: {os.strerror(err)}")


def umount(target: str) -> None:
    """Detach the mount at ``target`` (lazy unmount; errors are ignored).

    Parameters
    ----------
    target : str
        The mount point.

    Examples
    --------
    >>> import tempfile
    >>> umount(tempfile.mkdtemp())  # nothing is mounted there: nothing happens
    """
    _libc.umount2(target.encode(), MNT_DETACH)


@dataclass
class Isolation:
    """What this machine can do; ``available`` is False with ``reason`` when it cannot sandbox.

    Examples
    --------
    >>> iso = Isolation(False, "the sandbox needs root")
    >>> iso.available, iso.user == DEFAULT_USER
    (False, True)
    """

    available: bool
    reason: str = ""
    uid: int = -1
    gid: int = -1
    user: str = DEFAULT_USER
    cgroups: str = "none"
    warnings: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)


def environment_problem(user: str = DEFAULT_USER) -> str | None:
    """Return why this machine cannot run the sandbox at all, or None.

    The reasons: not Linux, not root, no namespaces, no way to create the sandbox user. Used by the tests to skip only for these reasons.

    Parameters
    ----------
    user : str, optional
        The sandbox user (only looked up; never created).

    Examples
    --------
    >>> problem = environment_problem()
    >>> problem is None or problem.startswith(("the sandbox needs", "no user", "this root process"))
    True
    """
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux namespaces; this is {sys.platform}"
    if os.geteuid() != 0:
        return "the sandbox needs root (CI runs as root)"
    try:
        pwd.getpwnam(user)
    except KeyError:
        if not (shutil.which("useradd") or os.path.exists("/usr/sbin/useradd")):
            return f"no user {user!r} and no useradd to create it"
    pid = os.fork()
    if pid == 0:  # try the namespaces in a throw-away child
        flags = 0x00020000 | 0x08000000 | 0x20000000 | 0x40000000  # NEWNS | NEWIPC | NEWPID | NEWNET
        _libc.unshare.argtypes = [ctypes.c_int]
        os._exit(0 if _libc.unshare(flags) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return "this root process may not create namespaces (a container without CAP_SYS_ADMIN?)"
    return None


def detect(user: str = DEFAULT_USER) -> Isolation:
    """Can this process sandbox kernels? (root on Linux with unshare and mount).

    Parameters
    ----------
    user : str, optional
        The sandbox user (created if missing).

    Returns
    -------
    Isolation
        ``available`` False with the reason when it cannot.

    Examples
    --------
    ``root`` is never a sandbox user (without root, the reason is that root is needed):

    >>> detect(user="root").available
    False
    """
    if not sys.platform.startswith("linux"):
        return Isolation(False, "the sandbox needs Linux namespaces; this is " + sys.platform)
    if os.geteuid() != 0:
        return Isolation(
            False,
            "the sandbox needs root: it switches student code to a separate user and builds "
            "namespaces and cgroups for it (run `sudo dlcourse grade ...`, or grade in a root container)",
        )
    try:
        uid, gid = ensure_user(user)
    except SandboxUnavailable as exc:
        return Isolation(False, str(exc))
    return Isolation(True, uid=uid, gid=gid, user=user)


# --------------------------------------------------------------------------- one kernel


class Workspace:
    """The grading run's private scratch area: a root-only folder with one subfolder per kernel.

    Examples
    --------
    Without isolation (``--no-sandbox``) a workspace is plain folders; this builds one and
    a kernel's configuration, and starts nothing:

    >>> import sys
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> kernel = ws.new_kernel()
    >>> config = SandboxConfig.read(kernel.write_config([sys.executable, "-c", "pass"]))
    >>> config.cwd == kernel.workdir, config.rlimits["NPROC"] == Limits().processes
    (True, True)
    >>> kernel.cleanup()
    >>> ws.close()
    """

    def __init__(self, isolation: Isolation, limits: Limits, python: str, protected: list[str],
                 extra_read_only: Sequence[str] = (), base: str | None = None, *, cgroups: bool = True):
        self.isolation = isolation
        self.limits = limits
        self.python = python
        run_name = secrets.token_hex(4)
        self.root = tempfile.mkdtemp(prefix=f"dlcg-{run_name}-", dir=base)
        os.chmod(self.root, 0o700)  # kernels reach their own folder through a bind mount, not this path
        self.protected = [os.path.realpath(p) for p in protected] + [self.root]
        self.read_only, self.warnings = read_only_paths(python, self.protected, extra_read_only)
        self.cgroups = Cgroups.create(run_name) if isolation.available and cgroups else None
        if isolation.available and self.cgroups is None:
            self.warnings.append(
                ("cgroups are not usable here" if cgroups else "cgroups not used (--no-cgroups)")
                + ": memory is limited per process with RLIMIT_AS (numpy/TensorFlow thread pools reserve "
                "address space, so a kernel may fail early) and processes with RLIMIT_NPROC, one sandbox user "
                "per worker"
            )
        # slot (worker) -> (uid, gid); see identity()
        self._slots: dict[int, tuple[int, int]] = {0: (isolation.uid, isolation.gid)}
        self.kernel_dir = os.path.join(self.root, "kernels", KERNEL_NAME)
        write_kernelspec(self.kernel_dir)
        self._counter = 0

    def prepare_slots(self, n: int) -> None:
        """Give each of ``n`` workers a sandbox user of its own when there are no cgroups.

        Without cgroups the process count is bounded by ``RLIMIT_NPROC``, which counts every
        process of a *user*: kernels that share one user share one bound, and a fork storm in
        one worker would starve an honest student in another. With cgroups every kernel has
        its own ``pids.max`` and one user is enough.

        Parameters
        ----------
        n : int
            The number of workers (slots ``0 .. n-1``); slot 0 is the run's sandbox user,
            slot ``i`` is ``<user>-<i>`` (created like it on first use).
        """
        if not self.isolation.available or self.cgroups is not None:
            return
        for slot in range(1, n):
            if slot not in self._slots:
                self._slots[slot] = ensure_user(f"{self.isolation.user}-{slot}")

    def identity(self, slot: int) -> tuple[int, int]:
        """Return the (uid, gid) the kernels of worker ``slot`` run as.

        Parameters
        ----------
        slot : int
            The worker's index.

        Returns
        -------
        tuple of int
            ``(uid, gid)``: the slot's own user without cgroups, else the run's sandbox user.
        """
        return self._slots.get(slot, self._slots[0])

    def new_kernel(self, files_from: Sequence[tuple[str, str]] = (), slot: int = 0) -> KernelSandbox:
        """Folders, cgroup and configuration for one kernel of worker ``slot``.

        Parameters
        ----------
        files_from : list of (str, str)
            ``(source path, path relative to the working folder)`` of the student's data files.
        slot : int, optional
            The worker's index (see :meth:`identity`).

        Returns
        -------
        KernelSandbox
            Call ``cleanup()`` when the kernel is gone.
        """
        self._counter += 1
        name = f"k{os.getpid()}-{self._counter}"
        return KernelSandbox(self, name, files_from, slot)

    def close(self) -> None:
        """Unmount the workspace's kernel folders, remove its cgroups and its files."""
        for entry in Path(self.root).glob("k*"):
            if entry.is_dir() and not entry.name.endswith(".root"):
                umount(str(entry))
        if self.cgroups is not None:
            self.cgroups.remove()
        shutil.rmtree(self.root, ignore_errors=True)


def write_kernelspec(path: str, python: str | None = None) -> str:
    """Write the ``dlcourse-sandbox`` kernelspec (``kernel.json``) into ``path``.

    Parameters
    ----------
    path : str
        The kernelspec folder (created if needed).
    python : str, optional
        The Python that runs the sandbox launcher (default: this one).

    Returns
    -------
    str
        ``path``.

    Examples
    --------
    >>> import json, os, tempfile
    >>> spec = write_kernelspec(os.path.join(tempfile.mkdtemp(), "dlcourse-sandbox"), "/usr/bin/python3")
    >>> json.load(open(os.path.join(spec, "kernel.json")))["argv"][:3]
    ['/usr/bin/python3', '-I', '-S']
    """
    os.makedirs(path, exist_ok=True)
    spec = {
        "argv": [python or sys.executable, "-I", "-S", str(INIT_SCRIPT), "{connection_file}"],
        "display_name": "Python 3 (dlcourse sandbox)",
        "language": "python",
        "interrupt_mode": "signal",
        "env": {},
        "metadata": {"dlcourse": "started by `dlcourse grade`, which writes the sandbox configuration"},
    }
    with open(os.path.join(path, "kernel.json"), "w") as fh:
        json.dump(spec, fh, indent=1)
    return path


class KernelSandbox:
    """The folders, cgroup and configuration of one sandboxed kernel.

    Examples
    --------
    Made by :meth:`Workspace.new_kernel`; without isolation it is plain folders:

    >>> import os, sys
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> kernel = ws.new_kernel()
    >>> os.path.isdir(kernel.workdir), kernel.kernel_env()["HOME"] == kernel.workdir
    (True, True)
    >>> kernel.cleanup()
    >>> ws.close()
    """

    def __init__(self, ws: Workspace, name: str, files_from: Sequence[tuple[str, str]], slot: int = 0):
        self.ws = ws
        iso = ws.isolation
        self.uid, self.gid = ws.identity(slot)
        self.dir = os.path.join(ws.root, name)  # tmpfs, owned by the sandbox user
        self.newroot = self.dir + ".root"
        self.report_path = self.dir + ".report.json"
        self.config_path = self.dir + ".json"
        os.mkdir(self.dir, 0o700)
        os.mkdir(self.newroot, 0o700)
        self.mounted = False
        self.cgroup: KernelCgroup | None = None
        self.workdir = os.path.join(self.dir, "work")
        self.rundir = os.path.join(self.dir, "run")
        if iso.available:
            mount_tmpfs(self.dir, ws.limits.workdir_bytes, self.uid, self.gid)
            self.mounted = True
        os.mkdir(self.workdir, 0o700)
        os.mkdir(self.rundir, 0o700)
        for src, rel in files_from:
            dest = os.path.join(self.workdir, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(src, dest, follow_symlinks=False)
        if iso.available:
            for dirpath, dirnames, filenames in os.walk(self.dir):
                for entry in dirnames + filenames:
                    os.lchown(os.path.join(dirpath, entry), self.uid, self.gid)
            os.lchown(self.dir, self.uid, self.gid)
            if ws.cgroups is not None:
                self.cgroup = ws.cgroups.new_kernel_group(name, ws.limits)

    @property
    def ipc_prefix(self) -> str:
        """The prefix of the kernel's IPC sockets."""
        return os.path.join(self.rundir, "k")

    @property
    def connection_file(self) -> str:
        """The path of the kernel's connection file."""
        return os.path.join(self.rundir, "kernel.json")

    @property
    def kernel_log(self) -> str:
        """The path of the kernel's log file."""
        return os.path.join(self.rundir, "kernel.log")

    def kernel_env(self) -> dict[str, str]:
        """Return the environment the kernel starts with (nothing inherited from the grader)."""
        bindir = os.path.dirname(self.ws.python)
        threads = str(max(1, int(self.ws.limits.cpus)))
        return {
            "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
            "HOME": self.workdir,
            "USER": self.ws.isolation.user,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TMPDIR": "/tmp",
            "IPYTHONDIR": os.path.join(self.workdir, ".ipython"),
            "MPLCONFIGDIR": "/tmp/matplotlib",
            "JUPYTER_RUNTIME_DIR": os.path.join(self.rundir, "jupyter"),
            "XDG_CACHE_HOME": "/tmp/cache",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "NBGRADER_EXECUTION": "autograde",
        }

    def write_config(self, kernel_argv: list[str]) -> str:
        """Write the launcher's :class:`SandboxConfig` for a kernel started with ``kernel_argv``.

        Parameters
        ----------
        kernel_argv : list of str
            The kernel's command line (inside the sandbox).

        Returns
        -------
        str
            The configuration file, for ``DLCOURSE_SANDBOX_CONFIG``.
        """
        lim = self.ws.limits
        # CPU: SIGXCPU at the soft limit (reported as "CPU-time limit"), SIGKILL 5 s later
        rlimits: dict[str, int | list[int]] = {"CORE": 0, "CPU": [lim.cpu_seconds, lim.cpu_seconds + 5],
                                               "FSIZE": lim.file_bytes, "NOFILE": lim.open_files}
        if self.cgroup is None:
            rlimits["AS"] = lim.memory_bytes
            rlimits["NPROC"] = lim.processes  # this worker's own user: see Workspace.prepare_slots
        cfg = SandboxConfig(
            uid=self.uid, gid=self.gid, newroot=self.newroot, rw_dir=self.dir, cwd=self.workdir,
            read_only=list(self.ws.read_only), env=self.kernel_env(), argv=list(kernel_argv),
            kernel_log=self.kernel_log, report=self.report_path, rlimits=rlimits,
            symlinks=[p for p in TOP_LEVEL_LINKS if os.path.islink(p)], tmp_bytes=lim.tmp_bytes,
            cgroup_procs=self.cgroup.procs_files if self.cgroup else [],
        )
        return cfg.write(self.config_path)

    def report(self) -> dict:
        """Describe what happened to the kernel: exit code or signal, limits hit, setup errors, log tail."""
        out: dict = {}
        with contextlib.suppress(OSError, ValueError):
            with open(self.report_path) as fh:
                out.update(json.loads(fh.read(65536)))
        if self.cgroup is not None:
            with contextlib.suppress(OSError):
                out.update(self.cgroup.stats())
        with contextlib.suppress(OSError):
            fd = os.open(self.kernel_log, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                fh.seek(max(0, size - 4000))
                out["log_tail"] = fh.read(4000).decode("utf-8", "replace")
        return out

    def cleanup(self) -> None:
        """Remove the kernel's cgroup, mounts and files."""
        if self.cgroup is not None:
            self.cgroup.remove()
        if self.mounted:
            umount(self.dir)
            self.mounted = False
        for path in (self.dir, self.newroot):
            shutil.rmtree(path, ignore_errors=True)
        for path in (self.config_path, self.report_path):
            with contextlib.suppress(OSError):
                os.unlink(path)


# --------------------------------------------------------------------------- preflight

_PROBE = r"""
import json, os, socket, sys
out = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups()}
def attempt(name, fn):
    try:
        fn()
        out[name] = "allowed"
    except Exception as exc:
        out[name] = type(exc).__name__
for i, p in enumerate(json.loads(sys.argv[1])):
    attempt(f"read:{p}", lambda p=p: os.listdir(p) if os.path.isdir(p) else open(p, "rb").close())
attempt("connect_host_loopback", lambda: socket.create_connection(("127.0.0.1", int(sys.argv[2])), 2).close())
attempt("connect_outside", lambda: socket.create_connection(("192.0.2.1", 80), 2).close())
attempt("write_usr", lambda: open("/usr/dlcourse-probe", "w").close())
attempt("write_cwd", lambda: open("probe.txt", "w").close())
attempt("write_tmp", lambda: open("/tmp/probe.txt", "w").close())
out["visible_pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print(json.dumps(out))
"""


def preflight(ws: Workspace, secret_paths: list[str]) -> list[str]:
    """Start one sandbox and check, from inside, what it can and cannot do.

    Returns the verified facts as lines; raises :class:`SandboxUnavailable` if one fails.

    Parameters
    ----------
    ws : Workspace
        The run's workspace (with isolation available).
    secret_paths : list of str
        Paths the sandbox must not be able to read (the course's source, gradebook, submissions).
    """
    iso = ws.isolation
    canary = os.path.join(ws.root, "preflight-secret.txt")
    with open(canary, "w") as fh:
        fh.write("the sandbox must not be able to read this\n")
    secret_paths = list(secret_paths) + [canary]
    sb = ws.new_kernel()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        sb.write_config([ws.python, "-I", "-S", "-c", _PROBE, json.dumps(secret_paths), str(port)])
        env = {"DLCOURSE_SANDBOX_CONFIG": sb.config_path, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        proc = subprocess.run([sys.executable, "-I", "-S", str(INIT_SCRIPT), "-"], env=env,
                              capture_output=True, text=True, timeout=60)
        rep = sb.report()
        log = rep.get("log_tail", "")
        if proc.returncode != 0 or not log.strip():
            raise SandboxUnavailable(
                f"the sandbox did not start (exit {proc.returncode}): "
                + " ".join((rep.get("setup_error") or proc.stderr.strip() or log.strip()[-500:]
                            or "it reported no reason; run `dlcourse grade check` with DLCOURSE_DEBUG=1").split())
            )
        res = json.loads(log.strip().splitlines()[-1])
    finally:
        listener.close()
        sb.cleanup()
        os.unlink(canary)
    problems = []
    if res["uid"] == 0 or res["uid"] != iso.uid:
        problems.append(f"runs as uid {res['uid']}")
    leaked = [k.split(":", 1)[1] for k, v in res.items() if k.startswith("read:") and v == "allowed"]
    if leaked:
        problems.append("can read " + ", ".join(leaked))
    for key in ("connect_host_loopback", "connect_outside", "write_usr"):
        if res[key] == "allowed":
            problems.append(f"{key} was allowed")
    if res["write_cwd"] != "allowed" or res["write_tmp"] != "allowed":
        problems.append("cannot write its own folders")
    if len(res["visible_pids"]) > 2:
        problems.append(f"sees {len(res['visible_pids'])} processes")
    if problems:
        raise SandboxUnavailable("sandbox self-test failed: " + "; ".join(problems))
    facts = [
        f"runs as {iso.user} (uid {res['uid']}), no supplementary groups, no_new_privs",
        f"cannot read: {', '.join(secret_paths)}" if secret_paths else "sees only the allowlisted paths",
        "no network (host loopback and outside addresses unreachable)",
        "system and Python files read-only; writes only to its own folder and private /tmp",
        f"sees only its own processes (pids {res['visible_pids']})",
        ("limits: " + ws.limits.describe() + f" via {ws.cgroups.describe()}") if ws.cgroups
        else ("limits: " + ws.limits.describe() + " via rlimits only"),
    ]
    return facts


def asdict_isolation(iso: Isolation) -> dict:
    """Return ``iso`` as a plain dict (JSON-ready).

    Parameters
    ----------
    iso : Isolation
        What :func:`detect` found.

    Examples
    --------
    >>> asdict_isolation(Isolation(False, "the sandbox needs root"))["reason"]
    'the sandbox needs root'
    """
    return asdict(iso)
