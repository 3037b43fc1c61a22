"""The coordinator's side of a job graded elsewhere: one transaction per submission.

Workers of a cluster return a `JobResult`; only the machine with the course folder writes the
gradebook (SQLite or PostgreSQL), autograded/, feedback/ and the journal. The grades and the
journal row are committed together under the gradebook lock, as SaveResults does locally, so a
coordinator killed mid-run leaves each submission saved or not at all, and the next run grades
what is left.

Dask runs a task at least once: a task whose worker died is run again, and the same submission
may come back twice. A result carries its run's id into the journal row; a second result for
the same (assignment, student, fingerprint) in the same run is not saved again.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from . import journal
from .config import db_url_of
from .course_root import folder, save_job_log
from .job import JobResult
from .record import Job


def save(root: Path, cfg: Config, result: JobResult, run_id: str) -> bool:
    """Save a graded or ungradable result; False when this run saved it already."""
    assert result.status in ("graded", "ungradable"), result.status
    url = db_url_of(cfg, root)
    course_id = cfg.CourseDirectory.get("course_id") or "default_course"
    if _saved_by(url, result) == run_id:
        return False
    job = Job(result.assignment, result.student, [], result.fingerprint)
    row = dict(result.journal or {}, run=run_id)
    if result.log:
        row["log"] = str(save_job_log(root, job, result.log))
    aside = journal.state_dir(root) / "saving"
    _replace(folder(root, cfg, "autograded") / result.student / result.assignment, result.autograded, aside)
    _replace(folder(root, cfg, "feedback") / result.student / result.assignment, result.feedback, aside)

    def write() -> bool:
        # nbgrader 0.9.6 with SQLAlchemy 2 warns on every new submission; nothing is lost (as in worker.setup_worker)
        warnings.filterwarnings("ignore", category=SAWarning)
        with journal.transaction(url, course_id) as gb:
            session = gb.db
            journal.ensure_table(gb.engine)
            # checked again under the lock: two results of one task may race to here
            if _saved_by_in(session, result) == run_id:
                return False
            gb.update_or_create_student(result.student)
            submission = gb.update_or_create_submission(result.assignment, result.student)
            submission.timestamp = result.timestamp
            for score in result.scores:
                grade = gb.find_grade(score.cell, score.notebook, result.assignment, result.student)
                grade.auto_score = score.score
                grade.needs_manual_grade = score.needs_manual
            for note in result.comments:
                comment = gb.find_comment(note.cell, note.notebook, result.assignment, result.student)
                comment.auto_comment = note.comment
            session.flush()
            _late_penalties(gb, cfg, result)
            journal.record(session, result.assignment, result.student, result.fingerprint, result.status, row)
            return True

    return journal.locked(root, write)


def _late_penalties(gb, cfg: Config, result: JobResult) -> None:
    """The late penalty from this gradebook's due date and extensions (the worker has neither)."""
    from nbgrader.preprocessors import AssignLatePenalties

    submission = gb.find_submission(result.assignment, result.student)
    late = submission.total_seconds_late
    plugin = None
    for notebook in submission.notebooks:
        notebook.late_submission_penalty = None
        if late > 0:
            if plugin is None:
                penalties = AssignLatePenalties(config=cfg)
                penalties.init_plugin()
                plugin = penalties
            penalty = plugin.plugin_inst.late_submission_penalty(result.student, notebook.score, late)
            if penalty is not None:
                notebook.late_submission_penalty = plugin._check_late_penalty(notebook, penalty)


def _saved_by(url: str, result: JobResult) -> str | None:
    engine = sa.create_engine(url, future=True)
    try:
        journal.ensure_table(engine)
        with engine.connect() as conn:
            return _saved_by_in(conn, result)
    finally:
        engine.dispose()


def _saved_by_in(conn, result: JobResult) -> str | None:
    """The run that saved this very submission (same files), if any."""
    row = conn.execute(sa.select(journal.journal.c.fingerprint, journal.journal.c.result).where(
        journal.journal.c.assignment == result.assignment, journal.journal.c.student == result.student)).first()
    if row is None or row.fingerprint != result.fingerprint:
        return None
    try:
        return json.loads(row.result).get("run")
    except ValueError:
        return None


def _replace(folder: Path, files: dict[str, bytes], aside: Path) -> None:
    """The folder now holds exactly `files`: written in `aside` (out of nbgrader's sight, same
    disk), then swapped in, so a half-written folder is never taken for a graded one."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    aside.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix="new-", dir=aside))
    for relative, data in files.items():
        path = (fresh / relative).resolve()
        if fresh.resolve() not in path.parents:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    os.chmod(fresh, 0o755)
    old = Path(tempfile.mkdtemp(prefix="old-", dir=aside)) / "gone"
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old.parent, ignore_errors=True)
