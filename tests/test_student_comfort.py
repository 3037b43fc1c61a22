"""Student comfort: every plot has a title and labelled axes; every notebook starts by checking
its environment and says how to fix a missing piece."""
from __future__ import annotations

import nbformat
import pytest

import plot_check
from conftest import ASSIGNMENTS, ROOT
from course.environment import EnvironmentProblem, check_environment
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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_first_code_cell_checks_the_environment(assignment):
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    first = code_cells(nb)[0].source
    assert "check_environment()" in first and "except ImportError" in first, first


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
