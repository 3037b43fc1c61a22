"""tests/benchmarks/slowest_cells.py times what a student waits for: each cell in a real kernel,
failures reported, cells over the target flagged."""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

import slowest_cells  # noqa: E402


def test_cells_are_timed_failures_reported_and_slow_ones_flagged(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# a title"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(1.5)", metadata={"nbgrader": {"grade_id": "nap"}}),
        nbformat.v4.new_code_cell("import os\nprint(os.environ['COURSE_MNIST_DIR'], os.environ['OPENBLAS_NUM_THREADS'])\n1 / 0"),
    ])
    path = tmp_path / "toy" / "toy.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    env = slowest_cells.environment(str(tmp_path), tmp_path / "scratch")
    cells = slowest_cells.run_notebook(path, env, timeout=60)
    assert [(c.index, c.label) for c in cells] == [(1, "x = 1"), (2, "nap"), (3, "import os")]
    assert cells[1].seconds >= 1.5, "the nap is timed"
    assert all(c.cpu is not None and 0 <= c.cpu for c in cells) and cells[1].cpu < 1.0, "sleeping costs no CPU"
    assert cells[0].error is None and cells[2].error.startswith("ZeroDivisionError"), cells
    assert not slowest_cells.report("toy", cells, target=1.0, top=2)
    out = capsys.readouterr().out
    assert "nap" in out and "OVER" in out and "cells over 1 s: 1 (toy:2)" in out
    assert "FAILED toy cell 3 (import os): ZeroDivisionError" in out
    without = slowest_cells.environment(None, tmp_path / "scratch")
    assert "COURSE_MNIST_DIR" not in without and without["XDG_CACHE_HOME"].startswith(str(tmp_path))
