"""One submission graded in a local course folder, as data in and data out.

`course autograde --workers N` grades in the course folder itself and saves straight into its
gradebook. A machine of a cluster has no course folder: it gets a copy of what grading needs
(`bundle`), a scratch gradebook in it, and one submission's files per job. `grade` runs today's
worker code on them unchanged (`worker.grade_job`: staging, sandbox, two processes, limits,
tamper scan, SaveResults, feedback) into the scratch folder, then reads back what was saved and
returns it; the coordinator alone writes the real gradebook (`saving`).
"""
from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import journal, worker
from .config import db_url_of
from .course_root import folder as course_folder, job_log_path
from .record import Job, Outcome

# What the kernel wrote next to the notebook comes back up to this much per submission (the
# notebooks and feedback always do): it crosses the network, and max_written_bytes allows 500M.
RETURNED_FILE_BYTES = 20 * 2**20


@dataclass(frozen=True)
class JobSpec:
    """One submission: everything a grading machine needs besides the course's bundle."""
    assignment: str
    student: str
    notebooks: tuple[str, ...]        # the assignment's notebook names in the gradebook
    fingerprint: str
    files: dict[str, bytes]           # the submitted folder's files, by relative path

    @classmethod
    def read(cls, folder: Path, job: Job) -> "JobSpec":
        files = {}
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            # stage() drops symlinks and checkpoints too: they never reach the grader
            if path.is_symlink() or not path.is_file() or ".ipynb_checkpoints" in relative.parts:
                continue
            files[str(relative)] = path.read_bytes()
        return cls(job.assignment, job.student, tuple(job.notebooks), job.fingerprint, files)

    def job(self) -> Job:
        return Job(self.assignment, self.student, list(self.notebooks), self.fingerprint)


@dataclass(frozen=True)
class CellScore:
    notebook: str
    cell: str                         # the grade cell's grade_id
    score: float | None               # auto_score
    max_score: float
    needs_manual: bool


@dataclass(frozen=True)
class CellComment:
    notebook: str
    cell: str
    comment: str | None               # auto_comment


@dataclass
class JobResult:
    assignment: str
    student: str
    fingerprint: str
    outcome: Outcome           # status, points, notes, timings, message, as the local pool reports
    scores: list[CellScore] = field(default_factory=list)
    comments: list[CellComment] = field(default_factory=list)
    timestamp: datetime | None = None
    journal: dict | None = None       # the journal row's result: per-notebook cells and notes, tamper, intake
    autograded: dict[str, bytes] = field(default_factory=dict)
    feedback: dict[str, bytes] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)   # written files past RETURNED_FILE_BYTES
    log: str = ""                     # the job's log (nbgrader's traceback and log), when it has one

    @property
    def status(self) -> str:
        return self.outcome.status

    @property
    def tamper(self) -> list:
        return (self.journal or {}).get("tamper", [])


@dataclass(frozen=True)
class LocalCourse:
    """A course folder this process grades in, with today's worker settings."""
    root: Path
    overrides: dict
    sandboxed: bool
    shared_dir: Path | None = None


def open_course(course: LocalCourse) -> None:
    """Point this process's grading state at `course` (once per process: it keeps kernels)."""
    worker.setup_worker(course.root, course.overrides, course.sandboxed, course.shared_dir)


def grade(spec: JobSpec, course: LocalCourse) -> JobResult:
    if worker.worker_root() != course.root:
        open_course(course)
    root, cfg = course.root, worker.worker_config()
    folders = {name: course_folder(root, cfg, name) for name in ("submitted", "autograded", "feedback")}
    mine = {name: folder / spec.student / spec.assignment for name, folder in folders.items()}
    for folder in mine.values():
        shutil.rmtree(folder, ignore_errors=True)
    _write_files(mine["submitted"], spec.files)
    job = spec.job()
    journal.forget(db_url_of(cfg, root), [(spec.assignment, spec.student)])
    try:
        outcome = worker.grade_job(job)
        result = JobResult(spec.assignment, spec.student, spec.fingerprint, outcome)
        log = job_log_path(root, job)
        if log.is_file():
            result.log = log.read_text(errors="replace")
            log.unlink()
        if outcome.status in ("graded", "ungradable"):
            _read_back(root, cfg, spec, result)
            result.autograded, result.left_out = _read_files(mine["autograded"], RETURNED_FILE_BYTES)
            result.feedback, _ = _read_files(mine["feedback"], None)
        return result
    finally:
        for folder in mine.values():
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(OSError):
                folder.parent.rmdir()  # the student's folder, when this was their only assignment
        _forget_submission(root, cfg, spec)


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True)
    base = folder.resolve()
    for relative, data in files.items():
        path = (folder / relative).resolve()
        if base not in path.parents:  # a crafted name must not write outside the submission
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _read_files(folder: Path, cap: int | None) -> tuple[dict[str, bytes], list[str]]:
    files: dict[str, bytes] = {}
    left_out: list[str] = []
    if not folder.is_dir():
        return files, left_out
    used = 0
    paths = sorted((p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()),
                   key=lambda p: (p.suffix != ".ipynb", str(p)))   # the graded notebooks first
    for path in paths:
        relative = str(path.relative_to(folder))
        size = path.stat().st_size
        if cap is not None and path.suffix != ".ipynb" and used + size > cap:
            left_out.append(relative)
            continue
        used += size
        files[relative] = path.read_bytes()
    return files, left_out


def _read_back(root: Path, cfg, spec: JobSpec, result: JobResult) -> None:
    from nbgrader.api import Gradebook

    url = db_url_of(cfg, root)
    row = journal.read(url).get((spec.assignment, spec.student))
    result.journal = row["result"] if row else None
    with Gradebook(url, cfg.CourseDirectory.get("course_id") or "default_course") as gb:
        submission = gb.find_submission(spec.assignment, spec.student)
        result.timestamp = submission.timestamp
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                result.scores.append(CellScore(notebook.name, grade.name, grade.auto_score, grade.max_score,
                                               bool(grade.needs_manual_grade)))
            for comment in notebook.comments:
                result.comments.append(CellComment(notebook.name, comment.name, comment.auto_comment))


def _forget_submission(root: Path, cfg, spec: JobSpec) -> None:
    """The scratch gradebook keeps no student: the next job starts from the bundle's state."""
    from nbgrader.api import Gradebook, MissingEntry

    url = db_url_of(cfg, root)
    with Gradebook(url, cfg.CourseDirectory.get("course_id") or "default_course") as gb:
        try:
            gb.remove_submission(spec.assignment, spec.student)
        except MissingEntry:
            pass
    journal.forget(url, [(spec.assignment, spec.student)])
