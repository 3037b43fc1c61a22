"""`course release ASSIGNMENT --corrected`: publish a corrected release of an assignment mid-semester.

nbgrader records an assignment's cells in the gradebook once (`generate_assignment`, or the first
`course autograde`) and grades every submission against that record. Once there are submissions
it refuses to add or remove cells ("Cannot add or remove cells ... because there are submissions
associated with it"), and a newer release's extra test cells, regenerated elsewhere, are never
graded: the gradebook keeps the first release. This command:

1. rebuilds release/ and solutions/ from source/ (`course build`);
2. records the cells of the release being replaced, as students were given them, in the
   gradebook (`autograde.history`): grading then tells a notebook started on it from a tampered one;
3. updates the gradebook's record of the assignment to the corrected release, in one transaction
   under the gradebook lock: grade cells (max points), solution, task and source cells added,
   changed or removed; a removed cell's grades and comments go with it; an added graded cell gets
   an empty grade in every existing submission, as nbgrader gives a new submission before autograding
   it (no score: counted 0, listed as needing a grade);
4. says what changed, and which submissions were graded on the earlier release: their grades stand
   until `course autograde ASSIGNMENT --regrade` grades them against the corrected release.
"""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import nbformat

from . import build as build_mod
from .autograde import course_root, history, journal
from .autograde.config import course_id_of, db_url_of


def generated_record(root: Path, assignment: str) -> dict[str, dict]:
    """The corrected release's cells as nbgrader records them: generate_assignment from source/
    into a scratch gradebook and folder. {notebook: {"cells": {grade_id: cell info}}}"""
    from nbgrader.api import Gradebook
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    cfg = course_root.course_config(root)
    with tempfile.TemporaryDirectory() as scratch:
        c = copy.deepcopy(cfg)
        c.CourseDirectory.release_directory = str(Path(scratch) / "release")
        c.CourseDirectory.db_url = f"sqlite:///{scratch}/gradebook.db"
        coursedir = CourseDirectory(config=c)
        coursedir.assignment_id = assignment
        converter = GenerateAssignment(coursedir=coursedir, config=c)
        converter.force = True
        with course_root.cwd(root):
            converter.start()
        out = {}
        with Gradebook(c.CourseDirectory.db_url, course_id_of(cfg)) as gb:
            for notebook in gb.find_assignment(assignment).notebooks:
                out[notebook.name] = {"cells": _cells(notebook)}
    return out


def _cells(notebook) -> dict[str, dict]:
    """Every nbgrader cell of a gradebook notebook record: what SaveCells stores of it."""
    grade = {c.name: c for c in notebook.grade_cells}
    task = {c.name: c for c in notebook.task_cells}
    solution = {c.name for c in notebook.solution_cells}
    out = {}
    for cell in notebook.source_cells:
        out[cell.name] = {
            "grade": cell.name in grade, "solution": cell.name in solution, "task": cell.name in task,
            "max_score": grade[cell.name].max_score if cell.name in grade else (
                task[cell.name].max_score if cell.name in task else None),
            "cell_type": cell.cell_type, "locked": cell.locked, "source": cell.source, "checksum": cell.checksum}
    return out


def _kind(cell: dict) -> str:
    return history.kind_of(cell["grade"], cell["solution"], cell["task"])


def changes(old: dict[str, dict], new: dict[str, dict]) -> list[str]:
    """What a student would notice between two records' cells, one line each."""
    lines = []
    for name, cell in new.items():
        if name not in old:
            points = f", {cell['max_score']:g} points" if cell["max_score"] is not None else ""
            lines.append(f"added {_kind(cell)} cell {name}{points}")
    for name, cell in old.items():
        if name not in new:
            points = f", {cell['max_score']:g} points" if cell["max_score"] is not None else ""
            lines.append(f"removed {_kind(cell)} cell {name}{points}")
    for name in [n for n in new if n in old]:
        before, after = old[name], new[name]
        if _kind(before) != _kind(after):
            lines.append(f"{name}: now a {_kind(after)} cell (was a {_kind(before)} cell)")
        if before["max_score"] != after["max_score"]:
            lines.append(f"{name}: points {before['max_score'] or 0:g} -> {after['max_score'] or 0:g}")
        if before["source"] != after["source"]:
            lines.append(f"{name}: text changed")
    return lines


def apply(gb, assignment: str, notebook_name: str, new: dict[str, dict]) -> None:
    """Make the gradebook's record of one notebook the corrected release's, in gb's session
    (not committed): nbgrader's SaveCells without its refusal, plus the submissions' rows."""
    from nbgrader.api import Comment, Grade, GradeCell, SolutionCell, SourceCell, TaskCell

    session = gb.db
    notebook = gb.find_notebook(notebook_name, assignment)
    for model, wanted in ((GradeCell, lambda c: c["grade"] and not c["task"]), (SolutionCell, lambda c: c["solution"]),
                          (TaskCell, lambda c: c["task"])):
        existing = {c.name: c for c in session.query(model).filter(model.notebook_id == notebook.id)}
        for name, row in existing.items():
            if name not in new or not wanted(new[name]):
                for grade in session.query(Grade).filter(Grade.cell_id == row.id):
                    session.delete(grade)
                for comment in session.query(Comment).filter(Comment.cell_id == row.id):
                    session.delete(comment)
                session.delete(row)
        for name, cell in new.items():
            if not wanted(cell):
                continue
            graded = {"max_score": cell["max_score"], "cell_type": cell["cell_type"]} if model is not SolutionCell else {}
            row = existing.get(name)
            if row is not None:
                for key, value in graded.items():
                    setattr(row, key, value)
                continue
            row = model(name=name, notebook=notebook, **graded)
            session.add(row)
            session.flush()
            # what nbgrader's add_submission gives every submission: an empty grade or comment
            for submitted in notebook.submissions:
                if model in (GradeCell, TaskCell):
                    session.add(Grade(cell_id=row.id, notebook=submitted))
                if model in (SolutionCell, TaskCell):
                    session.add(Comment(cell_id=row.id, notebook=submitted))
    existing = {c.name: c for c in notebook.source_cells}
    for name, row in existing.items():
        if name not in new:
            session.delete(row)
    for name, cell in new.items():
        fields = {"cell_type": cell["cell_type"], "locked": cell["locked"], "source": cell["source"],
                  "checksum": cell["checksum"]}
        if name in existing:
            for key, value in fields.items():
                setattr(existing[name], key, value)
        else:
            session.add(SourceCell(name=name, notebook=notebook, **fields))
    session.flush()


def publish_corrected(root: Path, assignment: str, log=print) -> list[str]:
    """Rebuild the assignment's release and bring the gradebook to it; returns what changed."""
    from nbgrader.api import Gradebook, MissingEntry

    cfg = course_root.course_config(root)
    url = db_url_of(cfg, root)
    course_id = course_id_of(cfg)
    release_dir = root / "release" / assignment
    given = {path.stem: history.notebook_cells(nbformat.read(path, as_version=4))
             for path in sorted(release_dir.glob("*.ipynb"))}

    build_mod.build(root, [assignment], log=log)
    new = generated_record(root, assignment)

    def update() -> tuple[list[str], list[str]]:
        gb = Gradebook(url, course_id)
        try:
            try:
                record = gb.find_assignment(assignment)
            except MissingEntry:
                return None, []  # nothing graded yet: `course autograde` records the corrected release
            notebooks = {n.name: n for n in record.notebooks}
            if set(notebooks) != set(new):
                raise SystemExit(f"{assignment}: the corrected release's notebooks ({', '.join(sorted(new))}) are not "
                                 f"the graded release's ({', '.join(sorted(notebooks))}); a corrected release "
                                 "changes cells, not notebooks")
            recorded, released = {}, {}
            lines = []
            for name, notebook in notebooks.items():
                old = _cells(notebook)
                lines += [f"{name}: {line}" if len(notebooks) > 1 else line
                          for line in changes(old, new[name]["cells"])]
                recorded[name] = history.gradebook_cells(notebook)
                released[name] = given.get(name, {})
            graded = sorted(s.student.id for s in record.submissions)
            if not lines:
                return [], graded
            # what students were given: the release the gradebook graded against (its text as
            # given), and release/ as it was, when it differs (rebuilt since the gradebook recorded
            # the assignment, or already corrected by a `course build`): each kept as a release
            history.ensure_table(gb.engine)
            history.record(gb.db.connection(), assignment, recorded)
            if any(released.values()) and released != recorded:
                history.record(gb.db.connection(), assignment, released)
            for name in notebooks:
                apply(gb, assignment, name, new[name]["cells"])
            gb.db.commit()
            return lines, graded
        except BaseException:
            gb.db.rollback()
            raise
        finally:
            gb.close()

    lines, graded = journal.locked(root, update)
    if lines is None:
        log(f"{assignment}: not in the gradebook yet; the next `course autograde` records this release")
        return []
    if not lines:
        log(f"{assignment}: the gradebook's record already matches the release; nothing changed")
        return []
    log(f"{assignment}: corrected release published; changes:")
    for line in lines:
        log(f"  {line}")
    if graded:
        log(f"{assignment}: {len(graded)} submission(s) were graded on the earlier release; their grades stand "
            f"until `course autograde {assignment} --regrade` grades them against this one")
    return lines
