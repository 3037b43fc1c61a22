"""Open the course in JupyterLab, as a student or as an instructor.

    course lab --student      a preview of what students get: the student kit (`course
                              student-kit`) built into a scratch folder outside the course, served
                              from a virtual environment made from the kit alone; nbgrader's
                              Validate button and Assignments tab (no formgrader)
    course lab --instructor   JupyterLab on the course folder, with nbgrader's formgrader

The student's server sees nothing of the course folder: no editable install, no path into it in
its environment; the kit's own package installs its Jupyter settings (see course.instructor.kit).
Only the Assignments tab reaches the course, through the course-local exchange (exchange/, as an
instructor's Release would fill it), named in a scratch nbgrader_config.py next to the kit.

The instructor's server is configured by the project's own files:

    jupyter/nbgrader_config.py                  the course-local exchange (exchange/)
    jupyter/instructor/jupyter_server_config.json   nbgrader's server extensions
    jupyter/instructor/labconfig/page_config.json   nbgrader's JupyterLab plugins

They reach Jupyter through JUPYTER_CONFIG_PATH, which ranks above the user's and the
environment's own configuration. The server listens on loopback with a fresh token; the tests in
tests/browser/ start it through `start()` below, so what they check is what `course lab` runs.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from . import kit as kit_mod
from .build import available_assignments, kernel_env

ROLES = ("student", "instructor")
CACHE = Path.home() / ".cache" / "nn-course"


def preview_dir() -> Path:
    """Where `course lab --student` builds its kit: outside the course folder."""
    return Path(os.environ.get("COURSE_PREVIEW_DIR") or CACHE / "preview")


def venv_cache() -> Path:
    """Where the kit's virtual environments are kept, one per set of kit requirements."""
    return Path(os.environ.get("COURSE_KIT_VENVS") or CACHE / "kit-venvs")


@dataclass
class StudentPreview:
    kit: Path          # the kit's folder, the server's root
    python: Path       # the kit environment's python
    config: Path       # the preview's nbgrader settings (the course-local exchange)


def prepare_student_preview(root: Path, preview: Path | None = None, venvs: Path | None = None,
                            log=print) -> StudentPreview:
    """Build the kit into `preview`/kit, make (or reuse) its environment, and write the
    preview's nbgrader settings: the course-local exchange, the kit as the student's folder."""
    root = Path(root).resolve()
    preview = Path(preview or preview_dir()).resolve()
    if preview == root or root in preview.parents:
        raise SystemExit(f"The student preview must live outside the course folder, not in {preview}")
    kit = kit_mod.build(root, preview / "kit", zip_it=False, log=log)
    python = kit_mod.venv(kit, Path(venvs or venv_cache()), log=log)
    config = preview / "jupyter-config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "nbgrader_config.py").write_text(
        '"""`course lab --student`: the course-local exchange, and the kit as the student\'s folder."""\n'
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {kit_mod.COURSE_ID!r}\n"
        f"c.Exchange.root = {str(root / 'exchange')!r}\n"
        f"c.Exchange.assignment_dir = {str(kit)!r}\n")
    return StudentPreview(kit, python, config)


def served_folder(root: Path, role: str) -> Path:
    """Instructors see the whole course folder (students see their kit: prepare_student_preview)."""
    return root


def config_path(root: Path, role: str) -> list[str]:
    """The course's Jupyter config folders for a role, highest priority first."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    return [str(root / "jupyter" / role), str(root / "jupyter")]


def server_env(root: Path, role: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: kernels import the course package from `root`, and Jupyter
    reads the role's configuration before any other."""
    # no MPLBACKEND: kernels show their plots inline; a person's kernels may fetch MNIST once
    # (nbgrader's Validate button still does not: it sets NBGRADER_EXECUTION)
    env = kernel_env(root, downloads=True)
    env.update(extra or {})
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        config_path(root, role) + [p for p in [env.get("JUPYTER_CONFIG_PATH")] if p])
    return env


def free_port(ip: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def student_env(preview: StudentPreview, root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The student server's environment: the kit's python first, the preview's nbgrader
    settings, and nothing pointing into the course folder or another Python environment."""
    env = kit_mod.clean_env(drop_paths_into=root)
    env.update(extra or {})
    env["PATH"] = os.pathsep.join([str(preview.python.parent), env.get("PATH", "")])
    env["JUPYTER_CONFIG_PATH"] = str(preview.config)
    env.pop("MPLBACKEND", None)
    return env


def server_command(root: Path, role: str, port: int, token: str, ip: str = "127.0.0.1",
                   extra_args: list[str] | None = None, python: str | Path | None = None,
                   folder: Path | None = None) -> list[str]:
    return [
        str(python or sys.executable), "-m", "jupyterlab",
        f"--ServerApp.root_dir={folder or served_folder(root, role)}",
        f"--ServerApp.ip={ip}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
        # Containers and CI run as root, which Jupyter refuses unless told.
        *(["--ServerApp.allow_root=True"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        *(extra_args or []),
    ]


def release_to_exchange(root: Path, assignments: list[str] | None = None, log=print) -> list[str]:
    """Copy release/<id> into the course-local exchange, as an instructor's "Release" would, so
    the student's Assignments tab lists the assignments. Returns the released ids."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    for folder in (root / "jupyter", root):  # the course's own settings win
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config())
    released = []
    for assignment in assignments or available_assignments(root):
        if not (root / "release" / assignment).is_dir():
            continue
        config.CourseDirectory.assignment_id = assignment
        coursedir = CourseDirectory(config=config)
        exchange = ExchangeFactory(config=config)
        exchange.ReleaseAssignment(coursedir=coursedir, authenticator=Authenticator(config=config),
                                   config=config, force=True).start()
        released.append(assignment)
    if released:
        log(f"Released to {root / 'exchange'}: {', '.join(released)}")
    return released


@dataclass
class Lab:
    """A running JupyterLab server."""

    process: subprocess.Popen
    base_url: str
    token: str
    role: str
    folder: Path
    log_path: Path | None = None
    _log_file: object = field(default=None, repr=False)

    def url(self, path: str = "lab") -> str:
        """An address in this server, with the token, e.g. url("lab/tree/02_moons/02_moons.ipynb")."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}token={self.token}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self, timeout: float = 30) -> None:
        """Stop the server (it shuts its kernels down first)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self._log_file:
            self._log_file.close()


def wait_ready(lab: Lab, timeout: float = 180) -> None:
    """Wait until the server answers with our token; fail with its log if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {lab.process.returncode}:\n{lab.log()[-4000:]}")
        try:
            with urllib.request.urlopen(lab.url("api/status"), timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    lab.stop()
    raise TimeoutError(f"JupyterLab did not answer within {timeout} s:\n{lab.log()[-4000:]}")


def start(root: Path, role: str, port: int | None = None, token: str | None = None,
          ip: str = "127.0.0.1", log_path: Path | None = None, env: dict[str, str] | None = None,
          extra_args: list[str] | None = None, timeout: float = 180,
          preview: Path | None = None, venvs: Path | None = None, log=print) -> Lab:
    """Start JupyterLab for `role` on the course at `root` and wait until it answers. The
    student's server runs on a kit built into `preview` (default: preview_dir()), in an
    environment kept in `venvs` (default: venv_cache())."""
    root = Path(root).resolve()
    # The course-local exchange (jupyter/nbgrader_config.py) must exist, or the formgrader turns
    # off Release and Collect and the Assignments tab shows an error.
    (root / "exchange").mkdir(exist_ok=True)
    port = port or free_port(ip)
    token = token or secrets.token_hex(24)
    if role == "student":
        student = prepare_student_preview(root, preview, venvs, log=log)
        folder, command = student.kit, server_command(root, role, port, token, ip, extra_args,
                                                      python=student.python, folder=student.kit)
        server_environment = student_env(student, root, env)
    else:
        folder, command = root, server_command(root, role, port, token, ip, extra_args)
        server_environment = server_env(root, role, env)
    log_file = open(log_path, "w") if log_path else None
    process = subprocess.Popen(
        command, cwd=folder, env=server_environment, stdin=subprocess.DEVNULL,
        stdout=log_file, stderr=subprocess.STDOUT if log_file else None,
        # Ctrl+C reaches `course lab`, which stops the server cleanly; the server itself would
        # ask "Shutdown this Jupyter server (y/[n])?" on a terminal it cannot read.
        start_new_session=True,
    )
    host = f"[{ip}]" if ":" in ip else ip
    lab = Lab(process, f"http://{host}:{port}/", token, role, folder, log_path, log_file)
    wait_ready(lab, timeout)
    return lab


def run(root: Path, role: str, port: int | None = None, ip: str = "127.0.0.1") -> int:
    """`course lab`: start the server, print the address, serve until Ctrl+C."""
    if role == "student":
        release_to_exchange(root)
    elif not (root / "autograded").is_dir():
        print("Nothing autograded yet: run `course demo` first to grade the example submissions.")
    lab = start(root, role, port=port, ip=ip)
    what = (f"the student kit (a preview, rebuilt from release/ at every start: work done there is "
            f"not kept), serving {lab.folder}" if role == "student" else f"the instructor, serving {lab.folder}")
    print(f"\nJupyterLab for {what}:\n\n    {lab.url()}\n\n"
          "Open that address in a browser. Press Ctrl+C to stop.", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops the server too
    try:
        return lab.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if lab.process.poll() is None:
            print("Stopping JupyterLab...", flush=True)
        lab.stop()
