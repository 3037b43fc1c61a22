"""One sandbox per submission: what a kernel run under bubblewrap sees, and the command line
that starts it there.

The kernel sees its own submission folder (writable), a read-only Python environment, the
course's `course/` package (read-only) and nothing else of the course: not `source/`,
`solutions/`, `release/`, the gradebook, other students' folders, the instructor's home, or the
network (its network namespace has only its own loopback). It talks to the grader over ZMQ IPC
sockets in a per-kernel runtime folder, the one other folder bind-mounted into the sandbox.

When the grader runs as root, the kernel drops to a uid of its own (uid_base + the worker's pid),
so the process limit (RLIMIT_NPROC) counts that kernel's processes only; as an ordinary user,
bubblewrap's user namespace does the same. Limits are set inside the sandbox by
`course.instructor.autograde.kernel` before the kernel starts.

The rooms around it: `kernel_manager` starts and stops one sandboxed kernel for the grader,
`processes` finds and kills what runs in a sandbox, `audit_pipe` reads what a kernel reports.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

BWRAP = "bwrap"
# Host files the kernel may read besides the Python environment: the dynamic linker's cache,
# users and groups (for getpwuid), time zone, MIME types (mimetypes), hosts.
ETC_FILES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
             "/etc/localtime", "/etc/hosts", "/etc/mime.types", "/etc/fonts"]
SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
UID_SLOTS = 32          # kernel uids per worker (grader run as root): uid_base + 32 * pid + k


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


def system_mounts() -> list[str]:
    """bwrap's arguments for the system folders, read-only (a merged-/usr link stays a link)."""
    args: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


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

    def kernel_settings(self, workdir: Path, rundir: Path, uid: int | None = None, audit_fd: int | None = None,
                        lifeline_fd: int | None = None) -> dict:
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
            "lifeline_fd": lifeline_fd,
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
        args += system_mounts()
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
                audit_fd: int | None = None, lifeline_fd: int | None = None) -> list[str]:
        """The full command line: bwrap, then our kernel entry point with ipykernel's arguments."""
        settings = json.dumps(self.kernel_settings(workdir, rundir, uid, audit_fd, lifeline_fd))
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
    args += system_mounts()
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
