"""nbgrader's SaveAutoGrades and AssignLatePenalties, run in the caller's transaction
(`SaveResults` commits them together with the journal row)."""
from __future__ import annotations

from nbgrader.preprocessors import AssignLatePenalties, NbGraderPreprocessor, SaveAutoGrades

from .. import scoring


class Deferred:
    """A Gradebook whose session's commit() only flushes: one transaction for everything."""

    class _Session:
        def __init__(self, session):
            self._session = session

        def commit(self):
            self._session.flush()

        def __getattr__(self, name):
            return getattr(self._session, name)

    def __init__(self, gradebook):
        self._gradebook = gradebook
        self.db = self._Session(gradebook.db)

    def __getattr__(self, name):
        return getattr(self._gradebook, name)


class SaveAutoGradesInTransaction(SaveAutoGrades):
    def _add_score(self, cell, resources):
        """SaveAutoGrades._add_score with the course's reading of a cell's result (scoring.cell_grade)."""
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        grade.auto_score = scoring.cell_grade(cell).score
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        self.gradebook.db.commit()

    def save_with(self, gradebook, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = gradebook
        return NbGraderPreprocessor.preprocess(self, nb, resources)


class AssignLatePenaltiesInTransaction(AssignLatePenalties):
    def save_with(self, gradebook, nb, resources):
        """AssignLatePenalties.preprocess, in the caller's transaction."""
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.init_plugin()
        submission = gradebook.find_submission(self.assignment_id, self.student_id)
        notebook = gradebook.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
        notebook.late_submission_penalty = None
        if submission.total_seconds_late > 0:
            penalty = self.plugin_inst.late_submission_penalty(
                self.student_id, notebook.score, submission.total_seconds_late)
            if penalty is not None:
                notebook.late_submission_penalty = self._check_late_penalty(notebook, penalty)
        gradebook.db.commit()
        return nb, resources
