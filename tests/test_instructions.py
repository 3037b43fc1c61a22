"""Every instruction checked: each sentence of an exercise that states a requirement has a visible
check that exercises it and a realistic wrong answer that breaks it, or reads as advice.

tests/mutations/<assignment>.py lists them in INSTRUCTIONS, one record per requirement:

- ``exercise``: the exercise (solution cell's grade id) the sentence belongs to;
- ``says``: the sentence (or the part of it that states the requirement), quoted from the release
  notebook (its markdown, comments or docstrings; spaces and line breaks collapsed);
- ``check``: the name of a visible check of that exercise's test cells that exercises it, and
  ``wrong``: the WRONG variant that violates it, which names that check in CHECKS (so
  test_grading_validity proves the variant fails it); or, where every answer that breaks the
  sentence also breaks a later exercise (and so may not stand in the catalogue, whose wrong
  answers cost their own exercise only), ``no_wrong`` saying so;
- or ``advice``: why the sentence is advice, not a requirement (no check holds a student to it).

CHECKS names, per WRONG variant, every check it must fail (hidden ones included);
test_grading_validity's test_wrong_implementation_loses_only_its_points holds each variant to
exactly those. Static: reads the notebooks and the catalogues, runs nothing (1 s).
"""
from __future__ import annotations

import re

import nbformat
import pytest

from conftest import ASSIGNMENTS, ROOT
from course.cells import grade_id, is_test_cell
from course.instructor.build import load_mutations, notebook_name, read_checklist, source_notebook

FIELDS = {"exercise", "says", "check", "wrong", "no_wrong", "advice"}


def covered() -> list[str]:
    """The assignments whose catalogue lists its instructions."""
    return [a for a in ASSIGNMENTS if getattr(load_mutations(ROOT, a), "INSTRUCTIONS", None)]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def release_text(assignment: str) -> str:
    """What a student reads: the release notebook's cells but its test cells, spaces collapsed."""
    nb = nbformat.read(ROOT / "release" / assignment / notebook_name(assignment), as_version=4)
    return flat("\n".join(c.source for c in nb.cells if not is_test_cell(c)))


def checks_of(assignment: str, mutations) -> dict[str, dict[str, bool]]:
    """Per exercise, the checks of its test cells: name -> hidden."""
    nb = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    cells = {grade_id(c): read_checklist(c) for c in nb.cells if is_test_cell(c)}
    tests_of = getattr(mutations, "TESTS", {})
    found = {}
    for exercise in {*mutations.WRONG, *mutations.RIGHT}:
        found[exercise] = {check.name: check.hidden for test in tests_of.get(exercise, [f"test_{exercise}"])
                           if test in cells for check in cells[test].checks}
    return found


def test_every_assignment_is_covered():
    assert covered() == list(ASSIGNMENTS)


@pytest.mark.parametrize("assignment", covered())
def test_each_instruction_is_quoted_and_checked(assignment):
    mutations = load_mutations(ROOT, assignment)
    text = release_text(assignment)
    checks = checks_of(assignment, mutations)
    named = getattr(mutations, "CHECKS", {})
    problems = []
    for record in mutations.INSTRUCTIONS:
        exercise, says = record["exercise"], record["says"]
        where = f"{exercise}: {says!r}"
        if set(record) - FIELDS:
            problems.append(f"{where}: unknown fields {sorted(set(record) - FIELDS)}")
        if flat(says) not in text:
            problems.append(f"{where}: not in the release notebook")
        if ("check" in record) == ("advice" in record):
            problems.append(f"{where}: needs a check (with the wrong answer that breaks it) or advice, not both")
        elif "advice" in record:
            if not record["advice"].strip():
                problems.append(f"{where}: advice needs a reason")
            continue
        check, wrong = record["check"], record.get("wrong")
        if check not in checks.get(exercise, {}):
            problems.append(f"{where}: no check {check!r} in the exercise's test cells")
        elif checks[exercise][check]:
            problems.append(f"{where}: {check!r} is hidden; a student's Validate cannot see it")
        if wrong is None and record.get("no_wrong", "").strip():
            continue
        if wrong not in mutations.WRONG.get(exercise, {}):
            problems.append(f"{where}: no WRONG variant {wrong!r}")
        elif check not in named.get(exercise, {}).get(wrong, []):
            problems.append(f"{where}: WRONG {wrong!r} does not name {check!r} in CHECKS")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", covered())
def test_every_wrong_variant_names_its_checks(assignment):
    """In a covered assignment each WRONG variant names the checks it fails, and they exist."""
    mutations = load_mutations(ROOT, assignment)
    checks = checks_of(assignment, mutations)
    named = getattr(mutations, "CHECKS", {})
    problems = []
    for exercise, variants in mutations.WRONG.items():
        for name in variants:
            if name not in named.get(exercise, {}):
                problems.append(f"{exercise}: {name!r} names no checks")
                continue
            if not named[exercise][name]:
                problems.append(f"{exercise}: {name!r} names no checks (a wrong answer fails at least one)")
            problems += [f"{exercise}: {name!r} names {c!r}, which is no check of its test cells"
                         for c in named[exercise][name] if c not in checks[exercise]]
    problems += [f"{exercise}: CHECKS names {name!r}, which is no WRONG variant"
                 for exercise, variants in named.items() for name in variants
                 if name not in mutations.WRONG.get(exercise, {})]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", covered())
def test_every_exercise_lists_its_instructions(assignment):
    mutations = load_mutations(ROOT, assignment)
    listed = {record["exercise"] for record in mutations.INSTRUCTIONS}
    missing = sorted(set(mutations.WRONG) - listed)
    assert not missing, f"exercises with no instruction listed: {missing}"
