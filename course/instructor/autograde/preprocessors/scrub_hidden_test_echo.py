"""`ScrubHiddenTestEcho` (feedback): remove from outputs any line of a hidden test that a
student's code printed (for example by reading IPython's input history)."""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from .resources import course_info


class ScrubHiddenTestEcho(NbGraderPreprocessor):
    """Remove any line of a hidden test from what the student's code printed or raised."""

    def preprocess(self, nb, resources):
        self._lines = course_info(resources).get("hidden_lines", [])
        return super().preprocess(nb, resources)

    def _scrub(self, text: str) -> str:
        if not any(line in text for line in self._lines):
            return text
        kept = []
        for row in text.split("\n"):
            if any(line in row for line in self._lines):
                if not kept or kept[-1] != "[hidden test code removed]":
                    kept.append("[hidden test code removed]")
            else:
                kept.append(row)
        return "\n".join(kept)

    def preprocess_cell(self, cell, resources, index):
        if not self._lines or cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = self._scrub(output.text)
            elif output.output_type == "error":
                output.evalue = self._scrub(output.evalue)
                output.traceback = [self._scrub(line) for line in output.traceback]
            elif "data" in output:
                for key, value in list(output.data.items()):
                    if isinstance(value, str):
                        output.data[key] = self._scrub(value)
        return cell, resources
