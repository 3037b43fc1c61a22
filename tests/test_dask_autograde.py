"""`course autograde --scheduler`: a real Dask cluster on loopback with mutual TLS.

A scheduler and two workers run as separate OS processes (`dask scheduler`, `dask worker
--nthreads 1`), all on 127.0.0.1, with certificates made by `course certs`. The coordinator is
the `course autograde` command itself. Checked: a client without the course's certificate cannot
connect; the example submissions of one assignment get the same per-cell scores as a local
`--workers 2` run; a worker killed with SIGKILL mid-task costs nothing (every submission saved
once, no FAILED line, none of its sandboxes left), and a student's code finds none of the
cluster's ports from its sandbox; a coordinator killed mid-run and started again grades only what
is left. On a LocalCluster with no failure allowed: KilledWorker is FAILED as the grader's fault
and the next run grades it; a two-thread worker is refused. Run it on its own: it grades for
minutes (594 s for the file on a 2-core machine at load 12; the grading dominates).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from autograde_support import ROOT, TINY, env_for, grades, make_course, submit, tiny_assignment, tiny_submission
from course.instructor.autograde import certs, config, course_root, journal
from course.instructor.autograde import run as autograde_run

BIN = Path(sys.executable).parent
ASSIGNMENT = "01_xor"
EXAMPLES = ("complete", "mistakes", "untouched")
SLOW = {"square": "def square(x):\n    import time\n    time.sleep(6)\n    return x * x"}


def _tls_args(folder: Path) -> list[str]:
    return ["--tls-ca-file", str(folder / certs.CA), "--tls-cert", str(folder / certs.NODE),
            "--tls-key", str(folder / certs.NODE_KEY)]


def _wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Cluster:
    def __init__(self, folder: Path):
        self.folder = folder
        self.tls = folder / "tls"
        subprocess.run([str(BIN / "course"), "certs", str(self.tls)], check=True, capture_output=True, cwd=ROOT)
        self.logs = folder / "logs"
        self.logs.mkdir()
        env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="10")
        scheduler_file = folder / "scheduler.json"
        self.scheduler = self._start("scheduler", [str(BIN / "dask"), "scheduler", "--protocol", "tls",
                                                   "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                                   "--scheduler-file", str(scheduler_file), *_tls_args(self.tls)], env)
        self.address = _wait_for(lambda: scheduler_file.is_file() and json.loads(scheduler_file.read_text() or "{}")
                                 .get("address"), 60, "the scheduler")
        self.nannies = [self._start(f"worker{i}", [str(BIN / "dask"), "worker", self.address, "--nthreads", "1",
                                                   "--host", "127.0.0.1", "--no-dashboard", "--memory-limit", "0",
                                                   "--death-timeout", "60", *_tls_args(self.tls)], env)
                        for i in range(2)]
        _wait_for(lambda: self.connected() == 2, 90, "two workers")

    def _start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "w")
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def worker_processes(self) -> list[psutil.Process]:
        """The worker processes: the nannies' children (not multiprocessing's helpers)."""
        out = []
        for nanny in self.nannies:
            try:
                out += [p for p in psutil.Process(nanny.pid).children()
                        if not any("resource_tracker" in part for part in p.cmdline())]
            except psutil.Error:
                pass
        return out

    def connected(self) -> int:
        from distributed import Client

        with Client(self.address, security=certs.security(self.tls), timeout=20) as client:
            return len(client.nthreads())

    def stop(self) -> None:
        for process in [*self.nannies, self.scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.nannies, self.scheduler]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = time.monotonic()
    made = Cluster(tmp_path_factory.mktemp("cluster"))
    print(f"cluster up in {time.monotonic() - started:.1f} s")
    yield made
    made.stop()


def autograde(root: Path, cluster: Cluster, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "course"), "autograde", *args, "--scheduler", cluster.address,
                           "--tls", str(cluster.tls)], cwd=root, env=env_for(root), capture_output=True, text=True,
                          timeout=timeout)


def test_a_client_without_the_course_certificate_cannot_connect(cluster, tmp_path):
    from distributed import Client
    from distributed.security import Security

    with Client(cluster.address, security=certs.security(cluster.tls), timeout=20) as client:
        assert len(client.nthreads()) == 2
        assert set(client.nthreads().values()) == {1}
    log = cluster.logs / "scheduler.log"
    host, port = cluster.address.removeprefix("tls://").rsplit(":", 1)

    def refused(what: str, attempt) -> None:
        before = log.read_text().count("TLS handshake failed")
        with pytest.raises(Exception):
            attempt()
        # the scheduler itself turned the stranger away, not a check in the stranger's client
        _wait_for(lambda: log.read_text().count("TLS handshake failed") > before, 10, f"the refusal of {what}")

    def no_certificate() -> None:
        # Dask's own client will not even try without one: plain TLS, trusting the course's CA
        context = ssl.create_default_context(cafile=str(cluster.tls / certs.CA))
        context.check_hostname = False
        with socket.create_connection((host, int(port)), timeout=10) as raw, context.wrap_socket(raw) as tls:
            tls.sendall(b"\0" * 16)
            if not tls.recv(100):
                raise ConnectionError("closed")

    other = tmp_path / "other"
    certs.make(other)
    refused("a client without a certificate", no_certificate)
    refused("a client with another CA's certificate", lambda: Client(
        cluster.address, timeout=5, security=Security(
            tls_ca_file=str(cluster.tls / certs.CA), tls_client_cert=str(other / certs.NODE),
            tls_client_key=str(other / certs.NODE_KEY), require_encryption=True)))
    with pytest.raises(Exception):
        Client(cluster.address.replace("tls://", "tcp://"), timeout=5)


def test_examples_score_as_on_one_machine(cluster, tmp_path):
    def course(folder: Path) -> Path:
        root = make_course(folder, [ASSIGNMENT])
        for student in EXAMPLES:
            shutil.copytree(ROOT / "tests" / "submissions" / student / ASSIGNMENT, root / "submitted" / student / ASSIGNMENT)
        return root

    local = course(tmp_path / "local")
    started = time.monotonic()
    autograde_run.run(local, [ASSIGNMENT], workers=2, log=lambda *_: None)
    local_seconds = time.monotonic() - started
    remote = course(tmp_path / "remote")
    started = time.monotonic()
    done = autograde(remote, cluster, ASSIGNMENT)
    remote_seconds = time.monotonic() - started
    print(f"{len(EXAMPLES)} notebooks: --workers 2 {local_seconds:.1f} s, --scheduler (2 workers) {remote_seconds:.1f} s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAILED" not in done.stdout and "on the cluster" in done.stdout, done.stdout

    def scores(root: Path) -> dict:
        return grades(config.db_url_of(course_root.course_config(root), root), ASSIGNMENT)

    assert set(scores(remote)) == set(EXAMPLES)
    assert scores(remote) == scores(local)
    local_rows = journal.read(config.db_url_of(course_root.course_config(local), local))
    remote_rows = journal.read(config.db_url_of(course_root.course_config(remote), remote))
    for student in EXAMPLES:
        key = (ASSIGNMENT, student)
        assert remote_rows[key]["status"] == local_rows[key]["status"] == "graded"
        assert remote_rows[key]["attempt"] == 1
        ours, theirs = remote_rows[key]["result"], local_rows[key]["result"]
        assert {n: r["cells"] for n, r in ours["notebooks"].items()} == \
            {n: r["cells"] for n, r in theirs["notebooks"].items()}
        assert ours["tamper"] == theirs["tamper"]
        assert (remote / "feedback" / student / ASSIGNMENT).is_dir()
        assert sorted(p.name for p in (remote / "autograded" / student / ASSIGNMENT).iterdir()) == \
            sorted(p.name for p in (local / "autograded" / student / ASSIGNMENT).iterdir())
    # the points table and reports are the run's as on one machine
    assert "Graded 3 submission(s)" in done.stdout
    again = autograde(remote, cluster, ASSIGNMENT)
    assert again.returncode == 0 and "3 already graded, 0 to grade" in again.stdout, again.stdout


def test_a_worker_killed_mid_task_costs_only_its_time(cluster, tmp_path):
    students = [f"s{i}" for i in range(3)] + ["probe"]
    root = make_course(tmp_path / "course", [])
    tiny_assignment(root)
    for student in students[:-1]:
        submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission(SLOW)})
    # a student's code that reaches the scheduler or a worker loses its points: the sandbox has
    # no network, so it must find none of them
    from distributed import Client

    with Client(cluster.address, security=certs.security(cluster.tls), timeout=20) as client:
        workers = client.scheduler_info()["workers"]
        ports = [cluster.address, *workers, *(w["nanny"] for w in workers.values() if w.get("nanny"))]
    ports = [(a.removeprefix("tls://").rsplit(":", 1)[0], int(a.rsplit(":", 1)[1])) for a in ports]
    probe = {"square": "def square(x):\n    import socket\n    for address in %r:\n        try:\n"
                       "            socket.create_connection(address, timeout=3).close()\n            return 'reached'\n"
                       "        except OSError:\n            pass\n    return x * x" % (ports,)}
    submit(root, "probe", TINY, {f"{TINY}.ipynb": tiny_submission(probe)})
    coordinator = subprocess.Popen([str(BIN / "course"), "autograde", TINY, "--scheduler", cluster.address,
                                    "--tls", str(cluster.tls)], cwd=root, env=env_for(root),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def grading_worker():
        for worker in cluster.worker_processes():
            with_sandbox = [p for p in worker.children(recursive=True) if p.name() == "bwrap"]
            if with_sandbox:
                return worker
        return None

    victim = _wait_for(grading_worker, 240, "a worker grading in a sandbox")
    time.sleep(1.5)  # into the notebook, not its start
    family = victim.children(recursive=True)
    assert family, "the worker has kernels to lose"
    removed = (cluster.logs / "scheduler.log").read_text().count("Remove worker")
    victim.send_signal(signal.SIGKILL)
    out, _ = coordinator.communicate(timeout=600)
    assert coordinator.returncode == 0, out
    assert "FAILED" not in out, out
    assert len(ports) == 5  # the scheduler, two workers, their nannies
    # the scheduler lost the worker mid-task and ran its task again elsewhere
    assert (cluster.logs / "scheduler.log").read_text().count("Remove worker") > removed
    url = config.db_url_of(course_root.course_config(root), root)
    rows = journal.read(url)
    assert sorted(s for (a, s) in rows if a == TINY) == sorted(students)
    assert all(rows[(TINY, s)]["attempt"] == 1 and rows[(TINY, s)]["status"] == "graded" for s in students), rows
    assert {s: (c["test_square"][0], c["test_double"][0]) for s, c in grades(url, TINY).items()} == \
        {s: (1, 2) for s in students}
    gone = _wait_for(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family),
                     30, "the killed worker's sandboxes to go")
    assert gone
    # the nanny brought the worker back, and the plugin set it up again
    _wait_for(lambda: cluster.connected() == 2, 90, "the worker to come back")


def test_killed_worker_is_the_graders_fault_and_the_next_run_grades_it(tmp_path):
    """With no failure allowed, a worker killed mid-task ends its task in KilledWorker: a FAILED
    line that blames the grader, no grade and no journal row; the next run grades it. A worker
    with two threads is then refused before anything is graded."""
    import dask
    from distributed import Client, LocalCluster

    from course.instructor.autograde import cluster as cluster_mod

    root = make_course(tmp_path / "course", [])
    tiny_assignment(root)
    submit(root, "slow", TINY, {f"{TINY}.ipynb": tiny_submission(SLOW)})
    url = config.db_url_of(course_root.course_config(root), root)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address="127.0.0.1:0", memory_limit=0) as local, Client(local) as client:
        pool = cluster_mod.pool(local.scheduler_address)
        log: list[str] = []
        results = []
        grading = threading.Thread(target=lambda: results.append(
            autograde_run.run(root, [TINY], log=log.append, report=False, pool=pool)))
        grading.start()
        (pid,) = client.run(os.getpid).values()
        worker = psutil.Process(pid)
        _wait_for(lambda: any(p.name() == "bwrap" for p in worker.children(recursive=True)), 240,
                  "the worker to grade in a sandbox")
        time.sleep(1.5)
        family = worker.children(recursive=True)
        worker.send_signal(signal.SIGKILL)
        grading.join(timeout=300)
        (first,) = results
        (failed,) = first.failed
        assert "the grader's fault" in failed.message and "died" in failed.message, failed.message
        assert any("FAILED" in line for line in log), log
        assert (TINY, "slow") not in journal.read(url)
        assert grades(url, TINY).get("slow") is None or all(
            score is None or score == 0 for score, _, _ in grades(url, TINY)["slow"].values())
        _wait_for(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family), 30,
                  "the killed worker's sandboxes to go")

        _wait_for(lambda: len(client.nthreads()) == 1, 90, "the nanny to restart the worker")
        again = autograde_run.run(root, [TINY], log=lambda *_: None, report=False, pool=pool)
        assert not again.failed and [o.status for o in again.outcomes] == ["graded"]
        assert journal.read(url)[(TINY, "slow")]["attempt"] == 1
        assert grades(url, TINY)["slow"]["test_double"][0] == 2

        wide = subprocess.Popen([str(BIN / "dask"), "worker", local.scheduler_address, "--nthreads", "2",
                                 "--host", "127.0.0.1", "--no-dashboard", "--memory-limit", "0"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            _wait_for(lambda: len(client.nthreads()) == 2, 90, "the two-thread worker")
            with pytest.raises(autograde_run.Refused, match="--nthreads 1"):
                autograde_run.run(root, [TINY], regrade=True, log=lambda *_: None, report=False, pool=pool)
        finally:
            os.killpg(wide.pid, signal.SIGTERM)
            wide.wait(timeout=60)


def test_a_killed_coordinator_started_again_grades_only_what_is_left(cluster, tmp_path):
    students = [f"k{i}" for i in range(4)]
    root = make_course(tmp_path / "course", [])
    tiny_assignment(root)
    for student in students:
        submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission(SLOW)})
    argv = [str(BIN / "course"), "autograde", TINY, "--scheduler", cluster.address, "--tls", str(cluster.tls)]
    first = subprocess.Popen(argv, cwd=root, env=env_for(root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    lines = []
    for line in first.stdout:
        lines.append(line)
        if line.startswith("[1/4]"):
            first.send_signal(signal.SIGKILL)
            break
    first.wait(timeout=60)
    url = config.db_url_of(course_root.course_config(root), root)
    saved = {s for (a, s) in journal.read(url) if a == TINY}
    assert 1 <= len(saved) < 4, lines
    again = autograde(root, cluster, TINY)
    assert again.returncode == 0 and "FAILED" not in again.stdout, again.stdout
    assert f"{len(saved)} already graded, {4 - len(saved)} to grade" in again.stdout, again.stdout
    rows = journal.read(url)
    assert sorted(s for (a, s) in rows if a == TINY) == students
    assert all(rows[(TINY, s)]["attempt"] == 1 for s in students), rows
    assert {s: (c["test_square"][0], c["test_double"][0]) for s, c in grades(url, TINY).items()} == \
        {s: (1, 2) for s in students}
