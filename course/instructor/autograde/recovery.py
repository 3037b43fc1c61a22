"""When a kernel dies: a fresh one, with the cells that ran before it replayed.

A cell that kills its kernel (`os._exit`, a kill, a crash, a limit the watchdog enforces) gets an
error saying so, and a fresh kernel replays the cells that ran before it (their outputs discarded,
each with a budget of its own that counts for nothing), so grading goes on; after
`kernel_restarts` deaths, or when no fresh kernel starts, the remaining cells are marked as not
run. `KernelRecovery` is a part of `SandboxedExecute` (execute.py), which runs the cells.
"""
from __future__ import annotations

import copy

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError


class KernelStartError(RuntimeError):
    """No kernel could be started. Before any of the student's code ran, the infrastructure
    failed (`after_student_code` False); after, it may be what the student's code left behind."""

    after_student_code = False


class KernelRecovery:
    """The recovery half of `SandboxedExecute`: its `_stop`, `_start`, `note`, `_begin_cell` and
    `_prune_written` are the executor's."""

    def _death_reason(self) -> str:
        code = None
        process = getattr(self.km.provisioner, "process", None) if self.km else None
        if process is not None:
            code = process.poll()
        how = ""
        if code is not None and code != 0:
            how = f" (exit code {code})" if code < 128 else f" (killed by signal {code - 128})"
        return (f"The kernel died while running this cell{how}. Grading went on in a fresh kernel "
                "that re-ran the cells before this one.")

    def _recover(self, next_index: int) -> bool:
        """A fresh kernel with the state of the cells run so far; False when we give up."""
        self._restarts += 1
        self._stop()
        # files a stopped cell wrote into the folder stay: past the limit, they go now (largest
        # first, as after the last cell), or every later cell would be stopped for them
        self._prune_written()
        if not any(c.cell_type == "code" and c.source.strip() for c in self.nb.cells[next_index:]):
            return True  # nothing left to run: no fresh kernel, no replay
        limits = self.sandbox.limits
        if self._restarts > limits.kernel_restarts:
            self._given_up = (f"The kernel died {self._restarts} times (the limit is {limits.kernel_restarts}); "
                              "the remaining cells were not run.")
            self.note(next_index if next_index < len(self.nb.cells) else len(self.nb.cells) - 1,
                      "kernel died", self._given_up)
            return False
        try:
            self._start()
        except KernelStartError as error:
            first = str(error).splitlines()[0]
            self._given_up = ("After the kernel died, no fresh kernel could be started (what the cells "
                              f"before left running may have kept it from starting: {first[:300]}); "
                              "the remaining cells were not run.")
            self.note(next_index if next_index < len(self.nb.cells) else len(self.nb.cells) - 1,
                      "kernel start", self._given_up)
            return False
        # what the replay prints is thrown away: it counts neither for the notebook nor for the
        # cell being graded (a test cell whose student kernel was restarted)
        kept = self._notebook_output, self._budget
        for index in list(self._executed):
            if self._remaining() <= 0:
                break
            original = self.nb.cells[index]
            replay = copy.deepcopy(original)
            try:
                self._begin_cell()
                run_sync(self._replay_cell)(replay, index)
            except (DeadKernelError, CellTimeoutError):
                self._executed.remove(index)
                self.note(index, "kernel died", "Re-running this cell after a kernel restart stopped the kernel "
                          "again; it was left out.")
                return self._recover(next_index)
            finally:
                self.nb.cells[index] = original
                self._notebook_output, self._budget = kept
        return True

    async def _replay_cell(self, cell, index):
        # Execute's own: no watchdog (Watchdog's async_execute_cell comes before this class)
        await super().async_execute_cell(cell, index, store_history=False)
