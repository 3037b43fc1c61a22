"""Helpers for the `course autograde` tests: scratch course folders, a tiny assignment, PostgreSQL.

`make_course` copies what grading needs (nbgrader_config.py, source/, release/, course/) into a
temporary folder, so tests never touch the repository's gradebook or submitted/ folder.

`tiny_assignment` writes a two-exercise source notebook (`zz_tiny`) whose notebooks run in a
second: the tests that need many runs (kill and resume, PostgreSQL, the stock-nbgrader
comparisons) use it; the adversarial corpus uses the real 02_moons.

`postgres_server` starts a real PostgreSQL (Debian's `postgresql`, installed by .ci/setup) on
loopback, in a temporary folder, as the `postgres` user when we are root (it refuses root).
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TINY = "zz_tiny"


def make_course(dest: Path, assignments: list[str]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "course", dest / "course", ignore=ignore)
    for assignment in assignments:
        for folder in ("source", "release"):
            if (ROOT / folder / assignment).is_dir():
                shutil.copytree(ROOT / folder / assignment, dest / folder / assignment, ignore=ignore)
    return dest


def env_for(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return env


# --- the tiny assignment --------------------------------------------------------------------

def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


TINY_CELLS = [
    ("code", None, "import numpy as np\nimport time"),
    ("code", "square", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"),
    ("code", "test_square", "assert square(2) == 4, 'square(2) should be 4'\n### BEGIN HIDDEN TESTS\n"
                            "assert square(-3) == 9, 'square(-3) should be 9'\n### END HIDDEN TESTS"),
    ("code", "double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
    ("code", "test_double", "### BEGIN HIDDEN TESTS\nassert double(5) == 10, 'double(5) should be 10'\n"
                            "assert np.allclose(double(np.arange(3)), [0, 2, 4]), 'double works on arrays'\n"
                            "### END HIDDEN TESTS"),
]
TINY_POINTS = {"test_square": 1, "test_double": 2}


def tiny_assignment(root: Path, cells: list = TINY_CELLS) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    for kind, grade_id, source in cells:
        cell = nbformat.v4.new_code_cell(source)
        if grade_id in TINY_POINTS:
            cell.metadata = _meta(grade_id, grade=True, solution=False, locked=True, points=TINY_POINTS[grade_id])
        elif grade_id:
            cell.metadata = _meta(grade_id, grade=False, solution=True, locked=False)
        nb.cells.append(cell)
    path = root / "source" / TINY / f"{TINY}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def tiny_submission(answers: dict[str, str] | None = None, extra: list[str] | None = None,
                    drop: tuple[str, ...] = (), cells: list = TINY_CELLS) -> str:
    """A student's notebook: hidden tests gone, the answer key (or `answers`) in the cells."""
    import re

    answers = answers or {}
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}}
    for kind, grade_id, source in cells:
        if grade_id in drop:
            continue
        if grade_id in TINY_POINTS:
            text = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", source, flags=re.S)
            cell = nbformat.v4.new_code_cell(text)
            cell.metadata = _meta(grade_id, grade=True, solution=False, locked=True, points=TINY_POINTS[grade_id])
        elif grade_id:
            text = answers.get(grade_id, source.replace("    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION", ""))
            cell = nbformat.v4.new_code_cell(text)
            cell.metadata = _meta(grade_id, grade=False, solution=True, locked=False)
        else:
            cell = nbformat.v4.new_code_cell(source)
        nb.cells.append(cell)
    for source in extra or []:
        nb.cells.append(nbformat.v4.new_code_cell(source))
    return nbformat.writes(nb)



def notebook_course(dest: Path, assignment: str, notebook) -> tuple[Path, str]:
    """A course of one assignment made in memory, as `course release` leaves it: `notebook(False)`
    its source notebook, `notebook(True)` its release, the assignment registered in the gradebook.
    Returns the course folder and the gradebook's URL."""
    from course.instructor.autograde import config, course_root, gradebook

    root = make_course(dest, [])
    for folder, student in (("source", False), ("release", True)):
        path = root / folder / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook(student), path)
    cfg = course_root.course_config(root)
    gradebook.register_assignment(root, cfg, assignment)
    return root, config.db_url_of(cfg, root)

def submit(root: Path, student: str, assignment: str, files: dict[str, str]) -> Path:
    folder = root / "submitted" / student / assignment
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def grades(db_url: str, assignment: str, course_id: str = "nn-from-scratch") -> dict[str, dict[str, tuple]]:
    """{student: {cell: (score or None if waiting for a manual grade, max, needs_manual_grade)}}"""
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, dict[str, tuple]] = {}
    with Gradebook(db_url, course_id) as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            return out
        for submission in record.submissions:
            cells = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    pending = grade.needs_manual_grade and grade.manual_score is None
                    cells[grade.name] = (None if pending else grade.score, grade.max_score, grade.needs_manual_grade)
            out[submission.student.id] = cells
    return out


# --- PostgreSQL -----------------------------------------------------------------------------

def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL is not installed (initdb not found): .ci/setup installs Debian's `postgresql`")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def postgres_server():
    """A throwaway PostgreSQL server on 127.0.0.1; yields its URL for database `nbgrader`."""
    bindir = _pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="pg-"))
    data = folder / "data"
    runas: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        os.chmod(folder, 0o700)
        runas = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def run(*args: str) -> None:
        result = subprocess.run(runas + list(args), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "120",
            "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "nbgrader")
        yield f"postgresql://postgres@127.0.0.1:{port}/nbgrader"
    finally:
        with contextlib.suppress(Exception):
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


class Listener:
    """A TCP server on the host's loopback that counts who connects (the sandbox must not)."""

    def __init__(self):
        import threading

        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop = True
        self.thread.join(timeout=5)
        self.sock.close()


def wait_for(predicate, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
