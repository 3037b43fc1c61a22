"""Where the tests keep the student kit's virtual environment: one per test session.

Under pytest-xdist every worker is its own session with its own temporary folder; the workers
share their parent folder, so the kit's environment is made once (course.instructor.kit.venv
locks while one worker makes it) and the others reuse it. COURSE_KIT_VENVS names a folder of
kept environments instead, for quick reruns while working on the kit.
"""
from __future__ import annotations

import os
from pathlib import Path


def kit_venvs_dir(tmp_path_factory) -> Path:
    kept = os.environ.get("COURSE_KIT_VENVS")
    if kept:
        return Path(kept)
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by this session's workers
    return base / "kit-venvs"
