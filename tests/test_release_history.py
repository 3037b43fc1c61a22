"""RestoreCells with a replaced release in the gradebook's history (`autograde.history`): a
notebook started on it is told from a tampered one. No kernel: the preprocessor on in-memory
notebooks against a real gradebook, as in test_restore_cells (whose small course this reuses);
the end-to-end cases are in test_earlier_releases and test_course_release.
"""
from __future__ import annotations

import copy

import pytest
import sqlalchemy

from autograde_support import notebook_course
from course.instructor.autograde import history
from test_restore_cells import ASSIGNMENT, kinds, names, notebook, restore


def without(nb, *ids):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", c.get("id")) not in ids]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The small course of test_restore_cells, whose one replaced release lacked `given` and
    `test_double`, had `test_square` worth 2 with other text, and had `test_old`."""
    root, db_url = notebook_course(tmp_path_factory.mktemp("history"), ASSIGNMENT, notebook)
    earlier = without(notebook(student=True), "given", "test_double")
    square = next(c for c in earlier.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
    square.source = "assert square(2) == 4  # the earlier text"
    square.metadata.nbgrader.points = 2
    old = copy.deepcopy(square)  # a test the corrected release dropped
    old.metadata.nbgrader.grade_id, old.id = "test_old", "old"
    earlier.cells.append(old)
    engine = sqlalchemy.create_engine(db_url)
    history.ensure_table(engine)
    with engine.begin() as connection:
        history.record(connection, ASSIGNMENT, {ASSIGNMENT: history.notebook_cells(earlier)})
    engine.dispose()
    return {"root": root, "db_url": db_url, "earlier": without(earlier, "test_old"),
            "old": old}


def test_a_notebook_of_the_earlier_release_is_not_tampered(course):
    nb, findings = restore(course, course["earlier"])
    assert names(nb) == names(notebook(student=True))  # the current release's cells, in its order
    assert sorted(kinds(findings)) == [("added cell", "given"), ("added cell", "test_double"),
                                       ("earlier release cell", "test_square")]
    square = next(f for f in findings if f["cell"] == "test_square")
    assert square["was"] == " (worth 2 points there, 1 now)"
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
    # the gradebook's cell, hidden tests included, and points
    assert test.source.startswith("assert square(2) == 4\n### BEGIN HIDDEN TESTS") and test.metadata.nbgrader.points == 1


def test_a_current_notebook_with_cells_deleted_is_still_reported(course):
    # it has `given`'s sibling cells of the current release only: `test_double` is there, so it
    # was not started on the release that lacked `given`
    nb, findings = restore(course, without(notebook(student=True), "given"))
    assert kinds(findings) == [("missing given cell", "given")]


def test_an_edited_locked_cell_that_no_release_had_is_still_tampering(course):
    nb = copy.deepcopy(course["earlier"])
    square = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
    square.source = "pass  # the student's own"
    nb, findings = restore(course, nb)
    assert ("changed locked cell", "test_square") in kinds(findings)


def test_a_cell_of_the_earlier_release_that_is_gone_is_removed_not_unknown(course):
    nb = notebook(student=True)
    nb.cells.append(copy.deepcopy(course["old"]))
    gone = copy.deepcopy(course["old"])
    gone.metadata.nbgrader.grade_id, gone.id = "test_gone", "gone"
    nb.cells.append(gone)
    nb, findings = restore(course, nb)
    assert kinds(findings) == [("removed cell", "test_old"), ("unknown cell id", "test_gone")]  # no release had that
    assert [c.metadata.nbgrader.get("grade_id") for c in nb.cells[-2:]] == [None, None]  # neither is graded
