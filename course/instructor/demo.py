"""The main job: grade the example submissions with `course autograde` and show the points.

Copies tests/submissions/<student>/<assignment>/ into nbgrader's submitted/ folder, records each
assignment in the SQLite gradebook (`nbgrader generate_assignment`), grades the examples with the
project's grader (`course autograde`: one sandbox per submission, parallel workers, nbgrader's
Autograde and feedback), and prints a table of points per student and exercise and the reports'
paths.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .assignments import notebook_name
import nbformat

from .build import EXAMPLE_STUDENTS, available_assignments, kernel_env, nbgrader, source_notebook


@dataclass(frozen=True)
class Score:
    """One graded cell of one student's notebook."""

    student: str
    assignment: str
    cell: str
    score: float | None  # None: waits for a manual grade
    max_score: float


def db_url(root: Path) -> str:
    return "sqlite:///" + str(root / "gradebook.db")


def open_gradebook(root: Path, course_id: str = "nn-from-scratch") -> Gradebook:
    """The course's gradebook. nbgrader runs `alembic` by name when it creates one, so this
    interpreter's tools go first on PATH (as for the nbgrader commands)."""
    os.environ["PATH"] = kernel_env(root)["PATH"]
    return Gradebook(db_url(root), course_id)


def copy_examples(root: Path, assignments: list[str]) -> None:
    """Put the example submissions where nbgrader looks for them."""
    for student in EXAMPLE_STUDENTS:
        for assignment in assignments:
            src = root / "tests" / "submissions" / student / assignment
            dst = root / "submitted" / student / assignment
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)


def scores(root: Path, assignments: list[str], course_id: str = "nn-from-scratch") -> list[Score]:
    """Every graded cell of every example submission, read back from the gradebook."""
    rows = []
    with open_gradebook(root, course_id) as gb:
        for assignment in assignments:
            notebook = notebook_name(assignment)[: -len(".ipynb")]
            order = [c.metadata.get("nbgrader", {}).get("grade_id")
                     for c in nbformat.read(source_notebook(root, assignment), as_version=4).cells]
            for student in EXAMPLE_STUDENTS:
                try:
                    nb = gb.find_submission_notebook(notebook, assignment, student)
                except MissingEntry:
                    continue
                for grade in sorted(nb.grades, key=lambda g: order.index(g.name) if g.name in order else len(order)):
                    pending = grade.needs_manual_grade and grade.manual_score is None
                    rows.append(Score(student, assignment, grade.name,
                                      None if pending else grade.score, grade.max_score))
    return rows


def table(rows: list[Score]) -> str:
    """Points per exercise (rows) and student (columns); '?' waits for a manual grade."""
    students = [s for s in EXAMPLE_STUDENTS if any(r.student == s for r in rows)]
    cells: dict[tuple[str, str], dict[str, Score]] = {}
    for r in rows:
        cells.setdefault((r.assignment, r.cell), {})[r.student] = r
    width = max([len(f"{a}/{c}") for a, c in cells] + [10])
    lines = [f"{'exercise':<{width}}  {'max':>5}  " + "  ".join(f"{s:>10}" for s in students)]
    totals = {s: 0.0 for s in students}
    for (assignment, cell), by_student in cells.items():
        maximum = next(iter(by_student.values())).max_score
        shown = []
        for s in students:
            r = by_student.get(s)
            if r is None:
                shown.append(f"{'-':>10}")
            elif r.score is None:
                shown.append(f"{'?':>10}")
            else:
                totals[s] += r.score
                shown.append(f"{r.score:>10g}")
        lines.append(f"{assignment + '/' + cell:<{width}}  {maximum:>5g}  " + "  ".join(shown))
    autograded_max = sum(next(iter(b.values())).max_score for b in cells.values()
                         if all(r.score is not None for r in b.values()))
    lines.append(f"{'total (autograded)':<{width}}  {autograded_max:>5g}  "
                 + "  ".join(f"{totals[s]:>10g}" for s in students))
    lines.append("? = a free-text answer waiting for a manual grade (nbgrader formgrader)")
    return "\n".join(lines)


def forget_examples(root: Path, assignment: str, course_id: str = "nn-from-scratch") -> None:
    """Remove the example students' earlier grades of `assignment` from the gradebook, so that
    an edited source notebook can be recorded again (nbgrader refuses while submissions exist)."""
    if not (root / "gradebook.db").exists():
        return
    with open_gradebook(root, course_id) as gb:
        for student in EXAMPLE_STUDENTS:
            try:
                gb.remove_submission(assignment, student)
            except MissingEntry:
                pass


def run(root: Path, assignments: list[str] | None = None, log=print, *, workers: int | None = None,
        unsafe_no_sandbox: bool = False) -> list[Score]:
    """Grade the example submissions with `course autograde`, write their feedback and
    reports, return the scores. Without a sandbox (no bubblewrap, no user namespaces) it
    refuses in one line (autograde.run.Refused) unless `unsafe_no_sandbox`."""
    from .autograde import run as autograde
    from .autograde.sandbox import probe

    todo = assignments or available_assignments(root)
    if not unsafe_no_sandbox:
        why = probe()
        if why is not None:
            raise autograde.Refused(
                f"course demo: no sandbox on this machine ({why.splitlines()[0]}); enable unprivileged user "
                "namespaces or install bubblewrap, or run `course demo --unsafe-no-sandbox` (the examples are "
                "the course's own code).")
    copy_examples(root, todo)
    for assignment in todo:
        forget_examples(root, assignment)
        # generate_assignment records the assignment's cells in the gradebook; autograde needs them.
        nbgrader(root, "generate_assignment", assignment, "--force")
    log(f"Grading {', '.join(EXAMPLE_STUDENTS)} in {', '.join(todo)} with `course autograde`")
    result = autograde.run(root, todo, workers=workers, students=list(EXAMPLE_STUDENTS), regrade=True,
                           unsafe_no_sandbox=unsafe_no_sandbox, log=log)
    rows = scores(root, todo)
    log(table(rows))
    reports = [p for p in result.report_paths if p.name == "report.md"]
    log(f"Feedback: {root / 'feedback'}   Gradebook: {root / 'gradebook.db'}")
    for path in reports:
        log(f"Report: {path}")
    if result.failed:
        log(f"{len(result.failed)} submission(s) FAILED to grade (the grader's fault); see above.")
    return rows
