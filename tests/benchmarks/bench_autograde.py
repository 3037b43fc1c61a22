"""Benchmark: `course autograde` against stock sequential nbgrader, and against plain execution.

    .venv/bin/python tests/benchmarks/bench_autograde.py --n 20            # every finished assignment
    .venv/bin/python tests/benchmarks/bench_autograde.py --n 20 --assignments 02_moons

For each finished assignment (a source notebook and example submissions), N submissions are
generated from the examples: complete, blank (the release notebook), buggy (the `mistakes`
example), mixed (the complete one with about half of its answers left blank). The same
submissions are then graded, each in a fresh scratch course folder:

    floor    nbclient executes each notebook (hidden tests put back, as graded), one after another,
             then again in W processes side by side
    stock    `nbgrader autograde` + `nbgrader generate_feedback` + `nbgrader export`, sequential
    course   `course autograde --workers W --set CourseAutograde.two_process=false` (sandbox,
             limits, feedback, export, report; one kernel per notebook)
    two_process  `course autograde --workers W`, the default: the hidden tests in a grader kernel
             of their own (issue 13)
    distributed  `course autograde --scheduler tls://...`: a scheduler and W workers started on
             loopback with mutual TLS as docs/distributed.md tells (`course certs`, `dask
             scheduler --protocol tls`, one `dask worker --nworkers W --nthreads 1`); their
             start-up is timed apart, the run from the coordinator's start to its end

and it prints the wall times and the ratios the issues target: stock / course >= 1.7,
course / (floor / W) <= 1.3, two processes / one process <= 1.2, stock / two processes >= 1.7,
and, on its last line, distributed / two processes (the same submissions, W workers) <= 1.10.
Not part of the test suite (it takes minutes); the machine's load average is printed with the
figures, since other work on the machine skews them.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from course.instructor.assignments import notebook_name  # noqa: E402
from course.instructor.build import available_assignments, kernel_env, solution_cells, source_notebook  # noqa: E402

KINDS = ("complete", "blank", "buggy", "mixed")


def finished_assignments() -> list[str]:
    return [a for a in available_assignments(ROOT)
            if all((ROOT / "tests" / "submissions" / s / a / notebook_name(a)).is_file()
                   for s in ("complete", "untouched", "mistakes"))]


def submissions(assignment: str, n: int, seed: int = 0) -> dict[str, nbformat.NotebookNode]:
    examples = ROOT / "tests" / "submissions"
    read = lambda s: nbformat.read(examples / s / assignment / notebook_name(assignment), as_version=4)  # noqa: E731
    complete, blank, buggy = read("complete"), read("untouched"), read("mistakes")
    blank_answers = solution_cells(blank)
    rng = random.Random(seed)
    out = {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        if kind == "complete":
            nb = copy.deepcopy(complete)
        elif kind == "blank":
            nb = copy.deepcopy(blank)
        elif kind == "buggy":
            nb = copy.deepcopy(buggy)
        else:
            nb = copy.deepcopy(complete)
            for grade_id, cell in solution_cells(nb).items():
                if rng.random() < 0.5 and grade_id in blank_answers:
                    cell.source = blank_answers[grade_id].source
        out[f"{kind}{i:03d}"] = nb
    return out


def scratch_course(assignments: list[str]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="bench-"))
    shutil.copy(ROOT / "nbgrader_config.py", root)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "course", root / "course", ignore=ignore)
    for assignment in assignments:
        for folder in ("source", "release"):
            shutil.copytree(ROOT / folder / assignment, root / folder / assignment, ignore=ignore)
    return root


def submit_all(root: Path, subs: dict[str, dict[str, nbformat.NotebookNode]]) -> None:
    for assignment, notebooks in subs.items():
        for student, nb in notebooks.items():
            folder = root / "submitted" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / notebook_name(assignment))


def run(cmd: list[str], root: Path) -> float:
    env = kernel_env(root)
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-3000:]
        print(f"  ! {' '.join(cmd[2:])} exited {result.returncode}:\n{tail}", file=sys.stderr)
    return seconds


def register(root: Path, assignments: list[str]) -> None:
    """Record the assignments in the scratch gradebook, untimed (both methods need it)."""
    for assignment in assignments:
        run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"], root)


def with_hidden_tests(nb, source) -> nbformat.NotebookNode:
    """The notebook as the autograder runs it: test cells from the source notebook."""
    tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in tests:
            cell.source = tests[grade_id]
    return nb


def floor(root: Path, subs: dict[str, dict[str, nbformat.NotebookNode]], timeout: int) -> float:
    from nbclient import NotebookClient

    env = kernel_env(root)
    start = time.perf_counter()
    for assignment, notebooks in subs.items():
        source = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
        for student, nb in notebooks.items():
            folder = root / "floor" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            client = NotebookClient(with_hidden_tests(nb, source), timeout=timeout, kernel_name="python3",
                                    allow_errors=True, resources={"metadata": {"path": str(folder)}})
            # the kernel's stderr (ipykernel's TCP warning) would drown the figures
            client.execute(env=env, cwd=str(folder), stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def floor_parallel(root: Path, subs: dict[str, dict[str, nbformat.NotebookNode]], timeout: int,
                   workers: int) -> float:
    """The floor with W processes side by side (what W cores give plain execution here)."""
    from concurrent.futures import ProcessPoolExecutor

    flat = [(a, s, nb) for a, notebooks in subs.items() for s, nb in notebooks.items()]
    parts = [{} for _ in range(workers)]
    for i, (assignment, student, nb) in enumerate(flat):
        parts[i % workers].setdefault(assignment, {})[student] = nb
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(floor, [root] * workers, parts, [timeout] * workers))
    return time.perf_counter() - start


def distributed(root: Path, assignments: list[str], workers: int, timeout: int) -> tuple[float, float]:
    """(the cluster's start-up, the coordinator's run): `course autograde --scheduler` on a
    scheduler and `workers` workers started here on loopback with mutual TLS."""
    sys.path.insert(0, str(ROOT / "tests"))
    from cluster_support import Cluster

    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    start = time.perf_counter()
    # the workers' environment is the local run's (the course importable from here, one BLAS thread)
    env = kernel_env(ROOT)
    cluster = Cluster(folder, nworkers=workers, env=env) if workers > 1 else Cluster(folder, workers=1, env=env)
    started = time.perf_counter() - start
    try:
        seconds = run([sys.executable, "-m", "course.instructor", "autograde", *assignments, "--scheduler",
                       cluster.address, "--tls", str(cluster.tls), "--set", f"CourseAutograde.cell_timeout={timeout}"],
                      root)
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return started, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="submissions per assignment (default 20)")
    parser.add_argument("--assignments", nargs="*", help="default: every finished assignment")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=int, default=300, help="cell timeout for every method")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["floor", "stock", "course", "two_process", "distributed"])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    assignments = args.assignments or finished_assignments()
    subs = {a: submissions(a, args.n) for a in assignments}
    total = sum(len(v) for v in subs.values())
    print(f"{total} submissions ({args.n} per assignment: {', '.join(KINDS)}) of {', '.join(assignments)}; "
          f"{os.cpu_count()} cores, {args.workers} workers; load average {os.getloadavg()[0]:.1f}", flush=True)
    figures: dict[str, float] = {}
    timeout = [f"--Execute.timeout={args.timeout}"]

    if "floor" not in args.skip:
        root = scratch_course(assignments)
        figures["floor"] = floor(root, subs, args.timeout)
        print(f"floor  (nbclient, sequential):         {figures['floor']:8.1f} s", flush=True)
        figures["floor_parallel"] = floor_parallel(root, subs, args.timeout, args.workers)
        print(f"floor  (nbclient, {args.workers} processes):          {figures['floor_parallel']:8.1f} s", flush=True)
        shutil.rmtree(root, ignore_errors=True)

    if "stock" not in args.skip:
        root = scratch_course(assignments)
        register(root, assignments)
        submit_all(root, subs)
        nbgrader = [sys.executable, "-m", "nbgrader"]
        os.environ["COURSE_STOCK_NBGRADER"] = "1"  # the course's config refuses stock autograde otherwise
        autograde = sum(run(nbgrader + ["autograde", a] + timeout, root) for a in assignments)
        rest = sum(run(nbgrader + ["generate_feedback", a], root) for a in assignments)
        rest += run(nbgrader + ["export", "--to", "grades.csv"], root)
        figures["stock_autograde"] = autograde
        figures["stock"] = autograde + rest
        print(f"stock  (nbgrader autograde):           {autograde:8.1f} s", flush=True)
        print(f"stock  (+ generate_feedback, export):  {figures['stock']:8.1f} s", flush=True)
        shutil.rmtree(root, ignore_errors=True)

    # `course autograde` in its two modes, on the same submissions: one kernel per notebook, and
    # the default, the hidden tests in a grader kernel of their own (issue 13)
    for key, two_process, label in (("course", "false", "course (one process per notebook):    "),
                                    ("two_process", "true", "course (two processes, the default): ")):
        if key in args.skip:
            continue
        root = scratch_course(assignments)
        register(root, assignments)
        submit_all(root, subs)
        figures[key] = run([sys.executable, "-m", "course.instructor", "autograde", *assignments,
                            "--workers", str(args.workers), "--set", f"CourseAutograde.cell_timeout={args.timeout}",
                            "--set", f"CourseAutograde.two_process={two_process}"], root)
        print(f"{label}{figures[key]:8.1f} s ({args.workers} workers)", flush=True)
        shutil.rmtree(root, ignore_errors=True)

    if "distributed" not in args.skip:
        root = scratch_course(assignments)
        register(root, assignments)
        submit_all(root, subs)
        figures["cluster_start"], figures["distributed"] = distributed(root, assignments, args.workers, args.timeout)
        print(f"course --scheduler (TLS, loopback):    {figures['distributed']:8.1f} s ({args.workers} workers; "
              f"the cluster started in {figures['cluster_start']:.1f} s, not counted)", flush=True)
        shutil.rmtree(root, ignore_errors=True)

    print(f"load average now {os.getloadavg()[0]:.1f}")
    if "stock" in figures and "course" in figures:
        print(f"stock / course:                  {figures['stock'] / figures['course']:5.2f}x  (target >= 1.7; "
              f"autograde alone {figures['stock_autograde'] / figures['course']:.2f}x)")
    if "two_process" in figures and "course" in figures:
        print(f"two processes / one process:     {figures['two_process'] / figures['course']:5.2f}x  (target <= 1.2)")
    if "two_process" in figures and "stock" in figures:
        print(f"stock / course, two processes:   {figures['stock'] / figures['two_process']:5.2f}x  (target >= 1.7)")
    if "floor" in figures and "course" in figures:
        print(f"course / (floor / {args.workers} workers):    {figures['course'] / (figures['floor'] / args.workers):5.2f}x"
              "  (target <= 1.3)")
    if "floor_parallel" in figures and "course" in figures:
        print(f"course / floor with {args.workers} processes:     {figures['course'] / figures['floor_parallel']:5.2f}x"
              f"  (floor / {args.workers} processes: {figures['floor_parallel'] / (figures['floor'] / args.workers):.2f}x"
              " of the ideal: what the cores themselves lose to running side by side)")
    if "distributed" in figures and "two_process" in figures:
        # the last line, by design: the one figure the distributed mode is for
        print(f"distributed / local ({args.workers} workers):  {figures['distributed'] / figures['two_process']:5.2f}x"
              f"  (target <= 1.10; cluster start-up {figures['cluster_start']:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps(dict(figures, n=args.n, assignments=assignments, workers=args.workers)))


if __name__ == "__main__":
    main()
