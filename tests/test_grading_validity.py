"""Grading validity: each hidden test grades its own exercise, and only it.

For every exercise, tests/mutations/<assignment>.py lists realistic wrong implementations
(WRONG) and other correct ones (RIGHT). In one kernel that has run the answer key, each one
replaces its exercise's cell, every test cell of the notebook runs again as nbgrader would
judge it, and the original cell is restored:

- a wrong implementation must fail exactly its exercise's test cells (it loses those points and
  only those);
- another correct implementation must fail none.

What Validate can see: for each assignment, the share of WRONG implementations that already fail
the *release* version of their exercise's test cell (visible checks only, hidden tests removed),
with the answer key everywhere else. At least 90% per assignment; a mistake that only a hidden
test catches is listed in the catalogue's HIDDEN_ONLY with a reason and still counts as missed.
The rates are written into docs/writing-an-assignment.md (between the `grading-validity-rates` markers), never typed
by hand; a stale table fails the test, which rewrites it.
"""
from __future__ import annotations

import nbformat
import pytest

from conftest import ASSIGNMENTS, ROOT
from course.instructor.build import apply_change, load_mutations, student_answer
from notebook_kernel import code_cells, grade_id, is_test_cell

VISIBLE_CATCH_RATE = 0.90
RATES_BEGIN, RATES_END = "<!-- grading-validity-rates:begin -->", "<!-- grading-validity-rates:end -->"


def exercise_tests(mutations, exercise: str) -> set[str]:
    return set(getattr(mutations, "TESTS", {}).get(exercise, [f"test_{exercise}"]))


def cases(kind: str):
    for assignment in ASSIGNMENTS:
        mutations = load_mutations(ROOT, assignment)
        for exercise, variants in (getattr(mutations, kind, {}) if mutations else {}).items():
            for name in variants:
                yield pytest.param(assignment, exercise, name, id=f"{assignment}:{exercise}:{name}")


def swap_and_run(key, mutations, swaps: dict[str, object]) -> dict:
    """Replace each exercise's cell with its change (and re-run their RERUN cells), run the test
    cells that depend on them, restore; the test cells' results (CellResult) by name.

    Only the test cells whose result depends on the swapped cells run again (names followed
    through the notebook in order, trusted swaps respected); the others keep the answer key's
    result, which test_answer_key_passes_every_test_cell checks.
    """
    originals = {exercise: student_answer(key.cells[exercise].source) for exercise in swaps}
    rerun_ids = [g for exercise in swaps for g in getattr(mutations, "RERUN", {}).get(exercise, [])]
    rerun = [student_answer(key.cells[g].source) for g in rerun_ids]
    try:
        for source in [*(apply_change(originals[e], change, e) for e, change in swaps.items()), *rerun]:
            key.kernel.run(source)  # a wrong answer may raise here, as it would in autograde
        always = set().union(*(exercise_tests(mutations, e) for e in swaps))
        return key.run_tests({*swaps, *rerun_ids}, always=always)
    finally:
        for source in [*originals.values(), *rerun]:
            restored = key.kernel.run(source)
            assert restored.error is None, f"could not restore: {restored.error}"


def swap_and_grade(key, mutations, exercise: str, change) -> dict[str, str]:
    """Swap `change` in for the exercise (see swap_and_run); the failing test cells with the reason."""
    return {name: r.why() for name, r in swap_and_run(key, mutations, {exercise: change}).items() if not r.passed}


def named_checks(mutations, exercise: str, name: str) -> set[str] | None:
    """The checks a WRONG variant names as the ones it must fail (CHECKS), or None."""
    named = getattr(mutations, "CHECKS", {}).get(exercise, {}).get(name)
    return None if named is None else set(named)


def failed_checks(results: dict, tests: set[str]) -> set[str]:
    """The failed checks of these test cells, hidden ones included, read from their checklists."""
    failed = set()
    for test in sorted(tests):
        found = results[test].failed_checks()
        assert found is not None, f"{test} emitted no checklist: {results[test].why()}"
        failed |= found
    return failed


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
    results = swap_and_run(key, mutations, {exercise: mutations.WRONG[exercise][name]})
    failing = {test: r.why() for test, r in results.items() if not r.passed}
    expected = exercise_tests(mutations, exercise)
    assert set(failing) == expected, (
        f"{name!r} in {exercise} should fail exactly {sorted(expected)}; failing: {failing}"
    )
    named = named_checks(mutations, exercise, name)
    if named is not None:  # it loses exactly the shares of the checks it names
        failed = failed_checks(results, expected)
        assert failed == named, (
            f"{name!r} in {exercise} should fail exactly the checks {sorted(named)}; it fails {sorted(failed)}")


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


def release_tests(assignment: str) -> dict[str, str]:
    """The test cells as students have them: visible checks only."""
    from course.instructor.build import notebook_name

    nb = nbformat.read(ROOT / "release" / assignment / notebook_name(assignment), as_version=4)
    return {grade_id(c): c.source for c in code_cells(nb) if is_test_cell(c)}


def visible_failures(key, mutations, exercise: str, change, visible: dict[str, str]) -> dict[str, str]:
    """Swap `change` in, run the release version of the exercise's test cells, restore."""
    original = student_answer(key.cells[exercise].source)
    rerun = [student_answer(key.cells[g].source) for g in getattr(mutations, "RERUN", {}).get(exercise, [])]
    try:
        for source in [apply_change(original, change, exercise), *rerun]:
            key.kernel.run(source)
        results = {test: key.kernel.run(visible[test]) for test in sorted(exercise_tests(mutations, exercise))}
        return {test: r.why() for test, r in results.items() if not r.passed}
    finally:
        for source in [original, *rerun]:
            restored = key.kernel.run(source)
            assert restored.error is None, f"could not restore {exercise}: {restored.error}"


def write_rates(assignment: str, row: str) -> bool:
    """Put this assignment's row into the rates table of docs/writing-an-assignment.md; True when it changed."""
    readme = ROOT / "docs" / "writing-an-assignment.md"
    text = readme.read_text()
    assert RATES_BEGIN in text and RATES_END in text, f"docs/writing-an-assignment.md needs the {RATES_BEGIN} ... {RATES_END} block"
    head, rest = text.split(RATES_BEGIN, 1)
    block, tail = rest.split(RATES_END, 1)
    rows = {line.split("|")[1].strip().strip("`"): line for line in block.strip().splitlines()
            if line.startswith("| `")}
    rows[assignment] = row
    new_block = "\n".join([
        "",
        "| assignment | WRONG caught by visible checks | hidden only | RIGHT versions |",
        "|---|---|---|---|",
        *(rows[a] for a in sorted(rows)),
        "",
    ])
    if new_block == block:
        return False
    readme.write_text(head + RATES_BEGIN + new_block + RATES_END + tail)
    return True


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_visible_checks_catch_most_wrong_answers(answer_keys, assignment):
    """Validate warns a student: >= 90% of the realistic mistakes fail a visible check."""
    key = answer_keys(assignment)
    mutations = load_mutations(ROOT, assignment)
    visible = release_tests(assignment)
    hidden_only = getattr(mutations, "HIDDEN_ONLY", {})
    caught, missed = [], []
    for exercise, variants in mutations.WRONG.items():
        for name, change in variants.items():
            failures = visible_failures(key, mutations, exercise, change, visible)
            (caught if failures else missed).append((exercise, name))
    wrongly_listed = [(e, n) for e, n in caught if n in hidden_only.get(e, {})]
    assert not wrongly_listed, f"in HIDDEN_ONLY but a visible check catches them: {wrongly_listed}"
    unexplained = [(e, n) for e, n in missed if n not in hidden_only.get(e, {})]
    for exercise, reasons in hidden_only.items():
        for name, reason in reasons.items():
            assert name in mutations.WRONG.get(exercise, {}), f"HIDDEN_ONLY names no WRONG variant: {exercise}:{name}"
            assert reason.strip(), f"HIDDEN_ONLY {exercise}:{name} needs a one-line reason"
    total = len(caught) + len(missed)
    rate = len(caught) / total
    rights = sum(len(v) for v in getattr(mutations, "RIGHT", {}).values())
    changed = write_rates(assignment, f"| `{assignment}` | {len(caught)}/{total} ({rate:.0%}) "
                                      f"| {len(missed)} | {rights} |")
    assert not unexplained, (
        f"{len(unexplained)} wrong answers pass the visible checks and are not in HIDDEN_ONLY "
        f"(add a visible check, or list them with a reason): {unexplained}")
    assert rate >= VISIBLE_CATCH_RATE, (
        f"visible checks catch {len(caught)}/{total} = {rate:.0%} of the wrong answers "
        f"(need {VISIBLE_CATCH_RATE:.0%}); missed: {missed}")
    assert not changed, "docs/writing-an-assignment.md's grading-validity rates were stale; this run rewrote them: commit it"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_mistakes_example_fails_validate_in_each_mistaken_exercise(assignment):
    """What grading will take off, Validate shows first: the `mistakes` example fails Validate
    in the test cells of each exercise it got wrong."""
    from course.instructor.build import notebook_name
    from course.validate import validate

    mutations = load_mutations(ROOT, assignment)
    notebook = ROOT / "tests" / "submissions" / "mistakes" / assignment / notebook_name(assignment)
    failed = validate(ROOT, notebook).get("failed", [])
    visible = release_tests(assignment)
    failing_tests = {test for test, source in visible.items()
                     if any(f["source"] == source.strip() for f in failed)}
    for exercise, name in mutations.MISTAKES:
        expected = exercise_tests(mutations, exercise)
        assert expected & failing_tests, (
            f"the mistakes example has {name!r} in {exercise}, yet Validate passes its test cells "
            f"{sorted(expected)}: a student would see 'Success!' and lose those points at grading")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_mistakes_example_loses_exactly_the_named_checks(answer_keys, assignment):
    """The `mistakes` example's wrong answers all at once: where each names its checks
    (CHECKS), the example fails exactly the union of them, and no other test cell."""
    mutations = load_mutations(ROOT, assignment)
    named = {(exercise, name): named_checks(mutations, exercise, name) for exercise, name in mutations.MISTAKES}
    unnamed = [mistake for mistake, checks in named.items() if checks is None]
    assert not unnamed, f"mistakes of the example that name no checks (CHECKS): {unnamed}"
    key = answer_keys(assignment)
    results = swap_and_run(key, mutations, {e: mutations.WRONG[e][n] for e, n in mutations.MISTAKES})
    expected_tests = set().union(*(exercise_tests(mutations, e) for e, _ in mutations.MISTAKES))
    failing = {test for test, r in results.items() if not r.passed}
    assert failing == expected_tests
    assert failed_checks(results, expected_tests) == set().union(*named.values())
