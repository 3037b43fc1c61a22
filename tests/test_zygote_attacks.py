"""Attacks on the grader's zygote (twoproc/zygote*.py): a compromised grader kernel (code in a hidden
test cell, as COMPROMISED_GRADER in test_twoproc_autograde.py) tries to reach the zygote, or to leave
something behind that a later notebook's grader on the same worker runs next to or can observe.

Each test asserts the SAFE outcome: every notebook keeps its full points and no later grader sees
anything of the earlier one.
"""
from __future__ import annotations

import json
import os
import signal
import time

import nbformat
import pytest

from autograde_support import TINY, TINY_CELLS, grades, make_course, submit, tiny_assignment, tiny_submission
from course.instructor.autograde import run as autograde

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the grader's uids need root")


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def _grade(tmp_path, hidden: str, students=("ann", "bob", "cy"), extra=None, answers=None, overrides=None):
    """The tiny assignment with `hidden` appended to test_square's hidden part, graded by one worker."""
    cells = [(kind, g, source.replace("### END HIDDEN TESTS", hidden.strip() + "\n### END HIDDEN TESTS")
              if g == "test_square" else source) for kind, g, source in TINY_CELLS]
    root = make_course(tmp_path / "course", [])
    tiny_assignment(root, cells)
    for student in students:
        submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission(
            cells=cells, extra=(extra or {}).get(student), answers=(answers or {}).get(student))})
    log: list[str] = []
    started = time.monotonic()
    result = autograde.run(root, [TINY], workers=1, log=log.append, report=False, overrides=overrides)
    took = time.monotonic() - started
    printed = {}
    for student in students:
        nb = nbformat.read(root / "autograded" / student / TINY / f"{TINY}.ipynb", as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
        printed[student] = (_printed(cell), cell.outputs, nb)
    got = grades("sqlite:///" + str(root / "gradebook.db"), TINY)
    points = {s: (got[s]["test_square"][0], got[s]["test_double"][0]) for s in students}
    return result, printed, points, "\n".join(log), took


def _kill_marked(marker: str, seconds: float = 3.0) -> list:
    """Kill (repeatedly: a fork chain changes pid) every process whose command line holds `marker`."""
    import psutil

    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = False
        for proc in psutil.process_iter(["pid", "cmdline"]):
            if marker in " ".join(proc.info["cmdline"] or []):
                found = True
                seen.append(proc.info["pid"])
                try:
                    proc.send_signal(signal.SIGSTOP)
                    proc.kill()
                except psutil.Error:
                    pass
        if not found:
            break
    return seen


# --- 1. reaching the zygote from a grader kernel ------------------------------------------------

REACH = r'''
import ctypes, json as _json, os as _os, signal as _signal, socket as _socket
_out = {}
_base = _os.path.dirname(_os.getcwd())
try:
    _out["list base"] = sorted(_os.listdir(_base))
except OSError as _e:
    _out["list base"] = _e.errno
_s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
try:
    _s.connect(_os.path.join(_base, "control", "s"))
    _out["control"] = "connected"
except OSError as _e:
    _out["control"] = _e.errno
_zy = []
for _pid in filter(str.isdigit, _os.listdir("/proc")):
    try:
        if b"twoproc.zygote" in open(f"/proc/{_pid}/cmdline", "rb").read() and int(_pid) != _os.getpid():
            _zy.append(int(_pid))
    except OSError:
        pass
_out["zygotes"] = len(_zy)
for _pid in _zy:
    for _what in ("mem", "environ", "maps", "fd"):
        try:
            if _what == "fd":
                _os.listdir(f"/proc/{_pid}/fd")
            else:
                open(f"/proc/{_pid}/{_what}", "rb").read(1)
            _out[_what] = "read"
        except OSError as _e:
            _out[_what] = _e.errno
    try:
        _os.kill(_pid, 0)
        _out["signal"] = "sent"
    except OSError as _e:
        _out["signal"] = _e.errno
    _libc = ctypes.CDLL(None, use_errno=True)
    _out["ptrace"] = _libc.ptrace(16, _pid, 0, 0) if _libc.ptrace(16, _pid, 0, 0) == 0 else ctypes.get_errno()
print("REACH", _json.dumps(_out, sort_keys=True))
'''


def test_a_grader_kernel_cannot_reach_the_zygote(tmp_path):
    result, printed, points, log, took = _grade(tmp_path, REACH, students=("ann",))
    text = printed["ann"][0]
    assert "REACH" in text, printed["ann"][1]
    found = json.loads(text.split("REACH", 1)[1].strip().splitlines()[0])
    print(found, f"{took:.1f}s")
    assert found["zygotes"] >= 1, found  # the kernel does see the zygote's process (one pid namespace)
    assert found["list base"] == 13 and found["control"] in (2, 13), found
    assert all(found[k] == 13 for k in ("mem", "environ", "fd")), found
    assert found["signal"] == 1 and found["ptrace"] == 1, found
    assert points == {"ann": (1, 2)}, log


# --- 2. a fork chain outlives the notebook's "kill everything of its uid" -----------------------

# A process that forks and exits every few milliseconds: clear_uid's kill by pid (a psutil scan of
# the machine, then a kill of what it found) finds only pids that already exited. In the plain
# sandbox the pid namespace dies with bwrap; the zygote's pid namespace lives on.
HYDRA_CODE = r"""
import os, sys, time
start = time.time()
start = time.time()
while time.time() - start < 60:
    if os.fork():
        os._exit(0)
    try:
        with open('/tmp/zy-hydra-' + str(os.getuid()), 'w') as fh:
            fh.write(str(os.getpid()))
    except OSError:
        pass
    time.sleep(0.003)
"""
HYDRA = f'''
import os as _os, subprocess as _sp, sys as _sys
if not any(b"zy-hydra-marker" in open(f"/proc/{{_p}}/cmdline", "rb").read()
           for _p in filter(str.isdigit, _os.listdir("/proc")) if _os.path.exists(f"/proc/{{_p}}/cmdline")):
    _sp.Popen([_sys.executable, "-c", {HYDRA_CODE!r}, "zy-hydra-marker"], start_new_session=True,
              stdout=_sp.DEVNULL, stderr=open("hydra.err", "w"))
    import time as _t
    _t.sleep(1.0)
    _alive = [_p for _p in filter(str.isdigit, _os.listdir("/proc")) if _os.path.exists(f"/proc/{{_p}}/cmdline")
              and b"zy-hydra-marker" in open(f"/proc/{{_p}}/cmdline", "rb").read()]
    print("hydra started", _os.getuid(), len(_alive), sorted(n for n in _os.listdir("/tmp") if "hydra" in n),
          repr(open("hydra.err").read()[-300:]))
else:
    _seen = []
    for _p in filter(str.isdigit, _os.listdir("/proc")):
        try:
            if b"zy-hydra-marker" in open(f"/proc/{{_p}}/cmdline", "rb").read():
                _seen.append(_os.stat(f"/proc/{{_p}}").st_uid)
        except OSError:
            pass
    print("hydra seen", _os.getuid(), sorted(set(_seen)), sorted(n for n in _os.listdir("/tmp") if "hydra" in n))
'''


def test_a_fork_chain_of_a_grader_kernel_does_not_outlive_its_notebook(tmp_path):
    try:
        result, printed, points, log, took = _grade(tmp_path, HYDRA)
    finally:
        survivors = _kill_marked("zy-hydra-marker")
    lines = {s: p[0].strip() for s, p in printed.items()}
    print(lines, f"{took:.1f}s", "killed afterwards:", len(set(survivors)))
    assert lines["ann"].startswith("hydra started"), printed["ann"][1]
    assert all(lines[s].startswith("hydra started") for s in ("bob", "cy")), \
        f"a later notebook's grader runs next to an earlier one's process: {lines}"
    assert points == {s: (1, 2) for s in ("ann", "bob", "cy")}, log


# --- 3. traces in every place a grader kernel can write, and in the shared namespaces -----------

LEAVE = r'''
import ctypes as _ct, json as _json, os as _os, socket as _socket, stat as _stat
_me = _os.getuid()
_skip = ("/proc", "/sys", "/usr", "/lib", "/bin", "/sbin", "/etc")
_writable, _found = [], []  # (the zygote's base folder, 0711, is not listed: the walk stops there)
for _top, _dirs, _files in _os.walk("/", onerror=lambda e: None):
    if _top.startswith(_skip) or "site-packages" in _top or "/.venv" in _top or "pyenv" in _top:
        _dirs[:] = []
        continue
    if _os.access(_top, _os.W_OK) and not _top.startswith(_os.getcwd()):
        _writable.append(_top)
    for _name in _files + _dirs:
        if "zy-left" in _name:
            _found.append(_os.path.join(_top, _name))
_net = {}
for _kind in ("unix", "tcp", "tcp6", "udp"):
    try:
        _net[_kind] = [l for l in open(f"/proc/net/{_kind}").read().splitlines()[1:] 
                      if "zy-left" in l or (_kind != "unix" and l.split()[7] != str(_me))]  # not its own
    except OSError:
        pass
_ipc = {k: open(f"/proc/sysvipc/{k}").read().splitlines()[1:] for k in ("msg", "sem", "shm")}
print("LEAVE", _json.dumps({"uid": _me, "writable": _writable, "found": _found, "net": _net, "ipc": _ipc}))
_planted = []
for _dir in _writable:
    if _dir.startswith(_os.getcwd()):
        continue
    for _kind in ("file", "fifo", "socket", "dir"):
        _path = _os.path.join(_dir, f"zy-left-{_kind}-{_me}")
        try:
            if _kind == "file":
                open(_path, "w").write("x")
            elif _kind == "fifo":
                _os.mkfifo(_path)
            elif _kind == "dir":
                _os.makedirs(_path + "/sub")
                _os.chmod(_path, 0o000)
            else:
                _socket.socket(_socket.AF_UNIX).bind(_path)
            _planted.append(_path)
        except OSError:
            pass
_libc = _ct.CDLL(None, use_errno=True)
_libc.msgget(0x5A594C31, 0o1666)
_libc.semget(0x5A594C32, 1, 0o1666)
_keep = _socket.socket(_socket.AF_UNIX)
_keep.bind(b"\0zy-left-abstract")
_keep.listen(1)
_tcp = _socket.socket()
_tcp.bind(("127.0.0.1", 47123))
_tcp.listen(1)
print("PLANTED", _json.dumps(_planted))
'''


def test_a_grader_kernel_leaves_nothing_a_later_one_finds(tmp_path):
    result, printed, points, log, took = _grade(tmp_path, LEAVE)
    seen = {}
    for student, (text, outputs, _) in printed.items():
        assert "LEAVE" in text, outputs
        seen[student] = json.loads(text.split("LEAVE", 1)[1].strip().splitlines()[0])
    print({s: {k: v for k, v in found.items()} for s, found in seen.items()}, f"{took:.1f}s")
    for student in ("bob", "cy"):
        found = seen[student]
        assert found["found"] == [], f"{student}'s grader found files of an earlier notebook: {found['found']}"
        assert not any(found["ipc"].values()), f"{student}'s grader found IPC objects: {found['ipc']}"
        assert not found["net"].get("unix") and not found["net"].get("tcp"), found["net"]
    assert points == {s: (1, 2) for s in ("ann", "bob", "cy")}, log


# --- 4. a student's code stalls or overloads the grader kernel mid-notebook ----------------------

# the grader's pid and start time in each test cell: a restarted grader is another fork
WHO = 'import os as _os\nprint("grader", _os.getpid(), open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])'
STALL = "def square(x):\n    import time\n    if x == -3:\n        time.sleep(600)\n    return x * x"
BOMB = "def square(x):\n    if x == -3:\n        return b'x' * (1 << 31)\n    return x * x"


def test_a_student_who_stalls_or_overloads_the_grader_changes_no_one_elses_points(tmp_path):
    students = ("aa_stall", "ab_bomb", "bob", "cy")
    result, printed, points, log, took = _grade(
        tmp_path, WHO, students=students, answers={"aa_stall": {"square": STALL}, "ab_bomb": {"square": BOMB}},
        overrides={"CourseAutograde": {"cell_timeout": 20, "interrupt_grace": 3}})
    graders = {}
    for student, (_, _, nb) in printed.items():
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in ("test_square", "test_double"):
                graders[(student, grade_id)] = (_printed(cell).strip()[:80],
                                                [o.get("ename") for o in cell.outputs if o.get("output_type") == "error"])
    print(points, graders, f"{took:.1f}s")
    assert not result.failed, log
    assert points == {"aa_stall": (0, 2), "ab_bomb": (0, 2), "bob": (1, 2), "cy": (1, 2)}, (points, graders, log[-3000:])


# --- 5. as an ordinary account (the hub's instructor): one uid for the zygote and every kernel ----

# As the instructor's own account there are no kernel uids (kernel_uid() is None): the zygote and all
# the kernels it forks run as one uid in one user, pid and network namespace. Nothing then kills a
# grader kernel's processes beyond its session (clear_uid and wipe are skipped for uid None), and
# the zygote's control folder, the later kernels' folders and processes are all that same uid's.
NR_DAEMON = r"""
import os, signal, time
known = {int(p) for p in os.listdir('/proc') if p.isdigit()}
end = time.time() + 60
while time.time() < end:
    for p in os.listdir('/proc'):
        if p.isdigit() and int(p) not in known:
            known.add(int(p))
            try:
                os.kill(int(p), signal.SIGKILL)  # a later notebook's grader kernel (same uid)
            except OSError:
                pass
    time.sleep(0.02)
"""
NONROOT = f'''
import json as _json, os as _os, socket as _socket, subprocess as _sp, sys as _sys
_out = {{"uid": _os.getuid()}}
_base = _os.path.dirname(_os.getcwd())
try:
    _out["list base"] = sorted(n for n in _os.listdir(_base) if not n.endswith(".log"))
except OSError as _e:
    _out["list base"] = _e.errno
_s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
try:
    _s.connect(_os.path.join(_base, "control", "s"))
    _out["control"] = "connected"
except OSError as _e:
    _out["control"] = _e.errno
def _cmd(p):
    try:
        return open(f"/proc/{{p}}/cmdline", "rb").read()
    except OSError:
        return b""
_zy = [int(p) for p in filter(str.isdigit, _os.listdir("/proc")) if b"twoproc.zygote" in _cmd(p) and int(p) != _os.getpid()]
_out["signal zygote"] = []
for _p in _zy:
    try:
        _os.kill(_p, 0)
        _out["signal zygote"].append("allowed")
    except OSError as _e:
        _out["signal zygote"].append(_e.errno)
if any(b"zy-nr-daemon" in _cmd(p) for p in filter(str.isdigit, _os.listdir("/proc"))):
    _out["daemon"] = "an earlier notebook's is running"
else:
    _sp.Popen([_sys.executable, "-c", {NR_DAEMON!r}, "zy-nr-daemon"], start_new_session=True,
              stdin=_sp.DEVNULL, stdout=_sp.DEVNULL, stderr=_sp.DEVNULL)
    _out["daemon"] = "started"
print("NONROOT", _json.dumps(_out))
'''
NR_ACCOUNT = "nnzyg-atk"


def test_as_an_ordinary_account_a_grader_kernel_cannot_reach_the_next_notebook(tmp_path):
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    from course.instructor.hub import accounts

    from conftest import ROOT
    from course.instructor.hub import environments

    # the hub's instructor environment (built once, under a lock; cached): what an ordinary account grades with
    python = environments.instructor(ROOT) / "python"
    cells = [(kind, g, source.replace("### END HIDDEN TESTS", NONROOT.strip() + "\n### END HIDDEN TESTS")
              if g == "test_square" else source) for kind, g, source in TINY_CELLS]
    students = ("ann", "bob", "cy")
    accounts.remove(NR_ACCOUNT)
    scratch = Path(tempfile.mkdtemp(prefix="nn-zyg-nonroot-"))
    os.chmod(scratch, 0o755)
    try:
        (scratch / "home").mkdir()
        os.chmod(scratch / "home", 0o755)
        home = accounts.create(NR_ACCOUNT, scratch / "home")
        root = make_course(home / "course", [])
        tiny_assignment(root, cells)
        for student in students:
            submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission(cells=cells)})
        subprocess.run(["chown", "-R", f"{NR_ACCOUNT}:", str(root)], check=True)
        code = ("import sys; from pathlib import Path; from course.instructor.autograde import run as autograde; "
                "r = autograde.run(Path('.'), ['zz_tiny'], workers=1, report=False, "
                "overrides={'CourseAutograde': {'cell_timeout': 20}}); print('RUN', 'failed' if r.failed else 'ok')")
        env = [f"PATH={python.parent}:/usr/bin:/bin", f"HOME={home}", f"USER={NR_ACCOUNT}", "LANG=C.UTF-8",
               f"PYTHONPATH={root}"]
        started = time.monotonic()
        done = subprocess.run(["runuser", "-u", NR_ACCOUNT, "--", "env", "-i", *env, str(python), "-c", code],
                              cwd=root, capture_output=True, text=True, timeout=900)
        took = time.monotonic() - started
        assert "RUN" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
        seen, errors = {}, {}
        for student in students:
            path = root / "autograded" / student / TINY / f"{TINY}.ipynb"
            if not path.exists():
                seen[student], errors[student] = None, "not graded"
                continue
            nb = nbformat.read(path, as_version=4)
            cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
            text = _printed(cell)
            seen[student] = json.loads(text.split("NONROOT", 1)[1].strip().splitlines()[0]) if "NONROOT" in text else None
            errors[student] = [(o.get("ename"), o.get("evalue", "")[:100]) for c in nb.cells
                               for o in c.get("outputs", []) if o.get("output_type") == "error"]
        got = grades("sqlite:///" + str(root / "gradebook.db"), TINY)
        points = {s: (got[s]["test_square"][0], got[s]["test_double"][0]) if s in got else None for s in students}
        print(f"as {NR_ACCOUNT}: {took:.1f}s", points, seen, errors, done.stdout[-2500:], done.stderr[-2500:])
        assert seen["ann"] is not None, errors
        assert seen["ann"]["control"] != "connected", f"a grader kernel reaches the zygote's control socket: {seen}"
        assert "allowed" not in seen["ann"]["signal zygote"], f"a grader kernel may signal the zygote: {seen}"
        assert points == {s: (1, 2) for s in students}, \
            f"an earlier notebook's grader process changed later notebooks' points: {points} {seen} {errors}"
        assert all(seen[s] and seen[s]["daemon"] == "started" for s in students), \
            f"a later notebook's grader runs next to an earlier one's process: {seen}"
    finally:
        accounts.remove(NR_ACCOUNT)
        shutil.rmtree(scratch, ignore_errors=True)
