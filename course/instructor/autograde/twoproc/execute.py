"""`SandboxedExecute` with the test cells run in a second, grader kernel (two-process grading).

Per notebook: the student's kernel (sandboxed as in one-process mode) runs every cell but the
test cells; a grader kernel, in a sandbox of its own that holds an empty folder instead of the
submission, runs the test cells at their place in the notebook. For each test cell:

1. the student's kernel runs a fixed snippet, `student_side.serve(SOCKET, TOKEN)` (no test
   information in it; TOKEN, random per cell, names this cell's connection): it connects to the
   grader's socket and answers requests until the cell is over; whatever it prints meanwhile is
   discarded;
2. the grader kernel binds the names the test cell reads (`grader_side.begin`), runs the test
   cell as an ordinary cell (its outputs are the cell's outputs: nbgrader grades them as
   usual), then says it is done (`grader_side.end`);
3. the student's kernel returns from `serve`; if it does not (its code is still running after
   the grader gave up on it), it is interrupted, then killed and restarted with the cells before
   the next test replayed, as when a cell kills it.

The channel between the two is a Unix socket in a folder mounted into both sandboxes.

A worker keeps its grader kernel from one notebook to the next (it never runs a student's code,
and only data crosses the channel): after each notebook its namespace, history and channel
tables are reset, so the next student's tests start clean and pay no kernel start or imports.
A grader kernel that died, hung or was restarted is replaced.
"""
from __future__ import annotations

import ast
import atexit
import dataclasses
import json
import os
import secrets
import shutil
import stat
import tempfile
import time
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from traitlets import Bool

from .. import scoring
from ..execute import BENIGN_PROCESSES, KernelStartError, SandboxedExecute, error_output
from ..meter import tree_bytes
from ..sandbox import UID_SLOTS, SandboxKernelManager, chown_tree

GRADER_START = UID_SLOTS - 1  # the grader kernel's uid slot (the student's kernels count up from 0)

SERVE = "__import__('course.instructor.autograde.twoproc.student_side', fromlist=['serve']).serve({path!r}, {token!r})"
BEGIN = ("__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['begin'])"
         ".begin(globals(), {names!r}, {timeout!r}, {token!r})")
END = "__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['end']).end()"
# read with END (a user expression of its request): what the grader refused from the student's side
ANOMALIES = ("__import__('json').dumps(__import__('course.instructor.autograde.twoproc.grader_side', "
             "fromlist=['take_anomalies']).take_anomalies())")
FORGET = "__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['forget']).forget()"
RESET = ("__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['reset']).reset(); "
         "get_ipython().reset(new_session=True)")
GRADER_INIT = ("__import__('course.instructor.autograde.guard', fromlist=['install_output_cap']).install_output_cap(); "
               "__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['install']).install(); "
               "__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['listen']).listen({path!r})")


def is_test_cell(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def names_read(source: str) -> list[str]:
    """Globals a test cell reads that it does not bind itself (symbol tables, IPython syntax ok)."""
    import symtable

    from IPython.core.inputtransformer2 import TransformerManager

    try:
        top = symtable.symtable(TransformerManager().transform_cell(source), "<cell>", "exec")
    except SyntaxError:
        return []
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    read = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    todo = list(top.get_children())
    while todo:
        table = todo.pop()
        todo.extend(table.get_children())
        read |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
    return sorted(read - bound)


# This worker process's grader kernel, kept between notebooks (see the module's doc): the
# attributes of the TwoProcessExecute that started it, and the settings they were made with.
_KEPT: dict = {}
_KEPT_ATTRIBUTES = ("_gkm", "_gkc", "_channel_dir", "_grader_dir", "_socket", "_socket_id", "_student_sandbox",
                    "_grader_sandbox", "_grader_audit_read")


def _socket_id(path: str) -> tuple | None:
    """(device, inode) of the socket at `path`: a kept kernel is used only while its socket is there."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISSOCK(st.st_mode) else None


def _stop_kernel(gkm, gkc) -> None:
    try:
        gkm.kill_everything()
        if gkc is not None:
            gkc.stop_channels()
        run_sync(gkm.cleanup_resources)()
    except Exception as error:  # pragma: no cover - best effort
        gkm.log.warning("cleaning up the grader's kernel: %s", error)
    gkm.remove_rundir()


def _forget_kept() -> None:
    """At the worker's exit (or when the settings change): stop the kept kernel, remove its folders."""
    kept = dict(_KEPT)
    _KEPT.clear()
    if kept:
        _stop_kernel(kept["_gkm"], kept["_gkc"])
        shutil.rmtree(kept["_channel_dir"], ignore_errors=True)
        shutil.rmtree(kept["_grader_dir"], ignore_errors=True)


atexit.register(_forget_kept)


class TwoProcessExecute(SandboxedExecute):
    """Run test cells in a grader kernel, the rest in the student's (see the module's doc)."""

    partial_credit = Bool(True, help="Score a failed test cell by its checklist's passed shares "
                          "(CourseAutograde.partial_credit; scoring.apply_partial_credit).").tag(config=True)

    # ------------------------------------------------------------------ kernels
    def preprocess(self, nb, resources=None, km=None):
        self._student_km = None
        # before nbclient appends its history option to extra_arguments while it starts kernels
        self._settings_at_start = self._settings()
        if not self._take_kept():
            self._gkm = self._gkc = None
            self._make_folders()
        kept = False
        try:
            result = super().preprocess(nb, resources, km)
            kept = self._keep()
            return result
        finally:
            if not kept:
                self._stop_grader()
                self._remove_folders()

    def _settings(self) -> str:
        return repr((self.sandbox, self.extra_arguments, self.startup_timeout))

    def _take_kept(self) -> bool:
        """Use the grader kernel an earlier notebook left in this worker, if it is alive."""
        if not _KEPT:
            return False
        if _KEPT["settings"] != self._settings() or not run_sync(_KEPT["_gkm"].is_alive)() or \
                _socket_id(_KEPT["_socket"]) != _KEPT["_socket_id"]:
            _forget_kept()
            return False
        for name in _KEPT_ATTRIBUTES:
            setattr(self, name, _KEPT[name])
        _KEPT.clear()
        return True

    def _keep(self) -> bool:
        """After a notebook: reset the grader kernel and keep it for the next one."""
        if self._gkm is None or self._gkc is None or not run_sync(self._gkm.is_alive)():
            return False
        if self._grader_run(RESET, timeout=30) is not None:
            return False
        _KEPT.update({name: getattr(self, name) for name in _KEPT_ATTRIBUTES}, settings=self._settings_at_start)
        return True

    def _make_folders(self) -> None:
        base = self.sandbox.shared_dir.parent if self.sandbox.shared_dir else None
        self._channel_dir = Path(tempfile.mkdtemp(prefix="ch", dir=base or "/tmp"))
        self._grader_dir = Path(tempfile.mkdtemp(prefix="gw", dir=base or "/tmp"))
        self._socket = str(self._channel_dir / "s")
        # the grader's kernel makes its socket in the channel's folder; the student's kernels
        # (other uids when run as root) may only pass through it to connect
        uid = self.sandbox.kernel_uid(GRADER_START)
        os.chmod(self._grader_dir, 0o755)  # bubblewrap (root without capabilities) enters it first
        os.chmod(self._channel_dir, 0o711 if uid is not None else 0o700)
        if uid is not None:
            chown_tree(self._channel_dir, uid, uid)
        # read-only for the student's kernels: connecting needs no write access, and a student
        # who could remove or replace the socket would cut off the next notebooks of this worker
        self._student_sandbox = dataclasses.replace(
            self.sandbox, read_only=list(self.sandbox.read_only) + [self._channel_dir])
        self._grader_sandbox = dataclasses.replace(
            self.sandbox, extra_binds=list(self.sandbox.extra_binds) + [self._channel_dir],
            exec_lines=[GRADER_INIT.format(path=self._socket)])

    def _remove_folders(self) -> None:
        shutil.rmtree(self._channel_dir, ignore_errors=True)
        shutil.rmtree(self._grader_dir, ignore_errors=True)

    def create_kernel_manager(self):
        # the student's kernels cycle through the uid slots below the grader's, however often they restart
        self.km = SandboxKernelManager(kernel_name="python3", config=self.config, sandbox=self._student_sandbox,
                                       start_number=self._starts % GRADER_START)
        self._starts += 1
        return self.km

    def _start(self) -> None:
        launched = self._gkm is not None
        if not launched:
            self._launch_grader()
        super()._start()
        if not launched:
            self._ready_grader()
        elif self._grader_run(FORGET, timeout=30) is not None:
            self._restart_grader()  # the grader would take the new kernel's objects for the old ones

    def _launch_grader(self) -> None:
        try:
            if os.path.exists(self._socket):
                os.unlink(self._socket)
            self._gkm = SandboxKernelManager(kernel_name="python3", config=self.config, sandbox=self._grader_sandbox,
                                             start_number=GRADER_START)
            self._grader_audit_read = 0
            run_sync(self._gkm.start_kernel)(cwd=str(self._grader_dir), extra_arguments=self.extra_arguments)
        except Exception as error:
            log = self._gkm.kernel_log() if self._gkm is not None else ""
            self._stop_grader()
            raise KernelStartError(f"could not start the grader's kernel: {error}\n{log}") from error

    def _ready_grader(self) -> None:
        try:
            self._gkc = self._gkm.client()
            self._gkc.start_channels()
            run_sync(self._gkc.wait_for_ready)(timeout=self.startup_timeout)
            # the kernel binds the socket while it starts (exec_lines): wait for it
            deadline = time.monotonic() + 30
            while not os.path.exists(self._socket) and time.monotonic() < deadline:
                time.sleep(0.02)
            if not os.path.exists(self._socket):
                raise RuntimeError("the grader's kernel did not open its socket")
            self._socket_id = _socket_id(self._socket)
            # its own start (binding the socket, the platform probes of imports) is not a student's doing
            time.sleep(0.05)
            self._grader_audit_read = len(self._gkm.audit_events())
        except Exception as error:
            log = self._gkm.kernel_log() if self._gkm is not None else ""
            self._stop_grader()
            raise KernelStartError(f"could not start the grader's kernel: {error}\n{log}") from error

    def _stop_grader(self) -> None:
        if self._gkm is not None:
            _stop_kernel(self._gkm, self._gkc)
        self._gkm = self._gkc = None

    def _restart_grader(self) -> None:
        """A new grader kernel in the middle of a notebook (the last one died, hung or was stalled by
        the student's kernel). Starting one can fail because of what the student's code left
        running (processes, memory), so such a failure is said to come after the student's code."""
        self._stop_grader()
        try:
            self._launch_grader()
            self._ready_grader()
        except KernelStartError as error:
            error.after_student_code = True
            raise

    def _other_places(self, stop: int) -> int:
        # the grader's kernel runs no student code, but all that grading writes counts
        if self._gkm is None:
            return 0
        disk, in_memory = self._gkm.places_used(stop)
        return disk + in_memory + tree_bytes(self._grader_dir, stop) + tree_bytes(self._channel_dir, stop)

    def _watched_km(self):
        # the watchdog keeps an eye on the student's kernel, also while the grader runs a test
        return self._student_km or self.km

    # ------------------------------------------------------------------ cells
    def _run_cell(self, cell, resources, index):
        if not is_test_cell(cell) or not cell.source.strip():
            return super()._run_cell(cell, resources, index)
        if not self._ready_for_cell(cell, index):
            return cell, resources
        if self._gkm is None or not run_sync(self._gkm.is_alive)():
            self._restart_grader()
        started = time.monotonic()
        self._new_cell()
        timeout = self._get_timeout(cell)
        token = secrets.token_hex(16)  # this cell's connection, told apart from any other (grader_side.begin)
        serve_id = self.kc.execute(SERVE.format(path=self._socket, token=token), silent=True, store_history=False,
                                   allow_stdin=False)
        problem = self._begin(BEGIN.format(names=names_read(cell.source), timeout=max(1, timeout - 2), token=token),
                              serve_id)
        if problem is not None:
            cell.outputs = [error_output("NotGraded", "Your notebook's kernel could not take part in this "
                                         "test: " + problem)]
        else:
            self._student_km, student_kc = self.km, self.kc
            self.km, self.kc = self._gkm, self._gkc
            try:
                cell = self.execute_cell(cell, index, store_history=True)
            except (DeadKernelError, CellTimeoutError) as error:
                cell.outputs = list(cell.get("outputs", [])) + [error_output(
                    "NotGraded", "The test did not finish within its time limit." if isinstance(error, CellTimeoutError)
                    else "The test stopped (it received more than the grader could hold?).")]
                self.note(index, "time" if isinstance(error, CellTimeoutError) else "kernel died",
                          cell.outputs[-1].evalue)
                self._restart_grader()
            finally:
                self.km, self.kc = self._student_km, student_kc
                self._student_km = None
        if self._gkc is not None:
            self._end_test(index)
            self._collect_grader_audit(index)
        self._finish_student(cell, index, serve_id)
        if self.partial_credit:
            scoring.apply_partial_credit(cell)
        else:  # all or nothing: no number in a test cell, as with nbgrader's own checks
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "execute_result"]
        self._after_cell(cell, index, time.monotonic() - started)
        return cell, resources

    def _begin(self, code: str, serve_id: str) -> str | None:
        """Run `begin` in the grader's kernel; stop waiting if the student's kernel does not serve.

        A notebook whose hooks turn every cell into `pass` never connects: its `serve` returns at
        once, and the grader's kernel is interrupted instead of waiting for a connection.
        """
        self._serve_done = False
        begin_id = self._gkc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                msg = run_sync(self._gkc.get_shell_msg)(timeout=0.05)
            except Exception:
                msg = None
            if msg is not None and msg.get("parent_header", {}).get("msg_id") == begin_id:
                content = msg.get("content", {})
                if content.get("status") == "ok":
                    return None
                if self._serve_done:
                    return "it did not start serving the test (do your notebook's hooks change the cells it runs?)"
                return f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"[:500]
            if not self._serve_done and self._student_reply(serve_id, 0.01):
                self._serve_done = True
                try:
                    run_sync(self._gkm.interrupt_kernel)()
                except Exception:
                    pass
        self._restart_grader()
        return "the grader's kernel did not answer"

    def _end_test(self, index: int) -> None:
        """End the test cell in the grader's kernel; what it refused from the student's side goes
        to the tamper report (the grader's own words, as JSON: nothing here evaluates it)."""
        expressions: dict = {}
        if self._grader_run(END, timeout=30, user_expressions={"a": ANOMALIES}, results=expressions) is not None:
            return
        found = expressions.get("a", {})
        try:
            text = ast.literal_eval(found["data"]["text/plain"]) if found.get("status") == "ok" else "[]"
            anomalies = json.loads(text) if isinstance(text, str) else []
        except (KeyError, ValueError, SyntaxError, TypeError):
            anomalies = []
        for detail in anomalies[:50] if isinstance(anomalies, list) else []:
            self.events.append({"kind": "channel", "detail": str(detail)[:300], "cell": self._cell_name(index)})

    def _collect_grader_audit(self, index: int) -> None:
        """The grader kernel's own audit events, read like the student's: a test cell never reaches
        outside the grader's folder, so anything there is what the student's data made it do."""
        if self._gkm is None:
            return
        events = self._gkm.audit_events()
        new, self._grader_audit_read = events[self._grader_audit_read:], len(events)
        for event in new:
            if event.get("kind") == "process" and any(name in event.get("detail", "") for name in BENIGN_PROCESSES):
                continue
            if event.get("kind") in ("read outside its folder", "write outside its folder", "network", "process"):
                self.events.append(dict(event, cell=self._cell_name(index),
                                        detail=f"in the grader's kernel: {str(event.get('detail', ''))[:250]}"))

    def _grader_run(self, code: str, timeout: float, user_expressions: dict | None = None,
                    results: dict | None = None) -> str | None:
        """Run bookkeeping code silently in the grader's kernel; None, or what went wrong.
        `user_expressions` are evaluated after it, into `results`."""
        try:
            reply = run_sync(self._gkc.execute_interactive)(code, silent=True, store_history=False,
                                                             allow_stdin=False, timeout=timeout,
                                                             user_expressions=user_expressions or {},
                                                             output_hook=lambda msg: None)
        except TimeoutError:
            self._restart_grader()
            return "the grader's kernel did not answer"
        except Exception as error:
            return f"{type(error).__name__}: {error}"
        content = reply.get("content", {})
        if content.get("status") != "ok":
            return f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"[:500]
        if results is not None:
            results.update(content.get("user_expressions") or {})
        return None

    def _finish_student(self, cell, index: int, serve_id: str) -> None:
        """Wait for the student's kernel to leave `serve`; stop it if it does not."""
        if self._serve_done:
            return
        if self._student_reply(serve_id, 5.0):
            return
        if run_sync(self.km.is_alive)():
            try:
                run_sync(self.km.interrupt_kernel)()
            except Exception:
                pass
            if self._student_reply(serve_id, self.sandbox.limits.interrupt_grace):
                return
        reason = self._watchdog_reason or ("Your notebook's kernel died or kept running while this test ran; "
                                           "it was restarted, and the cells before the next test re-ran.")
        self.note(index, self._watchdog_limit if self._watchdog_reason else "kernel died", reason)
        if not any(o.get("output_type") == "error" for o in cell.outputs):
            cell.outputs = list(cell.outputs) + [error_output("KernelDied", reason)]
        self.km.kill_everything()
        self._recover(index + 1)

    def _student_reply(self, msg_id: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if not run_sync(self.km.is_alive)():
                return False
            try:
                msg = run_sync(self.kc.get_shell_msg)(timeout=max(0.01, min(0.2, deadline - time.monotonic())))
            except Exception:
                msg = None
            if msg is not None and msg.get("parent_header", {}).get("msg_id") == msg_id:
                return True
            if time.monotonic() >= deadline:
                return False
