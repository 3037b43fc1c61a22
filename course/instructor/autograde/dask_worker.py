"""The worker side of `course autograde --scheduler`: a Dask worker plugin and the grading task.

The coordinator registers `GradingPlugin` with the cluster; every worker, present or joining
later, runs its `setup` once: it checks that the worker can grade as the coordinator would
(one thread, the same libraries, a sandbox), unpacks the course's bundle into a folder of its
own and keeps it. `grade_task` then grades one submission there (`job.grade`) and returns data.
A worker never sees the coordinator's gradebook or folders.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import sys
import tempfile
from pathlib import Path

from distributed import WorkerPlugin, get_worker

from . import bundle, job
from .course_root import prepare_shared_dir

PLUGIN = "course-autograde"
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

    def __init__(self, packed: bundle.Bundle, overrides: dict, sandboxed: bool, versions: dict[str, str]):
        self.packed = packed
        self.overrides = overrides
        self.sandboxed = sandboxed
        self.versions = versions
        self.folder: Path | None = None
        self.course: job.LocalCourse | None = None

    def setup(self, worker) -> None:
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
        self.course = job.LocalCourse(root, overrides, self.sandboxed, prepare_shared_dir(root))
        job.open_course(self.course)

    def teardown(self, worker) -> None:
        if self.course is not None and self.course.shared_dir is not None:
            shutil.rmtree(self.course.shared_dir.parent, ignore_errors=True)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def grade_task(spec: job.JobSpec) -> job.JobResult:
    """One Dask task: one submission, graded in this worker's copy of the course."""
    plugin = get_worker().plugins.get(PLUGIN)
    if plugin is None or plugin.course is None:
        raise Refused("this worker has no course to grade in: its GradingPlugin was refused or not set up "
                      "(see the worker's log)")
    return job.grade(spec, plugin.course)
