"""Partial credit: a test cell earns the shares of the checks it passed, read in the grader from
its checklist; nbgrader's own number rule is replaced by a strict one (course/instructor/autograde/
scoring.py). Real runs of `course autograde` on a tiny assignment whose test cell has a checklist."""
from __future__ import annotations

import math

import nbformat
import pytest

from autograde_support import TINY, grades, make_course, submit, tiny_assignment, tiny_submission
from course.grading import CHECKLIST_MIME
from course.instructor.autograde import scoring
from course.instructor.autograde import run as autograde

# --- the strict reading of a cell's result ------------------------------------------------------


def _test_cell(outputs, points=2) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("checks.done()")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": points,
                                 "grade_id": "test_x", "schema_version": 3}
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def _result(text, metadata=None) -> dict:
    return {"output_type": "execute_result", "execution_count": 1, "metadata": metadata or {},
            "data": {"text/plain": text}}


ERROR = {"output_type": "error", "ename": "AssertionError", "evalue": "1 of 2 checks failed", "traceback": []}


@pytest.mark.parametrize("text", ["nan", "-1", "-0.5", "inf", "1e999", "hello", "np.float64(0.5)", "3", "2.5",
                                  "0x1", " 1 ", "1_0"])
def test_a_result_that_is_not_the_graders_score_earns_nothing_with_a_note(text):
    # nbgrader 0.9.6 gives full marks to nan, negatives, text and np.float64(...), and raises for
    # inf or more than the points; here each is 0 with a note, marked as the grader's or not
    for metadata in ({}, {scoring.SCORE_KEY: "1"}):
        score, max_score, note = scoring.cell_grade(_test_cell([_result(text, metadata)]))
        assert (score, max_score) == (0.0, 2.0) and note, (text, metadata)


def test_the_graders_own_score_is_read_exactly():
    cell = _test_cell([scoring.score_output(scoring.Fraction(4, 3)), ERROR])
    score, _, note = scoring.cell_grade(cell)
    assert math.isclose(score, 4 / 3) and note is None
    assert scoring.cell_grade(_test_cell([ERROR])) == (0.0, 2.0, None)
    assert scoring.cell_grade(_test_cell([])) == (2.0, 2.0, None)
    # a number that is not the one its metadata says
    forged = _result("2.0", {scoring.SCORE_KEY: "1"})
    assert scoring.cell_grade(_test_cell([forged]))[0] == 0.0


def _checklist(checks, points="2", hidden="1") -> dict:
    data = {"version": 1, "points": points, "hidden_points": hidden,
            "checks": [{"name": n, "share": s, "hidden": h, "passed": p, "message": ""} for n, s, h, p in checks]}
    return {"output_type": "display_data", "metadata": {}, "data": {CHECKLIST_MIME: data, "text/plain": "…"}}


def test_partial_credit_is_the_sum_of_the_passed_shares_and_replaces_any_other_result():
    checks = [("a", "1/2", False, True), ("b", "1/2", False, False), ("c", "1/3", True, True), ("d", "2/3", True, False)]
    cell = _test_cell([_result("2.0"), _checklist(checks), ERROR])
    found = scoring.apply_partial_credit(cell)
    assert found.score == scoring.Fraction(5, 6)
    assert [o["output_type"] for o in cell.outputs] == ["execute_result", "display_data", "error"]
    assert math.isclose(scoring.cell_grade(cell).score, 5 / 6)


@pytest.mark.parametrize("checks, points, hidden", [
    ([("a", "1", False, True)], "2", "1"),                        # the hidden checks never ran (a release)
    ([("a", "1", False, True), ("b", "1", True, True)], "3", "1"),  # points other than the cell's
    ([("a", "1.5", False, True), ("b", "1/2", True, False)], "2", "1/2"),  # a share that is not a fraction
    ([("a", "3/2", False, True), ("b", "1/2", True, "yes")], "2", "1/2"),  # passed is not a bool
])
def test_a_checklist_that_does_not_add_up_keeps_all_or_nothing(checks, points, hidden):
    cell = _test_cell([_checklist(checks, points, hidden), ERROR])
    assert scoring.apply_partial_credit(cell) is None
    assert scoring.cell_grade(cell).score == 0.0


# --- real runs ----------------------------------------------------------------------------------

TEST_DOUBLE = """from course.grading import call, checklist, expect_close

checks = checklist(points=2, hidden=1)
with checks("double of a number", "1/2"):
    expect_close(call(double, 5.0), 10.0, "double(5.0)")
with checks("double of an array", "1/2"):
    expect_close(call(double, np.arange(3.0)), [0.0, 2.0, 4.0], "double([0, 1, 2])")
### BEGIN HIDDEN TESTS
with checks("double of a negative number", "1/2", hidden=True):
    expect_close(call(double, -2.6173), -5.2346, "double(-2.6173)")
with checks("double of a matrix", "1/2", hidden=True):
    expect_close(call(double, np.full((2, 2), 1.7519)), np.full((2, 2), 3.5038), "double of the matrix 1.7519")
### END HIDDEN TESTS
checks.done()"""

CELLS = [(kind, grade_id, TEST_DOUBLE if grade_id == "test_double" else source)
         for kind, grade_id, source in __import__("autograde_support").TINY_CELLS]

STUDENTS = {  # answer of `double` -> points of test_double
    "good": (None, 2.0),
    "numbers_only": ("def double(x):\n    return 2 * x if np.ndim(x) == 0 else x\n", 1.0),
    "arrays_only": ("def double(x):\n    return 2 * x if np.ndim(x) else x + 1\n", 1.0),
    # the student's kernel dies in the second check: the first check's share is kept
    "dies_on_arrays": ("def double(x):\n    if np.ndim(x):\n        import os\n        os._exit(1)\n    return 2 * x\n",
                       0.5),
    "untouched": ("def double(x):\n    raise NotImplementedError()\n", 0.0),
}


def _grade(tmp_path, settings: dict):
    root = make_course(tmp_path / "course", [])
    tiny_assignment(root, CELLS)
    for student, (answer, _) in STUDENTS.items():
        answers = {"double": answer} if answer else None
        submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission(answers, cells=CELLS)})
    log: list[str] = []
    result = autograde.run(root, [TINY], workers=2, log=log.append, report=True, overrides={"CourseAutograde": settings})
    got = grades("sqlite:///" + str(root / "gradebook.db"), TINY)
    return root, result, {s: got[s]["test_double"][0] for s in STUDENTS}, {s: got[s]["test_square"][0] for s in STUDENTS}, log


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return _grade(tmp_path_factory.mktemp("partial"), {"cell_timeout": 30})


def test_a_test_cell_earns_the_shares_of_the_checks_it_passed(graded):
    root, result, double, square, log = graded
    assert not result.failed, log
    assert double == {s: points for s, (_, points) in STUDENTS.items()}, log
    assert all(points == 1 for points in square.values())  # a cell without a checklist: all or nothing, as before


def test_the_feedback_shows_the_checklist_and_no_hidden_value(graded):
    root = graded[0]
    feedback = (root / "feedback" / "numbers_only" / TINY / f"{TINY}.html").read_text()
    assert "double of a matrix" in feedback and "the values differ from the expected ones" in feedback
    assert "double([0, 1, 2]): expected array of shape (3,)" in feedback  # a visible check's whole message
    assert not [v for v in ("1.7519", "3.5038", "2.6173", "5.2346") if v in feedback]


def test_the_journal_keeps_each_check(graded):
    import json
    import sqlite3

    root = graded[0]
    with sqlite3.connect(root / "gradebook.db") as db:
        row = dict(db.execute("SELECT student, result FROM course_autograde_journal"))["arrays_only"]
    cell = json.loads(row)["notebooks"][TINY]["cells"]["test_double"]
    assert cell["score"] == 1.0
    assert [(c["name"], c["passed"]) for c in cell["checks"]] == [
        ("double of a number", False), ("double of an array", True), ("double of a negative number", False),
        ("double of a matrix", True)]


def test_partial_credit_off_is_all_or_nothing(tmp_path):
    _, result, double, _, log = _grade(tmp_path, {"cell_timeout": 30, "partial_credit": False})
    assert not result.failed, log
    assert double == {s: 2.0 if points == 2.0 else 0.0 for s, (_, points) in STUDENTS.items()}, log


def test_one_process_grading_is_all_or_nothing(tmp_path):
    _, result, double, _, log = _grade(tmp_path, {"cell_timeout": 30, "two_process": False})
    assert not result.failed, log
    assert double == {s: 2.0 if points == 2.0 else 0.0 for s, (_, points) in STUDENTS.items()}, log


def test_the_report_counts_the_failures_of_each_check(graded):
    import json

    root = graded[0]
    report = json.loads((root / "reports" / TINY / "report.json").read_text())
    exercise = next(e for e in report["exercises"] if e["exercise"] == "test_double")
    counts = {c["name"]: (c["failed"], c["ran"], c["hidden"]) for c in exercise["checks"]}
    assert counts == {"double of a number": (2, 5, False), "double of an array": (3, 5, False),
                      "double of a negative number": (3, 5, True), "double of a matrix": (3, 5, True)}
    matrix = next(c for c in exercise["checks"] if c["name"] == "double of a matrix")
    assert matrix["common_message"] and matrix["common_count"] >= 1
    # the student whose kernel died: one check says so, the later ones that it stopped earlier
    import sqlite3

    with sqlite3.connect(root / "gradebook.db") as db:
        row = dict(db.execute("SELECT student, result FROM course_autograde_journal"))["dies_on_arrays"]
    checks = json.loads(row)["notebooks"][TINY]["cells"]["test_double"]["checks"]
    assert [c["passed"] for c in checks] == [True, False, False, False]
    assert checks[1]["message"].startswith("Your notebook's kernel stopped while the test ran"), checks
    assert all(c["message"].lower().startswith("not checked") for c in checks[2:]), checks
    text = (root / "reports" / TINY / "report.md").read_text()
    assert "## Checks" in text and "| test\\_double | double of a matrix (hidden) | 1/2 | 3/5 |" in text
    # a hidden check's messages in the report quote no hidden value either
    assert not [v for v in ("1.7519", "3.5038", "2.6173", "5.2346") if v in json.dumps(exercise)]


def test_a_failed_gate_check_costs_the_whole_cell():
    # 02's model check: the visible checks read what the student's model says about itself; the
    # hidden accuracy, computed in the grader from the fitted weights, is the gate
    output = _checklist([("config", "1", False, True), ("accuracy from the weights", "1", True, False)])
    output["data"][CHECKLIST_MIME]["checks"][1]["gate"] = True
    cell = _test_cell([output, ERROR])
    assert scoring.apply_partial_credit(cell).score == 0
    assert scoring.cell_grade(cell).score == 0.0
    output["data"][CHECKLIST_MIME]["checks"][1]["gate"] = "yes"  # not a bool: not a checklist
    assert scoring.read_checklist(_test_cell([output, ERROR])) is None
