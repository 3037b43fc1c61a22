"""Grading validity: each hidden test grades its own exercise, and only it.

For every exercise, tests/mutations/<assignment>.py lists realistic wrong implementations
(WRONG) and other correct ones (RIGHT). In one kernel that has run the answer key, each one
replaces its exercise's cell, every test cell of the notebook runs again as nbgrader would
judge it, and the original cell is restored:

- a wrong implementation must fail exactly its exercise's test cells (it loses those points and
  only those);
- another correct implementation must fail none.
"""
from __future__ import annotations

import pytest

from conftest import ASSIGNMENTS, ROOT
from course.instructor.build import apply_change, load_mutations, student_answer


def exercise_tests(mutations, exercise: str) -> set[str]:
    return set(getattr(mutations, "TESTS", {}).get(exercise, [f"test_{exercise}"]))


def cases(kind: str):
    for assignment in ASSIGNMENTS:
        mutations = load_mutations(ROOT, assignment)
        for exercise, variants in (getattr(mutations, kind, {}) if mutations else {}).items():
            for name in variants:
                yield pytest.param(assignment, exercise, name, id=f"{assignment}:{exercise}:{name}")


def swap_and_grade(key, mutations, exercise: str, change) -> dict[str, str]:
    """Replace the exercise's cell with `change` (and re-run its RERUN cells), grade, restore.

    Only the test cells whose result depends on the swapped cells run again (names followed
    through the notebook in order, trusted swaps respected); the others keep the answer key's
    result, which test_answer_key_passes_every_test_cell checks.
    """
    original = student_answer(key.cells[exercise].source)
    rerun_ids = getattr(mutations, "RERUN", {}).get(exercise, [])
    rerun = [student_answer(key.cells[g].source) for g in rerun_ids]
    try:
        for source in [apply_change(original, change, exercise), *rerun]:
            key.kernel.run(source)  # a wrong answer may raise here, as it would in autograde
        return key.failing_tests({exercise, *rerun_ids}, always=exercise_tests(mutations, exercise))
    finally:
        for source in [original, *rerun]:
            restored = key.kernel.run(source)
            assert restored.error is None, f"could not restore {exercise}: {restored.error}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_answer_key_passes_every_test_cell(answer_keys, assignment):
    key = answer_keys(assignment)
    failing = {name: r.why() for name, r in key.results.items()
               if (not r.passed if name in key.tests else r.error is not None)}
    assert not failing, f"the answer key fails cells: {failing}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_wrong_and_right_variants(answer_keys, assignment):
    key = answer_keys(assignment)
    mutations = load_mutations(ROOT, assignment)
    assert mutations is not None, f"tests/mutations/{assignment}.py is missing"
    graded = {g for g, c in key.cells.items() if c.metadata["nbgrader"].get("solution")
              and c.cell_type == "code" and any(t in key.tests for t in exercise_tests(mutations, g))}
    for exercise in graded:
        wrong = mutations.WRONG.get(exercise, {})
        assert len(wrong) >= 3, f"{exercise}: needs at least 3 wrong implementations, has {len(wrong)}"
        assert mutations.RIGHT.get(exercise), f"{exercise}: needs another correct implementation"
    for exercise in [*mutations.WRONG, *mutations.RIGHT]:
        assert exercise in key.cells, f"mutations name {exercise!r}, which is no cell of the notebook"


@pytest.mark.parametrize("assignment,exercise,name", list(cases("WRONG")))
def test_wrong_implementation_loses_only_its_points(answer_keys, assignment, exercise, name):
    key = answer_keys(assignment)
    mutations = load_mutations(ROOT, assignment)
    failing = swap_and_grade(key, mutations, exercise, mutations.WRONG[exercise][name])
    expected = exercise_tests(mutations, exercise)
    assert set(failing) == expected, (
        f"{name!r} in {exercise} should fail exactly {sorted(expected)}; failing: {failing}"
    )


@pytest.mark.parametrize("assignment,exercise,name", list(cases("RIGHT")))
def test_other_correct_implementation_keeps_its_points(answer_keys, assignment, exercise, name):
    key = answer_keys(assignment)
    mutations = load_mutations(ROOT, assignment)
    failing = swap_and_grade(key, mutations, exercise, mutations.RIGHT[exercise][name])
    assert not failing, f"{name!r} in {exercise} is correct but fails: {failing}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_test_depends_on_another_exercise(answer_keys, assignment):
    """A test cell's result may depend on its own exercise's answer, trusted swaps and plain
    data; never on another exercise's answer, directly or through a value computed with it."""
    key = answer_keys(assignment)
    mutations = load_mutations(ROOT, assignment)
    own: dict[str, set[str]] = {}
    for exercise in key.cells:
        for test in exercise_tests(mutations, exercise):
            own.setdefault(test, set()).add(exercise)
    allowed = getattr(mutations, "READS", {})  # relations a test checks on purpose, e.g. x_expanded vs x3
    problems = {test: sorted(key.exercises_behind(test) - own.get(test, set()) - set(allowed.get(test, [])))
                for test in key.tests}
    problems = {test: others for test, others in problems.items() if others}
    assert not problems, f"test cells depending on other exercises' answers: {problems}"
