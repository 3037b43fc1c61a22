"""`python -m course validate`: what a student reads when a check fails, and what nbgrader's
Validator alone would not say (a cell outside the tests that raised)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import nbformat

from conftest import ROOT
from course.validate import MESSAGE_LIMIT, SETTINGS, error_message, load_config, main, summary, validate

TEST_META = {"nbgrader": {"grade": True, "grade_id": "test_x", "solution": False, "points": 1, "locked": True,
                          "task": False, "schema_version": 3}}
TRACEBACK = """\x1b[0;31m---------------------------------------------------------------------------\x1b[0m
\x1b[0;31mAssertionError\x1b[0m                            Traceback (most recent call last)
Cell \x1b[0;32mIn[12], line 3\x1b[0m
AssertionError: dl_dfirst_lr compared with the numerical gradient: does not match (relative error 1.00e+00).
    numerical: array of shape (2, 3): [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
    yours:     array of shape (2, 3): [[-0.1, -0.2, -0.3], [-0.4, -0.5, -0.6]]"""


def test_a_several_line_message_is_shown_whole_from_the_exception_on():
    lines = error_message(TRACEBACK, width=200)
    assert lines[0].startswith("AssertionError: dl_dfirst_lr compared with the numerical gradient")
    assert lines[1].strip().startswith("numerical:") and lines[2].strip().startswith("yours:")
    assert not any("Traceback" in line or "\x1b" in line for line in lines)


LONG = ("AssertionError: backprop(weights, output1, output2, ytrue, X_input, LR): the hidden weights' step "
        "divided by LR, should be dL/dwH (when you validate, backprop runs on your own add_bias, sigmoid_der "
        "and log_loss_der: if any of their tests fail, fix them first): does not match the numerical gradient "
        "(relative error 1.00e+00, tolerance 1e-05).\n  numerical: array of shape (4, 1): [[0.151302], "
        "[0.164827], [0.39001 ], [0.22627 ]]\n  yours:     array of shape (4, 1): [[-0.415773], [-0.43479 ], "
        "[-1.490782], [-0.473775]]\nhint: pass sigmoid_der the pre-activations, not the activations")


def test_a_long_message_is_wrapped_for_the_terminal_and_never_cut():
    lines = error_message(LONG, width=80)
    assert all(len(line) <= 80 for line in lines), lines
    assert " ".join(lines).split() == LONG.split(), "every word, in order: nothing cut"
    assert lines[-1] == "hint: pass sigmoid_der the pre-activations, not the activations", lines
    assert lines[-3].startswith("  yours:     array") and lines[-2].startswith("    [-"), "wrapped further in"
    assert not any("..." in line for line in lines)


def test_the_summary_shows_each_message_whole_under_its_cell_name():
    result = {"failed": [{"source": "x", "raw_error": LONG}, {"source": "y", "raw_error": "AssertionError: short"}]}
    text = summary(result, width=72)
    lines = text.splitlines()
    assert lines[1].startswith("  - a test cell: AssertionError: backprop(") and len(lines[1]) <= 72
    assert all(line.startswith("      ") and len(line) <= 72 for line in lines[2:-1]), text
    assert "tolerance 1e-05)." in text and "[-1.490782]" in text and "not the activations" in text
    assert lines[-1] == "  - a test cell: AssertionError: short"


def test_a_huge_message_stops_after_several_kilobytes_and_says_so():
    huge = "AssertionError: expected an array; got " + "[0.123456, " * 2000
    lines = error_message(huge, width=100)
    text = " ".join(" ".join(lines).split())
    assert MESSAGE_LIMIT <= len(text) <= MESSAGE_LIMIT + 400, len(text)
    left = re.search(r"\.\.\. \((\d+) more characters of this message not shown", text)
    assert left and int(left.group(1)) > 10_000, text[-300:]


def test_the_summary_names_the_failing_cell_and_each_missing_written_answer(tmp_path):
    nb = nbformat.v4.new_notebook()
    test = nbformat.v4.new_code_cell("assert False, 'x'", metadata=TEST_META)
    answers = [nbformat.v4.new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": {
        "grade": True, "grade_id": grade_id, "solution": True, "points": 1}}) for grade_id in ("q_why", "q_how", "q_what")]
    answers[1].source = "Because the moons interlock."  # answered: not listed
    nb.cells = [answers[0], test, *answers[1:]]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    result = {"failed": [{"source": "YOUR ANSWER HERE", "raw_error": "You did not provide a response."},
                         {"source": "assert False, 'x'", "raw_error": "AssertionError: x"},
                         {"source": "YOUR ANSWER HERE", "raw_error": "You did not provide a response."}]}
    text = summary(result, path)
    assert "  - test_x: AssertionError: x" in text
    assert "  - q_why: You did not provide a response." in text
    assert "  - q_what: You did not provide a response." in text and "q_how" not in text, text


def test_validate_reads_the_course_settings_wherever_it_runs(tmp_path):
    """Outside the kit (no nbgrader_config.py anywhere above), the package's own settings: the
    course id and a cell's time limit of the kit, not nbgrader's defaults (30 s)."""
    config = load_config(None)
    assert config.Execute.timeout == SETTINGS["Execute"]["timeout"] == 120
    assert config.CourseDirectory.course_id == "nn-from-scratch"
    if os.name == "posix":
        assert config.KernelManager.transport == "ipc"
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = 300\n")
    config = load_config(tmp_path)  # a folder's own nbgrader_config.py goes on top
    assert config.Execute.timeout == 300 and config.CourseDirectory.course_id == "nn-from-scratch"


def test_the_kits_nbgrader_config_says_what_the_package_carries(tmp_path):
    from traitlets.config.loader import PyFileConfigLoader

    from course.instructor.kit import nbgrader_config

    (tmp_path / "nbgrader_config.py").write_text(nbgrader_config())
    kit = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert kit == load_config(None)


def test_a_file_that_is_not_a_notebook_gets_one_line_and_exit_1(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    empty = tmp_path / "empty.ipynb"
    empty.write_text("")
    assert main([broken, empty]) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 2 and not out, (out, err)
    assert lines[0].startswith(f"{broken}: cannot validate: it is not a Jupyter notebook: not valid JSON (")
    assert lines[1] == f"{empty}: cannot validate: the file is empty (not a Jupyter notebook)"
    done = subprocess.run([sys.executable, "-m", "course", "validate", str(broken)], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr


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


def test_the_lab_validate_dialog_gets_every_message_whole(tmp_path):
    """JupyterLab's Validate button shows nbgrader's Validator result as is (its "error", the
    cell's traceback, in lines it does not wrap): a plain assert's long message reaches it whole,
    and a course check's as its message alone, wrapped to lines the dialog shows whole; the
    command line gets the unwrapped message."""
    nb = nbformat.v4.new_notebook()
    message = LONG.split(": ", 1)[1]
    plain = nbformat.v4.new_code_cell(f"raise AssertionError({message!r})", metadata=TEST_META)
    check = nbformat.v4.new_code_cell(f"from course.grading import expect\nexpect(False, {message!r})",
                                      metadata={"nbgrader": {**TEST_META["nbgrader"], "grade_id": "test_y"}})
    nb.cells = [plain, check]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    first, second = validate(None, path)["failed"]
    shown = re.sub(r"\x1b\[[0-9;]*m", "", first["raw_error"])
    assert message in shown
    assert all(line in re.sub(r"<[^>]+>", "", first["error"]).replace("&#39;", "'") for line in message.splitlines())
    lines = re.sub(r"\x1b\[[0-9;]*m", "", second["raw_error"]).splitlines()
    assert lines[0].startswith("AssertionError: backprop(") and "Traceback" not in second["raw_error"]
    assert max(map(len, lines)) <= 100, lines
    assert " ".join(lines).split() == LONG.split(), "every word, in order"
    assert second["message"] == LONG


CHECKLIST_CELL = """import numpy as np
from course.grading import checklist, expect_close

checks = checklist(points=2, hidden="1/2")
with checks("double of a number", "1/2"):
    expect_close(2 * 5.0, 10.0, "double(5.0)")
with checks("double of an array", 1):
    expect_close(np.arange(3.0) * SCALE, [0.0, 2.0, 4.0], "double([0, 1, 2]) " + "of three numbers " * 12)
checks.done()"""


def _checklist_notebook(tmp_path, scale: float):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"SCALE = {scale}"),
                nbformat.v4.new_code_cell(CHECKLIST_CELL, metadata={"nbgrader": {**TEST_META["nbgrader"], "points": 2}})]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / f"n{scale}.ipynb"
    nbformat.write(nb, path)
    return path


def test_validate_shows_the_whole_visible_checklist_and_the_hidden_points(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback=None: os.terminal_size((80, 24)))
    wrong, right = _checklist_notebook(tmp_path, 4.0), _checklist_notebook(tmp_path, 2.0)
    assert main([wrong]) == 1
    out = capsys.readouterr().out
    assert "  - test_x: double([0, 1, 2]) of three numbers" in out
    assert "      (1 of 2 visible checks failed; its checklist is below)" in out
    assert "test_x (2 points): 1 of 2 visible checks passed; 1/2 points held by hidden checks, run when graded" \
        in " ".join(out.split())
    assert "[PASS] double of a number (1/2)" in out and "[FAIL] double of an array (1)" in out
    # the failed check's whole message, wrapped to the terminal, never cut: expected, got, hint
    words = " ".join(out.split())
    assert "expected array of shape (3,): [0., 2., 4.], got array of shape (3,): [0., 4., 8.] " \
           "(every value is 2 times the expected one: a constant factor?)" in words
    assert all(len(line) <= 80 for line in out.splitlines()[1:]), out  # the first names the file
    # no partial score: the cell fails as a whole, and nothing says "Partial credit"
    assert "artial" not in out and "points:" not in out
    assert main([right]) == 0
    out = capsys.readouterr().out
    assert ": passed" in out and "2 of 2 visible checks passed" in out
