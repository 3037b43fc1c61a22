"""The grading kernel's entry point, run inside the sandbox: `python -P -s -m course.instructor.autograde.kernel SETTINGS -- ARGS`.

Before any student code runs it watches its lifeline (it exits when the grading process that
started it is gone: lifeline.py), sets the notebook's limits (address space, processes, file
size), drops to the kernel's own uid when started as root, prepares a private home in the
sandbox's /tmp, installs the audit hook that records attempts to reach outside the submission
(`course.instructor.autograde.guard`), then starts ipykernel with ARGS. The module guard (restoring numpy,
builtins and the grading helpers before each cell) is installed once the shell exists.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sys


def apply_limits(settings: dict) -> None:
    memory, nproc, fsize = settings.get("memory"), settings.get("nproc"), settings.get("file_size")
    if memory:
        # RLIMIT_DATA counts the memory a process writes to (heap, arrays), not the ~1 GiB of
        # address space a kernel reserves for libraries and thread stacks: a notebook gets its
        # full limit; the grader's watchdog adds up the resident memory of all its processes.
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    if fsize:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        # a write past the limit fails with "File too large" instead of killing the kernel
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_privileges(uid: int | None) -> None:
    if uid is None or os.geteuid() != 0:
        return
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def prepare_home(settings: dict) -> None:
    home = os.environ.get("HOME", "/tmp/home")
    os.makedirs(home, exist_ok=True)
    config = os.environ.get("MPLCONFIGDIR")
    cache = settings.get("font_cache")
    if config and cache and os.path.isdir(cache):
        os.makedirs(config, exist_ok=True)
        for name in os.listdir(cache):
            if name.endswith(".json"):
                shutil.copy(os.path.join(cache, name), os.path.join(config, name))


def main() -> None:
    settings_path = sys.argv[1]
    kernel_args = sys.argv[sys.argv.index("--") + 1:]
    with open(settings_path) as fh:
        settings = json.load(fh)
    from course.instructor.autograde import lifeline

    lifeline.watch(settings.get("lifeline_fd"))  # first: the grader may be gone already
    apply_limits(settings)
    if os.geteuid() == 0 and settings.get("uid") is not None and settings.get("sandboxed"):
        for shared in ("/tmp", "/dev/shm"):  # the sandbox's own, empty: multiprocessing needs /dev/shm
            if os.path.isdir(shared):
                os.chmod(shared, 0o1777)
    drop_privileges(settings.get("uid"))
    prepare_home(settings)

    from course.instructor.autograde import guard

    guard.install_audit(settings)
    sys.argv = [sys.argv[0]] + kernel_args
    from ipykernel.kernelapp import IPKernelApp

    # the grader's kernel of two-process grading runs no student code: its own first lines
    exec_lines = settings.get("exec_lines") or [
        "__import__('course.instructor.autograde.guard').instructor.autograde.guard.install_module_guard()"]
    IPKernelApp.launch_instance(exec_lines=exec_lines)


if __name__ == "__main__":
    main()
