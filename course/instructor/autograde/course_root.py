"""The course folder as grading uses it: its nbgrader configuration, its folders, the working
directory nbgrader needs, the run-wide folder shared read-only with every sandbox, the jobs' logs.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from traitlets.config import Config

from . import journal
from .config import load_config
from .record import Job

STAGING = ".autograde/staging"


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


def folder(root: Path, cfg: Config, name: str) -> Path:
    """nbgrader's `<name>_directory` of the course (submitted, autograded, feedback)."""
    return root / (cfg.CourseDirectory.get(f"{name}_directory") or name)


@contextlib.contextmanager
def cwd(path: Path):
    """nbgrader's converters find the course's folders from the working directory."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def prepare_shared_dir(root: Path) -> Path:
    """A run-wide folder, read-only in every sandbox: matplotlib's font cache.

    Kernels start with a home of their own, where matplotlib would rebuild its font cache (and
    say so on stderr) every time; it is built once per course folder and copied in instead.
    """
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


def job_log_path(root: Path, job: Job) -> Path:
    return journal.state_dir(root) / "logs" / job.assignment / f"{job.student}.log"


def save_job_log(root: Path, job: Job, text: str) -> Path:
    path = job_log_path(root, job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
