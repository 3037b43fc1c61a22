"""`GradingNotes` (feedback): the autograder's notes (limits hit, kernel deaths, restored cells)
at the top of the feedback."""
from __future__ import annotations

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor


# What the student reads of each kind of RestoreCells's findings: by kind, or by (kind, whether
# the cell is a test cell) where the sentence differs; {was} is what an earlier release had.
FINDINGS = {
    "deleted locked cell": "this test cell was missing from your notebook; it was put back and graded.",
    "missing given cell": "this read-only cell of the assignment was missing from your notebook (deleted, or added "
                          "to the assignment after you started); it was put back at its place and ran there.",
    ("moved graded cell", True): "this test cell was not at its place in your notebook; it was moved back to its "
                                 "place in the assignment and graded there (graded cells run in the assignment's "
                                 "order).",
    ("moved graded cell", False): "this cell was not at its place in your notebook; it was moved back to its place "
                                  "in the assignment, with the cells you added right after it, and ran there (graded "
                                  "cells run in the assignment's order).",
    ("added cell", True): "this test cell was added to the assignment after the release you started from; it was "
                          "put in your notebook and graded with your answers.",
    ("added cell", False): "this read-only cell was added to the assignment after the release you started from; it "
                           "was put in your notebook at its place and ran there.",
    "added exercise": "this exercise was added to the assignment after the release you started from, so your "
                      "notebook has no answer for it: its tests scored as unanswered.",
    "earlier release cell": "your notebook has this read-only cell as an earlier release of the assignment had "
                            "it{was}; it was corrected since, and the corrected cell was graded.",
    "removed cell": "this cell was in an earlier release of the assignment and the current release no longer has "
                    "it; it ran as an ordinary cell and is not graded.",
    "changed locked cell": "this read-only cell was changed in your notebook; the original was graded.",
}


class GradingNotes(NbGraderPreprocessor):
    """A first cell that tells the student what the autograder did with their notebook."""

    def preprocess(self, nb, resources):
        summary = nb.metadata.get("course_autograde", {})
        lines = []
        for note in summary.get("staging", []):
            lines.append(f"- {note}")
        for finding in summary.get("sanitize", []):
            text = FINDINGS.get((finding["kind"], bool(finding.get("test")))) or FINDINGS.get(finding["kind"])
            if text is not None:
                lines.append(f"- `{finding['cell']}`: " + text.format(was=finding.get("was", "")))
        for note in summary.get("notes", []):
            lines.append(f"- `{note['cell']}`: {note['reason']}")
        if lines:
            text = "### Notes from the autograder\n\n" + "\n".join(lines)
            nb.cells.insert(0, NotebookNode(cell_type="markdown", metadata={}, source=text, id="autograder-notes"))
        return nb, resources
