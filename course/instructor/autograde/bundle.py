"""What a grading machine needs from the course folder, packed once and unpacked into a local folder.

`course autograde --scheduler` grades on machines that do not share the course folder. Each
needs the course's settings (`nbgrader_config.py`), the course package the kernels import
(`course/`), the assignments' source and release notebooks, and the gradebook's description of
the assignments (their notebooks and cells, hidden tests included). Students' data (the
gradebook's students, submissions and grades, submitted/, autograded/, feedback/) stays behind:
a grading machine gets one submission per task, and returns data, never writes the real gradebook.
"""
from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

# nbgrader's tables that describe assignments; the others hold students and their grades
DEFINITION_TABLES = ("course", "assignment", "notebook", "base_cell", "source_cell", "grade_cells",
                     "solution_cells", "task_cells")
SCRATCH_DB = "gradebook.db"
_SKIP = ("__pycache__", ".ipynb_checkpoints")


@dataclass(frozen=True)
class Bundle:
    data: bytes          # a tar.gz of the folder a worker grades in
    digest: str          # sha256 of data: names the worker plugin, so a changed course replaces it


def make(root: Path, db_url: str, assignments: list[str], scratch: Path) -> Bundle:
    """Pack the course folder `root` for grading `assignments` elsewhere; `scratch` is a work folder."""
    scratch.mkdir(parents=True, exist_ok=True)
    copy_definitions(db_url, scratch / SCRATCH_DB)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        def add(path: Path, name: str) -> None:
            tar.add(path, arcname=name, filter=lambda info: None if any(
                part in _SKIP for part in Path(info.name).parts) else _plain(info))
        add(root / "nbgrader_config.py", "nbgrader_config.py")
        if (root / "course").is_dir():
            add(root / "course", "course")
        for assignment in assignments:
            for folder in ("source", "release"):
                if (root / folder / assignment).is_dir():
                    add(root / folder / assignment, f"{folder}/{assignment}")
        add(scratch / SCRATCH_DB, SCRATCH_DB)
    data = buffer.getvalue()
    return Bundle(data, hashlib.sha256(data).hexdigest())


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # the worker's user owns what it unpacks; the coordinator's uid means nothing there
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def unpack(bundle: Bundle, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(bundle.data), mode="r:gz") as tar:
        tar.extractall(dest, filter="data")
    return dest


def copy_definitions(db_url: str, target: Path) -> None:
    """A fresh SQLite gradebook holding the assignment tables of `db_url` (SQLite or PostgreSQL)."""
    from nbgrader.api import Base, Gradebook

    target.unlink(missing_ok=True)
    Gradebook("sqlite:///" + str(target)).close()  # nbgrader's schema, stamped for its alembic
    source = sa.create_engine(db_url, future=True)
    dest = sa.create_engine("sqlite:///" + str(target), future=True)
    try:
        tables = [t for t in Base.metadata.sorted_tables if t.name in DEFINITION_TABLES]
        with source.connect() as read, dest.begin() as write:
            for table in reversed(tables):
                write.execute(table.delete())
            for table in tables:
                rows = [dict(row) for row in read.execute(sa.select(table)).mappings()]
                if rows:
                    write.execute(table.insert(), rows)
    finally:
        source.dispose()
        dest.dispose()
