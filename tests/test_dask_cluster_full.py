"""The whole class on a cluster that loses its workers: `course autograde --scheduler` end to end.

A real scheduler and three workers (`dask scheduler`, three `dask worker --nthreads 1`
commands, each with its nanny in a process group of its own) run as separate OS processes on
127.0.0.1 with mutual TLS (certificates made by `course certs`), and the gradebook is a
PostgreSQL server on loopback. The coordinator, the `course autograde` command, grades the 15
example submissions of the five assignments and four bad ones of 02_moons (a fork bomb, a
memory bomb, a kernel that kills itself, and code that tries to connect to the scheduler's, the
workers' and the nannies' ports from its sandbox). While it grades, each worker is lost in its
own way, one after the other, each while it runs a student's kernel: the first is killed with
SIGKILL (its nanny starts a new one), the second's whole process group (nanny and worker) is
killed with SIGKILL (it never comes back), the third is stopped with SIGSTOP until the scheduler
gives up on its heartbeats (a worker TTL of 20 s; its nanny is told to restart it) and then
continued. Dask's allowed failures are raised, so none of this ends in KilledWorker.

Then: the run ends with no FAILED line; every submission has exactly one journal row (attempt
1) and one set of grades; every cell's score equals that of a `course autograde --workers 2`
run of the same submissions on one machine; each bad submission loses exactly the test cells it
should, and its feedback says why; the port probe reached nothing; and no process of the lost
workers' sandboxes or kernels is left on the host (by process tree, and by any command line
naming their course folders).

Run it on its own, not beside other heavy tests (the suite leaves it out; conftest.py):
COURSE_CLUSTER_FULL=1 .venv/bin/python -m pytest -n 0 tests/test_dask_cluster_full.py. It grades
38 notebooks: about 5 minutes on a quiet 2-core machine (297 s: the local run 121 s, the
cluster's 165 s), 728 s at load 8-9 from other sessions. Its last check found lost workers'
sandboxes left running (one run in three) until each sandbox got a lifeline
(course/instructor/autograde/lifeline.py; tests/test_lifeline.py).
"""
from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import psutil
import pytest
import sqlalchemy as sa

from autograde_corpus import ASSIGNMENT as MOONS, NOTEBOOK as MOONS_NOTEBOOK, REASONS, cluster_probe, corpus, write
from autograde_support import ROOT, env_for, grades, make_course, postgres_server
from cluster_support import BIN, Cluster, Lines, alive, command_of, descendants, is_kernel, start_autograde, wait_until
from course.instructor.assignments import notebook_name
from course.instructor.autograde import certs, journal
from course.instructor.build import available_assignments, load_mutations, source_notebook

ASSIGNMENTS = available_assignments(ROOT)
EXAMPLES = ("complete", "mistakes", "untouched")
BAD = ("fork_bomb", "memory_bomb", "killed_kernel")
PROBE = "port_probe"
TTL = "20s"
# all or nothing, so that each bad submission's losses are whole test cells
SETTINGS = ["--set", "CourseAutograde.partial_credit=false"]


def graded_points(assignment: str) -> dict[str, float]:
    nb = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}


def submissions(addresses: dict[str, str], course: str) -> dict[tuple[str, str], dict[str, str]]:
    """{(student, assignment): files}: the examples, the corpus' bad ones, the port probe."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    examples = ROOT / "tests" / "submissions"
    for student in EXAMPLES:
        for assignment in ASSIGNMENTS:
            folder = examples / student / assignment
            out[(student, assignment)] = {str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*")
                                          if p.is_file() and ".ipynb_checkpoints" not in p.parts}
    complete, untouched, mistakes = (nbformat.read(examples / s / MOONS / MOONS_NOTEBOOK, as_version=4)
                                     for s in ("complete", "untouched", "mistakes"))
    # no network test among these: the corpus' listener port is never used
    made = corpus(complete, untouched, mistakes, load_mutations(ROOT, MOONS).WRONG, course, 9, only=set(BAD))
    assert set(made) == set(BAD)
    for student, (files, _) in made.items():
        out[(student, MOONS)] = files
    out[(PROBE, MOONS)] = cluster_probe(untouched, addresses)[0]
    return out


def course_with(folder: Path, subs: dict) -> Path:
    root = make_course(folder, ASSIGNMENTS)
    for (student, assignment), files in subs.items():
        target = root / "submitted" / student / assignment
        target.mkdir(parents=True)
        write(target, files)
    return root


def lost_cells() -> dict[str, set[str]]:
    """The 02_moons test cells each bad submission loses (from the corpus' own expectations)."""
    examples = ROOT / "tests" / "submissions"
    nb = nbformat.read(examples / "complete" / MOONS / MOONS_NOTEBOOK, as_version=4)
    made = corpus(nb, nb, nb, load_mutations(ROOT, MOONS).WRONG, "", 9, only=set(BAD))
    return {student: lost for student, (_, lost) in made.items()}


class Victim:
    """A worker lost while grading: its processes (taken just before), for the checks afterwards."""

    def __init__(self, how: str, nanny: subprocess.Popen, worker: psutil.Process, kernel: str,
                 family: list[psutil.Process]):
        self.how, self.nanny, self.worker, self.family = how, nanny, worker, family
        self.kernel = kernel  # the command line of the student's kernel it ran when chosen
        self.commands = [command_of(p) for p in family]  # read now: a dead process has none
        # the worker's course folder (`/tmp/course-worker-*`) and its kernels' run-wide folder
        # (`/tmp/cag*`), named in its sandboxes' command lines
        self.folders = sorted({m for p in self.commands
                               for m in re.findall(r"/\S*course-worker-[^/\s]+|/tmp/cag[^/\s]+", p)})


def grading(cluster: Cluster, nannies) -> tuple[subprocess.Popen, psutil.Process, str] | None:
    """A nanny among `nannies` whose worker runs a student's kernel now, that worker, and the
    kernel's command line."""
    for nanny in nannies:
        for worker in cluster.workers_of(nanny):
            for process in descendants(worker):
                if is_kernel(process):
                    return nanny, worker, command_of(process)
    return None


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    base = tmp_path_factory.mktemp("full")
    timings: dict[str, float] = {}
    started = time.monotonic()
    with postgres_server() as url:
        cluster = Cluster(base / "cluster", workers=3, env={"DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL": TTL})
        coordinator = None
        try:
            timings["cluster and PostgreSQL up"] = time.monotonic() - started
            from distributed import Client

            with Client(cluster.address, security=certs.security(cluster.tls), timeout=30) as client:
                workers = client.scheduler_info()["workers"]
            addresses = {"scheduler": cluster.address}
            for i, (address, info) in enumerate(sorted(workers.items())):
                addresses[f"worker{i}"] = address
                addresses[f"nanny{i}"] = info["nanny"]
            assert len(addresses) == 7, addresses

            subs = submissions(addresses, str(base / "local"))
            local = course_with(base / "local", subs)
            remote = course_with(base / "remote", submissions(addresses, str(base / "remote")))

            began = time.monotonic()
            here = subprocess.run([str(BIN / "course"), "autograde", *ASSIGNMENTS, "--workers", "2", *SETTINGS],
                                  cwd=local, env=env_for(local), capture_output=True, text=True, timeout=900)
            timings["--workers 2"] = time.monotonic() - began
            assert here.returncode == 0, here.stdout + here.stderr

            began = time.monotonic()
            coordinator = start_autograde(remote, cluster, *ASSIGNMENTS, "--db", url, *SETTINGS)
            out = Lines(coordinator)
            try:
                victims = _lose_every_worker(cluster)
            except AssertionError as error:
                if coordinator.poll() is None:
                    os.killpg(coordinator.pid, signal.SIGKILL)
                raise AssertionError(f"{error}; the coordinator said:\n{out.text()}") from None
            coordinator.wait(timeout=900)
            timings["--scheduler, three workers lost"] = time.monotonic() - began
            text = out.text()
            # what the lost workers ran is gone (a killed worker's sandboxes die with it: bwrap --die-with-parent)
            began = time.monotonic()
            left = _left(victims)
            timings["lost workers' processes gone"] = time.monotonic() - began
            try:  # the nannies left bring their workers back (the test checks how many came)
                wait_until(lambda: cluster.connected() == 2, 120, "two workers")
            except AssertionError:
                pass
            yield {
                "local": local, "remote": remote, "url": url, "subs": subs, "here": here.stdout, "text": text,
                "returncode": coordinator.returncode, "victims": victims, "left": left, "cluster": cluster,
                "scheduler_log": cluster.log(), "connected": cluster.connected(), "addresses": addresses,
                "local_grades": {a: grades("sqlite:///" + str(local / "gradebook.db"), a) for a in ASSIGNMENTS},
                "remote_grades": {a: grades(url, a) for a in ASSIGNMENTS},
            }
        finally:
            if coordinator is not None and coordinator.poll() is None:
                os.killpg(coordinator.pid, signal.SIGKILL)
            cluster.stop()
            print("\n" + "; ".join(f"{k} {v:.1f} s" for k, v in timings.items())
                  + f"; whole test {time.monotonic() - started:.1f} s")


def _lose_every_worker(cluster: Cluster) -> list[Victim]:
    """The three ways of losing a worker, one after the other, each while it grades."""
    victims = []
    nannies = list(cluster.nannies)

    nanny, worker, kernel = wait_until(lambda: grading(cluster, nannies), 300, "a worker grading a notebook")
    family = descendants(worker)
    worker.send_signal(signal.SIGKILL)
    victims.append(Victim("SIGKILL", nanny, worker, kernel, family))
    nannies.remove(nanny)

    nanny, worker, kernel = wait_until(lambda: grading(cluster, nannies), 300,
                                       "a second worker grading a notebook")
    family = [psutil.Process(nanny.pid), *descendants(psutil.Process(nanny.pid))]
    os.killpg(nanny.pid, signal.SIGKILL)  # the nanny's session: nanny, worker and their helpers
    victims.append(Victim("process group killed", nanny, worker, kernel, family))
    nannies.remove(nanny)

    nanny, worker, kernel = wait_until(lambda: grading(cluster, nannies), 300,
                                       "the third worker grading a notebook")
    family = descendants(worker)
    # the scheduler names a worker by its address: the port it listens on
    ports = {c.laddr.port for c in worker.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    assert ports, "the worker listens"

    def given_up() -> bool:
        lines = [line for line in cluster.log().splitlines() if "Worker failed to heartbeat" in line]
        return any(f"127.0.0.1:{port}'" in line for line in lines for port in ports)

    worker.suspend()
    try:
        wait_until(given_up, 180, f"the scheduler to give up on the stopped worker (TTL {TTL})")
    finally:
        try:
            worker.resume()
        except psutil.NoSuchProcess:  # its nanny, told to restart it, may have killed it already
            pass
    victims.append(Victim("SIGSTOP past the TTL, SIGCONT", nanny, worker, kernel, family))
    return victims


def _left(victims: list[Victim]) -> list[str]:
    """What is left of the lost workers' sandboxes and kernels, after a while to go."""
    family = [p for v in victims for p in v.family]
    folders = [f for v in victims for f in v.folders]

    def remaining() -> list[str]:
        found = [f"{p.pid} {command_of(p)}" for p in family if alive(p)]
        for process in psutil.process_iter():
            line = command_of(process)
            if any(folder in line for folder in folders) and alive(process):
                found.append(f"{process.pid} {line}")
        return found

    try:
        wait_until(lambda: not remaining(), 60, "the lost workers' sandboxes and kernels to go")
    except AssertionError:
        pass
    return remaining()


def test_the_run_ends_with_nothing_failed(full):
    assert full["returncode"] == 0, full["text"]
    assert "FAILED" not in full["text"] and "KilledWorker" not in full["text"], full["text"]
    n = len(full["subs"])
    assert n == 3 * len(ASSIGNMENTS) + len(BAD) + 1
    assert f"Graded {n} submission(s)" in full["text"], full["text"]
    assert "FAILED" not in full["here"] and f"Graded {n} submission(s)" in full["here"], full["here"]


def test_every_worker_was_lost_while_grading(full):
    victims = full["victims"]
    assert [v.how for v in victims] == ["SIGKILL", "process group killed", "SIGSTOP past the TTL, SIGCONT"]
    assert len({v.nanny.pid for v in victims}) == 3
    for victim in victims:
        assert "autograde.kernel" in victim.kernel, (victim.how, victim.kernel)
        assert victim.folders, (victim.how, victim.commands)
    log = full["scheduler_log"]
    assert "Worker failed to heartbeat" in log and log.count("Remove worker") >= 3, log[-5000:]
    # the process group's nanny is gone for good; the other two nannies brought their workers back
    assert victims[1].nanny.poll() is not None
    assert full["connected"] == 2


def test_each_submission_has_one_journal_row_and_one_set_of_grades(full):
    expected = {(a, s) for (s, a) in full["subs"]}
    engine = sa.create_engine(full["url"])
    try:
        with engine.connect() as db:
            rows = db.execute(sa.text("select assignment, student, attempt, status from course_autograde_journal"))
            rows = [tuple(r) for r in rows]
            submitted = db.execute(sa.text(
                "select a.name, s.student_id, count(*) from submitted_assignment s "
                "join assignment a on a.id = s.assignment_id group by a.name, s.student_id")).fetchall()
            per_notebook = db.execute(sa.text(
                "select a.name, s.student_id, count(g.id), count(distinct g.cell_id) from grade g "
                "join submitted_notebook n on n.id = g.notebook_id "
                "join submitted_assignment s on s.id = n.assignment_id "
                "join assignment a on a.id = s.assignment_id group by a.name, s.student_id, n.id")).fetchall()
    finally:
        engine.dispose()
    assert sorted((a, s) for a, s, _, _ in rows) == sorted(expected)
    assert {(a, s): (attempt, status) for a, s, attempt, status in rows} == {k: (1, "graded") for k in expected}
    assert {(a, s): n for a, s, n in submitted} == {k: 1 for k in expected}
    assert {(a, s) for a, s, _, _ in per_notebook} == expected
    for assignment, student, count, distinct in per_notebook:
        assert count == distinct >= len(graded_points(assignment)), (assignment, student, count, distinct)


def outcome(row: dict) -> dict:
    return {(notebook, cell): (result.get("score"), result.get("max"),
                               [(c.get("name"), c.get("passed")) for c in result.get("checks") or []])
            for notebook, cells in row["result"]["notebooks"].items() for cell, result in cells["cells"].items()}


def test_every_cell_scores_as_on_one_machine(full):
    for assignment in ASSIGNMENTS:
        theirs, ours = full["local_grades"][assignment], full["remote_grades"][assignment]
        assert set(ours) == {s for (s, a) in full["subs"] if a == assignment}
        assert ours == theirs, assignment
    local = journal.read("sqlite:///" + str(full["local"] / "gradebook.db"))
    remote = journal.read(full["url"])
    for key, row in remote.items():
        # scores and which checks passed (a message may quote a value that differs between runs)
        assert outcome(row) == outcome(local[key]), key
        # what was found, not its details (a fork bomb's count of processes is not the same twice)
        assert {(f["kind"], f["cell"]) for f in row["result"]["tamper"]} == \
            {(f["kind"], f["cell"]) for f in local[key]["result"]["tamper"]}, key


@pytest.mark.parametrize("student", BAD)
def test_each_bad_submission_loses_what_it_should_and_says_why(full, student):
    points = graded_points(MOONS)
    lost = lost_cells()[student]
    cells = full["remote_grades"][MOONS][student]
    assert {t: cells[t][0] for t in points} == {t: (0 if t in lost else p) for t, p in points.items()}
    feedback = (full["remote"] / "feedback" / student / MOONS / notebook_name(MOONS).replace(".ipynb", ".html"))
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback.read_text()))
    assert REASONS[student].replace("`", "") in text, student


def test_the_sandbox_reached_no_port_of_the_cluster(full):
    for root in (full["remote"], full["local"]):
        probe = json.loads((root / "autograded" / PROBE / MOONS / "probe.json").read_text())
        assert set(probe) == set(full["addresses"]), probe
        assert not any(v == "SUCCEEDED" for v in probe.values()), probe
        assert all(v.startswith(("OSError", "ConnectionRefusedError", "TimeoutError", "socket")) for v in
                   probe.values()), probe
    row = journal.read(full["url"])[(MOONS, PROBE)]
    assert "opens network connections" in {f["kind"] for f in row["result"]["tamper"]}, row["result"]["tamper"]


def test_no_process_of_the_lost_workers_is_left(full):
    assert full["left"] == [], full["left"]


def test_the_workers_grade_nothing_now(full):
    # the two workers left run no student's kernel for a finished run (each keeps its grader's zygote)
    cluster = full["cluster"]
    assert not [command_of(p) for w in cluster.worker_processes() for p in descendants(w) if is_kernel(p)]
