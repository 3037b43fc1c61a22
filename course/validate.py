"""Validate notebooks through nbgrader's Validator API.

`nbgrader validate` prints "VALIDATION FAILED" but exits 0 (nbgrader 0.9.6), so a script cannot
tell a failing notebook from a passing one. `course validate` runs the same Validator and exits 1
when any notebook fails.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from nbgrader.validator import Validator
from traitlets.config.loader import PyFileConfigLoader

from .build import kernel_env


def load_config(root: Path):
    """The course's nbgrader_config.py as a traitlets Config."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def validate(root: Path, notebook: Path) -> dict:
    """nbgrader's validation result: {} when it passes, else keys like 'failed' or 'changed'."""
    saved = dict(os.environ)
    os.environ.update(kernel_env(root))
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
