"""The assignment's earlier releases, as the gradebook remembers them: what a notebook started
on one of them is graded with, fairly.

nbgrader's gradebook holds one release of an assignment, the one it grades against. When an
instructor publishes a corrected release (`course release ASSIGNMENT --corrected`), the cells of
the release it replaces are kept here, one table in the gradebook itself (like the run journal):
per release, each nbgrader cell's grade id, kind, points and the text students were given
(hidden tests never: they were not given). Grading then tells a notebook written on an earlier
release from a tampered one: a read-only cell exactly as an earlier release had it, a cell the
assignment has since removed, a test cell added since, are not tampering, and the student's
feedback says what changed instead.
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from course import cells as nbcells

metadata = sa.MetaData()
releases = sa.Table(
    "course_release_history", metadata,
    sa.Column("assignment", sa.String(128), primary_key=True),
    sa.Column("release", sa.Integer, primary_key=True),       # 1 for the first release replaced, then 2, ...
    sa.Column("notebook", sa.String(128), primary_key=True),
    sa.Column("grade_id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),         # test | answer | task | given
    sa.Column("points", sa.Float, nullable=True),
    sa.Column("source", sa.Text, nullable=False),             # as given to students: no hidden tests
    sa.Column("replaced_at", sa.DateTime, nullable=False),
)


def given_text(source: str) -> str:
    """A cell's text as students were given it, compared without trailing blanks."""
    text = nbcells.without_hidden_tests(source)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def kind_of(grade: bool, solution: bool, task: bool = False) -> str:
    if task:
        return "task"
    if solution:
        return "answer"
    return "test" if grade else "given"


def notebook_cells(nb) -> dict[str, dict]:
    """{grade_id: {kind, points, source}} of a release notebook's nbgrader cells, in order."""
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if not grade_id or not (meta.get("grade") or meta.get("solution") or meta.get("locked") or meta.get("task")):
            continue
        kind = kind_of(bool(meta.get("grade")), bool(meta.get("solution")), bool(meta.get("task")))
        points = meta.get("points") if kind != "given" else None
        out[grade_id] = {"kind": kind, "points": None if points is None else float(points),
                         "source": given_text(cell.source)}
    return out


def gradebook_cells(notebook) -> dict[str, dict]:
    """The same, of an nbgrader `Notebook` record (the release the gradebook grades against)."""
    points = {c.name: c.max_score for c in notebook.grade_cells}
    points.update({c.name: c.max_score for c in notebook.task_cells})
    solutions = {c.name for c in notebook.solution_cells}
    tasks = {c.name for c in notebook.task_cells}
    out = {}
    for cell in notebook.source_cells:
        kind = kind_of(cell.name in points and cell.name not in tasks, cell.name in solutions, cell.name in tasks)
        out[cell.name] = {"kind": kind, "points": points.get(cell.name), "source": given_text(cell.source)}
    return out


def ensure_table(engine) -> None:
    metadata.create_all(engine, checkfirst=True)


def record(connection, assignment: str, notebooks: dict[str, dict[str, dict]]) -> int:
    """Keep a replaced release's cells ({notebook: {grade_id: cell}}) in the caller's
    transaction; returns its number."""
    last = connection.execute(sa.select(sa.func.max(releases.c.release)).where(
        releases.c.assignment == assignment)).scalar()
    number = (last or 0) + 1
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = [dict(assignment=assignment, release=number, notebook=notebook, grade_id=grade_id, kind=cell["kind"],
                 points=cell["points"], source=cell["source"], replaced_at=now)
            for notebook, cells in notebooks.items() for grade_id, cell in cells.items()]
    if rows:
        connection.execute(releases.insert(), rows)
    return number


def earlier(engine, assignment: str, notebook: str) -> dict[int, dict[str, dict]]:
    """{release: {grade_id: {kind, points, source}}} of a notebook's replaced releases ({} if none).
    Read only: a gradebook no corrected release has touched has no such table."""
    if not sa.inspect(engine).has_table(releases.name):
        return {}
    with engine.connect() as connection:
        rows = connection.execute(sa.select(releases).where(
            releases.c.assignment == assignment, releases.c.notebook == notebook)).mappings().all()
    out: dict[int, dict[str, dict]] = {}
    for row in rows:
        out.setdefault(row["release"], {})[row["grade_id"]] = {
            "kind": row["kind"], "points": row["points"], "source": row["source"]}
    return out
