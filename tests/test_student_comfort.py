"""Student comfort: every plot has a title and labelled axes; every notebook starts by checking
its environment and says how to fix a missing piece."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import course

import plot_check
from conftest import ASSIGNMENTS, ROOT
from course.environment import EnvironmentProblem, check_environment, kit_problem
from notebook_kernel import NotebookKernel, code_cells


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_plot_has_a_title_and_labelled_axes(answer_keys, assignment):
    key = answer_keys(assignment)
    records = key.plots
    assert len(records) == len(code_cells(key.nb)), "the plot check did not see every cell run"
    errors = [f"{r['error']} after cell:\n{r['cell'][:300]}" for r in records if "error" in r]
    assert not errors, "the plot check failed:\n" + "\n".join(errors)
    bad = [f"cell starting {r['cell'].strip()[:80]!r}, figure {f['title']!r}: " + "; ".join(f["problems"])
           for r in records for f in r["figures"] if f["problems"]]
    assert not bad, "plots without a title or axis labels:\n" + "\n".join(bad)


def test_the_plot_check_catches_a_bare_plot(tmp_path):
    """The check above can fail: in a real kernel, an unlabelled plot is reported, a labelled one
    is not, and figures are closed after each cell as Jupyter's inline backend does."""
    kernel = NotebookKernel(tmp_path, ROOT)
    try:
        plot_check.install(kernel)
        assert kernel.run("import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0]);").passed
        assert kernel.run("from course import plots\nplots.loss_curve([3, 2, 1], title='Loss');").passed
        assert kernel.run("x = 1").passed
        bare, labelled, nothing = plot_check.report(kernel)[:3]
    finally:
        kernel.close()
    assert bare["figures"] == [{"title": "", "problems": ["axes 1: no title, no x-axis label, no y-axis label"]}]
    assert labelled["figures"] == [{"title": "Loss", "problems": []}]
    assert nothing["figures"] == []


def first_cell(assignment: str, folder: str = "source") -> str:
    nb = nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)
    return code_cells(nb)[0].source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_first_code_cell_checks_the_environment_and_the_kit(assignment):
    # the kit a notebook asks for is the package it was built with: bumping the version
    # (the test cells' helpers changed) means every notebook asks for the new kit
    first = first_cell(assignment)
    assert f'check_environment(kit="{course.__version__}")' in first and "except (ImportError, TypeError)" in first, first


OLD_KIT = """__version__ = "0.1.0"


def check_environment(*extra, min_python=(3, 11), blas_threads=1):
    print("Environment OK: course 0.1.0")
"""


def run_first_cell(assignment: str, package: Path) -> subprocess.CompletedProcess:
    """The release notebook's first cell in a fresh Python whose `course` package is the one in
    the folder `package` (put first on its path, before the repository's)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = f"import sys; sys.path.insert(0, {str(package)!r})\n" + first_cell(assignment, "release")
    return subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, env=env,
                          cwd=package, timeout=120)


@pytest.mark.parametrize("assignment", ["01_xor", "05_deep_learning_from_scratch"])
def test_a_kit_older_than_the_notebook_is_told_to_update(tmp_path, assignment):
    (tmp_path / "old" / "course").mkdir(parents=True)
    (tmp_path / "old" / "course" / "__init__.py").write_text(OLD_KIT)
    old = run_first_cell(assignment, tmp_path / "old")
    assert old.returncode != 0, old.stdout
    last = old.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: The `course` package here is missing or older than this notebook "
                           f"(course kit {course.__version__})"), old.stderr
    assert "a new copy of the kit" in last and "pip install -r requirements.txt" in last, last
    (tmp_path / "other" / "course").mkdir(parents=True)
    (tmp_path / "other" / "course" / "__init__.py").write_text("")  # some other package called course
    other = run_first_cell(assignment, tmp_path / "other")
    assert "ImportError: The `course` package here is missing" in other.stderr, other.stderr


def test_check_environment_names_the_kit_a_notebook_needs_and_the_one_installed():
    with pytest.raises(EnvironmentProblem) as problem:
        check_environment(kit="99.0.0")
    message = str(problem.value)
    assert f"released with course kit 99.0.0; the `course` package of this Python is from kit {course.__version__}" in message
    assert "unpack it into a new folder" in message and "pip install -r requirements.txt" in message
    assert kit_problem("0.2.0", "0.2.0") is None and kit_problem("0.2.0", "0.10.1") is None
    assert kit_problem("0.10.0", "0.9.9") is not None


def test_check_environment_reports_what_is_there(capsys):
    check_environment()
    out = capsys.readouterr().out
    assert out.startswith("Environment OK: Python 3.") and "numpy 2." in out and "scikit-learn" in out


def test_check_environment_says_how_to_fix_a_missing_piece():
    with pytest.raises(EnvironmentProblem) as problem:
        check_environment("no_such_package_for_the_course", min_python=(3, 99))
    message = str(problem.value)
    assert "needs Python 3.99 or newer" in message
    assert "`no_such_package_for_the_course` is missing" in message
    # a student's words: the kit they were given, never the instructor's repository
    assert "pip install -r requirements.txt" in message and "course kit folder" in message
    assert "Restart Kernel" in message and ".ci/setup" not in message and "course lab" not in message
