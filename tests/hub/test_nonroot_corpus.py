"""Part of the adversarial corpus graded by an ordinary account, as an instructor on the hub grades.

As root, `course autograde` drops each sandboxed kernel to a uid of its own; as the instructor's
own account it relies on bubblewrap's unprivileged user namespaces instead. This grades a subset
of tests/autograde_corpus.py (bombs, a killed kernel, reads of the hidden tests and the gradebook,
writes outside, the network, patched grading helpers) with the complete example, in a scratch
course owned by a fresh account (`nnhubc-teach`, removed before and after), with the hub's
instructor environment (course.instructor.hub.environments, built from the system Python), and
asks what tests/test_course_autograde_corpus.py asks of a root run: each submission gets exactly
the points it earned, with its reason in the feedback; the network listener sees nobody.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from autograde_corpus import ASSIGNMENT, NOTEBOOK, corpus, write
from autograde_support import Listener, grades, make_course
from conftest import ROOT
from course.instructor.build import load_mutations, source_notebook
from course.instructor.hub import accounts, environments
from test_course_autograde_corpus import REASONS, graded_cells

INSTRUCTOR = "nnhubc-teach"
SUBSET = ["fork_bomb", "memory_bomb", "killed_kernel", "reads_hidden_tests", "reads_gradebook",
          "writes_outside", "network", "monkeypatch_helpers"]


@pytest.fixture(scope="module")
def run():
    assert os.geteuid() == 0, "this test needs root: it makes the instructor's account"
    accounts.remove(INSTRUCTOR)
    scratch = Path(tempfile.mkdtemp(prefix="nn-course-nonroot-"))
    os.chmod(scratch, 0o755)
    server = Listener()
    try:
        (scratch / "home").mkdir()
        os.chmod(scratch / "home", 0o755)
        home = accounts.create(INSTRUCTOR, scratch / "home")
        bin_dir = environments.instructor(ROOT)
        root = make_course(home / "course", [ASSIGNMENT])
        examples = ROOT / "tests" / "submissions"
        complete, untouched, mistakes = (nbformat.read(examples / s / ASSIGNMENT / NOTEBOOK, as_version=4)
                                         for s in ("complete", "untouched", "mistakes"))
        mutations = load_mutations(ROOT, ASSIGNMENT)
        kinds = {k: v for k, v in corpus(complete, untouched, mistakes, mutations.WRONG, str(root),
                                         server.port).items() if k in SUBSET}
        assert set(kinds) == set(SUBSET)
        (root / "submitted" / "complete" / ASSIGNMENT).mkdir(parents=True)
        shutil.copy(examples / "complete" / ASSIGNMENT / NOTEBOOK, root / "submitted" / "complete" / ASSIGNMENT)
        for student, (files, _) in kinds.items():
            folder = root / "submitted" / student / ASSIGNMENT
            folder.mkdir(parents=True)
            write(folder, files)
        subprocess.run(["chown", "-R", f"{INSTRUCTOR}:", str(root)], check=True)
        started = time.monotonic()
        env = [f"PATH={bin_dir}:/usr/bin:/bin", f"HOME={home}", f"USER={INSTRUCTOR}", "LANG=C.UTF-8"]
        done = subprocess.run(["runuser", "-u", INSTRUCTOR, "--", "env", "-i", *env, "course", "autograde",
                               ASSIGNMENT, "--workers", "2", "--set", "CourseAutograde.cell_timeout=45",
                               # all or nothing: the expected losses are the root corpus test's, whole cells
                               "--set", "CourseAutograde.partial_credit=false"],
                              cwd=root, capture_output=True, text=True, timeout=1800)
        print(f"course autograde as {INSTRUCTOR} took {time.monotonic() - started:.1f} s\n{done.stdout[-2000:]}")
        yield {"done": done, "root": root, "kinds": kinds, "connections": server.connections,
               "grades": grades("sqlite:///" + str(root / "gradebook.db"), ASSIGNMENT),
               "tests": graded_cells(nbformat.read(source_notebook(ROOT, ASSIGNMENT), as_version=4)),
               "mutations": mutations}
    finally:
        server.close()
        accounts.remove(INSTRUCTOR)
        shutil.rmtree(scratch, ignore_errors=True)


def expected(run, lost) -> dict[str, float]:
    if lost is None:
        return {t: 0 for t in run["tests"]}
    if lost == "mistakes":
        tests_of = getattr(run["mutations"], "TESTS", {})
        lost = {t for exercise, _ in run["mutations"].MISTAKES for t in tests_of.get(exercise, [f"test_{exercise}"])}
    return {t: (0 if t in lost else points) for t, points in run["tests"].items()}


def scores(run, student) -> dict[str, float]:
    return {t: run["grades"][student][t][0] for t in run["tests"]}


def test_the_run_as_an_ordinary_account_is_sandboxed_and_finishes(run):
    done = run["done"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "WITHOUT a sandbox" not in done.stdout + done.stderr
    assert set(run["grades"]) == {"complete", *SUBSET}
    assert run["connections"] == 0


@pytest.mark.parametrize("student", ["complete", *SUBSET])
def test_each_submission_gets_what_it_earned_as_under_root(run, student):
    lost = set() if student == "complete" else run["kinds"][student][1]
    assert scores(run, student) == expected(run, lost)
    if student in REASONS:  # read as tests/test_course_autograde_corpus.py reads it
        page = (run["root"] / "feedback" / student / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_text()
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        for reason in (REASONS[student],) if isinstance(REASONS[student], str) else REASONS[student]:
            assert reason.replace("`", "") in text, f"{student}: no {reason!r} in the feedback"
