"""Run notebook cells in one real Jupyter kernel and judge them as nbgrader does.

nbgrader gives a test cell its points when it runs without an error and prints nothing to
stderr; `CellResult.passed` is that rule. One kernel serves many checks: run the answer key,
swap one exercise's cell for a wrong answer, re-run the test cells, restore.
"""
from __future__ import annotations

import queue
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client import KernelManager

from course.cells import grade_id, is_test_cell  # noqa: F401 (the tests import them from here)
from course.instructor.build import kernel_env


@dataclass
class CellResult:
    error: str | None = None
    stderr: str = ""
    stdout: str = ""
    outputs: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.error is None and not self.stderr

    def why(self) -> str:
        return self.error or f"wrote to stderr: {self.stderr.strip()[:500]}" if not self.passed else "passed"

    def checks(self) -> list[dict] | None:
        """The checks of a test cell as its checklist reported them (name, share, hidden, passed,
        message), hidden ones included; None when the cell emitted no checklist (it stopped
        before `checks.done()`, or is no checklist cell)."""
        from course.grading import CHECKLIST_MIME

        found = [data[CHECKLIST_MIME] for data in self.outputs if CHECKLIST_MIME in data]
        return found[-1]["checks"] if found else None

    def failed_checks(self) -> set[str] | None:
        """The names of the checks that failed; None when the cell emitted no checklist."""
        checks = self.checks()
        return None if checks is None else {c["name"] for c in checks if not c["passed"]}


class NotebookKernel:
    """A python3 kernel started in `cwd` with the course package importable from `root`."""

    def __init__(self, cwd: Path, root: Path):
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(cwd), env=kernel_env(root),
                             extra_arguments=["--HistoryManager.hist_file=:memory:"])
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 300) -> CellResult:
        result = CellResult()

        def hook(msg):
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                if content["name"] == "stderr":
                    result.stderr += content["text"]
                else:
                    result.stdout += content["text"]
            elif kind == "error":
                result.error = f"{content['ename']}: {content['evalue']}"
            elif kind in ("execute_result", "display_data"):
                result.outputs.append(content.get("data", {}))

        try:
            reply = self.kc.execute_interactive(code, output_hook=hook, timeout=timeout,
                                                store_history=False, allow_stdin=False)
        except (TimeoutError, queue.Empty):
            self.km.interrupt_kernel()
            result.error = f"TimeoutError: cell did not finish in {timeout} s"
            return result
        if reply["content"]["status"] == "error" and result.error is None:
            result.error = f"{reply['content']['ename']}: {reply['content']['evalue']}"
        return result

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def code_cells(nb: nbformat.NotebookNode) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def names_in(source: str) -> tuple[set[str], set[str], set[str]]:
    """(names a cell binds, names it reads as it runs, names its functions read when called).

    Python's own symbol tables tell a function's parameters and locals from the globals it
    reads, so `def add_bias(X): ...` reads `np` when called, not the notebook's `X`.
    IPython syntax (magics) allowed.
    """
    import symtable

    from IPython.core.inputtransformer2 import TransformerManager

    try:
        top = symtable.symtable(TransformerManager().transform_cell(source), "<cell>", "exec")
    except SyntaxError:
        return set(), set(), set()
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    now = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    later = set()
    todo = list(top.get_children())
    while todo:
        table = todo.pop()
        todo.extend(table.get_children())
        later |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
        bound |= {s.get_name() for s in table.get_symbols() if s.is_declared_global() and s.is_assigned()}
    return bound, now, later


def statements(source: str) -> list[str]:
    """A cell's top-level statements as separate sources (IPython syntax turned into Python)."""
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return [source]
    return [ast.unparse(node) for node in tree.body]


class Dependencies:
    """Which cells a test cell's result depends on, following the notebook's names in order.

    Statement by statement: a name read as a statement runs means the latest earlier statement
    that bound it; a name read inside a function means the binding in force when the test calls
    it, unless the test swapped it for a trusted version (`use_trusted`/`replaced`).
    """

    def __init__(self, sources: list[str]):
        self.units = [(cell, names_in(stmt)) for cell, source in enumerate(sources)
                      for stmt in statements(source)]

    def _binder(self, name: str, before: int) -> int | None:
        for index in range(min(before, len(self.units)) - 1, -1, -1):
            if name in self.units[index][1][0]:
                return index
        return None

    def cells_behind(self, cell: int, source: str, swapped: set[str] = frozenset()) -> set[int]:
        """Indices of the cells whose code can change the result of `source` run as cell `cell`."""
        bound, now, later = names_in(source)
        position = next((i for i, (c, _) in enumerate(self.units) if c >= cell), len(self.units))
        seen: set[int] = set()
        todo = [(name, position) for name in (now | later) - bound - set(swapped)]
        while todo:
            name, at = todo.pop()
            index = self._binder(name, at)
            if index is None or index in seen:
                continue
            seen.add(index)
            _, (_, unit_now, unit_later) = self.units[index]
            todo += [(n, index) for n in unit_now]
            todo += [(n, position) for n in unit_later - set(swapped)]  # run when the test calls it
        return {self.units[i][0] for i in seen}


def trusted_names(source: str) -> set[str]:
    """Names a test cell swaps for trusted versions with use_trusted(...) or replaced(...)."""
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    names = set()
    for node in ast.walk(ast.parse(TransformerManager().transform_cell(source))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("use_trusted", "replaced"):
            names |= {k.arg for k in node.keywords if k.arg}
    return names
