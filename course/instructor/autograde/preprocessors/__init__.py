"""nbgrader preprocessors of `course autograde`, one module each (as nbgrader's own).

Autograding (`converters.SandboxedAutograde`):
- `restore_cells.RestoreCells` (sanitizing, instead of OverwriteCells): graded cells back in the
  release notebook's order, deleted locked cells restored, every change recorded
- `save_results.SaveResults` (instead of SaveAutoGrades + AssignLatePenalties, which
  `one_transaction` runs in its transaction): grades and the journal row saved together

Feedback (`converters.CourseFeedback`):
- `locked_get_grades.LockedGetGrades`: GetGrades under the gradebook lock, plus the hidden tests' lines
- `scrub_hidden_test_echo.ScrubHiddenTestEcho`: hidden tests' lines removed from outputs
- `grading_notes.GradingNotes`: the autograder's notes on top

`resources`: what they read besides the notebook. The ones that record what grading found take
the submission's `record.JobState` when they are built (their `job_state` trait).
"""
from .grading_notes import GradingNotes
from .locked_get_grades import LockedGetGrades
from .restore_cells import RestoreCells
from .save_results import SaveResults
from .scrub_hidden_test_echo import ScrubHiddenTestEcho

__all__ = ["GradingNotes", "LockedGetGrades", "RestoreCells", "SaveResults", "ScrubHiddenTestEcho"]
