"""nbgrader preprocessors of `course autograde`: restore test cells, save atomically, explain.

- `RestoreCells` (sanitizing, instead of nbgrader's OverwriteCells): nbgrader 0.9.6 puts back
  the gradebook's source of an edited locked cell, but a *deleted* test cell leaves its exercise
  "needs manual grade" (its `add_missing_cells` option is off by default and fails when the
  cell before the missing one is not a graded cell). This one restores every missing locked
  cell from the gradebook, at its place in the release notebook, and records what it found
  changed, deleted or retyped for the tamper report.
- `SaveResults` (autograding, instead of SaveAutoGrades + AssignLatePenalties): nbgrader's own
  two preprocessors, run in one transaction under the gradebook lock together with the run
  journal's row, so a killed run leaves a submission fully graded or not at all.
- `LockedGetGrades`, `ScrubHiddenTestEcho`, `GradingNotes` (feedback): read the grades under the
  lock; remove from outputs any line of a hidden test that a student's code printed (for example
  by reading IPython's input history); put the autograder's notes (limits hit, kernel deaths,
  restored cells) at the top of the feedback.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties, GetGrades, NbGraderPreprocessor, OverwriteCells, SaveAutoGrades

from . import journal
from .meter import cut_text

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
MESSAGE_CHARS = 2000  # of a failed cell's message


def _info(resources) -> dict:
    return resources.setdefault("course_autograde", {})


def _state(resources, preprocessor=None) -> dict:
    """The job's state, shared by all passes over all notebooks of one submission.

    nbconvert deep-copies `resources` for every preprocessor, so it lives on the converter
    (the exporter's parent) instead; resources only carry it when there is no converter.
    """
    converter = getattr(getattr(preprocessor, "parent", None), "parent", None)
    state = getattr(converter, "job_state", None)
    if isinstance(state, dict):
        return state
    return _info(resources).setdefault("state", {})


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


def release_cells(resources, folder: str = "release") -> dict:
    """The release (or source) notebook's nbgrader cells by grade_id, in order ({} if none)."""
    root = _info(resources).get("root")
    if not root:
        return {}
    nbg = resources["nbgrader"]
    path = Path(root) / folder / nbg["assignment"] / f"{nbg['notebook']}.ipynb"
    try:
        release = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return {}
    return {c.metadata["nbgrader"]["grade_id"]: c for c in release.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")}


def _without_hidden(source: str) -> str:
    text = re.sub(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", "", source or "", flags=re.S)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _points(cell):
    return cell.metadata.get("nbgrader", {}).get("points")


# --- sanitizing -----------------------------------------------------------------------------

class RestoreCells(OverwriteCells):
    """OverwriteCells, plus: restore deleted locked cells; record every change found."""

    def preprocess(self, nb, resources):
        self._findings: list[dict] = []
        self._release = release_cells(resources)
        present = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
        nb, resources = super().preprocess(nb, resources)
        with Gradebook(self.db_url) as gb:
            self._restore_missing(gb, nb, resources, present)
        _state(resources, self).setdefault("sanitize", {})[resources["nbgrader"]["notebook"]] = self._findings
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                self._findings.append({"kind": "unknown cell id", "cell": grade_id,
                                       "detail": "a cell claims an nbgrader id the assignment does not have"})
            else:
                if cell.cell_type != source.cell_type:
                    self._findings.append({"kind": "changed cell type", "cell": grade_id,
                                           "detail": f"{source.cell_type} -> {cell.cell_type}"})
                # The gradebook's copy holds the hidden tests and the student's never does, so
                # compare with what the student was given: the release notebook's cell.
                given = self._release.get(grade_id)
                if given is not None:
                    changed = cell.source != given.source or _points(cell) != _points(given)
                else:  # no release notebook: the gradebook's copy without its hidden tests
                    changed = _without_hidden(cell.source) != _without_hidden(source.source)
                if source.locked and changed:
                    self._findings.append({"kind": "changed locked cell", "cell": grade_id,
                                           "detail": "restored from the gradebook before grading"})
        return super().preprocess_cell(cell, resources, index)

    def _release_order(self, resources) -> list[str]:
        return list(self._release or release_cells(resources, "source"))

    def _restore_missing(self, gb, nb, resources, present) -> None:
        notebook = gb.find_notebook(self.notebook_id, self.assignment_id)
        grade_cells = {c.name: c for c in notebook.grade_cells}
        solution_ids = {c.name for c in notebook.solution_cells}
        sources = {c.name: c for c in notebook.source_cells}
        order = self._release_order(resources) or [c.name for c in sorted(notebook.source_cells, key=lambda c: c.id)]
        missing = [name for name in order if name in sources and name not in present
                   and sources[name].locked and name not in solution_ids]
        for name in missing:
            source = sources[name]
            if name in grade_cells:
                cell = self.missing_cell_transform(source, grade_cells[name].max_score)
            else:
                cell = self.missing_cell_transform(source, 0)
                cell.metadata.nbgrader.update(grade=False, points=0)
                cell.metadata.nbgrader.pop("points", None)
            # the exact source, so its checksum matches the gradebook's
            cell.source = source.source
            ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
            position = order.index(name)
            before = [n for n in order[:position] if n in ids]
            after = [n for n in order[position + 1:] if n in ids]
            if before:
                nb.cells.insert(ids.index(before[-1]) + 1, cell)
            elif after:
                nb.cells.insert(ids.index(after[0]), cell)
            else:
                nb.cells.append(cell)
            self._findings.append({"kind": "deleted locked cell", "cell": name,
                                   "detail": "restored from the gradebook and graded"})


# --- saving ---------------------------------------------------------------------------------

class _Deferred:
    """A Gradebook whose session's commit() only flushes: one transaction for everything."""

    class _Session:
        def __init__(self, session):
            self._session = session

        def commit(self):
            self._session.flush()

        def __getattr__(self, name):
            return getattr(self._session, name)

    def __init__(self, gradebook):
        self._gradebook = gradebook
        self.db = self._Session(gradebook.db)

    def __getattr__(self, name):
        return getattr(self._gradebook, name)


class _SaveAutoGrades(SaveAutoGrades):
    def save_with(self, gradebook, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = gradebook
        return NbGraderPreprocessor.preprocess(self, nb, resources)


class _AssignLatePenalties(AssignLatePenalties):
    def save_with(self, gradebook, nb, resources):
        """AssignLatePenalties.preprocess, in the caller's transaction."""
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.init_plugin()
        submission = gradebook.find_submission(self.assignment_id, self.student_id)
        notebook = gradebook.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
        notebook.late_submission_penalty = None
        if submission.total_seconds_late > 0:
            penalty = self.plugin_inst.late_submission_penalty(
                self.student_id, notebook.score, submission.total_seconds_late)
            if penalty is not None:
                notebook.late_submission_penalty = self._check_late_penalty(notebook, penalty)
        gradebook.db.commit()
        return nb, resources


def notebook_result(nb) -> dict:
    """Per graded cell: points given by nbgrader's rule, maximum, and why it failed."""
    cells = {}
    for cell in nb.cells:
        if not utils.is_grade(cell):
            continue
        score, max_score = utils.determine_grade(cell)
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        entry = {"score": score, "max": max_score}
        if cell.cell_type == "code" and score is not None and score < max_score:
            entry["message"] = failure_message(cell)
        cells[grade_id] = entry
    return cells


class SaveResults(NbGraderPreprocessor):
    """Grades, late penalty and (after the last notebook) the journal row, in one transaction."""

    def preprocess(self, nb, resources):
        info = _info(resources)
        state = _state(resources, self)
        notebook_id = resources["nbgrader"]["notebook"]
        execution = info.get("execution", {})
        summary = {
            "notes": execution.get("notes", []),
            "sanitize": state.get("sanitize", {}).get(notebook_id, []),
            "staging": state.get("staging_notes", []),
        }
        nb.metadata["course_autograde"] = summary
        state.setdefault("notebooks", {})[notebook_id] = {
            "cells": notebook_result(nb),
            "notes": summary["notes"],
            "events": execution.get("events", []),
            "restarts": execution.get("restarts", 0),
            "seconds": execution.get("seconds"),
            "sanitize": summary["sanitize"],
        }
        root = Path(info["root"])

        def save():
            gradebook = Gradebook(resources["nbgrader"]["db_url"])
            session = gradebook.db
            try:
                deferred = _Deferred(gradebook)
                _SaveAutoGrades(parent=self.parent, config=self.config).save_with(deferred, nb, resources)
                _AssignLatePenalties(parent=self.parent, config=self.config).save_with(deferred, nb, resources)
                if info.get("last", True):
                    journal.ensure_table(gradebook.engine)
                    journal.record(session, resources["nbgrader"]["assignment"], resources["nbgrader"]["student"],
                                   state.get("fingerprint", ""), "graded", job_result(state))
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                gradebook.close()

        journal.locked(root, save)
        return nb, resources


def job_result(state: dict) -> dict:
    return {
        "notebooks": state.get("notebooks", {}),
        "staging": state.get("staging_notes", []),
        "tamper": state.get("tamper", []),
        "intake": state.get("intake", []),
        "ungradable": state.get("ungradable"),
        "traceback": state.get("traceback"),
        "log": state.get("log"),
    }


# --- feedback -------------------------------------------------------------------------------

class LockedGetGrades(GetGrades):
    """nbgrader's GetGrades under the gradebook lock; also fetches the hidden tests' lines."""

    def preprocess(self, nb, resources):
        root = Path(_info(resources).get("root") or resources.get("metadata", {}).get("path", "."))

        def read():
            result = super(LockedGetGrades, self).preprocess(nb, resources)
            with Gradebook(resources["nbgrader"]["db_url"]) as gb:
                notebook = gb.find_notebook(resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"])
                hidden = [region for cell in notebook.source_cells for region in HIDDEN.findall(cell.source or "")]
            _info(resources)["hidden_lines"] = hidden_lines(hidden)
            return result

        return journal.locked(root, read)


def hidden_lines(regions: list[str]) -> list[str]:
    lines = {line.strip() for region in regions for line in region.splitlines()}
    lines |= {"### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"}
    return sorted((line for line in lines if len(line) >= 12 and re.search(r"[A-Za-z0-9]", line)),
                  key=len, reverse=True)


class ScrubHiddenTestEcho(NbGraderPreprocessor):
    """Remove any line of a hidden test from what the student's code printed or raised."""

    def preprocess(self, nb, resources):
        self._lines = _info(resources).get("hidden_lines", [])
        return super().preprocess(nb, resources)

    def _scrub(self, text: str) -> str:
        if not any(line in text for line in self._lines):
            return text
        kept = []
        for row in text.split("\n"):
            if any(line in row for line in self._lines):
                if not kept or kept[-1] != "[hidden test code removed]":
                    kept.append("[hidden test code removed]")
            else:
                kept.append(row)
        return "\n".join(kept)

    def preprocess_cell(self, cell, resources, index):
        if not self._lines or cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = self._scrub(output.text)
            elif output.output_type == "error":
                output.evalue = self._scrub(output.evalue)
                output.traceback = [self._scrub(line) for line in output.traceback]
            elif "data" in output:
                for key, value in list(output.data.items()):
                    if isinstance(value, str):
                        output.data[key] = self._scrub(value)
        return cell, resources


class GradingNotes(NbGraderPreprocessor):
    """A first cell that tells the student what the autograder did with their notebook."""

    def preprocess(self, nb, resources):
        summary = nb.metadata.get("course_autograde", {})
        lines = []
        for note in summary.get("staging", []):
            lines.append(f"- {note}")
        for finding in summary.get("sanitize", []):
            if finding["kind"] == "deleted locked cell":
                lines.append(f"- `{finding['cell']}`: this test cell was missing from your notebook; "
                             "it was put back and graded.")
            elif finding["kind"] == "changed locked cell":
                lines.append(f"- `{finding['cell']}`: this read-only cell was changed in your notebook; "
                             "the original was graded.")
        for note in summary.get("notes", []):
            lines.append(f"- `{note['cell']}`: {note['reason']}")
        if lines:
            text = "### Notes from the autograder\n\n" + "\n".join(lines)
            nb.cells.insert(0, NotebookNode(cell_type="markdown", metadata={}, source=text, id="autograder-notes"))
        return nb, resources
