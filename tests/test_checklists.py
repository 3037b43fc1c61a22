"""Checklists: a test cell's named checks, their shares of its points, hidden checks' messages,
and `course build`'s refusal of a cell whose shares do not add up."""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course.grading import CHECKLIST_MIME, call, checklist, expect_close, expect_gradient, expect_shape
from course.instructor.assignments import ASSIGNMENTS
from course.cells import HIDDEN_BEGIN, HIDDEN_END
from course.instructor.build import check_checklists, checklist_problems, read_checklist

ROOT = Path(__file__).resolve().parents[1]
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def _shown(monkeypatch) -> list:
    shown = []
    monkeypatch.setattr("course.grading._display_checklist", lambda data, text: shown.append((data, text)))
    return shown


def test_a_checklist_records_every_check_and_raises_once_with_all_of_them(monkeypatch):
    shown = _shown(monkeypatch)
    checks = checklist(points=2, hidden="1/2")
    with checks("right values", "1/2"):
        expect_close(np.array([1.0, 2.0]), [1.0, 2.0], "x")
    with checks("doubled values", 1):
        expect_close(np.array([2.0, 4.0]), [1.0, 2.0], "y of the visible input")
    with checks("another case", "1/2", hidden=True):
        expect_close(np.array([0.123456, 7.5]), [0.654321, 8.25], "y at 0.5 and 3.25")
    with pytest.raises(AssertionError) as raised:
        checks.done()
    data, text = shown[0]
    assert [(c["name"], c["share"], c["hidden"], c["passed"]) for c in data["checks"]] == [
        ("right values", "1/2", False, True), ("doubled values", "1", False, False), ("another case", "1/2", True, False)]
    assert data["points"] == "2" and data["hidden_points"] == "1/2"
    # the visible failure keeps its whole message: expected, got, hint
    assert "expected array of shape (2,): [1., 2.], got" in data["checks"][1]["message"]
    assert "2 times the expected one" in data["checks"][1]["message"]
    # the hidden one names what went wrong, never its inputs or expected values
    hidden = data["checks"][2]["message"]
    assert hidden.startswith("the values differ") and not re.search(r"0\.6|8\.25|0\.5|3\.25|0\.12|7\.5", hidden)
    assert "2 of 3 checks failed" in str(raised.value) and "[PASS] right values" in str(raised.value)
    assert "8.25" not in str(raised.value) and "0.654321" not in text


def test_a_passing_checklist_shows_itself_and_raises_nothing(monkeypatch):
    shown = _shown(monkeypatch)
    checks = checklist(points=1, hidden="1/2")
    with checks("shape", "1/2"):
        expect_shape(np.zeros((2, 3)), (2, 3), "z")
    checks.done()
    data, text = shown[0]
    assert all(c["passed"] for c in data["checks"])
    # in the release the hidden part is gone: the text says what it holds
    assert "1/2 points held by hidden checks" in text


def test_hidden_messages_of_every_helper_quote_nothing(monkeypatch):
    _shown(monkeypatch)
    secret = 0.7310585786
    checks = checklist(points=5, hidden=5)
    with checks("shape", 1, hidden=True):
        expect_shape(np.zeros((3, 7)), (7, 3), f"at {secret}")
    with checks("raises", 1, hidden=True):
        call(lambda x: np.zeros(2) @ np.zeros(x), 9173)
    with checks("gradient", 1, hidden=True):
        expect_gradient(np.array([secret]), lambda v: v ** 2, np.array([4.25]), "d at 4.25")
    with checks("not implemented", 1, hidden=True):
        call(lambda: (_ for _ in ()).throw(NotImplementedError()))
    with checks("uses an earlier result", 1, hidden=True):
        undefined_result  # noqa: F821 - a name an earlier failed check was to bind
    with pytest.raises(AssertionError):
        checks.done()
    messages = [c["message"] for c in checks.data()["checks"]]
    assert messages[0] == "wrong shape"
    assert messages[1] == "your code raised ValueError"
    assert messages[2].startswith("does not match the numerical gradient (relative error")
    assert messages[3] == "not implemented yet (NotImplementedError)"
    assert messages[4].startswith("not checked")
    joined = " ".join(messages)
    assert not [v for v in ("0.731", "4.25", "8.5", "9173") if v in joined]


def test_shares_are_exact_and_must_add_up(monkeypatch):
    _shown(monkeypatch)
    with pytest.raises(TypeError):
        checklist(points=1).check("float share", 0.5).__enter__()
    checks = checklist(points=1)
    for name in "abc":
        with checks(name, "1/3"):
            pass
    checks.done()  # 1/3 + 1/3 + 1/3 == 1 exactly
    short = checklist(points=2)
    with short("one", 1):
        pass
    with pytest.raises(RuntimeError, match="do not add up"):
        short.done()


def test_a_keyboard_interrupt_is_not_a_failed_check():
    checks = checklist(points=1)
    with pytest.raises(KeyboardInterrupt):
        with checks("stopped by a time limit", 1):
            raise KeyboardInterrupt


def _cell(source: str, points=2) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": points,
                                 "grade_id": "test_x", "schema_version": 3}
    return cell


GOOD = """from course.grading import checklist
checks = checklist(points=2, hidden=1)
with checks("first", "1/2"):
    pass
with checks("second", "1/2"):
    pass
### BEGIN HIDDEN TESTS
with checks("other inputs", 1, hidden=True):
    pass
### END HIDDEN TESTS
checks.done()"""


@pytest.mark.parametrize("change, problem", [
    (("\"1/2\"):\n    pass\n###", "\"1/4\"):\n    pass\n###"), "add up to 7/4"),
    (("points=2,", "points=3,"), "but the cell has 2 points"),
    ((", 1, hidden=True", ", 1"), "in the hidden part but not marked hidden"),
    (("\"first\", \"1/2\")", "\"first\", \"1/2\", hidden=True)"), "not in the hidden part"),
    (("\"other inputs\"", "\"other inputs at 0.25\""), "quotes a number"),
    (("\"second\"", "\"first\""), "two checks named 'first'"),
    (("checks.done()", "pass"), "must end with checks.done()"),
    (("\"1/2\"):\n    pass\n###", "0.5):\n    pass\n###"), "a share is an int or a text"),
])
def test_build_refuses_a_cell_whose_checklist_is_wrong(change, problem):
    assert checklist_problems(_cell(GOOD)) == []
    old, new = change
    assert old in GOOD
    problems = checklist_problems(_cell(GOOD.replace(old, new, 1)))
    assert [p for p in problems if problem in p], problems


def test_course_build_stops_on_a_wrong_checklist(tmp_path):
    (tmp_path / "source" / "01_xor").mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[_cell(GOOD.replace("points=2, hidden=1", "points=2, hidden=2"))])
    nbformat.write(nb, tmp_path / "source" / "01_xor" / "01_xor.ipynb")
    with pytest.raises(SystemExit, match="checklist"):
        check_checklists(tmp_path, "01_xor")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_source_test_cell_has_a_checklist_that_adds_up_and_marks_hidden_checks(assignment):
    path = ROOT / "source" / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    tests = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    assert tests
    for cell in tests:
        assert checklist_problems(cell) == []
        found = read_checklist(cell)
        regions = HIDDEN.findall(cell.source)
        # every check inside the hidden markers is hidden, every other one visible
        assert [c.hidden for c in found.checks] == [c.in_hidden_region for c in found.checks]
        assert bool(regions) == any(c.hidden for c in found.checks) or not any(
            "with checks(" in r for r in regions)
        assert sum((c.share for c in found.checks), Fraction(0)) == Fraction(cell.metadata["nbgrader"]["points"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_declares_the_hidden_points_it_no_longer_holds(assignment):
    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    source = {c.metadata["nbgrader"]["grade_id"]: c for c in
              nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4).cells
              if c.metadata.get("nbgrader", {}).get("grade_id")}
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        assert not any(marker in cell.source for marker in (HIDDEN_BEGIN, HIDDEN_END))
        shown, full = read_checklist(cell), read_checklist(source[meta["grade_id"]])
        assert shown.hidden_points == full.hidden_points
        assert [c.name for c in shown.checks] == [c.name for c in full.checks if not c.hidden]


def test_the_mime_type_is_the_courses():
    assert CHECKLIST_MIME == "application/vnd.course.checklist+json"


def test_a_gate_check_is_marked_in_the_data_and_the_text(monkeypatch):
    shown = _shown(monkeypatch)
    checks = checklist(points=1, hidden="1/2")
    with checks("config", "1/2"):
        pass
    with checks("accuracy from the weights", "1/2", hidden=True, gate=True):
        raise AssertionError("accuracy 0.5 at seed 3")
    with pytest.raises(AssertionError):
        checks.done()
    data, text = shown[0]
    assert [c["gate"] for c in data["checks"]] == [False, True]
    assert "(required for the cell's other points)" in text and "seed 3" not in text
