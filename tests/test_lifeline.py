"""A sandbox ends with the grading process that started it, even one killed while the sandbox starts.

bubblewrap's --die-with-parent takes effect only once bubblewrap has set its namespaces up; a
grading process killed before that (a Dask worker lost mid-task: tests/test_dask_cluster_full.py
found one such sandbox and its kernel left running) used to leave them running for good. Here a
real grading process starts a student's kernel (the kernel manager) or the grader's zygote with
the course's own code and exits the moment the sandbox's process exists, so bubblewrap never sees
its parent alive; nothing of those sandboxes may be left on the host soon after.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from autograde_support import make_course
from course.instructor.autograde import lifeline, sandbox

STARTS = 6  # before the lifeline, two of three such kernels were left running

PARENT = textwrap.dedent("""
    import asyncio, os, subprocess, sys
    from pathlib import Path
    from course.instructor.autograde import course_root, kernel_manager, worker
    from course.instructor.autograde.config import CourseAutograde
    from course.instructor.autograde.twoproc import zygote_host

    root, what = Path(sys.argv[1]), sys.argv[2]
    settings = CourseAutograde(config=course_root.course_config(root, {}))
    box = worker.make_sandbox(root, settings, True, None)
    real_popen = subprocess.Popen

    def popen_and_die(command, *args, **kwargs):
        started = real_popen(command, *args, **kwargs)
        if os.path.basename(str(command[0])) != "bwrap":
            return started  # a helper of the grader's, not the sandbox
        # Popen returns once bubblewrap is exec'd: long before its set-up ends
        print("sandbox", started.pid, flush=True)
        os._exit(0)

    if what == "kernel":
        kernel_manager.subprocess.Popen = popen_and_die  # jupyter_client's launcher uses the module's
        import jupyter_client.launcher as launcher
        launcher.Popen = popen_and_die
        km = kernel_manager.SandboxKernelManager(kernel_name="python3", sandbox=box)
        asyncio.run(km.start_kernel(cwd=str(root)))
    else:
        zygote_host.subprocess.Popen = popen_and_die
        zygote_host.Zygote(box, "test").start()
    sys.exit("the sandbox was never started")
""")


def on_host(marker: str) -> list[str]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if marker in line:
            found.append(f"{process.info['pid']} {line[:200]}")
    return found


@pytest.mark.parametrize("what", ["kernel", "zygote"])
def test_a_sandbox_started_by_a_process_that_dies_at_once_ends_too(tmp_path, what):
    assert sandbox.probe() is None, sandbox.probe()
    root = make_course(tmp_path / "course", [])
    scratch = tmp_path / "scratch"  # every sandbox's folders are made here: its processes name it
    scratch.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(scratch, 0o1777)
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONPATH=str(root))
    try:
        for _ in range(STARTS):
            done = subprocess.run([sys.executable, "-c", PARENT, str(root), what], env=env, cwd=root,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0 and done.stdout.startswith("sandbox "), done.stdout + done.stderr
        deadline = time.monotonic() + 90  # a zygote imports for seconds before it looks (more on a busy machine)
        while on_host(str(scratch)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert on_host(str(scratch)) == [], "left running after their grading process died"
    finally:
        for line in on_host(str(scratch)):
            try:
                os.kill(int(line.split()[0]), signal.SIGKILL)
            except OSError:
                pass


def test_the_lifeline_ends_only_with_every_holder_of_its_write_end():
    read = lifeline.read_end()
    assert lifeline.read_end() == read  # one per process
    os.set_blocking(read, False)
    try:
        assert not lifeline.ended(read)  # we hold the write end: not ended, nothing to read
    finally:
        os.set_blocking(read, True)
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import os, sys, time
        from course.instructor.autograde import lifeline
        read, write = os.pipe()
        if os.fork() == 0:  # the grading process: holds the write end, dies at once
            os._exit(0)
        os.close(write)
        lifeline.watch(read)
        time.sleep(60)
        sys.exit("still running")
    """)], env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1])))
    assert child.wait(timeout=30) == 70
