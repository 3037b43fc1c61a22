"""What grading a notebook produces, kept within bounds: text that leaves the grader (cut, with
a marker saying how much), and bytes its sandboxes write (measured).

Standard library only: the kernels import it too (`guard` cuts an error before it is sent).
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator

# A cut text ends with this; cutting a cut text again adds up the counts, so the student reads
# how much their text really lost, not how much the last cut took.
_MARK = re.compile(r"\[… ([0-9,]+) characters cut\]$")
NAME_CHARS = 200     # an exception's type name
# What each file or folder costs the meter besides its bytes: a million empty files fill a disk's
# inodes as surely as big files fill its blocks.
ENTRY_BYTES = 4096


def cut_text(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and a marker saying how many were cut."""
    if len(text) <= limit:
        return text
    before = 0
    tail = text[-40:]
    found = _MARK.search(tail)
    if found:
        before = int(found.group(1).replace(",", ""))
        text = text[:len(text) - len(tail) + found.start()]
        if len(text) <= limit:
            return text + f"[… {before:,} characters cut]"
    limit = max(limit, 0)
    return text[:limit] + f"[… {len(text) - limit + before:,} characters cut]"


def cut_error(evalue: str, traceback: list[str], budget: int) -> tuple[str, list[str]]:
    """An error's message and traceback in about `budget` characters in all.

    The message gets at most half. The traceback keeps its lines in order (where it failed
    first, then the message it ends with), the line that crosses the budget is cut, and the
    lines after it are replaced by one saying how much was left out.
    """
    evalue = cut_text(evalue, budget // 2)
    room = max(budget - len(evalue), budget // 2)
    kept: list[str] = []
    used = 0
    for position, line in enumerate(traceback):
        if used + len(line) <= room:
            kept.append(line)
            used += len(line)
            continue
        kept.append(cut_text(line, room - used))
        rest = traceback[position + 1:]
        if rest:
            kept.append(f"[… {len(rest):,} more line(s), {sum(map(len, rest)):,} characters, cut]")
        break
    return evalue, kept


def lstat_each(folder: str, names) -> Iterator[tuple[str, os.stat_result]]:
    """(path, lstat) of each of `names` in `folder`, leaving out the ones gone since they were
    listed (a kernel may still be removing its files)."""
    for name in names:
        path = os.path.join(folder, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        yield path, st


def tree_bytes(path, stop: int | None = None) -> int:
    """Bytes under `path` (files' sizes plus ENTRY_BYTES per entry); counting stops past `stop`."""
    total = 0
    todo = [os.fspath(path)]
    while todo:
        try:
            entries = os.scandir(todo.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                except OSError:
                    continue
                total += st.st_size + ENTRY_BYTES
                if stop is not None and total > stop:
                    return total
    return total


def tmpfs_used(path: str, size: int) -> int | None:
    """Bytes in use on the tmpfs mounted at `path`, when it is one of `size` bytes (the sandbox's
    own, seen through /proc/PID/root), else None: a path that leads elsewhere (a process gone,
    its pid taken by another) must not be counted as the sandbox's."""
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    if st.f_blocks * st.f_frsize != size:
        return None
    return (st.f_blocks - st.f_bfree) * st.f_frsize


# the JSON escape of one half of a UTF-16 pair without its other half (a quick test: an escaped
# backslash before it, "\\ud800", is plain text, which lone_surrogate() tells apart)
_SURROGATE_ESCAPE = re.compile(rb"(?i)\\ud[89a-f][0-9a-f]{2}")


def lone_surrogate(raw: bytes, decoded: Any) -> bool:
    """Whether JSON `raw`, decoded into `decoded`, holds a lone surrogate ("\ud800" alone): a str
    that no UTF-8 file (graded notebook, feedback, report) can hold."""
    if not _SURROGATE_ESCAPE.search(raw):
        return False
    try:
        json.dumps(decoded, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, TypeError, RecursionError):
        return False
    return False


_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(value: Any, depth: int = 0) -> Any:
    """`value` (decoded JSON) with every lone surrogate replaced by U+FFFD (a valid pair was joined
    into one character when the JSON was decoded, so any surrogate left is a lone one)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if depth > 200:
        return value
    if isinstance(value, list):
        return [replace_surrogates(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {replace_surrogates(k, depth + 1): replace_surrogates(v, depth + 1) for k, v in value.items()}
    return value
