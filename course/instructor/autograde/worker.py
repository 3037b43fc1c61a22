"""A grading worker: a process set up for one course folder, grading one submission at a time.

`setup_worker` readies the process (environment, configuration, the sandbox); `grade_job` grades
one `Job` with nbgrader's own Autograde converter (`converters.SandboxedAutograde`) and writes
the student's feedback, and returns its `Outcome`: graded, ungradable (the submission's fault:
zero points and the reason), or failed (the grader's: its traceback in the job's log, retried by
the next run): `faults` tells which. The local pool's processes (`run`) and a cluster's workers (`job.grade`) both
grade through it.
"""
from __future__ import annotations

import contextlib
import copy
import ctypes
import logging
import os
import shutil
import signal
import sys
import time
import traceback
import warnings
from pathlib import Path

import nbformat
from traitlets.config import Config

from .config import CourseAutograde
from .course_root import STAGING, course_config, cwd, save_job_log
from .faults import GraderFault, caused_by_submission, grader_fault, ungradable_reason
from .gradebook import expected_metadata, ungradable, write_feedback
from .intake import stage
from .record import Job, JobState, Outcome

_WORKER: dict = {}


def die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def init_worker(root: str, overrides: dict, sandboxed: bool, shared_dir: str | None, parent: int) -> None:
    die_with_parent()
    if os.getppid() != parent:  # the coordinator died before we got here
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides what an interrupt means
    setup_worker(Path(root), overrides, sandboxed, Path(shared_dir) if shared_dir else None)


def worker_root() -> Path | None:
    """The course folder this process grades in, once `setup_worker` ran."""
    return _WORKER.get("root")


def worker_config() -> Config:
    return _WORKER["cfg"]


def setup_worker(root: Path, overrides: dict, sandboxed: bool, shared_dir: Path | None) -> None:
    """This process's grading state for the course folder `root`: `grade_job` reads it.

    A process grades for one course folder at a time: the state is process-wide (environment,
    working directory during a job, the kept grader kernel)."""
    from ..build import kernel_env

    os.environ.update(kernel_env(root))
    cfg = course_config(root, overrides)
    settings = CourseAutograde(config=cfg)
    _WORKER.update(root=root, cfg=cfg, settings=settings,
                   sandbox=make_sandbox(root, settings, sandboxed, shared_dir))
    # nbgrader 0.9.6 with SQLAlchemy 2 warns on every new submission; nothing is lost
    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)
    warnings.filterwarnings("ignore", module="nbformat")
    from . import converters  # noqa: F401  import nbgrader and nbconvert once, not per submission


def make_sandbox(root: Path, settings: CourseAutograde, enabled: bool, shared_dir: Path | None):
    from .sandbox import UID_SLOTS, Limits, Sandbox

    limits = Limits(
        memory=settings.bytes("memory_limit"), processes=settings.max_processes,
        file_size=settings.bytes("max_file_size"), cell_timeout=settings.cell_timeout,
        notebook_timeout=settings.notebook_timeout, interrupt_grace=settings.interrupt_grace,
        output_bytes=settings.bytes("max_output_bytes"),
        notebook_output_bytes=settings.bytes("max_notebook_output_bytes"),
        kernel_restarts=settings.max_kernel_restarts, kill_leftovers=settings.kill_leftover_processes,
        written_bytes=settings.bytes("max_written_bytes"))
    # as root, each worker's kernels run as uids of their own (only inside the sandbox): a block
    # of UID_SLOTS per worker, a fresh one for each kernel start
    uid = settings.uid_base + UID_SLOTS * os.getpid() if os.geteuid() == 0 and enabled else None
    return Sandbox(root=root, limits=limits, enabled=enabled, read_only=[Path(p) for p in settings.read_only_paths],
                   env=dict(settings.env), guarded_modules=list(settings.guarded_modules), uid=uid,
                   shared_dir=shared_dir)


def grade_job(job: Job) -> Outcome:
    """Grade one submission (in a worker); never raises for a student's reasons."""
    root, cfg = _WORKER["root"], _WORKER["cfg"]
    started = time.monotonic()
    try:
        if job.feedback_only:
            write_feedback(root, cfg, job)
            return Outcome(job.assignment, job.student, "feedback", seconds=time.monotonic() - started)
        outcome = _grade(root, cfg, job)
    except Exception as error:  # the grader's own failure: reported, retried next run
        text = traceback.format_exc()
        if isinstance(error, GraderFault):  # nbgrader's log too, which _grade kept
            text += "\n" + error.log
        with contextlib.suppress(OSError):
            text += f"\n(kept in {save_job_log(root, job, text)})"
        what = str(error) if isinstance(error, GraderFault) else f"{type(error).__name__}: {error}"
        outcome = Outcome(job.assignment, job.student, "failed", message=f"{what}\n{text}")
    finally:
        shutil.rmtree(root / STAGING / job.student / job.assignment, ignore_errors=True)
    outcome.seconds = round(time.monotonic() - started, 2)
    return outcome


class _Captured(logging.Handler):
    """nbgrader's own log lines of one job (it logs a converter's traceback, then raises a
    NbGraderException that only says "see the above traceback")."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record):
        with contextlib.suppress(Exception):
            self.lines.append(f"[{record.levelname}] {record.getMessage()}")


def _grade(root: Path, cfg: Config, job: Job) -> Outcome:
    from nbgrader.coursedir import CourseDirectory

    from . import tamper
    from .converters import SandboxedAutograde

    started = time.monotonic()
    submitted = cfg.CourseDirectory.get("submitted_directory") or "submitted"
    settings = _WORKER.get("settings") or CourseAutograde(config=cfg)
    staged, notebooks, notes, findings = stage(root, job, submitted, settings.raw_limits(),
                                               expected_metadata(root, cfg, job))
    state = JobState(fingerprint=job.fingerprint, staging_notes=notes, intake=findings)
    if not notebooks:
        return ungradable(root, cfg, job, state, notes, "; ".join(notes))
    for name in notebooks:
        nb = nbformat.read(staged / name, as_version=4)
        state.tamper += tamper.scan_notebook(nb, locked_ids=None)
    state.tamper += tamper.shadowing_files(staged)

    c = copy.deepcopy(cfg)
    c.CourseDirectory.submitted_directory = STAGING
    c.CourseDirectory.student_id = job.student
    c.CourseDirectory.assignment_id = job.assignment
    c.SandboxedExecute.sandbox = _WORKER["sandbox"]
    # partial credit needs the grader's kernel (TwoProcessExecute): one kernel stays all or nothing
    c.TwoProcessExecute.partial_credit = bool(_WORKER["settings"].partial_credit)
    coursedir = CourseDirectory(config=c)
    converter = SandboxedAutograde(coursedir=coursedir, config=c, job_state=state, course_root=str(root))
    if _WORKER["settings"].two_process:
        from .execute import SandboxedExecute
        from .twoproc.execute import TwoProcessExecute

        converter.autograde_preprocessors = [TwoProcessExecute if p is SandboxedExecute else p
                                             for p in converter.autograde_preprocessors]
    converter.force = True
    captured = _Captured()
    converter.log.addHandler(captured)
    prepared = time.monotonic()
    try:
        with cwd(root):
            converter.start()
    except Exception as error:
        cause = converter.job_error or error
        text = ("".join(traceback.format_exception(cause)) + "\nnbgrader's log:\n" + "\n".join(captured.lines))
        log_path = save_job_log(root, job, text)
        fault = grader_fault(cause)
        if fault is not None or not caused_by_submission(cause):
            what = fault or f"{type(cause).__name__}: {(str(cause).strip().splitlines() or [''])[0][:300]}"
            raise GraderFault(f"{what} (traceback: {log_path})", text) from cause
        state.traceback = text[-20000:]
        state.log = str(log_path)
        return ungradable(root, cfg, job, state, notes, ungradable_reason(cause))
    finally:
        converter.log.removeHandler(captured)
    graded = time.monotonic()
    write_feedback(root, cfg, job)
    timings = {"stage": prepared - started, "autograde": graded - prepared, "feedback": time.monotonic() - graded,
               "kernel": state.kernel_seconds()}
    score, max_score = state.points()
    return Outcome(job.assignment, job.student, "graded", score, max_score, notes=notes + state.notes(),
                   timings={k: round(v, 2) for k, v in timings.items()})
