"""An instructor in JupyterLab (`course lab --instructor`), in headless Chromium: open the
formgrader from nbgrader's menu, see the autograded example submissions with their scores, open
one, give points to a free-text answer, and find them in the gradebook."""
from __future__ import annotations

import time

from nbgrader.api import Gradebook
from playwright.sync_api import expect

from course.instructor.demo import db_url
from labtools import browser_context, instructor_lab, page, shoot  # noqa: F401 (fixtures)

ASSIGNMENT = NOTEBOOK = "02_moons"
FREE_TEXT = "recap_shape"  # a manually graded answer cell of 02_moons
STUDENTS = ("complete", "mistakes", "untouched")


def course_root(lab):
    return lab.folder  # the instructor's JupyterLab serves the course folder itself


def gradebook_scores(lab) -> dict[str, tuple[float, float]]:
    with Gradebook(db_url(course_root(lab)), "nn-from-scratch") as gb:
        return {s: (gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, s).score,
                    gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, s).max_score) for s in STUDENTS}


def manual_score(lab, student: str):
    with Gradebook(db_url(course_root(lab)), "nn-from-scratch") as gb:
        return gb.find_grade(FREE_TEXT, NOTEBOOK, ASSIGNMENT, student).manual_score


def submission_rows(formgrader) -> dict[str, str]:
    """Show the students' names in the formgrader's submissions table; return each student's
    row as the instructor reads it."""
    rows = formgrader.locator("table tbody tr")
    expect(rows.first.locator("td.score")).not_to_be_empty()  # filled in by the page's scripts
    formgrader.locator("#toggle_names").click()  # "Show All Names" (anonymous by default)
    expect(formgrader.locator("#toggle_names")).to_have_text("Hide All Names")
    names = rows.locator("td.name a.name-shown")
    expect(names.first).to_be_visible()
    return {name: " ".join(row.inner_text().split())
            for name, row in zip(names.all_inner_texts(), rows.all())}


def score_text(score: float, maximum: float) -> str:
    return f"{score:g} / {maximum:g}"


def test_instructor_grades_a_free_text_answer_in_the_formgrader(page, instructor_lab, shoot):
    lab = instructor_lab
    before = gradebook_scores(lab)
    assert before["complete"][0] > before["mistakes"][0] > before["untouched"][0] == 0, before
    assert manual_score(lab, "complete") is None  # the free-text answer waits for a grade

    # JupyterLab, menu Nbgrader > Formgrader: the formgrader opens in a tab.
    page.goto(lab.url("lab"))
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator("li[data-command='nbgrader:open-formgrader']").click()
    formgrader = page.frame_locator(".jp-MainAreaWidget iframe").first
    expect(formgrader.locator("table").first).to_contain_text(ASSIGNMENT)
    expect(formgrader.get_by_text("exchange directory")).to_have_count(0)  # Release/Collect work
    disabled = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent)"
                             ".disabledExtensions")
    assert "@jupyterlab/apputils-extension:announcements" in disabled, disabled  # no news toast
    shoot(page, "formgrader-assignments")

    # Manual grading > 02_moons > 02_moons: the example submissions with their autograded scores.
    formgrader.get_by_role("link", name="Manual Grading").click()
    formgrader.get_by_role("link", name=ASSIGNMENT, exact=True).click()
    formgrader.locator(f"a[href$='/formgrader/gradebook/{ASSIGNMENT}/{NOTEBOOK}']").first.click()
    rows = submission_rows(formgrader)
    assert set(rows) == set(STUDENTS), rows
    for student, (score, maximum) in before.items():
        assert score_text(score, maximum) in rows[student], (student, rows[student])
    shoot(page, "submissions-with-scores")

    # Open the complete submission and give its first free-text answer 1 point.
    formgrader.get_by_role("link", name="complete", exact=True).click()
    points = formgrader.locator(f"input.score#{FREE_TEXT}")
    points.scroll_into_view_if_needed()
    points.fill("1")
    points.press("Tab")  # leaving the field saves the grade
    deadline = time.monotonic() + 30
    while manual_score(lab, "complete") != 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    points.scroll_into_view_if_needed()
    shoot(page, "free-text-answer-graded")

    # The gradebook holds the points, and the submission's total rose by them.
    assert manual_score(lab, "complete") == 1
    after = gradebook_scores(lab)
    assert after["complete"][0] == before["complete"][0] + 1, (before, after)

    # Back in the submissions table, the formgrader shows the new total.
    formgrader.locator(f"a[href$='/formgrader/gradebook/{ASSIGNMENT}/{NOTEBOOK}']").first.click()
    rows = submission_rows(formgrader)
    assert score_text(*after["complete"]) in rows["complete"], rows["complete"]
    shoot(page, "submissions-after-grading")
