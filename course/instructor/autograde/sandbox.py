"""One sandbox per submission: a Jupyter kernel that runs under bubblewrap.

The kernel sees its own submission folder (writable), a read-only Python environment, the
course's `course/` package (read-only) and nothing else of the course: not `source/`,
`solutions/`, `release/`, the gradebook, other students' folders, the instructor's home, or the
network (its network namespace has only its own loopback). It talks to the grader over ZMQ IPC
sockets in a per-kernel runtime folder, the one other folder bind-mounted into the sandbox.

When the grader runs as root, the kernel drops to a uid of its own (uid_base + the worker's pid),
so the process limit (RLIMIT_NPROC) counts that kernel's processes only; as an ordinary user,
bubblewrap's user namespace does the same. Limits are set inside the sandbox by
`course.instructor.autograde.kernel` before the kernel starts.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Any

from .meter import tmpfs_used, tree_bytes

BWRAP = "bwrap"
# Host files the kernel may read besides the Python environment: the dynamic linker's cache,
# users and groups (for getpwuid), time zone, MIME types (mimetypes), hosts.
ETC_FILES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
             "/etc/localtime", "/etc/hosts", "/etc/mime.types", "/etc/fonts"]
SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
UID_SLOTS = 32          # kernel uids per worker (grader run as root): uid_base + 32 * pid + k
AUDIT_MAX_BYTES = 4 * 2**20  # what the grader reads of one kernel's audit pipe


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def python_paths(root: Path) -> list[Path]:
    """Folders of this Python environment the kernel needs, without the course folder itself.

    A virtualenv inside the course folder (`.venv/`) is fine; any other folder that holds the
    course folder (or is inside it) is left out, so source/ or the gradebook never get bound.
    """
    import site

    root = root.resolve()
    prefixes = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
                Path(os.path.realpath(sys.executable)).parent.parent}
    # site-packages, but never PYTHONPATH entries: those may be a checkout holding source/
    candidates = prefixes | {Path(p) for p in site.getsitepackages() if Path(p).is_dir()}
    keep: set[Path] = set()
    for path in candidates:
        path = path.resolve()
        if _is_inside(root, path):  # the folder holds the course: never
            continue
        if _is_inside(path, root) and not _is_inside(path, Path(sys.prefix).resolve()):
            continue  # inside the course folder: only the venv (added above) may be
        if any(_is_inside(path, Path(d)) for d in SYSTEM_DIRS):
            continue  # bound anyway
        keep.add(path)
    # the outermost folders only
    return sorted(p for p in keep if not any(q != p and _is_inside(p, q) for q in keep))


@dataclass
class Limits:
    memory: int                 # bytes: data of each process (RLIMIT_DATA), resident total of the sandbox
    processes: int              # processes besides the kernel
    file_size: int              # bytes
    cell_timeout: int
    notebook_timeout: int
    interrupt_grace: float
    output_bytes: int           # kept per cell
    notebook_output_bytes: int  # kept per notebook
    kernel_restarts: int
    kill_leftovers: bool = True
    # files written, in total: the folder, /tmp, /dev/shm, the kernels' runtime folders and logs
    written_bytes: int = 500 * 2**20


@dataclass
class Sandbox:
    """How kernels of one grading worker are started."""

    root: Path                              # the course folder
    limits: Limits
    enabled: bool = True                    # False: --unsafe-no-sandbox (limits only)
    read_only: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    guarded_modules: list[str] = field(default_factory=list)
    uid: int | None = None                  # run the kernel as this uid (grader is root)
    shared_dir: Path | None = None          # run-wide read-only folder (matplotlib's font cache)
    # two-process grading (twoproc/): the channel's folder, bound writable; the kernel's first code
    extra_binds: list[Path] = field(default_factory=list)
    exec_lines: list[str] | None = None

    def tmpfs_bytes(self) -> int:
        """The size of the sandbox's /tmp and of its /dev/shm (each), in whole pages."""
        size = max(self.limits.written_bytes, 64 * 2**20)
        return -(-size // 4096) * 4096

    def kernel_env(self, workdir: Path) -> dict[str, str]:
        env = {
            "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
            "PYTHONPATH": str(self.root),
            "HOME": "/tmp/home",
            "USER": "student",
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            # no MPLBACKEND: ipykernel's inline backend keeps the student's figures for the feedback
            "MPLCONFIGDIR": "/tmp/home/.matplotlib",
            "PYTHONDONTWRITEBYTECODE": "1",
            # parallelism is across submissions: one BLAS thread per kernel
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "COURSE_NO_DOWNLOAD": "1",  # course.mnist: a graded notebook never downloads
            "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde"),
            "TMPDIR": "/tmp",
        }
        if "TZ" in os.environ:
            env["TZ"] = os.environ["TZ"]
        env.update(self.env)
        return env

    def kernel_uid(self, start: int) -> int | None:
        """The uid of the `start`-th kernel of this worker: a fresh one for each start (cycling
        through UID_SLOTS), so what a dead kernel left running never counts against the process
        limit (RLIMIT_NPROC, per uid) of the next one."""
        return None if self.uid is None else self.uid + start % UID_SLOTS

    def kernel_settings(self, workdir: Path, rundir: Path, uid: int | None = None, audit_fd: int | None = None) -> dict:
        """What `course.instructor.autograde.kernel` applies inside the sandbox before the kernel starts."""
        allowed = [str(p) for p in python_paths(self.root)] + SYSTEM_DIRS + ETC_FILES + [
            "/proc", "/dev", "/sys", "/tmp", str(self.root / "course")]
        allowed += [str(p) for p in self.read_only]
        if self.shared_dir:
            allowed.append(str(self.shared_dir))
        allowed += [str(p) for p in self.extra_binds]
        return {
            "memory": self.limits.memory,
            "nproc": self.limits.processes + 64,  # + the kernel's own threads (they count too)
            "file_size": self.limits.file_size,
            "output_bytes": self.limits.output_bytes,
            "uid": uid if uid is not None else self.uid,
            "root": str(self.root),
            "workdir": str(workdir),
            "rundir": str(rundir),
            "audit_fd": audit_fd,
            "allowed": allowed,
            "guarded_modules": self.guarded_modules,
            "font_cache": str(self.shared_dir / "matplotlib") if self.shared_dir else None,
            "sandboxed": self.enabled,
            "exec_lines": self.exec_lines,
        }

    def bwrap_args(self, workdir: Path, rundir: Path, extra_caps: tuple[str, ...] = ()) -> list[str]:
        args = [shutil.which(BWRAP) or BWRAP,
                "--die-with-parent", "--new-session",
                "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--hostname", "sandbox"]
        if os.geteuid() == 0:
            # bubblewrap keeps root's capabilities unless told: keep only what dropping to the
            # kernel's uid needs; that uid change then clears them all.
            args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            for cap in extra_caps:  # the grader's zygote also kills the kernels it forked
                args += ["--cap-add", cap]
        else:
            args += ["--unshare-user"]
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for path in ETC_FILES:
            args += ["--ro-bind-try", path, path]
        # The sandbox's /tmp and /dev/shm live in memory. Each holds at most the limit of the files a
        # notebook writes, and the grader's watchdog counts both against that limit and the memory's.
        size = str(self.tmpfs_bytes())
        args += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--size", size, "--tmpfs", "/tmp"]
        read_only = python_paths(self.root) + [self.root / "course"] + list(self.read_only)
        if self.shared_dir:
            read_only.append(self.shared_dir)
        binds = [("--ro-bind", p) for p in read_only] + [("--bind", rundir), ("--bind", workdir)]
        binds += [("--bind", p) for p in self.extra_binds]
        # bubblewrap makes the folders leading to a mount point mode 0700: the kernel's uid
        # could not walk through them. Make them first, traversable (they are empty).
        parents = {parent for _, path in binds for parent in Path(path).parents}
        parents -= {Path("/"), Path("/tmp")} | {Path(p) for p in SYSTEM_DIRS}
        for parent in sorted(parents, key=lambda p: len(p.parts)):
            if not any(_is_inside(parent, Path(path)) for _, path in binds):
                args += ["--perms", "0755", "--dir", str(parent)]
        for kind, path in binds:
            args += [kind, str(path), str(path)]
        args += ["--chdir", str(workdir)]
        args += ["--clearenv"]
        for key, value in self.kernel_env(workdir).items():
            args += ["--setenv", key, value]
        return args + ["--"]

    def command(self, kernel_args: list[str], workdir: Path, rundir: Path, uid: int | None = None,
                audit_fd: int | None = None) -> list[str]:
        """The full command line: bwrap, then our kernel entry point with ipykernel's arguments."""
        settings = json.dumps(self.kernel_settings(workdir, rundir, uid, audit_fd))
        (rundir / "settings.json").write_text(settings)
        # -P: the kernel's folder is not put in front of sys.path (a student's numpy.py or
        # course/ must not shadow the real ones); -s: no user site-packages.
        entry = [sys.executable, "-P", "-s", "-m", "course.instructor.autograde.kernel", str(rundir / "settings.json"), "--"]
        prefix = self.bwrap_args(workdir, rundir) if self.enabled else []
        return prefix + entry + kernel_args


def probe(timeout: float = 30) -> str | None:
    """None when a bubblewrap sandbox can be started here, else the reason why not."""
    if sys.platform != "linux":
        return f"sandboxing needs Linux and bubblewrap; this is {sys.platform}"
    exe = shutil.which(BWRAP)
    if exe is None:
        return "bubblewrap (`bwrap`) is not installed; on Debian/Ubuntu: apt-get install bubblewrap"
    args = [exe, "--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    if os.geteuid() != 0:
        args.append("--unshare-user")
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--", "/bin/sh", "-c", "true"]
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not start a sandbox: {error}"
    if result.returncode != 0:
        hint = ""
        if "namespace" in result.stderr.lower() or "permission" in result.stderr.lower():
            hint = (" (unprivileged user namespaces may be disabled: "
                    "sysctl kernel.unprivileged_userns_clone=1, or run as root)")
        return f"bubblewrap could not start a sandbox: {result.stderr.strip()}{hint}"
    return None


# --- processes ------------------------------------------------------------------------------

def descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def kernel_process(launcher_pid: int):
    """The kernel's own process (the Python one) under a launched bwrap, or the launcher itself."""
    import psutil

    try:
        launcher = psutil.Process(launcher_pid)
    except psutil.Error:
        return None
    for proc in [launcher] + descendants(launcher_pid):
        try:
            cmdline = proc.cmdline()
            # bwrap's own command line names the module too: the kernel is the Python process
            if "course.instructor.autograde.kernel" in cmdline and os.path.basename(cmdline[0]) != BWRAP:
                return proc
        except psutil.Error:
            continue
    return None


def kill_processes(procs) -> int:
    import psutil

    killed = 0
    for proc in procs:
        try:
            proc.kill()
            killed += 1
        except psutil.Error:
            pass
    return killed


def chown_tree(path: Path, uid: int, gid: int) -> None:
    """Give `path` and everything under it to uid:gid (no-op unless we are root)."""
    if os.geteuid() != 0:
        return
    os.chown(path, uid, gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)
            except FileNotFoundError:
                pass


# --- the kernel manager ---------------------------------------------------------------------

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
        kw["pass_fds"] = tuple(kw.get("pass_fds", ())) + (write_end,)
        kernel_cmd = self.sandbox.command(kernel_cmd[start:], workdir, self.rundir, uid, write_end)
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


class AuditPipe:
    """The read end of a kernel's audit pipe, drained by a thread into a list of events.

    The kernel holds only the write end (passed to bwrap as an inherited fd): it can add lines,
    never take back one it wrote. Lines that are not JSON objects are dropped; at most
    AUDIT_MAX_BYTES are read per kernel.
    """

    def __init__(self):
        import threading

        self._lock = threading.Lock()
        self._events: list[dict] = []
        self._read_end: int | None = None
        self._write_end: int | None = None
        self._thread = None
        self._stop = False

    def open(self) -> int:
        self.close()
        self._read_end, self._write_end = os.pipe()
        self._stop = False
        return self._write_end

    def started(self) -> None:
        """The kernel has its copy of the write end: drop ours (EOF comes when the kernel's goes)."""
        import threading

        if self._write_end is not None:
            os.close(self._write_end)
            self._write_end = None
        if self._read_end is not None and self._thread is None:
            self._thread = threading.Thread(target=self._drain, args=(self._read_end,), daemon=True)
            self._thread.start()

    def _drain(self, fd: int) -> None:
        import select

        buffer, total = b"", 0
        while not self._stop:
            try:
                ready, _, _ = select.select([fd], [], [], 0.2)
            except (OSError, ValueError):
                break
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            total += len(chunk)
            if total > AUDIT_MAX_BYTES:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            parsed = []
            for line in lines:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict) and isinstance(event.get("kind"), str):
                    parsed.append({"kind": event["kind"][:100], "detail": str(event.get("detail", ""))[:300]})
            with self._lock:
                self._events += parsed

    def events(self) -> list[dict]:
        with self._lock:
            return list(self._events)

    def flush(self, timeout: float = 0.3) -> None:
        """Give the reader a moment for lines already in the pipe."""
        import select
        import time

        if self._read_end is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ready, _, _ = select.select([self._read_end], [], [], 0)
            except (OSError, ValueError):
                return
            if not ready:
                return
            time.sleep(0.02)

    def close(self) -> None:
        self._stop = True
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        for fd in (self._read_end, self._write_end):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._read_end = self._write_end = None


def clear_uid(uid: int, wait: float = 10.0) -> int:
    """Kill every process of `uid` (a kernel's, left by a dead sandbox), until none is left or
    `wait` seconds passed; return how many are left. Only ever called for kernel uids."""
    import time

    import psutil

    deadline = time.monotonic() + wait
    while True:
        left = []
        for proc in psutil.process_iter(["uids", "status"]):
            try:
                # a zombie runs nothing; its reaper (not us) removes it
                if proc.info["uids"] and proc.info["uids"].real == uid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                    left.append(proc)
            except psutil.Error:
                continue
        if not left or time.monotonic() > deadline:
            return len(left)
        kill_processes(left)
        time.sleep(0.05)
