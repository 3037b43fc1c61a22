"""Preprocessors that raise, which tests put in a course's nbgrader configuration
(`SandboxedAutograde.sanitize_preprocessors`) to see whose fault each exception is taken to be."""
from nbformat import ValidationError
from nbgrader.preprocessors import NbGraderPreprocessor


class GraderBug(NbGraderPreprocessor):
    """An exception no submission can cause: a bug of the grader's own."""

    def preprocess(self, nb, resources):
        raise ZeroDivisionError("a bug of the grader's own")


class InvalidNotebook(NbGraderPreprocessor):
    """What nbgrader's CheckCellMetadata raises on a notebook whose nbgrader metadata is invalid."""

    def preprocess(self, nb, resources):
        raise ValidationError("Notebook failed to validate; the nbgrader metadata may be corrupted.")
