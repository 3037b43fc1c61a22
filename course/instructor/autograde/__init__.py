"""Safe, parallel, resumable autograding of a whole class, on top of nbgrader (`course autograde`).

- `course.instructor.autograde.sandbox`   one bubblewrap sandbox per submission's kernel, over IPC sockets
- `course.instructor.autograde.kernel`    the kernel's entry point inside the sandbox: limits, uid, audit
- `course.instructor.autograde.guard`     inside the kernel: audit log, undo monkeypatches of numpy/helpers
- `course.instructor.autograde.intake`    before nbgrader: raw-file limits, nbgrader metadata from the gradebook
- `course.instructor.autograde.execute`   nbgrader's Execute with limits, kernel-death recovery, output caps
- `course.instructor.autograde.preprocessors`  restore deleted test cells, record tampering, save atomically
- `course.instructor.autograde.runner`    workers, the gradebook lock, the resumable journal
- `course.instructor.autograde.tamper`    static checks of students' code
- `course.instructor.autograde.report`    feedback, CSV export, per-exercise report, histogram

This package is imported inside sandboxed kernels too: keep this file free of imports.
"""
