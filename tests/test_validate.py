"""`python -m course validate`: what a student reads when a check fails, and what nbgrader's
Validator alone would not say (a cell outside the tests that raised)."""
from __future__ import annotations

import nbformat

from course.validate import error_message, summary, validate

TEST_META = {"nbgrader": {"grade": True, "grade_id": "test_x", "solution": False, "points": 1, "locked": True,
                          "task": False, "schema_version": 3}}
TRACEBACK = """\x1b[0;31m---------------------------------------------------------------------------\x1b[0m
\x1b[0;31mAssertionError\x1b[0m                            Traceback (most recent call last)
Cell \x1b[0;32mIn[12], line 3\x1b[0m
AssertionError: dl_dfirst_lr compared with the numerical gradient: does not match (relative error 1.00e+00).
    numerical: array of shape (2, 3): [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
    yours:     array of shape (2, 3): [[-0.1, -0.2, -0.3], [-0.4, -0.5, -0.6]]"""


def test_a_several_line_message_is_shown_whole_from_the_exception_on():
    lines = error_message(TRACEBACK)
    assert lines[0].startswith("AssertionError: dl_dfirst_lr compared with the numerical gradient")
    assert lines[1].strip().startswith("numerical:") and lines[2].strip().startswith("yours:")
    assert not any("Traceback" in line or "\x1b" in line for line in lines)


def test_a_long_line_is_cut_at_a_word_not_inside_one():
    original = "AssertionError: " + "the expected array " * 30
    (line,) = error_message(original)
    kept = line[:-4]
    assert line.endswith(" ...") and original.startswith(kept) and original[len(kept)] == " ", line


def test_the_summary_names_the_failing_cell_and_the_missing_written_answer(tmp_path):
    nb = nbformat.v4.new_notebook()
    test = nbformat.v4.new_code_cell("assert False, 'x'", metadata=TEST_META)
    text = nbformat.v4.new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": {"grade": True, "grade_id": "q_why", "solution": True, "points": 1}})
    nb.cells = [test, text]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    result = {"failed": [{"source": "assert False, 'x'", "raw_error": "AssertionError: x"},
                         {"source": "YOUR ANSWER HERE", "raw_error": "You did not provide a response."}]}
    text = summary(result, path)
    assert "  - test_x: AssertionError: x" in text
    assert "  - q_why: You did not provide a response." in text


def test_validate_also_reports_an_ungraded_cell_that_raised(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("# a plot that breaks\nNone.figure"),
        nbformat.v4.new_code_cell("assert x == 1", metadata=TEST_META),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    others: list = []
    assert validate(None, path, other_errors=others) == {}, "the graded cell passes: nbgrader's verdict"
    assert others == [(2, "# a plot that breaks", "AttributeError: 'NoneType' object has no attribute 'figure'")]
