"""The student kit (`course student-kit`): everything a student needs and nothing of the answers.

One kit per session, built from the repository's release/; one fresh virtual environment made
from the kit's requirements.txt alone (pip's own settings: the package sources and wheel cache
.ci/setup uses), in which every notebook runs as a student would meet it.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ASSIGNMENTS, ROOT
from kit_support import kit_venvs_dir
from course.instructor import kit as kit_mod
from course.instructor.assignments import notebook_name
from course.instructor.build import source_notebook

SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
# Plain Python that says nothing of an answer: an import, a bare loop or except header
# (`for _ in range(epochs):`, `except (TypeError, ValueError):` are in course/ too).
BOILERPLATE = re.compile(r"^(import \S+|from \S+ import .*|(for|except|try|else|while)\b[^=]*:)$")
INSTRUCTOR_MODULES = {"build.py", "demo.py", "lab.py", "cli.py", "nbgrader_ext.py", "assignments.py",
                      "kit.py", "run.py", "worker.py", "sandbox.py", "guard.py", "tamper.py", "journal.py"}


@pytest.fixture(scope="session")
def kit(tmp_path_factory) -> Path:
    return kit_mod.build(ROOT, tmp_path_factory.mktemp("kit") / "nn-course-kit", log=lambda *_: None)


@pytest.fixture(scope="session")
def kit_python(kit, tmp_path_factory) -> Path:
    """A fresh virtual environment from the kit alone, one per test session (kit_support)."""
    return kit_mod.venv(kit, kit_venvs_dir(tmp_path_factory), log=lambda *_: None)


def cell_lines(nb) -> set[str]:
    return {line.strip() for cell in nb.cells for line in cell.source.splitlines()}


def secret_lines() -> dict[str, set[str]]:
    """Per assignment, the lines of source/'s solution and hidden-test regions (20+ characters)
    that release/ (any notebook) does not show."""
    shown = set()
    for assignment in ASSIGNMENTS:
        shown |= cell_lines(nbformat.read(ROOT / "release" / assignment / notebook_name(assignment), 4))
    secrets = {}
    for assignment in ASSIGNMENTS:
        source = "\n".join(c.source for c in nbformat.read(source_notebook(ROOT, assignment), 4).cells)
        lines = set()
        for region in SOLUTION.findall(source) + HIDDEN.findall(source):
            lines |= {line.strip() for line in region.splitlines()}
        secrets[assignment] = {line for line in lines
                               if len(line) >= 20 and line not in shown and not BOILERPLATE.match(line)}
    return secrets


def kit_texts(kit: Path) -> dict[str, str]:
    texts = {}
    for path in kit.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            if path.suffix == ".ipynb":  # the cells' text, as a student's editor shows it
                text = "\n".join(c.source for c in nbformat.reads(text, 4).cells) + "\n" + text
            texts[str(path.relative_to(kit))] = text
    return texts


def test_the_kit_holds_no_line_of_a_solution_or_a_hidden_test(kit):
    secrets = secret_lines()
    assert sum(map(len, secrets.values())) > 100, "the check would be empty: are the regions found?"
    leaks = []
    for name, text in kit_texts(kit).items():
        # whole lines, as code or commented out (`# ...`, `>>> ...`)
        lines = {line.strip() for line in text.splitlines()}
        lines |= {line.lstrip("#>. ").strip() for line in lines}
        for assignment, secret in secrets.items():
            leaks += [f"{name}: {line}  (from source/{assignment})" for line in secret & lines]
    assert not leaks, "\n".join(leaks[:20])


def test_the_kit_holds_what_a_student_needs_and_no_instructor_file(kit):
    files = {str(p.relative_to(kit)) for p in kit.rglob("*") if p.is_file()}
    for assignment in ASSIGNMENTS:
        assert f"{assignment}/{notebook_name(assignment)}" in files
    for needed in ("README.md", "requirements.txt", "pyproject.toml", "nbgrader_config.py",
                   "course/__init__.py", "course/grading.py", "course/validate.py", "course/__main__.py"):
        assert needed in files, needed
    forbidden = [f for f in files if f.split("/")[0] in ("source", "solutions", "tests", "submitted",
                                                           "autograded", "feedback", "exchange")
                 or "instructor" in f or "autograde" in f or "gradebook" in f or "mutations" in f
                 or Path(f).name in INSTRUCTOR_MODULES]
    assert not forbidden, forbidden
    archive = kit.with_name(kit.name + ".zip")
    with zipfile.ZipFile(archive) as zf:
        assert {n.split("/", 1)[1] for n in zf.namelist()} == files, "the zip holds the folder, no more"


def test_the_kit_readme_starts_with_the_two_commands_and_requirements_are_the_students(kit):
    commands = [line for line in (kit / "README.md").read_text().splitlines()
                if line and not line.startswith(("#", "```"))][:2]
    assert commands == ["python -m pip install -r requirements.txt", "jupyter lab"], commands
    requirements = (kit / "requirements.txt").read_text()
    repo = (ROOT / "requirements.txt").read_text()
    for line in requirements.splitlines():
        if line and not line.startswith("#") and line != ".":
            assert line in repo, f"{line} is not the course's version range"
    for tool in ("pytest", "playwright", "psycopg", "nbval", "jupytext", "-e"):
        assert tool not in requirements, tool
    assert requirements.splitlines()[-1] == ".", "the last line installs the kit's own package"


def run(python: Path, args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=kit_mod.clean_env(drop_paths_into=ROOT))


def test_the_kit_environment_has_the_student_package_only(kit, kit_python):
    done = run(kit_python, ["-c", "import course, importlib.util, sys\n"
                            "print(course.__file__)\n"
                            "print(importlib.util.find_spec('course.instructor'))\n"
                            "print([p for p in sys.path if p.startswith(%r)])" % str(ROOT)],
               cwd=kit / ASSIGNMENTS[0])
    assert done.returncode == 0, done.stderr
    where, instructor, into_repo = done.stdout.splitlines()
    assert Path(where).is_relative_to(kit_python.parent.parent), where  # the venv's site-packages
    assert instructor == "None" and into_repo == "[]", done.stdout


RUNNER = r'''
import json, sys
import nbformat
from nbclient import NotebookClient
path, answers = sys.argv[1], json.loads(sys.argv[2])
nb = nbformat.read(path, 4)
for cell in nb.cells:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id in answers:
        cell.source = answers[grade_id]
NotebookClient(nb, timeout=600, allow_errors=True, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[3]}}).execute()
cells = []
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    meta = cell.metadata.get("nbgrader", {})
    errors = [{"ename": out.ename, "evalue": out.evalue[:300]} for out in cell.get("outputs", [])
              if out.output_type == "error"]
    cells.append({"id": meta.get("grade_id"), "test": bool(meta.get("grade")) and not meta.get("solution"),
                  "source": cell.source, "errors": errors})
print(json.dumps(cells))
'''


def answers_of(assignment: str) -> dict[str, str]:
    complete = nbformat.read(ROOT / "tests" / "submissions" / "complete" / assignment / notebook_name(assignment), 4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in complete.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def run_notebook(kit_python: Path, notebook: Path, answers: dict[str, str]) -> list[dict]:
    """Run the notebook top to bottom in the kit's environment: its code cells with their errors."""
    done = run(kit_python, ["-c", RUNNER, str(notebook), json.dumps(answers), str(notebook.parent)],
               cwd=notebook.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def exercise_names(assignment: str) -> set[str]:
    """Names the exercises (source/'s solution cells) define: until a student writes them, a
    later cell using one fails with a NameError, as expected as the NotImplementedError."""
    names = set()
    for cell in nbformat.read(source_notebook(ROOT, assignment), 4).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            names |= defined_by(cell.source)
    return names


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell defines at its top level, including inside if/try/for/with; names it reads)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(), set()
    defined, read = set(), {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(child.name)
            elif isinstance(child, ast.Lambda):
                continue
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                defined.add(child.id)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                defined.update((a.asname or a.name).split(".")[0] for a in child.names)
            else:
                visit(child)

    visit(tree)
    return defined, read


def defined_by(source: str) -> set[str]:
    return _names(source)[0]


def unexpected_while_untouched(cells: list[dict], exercises: set[str]) -> list[dict]:
    """Errors an untouched notebook should not show. Expected: a NotImplementedError, a failing
    visible test, and any error of a cell that reads what an unfinished exercise, or a cell
    downstream of one, would have defined or changed (`X = add_bias(X)` not done yet leaves X
    without its bias column)."""
    unfinished, unexpected = set(exercises), []
    for cell in cells:
        defined, read = _names(cell["source"])
        downstream = bool(read & unfinished)
        for error in cell["errors"]:
            if not (error["ename"] == "NotImplementedError" or cell["test"] or downstream):
                unexpected.append({"id": cell["id"], **error, "cell": cell["source"][:300]})
        if downstream or cell["errors"]:
            unfinished |= defined
    return unexpected


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_kit_notebook_runs_in_the_kit_environment_untouched_and_answered(kit, kit_python, assignment):
    notebook = kit / assignment / notebook_name(assignment)
    cells = run_notebook(kit_python, notebook, {})
    errors = [e for c in cells for e in c["errors"]]
    unexpected = unexpected_while_untouched(cells, exercise_names(assignment))
    assert not unexpected, (f"untouched {assignment}: only NotImplementedError, failing visible tests and "
                            "NameErrors for what an exercise defines expected:\n" + "\n".join(map(str, unexpected)))
    assert any(e["ename"] == "NotImplementedError" for e in errors), "the exercises are still to do"

    answered = notebook.with_name("answered.ipynb")
    nb = nbformat.read(notebook, 4)
    answers = answers_of(assignment)
    assert answers and set(answers) <= {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(nb, answered)
    try:
        # one run: Validate executes every cell and notes any cell, graded or not, that raised
        validated = run(kit_python, ["-m", "course", "validate", answered.name], cwd=answered.parent)
        assert validated.returncode == 0 and "passed" in validated.stdout, validated.stdout + validated.stderr
        assert "raised an error" not in validated.stdout, f"{assignment} with the complete answers:\n{validated.stdout}"
        assert "TCP without encryption" not in validated.stdout + validated.stderr
    finally:
        answered.unlink()


def test_kit_validate_names_each_failing_test_cell_from_anywhere(kit, kit_python, tmp_path):
    """A student's command, outside the kit folder too: exit 1 and one line per failing cell."""
    elsewhere = tmp_path / "my work" / "moons.ipynb"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes((kit / "02_moons" / notebook_name("02_moons")).read_bytes())
    done = run(kit_python, ["-m", "course", "validate", str(elsewhere)], cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    failing = [line for line in done.stdout.splitlines() if line.startswith("  - test_")]
    assert len(failing) >= 3 and any("not implemented" in line.lower() or "NotImplementedError" in line for line in failing), done.stdout
    assert "TCP without encryption" not in done.stdout + done.stderr


def test_kit_validate_uses_the_course_settings_anywhere_and_refuses_a_broken_file(kit_python, tmp_path):
    """Outside the kit, no nbgrader_config.py above: the installed package's own settings (a
    cell's time limit of 120 s, not nbgrader's 30); a file that is not a notebook: one line, exit 1."""
    done = run(kit_python, ["-c", "from course.validate import find_config_folder, load_config\n"
                            "from pathlib import Path\n"
                            "config = load_config(find_config_folder(Path.cwd()))\n"
                            "print(config.Execute.timeout, config.CourseDirectory.course_id)"], cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.split() == ["120", "nn-from-scratch"], done.stdout + done.stderr
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    done = run(kit_python, ["-m", "course", "validate", broken.name], cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines() == [f"{broken.name}: cannot validate: it is not a Jupyter notebook: not valid JSON "
                                        "(Expecting value at line 1, column 12); open a copy that works, or download "
                                        "the notebook again"], done.stderr
