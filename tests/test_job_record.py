"""One submission's record (`JobState`) and the journal row it becomes: rows written before it
existed read the same, and it writes them the same.

data/journal_rows_af0ced1.json holds the journal rows (the gradebook's `result` text as stored)
of three submissions graded by the grader of commit af0ced1, when the record was a dict: a
deleted test cell restored (RestoreCells' finding, a failed cell's message), a renamed notebook
(a staging note), a file that is not a notebook (ungradable).
"""
from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from course.instructor.autograde import journal
from course.instructor.autograde.record import JobState

ROWS = json.loads((Path(__file__).parent / "data" / "journal_rows_af0ced1.json").read_text())


def test_old_rows_are_written_again_to_the_character():
    for row in ROWS:
        state = JobState.from_row(json.loads(row["result"]), row["fingerprint"])
        assert journal.bounded_json(state.row()) == row["result"], row["student"]


def test_old_rows_read_as_what_they_recorded():
    by_student = {row["student"]: JobState.from_row(json.loads(row["result"])) for row in ROWS}
    deleted = by_student["deleted"]
    assert deleted.points() == (1.0, 3.0)
    assert deleted.sanitize == {"zz_tiny": [{"kind": "deleted locked cell", "cell": "test_square",
                                             "detail": "restored from the gradebook and graded"}]}
    assert deleted.notebooks["zz_tiny"]["cells"]["test_double"]["message"] == "AssertionError: double(5) should be 10"
    assert by_student["renamed"].staging_notes == [
        "Your notebook was named 'mine.ipynb' instead of 'zz_tiny.ipynb'; it was graded as 'zz_tiny.ipynb'."]
    assert by_student["renamed"].points() == (3.0, 3.0)
    assert by_student["notjson"].ungradable.startswith("'zz_tiny.ipynb' could not be graded: it is not a valid notebook")
    assert by_student["notjson"].notebooks == {}


def test_a_row_recorded_from_a_record_reads_back_from_the_journal(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    engine = sa.create_engine(url, future=True)
    journal.ensure_table(engine)
    with Session(engine) as session:
        for row in ROWS:
            state = JobState.from_row(json.loads(row["result"]), row["fingerprint"])
            journal.record(session, row["assignment"], row["student"], state.fingerprint, row["status"], state.row())
        session.commit()
    engine.dispose()
    read = journal.read(url)
    for row in ROWS:
        entry = read[(row["assignment"], row["student"])]
        assert (entry["status"], entry["fingerprint"]) == (row["status"], row["fingerprint"])
        assert entry["result"] == json.loads(row["result"])


def test_rows_a_cluster_coordinator_extended_keep_their_keys():
    result = dict(json.loads(ROWS[0]["result"]), run="run-1", cut="cut to fit")
    assert JobState.from_row(result).row() == result
