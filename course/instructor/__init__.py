"""The instructor's tools: never part of the student kit.

- `course.instructor.cli`       the `course` command (build, demo, validate, autograde, lab, student-kit)
- `course.instructor.build`     source/ -> release/, solutions/, example submissions
- `course.instructor.demo`      build, then autograde the example submissions
- `course.instructor.lab`       `course lab --student` / `--instructor`
- `course.instructor.autograde` `course autograde`: sandboxed, parallel, resumable grading
- `course.instructor.nbgrader_ext`  nbgrader preprocessors named in nbgrader_config.py
- `course.instructor.assignments`   the five assignments, in teaching order

Imports go one way: these modules import the student package (`course.grading`, ...), never
the reverse. Where grading changes how a student helper behaves, it installs a hook from here
(the sandbox's module guard wraps `course.grading.call` inside the grading kernel).
"""
