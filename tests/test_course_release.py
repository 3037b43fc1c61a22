"""`course release ASSIGNMENT --corrected`, for real: grade, publish a corrected release (a test
cell added, a test cell's points changed), grade a new submission, regrade the old ones.

The tiny assignment of autograde_support (notebooks that run in a second); about a minute.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograde_support import (TINY, TINY_POINTS, _meta, env_for, grades, make_course, submit, tiny_assignment,
                               tiny_submission)
from course.instructor import build as build_mod
from course.instructor.autograde import course_root
from course.instructor.autograde.config import db_url_of

NB = f"{TINY}.ipynb"
WRONG = {"double": "def double(x):\n    return x + 2"}
# the tiny assignment's cells, its tests as checklists (`course build` refuses test cells without one)
CELLS = [
    ("code", None, "import numpy as np"),
    ("code", "square", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"),
    ("code", "test_square", "from course.grading import checklist\n\nchecks = checklist(points=1, hidden=\"1/2\")\n"
                            "with checks(\"square(2)\", \"1/2\"):\n    assert square(2) == 4, 'square(2) should be 4'\n"
                            "### BEGIN HIDDEN TESTS\nwith checks(\"a negative number\", \"1/2\", hidden=True):\n"
                            "    assert square(-3) == 9\n### END HIDDEN TESTS\nchecks.done()"),
    ("code", "double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
    ("code", "test_double", "from course.grading import checklist\n\nchecks = checklist(points=2, hidden=1)\n"
                            "with checks(\"double(5)\", 1):\n    assert double(5) == 10, 'double(5) should be 10'\n"
                            "### BEGIN HIDDEN TESTS\nwith checks(\"an array\", 1, hidden=True):\n"
                            "    assert np.allclose(double(np.arange(3)), [0, 2, 4])\n### END HIDDEN TESTS\nchecks.done()"),
]
assert {name for _, name, _ in CELLS if name and name.startswith("test_")} == set(TINY_POINTS)
MORE = ("from course.grading import checklist\n\nchecks = checklist(points=2)\n"
        "with checks(\"square(5)\", 2):\n    assert square(5) == 25, 'square(5) should be 25'\nchecks.done()")


def course(*args: str, root: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "course.instructor", *args], cwd=root, env=env_for(root),
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def corrected_source(root: Path) -> None:
    """The instructor's correction: a second test of `square` (2 points), `test_double` worth 3."""
    path = root / "source" / TINY / NB
    nb = nbformat.read(path, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
    cell = nbformat.v4.new_code_cell(MORE)
    cell.metadata = _meta("test_square_more", grade=True, solution=False, locked=True, points=2)
    nb.cells.insert(at + 1, cell)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_double":
            c.metadata.nbgrader.points = 3
            c.source = c.source.replace("points=2, hidden=1", "points=3, hidden=2").replace(
                '"an array", 1', '"an array", 2')
    nbformat.write(nb, path)


def answered_release(root: Path) -> str:
    """The current release/ notebook with the answer key's answers: a student who started on it."""
    nb = nbformat.read(root / "release" / TINY / NB, as_version=4)
    answers = {name: source.replace("    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION", "")
               for _, name, source in CELLS}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.metadata.nbgrader.grade_id]
    return nbformat.writes(nb)


def max_score(url: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(url, "nn-from-scratch") as gb:
        return gb.find_assignment(TINY).max_score


@pytest.fixture(scope="module")
def semester(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("release"), [])
    tiny_assignment(root, CELLS)
    build_mod.build(root, [TINY], log=lambda *_: None)  # the first release
    url = db_url_of(course_root.course_config(root), root)
    submit(root, "good", TINY, {NB: answered_release(root)})
    submit(root, "wrong", TINY, {NB: tiny_submission(WRONG, cells=CELLS)})
    course("autograde", TINY, "--workers", "1", root=root)
    out = {"root": root, "url": url, "first": grades(url, TINY), "first_max": max_score(url)}
    corrected_source(root)
    out["published"] = course("release", TINY, "--corrected", root=root).stdout
    out["after_publish"] = grades(url, TINY)
    out["after_publish_max"] = max_score(url)
    # a student who started on the corrected release, then a run that grades only what is new
    submit(root, "late", TINY, {NB: answered_release(root)})
    out["resumed"] = course("autograde", TINY, "--workers", "1", root=root).stdout
    out["before_regrade"] = grades(url, TINY)
    out["regraded"] = course("autograde", TINY, "--workers", "1", "--regrade", root=root).stdout
    out["final"] = grades(url, TINY)
    out["final_max"] = max_score(url)
    return out


def points(cells: dict) -> dict[str, tuple]:
    return {name: (score, top) for name, (score, top, _) in cells.items()}


def test_the_first_release_grades_as_usual(semester):
    assert semester["first_max"] == 3
    assert points(semester["first"]["good"]) == {"test_square": (1, 1), "test_double": (2, 2)}
    assert points(semester["first"]["wrong"]) == {"test_square": (1, 1), "test_double": (0, 2)}


def test_publishing_says_what_changed_and_who_awaits_a_regrade(semester):
    text = semester["published"]
    assert "added test cell test_square_more, 2 points" in text
    assert "test_double: points 2 -> 3" in text
    assert "removed" not in text
    assert f"2 submission(s) were graded on the earlier release" in text and "--regrade" in text
    release = nbformat.read(semester["root"] / "release" / TINY / NB, as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in release.cells]
    assert ids == [None, "square", "test_square", "test_square_more", "double", "test_double"]


def test_the_gradebook_grades_against_the_corrected_release_and_keeps_grades_until_regraded(semester):
    assert semester["after_publish_max"] == 6
    # grades stand; the new test cell is not graded yet (nbgrader's state before autograding: it
    # counts 0 and the formgrader lists it as needing a grade); maxima are the corrected release's
    assert points(semester["after_publish"]["good"]) == {
        "test_square": (1, 1), "test_square_more": (None, 2), "test_double": (2, 3)}
    assert semester["after_publish"]["good"]["test_square_more"][2] is True
    assert points(semester["after_publish"]["wrong"])["test_double"] == (0, 3)


def test_a_plain_run_grades_only_the_new_submission(semester):
    assert "2 already graded, 1 to grade" in semester["resumed"]
    assert points(semester["before_regrade"]["late"]) == {
        "test_square": (1, 1), "test_square_more": (2, 2), "test_double": (3, 3)}
    assert semester["before_regrade"]["good"] == semester["after_publish"]["good"]


def test_a_regrade_grades_the_earlier_releases_notebooks_against_the_corrected_one(semester):
    assert semester["final_max"] == 6
    assert points(semester["final"]["good"]) == {"test_square": (1, 1), "test_square_more": (2, 2),
                                                 "test_double": (3, 3)}
    assert points(semester["final"]["wrong"]) == {"test_square": (1, 1), "test_square_more": (2, 2),
                                                  "test_double": (0, 3)}
    assert points(semester["final"]["late"]) == points(semester["before_regrade"]["late"])
    # the earlier release's notebooks are not tampered ones
    report = (semester["root"] / "reports" / TINY / "report.md").read_text()
    assert report.split("## Tamper report", 1)[1].strip().startswith("Nothing found."), report
    feedback = (semester["root"] / "feedback" / "good" / TINY / f"{TINY}.html").read_text()
    assert "this test cell was added to the assignment after the release you started from" in feedback
