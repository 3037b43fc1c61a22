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

from course.build import kernel_env


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


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_test_cell(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def code_cells(nb: nbformat.NotebookNode) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]
