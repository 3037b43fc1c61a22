"""The report's and the preprocessors' small rules on small inputs (seconds, no kernel, no gradebook):
markdown escaping, the tamper table's grouping and order, per-check counts, failure messages, the
hidden lines the feedback scrubs, and which moved cells count as moved."""
from __future__ import annotations

import nbformat

from course.instructor.autograde import report
from course.instructor.autograde.preprocessors import locked_get_grades, restore_cells, save_results


def test_md_keeps_a_submissions_text_inside_its_table_cell():
    hostile = "# Title\n| a | b |\n[link](http://x) <script>*bold*</script> `code` \x00"
    out = report.md(hostile)
    assert "\n" not in out and "⏎" in out
    assert "\\#" in out and "\\|" in out and "\\[" in out and "\\<script\\>" in out and "\\*bold\\*" in out
    assert "\\x00" in out and "\x00" not in out
    assert report.md(None) == ""


def test_tamper_report_puts_what_the_grader_saw_first_and_escapes_names():
    findings = [
        {"student": "kernel_only", "kind": "opens network connections", "seen": "kernel", "cell": "c1", "detail": "x"},
        {"student": "b|ob", "kind": "monkeypatches a module the tests use", "seen": "grader", "cell": "sigmoid",
         "detail": "np.allclose = ..."},
        {"student": "b|ob", "kind": "monkeypatches a module the tests use", "seen": "grader", "cell": "sigmoid",
         "detail": "np.allclose = ..."},
    ]
    lines = report.tamper_markdown(findings)
    text = "\n".join(lines)
    rows = [line for line in lines if line.startswith("| ") and "student" not in line]
    assert rows[0].startswith("| b\\|ob |") and rows[1].startswith("| kernel\\_only |")
    assert "monkeypatches a module the tests use (2)" in rows[0]
    assert "1 student(s) with findings seen by the grader, 1 with findings reported by their kernel only" in text
    assert report.tamper_markdown([]) == ["## Tamper report", "", "Nothing found."]


def test_a_tamper_row_never_starts_a_spreadsheet_formula():
    row = {"student": "s1", "kind": "reads files outside its folder", "line": None,
           "detail": '=HYPERLINK("http://x.invalid/?"&A2,"y")'}
    safe = report.spreadsheet_row(row)
    assert safe["detail"] == "'" + row["detail"] and safe["kind"] == row["kind"] and safe["line"] is None
    for start in ("+", "-", "@", "\t", "\r"):
        assert report.spreadsheet_row({"detail": start + "1+1"})["detail"].startswith("'")
    assert report.spreadsheet_row({"detail": "in the grader's kernel: =1"})["detail"] == "in the grader's kernel: =1"


def test_check_counts_group_messages_that_differ_only_in_numbers():
    cells = [
        {"checks": [{"name": "shape", "share": "1/2", "passed": True},
                    {"name": "values", "share": "1/2", "passed": False, "message": "expected 0.5, got 0.25"}]},
        {"checks": [{"name": "shape", "share": "1/2", "passed": False, "message": "wrong shape (3,)"},
                    {"name": "values", "share": "1/2", "passed": False, "message": "expected 0.5, got 0.75"}]},
        {"checks": "not a list"},
        {"checks": [{"name": 3}, "junk", {"name": "values", "share": "1/2", "passed": True}]},
    ]
    counts = {c["name"]: c for c in report.check_counts(cells)}
    assert list(counts) == ["shape", "values"]
    assert (counts["shape"]["ran"], counts["shape"]["failed"]) == (2, 1)
    assert (counts["values"]["ran"], counts["values"]["failed"], counts["values"]["common_count"]) == (3, 2, 2)
    assert counts["values"]["common_message"] == "expected 0.5, got 0.25"


def _cell(*outputs):
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def test_failure_message_is_the_errors_first_line_or_the_last_stderr_line():
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "sigmoid(0) should be 0.5\nmore", "traceback": []}
    stderr = {"output_type": "stream", "name": "stderr", "text": "warning 1\nRuntimeWarning: overflow\n"}
    assert save_results.failure_message(_cell(stderr, error)) == "AssertionError: sigmoid(0) should be 0.5"
    assert save_results.failure_message(_cell(stderr)) == "wrote to stderr: RuntimeWarning: overflow"
    assert save_results.failure_message(_cell({"output_type": "stream", "name": "stdout", "text": "ok"})) is None
    long = {"output_type": "error", "ename": "ValueError", "evalue": "x" * 100_000, "traceback": []}
    assert len(save_results.failure_message(_cell(long))) <= save_results.MESSAGE_CHARS + 100


def test_hidden_lines_are_the_markers_and_the_hidden_regions_meaningful_lines_longest_first():
    lines = locked_get_grades.hidden_lines(["    expect_close(sigmoid(3.5), 0.970687769, 'msg')\n    x = 1\n\n"])
    assert lines[0] == "expect_close(sigmoid(3.5), 0.970687769, 'msg')"
    assert "### BEGIN HIDDEN TESTS" in lines and "### END HIDDEN TESTS" in lines
    assert "x = 1" not in lines  # too short to tell apart from a student's own line
    assert lines == sorted(lines, key=len, reverse=True)


def test_the_fewest_cells_count_as_moved():
    assert restore_cells._increasing([0, 1, 2, 3]) == {0, 1, 2, 3}
    assert restore_cells._increasing([3, 0, 1, 2]) == {1, 2, 3}  # the one at the top moved
    assert restore_cells._increasing([1, 0]) == {0}  # two swapped: the first run that ends first
    assert restore_cells._increasing([]) == set()
