"""The watchdog: while a cell runs, the limits no rlimit can hold, looked at every half second.

The sandbox's processes (how many the kernel started), their memory with the files in its /tmp
and /dev/shm (kept in memory), and the files its notebook wrote (written.py): past a limit, the
cell's budget records which and why, and the kernel is killed with everything in its sandbox;
the cell then ends as a kernel death and grading goes on in a fresh kernel (recovery.py).
`Watchdog` is a part of `SandboxedExecute` (execute.py).
"""
from __future__ import annotations

import asyncio

from jupyter_core.utils import run_sync

from .config import format_size
from .processes import descendants, kernel_process


class Watchdog:
    """The watchdog half of `SandboxedExecute`: its `km`, `sandbox`, `_budget`, `_written` and
    `_written_reason` are the executor's."""

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        watchdog = asyncio.ensure_future(self._watch())
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            watchdog.cancel()

    execute_cell = run_sync(async_execute_cell)

    def _leftover_processes(self) -> list:
        pid = self.km.launcher_pid() if self.km else None
        if pid is None:
            return []
        kernel = kernel_process(pid)
        return descendants(kernel.pid) if kernel is not None else []

    async def _watch(self) -> None:
        import psutil

        limits = self.sandbox.limits
        while True:
            await asyncio.sleep(0.5)
            km = self._watched_km()
            pid = km.launcher_pid() if km else None
            if pid is None:
                continue
            procs = descendants(pid)
            kernel = kernel_process(pid)
            children = descendants(kernel.pid) if kernel is not None else []
            # files in the sandbox's /tmp and /dev/shm take memory as processes do
            written, in_memory = self._written(km)
            rss = in_memory
            for proc in procs:
                try:
                    rss += proc.memory_info().rss
                except psutil.Error:
                    pass
            if rss > limits.memory:
                # forked processes share their pages: count each page once (proportional set size)
                rss = in_memory
                for proc in procs:
                    try:
                        rss += proc.memory_full_info().pss
                    except (psutil.Error, AttributeError):
                        pass
            budget = self._budget
            if len(children) > limits.processes:
                budget.watchdog_limit = "processes"
                budget.watchdog_reason = (f"This cell started more than {limits.processes} processes at once "
                                          "(the limit); its kernel was stopped and restarted.")
            elif rss > limits.memory:
                budget.watchdog_limit = "memory"
                budget.watchdog_reason = (f"This cell used more than {format_size(limits.memory)} of memory (the "
                                          "limit, files in /tmp and /dev/shm included: they are kept in memory); its "
                                          "kernel was stopped and restarted.")
            elif written > limits.written_bytes:
                budget.watchdog_limit = "files written"
                budget.watchdog_reason = self._written_reason()
            else:
                continue
            km.kill_everything()
            return

    def _watched_km(self):
        return self.km
