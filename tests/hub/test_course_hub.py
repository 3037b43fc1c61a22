"""The course on a real JupyterHub: a semester's loop, end to end, and who can read what.

One hub (hub/jupyterhub_config.py, set up by course.instructor.hub.server as `course hub` does)
on loopback, with real Linux accounts (prefix `nnhub-`, removed before and after) logging in
through PAM with test passwords, the local spawner, and nbgrader's exchange in a scratch folder.
Everything a user does goes through that user's own single-user server behind the hub's proxy,
with that user's API token (the formgrader's and the Assignment List's REST endpoints, Jupyter's
contents API); the formgrader's Autograde runs `course autograde` (course.instructor.formgrader).
The isolation checks run commands as a student's account with the environment the hub gives
that student's server (what a terminal in their JupyterLab gets).

Needs root (accounts, the spawner) and fails without it. The two environments are built once
into COURSE_HUB_ENVS (default /opt/nn-course-hub/envs) and reused.
"""
from __future__ import annotations

import html as html_mod
import json
import pwd
import re
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import ROOT
from course.instructor.hub import accounts
from hubtools import COURSE_ID, autograded_max, course_hub, hidden_test_lines, hostile_notebook, ok, pam_login

PREFIX = "nnhub-"
INSTRUCTOR = PREFIX + "teach"
# ada hands in the complete example, bob the blank notebook, eve a blank one with a hostile cell
COMPLETE, BLANK, HOSTILE = PREFIX + "ada", PREFIX + "bob", PREFIX + "eve"
STUDENTS = [COMPLETE, BLANK, HOSTILE]
ASSIGNMENT = "02_moons"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


@pytest.fixture(scope="module")
def hub():
    with course_hub(PREFIX, [INSTRUCTOR], STUDENTS) as running:
        yield running


def test_login_through_pam_only_with_the_right_password(hub):
    url = hub.url
    assert pam_login(url, COMPLETE, hub.passwords[COMPLETE]) == 302
    assert pam_login(url, COMPLETE, hub.passwords[BLANK]) == 403
    assert pam_login(url, "root", "root") == 403  # not a course user


def test_semester_loop(hub):
    started = time.monotonic()
    teacher = hub.client(INSTRUCTOR)
    base = f"/user/{INSTRUCTOR}"

    # the instructor releases from the formgrader: release/02_moons into the shared exchange
    released = ok(teacher.request("POST", f"{base}/formgrader/api/assignment/{ASSIGNMENT}/release"), "release")
    assert released["success"], released

    # each student fetches it in the Assignment List, writes, validates, submits
    for student in STUDENTS:
        me = hub.client(student)
        mine = f"/user/{student}"
        listed = ok(me.request("GET", f"{mine}/assignments?course_id={COURSE_ID}"), "list")
        assert listed["success"] and [a["assignment_id"] for a in listed["value"]] == [ASSIGNMENT]
        ok(me.request("POST", f"{mine}/assignments/fetch",
                      {"assignment_id": ASSIGNMENT, "course_id": COURSE_ID}), "fetch")
        if student == HOSTILE:
            nb = hostile_notebook(accounts.home(INSTRUCTOR), accounts.home(COMPLETE))
        else:
            example = "complete" if student == COMPLETE else "untouched"
            nb = json.loads((ROOT / "tests" / "submissions" / example / ASSIGNMENT / NOTEBOOK).read_text())
        ok(me.request("PUT", f"{mine}/api/contents/{ASSIGNMENT}/{NOTEBOOK}",
                      {"type": "notebook", "format": "json", "content": nb}), "save")
        fetched = accounts.home(student) / ASSIGNMENT / NOTEBOOK
        assert fetched.stat().st_uid == pwd.getpwnam(student).pw_uid  # written by their own server
        if student != HOSTILE:
            validated = ok(me.request("POST", f"{mine}/assignments/validate",
                                      {"path": f"{ASSIGNMENT}/{NOTEBOOK}"}), "validate")
            assert validated["success"], validated
            failed = validated["value"].get("failed", [])
            assert bool(failed) == (student == BLANK), (student, validated["value"])
        submitted = ok(me.request("POST", f"{mine}/assignments/submit",
                                  {"assignment_id": ASSIGNMENT, "course_id": COURSE_ID}), "submit")
        assert submitted["success"], submitted

    # the instructor collects, then grades: ada's and bob's with `course autograde` in a terminal
    # of their server (one run, two workers), eve's with the formgrader's Autograde button, which
    # runs `course autograde` too (course.instructor.formgrader); sandboxed, two processes each
    collected = ok(teacher.request("POST", f"{base}/formgrader/api/assignment/{ASSIGNMENT}/collect"), "collect")
    assert collected["success"], collected
    course = accounts.home(INSTRUCTOR) / "course"
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(STUDENTS)
    graded_at = time.monotonic()
    run = hub.as_user(INSTRUCTOR, "course", "autograde", ASSIGNMENT, "--student", COMPLETE,
                  "--student", BLANK, "--workers", "2", cwd=course)
    print(f"course autograde (terminal) took {time.monotonic() - graded_at:.1f} s:\n{run.stdout[-1000:]}")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "WITHOUT a sandbox" not in run.stdout + run.stderr
    graded_at = time.monotonic()
    result = ok(teacher.request("POST", f"{base}/formgrader/api/submission/{ASSIGNMENT}/{HOSTILE}/autograde",
                                timeout=900), "autograde")
    print(f"Autograde button ({HOSTILE}) took {time.monotonic() - graded_at:.1f} s:\n{result.get('log', '')[-800:]}")
    assert result["success"], result
    # course autograde's own lines, never stock nbgrader's "Executing notebook"
    assert f"{HOSTILE}/{ASSIGNMENT}:" in result["log"] and "points" in result["log"], result["log"][-3000:]
    assert "Executing notebook" not in result["log"] and "WITHOUT a sandbox" not in result["log"]
    assert (course / "reports" / ASSIGNMENT / "report.md").is_file()
    full = autograded_max(ROOT / "source" / ASSIGNMENT / NOTEBOOK)
    with sqlite3.connect(course / "gradebook.db") as db:
        scores = dict(db.execute(
            "SELECT student.id, SUM(COALESCE(grade.manual_score, grade.auto_score, 0)) FROM grade "
            "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
            "JOIN student ON submitted_assignment.student_id = student.id GROUP BY student.id"))
    assert scores == {COMPLETE: full, BLANK: 0, HOSTILE: 0}, scores
    # the grading ran as the instructor's own (non-root) account
    assert (course / "gradebook.db").stat().st_uid == pwd.getpwnam(INSTRUCTOR).pw_uid

    # feedback back through the exchange; each student fetches their own
    released = ok(teacher.request("POST", f"{base}/formgrader/api/assignment/{ASSIGNMENT}/release_feedback"),
                  "release_feedback")
    assert released["success"], released
    hidden_lines = hidden_test_lines(ROOT / "source" / ASSIGNMENT / NOTEBOOK, ROOT / "release" / ASSIGNMENT / NOTEBOOK,
                                     ROOT / "tests" / "submissions" / "complete" / ASSIGNMENT / NOTEBOOK)
    assert len(hidden_lines) > 10
    for student, points in [(COMPLETE, full), (BLANK, 0), (HOSTILE, 0)]:
        me = hub.client(student)
        ok(me.request("POST", f"/user/{student}/assignments/fetch_feedback",
                      {"assignment_id": ASSIGNMENT, "course_id": COURSE_ID}), "fetch_feedback")
        pages = list((accounts.home(student) / ASSIGNMENT / "feedback").rglob("*.html"))
        assert len(pages) == 1, pages
        html = pages[0].read_text()
        assert f"{ASSIGNMENT} (Score: {points:.1f} / " in html, html[:2000]
        assert "HIDDEN TESTS" not in html
        # the page's text, without the syntax highlighting's tags, as a reader sees it
        text = html_mod.unescape(re.sub(r"<[^>]+>", "", html))
        assert "def sigmoid" in text or "sigmoid(" in text  # the student's own code is there
        leaked = [line for line in hidden_lines if line in text]
        assert not leaked, f"{student}'s feedback shows hidden tests: {leaked[:3]}"
        if student == HOSTILE:
            # the hostile cell ran, in a sandbox where the course and ada's home do not exist
            assert "HOSTILE ['FileNotFoundError', 'FileNotFoundError', 'FileNotFoundError']" in text, \
                re.findall(r"HOSTILE.{0,300}", text)
    # the course's tamper report names eve (her reads and patches), not ada
    from course.instructor.autograde.report import md
    tamper = (course / "reports" / ASSIGNMENT / "report.md").read_text().split("## Tamper report", 1)[1]
    assert f"### {md(HOSTILE)}" in tamper and f"### {md(COMPLETE)}" not in tamper, tamper[-3000:]
    print(f"semester loop took {time.monotonic() - started:.1f} s")


# --- isolation: what a student's account and server can reach ---------------------------------

def test_student_cannot_read_other_students_or_the_instructor(hub):
    settings = hub.settings
    me, other = BLANK, COMPLETE
    course = accounts.home(INSTRUCTOR) / "course"
    exchange = Path(settings.state) / "exchange" / COURSE_ID
    targets = {
        "the instructor's source/": course / "source" / ASSIGNMENT / NOTEBOOK,
        "the instructor's gradebook": course / "gradebook.db",
        "the collected submissions": course / "submitted" / other / ASSIGNMENT / NOTEBOOK,
        "another student's home": accounts.home(other) / ASSIGNMENT / NOTEBOOK,
        "the hub's database": Path(settings.state) / "hub" / "jupyterhub.sqlite",
    }
    for what, path in targets.items():
        assert path.exists(), f"{what} should exist for this check: {path}"
        read = hub.as_user(me, "cat", str(path))
        assert read.returncode != 0 and "Permission denied" in read.stderr, f"{me} read {what}"
    # nbgrader's inbound folder is write-only for students: nobody else's submission can be listed
    listing = hub.as_user(me, "ls", str(exchange / "inbound"))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr, listing.stdout
    # neither can the feedback folder (its files are reachable only by their hash: nbgrader's design)
    listing = hub.as_user(me, "ls", str(exchange / "feedback"))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr, listing.stdout
    # nor can they put anything into the released assignment
    write = hub.as_user(me, "touch", str(exchange / "outbound" / ASSIGNMENT / "planted.py"))
    assert write.returncode != 0


def test_student_environment_has_no_instructor_tools(hub):
    probe = hub.as_user(BLANK, "python", "-c",
                        "import course, course.grading\n"
                        "try:\n    import course.instructor\nexcept ImportError:\n    print('no instructor')\n"
                        "import nbgrader.server_extensions.formgrader\n")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "no instructor"
    assert str(ROOT) not in hub.as_user(BLANK, "python", "-c", "import sys, course; print(sys.path, course.__file__)").stdout
    # the student's server runs without the formgrader extension
    me = hub.client(BLANK)
    status, _ = me.request("GET", f"/user/{BLANK}/formgrader/api/status")
    assert status == 404


def test_a_students_server_refuses_another_students_token(hub):
    mallory = hub.client(BLANK)
    hub.client(COMPLETE)  # ada's server runs
    status, _ = mallory.request("GET", f"/user/{COMPLETE}/api/contents/{ASSIGNMENT}")
    assert status in (403, 404), status
    status, _ = mallory.request("GET", f"/user/{COMPLETE}/api/status")
    assert status in (403, 404), status
    # while her own token reads her folder: the refusal is about whose token it is
    status, _ = hub.client(COMPLETE).request("GET", f"/user/{COMPLETE}/api/contents/{ASSIGNMENT}")
    assert status == 200
