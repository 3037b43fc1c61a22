"""`nbgrader autograde` and `nbgrader generate_feedback`, typed in a terminal, run the course's commands.

Stock `nbgrader autograde` runs the students' code unsandboxed, as the instructor, with the hidden
tests in the student's own kernel; stock `generate_feedback` hands back every file a graded
kernel wrote. The course's `nbgrader_config.py` calls `take_over` while nbgrader loads it: the
command line becomes `course autograde` / `course feedback` with the same assignment and student
(the formgrader's buttons are routed the same way, by course/instructor/formgrader.py). A command
line this cannot translate faithfully (a student pattern, `--no-execute`, another course folder)
is refused with the course command to type instead, never run stock.
`COURSE_STOCK_NBGRADER=1` leaves stock nbgrader alone (the tests and the benchmark that compare
against it).
"""
from __future__ import annotations

import os
import shlex
import sys

ROUTED = {"autograde": "autograde", "generate_feedback": "feedback"}
# nbgrader options that change nothing the course's command would do differently
_IGNORED_FLAGS = {"--create", "--debug", "--quiet"}
_IGNORED_VALUES = {"--log-level", "--Application.log_level"}


def is_nbgrader(argv: list[str]) -> bool:
    program = argv[0] if argv else ""
    return (os.path.basename(program) in ("nbgrader", "jupyter-nbgrader")
            or program.endswith(os.path.join("nbgrader", "__main__.py")))


def course_command(subcommand: str, arguments: list[str]) -> tuple[list[str] | None, str]:
    """(the `course` arguments for `nbgrader SUBCOMMAND ARGUMENTS...`, or None; why not)."""
    assignments: list[str] = []
    students: list[str] = []
    db: list[str] = []
    force = False
    rest = list(arguments)
    while rest:
        word = rest.pop(0)
        name, has_value, value = word.partition("=")
        needs_value = name in ("--student", "--assignment", "--db", "--CourseDirectory.student_id",
                               "--CourseDirectory.assignment_id", "--CourseDirectory.db_url", *_IGNORED_VALUES)
        if needs_value and not has_value:
            if not rest:
                return None, f"{name} needs a value"
            value = rest.pop(0)
        if not word.startswith("-"):
            assignments.append(word)
        elif name in ("--assignment", "--CourseDirectory.assignment_id"):
            assignments.append(value)
        elif name in ("--student", "--CourseDirectory.student_id"):
            if any(c in value for c in "*?[]"):
                return None, f"--student {value} is a pattern; the course grades named students (--student NAME)"
            students.append(value)
        elif name in ("--db", "--CourseDirectory.db_url") and subcommand == "autograde":
            db = ["--db", value]
        elif name in ("--force", "-f"):
            force = True
        elif name in _IGNORED_FLAGS or name in _IGNORED_VALUES:
            continue
        else:
            return None, f"{word} has no counterpart in `course {ROUTED[subcommand]}`"
    if len(assignments) != 1:
        return None, "name one assignment"
    command = [ROUTED[subcommand], assignments[0], *(a for s in students for a in ("--student", s))]
    if subcommand == "autograde":
        command += db + (["--regrade"] if force else [])
    return command, ""


def take_over(argv: list[str], course_folder: str) -> None:
    """Called by nbgrader_config.py: run the course's command in place of stock nbgrader's."""
    if (not is_nbgrader(argv) or len(argv) < 2 or argv[1] not in ROUTED
            or os.environ.get("COURSE_STOCK_NBGRADER") == "1"):
        return
    command, reason = course_command(argv[1], argv[2:])
    course = f"course {ROUTED[argv[1]]}"
    if command is None:
        sys.exit(f"This course grades with `{course}` (sandboxed, the hidden tests in a process of their own), "
                 f"not stock `nbgrader {argv[1]}`, and cannot translate this command line ({reason}): run "
                 f"`{course} ...` in the course folder (docs/grading.md; `{course} --help`). "
                 "COURSE_STOCK_NBGRADER=1 runs stock nbgrader anyway.")
    print(f"nbgrader {argv[1]} in this course runs `course {shlex.join(command)}` (sandboxed, the hidden "
          "tests in a process of their own; docs/grading.md)", file=sys.stderr, flush=True)
    os.chdir(course_folder)
    os.execv(sys.executable, [sys.executable, "-m", "course.instructor", *command])
