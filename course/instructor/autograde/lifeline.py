"""A sandbox ends when the grading process that started it ends, even if that happens while it starts.

bubblewrap's `--die-with-parent` asks for a signal when its parent dies, but only once it has
set its namespaces up: a grading process killed in between (a Dask worker lost mid-task, a
coordinator stopped with SIGKILL) leaves a sandbox and its kernel running for good (seen: 5 of
40 sandboxes whose parent was killed just after starting them). So each grading process keeps
the write end of one pipe (`read_end` gives its other end to every sandbox it starts), and what
starts first inside the sandbox, the kernel's entry point or the grader's zygote, watches the
read end: end of file means the grading process is gone, whenever that was, and the sandbox's
first process exits, which ends its pid namespace and everything in it.
"""
from __future__ import annotations

import os
import select
import threading

_ends: dict[int, tuple[int, int]] = {}  # pid -> (read end, write end): a forked child makes its own
_lock = threading.Lock()


def read_end() -> int:
    """The read end of this process's lifeline, to pass to a sandbox (`pass_fds`)."""
    with _lock:
        ends = _ends.get(os.getpid())
        if ends is None:
            # both ends close on exec: the write end reaches no child, so the pipe ends with us
            ends = _ends[os.getpid()] = os.pipe()
        return ends[0]


def ended(fd: int) -> bool:
    """True once the grading process at the other end is gone; call it when `fd` is readable
    (nobody but a kernel's own code ever writes to a lifeline: what it wrote is read and dropped)."""
    try:
        return os.read(fd, 512) == b""
    except BlockingIOError:  # made non-blocking by a kernel's own code, and nothing there
        return False


def watch(fd: int | None) -> None:
    """Inside the sandbox: exit this process as soon as the grading process is gone."""
    if fd is None:
        return
    os.set_inheritable(fd, False)  # not handed on to programs the kernel runs

    def wait() -> None:
        try:
            while True:
                select.select([fd], [], [])
                if ended(fd):
                    os._exit(70)  # its sandbox's pid namespace ends with it
        except OSError:  # the kernel's own code closed that number: bubblewrap's --die-with-parent still holds
            return

    threading.Thread(target=wait, name="lifeline", daemon=True).start()
