"""A student in JupyterLab (`course lab --student`), in headless Chromium: fill in a TODO cell,
run it and its visible test, press nbgrader's Validate, read the result from the page."""
from __future__ import annotations

import json
import re
import shutil
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

from conftest import ROOT
from labtools import (browser_context, code_cell, error_outputs, kit_venvs, open_notebook, page,  # noqa: F401
                      press_validate, run_cell, shoot, student_lab, wait_executed)

ASSIGNMENT = "02_moons"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
SIGMOID = "return 1 / (1 + np.exp(-x))"


def graded_cells(assignment: str = ASSIGNMENT) -> tuple[dict[str, str], int]:
    """The student notebook's autograded test cells (grade_id -> source), and how many free-text
    answer cells it has (they all read "YOUR ANSWER HERE" until answered)."""
    nb = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    tests = {c.metadata["nbgrader"]["grade_id"]: c.source.strip() for c in graded
             if c.cell_type == "code" and not c.metadata["nbgrader"].get("solution")}
    return tests, sum(c.cell_type == "markdown" for c in graded)


def failing(failed: list[tuple[str, str]]) -> tuple[set[str], int]:
    """What the Validate dialog lists: the failing test cells' grade_ids, and the number of
    free-text answers it says were not given."""
    tests, _ = graded_cells()
    by_source = {source: grade_id for grade_id, source in tests.items()}
    unanswered = [error for source, error in failed if source.strip() == "YOUR ANSWER HERE"]
    assert all(e == "You did not provide a response." for e in unanswered), unanswered
    code = [(source, error) for source, error in failed if source.strip() != "YOUR ANSWER HERE"]
    unknown = [source[:80] for source, _ in code if source.strip() not in by_source]
    assert not unknown, f"the dialog lists cells that are not test cells: {unknown}"
    ids = {by_source[source.strip()]: error for source, error in code}
    # Each failing test shows the exception the student will see: NotImplementedError from an
    # exercise not done yet, or (test_mlp) a NameError for the model its TODO cell should make.
    assert all(re.search(r"\b(NotImplementedError|NameError)\b", e) for e in ids.values()), ids
    return set(ids), len(unanswered)


def shoot_scrolled(page, dialog, shoot, scroll_to: str) -> None:
    """The Validate dialog scrolled to the failing cell containing `scroll_to`."""
    failure = dialog.locator(".validation-failed .jp-RenderedText pre", has_text=scroll_to).first
    failure.evaluate("node => node.scrollIntoView({block: 'end'})")
    shoot(page, "validate-result-scrolled")


@pytest.fixture
def fresh_notebook(student_lab):
    """The student's notebook as released, and no kernel left running afterwards."""
    target = student_lab.folder / NOTEBOOK
    shutil.copy(ROOT / "release" / NOTEBOOK, target)
    shutil.rmtree(target.parent / ".ipynb_checkpoints", ignore_errors=True)
    yield NOTEBOOK
    request = urllib.request.Request(student_lab.url("api/kernels"))
    for kernel in json.load(urllib.request.urlopen(request)):
        urllib.request.urlopen(urllib.request.Request(
            student_lab.url(f"api/kernels/{kernel['id']}"), method="DELETE"))


def test_student_writes_sigmoid_runs_its_test_and_validates(page, student_lab, fresh_notebook, shoot):
    notebook = open_notebook(page, student_lab, fresh_notebook)

    # The first cells: the environment check, the imports, the data and its plot.
    check = code_cell(notebook, "check_environment(kit=")
    run_cell(check)
    expect(check.locator(".jp-OutputArea-output")).to_contain_text("Environment OK: Python 3.")
    run_cell(code_cell(notebook, "import numpy as np"))
    data = code_cell(notebook, "X, y = make_moons(n_samples=50")
    run_cell(data)
    expect(data.locator(".jp-OutputArea-output img")).to_have_count(1)  # the plot shows inline
    assert not error_outputs(check) + error_outputs(data)
    data.locator(".jp-OutputArea-output img").evaluate("node => node.scrollIntoView({block: 'end'})")
    shoot(page, "environment-checked-and-data-plotted")

    # Replace the TODO cell's `raise NotImplementedError()` by a correct sigmoid, as typed.
    sigmoid = code_cell(notebook, "def sigmoid(x):")
    sigmoid.locator(".cm-line", has_text="raise NotImplementedError()").click()
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    page.keyboard.type(SIGMOID)
    source = sigmoid.locator(".cm-content").inner_text()
    assert SIGMOID in source and "NotImplementedError" not in source, source
    page.keyboard.press("Shift+Enter")
    wait_executed(sigmoid)
    assert not error_outputs(sigmoid)

    test = code_cell(notebook, "np.round(np.asarray(sigmoid(a), dtype=float), 2) == expected")
    run_cell(test)
    assert not error_outputs(test), error_outputs(test)
    test.scroll_into_view_if_needed()
    shoot(page, "sigmoid-written-and-its-test-passed")

    dialog, kind, failed = press_validate(page)
    shoot(page, "validate-result")
    text = dialog.inner_text()
    assert kind == "error" and "error running the validate command" not in text, text
    # Only what the student has not done yet fails: the sigmoid passes.
    tests, free_text = graded_cells()
    assert failing(failed) == (set(tests) - {"test_sigmoid"}, free_text), text
    # In the dialog, add_bias's failure is followed by log_loss's: the sigmoid is not listed.
    shoot_scrolled(page, dialog, shoot, scroll_to="np.asarray(log_loss(a, b), dtype=float)")


def test_untouched_notebook_validates_to_a_list_of_failing_cells(page, student_lab, fresh_notebook, shoot):
    open_notebook(page, student_lab, fresh_notebook)
    shoot(page, "opened")
    dialog, kind, failed = press_validate(page)
    shoot(page, "validate-result")
    text = dialog.inner_text()
    assert kind == "error" and "error running the validate command" not in text, text
    assert "The following cell failed:" in text, text
    tests, free_text = graded_cells()
    assert failing(failed) == (set(tests), free_text), text  # every test cell and answer, no crash
    shoot_scrolled(page, dialog, shoot, scroll_to="np.asarray(sigmoid(a), dtype=float)")
    dialog.locator("button.jp-Dialog-button").click()

    # Menu Nbgrader > Assignment List: the assignment is there, downloaded, with Submit.
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    # Students get no formgrader (the kit's Jupyter settings turn it off), only their assignments.
    menu = page.locator(".lm-Menu")
    expect(menu).to_contain_text("Assignment List")
    expect(menu).not_to_contain_text("Formgrader")
    page.locator("li[data-command='nbgrader:open-assignment-list']").click()
    downloaded = page.locator("#fetched_assignments_list")
    expect(downloaded.locator(".list_item").first).to_contain_text(ASSIGNMENT)
    expect(downloaded.get_by_role("button", name="Submit")).to_have_count(1)
    shoot(page, "assignment-list")


PROBE = """import course, json, os, sys
places = {p: os.path.exists(p) for p in ("../solutions", "../source", "../tests", "../release",
                                         "../../solutions", "../../source")}
print(json.dumps({"course": course.__file__, "prefix": sys.prefix, "places": places,
                  "environ": dict(os.environ), "sys_path": sys.path}))"""


def test_the_student_preview_is_the_kit_alone(page, student_lab, shoot, tmp_path):
    """`course lab --student` serves the kit: the file browser lists the kit and nothing of the
    course; a kernel imports `course` from the kit's own environment, and neither `..` nor any
    path in its environment leads into the course folder."""
    kit = student_lab.folder
    assert (kit / "requirements.txt").is_file() and not (kit / "source").exists()
    # a fresh workspace: the earlier tests' workspace would reopen the file browser in 02_moons/
    page.goto(student_lab.url("lab/workspaces/kit-files?reset"))
    listing = page.locator(".jp-DirListing-content .jp-DirListing-itemName")
    expect(listing.filter(has_text=re.compile(r"^\s*requirements\.txt\s*$"))).to_have_count(1, timeout=60_000)
    shoot(page, "student-kit-file-browser")
    shown = {name.strip() for name in listing.all_inner_texts()}
    expected = {p.name for p in kit.iterdir() if not p.name.startswith(".")}
    assert shown == expected, f"the file browser shows {sorted(shown)}, the kit holds {sorted(expected)}"
    assert not shown & {"source", "solutions", "tests", "release", "gradebook.db", "exchange"}
    # JupyterLab's news toast (over the notebook's corner and Validate's dialog) is off in the kit
    disabled = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent)"
                             ".disabledExtensions")
    assert "@jupyterlab/apputils-extension:announcements" in disabled, disabled

    probe = kit / ASSIGNMENT / "probe.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, probe)
    try:
        # a workspace of its own: the earlier tests' notebooks stay closed
        page.goto(student_lab.url(f"lab/workspaces/kit-probe/tree/{ASSIGNMENT}/probe.ipynb"))
        page.locator("#jp-main-statusbar", has_text=re.compile(r"ipykernel\) \| Idle")).wait_for(timeout=120_000)
        notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        cell = code_cell(notebook, "import course, json")
        run_cell(cell)
        shoot(page, "student-kit-probe")
        text = cell.locator(".jp-OutputArea-output").first.inner_text()
        seen = json.loads(text)
    finally:
        probe.unlink()
        for kernel in json.load(urllib.request.urlopen(student_lab.url("api/kernels"))):
            urllib.request.urlopen(urllib.request.Request(
                student_lab.url(f"api/kernels/{kernel['id']}"), method="DELETE"))
    environment = Path(seen["prefix"]).resolve()
    assert Path(seen["course"]).resolve().is_relative_to(environment), seen["course"]
    assert not environment.is_relative_to(ROOT) and not environment.is_relative_to(student_lab.course_root)
    assert not any(seen["places"].values()), seen["places"]
    for course_folder in (str(ROOT), str(student_lab.course_root)):
        into = [f"{k}={v}" for k, v in seen["environ"].items() if course_folder in v]
        into += [p for p in seen["sys_path"] if course_folder in p]
        assert not into, f"the kernel's environment points into {course_folder}: {into}"


def test_validate_shows_each_failed_checks_message_whole(page, student_lab, shoot):
    """The `mistakes` example's wrong backprop: the Validate dialog shows the check's message whole,
    wrapped to the dialog's width (what was checked, the tolerance, both arrays), not cut at its edge."""
    target = student_lab.folder / ASSIGNMENT / "mistakes.ipynb"
    shutil.copy(ROOT / "tests" / "submissions" / "mistakes" / NOTEBOOK, target)
    try:
        # a workspace of its own: the earlier tests' notebooks stay closed
        page.goto(student_lab.url(f"lab/workspaces/kit-mistakes/tree/{ASSIGNMENT}/mistakes.ipynb"))
        page.locator("#jp-main-statusbar", has_text=re.compile(r"ipykernel\) \| Idle")).wait_for(timeout=120_000)
        dialog, kind, failed = press_validate(page)
        assert kind == "error", dialog.inner_text()
        (error,) = [e for _, e in failed if "wO_new" in e]
        text = " ".join(error.split())
        for piece in ("(wO - wO_new) / LR, the output weights' step divided by LR, should be dL/dwO",
                      "if any of their tests fail, fix them first): does not match the numerical gradient",
                      "tolerance 1e-05)", "numerical: array of shape (4, 1)", "yours: array of shape (4, 1)"):
            assert piece in text, f"{piece!r} not in the dialog's message:\n{error}"
        shown = dialog.locator(".validation-failed .jp-RenderedText pre", has_text="wO_new").last
        shown.evaluate("node => node.scrollIntoView({block: 'end'})")
        shoot(page, "validate-backprop-message")
        widths = shown.evaluate("node => [node.scrollWidth, node.clientWidth]")
        assert widths[0] <= widths[1], f"the message is wider than the dialog (scrollWidth, clientWidth): {widths}"
    finally:
        target.unlink(missing_ok=True)
        for kernel in json.load(urllib.request.urlopen(student_lab.url("api/kernels"))):
            urllib.request.urlopen(urllib.request.Request(
                student_lab.url(f"api/kernels/{kernel['id']}"), method="DELETE"))
