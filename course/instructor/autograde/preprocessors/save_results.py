"""`SaveResults` (autograding, instead of SaveAutoGrades + AssignLatePenalties): nbgrader's own
two preprocessors, run in one transaction under the gradebook lock together with the run
journal's row, so a killed run leaves a submission fully graded or not at all. What each graded
cell earned, and why it failed, goes into the job's record (`JobState.notebooks`)."""
from __future__ import annotations

from pathlib import Path

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Instance

from .. import journal, scoring
from ..meter import cut_text
from ..record import JobState
from .one_transaction import AssignLatePenaltiesInTransaction, Deferred, SaveAutoGradesInTransaction
from .resources import course_info

MESSAGE_CHARS = 2000  # of a failed cell's message


def failure_message(cell) -> str | None:
    """What made a graded code cell fail: the error's first line, or what went to stderr last;
    at most MESSAGE_CHARS of it (the journal keeps one per failed cell, the report quotes them)."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            value = str(output.get("evalue", "")).strip().splitlines()
            return cut_text(f"{output.get('ename')}: {value[0] if value else ''}".strip().rstrip(":"), MESSAGE_CHARS)
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = output.get("text", "").strip().splitlines()
            return cut_text(f"wrote to stderr: {text[-1] if text else ''}", MESSAGE_CHARS)
    return None


def notebook_result(nb) -> dict:
    """Per graded cell: points (scoring.cell_grade), maximum, why it failed, a note when its
    result was not a score, and its checks (name, share, hidden, passed, message) when it has a
    checklist."""
    cells = {}
    for cell in nb.cells:
        if not utils.is_grade(cell):
            continue
        score, max_score, note = scoring.cell_grade(cell)
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        entry = {"score": score, "max": max_score}
        if cell.cell_type == "code" and score is not None and score < max_score:
            entry["message"] = failure_message(cell)
        if note:
            entry["note"] = note
        found = scoring.read_checklist(cell) if cell.cell_type == "code" else None
        if found is not None:
            entry["checks"] = [{k: cut_text(v, MESSAGE_CHARS) if isinstance(v, str) else v for k, v in c.items()}
                               for c in found.checks]
        cells[grade_id] = entry
    return cells


class SaveResults(NbGraderPreprocessor):
    """Grades, late penalty and (after the last notebook) the journal row, in one transaction."""

    job_state = Instance(JobState, args=())  # the submission's record: results go in, the row comes out

    def preprocess(self, nb, resources):
        info = course_info(resources)
        state = self.job_state
        notebook_id = resources["nbgrader"]["notebook"]
        execution = info.get("execution", {})
        summary = {
            "notes": execution.get("notes", []),
            "sanitize": state.sanitize.get(notebook_id, []),
            "staging": state.staging_notes,
        }
        cells = notebook_result(nb)
        # a result that is not the grader's score earned 0: the student reads why
        summary["notes"] = summary["notes"] + [
            {"cell": grade_id, "limit": "result", "reason": f"This test cell's result was not a score: {entry['note']}."}
            for grade_id, entry in cells.items() if entry.get("note")]
        nb.metadata["course_autograde"] = summary
        state.notebooks[notebook_id] = {
            "cells": cells,
            "notes": summary["notes"],
            "events": execution.get("events", []),
            "restarts": execution.get("restarts", 0),
            "seconds": execution.get("seconds"),
            "sanitize": summary["sanitize"],
        }
        root = Path(info["root"])

        def save():
            with journal.transaction(resources["nbgrader"]["db_url"]) as gradebook:
                deferred = Deferred(gradebook)
                for saving in (SaveAutoGradesInTransaction, AssignLatePenaltiesInTransaction):
                    saving(parent=self.parent, config=self.config).save_with(deferred, nb, resources)
                if info.get("last", True):
                    journal.ensure_table(gradebook.engine)
                    journal.record(gradebook.db, resources["nbgrader"]["assignment"], resources["nbgrader"]["student"],
                                   state.fingerprint, "graded", state.row())

        journal.locked(root, save)
        return nb, resources
