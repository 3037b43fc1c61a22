"""Safe, parallel, resumable autograding of a whole class, on top of nbgrader (`course autograde`).

- `course.instructor.autograde.sandbox`   one bubblewrap sandbox per submission's kernel, over IPC sockets
- `course.instructor.autograde.kernel`    the kernel's entry point inside the sandbox: limits, uid, audit
- `course.instructor.autograde.guard`     inside the kernel: audit log, undo monkeypatches of numpy/helpers
- `course.instructor.autograde.intake`    before nbgrader: raw-file limits, nbgrader metadata from the gradebook
- `course.instructor.autograde.execute`   nbgrader's Execute with limits, kernel-death recovery, output caps
  - `.recovery`  a fresh kernel after a death, the cells before replayed
  - `.written`   the bytes a notebook's kernels write, the folder pruned past the limit
- `course.instructor.autograde.meter`     what grading keeps and writes, bounded: text and error cuts, bytes written
- `course.instructor.autograde.config`    the `CourseAutograde` settings (limits) from nbgrader_config.py
- `course.instructor.autograde.journal`   the gradebook lock and the run journal (one row per submission)
- `course.instructor.autograde.converters`  nbgrader's Autograde and feedback converters, driven per job
- `course.instructor.autograde.preprocessors`  graded cells in release order, deleted ones restored, tampering
                                          recorded, grades saved atomically
- `course.instructor.autograde.twoproc`   the hidden tests in a grader kernel of their own (see its __init__)
- `course.instructor.autograde.runner`    the run: workers, one job per submission, the gradebook
- `course.instructor.autograde.tamper`    static checks of students' code
- `course.instructor.autograde.report`    feedback, CSV export, per-exercise report, histogram

This package is imported inside sandboxed kernels too: keep this file free of imports.
"""
