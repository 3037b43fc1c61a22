"""How long does a student wait for each cell? Every answer key, cell by cell, timed.

    .venv/bin/python tests/benchmarks/slowest_cells.py                  # with MNIST, machine as it is
    .venv/bin/python tests/benchmarks/slowest_cells.py --without-mnist  # also on the 8x8 digits
    .venv/bin/python tests/benchmarks/slowest_cells.py --hog            # under a CPU hog on every core
    .venv/bin/python tests/benchmarks/slowest_cells.py 04_layers --top 5

Runs each answer key (solutions/<id>/<id>.ipynb) top to bottom in a fresh Jupyter kernel started
as the course starts kernels (course.build.kernel_env: one BLAS thread, no download), in the
notebook's folder, with COURSE_MNIST_DIR set (`--mnist DIR`, default: $COURSE_MNIST_DIR, else
/work/shared/data/mnist) and, with `--without-mnist`, once more with no MNIST anywhere (the 8x8
digits). With `--hog`, one busy-looping process per core runs alongside (stopped at the end).

Prints the slowest cells (assignment, cell index, grade_id or first line, wall seconds, and the
kernel's CPU seconds: about what the cell takes on a quiet machine, since BLAS has one thread),
then each notebook's total and slowest cell. Targets: no cell over 15 s on a quiet machine, 30 s under the
hog; exit status 1 when a cell is over its target or fails.
"""
from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client import KernelManager

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from course.instructor.build import available_assignments, kernel_env  # noqa: E402

DEFAULT_MNIST = "/work/shared/data/mnist"
TARGET_QUIET, TARGET_HOG = 15.0, 30.0


@dataclass
class Cell:
    assignment: str
    index: int          # position among all the notebook's cells (as Jupyter numbers them, from 0)
    label: str          # grade_id, else the first line of code
    seconds: float
    cpu: float | None   # CPU seconds of the kernel process: about the wall time on a quiet machine
    error: str | None = None


def label_of(cell) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id:
        return grade_id
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return first if len(first) <= 50 else first[:47] + "..."


def run_notebook(path: Path, env: dict[str, str], timeout: float) -> list[Cell]:
    """Each code cell of `path`, run in order in one fresh kernel, with its wall time."""
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(path.parent), env=env, extra_arguments=["--HistoryManager.hist_file=:memory:"])
    kc = km.client()
    kc.start_channels()
    cells = []
    try:
        import psutil

        kernel = psutil.Process(km.provisioner.process.pid)
    except Exception:  # another provisioner, no psutil: wall time only
        kernel = None

    def cpu() -> float | None:
        if kernel is None:
            return None
        times = kernel.cpu_times()
        return times.user + times.system
    try:
        kc.wait_for_ready(timeout=120)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            errors = []

            def hook(msg):
                if msg["header"]["msg_type"] == "error":
                    errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

            start, start_cpu = time.perf_counter(), cpu()
            try:
                reply = kc.execute_interactive(cell.source, timeout=timeout, output_hook=hook,
                                               store_history=False, allow_stdin=False)
                if reply["content"]["status"] == "error" and not errors:
                    errors.append(f"{reply['content']['ename']}: {reply['content']['evalue']}")
            except (TimeoutError, queue.Empty):
                km.interrupt_kernel()
                errors.append(f"did not finish in {timeout:.0f} s")
            seconds, end_cpu = time.perf_counter() - start, cpu()
            used = None if start_cpu is None or end_cpu is None else end_cpu - start_cpu
            cells.append(Cell(path.parent.name, index, label_of(cell), seconds, used, errors[0] if errors else None))
            if errors and "did not finish" in errors[0]:
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return cells


def environment(mnist: str | None, scratch: Path) -> dict[str, str]:
    env = kernel_env(ROOT)  # no MPLBACKEND: ipykernel's inline backend draws the figures, as in Jupyter
    if mnist:
        env["COURSE_MNIST_DIR"] = mnist
    else:
        # no MNIST anywhere: no folder, an empty course cache, an empty scikit-learn data home
        env.pop("COURSE_MNIST_DIR", None)
        env["XDG_CACHE_HOME"] = str(scratch / "cache")
        env["SCIKIT_LEARN_DATA"] = str(scratch / "scikit_learn_data")
    return env


def start_hog() -> list[subprocess.Popen]:
    """One busy loop per core, as another user's job would be."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.kill()
        process.wait()


def fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}"


def report(title: str, cells: list[Cell], target: float, top: int) -> bool:
    """Print the slowest cells and the totals; return whether every cell met the target."""
    print(f"\n== {title}: target {target:.0f} s per cell")
    print(f"{'assignment':32} {'cell':>4}  {'grade_id / first line':50} {'seconds':>8} {'CPU s':>6}")
    for cell in sorted(cells, key=lambda c: -c.seconds)[:top]:
        flag = "  OVER" if cell.seconds > target else ""
        print(f"{cell.assignment:32} {cell.index:>4}  {cell.label:50} {cell.seconds:8.1f} {fmt(cell.cpu):>6}{flag}")
    print(f"\n{'assignment':32} {'cells':>5} {'total s':>8} {'CPU s':>6} {'slowest s':>9}")
    ok = True
    for assignment in dict.fromkeys(c.assignment for c in cells):
        mine = [c for c in cells if c.assignment == assignment]
        cpu = None if any(c.cpu is None for c in mine) else sum(c.cpu for c in mine)
        print(f"{assignment:32} {len(mine):>5} {sum(c.seconds for c in mine):8.1f} {fmt(cpu):>6} "
              f"{max(c.seconds for c in mine):9.1f}")
    for cell in cells:
        if cell.error:
            print(f"FAILED {cell.assignment} cell {cell.index} ({cell.label}): {cell.error}")
            ok = False
    over = [c for c in cells if c.seconds > target]
    print(f"cells over {target:.0f} s: {len(over)}" + (f" ({', '.join(f'{c.assignment}:{c.index}' for c in over)})"
                                                      if over else ""))
    return ok and not over


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment")
    parser.add_argument("--mnist", default=os.environ.get("COURSE_MNIST_DIR") or DEFAULT_MNIST,
                        help="a folder of MNIST IDX files (default: $COURSE_MNIST_DIR, else %(default)s)")
    parser.add_argument("--without-mnist", action="store_true", help="also run with no MNIST (the 8x8 digits)")
    parser.add_argument("--only-without-mnist", action="store_true", help="run with no MNIST only")
    parser.add_argument("--hog", action="store_true", help="under a CPU hog on every core")
    parser.add_argument("--top", type=int, default=10, help="slowest cells to list (default 10)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per cell before giving up")
    args = parser.parse_args(argv)

    assignments = args.assignments or available_assignments(ROOT)
    runs = [] if args.only_without_mnist else [args.mnist]
    if args.without_mnist or args.only_without_mnist:
        runs.append(None)
    if runs and runs[0] and not Path(runs[0]).is_dir():
        raise SystemExit(f"no MNIST folder at {runs[0]}: pass --mnist DIR or --only-without-mnist")
    target = TARGET_HOG if args.hog else TARGET_QUIET
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the start"
          + (f", CPU hog: {os.cpu_count()} busy processes" if args.hog else ""))
    hog = start_hog() if args.hog else []
    ok = True
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for mnist in runs:
                env = environment(mnist, Path(scratch))
                cells = []
                for assignment in assignments:
                    path = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
                    cells += run_notebook(path, env, args.timeout)
                title = (f"with MNIST ({mnist})" if mnist else "without MNIST (8x8 digits)") + \
                        (", under a CPU hog" if args.hog else "")
                ok &= report(title, cells, target, args.top)
    finally:
        stop(hog)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
