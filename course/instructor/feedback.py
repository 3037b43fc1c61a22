"""`course feedback`: the students' feedback again, from the gradebook, after grading by hand.

`course autograde` writes each student's feedback as it grades. Points given later by hand (the
formgrader's manual grading of written answers) reach the feedback only when it is generated
again. Stock `nbgrader generate_feedback`, which the formgrader's Generate Feedback button calls,
would do it without the course's feedback preprocessors (hidden-test echoes scrubbed from error
outputs, the grading notes) and would hand back every file the student's kernel wrote while
graded. This command regenerates it with the course's own converter, for the submissions the
journal records as graded; an ungradable submission keeps the page that says why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .autograde import journal
from .autograde.config import db_url_of
from .autograde.course_root import course_config, folder
from .autograde.gradebook import write_feedback
from .autograde.record import Job
from .autograde.run import run_lock


@dataclass
class FeedbackResult:
    written: list[tuple[str, str]] = field(default_factory=list)   # (assignment, student)
    kept: list[tuple[str, str, str]] = field(default_factory=list)  # (assignment, student, why)


def regenerate(root: Path, assignments: list[str] | None = None, students: list[str] | None = None,
               log=print) -> FeedbackResult:
    """Write the feedback of every graded submission of `assignments` (default: all the journal
    knows) by `students` (default: all) again, with the gradebook's current grades."""
    root = Path(root).resolve()
    cfg = course_config(root)
    result = FeedbackResult()
    with run_lock(root):  # never beside a run that is still writing grades
        rows = journal.locked(root, journal.read, db_url_of(cfg, root))
        autograded = folder(root, cfg, "autograded")
        for (assignment, student), row in sorted(rows.items()):
            if (assignments and assignment not in assignments) or (students and student not in students):
                continue
            if row["status"] != "graded":
                result.kept.append((assignment, student, f"{row['status']}: its feedback says why"))
                continue
            graded = autograded / student / assignment
            notebooks = sorted(p.stem for p in graded.glob("*.ipynb"))
            if not notebooks:
                result.kept.append((assignment, student, f"no graded notebook in {graded}"))
                continue
            write_feedback(root, cfg, Job(assignment, student, notebooks, row["fingerprint"]))
            result.written.append((assignment, student))
    log(f"Feedback written for {len(result.written)} submission(s)"
        + (f"; {len(result.kept)} kept as they were:" if result.kept else "."))
    for assignment, student, why in result.kept:
        log(f"  {student}/{assignment}: {why}")
    return result
