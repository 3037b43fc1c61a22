"""Shared fixtures: the course root, and one answer-key kernel per assignment."""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from course.build import available_assignments, source_notebook  # noqa: E402
from notebook_kernel import NotebookKernel, code_cells, grade_id, is_test_cell  # noqa: E402
import plot_check  # noqa: E402

ASSIGNMENTS = available_assignments(ROOT)


class AnswerKey:
    """A kernel that has run an assignment's source notebook top to bottom."""

    def __init__(self, assignment: str):
        self.assignment = assignment
        self.path = source_notebook(ROOT, assignment)
        self.nb = nbformat.read(self.path, as_version=4)
        self.kernel = NotebookKernel(self.path.parent, ROOT)
        plot_check.install(self.kernel)  # each cell's figures are checked, then closed as Jupyter does
        self.results = {}
        for index, cell in enumerate(code_cells(self.nb)):
            self.results[grade_id(cell) or f"cell {index}"] = self.kernel.run(cell.source)
        self.plots = plot_check.report(self.kernel)  # one record per cell above
        self.tests = {grade_id(c): c.source for c in code_cells(self.nb) if is_test_cell(c)}
        self.cells = {grade_id(c): c for c in code_cells(self.nb) if grade_id(c)}

    def failing_tests(self) -> dict[str, str]:
        """Run every test cell now; return the failing ones with the reason."""
        failing = {}
        for name, source in self.tests.items():
            result = self.kernel.run(source)
            if not result.passed:
                failing[name] = result.why()
        return failing


@pytest.fixture(scope="session")
def answer_keys():
    keys: dict[str, AnswerKey] = {}

    def get(assignment: str) -> AnswerKey:
        if assignment not in keys:
            keys[assignment] = AnswerKey(assignment)
        return keys[assignment]

    yield get
    for key in keys.values():
        key.kernel.close()

# The example submissions are graded by the end-to-end tests, not executed by nbval.
collect_ignore_glob = ["submissions/*"]
