"""`course autograde`: grade every submission in submitted/ through nbgrader, safely and in parallel.

The coordinator finds the submissions (`submitted/<student>/<assignment>/`), skips those the
journal says are graded (same files), and hands the rest to `workers` processes (`worker`). Each
grades one submission at a time with nbgrader's own Autograde converter, with three changes:
the kernel runs in a sandbox within limits (`SandboxedExecute`), deleted test cells are restored
(`RestoreCells`), and grades are saved with the journal row in one locked transaction
(`SaveResults`). It then writes the student's feedback with nbgrader's GenerateFeedback.

`run(pool=...)` grades the pending submissions elsewhere instead: `cluster.pool` on a Dask
cluster (`course autograde --scheduler`), everything else (journal, progress, reports) unchanged.

Killed with SIGINT or SIGKILL, a run loses nothing: a submission's grades and its journal row
are committed together, workers die with the coordinator (PR_SET_PDEATHSIG) and kernels with
their worker (bwrap --die-with-parent, lifeline.py); the next run grades what is left.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from traitlets.config import Config

from . import faults, journal
from .config import CourseAutograde, db_url_of
from .course_root import STAGING, course_config, folder, prepare_shared_dir
from .gradebook import assignment_notebooks
from .record import Job, Outcome
from .worker import init_worker, grade_job


class Refused(SystemExit):
    """Grading cannot start (no sandbox, another run in progress): the message says why."""


def discover(root: Path, cfg: Config, notebooks: dict[str, list[str]], students: list[str] | None = None) -> list[Job]:
    submitted = folder(root, cfg, "submitted")
    jobs = []
    for assignment, names in notebooks.items():
        if not submitted.is_dir():
            continue
        for mine in sorted(submitted.iterdir()):
            if mine.name.startswith(".") or not (mine / assignment).is_dir():
                continue
            if students and mine.name not in students:
                continue
            jobs.append(Job(assignment, mine.name, names, journal.fingerprint(mine / assignment)))
    return jobs


@dataclass
class PoolRequest:
    """What a pool other than the local one (`course autograde --scheduler`) gets to grade."""
    root: Path
    cfg: Config
    overrides: dict
    sandboxed: bool
    jobs: list[Job]
    log: Callable[[str], None]


Pool = Callable[[PoolRequest], "list[Outcome]"]


@dataclass
class RunResult:
    outcomes: list[Outcome]
    skipped: list[tuple[str, str]]
    seconds: float
    report_paths: list[Path] = field(default_factory=list)
    phases: dict = field(default_factory=dict)
    # (assignment, student) failed on faults.REPEATS runs in a row, not tried this time (among `failed`)
    given_up: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


@contextlib.contextmanager
def run_lock(root: Path):
    path = journal.state_dir(root) / "run.lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            raise Refused(f"Another `course autograde` is running in {root} ({fh.read().strip()}); "
                          "wait for it, or stop it first.") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run(root: Path, assignments: list[str] | None = None, *, workers: int | None = None,
        unsafe_no_sandbox: bool = False, regrade: bool = False, students: list[str] | None = None,
        overrides: dict | None = None, feedback: bool = True, report: bool = True, log=print,
        pool: Pool | None = None) -> RunResult:
    """Grade what is left; `pool` grades the pending jobs (default: worker processes here)."""
    from ..build import available_assignments, kernel_env

    from .sandbox import probe

    started = time.monotonic()
    root = root.resolve()
    cfg = course_config(root, overrides)
    settings = CourseAutograde(config=cfg)
    sandboxed = settings.sandbox != "none"
    if sandboxed:
        why = probe()
        if why is not None:
            if not unsafe_no_sandbox:
                raise Refused(f"No sandbox for the students' code: {why}.\nRefusing to run students' "
                              "code as you. Fix that, or pass --unsafe-no-sandbox to grade without a "
                              "sandbox (limits still apply; students' code can read your files).")
            log(f"WARNING: grading WITHOUT a sandbox ({why}); students' code can read your files.")
            sandboxed = False
    elif not unsafe_no_sandbox:
        raise Refused("CourseAutograde.sandbox is 'none': pass --unsafe-no-sandbox to grade without a sandbox.")
    os.environ.update(kernel_env(root))
    todo = assignments or available_assignments(root)
    n_workers = workers or settings.n_workers()
    db_url = db_url_of(cfg, root)
    outcomes: list[Outcome] = []
    with run_lock(root):
        # left over by a killed run: nobody else can be using it (we hold the run lock)
        shutil.rmtree(root / STAGING, ignore_errors=True)
        (root / STAGING).mkdir(parents=True, exist_ok=True)
        notebooks = assignment_notebooks(root, cfg, todo, log)
        jobs = discover(root, cfg, notebooks, students)
        done = journal.locked(root, journal.read, db_url)
        skipped, pending, no_feedback = _sort_jobs(root, cfg, jobs, done, regrade, feedback)
        pending, left = _leave_repeated_failures(root, pending, regrade)
        to_grade = sum(not j.feedback_only for j in pending)
        log(f"{len(jobs)} submission(s) of {', '.join(todo)}: {len(skipped)} already graded, "
            f"{to_grade} to grade "
            + (f"with {max(1, min(n_workers, len(pending)))} worker(s)" if pool is None else "on the cluster")
            + ("" if sandboxed else " WITHOUT sandbox") + ".")
        if no_feedback:
            log(f"{len(no_feedback)} graded submission(s) have no feedback and no autograded notebook to write it "
                f"from ({', '.join(f'{j.student}/{j.assignment}' for j in no_feedback[:5])}"
                f"{', ...' if len(no_feedback) > 5 else ''}): their grades stand; "
                "`course autograde ASSIGNMENT --regrade --student NAME` grades one again and writes its feedback.")
        shared = prepare_shared_dir(root) if pending and pool is None else None
        setup = time.monotonic()
        try:
            if pool is None:
                outcomes = _run_pool(root, overrides or {}, sandboxed, shared, pending, n_workers, log)
            else:
                outcomes = pool(PoolRequest(root, cfg, overrides or {}, sandboxed, pending, log))
        finally:
            if shared is not None:
                shutil.rmtree(shared.parent, ignore_errors=True)
            shutil.rmtree(root / STAGING, ignore_errors=True)
        faults.remember(root, pending, outcomes)
        grading = time.monotonic()
        result = RunResult(outcomes + left, skipped, 0.0, given_up=[(o.assignment, o.student) for o in left])
        if report:
            from . import report as report_mod

            result.report_paths = report_mod.write_all(root, cfg, todo, log=log)
    result.seconds = round(time.monotonic() - started, 1)
    result.phases = {"setup": round(setup - started, 1), "grading": round(grading - setup, 1),
                     "report": round(time.monotonic() - grading, 1)}
    failed = [o for o in outcomes if o.status == "failed"]
    log(f"Graded {sum(o.status in ('graded', 'ungradable') for o in outcomes)} submission(s) in {result.seconds} s "
        f"(setup {result.phases['setup']} s, grading {result.phases['grading']} s, "
        f"reports {result.phases['report']} s)"
        + (f"; {len(failed)} FAILED (grader errors, not the students'; run again to retry):" if failed else "."))
    for outcome in failed:
        log(f"  {outcome.student}/{outcome.assignment}: {outcome.message.splitlines()[0] if outcome.message else ''}")
    if left:
        log(f"{len(left)} submission(s) FAILED on each of their last {faults.REPEATS} runs and were not tried again "
            "(grader errors, not the students'; their logs are in .autograde/logs/; once the grader is fixed, "
            "`course autograde --regrade --student STUDENT ASSIGNMENT` grades one again):")
        for outcome in left:
            log(f"  {outcome.student}/{outcome.assignment}: {outcome.message}")
    return result


def _sort_jobs(root: Path, cfg: Config, jobs: list[Job], done: dict, regrade: bool,
               feedback: bool) -> tuple[list[tuple[str, str]], list[Job], list[Job]]:
    """(already graded, to do, graded but without feedback it can write): a graded submission
    whose feedback is missing gets a feedback-only job, written from its autograded notebook; a
    gradebook brought without autograded/ has none to write it from (nbgrader would fail on every
    run), so those are only named."""
    skipped, pending, no_feedback = [], [], []
    feedback_dir, autograded_dir = folder(root, cfg, "feedback"), folder(root, cfg, "autograded")
    for job in jobs:
        row = done.get((job.assignment, job.student))
        if not row or row["fingerprint"] != job.fingerprint or regrade:
            pending.append(job)
            continue
        skipped.append((job.assignment, job.student))
        if not feedback or row["status"] != "graded" or all(
                (feedback_dir / job.student / job.assignment / f"{n}.html").exists() for n in job.notebooks):
            continue
        if all((autograded_dir / job.student / job.assignment / f"{n}.ipynb").exists() for n in job.notebooks):
            pending.append(Job(job.assignment, job.student, job.notebooks, job.fingerprint, feedback_only=True))
        else:
            no_feedback.append(job)
    return skipped, pending, no_feedback


def _leave_repeated_failures(root: Path, pending: list[Job], regrade: bool) -> tuple[list[Job], list[Outcome]]:
    """The jobs to run, and an Outcome for each submission left out because the grader failed on
    it run after run with these files (unless `regrade`)."""
    failures = {} if regrade else faults.repeated(root)
    kept, left = [], []
    for job in pending:
        entry = None if job.feedback_only else faults.given_up(failures, job)
        if entry is None:
            kept.append(job)
        else:
            left.append(Outcome(job.assignment, job.student, "failed",
                                message=f"not tried again: FAILED on {entry['runs']} runs in a row ({entry['message']})"))
    return kept, left


def _run_pool(root: Path, overrides: dict, sandboxed: bool, shared: Path | None, jobs: list[Job],
              n_workers: int, log) -> list[Outcome]:
    if not jobs:
        return []
    outcomes: list[Outcome] = []
    crashes: dict[tuple[str, str, bool], int] = {}
    queue = list(jobs)
    total = sum(not j.feedback_only for j in jobs)
    graded = 0
    ctx = get_context("spawn")
    while queue:
        pool = ProcessPoolExecutor(max_workers=min(n_workers, len(queue)), mp_context=ctx,
                                   initializer=init_worker,
                                   initargs=(str(root), overrides, sandboxed, str(shared) if shared else None,
                                             os.getpid()))
        running = {}
        try:
            for job in queue:
                running[pool.submit(grade_job, job)] = job
            queue = []
            while running:
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    job = running.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        key = (job.assignment, job.student, job.feedback_only)
                        crashes[key] = crashes.get(key, 0) + 1
                        if crashes[key] >= 2:
                            outcomes.append(Outcome(job.assignment, job.student, "failed",
                                                    message="its grading worker died twice"))
                        else:
                            queue.append(job)
                        continue
                    outcomes.append(outcome)
                    if not job.feedback_only:
                        graded += 1
                        log(progress_line(outcome, graded, total))
        except KeyboardInterrupt:
            _kill_pool(pool)
            done = sum(o.status in ("graded", "ungradable") for o in outcomes)
            log(f"\nInterrupted: {done} of {total} submission(s) graded and saved; "
                "run `course autograde` again to grade the rest.")
            raise
        finally:
            if queue or running:
                _kill_pool(pool)
            else:
                pool.shutdown(wait=True)
        # a broken pool: the jobs that were still running go back in the queue
        for future, job in running.items():
            if job not in queue:
                queue.append(job)
    return outcomes


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now (their kernels die with them: bwrap --die-with-parent)."""
    import psutil

    workers = list((getattr(pool, "_processes", None) or {}).values())
    for process in workers:
        with contextlib.suppress(Exception):
            process.kill()
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            if any("spawn_main" in part for part in child.cmdline()):
                child.kill()
    with contextlib.suppress(Exception):
        pool.shutdown(wait=False, cancel_futures=True)


def progress_line(outcome: Outcome, done: int, total: int) -> str:
    head = f"[{done}/{total}] {outcome.student}/{outcome.assignment}: "
    if outcome.status == "failed":
        first = outcome.message.splitlines()[0] if outcome.message else ""
        return head + f"FAILED ({first})"
    text = head + f"{outcome.score:g}/{outcome.max_score:g} points ({outcome.seconds:.0f} s)"
    if outcome.status == "ungradable":
        text += " - " + (outcome.message.splitlines()[0] if outcome.message else "ungradable")
    if outcome.notes:
        text += "".join(f"\n      {note}" for note in outcome.notes[:6])
    return text


def parse_overrides(pairs: list[str]) -> dict:
    """--set CourseAutograde.cell_timeout=30 style overrides."""
    out: dict = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        section, _, name = key.partition(".")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        out.setdefault(section, {})[name] = parsed
    return out
