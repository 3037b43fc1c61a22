"""What grading one submission is given and records: the `Job`, its `JobState` and the journal
row that becomes, the `Outcome` the run reports.

One `JobState` per submission: the worker makes it from what staging found, hands it to the
converter, which gives it to the preprocessors that write into it as they are built
(`RestoreCells` its findings, `SaveResults` each notebook's results), and the journal row is
`JobState.row()`, whether the submission was graded or found ungradable. The row's format is
the journal's (`journal.record`): readers of older rows (the report, the cluster's coordinator)
read these too, and `JobState.from_row` reads any row back.
"""
from __future__ import annotations

from dataclasses import dataclass, field

@dataclass
class Job:
    assignment: str
    student: str
    notebooks: list[str]          # the assignment's notebook names in the gradebook
    fingerprint: str
    feedback_only: bool = False


@dataclass
class Outcome:
    assignment: str
    student: str
    status: str                   # graded | ungradable | failed | feedback
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    message: str = ""
    notes: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)   # seconds: setup, nbgrader autograde, kernel, feedback


# the row's keys, in the order they have always been written
ROW_KEYS = ("notebooks", "staging", "tamper", "intake", "ungradable", "traceback", "log")


@dataclass
class JobState:
    fingerprint: str = ""
    # what staging did to the submitted files (renamed, left out, not a notebook), as the student reads it
    staging_notes: list[str] = field(default_factory=list)
    # what intake changed in the notebooks' nbgrader metadata (intake.normalise's findings)
    intake: list[dict] = field(default_factory=list)
    # static findings on the students' code (tamper.scan_notebook, tamper.shadowing_files)
    tamper: list[dict] = field(default_factory=list)
    # per notebook: what RestoreCells found changed, moved or deleted (the tamper report's cells)
    sanitize: dict[str, list[dict]] = field(default_factory=dict)
    # per notebook, once saved: cells (score, max, message, note, checks), notes, events, restarts,
    # seconds, sanitize
    notebooks: dict[str, dict] = field(default_factory=dict)
    ungradable: str | None = None     # why the submission got zero points without being graded
    traceback: str | None = None      # nbgrader's, when it refused the submission
    log: str | None = None            # where the job's log is kept
    # keys of a row that this code does not write itself (`run` from a cluster's coordinator,
    # `cut` from journal.bounded_json): kept as they are when a row is read back
    other: dict = field(default_factory=dict)

    def row(self) -> dict:
        """The journal row's result."""
        return {
            "notebooks": self.notebooks,
            "staging": self.staging_notes,
            "tamper": self.tamper,
            "intake": self.intake,
            "ungradable": self.ungradable,
            "traceback": self.traceback,
            "log": self.log,
            **self.other,
        }

    @classmethod
    def from_row(cls, result: dict, fingerprint: str = "") -> "JobState":
        """A journal row's result as a JobState (`row()` gives the same result back)."""
        notebooks = result.get("notebooks") or {}
        return cls(fingerprint=fingerprint, staging_notes=list(result.get("staging") or []),
                   intake=list(result.get("intake") or []), tamper=list(result.get("tamper") or []),
                   sanitize={name: nb.get("sanitize", []) for name, nb in notebooks.items()},
                   notebooks=notebooks, ungradable=result.get("ungradable"),
                   traceback=result.get("traceback"), log=result.get("log"),
                   other={k: v for k, v in result.items() if k not in ROW_KEYS})

    def points(self) -> tuple[float, float]:
        """(score, max score) over every graded cell of every saved notebook."""
        cells = [cell for nb in self.notebooks.values() for cell in nb["cells"].values()]
        return sum(c["score"] or 0 for c in cells), sum(c["max"] or 0 for c in cells)

    def notes(self) -> list[str]:
        """The autograder's notes on the saved notebooks' cells, one line each."""
        return [f"{n['cell']}: {n['reason']}" for nb in self.notebooks.values() for n in nb["notes"]]

    def kernel_seconds(self) -> float:
        return sum(nb.get("seconds") or 0 for nb in self.notebooks.values())
