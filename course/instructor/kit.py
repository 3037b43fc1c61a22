"""`course student-kit OUT`: everything a student needs, and nothing more.

From the current release/ it builds a folder OUT (and OUT.zip):

    README.md            the two commands a student runs first (install; open JupyterLab)
    requirements.txt     the student's dependencies (the course's version ranges), then `.`
    pyproject.toml       the student package `course` (no `course.instructor`) and its Jupyter
                         settings: nbgrader's Validate and Assignments, no formgrader, IPC kernels
    nbgrader_config.py   what Validate reads (course id, a cell's time limit, IPC transport for its
                         kernel): course.validate.SETTINGS, which the package also carries
    course/              the student package: what notebooks import, and `python -m course validate`
    jupyter-config/      the Jupyter settings pyproject.toml installs into the environment's
                         etc/jupyter/ (server extensions, JupyterLab plugins, IPC kernels)
    <assignment>/        the release notebooks

Never in it: source/, solutions/, tests/, a gradebook, a mutation catalogue, an instructor module.
`venv(kit)` makes (and caches) a virtual environment from the kit alone, for `course lab --student`
and the tests.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .. import __version__
from ..validate import SETTINGS
from .build import available_assignments

MARKER = ".course-kit"  # a kit folder, which student-kit may replace
COURSE_ID = SETTINGS["CourseDirectory"]["course_id"]
# The packages a student's kernel and JupyterLab need (the repo's requirements.txt has their
# version ranges); the repo's test and authoring tools stay out.
STUDENT_PACKAGES = ["numpy", "scipy", "matplotlib", "scikit-learn", "pandas", "sympy", "toolz", "tqdm",
                    "jupyter", "jupyterlab", "nbgrader", "nbformat", "nbclient"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "instructor")

SERVER_CONFIG = {
    "ServerApp": {"jpserver_extensions": {
        "nbgrader.server_extensions.assignment_list": True,
        "nbgrader.server_extensions.validate_assignment": True,
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False,
    }},
}
# A server setting (jupyter_server_config.d only enables extensions): kernels talk over IPC
# sockets instead of TCP on loopback, so no "Kernel is running over TCP without encryption".
SERVER_CONFIG_PY = '''"""The course kit's Jupyter server settings (installed by the kit's pyproject.toml)."""
import os

c = get_config()  # noqa: F821 (injected by traitlets)
if os.name == "posix":
    c.KernelManager.transport = "ipc"
'''
PAGE_CONFIG = {"disabledExtensions": {
    "@jupyter/nbgrader:assignment-list": False,
    "@jupyter/nbgrader:validate-assignment": False,
    "@jupyter/nbgrader:menu": False,
    "@jupyter/nbgrader:formgrader": True,
    "@jupyter/nbgrader:create-assignment": True,
    "@jupyter/nbgrader:course-list": True,
    # JupyterLab's "Would you like to get notified about official Jupyter news?" toast: it sits
    # over the notebook's corner (and Validate's dialog) and asks a student to fetch from the internet
    "@jupyterlab/apputils-extension:announcements": True,
}}

def nbgrader_config() -> str:
    """The kit's nbgrader_config.py: the course's Validate settings, which the student package
    also carries (course.validate.SETTINGS), so JupyterLab's Validate button and
    `python -m course validate` run a notebook alike, in the kit or anywhere else."""
    from ..validate import POSIX_SETTINGS

    def lines(settings: dict, indent: str = "") -> str:
        return "".join(f"{indent}c.{section}.{name} = {value!r}\n"
                       for section, values in settings.items() for name, value in values.items())

    return ('''"""nbgrader settings of the course kit: what Validate (JupyterLab's button, and
`python -m course validate`, whose package carries the same) reads. On a shared JupyterHub the
administrator's own nbgrader_config.py adds the exchange (Exchange.root)."""
import os

c = get_config()  # noqa: F821 (injected by traitlets)

''' + lines(SETTINGS) + "if os.name == \"posix\":\n"
            "    # Validate's kernel talks over IPC sockets, not unencrypted TCP on loopback.\n"
            + lines(POSIX_SETTINGS, "    "))


README = """# Neural Networks from Scratch: your course kit

```bash
python -m pip install -r requirements.txt
jupyter lab
```

Run both in this folder, in a terminal, with Python 3.11 or newer (a fresh virtual environment is
best: `python -m venv .venv`, then `source .venv/bin/activate`, before the two commands). The
first installs what the notebooks need and the `course` package; the second opens the notebooks
in JupyterLab.

- One folder per assignment, one notebook in each. Work top to bottom: run a cell with
  Shift+Enter, replace each `raise NotImplementedError()` with your answer, then run the test
  cell below it.
- **Validate** (the button above the notebook, or `python -m course validate NOTEBOOK` in a
  terminal) runs every test cell in a fresh kernel and lists, per failing test cell, what failed.
  A notebook that passes Validate is ready to hand in.
- Hand in the notebook file (your course's Assignments tab, Submit, when your course runs on a
  JupyterHub; otherwise the way your instructor tells you). Keep a copy of this folder: it is
  everything the course gives you.
- If a notebook's first cell says the environment is not ready, run the first command again in
  this folder, then restart the notebook's kernel (menu Kernel > Restart Kernel).

This kit works on Linux and macOS; on Windows, use it inside WSL.
"""


def requirement_lines(root: Path) -> list[str]:
    """The student packages' lines of the repository's requirements.txt, comments dropped."""
    found = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9_.-]+)", spec)
        if match and match.group(1).lower() in STUDENT_PACKAGES:
            found[match.group(1).lower()] = spec
    missing = [p for p in STUDENT_PACKAGES if p not in found]
    if missing:
        raise SystemExit(f"requirements.txt names no version range for {', '.join(missing)}")
    return [found[p] for p in STUDENT_PACKAGES]


def pyproject(requirements: list[str]) -> str:
    dependencies = "".join(f'    "{r}",\n' for r in requirements)
    return f'''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "nn-course-student"
version = "{__version__}"
description = "Neural Networks from Scratch: the student's course package"
requires-python = ">=3.11"
dependencies = [
{dependencies}]

[tool.setuptools]
packages = ["course"]

# Jupyter reads these from the environment: nbgrader's Validate and Assignments (no formgrader),
# kernels over IPC, and Validate's settings.
[tool.setuptools.data-files]
"etc/jupyter/jupyter_server_config.d" = ["jupyter-config/jupyter_server_config.d/nn_course.json"]
"etc/jupyter/labconfig" = ["jupyter-config/labconfig/page_config.json"]
"etc/jupyter" = ["jupyter-config/nbgrader_config.py", "jupyter-config/jupyter_server_config.py"]
'''


def build(root: Path, out: Path, zip_it: bool = True, log=print) -> Path:
    """Build the kit into `out` (replacing an earlier kit there) and, with zip_it, `out`.zip."""
    root, out = Path(root).resolve(), Path(out).resolve()
    if out.exists():
        if not (out / MARKER).is_file():
            raise SystemExit(f"{out} exists and is not a course kit: choose another folder")
        shutil.rmtree(out)
    if out == root or out in root.parents:
        raise SystemExit(f"{out} holds the course folder: the kit needs a folder of its own")
    out.mkdir(parents=True)
    (out / MARKER).write_text("built by `course student-kit`; replaced by the next build\n")
    assignments = [a for a in available_assignments(root) if (root / "release" / a).is_dir()]
    for assignment in assignments:
        shutil.copytree(root / "release" / assignment, out / assignment, ignore=IGNORE)
    shutil.copytree(root / "course", out / "course", ignore=IGNORE)
    requirements = requirement_lines(root)
    (out / "requirements.txt").write_text(
        "# What the course's notebooks need, then the course package in this folder (`.`).\n"
        "# Run in this folder: python -m pip install -r requirements.txt\n"
        + "\n".join(requirements) + "\n.\n")
    (out / "pyproject.toml").write_text(pyproject(requirements))
    (out / "README.md").write_text(README)
    (out / "nbgrader_config.py").write_text(nbgrader_config())
    config = out / "jupyter-config"
    (config / "jupyter_server_config.d").mkdir(parents=True)
    (config / "labconfig").mkdir()
    (config / "jupyter_server_config.d" / "nn_course.json").write_text(json.dumps(SERVER_CONFIG, indent=2) + "\n")
    (config / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG, indent=2) + "\n")
    (config / "nbgrader_config.py").write_text(nbgrader_config())
    (config / "jupyter_server_config.py").write_text(SERVER_CONFIG_PY)
    if zip_it:
        archive = out.with_name(out.name + ".zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    zf.write(path, Path(out.name) / path.relative_to(out))
        log(f"Student kit: {out} ({len(assignments)} notebooks) and {archive}")
    else:
        log(f"Student kit: {out} ({len(assignments)} notebooks)")
    return out


# --- a virtual environment from the kit alone ----------------------------------------------

def base_python() -> str:
    """The interpreter this environment was made from (not a venv's own python)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def requirements_key(kit: Path) -> str:
    text = (kit / "requirements.txt").read_text()  # the kit's own package is reinstalled every time
    return hashlib.sha256((text + base_python()).encode()).hexdigest()[:16]


def package_key(kit: Path) -> str:
    """The kit's own package (sources, pyproject, Jupyter settings), to know when to reinstall it."""
    digest = hashlib.sha256()
    for path in sorted([*(kit / "course").rglob("*.py"), kit / "pyproject.toml", *(kit / "jupyter-config").rglob("*")]):
        if path.is_file():
            digest.update(str(path.relative_to(kit)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def clean_env(extra: dict[str, str] | None = None, drop_paths_into: Path | None = None) -> dict[str, str]:
    """This process's environment without anything that points Python or Jupyter elsewhere
    (an activated venv, PYTHONPATH, JUPYTER_* folders) or into `drop_paths_into`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "JUPYTER_", "VIRTUAL_ENV", "CONDA_", "PIP_TARGET"))}
    repo = str(Path(drop_paths_into).resolve()) if drop_paths_into is not None else None
    path = [p for p in env.get("PATH", "/usr/bin:/bin").split(os.pathsep)
            if p and not (Path(p) / "activate").is_file()  # no other venv's bin/
            and not (repo and repo in p)]
    if repo:
        env = {k: v for k, v in env.items() if repo not in v}
        env.pop("PWD", None)
        env.pop("OLDPWD", None)
    env["PATH"] = os.pathsep.join(path)
    env.update(extra or {})
    return env


def venv(kit: Path, cache: Path, log=print) -> Path:
    """A virtual environment with the kit's requirements.txt installed in the kit folder (no
    editable install, nothing pointing into the course repository); reused while the kit's
    requirements stay the same, with the kit's package reinstalled each time. Returns its python.

    pip keeps its own settings (pip.conf, PIP_* variables): the same package sources as
    .ci/setup, and its wheel cache, so a second environment installs from the cache."""
    kit, cache = Path(kit).resolve(), Path(cache).resolve()
    target = cache / f"kit-{requirements_key(kit)}"
    python = target / "bin" / "python"
    env = clean_env({"PIP_DISABLE_PIP_VERSION_CHECK": "1"}, drop_paths_into=None)
    pip = [str(python), "-m", "pip", "install", "--quiet"]

    def quietly(command: list[str]) -> None:
        done = subprocess.run(command, cwd=kit, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed in {kit}:\n{(done.stdout + done.stderr)[-4000:]}")

    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers: one makes it, the others wait
        if not (target / ".complete").is_file():
            if target.exists():
                shutil.rmtree(target)
            log(f"Making a virtual environment from the kit alone: {target} (a few minutes, once)")
            quietly([base_python(), "-m", "venv", str(target)])
            quietly(pip + ["-r", "requirements.txt"])
            (target / ".complete").write_text(requirements_key(kit) + "\n")
            (target / ".package").write_text(package_key(kit))
        else:
            installed = target / ".package"
            if not installed.is_file() or installed.read_text() != package_key(kit):
                # the same requirements, another course package: reinstall only that, from this kit
                quietly(pip + ["--no-deps", "--force-reinstall", "."])
                installed.write_text(package_key(kit))
    # pip leaves build/ and *.egg-info in the folder it built from: the kit stays as it was
    for leftover in [kit / "build", *kit.glob("*.egg-info")]:
        shutil.rmtree(leftover, ignore_errors=True)
    return python
