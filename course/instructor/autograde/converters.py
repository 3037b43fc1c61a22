"""nbgrader's Autograde and GenerateFeedback converters, as `course autograde` runs them.

`SandboxedAutograde` is nbgrader's Autograde with the gradebook touched only under the course's
lock (creating the submission, the sanitizing pass that reads the source cells) and these
preprocessors: `RestoreCells` instead of OverwriteCells; `SandboxedExecute` instead of Execute;
`SaveResults` instead of SaveAutoGrades + AssignLatePenalties. Notebooks execute unlocked. It
is given the submission's `record.JobState`, and builds the preprocessors that record into it
(a `job_state` trait: RestoreCells, SaveResults) with it.

`CourseFeedback` is GenerateFeedback with the preprocessors of `nbgrader_config.py`, GetGrades
read under the lock, and two more: hidden-test lines scrubbed from outputs, the autograder's
notes on top.
"""
from __future__ import annotations

import os
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader import utils
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.converters.base import BaseConverter
from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades, IgnorePattern,
                                    LimitOutput, OverwriteKernelspec)
from traitlets import Any, Instance, List, Unicode
from traitlets.utils.importstring import import_item

from . import journal
from .execute import SandboxedExecute
from .preprocessors.grading_notes import GradingNotes
from .preprocessors.locked_get_grades import LockedGetGrades
from .preprocessors.restore_cells import RestoreCells
from .preprocessors.save_results import SaveResults
from .preprocessors.scrub_hidden_test_echo import ScrubHiddenTestEcho
from .record import JobState


class SandboxedAutograde(Autograde):
    sanitize_preprocessors = List([
        ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreCells, CheckCellMetadata,
    ]).tag(config=True)
    autograde_preprocessors = List([
        SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveResults, CheckCellMetadata,
    ]).tag(config=True)

    # the submission's record, given to the preprocessors that write into it as they are built
    job_state = Instance(JobState, args=())
    course_root = Unicode()
    job_error = Any(None, allow_none=True)

    def _init_preprocessors(self) -> None:
        """Autograde._init_preprocessors, building the preprocessors that take the job's record
        with it."""
        self.exporter._preprocessors = []
        for pp in self.sanitize_preprocessors if self._sanitizing else self.autograde_preprocessors:
            if isinstance(pp, str):  # as nbconvert would, to see what it takes
                pp = import_item(pp)
            if isinstance(pp, type) and "job_state" in pp.class_trait_names():
                pp = pp(parent=self.exporter, job_state=self.job_state)
            self.exporter.register_preprocessor(pp)

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        journal.locked(Path(self.course_root), super().init_assignment, assignment_id, student_id)

    def init_single_notebook_resources(self, notebook_filename: str):
        resources = super().init_single_notebook_resources(notebook_filename)
        names = [os.path.basename(n) for n in self.notebooks]
        resources["course_autograde"] = {
            "root": self.course_root,
            "last": not names or os.path.basename(notebook_filename) == names[-1],
        }
        return resources

    def convert_single_notebook(self, notebook_filename: str) -> None:
        """Autograde.convert_single_notebook, with the sanitizing pass under the gradebook lock."""
        try:
            self.log.info("Sanitizing %s", notebook_filename)
            self._sanitizing = True
            self._init_preprocessors()
            journal.locked(Path(self.course_root), BaseConverter.convert_single_notebook, self, notebook_filename)
            autograded = os.path.join(self.writer.build_directory, os.path.basename(notebook_filename))
            self.log.info("Autograding %s", autograded)
            self._sanitizing = False
            self._init_preprocessors()
            try:
                with utils.setenv(NBGRADER_EXECUTION="autograde"):
                    BaseConverter.convert_single_notebook(self, autograded)
            finally:
                self._sanitizing = True
        except Exception as error:
            self.job_error = error
            raise


def feedback_preprocessors(configured) -> list:
    """The configured GenerateFeedback preprocessors, GetGrades locked, plus the course's two."""
    out = []
    for item in configured or [GetGrades, "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]:
        name = item if isinstance(item, str) else f"{item.__module__}.{item.__name__}"
        if name.endswith("GetGrades"):
            out.append(LockedGetGrades)
        elif name.endswith("CSSHTMLHeaderPreprocessor"):
            out += [ScrubHiddenTestEcho, GradingNotes, item]
        else:
            out.append(item)
    for extra in (ScrubHiddenTestEcho, GradingNotes):
        if extra not in out:
            out.append(extra)
    return out


_EXPORTERS: dict = {}


class CourseFeedback(GenerateFeedback):
    course_root = Unicode()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preprocessors = feedback_preprocessors(self.config.GenerateFeedback.get("preprocessors"))

    def start(self) -> None:
        """BaseConverter.start, reusing one HTML exporter per worker: building one compiles
        nbconvert's templates, which costs more than rendering a notebook."""
        from nbconvert.writers import FilesWriter

        self.init_notebooks()
        self.writer = FilesWriter(parent=self, config=self.config)
        key = self.course_root
        if key not in _EXPORTERS:
            exporter = self.exporter_class(parent=self, config=self.config)
            for pp in self.preprocessors:
                exporter.register_preprocessor(pp)
            _EXPORTERS[key] = exporter
        self.exporter = _EXPORTERS[key]
        current = os.getcwd()
        os.chdir(self.coursedir.root)
        try:
            self.convert_notebooks()
        finally:
            os.chdir(current)

    def init_single_notebook_resources(self, notebook_filename: str):
        resources = super().init_single_notebook_resources(notebook_filename)
        resources["course_autograde"] = {"root": self.course_root}
        return resources

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        """The files the student submitted, next to the feedback HTML.

        Stock GenerateFeedback copies every file of the autograded folder: whatever the kernel
        wrote while graded (gigabytes, or what it read at grading time) would go back to the
        student. Here only the submitted files go, from submitted/ itself."""
        import shutil

        from nbgrader.utils import find_all_files

        source = self.coursedir.format_path(self.coursedir.submitted_directory, student_id, assignment_id)
        dest = self._format_dest(assignment_id, student_id)
        if not os.path.isdir(source):
            return
        # nothing may take the place of a feedback page
        pages = {os.path.splitext(os.path.basename(n))[0] + self.exporter.file_extension for n in self.notebooks}
        for filename in find_all_files(source, self.coursedir.ignore + ["*.ipynb"]):
            if os.path.islink(filename) or not os.path.isfile(filename):
                continue
            relative = os.path.relpath(filename, source)
            if relative.split(os.sep)[0] in pages or relative.split(os.sep)[0].endswith(".ipynb"):
                continue
            path = os.path.join(dest, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.lexists(path):
                os.remove(path)
            shutil.copy(filename, path)
