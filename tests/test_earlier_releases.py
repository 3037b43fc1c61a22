"""Notebooks written on an earlier release of an assignment grade fairly (tests/fixtures/earlier_releases).

One real `course autograde` run (about two minutes: five notebooks of 03) on a temporary course
whose gradebook remembers the four earlier releases, as `course release --corrected` leaves it:
each fixture was started on one of them (a test cell added since, a read-only cell added since, a
test cell removed since, a test cell's points changed since); `current` has the same answers on
the current release. Every test cell whose exercise the student's release had scores what the
same answers score on the current release; the rest scores as unanswered, and the feedback says
why; nothing of it is reported as tampering.
"""
from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import sqlalchemy

from autograde_support import env_for, grades, make_course
from course.instructor.autograde import course_root, gradebook, history
from course.instructor.autograde.config import db_url_of

ASSIGNMENT = "03_learn_you_a_neural_net"
NB = f"{ASSIGNMENT}.ipynb"
FIXTURES = Path(__file__).parent / "fixtures" / "earlier_releases"
KINDS = ["test_added", "given_added", "cell_removed", "points_changed"]

# what each student's feedback says about the earlier release (tags removed)
NOTES = {
    "test_added": ["test_NN_predict: this test cell was added to the assignment after the release you started "
                   "from; it was put in your notebook and graded with your answers.",
                   "EarlyStoppingNN: this exercise was added to the assignment after the release you started from, "
                   "so your notebook has no answer for it: its tests scored as unanswered."],
    "given_added": ["given_xor_and_sigmoid: this read-only cell was added to the assignment after the release you "
                    "started from; it was put in your notebook at its place and ran there."],
    "cell_removed": ["test_NN_init_defaults: this test cell was in an earlier release of the assignment and the "
                     "current release no longer has it; it ran as an ordinary cell and is not graded."],
    "points_changed": ["test_NN_predict: your notebook has this read-only cell as an earlier release of the "
                       "assignment had it (worth 2 points there, 1 now); it was corrected since, and the corrected "
                       "cell was graded."],
}
# test cells whose exercise the student's release lacked: unanswered
UNANSWERED = {"test_added": {"test_EarlyStoppingNN"}}


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def as_released(submission: nbformat.NotebookNode, release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The earlier release the submission was started on: its answers back to the release's stubs
    (every answer cell of an earlier release is also in the current one)."""
    stubs = {grade_id(c): c.source for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")}
    out = nbformat.from_dict(submission)
    for cell in out.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = stubs[grade_id(cell)]
    return out


def answered(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    out = nbformat.from_dict(release)
    for cell in out.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[grade_id(cell)]
    return out


def feedback_text(root: Path, student: str) -> str:
    text = (root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", text)))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("earlier"), [ASSIGNMENT])
    cfg = course_root.course_config(root)
    gradebook.register_assignment(root, cfg, ASSIGNMENT)
    release = nbformat.read(root / "release" / ASSIGNMENT / NB, as_version=4)
    answers: dict[str, str] = {}
    engine = sqlalchemy.create_engine(db_url_of(cfg, root))
    history.ensure_table(engine)
    with engine.begin() as connection:
        for kind in KINDS:
            submission = nbformat.read(FIXTURES / kind / NB, as_version=4)
            answers.update({grade_id(c): c.source for c in submission.cells
                            if c.metadata.get("nbgrader", {}).get("solution")})
            # what `course release --corrected` keeps of the release it replaces
            history.record(connection, ASSIGNMENT, {ASSIGNMENT: history.notebook_cells(as_released(submission, release))})
            folder = root / "submitted" / kind / ASSIGNMENT
            folder.mkdir(parents=True)
            (folder / NB).write_bytes((FIXTURES / kind / NB).read_bytes())
    engine.dispose()
    folder = root / "submitted" / "current" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(answered(release, answers), folder / NB)
    run = subprocess.run([sys.executable, "-m", "course.instructor", "autograde", ASSIGNMENT, "--workers", "1"],
                         cwd=root, env=env_for(root), capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    return {"root": root, "grades": grades(db_url_of(cfg, root), ASSIGNMENT), "log": run.stdout}


def test_the_same_answers_on_the_current_release_earn_every_automatic_point(graded):
    current = graded["grades"]["current"]
    automatic = {name: cell for name, cell in current.items() if not cell[2]}
    assert len(automatic) == 8 and all(score == top for score, top, _ in automatic.values()), current


@pytest.mark.parametrize("kind", KINDS)
def test_an_earlier_release_scores_what_the_current_one_does(graded, kind):
    current, earlier = graded["grades"]["current"], graded["grades"][kind]
    assert set(earlier) == set(current)  # the current release's cells, each at its current maximum
    for name, (score, top, manual) in earlier.items():
        assert top == current[name][1]
        expected = 0.0 if name in UNANSWERED.get(kind, ()) else current[name][0]
        assert score == expected, (kind, name, score, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_the_feedback_says_what_changed_since_the_students_release(graded, kind):
    text = feedback_text(graded["root"], kind)
    for note in NOTES[kind]:
        assert note in text, (kind, note, text[:3000])
    # nothing tells the student they deleted or changed a locked cell
    assert "was missing from your notebook" not in text and "was changed in your notebook" not in text


def test_nothing_of_an_earlier_release_is_tampering(graded):
    report = (graded["root"] / "reports" / ASSIGNMENT / "report.md").read_text()
    table = report.split("## Tamper report", 1)[1]
    for student in KINDS + ["current"]:
        assert student.replace("_", "\\_") not in table, table[:2000]
    assert "claims to be a graded cell" not in graded["log"]
