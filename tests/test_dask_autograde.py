"""`course autograde --scheduler`: a real Dask cluster on loopback with mutual TLS.

A scheduler and two workers run as separate OS processes (`dask scheduler`, `dask worker
--nthreads 1`), all on 127.0.0.1, with certificates made by `course certs`. The coordinator is
the `course autograde` command itself. Checked: a client without the course's certificate cannot
connect; the example submissions of one assignment get the same per-cell scores as a local
`--workers 2` run; a worker killed with SIGKILL mid-task costs nothing (every submission saved
once, no FAILED line, none of its sandboxes left), and a student's code finds none of the
cluster's ports from its sandbox; a coordinator killed mid-run leaves no sandbox running on the
workers, and started again grades only what is left; a worker with other grader code and another
numpy joining mid-run (on a cluster of its own with one good worker) is reported once and given
no submission; the only worker of a run, killed mid-task, comes back and gets its task. On a
LocalCluster with no failure allowed: KilledWorker is FAILED as the grader's fault and the next
run grades it; a two-thread worker is refused. Run it on its own: it grades for minutes (594 s
for the file on a 2-core machine at load 12, before the last three checks; the killed
coordinator took 57-133 s, the refused worker 151 s, the only worker killed 62-86 s, at load 1-6;
the grading dominates).
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
from cluster_support import BIN, Cluster, Lines, alive, command_of, start_autograde, wait_until
from course.instructor.autograde import certs, config, course_root, journal
from course.instructor.autograde import run as autograde_run

ASSIGNMENT = "01_xor"
EXAMPLES = ("complete", "mistakes", "untouched")
SLOW = {"square": "def square(x):\n    import time\n    time.sleep(6)\n    return x * x"}
LONG = {"square": "def square(x):\n    import time\n    time.sleep(300)\n    return x * x"}


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
        wait_until(lambda: log.read_text().count("TLS handshake failed") > before, 10, f"the refusal of {what}")

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

    victim = wait_until(grading_worker, 240, "a worker grading in a sandbox")
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
    gone = wait_until(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family),
                     30, "the killed worker's sandboxes to go")
    assert gone
    # the nanny brought the worker back, and the plugin set it up again
    wait_until(lambda: cluster.connected() == 2, 90, "the worker to come back")


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
        wait_until(lambda: any(p.name() == "bwrap" for p in worker.children(recursive=True)), 240,
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
        wait_until(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family), 30,
                  "the killed worker's sandboxes to go")

        wait_until(lambda: len(client.nthreads()) == 1, 90, "the nanny to restart the worker")
        again = autograde_run.run(root, [TINY], log=lambda *_: None, report=False, pool=pool)
        assert not again.failed and [o.status for o in again.outcomes] == ["graded"]
        assert journal.read(url)[(TINY, "slow")]["attempt"] == 1
        assert grades(url, TINY)["slow"]["test_double"][0] == 2

        wide = subprocess.Popen([str(BIN / "dask"), "worker", local.scheduler_address, "--nthreads", "2",
                                 "--host", "127.0.0.1", "--no-dashboard", "--memory-limit", "0"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until(lambda: len(client.nthreads()) == 2, 90, "the two-thread worker")
            with pytest.raises(autograde_run.Refused, match="--nthreads 1"):
                autograde_run.run(root, [TINY], regrade=True, log=lambda *_: None, report=False, pool=pool)
        finally:
            os.killpg(wide.pid, signal.SIGTERM)
            wide.wait(timeout=60)


def test_a_killed_coordinator_started_again_grades_only_what_is_left(cluster, tmp_path):
    """The coordinator killed with SIGKILL after its first saved submission, while the workers
    grade notebooks that would run for minutes: Dask drops the dead client's tasks and the plugin
    ends the workers grading them, so within seconds none of their sandboxes or kernels is left
    and the workers (started again by their nannies) are idle; the next run grades only what is
    left, one journal row each."""
    from distributed import Client

    students = [f"k{i}" for i in range(4)]
    root = make_course(tmp_path / "course", [])
    tiny_assignment(root)
    submit(root, students[0], TINY, {f"{TINY}.ipynb": tiny_submission()})
    for student in students[1:]:
        submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission(LONG)})
    logs = [cluster.logs / f"worker{i}.log" for i in range(2)]
    stopped_before = sum(log.read_text().count("released while grading") for log in logs)
    first = start_autograde(root, cluster, TINY)
    lines = []
    for line in first.stdout:
        lines.append(line)
        if line.startswith("[1/4]"):
            break
    # what the workers run for their tasks (sandboxes, kernels, the grader's zygote), not the workers
    family = [p for worker in cluster.worker_processes() for p in worker.children(recursive=True)]
    first.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    first.wait(timeout=60)
    assert any(p.name() == "bwrap" for p in family if p.is_running()), "workers grading in sandboxes when killed"

    wait_until(lambda: not any(alive(p) for p in family), 60, "the dead coordinator's sandboxes to go")
    gone = time.monotonic() - killed

    def idle() -> bool:
        with Client(cluster.address, security=certs.security(cluster.tls), timeout=20) as client:
            tasks = client.run(lambda dask_worker: len(dask_worker.state.tasks))
            return len(tasks) == 2 and not any(tasks.values()) and not any(client.processing().values())

    wait_until(idle, 120, "two idle workers")
    print(f"coordinator killed: its workers' sandboxes gone in {gone:.1f} s, workers idle in "
          f"{time.monotonic() - killed:.1f} s")
    assert gone < 60  # the notebooks would have run for LONG's 300 s
    left = [p for worker in cluster.worker_processes() for p in worker.children(recursive=True)
            if p.name() == "bwrap" or "ipykernel" in " ".join(p.cmdline())]
    assert not left, left
    assert sum(log.read_text().count("released while grading") for log in logs) > stopped_before
    url = config.db_url_of(course_root.course_config(root), root)
    saved = {s for (a, s) in journal.read(url) if a == TINY}
    assert saved == {students[0]}, lines
    # the ones left, handed in again as quick notebooks, keep the next run short
    for student in students[1:]:
        submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission()})
    again = autograde(root, cluster, TINY)
    assert again.returncode == 0 and "FAILED" not in again.stdout, again.stdout
    assert f"1 already graded, {len(students) - 1} to grade" in again.stdout, again.stdout
    rows = journal.read(url)
    assert sorted(s for (a, s) in rows if a == TINY) == students
    assert all(rows[(TINY, s)]["attempt"] == 1 for s in students), rows
    assert {s: (c["test_square"][0], c["test_double"][0]) for s, c in grades(url, TINY).items()} == \
        {s: (1, 2) for s in students}

def test_a_worker_with_other_grader_code_joining_mid_run_is_given_no_submission(tmp_path):
    """A worker whose grader code differs (the course package copied with one more line, so its
    hash differs for real) and whose numpy's metadata says another version joins a run that
    grades on one good worker: the coordinator reports its refusal once, naming both hashes and
    both numpy versions; it stays connected and is given no task; every submission is graded by
    the good worker, none FAILED."""
    from course.instructor.autograde.dask_worker import library_versions

    students = [f"r{i}" for i in range(4)]
    root = make_course(tmp_path / "course", [])
    tiny_assignment(root)
    for student in students:
        submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission(SLOW)})
    other = make_course(tmp_path / "other-code", [])
    with open(other / "course" / "instructor" / "autograde" / "tamper.py", "a") as code:
        code.write("\n# another commit of the grader\n")
    # and package metadata saying another numpy, found first on its path (what the check reads)
    (other / "numpy-0.0.1.dist-info").mkdir()
    (other / "numpy-0.0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: numpy\nVersion: 0.0.1\n")
    ours = library_versions()
    theirs = json.loads(subprocess.run(
        [sys.executable, "-c", "import json; from course.instructor.autograde.dask_worker import library_versions; "
         "print(json.dumps(library_versions()))"],
        env=env_for(other), cwd=other, capture_output=True, text=True, check=True).stdout)
    assert {k for k in ours if ours[k] != theirs[k]} == {"course autograde code", "numpy"}, (ours, theirs)

    started = time.monotonic()
    cluster = Cluster(tmp_path / "cluster", workers=1)
    try:
        coordinator = start_autograde(root, cluster, TINY)
        out = Lines(coordinator)
        wait_until(lambda: out.first(lambda line: line.startswith("Cluster ")), 240, "the run to start")
        cluster.add_worker("other-code", dict(cluster.env, PYTHONPATH=env_for(other)["PYTHONPATH"]))
        refusal = wait_until(lambda: out.first(lambda line: "refused to grade" in line), 120, "the refusal")
        graded_then = sum(line.startswith("[") for line in list(out.lines))
        # two submissions are in flight per thread: the others were given out after the refusal
        assert graded_then + 2 < len(students), out.lines
        wait_until(lambda: cluster.connected() == 2, 60, "the refused worker to be connected")
        coordinator.wait(timeout=600)
        text = out.text()
        print(f"refused worker joined with {graded_then} of {len(students)} graded; "
              f"test {time.monotonic() - started:.1f} s")
        assert coordinator.returncode == 0, text
        for name in ("course autograde code", "numpy"):
            assert f"{name}: coordinator {ours[name]}, this worker {theirs[name]}" in refusal, refusal
        assert text.count("refused to grade") == 1, text
        assert "FAILED" not in text, text
        url = config.db_url_of(course_root.course_config(root), root)
        rows = journal.read(url)
        assert sorted(s for (a, s) in rows if a == TINY) == students
        assert all(rows[(TINY, s)]["status"] == "graded" and rows[(TINY, s)]["attempt"] == 1 for s in students)
        assert {s: (c["test_square"][0], c["test_double"][0]) for s, c in grades(url, TINY).items()} == \
            {s: (1, 2) for s in students}
        # still there at the end, and no task ever reached it (a task failing there is logged with its key)
        assert cluster.connected() == 2
        bad_log = (cluster.logs / "other-code.log").read_text()
        assert "failed to setup" in bad_log and "grade-" not in bad_log, bad_log
    finally:
        cluster.stop()


def test_the_only_worker_killed_mid_task_grades_on_when_its_nanny_brings_it_back(tmp_path):
    """The task of the only worker, killed with SIGKILL, waits with no worker holding the run's
    resource; the nanny's new worker declares it after it joined, and gets the task: the run ends
    with every submission graded once, none FAILED."""
    students = ["w0", "w1"]
    root = make_course(tmp_path / "course", [])
    tiny_assignment(root)
    for student in students:
        submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission(SLOW)})
    started = time.monotonic()
    cluster = Cluster(tmp_path / "cluster", workers=1)
    coordinator = start_autograde(root, cluster, TINY)
    try:
        out = Lines(coordinator)

        def grading_worker():
            return next((w for w in cluster.worker_processes()
                         if any("autograde.kernel" in command_of(p) for p in w.children(recursive=True))),
                        None)  # a kernel: grading, not the sandbox probe of the plugin's set-up

        victim = wait_until(grading_worker, 240, "the worker grading in a sandbox")
        time.sleep(1.5)
        victim.send_signal(signal.SIGKILL)
        coordinator.wait(timeout=240)
        text = out.text()
        print(f"the only worker killed and back: test {time.monotonic() - started:.1f} s")
        assert coordinator.returncode == 0 and "FAILED" not in text, text
        url = config.db_url_of(course_root.course_config(root), root)
        rows = journal.read(url)
        assert sorted(s for (a, s) in rows if a == TINY) == students
        assert {s: (c["test_square"][0], c["test_double"][0]) for s, c in grades(url, TINY).items()} == \
            {s: (1, 2) for s in students}
    finally:
        if coordinator.poll() is None:
            os.killpg(coordinator.pid, signal.SIGKILL)
        cluster.stop()


def test_with_no_worker_able_to_grade_the_coordinator_says_it_waits(tmp_path):
    """A run started on a cluster with no worker, joined first by a worker that refuses it (other
    grader code): the coordinator says the run waits, naming why (none connected, then none of the
    connected accepted), instead of waiting in silence; a good worker joining then grades the
    submission, and the coordinator says it goes on."""
    from course.instructor.autograde.cluster import NO_WORKER_GRACE

    root = make_course(tmp_path / "course", [])
    tiny_assignment(root)
    submit(root, "alone", TINY, {f"{TINY}.ipynb": tiny_submission()})
    other = make_course(tmp_path / "other-code", [])
    with open(other / "course" / "instructor" / "autograde" / "tamper.py", "a") as code:
        code.write("\n# another commit of the grader\n")
    started = time.monotonic()
    cluster = Cluster(tmp_path / "cluster", workers=0)
    coordinator = start_autograde(root, cluster, TINY)
    try:
        out = Lines(coordinator)
        wait_until(lambda: out.first(lambda line: line.startswith("Cluster ")), 240, "the run to start")
        cluster.add_worker("other-code", dict(cluster.env, PYTHONPATH=env_for(other)["PYTHONPATH"]))
        wait_until(lambda: out.first(lambda line: "refused to grade" in line), 120, "the refusal")
        waiting = wait_until(lambda: out.first(lambda line: line.startswith("Waiting: no worker") and
                                               "none of its 1 connected worker(s) accepted" in line),
                             NO_WORKER_GRACE + 120, "the coordinator to say it waits")
        assert cluster.address in waiting and "Ctrl-C" in waiting, waiting
        assert not any(line.startswith("[") for line in out.lines), out.lines  # nothing graded meanwhile
        cluster.add_worker("good", cluster.env)
        coordinator.wait(timeout=240)
        text = out.text()
        print(f"no worker able, then one: test {time.monotonic() - started:.1f} s")
        assert coordinator.returncode == 0 and "FAILED" not in text, text
        assert "1 worker(s) of" in text and "can grade this run again: going on." in text, text
        assert text.index("Waiting: no worker") < text.index("can grade this run again")
        assert text.index("Waiting: no worker") < text.index("[1/1] alone")
        url = config.db_url_of(course_root.course_config(root), root)
        assert journal.read(url)[(TINY, "alone")]["status"] == "graded"
    finally:
        if coordinator.poll() is None:
            os.killpg(coordinator.pid, signal.SIGKILL)
        cluster.stop()
