"""The nbgrader pipeline: clean sources, fresh generated files, nothing hidden leaking out."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import ASSIGNMENTS, ROOT
from course.instructor.assignments import notebook_name
from course.instructor.build import EXAMPLE_STUDENTS, example_submission, is_fresh, nbgrader, source_notebook

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def cell_sources(nb) -> list[tuple[str, str, str]]:
    return [(c.cell_type, c.metadata.get("nbgrader", {}).get("grade_id", ""), c.source) for c in nb.cells]


def significant_lines(text: str) -> set[str]:
    """Lines long enough to identify code: not blank, not a comment, not a bare keyword."""
    lines = {line.strip() for line in text.splitlines()}
    return {line for line in lines if len(line) >= 24 and not line.startswith("#")}


def region_lines(nb, pattern: re.Pattern) -> set[str]:
    """Significant lines inside the marked regions that never appear outside them."""
    inside, outside = set(), set()
    for cell in nb.cells:
        for region in pattern.findall(cell.source):
            inside |= significant_lines(region)
        outside |= significant_lines(pattern.sub("", cell.source))
    return inside - outside


@pytest.fixture(scope="module")
def generated_release(tmp_path_factory):
    """release/ regenerated from source/ with nbgrader, in a scratch copy of the course."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source", root / "source")
    for assignment in ASSIGNMENTS:
        nbgrader(root, "generate_assignment", assignment, "--force")
    return root


def test_the_five_assignments_are_registered():
    from course.instructor.assignments import ASSIGNMENTS as ALL
    assert ALL == ["01_xor", "02_moons", "03_learn_you_a_neural_net", "04_layers",
                   "05_deep_learning_from_scratch"]
    assert "02_moons" in ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_has_no_outputs_or_personal_metadata(assignment):
    nb = read(source_notebook(ROOT, assignment))
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, f"notebook metadata: {dict(nb.metadata)}"
    for cell in nb.cells:
        assert set(cell.metadata) <= {"nbgrader", "tags"}, f"cell metadata {dict(cell.metadata)}"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"output kept in: {cell.source[:80]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_fresh(generated_release, assignment):
    committed = read(ROOT / "release" / assignment / notebook_name(assignment))
    fresh = read(generated_release / "release" / assignment / notebook_name(assignment))
    assert cell_sources(committed) == cell_sources(fresh), \
        f"release/{assignment} is stale: run `course build {assignment}`"
    for a, b in zip(committed.cells, fresh.cells):
        assert a.metadata.get("nbgrader") == b.metadata.get("nbgrader"), \
            f"release/{assignment} is stale (nbgrader metadata): run `course build {assignment}`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_are_fresh_and_executed(assignment):
    """The answer key is the source without hidden tests, executed without errors."""
    source = read(source_notebook(ROOT, assignment))
    solution = read(ROOT / "solutions" / assignment / notebook_name(assignment))
    # nbgrader removes the marker lines whole (a test cell goes on after its hidden part: checks.done())
    expected = [(t, g, re.sub(HIDDEN.pattern + r"\n?", "", s, flags=re.S).strip()) for t, g, s in cell_sources(source)]
    got = [(t, g, s.strip()) for t, g, s in cell_sources(solution)]
    assert got == expected, f"solutions/{assignment} is stale: run `course build {assignment}`"
    assert is_fresh(ROOT, assignment), f"solutions/{assignment} was made from another source: run `course build {assignment}`"
    code = [c for c in solution.cells if c.cell_type == "code"]
    assert any(c.outputs for c in code), f"solutions/{assignment} was not executed"
    errors = [c.source[:80] for c in code if any(o.output_type == "error" for o in c.outputs)]
    assert not errors, f"solutions/{assignment} has cells that failed: {errors}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("student", EXAMPLE_STUDENTS)
def test_example_submissions_are_fresh(assignment, student):
    committed = read(ROOT / "tests" / "submissions" / student / assignment / notebook_name(assignment))
    assert cell_sources(committed) == cell_sources(example_submission(ROOT, assignment, student)), \
        f"tests/submissions/{student}/{assignment} is stale: run `course build {assignment}`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_hidden_test_reaches_release_or_solutions(assignment):
    source = read(source_notebook(ROOT, assignment))
    hidden = region_lines(source, HIDDEN)
    assert hidden, f"{assignment} has no hidden tests"
    for folder in ("release", "solutions"):
        text = (ROOT / folder / assignment / notebook_name(assignment)).read_text()
        assert "HIDDEN TESTS" not in text, f"{folder}/{assignment} holds hidden-test markers"
        nb = read(ROOT / folder / assignment / notebook_name(assignment))
        shown = set().union(*(significant_lines(c.source) for c in nb.cells))
        leaked = hidden & shown
        assert not leaked, f"hidden test lines in {folder}/{assignment}: {sorted(leaked)[:5]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_solution_reaches_release_or_course_package(assignment):
    source = read(source_notebook(ROOT, assignment))
    solution_lines = region_lines(source, SOLUTION)
    assert solution_lines, f"{assignment} has no solution regions"
    release = read(ROOT / "release" / assignment / notebook_name(assignment))
    shown = set().union(*(significant_lines(c.source) for c in release.cells))
    assert not solution_lines & shown, f"solution lines in release/{assignment}: {sorted(solution_lines & shown)[:5]}"
    package = set().union(*(significant_lines(p.read_text()) for p in (ROOT / "course").glob("*.py")))
    assert not solution_lines & package, f"solution lines in course/: {sorted(solution_lines & package)[:5]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_shows_todo_then_not_implemented(assignment):
    release = read(ROOT / "release" / assignment / notebook_name(assignment))
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            lines = [line.strip() for line in cell.source.splitlines()]
            assert "raise NotImplementedError()" in lines, f"{meta['grade_id']}: no stub"
            stub = lines.index("raise NotImplementedError()")
            assert any(line.startswith("# TODO") for line in lines[:stub]), \
                f"{meta['grade_id']}: students need the document's `# TODO ...` line above the stub"
