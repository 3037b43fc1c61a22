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
    """nbgrader_config.py in `root` as a traitlets Config (empty without one)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    if root is None or not (Path(root) / "nbgrader_config.py").is_file():
        return Config()
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


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


def validate(root: Path | None, notebook: Path, env: dict[str, str] | None = None) -> dict:
    """nbgrader's validation result: {} when it passes, else keys like 'failed' or 'changed'."""
    from nbgrader.validator import Validator

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env if env is not None else kernel_env(root))
    try:
        return Validator(config=load_config(root)).validate(str(notebook))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def summary(result: dict) -> str:
    if not result:
        return "passed"
    parts = []
    for kind in ("type_changed", "changed", "failed", "passed"):
        if result.get(kind):
            parts.append(f"{len(result[kind])} cell(s) {kind.replace('_', ' ')}")
    for failure in result.get("failed", []):
        error = re.sub(r"\x1b\[[0-9;]*m", "", failure.get("raw_error") or "")
        last = error.strip().splitlines()[-1:] or [""]
        parts.append(f"  - {last[0][:200]}")
    return "\n".join(parts)


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
        result = validate(folder, notebook.resolve(), env=env)
        print(f"{notebook}: {summary(result)}")
        failed += bool(result)
    return 1 if failed else 0
