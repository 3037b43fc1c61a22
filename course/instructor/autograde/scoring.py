"""How `course autograde` scores a test cell: partial credit from the grader's checklist, and a
stricter reading of a cell's numeric result than nbgrader's.

nbgrader 0.9.6 (`utils.determine_grade`) scores a code cell from its outputs, in order: the first
error or stderr output gives 0, the first `execute_result` whose text/plain is a number gives that
number, anything else full marks. Its number rule cannot be trusted: `nan`, a negative number,
any non-numeric text and numpy 2's `np.float64(0.5)` give full marks, and a number above the
cell's points or `inf` raises ValueError (the notebook is lost). `cell_grade` reads the cell the
same way but accepts only the grader's own result (`score_output`: a plain decimal number between
0 and the cell's points, marked in its metadata); any other result earns 0 with a note.

Partial credit (`c.CourseAutograde.partial_credit`, two-process grading only): after a test cell
ran in the grader's kernel, the executor reads the cell's checklist (course.grading's
CHECKLIST_MIME output, which only the grader's kernel can write into a test cell: the student's
kernel never runs one, and what it prints meanwhile is dropped), and when a check failed it puts
the sum of the passed checks' shares first among the cell's outputs, where nbgrader reads it.
Nothing the student's kernel returns is read as a number here: the checklist says which checks
passed, computed by the test code in the grader's kernel.

A cell whose checklist is missing, incomplete or malformed (the grader's kernel died or hit the
time limit before `checks.done()`, a test that failed outside any check) keeps nbgrader's
all-or-nothing: 0 when it failed. A student kernel that dies or runs out of time during a check
fails that check and the later ones that need it; the checks already passed are kept.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import NamedTuple

from nbformat import NotebookNode

from course.grading import CHECKLIST_MIME, CHECKLIST_VERSION

# The grader's own result: its metadata key (the exact share, as a fraction) and its text.
SCORE_KEY = "course_score"
PLAIN_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


class ChecklistScore(NamedTuple):
    """A test cell's checklist as the grader's kernel reported it, and what it is worth."""

    score: Fraction
    points: Fraction
    checks: list[dict]  # {"name", "share", "hidden", "passed", "message"} each

    @property
    def failed(self) -> list[dict]:
        return [c for c in self.checks if not c["passed"]]


class CellGrade(NamedTuple):
    """The score the course gives one graded cell (None: waiting for a manual grade), and why it
    is 0 when its result was not a score."""

    score: float | None
    max_score: float
    note: str | None


def _fraction(text) -> Fraction | None:
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]+(/[0-9]+)?", text):
        return None
    value = Fraction(text)
    return value


def read_checklist(cell: NotebookNode) -> ChecklistScore | None:
    """The checklist a test cell's outputs hold, checked against the cell's points; None when
    there is none, more than one, or it is malformed or does not add up."""
    found = [o for o in cell.get("outputs", []) if o.get("output_type") == "display_data"
             and CHECKLIST_MIME in o.get("data", {})]
    if len(found) != 1:
        return None
    data = found[0]["data"][CHECKLIST_MIME]
    try:
        points = Fraction(cell.metadata["nbgrader"]["points"])
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != CHECKLIST_VERSION or not isinstance(data.get("checks"), list):
        return None
    if _fraction(data.get("points")) != points:
        return None
    hidden_points = _fraction(data.get("hidden_points"))
    checks, total, hidden_total, score = [], Fraction(0), Fraction(0), Fraction(0)
    for check in data["checks"]:
        if not isinstance(check, dict) or not isinstance(check.get("name"), str):
            return None
        part = _fraction(check.get("share"))
        gate = check.get("gate", False)
        if part is None or type(check.get("passed")) is not bool or type(check.get("hidden")) is not bool \
                or type(gate) is not bool:
            return None
        total += part
        hidden_total += part if check["hidden"] else 0
        score += part if check["passed"] else 0
        checks.append({"name": check["name"], "share": str(part), "hidden": check["hidden"],
                       "passed": check["passed"], "message": str(check.get("message", "")), "gate": gate})
    # every check ran, the hidden ones too (a release's checklist, without them, is not graded)
    if total != points or hidden_points is None or hidden_total != hidden_points:
        return None
    if any(c["gate"] and not c["passed"] for c in checks):
        score = Fraction(0)  # the other checks' verdicts stand only with this one
    return ChecklistScore(score, points, checks)


def score_output(score: Fraction) -> NotebookNode:
    """The grader's result for a test cell: nbgrader reads text/plain; the metadata marks it ours."""
    return NotebookNode(output_type="execute_result", execution_count=None, metadata={SCORE_KEY: str(score)},
                        data={"text/plain": repr(float(score))})


def apply_partial_credit(cell: NotebookNode) -> ChecklistScore | None:
    """Put the checklist's score first among a failed test cell's outputs (nbgrader reads the
    first error or result). Every other `execute_result` of the cell is dropped: the cell's number
    is the grader's, never a value the test's last expression happened to show."""
    outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "execute_result"]
    cell.outputs = outputs
    result = read_checklist(cell)
    failed = any(o.get("output_type") == "error" or (o.get("output_type") == "stream" and o.get("name") == "stderr")
                 for o in outputs)
    if result is not None and failed:
        cell.outputs = [score_output(result.score)] + outputs
    return result


def _number(output: NotebookNode, max_score: float) -> tuple[float, str | None]:
    text = output.get("data", {}).get("text/plain")
    if isinstance(text, list) and len(text) == 1:
        text = text[0]
    marked = output.get("metadata", {}).get(SCORE_KEY)
    shown = str(text)[:40] if text is not None else "nothing"
    if not isinstance(text, str) or not PLAIN_NUMBER.fullmatch(text) or not isinstance(marked, str):
        return 0.0, f"its result `{shown}` is not the grader's score: 0 points"
    value = float(text)
    exact = _fraction(marked)
    if not math.isfinite(value) or not 0 <= value <= max_score or exact is None or float(exact) != value:
        return 0.0, f"its result `{shown}` is not a score between 0 and {max_score:g}: 0 points"
    return value, None


def cell_grade(cell: NotebookNode) -> CellGrade:
    """nbgrader's `determine_grade`, with the grader's own result as the only number accepted."""
    from nbgrader import utils

    if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
        score, max_score = utils.determine_grade(cell)
        return CellGrade(score, max_score, None)
    max_score = float(cell.metadata["nbgrader"]["points"])
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "error" or (kind == "stream" and output.get("name") == "stderr"):
            return CellGrade(0.0, max_score, None)
        if kind == "execute_result":
            score, note = _number(output, max_score)
            return CellGrade(score, max_score, note)
    return CellGrade(max_score, max_score, None)
