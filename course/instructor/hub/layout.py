"""A course hub's folder, its settings, and what each role's server gets.

    <state>/                     0755: users reach the exchange and their Jupyter settings
      hub.json                   the settings below (hub/jupyterhub_config.py reads them)
      hub/                       0700, root's: JupyterHub's database, cookie secret, logs
      exchange/                  nbgrader's exchange root: 1777 (nbgrader wants 0777 at its root;
                                 the sticky bit keeps a student from renaming the course's folder)
      jupyter/student/           nbgrader_config.py: the exchange and the course id
      jupyter/instructor/        nbgrader_config.py: the exchange, and the course's own settings
                                 loaded from the instructor's clone of the course;
                                 jupyter_server_config.py: the formgrader's tab may frame its server

Each user's Jupyter runtime files (kernels' IPC sockets, connection files) go to
`/run/nn-course-hub/<uid>/` (0700, theirs), made by the hub before their server starts: an IPC
socket's path must fit in 107 bytes, and `~/.local/share/jupyter/runtime/kernel-<uuid>-ipc-4`
under a long home (or a long user name) does not, so no kernel could start.

The hub's configuration (hub/jupyterhub_config.py) and the tests build each server's
environment with `server_environment`, so a test that runs a command "as the student's server
would" runs it with exactly what the hub gives that server.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..kit import COURSE_ID

PROXY = "/usr/bin/configurable-http-proxy"  # Debian's node-configurable-http-proxy (.ci/setup)
RUNTIME_ROOT = Path("/run/nn-course-hub")     # root's, 0755: nobody else can make a folder in it


@dataclass
class HubSettings:
    state: str                       # the folder above
    instructors: list[str]
    students: list[str]
    student_bin: str                 # bin/ of the students' environment
    instructor_bin: str              # bin/ of the instructor's environment (the hub's too)
    course_folder: str = "course"    # the instructor's clone of the course, relative to their home
    ip: str = "127.0.0.1"
    port: int = 8000                 # the proxy: what browsers open
    hub_port: int = 8081
    proxy_api_port: int = 8001
    authenticator: str = "pam"       # "pam" (the system's accounts) or "dummy" (tests on loopback only)
    dummy_password: str | None = None
    services: list[dict] = field(default_factory=list)  # e.g. an admin token for scripts and tests

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    def path(self, *parts: str) -> Path:
        return Path(self.state, *parts)

    def role(self, user: str) -> str:
        if user in self.instructors:
            return "instructor"
        if user in self.students:
            return "student"
        raise KeyError(f"{user} is not in this course")

    def save(self) -> Path:
        target = self.path("hub.json")
        target.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.chmod(target, 0o600)  # it may hold the admin service's token
        return target

    @classmethod
    def load(cls, path: str | Path) -> "HubSettings":
        return cls(**json.loads(Path(path).read_text()))


def nbgrader_config(settings: HubSettings, role: str) -> str:
    lines = [f'"""nbgrader on the course hub, {role}s\' servers: the shared exchange."""',
             "import os", "", "c = get_config()  # noqa: F821"]
    if role == "instructor":
        # JupyterHub's spawner starts a server in its user's home, and the formgrader reads
        # nbgrader_config.py from the server's working folder: load the course's own from the
        # instructor's clone (its CourseDirectory.root, gradebook, limits)
        lines += [f"course = os.path.join(os.path.expanduser('~'), {settings.course_folder!r}, 'nbgrader_config.py')",
                  "if os.path.isfile(course):",
                  "    load_subconfig(course)  # noqa: F821"]
    lines.append(f"c.Exchange.root = {str(settings.path('exchange'))!r}")
    if role == "student":
        # the instructor's clone names the course id in its own nbgrader_config.py
        lines.append(f"c.CourseDirectory.course_id = {COURSE_ID!r}")
    return "\n".join(lines) + "\n"


# JupyterHub's single-user servers forbid being framed at all (frame-ancestors 'none'); JupyterLab
# shows the formgrader in an iframe of the same server, which then stays blank. The instructor's
# server allows its own pages, nothing else.
INSTRUCTOR_SERVER_CONFIG = '''"""The instructor's server on the course hub: the formgrader tab frames this server's own pages."""
c = get_config()  # noqa: F821
c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}
'''


def prepare(settings: HubSettings) -> None:
    """Make the hub's folder, the exchange and each role's nbgrader settings."""
    state = Path(settings.state)
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o755)
    settings.path("hub").mkdir(exist_ok=True)
    os.chmod(settings.path("hub"), 0o700)
    exchange = settings.path("exchange")
    exchange.mkdir(exist_ok=True)
    os.chmod(exchange, 0o1777)
    for role in ("student", "instructor"):
        folder = settings.path("jupyter", role)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "nbgrader_config.py").write_text(nbgrader_config(settings, role))
        if role == "instructor":
            (folder / "jupyter_server_config.py").write_text(INSTRUCTOR_SERVER_CONFIG)
        os.chmod(folder, 0o755)
        for path in folder.iterdir():
            os.chmod(path, 0o644)
    os.chmod(settings.path("jupyter"), 0o755)
    settings.save()


def notebook_dir(settings: HubSettings, user: str, home: str | Path) -> Path:
    """Where a user's server opens: the instructor's clone of the course (the formgrader reads
    its nbgrader_config.py from there), a student's home."""
    if settings.role(user) == "instructor":
        return Path(home) / settings.course_folder
    return Path(home)


def runtime_dir(user: str) -> Path:
    """The user's Jupyter runtime folder: short whatever the user's name or home."""
    return RUNTIME_ROOT / str(pwd.getpwnam(user).pw_uid)


def prepare_runtime_dir(user: str) -> Path:
    """Make the user's runtime folder (root, before their server starts): theirs, 0700, and
    made anew if anything else is found at its place."""
    entry = pwd.getpwnam(user)
    RUNTIME_ROOT.mkdir(mode=0o755, exist_ok=True)
    os.chown(RUNTIME_ROOT, 0, 0)
    os.chmod(RUNTIME_ROOT, 0o755)
    folder = runtime_dir(user)
    info = os.lstat(folder) if os.path.lexists(folder) else None
    if info is not None and (not os.path.isdir(folder) or os.path.islink(folder) or info.st_uid != entry.pw_uid
                             or info.st_mode & 0o077):
        if os.path.isdir(folder) and not os.path.islink(folder):
            shutil.rmtree(folder)
        else:
            os.unlink(folder)
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chown(folder, entry.pw_uid, entry.pw_gid)
    os.chmod(folder, 0o700)
    return folder


def server_environment(settings: HubSettings, user: str, home: str | Path) -> dict[str, str]:
    """What a user's single-user server (and so its kernels and terminals) gets from the hub,
    besides JupyterHub's own variables."""
    role = settings.role(user)
    bin_dir = settings.student_bin if role == "student" else settings.instructor_bin
    config = [str(settings.path("jupyter", role))]
    if role == "instructor":
        # the formgrader's server extensions and JupyterLab plugins, from the course itself
        config.append(str(notebook_dir(settings, user, home) / "jupyter" / "instructor"))
    # the students' Jupyter settings come with the kit's package, inside their environment
    return {
        "PATH": os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "JUPYTER_CONFIG_PATH": os.pathsep.join(config),
        "HOME": str(home),
        "USER": user,
        "JUPYTER_RUNTIME_DIR": str(runtime_dir(user)),
        # small matrices on a shared server: BLAS threads only wait for each other
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }


def singleuser_command(settings: HubSettings, user: str) -> list[str]:
    role = settings.role(user)
    bin_dir = settings.student_bin if role == "student" else settings.instructor_bin
    return [str(Path(bin_dir) / "jupyterhub-singleuser")]
