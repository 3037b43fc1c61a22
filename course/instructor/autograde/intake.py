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

`stage` runs both on a copy of the submission in `.autograde/staging/`, which nbgrader then grades:
a renamed notebook (the only one, under another name) is graded under its expected name; a file
that is not a notebook gets zero points and a reason, instead of an error that drops the student.
"""
from __future__ import annotations

import json
import re
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import history
from .config import RawLimits, format_size  # noqa: F401 (RawLimits: intake's callers name it here)
from .course_root import STAGING
from .meter import lone_surrogate, replace_surrogates
from .record import Job

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


# --- staging ---------------------------------------------------------------------------------

def stage(root: Path, job: Job, submitted_dir: str = "submitted", limits=None,
          expected: dict | None = None) -> tuple[Path, list[str], list[str], list[dict]]:
    """Copy a submission to .autograde/staging/; return (folder, notebooks to grade, notes, findings).

    Each notebook is checked on its raw bytes first (size, cells, size of a cell:
    `check_raw`), then its nbgrader metadata is normalised against the gradebook
    (`normalise`, with `expected` {notebook: Expected}). A notebook past a limit,
    not valid JSON or not a notebook is left out (its exercises get zero) with a note saying
    why; the only notebook under an unexpected name is graded under the expected one.
    """
    limits = limits or RawLimits(file_bytes=50 * 2**20, cells=2000, cell_bytes=2**20)
    src = root / submitted_dir / job.student / job.assignment
    dst = root / STAGING / job.student / job.assignment
    shutil.rmtree(dst, ignore_errors=True)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # symlinks could point anywhere on the grader's disk: drop them
    for path in list(dst.rglob("*")):
        if path.is_symlink():
            path.unlink()
    notes: list[str] = []
    findings: list[dict] = []
    loaded: dict[Path, dict] = {}

    def valid(path: Path) -> str | None:
        try:
            loaded[path] = check_raw(path.read_bytes(), limits)
        except OSError as error:
            return f"it cannot be read ({error})"
        except Unreadable as error:
            return str(error)
        return None

    expected_names = [f"{name}.ipynb" for name in job.notebooks]
    for path in dst.glob("*.ipynb"):
        if path.is_dir():  # nbgrader would take a folder named like a notebook for one
            shutil.rmtree(path)
            notes.append(f"'{path.name}' is a folder, not a notebook; it was left out.")
    present = {p.name for p in dst.glob("*.ipynb")}
    extra = sorted(present - set(expected_names))
    ok = []
    for name in expected_names:
        path = dst / name
        if not path.exists():
            candidates = [e for e in extra if valid(dst / e) is None]
            if len(candidates) == 1 and len([n for n in expected_names if not (dst / n).exists()]) == 1:
                (dst / candidates[0]).rename(path)
                loaded[path] = loaded.pop(dst / candidates[0])
                extra.remove(candidates[0])
                notes.append(f"Your notebook was named '{candidates[0]}' instead of '{name}'; "
                             f"it was graded as '{name}'.")
            else:
                notes.append(f"'{name}' was not in your submission: its exercises get zero points.")
                continue
        problem = None if path in loaded else valid(path)
        if problem is None and expected is not None and name[:-len(".ipynb")] in expected:
            try:
                nb, more_notes, more_findings = normalise(loaded.pop(path), expected[name[:-len(".ipynb")]])
            except Unreadable as error:
                problem = str(error)
            else:
                notes += more_notes
                findings += more_findings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    nbformat.write(nb, path)
        loaded.pop(path, None)
        if problem:
            path.unlink()
            notes.append(f"'{name}' could not be graded: {problem}. Its exercises get zero points.")
            continue
        ok.append(name)
    for name in extra:
        (dst / name).unlink(missing_ok=True)
    return dst, ok, notes, findings
