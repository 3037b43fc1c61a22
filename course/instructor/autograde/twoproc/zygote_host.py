"""The host's side of the grader's zygote (`zygote.py`): start it, and a kernel manager per fork.

A grading worker process keeps one zygote (`Zygote.shared`): a sandboxed process that imported
what a grader kernel needs once. Each notebook's grader kernel is a fresh fork of it
(`ZygoteKernelManager`), with a uid of its own, a private runtime folder and home, and an empty
IPython folder; when the notebook ends everything of that uid is killed and its files in the
sandbox's /tmp and /dev/shm removed. So no notebook's grading can reach the next one's, and a
notebook still pays only a fork and ipykernel's set-up (about 0.3 s), not a kernel start and its
imports (about 1.7 s).
"""
from __future__ import annotations

import atexit
import dataclasses
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Any

from .. import lifeline
from ..kernel_manager import SandboxKernelManager
from ..meter import lstat_each
from ..processes import chown_tree, clear_uid, descendants

LAUNCHER = str(Path(__file__).with_name("zygote_launcher.py"))
START_TIMEOUT = 60.0


class ZygoteError(RuntimeError):
    """The zygote could not be started (the grader then starts its kernels the plain way)."""


class Zygote:
    """The zygote process of this worker, in the grader's sandbox; its folder holds every
    notebook's grader folders (bound at the same path inside)."""

    _shared: "Zygote | None" = None

    def __init__(self, sandbox, key: str):
        self.sandbox, self.key = sandbox, key
        parent = sandbox.shared_dir.parent if sandbox.shared_dir else None
        self.base = Path(tempfile.mkdtemp(prefix="z", dir=parent))
        os.chmod(self.base, 0o711)  # kernels (other uids) pass through to their own folders
        # only root may ask for a kernel: no kernel can fork itself a fresh, unwatched sibling
        self.control_dir = self.base / "control"
        self.control_dir.mkdir(mode=0o700)
        self.control = str(self.control_dir / "s")
        self.log_path = self.control_dir / "zygote.log"
        self.process: subprocess.Popen | None = None
        self._inside = None

    @classmethod
    def shared(cls, sandbox, key: str) -> "Zygote":
        """This worker's zygote for these settings, started (again) if needed."""
        zygote = cls._shared
        if zygote is not None and (zygote.key != key or not zygote.alive()):
            zygote.stop()
            zygote = cls._shared = None
        if zygote is None:
            zygote = cls(sandbox, key)
            try:
                zygote.start()
            except Exception:
                zygote.stop()
                raise
            cls._shared = zygote
        return zygote

    @classmethod
    def stop_shared(cls) -> None:
        if cls._shared is not None:
            cls._shared.stop()
            cls._shared = None

    def start(self) -> None:
        sandbox = dataclasses.replace(self.sandbox, extra_binds=[], exec_lines=None)
        prefix = sandbox.bwrap_args(self.base, self.base, extra_caps=("CAP_KILL",))
        alive = lifeline.read_end()  # it ends with this process, even one killed while it starts
        command = prefix + [sys.executable, "-P", "-s", "-m", "course.instructor.autograde.twoproc.zygote",
                            self.control, str(alive)]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                            pass_fds=(alive,),
                                            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                                            cwd=str(self.base), start_new_session=True)
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            raise ZygoteError(f"the grader's zygote did not start: {self.log()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None and os.path.exists(self.control)

    def log(self, limit: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-limit:].decode(errors="replace")
        except OSError:
            return ""

    def inside_pid(self) -> int | None:
        """A process in the zygote's sandbox, its mounts seen through /proc/PID/root."""
        import psutil

        try:
            if self._inside is not None and self._inside.is_running():
                return self._inside.pid
        except psutil.Error:
            pass
        self._inside = None
        for proc in descendants(self.process.pid) if self.process is not None else []:
            try:
                if "course.instructor.autograde.twoproc.zygote" in proc.cmdline() and \
                        os.path.basename(proc.cmdline()[0]) != "bwrap":
                    self._inside = proc
                    break
            except psutil.Error:
                continue
        return self._inside.pid if self._inside is not None else None

    def wipe(self, uid: int) -> None:
        """Remove what `uid` left in the sandbox's /tmp and /dev/shm and its System V IPC objects
        (the kernels it forks share the sandbox's mounts and IPC namespace)."""
        pid = self.inside_pid()
        if pid is None:
            return
        # the zygote itself makes no IPC object: whatever is there is a kernel's
        subprocess.run(["nsenter", "-t", str(pid), "--ipc", "ipcrm", "--all"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False)
        for mount in ("tmp", "dev/shm"):
            folder = f"/proc/{pid}/root/{mount}"
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            for path, st in lstat_each(folder, names):
                if st.st_uid == 0:
                    continue  # the zygote's own (only root's processes write as root there)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # bubblewrap's pid namespace dies with it: the zygote and every kernel it forked
            self.process.kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        shutil.rmtree(self.base, ignore_errors=True)


atexit.register(Zygote.stop_shared)


# kill(-1) as the kernel's uid: every process of that uid at once (the kernel takes the tasklist lock),
# so a fork chain (fork, exit, fork, ...) cannot outrun it as it outruns a scan of /proc and a kill
# of the pids found (clear_uid); the zygote's pid namespace outlives the notebook, so nothing else
# would end such a chain (a plainly started kernel's sandbox takes its pid namespace with it).
# (/bin/kill, not this interpreter: the kernel's uid may not read the grader's Python on the host)
KILL = shutil.which("kill", path="/usr/bin:/bin") or "/bin/kill"


def kill_uid(uid: int) -> None:
    """Kill every process of `uid` (never root's, nor ours: kill(-1) spares its caller)."""
    if os.geteuid() != 0 or uid == 0:
        return
    for _ in range(2):
        subprocess.run([KILL, "-9", "-1"], user=uid, group=uid, extra_groups=[],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={}, cwd="/", timeout=30, check=False)


class ZygoteKernelManager(SandboxKernelManager):
    """A grader kernel forked by the zygote; managed like a sandboxed kernel (its launcher stands
    in for the process jupyter_client watches)."""

    zygote = Any(allow_none=True)

    async def _async_pre_start_kernel(self, **kw):
        zygote: Zygote = self.zygote
        self.rundir = Path(tempfile.mkdtemp(prefix="k", dir=zygote.base))
        self.transport = "ipc"
        self.ip = str(self.rundir / "s")
        self.connection_file = str(self.rundir / "kernel.json")
        workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        kernel_cmd, kw = await AsyncKernelManager._async_pre_start_kernel(self, **kw)
        start = kernel_cmd.index("-f") if "-f" in kernel_cmd else len(kernel_cmd)
        uid = self.uid = self.sandbox.kernel_uid(int(self.start_number or 0))
        if uid is not None:
            kill_uid(uid)
            clear_uid(uid)
            zygote.wipe(uid)
            chown_tree(workdir, uid, uid)
        write_end = self.audit.open()
        kw["pass_fds"] = tuple(kw.get("pass_fds", ())) + (write_end,)
        home = self.rundir / "home"
        home.mkdir()
        settings = dict(self.sandbox.kernel_settings(workdir, self.rundir, uid, None),
                        home=str(home), ipython_dir=str(self.rundir / "ipython"))
        settings_path = self.rundir / "settings.json"
        settings_path.write_text(json.dumps(settings))
        if uid is not None:
            chown_tree(self.rundir, uid, uid)
            # the zygote (root without capabilities) reads the settings before the fork drops to uid
            os.chmod(self.rundir, 0o711)
            os.chmod(settings_path, 0o644)
        # empty and not the kernel's: IPython runs no start-up file from it, and writes nothing there
        (self.rundir / "ipython").mkdir(mode=0o555)
        self._log_file = open(self.log_path, "wb")
        kw["stdout"] = kw["stderr"] = self._log_file
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        kw["cwd"] = str(self.rundir)
        kernel_cmd = [sys.executable, "-I", "-S", LAUNCHER, zygote.control, str(settings_path), str(write_end),
                      "--"] + kernel_cmd[start:]
        self.kernel_cmd_used = kernel_cmd
        return kernel_cmd, kw

    def _inside_pid(self) -> int | None:
        return self.zygote.inside_pid()

    def kill_everything(self) -> None:
        """The sandboxed kernel's kill (its launcher, then every process of its uid), with the uid
        killed at once first (a fork chain outruns a kill of the pids found), and its files removed
        from the sandbox's memory folders: the next fork of the zygote finds nothing of it."""
        if self.uid is not None:
            kill_uid(self.uid)
        super().kill_everything()
        if self.uid is not None:
            self.zygote.wipe(self.uid)
