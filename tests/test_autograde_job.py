"""One job graded away from the course folder (`job.grade` in a bundle's folder), saved by `saving`.

Four of the tiny assignment's students are graded by `course autograde --workers 1` in one course
folder; then, in a second course folder, each is graded by `job.grade` in a folder unpacked from
the first's bundle and saved by `saving.save`. Grades, journal statuses and feedback must match.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from autograde_support import TINY, grades, make_course
from course.instructor.autograde import bundle, config, course_root, gradebook, journal, saving
from course.instructor.autograde import run as autograde
from course.instructor.autograde.job import JobSpec, LocalCourse, grade
from test_course_autograde_runs import EXPECTED, points, tiny_course


STUDENTS = ("good", "wrong", "dies", "echo")


def test_a_job_graded_elsewhere_saves_what_a_local_run_saves(tmp_path):
    local = tiny_course(tmp_path / "local", STUDENTS)
    autograde.run(local, [TINY], workers=1, log=lambda *_: None)
    local_url = config.db_url_of(course_root.course_config(local), local)
    expected = grades(local_url, TINY)
    assert {s: points(c) for s, c in expected.items()} == {s: EXPECTED[s] for s in STUDENTS}

    # the coordinator: a course folder with the submissions and the assignment registered
    coord = make_course(tmp_path / "coord", [])
    shutil.copytree(local / "source", coord / "source")
    shutil.copytree(local / "submitted", coord / "submitted")
    cfg = course_root.course_config(coord)
    notebooks = gradebook.assignment_notebooks(coord, cfg, [TINY], log=lambda *_: None)
    jobs = autograde.discover(coord, cfg, notebooks)
    url = config.db_url_of(cfg, coord)

    packed = bundle.make(coord, url, [TINY], tmp_path / "scratch")
    worker_root = bundle.unpack(packed, tmp_path / "worker")
    assert not (worker_root / "submitted").exists() and not (worker_root / "gradebook.db-journal").exists()
    course = LocalCourse(worker_root, {"CourseDirectory": {"db_url": f"sqlite:///{worker_root / 'gradebook.db'}"}},
                         sandboxed=True, shared_dir=course_root.prepare_shared_dir(worker_root))
    results = {}
    for job in jobs:
        spec = JobSpec.read(coord / "submitted" / job.student / TINY, job)
        result = grade(spec, course)
        assert result.status == "graded", result.outcome.message
        assert f"{TINY}.ipynb" in result.autograded and f"{TINY}.html" in result.feedback
        results[job.student] = result
        assert saving.save(coord, cfg, result, run_id="run-1")
    # the worker's folder keeps no student
    assert not any((worker_root / "submitted").iterdir())
    assert grades(f"sqlite:///{worker_root / 'gradebook.db'}", TINY) == {}

    assert grades(url, TINY) == expected
    rows = journal.read(url)
    assert {s: rows[(TINY, s)]["status"] for s in STUDENTS} == {s: "graded" for s in STUDENTS}
    assert all(rows[(TINY, s)]["attempt"] == 1 for s in STUDENTS)
    # the tamper scan ran on the worker: the student who printed the test's source is reported
    assert results["echo"].journal is not None and "notebooks" in results["echo"].journal
    local_rows = journal.read(local_url)
    for student in STUDENTS:
        assert rows[(TINY, student)]["result"]["notebooks"][TINY]["cells"] == \
            local_rows[(TINY, student)]["result"]["notebooks"][TINY]["cells"]
        page = coord / "feedback" / student / TINY / f"{TINY}.html"
        assert page.is_file() and "test_square" in page.read_text()

    # the same result again in the same run (a task Dask ran twice) is not saved twice
    assert not saving.save(coord, cfg, results["good"], run_id="run-1")
    assert journal.read(url)[(TINY, "good")]["attempt"] == 1
    # a later run (--regrade) saves it
    assert saving.save(coord, cfg, results["good"], run_id="run-2")
    assert journal.read(url)[(TINY, "good")]["attempt"] == 2
    assert grades(url, TINY) == expected
