"""nbgrader's cell vocabulary, said once: which cell is a test, its grade id, the hidden-test markers.

Used by Validate (the student's side), the build and the grader; nbgrader's own meaning:
a *test cell* is graded and not a solution ("Autograder tests"), an *answer cell* is a solution,
and the hidden part of a test cell lies between the two marker lines (nbgrader's
`ClearHiddenTests` removes it from the student's copy).
"""
from __future__ import annotations

import re

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
# one hidden region's body (what lies between the markers)
HIDDEN_REGION = re.compile(re.escape(HIDDEN_BEGIN) + r"\n(.*?)" + re.escape(HIDDEN_END), re.S)
# a hidden region with its marker lines, as nbgrader removes it
_HIDDEN_WHOLE = re.compile(r"[ \t]*" + re.escape(HIDDEN_BEGIN) + r".*?" + re.escape(HIDDEN_END) + r"[^\n]*\n?", re.S)


def nbgrader(cell) -> dict:
    """The cell's nbgrader metadata ({} when it has none, or when it is not a dict)."""
    meta = (cell.get("metadata") or {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    return nbgrader(cell).get("grade_id")


def is_test_cell(cell) -> bool:
    """An "Autograder tests" cell: code, graded, not a solution."""
    meta = nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_answer_cell(cell) -> bool:
    return bool(nbgrader(cell).get("solution"))


def without_hidden_tests(source: str | None) -> str:
    """`source` with every hidden region removed, marker lines included."""
    return _HIDDEN_WHOLE.sub("", source or "")


def hidden_regions(source: str | None) -> list[str]:
    """The bodies of the hidden regions of `source`."""
    return HIDDEN_REGION.findall(source or "")
