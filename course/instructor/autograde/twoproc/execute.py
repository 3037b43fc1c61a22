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

Each notebook gets a grader kernel no earlier notebook could have touched: a fresh fork of the
worker's zygote (`zygote.py`, `zygote_host.py`), with a uid, folders and an IPython folder of its
own, everything of it killed and removed when the notebook ends. A grader kernel that died, hung or
was stalled mid-notebook is replaced the same way.
"""
from __future__ import annotations

import ast
import json
import secrets
import time

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from traitlets import Bool

from course.cells import is_test_cell

from .. import scoring
from ..execute import BENIGN_PROCESSES, SandboxedExecute, error_output
from ..kernel_manager import SandboxKernelManager
from .grader_kernel import STUDENT_SLOTS, GraderKernel

SERVE = "__import__('course.instructor.autograde.twoproc.student_side', fromlist=['serve']).serve({path!r}, {token!r})"
BEGIN = ("__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['begin'])"
         ".begin(globals(), {names!r}, {timeout!r}, {token!r})")
END = "__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['end']).end()"
# read with END (a user expression of its request): what the grader refused from the student's side
ANOMALIES = ("__import__('json').dumps(__import__('course.instructor.autograde.twoproc.grader_side', "
             "fromlist=['take_anomalies']).take_anomalies())")
FORGET = "__import__('course.instructor.autograde.twoproc.grader_side', fromlist=['forget']).forget()"

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


class TwoProcessExecute(SandboxedExecute):
    """Run test cells in a grader kernel, the rest in the student's (see the module's doc)."""

    partial_credit = Bool(True, help="Score a failed test cell by its checklist's passed shares "
                          "(CourseAutograde.partial_credit; scoring.apply_partial_credit).").tag(config=True)

    # ------------------------------------------------------------------ kernels
    def preprocess(self, nb, resources=None, km=None):
        self._student_km = None
        self._grader = GraderKernel(self.sandbox, self.config, self.extra_arguments, self.startup_timeout, self.log)
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._grader.close()

    def create_kernel_manager(self):
        # the student's kernels cycle through the uid slots below the grader's, however often they restart
        self.km = SandboxKernelManager(kernel_name="python3", config=self.config, sandbox=self._grader.student_sandbox,
                                       start_number=self._starts % STUDENT_SLOTS)
        self._starts += 1
        return self.km

    def _start(self) -> None:
        launched = self._grader.km is not None
        if not launched:
            self._grader.launch()  # it starts while the student's kernel does
        super()._start()
        if not launched:
            self._grader.ready()
        elif self._grader.run(FORGET, timeout=30) is not None:
            self._grader.restart()  # the grader would take the new kernel's objects for the old ones

    def _other_places(self, stop: int) -> int:
        # the grader's kernel runs no student code, but all that grading writes counts
        return self._grader.bytes_written(stop)

    def _watched_km(self):
        # the watchdog keeps an eye on the student's kernel, also while the grader runs a test
        return self._student_km or self.km

    # ------------------------------------------------------------------ cells
    def _run_cell(self, cell, resources, index):
        if not is_test_cell(cell) or not cell.source.strip():
            return super()._run_cell(cell, resources, index)
        if not self._ready_for_cell(cell, index):
            return cell, resources
        if not self._grader.alive():
            self._grader.restart()
        started = self._begin_cell()
        timeout = self._get_timeout(cell)
        token = secrets.token_hex(16)  # this cell's connection, told apart from any other (grader_side.begin)
        serve_id = self.kc.execute(SERVE.format(path=self._grader.socket, token=token), silent=True, store_history=False,
                                   allow_stdin=False)
        problem = self._begin(BEGIN.format(names=names_read(cell.source), timeout=max(1, timeout - 2), token=token),
                              serve_id)
        if problem is not None:
            cell.outputs = [error_output("NotGraded", "Your notebook's kernel could not take part in this "
                                         "test: " + problem)]
        else:
            self._student_km, student_kc = self.km, self.kc
            self.km, self.kc = self._grader.km, self._grader.kc
            try:
                cell = self.execute_cell(cell, index, store_history=True)
            except (DeadKernelError, CellTimeoutError) as error:
                cell.outputs = list(cell.get("outputs", [])) + [error_output(
                    "NotGraded", "The test did not finish within its time limit." if isinstance(error, CellTimeoutError)
                    else "The test stopped (it received more than the grader could hold?).")]
                self.note(index, "time" if isinstance(error, CellTimeoutError) else "kernel died",
                          cell.outputs[-1].evalue)
                self._collect_grader_audit(index, refusals=True)  # before the kernel goes, with what it refused
                self._grader.restart()
            finally:
                self.km, self.kc = self._student_km, student_kc
                self._student_km = None
        if self._grader.kc is not None:
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
        begin_id = self._grader.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                msg = run_sync(self._grader.kc.get_shell_msg)(timeout=0.05)
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
                    run_sync(self._grader.km.interrupt_kernel)()
                except Exception:
                    pass
        self._grader.restart()
        return "the grader's kernel did not answer"

    def _end_test(self, index: int) -> None:
        """End the test cell in the grader's kernel; what it refused from the student's side goes
        to the tamper report (the grader's own words, as JSON: nothing here evaluates it)."""
        expressions: dict = {}
        if self._grader.run(END, timeout=30, user_expressions={"a": ANOMALIES}, results=expressions) is not None:
            return
        found = expressions.get("a", {})
        try:
            text = ast.literal_eval(found["data"]["text/plain"]) if found.get("status") == "ok" else "[]"
            anomalies = json.loads(text) if isinstance(text, str) else []
        except (KeyError, ValueError, SyntaxError, TypeError):
            anomalies = []
        for detail in anomalies[:50] if isinstance(anomalies, list) else []:
            self.events.append({"kind": "channel", "detail": str(detail)[:300], "cell": self._cell_name(index)})

    def _collect_grader_audit(self, index: int, refusals: bool = False) -> None:
        """The grader kernel's own audit events, read like the student's: a test cell never reaches
        outside the grader's folder, so anything there is what the student's data made it do.
        `refusals`: the kernel is lost before `_end_test`, so the first refusals it logged
        (grader_side.make_peer) are what the tamper report gets of them."""
        for event in self._grader.new_audit_events():
            if event.get("kind") == "channel":
                if refusals:
                    self.events.append({"kind": "channel", "detail": str(event.get("detail", ""))[:300],
                                        "cell": self._cell_name(index)})
                continue
            if event.get("kind") == "process" and any(name in event.get("detail", "") for name in BENIGN_PROCESSES):
                continue
            if event.get("kind") in ("read outside its folder", "write outside its folder", "network", "process"):
                self.events.append(dict(event, cell=self._cell_name(index),
                                        detail=f"in the grader's kernel: {str(event.get('detail', ''))[:250]}"))

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
        budget = self._budget
        reason = budget.watchdog_reason or ("Your notebook's kernel died or kept running while this test ran; "
                                            "it was restarted, and the cells before the next test re-ran.")
        self.note(index, budget.watchdog_limit if budget.watchdog_reason else "kernel died", reason)
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
