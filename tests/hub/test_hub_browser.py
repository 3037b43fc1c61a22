"""The course hub in a browser (Debian's Chromium through Playwright, everything on loopback): the
instructor logs in on the hub's login page and releases 02_moons from the formgrader; a student
logs in, fetches it in the Assignment List and submits; the instructor collects and presses the
formgrader's Autograde button, which runs `course autograde` (sandboxed), and reads the score.

The student's answers are written through Jupyter's contents API with the student's own token
(typing a whole notebook in the browser would only test JupyterLab). Screenshots of each step go
to artifacts/screenshots/hub-*.png. Accounts carry the prefix `nnhubw-` (test_course_hub.py's are
`nnhub-`), so both modules can run at once on two pytest workers.
"""
from __future__ import annotations

import json
import re
import sqlite3

import nbformat
import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import ROOT
from course.instructor.hub import accounts
from hubtools import course_hub, ok

PREFIX = "nnhubw-"
INSTRUCTOR, STUDENT = PREFIX + "teach", PREFIX + "cleo"
ASSIGNMENT = "02_moons"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STEP_MS = 120_000      # one UI step on a busy 2-core machine
GRADING_MS = 900_000   # the Autograde button waits for `course autograde`


@pytest.fixture(scope="module")
def hub():
    with course_hub(PREFIX, [INSTRUCTOR], [STUDENT]) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shoot(page, step: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"hub-{step}.png"))


def log_in(browser, hub, user: str):
    """A browser of the user's own (its own cookies), logged in on the hub's login page and
    waiting in their JupyterLab."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP_MS)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords[user])
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{re.escape(user)}/lab"), timeout=STEP_MS)
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for()
    return page


def nbgrader_menu(page, command: str) -> None:
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(f"li[data-command='nbgrader:{command}']").click()


def close_modal(frame) -> None:
    frame.locator(".modal-footer button").first.click()
    expect(frame.locator(".modal")).to_have_count(0)


def test_release_fetch_submit_collect_autograde_in_the_browser(hub, browser):
    expect.set_options(timeout=STEP_MS)
    teacher = log_in(browser, hub, INSTRUCTOR)
    shoot(teacher, "1-instructor-lab")
    nbgrader_menu(teacher, "open-formgrader")
    formgrader = teacher.frame_locator(".jp-MainAreaWidget iframe").first
    row = formgrader.locator("tr", has_text=ASSIGNMENT).first
    row.locator("td.release a").click()
    expect(formgrader.locator("#success-modal")).to_contain_text(f"Successfully released '{ASSIGNMENT}'")
    shoot(teacher, "2-released")
    close_modal(formgrader)

    student = log_in(browser, hub, STUDENT)
    nbgrader_menu(student, "open-assignment-list")
    released = student.locator("#released_assignments_list")
    expect(released).to_contain_text(ASSIGNMENT)
    shoot(student, "3-assignment-list")
    released.get_by_role("button", name="Fetch").click()
    fetched = student.locator("#fetched_assignments_list")
    expect(fetched).to_contain_text(ASSIGNMENT)
    shoot(student, "4-fetched")
    # the answers: the complete example, saved by the student's own server
    nb = json.loads((ROOT / "tests" / "submissions" / "complete" / ASSIGNMENT / NOTEBOOK).read_text())
    ok(hub.client(STUDENT).request("PUT", f"/user/{STUDENT}/api/contents/{ASSIGNMENT}/{NOTEBOOK}",
                                   {"type": "notebook", "format": "json", "content": nb}), "save")
    fetched.get_by_role("button", name="Submit").click()
    expect(student.locator("#submitted_assignments_list")).to_contain_text(ASSIGNMENT)
    shoot(student, "5-submitted")

    teacher.reload()
    teacher.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for()
    nbgrader_menu(teacher, "open-formgrader")
    formgrader = teacher.frame_locator(".jp-MainAreaWidget iframe").first
    formgrader.locator("tr", has_text=ASSIGNMENT).first.locator("td.collect a").click()
    expect(formgrader.locator("#success-modal")).to_contain_text("Successfully collected")
    close_modal(formgrader)
    formgrader.locator("tr", has_text=ASSIGNMENT).first.locator("td.num-submissions a").click()
    submission = formgrader.locator("tr", has_text=STUDENT).first
    submission.locator("td.autograde a").click()
    modal = formgrader.locator("#success-modal")
    expect(modal).to_contain_text(f"Successfully autograded '{ASSIGNMENT}' for student '{STUDENT}'",
                                  timeout=GRADING_MS)
    log = modal.locator("pre").first.inner_text()
    shoot(teacher, "6-autograded")
    # the button ran the course's grader: its lines, its sandbox
    assert f"{STUDENT}/{ASSIGNMENT}:" in log and "points" in log, log[-3000:]
    assert "Executing notebook" not in log and "WITHOUT a sandbox" not in log, log[-3000:]
    close_modal(formgrader)

    source = nbformat.read(ROOT / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    full = sum(c.metadata["nbgrader"].get("points", 0) for c in source.cells
               if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution"))
    # the gradebook in the instructor's copy of the course
    with sqlite3.connect(accounts.home(INSTRUCTOR) / "course" / "gradebook.db") as db:
        (score,) = db.execute("SELECT SUM(COALESCE(manual_score, auto_score, 0)) FROM grade").fetchone()
    assert score == full, (score, full)
    # the formgrader's table shows it too
    expect(formgrader.locator("tr", has_text=STUDENT).first.locator("td.score")).to_contain_text(f"{full:g} / ")
    shoot(teacher, "7-score")
