"""What a notebook's kernels write: the files in its folder, and every other place they may write.

The limit `written_bytes` counts all of it together: the folder's new and changed files (against
what it held before the first cell, `folder_files`), each kernel's /tmp, /dev/shm, home and
runtime folders. The watchdog and the check after each cell read it (`_written`); after the last
cell, and after a kernel's death, what the folder holds past the limit is deleted, largest first
(`_prune_written`). `WrittenFiles` is a part of `SandboxedExecute` (execute.py).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from .config import format_size
from .meter import lstat_each


class WrittenFiles:
    """The files-written half of `SandboxedExecute`: its `sandbox`, `_workdir`, `_before`, `notes`
    and `nb` are the executor's."""

    def _written(self, km, force: bool = False) -> tuple[int, int]:
        """(bytes written in every place the notebook's sandboxes may write, of which in memory).

        The folder's new and changed files (walked every 2 s, or when `force`d: a folder may hold
        many), then, every time, each kernel's runtime folder and log (a few files) and its /tmp
        and /dev/shm (a statvfs each)."""
        limit = self.sandbox.limits.written_bytes
        now = time.monotonic()
        if force or now - self._written_checked >= 2:
            self._written_checked = now
            self._folder_written = sum(written_files(self._workdir, self._before).values())
        disk, in_memory = km.places_used(stop=limit) if km is not None else (0, 0)
        return self._folder_written + disk + in_memory + self._other_places(limit), in_memory

    def _other_places(self, stop: int) -> int:
        """Bytes in the writable places of the other kernels grading this notebook (none here)."""
        return 0

    def _written_reason(self) -> str:
        return (f"This cell wrote more than {format_size(self.sandbox.limits.written_bytes)} of files, the limit "
                "for all the files a notebook writes: into its folder, /tmp, /dev/shm, its home folder and its "
                "kernel's own folder, together. Its kernel was stopped and restarted, so the files it wrote "
                "outside its folder are gone; the cells after it ran in a fresh kernel.")

    def _prune_written(self) -> dict:
        """Keep at most `written_bytes` of what the kernel wrote into its folder (largest first
        go); the rest is deleted with a note. Returns {path: bytes} of what it wrote."""
        limit = self.sandbox.limits.written_bytes
        written = written_files(self._workdir, self._before)
        total = sum(written.values())
        if total > limit:
            removed = []
            for path, size in sorted(written.items(), key=lambda item: -item[1]):
                if total <= limit:
                    break
                try:
                    (self._workdir / path).unlink()
                except OSError:
                    continue
                total -= size
                removed.append(path)
            shown = ", ".join(removed[:5]) + (f" and {len(removed) - 5} more" if len(removed) > 5 else "")
            self.notes.append({"cell": "notebook", "index": len(self.nb.cells) - 1, "limit": "files written",
                               "reason": f"Your notebook wrote {format_size(sum(written.values()))} of files into "
                                         f"its folder; at most {format_size(limit)} are kept, so these were "
                                         f"deleted: {shown}."})
        return written


def folder_files(folder: Path) -> dict[str, tuple]:
    """{relative path: (size, mtime_ns, inode)} of the regular files under `folder`."""
    out = {}
    for base, dirs, files in os.walk(folder):
        for path, st in lstat_each(base, files):
            if os.path.isfile(path) and not os.path.islink(path):
                out[os.path.relpath(path, folder)] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def written_files(folder: Path, before: dict[str, tuple]) -> dict[str, int]:
    """Files under `folder` that are new or changed since `before`: {relative path: bytes}."""
    return {path: info[0] for path, info in folder_files(folder).items() if before.get(path) != info}
