"""The two Python environments a course hub serves: the students' and the instructor's.

Both are virtual environments made from the system's Python (`HUB_PYTHON`, default
/usr/bin/python3), never from an interpreter under root's home: the single-user servers run as
the students and the instructor, who must be able to read every file of their environment.

    student-<key>/      the kit's requirements.txt and the kit's own package (installed from a
                        kit built into a scratch folder, not editable: nothing points into this
                        repository), plus jupyterhub for `jupyterhub-singleuser`. No
                        course.instructor, no tests, no source/.
    instructor-<key>/   this repository's requirements (without the test tools), this
                        repository's `course` package and command (not editable, so the
                        instructor's clone of the course can live anywhere), jupyterhub; the hub
                        itself runs from this one.

<key> hashes the requirements, so changed requirements make a new environment and unchanged ones
reuse it (the first build takes minutes, a reuse seconds); a changed course package alone is
reinstalled into the same environment.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .. import kit as kit_mod

HUB_PYTHON = os.environ.get("HUB_PYTHON", "/usr/bin/python3")
# the hub and the single-user servers must speak the same JupyterHub API: one range for both
JUPYTERHUB = "jupyterhub>=5.2,<7"
# what the instructor's environment leaves out of requirements.txt: the repository's test tools
TEST_ONLY = ("pytest", "pytest-xdist", "nbval", "playwright")


def default_cache() -> Path:
    return Path(os.environ.get("COURSE_HUB_ENVS") or "/opt/nn-course-hub/envs")


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def _run(command: list[str], cwd: Path | None = None) -> None:
    env = kit_mod.clean_env({"PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{(done.stdout + done.stderr)[-4000:]}")


def _make(target: Path, install: list[list[str]], package: tuple[str, list[str]] | None = None,
          log=print, cwd: Path | None = None) -> Path:
    """A virtual environment at `target`, made once (under a lock: parallel callers wait) and
    readable by everyone; returns its bin/ folder. `package` is (digest, pip arguments): the
    course's own package, reinstalled alone when its digest changes (no new environment for an
    edited module). pip runs in `cwd` (a kit's requirements end with `.`, the kit's folder)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent, 0o755)
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / ".complete").is_file():
            shutil.rmtree(target, ignore_errors=True)
            log(f"Making {target} (a few minutes, once)")
            _run([HUB_PYTHON, "-m", "venv", str(target)])
            for args in install:
                _run(pip + args, cwd)
            (target / ".complete").write_text("ok\n")
        marker = target / ".package"
        if package and (not marker.is_file() or marker.read_text() != package[0]):
            _run(pip + ["--no-deps", "--force-reinstall", *package[1]], cwd)
            marker.write_text(package[0])
        # root's umask may be tighter than 022: the users' servers must read all of it
        _run(["chmod", "-R", "a+rX", str(target)])
    return target / "bin"


def student(root: Path, cache: Path | None = None, log=print) -> Path:
    """The students' environment, built from the kit of `root`'s release/; returns its bin/."""
    cache = Path(cache or default_cache())
    with tempfile.TemporaryDirectory() as scratch:
        kit = kit_mod.build(root, Path(scratch) / "kit", zip_it=False, log=lambda *_: None)
        key = _digest(HUB_PYTHON, JUPYTERHUB, (kit / "requirements.txt").read_text())
        # the kit's requirements end with `.`, the kit's package: installed from the scratch kit
        # (not editable), which goes away with `scratch`
        return _make(cache / f"student-{key}", [["-r", "requirements.txt", JUPYTERHUB]],
                     (kit_mod.package_key(kit), ["."]), log, cwd=kit)


def instructor_requirements(root: Path) -> list[str]:
    lines = []
    for line in (root / "requirements.txt").read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if not spec or spec.startswith("-e"):
            continue
        name = spec.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
        if name not in TEST_ONLY:
            lines.append(spec)
    return lines


def instructor(root: Path, cache: Path | None = None, log=print) -> Path:
    """The instructor's environment (and the hub's); returns its bin/."""
    root, cache = Path(root).resolve(), Path(cache or default_cache())
    package = [p for p in sorted((root / "course").rglob("*.py")) if "__pycache__" not in p.parts]
    key = _digest(HUB_PYTHON, JUPYTERHUB, *instructor_requirements(root))
    package_key = _digest((root / "pyproject.toml").read_bytes(),
                          *(str(p.relative_to(root)).encode() + p.read_bytes() for p in package))
    with tempfile.TemporaryDirectory() as scratch:
        # a copy of the package alone, so pip's build leaves nothing in the repository
        shutil.copytree(root / "course", Path(scratch) / "course",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copy(root / "pyproject.toml", scratch)
        return _make(cache / f"instructor-{key}", [[*instructor_requirements(root), JUPYTERHUB]],
                     (package_key, [scratch]), log, cwd=Path(scratch))
