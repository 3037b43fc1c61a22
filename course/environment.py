"""The first cell of every notebook: is this kernel ready for the course?

    from course import check_environment
    check_environment()

prints one line when everything is there, and otherwise stops with what is missing and, in plain
words, how to fix it. It also limits numpy's linear-algebra library (BLAS) to one thread: the
course's matrices are small, and on a busy machine BLAS threads spend their time waiting for each
other (05's framework took 192 s per training run with the default threads, 5.6 s with one). (The notebook cell itself explains a missing `course` package, since it
cannot import this function then.)
"""
from __future__ import annotations

import importlib
import importlib.metadata
import re
import sys

MIN_PYTHON = (3, 11)

# Importable name -> the name pip installs it under.
CORE_PACKAGES = {"numpy": "numpy", "matplotlib": "matplotlib", "sklearn": "scikit-learn"}

FIX = ("To fix it: in a terminal, in your course kit folder (the folder with requirements.txt and "
       "the assignment folders), run `python -m pip install -r requirements.txt`, with the Python "
       "that runs this notebook, then restart this notebook's kernel (menu Kernel > Restart Kernel).")


BLAS_THREADS = 1


class EnvironmentProblem(RuntimeError):
    """Something the course needs is missing from the notebook's kernel."""


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def limit_blas_threads(threads: int = BLAS_THREADS) -> str:
    """Limit every BLAS library loaded in this process (numpy's, scipy's) to `threads` threads,
    with threadpoolctl; return what was done, for the notebook's first line."""
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")  # not used as a context: for the session
    libraries = sorted({info.get("internal_api", "?") for info in threadpool_info()
                        if info.get("user_api") == "blas"})
    plural = "" if threads == 1 else "s"
    return (f"BLAS ({', '.join(libraries) or 'none loaded'}) limited to {threads} thread{plural}, "
            "the fastest for the course's small matrices")


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def kit_problem(needed: str, installed: str) -> str | None:
    """Why the installed `course` package (version `installed`) cannot run a notebook released
    with kit `needed`, or None. Test cells use the package's checking helpers: an older package
    fails them with errors that say nothing of the kit."""
    if _release(installed) >= _release(needed):
        return None
    return (f"This notebook was released with course kit {needed}; the `course` package of this Python "
            f"is from kit {installed}. Your kit is older than the notebook: get the course kit again "
            "(from where you got it), unpack it into a new folder (not over the old one: your notebooks "
            "are there; copy them over, your answers stay in them), and run the command below in the new "
            "folder.")


def check_environment(*extra: str, kit: str | None = None, min_python: tuple[int, int] = MIN_PYTHON,
                      blas_threads: int | None = BLAS_THREADS) -> None:
    """Check the kernel's Python version, that the installed course package is at least `kit`
    (the kit version the notebook was released with) and that numpy, matplotlib, scikit-learn,
    threadpoolctl and the `extra` modules a notebook needs import; limit BLAS to `blas_threads`
    threads (None: leave it alone); print a one-line summary, or raise EnvironmentProblem saying
    what is missing and how to fix it."""
    from . import __version__

    problems = []
    found = [f"Python {sys.version.split()[0]}"]
    if kit is not None and (problem := kit_problem(kit, __version__)):
        problems.append(problem)
    if sys.version_info[:2] < tuple(min_python):
        problems.append(f"This course needs Python {'.'.join(map(str, min_python))} or newer; this "
                        f"notebook runs Python {sys.version.split()[0]} ({sys.executable}).")
    packages = dict(CORE_PACKAGES)
    if blas_threads is not None:
        packages["threadpoolctl"] = "threadpoolctl"
    packages.update({name: name for name in extra if name not in packages})
    for module, distribution in packages.items():
        try:
            importlib.import_module(module)
        except Exception as error:  # ImportError, or a broken install failing on import
            problems.append(f"The package `{distribution}` is missing or broken in the Python that "
                            f"runs this notebook ({sys.executable}): {type(error).__name__}: {error}")
        else:
            found.append(f"{distribution} {_version(distribution)}")
    if problems:
        raise EnvironmentProblem("\n".join(["This notebook cannot run yet:"]
                                           + [f"- {p}" for p in problems] + ["", FIX]))
    blas = f"; {limit_blas_threads(blas_threads)}" if blas_threads is not None else ""
    print(f"Environment OK: {', '.join(found)}, course {__version__}{blas}")
