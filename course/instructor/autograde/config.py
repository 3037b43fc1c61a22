"""The limits and switches of `course autograde`, configurable in `nbgrader_config.py`.

    c.CourseAutograde.memory_limit = "2G"
    c.CourseAutograde.cell_timeout = 120

Every limit is enforced per notebook, inside the submission's sandbox; hitting one becomes a
reason in the student's feedback and in the report, never a crash of the grading run.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from traitlets import Bool, Dict, Float, Integer, List, Unicode, validate
from traitlets.config import Configurable, Config

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(value: int | float | str) -> int:
    """Bytes from 2147483648, "2G", "512M", "100 kB" (binary units)."""
    if isinstance(value, (int, float)):
        return int(value)
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?)(i?B)?\s*", value, re.I)
    if not match:
        raise ValueError(f"not a size: {value!r} (use e.g. 2G, 512M, 100K)")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def format_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


class CourseAutograde(Configurable):
    """Sandbox, limits and parallelism of `course autograde`."""

    workers = Integer(0, help="Parallel workers, each grading one submission at a time; 0: one per core.").tag(config=True)

    scheduler = Unicode("", help="Address of a Dask scheduler (tls://host:8786) to grade on its workers instead of "
                        "local worker processes; see docs/distributed.md.").tag(config=True)
    tls_dir = Unicode("", help="Folder of the grading cluster's certificates (`course certs DIR`): "
                      "ca.pem, node.pem, node-key.pem.").tag(config=True)

    sandbox = Unicode("bwrap", help="'bwrap' (bubblewrap, Linux) or 'none' (only with --unsafe-no-sandbox).").tag(config=True)

    cell_timeout = Integer(120, help="Wall-time limit of one cell, in seconds.").tag(config=True)
    notebook_timeout = Integer(900, help="Wall-time limit of a whole notebook, in seconds.").tag(config=True)
    interrupt_grace = Float(10.0, help="Seconds a timed-out cell gets to stop after the interrupt before its kernel is killed.").tag(config=True)

    memory_limit = Unicode("2G", help="Memory of the notebook's kernel and its processes (address space, and resident total).").tag(config=True)
    max_processes = Integer(32, help="Processes a notebook may run at once besides its kernel.").tag(config=True)
    max_file_size = Unicode("200M", help="Largest file a notebook may write.").tag(config=True)
    max_output_bytes = Unicode("1M", help="Output kept per cell; the rest is dropped with a note (the cell keeps running); "
                               "an error is cut to what is left, with a note.").tag(config=True)
    max_notebook_output_bytes = Unicode("10M", help="Output kept per notebook.").tag(config=True)
    max_written_bytes = Unicode("500M", help="Files a notebook may write, in total: its folder, the sandboxes' /tmp and "
                                "/dev/shm (in memory: they count as memory too), the kernels' runtime folders and logs. "
                                "Past it the cell is stopped, and autograded/ keeps at most this much of what the kernel "
                                "wrote into its folder.").tag(config=True)
    max_notebook_bytes = Unicode("50M", help="Largest submitted notebook file; checked before it is parsed.").tag(config=True)
    max_cells = Integer(2000, help="Most cells a submitted notebook may have; counted on the raw file.").tag(config=True)
    max_cell_bytes = Unicode("1M", help="Largest source of one cell of a submitted notebook.").tag(config=True)
    max_kernel_restarts = Integer(3, help="Kernel deaths a notebook may cause before its remaining cells are skipped.").tag(config=True)
    kill_leftover_processes = Bool(True, help="After each cell, stop the processes it left running.").tag(config=True)

    read_only_paths = List(Unicode(), help="Extra host folders the kernels may read (data sets, caches).").tag(config=True)
    env = Dict(help="Extra environment variables for the kernels.").tag(config=True)
    guarded_modules = List(
        Unicode(), ["builtins", "math", "numpy", "scipy.special", "course.grading"],
        help="Modules whose attributes are restored before every cell and after every call(...) of "
             "a student's function, so a monkeypatch cannot fake a pass.").tag(config=True)
    two_process = Bool(True, help="Run the hidden tests in a grader kernel of their own, apart from the "
                       "student's code (course/instructor/autograde/twoproc/). False: one kernel per notebook, "
                       "where the student's code could reach the tests (faster; for trusted notebooks only).").tag(config=True)
    partial_credit = Bool(True, help="A test cell earns the shares of the checks it passed (its checklist, "
                          "read in the grader); False: all or nothing. Needs two_process (the score must come "
                          "from the grader's kernel): off without it.").tag(config=True)
    uid_base = Integer(200000, help="When run as root, each kernel runs as uid uid_base + the worker's pid.").tag(config=True)

    @validate("memory_limit", "max_file_size", "max_output_bytes", "max_notebook_output_bytes", "max_written_bytes",
              "max_notebook_bytes", "max_cell_bytes")
    def _check_size(self, proposal):
        parse_size(proposal["value"])
        return proposal["value"]

    def n_workers(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)

    def bytes(self, name: str) -> int:
        return parse_size(getattr(self, name))

    def raw_limits(self) -> "RawLimits":
        return RawLimits(file_bytes=self.bytes("max_notebook_bytes"), cells=self.max_cells,
                         cell_bytes=self.bytes("max_cell_bytes"))


@dataclass
class RawLimits:
    """What intake checks before reading a notebook (`intake.check_raw`)."""

    file_bytes: int
    cells: int
    cell_bytes: int


def db_url_of(cfg: Config, root: Path) -> str:
    """The course's gradebook: nbgrader's `CourseDirectory.db_url`, else gradebook.db in the course folder."""
    return cfg.CourseDirectory.get("db_url") or "sqlite:///" + str(root / "gradebook.db")


def course_id_of(cfg: Config) -> str:
    """The gradebook's course id: nbgrader's `CourseDirectory.course_id`, else nbgrader's default."""
    return cfg.CourseDirectory.get("course_id") or "default_course"


def load_config(root: Path) -> Config:
    """The course's nbgrader_config.py as a traitlets Config."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
