"""One notebook's grader kernel, from its folders to its last process.

`TwoProcessExecute` makes one `GraderKernel` per notebook and only routes test cells to it. The
kernel is a fresh fork of the worker's zygote (`zygote_host`), or, without one (no sandbox, or a
zygote that would not start), a plainly started sandboxed kernel; either way with a uid slot of
its own, never one an earlier kernel of this worker held while it still had processes or files.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import tempfile
import time
from pathlib import Path

from jupyter_core.utils import run_sync

from ..kernel_manager import SandboxKernelManager
from ..meter import tree_bytes
from ..processes import chown_tree
from ..recovery import KernelStartError
from ..sandbox import UID_SLOTS
from .zygote_host import Zygote, ZygoteKernelManager

STUDENT_SLOTS = UID_SLOTS // 2  # the student's kernels take the uid slots below, the grader's those above

# The grader kernel's first lines: cap its outputs, install the grading hooks, open the channel's socket.
GRADER_INIT = ("__import__('course.instructor.autograde.guard', fromlist=['install_output_cap']).install_output_cap(); "
               "__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['install']).install(); "
               "__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['listen']).listen({path!r})")

# Which of this worker's grader uid slots the next grader kernel takes (cleared before use).
_STARTS = itertools.count()


class GraderKernel:
    """The grader's kernel of one notebook: its folders (the channel's, shared with the student's
    sandbox read-only, and its working folder), its start, restarts and stop, and what it
    reported about itself."""

    def __init__(self, sandbox, config, extra_arguments: list[str], startup_timeout: float, log):
        self.sandbox, self.config, self.log = sandbox, config, log
        self.extra_arguments, self.startup_timeout = list(extra_arguments), startup_timeout
        self.km: SandboxKernelManager | None = None
        self.kc = None
        self._audit_read = 0
        self.zygote = self._zygote()
        base = self.zygote.base if self.zygote else (sandbox.shared_dir.parent if sandbox.shared_dir else None)
        self.channel_dir = Path(tempfile.mkdtemp(prefix="ch", dir=base or "/tmp"))
        self.grader_dir = Path(tempfile.mkdtemp(prefix="gw", dir=base or "/tmp"))
        self.socket = str(self.channel_dir / "s")
        os.chmod(self.grader_dir, 0o755)  # bubblewrap (root without capabilities) enters it first
        # read-only for the student's kernels: connecting needs no write access
        self.student_sandbox = dataclasses.replace(sandbox, read_only=list(sandbox.read_only) + [self.channel_dir])
        self.grader_sandbox = dataclasses.replace(sandbox, extra_binds=list(sandbox.extra_binds) + [self.channel_dir],
                                                  exec_lines=[GRADER_INIT.format(path=self.socket)])

    def _zygote(self) -> Zygote | None:
        """This worker's zygote for these settings (sandboxed runs as root only), or None if it cannot start.

        Only as root does each forked kernel get a uid of its own, one the host can kill entirely
        and whose files it can tell apart. As an ordinary account (the hub's instructor) the zygote
        and every kernel it forks are one uid in one pid namespace: a grader kernel could connect to
        the zygote's control socket, signal it, and leave a process (a new session escapes the
        zygote's kill) that kills or drives the next notebooks' grader kernels. There a grader
        kernel starts the plain way, in a sandbox (pid namespace, /tmp) that dies with it."""
        if not self.sandbox.enabled or self.sandbox.uid is None:
            return None
        try:
            return Zygote.shared(self.sandbox, repr((self.sandbox, self.extra_arguments, self.startup_timeout)))
        except Exception as error:
            self.log.warning("grader kernels start the plain way (%s)", str(error)[:2000])
            return None

    # ------------------------------------------------------------------ life
    def launch(self) -> None:
        """Start the kernel (it gets ready while the student's kernel starts: see `ready`)."""
        try:
            if os.path.exists(self.socket):
                os.unlink(self.socket)
            slot = STUDENT_SLOTS + next(_STARTS) % (UID_SLOTS - STUDENT_SLOTS)
            # the kernel makes its socket in the channel's folder; the student's kernels (other
            # uids when run as root) may only pass through it to connect
            uid = self.sandbox.kernel_uid(slot)
            os.chmod(self.channel_dir, 0o711 if uid is not None else 0o700)
            if uid is not None:
                chown_tree(self.channel_dir, uid, uid)
            # this notebook's folders live in its zygote's: a zygote that died meanwhile is replaced
            # at the next notebook, and this one's kernels start the plain way
            if self.zygote is not None and self.zygote.alive():
                self.km = ZygoteKernelManager(kernel_name="python3", config=self.config, sandbox=self.grader_sandbox,
                                              start_number=slot, zygote=self.zygote)
            else:
                self.km = SandboxKernelManager(kernel_name="python3", config=self.config, sandbox=self.grader_sandbox,
                                               start_number=slot)
            self._audit_read = 0
            run_sync(self.km.start_kernel)(cwd=str(self.grader_dir), extra_arguments=self.extra_arguments)
        except Exception as error:
            raise self._failed(error) from error

    def ready(self) -> None:
        """Wait until the kernel answers and has opened the channel's socket."""
        try:
            self.kc = self.km.client()
            self.kc.start_channels()
            run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
            # the kernel binds the socket while it starts (exec_lines): wait for it
            deadline = time.monotonic() + 30
            while not os.path.exists(self.socket) and time.monotonic() < deadline:
                time.sleep(0.02)
            if not os.path.exists(self.socket):
                raise RuntimeError("the grader's kernel did not open its socket")
            # its own start (binding the socket, the platform probes of imports) is not a student's doing
            time.sleep(0.05)
            self._audit_read = len(self.km.audit_events())
        except Exception as error:
            raise self._failed(error) from error

    def _failed(self, error: Exception) -> KernelStartError:
        log = self.km.kernel_log() if self.km is not None else ""
        self.stop()
        return KernelStartError(f"could not start the grader's kernel: {error}\n{log}")

    def alive(self) -> bool:
        return self.km is not None and run_sync(self.km.is_alive)()

    def restart(self) -> None:
        """A new kernel in the middle of a notebook (the last one died, hung or was stalled by the
        student's kernel). Starting one can fail because of what the student's code left running
        (processes, memory), so such a failure is said to come after the student's code."""
        self.stop()
        try:
            self.launch()
            self.ready()
        except KernelStartError as error:
            error.after_student_code = True
            raise

    def stop(self) -> None:
        """Kill the kernel and everything of its uid (see the kernel managers' kill_everything)."""
        km, kc, self.km, self.kc = self.km, self.kc, None, None
        if km is None:
            return
        try:
            km.kill_everything()
            if kc is not None:
                kc.stop_channels()
            run_sync(km.cleanup_resources)()
        except Exception as error:  # pragma: no cover - best effort
            self.log.warning("cleaning up the grader's kernel: %s", error)
        km.remove_rundir()

    def close(self) -> None:
        """The notebook is over: stop the kernel, remove its folders."""
        self.stop()
        shutil.rmtree(self.channel_dir, ignore_errors=True)
        shutil.rmtree(self.grader_dir, ignore_errors=True)

    # ------------------------------------------------------------------ use
    def run(self, code: str, timeout: float, user_expressions: dict | None = None,
            results: dict | None = None) -> str | None:
        """Run bookkeeping code silently in the kernel; None, or what went wrong.
        `user_expressions` are evaluated after it, into `results`."""
        try:
            reply = run_sync(self.kc.execute_interactive)(code, silent=True, store_history=False,
                                                           allow_stdin=False, timeout=timeout,
                                                           user_expressions=user_expressions or {},
                                                           output_hook=lambda msg: None)
        except TimeoutError:
            self.restart()
            return "the grader's kernel did not answer"
        except Exception as error:
            return f"{type(error).__name__}: {error}"
        content = reply.get("content", {})
        if content.get("status") != "ok":
            return f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"[:500]
        if results is not None:
            results.update(content.get("user_expressions") or {})
        return None

    def new_audit_events(self) -> list[dict]:
        """What the kernel's audit hook reported since the last call."""
        if self.km is None:
            return []
        events = self.km.audit_events()
        new, self._audit_read = events[self._audit_read:], len(events)
        return new

    def bytes_written(self, stop: int) -> int:
        """All that grading this notebook wrote on the grader's side (it counts against the limit)."""
        if self.km is None:
            return 0
        disk, in_memory = self.km.places_used(stop)
        return disk + in_memory + tree_bytes(self.grader_dir, stop) + tree_bytes(self.channel_dir, stop)
