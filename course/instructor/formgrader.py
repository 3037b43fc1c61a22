"""The formgrader's Autograde button grades with `course autograde`, its Generate Feedback
button writes feedback with `course feedback`.

Stock nbgrader grades a submission inside the instructor's Jupyter server: no sandbox, the hidden
tests in the student's own kernel. This Jupyter server extension (enabled for the instructor by
jupyter/instructor/jupyter_server_config.json, after nbgrader's formgrader) replaces what the
button calls, `NbGraderAPI.autograde`, with a run of `course autograde ASSIGNMENT --student
STUDENT` in the course folder: the course's sandboxes, two processes per notebook, its limits,
feedback and report. The button shows that run's output as its log. Generate Feedback (after
grading written answers by hand) likewise runs `course feedback ASSIGNMENT`: the course's
feedback preprocessors, never stock nbgrader's copy of every file the graded kernel wrote.
"""
from __future__ import annotations

import os
import subprocess
import sys

# a whole notebook's limit is 900 s (nbgrader_config.py); the button waits a little longer
TIMEOUT = 1200


def course_autograde(api, assignment_id: str, student_id: str, force: bool = True, create: bool = True) -> dict:
    """What NbGraderAPI.autograde returns (success, log, error), from `course autograde`."""
    command = ["autograde", assignment_id, "--student", student_id]
    if force:  # the button regrades, as stock nbgrader's does; the journal would skip it otherwise
        command.append("--regrade")
    return _course(api, command)


def course_feedback(api, assignment_id: str, student_id: str | None = None, force: bool = True) -> dict:
    """What NbGraderAPI.generate_feedback returns, from `course feedback`."""
    return _course(api, ["feedback", assignment_id, *(["--student", student_id] if student_id else [])])


def _course(api, arguments: list[str]) -> dict:
    command = [sys.executable, "-m", "course.instructor", *arguments]
    # the hub's token for the instructor's server (an admin's) has no business near students'
    # code, even though the sandbox clears its environment
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
    try:
        done = subprocess.run(command, cwd=api.coursedir.root, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as expired:
        return {"success": False, "log": str(expired.stdout or ""),
                "error": f"course {arguments[0]} did not finish within {TIMEOUT} s"}
    log = done.stdout + done.stderr
    result = {"success": done.returncode == 0, "log": log}
    if done.returncode:
        result["error"] = f"course {arguments[0]} exited with code {done.returncode}:\n{log[-4000:]}"
    return result


def _jupyter_server_extension_points():
    return [{"module": "course.instructor.formgrader"}]


def _load_jupyter_server_extension(serverapp) -> None:
    from nbgrader.apps.api import NbGraderAPI

    NbGraderAPI.autograde = course_autograde
    NbGraderAPI.generate_feedback = course_feedback
    serverapp.log.info("course: the formgrader's Autograde button runs `course autograde` (sandboxed), "
                       "Generate Feedback `course feedback`")
