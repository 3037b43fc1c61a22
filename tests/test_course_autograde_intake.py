"""What a submitted notebook goes through before nbgrader sees it (`course.instructor.autograde.intake`),
and how the report quotes what a submission wrote. No kernel runs here: the end-to-end cases are in
the adversarial corpus (test_course_autograde_corpus.py); these pin the rules on small inputs, against
a real gradebook made by nbgrader's generate_assignment.
"""
from __future__ import annotations

import copy
import json
import time

import nbformat
import pytest

from autograde_support import TINY, make_course, tiny_assignment, tiny_submission
from course.instructor import demo
from course.instructor.autograde import config, course_root, gradebook, intake, report, sandbox
from course.instructor.autograde import run as autograde

LIMITS = intake.RawLimits(file_bytes=50 * 2**20, cells=2000, cell_bytes=2**20)


@pytest.fixture(scope="module")
def expected(tmp_path_factory):
    from nbgrader.api import Gradebook

    root = make_course(tmp_path_factory.mktemp("intake"), [])
    tiny_assignment(root)
    cfg = course_root.course_config(root)
    gradebook.register_assignment(root, cfg, TINY)
    with Gradebook(config.db_url_of(cfg, root), "nn-from-scratch") as gb:
        return intake.expected_cells(gb, TINY, TINY)


def submission() -> dict:
    return json.loads(tiny_submission())


def ids(nb) -> list:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def test_200000_empty_cells_are_refused_on_the_raw_file_in_a_moment():
    cells = ", ".join(['{"cell_type": "markdown", "metadata": {}, "source": ""}'] * 200_000)
    data = ('{"cells": [' + cells + '], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}').encode()
    started = time.monotonic()
    with pytest.raises(intake.Unreadable, match="it has 200,000 cells, more than the limit of 2,000 per notebook"):
        intake.check_raw(data, LIMITS)
    assert time.monotonic() - started < 5, "counted on the bytes, not parsed"


@pytest.mark.parametrize("data, reason", [
    (b"", "the file is empty"),
    (b'{"cells": [ not json', "it is not a valid notebook (JSON)"),
    (b"[1, 2]", "it is not a notebook (no cells)"),
    (b"\xff\xfe{}", "it cannot be read as text"),
    (b"[" * 100_000 + b"]" * 100_000, "it is not a valid notebook (JSON)"),
])
def test_files_that_are_not_notebooks_say_why(data, reason):
    with pytest.raises(intake.Unreadable, match=reason.replace("(", r"\(").replace(")", r"\)")):
        intake.check_raw(data, LIMITS)


def test_file_and_cell_sizes_are_limited():
    nb = submission()
    nb["cells"][1]["source"] = "x = 1  # " + "x" * (2 << 20)
    data = json.dumps(nb).encode()
    with pytest.raises(intake.Unreadable, match=r"cell 2 holds 2.0 MiB of code or text, more than the limit of 1.0 MiB per cell"):
        intake.check_raw(data, LIMITS)
    with pytest.raises(intake.Unreadable, match=r"more than the limit of 1.0 MiB per notebook"):
        intake.check_raw(data, intake.RawLimits(file_bytes=2**20, cells=2000, cell_bytes=4 << 20))


def test_a_copied_cell_loses_its_id_and_the_student_reads_it_was_not_graded(expected):
    nb = submission()
    nb["cells"].insert(2, copy.deepcopy(nb["cells"][1]))  # the `square` answer, pasted twice
    out, notes, findings = intake.normalise(nb, expected)
    assert ids(out) == [None, "square", None, "test_square", "double", "test_double"]
    assert notes == ["cell 3 is a copy of the cell `square` (cell 2); only the first cell with this id is "
                     "graded, so the copy was not graded (it ran as an ordinary cell)."]
    assert [f["kind"] for f in findings] == ["duplicate cell id"]


def test_forged_metadata_is_replaced_by_the_gradebooks(expected):
    nb = submission()
    nb["cells"][2]["metadata"]["nbgrader"]["points"] = 1000                   # a test claims 1000 points
    nb["cells"][4]["metadata"]["nbgrader"].update(solution=True, grade=False, locked=False)  # flipped
    nb["cells"][4]["cell_type"] = "markdown"
    del nb["cells"][4]["outputs"], nb["cells"][4]["execution_count"]
    bonus = nbformat.v4.new_code_cell("pass")
    bonus.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 1000, "solution": False,
                                  "locked": False, "schema_version": 3}
    nb["cells"].append(json.loads(json.dumps(bonus)))
    nb["cells"].append({"cell_type": "code", "metadata": {"nbgrader": "corrupt"}, "source": "", "outputs": [],
                        "execution_count": None})
    out, notes, findings = intake.normalise(nb, expected)
    meta = {i: c.metadata.get("nbgrader") for i, c in enumerate(out.cells)}
    assert meta[2]["points"] == 1 and meta[2]["locked"] and meta[2]["grade"]
    assert out.cells[4].cell_type == "code" and meta[4]["grade"] and not meta[4]["solution"] and meta[4]["points"] == 2
    assert meta[5] is None and meta[6] is None
    assert "claims to be a graded cell (`bonus`, 1000 points) that this assignment does not have" in notes[0]
    kinds = sorted(f["kind"] for f in findings)
    assert kinds == ["changed cell metadata", "changed cell metadata", "changed cell type",
                     "unknown cell id", "unknown cell id"], kinds
    nbformat.validate(out)


def test_invalid_outputs_are_dropped_and_said(expected):
    nb = submission()
    nb["cells"][0]["outputs"] = [{"output_type": "display_data", "data": {"text/plain": 12345}, "metadata": {}},
                                 {"output_type": "stream", "name": "stdout", "text": "fine"}]
    out, notes, _ = intake.normalise(nb, expected)
    assert [o["output_type"] for o in out.cells[0].outputs] == ["stream"]
    assert notes == ["1 output(s) saved in your notebook are not valid notebook outputs (nbformat's schema); "
                     "they were dropped before grading (outputs are recomputed anyway)."]
    nb = submission()
    nb["cells"][0]["metadata"] = {"tags": 5}  # invalid metadata is stripped (nbformat's normalize)
    del nb["cells"][1]["id"]                  # a missing cell id is added
    out, _, _ = intake.normalise(nb, expected)
    assert out.cells[0].metadata == {} and out.cells[1].id
    nb = submission()
    nb["cells"][0]["cell_type"] = "spreadsheet"  # nothing to drop or strip: the reason instead
    with pytest.raises(intake.Unreadable, match="it is not a valid notebook"):
        intake.normalise(nb, expected)


def test_the_report_quotes_what_a_submission_wrote_as_plain_text():
    forged = "x\n\n## FORGED: good copied this notebook\n| a | b |\n<script>alert(1)</script> [link](http://x)"
    text = report.md(forged)
    assert "\n" not in text and "\\#\\# FORGED" in text and "\\| a \\| b \\|" in text
    assert "\\<script\\>" in text and "\\[link\\]" in text
    lines = report.tamper_markdown([
        {"student": "s1", "kind": "reads files outside its folder", "cell": "cell 3", "detail": forged, "seen": "kernel"},
        {"student": "s2", "kind": "starts processes", "cell": "cell 1", "detail": "os.fork()", "seen": "grader"},
    ] + [{"student": "s1", "kind": "reads files outside its folder", "cell": f"cell {i}", "detail": f"/etc/{i}",
          "seen": "kernel"} for i in range(800)])
    assert not [line for line in lines if line.startswith("#") and "FORGED" in line]
    assert [line for line in lines if line.startswith("### ")] == ["### s2", "### s1"]  # seen by the grader first
    assert len(lines) < 30, "802 findings of two kinds: two rows, not 802"


def test_demo_without_a_sandbox_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "BWRAP", "bwrap-is-not-installed-here")
    with pytest.raises(autograde.Refused) as refused:
        demo.run(tmp_path, ["02_moons"], log=lambda *_: None)
    message = str(refused.value)
    assert "\n" not in message and "no sandbox" in message and "course demo --unsafe-no-sandbox" in message
    assert not (tmp_path / "submitted").exists()


def test_a_lone_surrogate_becomes_the_replacement_character_and_the_student_reads_so(expected):
    content = submission()
    content["cells"][0]["source"] = "x = 1  # \ud800 alone"
    raw = json.dumps(content).encode()  # JSON escapes it: "\ud800"
    assert b"\\ud800" in raw
    nb, notes, _ = intake.normalise(intake.check_raw(raw, LIMITS), expected)
    assert nb.cells[0].source == "x = 1  # \ufffd alone"
    assert any("surrogate" in note and "U+FFFD" in note for note in notes), notes
    nbformat.writes(nb).encode("utf-8")  # a file can hold it now


def test_a_plain_notebook_gets_no_surrogate_note(expected):
    content = submission()
    content["cells"][0]["source"] = "x = '\\\\ud800'  # the six characters, not a surrogate"
    nb, notes, _ = intake.normalise(intake.check_raw(json.dumps(content).encode(), LIMITS), expected)
    assert not any("surrogate" in note for note in notes), notes
    assert "\\ud800" in nb.cells[0].source
