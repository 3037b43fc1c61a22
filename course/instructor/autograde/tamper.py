"""The tamper report: submissions whose code tries to influence its own grading.

Every finding says who saw it (`seen`):

- "grader": seen from outside the sandbox, out of the submission's reach: its code read by the
  grader (Python's `ast`), files it ships, nbgrader metadata and locked cells it changed
  (checksums, the gradebook), limits it hit, processes it left, files it wrote.
- "kernel": what the sandboxed kernel reported about itself (the audit hook: files it tried to
  open, connections, processes; the module guard: monkeypatches it undid). The events arrive
  through a pipe, so a kernel cannot take back what it reported, but it can stop reporting
  or report things that did not happen: hints, labelled as such.

A finding never changes a grade by itself: the hidden tests always run from the gradebook's
copy, and the guard undoes patches first.
"""
from __future__ import annotations

import ast
import re

HELPERS = {"call", "expect", "expect_close", "expect_equal", "expect_gradient", "expect_shape",
           "numerical_gradient", "quiet", "rel_error", "replaced", "use_trusted"}
TEST_BUILTINS = {"isinstance", "len", "abs", "all", "any", "round", "float", "int", "type", "print",
                 "range", "zip", "sum", "min", "max", "list", "tuple", "hasattr", "getattr",
                 "AssertionError", "Exception", "__import__", "open"}
GUARDED_ROOTS = {"numpy", "builtins", "course", "math", "scipy", "sklearn", "IPython", "sys"}
NETWORK_MODULES = {"socket", "urllib", "http", "requests", "ftplib", "smtplib", "telnetlib", "ssl", "httpx"}
PROCESS_CALLS = {"os.system", "os.popen", "os.fork", "os.forkpty", "os.spawnl", "os.execv", "os.execl",
                 "os.posix_spawn", "subprocess.run", "subprocess.Popen", "subprocess.call",
                 "subprocess.check_output", "subprocess.check_call", "pty.spawn"}
EXIT_CALLS = {"os._exit", "sys.exit", "exit", "quit", "os.kill", "os.abort", "signal.signal"}
INTROSPECTION = {"_ih", "_oh", "In", "Out", "_i", "_ii", "_iii", "inspect", "linecache", "_getframe",
                 "history_manager", "user_ns", "f_back", "f_globals", "f_locals"}
PATH_OUTSIDE = re.compile(r"(^|[\\/])\.\.([\\/]|$)|^/|^~|gradebook|(^|/)(source|solutions|release|autograded|submitted)/")

KINDS = {
    "helper": "redefines a grading helper",
    "monkeypatch": "monkeypatches a module the tests use",
    "builtin": "redefines a builtin the tests use",
    "files": "reads files outside its folder",
    "write": "writes files outside its folder",
    "introspection": "reads the notebook's own code or the caller's frames (test code)",
    "network": "opens network connections",
    "process": "starts processes",
    "exit": "stops or signals its own kernel",
    "shadow": "ships files named like installed modules",
    "channel": "sent the grader's tests what they did not ask for (two-process channel)",
}


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return None


def _strip_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


class _Visitor(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str]):
        self.aliases = aliases  # local name -> module it was imported as
        self.found: list[tuple[str, int, str]] = []

    def add(self, kind: str, node, detail: str) -> None:
        self.found.append((kind, getattr(node, "lineno", 0), detail))

    def _module_of(self, name: str | None) -> str | None:
        if not name:
            return None
        head, _, rest = name.partition(".")
        module = self.aliases.get(head, head if head in GUARDED_ROOTS or head == "__builtins__" else None)
        return module if module is None or not rest else f"{module}.{rest}"

    def visit_Import(self, node):
        for alias in node.names:
            self.aliases[(alias.asname or alias.name).split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            if alias.name.split(".")[0] in NETWORK_MODULES:
                self.add("network", node, f"import {alias.name}")
            if alias.name.split(".")[0] in {"inspect", "linecache"}:
                self.add("introspection", node, f"import {alias.name}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        for alias in node.names:
            local = alias.asname or alias.name
            if module == "course.grading" and alias.asname and alias.asname in HELPERS:
                self.add("helper", node, f"from course.grading import {alias.name} as {alias.asname}")
            self.aliases[local] = f"{module}.{alias.name}"
        if module.split(".")[0] in NETWORK_MODULES:
            self.add("network", node, f"from {module} import ...")
        self.generic_visit(node)

    def _target(self, target, node) -> None:
        if isinstance(target, ast.Name):
            if target.id in HELPERS:
                self.add("helper", node, f"assigns {target.id}")
            elif target.id in TEST_BUILTINS or target.id in ("np", "numpy"):
                self.add("builtin", node, f"assigns {target.id}")
        elif isinstance(target, ast.Attribute):
            owner = self._module_of(_dotted(target.value))
            if owner and owner.split(".")[0] in GUARDED_ROOTS | {"__builtins__"}:
                self.add("monkeypatch", node, f"{owner}.{target.attr} = ...")
        elif isinstance(target, ast.Subscript):
            owner = _dotted(target.value) or ""
            if owner in ("__builtins__", "sys.modules") or owner.endswith("__dict__") or owner.endswith("user_ns"):
                self.add("monkeypatch", node, f"{owner}[...] = ...")
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._target(element, node)

    def visit_Assign(self, node):
        for target in node.targets:
            self._target(target, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self._target(target, node)
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        if node.name in HELPERS:
            self.add("helper", node, f"def {node.name}")
        elif node.name in TEST_BUILTINS:
            self.add("builtin", node, f"def {node.name}")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        if node.name in TEST_BUILTINS:
            self.add("builtin", node, f"class {node.name}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in INTROSPECTION and isinstance(node.ctx, ast.Load):
            self.add("introspection", node, node.id)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr in INTROSPECTION:
            self.add("introspection", node, f".{node.attr}")
        self.generic_visit(node)

    def visit_Call(self, node):
        name = _dotted(node.func) or ""
        resolved = self._module_of(name) or name
        if name in ("setattr", "delattr") and node.args:
            owner = self._module_of(_dotted(node.args[0]))
            if owner and owner.split(".")[0] in GUARDED_ROOTS | {"__builtins__"}:
                self.add("monkeypatch", node, f"{name}({owner}, ...)")
        if resolved in PROCESS_CALLS or name in PROCESS_CALLS:
            self.add("process", node, f"{name}(...)")
        if resolved in EXIT_CALLS or name in EXIT_CALLS:
            self.add("exit", node, f"{name}(...)")
        for arg in list(node.args) + [k.value for k in node.keywords]:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and PATH_OUTSIDE.search(arg.value):
                writing = any(isinstance(a, ast.Constant) and isinstance(a.value, str) and
                              re.fullmatch(r"[rwxab+t]+", a.value) and set(a.value) & set("wxa+")
                              for a in node.args[1:] + [k.value for k in node.keywords if k.arg == "mode"])
                self.add("write" if writing else "files", node, f"{name}({arg.value!r})")
        self.generic_visit(node)


def scan_notebook(nb, locked_ids: set[str] | None = None) -> list[dict]:
    """Static findings in a submitted notebook's code cells (locked cells are restored anyway)."""
    findings = []
    aliases: dict[str, str] = {}
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if locked_ids and meta.get("grade_id") in locked_ids:
            continue
        visitor = _Visitor(aliases)
        try:  # a cell nested deeper than Python's recursion limit (`1+1+...+1`) is the student's, not ours
            tree = ast.parse(_strip_magics(cell.get("source", "")))
            visitor.visit(tree)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        name = meta.get("grade_id") or f"cell {index + 1}"
        for kind, line, detail in visitor.found:
            findings.append({"kind": KINDS[kind], "cell": name, "line": line, "detail": detail, "how": "code"})
    return _dedupe(findings)


def shadowing_files(folder) -> list[dict]:
    """Python files or packages in a submission named like a module the environment provides.

    The grading kernel imports the environment's first, so they cannot replace numpy or the
    grading helpers; they are still worth a look."""
    import importlib.util
    from pathlib import Path

    out = []
    for path in sorted(Path(folder).iterdir()):
        if path.suffix == ".py":
            name = path.stem
        elif path.is_dir() and (path / "__init__.py").exists():
            name = path.name
        else:
            continue
        # the top-level name only: find_spec("a.b") imports `a` (here, in the grader, outside any
        # sandbox: `unittest.__main__.x.py` would run unittest's command line); a top-level name
        # is looked up without importing anything
        name = name.split(".")[0]
        try:
            spec = importlib.util.find_spec(name) if name.isidentifier() else None
        except (ImportError, ValueError):
            spec = None
        if name == "course" or (spec is not None and spec.origin not in (None, str(path))):
            out.append({"kind": KINDS["shadow"], "cell": None, "line": None,
                        "detail": path.name + ("/" if path.is_dir() else ""), "how": "files"})
    return out


def from_events(events: list[dict]) -> list[dict]:
    """Findings from the sandbox: the audit log and the module guard."""
    kinds = {"read outside its folder": KINDS["files"], "write outside its folder": KINDS["write"],
             "network": KINDS["network"], "process": KINDS["process"], "monkeypatch": KINDS["monkeypatch"],
             "channel": KINDS["channel"]}
    out = []
    for event in events:
        kind = kinds.get(event.get("kind"))
        if kind is None:
            continue
        detail = event.get("detail", "")
        if event.get("kind") == "monkeypatch" and detail.startswith("builtins.") and detail[9:] not in TEST_BUILTINS:
            kind = KINDS["builtin"]
        how = "channel" if event.get("kind") == "channel" else "kernel's audit"
        out.append({"kind": kind, "cell": event.get("cell"), "line": None, "detail": detail, "how": how})
    return _dedupe(out)


# what a notebook started on an earlier release of the assignment shows (`history`): not tampering
EARLIER_RELEASE = {"earlier release cell", "removed cell", "added cell", "added exercise"}


def from_sanitize(findings: list[dict]) -> list[dict]:
    names = {"changed locked cell": "changed a locked test cell (nbgrader checksum)",
             "deleted locked cell": "deleted a locked test cell",
             "moved graded cell": "moved a graded cell out of the assignment's order",
             "missing given cell": "lacks a read-only cell (deleted, or started on an earlier release)",
             "changed cell type": "changed the type of a graded cell",
             "unknown cell id": "has a cell with an unknown nbgrader id"}
    return [{"kind": names.get(f["kind"], f["kind"]), "cell": f["cell"], "line": None,
             "detail": f.get("detail", ""), "how": "checksum"} for f in findings if f["kind"] not in EARLIER_RELEASE]


def from_intake(findings: list[dict]) -> list[dict]:
    """What the grader changed in the submitted file before grading (`intake.normalise`)."""
    names = {"unknown cell id": "has a cell with an unknown nbgrader id",
             "duplicate cell id": "repeats an nbgrader cell id (the copy was not graded)",
             "changed cell metadata": "changed the nbgrader metadata of a cell",
             "changed cell type": "changed the type of a graded cell"}
    return [{"kind": names.get(f["kind"], f["kind"]), "cell": f.get("cell"), "line": None,
             "detail": f.get("detail", ""), "how": "metadata"} for f in findings if f["kind"] not in EARLIER_RELEASE]


def from_notes(notes: list[dict]) -> list[dict]:
    """Limits the grader saw hit, processes it had to stop, files it had to delete."""
    out = []
    for note in notes:
        limit = note.get("limit", "")
        kind = ("left processes running" if limit == "processes" and "left" in note.get("reason", "")
                else f"hit a limit: {limit}")
        out.append({"kind": kind, "cell": note.get("cell"), "line": None,
                    "detail": note.get("reason", ""), "how": "limits"})
    return out


KERNEL_REPORTED = {"kernel's audit"}


def seen_by(finding: dict) -> str:
    return "kernel" if finding.get("how") in KERNEL_REPORTED or finding.get("how") == "sandbox" else "grader"


def _dedupe(findings: list[dict]) -> list[dict]:
    seen, out = set(), []
    for f in findings:
        key = (f["kind"], f["cell"], f["detail"])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out

