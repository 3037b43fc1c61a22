"""A course hub for the tests: set up as `course hub` does (course.instructor.hub.server), in a
scratch folder under /tmp, with accounts carrying a prefix of the test module's own (removed
before and after, so two modules on two pytest workers never share one), PAM passwords made for
the run, free ports on 127.0.0.1, and an admin service token that makes each user's own token.
"""
from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import nbformat

from conftest import ROOT
from course.instructor.hub import accounts, server
from course.instructor.hub.layout import HubSettings, prepare_runtime_dir, server_environment
from course.instructor.lab import free_port

COURSE_ID = "nn-from-scratch"


def leftover_accounts(prefix: str) -> list[str]:
    return [p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(prefix)]


@dataclass
class CourseHub:
    settings: HubSettings
    running: server.Hub
    passwords: dict[str, str]
    admin: server.HubClient
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.settings.url

    def client(self, user: str) -> server.HubClient:
        """`user`'s own token (made by the admin service), their server started."""
        if user not in self.tokens:
            self.tokens[user] = self.admin.user_token(user)
            self.admin.start_server(user)
        return server.HubClient(self.url, self.tokens[user])

    def as_user(self, user: str, *command: str, cwd: Path | None = None, timeout: float = 600):
        """Run a command as `user`, with the environment the hub gives that user's server (what
        a terminal in their JupyterLab gets)."""
        home = accounts.home(user)
        prepare_runtime_dir(user)  # as the hub's pre-spawn hook does for the user's server
        env = [f"{k}={v}" for k, v in server_environment(self.settings, user, home).items()]
        return subprocess.run(["runuser", "-u", user, "--", "env", "-i", *env, *command],
                              cwd=cwd or home, capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def course_hub(prefix: str, instructors: list[str], students: list[str]):
    assert os.geteuid() == 0, "the course hub tests need root: they make Linux accounts and spawn servers as them"
    assert all(u.startswith(prefix) for u in instructors + students)
    for name in leftover_accounts(prefix):
        accounts.remove(name)
    # /tmp, not pytest's tmp_path (0700 under root's pytest-of-root): the users must reach the exchange
    scratch = Path(tempfile.mkdtemp(prefix="nn-course-hub-"))
    os.chmod(scratch, 0o755)
    (scratch / "home").mkdir(mode=0o755)
    passwords = {u: secrets.token_urlsafe(12) for u in instructors + students}
    admin_token = secrets.token_hex(32)
    started = time.monotonic()
    running = None
    try:
        settings = server.setup(ROOT, {
            "state": str(scratch / "state"), "instructors": instructors, "students": students,
            "port": free_port(), "hub_port": free_port(), "proxy_api_port": free_port(),
            "services": [{"name": "course-test", "api_token": admin_token}],
        }, homes=scratch / "home", passwords=passwords)
        print(f"setup (environments reused or built, accounts) took {time.monotonic() - started:.1f} s")
        running = server.start(ROOT, settings)
        yield CourseHub(settings, running, passwords, server.HubClient(settings.url, admin_token))
    finally:
        if running:
            running.stop()
        for name in leftover_accounts(prefix):
            accounts.remove(name)
        shutil.rmtree(scratch, ignore_errors=True)


def ok(status_body, what: str):
    status, body = status_body
    assert status == 200, f"{what}: {status} {body}"
    return body


def pam_login(url: str, user: str, password: str) -> int:
    """Log in through the hub's login form (PAM); the status of the form's answer (302: in)."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    opener.open(f"{url}/hub/login", timeout=30).read()
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    form = urllib.parse.urlencode({"username": user, "password": password, "_xsrf": xsrf}).encode()
    try:
        with opener.open(f"{url}/hub/login?next=", data=form, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- what the loop tests hand in and look for -------------------------------------------------

def autograded_max(path: Path) -> float:
    """The points of a notebook's autograded test cells."""
    nb = nbformat.read(path, as_version=4)
    return sum(c.metadata["nbgrader"].get("points", 0) for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution"))


def hostile_notebook(instructor_home: Path, other_home: Path, assignment: str = "02_moons") -> dict:
    """The blank notebook whose first answer cell reads the course folder and another student's
    work, and patches the grading helpers so that every check would pass."""
    nb = json.loads((ROOT / "release" / assignment / f"{assignment}.ipynb").read_text())
    targets = [instructor_home / "course" / "source" / assignment / f"{assignment}.ipynb",
               instructor_home / "course" / "gradebook.db", other_home / assignment / f"{assignment}.ipynb"]
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "add_bias")
    cell["source"] = (
        "import course.grading as g\n"
        "found = []\n"
        f"for path in {[str(t) for t in targets]!r}:\n"
        "    try:\n"
        "        found.append(open(path, errors='replace').read(60))\n"
        "    except Exception as error:\n"
        "        found.append(type(error).__name__)\n"
        "print('HOSTILE', found)\n"
        "for name in ('expect', 'expect_close', 'expect_shape', 'expect_gradient'):\n"
        "    setattr(g, name, lambda *args, **kwargs: None)\n"
        "g.call = lambda fn, *args, **kwargs: 0\n"
        "def add_bias(X):\n"
        "    raise NotImplementedError()\n")
    return nb


def hidden_test_lines(path: Path, *shown: Path) -> list[str]:
    """The distinctive lines of a notebook's hidden tests that none of the `shown` notebooks
    holds (a visible check or an answer may read like a hidden one)."""
    seen = {line.strip() for p in shown for cell in nbformat.read(p, as_version=4).cells
            for line in cell.source.splitlines()}
    lines, inside = [], False
    for cell in nbformat.read(path, as_version=4).cells:
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif (inside and len(line.strip()) > 25 and not line.strip().startswith("#")
                  and line.strip() not in seen):
                lines.append(line.strip())
    return lines


def run_in_kernel(hub: CourseHub, user: str, code: str, timeout: float = 180) -> str:
    """Run `code` in a new kernel of `user`'s own server (what a cell of theirs does), over
    Jupyter's kernel websocket with their token; the kernel's printed text and error lines."""
    import uuid

    import websocket

    client = hub.client(user)
    status, kernel = client.request("POST", f"/user/{user}/api/kernels", {"name": "python3"})
    assert status in (200, 201), f"no kernel for {user}: {status} {kernel}"
    url = "ws" + hub.url[len("http"):] + f"/user/{user}/api/kernels/{kernel['id']}/channels"
    ws = websocket.create_connection(url, header=[f"Authorization: token {client.token}"], timeout=timeout)
    msg_id = uuid.uuid4().hex
    try:
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        out = []
        while True:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}\n")
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)
    finally:
        ws.close()
        client.request("DELETE", f"/user/{user}/api/kernels/{kernel['id']}")
