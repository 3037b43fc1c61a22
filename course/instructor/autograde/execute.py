"""nbgrader's Execute preprocessor, run in a sandbox, with limits, and surviving its kernel's death.

What stock nbgrader 0.9.6 does, and what this does instead:

- a kernel that dies (`os._exit`, a kill, a crash) raises DeadKernelError and nbgrader drops the
  whole submission, with no grade at all. Here the cell that killed it gets an error saying so,
  a fresh kernel replays the cells that ran before it (outputs discarded), and grading goes on;
  after `max_kernel_restarts` deaths the remaining cells are marked as not run.
- a cell that ignores the interrupt after its timeout raises CellTimeoutError and nbgrader drops
  the submission too. Here its kernel is killed after `interrupt_grace` seconds and handled like
  a death.
- limits: wall time per cell and per notebook, memory and processes (a watchdog on the
  sandbox's processes, on top of the rlimits set inside it), output kept per cell and per
  notebook (the cell keeps running; what is dropped is counted). Each limit hit becomes an
  error or a note in the cell, readable by the student, and a reason in `resources`.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Any

from .config import format_size
from .kernel_manager import SandboxKernelManager
from .meter import NAME_CHARS, cut_error, cut_text
from .processes import chown_tree, kill_processes
from .recovery import KernelRecovery, KernelStartError
from .watchdog import Watchdog
from .written import WrittenFiles, folder_files

BENIGN_PROCESSES = ("uname", "fc-list", "fc-match", "lscpu", "nproc", "sysctl")
# An error keeps at least this much of itself, even once a cell's or notebook's output is used up:
# the student reads where it failed.
ERROR_FLOOR = 4096
START_ATTEMPTS = 3
# Run silently in the student's kernel after a cell that ran out of memory (_release_failed_cell);
# one expression, so it binds no name in the student's namespace.
RELEASE_FAILED_CELL = (
    "[setattr(__import__('sys'), _n, None) for _n in ('last_type', 'last_value', 'last_traceback', 'last_exc') "
    "if hasattr(__import__('sys'), _n)] and None; "
    "setattr(get_ipython().InteractiveTB, 'tb', None); setattr(get_ipython(), 'last_execution_result', None); "
    "__import__('gc').collect()")


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class CellBudget:
    """What one cell has sent so far, and whether a limit stopped it: a fresh one per cell run or
    replayed (`_begin_cell`)."""

    def __init__(self):
        self.output = 0  # characters of output kept
        self.dropped = 0  # characters of output dropped past the limits
        self.dropped_stderr = False
        self.kept_stderr = False
        self.errors_kept = 0  # characters kept of the errors that were cut
        self.watchdog_reason: str | None = None  # why the watchdog stopped the cell's kernel
        self.watchdog_limit: str | None = None  # the limit it hit (a note's `limit`)


# The watchdog first: its async_execute_cell wraps every cell run, and KernelRecovery's replay,
# which calls the next class's, gets Execute's own (a replayed cell is not watched).
class SandboxedExecute(Watchdog, KernelRecovery, WrittenFiles, Execute):
    """Execute each notebook in its own sandboxed kernel, within the course's limits (recovering
    from its kernel's death: recovery.py; counting the files it writes: written.py; stopping a
    cell past a limit while it runs: watchdog.py)."""

    sandbox = Any(None, allow_none=True, help="course.instructor.autograde.sandbox.Sandbox").tag(config=True)

    # ------------------------------------------------------------------ kernel lifecycle
    def create_kernel_manager(self):
        self.km = SandboxKernelManager(kernel_name="python3", config=self.config, sandbox=self.sandbox,
                                       start_number=self._starts)
        self._starts += 1
        return self.km

    def _start(self) -> None:
        """A kernel, or KernelStartError after START_ATTEMPTS tries (a loaded machine can make
        a start time out; a fresh uid and a pause each time)."""
        errors = []
        for attempt in range(START_ATTEMPTS):
            self.km = self.create_kernel_manager()
            self._audit_offset = 0
            try:
                self.start_new_kernel(cwd=str(self._workdir))
                self.start_new_kernel_client()
                return
            except Exception as error:
                log = self.km.kernel_log() if self.km is not None else ""
                errors.append(f"{type(error).__name__}: {error}" + (f"\n{log.strip()}" if log.strip() else ""))
                self._stop()
                time.sleep(1 + 2 * attempt)
        failure = KernelStartError(f"could not start a sandboxed kernel ({len(errors)} tries): " + "\n".join(errors))
        failure.after_student_code = bool(self._executed) or self._restarts > 0
        raise failure

    def _stop(self) -> None:
        km = self.km
        if km is None:
            return
        self._collect_audit(None)
        try:
            km.kill_everything()
            if self.kc is not None:
                self.kc.stop_channels()
            run_sync(km.cleanup_resources)()
        except Exception as error:  # pragma: no cover - best effort
            self.log.warning("cleaning up the kernel: %s", error)
        km.remove_rundir()
        self.km = self.kc = None

    # ------------------------------------------------------------------ the notebook
    def preprocess(self, nb, resources=None, km=None):
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        limits = self.sandbox.limits
        self.timeout = limits.cell_timeout
        self.iopub_timeout = max(4, int(limits.interrupt_grace))
        self.raise_on_iopub_timeout = True
        self.shutdown_kernel = "immediate"
        self._workdir = Path(resources.get("metadata", {}).get("path") or os.getcwd()).resolve()
        self._started = time.monotonic()
        self._executed: list[int] = []
        self._restarts = 0
        self._given_up: str | None = None
        self._notebook_output = 0
        self._begin_cell()
        self.notes: list[dict] = []
        self.events: list[dict] = []
        self._starts = 0
        self._before = folder_files(self._workdir)
        self._written_checked = 0.0
        self._folder_written = 0
        uid = self.sandbox.uid
        try:
            self._start()
            info = self.wait_for_reply(self.kc.kernel_info())
            if info is not None:
                self.nb.metadata["language_info"] = info["content"]["language_info"]
            self._started = time.monotonic()  # the notebook's time starts once its kernel is up
            for index, cell in enumerate(self.nb.cells):
                self.preprocess_cell(cell, resources, index)
        finally:
            self._stop()
            if uid is not None:
                chown_tree(self._workdir, os.getuid(), os.getgid())
        written = self._prune_written()
        self.set_widgets_metadata()
        self.resources.setdefault("course_autograde", {})["execution"] = dict(
            notes=self.notes, events=self.events, restarts=self._restarts,
            seconds=round(time.monotonic() - self._started, 2), written=written)
        return self.nb, self.resources

    def _cell_name(self, index: int) -> str:
        cell = self.nb.cells[index]
        return cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"

    def note(self, index: int, limit: str, text: str) -> None:
        self.notes.append({"cell": self._cell_name(index), "index": index, "limit": limit, "reason": text})

    def _remaining(self) -> float:
        return self.sandbox.limits.notebook_timeout - (time.monotonic() - self._started)

    def _get_timeout(self, cell):
        return max(1, int(min(self.sandbox.limits.cell_timeout, self._remaining()) + 0.999))

    def preprocess_cell(self, cell, resources, index):
        self._invalid_outputs = 0
        cell, resources = self._run_cell(cell, resources, index)
        if cell.cell_type == "code" and cell.get("outputs"):
            self._drop_invalid_outputs(cell, index)
        if self._invalid_outputs:
            self.note(index, "output", f"This cell displayed {self._invalid_outputs} output(s) that are not valid "
                      "notebook outputs (nbformat's schema); they were dropped.")
        return cell, resources

    def _drop_invalid_outputs(self, cell, index: int) -> None:
        """An output nbformat's schema rejects (`display({'text/plain': 12345}, raw=True)`) would
        make nbgrader fail writing the notebook: drop it, and say so."""
        from nbformat.v4.nbbase import validate

        kept = []
        for output in cell.outputs:
            try:
                validate(output, "output")
            except Exception:
                continue
            kept.append(output)
        if len(kept) < len(cell.outputs):
            dropped = len(cell.outputs) - len(kept)
            cell.outputs = kept
            self.note(index, "output", f"This cell displayed {dropped} output(s) that are not valid notebook "
                      "outputs (nbformat's schema); they were dropped.")

    def _ready_for_cell(self, cell, index) -> bool:
        """Before a cell: False (the cell marked NotRun) once the notebook's time is up or its
        kernel cannot be brought back; a kernel that died after the previous cell is restarted."""
        if self._given_up is None and self._remaining() <= 0:
            self._given_up = (f"The notebook reached its time limit of {self.sandbox.limits.notebook_timeout} s; "
                              "this cell and the ones after it were not run.")
            self.note(index, "notebook time", self._given_up)
        if self._given_up is not None:
            cell.outputs = [error_output("NotRun", self._given_up)]
            return False
        if not run_sync(self.km.is_alive)():
            # the previous cell ended and took the kernel with it (exit(), a timer, a thread)
            previous = self._executed.pop() if self._executed else None
            if previous is not None:
                self.note(previous, "kernel died", "The kernel stopped right after this cell; the "
                          "cells after it ran in a fresh kernel.")
            if not self._recover(index):
                cell.outputs = [error_output("NotRun", self._given_up)]
                return False
        return True

    def _run_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if not self._ready_for_cell(cell, index):
            return cell, resources
        started = self._begin_cell()
        try:
            cell = self.execute_cell(cell, index, store_history=True)
        except DeadKernelError:
            budget = self._budget
            reason = budget.watchdog_reason or self._death_reason()
            self.note(index, budget.watchdog_limit if budget.watchdog_reason else "kernel died", reason)
            cell.outputs = list(cell.get("outputs", [])) + [error_output("KernelDied", reason)]
            self._recover(index + 1)
            return cell, resources
        except CellTimeoutError:
            reason = (f"This cell ran longer than its time limit of {self._get_timeout(cell)} s and did not "
                      f"stop when interrupted, so its kernel was restarted.")
            self.note(index, "time", reason)
            self.km.kill_everything()
            cell.outputs = list(cell.get("outputs", [])) + [error_output("CellTimeoutError", reason)]
            self._recover(index + 1)
            return cell, resources
        self._executed.append(index)
        self._after_cell(cell, index, time.monotonic() - started)
        return cell, resources

    def _begin_cell(self) -> float:
        """A cell (or a replayed one) starts: a fresh budget; returns the time it starts."""
        self._budget = CellBudget()
        return time.monotonic()

    def _after_cell(self, cell, index: int, seconds: float) -> None:
        limits, budget = self.sandbox.limits, self._budget
        for output in cell.outputs:
            if output.output_type != "error":
                continue
            if output.ename == "CellTimeoutError":
                output.evalue = (f"This cell ran longer than its time limit of {self._get_timeout(cell)} s "
                                 "and was stopped.")
                output.traceback = [f"CellTimeoutError: {output.evalue}"]
                self.note(index, "time", output.evalue)
            elif output.ename == "MemoryError":
                self.note(index, "memory", f"This cell ran out of memory (the limit is "
                          f"{format_size(limits.memory)}): {output.evalue}".rstrip(": "))
                self._release_failed_cell()
            elif output.ename == "OSError" and "File too large" in output.evalue:
                self.note(index, "file size", f"This cell wrote a file larger than the limit of "
                          f"{format_size(limits.file_size)}.")
        if budget.dropped:
            text = (f"\n[output truncated: this cell printed {format_size(budget.output + budget.dropped)}; "
                    f"the first {format_size(budget.output)} are kept (limit: "
                    f"{format_size(limits.output_bytes)} per cell, {format_size(limits.notebook_output_bytes)} "
                    "per notebook)]\n")
            cell.outputs.append(NotebookNode(output_type="stream", name="stdout", text=text))
            if budget.dropped_stderr and not budget.kept_stderr:
                cell.outputs.append(NotebookNode(output_type="stream", name="stderr",
                                                 text="[output to stderr truncated]\n"))
            self.note(index, "output", text.strip().strip("[]"))
        if budget.errors_kept:
            self.note(index, "output", "The error this cell raised was too long to keep whole: its message and "
                      f"traceback were cut to {format_size(budget.errors_kept)}, where “[… N characters cut]” says "
                      f"how much is missing (the output kept is {format_size(limits.output_bytes)} per cell, "
                      f"{format_size(limits.notebook_output_bytes)} per notebook).")
        if limits.kill_leftovers:
            leftovers = self._leftover_processes()
            if leftovers:
                kill_processes(leftovers)
                self.note(index, "processes", f"This cell left {len(leftovers)} process(es) running; "
                          "they were stopped.")
        self._collect_audit(index)
        self._check_written(cell, index)

    def _release_failed_cell(self) -> None:
        """After a MemoryError: the kernel keeps the failed cell's traceback (sys.last_*, IPython's
        own copy), and with it the frames holding everything the cell allocated, so the next cell
        that needs memory (an `import sklearn` mapping its libraries) failed too. Drop them, so the
        limit costs the cell that hit it and no other."""
        try:
            run_sync(self.kc.execute_interactive)(RELEASE_FAILED_CELL, silent=True, store_history=False,
                                                  allow_stdin=False, timeout=10, output_hook=lambda msg: None)
        except Exception as error:  # a kernel that does not answer is handled by the next cell
            self.log.info("releasing a failed cell's memory: %s", error)

    def _check_written(self, cell, index: int) -> None:
        """After a cell: past the limit of files written, the cell is stopped as the watchdog would
        have (a cell can write 1 GB into /tmp between two of its looks), so what it wrote costs this
        cell, and the space is free again for the cells after it."""
        if self.km is None:
            return
        written, _ = self._written(self.km, force=True)
        if written <= self.sandbox.limits.written_bytes:
            return
        reason = self._written_reason()
        self.note(index, "files written", reason)
        cell.outputs = list(cell.get("outputs", [])) + [error_output("KernelDied", reason)]
        if index in self._executed:
            self._executed.remove(index)  # the replay must not write it all again
        self.km.kill_everything()
        self._recover(index + 1)

    # ------------------------------------------------------------------ output cap
    def output(self, outs, msg, display_id, cell_index):
        limits, budget = self.sandbox.limits, self._budget
        content = msg.get("content", {})
        kind = msg.get("msg_type")
        # the kernel drops what exceeds output_bytes itself and says so; the slack lets its note through
        slack = 64 * 1024
        if kind == "stream":
            size = len(content.get("text", ""))
        elif kind == "error":  # no slack: the note about it is the grader's own
            msg, size = self._cut_error(msg, min(limits.output_bytes - budget.output,
                                                 limits.notebook_output_bytes - self._notebook_output))
        else:
            size = sum(len(str(v)) for v in content.get("data", {}).values())
        over_cell = budget.output + size > limits.output_bytes + slack
        over_notebook = self._notebook_output + size > limits.notebook_output_bytes + slack
        if kind != "error" and (over_cell or over_notebook):
            budget.dropped += size
            if kind == "stream" and content.get("name") == "stderr":
                budget.dropped_stderr = True
            return None
        budget.output += size
        self._notebook_output += size
        if kind == "stream" and content.get("name") == "stderr":
            budget.kept_stderr = True
        try:
            return super().output(outs, msg, display_id, cell_index)
        except Exception as error:  # nbformat refuses the output (its schema): drop it, say so
            from nbformat import ValidationError

            if not isinstance(error, ValidationError):
                raise
            self._invalid_outputs = getattr(self, "_invalid_outputs", 0) + 1
            return None

    def _cut_error(self, msg: dict, room: int) -> tuple[dict, int]:
        """An error output within what the cell and the notebook have left (`room`), never less
        than ERROR_FLOOR: it stays (nbgrader scores a test cell by it), cut, and counted."""
        content = msg.get("content", {})
        ename, evalue, traceback = content.get("ename", ""), content.get("evalue", ""), content.get("traceback", [])
        if not isinstance(traceback, list):
            traceback = []
        ename, evalue, traceback = str(ename), str(evalue), [str(line) for line in traceback]
        size = len(ename) + len(evalue) + sum(map(len, traceback))
        room = max(room, ERROR_FLOOR)
        if size <= room:
            return msg, size
        ename = cut_text(ename, NAME_CHARS)
        evalue, traceback = cut_error(evalue, traceback, room - len(ename))
        kept = len(ename) + len(evalue) + sum(map(len, traceback))
        self._budget.errors_kept += kept
        return dict(msg, content=dict(content, ename=ename, evalue=evalue, traceback=traceback)), kept

    # ------------------------------------------------------------------ audit
    def _collect_audit(self, index: int | None) -> None:
        km = self.km
        if km is None:
            return
        km.audit.flush()
        events = km.audit_events()
        new, self._audit_offset = events[self._audit_offset:], len(events)
        for event in new:
            if event.get("kind") == "process" and any(name in event.get("detail", "") for name in BENIGN_PROCESSES):
                continue
            if event.get("kind") == "output" and index is not None:
                try:
                    dropped, kept = (int(x) for x in event["detail"].split())
                except ValueError:
                    continue
                self.note(index, "output", f"output truncated: this cell printed {format_size(dropped + kept)}; "
                          f"the first {format_size(kept)} are kept (limit: "
                          f"{format_size(self.sandbox.limits.output_bytes)} per cell)")
                continue
            event["cell"] = self._cell_name(index) if index is not None else None
            self.events.append(event)
