"""Launch one Jupyter kernel inside a sandbox (run as root, standard library only).

This file is the program of the ``dlcourse-sandbox`` kernelspec. The grader (trusted, root)
writes a JSON configuration and starts ``python -I -S _sandbox_init.py CONNECTION_FILE
[EXTRA KERNEL ARGS]`` with ``DLCOURSE_SANDBOX_CONFIG`` pointing at it. Three processes result:

1. the *launcher* (this process, root): joins the kernel's cgroups, creates new mount,
   network, IPC, UTS and PID namespaces, and waits;
2. the *init* (pid 1 of the new PID namespace, root): builds a minimal root file system
   (system and Python directories read-only, the kernel's own tmpfs folder read-write, a
   private ``/tmp``, ``/dev`` and ``/proc``), brings up a loopback interface that leads
   nowhere, forwards interrupts and reaps children. When it exits the kernel and every
   process the kernel started die with it (that is how PID namespaces work);
3. the *kernel*: chrooted, in its own session, resource limits set, no supplementary
   groups, the sandbox user's uid/gid, ``no_new_privs``; then ``execve`` of the kernel.

It runs as a script, not as a module of the package, so that it starts in a few milliseconds
with ``-I -S`` and imports nothing the student could influence (the grader imports it only for
:class:`SandboxConfig`, the configuration both sides share).

Why not bubblewrap (``bwrap``), which does the namespaces and mounts for Flatpak? It was
tried (bwrap 0.8, Debian 12) and was worse here, for measured reasons: bwrap must run
unprivileged, as the sandbox user, and then cannot bind a Python environment behind a folder
that user may not enter (``/root/.pyenv`` under a 0700 home on the machine it was tried on;
``--ro-bind-fd`` resolves the path again as the user), so a root-side mount namespace with
reachable views was needed anyway; its PID namespace either leaves a same-user reaper as pid
1, visible to the kernel, or makes the kernel pid 1 (``--as-pid-1``), where the kernel
ignores ``SIGXCPU`` and the CPU-time limit ends in an unexplained ``SIGKILL``; and the
launcher around it came out as long as this file (242 lines of code against 247).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import resource
import signal
import socket
import struct
import sys
from dataclasses import asdict, dataclass, field

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

DEVICES = ("null", "zero", "full", "random", "urandom")
RLIMITS = {
    "AS": resource.RLIMIT_AS,
    "CORE": resource.RLIMIT_CORE,
    "CPU": resource.RLIMIT_CPU,
    "DATA": resource.RLIMIT_DATA,
    "FSIZE": resource.RLIMIT_FSIZE,
    "NOFILE": resource.RLIMIT_NOFILE,
    "NPROC": resource.RLIMIT_NPROC,
}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_libc.sethostname.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


class SandboxSetupError(RuntimeError):
    """A step of building the sandbox failed; the message names the call and the errno."""


@dataclass
class SandboxConfig:
    """What the launcher needs to start one kernel: written by the grader as JSON, read here.

    The one definition both sides use (``sandbox.KernelSandbox.write_config`` builds it).

    Attributes
    ----------
    uid, gid : int
        The sandbox user the kernel runs as.
    newroot : str
        An empty root-only folder on which the kernel's root file system is built.
    rw_dir : str
        The kernel's own tmpfs folder (working folder and run folder), bound read-write.
    cwd : str
        The kernel's working folder.
    read_only : list of str
        The allowlist bound read-only at the same paths.
    env : dict
        The kernel's whole environment.
    argv : list of str
        The kernel's command line.
    kernel_log : str
        Where the kernel's stdout and stderr go.
    report : str
        Where the launcher writes how the kernel ended (JSON).
    rlimits : dict
        ``RLIMIT_<name>`` -> limit or ``[soft, hard]``.
    symlinks : list of str
        Top-level links to recreate (``/bin -> usr/bin``).
    tmp_bytes : int
        Size of the private ``/tmp``, ``/var/tmp`` and ``/dev/shm``.
    cgroup_procs : list of str
        ``cgroup.procs`` files the launcher joins.
    loopback : bool
        Bring up ``lo`` in the new network namespace.

    Examples
    --------
    >>> import os, tempfile
    >>> cfg = SandboxConfig(uid=990, gid=990, newroot="/run/k1.root", rw_dir="/run/k1", cwd="/run/k1/work",
    ...                     read_only=["/usr"], env={"PATH": "/usr/bin"}, argv=["/usr/bin/python3"],
    ...                     kernel_log="/run/k1/run/kernel.log", report="/run/k1.report.json")
    >>> path = cfg.write(os.path.join(tempfile.mkdtemp(), "k1.json"))
    >>> SandboxConfig.read(path) == cfg, oct(os.stat(path).st_mode & 0o777)
    (True, '0o600')
    """

    uid: int
    gid: int
    newroot: str
    rw_dir: str
    cwd: str
    read_only: list[str]
    env: dict[str, str]
    argv: list[str]
    kernel_log: str
    report: str
    rlimits: dict[str, int | list[int]] = field(default_factory=dict)
    symlinks: list[str] = field(default_factory=list)
    tmp_bytes: int = 64 << 20
    cgroup_procs: list[str] = field(default_factory=list)
    loopback: bool = True

    def write(self, path: str) -> str:
        """Write it to ``path`` (mode 0600) and return ``path``.

        Parameters
        ----------
        path : str
            The JSON file (created or replaced).
        """
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(asdict(self), fh)
        return path

    @classmethod
    def read(cls, path: str) -> SandboxConfig:
        """Read what :meth:`write` wrote.

        Parameters
        ----------
        path : str
            The JSON file.
        """
        with open(path) as fh:
            return cls(**json.load(fh))


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise SandboxSetupError(f"{what}: {os.strerror(err)} (errno {err} {errno.errorcode.get(err, '')})")


def describe_error(exc: BaseException, step: str) -> str:
    """Describe an error in one line for the instructor: the step, the call and path, the errno.

    Parameters
    ----------
    exc : BaseException
        The error.
    step : str
        What the sandbox was doing.

    Examples
    --------
    >>> describe_error(FileNotFoundError(2, "No such file or directory", "/usr/bin/python9"), "execve")
    "execve: '/usr/bin/python9': No such file or directory (errno 2 ENOENT)"
    >>> describe_error(ValueError("bad  size"), "tmpfs")
    'tmpfs: ValueError: bad size'
    """
    if isinstance(exc, OSError) and exc.errno is not None:
        where = " ".join(repr(str(f)) for f in (exc.filename, exc.filename2) if f is not None)
        return (f"{step}: {where + ': ' if where else ''}{exc.strerror} "
                f"(errno {exc.errno} {errno.errorcode.get(exc.errno, '')})")
    return f"{step}: {type(exc).__name__}: {' '.join(str(exc).split())}"


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    """Call mount(2); raise :class:`SandboxSetupError` with the reason if it fails.

    Parameters
    ----------
    source, target : str
        What to mount where.
    fstype : str or None
        The file system type (None for binds and remounts).
    flags : int
        ``MS_*`` flags.
    data : str, optional
        File-system options, e.g. ``"size=16m,mode=0755"``.

    Examples
    --------
    >>> try:
    ...     mount("tmpfs", "/nonexistent/dlcourse-example", "tmpfs", MS_NOSUID)
    ... except SandboxSetupError as exc:
    ...     print(str(exc).split(":")[0])
    mount tmpfs on /nonexistent/dlcourse-example
    """
    ret = _libc.mount(
        source.encode(), target.encode(), fstype.encode() if fstype else None, flags, data.encode() if data else None
    )
    _check(ret, f"mount {source} on {target}")


def prctl(option: int, arg: int) -> None:
    """Call prctl(2) with one argument; raise :class:`SandboxSetupError` if it fails.

    Parameters
    ----------
    option : int
        ``PR_*``, e.g. :data:`PR_SET_NO_NEW_PRIVS`.
    arg : int
        Its argument.

    Examples
    --------
    >>> prctl(-1, 0)
    Traceback (most recent call last):
    ...
    dlcourse.grading._sandbox_init.SandboxSetupError: prctl(-1): Invalid argument (errno 22 EINVAL)
    """
    _check(_libc.prctl(option, arg, 0, 0, 0), f"prctl({option})")


def _mkdirs(path: str) -> None:
    os.makedirs(path, mode=0o755, exist_ok=True)


def bind(src: str, newroot: str, *, writable: bool = False, recursive: bool = True) -> None:
    """Bind ``src`` at the same path under ``newroot``; read-only unless ``writable``.

    Parameters
    ----------
    src : str
        An absolute path (folder or file).
    newroot : str
        The root being built.
    writable : bool, optional
        Leave the bind writable.
    recursive : bool, optional
        Bind the mounts under ``src`` too.

    Examples
    --------
    A path that does not exist cannot be bound (the error names the mount):

    >>> import tempfile
    >>> try:
    ...     bind("/nonexistent-dlcourse-example", tempfile.mkdtemp())
    ... except SandboxSetupError as exc:
    ...     print(str(exc).startswith("mount /nonexistent-dlcourse-example on "))
    True
    """
    dest = newroot + src
    if os.path.isdir(src):
        _mkdirs(dest)
    else:
        _mkdirs(os.path.dirname(dest))
        if not os.path.exists(dest):
            with open(dest, "w"):
                pass
    flags = MS_BIND | (MS_REC if recursive else 0)
    mount(src, dest, None, flags)
    ro = 0 if writable else MS_RDONLY
    mount("none", dest, None, MS_REMOUNT | MS_BIND | MS_NOSUID | ro | (0 if src.startswith("/dev/") else MS_NODEV))


def loopback_up() -> None:
    """Bring up ``lo`` in the new network namespace (it leads nowhere but itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def build_root(cfg: SandboxConfig) -> str:
    """Make the kernel's file system: only what the configuration allows is visible.

    Parameters
    ----------
    cfg : SandboxConfig
        The configuration (``newroot``, ``read_only``, ``rw_dir``, ``symlinks``, ``tmp_bytes``).

    Returns
    -------
    str
        The new root, read-only at its top level.
    """
    newroot = cfg.newroot
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", newroot, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0755")
    for link in cfg.symlinks:  # /bin -> usr/bin on merged-/usr systems
        if os.path.islink(link):
            _mkdirs(os.path.dirname(newroot + link))
            os.symlink(os.readlink(link), newroot + link)
    # Private, size-limited scratch space FIRST, then the read-only binds and the kernel's own
    # folder on top: a path under /tmp, /var/tmp or /dev/shm (a virtual environment in /tmp)
    # mounted before its tmpfs would be hidden by it, and the kernel's execve would fail.
    size = int(cfg.tmp_bytes)
    _mkdirs(newroot + "/dev")
    mount("tmpfs", newroot + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        bind("/dev/" + name, newroot, writable=True)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{newroot}/dev/{name}")
    for tmp in ("/tmp", "/var/tmp", "/dev/shm"):
        _mkdirs(newroot + tmp)
        mount("tmpfs", newroot + tmp, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    for path in sorted(cfg.read_only, key=len):
        if os.path.lexists(path) and not os.path.islink(path):
            bind(path, newroot, recursive=path not in ("/sys",))
    bind(cfg.rw_dir, newroot, writable=True)
    _mkdirs(newroot + "/proc")
    # hidepid=2: the kernel sees only its own processes, not even this init's command line
    mount("proc", newroot + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    # nothing else may be created at the top level
    mount("none", newroot, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=16m,mode=0755")
    return newroot


def drop_privileges_and_exec(cfg: SandboxConfig, argv: list[str], newroot: str, step: list[str],
                             status_fd: int) -> None:
    """Become the kernel: chroot, limits, the sandbox user, then ``execve``; ``step`` says where it failed.

    Parameters
    ----------
    cfg : SandboxConfig
        The configuration.
    argv : list of str
        The kernel's command line.
    newroot : str
        What :func:`build_root` returned.
    step : list of str
        One item, set to the step being taken (read by the caller after a failure).
    status_fd : int
        The close-on-exec pipe that carries a failure back to the init.
    """
    step[0] = "setsid"
    os.setsid()
    rw_dir = cfg.rw_dir
    uid, gid = int(cfg.uid), int(cfg.gid)
    for dirpath, dirnames, filenames in os.walk(rw_dir):
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), uid, gid)
    os.lchown(rw_dir, uid, gid)
    step[0] = "chroot"
    os.chroot(newroot)
    step[0] = "chdir"
    os.chdir(cfg.cwd)
    step[0] = "setrlimit"
    for name, value in cfg.rlimits.items():
        soft, hard = (value, value) if isinstance(value, int) else value
        resource.setrlimit(RLIMITS[name], (int(soft), int(hard)))
    step[0] = "setuid"
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    if os.getuid() == 0 or os.geteuid() == 0:  # pragma: no cover - defensive
        raise SandboxSetupError("still root after setresuid")
    os.umask(0o077)
    step[0] = "open the kernel log"
    log = os.open(cfg.kernel_log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    devnull = os.open("/dev/null", os.O_RDONLY)
    keep = status_fd
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    if keep > 2:  # the close-on-exec pipe that carries a failure back to the init
        os.dup2(keep, 3)
        os.set_inheritable(3, False)
        os.closerange(4, 65536)
    else:
        os.closerange(3, 65536)
    step[0] = "execve"
    os.execve(argv[0], argv, cfg.env)


def _write_report(cfg: SandboxConfig, report: dict) -> None:
    path = cfg.report
    if not path:
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(report, fh)
    os.replace(tmp, path)


def run_init(cfg: SandboxConfig, argv: list[str]) -> int:
    """Run as pid 1 of the sandbox: set it up, start the kernel, forward signals, reap, report.

    Parameters
    ----------
    cfg : SandboxConfig
        The configuration.
    argv : list of str
        The kernel's command line.

    Returns
    -------
    int
        The kernel's exit code (128 + signal if it was killed); 70 if the sandbox could not be built.
    """
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        _libc.sethostname(b"sandbox", 7)
        if cfg.loopback:
            loopback_up()
        newroot = build_root(cfg)
    except Exception as exc:  # the grader reads this report
        _write_report(cfg, {"setup_error": describe_error(exc, "building the sandbox's file system")})
        return 70
    # After chroot the kernel cannot reach the report file: it writes a failure into this
    # close-on-exec pipe instead (nothing arrives when execve succeeds) and the init reports it.
    status_r, status_w = os.pipe()
    kernel = os.fork()
    if kernel == 0:
        os.close(status_r)
        step = ["start"]
        try:
            drop_privileges_and_exec(cfg, argv, newroot, step, status_w)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.write(3 if step[0] == "execve" else status_w,
                         describe_error(exc, f"starting the kernel ({step[0]} {argv[0]!r})").encode()[:4000])
        os._exit(71)
    os.close(status_w)
    failure = b""
    while True:
        try:
            chunk = os.read(status_r, 4096)
        except InterruptedError:  # pragma: no cover
            continue
        if not chunk:
            break
        failure += chunk
    os.close(status_r)
    if failure:
        _write_report(cfg, {"setup_error": failure.decode("utf-8", "replace")})

    def forward(signum, _frame):
        try:
            os.killpg(kernel, signal.SIGINT if signum == signal.SIGINT else signal.SIGKILL)
        except OSError:
            pass
        if signum != signal.SIGINT:
            os._exit(128 + signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    status = 0
    while True:
        try:
            pid, wstatus = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries for us
            continue
        if pid == kernel:
            status = wstatus
            break
    report: dict = {}
    if os.WIFSIGNALED(status):
        report["signal"] = os.WTERMSIG(status)
        code = 128 + os.WTERMSIG(status)
    else:
        report["exit_code"] = os.WEXITSTATUS(status)
        code = os.WEXITSTATUS(status)
    if failure:
        report["setup_error"] = failure.decode("utf-8", "replace")
    _write_report(cfg, report)
    return code  # returning kills every process left in the namespace


def main(args: list[str]) -> int:
    """Launch one kernel in a sandbox: the program of the ``dlcourse-sandbox`` kernelspec.

    Parameters
    ----------
    args : list of str
        ``[CONNECTION_FILE, extra kernel args...]``; the configuration comes from the file
        named by ``DLCOURSE_SANDBOX_CONFIG``.

    Returns
    -------
    int
        The kernel's exit code; 2 for a wrong start (usage on stderr), 70 if setting up failed.

    Examples
    --------
    Started by hand, without the grader's configuration, it refuses:

    >>> main([])
    2
    """
    if len(args) < 1:
        print("usage: _sandbox_init.py CONNECTION_FILE [kernel args...]", file=sys.stderr)
        return 2
    config_path = os.environ.get("DLCOURSE_SANDBOX_CONFIG")
    if not config_path:
        print(
            "dlcourse-sandbox: no DLCOURSE_SANDBOX_CONFIG; this kernel is started by `dlcourse grade`, "
            "which prepares the sandbox it runs in",
            file=sys.stderr,
        )
        return 2
    if os.geteuid() != 0:
        print("dlcourse-sandbox: must be started as root (it drops to the sandbox user itself)", file=sys.stderr)
        return 2
    cfg = SandboxConfig.read(config_path)
    argv = list(cfg.argv) + list(args[1:])
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the grader
    try:
        for procs in cfg.cgroup_procs:
            with open(procs, "w") as fh:
                fh.write(str(os.getpid()))
    except OSError as exc:
        _write_report(cfg, {"setup_error": describe_error(exc, "joining the kernel's cgroup")})
        return 70
    flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID
    if _libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        _write_report(cfg, {"setup_error": f"unshare(NEWNS|NEWUTS|NEWIPC|NEWNET|NEWPID): {os.strerror(err)} "
                                           f"(errno {err} {errno.errorcode.get(err, '')})"})
        return 70
    init = os.fork()
    if init == 0:
        code = 70
        try:
            code = run_init(cfg, argv)
        finally:
            os._exit(code)

    def on_signal(signum, _frame):
        if signum == signal.SIGINT:
            return  # the init got it too (same process group) and forwards it to the kernel
        try:
            os.kill(init, signal.SIGKILL)
        except OSError:
            pass

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while True:
        try:
            _, wstatus = os.waitpid(init, 0)
            break
        except InterruptedError:  # pragma: no cover
            continue
        except ChildProcessError:  # pragma: no cover
            return 70
    if os.WIFSIGNALED(wstatus):
        return 128 + os.WTERMSIG(wstatus)
    return os.WEXITSTATUS(wstatus)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except OSError as exc:
        if exc.errno == errno.EPERM:
            print(f"dlcourse-sandbox: not permitted: {exc}", file=sys.stderr)
        raise
