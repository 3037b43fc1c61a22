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
    Dependencies, NotebookKernel, code_cells, grade_id, is_test_cell, names_in, trusted_names,
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
        # Names only test cells bind (their working values): cleared before a test cell runs
        # again, so a check whose computation failed finds no value left from an earlier run,
        # as in grading, where each test cell runs once
        others = set().union(*(names_in(c.source)[0] for c in self.code if not is_test_cell(c)))
        self.test_names = {name: sorted(names_in(source)[0] - others) for name, source in self.tests.items()}

    def cells_behind(self, test: str) -> set[int]:
        """Positions of the code cells whose code can change this test cell's result."""
        source = self.tests[test]
        return self.dependencies.cells_behind(self.position[test], source, trusted_names(source))

    def exercises_behind(self, test: str) -> set[str]:
        """The exercises (solution cells) whose answers this test cell's result depends on."""
        return {grade_id(self.code[i]) for i in self.cells_behind(test)
                if self.code[i].metadata.get("nbgrader", {}).get("solution")}

    def run_tests(self, changed: set[str] | None = None, always: set[str] = frozenset()) -> dict:
        """Run the test cells that depend on the `changed` cells (all when None) and those in
        `always`; their results (CellResult) by name."""
        positions = None if changed is None else {self.position[g] for g in changed}
        return {name: self.run_test(name) for name in self.tests
                if positions is None or name in always or self.cells_behind(name) & positions}

    def run_test(self, name: str):
        """Run one test cell as grading would: first clear the names only test cells bind."""
        self.kernel.run(f"for _name in {self.test_names[name]!r}:\n    globals().pop(_name, None)\n")
        return self.kernel.run(self.tests[name])

    def failing_tests(self, changed: set[str] | None = None, always: set[str] = frozenset()) -> dict[str, str]:
        """Run the test cells that depend on the `changed` cells (all when None), as nbgrader
        judges them; return the failing ones with the reason."""
        return {name: r.why() for name, r in self.run_tests(changed, always).items() if not r.passed}


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

# The example submissions and the fixtures' notebooks (students' work on earlier releases) are
# graded by the end-to-end tests, not executed by nbval.
collect_ignore_glob = ["submissions/*", "fixtures/*"]

# The whole class on a cluster that loses its workers runs on its own, not in the suite (it wants
# the machine to itself for about 5 minutes: a worker TTL of 20 s and three workers beside the
# suite's two would make its timing the machine's): COURSE_CLUSTER_FULL=1 .venv/bin/python -m
# pytest -n 0 tests/test_dask_cluster_full.py
if os.environ.get("COURSE_CLUSTER_FULL") != "1":
    collect_ignore = ["test_dask_cluster_full.py"]

