"""Two-process grading: the hidden tests run in a grader kernel, the student's code in its own.

- `channel`       the conversation between the two kernels (`Peer`): requests, answers, errors,
                  exports; a re-entrant request loop. Built on:
  - `frames`      the wire: length-prefixed frames of a JSON header + raw array bytes over a Unix
                  socket, their limits; the header's keys (`Key`, with the table of messages).
  - `codec`       values cross as data only (numeric/bool arrays, scalars, str, None, containers
                  of these), everything else as a handle (`Tag`, with the table of encodings).
  - `library`     the library modules, functions and classes that cross by name, and which of them
                  the grader takes as its own.
- `student_side`  runs in the student's kernel, between two of its cells: serves the grader's
                  requests (read a name, call a function, read an attribute...) on its objects.
- `grader_side`   runs in the grader's kernel: binds the names a test cell reads, the hook that
                  makes `use_trusted`/`replaced` reach the student's kernel; what a test cell may
                  hand over (`servable`) and what it refused (anomalies, for the tamper report).
  - `handles`     the grader's stand-ins for the student's objects (`Handle`): each use a request
                  to the student's kernel.
- `execute`       the Execute preprocessor that routes test cells to the grader kernel.
- `grader_kernel` one notebook's grader kernel: its folders, start, restarts, stop, audit events.
- `zygote`        in the grader's sandbox: imports once, forks a fresh grader kernel per notebook.
- `zygote_launcher`  stands in for a forked kernel's process on the host (jupyter_client watches it).
- `zygote_host`   the host's side: starts the worker's zygote, a kernel manager per fork.

Imported inside sandboxed kernels too: keep this file free of imports.
"""
