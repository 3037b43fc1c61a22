"""A kernel's audit pipe, grader side: the read end, drained by a thread into a list of events.

The kernel reports what it did (processes started, output it dropped, ...) as JSON lines into
the pipe's write end, which it inherits from bwrap; `SandboxKernelManager` (kernel_manager.py)
opens one per kernel start and collects its events.
"""
from __future__ import annotations

import json
import os

AUDIT_MAX_BYTES = 4 * 2**20  # what the grader reads of one kernel's audit pipe


class AuditPipe:
    """The read end of a kernel's audit pipe, drained by a thread into a list of events.

    The kernel holds only the write end (passed to bwrap as an inherited fd): it can add lines,
    never take back one it wrote. Lines that are not JSON objects are dropped; at most
    AUDIT_MAX_BYTES are read per kernel.
    """

    def __init__(self):
        import threading

        self._lock = threading.Lock()
        self._events: list[dict] = []
        self._read_end: int | None = None
        self._write_end: int | None = None
        self._thread = None
        self._stop = False

    def open(self) -> int:
        self.close()
        self._read_end, self._write_end = os.pipe()
        self._stop = False
        return self._write_end

    def started(self) -> None:
        """The kernel has its copy of the write end: drop ours (EOF comes when the kernel's goes)."""
        import threading

        if self._write_end is not None:
            os.close(self._write_end)
            self._write_end = None
        if self._read_end is not None and self._thread is None:
            self._thread = threading.Thread(target=self._drain, args=(self._read_end,), daemon=True)
            self._thread.start()

    def _drain(self, fd: int) -> None:
        import select

        buffer, total = b"", 0
        while not self._stop:
            try:
                ready, _, _ = select.select([fd], [], [], 0.2)
            except (OSError, ValueError):
                break
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            total += len(chunk)
            if total > AUDIT_MAX_BYTES:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            parsed = []
            for line in lines:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict) and isinstance(event.get("kind"), str):
                    parsed.append({"kind": event["kind"][:100], "detail": str(event.get("detail", ""))[:300]})
            with self._lock:
                self._events += parsed

    def events(self) -> list[dict]:
        with self._lock:
            return list(self._events)

    def flush(self, timeout: float = 0.3) -> None:
        """Give the reader a moment for lines already in the pipe."""
        import select
        import time

        if self._read_end is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ready, _, _ = select.select([self._read_end], [], [], 0)
            except (OSError, ValueError):
                return
            if not ready:
                return
            time.sleep(0.02)

    def close(self) -> None:
        self._stop = True
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        for fd in (self._read_end, self._write_end):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._read_end = self._write_end = None

