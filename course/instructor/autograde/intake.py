"""What a submitted notebook goes through before nbgrader sees it: size limits, then its nbgrader
metadata normalised against the gradebook.

nbgrader 0.9.6 trusts the metadata in the student's file and stops the whole submission when it
is inconsistent: two cells with one grade id (a copy-pasted answer cell carries its metadata),
a cell claiming `grade: true, points: 1000`, a test id reused by a solution cell, test cells
flipped to `solution: true` (checksums), a display output that fails nbformat's schema. Here:

- known grade ids get the gradebook's metadata back (its cell type too);
- of two cells with one grade id the first in notebook order keeps it; the copies lose their
  nbgrader metadata, run as ordinary cells, and the student reads that they were not graded;
- unknown grade ids (and nbgrader metadata without an id) lose their metadata;
- outputs that fail validation are dropped, and said so (nbgrader clears outputs anyway);
- what still fails validation makes the notebook ungradable, with nbformat's reason.

`check_raw` runs first, on the file's bytes: file size, number of cells (an upper bound counted
on the raw JSON, so 200,000 empty cells are refused before any parse), then the size of each
cell's source once the JSON is loaded; nothing here validates or builds a notebook before that.
"""
from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field

import nbformat
from nbformat import NotebookNode

from . import history
from .config import RawLimits, format_size  # noqa: F401 (RawLimits: intake's callers name it here)
from .meter import lone_surrogate, replace_surrogates

_CELL_KEY = re.compile(rb'"cell_type"\s*:')


class Unreadable(ValueError):
    """The file cannot be graded; str() is the reason a student reads."""


class RawNotebook(dict):
    """A notebook's JSON as `check_raw` read it, with what the student should know about that."""

    def __init__(self, content: dict, notes: list[str] | None = None):
        super().__init__(content)
        self.notes = list(notes or [])


def check_raw(data: bytes, limits: RawLimits) -> RawNotebook:
    """The notebook's JSON as a dict, or Unreadable with the limit or defect that stops it."""
    if len(data) > limits.file_bytes:
        raise Unreadable(f"the file is {format_size(len(data))}, more than the limit of "
                         f"{format_size(limits.file_bytes)} per notebook")
    if not data.strip():
        raise Unreadable("the file is empty")
    # Inside a JSON string every quote is escaped, so an unescaped `"cell_type":` is a key: this
    # count is at least the number of cells, without parsing anything.
    counted = len(_CELL_KEY.findall(data))
    if counted > limits.cells:
        raise Unreadable(f"it has {counted:,} cells, more than the limit of {limits.cells:,} per notebook")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable(f"it cannot be read as text ({error})") from None
    try:
        content = json.loads(text)
    except (ValueError, RecursionError) as error:
        first = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise Unreadable(f"it is not a valid notebook (JSON): {first}") from None
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        raise Unreadable("it is not a notebook (no cells)")
    content = RawNotebook(content)
    if lone_surrogate(data, content):
        # JSON may escape half of a UTF-16 pair ("\ud800") alone: no notebook file, feedback or report
        # can hold it, so it becomes U+FFFD (the replacement character) and the notebook is graded
        content = RawNotebook(replace_surrogates(content), [
            "Your notebook holds half of a UTF-16 surrogate pair (JSON's \"\\ud800\" to \"\\udfff\") alone, "
            "which no text file can hold; each was replaced by \ufffd (U+FFFD) before grading."])
    if len(content["cells"]) > limits.cells:
        raise Unreadable(f"it has {len(content['cells']):,} cells, more than the limit of {limits.cells:,} per notebook")
    for index, cell in enumerate(content["cells"]):
        if not isinstance(cell, dict):
            raise Unreadable(f"cell {index + 1} is not a notebook cell")
        source = cell.get("source", "")
        size = sum(len(s) for s in source if isinstance(s, str)) if isinstance(source, list) else \
            len(source) if isinstance(source, str) else 0
        if size > limits.cell_bytes:
            raise Unreadable(f"cell {index + 1} holds {format_size(size)} of code or text, more than the limit "
                             f"of {format_size(limits.cell_bytes)} per cell")
    return content


# --- the gradebook's view of a notebook -----------------------------------------------------

@dataclass
class Expected:
    """The nbgrader cells of one notebook, as the gradebook recorded them."""

    cell_types: dict[str, str] = field(default_factory=dict)       # grade_id -> code | markdown
    locked: dict[str, bool] = field(default_factory=dict)
    checksums: dict[str, str | None] = field(default_factory=dict)
    points: dict[str, float] = field(default_factory=dict)         # grade and task cells
    solution: set[str] = field(default_factory=set)
    task: set[str] = field(default_factory=set)
    # the replaced releases' cells ({release: {grade_id: {kind, points, source}}}, `history`):
    # a notebook started on one of them is not a tampered one
    earlier: dict[int, dict[str, dict]] = field(default_factory=dict)

    def earlier_kind(self, grade_id: str) -> str | None:
        """The kind the cell had in the latest replaced release that had it; None if none had it."""
        for release in sorted(self.earlier, reverse=True):
            if grade_id in self.earlier[release]:
                return self.earlier[release][grade_id]["kind"]
        return None

    def earlier_points(self, grade_id: str) -> set:
        return {cells[grade_id]["points"] for cells in self.earlier.values() if grade_id in cells}

    def metadata(self, grade_id: str) -> dict:
        meta = {"grade": grade_id in self.points and grade_id not in self.task, "grade_id": grade_id,
                "locked": bool(self.locked.get(grade_id)), "schema_version": 3,
                "solution": grade_id in self.solution, "task": grade_id in self.task}
        if grade_id in self.points:
            meta["points"] = self.points[grade_id]
        if meta["locked"] and self.checksums.get(grade_id):
            meta["checksum"] = self.checksums[grade_id]
        return meta


def expected_cells(gradebook, notebook: str, assignment: str) -> Expected:
    record = gradebook.find_notebook(notebook, assignment)
    out = Expected()
    for cell in record.source_cells:
        out.cell_types[cell.name] = cell.cell_type
        out.locked[cell.name] = bool(cell.locked)
        out.checksums[cell.name] = cell.checksum
    for cell in record.grade_cells:
        out.points[cell.name] = cell.max_score
    for cell in record.task_cells:
        out.points[cell.name] = cell.max_score
        out.task.add(cell.name)
    out.solution = {cell.name for cell in record.solution_cells}
    out.earlier = history.earlier(gradebook.engine, assignment, notebook)
    return out


# --- normalising ----------------------------------------------------------------------------

def _retype(cell: dict, cell_type: str) -> None:
    cell["cell_type"] = cell_type
    if cell_type == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
        cell.pop("attachments", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _label(cell: dict, index: int) -> str:
    return f"cell {index + 1}"


def normalise(content: dict, expected: Expected) -> tuple[NotebookNode, list[str], list[dict]]:
    """(notebook, notes for the student, findings for the tamper report); Unreadable if hopeless."""
    notes: list[str] = list(getattr(content, "notes", []))
    findings: list[dict] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(content["cells"]):
        metadata = cell.get("metadata")
        if not isinstance(metadata, dict):
            cell["metadata"] = metadata = {}
        if "nbgrader" not in metadata:
            continue
        claimed = metadata["nbgrader"]
        grade_id = claimed.get("grade_id") if isinstance(claimed, dict) else None
        if isinstance(grade_id, str) and grade_id not in expected.cell_types and expected.earlier_kind(grade_id):
            del metadata["nbgrader"]
            kind = expected.earlier_kind(grade_id)
            what = {"test": "test cell", "answer": "answer cell", "task": "task"}.get(kind, "read-only cell")
            notes.append(f"`{grade_id}`: this {what} was in an earlier release of the assignment and the current "
                         "release no longer has it; it ran as an ordinary cell and is not graded.")
            findings.append({"kind": "removed cell", "cell": grade_id,
                             "detail": f"a {kind} cell of an earlier release, not in the current one: not graded"})
            continue
        if not isinstance(grade_id, str) or grade_id not in expected.cell_types:
            del metadata["nbgrader"]
            shown = f"`{grade_id}`" if isinstance(grade_id, str) else "no id"
            if isinstance(claimed, dict) and (claimed.get("grade") or claimed.get("points")):
                notes.append(f"{_label(cell, index)} claims to be a graded cell ({shown}, "
                             f"{claimed.get('points', 0)} points) that this assignment does not have; "
                             "it ran as an ordinary cell and earns nothing.")
            findings.append({"kind": "unknown cell id", "cell": _label(cell, index),
                             "detail": f"nbgrader metadata with {shown} removed: {json.dumps(claimed)[:200]}"})
            continue
        if grade_id in seen:
            del metadata["nbgrader"]
            notes.append(f"{_label(cell, index)} is a copy of the cell `{grade_id}` (cell {seen[grade_id] + 1}); "
                         "only the first cell with this id is graded, so the copy was not graded "
                         "(it ran as an ordinary cell).")
            findings.append({"kind": "duplicate cell id", "cell": grade_id,
                             "detail": f"cell {index + 1} repeats the id of cell {seen[grade_id] + 1}"})
            continue
        seen[grade_id] = index
        wanted = expected.metadata(grade_id)
        changed = {k for k in ("grade", "solution", "locked", "points", "task")
                   if not isinstance(claimed, dict) or claimed.get(k, None if k == "points" else False) != wanted.get(k, None if k == "points" else False)}
        if changed == {"points"} and claimed.get("points") in expected.earlier_points(grade_id):
            findings.append({"kind": "earlier release cell", "cell": grade_id,
                             "detail": f"worth {claimed.get('points'):g} points in an earlier release, "
                                       f"{wanted.get('points'):g} now: graded on the current points"})
        elif changed:
            was = {k: claimed.get(k) for k in sorted(changed)} if isinstance(claimed, dict) else claimed
            findings.append({"kind": "changed cell metadata", "cell": grade_id,
                             "detail": f"{json.dumps(was)[:200]} restored from the gradebook"})
        metadata["nbgrader"] = wanted
        if cell.get("cell_type") != expected.cell_types[grade_id]:
            findings.append({"kind": "changed cell type", "cell": grade_id,
                             "detail": f"{cell.get('cell_type')} -> {expected.cell_types[grade_id]}"})
            _retype(cell, expected.cell_types[grade_id])
    nb, dropped = _valid_notebook(content)
    if dropped:
        notes.append(f"{dropped} output(s) saved in your notebook are not valid notebook outputs "
                     "(nbformat's schema); they were dropped before grading (outputs are recomputed anyway).")
    return nb, notes, findings


def _valid_notebook(content: dict) -> tuple[NotebookNode, int]:
    """The notebook with outputs that fail validation dropped; Unreadable when it stays invalid."""
    from nbformat import validator

    if content.get("nbformat") != 4:
        try:
            nb = nbformat.reads(json.dumps(content), as_version=4)
        except Exception as error:
            raise Unreadable(f"it is not a valid notebook: {str(error).splitlines()[0][:200]}") from None
        content = json.loads(nbformat.writes(nb, validate=False))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing cell ids: added here, as nbformat would
            _, content = validator.normalize(content, strip_invalid_metadata=True)
    except Exception as error:
        raise Unreadable(f"it is not a valid notebook: {str(error).splitlines()[0][:200]}") from None
    dropped = 0
    for _ in range(3):
        bad_outputs: dict[int, set[int]] = {}
        other = None
        try:
            errors = list(validator.iter_validate(content))
        except Exception as error:  # jsonschema on a hostile structure
            raise Unreadable(f"it is not a valid notebook: {str(error).splitlines()[0][:200]}") from None
        for error in errors:
            path = list(error.absolute_path)
            if len(path) >= 4 and path[0] == "cells" and path[2] == "outputs" and isinstance(path[3], int):
                bad_outputs.setdefault(path[1], set()).add(path[3])
            elif other is None:
                other = error
        if not bad_outputs and other is None:
            break
        for index, outputs in bad_outputs.items():
            cell = content["cells"][index]
            cell["outputs"] = [o for i, o in enumerate(cell["outputs"]) if i not in outputs]
            dropped += len(outputs)
        if other is not None and not bad_outputs:
            where = "/".join(str(p) for p in other.absolute_path)
            raise Unreadable(f"it is not a valid notebook ({where or 'top level'}: {other.message[:200]})")
    nb = nbformat.from_dict(content)
    return nb, dropped
