"""RestoreCells on small notebooks: graded cells run in the release's order whatever the
submission did, deleted locked cells come back at their release position. No kernel runs here:
the preprocessor is called on in-memory notebooks against a real gradebook (nbgrader's
generate_assignment); the end-to-end cases are in the adversarial corpus
(`moved_tests_capture_standins`, `deleted_and_moved_tests` in tests/autograde_corpus.py).
"""
from __future__ import annotations

import copy
import re
import shutil

import nbformat
import pytest
from nbgrader import utils

from autograde_support import _meta, notebook_course
from course.instructor.autograde import tamper
from course.instructor.autograde.preprocessors.grading_notes import GradingNotes
from course.instructor.autograde.preprocessors.restore_cells import RestoreCells

ASSIGNMENT = "zz_order"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)

# (cell id, kind, grade id, source); the kind says what nbgrader makes of the cell
CELLS = [
    ("title", "markdown", None, "# Order"),
    ("imports", "code", None, "import numpy as np"),
    ("given", "given", "given", "SCALE = 3"),
    ("intro-square", "markdown", None, "## Squares"),
    ("square", "solution", "square", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"),
    ("test-square", "test", "test_square", "assert square(2) == 4\n### BEGIN HIDDEN TESTS\nassert square(-3) == 9\n"
                                           "### END HIDDEN TESTS"),
    ("intro-double", "markdown", None, "## Doubles"),
    ("double", "solution", "double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
    ("test-double", "test", "test_double", "assert double(5) == 10"),
    ("use-double", "code", None, "print(double(SCALE))"),
    ("end", "markdown", None, "## The end"),
]
POINTS = {"test_square": 1, "test_double": 2}


def notebook(student: bool) -> nbformat.NotebookNode:
    """The source notebook, or as students get it (the release): hidden tests and answers gone."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}}
    for cell_id, kind, grade_id, source in CELLS:
        if student:
            source = HIDDEN.sub("", source)
            source = re.sub(r"### BEGIN SOLUTION\n.*?### END SOLUTION", "raise NotImplementedError()", source,
                            flags=re.S)
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        cell.id = cell_id
        if kind == "given":
            cell.metadata = _meta(grade_id, grade=False, solution=False, locked=True)
        elif kind == "solution":
            cell.metadata = _meta(grade_id, grade=False, solution=True, locked=False)
        elif kind == "test":
            cell.metadata = _meta(grade_id, grade=True, solution=False, locked=True, points=POINTS[grade_id])
        nb.cells.append(cell)
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root, db_url = notebook_course(tmp_path_factory.mktemp("order"), ASSIGNMENT, notebook)
    return {"root": root, "db_url": db_url}


def restore(course, nb, root=True):
    """The submitted notebook after RestoreCells, and what it found."""
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    resources = {"nbgrader": {"notebook": ASSIGNMENT, "assignment": ASSIGNMENT, "db_url": course["db_url"]},
                 "course_autograde": {"root": str(course["root"]) if root else None}}
    preprocessor = RestoreCells()
    nb, resources = preprocessor.preprocess(nb, resources)
    return nb, preprocessor._findings


def names(nb) -> list[str]:
    """Each cell's grade id, else its cell id."""
    return [c.metadata.get("nbgrader", {}).get("grade_id") or c.get("id") for c in nb.cells]


def cell(nb, name):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == name or c.get("id") == name)


def added(cell_id: str, source: str):
    new = nbformat.v4.new_code_cell(source)
    new.id = cell_id
    return new


def move(nb, name, to: int):
    moving = cell(nb, name)
    nb.cells.remove(moving)
    nb.cells.insert(to, moving)


RELEASE = [c[0] if c[2] is None else c[2] for c in CELLS]


def kinds(findings) -> list[tuple[str, str]]:
    return [(f["kind"], f["cell"]) for f in findings]


def test_an_untouched_order_is_unchanged(course):
    nb, findings = restore(course, notebook(student=True))
    assert names(nb) == RELEASE and findings == []


@pytest.mark.parametrize("ids", ["kept", "renewed"])
def test_moved_test_cells_go_back_with_the_cells_the_student_added_after_them(course, ids):
    nb = notebook(student=True)
    # both tests right after the imports, each followed by a cell of the student's own
    move(nb, "test_double", 2)
    nb.cells.insert(3, added("mine-double", "captured = []"))
    move(nb, "test_square", 4)
    nb.cells.insert(5, added("mine-square", "print('after my square test')"))
    if ids == "renewed":  # an old Jupyter gave every cell a new id: the release's are found by their source
        for c in nb.cells:
            c.id = "new-" + (c.get("id") or "x")
    nb, findings = restore(course, nb)
    expected = ["title", "imports", "given", "intro-square", "square", "test_square", "mine-square", "intro-double",
                "double", "test_double", "mine-double", "use-double", "end"]
    assert [n.removeprefix("new-") for n in names(nb)] == expected
    assert kinds(findings) == [("moved graded cell", "test_double"), ("moved graded cell", "test_square")]


def test_a_pasted_copy_of_a_release_cell_is_the_students_own(course):
    # same source as the release's `use-double`, an id of its own: it goes back with the test
    nb = notebook(student=True)
    move(nb, "test_double", 2)
    nb.cells.insert(3, added("pasted", "print(double(SCALE))"))
    nb, findings = restore(course, nb)
    assert names(nb) == RELEASE[:9] + ["pasted"] + RELEASE[9:]
    assert kinds(findings) == [("moved graded cell", "test_double")]


def test_a_test_moved_to_the_very_top_leaves_the_release_cells_after_it_in_place(course):
    # what followed the test at the top (the title, the imports) was there before the test was
    # dropped in front of it: it stays at the top, or nothing would import numpy before the answers
    nb = notebook(student=True)
    move(nb, "test_double", 0)
    nb, findings = restore(course, nb)
    assert names(nb) == RELEASE and kinds(findings) == [("moved graded cell", "test_double")]


def test_a_moved_answer_cell_goes_back_too(course):
    nb = notebook(student=True)
    move(nb, "double", len(nb.cells))
    nb.cells.append(added("helper", "def helper(): pass"))
    nb, findings = restore(course, nb)
    assert names(nb) == RELEASE[:7] + ["double", "helper"] + RELEASE[8:]
    assert kinds(findings) == [("moved graded cell", "double")]


def test_deleted_locked_cells_come_back_at_their_release_position(course):
    nb = notebook(student=True)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in ("test_square", "given")]
    move(nb, "test_double", 0)
    nb.cells.insert(nb.cells.index(cell(nb, "square")) + 1, added("mine", "square(3)"))
    nb, findings = restore(course, nb)
    assert names(nb) == ["title", "imports", "given", "intro-square", "square", "mine", "test_square", "intro-double",
                         "double", "test_double", "use-double", "end"]
    assert sorted(kinds(findings)) == [("deleted locked cell", "test_square"), ("missing given cell", "given"),
                                       ("moved graded cell", "test_double")]
    test = cell(nb, "test_square")
    assert test.metadata.nbgrader.points == 1 and test.metadata.nbgrader.grade is True


def test_a_notebook_from_an_earlier_release_gets_the_given_cell_added_since(course):
    # the read-only `given` cell was not in the release the student started from: restored, it
    # is a given cell (not graded) whose checksum is the gradebook's, and attribute access works
    nb = notebook(student=True)
    nb.cells = [c for c in nb.cells if c.get("id") != "given"]
    nb, findings = restore(course, nb)
    assert names(nb) == RELEASE and kinds(findings) == [("missing given cell", "given")]
    given = cell(nb, "given")
    assert isinstance(given.metadata.nbgrader, nbformat.NotebookNode)
    assert given.metadata.nbgrader.grade is False and given.metadata.nbgrader.locked is True
    assert "points" not in given.metadata.nbgrader and given.source == "SCALE = 3"
    assert utils.compute_checksum(given) == given.metadata.nbgrader.checksum
    nbformat.validate(nb)


def test_a_cell_with_an_unknown_id_stays_put(course):
    nb = notebook(student=True)
    bonus = added("bonus", "print('free points')")
    bonus.metadata = _meta("bonus", grade=True, solution=False, locked=False, points=1000)
    nb.cells.insert(nb.cells.index(cell(nb, "test_square")) + 1, bonus)
    nb, findings = restore(course, nb)
    assert names(nb) == RELEASE[:6] + ["bonus"] + RELEASE[6:]
    assert "grade_id" not in cell(nb, "bonus").metadata.nbgrader
    assert kinds(findings) == [("unknown cell id", "bonus")]


def test_without_a_release_notebook_the_source_notebook_gives_the_order(course, tmp_path):
    release = course["root"] / "release" / ASSIGNMENT
    shutil.move(release, tmp_path / "release")
    try:
        nb = notebook(student=True)
        move(nb, "test_square", len(nb.cells))
        nb, findings = restore(course, nb)
    finally:
        shutil.move(tmp_path / "release", release)
    assert names(nb) == RELEASE and kinds(findings) == [("moved graded cell", "test_square")]


def test_without_any_notebook_the_gradebook_gives_the_order(course):
    # no course folder to read: the graded cells in the order the gradebook recorded them
    nb = notebook(student=True)
    move(nb, "test_square", len(nb.cells))
    nb.cells = [c for c in nb.cells if c.get("id") != "test-double"]
    nb, findings = restore(course, nb, root=False)
    order = [n for n in names(nb) if n in ("given", "square", "test_square", "double", "test_double")]
    assert order == ["given", "square", "test_square", "double", "test_double"]
    assert sorted(kinds(findings)) == [("deleted locked cell", "test_double"), ("moved graded cell", "test_square")]


def test_the_student_and_the_tamper_report_read_that_a_cell_was_moved_back(course):
    nb = notebook(student=True)
    move(nb, "test_double", 2)
    move(nb, "square", len(nb.cells))
    nb.cells = [c for c in nb.cells if c.get("id") != "given"]
    _, findings = restore(course, nb)
    nb = nbformat.v4.new_notebook()
    nb.metadata["course_autograde"] = {"sanitize": copy.deepcopy(findings)}
    nb, _ = GradingNotes().preprocess(nb, {})
    notes = nb.cells[0].source
    assert ("`test_double`: this test cell was not at its place in your notebook; it was moved back to its place "
            "in the assignment and graded there (graded cells run in the assignment's order).") in notes
    assert ("`square`: this cell was not at its place in your notebook; it was moved back to its place in the "
            "assignment, with the cells you added right after it, and ran there") in notes
    assert ("`given`: this read-only cell of the assignment was missing from your notebook (deleted, or added to "
            "the assignment after you started); it was put back at its place and ran there.") in notes
    assert sorted((f["kind"], f["cell"]) for f in tamper.from_sanitize(findings)) == [
        ("lacks a read-only cell (deleted, or started on an earlier release)", "given"),
        ("moved a graded cell out of the assignment's order", "square"),
        ("moved a graded cell out of the assignment's order", "test_double")]
