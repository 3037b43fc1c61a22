"""The gradebook lock and the run journal: what makes parallel grading loss-free and resumable.

Every worker touches nbgrader's gradebook only while holding one file lock per course folder
(short phases: create the submission, read the cells to restore, save the grades, read them for
the feedback); notebooks execute outside it. SQLite then never sees two writers at once, so no
"database is locked"; an outside reader (formgrader) that holds the file a moment is waited for.

The journal is one table in the gradebook itself, `course_autograde_journal`, one row per
(assignment, student): written in the same transaction as the submission's grades, so after a
SIGINT or SIGKILL a submission either has both or neither. A new run skips the submissions whose
row matches the submitted files' fingerprint and grades the rest; nothing is graded twice.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import random
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from .meter import cut_text

T = TypeVar("T")

metadata = sa.MetaData()
journal = sa.Table(
    "course_autograde_journal", metadata,
    sa.Column("assignment", sa.String(128), primary_key=True),
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),      # graded | ungradable
    sa.Column("result", sa.Text, nullable=False),             # JSON: reasons, tamper findings, failures
    sa.Column("finished_at", sa.DateTime, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False, default=1),
)


def state_dir(root: Path) -> Path:
    path = root / ".autograde"
    path.mkdir(exist_ok=True)
    return path


@contextlib.contextmanager
def gradebook_lock(root: Path) -> Iterator[None]:
    """Exclusive access to the gradebook for this course folder's graders."""
    with open(state_dir(root) / "gradebook.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


RETRIES = 0  # how often this process had to wait for someone else's lock (the tests read it)


def retrying(fn: Callable[[], T], attempts: int = 12) -> T:
    """Run fn; retry while SQLite says the database is locked (someone outside our lock)."""
    global RETRIES
    for attempt in range(attempts):
        try:
            return fn()
        except OperationalError as error:
            if "locked" not in str(error).lower() or attempt == attempts - 1:
                raise
            RETRIES += 1
            time.sleep(min(5.0, 0.1 * 2 ** attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


def locked(root: Path, fn: Callable[..., T], *args, **kwargs) -> T:
    """fn(*args, **kwargs) under the gradebook lock, retried on a transient SQLite lock."""
    with gradebook_lock(root):
        return retrying(lambda: fn(*args, **kwargs))


@contextlib.contextmanager
def transaction(db_url: str, course_id: str = "default_course"):
    """nbgrader's Gradebook whose session is committed once, at the end, or rolled back on any
    error: grades and the journal row are saved together or not at all."""
    from nbgrader.api import Gradebook

    gradebook = Gradebook(db_url, course_id)
    try:
        yield gradebook
        gradebook.db.commit()
    except BaseException:
        gradebook.db.rollback()
        raise
    finally:
        gradebook.close()


def fingerprint(folder: Path) -> str:
    """A hash of every file of a submission (names and contents): a resubmission changes it."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


ROW_CHARS = 1 << 20   # a journal row's result, as JSON
TEXT_CHARS = 20_000   # one text of it (nbgrader's traceback, its last 20,000 characters, fits)


def bounded_json(result: dict) -> str:
    """`result` as JSON of at most ROW_CHARS characters: the gradebook holds one row per student.

    Texts come from the grading of a student's notebook (failure messages, notes, findings that
    quote its code); each is bounded where it is made. Should a row still be too long, texts are
    cut and lists shortened, harder each time, until it fits, and `cut` says so."""
    text = json.dumps(result, default=str)
    if len(text) <= ROW_CHARS:
        return text
    for chars, items in ((TEXT_CHARS, 1000), (2000, 100), (200, 10)):
        shrunk = _shrunk(result, chars, items)
        shrunk["cut"] = (f"this result had {len(text):,} characters as JSON, more than the {ROW_CHARS:,} a journal "
                         f"row keeps: texts were cut to {chars:,} characters, lists to {items:,} items")
        shrunk_text = json.dumps(shrunk, default=str)
        if len(shrunk_text) <= ROW_CHARS:
            return shrunk_text
    return json.dumps({"notebooks": {}, "ungradable": cut_text(str(result.get("ungradable") or ""), 2000) or None,
                       "cut": f"this result had {len(text):,} characters as JSON; only this is kept"})


def _shrunk(value, chars: int, items: int):
    if isinstance(value, str):
        return cut_text(value, chars)
    if isinstance(value, dict):
        return {cut_text(str(key), chars): _shrunk(item, chars, items) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        # the items that go leave no marker: readers of a list of notes expect notes
        return [_shrunk(item, chars, items) for item in value[:items]]
    return value


def ensure_table(engine) -> None:
    metadata.create_all(engine, checkfirst=True)


def record(session, assignment: str, student: str, fp: str, status: str, result: dict) -> None:
    """Upsert the journal row in the caller's transaction (committed with the grades)."""
    row = session.execute(sa.select(journal.c.attempt).where(
        journal.c.assignment == assignment, journal.c.student == student)).first()
    values = dict(fingerprint=fp, status=status, result=bounded_json(result),
                  finished_at=datetime.now(timezone.utc).replace(tzinfo=None))
    if row is None:
        session.execute(journal.insert().values(assignment=assignment, student=student, attempt=1, **values))
    else:
        session.execute(journal.update().where(
            journal.c.assignment == assignment, journal.c.student == student).values(
            attempt=row.attempt + 1, **values))


def read(db_url: str) -> dict[tuple[str, str], dict]:
    """Every journal row, by (assignment, student)."""
    engine = sa.create_engine(db_url, future=True)
    try:
        ensure_table(engine)
        with engine.connect() as conn:
            rows = conn.execute(sa.select(journal)).mappings().all()
    finally:
        engine.dispose()
    out = {}
    for row in rows:
        entry = dict(row)
        entry["result"] = json.loads(entry["result"])
        out[(row["assignment"], row["student"])] = entry
    return out


def forget(db_url: str, keys: list[tuple[str, str]]) -> None:
    engine = sa.create_engine(db_url, future=True)
    try:
        ensure_table(engine)
        with engine.begin() as conn:
            for assignment, student in keys:
                conn.execute(journal.delete().where(journal.c.assignment == assignment,
                                                    journal.c.student == student))
    finally:
        engine.dispose()

