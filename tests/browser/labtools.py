"""Fixtures and page helpers for the browser tests: Debian's Chromium driven by Playwright, and
JupyterLab servers started by `course.instructor.lab.start` (what `course lab` runs) on scratch copies of the
course. The test modules import the fixtures from here (a second conftest.py would shadow
tests/conftest.py, which the other tests import as `conftest`).

Screenshots of every step go to artifacts/screenshots/ (not committed) for reviewers.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT
from course.instructor import lab as course_lab

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
TIMEOUT_MS = 60_000  # one UI step on a busy 2-core machine


def _slow_machine_expectations() -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)  # Playwright's expect() waits 5 s by default


_slow_machine_expectations()

# What a scratch course needs: the package the kernels import, Jupyter's and nbgrader's config,
# the notebooks, and the example submissions the demo grades.
COURSE_FILES = ["course", "jupyter", "nbgrader_config.py", "requirements.txt", "source", "release", "tests/submissions"]

# JupyterLab settings for the tests only: no "fetch Jupyter news?" toast over the notebook, and
# every cell kept in the page (JupyterLab 4 otherwise leaves off-screen cells out of the DOM).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def scratch_course(path: Path) -> Path:
    """A copy of the course that a test may write into; the repository stays clean."""
    for name in COURSE_FILES:
        src, dst = ROOT / name, path / name
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
    return path


def start_lab(root: Path, role: str, scratch: Path, **kwargs) -> course_lab.Lab:
    """`course lab --<role>` on `root`, isolated from the user's Jupyter folders."""
    home = scratch / "jupyter-home"
    settings = home / "user-settings"
    for name, values in LAB_SETTINGS.items():
        target = settings / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    # Kernels talk over IPC sockets in the runtime folder, and a socket's path may not exceed
    # 107 bytes: a short folder of its own in /tmp, not one deep in pytest's scratch tree.
    runtime = Path(tempfile.mkdtemp(prefix="lab-rt-", dir="/tmp"))
    env = {"JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(runtime), "IPYTHONDIR": str(home / "ipython")}
    lab = course_lab.start(
        root, role, log_path=scratch / f"jupyterlab-{role}.log", env=env,
        extra_args=[f"--LabApp.user_settings_dir={settings}",
                    f"--LabApp.workspaces_dir={home / 'workspaces'}"], log=lambda *_: None, **kwargs)
    stop = lab.stop

    def stop_and_clean(*args, **kw):
        stop(*args, **kw)
        shutil.rmtree(runtime, ignore_errors=True)

    lab.stop = stop_and_clean
    return lab


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    """A headless Chromium with a fresh profile per test module (Playwright's sync API allows one
    at a time, and each module imports this fixture); each test opens its own page."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
                    "(`apt-get install chromium`, done by .ci/setup)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(TIMEOUT_MS)
        yield context
        context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    yield page
    page.close()


@pytest.fixture
def shoot(request):
    """shoot(page, "step") saves artifacts/screenshots/<test>-<n>-<step>.png and returns it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = request.node.name.removeprefix("test_")
    for old in SCREENSHOTS.glob(f"{test}-*.png"):
        old.unlink()
    count = 0

    def save(target, step: str) -> Path:
        nonlocal count
        count += 1
        path = SCREENSHOTS / f"{test}-{count}-{step}.png"
        target.screenshot(path=str(path))
        return path

    return save


@pytest.fixture(scope="session")
def kit_venvs(tmp_path_factory) -> Path:
    """Where the kit's virtual environment is kept: one per test session (kit_support)."""
    from kit_support import kit_venvs_dir

    return kit_venvs_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory, kit_venvs):
    """`course lab --student` on a scratch copy of the course: its kit, built into
    scratch/preview/kit, served from a virtual environment made from the kit alone."""
    scratch = tmp_path_factory.mktemp("student")
    root = scratch_course(scratch / "course")
    course_lab.release_to_exchange(root, ["02_moons"], log=lambda *_: None)
    lab = start_lab(root, "student", scratch, preview=scratch / "preview", venvs=kit_venvs)
    lab.course_root = root
    yield lab
    lab.stop()


@pytest.fixture(scope="module")
def instructor_lab(tmp_path_factory):
    """`course lab --instructor` on a scratch copy where the demo has graded the examples."""
    from course.instructor import demo

    scratch = tmp_path_factory.mktemp("instructor")
    root = scratch_course(scratch / "course")
    demo.run(root, ["02_moons"], log=lambda *_: None)
    lab = start_lab(root, "instructor", scratch)
    yield lab
    lab.stop()


# --- JupyterLab pages -----------------------------------------------------------------------

def open_notebook(page, lab: course_lab.Lab, path: str):
    """Open a notebook in JupyterLab and wait until its kernel is idle; return the notebook."""
    page.goto(lab.url(f"lab/tree/{path}"))
    notebook = page.locator(".jp-NotebookPanel .jp-Notebook")
    notebook.locator(".jp-Cell").first.wait_for()
    # The status bar names the kernel once the notebook's session is connected to it.
    page.locator("#jp-main-statusbar", has_text=re.compile(r"ipykernel\) \| Idle")).wait_for(timeout=120_000)
    return notebook


def code_cell(notebook, text: str):
    """The one code cell whose source contains `text`."""
    cell = notebook.locator(".jp-CodeCell").filter(
        has=notebook.page.locator(".cm-content", has_text=text))
    from playwright.sync_api import expect

    expect(cell, f"one code cell containing {text!r}").to_have_count(1)  # waits for the rendering
    return cell


def run_cell(cell, timeout_ms: int = 120_000) -> None:
    """Select the cell, Shift+Enter, and wait until it has an execution count."""
    cell.locator(".jp-InputPrompt").click()
    cell.page.keyboard.press("Shift+Enter")
    wait_executed(cell, timeout_ms)


def wait_executed(cell, timeout_ms: int = 120_000) -> None:
    from playwright.sync_api import expect

    expect(cell.locator(".jp-InputArea-prompt")).to_have_text(re.compile(r"\[\d+\]:"), timeout=timeout_ms)


def error_outputs(cell) -> list[str]:
    """The text of the cell's error and stderr outputs."""
    return cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()


def press_validate(page, timeout_ms: int = 240_000) -> tuple[object, str, list[tuple[str, str]]]:
    """Press nbgrader's Validate button; return (dialog, "success" | "error", failed cells as
    (source, error) pairs, read from the dialog the student sees)."""
    page.locator("jp-button.validate-button").click()
    dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog")
    dialog.wait_for(timeout=timeout_ms)
    kind = "success" if "nbgrader-SuccessDialog" in (dialog.get_attribute("class") or "") else "error"
    failed = []
    if dialog.locator(".validation-failed").count():
        texts = dialog.locator(".validation-failed .jp-RenderedText pre").all_inner_texts()
        failed = list(zip(texts[0::2], texts[1::2]))
    return dialog, kind, failed
