"""Two-process grading: the hidden tests run in a grader kernel, the student's code in its own.

- `channel`       the wire: length-prefixed frames of JSON + raw array bytes over a Unix socket;
                  values cross as data only (numeric/bool arrays, scalars, str, None, containers
                  of these), everything else as a handle; a re-entrant request loop.
- `student_side`  runs in the student's kernel, between two of its cells: serves the grader's
                  requests (read a name, call a function, read an attribute...) on its objects.
- `grader_side`   runs in the grader's kernel: handles standing for the student's objects, the
                  hook that makes `use_trusted`/`replaced` reach the student's kernel; what a test
                  cell may hand over (`servable`) and what it refused (anomalies, for the tamper report).
- `execute`       the Execute preprocessor that runs test cells on the grader kernel.

Imported inside sandboxed kernels too: keep this file free of imports.
"""
