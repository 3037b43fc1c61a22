"""What the course's preprocessors read besides the notebook: `resources["course_autograde"]`
(the course folder, this pass's execution record, the hidden tests' lines) and the release
notebook of the notebook being graded."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode

from course import cells as nbcells


def course_info(resources) -> dict:
    return resources.setdefault("course_autograde", {})


def release_notebook(resources, folder: str = "release") -> NotebookNode | None:
    """The release (or source) notebook of the notebook being graded, or None."""
    root = course_info(resources).get("root")
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
    return {nbcells.grade_id(c): c for c in release.cells if nbcells.grade_id(c)}
