"""nbgrader preprocessors of `course autograde`: restore test cells, save atomically, explain.

- `RestoreCells` (sanitizing, instead of nbgrader's OverwriteCells): nbgrader 0.9.6 puts back
  the gradebook's source of an edited locked cell, but a *deleted* test cell leaves its exercise
  "needs manual grade" (its `add_missing_cells` option is off by default and fails when the
  cell before the missing one is not a graded cell), and a *moved* one runs where the student
  put it. This one puts the graded cells back in the release notebook's order and restores every
  missing locked cell from the gradebook at its place there, and records what it found changed,
  moved, deleted or retyped for the tamper report.
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
from nbformat.v4.nbbase import random_cell_id
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties, GetGrades, NbGraderPreprocessor, OverwriteCells, SaveAutoGrades
from traitlets import Instance

from course import cells as nbcells

from . import journal, scoring
from .meter import cut_text
from .record import JobState

MESSAGE_CHARS = 2000  # of a failed cell's message


def _info(resources) -> dict:
    return resources.setdefault("course_autograde", {})


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


def release_notebook(resources, folder: str = "release") -> NotebookNode | None:
    """The release (or source) notebook of the notebook being graded, or None."""
    root = _info(resources).get("root")
    if not root:
        return None
    nbg = resources["nbgrader"]
    path = Path(root) / folder / nbg["assignment"] / f"{nbg['notebook']}.ipynb"
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return None


def release_cells(resources, folder: str = "release") -> dict:
    """The release (or source) notebook's nbgrader cells by grade_id, in order ({} if none)."""
    release = release_notebook(resources, folder)
    if release is None:
        return {}
    return {_grade_id(c): c for c in release.cells if _grade_id(c)}


_grade_id = nbcells.grade_id


def _without_hidden(source: str) -> str:
    text = nbcells.without_hidden_tests(source)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _points(cell):
    return cell.metadata.get("nbgrader", {}).get("points")


# --- sanitizing -----------------------------------------------------------------------------

class RestoreCells(OverwriteCells):
    """OverwriteCells, plus: graded cells in the release's order, deleted locked cells restored;
    every change found recorded."""

    job_state = Instance(JobState, args=())  # the submission's record: the findings go in its `sanitize`

    def preprocess(self, nb, resources):
        self._findings: list[dict] = []
        self._release = release_cells(resources)
        nb, resources = super().preprocess(nb, resources)
        with Gradebook(self.db_url) as gb:
            self._restore_order(gb, nb, resources)
        self.job_state.sanitize[resources["nbgrader"]["notebook"]] = self._findings
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

    def _layout(self, resources, names: list[str]):
        """Where the assignment has its cells: {grade_id: rank}, and the index of each of its
        other cells by cell id and by source.

        Ranks sort the graded cells in the release notebook's order (the source notebook's when
        there is no release). Without either notebook the gradebook's order is all there is:
        nbgrader stores no position, but records source cells in notebook order, and the
        database usually returns them so (the cell's row id is a uuid, no order at all).
        """
        known = set(names)
        layout = None
        for folder in ("release", "source"):
            layout = release_notebook(resources, folder)
            if layout is not None and any(_grade_id(c) in known for c in layout.cells):
                break
            layout = None
        rank: dict[str, tuple] = {}
        by_id: dict[str, int] = {}
        by_source: dict[str, int] = {}
        for index, cell in enumerate(layout.cells if layout is not None else []):
            grade_id = _grade_id(cell)
            if grade_id in known:
                rank.setdefault(grade_id, (index, 0))
            elif not grade_id:
                if cell.get("id"):
                    by_id.setdefault(cell.get("id"), index)
                if cell.source.strip():
                    by_source.setdefault(cell.source.strip(), index)
        # a cell the gradebook has and that notebook lacks goes right after the one before it in
        # the gradebook, so that every graded cell has its place
        last, extra = -1, 0
        for name in names:
            if name in rank:
                last, extra = rank[name][0], 0
            else:
                extra += 1
                rank[name] = (last, extra)
        return rank, by_id, by_source

    def _restore_order(self, gb, nb, resources) -> None:
        """Put the graded cells in the release's order and restore deleted locked cells.

        A graded cell is a cell with a grade id the gradebook knows (unknown ids were removed by
        OverwriteCells). The student's other cells stay with the graded cell before them, or at
        the top before the first one; so only the graded cells the student moved go back, each
        with the cells the student added right after it. The release's own cells that follow a
        moved graded cell were there before it was dropped in front of them, and stay.
        """
        record = gb.find_notebook(self.notebook_id, self.assignment_id)
        sources = {c.name: c for c in record.source_cells}
        rank, by_id, by_source = self._layout(resources, list(sources))
        # The release's cells are known by their cell ids, kept by Jupyter; by their source only
        # when none is (an old Jupyter gave them new ids): a copy the student pasted elsewhere
        # has an id of its own, and is the student's cell.
        with_ids = any(c.get("id") in by_id for c in nb.cells if not _grade_id(c))

        def where(cell) -> int:
            """The release notebook's index of this non-graded cell; -1 if the release lacks it."""
            if with_ids:
                index = by_id.get(cell.get("id"))
            else:
                index = by_source.get(cell.get("source", "").strip()) if cell.get("source", "").strip() else None
            return -1 if index is None else index

        head, units, anchors = [], [], {}
        for cell in nb.cells:
            grade_id = _grade_id(cell)
            if grade_id in rank and grade_id not in anchors.values():
                anchors[id(cell)] = grade_id
                units.append([cell])
            elif units:
                units[-1].append(cell)
            else:
                head.append(cell)

        tests = {c.name for c in record.grade_cells} - {c.name for c in record.solution_cells}
        kept = _increasing([rank[anchors[id(unit[0])]] for unit in units])
        cells, placing = list(head), []
        for index, unit in enumerate(units):
            if index in kept:
                cells += unit
                continue
            own = 1
            while own < len(unit) and where(unit[own]) < 0:
                own += 1
            placing.append(unit[:own])
            cells += unit[own:]
            name = anchors[id(unit[0])]
            self._findings.append({"kind": "moved graded cell", "cell": name, "test": name in tests,
                                   "detail": "put back at its place in the assignment before grading"})

        present = set(anchors.values())
        solution_ids = {c.name for c in record.solution_cells}
        for name in sorted(rank, key=rank.get):
            if name in present or name not in sources or not sources[name].locked or name in solution_ids:
                continue
            cell = self._restored(record, sources[name])
            if nb.nbformat == 4 and nb.nbformat_minor >= 5:  # cell ids exist from nbformat 4.5 on
                cell.id = random_cell_id()
            anchors[id(cell)] = name
            placing.append([cell])
            if name in tests:
                self._findings.append({"kind": "deleted locked cell", "cell": name,
                                       "detail": "restored from the gradebook and graded"})
            else:  # not graded: deleted, or the notebook was started on a release that lacked it
                self._findings.append({"kind": "missing given cell", "cell": name,
                                       "detail": "restored from the gradebook and run at its place"})

        for unit in sorted(placing, key=lambda u: rank[anchors[id(u[0])]]):
            place = rank[anchors[id(unit[0])]]
            graded = [i for i, c in enumerate(cells) if id(c) in anchors]
            before = [i for i in graded if rank[anchors[id(cells[i])]] < place]
            start = before[-1] + 1 if before else 0
            end = next((i for i in graded if i >= start), len(cells))
            # after what the release has before this cell, before what it has after it
            at = next((i for i in range(start, end) if where(cells[i]) > place[0]), end)
            cells[at:at] = unit
        nb.cells = cells

    def _restored(self, record, source) -> NotebookNode:
        """A deleted locked cell as the gradebook has it, graded as it would have been."""
        grade_cells = {c.name: c for c in record.grade_cells}
        task_cells = {c.name: c for c in record.task_cells}
        if source.name in grade_cells:
            cell = self.missing_cell_transform(source, grade_cells[source.name].max_score)
        elif source.name in task_cells:
            cell = self.missing_cell_transform(source, task_cells[source.name].max_score, is_task=True)
        else:
            cell = self.missing_cell_transform(source, 0)
        # nbgrader builds the cell's metadata as plain dicts: attribute access needs NotebookNodes
        cell = nbformat.from_dict(cell)
        if source.name not in grade_cells and source.name not in task_cells:  # a read-only given cell
            cell.metadata.nbgrader.update(grade=False)
            cell.metadata.nbgrader.pop("points", None)
        # the exact source, so its checksum matches the gradebook's
        cell.source = source.source
        return cell


def _increasing(ranks: list) -> set[int]:
    """The positions of a longest increasing run (not necessarily contiguous) of `ranks`: the
    graded cells taken to be in place, so that as few as possible count as moved (of equally
    long runs, the one that ends first: two swapped cells cannot tell which one moved)."""
    best: list[int] = []
    previous: list[int | None] = []
    for i, r in enumerate(ranks):
        best.append(1)
        previous.append(None)
        for j in range(i):
            if ranks[j] < r and best[j] + 1 > best[i]:
                best[i], previous[i] = best[j] + 1, j
    out: set[int] = set()
    i = max(range(len(ranks)), key=best.__getitem__, default=None)
    while i is not None:
        out.add(i)
        i = previous[i]
    return out


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
    def _add_score(self, cell, resources):
        """SaveAutoGrades._add_score with the course's reading of a cell's result (scoring.cell_grade)."""
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        grade.auto_score = scoring.cell_grade(cell).score
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        self.gradebook.db.commit()

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
        info = _info(resources)
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
            gradebook = Gradebook(resources["nbgrader"]["db_url"])
            session = gradebook.db
            try:
                deferred = _Deferred(gradebook)
                _SaveAutoGrades(parent=self.parent, config=self.config).save_with(deferred, nb, resources)
                _AssignLatePenalties(parent=self.parent, config=self.config).save_with(deferred, nb, resources)
                if info.get("last", True):
                    journal.ensure_table(gradebook.engine)
                    journal.record(session, resources["nbgrader"]["assignment"], resources["nbgrader"]["student"],
                                   state.fingerprint, "graded", state.row())
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                gradebook.close()

        journal.locked(root, save)
        return nb, resources


# --- feedback -------------------------------------------------------------------------------

class LockedGetGrades(GetGrades):
    """nbgrader's GetGrades under the gradebook lock; also fetches the hidden tests' lines."""

    def preprocess(self, nb, resources):
        root = Path(_info(resources).get("root") or resources.get("metadata", {}).get("path", "."))

        def read():
            result = super(LockedGetGrades, self).preprocess(nb, resources)
            with Gradebook(resources["nbgrader"]["db_url"]) as gb:
                notebook = gb.find_notebook(resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"])
                hidden = [region for cell in notebook.source_cells for region in nbcells.hidden_regions(cell.source)]
            _info(resources)["hidden_lines"] = hidden_lines(hidden)
            return result

        return journal.locked(root, read)


def hidden_lines(regions: list[str]) -> list[str]:
    lines = {line.strip() for region in regions for line in region.splitlines()}
    lines |= {nbcells.HIDDEN_BEGIN, nbcells.HIDDEN_END}
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
            elif finding["kind"] == "missing given cell":
                lines.append(f"- `{finding['cell']}`: this read-only cell of the assignment was missing from your "
                             "notebook (deleted, or added to the assignment after you started); it was put back "
                             "at its place and ran there.")
            elif finding["kind"] == "moved graded cell":
                if finding.get("test"):
                    what, then = "test cell", " and graded there"
                else:
                    what, then = "cell", ", with the cells you added right after it, and ran there"
                lines.append(f"- `{finding['cell']}`: this {what} was not at its place in your notebook; it was moved "
                             f"back to its place in the assignment{then} (graded cells run in the assignment's "
                             "order).")
            elif finding["kind"] == "changed locked cell":
                lines.append(f"- `{finding['cell']}`: this read-only cell was changed in your notebook; "
                             "the original was graded.")
        for note in summary.get("notes", []):
            lines.append(f"- `{note['cell']}`: {note['reason']}")
        if lines:
            text = "### Notes from the autograder\n\n" + "\n".join(lines)
            nb.cells.insert(0, NotebookNode(cell_type="markdown", metadata={}, source=text, id="autograder-notes"))
        return nb, resources
