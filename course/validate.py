"""Validate a notebook: `python -m course validate NOTEBOOK ...` (a student's command).

It runs nbgrader's Validator, the same check as JupyterLab's Validate button: every test cell the
notebook shows, top to bottom, in a fresh kernel. It exits 1 when a notebook fails and says, per
failing test cell, what failed. (`nbgrader validate` prints "VALIDATION FAILED" but exits 0,
nbgrader 0.9.6, so a script cannot tell a failing notebook from a passing one.)

It needs no course folder: the settings come from the nearest `nbgrader_config.py` above the
notebook (or the current folder) when there is one, and nbgrader's defaults otherwise.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path


def find_config_folder(*starts: Path) -> Path | None:
    """The nearest folder, from each start up, holding nbgrader_config.py; None when there is none."""
    for start in starts:
        start = Path(start).resolve()
        for folder in [start, *start.parents]:
            if (folder / "nbgrader_config.py").is_file():
                return folder
    return None


def load_config(root: Path | None):
    """nbgrader_config.py in `root` as a traitlets Config, over the student's defaults: the
    validating kernel talks over IPC sockets (on Linux and macOS), not unencrypted TCP."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if os.name == "posix":
        config.KernelManager.transport = "ipc"
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


def validate(root: Path | None, notebook: Path, env: dict[str, str] | None = None,
             other_errors: list | None = None) -> dict:
    """nbgrader's validation result: {} when it passes, else keys like 'failed' or 'changed'.

    nbgrader judges the graded cells only. Pass a list as `other_errors` to also get the other
    code cells that raised (a cell left with `raise NotImplementedError()`, a plotting cell that
    breaks): (cell number, first line of the cell, error) each. They cost no points, but the
    notebook then does not run top to bottom.
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
    if other_errors is not None:
        cells = [c for c in getattr(validator, "executed", None) and validator.executed.cells or []
                 if c.cell_type == "code"]
        for number, cell in enumerate(cells, start=1):
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                continue  # a test cell: nbgrader's verdict above
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    first = next((line for line in cell.source.splitlines() if line.strip()), "")
                    other_errors.append((number, first[:80], f"{out.get('ename')}: {str(out.get('evalue'))[:200]}"))
    return result


def _cell_names(notebook: Path | None) -> dict[str, str]:
    """Test cells' sources -> their names (nbgrader's grade_id), to say which cell failed."""
    if notebook is None:
        return {}
    try:
        import nbformat

        nb = nbformat.read(str(notebook), as_version=4)
    except Exception:
        return {}
    return {cell.source.strip(): cell.metadata.get("nbgrader", {}).get("grade_id", "")
            for cell in nb.cells}  # written answers are markdown cells


def summary(result: dict, notebook: Path | None = None) -> str:
    """'passed', or counts, then one line per failing test cell: its name and what failed."""
    if not result:
        return "passed"
    parts = []
    for kind in ("type_changed", "changed", "failed", "passed"):
        if result.get(kind):
            parts.append(f"{len(result[kind])} cell(s) {kind.replace('_', ' ')}")
    names = _cell_names(notebook)
    for failure in result.get("failed", []):
        name = names.get((failure.get("source") or "").strip()) or "a test cell"
        raw = failure.get("raw_error") or failure.get("error") or ""
        message = error_message(raw)
        if not message or message[0].strip() == "NotImplementedError:":
            message = (["NotImplementedError: a function it checks is not written yet "
                        "(it still says `raise NotImplementedError()`)"] if message else
                       [f"{name} needs an answer" if "provide a response" in raw else "(no error message)"])
        parts.append(f"  - {name or 'a written answer'}: {message[0]}")
        parts += [f"      {line}" for line in message[1:]]
    return "\n".join(parts)


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b:?")


def error_message(raw: str, lines: int = 8, width: int = 200) -> list[str]:
    """The exception and its whole message from a traceback (a check's message may take several
    lines: what was checked, what was expected, what came back), each line cut at a word."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", raw).strip().splitlines()
    start = next((i for i in range(len(text) - 1, -1, -1) if EXCEPTION_LINE.match(text[i])), None)
    message = text[start:] if start is not None else text[-1:]
    cut = [line if len(line) <= width else line[:width].rsplit(" ", 1)[0] + " ..." for line in message]
    return cut[:lines] + (["..."] if len(cut) > lines else [])


def main(notebooks: list[Path], root: Path | None = None, env: dict[str, str] | None = None) -> int:
    """Validate each notebook, print the outcome; 1 when any fails."""
    failed = 0
    for notebook in notebooks:
        notebook = Path(notebook)
        if not notebook.is_file():
            print(f"{notebook}: no such notebook", file=sys.stderr)
            failed += 1
            continue
        folder = root if root is not None else find_config_folder(notebook.resolve().parent, Path.cwd())
        others: list = []
        result = validate(folder, notebook.resolve(), env=env, other_errors=others)
        print(f"{notebook}: {summary(result, notebook)}")
        if others:
            print(f"  note: {len(others)} other cell(s) raised an error (no points lost, but the notebook "
                  "does not run top to bottom):")
            for number, first, error in others[:12]:
                print(f"  - code cell {number} ({first}): {error}")
            if len(others) > 12:
                print(f"  - ... and {len(others) - 12} more")
        failed += bool(result)
    return 1 if failed else 0
