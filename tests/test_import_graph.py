"""The course's modules import each other without circles, function-level imports included.

A circle hidden inside a function works until someone moves the import to the top; it also means
two modules each need the other, which is one module in two files or a helper in the wrong room.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "course"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The course modules `name` imports anywhere in its code (a package's `from . import x` names
    the submodule x)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in known else stem for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    # a package imports its submodules' names only through its __init__; importing a submodule
    # runs its parents' __init__ first, which is not a dependency of the submodule's code
    return {name: imports_of(name, path, known) - {p for p in known if name.startswith(p + ".")}
            for name, path in found.items()}


def test_the_reader_finds_the_imports():
    g = graph()
    assert "course.instructor.autograde.kernel_manager" in g["course.instructor.autograde.twoproc.execute"]
    assert "course.grading" in g["course.instructor.autograde.twoproc.grader_side"]


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles_in_the_course():
    assert circles(graph()) == []


def test_the_student_package_never_imports_the_instructors():
    g = graph()
    student = [m for m in g if not m.startswith("course.instructor")]
    leaks = {m: sorted(t for t in g[m] if t.startswith("course.instructor")) for m in student}
    assert not {m: t for m, t in leaks.items() if t}, leaks


MAX_AUTOGRADE_LINES = 450


def test_no_autograde_module_is_over_450_lines():
    """A module of the grader past about 450 lines holds more than one room; split it by role."""
    autograde = PACKAGE / "instructor" / "autograde"
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in sorted(autograde.rglob("*.py"))}
    assert len(sizes) > 30 and sizes["course/instructor/autograde/execute.py"] > 100  # it reads the real tree
    offenders = {path: lines for path, lines in sizes.items() if lines > MAX_AUTOGRADE_LINES}
    assert not offenders, "over %d lines: %s" % (MAX_AUTOGRADE_LINES, ", ".join(
        f"{path} ({lines})" for path, lines in sorted(offenders.items(), key=lambda item: -item[1])))
