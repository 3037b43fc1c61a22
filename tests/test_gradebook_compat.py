"""A gradebook and run journal written by earlier code (tests/fixtures/gradebook_before_releases)
are read by today's `course autograde`: it resumes without regrading them, and its report reads
them. One real run, one new submission of the tiny assignment; about 30 s.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from autograde_support import TINY, env_for, grades, make_course, submit, tiny_submission
from course.instructor.autograde import course_root
from course.instructor.autograde.config import db_url_of

FIXTURE = Path(__file__).parent / "fixtures" / "gradebook_before_releases"
OLD = {"good": (1, 2), "wrong": (1, 0), "deleted": (1, 2)}


def journal_rows(root: Path) -> dict[str, tuple]:
    with sqlite3.connect(root / "gradebook.db") as db:
        return {s: (a, f, t) for s, a, f, t in
                db.execute("select student, attempt, fingerprint, finished_at from course_autograde_journal")}


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("compat"), [])
    for name in ("source", "submitted"):
        shutil.copytree(FIXTURE / name, root / name)
    shutil.copy(FIXTURE / "gradebook.db", root / "gradebook.db")
    before = journal_rows(root)
    submit(root, "late", TINY, {f"{TINY}.ipynb": tiny_submission()})
    run = subprocess.run([sys.executable, "-m", "course.instructor", "autograde", TINY, "--workers", "1"],
                         cwd=root, env=env_for(root), capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    return {"root": root, "log": run.stdout, "before": before, "after": journal_rows(root),
            "grades": grades(db_url_of(course_root.course_config(root), root), TINY)}


def test_the_fixture_is_what_its_readme_says(resumed):
    assert sorted(resumed["before"]) == sorted(OLD) and all(row[0] == 1 for row in resumed["before"].values())


def test_already_graded_submissions_are_skipped_not_regraded(resumed):
    assert "4 submission(s) of zz_tiny: 3 already graded, 1 to grade" in resumed["log"]
    for student in OLD:
        assert resumed["after"][student] == resumed["before"][student]  # same attempt, same time: untouched
    assert resumed["after"]["late"][0] == 1
    for student, (square, double) in {**OLD, "late": (1, 2)}.items():
        cells = resumed["grades"][student]
        assert (cells["test_square"][0], cells["test_double"][0]) == (square, double), (student, cells)


def test_the_report_reads_the_old_rows(resumed):
    report = (resumed["root"] / "reports" / TINY / "report.md").read_text()
    assert "4 submission(s); mean total 2.50 of 3 points." in report
    assert "AssertionError: double(5) should be 10" in report  # `wrong`'s failure, from its old journal row
    table = report.split("## Tamper report", 1)[1]
    assert "| deleted | deleted a locked test cell (1) |" in table
    csv = (resumed["root"] / "reports" / "grades.csv").read_text()
    assert "zz_tiny,,,wrong,,,,1.0,0.0,1.0,3.0" in csv
    assert (resumed["root"] / "feedback" / "late" / TINY / f"{TINY}.html").is_file()


def test_feedback_that_cannot_be_written_is_named_not_a_grader_failure(resumed):
    # the fixture has the gradebook, not autograded/ (feedback is written from it): the three are
    # named once, their grades stand, and nothing FAILED (that would retry, and fail, every run)
    assert "FAILED" not in resumed["log"]
    assert ("3 graded submission(s) have no feedback and no autograded notebook to write it from "
            "(deleted/zz_tiny, good/zz_tiny, wrong/zz_tiny): their grades stand;") in resumed["log"]
