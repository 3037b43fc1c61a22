"""Set up and run a course hub: `course hub`.

`setup` makes the two environments, the accounts, the hub's folder and the instructor's copy of
the course; `start` runs JupyterHub (from the instructor's environment, as root: the local spawner
switches to each user) until stopped. `HubClient` is the small REST client the tests and scripts
use (an admin service token, or a user's own token).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import accounts, environments
from .layout import HubSettings, prepare

CONFIG = Path("hub") / "jupyterhub_config.py"  # in the course's repository
# what the instructor's copy of the course needs (the repository minus tests and the answer keys'
# outputs, which `course build` regenerates anyway)
COURSE_FILES = ["course", "jupyter", "nbgrader_config.py", "pyproject.toml", "requirements.txt",
                "source", "release", "solutions"]


def copy_course(root: Path, instructor: str, folder: str = "course") -> Path:
    """The instructor's own copy of the course in their home, owned by them (on a real hub the
    instructor clones the repository there instead)."""
    target = accounts.home(instructor) / folder
    if not target.exists():
        target.mkdir()
        for name in COURSE_FILES:
            src = Path(root) / name
            if src.is_dir():
                shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
            elif src.is_file():
                shutil.copy(src, target / name)
        subprocess.run(["chown", "-R", f"{instructor}:", str(target)], check=True)
    return target


def setup(root: Path, settings_kwargs: dict, homes: Path | None = None,
          passwords: dict[str, str] | None = None, envs: Path | None = None, log=print) -> HubSettings:
    """Everything `start` needs; idempotent (accounts and environments are reused)."""
    if os.geteuid() != 0:
        raise SystemExit("A course hub runs as root: its spawner starts each user's server as that user.")
    root = Path(root).resolve()
    student_bin = environments.student(root, envs, log)
    instructor_bin = environments.instructor(root, envs, log)
    settings = HubSettings(student_bin=str(student_bin), instructor_bin=str(instructor_bin), **settings_kwargs)
    for user in settings.instructors + settings.students:
        accounts.create(user, homes, (passwords or {}).get(user))
    for user in settings.instructors:
        copy_course(root, user, settings.course_folder)
    prepare(settings)
    return settings


@dataclass
class Hub:
    process: subprocess.Popen
    settings: HubSettings
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 60) -> None:
        """Stop the hub; it stops the users' servers and its proxy first (cleanup_servers)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        pid_file = self.settings.path("hub", "proxy.pid")
        if pid_file.is_file():  # a proxy left by a killed hub
            try:
                os.kill(int(pid_file.read_text().strip()), 15)
            except (ValueError, ProcessLookupError):
                pass


def start(root: Path, settings: HubSettings, timeout: float = 120) -> Hub:
    """Start JupyterHub (configured by `root`/hub/jupyterhub_config.py) in the background and
    wait until its API answers."""
    log_path = settings.path("hub", "jupyterhub.log")
    env = {"PATH": os.pathsep.join([settings.instructor_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
           "COURSE_HUB_SETTINGS": str(settings.path("hub.json")), "LANG": os.environ.get("LANG", "C.UTF-8"),
           # Debian's proxy finds its modules on Debian's node path; a node from elsewhere (e.g.
           # NodeSource's, as on this project's machines) does not look there by itself
           "NODE_PATH": "/usr/share/nodejs"}
    with open(log_path, "w") as log_file:
        process = subprocess.Popen([str(Path(settings.instructor_bin) / "jupyterhub"), "-f", str(Path(root).resolve() / CONFIG)],
                                   cwd=settings.path("hub"), env=env, stdin=subprocess.DEVNULL,
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(process, settings, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with code {process.returncode}:\n{hub.log()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{settings.url}/hub/api/", timeout=5):
                return hub
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    hub.stop()
    raise TimeoutError(f"JupyterHub did not answer within {timeout} s:\n{hub.log()[-4000:]}")


class HubClient:
    """JupyterHub's REST API (and a user's server behind the proxy) with one token."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url.rstrip("/"), token

    def request(self, method: str, path: str, body: dict | None = None, timeout: float = 120):
        """(status, parsed JSON or text) of one request; errors are returned, not raised."""
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        try:
            return status, json.loads(text) if text else None
        except json.JSONDecodeError:
            return status, text

    def user_token(self, user: str, note: str = "course hub") -> str:
        status, body = self.request("POST", f"/hub/api/users/{user}/tokens", {"note": note, "expires_in": 3600})
        if status not in (200, 201):
            raise RuntimeError(f"no token for {user}: {status} {body}")
        return body["token"]

    def start_server(self, user: str, timeout: float = 180) -> None:
        status, body = self.request("POST", f"/hub/api/users/{user}/server")
        if status not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"could not start {user}'s server: {status} {body}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.request("GET", f"/hub/api/users/{user}")
            server = (body or {}).get("servers", {}).get("", {}) if status == 200 else {}
            if server.get("ready"):
                return
            if status == 200 and not server.get("pending") and not server:
                raise RuntimeError(f"{user}'s server did not start")
            time.sleep(1)
        raise TimeoutError(f"{user}'s server was not ready within {timeout} s")

    def stop_server(self, user: str) -> None:
        self.request("DELETE", f"/hub/api/users/{user}/server")


def run(root: Path, args) -> int:
    """`course hub`: set up, then serve until Ctrl+C (the hub stops every user's server)."""
    settings = setup(root, {"state": str(args.state.resolve()), "instructors": args.instructor,
                            "students": args.student, "ip": args.ip, "port": args.port},
                     homes=args.homes, envs=args.envs)
    print(f"Course hub ready in {settings.state}: {len(settings.students)} student(s), "
          f"instructor(s) {', '.join(settings.instructors)}; log in with the accounts' passwords (PAM).")
    if args.setup_only:
        return 0
    hub = start(root, settings)
    print(f"\nJupyterHub: {settings.url}  (log: {hub.log_path}). Press Ctrl+C to stop.", flush=True)
    try:
        return hub.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        hub.stop()
