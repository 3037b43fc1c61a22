"""The package split by role: `course` is what notebooks import, `course.instructor` the tools.

Imports go one way. The student package never imports the instructor's tools, so the student
kit can ship `course/` without `course/instructor/` and every notebook still runs.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "course"
INSTRUCTOR = PACKAGE / "instructor"


def student_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if INSTRUCTOR not in p.parents)


def imported_names(path: Path) -> list[str]:
    """Every module name an import in `path` names, relative imports made absolute."""
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.append(module)
            names += [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__"):
            names += [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    return names


def test_the_student_package_has_modules_and_the_tools_live_apart():
    assert {p.name for p in student_modules()} >= {"__init__.py", "grading.py", "datasets.py", "plots.py",
                                                   "validate.py", "environment.py", "__main__.py"}
    for tool in ("build.py", "demo.py", "lab.py", "cli.py", "nbgrader_ext.py", "assignments.py"):
        assert not (PACKAGE / tool).exists() and (INSTRUCTOR / tool).is_file(), tool
    assert not (PACKAGE / "autograde").exists() and (INSTRUCTOR / "autograde" / "run.py").is_file()


def test_no_student_module_imports_the_instructor_tools():
    offenders = []
    for path in student_modules():
        for name in imported_names(path):
            if name == "course.instructor" or name.startswith("course.instructor."):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_importing_every_student_module_loads_no_instructor_module(tmp_path):
    """The same, at run time: nothing reaches the tools indirectly (a helper module, importlib)."""
    names = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in student_modules()
             if p.name != "__main__.py"]
    names = [n.removesuffix(".__init__") for n in names]
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.startswith('course.instructor')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"student modules pulled in {done.stdout.strip()}"


def test_the_student_command_is_validate_and_the_course_command_the_tools():
    help_text = subprocess.run([sys.executable, "-m", "course", "--help"], cwd=ROOT,
                               capture_output=True, text=True).stdout
    assert "validate" in help_text and "autograde" not in help_text and "build" not in help_text
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'course = "course.instructor.cli:main"' in pyproject


def test_every_package_of_course_is_installed():
    """pyproject.toml lists the packages an install (the hub's environments, the kit) gets: a
    package folder missing from it imports here (the repository is on the path) and nowhere else."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "course").rglob("__init__.py")}
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"
