"""Validate a notebook: `python -m course validate NOTEBOOK ...` (a student's command).

It runs nbgrader's Validator, the same check as JupyterLab's Validate button: every test cell the
notebook shows, top to bottom, in a fresh kernel. It exits 1 when a notebook fails and says, per
failing test cell, what failed. (`nbgrader validate` prints "VALIDATION FAILED" but exits 0,
nbgrader 0.9.6, so a script cannot tell a failing notebook from a passing one.)

It needs no course folder: the course's own settings (`SETTINGS` below: the course id, a cell's
time limit, IPC kernels) come with this package, so it validates the same wherever it runs; the
nearest `nbgrader_config.py` above the notebook (or the current folder), a kit's or the course
repository's, is read on top of them.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

from course.cells import is_test_cell

# The course's nbgrader settings for Validate, carried by the package: `python -m course validate`
# uses them wherever it runs, and the kit's nbgrader_config.py (which JupyterLab's Validate button
# reads) is written from them (course/instructor/kit.py).
SETTINGS = {
    "CourseDirectory": {"course_id": "nn-from-scratch"},
    # a training cell may take a while on a busy machine (nbgrader's default is 30 s)
    "Execute": {"timeout": 120, "interrupt_on_timeout": True},
}
# On Linux and macOS the validating kernel talks over IPC sockets, not unencrypted TCP on loopback.
POSIX_SETTINGS = {"KernelManager": {"transport": "ipc"}}
# How much of one failing cell's message Validate prints: whole, up to this many characters.
MESSAGE_LIMIT = 6000


def find_config_folder(*starts: Path) -> Path | None:
    """The nearest folder, from each start up, holding nbgrader_config.py; None when there is none."""
    for start in starts:
        start = Path(start).resolve()
        for folder in [start, *start.parents]:
            if (folder / "nbgrader_config.py").is_file():
                return folder
    return None


def course_settings() -> dict:
    """SETTINGS, with the IPC transport on Linux and macOS: {section: {name: value}}."""
    settings = {section: dict(values) for section, values in SETTINGS.items()}
    if os.name == "posix":
        for section, values in POSIX_SETTINGS.items():
            settings.setdefault(section, {}).update(values)
    return settings


def load_config(root: Path | None):
    """The course's settings (SETTINGS), then nbgrader_config.py in `root` on top of them, as a
    traitlets Config."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config(course_settings())
    if root is not None and (Path(root) / "nbgrader_config.py").is_file():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    return config


def kernel_env(root: Path | None = None) -> dict[str, str]:
    """Environment for the validating kernel: this interpreter's tools first on PATH, the
    package next to the config (a course folder's `course/`) importable, inline plots, one BLAS
    thread (small matrices: more threads only wait for each other), no MNIST download."""
    env = dict(os.environ)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", COURSE_NO_DOWNLOAD="1")
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    if root is not None and (Path(root) / "course" / "__init__.py").is_file():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    env.pop("MPLBACKEND", None)
    return env


class CellChecklist(NamedTuple):
    """A test cell's checklist as Validate ran it: the visible checks (the release has no hidden
    ones) and the points its hidden checks hold when the notebook is graded."""

    grade_id: str
    points: str
    hidden_points: str
    checks: list[dict]  # {"name", "share", "passed", "message"} each


def _checklist_of(cell) -> dict | None:
    from course.grading import CHECKLIST_MIME

    for out in cell.get("outputs", []):
        data = out.get("data", {}).get(CHECKLIST_MIME) if out.get("output_type") == "display_data" else None
        if isinstance(data, dict) and isinstance(data.get("checks"), list):
            return data
    return None


def validate(root: Path | None, notebook: Path, env: dict[str, str] | None = None,
             other_errors: list | None = None, checklists: list | None = None) -> dict:
    """nbgrader's validation result: {} when it passes, else keys like 'failed' or 'changed'.

    nbgrader judges the graded cells only. Pass a list as `other_errors` to also get the other
    code cells that raised (a cell left with `raise NotImplementedError()`, a plotting cell that
    breaks): (cell number, first line of the cell, error) each. They cost no points, but the
    notebook then does not run top to bottom. Pass a list as `checklists` to get each test cell's
    checklist (CellChecklist), in notebook order.
    """
    from nbgrader.validator import Validator

    class Recording(Validator):
        def _preprocess(self, nb):
            self.executed = super()._preprocess(nb)
            return self.executed

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env if env is not None else kernel_env(root))
    try:
        validator = Recording(config=load_config(root))
        result = validator.validate(str(notebook))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    executed = getattr(validator, "executed", None)
    # Each failing test cell's exception as raised, "Name: message", next to nbgrader's traceback
    # text (a course check shows there its message wrapped for Jupyter; this is the unwrapped one).
    raised: dict[str, list[str]] = {}
    for cell in executed.cells if executed is not None else []:
        graded = cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")
        for out in cell.get("outputs", []) if graded else []:
            if out.get("output_type") == "error":
                raised.setdefault(cell.source.strip(), []).append(f"{out.get('ename')}: {out.get('evalue')}")
                break
    for failure in result.get("failed", []):
        same_source = raised.get((failure.get("source") or "").strip())
        if same_source:
            failure["message"] = same_source.pop(0)
    if checklists is not None:
        for cell in executed.cells if executed is not None else []:
            meta = cell.metadata.get("nbgrader", {})
            data = _checklist_of(cell) if cell.cell_type == "code" and meta.get("grade") else None
            if data is not None:
                checks = [{"name": str(c.get("name")), "share": str(c.get("share")), "passed": c.get("passed") is True,
                           "message": str(c.get("message") or "")} for c in data["checks"] if isinstance(c, dict)]
                checklists.append(CellChecklist(str(meta.get("grade_id", "")), str(data.get("points")),
                                                str(data.get("hidden_points", "0")), checks))
    if other_errors is not None:
        cells = [c for c in executed and executed.cells or [] if c.cell_type == "code"]
        for number, cell in enumerate(cells, start=1):
            if is_test_cell(cell):
                continue  # a test cell: nbgrader's verdict above
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    first = next((line for line in cell.source.splitlines() if line.strip()), "")
                    other_errors.append((number, first[:80], f"{out.get('ename')}: {str(out.get('evalue'))[:200]}"))
    return result


def _cell_names(notebook: Path | None) -> dict[str, list[str]]:
    """Graded cells' sources -> their names (nbgrader's grade_id), in notebook order, to say which
    cell failed. Several cells may share a source: every unanswered written answer reads
    "YOUR ANSWER HERE"."""
    if notebook is None:
        return {}
    try:
        import nbformat

        nb = nbformat.read(str(notebook), as_version=4)
    except Exception:
        return {}
    names: dict[str, list[str]] = {}
    for cell in nb.cells:  # written answers are markdown cells
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            names.setdefault(cell.source.strip(), []).append(meta.get("grade_id", ""))
    return names


def _points(text: str) -> str:
    return f"{text} point" + ("" if text == "1" else "s")


def checklist_lines(checklists: list[CellChecklist], width: int | None = None) -> list[str]:
    """Each test cell's visible checklist, every check passed or failed with its whole message
    (wrapped, never cut), and the points its hidden checks hold. No score: Validate runs the
    visible checks only, and a cell passes when every one of them does."""
    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns
    lines = []
    for cell in checklists:
        passed = sum(c["passed"] for c in cell.checks)
        head = f"  {cell.grade_id} ({_points(cell.points)}): {passed} of {len(cell.checks)} visible checks passed"
        if cell.hidden_points not in ("0", "None"):
            head += f"; {_points(cell.hidden_points)} held by hidden checks, run when graded"
        lines += textwrap.wrap(head, width=max(width, 40), subsequent_indent="    ")
        for check in cell.checks:
            mark = "PASS" if check["passed"] else "FAIL"
            lines += textwrap.wrap(f"[{mark}] {check['name']} ({check['share']})", width=max(width, 40),
                                   initial_indent="    ", subsequent_indent="      ")
            if not check["passed"]:
                lines += error_message(check["message"] or "failed", width=width, first="        ",
                                       rest="        ", plain=True)
    return lines


def summary(result: dict, notebook: Path | None = None, width: int | None = None,
            checklists: list[CellChecklist] | None = None) -> str:
    """'passed', or counts, then per failing test cell its name and its whole message (wrapped
    to `width`, the terminal's by default); a cell with a checklist (`checklists`) is named here
    and shown whole in `checklist_lines`."""
    if not result:
        return "passed"
    with_checklist = {c.grade_id for c in checklists or []}
    parts = []
    for kind in ("type_changed", "changed", "failed", "passed"):
        if result.get(kind):
            parts.append(f"{len(result[kind])} cell(s) {kind.replace('_', ' ')}")
    names = _cell_names(notebook)
    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns
    for failure in result.get("failed", []):
        # nbgrader lists failing cells in notebook order: cells sharing a source take their names in turn
        same_source = names.get((failure.get("source") or "").strip())
        name = (same_source.pop(0) if same_source else "") or "a test cell"
        if name in with_checklist:
            checks = next(x.checks for x in checklists if x.grade_id == name)
            failed = [c for c in checks if not c["passed"]]
            first = (failed[0]["message"].splitlines() or ["failed"])[0] if failed else ""
            # the first failed check's reason on the cell's line, the count and the checklist after
            parts += textwrap.wrap(f"  - {name}: {first or 'failed'}", width=max(width, 40),
                                   subsequent_indent="      ", break_long_words=True, break_on_hyphens=False)
            parts.append(f"      ({len(failed)} of {len(checks)} visible checks failed; its checklist is below)")
            continue
        raw = failure.get("message") or failure.get("raw_error") or failure.get("error") or ""
        if not raw.strip():
            raw = "(no error message)"
        elif error_message(raw, width=10**6)[0].strip() == "NotImplementedError:":
            raw = ("NotImplementedError: a function it checks is not written yet "
                   "(it still says `raise NotImplementedError()`)")
        parts += error_message(raw, width=width, first=f"  - {name}: ", rest="      ")
    return "\n".join(parts)


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b:?")


def error_message(raw: str, width: int = 94, limit: int = MESSAGE_LIMIT, first: str = "",
                  rest: str = "", plain: bool = False) -> list[str]:
    """The exception and its whole message from a traceback (a check's message may take several
    lines: what was checked, what was expected, what came back, a hint), wrapped to `width`
    characters and never cut; past `limit` characters (a huge array printed whole), the rest is
    left out with a line that says so. The first line starts with `first`, the others with `rest`;
    a wrapped line goes on two spaces further in than the line it continues. `plain`: `raw` is a
    message already (a check's), shown whole from its first line."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", raw).strip().splitlines()
    start = 0 if plain else next((i for i in range(len(text) - 1, -1, -1) if EXCEPTION_LINE.match(text[i])), None)
    message = text[start:] if start is not None else text[-1:]
    shown, used = [], 0
    for number, line in enumerate(message):
        left = len(line) + sum(len(later) + 1 for later in message[number + 1:])
        if used + len(line) > limit:
            line = line[:max(limit - used, 0)]
            line += (f" ... ({left - len(line)} more characters of this message not shown: run the test cell "
                     "in the notebook to read it all)")
        used += len(line) + 1
        indent = re.match(r"\s*", line).group()
        shown += textwrap.wrap(line, width=max(width, len(rest) + len(indent) + 30),
                               initial_indent=first if number == 0 else rest,
                               subsequent_indent=rest + indent + "  ",
                               break_long_words=True, break_on_hyphens=False) or [rest]
        if used > limit:
            break
    return shown


def read_problem(notebook: Path) -> str | None:
    """Why `notebook` cannot be read as a Jupyter notebook (one line), or None when it can."""
    try:
        text = notebook.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return "it is not a text file (not a Jupyter notebook)"
    except OSError as error:
        return f"it cannot be read ({error.strerror or error})"
    if not text.strip():
        return "the file is empty (not a Jupyter notebook)"
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return (f"it is not a Jupyter notebook: not valid JSON ({error.msg} at line {error.lineno}, "
                f"column {error.colno}); open a copy that works, or download the notebook again")
    try:
        import nbformat

        nbformat.read(str(notebook), as_version=4)
    except Exception as error:  # valid JSON that is not a notebook
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        return f"it is not a Jupyter notebook ({reason})"
    return None


def main(notebooks: list[Path], root: Path | None = None, env: dict[str, str] | None = None) -> int:
    """Validate each notebook, print the outcome; 1 when any fails."""
    failed = 0
    for notebook in notebooks:
        notebook = Path(notebook)
        if not notebook.is_file():
            print(f"{notebook}: no such notebook", file=sys.stderr)
            failed += 1
            continue
        problem = read_problem(notebook)
        if problem:
            print(f"{notebook}: cannot validate: {problem}", file=sys.stderr)
            failed += 1
            continue
        folder = root if root is not None else find_config_folder(notebook.resolve().parent, Path.cwd())
        others: list = []
        checklists: list = []
        try:
            result = validate(folder, notebook.resolve(), env=env, other_errors=others, checklists=checklists)
        except Exception as error:  # nbgrader's own refusals (metadata of another nbgrader version, ...)
            if type(error).__name__ not in ("SchemaTooOldError", "SchemaTooNewError", "NotJSONError", "ValidationError"):
                raise
            print(f"{notebook}: cannot validate: {' '.join(str(error).split())[:300]}", file=sys.stderr)
            failed += 1
            continue
        print(f"{notebook}: {summary(result, notebook, checklists=checklists)}")
        if checklists:
            print("Checklists:")
            print("\n".join(checklist_lines(checklists)))
        if others:
            print(f"  note: {len(others)} other cell(s) raised an error (no points lost, but the notebook "
                  "does not run top to bottom):")
            for number, first, error in others[:12]:
                print(f"  - code cell {number} ({first}): {error}")
            if len(others) > 12:
                print(f"  - ... and {len(others) - 12} more")
        failed += bool(result)
    return 1 if failed else 0
