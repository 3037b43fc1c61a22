"""What a run writes to and reads from nbgrader's gradebook besides a graded submission's grades
(`SaveResults` saves those): the assignments' notebooks, registered when missing; an ungradable
submission's zero points and journal row, in one transaction, and its feedback page; the
feedback of a graded one. Every access holds the gradebook lock (`journal.locked`).
"""
from __future__ import annotations

import copy
import html
import shutil
from pathlib import Path

from traitlets.config import Config

from . import journal
from .config import course_id_of, db_url_of
from .course_root import cwd, folder
from .record import Job, JobState, Outcome

RELEASE_SCRATCH = ".autograde/release-scratch"


def _notebook_names(url: str, course_id: str, assignment: str) -> list[str] | None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(url, course_id) as gb:
        try:
            return [n.name for n in gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            return None


def assignment_notebooks(root: Path, cfg: Config, assignments: list[str], log) -> dict[str, list[str]]:
    """Notebook names of each assignment in the gradebook; register missing assignments first."""
    url, course_id = db_url_of(cfg, root), course_id_of(cfg)
    out: dict[str, list[str]] = {}
    for assignment in assignments:
        names = journal.locked(root, _notebook_names, url, course_id, assignment)
        if not names:
            log(f"{assignment}: not in the gradebook yet; recording it from source/ (nbgrader generate_assignment)")
            register_assignment(root, cfg, assignment)
            names = journal.locked(root, _notebook_names, url, course_id, assignment) or []
        out[assignment] = names
    return out


def register_assignment(root: Path, cfg: Config, assignment: str) -> None:
    """nbgrader's generate_assignment into a scratch release folder: the gradebook learns the
    assignment's cells (hidden tests included) without touching release/."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    c = copy.deepcopy(cfg)
    c.CourseDirectory.release_directory = RELEASE_SCRATCH
    coursedir = CourseDirectory(config=c)
    coursedir.assignment_id = assignment
    converter = GenerateAssignment(coursedir=coursedir, config=c)
    converter.force = True
    try:
        with journal.gradebook_lock(root), cwd(root):
            converter.start()
    finally:
        shutil.rmtree(root / RELEASE_SCRATCH, ignore_errors=True)


def expected_metadata(root: Path, cfg: Config, job: Job) -> dict:
    """{notebook: intake.Expected}: the nbgrader metadata the gradebook has for each notebook."""
    from nbgrader.api import Gradebook

    from .intake import expected_cells

    def read():
        with Gradebook(db_url_of(cfg, root), course_id_of(cfg)) as gb:
            return {name: expected_cells(gb, name, job.assignment) for name in job.notebooks}
    return journal.locked(root, read)


def ungradable(root: Path, cfg: Config, job: Job, state: JobState, notes: list[str], reason: str) -> Outcome:
    """Zero points, the reason in the feedback, the journal and the report."""
    state.ungradable = reason
    record_ungradable(root, cfg, job, state)
    shown = notes if reason in notes or reason == "; ".join(notes) else notes + [reason]
    write_ungradable_feedback(root, cfg, job, shown)
    return Outcome(job.assignment, job.student, "ungradable", 0.0, max_score(root, cfg, job),
                   message=f"ungradable: {reason}", notes=notes)


def max_score(root: Path, cfg: Config, job: Job) -> float:
    from nbgrader.api import Gradebook

    def read():
        with Gradebook(db_url_of(cfg, root), course_id_of(cfg)) as gb:
            return gb.find_assignment(job.assignment).max_score
    return journal.locked(root, read)


def record_ungradable(root: Path, cfg: Config, job: Job, state: JobState) -> None:
    """Zero points for every cell (as nbgrader does for a missing notebook) + the journal row."""
    def save():
        with journal.transaction(db_url_of(cfg, root), course_id_of(cfg)) as gb:
            gb.update_or_create_student(job.student)
            submission = gb.update_or_create_submission(job.assignment, job.student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            journal.ensure_table(gb.engine)
            journal.record(gb.db, job.assignment, job.student, job.fingerprint, "ungradable", state.row())
    journal.locked(root, save)
    shutil.rmtree(folder(root, cfg, "autograded") / job.student / job.assignment, ignore_errors=True)


def write_ungradable_feedback(root: Path, cfg: Config, job: Job, notes: list[str]) -> None:
    pages = folder(root, cfg, "feedback") / job.student / job.assignment
    pages.mkdir(parents=True, exist_ok=True)
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    for name in job.notebooks:
        (pages / f"{name}.html").write_text(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title></head>"
            f"<body><h1>{html.escape(job.assignment)}: {html.escape(name)}</h1>"
            f"<p>Score: 0 — your submission could not be graded:</p><ul>{items}</ul>"
            "<p>Check that you hand in the notebook itself (File → Save, then submit the .ipynb file).</p>"
            "</body></html>\n")


def write_feedback(root: Path, cfg: Config, job: Job) -> None:
    """nbgrader's generate_feedback for one submission, with the course's preprocessors."""
    from nbgrader.coursedir import CourseDirectory

    from .converters import CourseFeedback

    c = copy.deepcopy(cfg)
    c.CourseDirectory.student_id = job.student
    c.CourseDirectory.assignment_id = job.assignment
    converter = CourseFeedback(coursedir=CourseDirectory(config=c), config=c, course_root=str(root))
    converter.force = True
    with cwd(root):
        converter.start()
