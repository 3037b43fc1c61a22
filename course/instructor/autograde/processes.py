"""The processes and uids of sandboxed kernels, seen from the grader: found, killed, a kernel
uid cleared of whatever it left running, files given to a kernel uid.
"""
from __future__ import annotations

import os
from pathlib import Path

from .sandbox import BWRAP


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
