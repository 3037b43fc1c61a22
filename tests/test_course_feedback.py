"""`course feedback`: after grading by hand, the feedback is written again with the new grades,
the course's preprocessors, and only for what was graded (an ungradable submission keeps its page).

A real `course autograde` run of the tiny assignment, then a grade changed by hand through
nbgrader's gradebook API, as the formgrader's manual grading does.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from autograde_support import TINY, env_for, make_course, submit, tiny_assignment, tiny_submission
from course.instructor.autograde import run as autograde

NB = f"{TINY}.ipynb"
WRONG = {"double": "def double(x):\n    return x + 2"}


def course(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course.instructor", *args], cwd=root, env=env_for(root),
                          capture_output=True, text=True, timeout=900)


def page(root: Path, student: str) -> str:
    return (root / "feedback" / student / TINY / f"{TINY}.html").read_text()


def test_feedback_again_carries_grades_given_by_hand_and_nothing_hidden(tmp_path):
    from nbgrader.api import Gradebook

    root = make_course(tmp_path / "course", [])
    tiny_assignment(root)
    submit(root, "good", TINY, {NB: tiny_submission()})
    submit(root, "wrong", TINY, {NB: tiny_submission(WRONG)})
    submit(root, "broken", TINY, {NB: "this is not a notebook"})
    graded = course(root, "autograde", TINY, "--workers", "2")
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    assert "(Score: 1.0 / 3.0)" in page(root, "wrong")
    good_before, broken_before = page(root, "good"), page(root, "broken")

    # the instructor gives wrong's test_double its 2 points by hand (the formgrader's manual grading)
    with Gradebook("sqlite:///" + str(root / "gradebook.db"), "nn-from-scratch") as gb:
        grade = gb.find_grade("test_double", TINY, TINY, "wrong")
        grade.manual_score = 2
        gb.db.commit()

    again = course(root, "feedback", TINY)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "Feedback written for 2 submission(s); 1 kept as they were:" in again.stdout, again.stdout
    assert "broken/zz_tiny: ungradable" in again.stdout, again.stdout
    wrong = page(root, "wrong")
    assert "(Score: 3.0 / 3.0)" in wrong, wrong[:2000]
    # the course's preprocessors ran: the hidden tests are cleared, as at grading time
    assert "square(-3)" not in wrong and "double(5) == 10" not in wrong
    assert "HIDDEN TESTS" not in wrong
    assert "(Score: 3.0 / 3.0)" in page(root, "good") and page(root, "good") != ""
    assert page(root, "broken") == broken_before  # its page says why it could not be graded
    assert good_before.count("Score: 3.0 / 3.0") == page(root, "good").count("Score: 3.0 / 3.0")

    # one student only, and a clear refusal while a run holds the course
    only = course(root, "feedback", TINY, "--student", "good")
    assert "Feedback written for 1 submission(s)." in only.stdout, only.stdout
    with autograde.run_lock(root):
        busy = course(root, "feedback", TINY)
    assert busy.returncode == 2 and "Another `course autograde` is running" in busy.stderr, busy.stderr
