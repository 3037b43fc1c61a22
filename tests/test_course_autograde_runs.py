"""`course autograde` runs: killed and resumed, on PostgreSQL, with concurrent writers, vs. stock nbgrader.

These use the tiny two-exercise assignment of autograde_support (notebooks that run in seconds),
so that many real runs fit in the test suite's time.
"""
from __future__ import annotations

import contextlib
import html
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from autograde_support import (TINY, env_for, grades, make_course, postgres_server, submit, tiny_assignment,
                               tiny_submission, wait_for)
from course.instructor.autograde import course_root, faults, gradebook, journal, record
from course.instructor.autograde import run as autograde
from course.instructor.autograde.record import JobState

NB = f"{TINY}.ipynb"
DIES = {"square": "def square(x):\n    import os\n    os._exit(1)"}
WRONG = {"double": "def double(x):\n    return x + 2"}
ECHO = {"square": "def square(x):\n    print(get_ipython().user_ns['_ih'][-1])\n    return x * x"}
EXPECTED = {  # student: (test_square, test_double)
    "good": (1, 2), "wrong": (1, 0), "dies": (0, 2), "deleted": (1, 2), "echo": (1, 2),
}


def tiny_course(root: Path, students=("good", "wrong", "dies", "deleted", "echo")) -> Path:
    make_course(root, [])
    tiny_assignment(root)
    files = {
        "good": tiny_submission(), "wrong": tiny_submission(WRONG), "dies": tiny_submission(DIES),
        "deleted": tiny_submission(drop=("test_double",)), "echo": tiny_submission(ECHO),
    }
    for student in students:
        submit(root, student, TINY, {NB: files[student]})
    return root


def points(cells: dict) -> tuple:
    return cells["test_square"][0], cells["test_double"][0]


def sqlite_url(root: Path) -> str:
    return "sqlite:///" + str(root / "gradebook.db")


# --- killed and resumed ---------------------------------------------------------------------

def journal_rows(root: Path) -> dict[str, int]:
    path = root / "gradebook.db"
    if not path.exists():
        return {}
    # read-write: after a killed run, a hot rollback journal is rolled back by the next
    # connection, which a read-only one cannot do (it then failed, and read as "no rows")
    try:
        with sqlite3.connect(path, timeout=120) as db:
            return dict(db.execute("select student, attempt from course_autograde_journal").fetchall())
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):  # the run has not made it yet
            return {}
        raise


def start(root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "course.instructor", "autograde", TINY, "--workers", "2"],
                            cwd=root, env=env_for(root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def family(process: subprocess.Popen) -> list[psutil.Process]:
    """The run's workers and the sandboxes of their kernels."""
    try:
        return psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        return []


def all_gone(procs: list[psutil.Process]) -> bool:
    return not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in procs)


def test_killed_runs_resume_grading_everything_exactly_once(tmp_path):
    root = make_course(tmp_path / "course", [])
    tiny_assignment(root)
    slow = ["import time\ntime.sleep(1)"]
    expected = {}
    for i in range(8):
        wrong = i % 3 == 0
        submit(root, f"s{i:02d}", TINY, {NB: tiny_submission(WRONG if wrong else None, extra=slow)})
        expected[f"s{i:02d}"] = (1, 0) if wrong else (1, 2)

    # Ctrl-C: SIGINT to the whole process group, as a terminal sends it
    run = start(root)
    assert wait_for(lambda: len(journal_rows(root)) >= 2, timeout=600), run.communicate(timeout=60)[0]
    procs = family(run)
    os.killpg(run.pid, signal.SIGINT)
    out, _ = run.communicate(timeout=180)
    assert run.returncode == 130, out
    assert "Interrupted:" in out and "run `course autograde` again" in out
    assert wait_for(lambda: all_gone(procs), timeout=60), "workers or kernels outlived the interrupted run"
    after_sigint = journal_rows(root)
    assert 2 <= len(after_sigint) < 8

    # SIGKILL of the coordinator alone: its workers and their kernels must die with it
    run = start(root)
    assert wait_for(lambda: len(journal_rows(root)) >= len(after_sigint) + 2, timeout=600)
    procs = family(run)
    assert procs, "the run has workers"
    run.kill()
    run.communicate(timeout=60)
    assert wait_for(lambda: all_gone(procs), timeout=60), "workers or kernels outlived the killed run"
    after_sigkill = journal_rows(root)
    assert len(after_sigint) < len(after_sigkill)

    # the third run grades what is left, and nothing twice
    run = start(root)
    out, _ = run.communicate(timeout=900)
    assert run.returncode == 0, out
    assert f"{len(after_sigkill)} already graded, {8 - len(after_sigkill)} to grade" in out
    final = journal_rows(root)
    assert set(final) == set(expected) and set(final.values()) == {1}, final
    assert {s: points(c) for s, c in grades(sqlite_url(root), TINY).items()} == expected
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    assert not (root / ".autograde" / "staging").exists()


# --- PostgreSQL -----------------------------------------------------------------------------

def test_postgresql_gradebook(tmp_path):
    """The same grading on PostgreSQL: grades, journal, resume and reports all live in it."""
    expected = {s: EXPECTED[s] for s in ("good", "dies", "deleted")}
    with postgres_server() as url:
        root = tiny_course(tmp_path / "pg", expected)
        log: list[str] = []
        result = autograde.run(root, [TINY], workers=2, log=log.append, overrides={"CourseDirectory": {"db_url": url}})
        assert not result.failed, log
        on_pg = grades(url, TINY)
        rows = journal.read(url)
        again = autograde.run(root, [TINY], workers=2, log=lambda *_: None,
                              overrides={"CourseDirectory": {"db_url": url}})
    assert not (root / "gradebook.db").exists(), "the PostgreSQL run must not write a SQLite gradebook"
    assert {s: points(c) for s, c in on_pg.items()} == expected
    assert on_pg["deleted"]["test_double"][2] is False
    assert {s for (_, s), r in rows.items() if r["status"] == "graded"} == set(expected)
    assert again.outcomes == [] and len(again.skipped) == len(expected)
    assert len((root / "reports" / "grades.csv").read_text().splitlines()) == len(expected) + 1


# --- many writers, one gradebook ------------------------------------------------------------

def _writer(root: str, students: list[str], go, queue) -> None:
    cfg = course_root.course_config(Path(root))
    go.wait(300)
    errors = []
    for student in students:
        job = record.Job(TINY, student, [TINY], f"fp-{student}")
        try:
            gradebook.record_ungradable(Path(root), cfg, job, JobState(staging_notes=["stress"]))
        except Exception as error:
            errors.append(f"{student}: {type(error).__name__}: {error}"[:200])
    queue.put(errors)


def test_parallel_writers_lose_no_update(tmp_path):
    root = tiny_course(tmp_path / "course", ())
    gradebook.assignment_notebooks(root, course_root.course_config(root), [TINY], log=lambda *_: None)
    ctx = multiprocessing.get_context("spawn")
    queue, go = ctx.Queue(), ctx.Event()
    writers = [ctx.Process(target=_writer, args=(str(root), [f"w{w}-{i:02d}" for i in range(4)], go, queue))
               for w in range(3)]
    for w in writers:
        w.start()
    go.set()
    errors = [e for _ in writers for e in queue.get(timeout=600)]
    for w in writers:
        w.join(timeout=60)
    assert errors == []
    assert len(journal.read(sqlite_url(root))) == 3 * 4
    saved = grades(sqlite_url(root), TINY)
    assert len(saved) == 3 * 4 and all(points(cells) == (0, 0) for cells in saved.values())


@contextlib.contextmanager
def database_held(path: Path, seconds: float):
    """Another program (formgrader, a script) holds the SQLite gradebook for a while."""
    held = threading.Event()

    def hold():
        db = sqlite3.connect(path, timeout=60, isolation_level=None)
        db.execute("begin exclusive")
        held.set()
        time.sleep(seconds)
        db.execute("commit")
        db.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(60)
    try:
        yield
    finally:
        thread.join()


def test_a_busy_gradebook_is_waited_for_where_nbgrader_fails(tmp_path, monkeypatch):
    root = tiny_course(tmp_path / "course", ())
    cfg = course_root.course_config(root)
    gradebook.assignment_notebooks(root, cfg, [TINY], log=lambda *_: None)
    job = record.Job(TINY, "s1", [TINY], "fp")
    with monkeypatch.context() as patch:  # nbgrader's own way: write, no lock, no retry
        patch.setattr(journal, "locked", lambda _root, fn: fn())
        with database_held(root / "gradebook.db", 8), pytest.raises(Exception, match="database is locked"):
            gradebook.record_ungradable(root, cfg, job, JobState())
    before = journal.RETRIES
    with database_held(root / "gradebook.db", 8):
        gradebook.record_ungradable(root, cfg, job, JobState())
    assert journal.RETRIES > before
    assert points(grades(sqlite_url(root), TINY)["s1"]) == (0, 0)


# --- nbgrader's own commands typed in a terminal -------------------------------------------

def test_nbgrader_autograde_in_a_terminal_runs_the_course_grading(tmp_path):
    root = tiny_course(tmp_path / "course", ("good", "dies", "echo"))
    env = env_for(root)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    graded = subprocess.run(nbgrader + ["autograde", TINY, "--student", "dies", "--create"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=600)
    said = graded.stdout + graded.stderr
    assert graded.returncode == 0, said
    assert f"runs `course autograde {TINY} --student dies`" in said, said
    # the course's grading: one journal row, the dying kernel a reason with its points kept
    assert journal_rows(root) == {"dies": 1}, said
    assert points(grades(sqlite_url(root), TINY)["dies"]) == EXPECTED["dies"]
    again = subprocess.run(nbgrader + ["autograde", f"--assignment={TINY}", "--student=dies", "--force"], cwd=root,
                           env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and journal_rows(root) == {"dies": 2}, again.stdout + again.stderr

    subprocess.run(nbgrader + ["autograde", TINY], cwd=root, env=env, capture_output=True, check=True, timeout=600)
    echo = html.unescape((root / "feedback" / "echo" / TINY / f"{TINY}.html").read_text())
    assert "square(-3) should be 9" not in echo  # scrubbed, as course autograde does
    (root / "feedback" / "echo" / TINY / f"{TINY}.html").unlink()
    feedback = subprocess.run(nbgrader + ["generate_feedback", TINY, "--student", "echo"], cwd=root, env=env,
                              capture_output=True, text=True, timeout=600)
    said = feedback.stdout + feedback.stderr
    assert feedback.returncode == 0 and f"runs `course feedback {TINY} --student echo`" in said, said
    assert "Feedback written for 1 submission(s)" in said, said
    echo = html.unescape((root / "feedback" / "echo" / TINY / f"{TINY}.html").read_text())
    assert "square(-3) should be 9" not in echo and "test_square" in echo


@pytest.mark.parametrize("arguments, reason", [
    (["autograde", TINY, "--student", "*"], "is a pattern"),
    (["autograde", TINY, "--no-execute"], "--no-execute has no counterpart"),
    (["autograde"], "name one assignment"),
    (["generate_feedback", TINY, "--db", "sqlite:///elsewhere.db"], "--db has no counterpart"),
])
def test_an_nbgrader_command_line_the_course_cannot_translate_is_refused_not_run_stock(tmp_path, arguments, reason):
    root = tiny_course(tmp_path / "course", ("good",))
    refused = subprocess.run([sys.executable, "-m", "nbgrader", *arguments], cwd=root, env=env_for(root),
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "This course grades with `course " in refused.stderr and reason in refused.stderr, refused.stderr
    assert not (root / "autograded").exists() and not (root / "feedback").exists()


# --- what stock nbgrader 0.9.6 does with the same submissions -------------------------------

def test_stock_nbgrader_loses_what_course_autograde_grades(tmp_path):
    root = tiny_course(tmp_path / "course", ("dies", "deleted", "echo"))
    env = env_for(root)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    env["COURSE_STOCK_NBGRADER"] = "1"  # stock nbgrader anyway, to compare
    subprocess.run(nbgrader + ["generate_assignment", TINY, "--force"], cwd=root, env=env,
                   capture_output=True, check=True)
    stock = subprocess.run(nbgrader + ["autograde", TINY], cwd=root, env=env, capture_output=True, text=True)
    feedback = subprocess.run(nbgrader + ["generate_feedback", TINY], cwd=root, env=env,
                              capture_output=True, text=True)
    before = grades(sqlite_url(root), TINY)
    # a kernel that dies: the submission is dropped, nothing graded
    assert stock.returncode != 0 and "DeadKernelError" in stock.stdout + stock.stderr
    assert not (root / "autograded" / "dies" / TINY / NB).exists()
    assert all(score is None for score, _, _ in before["dies"].values())
    # a deleted test cell: left for a manual grade
    assert before["deleted"]["test_double"][2] is True
    # the course's feedback config hides the hidden tests' source, but not what a student prints
    echo = (root / "feedback" / "echo" / TINY / f"{TINY}.html").read_text()
    assert "square(-3) should be 9" in html.unescape(echo), feedback.stdout + feedback.stderr

    # one kernel per notebook, where a student's code can print the test that calls it: scrubbed
    result = autograde.run(root, [TINY], workers=2, regrade=True, log=lambda *_: None,
                           overrides={"CourseAutograde": {"two_process": False}})
    assert not result.failed
    after = grades(sqlite_url(root), TINY)
    assert {s: points(after[s]) for s in after} == {s: EXPECTED[s] for s in after}
    assert after["deleted"]["test_double"][2] is False
    echo = html.unescape((root / "feedback" / "echo" / TINY / f"{TINY}.html").read_text())
    assert "square(-3) should be 9" not in echo and "[hidden test code removed]" in echo


def test_the_notebook_time_limit_is_a_reason_not_a_crash(tmp_path):
    root = tiny_course(tmp_path / "course", ())
    # 4 s in the first code cell: with a 3 s budget for the whole notebook nothing after it runs
    submit(root, "slow", TINY, {NB: tiny_submission({"square": "import time\ntime.sleep(4)\n"
                                                               "def square(x):\n    return x * x"})})
    log: list[str] = []
    result = autograde.run(root, [TINY], log=log.append, overrides={
        "CourseAutograde": {"notebook_timeout": 3, "cell_timeout": 30}})
    assert not result.failed, log
    assert points(grades(sqlite_url(root), TINY)["slow"]) == (0, 0)
    text = html.unescape((root / "feedback" / "slow" / TINY / f"{TINY}.html").read_text())
    assert "The notebook reached its time limit of 3 s" in text
    report = (root / "reports" / TINY / "report.md").read_text()
    assert "time limit" in report


# --- whose fault ----------------------------------------------------------------------------

def injected(name: str) -> dict:
    """A course configuration whose sanitizing pass is one of injected_preprocessors' raisers."""
    return {"SandboxedAutograde": {"sanitize_preprocessors": [f"injected_preprocessors.{name}"]}}


def test_the_graders_exception_fails_the_job_and_a_repeated_one_is_left_for_the_instructor(tmp_path):
    root = tiny_course(tmp_path / "course", ("good",))
    for run in range(1, faults.REPEATS + 1):
        log: list[str] = []
        result = autograde.run(root, [TINY], workers=1, log=log.append, report=False, overrides=injected("GraderBug"))
        (outcome,) = result.outcomes
        assert outcome.status == "failed" and outcome.message.startswith("ZeroDivisionError: a bug of the grader's own")
        assert result.given_up == [] and "run again to retry" in "\n".join(log)
        kept = (root / ".autograde" / "logs" / TINY / "good.log").read_text()
        assert "Traceback" in kept and "raise ZeroDivisionError" in kept and "nbgrader's log:" in kept
        # no journal row and no grade: the next run tries again
        assert (TINY, "good") not in journal.read(sqlite_url(root))
        assert faults.repeated(root)[f"{TINY}/good"]["runs"] == run

    log = []
    result = autograde.run(root, [TINY], workers=1, log=log.append, report=False, overrides=injected("GraderBug"))
    (outcome,) = result.outcomes
    assert result.given_up == [(TINY, "good")] and result.failed == [outcome]
    assert outcome.message == (f"not tried again: FAILED on {faults.REPEATS} runs in a row "
                               "(ZeroDivisionError: a bug of the grader's own (traceback: "
                               f"{root / '.autograde' / 'logs' / TINY / 'good.log'}))")
    assert f"FAILED on each of their last {faults.REPEATS} runs and were not tried again" in "\n".join(log)
    assert "0 to grade" in log[0]

    # the grader fixed, --regrade grades it, and it is forgotten
    result = autograde.run(root, [TINY], workers=1, regrade=True, log=lambda *_: None, report=False)
    assert [(o.status, o.score) for o in result.outcomes] == [("graded", 3.0)]
    assert faults.repeated(root) == {}


def test_an_exception_the_submission_causes_makes_it_ungradable_with_the_reason(tmp_path):
    root = tiny_course(tmp_path / "course", ("good",))
    result = autograde.run(root, [TINY], workers=1, log=lambda *_: None, report=False,
                           overrides=injected("InvalidNotebook"))
    (outcome,) = result.outcomes
    assert outcome.status == "ungradable" and outcome.score == 0 and outcome.max_score == 3
    assert outcome.message == ("ungradable: nbgrader could not grade it (ValidationError: Notebook failed to "
                               "validate; the nbgrader metadata may be corrupted.)")
    row = journal.read(sqlite_url(root))[(TINY, "good")]
    assert row["status"] == "ungradable" and "ValidationError" in row["result"]["traceback"]
    assert points(grades(sqlite_url(root), TINY)["good"]) == (0, 0)
    page = html.unescape((root / "feedback" / "good" / TINY / f"{TINY}.html").read_text())
    assert "nbgrader could not grade it (ValidationError" in page
    assert faults.repeated(root) == {}
