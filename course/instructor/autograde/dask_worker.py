"""The worker side of `course autograde --scheduler`: a Dask worker plugin and the grading task.

The coordinator registers `GradingPlugin` with the cluster; every worker, present or joining
later, runs its `setup` once: it checks that the worker can grade as the coordinator would
(one thread, the same libraries, a sandbox), unpacks the course's bundle into a folder of its
own and keeps it. `grade_task` then grades one submission there (`job.grade`) and returns data.
A worker never sees the coordinator's gradebook or folders.

Only accepted workers are given tasks: an accepted worker declares the coordinator's Dask
resource (`token`, one per coordinator run) and every task asks for it, so the scheduler never
sends a submission to a refused worker, whenever it joined. A refusal is posted to the
coordinator as an event on the topic `token`, with its reason.

A grading task that the scheduler releases while it runs (its coordinator died or was
interrupted: Dask drops a client's tasks when its connection goes) would otherwise run on to its
end: Dask cannot stop a running thread, and the grader restarts kernels that die. The plugin
then ends the worker process; its sandboxes die with it (bwrap --die-with-parent; lifeline.py) and its nanny
starts a fresh worker.
"""
from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from distributed import WorkerPlugin, get_worker
from distributed.core import Status

from . import bundle
from .course_root import prepare_shared_dir

# `job` (nbgrader, nbformat's validators: seconds to import, half a minute on a busy machine) is
# imported where it is used, in the set-up's thread: unpickling this plugin runs on the worker's
# event loop, which must keep answering the scheduler's heartbeats.
if TYPE_CHECKING:
    from . import job

PLUGIN = "course-autograde"
logger = logging.getLogger("distributed.worker")  # the worker's log, as Dask's own lines
LIBRARIES = ("numpy", "scipy", "scikit-learn", "nbgrader", "nbformat", "nbclient", "ipykernel", "nn-course",
             "distributed")


class Refused(RuntimeError):
    """This worker cannot grade for this coordinator: the message says why and what to do."""


def library_versions() -> dict[str, str]:
    """What could make two machines grade the same notebook differently."""
    versions = {"python": ".".join(map(str, sys.version_info[:2]))}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "missing"
    # the grader's own code changes between commits without a version bump
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted(here.rglob("*.py")):
        digest.update(str(path.relative_to(here)).encode() + b"\0" + path.read_bytes())
    versions["course autograde code"] = digest.hexdigest()[:16]
    return versions


def check(nthreads: int, theirs: dict[str, str], ours: dict[str, str]) -> None:
    if nthreads != 1:
        raise Refused(f"this Dask worker runs {nthreads} threads; course autograde grades one submission per worker "
                      "process (grading changes the working directory, environment and kernels of its process). "
                      "Start workers with `--nthreads 1` (and `--nworkers N` for N at once).")
    differ = {name: (theirs.get(name), ours.get(name)) for name in sorted(set(theirs) | set(ours))
              if theirs.get(name) != ours.get(name)}
    if differ:
        lines = "; ".join(f"{name}: coordinator {a}, this worker {b}" for name, (a, b) in differ.items())
        raise Refused(f"this worker's libraries differ from the coordinator's ({lines}). Different versions can "
                      "grade the same notebook differently: install the course's requirements.txt and the same "
                      "course commit on every machine.")


class GradingPlugin(WorkerPlugin):
    name = PLUGIN

    def __init__(self, packed: bundle.Bundle, overrides: dict, sandboxed: bool, versions: dict[str, str],
                 token: str = PLUGIN):
        self.packed = packed
        self.overrides = overrides
        self.sandboxed = sandboxed
        self.versions = versions
        self.token = token        # the coordinator run's Dask resource, and its events' topic
        self.folder: Path | None = None
        self.course = None        # job.LocalCourse, once set up
        self.grading = None       # the key of the task grading now
        self.accepted = False

    async def setup(self, worker) -> None:
        try:
            # In a thread: unpacking the course and importing nbgrader take seconds (half a minute
            # on a busy machine), and the worker's event loop must answer the scheduler meanwhile;
            # blocked, it misses its heartbeats and a scheduler with a worker TTL restarts it.
            await asyncio.to_thread(self._prepare, worker)
        except Exception as error:
            reason = str(error) if isinstance(error, Refused) else f"{type(error).__name__}: {error}"
            worker.log_event(self.token, {"worker": worker.address, "refused": reason})
            raise
        await worker.set_resources(**{self.token: 1})
        self.accepted = True
        # The scheduler looks for a worker for its waiting tasks when a worker joins or resumes,
        # not when one declares a resource: tasks left with no accepted worker (every accepted
        # one died) would wait for ever. A pause and a resume make it look now.
        if worker.status == Status.running:
            worker.status = Status.paused
            worker.status = Status.running

    def _prepare(self, worker) -> None:
        check(worker.state.nthreads, self.versions, library_versions())
        if self.sandboxed:
            from .sandbox import probe

            why = probe()
            if why is not None:
                raise Refused(f"no sandbox on this worker ({why}); the coordinator grades sandboxed")
        self.folder = Path(tempfile.mkdtemp(prefix="course-worker-"))
        root = bundle.unpack(self.packed, self.folder / "course")
        overrides = {section: dict(values) for section, values in self.overrides.items()}
        # the scratch gradebook, whatever the coordinator's is (PostgreSQL, or a path of its disk)
        overrides.setdefault("CourseDirectory", {})["db_url"] = f"sqlite:///{root / bundle.SCRATCH_DB}"
        from . import job

        self.course = job.LocalCourse(root, overrides, self.sandboxed, prepare_shared_dir(root))
        job.open_course(self.course)

    async def teardown(self, worker) -> None:
        if self.accepted and worker.status == Status.running:
            # replaced by another coordinator's plugin: this run's tasks must not grade in its course
            try:
                await asyncio.wait_for(worker.set_resources(**{self.token: 0}), 10)
            except Exception as error:  # the scheduler gone: so are the tasks that could come
                logger.info("course autograde: could not withdraw resource %s: %s", self.token, error)
        self._remove_folders()

    def _remove_folders(self) -> None:
        if self.course is not None and self.course.shared_dir is not None:
            shutil.rmtree(self.course.shared_dir.parent, ignore_errors=True)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def transition(self, key, start, finish, **kwargs) -> None:
        if key != self.grading or start not in ("executing", "long-running") or finish != "released":
            return
        # released while it runs: its coordinator is gone (or cancelled it), nobody wants its result
        logger.warning("course autograde: task %s was released while grading (its coordinator disconnected or "
                       "cancelled it); ending this worker process to stop its sandboxes", key)
        self._remove_folders()
        for name in ("", "distributed", "distributed.worker"):
            for handler in logging.getLogger(name).handlers:
                handler.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def grade_task(spec: job.JobSpec) -> job.JobResult:
    """One Dask task: one submission, graded in this worker's copy of the course."""
    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN)
    if plugin is None or plugin.course is None:
        raise Refused("this worker has no course to grade in: its GradingPlugin was refused or not set up "
                      "(see the worker's log)")
    from . import job

    plugin.grading = worker.get_current_task()
    try:
        return job.grade(spec, plugin.course)
    finally:
        plugin.grading = None
