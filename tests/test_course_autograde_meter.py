"""Every byte metered: what leaves the grader is bounded, and so is what the sandboxes write.

Fast unit tests of the cuts (course/instructor/autograde/meter.py, the journal row, the grading
helpers' failure messages, a handle's repr), then one run of the tiny assignment in which a
notebook floods the grader with 5 MB strings and errors and fills every place it may write,
graded with small limits (100 KiB of output per cell, 100 MiB of files). The corpus run
(tests/test_course_autograde_corpus.py) does the same at full size on 02_moons.
"""
from __future__ import annotations

import html
import json
import os
import re
import sqlite3

import nbformat
import pytest

from autograde_support import TINY, grades, make_course, submit, tiny_assignment, tiny_submission
from course import grading
from course.instructor.autograde import journal
from course.instructor.autograde import run as autograde
from course.instructor.autograde.execute import ERROR_FLOOR, SandboxedExecute
from course.instructor.autograde.meter import ENTRY_BYTES, cut_error, cut_text, tmpfs_used, tree_bytes
from course.instructor.autograde.preprocessors.save_results import MESSAGE_CHARS, failure_message
from course.instructor.autograde.twoproc import handles

BIG = 5_000_000
CUT = re.compile(r"\[… ([0-9,]+) characters cut\]")


def cut_count(text: str) -> int:
    return sum(int(n.replace(",", "")) for n in CUT.findall(text))


# --- the cuts ---------------------------------------------------------------------------------

def test_a_cut_text_says_how_much_it_lost_even_when_cut_twice():
    once = cut_text("a" * 1000, 100)
    assert once.startswith("a" * 100) and cut_count(once) == 900 and len(once) < 130
    twice = cut_text(once, 10)
    assert twice.startswith("a" * 10) and not twice.startswith("a" * 11) and cut_count(twice) == 990
    assert cut_text(once, 200) == once and cut_text("short", 10) == "short"


def test_a_cut_error_keeps_where_it_failed_and_how_its_message_begins():
    frames = ["---------------------------------------------------------------------------\n",
              "Cell In[3], line 2\n      1 x = 1\n----> 2 raise ValueError(msg)\n"]
    last = "ValueError: " + "!" * BIG
    evalue, traceback = cut_error("!" * BIG, frames + [last, "a line after it"], 10_000)
    assert traceback[:2] == frames and traceback[2].startswith("ValueError: !!!")
    assert "1 more line(s)" in traceback[3] and len(traceback) == 4
    assert len(evalue) + sum(map(len, traceback)) < 10_000 + 200
    assert cut_count(evalue) == BIG - 5000 and cut_count(traceback[2]) > BIG - 10_000


def test_an_error_output_is_cut_to_what_the_cell_has_left_never_below_the_floor():
    execute = SandboxedExecute.__new__(SandboxedExecute)
    execute._begin_cell()
    msg = {"msg_type": "error", "content": {"ename": "E" * 1000, "evalue": "!" * BIG,
                                            "traceback": ["head\n", "E: " + "!" * BIG]}}
    cut, size = execute._cut_error(msg, 50_000)
    content = cut["content"]
    assert size == len(content["ename"]) + len(content["evalue"]) + sum(map(len, content["traceback"]))
    assert 40_000 < size < 51_000 and len(content["ename"]) < 250 and execute._budget.errors_kept == size
    assert msg["content"]["evalue"] == "!" * BIG  # the kernel's message itself is left alone
    _, size = execute._cut_error(msg, -5)  # nothing left in the cell: the floor
    assert ERROR_FLOOR - 100 < size < ERROR_FLOOR + 300
    small = {"msg_type": "error", "content": {"ename": "E", "evalue": "x", "traceback": ["E: x"]}}
    assert execute._cut_error(small, -5) == (small, 6)


def test_a_failure_message_and_a_journal_row_are_bounded():
    class Cell(dict):
        pass

    cell = Cell(outputs=[{"output_type": "error", "ename": "AssertionError", "evalue": "got " + "x" * BIG}])
    message = failure_message(cell)
    assert len(message) < MESSAGE_CHARS + 40 and cut_count(message) > BIG - MESSAGE_CHARS

    small = {"notebooks": {"nb": {"cells": {"t": {"score": 1, "max": 1}}, "notes": []}}, "tamper": []}
    assert journal.bounded_json(small) == json.dumps(small)
    huge = {"notebooks": {"nb": {"cells": {f"test_{i}": {"score": 0, "max": 1, "message": "m" * 30_000}
                                           for i in range(50)},
                                 "notes": [{"cell": "c", "limit": "output", "reason": "r" * 50_000}] * 500}},
            "tamper": [{"kind": "k", "detail": "d" * BIG}], "traceback": "t" * 100_000, "ungradable": None}
    row = journal.bounded_json(huge)
    assert len(row) <= journal.ROW_CHARS
    result = json.loads(row)
    assert set(result["notebooks"]["nb"]["cells"]) == set(huge["notebooks"]["nb"]["cells"])
    assert all(c["score"] == 0 for c in result["notebooks"]["nb"]["cells"].values())
    assert "cut" in result and all(isinstance(n, dict) for n in result["notebooks"]["nb"]["notes"])


class Loud:
    def __init__(self, n=BIG):
        self.n = n

    def __repr__(self):
        return "<" + "x" * self.n + ">"

    __str__ = __repr__


def test_grading_helpers_quote_a_few_kb_of_a_students_value():
    assert len(grading.fmt(Loud())) <= 300
    assert len(grading.fmt({Loud(): Loud()}, limit=10**9)) < 2 * grading.STUDENT_TEXT + 200

    def loud_error(x):
        raise ValueError("!" * BIG)

    loud_error.__name__ = "n" * BIG
    with pytest.raises(AssertionError) as failed:
        grading.call(loud_error, 1)
    message = str(failed.value)
    assert len(message) < grading.STUDENT_TEXT + grading.NAME_CHARS + 200 and cut_count(message) > 2 * BIG - 10_000
    shaped = type("T" * BIG, (), {"__repr__": lambda self: "r" * BIG})()
    with pytest.raises(AssertionError) as failed:
        grading.expect_shape(shaped, (2,), "the shape")
    assert len(str(failed.value)) < 1000


def test_a_handle_quotes_a_few_kb_of_the_students_repr_and_str(monkeypatch):
    monkeypatch.setattr(handles, "_ask", lambda method, handle: "<" + "x" * BIG + ">")
    handle = handles.Handle(1, {"k": "object", "t": ["", "Loud"]})
    for text in (repr(handle), str(handle), f"{handle}"):
        assert len(text) < grading.STUDENT_TEXT + 40 and cut_count(text) == BIG + 2 - grading.STUDENT_TEXT


def test_the_meter_counts_entries_and_only_the_sandboxes_tmpfs(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_bytes(b"1" * 10_000)
    (tmp_path / "g").write_bytes(b"")
    folder = os.lstat(tmp_path / "a").st_size  # a folder's own size counts too
    assert tree_bytes(tmp_path) == 10_000 + folder + 3 * ENTRY_BYTES
    assert tree_bytes(tmp_path, stop=1) < 10_000  # stopped at the first entry
    # a mount that is not a tmpfs of the sandbox's size is not the sandbox's: never counted
    assert tmpfs_used("/", 123 * 4096) is None and tmpfs_used("/no/such/place", 4096) is None


# --- a tiny run: a notebook that floods the grader and fills every place it may write -----------

# test_square prints the student's answer and quotes it when it is wrong (a 5 MB string: in the
# grader's kernel); test_double's call raises a 5 MB error in the student's kernel
CELLS = [
    ("code", None, "import numpy as np\nimport time"),
    ("code", "square", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"),
    ("code", "test_square", "_got = square(2)\nprint(_got)\nassert _got == 4, f'square(2) should be 4, got {_got!r}'"),
    ("code", "double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
    ("code", "test_double", "assert double(5) == 10, 'double(5) should be 10'"),
]
LOUD = {"square": f"def square(x):\n    return 'x' * {BIG}",
        "double": f"def double(x):\n    raise ValueError('!' * {BIG})\nraise RuntimeError('?' * {BIG})"}
# 60 MB into /tmp and 60 MB into /dev/shm at once (done before the watchdog looks: the end of the
# cell stops it); then 120 MB into the kernel's own folder, and a wait (the watchdog stops it)
FILL_FAST = """
for _folder in ("/tmp", "/dev/shm"):
    with open(_folder + "/fill.bin", "wb") as _fh:
        _fh.write(b"1" * (60 << 20))
"""
FILL_SLOW = """
import os, time
from ipykernel import get_connection_file
for _i in range(2):
    with open(os.path.join(os.path.dirname(get_connection_file()), f"fill{_i}.bin"), "wb") as _fh:
        _fh.write(b"1" * (60 << 20))
time.sleep(30)
"""
LIMITS = {"max_output_bytes": "100K", "max_notebook_output_bytes": "300K", "max_written_bytes": "100M",
          "cell_timeout": 60}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("meter"), [])
    tiny_assignment(root, CELLS)
    fills = nbformat.reads(tiny_submission(cells=CELLS), as_version=4)
    fills.cells[1:1] = [nbformat.v4.new_code_cell(FILL_FAST), nbformat.v4.new_code_cell(FILL_SLOW)]
    files = {"good": tiny_submission(cells=CELLS), "loud": tiny_submission(LOUD, cells=CELLS),
             "fills": nbformat.writes(fills)}
    for student, text in files.items():
        submit(root, student, TINY, {f"{TINY}.ipynb": text})
    log: list[str] = []
    result = autograde.run(root, [TINY], workers=2, log=log.append, overrides={"CourseAutograde": LIMITS})
    got = grades("sqlite:///" + str(root / "gradebook.db"), TINY)
    with sqlite3.connect(root / "gradebook.db") as db:
        rows = dict(db.execute("select student, result from course_autograde_journal").fetchall())
    return {"root": root, "result": result, "log": "\n".join(log), "rows": rows,
            "points": {s: (got[s]["test_square"][0], got[s]["test_double"][0]) for s in files}}


def _feedback(run, student) -> str:
    return html.unescape((run["root"] / "feedback" / student / TINY / f"{TINY}.html").read_text())


def test_a_flood_of_student_text_stays_within_the_output_limits(tiny_run):
    assert not tiny_run["result"].failed, tiny_run["log"]
    assert tiny_run["points"]["loud"] == (0, 0) and tiny_run["points"]["good"] == (1, 2), tiny_run["log"]
    root = tiny_run["root"]
    notebook = root / "autograded" / "loud" / TINY / f"{TINY}.ipynb"
    # 300 KiB of output per notebook, and at most ERROR_FLOOR more per error once it is used up
    assert notebook.stat().st_size < 400 * 1024, notebook.stat().st_size
    assert (root / "feedback" / "loud" / TINY / f"{TINY}.html").stat().st_size < 1024 * 1024
    assert len(tiny_run["rows"]["loud"]) < 20_000
    text = _feedback(tiny_run, "loud")
    assert "The error this cell raised was too long to keep whole" in text
    assert "output truncated" in text  # the grader's kernel dropped what test_square printed
    nb = nbformat.read(notebook, as_version=4)
    test_square = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
    error = next(o for o in test_square.outputs if o.output_type == "error")
    assert error.ename == "AssertionError" and cut_count(error.evalue) > BIG - 100_000
    messages = json.loads(tiny_run["rows"]["loud"])["notebooks"][TINY]["cells"]
    assert all(len(m["message"]) < MESSAGE_CHARS + 40 for m in messages.values()), messages


def test_files_written_anywhere_count_and_cost_their_own_cell(tiny_run):
    assert tiny_run["points"]["fills"] == (1, 2), tiny_run["log"]
    notes = json.loads(tiny_run["rows"]["fills"])["notebooks"][TINY]["notes"]
    stopped = [n for n in notes if n["limit"] == "files written"]
    assert [n["cell"] for n in stopped] == ["cell 2", "cell 3"], notes
    assert all("/tmp, /dev/shm, its home folder and its kernel's own folder" in n["reason"] for n in stopped)
    assert "This cell wrote more than 100.0 MiB of files" in _feedback(tiny_run, "fills")
    report = json.loads((tiny_run["root"] / "reports" / TINY / "report.json").read_text())
    assert any(f["student"] == "fills" and f["kind"] == "hit a limit: files written" for f in report["tamper"])
