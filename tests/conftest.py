"""Shared fixtures: the course root, and one answer-key kernel per assignment."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

# Two pytest workers on two cores: a multi-threaded BLAS in every kernel would oversubscribe
# them and make small matrix products many times slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from course.instructor.build import available_assignments, source_notebook  # noqa: E402
from notebook_kernel import (  # noqa: E402
    Dependencies, NotebookKernel, code_cells, grade_id, is_test_cell, trusted_names,
)
import plot_check  # noqa: E402

ASSIGNMENTS = available_assignments(ROOT)


class AnswerKey:
    """A kernel that has run an assignment's source notebook top to bottom."""

    def __init__(self, assignment: str):
        self.assignment = assignment
        self.path = source_notebook(ROOT, assignment)
        self.nb = nbformat.read(self.path, as_version=4)
        self.code = code_cells(self.nb)
        self.kernel = NotebookKernel(self.path.parent, ROOT)
        plot_check.install(self.kernel)  # each cell's figures are checked, then closed as Jupyter does
        self.results = {}
        for index, cell in enumerate(self.code):
            self.results[grade_id(cell) or f"cell {index}"] = self.kernel.run(cell.source)
        self.plots = plot_check.report(self.kernel)  # one record per cell above
        self.tests = {grade_id(c): c.source for c in self.code if is_test_cell(c)}
        self.cells = {grade_id(c): c for c in self.code if grade_id(c)}
        self.position = {grade_id(c): i for i, c in enumerate(self.code) if grade_id(c)}
        self.dependencies = Dependencies([c.source for c in self.code])

    def cells_behind(self, test: str) -> set[int]:
        """Positions of the code cells whose code can change this test cell's result."""
        source = self.tests[test]
        return self.dependencies.cells_behind(self.position[test], source, trusted_names(source))

    def exercises_behind(self, test: str) -> set[str]:
        """The exercises (solution cells) whose answers this test cell's result depends on."""
        return {grade_id(self.code[i]) for i in self.cells_behind(test)
                if self.code[i].metadata.get("nbgrader", {}).get("solution")}

    def failing_tests(self, changed: set[str] | None = None, always: set[str] = frozenset()) -> dict[str, str]:
        """Run the test cells that depend on the `changed` cells (all when None), as nbgrader
        judges them; return the failing ones with the reason."""
        failing = {}
        positions = None if changed is None else {self.position[g] for g in changed}
        for name, source in self.tests.items():
            if positions is not None and name not in always and not self.cells_behind(name) & positions:
                continue
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

