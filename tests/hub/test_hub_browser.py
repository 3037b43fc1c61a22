"""The semester's loop on the course hub in a browser (Debian's Chromium through Playwright,
everything on loopback):

- the instructor logs in on the hub's login page and releases 02_moons from the formgrader;
- two students log in, fetch it in the Assignment List, answer (cleo: the complete example, dan:
  the example with mistakes), press Validate (dan's dialog shows his failing checks, cleo's says
  success) and submit; a third (eve) hands in a hostile cell that reads the course folder and
  another student's work and patches the grading helpers;
- the instructor collects, presses Autograde for each (`course autograde`, sandboxed), grades
  cleo's written answers by hand in the formgrader, generates feedback (`course feedback`) and
  releases it;
- each student fetches their feedback in the Assignment List and finds their own points and
  nothing of the hidden tests; eve's hostile cell found nothing and earned nothing.

The students' answers are written through Jupyter's contents API with the student's own token
(typing a whole notebook in the browser would only test JupyterLab). Screenshots of each step go
to artifacts/screenshots/hub-*.png. Accounts carry the prefix `nnhubw-` (test_course_hub.py's are
`nnhub-`), so both modules can run at once on two pytest workers.
"""
from __future__ import annotations

import html as html_mod
import json
import re
import sqlite3
import time

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import ROOT
from course.instructor.hub import accounts
from hubtools import COURSE_ID, autograded_max, course_hub, hidden_test_lines, hostile_notebook, ok, run_in_kernel


PREFIX = "nnhubw-"
INSTRUCTOR = PREFIX + "teach"
COMPLETE, MISTAKES, HOSTILE = PREFIX + "cleo", PREFIX + "dan", PREFIX + "eve"
WRITTEN = ["recap_shape", "recap_logreg", "recap_params", "recap_features"]  # 02's answers in words
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
    with course_hub(PREFIX, [INSTRUCTOR], [COMPLETE, MISTAKES, HOSTILE]) as running:
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


def formgrader_frame(page):
    nbgrader_menu(page, "open-formgrader")
    return page.frame_locator(".jp-MainAreaWidget iframe").first


def formgrader_page(page):
    """The formgrader's own page (a Frame, which can be sent to a URL)."""
    return next(f for f in page.frames if "/formgrader" in f.url)


def manage_assignments(page):
    """Back to the formgrader's list of assignments."""
    frame = formgrader_page(page)
    frame.goto(re.sub(r"/formgrader/.*", "/formgrader/manage_assignments", frame.url))
    return page.frame_locator(".jp-MainAreaWidget iframe").first


def answer(hub, student: str, nb: dict) -> None:
    ok(hub.client(student).request("PUT", f"/user/{student}/api/contents/{ASSIGNMENT}/{NOTEBOOK}",
                                   {"type": "notebook", "format": "json", "content": nb}), "save")


def fetch_answer_validate_submit(browser, hub, student: str, nb: dict) -> str:
    """The student's loop in the Assignment List; returns the Validate dialog's text."""
    page = log_in(browser, hub, student)
    nbgrader_menu(page, "open-assignment-list")
    released = page.locator("#released_assignments_list")
    expect(released).to_contain_text(ASSIGNMENT)
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list")
    expect(fetched).to_contain_text(ASSIGNMENT)
    answer(hub, student, nb)
    fetched.locator(".fa-caret-right").first.click()  # the assignment's notebooks, each with Validate
    fetched.get_by_role("button", name="Validate").click()
    dialog = page.locator("#validation-message")
    dialog.wait_for(timeout=GRADING_MS)
    text = dialog.inner_text()
    shoot(page, f"3-{student}-validated")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    fetched.get_by_role("button", name="Submit").click()
    expect(page.locator("#submitted_assignments_list")).to_contain_text(ASSIGNMENT)
    shoot(page, f"4-{student}-submitted")
    return text


def fetch_feedback(browser, hub, student: str) -> str:
    """The student fetches their feedback in the Assignment List and opens it; returns its text."""
    page = log_in(browser, hub, student)
    nbgrader_menu(page, "open-assignment-list")
    submitted = page.locator("#submitted_assignments_list")
    submitted.get_by_role("button", name="Fetch Feedback").click()
    expect(submitted).to_contain_text("view feedback")
    pages = list((accounts.home(student) / ASSIGNMENT / "feedback").rglob("*.html"))
    assert len(pages) == 1, pages
    page.goto(f"{hub.url}/user/{student}/files/{pages[0].relative_to(accounts.home(student))}")
    shoot(page, f"9-{student}-feedback")
    # the page's text, as the student reads it
    return html_mod.unescape(re.sub(r"<[^>]+>", "", pages[0].read_text()))


def test_the_semester_loop_in_the_browser(hub, browser):
    expect.set_options(timeout=STEP_MS)
    teacher = log_in(browser, hub, INSTRUCTOR)
    shoot(teacher, "1-instructor-lab")
    formgrader = formgrader_frame(teacher)
    row = formgrader.locator("tr", has_text=ASSIGNMENT).first
    row.locator("td.release a").click()
    expect(formgrader.locator("#success-modal")).to_contain_text(f"Successfully released '{ASSIGNMENT}'")
    shoot(teacher, "2-released")
    close_modal(formgrader)

    examples = ROOT / "tests" / "submissions"
    complete = json.loads((examples / "complete" / ASSIGNMENT / NOTEBOOK).read_text())
    mistakes = json.loads((examples / "mistakes" / ASSIGNMENT / NOTEBOOK).read_text())
    said = fetch_answer_validate_submit(browser, hub, COMPLETE, complete)
    assert "Success! Your notebook passes all the tests." in said, said
    said = fetch_answer_validate_submit(browser, hub, MISTAKES, mistakes)
    # the mistakes show: each failing cell's checklist, every failed check with its message
    assert "The following cell failed:" in said and "Success" not in said, said[:3000]
    assert re.search(r"\d+ of \d+ checks failed:\n\[FAIL\] ", said), said[:3000]
    assert "points held by hidden checks, run when the notebook is graded" in said, said[:3000]
    # eve: the same loop through her server's API, with the hostile cell (no Validate: she knows)
    eve = hub.client(HOSTILE)
    ok(eve.request("POST", f"/user/{HOSTILE}/assignments/fetch",
                   {"assignment_id": ASSIGNMENT, "course_id": COURSE_ID}), "fetch")
    answer(hub, HOSTILE, hostile_notebook(accounts.home(INSTRUCTOR), accounts.home(COMPLETE)))
    ok(eve.request("POST", f"/user/{HOSTILE}/assignments/submit",
                   {"assignment_id": ASSIGNMENT, "course_id": COURSE_ID}), "submit")

    teacher.reload()
    teacher.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for()
    formgrader = formgrader_frame(teacher)
    formgrader.locator("tr", has_text=ASSIGNMENT).first.locator("td.collect a").click()
    expect(formgrader.locator("#success-modal")).to_contain_text("Successfully collected")
    close_modal(formgrader)
    formgrader.locator("tr", has_text=ASSIGNMENT).first.locator("td.num-submissions a").click()
    for student in (COMPLETE, MISTAKES, HOSTILE):
        formgrader.locator("tr", has_text=student).first.locator("td.autograde a").click()
        modal = formgrader.locator("#success-modal")
        expect(modal).to_contain_text(f"Successfully autograded '{ASSIGNMENT}' for student '{student}'",
                                      timeout=GRADING_MS)
        log = modal.locator("pre").first.inner_text()
        # the button ran the course's grader: its lines, its sandbox
        assert f"{student}/{ASSIGNMENT}:" in log and "points" in log, log[-3000:]
        assert "Executing notebook" not in log and "WITHOUT a sandbox" not in log, log[-3000:]
        close_modal(formgrader)
    shoot(teacher, "5-autograded")

    full = autograded_max(ROOT / "source" / ASSIGNMENT / NOTEBOOK)
    gradebook = accounts.home(INSTRUCTOR) / "course" / "gradebook.db"

    def totals() -> dict[str, float]:
        with sqlite3.connect(gradebook) as db:
            return dict(db.execute(
                "SELECT student.id, SUM(COALESCE(grade.manual_score, grade.auto_score, 0)) FROM grade "
                "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
                "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
                "JOIN student ON submitted_assignment.student_id = student.id GROUP BY student.id"))

    scores = totals()
    assert scores[COMPLETE] == full and scores[HOSTILE] == 0 and 0 < scores[MISTAKES] < full, (scores, full)
    expect(formgrader.locator("tr", has_text=COMPLETE).first.locator("td.score")).to_contain_text(f"{full:g} / ")

    # cleo's written answers, graded by hand in the formgrader (one point each)
    with sqlite3.connect(gradebook) as db:
        (submission,) = db.execute(
            "SELECT submitted_notebook.id FROM submitted_notebook "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
            "WHERE submitted_assignment.student_id = ?", (COMPLETE,)).fetchone()
    frame = formgrader_page(teacher)
    frame.goto(re.sub(r"/formgrader/.*", f"/formgrader/submissions/{submission}/", frame.url))
    grading = teacher.frame_locator(".jp-MainAreaWidget iframe").first
    # the page's grade views are bound once the gradebook's grades arrive (a box typed into before
    # that is reset by them): each sets its extra-credit box's placeholder then
    expect(grading.locator("input.extra-credit")).to_have_count(13)
    expect(grading.locator("input.extra-credit:not([placeholder])")).to_have_count(0)
    for grade_id in WRITTEN:  # every graded cell has a score box (to override); these four wait for one
        box = grading.locator(f"input.score#{grade_id}")
        box.fill("1")
        box.press("Tab")  # the formgrader saves a score on change
    shoot(teacher, "6-graded-by-hand")
    deadline = time.monotonic() + STEP_MS / 1000
    while totals()[COMPLETE] != full + 4 and time.monotonic() < deadline:
        time.sleep(1)
    assert totals()[COMPLETE] == full + 4, totals()

    formgrader = manage_assignments(teacher)
    formgrader.locator("tr", has_text=ASSIGNMENT).first.locator("td.generate-feedback a").click()
    modal = formgrader.locator("#success-modal")
    expect(modal).to_contain_text(f"Successfully generated feedback of '{ASSIGNMENT}'", timeout=GRADING_MS)
    close_modal(formgrader)
    formgrader.locator("tr", has_text=ASSIGNMENT).first.locator("td.release-feedback a").click()
    expect(formgrader.locator("#success-modal")).to_contain_text(f"Successfully released feedback of '{ASSIGNMENT}'")
    shoot(teacher, "7-feedback-released")
    close_modal(formgrader)

    hidden = hidden_test_lines(ROOT / "source" / ASSIGNMENT / NOTEBOOK, ROOT / "release" / ASSIGNMENT / NOTEBOOK,
                               examples / "complete" / ASSIGNMENT / NOTEBOOK)
    assert len(hidden) > 10
    final = totals()
    for student in (COMPLETE, MISTAKES, HOSTILE):
        text = fetch_feedback(browser, hub, student)
        assert f"{ASSIGNMENT} (Score: {final[student]:.1f} / " in text, (student, final, text[:1500])
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback shows hidden tests: {leaked[:3]}"
        if student == HOSTILE:
            # the hostile cell ran, in a sandbox where the course and cleo's home do not exist
            assert "HOSTILE ['FileNotFoundError', 'FileNotFoundError', 'FileNotFoundError']" in text, \
                re.findall(r"HOSTILE.{0,300}", text)
    assert final[COMPLETE] == full + 4 and final[HOSTILE] == 0


def test_from_a_students_kernel_the_course_and_the_others_are_out_of_reach(hub):
    """What a cell of dan's can reach, run in a kernel of his own server."""
    course = accounts.home(INSTRUCTOR) / "course"
    targets = {"source": course / "source" / ASSIGNMENT / NOTEBOOK, "gradebook": course / "gradebook.db",
               "cleo": accounts.home(COMPLETE) / ASSIGNMENT / NOTEBOOK}
    probe = f"""
import json, os, urllib.error, urllib.request
found = {{}}
try:
    import course.instructor
    found["course.instructor"] = "imported"
except ImportError:
    found["course.instructor"] = "ImportError"
for name, path in {({k: str(v) for k, v in targets.items()})!r}.items():
    try:
        open(path, "rb").read(10)
        found[name] = "read"
    except OSError as error:
        found[name] = type(error).__name__

class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
found["own token"] = bool(token)
for name, headers in [("cleo's server, dan's token", {{"Authorization": "token " + token}}),
                      ("cleo's server, no token", {{}})]:
    request = urllib.request.Request({hub.url!r} + "/user/{COMPLETE}/api/contents/{ASSIGNMENT}", headers=headers)
    try:
        found[name] = urllib.request.build_opener(Stay).open(request, timeout=60).status
    except urllib.error.HTTPError as error:
        found[name] = error.code
print("PROBE", json.dumps(found))
"""
    said = run_in_kernel(hub, MISTAKES, probe)
    found = json.loads(said.split("PROBE", 1)[1]) if "PROBE" in said else said
    assert found["course.instructor"] == "ImportError", found
    assert found["source"] == found["gradebook"] == found["cleo"] == "PermissionError", found
    assert found["own token"] is True, found
    # refused: 403 (not hers), or a redirect to the hub's login page; never her notebooks
    assert found["cleo's server, dan's token"] in (403, 404), found
    assert found["cleo's server, no token"] in (302, 403), found
