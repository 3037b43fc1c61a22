"""Whose fault an exception is while grading a submission, and what follows.

The submission's: its notebook or its nbgrader metadata fails validation (nbformat's, nbgrader's
schema), a limit of intake stops it, or the grader's kernel cannot start again after the
student's code ran. The student gets zero points and the reason ("ungradable: ...").

Anything else is the grader's: the job is FAILED, its traceback kept in the job's log
(`.autograde/logs/<assignment>/<student>.log`), and the next run grades it again. A submission
that fails on every run (`REPEATS` in a row, same files) is not tried again until its files
change or `--regrade` asks for it: the run's summary says so instead of failing it forever.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from . import journal
from .record import Job, Outcome

REPEATS = 3   # failed runs in a row after which a submission is left for the instructor


class GraderFault(RuntimeError):
    """The grader itself failed while grading a submission: str() says what and where its
    traceback is kept; `log` is that traceback with nbgrader's log."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log


def _causes(error: BaseException):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def grader_fault(error: BaseException) -> str | None:
    """Which part of the grader failed, when `error` says (the sandbox, the gradebook, the disk)."""
    import sqlalchemy.exc

    from .execute import KernelStartError

    for cause in _causes(error):
        if isinstance(cause, KernelStartError) and not getattr(cause, "after_student_code", False):
            return "the sandbox: " + str(cause).splitlines()[0]
        if isinstance(cause, sqlalchemy.exc.SQLAlchemyError):
            return "the gradebook: " + str(cause).splitlines()[0][:300]
        if isinstance(cause, OSError) and cause.errno in (28, 122, 5, 30):  # no space, quota, I/O, read-only
            return f"the disk: {cause}"
    return None


def caused_by_submission(error: BaseException) -> bool:
    """Whether the submission made grading fail (see the module's docstring)."""
    from jsonschema import ValidationError   # nbformat's and nbgrader's metadata validation
    from nbformat.reader import NotJSONError
    from nbgrader.nbgraderformat.common import SchemaMismatchError

    from .execute import KernelStartError
    from .intake import Unreadable

    for cause in _causes(error):
        if isinstance(cause, KernelStartError):
            return bool(getattr(cause, "after_student_code", False))
        if isinstance(cause, (ValidationError, NotJSONError, SchemaMismatchError, Unreadable)):
            return True
    return False


def ungradable_reason(error: BaseException) -> str:
    first = (str(error).strip().splitlines() or [""])[0][:300]
    return f"nbgrader could not grade it ({type(error).__name__}: {first})".replace(": )", ")")


# --- failures run after run ---------------------------------------------------------------

def _path(root: Path) -> Path:
    return journal.state_dir(root) / "failures.json"


def repeated(root: Path) -> dict[str, dict]:
    """{"<assignment>/<student>": {"fingerprint", "runs", "message"}}: the submissions that failed
    on the last runs that tried them, and how many runs in a row."""
    try:
        found = json.loads(_path(root).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _key(job: Job | Outcome) -> str:
    return f"{job.assignment}/{job.student}"


def given_up(failures: dict[str, dict], job: Job) -> dict | None:
    """The record of a submission that failed on the last REPEATS runs with these very files."""
    entry = failures.get(_key(job))
    if entry and entry.get("fingerprint") == job.fingerprint and entry.get("runs", 0) >= REPEATS:
        return entry
    return None


def remember(root: Path, tried: list[Job], outcomes: list[Outcome]) -> None:
    """Count this run's failures on top of the last runs'; a submission graded or found
    ungradable is forgotten. Written by the coordinator only, under the run lock."""
    failures = repeated(root)
    by_key = {_key(job): job for job in tried if not job.feedback_only}
    for outcome in outcomes:
        job = by_key.get(_key(outcome))
        if job is None:
            continue
        if outcome.status == "failed":
            before = failures.get(_key(job), {})
            runs = before.get("runs", 0) + 1 if before.get("fingerprint") == job.fingerprint else 1
            failures[_key(job)] = {"fingerprint": job.fingerprint, "runs": runs,
                                   "message": (outcome.message.splitlines() or [""])[0][:500]}
        elif outcome.status in ("graded", "ungradable"):
            failures.pop(_key(job), None)
    path = _path(root)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(failures, indent=1, sort_keys=True))
    os.replace(scratch, path)
