"""The sandbox of `course autograde`, measured from inside a sandboxed kernel.

One kernel is started exactly as grading starts it (bubblewrap, IPC sockets, limits, the
kernel's own uid when we are root) in the submission folder of a scratch course that holds a
source notebook, solutions, a gradebook and another student's files. Each test runs a student's
attempt in it and checks, from the outside too, that it failed: the files exist and are readable
by the grader, the sandbox does not let the kernel see them.
"""
from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path

import pytest

from autograde_support import TINY, Listener, make_course, submit, tiny_assignment, tiny_submission
from course.instructor.autograde import course_root, kernel_manager, processes, sandbox, worker
from course.instructor.autograde import run as autograde
from course.instructor.autograde.config import CourseAutograde
from course.instructor.autograde.run import Refused

SECRET = "THE-HIDDEN-TESTS-42"


class Kernel:
    """A sandboxed kernel with a blocking run(code) -> (status, stdout, error)."""

    def __init__(self, box: sandbox.Sandbox, workdir: Path):
        self.loop = asyncio.new_event_loop()
        self.km = kernel_manager.SandboxKernelManager(kernel_name="python3", sandbox=box)
        self.loop.run_until_complete(self.km.start_kernel(cwd=str(workdir),
                                                          extra_arguments=["--HistoryManager.hist_file=:memory:"]))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.loop.run_until_complete(self.kc.wait_for_ready(timeout=180))

    def run(self, code: str, timeout: float = 120) -> tuple[str, str, str]:
        out, err = [], []

        def hook(msg):
            content = msg["content"]
            if msg["msg_type"] == "stream":
                out.append(content["text"])
            elif msg["msg_type"] == "error":
                err.append(f"{content['ename']}: {content['evalue']}")

        reply = self.loop.run_until_complete(
            self.kc.execute_interactive(code, output_hook=hook, timeout=timeout))
        return reply["content"]["status"], "".join(out), "\n".join(err)

    def value(self, expression: str):
        status, out, err = self.run(f"import json as _j; print(_j.dumps({expression}))")
        assert status == "ok", err
        return json.loads(out.strip().splitlines()[-1])

    def close(self):
        self.kc.stop_channels()
        self.km.kill_everything()
        self.loop.run_until_complete(self.km.cleanup_resources())
        self.km.remove_rundir()
        self.loop.close()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("sandboxed"), [])
    (root / "source" / "a1").mkdir(parents=True)
    (root / "source" / "a1" / "a1.ipynb").write_text(json.dumps({"cells": [{"source": SECRET}]}))
    (root / "solutions" / "a1").mkdir(parents=True)
    (root / "solutions" / "a1" / "a1.ipynb").write_text(SECRET)
    with sqlite3.connect(root / "gradebook.db") as db:
        db.execute("create table grade (student text, score real)")
        db.execute("insert into grade values ('bob', 10)")
    (root / "submitted" / "bob" / "a1").mkdir(parents=True)
    (root / "submitted" / "bob" / "a1" / "a1.ipynb").write_text(SECRET)
    work = root / "autograded" / "alice" / "a1"
    work.mkdir(parents=True)
    # a student's own files that try to shadow numpy and the grading helpers
    (work / "numpy.py").write_text("raise ImportError('the student numpy')\n")
    (work / "course").mkdir()
    (work / "course" / "__init__.py").write_text("FAKE = True\n")
    (work / "helpers.py").write_text("ANSWER = 42\n")
    return root, work


@pytest.fixture(scope="module")
def kernel(course):
    root, work = course
    assert sandbox.probe() is None, sandbox.probe()
    os.environ["COURSE_TEST_SECRET_TOKEN"] = "instructor-secret"
    settings = CourseAutograde(config=course_root.course_config(root, {"CourseAutograde": {"memory_limit": "1G"}}))
    box = worker.make_sandbox(root, settings, True, None)
    uid = box.uid
    if uid is not None:
        processes.chown_tree(work, uid, uid)
    k = Kernel(box, work)
    yield k, root, work, box
    k.close()
    if uid is not None:
        processes.chown_tree(work, os.getuid(), os.getgid())


def attempt(k: Kernel, code: str) -> str:
    status, out, err = k.run(code)
    return "ok" if status == "ok" else err


def test_the_host_files_exist_and_the_grader_can_read_them(course):
    root, _ = course
    assert SECRET in (root / "source" / "a1" / "a1.ipynb").read_text()
    assert (root / "gradebook.db").stat().st_size > 0
    assert (root / "autograded" / "alice" / "a1" / ".." / ".." / ".." / "source" / "a1" / "a1.ipynb").exists()


@pytest.mark.parametrize("path", [
    "../../../source/a1/a1.ipynb", "ROOT/source/a1/a1.ipynb", "ROOT/solutions/a1/a1.ipynb",
    "../../../gradebook.db", "ROOT/gradebook.db", "../../../submitted/bob/a1/a1.ipynb",
    "ROOT/nbgrader_config.py", "/root/.bashrc", "/etc/shadow",
])
def test_a_submission_cannot_read_the_course(kernel, path):
    k, root, _, _ = kernel
    result = attempt(k, f"open({path.replace('ROOT', str(root))!r}, 'rb').read()")
    assert result.startswith(("FileNotFoundError", "PermissionError")), result


def test_a_submission_sees_only_its_folder_of_the_course(kernel):
    k, root, work, _ = kernel
    assert sorted(k.value(f"__import__('os').listdir({str(root)!r})")) == ["autograded", "course"]
    assert k.value("__import__('os').listdir('../..')") == ["alice"]
    assert "helpers.py" in k.value("__import__('os').listdir('.')")
    assert attempt(k, "import sqlite3\nsqlite3.connect('file:../../../gradebook.db?mode=ro', uri=True)"
                      ".execute('select * from grade').fetchall()").startswith("OperationalError")


def test_a_submission_cannot_open_a_network_connection(kernel):
    k, _, _, _ = kernel
    server = Listener()
    try:
        loopback = attempt(k, f"import socket\nsocket.create_connection(('127.0.0.1', {server.port}), timeout=5)")
        internet = attempt(k, "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=5)")
        dns = attempt(k, "import socket\nsocket.getaddrinfo('pypi.org', 443)")
    finally:
        server.close()
    assert loopback.startswith("ConnectionRefusedError"), loopback
    assert "unreachable" in internet.lower(), internet
    assert dns.startswith("gaierror"), dns
    assert server.connections == 0
    assert k.value("__import__('socket').gethostname()") == "sandbox"


def test_a_submission_writes_only_its_own_folder(kernel):
    k, root, work, _ = kernel
    assert attempt(k, "open('result.txt', 'w').write('mine')") == "ok"
    assert (work / "result.txt").read_text() == "mine"
    for target in [f"{root}/gradebook.db", "../../../pwned.txt", f"{root}/course/pwned.py", "/usr/pwned"]:
        result = attempt(k, f"open({target!r}, 'w').write('pwned')")
        assert result.startswith(("FileNotFoundError", "PermissionError", "OSError")), (target, result)
    assert attempt(k, "open('/tmp/scratch.txt', 'w').write('private')") == "ok"
    assert not Path("/tmp/scratch.txt").exists() or Path("/tmp/scratch.txt").read_text() != "private"
    assert not (root / "pwned.txt").exists() and not (root / "course" / "pwned.py").exists()
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("select * from grade").fetchall() == [("bob", 10.0)]


def test_the_kernel_runs_unprivileged_within_limits(kernel):
    k, _, _, box = kernel
    info = k.value("{'uid': __import__('os').getuid(), 'caps': open('/proc/self/status').read()"
                   ".split('CapEff:')[1].split()[0], 'data': __import__('resource').getrlimit(__import__('resource').RLIMIT_DATA)[0], "
                   "'nproc': __import__('resource').getrlimit(6)[0], 'fsize': __import__('resource').getrlimit(1)[0]}")
    assert info["uid"] != 0 and int(info["caps"], 16) == 0
    assert info["data"] == box.limits.memory == 2**30
    assert info["nproc"] == box.limits.processes + 64
    assert info["fsize"] == box.limits.file_size
    assert k.value("'COURSE_TEST_SECRET_TOKEN' in __import__('os').environ") is False
    assert k.value("__import__('os').environ['HOME']") == "/tmp/home"


def test_memory_and_processes_are_bounded_and_the_kernel_survives(kernel):
    k, _, _, box = kernel
    assert attempt(k, "open('big.bin', 'wb').write(b'0' * (300 << 20))").startswith("OSError: [Errno 27] File too large")
    memory = attempt(k, "chunks = []\nwhile True:\n    chunks.append(bytearray(10**8))")
    assert memory.startswith("MemoryError"), memory
    assert attempt(k, "del chunks\nx = bytearray(500 * 2**20)\ndel x") == "ok"  # memory is back
    forks = attempt(k, "import os\npids = []\ntry:\n    for _ in range(500):\n        pid = os.fork()\n"
                       "        if pid == 0:\n            import time; time.sleep(30); os._exit(0)\n        pids.append(pid)\n"
                       "finally:\n    import signal\n    for p in pids:\n        os.kill(p, signal.SIGKILL)\n"
                       "        os.waitpid(p, 0)")
    assert forks.startswith("BlockingIOError"), forks
    assert k.value("1 + 1") == 2


def test_files_in_the_submission_do_not_shadow_the_environment(kernel):
    k, _, _, _ = kernel
    assert k.value("__import__('numpy').__file__").startswith(os.path.dirname(os.path.dirname(os.__file__))) or \
        "site-packages" in k.value("__import__('numpy').__file__")
    assert k.value("hasattr(__import__('course'), 'FAKE')") is False
    assert k.value("__import__('helpers').ANSWER") == 42  # the student's own module still imports


def test_monkeypatches_are_undone_before_each_cell_and_after_each_call(kernel):
    k, _, _, _ = kernel
    k.run("import numpy as np, builtins, course.grading as g\nnp.allclose = lambda *a, **k: True\n"
          "builtins.round = lambda *a, **k: 0\ng.expect_close = lambda *a, **k: None")
    assert k.value("[np.allclose(1, 2), round(2.6), g.expect_close.__module__]") == [False, 3, "course.grading"]
    status, _, err = k.run(
        "def sneaky(x):\n    np.allclose = lambda *a, **k: True\n    g.expect_close = lambda *a, **k: None\n    return x\n"
        "from course.grading import call, expect_close\n"
        "expect_close(call(sneaky, 1.0), 2.0, 'sneaky(1.0)')")
    assert status == "error" and "sneaky(1.0): expected" in err, err
    events = k.km.audit_events()
    assert {"kind": "monkeypatch", "detail": "numpy.allclose"} in events


def test_exit_stops_only_the_cell(kernel):
    k, _, _, _ = kernel
    status, _, err = k.run("exit()")
    assert status == "error" and err.startswith("SystemExit"), err
    assert k.value("2 + 2") == 4


def test_the_audit_log_names_what_was_tried(kernel):
    k, root, _, _ = kernel
    k.run(f"try:\n    open('{root}/source/a1/a1.ipynb')\nexcept OSError:\n    pass")
    events = k.km.audit_events()
    assert {"kind": "read outside its folder", "detail": f"{root}/source/a1/a1.ipynb"} in events
    assert any(e["kind"] == "network" for e in events)


def test_no_sandbox_means_a_refusal_with_the_reason(tmp_path, monkeypatch):
    root = make_course(tmp_path / "c", [])
    monkeypatch.setattr(sandbox, "BWRAP", "bwrap-is-not-installed-here")
    reason = sandbox.probe()
    assert reason and "apt-get install bubblewrap" in reason
    tiny_assignment(root)
    submit(root, "good", TINY, {f"{TINY}.ipynb": tiny_submission()})
    with pytest.raises(Refused) as refused:
        autograde.run(root, [TINY], log=lambda *_: None)
    assert "--unsafe-no-sandbox" in str(refused.value) and "bubblewrap" in str(refused.value)
    assert not (root / "gradebook.db").exists(), "a refused run touches nothing"
    log: list[str] = []
    result = autograde.run(root, [TINY], unsafe_no_sandbox=True, log=log.append)
    assert any("WITHOUT a sandbox" in line for line in log)
    assert [(o.student, o.status, o.score) for o in result.outcomes] == [("good", "graded", 3.0)]


# --- every byte metered (tests/test_course_autograde_meter.py grades with it) -------------------

def test_the_meter_sees_what_the_kernel_writes_outside_its_folder(kernel):
    k, _, _, box = kernel
    disk, memory = k.km.places_used()
    paths = ["/tmp/m.bin", "/dev/shm/m.bin", "os.path.expanduser('~/m.bin')",
             "os.path.join(os.path.dirname(get_connection_file()), 'm.bin')"]
    shown = "[" + ", ".join(p if p.startswith("os.") else repr(p) for p in paths) + "]"
    assert attempt(k, f"import os\nfrom ipykernel import get_connection_file\nfor _path in {shown}:\n"
                      "    with open(_path, 'wb') as _fh:\n        _fh.write(b'1' * (20 << 20))\n"
                      "os.write(2, b'2' * (5 << 20))  # straight into the kernel's log") == "ok"
    disk_now, memory_now = k.km.places_used()
    assert disk_now - disk >= 25 << 20, (disk, disk_now)  # its runtime folder and its log
    assert 60 << 20 <= memory_now - memory < 61 << 20, (memory, memory_now)  # /tmp, its home and /dev/shm
    assert attempt(k, f"import os\nfrom ipykernel import get_connection_file\nfor _path in {shown}:\n"
                      "    os.remove(_path)") == "ok"
    assert k.km.places_used()[1] - memory < 1 << 20


def test_the_kernel_cuts_an_error_before_sending_it(kernel):
    k, _, _, box = kernel
    status, _, err = k.run("raise ValueError('!' * 50_000_000)")
    assert status == "error" and err.startswith("ValueError: !!!")
    assert len(err) < box.limits.output_bytes * 2 and "characters cut]" in err
