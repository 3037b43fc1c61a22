"""nbgrader preprocessors of the course, named in `nbgrader_config.py`."""
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader import utils


class ShortenTracebacks(NbGraderPreprocessor):
    """In graded cells, keep only the last line of an error: the failed check's message.

    A full IPython traceback quotes the hidden test's source around the failing line; the
    message alone tells the student what was expected and what came back.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
