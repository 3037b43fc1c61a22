"""The course never oversubscribes BLAS: the kernels it starts get one thread through the
environment, and check_environment() (every notebook's first cell) limits it with threadpoolctl
in kernels started any other way."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.instructor.build import kernel_env  # noqa: E402

BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

PROBE = """
import json, numpy
from threadpoolctl import threadpool_info
def threads():
    return sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
before = threads()
from course import check_environment
check_environment()
print(json.dumps({"before": before, "after": threads()}))
"""


def test_kernel_env_gives_blas_one_thread(monkeypatch):
    for name in BLAS_VARS:
        monkeypatch.setenv(name, "8")
    env = kernel_env(ROOT)
    assert {name: env[name] for name in BLAS_VARS} == dict.fromkeys(BLAS_VARS, "1")


def test_check_environment_limits_blas_to_one_thread_and_says_so():
    """Run where nothing limited BLAS beforehand (no *_NUM_THREADS variables), as a student's own
    Jupyter would: BLAS starts with a thread per core and ends with one."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    ok_line, numbers = result.stdout.strip().splitlines()
    threads = json.loads(numbers)
    assert threads["after"] == [1], threads
    if (os.cpu_count() or 1) > 1:
        assert max(threads["before"]) > 1, f"BLAS should start with several threads here: {threads}"
    assert ok_line.startswith("Environment OK: Python 3."), ok_line
    assert "; BLAS (openblas) limited to 1 thread, the fastest for the course's small matrices" in ok_line, ok_line


def test_check_environment_can_leave_blas_alone(capsys):
    from threadpoolctl import threadpool_info, threadpool_limits

    from course import check_environment

    check_environment(blas_threads=None)  # loads every BLAS it will load (numpy's, scipy's)
    with threadpool_limits(limits=2, user_api="blas"):
        check_environment(blas_threads=None)
        assert "BLAS" not in capsys.readouterr().out
        assert {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} == {2}


def test_the_students_validate_gives_blas_one_thread_and_no_download(monkeypatch):
    from course.validate import kernel_env as validate_env

    for name in BLAS_VARS:
        monkeypatch.setenv(name, "8")
    env = validate_env(ROOT)
    assert {name: env[name] for name in BLAS_VARS} == dict.fromkeys(BLAS_VARS, "1")
    assert env["COURSE_NO_DOWNLOAD"] == "1"
