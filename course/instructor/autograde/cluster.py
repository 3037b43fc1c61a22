"""The coordinator of `course autograde --scheduler ADDRESS`: every submission one Dask task.

`run.run` does what it does on one machine (the journal's skip list, progress, reports);
only the pool differs. This one packs the course once (`bundle`), registers the worker plugin
(`dask_worker`), then keeps a bounded number of submissions in flight: each task carries one
submission's files and returns a `JobResult`, which is saved here in one transaction
(`saving`), after which its future is released. Dask would otherwise recompute a held result
whose worker died.

What Dask does not give is exactly-once: a task whose worker dies is run again elsewhere, and
after `distributed.scheduler.allowed-failures` deaths it ends in KilledWorker. Then the
submission is FAILED as the grader's fault, never graded zero, and the next run grades it.

Tasks go only to the workers that accepted this run's plugin (a Dask resource named after the
run, `dask_worker`); a worker that joins later and is refused is reported once, with its reason,
and never given a submission.
"""
from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

from . import bundle, journal, saving
from .config import db_url_of
from .course_root import save_job_log
from .dask_worker import PLUGIN, GradingPlugin, Refused, grade_task, library_versions
from .job import JobSpec
from .gradebook import write_feedback
from .record import Job, Outcome
from .run import PoolRequest, Refused as RunRefused, progress_line

IN_FLIGHT_PER_THREAD = 2   # enough to keep every worker busy, few enough to keep submissions off the scheduler
NO_WORKER_GRACE = 30.0     # seconds with no worker able to grade before the coordinator says so (a nanny's
                           # restart of a lost worker, and its set-up, take less)


def pool(address: str, security=None, connect_timeout: float = 30):
    """A `run.run(pool=...)` that grades on the Dask cluster at `address`."""
    def grade_on_cluster(request: PoolRequest) -> list[Outcome]:
        return run(request, address, security, connect_timeout)
    return grade_on_cluster


def run(request: PoolRequest, address: str, security, connect_timeout: float) -> list[Outcome]:
    from distributed import Client, as_completed
    from distributed.comm.core import CommClosedError

    root, cfg, log = request.root, request.cfg, request.log
    to_grade = [j for j in request.jobs if not j.feedback_only]
    outcomes = [_feedback_here(root, cfg, j) for j in request.jobs if j.feedback_only]
    if not to_grade:
        return outcomes
    run_id = uuid.uuid4().hex
    submitted = root / (cfg.CourseDirectory.get("submitted_directory") or "submitted")
    assignments = sorted({j.assignment for j in to_grade})
    scratch = Path(tempfile.mkdtemp(prefix="bundle-", dir=journal.state_dir(root)))
    try:
        packed = bundle.make(root, db_url_of(cfg, root), assignments, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    started = time.monotonic()
    token = f"{PLUGIN}-{run_id[:12]}"   # this run's Dask resource: only its accepted workers hold it
    with Client(address, security=security, timeout=connect_timeout) as client:
        refusals = _Refusals(log)
        client.subscribe_topic(token, refusals.heard)
        plugin = GradingPlugin(packed, request.overrides, request.sandboxed, library_versions(), token)
        for attempt in (1, 2):
            try:
                client.register_plugin(plugin, name=PLUGIN)
                break
            except Refused as refused:  # a worker cannot grade as we would: nothing is graded
                raise RunRefused(f"A worker of {address} refused to grade: {refused}") from None
            except (CommClosedError, OSError) as lost:  # a worker died while it was being set up
                if attempt == 2:
                    raise RunRefused(f"The workers of {address} could not be set up ({lost}); nothing was "
                                     "graded: run again once the cluster is steady.") from None
                log(f"A worker of {address} went away while being set up ({lost}); setting the workers up again.")
        # from now on a refusal (a worker joining later) is reported, and the run goes on without it
        refusals.start(client.get_events(token))
        threads = sum(client.nthreads().values())
        log(f"Cluster {address}: {len(client.nthreads())} worker(s), the course ({len(packed.data) / 2**20:.1f} MiB) "
            f"set up on each in {time.monotonic() - started:.1f} s.")
        waiting = list(to_grade)
        running: dict = {}
        done = 0

        def submit_more(queue) -> None:
            while waiting and len(running) < max(2, IN_FLIGHT_PER_THREAD * threads):
                job = waiting.pop(0)
                spec = JobSpec.read(submitted / job.student / job.assignment, job)
                future = client.submit(grade_task, spec, pure=False, resources={token: 1},
                                       key=f"grade-{job.assignment}-{job.student}-{job.fingerprint[:12]}-{run_id[:8]}")
                running[future] = job
                queue.add(future)

        queue = as_completed([])
        submit_more(queue)
        watch = _Capacity(client, token, address, log)
        try:
            for future in queue:
                job = running.pop(future)
                outcome = _collect(root, cfg, future, job, run_id)
                future.release()  # saved: Dask must not recompute it when its worker dies
                outcomes.append(outcome)
                done += 1
                log(progress_line(outcome, done, len(to_grade)))
                submit_more(queue)
        except KeyboardInterrupt:
            with contextlib.suppress(Exception):
                client.cancel(list(running))
            log(f"\nInterrupted: {sum(o.status in ('graded', 'ungradable') for o in outcomes)} of {len(to_grade)} "
                "submission(s) graded and saved; run `course autograde` again to grade the rest.")
            raise
        finally:
            watch.stop()
    return outcomes


class _Capacity(threading.Thread):
    """Says when no connected worker can grade this run (none connected, or every one refused or
    lost) for `grace` seconds: its tasks wait for a worker that accepts the run, and the
    coordinator would otherwise wait in silence. Says it again only when the reason changes, and
    says when a worker can grade again."""

    def __init__(self, client, token: str, address: str, log, grace: float = NO_WORKER_GRACE, every: float = 2.0):
        super().__init__(daemon=True, name="course-autograde-capacity")
        self.client, self.token, self.address, self.log = client, token, address, log
        self.grace, self.every = grace, every
        self.halt = threading.Event()
        self.start()

    def able(self) -> tuple[int, int]:
        """(workers connected, workers holding this run's resource)."""
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        return len(workers), sum(bool(w.get("resources", {}).get(self.token)) for w in workers.values())

    def run(self) -> None:
        since, said = None, None   # since when no worker can grade; what was said about it
        while not self.halt.wait(self.every):
            try:
                connected, able = self.able()
            except Exception:  # the scheduler away a moment: the run's own calls will say so
                continue
            if able:
                if said:
                    self.log(f"{able} worker(s) of {self.address} can grade this run again: going on.")
                since, said = None, None
                continue
            since = since if since is not None else time.monotonic()
            who = (f"none of its {connected} connected worker(s) accepted this run (see the refusals above or the "
                   "workers' logs)" if connected else "no worker is connected")
            if who != said and time.monotonic() - since >= self.grace:
                self.log(f"Waiting: no worker of {self.address} can grade, {who}. The submissions left wait for a "
                         "worker that can: start one as docs/distributed.md says, or stop with Ctrl-C (what is "
                         "graded stays saved).")
                said = who

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=10)


class _Refusals:
    """Workers that refused this run's plugin, each reported once (events arrive on Dask's thread)."""

    def __init__(self, log):
        self.log = log
        self.lock = threading.Lock()
        self.reported: set[str] = set()
        self.held: list[dict] | None = []   # until the plugin is registered: a refusal then stops the run

    def heard(self, event) -> None:
        _, message = event
        with self.lock:
            if self.held is not None:
                self.held.append(message)
                return
            self._report(message)

    def start(self, past) -> None:
        with self.lock:
            held, self.held = self.held or [], None
            for message in [*held, *(message for _, message in past)]:
                self._report(message)

    def _report(self, message: dict) -> None:
        worker = message.get("worker", "?")
        if worker in self.reported:
            return
        self.reported.add(worker)
        self.log(f"Worker {worker} refused to grade and is given no submission: {message.get('refused')}")


def _collect(root: Path, cfg, future, job: Job, run_id: str) -> Outcome:
    from distributed import KilledWorker

    try:
        result = future.result()
    except KilledWorker as error:
        return Outcome(job.assignment, job.student, "failed",
                       message=f"its grading workers died while grading it ({error}); the grader's fault, not the "
                               "student's: run again to grade it")
    except Exception as error:  # the grader's failure on a worker (refused plugin, lost connection)
        return Outcome(job.assignment, job.student, "failed", message=f"{type(error).__name__}: {error}")
    if result.status not in ("graded", "ungradable"):
        if result.log:
            save_job_log(root, job, result.log)
        return result.outcome
    try:
        saving.save(root, cfg, result, run_id)
    except Exception as error:
        return Outcome(job.assignment, job.student, "failed",
                       message=f"its grades could not be saved ({type(error).__name__}: {error})")
    return result.outcome


def _feedback_here(root: Path, cfg, job: Job) -> Outcome:
    """Feedback missing for a graded submission: rendered here, nothing runs students' code."""
    started = time.monotonic()
    try:
        write_feedback(root, cfg, job)
    except Exception as error:
        return Outcome(job.assignment, job.student, "failed", message=f"feedback: {type(error).__name__}: {error}")
    return Outcome(job.assignment, job.student, "feedback", seconds=round(time.monotonic() - started, 2))
