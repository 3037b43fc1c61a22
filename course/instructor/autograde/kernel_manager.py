"""The grader's side of one sandboxed kernel: a Jupyter kernel manager that starts it under
bubblewrap (sandbox.py) over IPC sockets in a runtime folder of its own, interrupts it over the
control channel, reads its log, audit pipe and what it wrote outside its folder, and kills it
with everything that runs in its sandbox.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Any

from . import lifeline
from .audit_pipe import AuditPipe
from .meter import tmpfs_used, tree_bytes
from .processes import chown_tree, clear_uid, descendants, kernel_process, kill_processes


class SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in `sandbox`, over IPC sockets in its own folder."""

    sandbox = Any(allow_none=True)

    start_number = Any(0)   # which start of this worker's kernels this is (picks its uid)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rundir: Path | None = None
        self._log_file = None
        self.uid: int | None = None
        self.audit = AuditPipe()
        self._inside = None  # a process in the sandbox (psutil), for its /tmp and /dev/shm

    async def _async_pre_start_kernel(self, **kw):
        base = self.sandbox.shared_dir.parent if self.sandbox.shared_dir else None
        self.rundir = Path(tempfile.mkdtemp(prefix="k", dir=base))
        self.transport = "ipc"
        self.ip = str(self.rundir / "s")
        self.connection_file = str(self.rundir / "kernel.json")
        workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        # ipykernel's own command line after the interpreter and module: -f CONNECTION_FILE ...
        start = kernel_cmd.index("-f") if "-f" in kernel_cmd else len(kernel_cmd)
        uid = self.uid = self.sandbox.kernel_uid(int(self.start_number or 0))
        if uid is not None:
            clear_uid(uid)
            chown_tree(workdir, uid, uid)
        # The kernel reports its audit events into a pipe the grader reads: what it wrote is
        # out of its reach (no file to truncate or rewrite; it holds the write end only).
        write_end = self.audit.open()
        # and it ends with this process, even one killed while bubblewrap sets up (lifeline.py)
        alive = lifeline.read_end()
        kw["pass_fds"] = tuple(kw.get("pass_fds", ())) + (write_end, alive)
        kernel_cmd = self.sandbox.command(kernel_cmd[start:], workdir, self.rundir, uid, write_end, alive)
        if uid is not None:
            chown_tree(self.rundir, uid, uid)
            # the sandbox's root (no capabilities) reads settings.json before dropping to uid
            os.chmod(self.rundir, 0o711)
            os.chmod(self.rundir / "settings.json", 0o644)
        self._log_file = open(self.log_path, "wb")
        kw["stdout"] = kw["stderr"] = self._log_file
        if self.sandbox.enabled:
            kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}  # bwrap sets the kernel's own
        else:  # --unsafe-no-sandbox: the same environment, with a home of its own
            env = self.sandbox.kernel_env(workdir)
            env.update(HOME=str(self.rundir / "home"), MPLCONFIGDIR=str(self.rundir / "home" / ".matplotlib"))
            kw["env"] = env
        kw["cwd"] = str(workdir)
        self.kernel_cmd_used = kernel_cmd
        return kernel_cmd, kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            self.audit.started()

    async def _async_interrupt_kernel(self) -> None:
        """Interrupts go over the control channel: a signal would reach bwrap, not the kernel."""
        if not self.has_kernel:
            raise RuntimeError("Cannot interrupt kernel. No kernel is running!")
        msg = self.session.msg("interrupt_request", content={})
        self._connect_control_socket()
        self.session.send(self._control_socket, msg)

    def launcher_pid(self) -> int | None:
        return getattr(self.provisioner, "pid", None)

    @property
    def log_path(self) -> Path | None:
        """The kernel's stdout and stderr, beside its runtime folder (the kernel writes to it)."""
        return None if self.rundir is None else self.rundir.parent / f"{self.rundir.name}.log"

    def kernel_log(self, limit: int = 4000) -> str:
        if self.rundir is None:
            return ""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(max(0, os.fstat(fh.fileno()).st_size - limit))
                data = fh.read()
        except OSError:
            return ""
        return data[-limit:].decode(errors="replace")

    def places_used(self, stop: int | None = None) -> tuple[int, int]:
        """What this kernel wrote outside its working folder, in bytes: (on the grader's disk, its
        runtime folder and log; in memory, the sandbox's /tmp and /dev/shm, its home included).
        Walking the runtime folder stops once past `stop`."""
        disk = memory = 0
        if self.rundir is not None:
            disk = tree_bytes(self.rundir, stop)
            try:
                disk += os.stat(self.log_path).st_size
            except OSError:
                pass
        if self.sandbox.enabled:
            pid = self._inside_pid()
            if pid is not None:
                size = self.sandbox.tmpfs_bytes()
                memory = sum(tmpfs_used(f"/proc/{pid}/root/{mount}", size) or 0 for mount in ("tmp", "dev/shm"))
        return disk, memory

    def _inside_pid(self) -> int | None:
        """The kernel's pid, its mounts seen through /proc/PID/root (found once: a lookup walks
        every process of the machine)."""
        import psutil

        try:
            if self._inside is not None and self._inside.is_running():
                return self._inside.pid
        except psutil.Error:
            pass
        launcher = self.launcher_pid()
        self._inside = kernel_process(launcher) if launcher is not None else None
        return self._inside.pid if self._inside is not None else None

    def audit_events(self) -> list[dict]:
        self.audit.flush()
        return self.audit.events()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        try:
            await super()._async_cleanup_resources(restart=restart)
        finally:
            if self._log_file is not None:
                self._log_file.close()
                self._log_file = None

    def remove_rundir(self) -> None:
        self.audit.close()
        if self.rundir is not None:
            shutil.rmtree(self.rundir, ignore_errors=True)
            try:
                os.unlink(self.log_path)
            except OSError:
                pass

    def kill_everything(self) -> None:
        """Kill the sandbox and whatever runs in it (bwrap's pid namespace dies with it)."""
        pid = self.launcher_pid()
        if pid is None:
            return
        procs = descendants(pid)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        kill_processes(procs)
        process = getattr(self.provisioner, "process", None)
        if process is not None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        if self.uid is not None:
            clear_uid(self.uid, wait=2.0)

