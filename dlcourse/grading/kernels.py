"""Kernel managers for grading.

One sandboxed kernel per notebook, or (refused by default) an unsandboxed kernel under
rlimits only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys

import zmq.asyncio
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from .sandbox import KERNEL_NAME, KernelSandbox

#: Largest single message the grader accepts from a kernel; a bigger one drops the connection.
MAX_MESSAGE_BYTES = 64 << 20


def _context() -> zmq.asyncio.Context:
    ctx = zmq.asyncio.Context()
    ctx.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
    return ctx


class SandboxKernelManager(AsyncKernelManager):
    """Starts the ``dlcourse-sandbox`` kernelspec with IPC sockets in the kernel's own folder.

    Examples
    --------
    Building one starts nothing (a workspace without isolation, as with ``--no-sandbox``):

    >>> import sys
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> km = SandboxKernelManager(ws.new_kernel(), sys.executable)
    >>> km.transport, km.kernel_name, km.connection_file == km.sandbox.connection_file
    ('ipc', 'dlcourse-sandbox', True)
    >>> km.release()
    >>> ws.close()
    """

    def __init__(self, sandbox: KernelSandbox, kernel_python: str, **kwargs):
        ksm = KernelSpecManager(kernel_dirs=[os.path.dirname(sandbox.ws.kernel_dir)])
        super().__init__(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm, context=_context(), **kwargs)
        self.sandbox = sandbox
        self.kernel_python = kernel_python
        self.transport = "ipc"
        self.ip = sandbox.ipc_prefix
        self.connection_file = sandbox.connection_file
        self.shutdown_wait_time = 0.5
        self.final_report: dict | None = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        argv = [self.kernel_python, "-m", "ipykernel_launcher", "-f", self.connection_file]
        config = self.sandbox.write_config(argv)
        # The launcher gets only what it needs; the kernel's environment is in the config.
        kw["env"] = {"DLCOURSE_SANDBOX_CONFIG": config, "PATH": "/usr/bin:/bin"}
        kw["cwd"] = self.sandbox.ws.root
        await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        with contextlib.suppress(Exception):
            await super()._async_cleanup_resources(restart=restart)
        self.release()

    def release(self) -> None:
        """Record what happened to the kernel, then remove its cgroup, tmpfs and folders."""
        if self.final_report is None:
            self.final_report = self.sandbox.report()
            self.sandbox.cleanup()
        with contextlib.suppress(Exception):
            self.context.destroy(linger=0)


class UnsandboxedKernelManager(AsyncKernelManager):
    """``--no-sandbox``: the kernel runs as the grader, with rlimits (via ``prlimit``) only.

    Examples
    --------
    >>> import sys
    >>> from dlcourse.grading.sandbox import Isolation, Limits, Workspace
    >>> ws = Workspace(Isolation(False, "example"), Limits(), sys.executable, protected=[])
    >>> km = UnsandboxedKernelManager(ws.new_kernel(), sys.executable)
    >>> km.format_kernel_cmd()[-5:-1] == [sys.executable, "-m", "ipykernel_launcher", "-f"]
    True
    >>> km.release()
    >>> ws.close()
    """

    def __init__(self, sandbox: KernelSandbox, kernel_python: str, **kwargs):
        super().__init__(context=_context(), **kwargs)
        self.sandbox = sandbox
        self.kernel_python = kernel_python
        self.shutdown_wait_time = 0.5
        self.final_report: dict | None = None

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """Return the kernel's command line, under ``prlimit`` rlimits where it exists.

        Parameters
        ----------
        extra_arguments : list of str, optional
            More arguments for the kernel.
        """
        cmd = [self.kernel_python, "-m", "ipykernel_launcher", "-f", self.connection_file]
        cmd += list(extra_arguments or [])
        lim = self.sandbox.ws.limits
        prlimit = shutil.which("prlimit")
        if prlimit and sys.platform.startswith("linux"):
            cmd = [prlimit, f"--as={lim.memory_bytes}", f"--cpu={lim.cpu_seconds}", f"--fsize={lim.file_bytes}",
                   f"--nofile={lim.open_files}", "--core=0", "--"] + cmd
        return cmd

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        env = self.sandbox.kernel_env()
        env["HOME"] = self.sandbox.workdir
        kw["env"] = env
        kw["cwd"] = self.sandbox.workdir
        await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        with contextlib.suppress(Exception):
            await super()._async_cleanup_resources(restart=restart)
        self.release()

    def release(self) -> None:
        """Record the sandbox's final report, clean the sandbox up and close the ZeroMQ context."""
        if self.final_report is None:
            self.final_report = self.sandbox.report()
            self.sandbox.cleanup()
        with contextlib.suppress(Exception):
            self.context.destroy(linger=0)
