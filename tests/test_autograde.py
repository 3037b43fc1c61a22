"""End to end through real nbgrader: autograde the example submissions into a SQLite gradebook.

Runs `course demo`'s grading (nbgrader generate_assignment, autograde, generate_feedback) in a
scratch copy of the course, then reads the gradebook back.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import ASSIGNMENTS, ROOT
from course.instructor import demo
from course.instructor.assignments import notebook_name
from course.instructor.build import load_mutations, nbgrader, read_checklist, source_notebook
from course.validate import validate

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for folder in ("source", "release", "course", "tests/submissions", "tests/mutations"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    rows = demo.run(root, ASSIGNMENTS, log=lambda *_: None)
    return root, rows


def by(rows, student, assignment):
    return {r.cell: r for r in rows if r.student == student and r.assignment == assignment}


def test_tests_cells(assignment):
    nb = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}


test_tests_cells.__test__ = False  # a helper, not a test


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_complete_submission_gets_full_marks(graded, assignment):
    _, rows = graded
    scores = by(rows, "complete", assignment)
    autograded = test_tests_cells(assignment)
    assert autograded <= set(scores), "every test cell has a grade"
    lost = {c: (r.score, r.max_score) for c, r in scores.items() if c in autograded and r.score != r.max_score}
    assert not lost, f"the complete submission lost points: {lost}"
    manual = {c for c, r in scores.items() if c not in autograded}
    assert all(scores[c].score is None for c in manual), "free-text answers wait for a manual grade"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_submission_gets_zero_without_crashing(graded, assignment):
    _, rows = graded
    scores = by(rows, "untouched", assignment)
    assert scores, "the untouched submission was graded"
    assert {c: r.score for c, r in scores.items() if r.score != 0} == {}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_mistakes_cost_exactly_their_exercises(graded, assignment):
    _, rows = graded
    mutations = load_mutations(ROOT, assignment)
    tests_of = getattr(mutations, "TESTS", {})
    expected_lost = {t for exercise, _ in mutations.MISTAKES for t in tests_of.get(exercise, [f"test_{exercise}"])}
    scores = by(rows, "mistakes", assignment)
    autograded = test_tests_cells(assignment)
    lost = {c for c, r in scores.items() if c in autograded and r.score != r.max_score}
    assert lost == expected_lost
    # partial credit: a mistaken exercise keeps the shares of the checks it still passes, never all
    assert all(0 <= scores[c].score < scores[c].max_score for c in expected_lost)
    # where every mistake names the checks it fails (CHECKS), it loses exactly their shares
    named = [getattr(mutations, "CHECKS", {}).get(e, {}).get(n) for e, n in mutations.MISTAKES]
    if all(checks is not None for checks in named):
        failed = set().union(*named)
        nb = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") not in expected_lost:
                continue
            found = read_checklist(cell)
            lost = [c for c in found.checks if c.name in failed]
            gates = set(re.findall(r'checks\("([^"]*)"[^)\n]*gate=True', cell.source))
            kept = 0 if any(c.name in gates for c in lost) else sum(c.share for c in found.checks if c.name not in failed)
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            assert abs(scores[grade_id].score - float(kept)) < 1e-9, (grade_id, scores[grade_id].score, kept)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_shows_messages_not_hidden_tests(graded, assignment):
    root, _ = graded
    source = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    hidden_lines = {line.strip() for c in source.cells for region in HIDDEN.findall(c.source)
                    for line in region.splitlines() if len(line.strip()) >= 24 and not line.strip().startswith("#")}
    for student in ("complete", "untouched", "mistakes"):
        html = (root / "feedback" / student / assignment / notebook_name(assignment).replace(".ipynb", ".html")).read_text()
        assert "HIDDEN TESTS" not in html
        leaked = [line for line in hidden_lines if line.replace("<", "&lt;").replace(">", "&gt;") in html]
        assert not leaked, f"feedback of {student} shows hidden test code: {leaked[:3]}"
    mistakes = (root / "feedback" / "mistakes" / assignment / notebook_name(assignment).replace(".ipynb", ".html")).read_text()
    assert "AssertionError" in mistakes, "a failed check's message reaches the student"


def test_points_table_names_students_and_exercises(graded):
    _, rows = graded
    text = demo.table(rows)
    assert "complete" in text and "untouched" in text and "mistakes" in text
    assert "02_moons/test_sigmoid" in text


def test_validator_api_reports_what_the_cli_exit_code_hides():
    """`nbgrader validate` exits 0 on a failing notebook; the Validator API tells the truth."""
    release = ROOT / "release" / "02_moons" / "02_moons.ipynb"
    cli = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(release)],
                         cwd=ROOT, capture_output=True, text=True)
    assert cli.returncode == 0 and "VALIDATION FAILED" in cli.stdout + cli.stderr
    assert validate(ROOT, release).get("failed"), "the untouched notebook fails validation"
    complete = ROOT / "tests" / "submissions" / "complete" / "02_moons" / "02_moons.ipynb"
    assert validate(ROOT, complete) == {}
    course_cli = subprocess.run([sys.executable, "-m", "course", "validate", str(release)],
                                cwd=ROOT, capture_output=True, text=True)
    assert course_cli.returncode == 1, course_cli.stdout + course_cli.stderr


def test_a_warning_would_cost_points_but_a_correct_sigmoid_never_does(answer_keys):
    """nbgrader scores a cell zero when it writes to stderr: the overflow warning of a correct
    sigmoid on -1000 would; the test cell calls it quietly and passes."""
    key = answer_keys("02_moons")
    key.kernel.run("def sigmoid(x):\n    return 1 / (1 + np.exp(-x))")
    loud = key.kernel.run("import warnings\nwith warnings.catch_warnings():\n"
                          "    warnings.simplefilter('always')\n    sigmoid(np.array([-1000.0]))")
    assert "RuntimeWarning" in loud.stderr, "the naive sigmoid does warn on -1000"
    graded = key.kernel.run(key.tests["test_sigmoid"])
    assert graded.passed, graded.why()


def test_source_can_change_after_the_demo_graded_it(graded):
    """nbgrader refuses to record changed cells while submissions exist; the demo forgets its
    example students' grades first, and `course build` never touches gradebook.db."""
    from course.instructor.build import generate_release_only

    root, _ = graded
    path = source_notebook(root, "02_moons")
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("A note added after grading."))
    nbformat.write(nb, path)
    generate_release_only(root, "02_moons")  # scratch gradebook: fine with submissions around
    demo.forget_examples(root, "02_moons")
    nbgrader(root, "generate_assignment", "02_moons", "--force")  # the course's gradebook
