"""A real Dask cluster on loopback with mutual TLS, for the `course autograde --scheduler` tests
and the benchmark's distributed mode.

`Cluster` starts `dask scheduler` and `dask worker --nthreads 1` commands as separate OS
processes, each in a session (process group) of its own, with certificates made by
`course certs`; their logs go to `logs/<name>.log` in the cluster's folder. Every wait here
polls for an event (a file, a log line, a process) within a deadline: the tests run beside
others in CI, where fixed sleeps are either too short or wasted.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from autograde_support import env_for
from course.instructor.autograde import certs

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


def tls_args(folder: Path) -> list[str]:
    return ["--tls-ca-file", str(folder / certs.CA), "--tls-cert", str(folder / certs.NODE),
            "--tls-key", str(folder / certs.NODE_KEY)]


def command_of(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:  # gone meanwhile
        return ""


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def wait_until(check, timeout: float, what: str):
    """check()'s first true value, polled until `timeout` seconds; else AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


def is_kernel(process: psutil.Process) -> bool:
    """A grading kernel (not the plugin's sandbox probe, nor the worker's own helpers)."""
    return "autograde.kernel" in command_of(process)


class Cluster:
    """A scheduler and `workers` nannied `dask worker --nthreads 1` commands on 127.0.0.1.

    `env` adds Dask settings (DASK_DISTRIBUTED__...) to every member's environment;
    `nworkers` > 1 starts all the workers as one `dask worker --nworkers N` command (as the docs
    tell a machine with N cores to), else one command per worker."""

    def __init__(self, folder: Path, workers: int = 2, env: dict[str, str] | None = None, nworkers: int = 1):
        self.folder = folder
        self.tls = folder / "tls"
        subprocess.run([str(BIN / "course"), "certs", str(self.tls)], check=True, capture_output=True, cwd=ROOT)
        self.logs = folder / "logs"
        self.logs.mkdir()
        # workers lost on purpose must not end their tasks in KilledWorker
        self.env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "10", **(env or {})}
        scheduler_file = folder / "scheduler.json"
        self.scheduler = self._start("scheduler", [str(BIN / "dask"), "scheduler", "--protocol", "tls",
                                                   "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                                   "--scheduler-file", str(scheduler_file), *tls_args(self.tls)],
                                     self.env)
        self.nannies: list[subprocess.Popen] = []
        try:
            self.address = wait_until(lambda: scheduler_file.is_file() and json.loads(
                scheduler_file.read_text() or "{}").get("address"), 60, "the scheduler")
            if nworkers > 1:
                self.add_worker("workers", self.env, nworkers=nworkers)
            else:
                for i in range(workers):
                    self.add_worker(f"worker{i}", self.env)
            expected = nworkers if nworkers > 1 else workers
            wait_until(lambda: self.connected() == expected, 120, f"{expected} worker(s)")
        except BaseException:
            self.stop()
            raise

    def add_worker(self, name: str, env: dict, nworkers: int = 1) -> subprocess.Popen:
        """A `dask worker --nthreads 1` command (its nanny(ies)) in `env`; its log is logs/<name>.log."""
        nanny = self._start(name, [str(BIN / "dask"), "worker", self.address, "--nthreads", "1",
                                   *(["--nworkers", str(nworkers)] if nworkers > 1 else []),
                                   "--host", "127.0.0.1", "--no-dashboard", "--memory-limit", "0",
                                   "--death-timeout", "60", *tls_args(self.tls)], env)
        self.nannies.append(nanny)
        return nanny

    def _start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "w") as out:
            return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def log(self, name: str = "scheduler") -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def workers_of(self, nanny: subprocess.Popen) -> list[psutil.Process]:
        """The worker processes of a nanny: its children that are not multiprocessing's helpers."""
        try:
            return [p for p in psutil.Process(nanny.pid).children()
                    if "resource_tracker" not in command_of(p)]
        except psutil.Error:
            return []

    def worker_processes(self) -> list[psutil.Process]:
        return [w for nanny in self.nannies for w in self.workers_of(nanny)]

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


class Lines:
    """A process's output, read line by line in a thread while the test watches it."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def first(self, predicate) -> str | None:
        return next((line for line in list(self.lines) if predicate(line)), None)

    def text(self) -> str:
        self.thread.join(timeout=30)
        return "".join(self.lines)


def start_autograde(root: Path, cluster: Cluster, *args: str) -> subprocess.Popen:
    """`course autograde ARGS --scheduler ... --tls ...` in `root`, its output a pipe (unbuffered)."""
    return subprocess.Popen([str(BIN / "course"), "autograde", *args, "--scheduler", cluster.address,
                             "--tls", str(cluster.tls)], cwd=root, env=dict(env_for(root), PYTHONUNBUFFERED="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
