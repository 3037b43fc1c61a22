"""Benchmark: the adversarial corpus test, N times in a row, while a CPU hog keeps every core busy.

    .venv/bin/python tests/benchmarks/corpus_under_load.py            # N = 10
    .venv/bin/python tests/benchmarks/corpus_under_load.py --n 2 --hogs 2

Each round runs `tests/test_course_autograde_corpus.py` (one `course autograde` run of the
whole corpus with two workers, beside the good examples) in its own pytest process, while
`--hogs` processes (default: one per core) spin on the CPU at normal priority. A fork bomb, a
memory bomb or a kernel killed at start must end as a graded submission with a reason whatever
the load: every round must pass. It prints each round's result, time and the load average,
then a summary; the exit code is the number of failed rounds. Not part of the test suite (one
round takes many minutes).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def hog(stop) -> None:
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10, help="rounds (default 10)")
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2, help="CPU hog processes (default: one per core)")
    parser.add_argument("-k", default=None, help="pytest -k expression (default: the whole corpus test)")
    args = parser.parse_args()

    stop = multiprocessing.Event()
    hogs = [multiprocessing.Process(target=hog, args=(stop,), daemon=True) for _ in range(args.hogs)]
    for process in hogs:
        process.start()
    results = []
    try:
        for round_ in range(1, args.n + 1):
            started = time.monotonic()
            command = [sys.executable, "-m", "pytest", "-n", "0", "-p", "no:cacheprovider", "-q",
                       "tests/test_course_autograde_corpus.py"] + (["-k", args.k] if args.k else [])
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            seconds = time.monotonic() - started
            tail = (done.stdout + done.stderr).strip().splitlines()
            summary = tail[-1] if tail else ""
            results.append((done.returncode == 0, seconds))
            print(f"round {round_}/{args.n}: {'passed' if done.returncode == 0 else 'FAILED'} in {seconds:.0f} s "
                  f"(load average {os.getloadavg()[0]:.1f}, {args.hogs} hog(s)): {summary}", flush=True)
            if done.returncode != 0:
                failures = [line for line in tail if line.startswith(("FAILED", "ERROR", "E "))]
                print("\n".join("    " + line for line in failures[:20]), flush=True)
    finally:
        stop.set()
        for process in hogs:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    passed = sum(ok for ok, _ in results)
    times = [seconds for _, seconds in results]
    print(f"{passed} of {len(results)} round(s) passed under {args.hogs} CPU hog(s); "
          f"{min(times):.0f}-{max(times):.0f} s per round" if times else "no round ran")
    return len(results) - passed


if __name__ == "__main__":
    sys.exit(main())
