"""Build the course: source/ -> release/, solutions/ and the example submissions, through nbgrader.

`course build` runs nbgrader's own `generate_assignment` (student notebooks) and
`generate_solution` (answer keys, executed, hidden tests stripped by `nbgrader_config.py`), after
normalising the source notebooks so that no output, execution count or personal metadata is
committed. It then writes the example submissions that `course demo` grades.
"""
from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import nbformat

from course.cells import HIDDEN_BEGIN, HIDDEN_END, is_test_cell

from .assignments import ASSIGNMENTS, notebook_name

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"

# Example students whose submissions the demo grades: the answer key, the untouched student
# notebook, and the answer key with the typical mistakes listed in tests/mutations/<id>.py.
EXAMPLE_STUDENTS = ("complete", "untouched", "mistakes")

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def find_course_root() -> Path | None:
    """The nearest folder, from here up, holding nbgrader_config.py and source/; None if none."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder
    return None


def course_root() -> Path:
    """The course directory: the nearest folder, from here up, holding nbgrader_config.py."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "nbgrader_config.py").is_file():
            return folder
    raise SystemExit("No nbgrader_config.py here or above: run this inside the course folder.")


def source_notebook(root: Path, assignment: str) -> Path:
    return root / "source" / assignment / notebook_name(assignment)


def available_assignments(root: Path) -> list[str]:
    """The assignments that have a source notebook, in teaching order."""
    return [a for a in ASSIGNMENTS if source_notebook(root, a).is_file()]


def kernel_env(root: Path, downloads: bool = False) -> dict[str, str]:
    """Environment for notebook kernels: the course package importable from `root`, one BLAS
    thread, and (unless `downloads`, for a person's own kernels) no MNIST download."""
    env = dict(os.environ)
    # Small matrices on a shared machine: BLAS threads only wait for each other (05's framework
    # cells: 192 s with the default threads, 5.6 s with one). check_environment() does the same
    # with threadpoolctl in kernels started elsewhere.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    # Building, validating, grading and tests never download (course.mnist.download_blocked).
    if not downloads:
        env["COURSE_NO_DOWNLOAD"] = "1"
    # nbgrader runs `alembic` and kernels run `python` by name: this interpreter's tools come first.
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    # Kernels draw with ipykernel's inline backend, so answer keys keep their figures.
    env.pop("MPLBACKEND", None)
    return env


# --- source notebooks -----------------------------------------------------------------------

def normalize(nb: nbformat.NotebookNode, assignment: str) -> nbformat.NotebookNode:
    """Strip outputs, execution counts and non-course metadata; give cells stable ids."""
    nb.metadata = nbformat.from_dict(
        {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    )
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        keep = {k: v for k, v in cell.metadata.items() if k in ("nbgrader", "tags")}
        cell.metadata = nbformat.from_dict(keep)
        grade_id = keep.get("nbgrader", {}).get("grade_id")
        cell_id = re.sub(r"[^A-Za-z0-9_-]", "-", grade_id or f"{assignment}-{index:03d}")[:64]
        while cell_id in seen:
            cell_id = f"{cell_id}-{index}"
        seen.add(cell_id)
        cell.id = cell_id
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def normalize_source(root: Path, assignment: str) -> bool:
    """Normalise source/<id>/<id>.ipynb in place; return whether it changed."""
    path = source_notebook(root, assignment)
    before = path.read_text()
    nb = normalize(nbformat.reads(before, as_version=4), assignment)
    nbformat.validate(nb)
    after = nbformat.writes(nb) + "\n"
    if after != before:
        path.write_text(after)
        return True
    return False


# --- checklists -----------------------------------------------------------------------------

# A number a hidden check's name must not hold: its name reaches the student's feedback.
NUMBER_IN_NAME = re.compile(r"(?<![\w.])[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(?![\w])")


class CheckSpec(NamedTuple):
    """One `with checks(name, share[, hidden=True])` of a test cell, read from its source."""

    name: str
    share: Fraction
    hidden: bool
    in_hidden_region: bool


class CellChecklist(NamedTuple):
    """A test cell's checklist as written: declared points and hidden points, and its checks."""

    grade_id: str
    points: Fraction
    hidden_points: Fraction
    checks: list[CheckSpec]


def _literal_share(node: ast.AST) -> Fraction:
    value = ast.literal_eval(node)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"a share is an int or a text like '1/3', not {value!r}")
    return Fraction(value)


def read_checklist(cell: nbformat.NotebookNode) -> CellChecklist:
    """The checklist of a test cell, read statically (nothing runs); ValueError says what is wrong."""
    meta = cell.metadata.get("nbgrader", {})
    grade_id = meta.get("grade_id", "?")
    lines = cell.source.split("\n")
    hidden_lines, inside = set(), False
    for number, line in enumerate(lines, start=1):
        if line.strip() == HIDDEN_BEGIN:
            inside = True
        elif line.strip() == HIDDEN_END:
            inside = False
        elif inside:
            hidden_lines.add(number)
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as error:
        raise ValueError(f"{grade_id}: does not parse ({error.msg}, line {error.lineno})") from None
    declared, checks = None, []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name == "checklist":
            if declared is not None:
                raise ValueError(f"{grade_id}: one checklist per test cell")
            kwargs = {k.arg: k.value for k in node.keywords}
            points = node.args[0] if node.args else kwargs.get("points")
            hidden = node.args[1] if len(node.args) > 1 else kwargs.get("hidden")
            if points is None:
                raise ValueError(f"{grade_id}: checklist(...) needs points")
            declared = (_literal_share(points), _literal_share(hidden) if hidden is not None else Fraction(0))
        elif (name == "check" and isinstance(node.func, ast.Attribute)) or (
                isinstance(node.func, ast.Name) and node.func.id == "checks"):
            if len(node.args) < 2 or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
                raise ValueError(f"{grade_id}: line {node.lineno}: a check is checks(\"name\", share[, hidden=True])")
            kwargs = {k.arg: k.value for k in node.keywords}
            hidden = bool(ast.literal_eval(kwargs["hidden"])) if "hidden" in kwargs else False
            checks.append(CheckSpec(node.args[0].value, _literal_share(node.args[1]), hidden,
                                    node.lineno in hidden_lines))
    if declared is None:
        raise ValueError(f"{grade_id}: no checklist(points=...) in this test cell")
    if "checks.done()" not in lines[-1]:
        raise ValueError(f"{grade_id}: the cell must end with checks.done(), after the hidden tests")
    return CellChecklist(grade_id, declared[0], declared[1], sorted(checks, key=lambda c: c.in_hidden_region))


def checklist_problems(cell: nbformat.NotebookNode) -> list[str]:
    """Why a test cell's checklist is wrong ([] when it is right): shares that do not add up to the
    cell's points, a check in the hidden part not marked hidden (or the other way round), a hidden
    check whose name quotes a number, two checks with one name."""
    try:
        found = read_checklist(cell)
    except ValueError as error:
        return [str(error)]
    problems = []
    points = Fraction(cell.metadata["nbgrader"]["points"])
    where = found.grade_id
    if found.points != points:
        problems.append(f"{where}: checklist(points={found.points}) but the cell has {points} points")
    if not found.checks:
        problems.append(f"{where}: no checks")
    total = sum((c.share for c in found.checks), Fraction(0))
    if total != points:
        problems.append(f"{where}: the checks' shares add up to {total}, not to the cell's {points} points")
    hidden_total = sum((c.share for c in found.checks if c.hidden), Fraction(0))
    if hidden_total != found.hidden_points:
        problems.append(f"{where}: the hidden checks' shares add up to {hidden_total}, "
                        f"not to checklist(hidden={found.hidden_points})")
    for check in found.checks:
        if check.hidden != check.in_hidden_region:
            problems.append(f"{where}: check {check.name!r} is {'' if check.in_hidden_region else 'not '}in the hidden "
                            f"part but {'not ' if not check.hidden else ''}marked hidden=True")
        if check.hidden and NUMBER_IN_NAME.search(check.name):
            problems.append(f"{where}: hidden check {check.name!r} quotes a number (its name reaches the feedback)")
        if check.share <= 0:
            problems.append(f"{where}: check {check.name!r} has no share")
    names = [c.name for c in found.checks]
    problems += [f"{where}: two checks named {n!r}" for n in sorted({n for n in names if names.count(n) > 1})]
    return problems


def check_checklists(root: Path, assignment: str) -> None:
    """Refuse to build an assignment whose test cells' checklists are wrong (checklist_problems)."""
    nb = nbformat.read(source_notebook(root, assignment), as_version=4)
    problems = [p for cell in nb.cells if is_test_cell(cell) for p in checklist_problems(cell)]
    if problems:
        raise SystemExit(f"{assignment}: test cells with a wrong checklist:\n  " + "\n  ".join(problems))


# --- nbgrader -------------------------------------------------------------------------------

def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the course directory; fail loudly on an error."""
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root, env=kernel_env(root), capture_output=True, text=True,
    )
    log = result.stdout + result.stderr
    if result.returncode != 0 or "[ERROR]" in log:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{log}")
    return result


def source_digest(root: Path, assignment: str) -> str:
    """What the answer key was made from. (Config changes that matter to students are caught by
    the tests, which regenerate release/ and look for hidden tests in solutions/.)"""
    return hashlib.sha256(source_notebook(root, assignment).read_bytes()).hexdigest()


def is_fresh(root: Path, assignment: str) -> bool:
    """Whether solutions/<id> was generated from the current source (release is made with it)."""
    path = root / "solutions" / assignment / notebook_name(assignment)
    if not path.is_file() or not (root / "release" / assignment / notebook_name(assignment)).is_file():
        return False
    made_from = nbformat.read(path, as_version=4).metadata.get("course", {}).get("source_sha256")
    return made_from == source_digest(root, assignment)


@contextlib.contextmanager
def scratch_gradebook():
    """An nbgrader option pointing at a throwaway gradebook. nbgrader records an assignment's
    cells as it generates, and refuses changed cells while submissions exist: building never
    touches the course's gradebook.db."""
    with tempfile.TemporaryDirectory() as scratch:
        yield f"--CourseDirectory.db_url=sqlite:///{scratch}/gradebook.db"


def generate(root: Path, assignment: str) -> None:
    """release/<id> and solutions/<id> from source/<id>, through nbgrader."""
    with scratch_gradebook() as db:
        nbgrader(root, "generate_assignment", assignment, "--force", db)
        nbgrader(root, "generate_solution", assignment, "--force", db)
    _tidy_generated(root, assignment)


def generate_release_only(root: Path, assignment: str) -> None:
    """release/<id> alone (nothing executed)."""
    with scratch_gradebook() as db:
        nbgrader(root, "generate_assignment", assignment, "--force", db)


def _tidy_generated(root: Path, assignment: str) -> None:
    for folder in ("release", "solutions"):
        path = root / folder / assignment / notebook_name(assignment)
        nb = nbformat.read(path, as_version=4)
        nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
        for cell in nb.cells:  # execution timestamps would change the file at every build
            cell.metadata.pop("execution", None)
        if folder == "solutions":
            nb.metadata["course"] = {"source_sha256": source_digest(root, assignment)}
        nbformat.write(nb, path)


# --- example submissions --------------------------------------------------------------------

def load_mutations(root: Path, assignment: str) -> ModuleType | None:
    """tests/mutations/<id>.py: the realistic wrong (and other right) answers of an assignment."""
    path = root / "tests" / "mutations" / f"{assignment}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"mutations_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def student_answer(solution_source: str) -> str:
    """The code a student who solved the exercise would have in the cell: markers removed."""
    return "\n".join(
        line for line in solution_source.split("\n")
        if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION)
    )


def apply_change(answer: str, change, where: str) -> str:
    """A change is a whole new cell source, or (old, new) replacements applied to the answer."""
    if isinstance(change, str):
        return change
    pairs = [change] if isinstance(change[0], str) else list(change)
    for old, new in pairs:
        if old not in answer:
            raise ValueError(f"{where}: {old!r} is not in the solution cell")
        answer = answer.replace(old, new)
    return answer


def solution_cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """Cells students write in, by grade_id."""
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def example_submission(root: Path, assignment: str, student: str) -> nbformat.NotebookNode:
    """The student notebook as one of the EXAMPLE_STUDENTS would hand it in."""
    release = nbformat.read(root / "release" / assignment / notebook_name(assignment), as_version=4)
    if student == "untouched":
        return release
    source = solution_cells(nbformat.read(source_notebook(root, assignment), as_version=4))
    mutations = load_mutations(root, assignment)
    mistakes = dict(getattr(mutations, "MISTAKES", []) if student == "mistakes" else [])
    for grade_id, cell in solution_cells(release).items():
        answer = student_answer(source[grade_id].source)
        if grade_id in mistakes:
            change = mutations.WRONG[grade_id][mistakes[grade_id]]
            answer = apply_change(answer, change, f"{assignment}:{grade_id}")
        cell.source = answer
    return release


def write_examples(root: Path, assignment: str) -> None:
    for student in EXAMPLE_STUDENTS:
        path = root / "tests" / "submissions" / student / assignment / notebook_name(assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(example_submission(root, assignment, student), path)


def build(root: Path, assignments: list[str] | None = None, log=print, force: bool = False) -> list[str]:
    """Regenerate everything generated from source/ for `assignments` (default: all).

    An assignment whose solutions/ were made from the current source and config is skipped
    (executing an answer key takes a while) unless `force`; its example submissions are
    rewritten either way, since they also follow tests/mutations/<id>.py.
    """
    todo = assignments or available_assignments(root)
    for assignment in todo:
        if not source_notebook(root, assignment).is_file():
            raise SystemExit(f"No source notebook for {assignment!r}: {source_notebook(root, assignment)}")
        check_checklists(root, assignment)
        if normalize_source(root, assignment):
            log(f"{assignment}: normalised source notebook")
        if force or not is_fresh(root, assignment):
            log(f"{assignment}: generating release/ and solutions/ through nbgrader")
            generate(root, assignment)
        else:
            log(f"{assignment}: release/ and solutions/ are up to date")
        write_examples(root, assignment)
    return todo

