"""`GradingNotes` (feedback): the autograder's notes (limits hit, kernel deaths, restored cells)
at the top of the feedback."""
from __future__ import annotations

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor


class GradingNotes(NbGraderPreprocessor):
    """A first cell that tells the student what the autograder did with their notebook."""

    def preprocess(self, nb, resources):
        summary = nb.metadata.get("course_autograde", {})
        lines = []
        for note in summary.get("staging", []):
            lines.append(f"- {note}")
        for finding in summary.get("sanitize", []):
            if finding["kind"] == "deleted locked cell":
                lines.append(f"- `{finding['cell']}`: this test cell was missing from your notebook; "
                             "it was put back and graded.")
            elif finding["kind"] == "missing given cell":
                lines.append(f"- `{finding['cell']}`: this read-only cell of the assignment was missing from your "
                             "notebook (deleted, or added to the assignment after you started); it was put back "
                             "at its place and ran there.")
            elif finding["kind"] == "moved graded cell":
                if finding.get("test"):
                    what, then = "test cell", " and graded there"
                else:
                    what, then = "cell", ", with the cells you added right after it, and ran there"
                lines.append(f"- `{finding['cell']}`: this {what} was not at its place in your notebook; it was moved "
                             f"back to its place in the assignment{then} (graded cells run in the assignment's "
                             "order).")
            elif finding["kind"] == "added cell":
                if finding.get("test"):
                    lines.append(f"- `{finding['cell']}`: this test cell was added to the assignment after the "
                                 "release you started from; it was put in your notebook and graded with your answers.")
                else:
                    lines.append(f"- `{finding['cell']}`: this read-only cell was added to the assignment after the "
                                 "release you started from; it was put in your notebook at its place and ran there.")
            elif finding["kind"] == "added exercise":
                lines.append(f"- `{finding['cell']}`: this exercise was added to the assignment after the release "
                             "you started from, so your notebook has no answer for it: its tests scored as "
                             "unanswered.")
            elif finding["kind"] == "earlier release cell":
                lines.append(f"- `{finding['cell']}`: your notebook has this read-only cell as an earlier release of "
                             f"the assignment had it{finding.get('was', '')}; it was corrected since, and the "
                             "corrected cell was graded.")
            elif finding["kind"] == "removed cell":
                lines.append(f"- `{finding['cell']}`: this cell was in an earlier release of the assignment and the "
                             "current release no longer has it; it ran as an ordinary cell and is not graded.")
            elif finding["kind"] == "changed locked cell":
                lines.append(f"- `{finding['cell']}`: this read-only cell was changed in your notebook; "
                             "the original was graded.")
        for note in summary.get("notes", []):
            lines.append(f"- `{note['cell']}`: {note['reason']}")
        if lines:
            text = "### Notes from the autograder\n\n" + "\n".join(lines)
            nb.cells.insert(0, NotebookNode(cell_type="markdown", metadata={}, source=text, id="autograder-notes"))
        return nb, resources
