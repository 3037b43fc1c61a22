"""Benchmark: what a notebook's fresh grader kernel costs, forked from the zygote or started plainly.

    .venv/bin/python tests/benchmarks/bench_grader_start.py --n 10

Starts N grader kernels each way in the sandbox `course autograde` uses (as root: each with a uid
of its own), times each from `start_kernel` until it answers a first cell (`import
course.grading`, as a test cell does), and stops it the way the grader does between notebooks.
Prints the median and the range of each, and the machine's load average (other work skews them).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from jupyter_core.utils import run_sync  # noqa: E402

from course.instructor.autograde.config import CourseAutograde  # noqa: E402
from course.instructor.autograde.course_root import prepare_shared_dir  # noqa: E402
from course.instructor.autograde.kernel_manager import SandboxKernelManager  # noqa: E402
from course.instructor.autograde.processes import chown_tree  # noqa: E402
from course.instructor.autograde.worker import make_sandbox  # noqa: E402
from course.instructor.autograde.twoproc.zygote_host import Zygote, ZygoteKernelManager  # noqa: E402

FIRST_CELL = "import course.grading, numpy"


def one(make_km, workdir: Path) -> float:
    started = time.perf_counter()
    km = make_km()
    run_sync(km.start_kernel)(cwd=str(workdir))
    kc = km.client()
    kc.start_channels()
    run_sync(kc.wait_for_ready)(timeout=60)
    reply = run_sync(kc.execute_interactive)(FIRST_CELL, timeout=60, output_hook=lambda msg: None)
    took = time.perf_counter() - started
    assert reply["content"]["status"] == "ok", reply["content"]
    km.kill_everything()
    kc.stop_channels()
    run_sync(km.cleanup_resources)()
    km.remove_rundir()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()
    shared = prepare_shared_dir(ROOT)
    sandbox = make_sandbox(ROOT, CourseAutograde(), True, shared)
    started = time.perf_counter()
    zygote = Zygote.shared(sandbox, "bench")
    zygote_start = time.perf_counter() - started
    times: dict[str, list[float]] = {"plain": [], "zygote": []}
    for i in range(args.n):
        for way in times:
            base = zygote.base if way == "zygote" else shared.parent
            workdir = Path(tempfile.mkdtemp(prefix="gw", dir=base))
            os.chmod(workdir, 0o755)
            slot = 16 + i % 16
            if sandbox.uid is not None:
                chown_tree(workdir, sandbox.kernel_uid(slot), sandbox.kernel_uid(slot))
            if way == "zygote":
                times[way].append(one(lambda: ZygoteKernelManager(kernel_name="python3", sandbox=sandbox,
                                                                  start_number=slot, zygote=zygote), workdir))
            else:
                times[way].append(one(lambda: SandboxKernelManager(kernel_name="python3", sandbox=sandbox,
                                                                   start_number=slot), workdir))
    Zygote.stop_shared()
    print(f"load average {os.getloadavg()[0]:.1f}; the zygote itself started in {zygote_start:.2f} s")
    for way, values in times.items():
        print(f"{way:>7}: median {statistics.median(values):.2f} s, {min(values):.2f}-{max(values):.2f} s "
              f"over {len(values)} kernels (start until a first cell imported course.grading)")
    print(f"ratio plain/zygote: {statistics.median(times['plain']) / statistics.median(times['zygote']):.1f}x")


if __name__ == "__main__":
    main()
