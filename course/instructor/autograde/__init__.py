"""Safe, parallel, resumable autograding of a whole class, on top of nbgrader (`course autograde`).

- `course.instructor.autograde.sandbox`   one bubblewrap sandbox per submission's kernel: what it sees, its
                                          command line, the probe that bubblewrap works here
- `course.instructor.autograde.kernel_manager`  the grader's side of one sandboxed kernel: started over IPC
                                          sockets, its log and what it wrote, killed with its sandbox
- `course.instructor.autograde.processes` a sandbox's processes and kernel uids: found, killed, cleared
- `course.instructor.autograde.audit_pipe`  the read end of a kernel's audit pipe, drained into events
- `course.instructor.autograde.lifeline`  a sandbox ends with the process that started it, even mid-start
- `course.instructor.autograde.kernel`    the kernel's entry point inside the sandbox: limits, uid, audit
- `course.instructor.autograde.guard`     inside the kernel: audit log, undo monkeypatches of numpy/helpers
- `course.instructor.autograde.intake`    before nbgrader: staging, raw-file limits, nbgrader metadata from the gradebook
- `course.instructor.autograde.execute`   nbgrader's Execute with limits, kernel-death recovery, output caps
  - `.recovery`  a fresh kernel after a death, the cells before replayed
  - `.written`   the bytes a notebook's kernels write, the folder pruned past the limit
  - `.watchdog`  while a cell runs: its processes, memory and files written; past a limit, its kernel killed
- `course.instructor.autograde.meter`     what grading keeps and writes, bounded: text and error cuts, bytes written
- `course.instructor.autograde.config`    the `CourseAutograde` settings (limits) from nbgrader_config.py
- `course.instructor.autograde.journal`   the gradebook lock and the run journal (one row per submission)
- `course.instructor.autograde.history`   an assignment's earlier releases, kept in the gradebook, for grading them
- `course.instructor.autograde.converters`  nbgrader's Autograde and feedback converters, driven per job
- `course.instructor.autograde.preprocessors`  nbgrader preprocessors, one a module: graded cells in release
                                          order, deleted ones restored, tampering recorded, grades saved
                                          atomically, feedback scrubbed and annotated
- `course.instructor.autograde.twoproc`   the hidden tests in a grader kernel of their own (see its __init__)
- `course.instructor.autograde.run`       `course autograde`: the submissions, the run lock, the pool of workers,
                                          the progress line and the summary
- `course.instructor.autograde.worker`    a worker process: its set-up, one submission graded -> Outcome
- `course.instructor.autograde.gradebook` assignments registered, ungradable submissions recorded, feedback
- `course.instructor.autograde.faults`    whose fault an exception is (ungradable or FAILED), failures run after run
- `course.instructor.autograde.record`    what one job is given and records (Job, JobState -> journal row, Outcome)
- `course.instructor.autograde.course_root`  the course folder: configuration, folders, shared dir, job logs
- `course.instructor.autograde.scoring`   a test cell's score: partial credit from its checklist, strict numbers
- `course.instructor.autograde.job`       one submission graded in a local course folder, as data in and out
- `course.instructor.autograde.cluster`   `course autograde --scheduler`: the pool that grades on a Dask cluster
- `course.instructor.autograde.dask_worker`  the Dask workers' plugin and grading task
- `course.instructor.autograde.bundle`    what a grading machine needs from the course folder, packed once
- `course.instructor.autograde.saving`    a result graded elsewhere saved in one transaction
- `course.instructor.autograde.certs`     the cluster's mutual-TLS certificates
- `course.instructor.autograde.tamper`    static checks of students' code
- `course.instructor.autograde.report`    feedback, CSV export, per-exercise report, histogram

This package is imported inside sandboxed kernels too: keep this file free of imports.
"""
