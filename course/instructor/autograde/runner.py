"""`course autograde`: grade every submission in submitted/ through nbgrader, safely and in parallel.

The coordinator finds the submissions (`submitted/<student>/<assignment>/`), skips those the
journal says are graded (same files), and hands the rest to `workers` processes. Each worker
grades one submission at a time with nbgrader's own Autograde converter, with three changes:
the kernel runs in a sandbox within limits (`SandboxedExecute`), deleted test cells are restored
(`RestoreCells`), and grades are saved with the journal row in one locked transaction
(`SaveResults`). It then writes the student's feedback with nbgrader's GenerateFeedback.

Before nbgrader sees a submission, it is copied to `.autograde/staging/`: a renamed notebook
(the only one, under another name) is graded under its expected name; a file that is not a
notebook gets zero points and a reason, instead of an error that drops the student.

`run(pool=...)` grades the pending submissions elsewhere instead: `cluster.pool` on a Dask
cluster (`course autograde --scheduler`), everything else (journal, progress, reports) unchanged.

Killed with SIGINT or SIGKILL, a run loses nothing: a submission's grades and its journal row
are committed together, workers die with the coordinator (PR_SET_PDEATHSIG) and kernels with
their worker (bwrap --die-with-parent); the next run grades what is left.
"""
from __future__ import annotations

import contextlib
import copy
import ctypes
import fcntl
import html
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import nbformat
from traitlets.config import Config

from . import journal
from .config import CourseAutograde, course_id_of, db_url_of, load_config
from .record import JobState

STAGING = ".autograde/staging"


@dataclass
class Job:
    assignment: str
    student: str
    notebooks: list[str]          # the assignment's notebook names in the gradebook
    fingerprint: str
    feedback_only: bool = False


@dataclass
class Outcome:
    assignment: str
    student: str
    status: str                   # graded | ungradable | failed | feedback
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    message: str = ""
    notes: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)   # seconds: setup, nbgrader autograde, kernel, feedback


class Refused(SystemExit):
    """Grading cannot start (no sandbox, another run in progress): the message says why."""


# --- configuration --------------------------------------------------------------------------

def course_config(root: Path, overrides: dict | None = None) -> Config:
    # nbgrader runs `alembic` by name when it creates a gradebook: this interpreter's tools first
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bindir, os.environ.get("PATH", "")])
    cfg = load_config(root)
    cfg.CourseDirectory.root = str(root)
    if overrides:
        cfg.merge(Config(overrides))
    return cfg


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


def prepare_shared_dir(root: Path) -> Path:
    """A run-wide folder, read-only in every sandbox: matplotlib's font cache.

    Kernels start with a home of their own, where matplotlib would rebuild its font cache (and
    say so on stderr) every time; it is built once per course folder and copied in instead.
    """
    import subprocess

    cache = journal.state_dir(root) / "matplotlib"
    if not any(cache.glob("fontlist-*.json")):
        cache.mkdir(exist_ok=True)
        env = dict(os.environ, MPLCONFIGDIR=str(cache), MPLBACKEND="Agg")
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                       capture_output=True, timeout=300)
    base = Path(tempfile.mkdtemp(prefix="cag", dir="/tmp"))  # short: ZMQ's IPC paths are limited
    os.chmod(base, 0o711)
    shared = base / "shared"
    (shared / "matplotlib").mkdir(parents=True)
    for path in cache.glob("fontlist-*.json"):
        shutil.copy(path, shared / "matplotlib" / path.name)
    for path in [shared, *shared.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return shared


# --- submissions ----------------------------------------------------------------------------

def assignment_notebooks(root: Path, cfg: Config, assignments: list[str], log) -> dict[str, list[str]]:
    """Notebook names of each assignment in the gradebook; register missing assignments first."""
    from nbgrader.api import Gradebook, MissingEntry

    url = db_url_of(cfg, root)
    course_id = course_id_of(cfg)
    out: dict[str, list[str]] = {}
    for assignment in assignments:
        def lookup():
            with Gradebook(url, course_id) as gb:
                try:
                    return [n.name for n in gb.find_assignment(assignment).notebooks]
                except MissingEntry:
                    return None
        names = journal.locked(root, lookup)
        if not names:
            log(f"{assignment}: not in the gradebook yet; recording it from source/ (nbgrader generate_assignment)")
            register_assignment(root, cfg, assignment)
            names = journal.locked(root, lookup) or []
        out[assignment] = names
    return out


def register_assignment(root: Path, cfg: Config, assignment: str) -> None:
    """nbgrader's generate_assignment into a scratch release folder: the gradebook learns the
    assignment's cells (hidden tests included) without touching release/."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    scratch = ".autograde/release-scratch"
    c = copy.deepcopy(cfg)
    c.CourseDirectory.release_directory = scratch
    coursedir = CourseDirectory(config=c)
    coursedir.assignment_id = assignment
    converter = GenerateAssignment(coursedir=coursedir, config=c)
    converter.force = True
    try:
        with journal.gradebook_lock(root), _cwd(root):
            converter.start()
    finally:
        shutil.rmtree(root / scratch, ignore_errors=True)


def discover(root: Path, cfg: Config, notebooks: dict[str, list[str]], students: list[str] | None = None) -> list[Job]:
    submitted = root / (cfg.CourseDirectory.get("submitted_directory") or "submitted")
    jobs = []
    for assignment, names in notebooks.items():
        if not submitted.is_dir():
            continue
        for folder in sorted(submitted.iterdir()):
            if folder.name.startswith(".") or not (folder / assignment).is_dir():
                continue
            if students and folder.name not in students:
                continue
            jobs.append(Job(assignment, folder.name, names, journal.fingerprint(folder / assignment)))
    return jobs


def stage(root: Path, job: Job, submitted_dir: str = "submitted", limits=None,
          expected: dict | None = None) -> tuple[Path, list[str], list[str], list[dict]]:
    """Copy a submission to .autograde/staging/; return (folder, notebooks to grade, notes, findings).

    Each notebook is checked on its raw bytes first (size, cells, size of a cell:
    `intake.check_raw`), then its nbgrader metadata is normalised against the gradebook
    (`intake.normalise`, with `expected` {notebook: intake.Expected}). A notebook past a limit,
    not valid JSON or not a notebook is left out (its exercises get zero) with a note saying
    why; the only notebook under an unexpected name is graded under the expected one.
    """
    from . import intake

    limits = limits or intake.RawLimits(file_bytes=50 * 2**20, cells=2000, cell_bytes=2**20)
    src = root / submitted_dir / job.student / job.assignment
    dst = root / STAGING / job.student / job.assignment
    shutil.rmtree(dst, ignore_errors=True)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # symlinks could point anywhere on the grader's disk: drop them
    for path in list(dst.rglob("*")):
        if path.is_symlink():
            path.unlink()
    notes: list[str] = []
    findings: list[dict] = []
    loaded: dict[Path, dict] = {}

    def valid(path: Path) -> str | None:
        try:
            loaded[path] = intake.check_raw(path.read_bytes(), limits)
        except OSError as error:
            return f"it cannot be read ({error})"
        except intake.Unreadable as error:
            return str(error)
        return None

    expected_names = [f"{name}.ipynb" for name in job.notebooks]
    for path in dst.glob("*.ipynb"):
        if path.is_dir():  # nbgrader would take a folder named like a notebook for one
            shutil.rmtree(path)
            notes.append(f"'{path.name}' is a folder, not a notebook; it was left out.")
    present = {p.name for p in dst.glob("*.ipynb")}
    extra = sorted(present - set(expected_names))
    ok = []
    for name in expected_names:
        path = dst / name
        if not path.exists():
            candidates = [e for e in extra if valid(dst / e) is None]
            if len(candidates) == 1 and len([n for n in expected_names if not (dst / n).exists()]) == 1:
                (dst / candidates[0]).rename(path)
                loaded[path] = loaded.pop(dst / candidates[0])
                extra.remove(candidates[0])
                notes.append(f"Your notebook was named '{candidates[0]}' instead of '{name}'; "
                             f"it was graded as '{name}'.")
            else:
                notes.append(f"'{name}' was not in your submission: its exercises get zero points.")
                continue
        problem = None if path in loaded else valid(path)
        if problem is None and expected is not None and name[:-len(".ipynb")] in expected:
            try:
                nb, more_notes, more_findings = intake.normalise(loaded.pop(path), expected[name[:-len(".ipynb")]])
            except intake.Unreadable as error:
                problem = str(error)
            else:
                notes += more_notes
                findings += more_findings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    nbformat.write(nb, path)
        loaded.pop(path, None)
        if problem:
            path.unlink()
            notes.append(f"'{name}' could not be graded: {problem}. Its exercises get zero points.")
            continue
        ok.append(name)
    for name in extra:
        (dst / name).unlink(missing_ok=True)
    return dst, ok, notes, findings


# --- the worker -----------------------------------------------------------------------------

_WORKER: dict = {}


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _init_worker(root: str, overrides: dict, sandboxed: bool, shared_dir: str | None, parent: int) -> None:
    _die_with_parent()
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


@contextlib.contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


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
        with contextlib.suppress(OSError):
            text += f"\n(kept in {save_job_log(root, job, text)})"
        what = str(error) if isinstance(error, GraderFault) else f"{type(error).__name__}: {error}"
        outcome = Outcome(job.assignment, job.student, "failed", message=f"{what}\n{text}")
    finally:
        shutil.rmtree(root / STAGING / job.student / job.assignment, ignore_errors=True)
    outcome.seconds = round(time.monotonic() - started, 2)
    return outcome


class GraderFault(RuntimeError):
    """The grader itself failed (no kernel could start, the gradebook or the disk failed)."""


def grader_fault(error: BaseException) -> str | None:
    """What failed, when `error` is the grader's own fault; None when the submission caused it."""
    import sqlalchemy.exc

    from .execute import KernelStartError

    for cause in _causes(error):
        if isinstance(cause, KernelStartError) and not getattr(cause, "after_student_code", False):
            return "the sandbox: " + str(cause).splitlines()[0]
        if isinstance(cause, sqlalchemy.exc.SQLAlchemyError):
            return "the gradebook: " + str(cause).splitlines()[0][:300]
        if isinstance(cause, OSError) and cause.errno in (28, 122, 5, 30):  # no space, quota, I/O, read-only
            return f"the disk: {cause}"
    return None


def _causes(error: BaseException):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def job_log_path(root: Path, job: Job) -> Path:
    return journal.state_dir(root) / "logs" / job.assignment / f"{job.student}.log"


def save_job_log(root: Path, job: Job, text: str) -> Path:
    path = job_log_path(root, job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


class _Captured(logging.Handler):
    """nbgrader's own log lines of one job (it logs a converter's traceback, then raises a
    NbGraderException that only says "see the above traceback")."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record):
        with contextlib.suppress(Exception):
            self.lines.append(f"[{record.levelname}] {record.getMessage()}")


def _expected(root: Path, cfg: Config, job: Job) -> dict:
    from nbgrader.api import Gradebook

    from .intake import expected_cells

    with Gradebook(db_url_of(cfg, root), course_id_of(cfg)) as gb:
        return {name: expected_cells(gb, name, job.assignment) for name in job.notebooks}


def _grade(root: Path, cfg: Config, job: Job) -> Outcome:
    from nbgrader.coursedir import CourseDirectory

    from . import tamper
    from .converters import SandboxedAutograde

    started = time.monotonic()
    submitted = cfg.CourseDirectory.get("submitted_directory") or "submitted"
    settings = _WORKER.get("settings") or CourseAutograde(config=cfg)
    expected = journal.locked(root, lambda: _expected(root, cfg, job))
    staged, notebooks, notes, findings = stage(root, job, submitted, settings.raw_limits(), expected)
    state = JobState(fingerprint=job.fingerprint, staging_notes=notes, intake=findings)
    if not notebooks:
        return _ungradable(root, cfg, job, state, notes, "; ".join(notes))
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
    converter = SandboxedAutograde(coursedir=coursedir, config=c, job_state=state)
    if _WORKER["settings"].two_process:
        from .execute import SandboxedExecute
        from .twoproc.execute import TwoProcessExecute

        converter.autograde_preprocessors = [TwoProcessExecute if p is SandboxedExecute else p
                                             for p in converter.autograde_preprocessors]
    converter.force = True
    converter.course_root = str(root)
    captured = _Captured()
    converter.log.addHandler(captured)
    prepared = time.monotonic()
    try:
        with _cwd(root):
            converter.start()
    except Exception as error:
        cause = converter.job_error or error
        text = ("".join(traceback.format_exception(cause)) + "\nnbgrader's log:\n" + "\n".join(captured.lines))
        log_path = save_job_log(root, job, text)
        fault = grader_fault(cause)
        if fault is not None:
            raise GraderFault(f"{fault} (traceback: {log_path})") from cause
        first = (str(cause).strip().splitlines() or [""])[0][:300]
        reason = f"nbgrader could not grade it ({type(cause).__name__}: {first})".replace(": )", ")")
        state.traceback = text[-20000:]
        state.log = str(log_path)
        return _ungradable(root, cfg, job, state, notes, reason)
    finally:
        converter.log.removeHandler(captured)
    graded = time.monotonic()
    write_feedback(root, cfg, job)
    timings = {"stage": prepared - started, "autograde": graded - prepared, "feedback": time.monotonic() - graded,
               "kernel": state.kernel_seconds()}
    score, max_score = state.points()
    return Outcome(job.assignment, job.student, "graded", score, max_score, notes=notes + state.notes(),
                   timings={k: round(v, 2) for k, v in timings.items()})


def _ungradable(root: Path, cfg: Config, job: Job, state: JobState, notes: list[str], reason: str) -> Outcome:
    """Zero points, the reason in the feedback, the journal and the report."""
    state.ungradable = reason
    record_ungradable(root, cfg, job, state)
    shown = notes if reason in notes or reason == "; ".join(notes) else notes + [reason]
    write_ungradable_feedback(root, cfg, job, shown)
    return Outcome(job.assignment, job.student, "ungradable", 0.0, _max_score(root, cfg, job),
                   message=f"ungradable: {reason}", notes=notes)


def _max_score(root: Path, cfg: Config, job: Job) -> float:
    from nbgrader.api import Gradebook

    def read():
        with Gradebook(db_url_of(cfg, root), course_id_of(cfg)) as gb:
            return gb.find_assignment(job.assignment).max_score
    return journal.locked(root, read)


def record_ungradable(root: Path, cfg: Config, job: Job, state: JobState) -> None:
    """Zero points for every cell (as nbgrader does for a missing notebook) + the journal row."""
    from nbgrader.api import Gradebook

    def save():
        gb = Gradebook(db_url_of(cfg, root), course_id_of(cfg))
        try:
            gb.update_or_create_student(job.student)
            submission = gb.update_or_create_submission(job.assignment, job.student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            journal.ensure_table(gb.engine)
            journal.record(gb.db, job.assignment, job.student, job.fingerprint, "ungradable", state.row())
            gb.db.commit()
        except BaseException:
            gb.db.rollback()
            raise
        finally:
            gb.close()
    journal.locked(root, save)
    shutil.rmtree(root / (cfg.CourseDirectory.get("autograded_directory") or "autograded") / job.student / job.assignment,
                  ignore_errors=True)


def write_ungradable_feedback(root: Path, cfg: Config, job: Job, notes: list[str]) -> None:
    folder = root / (cfg.CourseDirectory.get("feedback_directory") or "feedback") / job.student / job.assignment
    folder.mkdir(parents=True, exist_ok=True)
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    for name in job.notebooks:
        (folder / f"{name}.html").write_text(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title></head>"
            f"<body><h1>{html.escape(job.assignment)}: {html.escape(name)}</h1>"
            f"<p>Score: 0 — your submission could not be graded:</p><ul>{items}</ul>"
            "<p>Check that you hand in the notebook itself (File → Save, then submit the .ipynb file).</p>"
            "</body></html>\n")


def write_feedback(root: Path, cfg: Config, job: Job) -> None:
    """nbgrader's generate_feedback for one submission, with the course's preprocessors."""
    from nbgrader.coursedir import CourseDirectory

    from .converters import CourseFeedback

    c = copy.deepcopy(cfg)
    c.CourseDirectory.student_id = job.student
    c.CourseDirectory.assignment_id = job.assignment
    coursedir = CourseDirectory(config=c)
    converter = CourseFeedback(coursedir=coursedir, config=c)
    converter.force = True
    converter.course_root = str(root)
    with _cwd(root):
        converter.start()


# --- the coordinator ------------------------------------------------------------------------

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
        done = journal.locked(root, lambda: journal.read(db_url))
        skipped, pending = [], []
        feedback_dir = root / (cfg.CourseDirectory.get("feedback_directory") or "feedback")
        for job in jobs:
            row = done.get((job.assignment, job.student))
            if row and row["fingerprint"] == job.fingerprint and not regrade:
                skipped.append((job.assignment, job.student))
                if feedback and row["status"] == "graded" and not all(
                        (feedback_dir / job.student / job.assignment / f"{n}.html").exists() for n in job.notebooks):
                    pending.append(Job(job.assignment, job.student, job.notebooks, job.fingerprint, feedback_only=True))
            else:
                pending.append(job)
        to_grade = sum(not j.feedback_only for j in pending)
        log(f"{len(jobs)} submission(s) of {', '.join(todo)}: {len(skipped)} already graded, "
            f"{to_grade} to grade "
            + (f"with {max(1, min(n_workers, len(pending)))} worker(s)" if pool is None else "on the cluster")
            + ("" if sandboxed else " WITHOUT sandbox") + ".")
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
        grading = time.monotonic()
        result = RunResult(outcomes, skipped, 0.0)
        if report:
            from . import report as report_mod

            result.report_paths = report_mod.write_all(root, cfg, todo, log=log)
    result.seconds = round(time.monotonic() - started, 1)
    result.phases = {"setup": round(setup - started, 1), "grading": round(grading - setup, 1),
                     "report": round(time.monotonic() - grading, 1)}
    failed = result.failed
    log(f"Graded {sum(o.status in ('graded', 'ungradable') for o in outcomes)} submission(s) in {result.seconds} s "
        f"(setup {result.phases['setup']} s, grading {result.phases['grading']} s, "
        f"reports {result.phases['report']} s)"
        + (f"; {len(failed)} FAILED (grader errors, not the students'; run again to retry):" if failed else "."))
    for outcome in failed:
        log(f"  {outcome.student}/{outcome.assignment}: {outcome.message.splitlines()[0] if outcome.message else ''}")
    return result


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
                                   initializer=_init_worker,
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

