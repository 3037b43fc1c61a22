"""After grading: nbgrader's CSV export, a report per assignment, a histogram of total scores.

    reports/grades.csv                  nbgrader export (CsvExportPlugin), every assignment
    reports/<assignment>/report.md      per exercise: mean, share of students at zero, most common
                                        failure; submissions with notes; the tamper report
    reports/<assignment>/report.json    the same, for scripts
    reports/<assignment>/tamper.csv     one row per finding
    reports/<assignment>/totals.png     histogram of total scores

Scores come from the gradebook (so a manual grade given in formgrader counts), failure
messages, notes and tamper findings from the run journal.
"""
from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from . import journal, tamper
from .config import course_id_of, db_url_of


def _mask(message: str) -> str:
    """Group messages that differ only in the numbers a student's code returned."""
    return re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "#", message)


def release_order(root: Path, assignment: str, notebook: str) -> dict[str, int]:
    import nbformat

    try:
        nb = nbformat.read(root / "release" / assignment / f"{notebook}.ipynb", as_version=4)
    except (OSError, ValueError):
        return {}
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    return {grade_id: i for i, grade_id in enumerate(ids) if grade_id}


def assignment_report(root: Path, db_url: str, course_id: str, assignment: str, rows: dict) -> dict:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, course_id) as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            return {}
        exercises = []  # (notebook, grade_id, max) in notebook order
        for notebook in record.notebooks:
            order = release_order(root, assignment, notebook.name)
            cells = sorted(notebook.grade_cells, key=lambda c: (order.get(c.name, len(order)), c.id))
            for cell in cells:
                exercises.append((notebook.name, cell.name, cell.max_score, cell.cell_type))
        students = []
        for submission in record.submissions:
            scores = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    pending = grade.needs_manual_grade and grade.manual_score is None
                    scores[(notebook.name, grade.name)] = None if pending else grade.score
            students.append({"student": submission.student.id, "score": submission.score,
                             "max": submission.max_score, "scores": scores,
                             "needs_manual": submission.needs_manual_grade})
        maximum = record.max_score
    journal_rows = {s: r for (a, s), r in rows.items() if a == assignment}
    per_exercise = []
    for notebook, grade_id, max_score, cell_type in exercises:
        values = [s["scores"].get((notebook, grade_id)) for s in students]
        graded = [v for v in values if v is not None]
        messages = Counter()
        examples = {}
        for row in journal_rows.values():
            cell = row["result"].get("notebooks", {}).get(notebook, {}).get("cells", {}).get(grade_id, {})
            if cell.get("message"):
                key = _mask(cell["message"])
                messages[key] += 1
                examples.setdefault(key, cell["message"])
        common = messages.most_common(1)
        checks = check_counts([row["result"].get("notebooks", {}).get(notebook, {}).get("cells", {}).get(grade_id, {})
                               for row in journal_rows.values()])
        per_exercise.append({
            "checks": checks,
            "notebook": notebook, "exercise": grade_id, "points": max_score,
            "kind": "autograded" if cell_type == "code" else "manual",
            "graded": len(graded), "mean": (sum(graded) / len(graded)) if graded else None,
            "share_zero": (sum(v == 0 for v in graded) / len(graded)) if graded else None,
            "waiting_manual": len(values) - len(graded),
            "common_failure": examples[common[0][0]] if common else None,
            "common_failure_count": common[0][1] if common else 0,
        })
    notes, findings, ungradable = [], [], {}
    for student, row in sorted(journal_rows.items()):
        result = row["result"]
        for text in result.get("staging", []):
            notes.append({"student": student, "cell": "", "limit": "submission", "reason": text})
        found = list(result.get("tamper", [])) + tamper.from_intake(result.get("intake", []))
        for nb_result in result.get("notebooks", {}).values():
            notes += [dict(n, student=student) for n in nb_result.get("notes", [])]
            found += tamper.from_notes(nb_result.get("notes", []))
            found += tamper.from_events(nb_result.get("events", []))
            found += tamper.from_sanitize(nb_result.get("sanitize", []))
        findings += [dict(f, student=student, seen=tamper.seen_by(f)) for f in found]
        if row["status"] == "ungradable":
            ungradable[student] = {"reason": result.get("ungradable") or "; ".join(result.get("staging", [])),
                                   "log": result.get("log"),
                                   "traceback": (result.get("traceback") or "")[-3000:] or None}
    return {
        "assignment": assignment, "max_score": maximum, "submissions": len(students),
        "ungradable": sorted(ungradable), "ungradable_reasons": ungradable,
        "totals": {s["student"]: s["score"] for s in students},
        "exercises": per_exercise, "notes": notes, "tamper": findings,
    }


class CheckCount(NamedTuple):
    """One check of a test cell across the class: how many students it ran for, how many failed
    it, and its most common failure message (grouped with numbers masked)."""

    name: str
    share: str
    hidden: bool
    ran: int
    failed: int
    common_message: str | None
    common_count: int


def check_counts(cells: list[dict]) -> list[dict]:
    """Per check of one test cell, from the journal's per-check records (the checklist data the
    grader's kernel emitted, `scoring.read_checklist`), in the cell's order: CheckCount as dicts."""
    order: dict[str, dict] = {}
    for cell in cells:
        for check in cell.get("checks", []) if isinstance(cell.get("checks"), list) else []:
            if not isinstance(check, dict) or not isinstance(check.get("name"), str):
                continue
            entry = order.setdefault(check["name"], {"share": str(check.get("share")), "hidden": bool(check.get("hidden")),
                                                     "ran": 0, "failed": 0, "messages": Counter(), "examples": {}})
            entry["ran"] += 1
            if check.get("passed") is not True:
                entry["failed"] += 1
                message = str(check.get("message") or "")
                key = _mask(message)
                entry["messages"][key] += 1
                entry["examples"].setdefault(key, message)
    counts = []
    for name, entry in order.items():
        common = entry["messages"].most_common(1)
        counts.append(CheckCount(name, entry["share"], entry["hidden"], entry["ran"], entry["failed"],
                                 entry["examples"][common[0][0]] if common else None,
                                 common[0][1] if common else 0)._asdict())
    return counts


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#!|~])")


def md(text) -> str:
    """`text` as plain text in one markdown table cell or line: newlines shown as ⏎, every
    markdown character escaped, so what a submission wrote (a file name, a message) can never
    become a heading, a link, HTML or a new table row of the report."""
    text = str(text if text is not None else "")
    text = re.sub(r"\r\n|\r|\n", " ⏎ ", text)
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _grouped(findings: list[dict]) -> list[dict]:
    """Findings of one student, one row per (seen, kind): how many, in which cells, examples."""
    rows: dict[tuple, dict] = {}
    for f in findings:
        key = (f.get("seen", "grader"), f["kind"])
        row = rows.setdefault(key, {"seen": key[0], "kind": key[1], "count": 0, "cells": [], "examples": []})
        row["count"] += 1
        cell = f.get("cell")
        if cell and cell not in row["cells"]:
            row["cells"].append(cell)
        detail = str(f.get("detail", ""))
        if detail and detail not in row["examples"] and len(row["examples"]) < 3:
            row["examples"].append(detail)
    return sorted(rows.values(), key=lambda r: (r["seen"] != "grader", -r["count"], r["kind"]))


def tamper_markdown(findings: list[dict]) -> list[str]:
    lines = ["## Tamper report", ""]
    if not findings:
        return lines + ["Nothing found."]
    by_student: dict[str, list[dict]] = {}
    for f in findings:
        by_student.setdefault(f["student"], []).append(f)

    def outside(student):
        return [f for f in by_student[student] if f.get("seen", "grader") == "grader"]

    order = sorted(by_student, key=lambda s: (not outside(s), -len({f["kind"] for f in outside(s)}), s))
    lines += [
        "Hidden tests always ran from the gradebook's copy; monkeypatches were undone before each cell. "
        "**Seen by the grader**: from outside the sandbox (the submitted code and files, nbgrader metadata "
        "and test cells changed, limits hit, processes left running, files written); the submission cannot "
        "hide or forge these. **Reported by the kernel**: what the sandboxed kernel reported about itself "
        "(audit hook, module guard); a submission can stop reporting or report things that did not happen, "
        "so read these as hints. Quoted text is escaped.", "",
        f"{sum(bool(outside(s)) for s in order)} student(s) with findings seen by the grader, "
        f"{sum(not outside(s) for s in order)} with findings reported by their kernel only.", "",
        "| student | seen by the grader | reported by the kernel |", "|---|---|---|"]
    for student in order:
        rows = _grouped(by_student[student])
        cells = {seen: ", ".join(f"{md(r['kind'])} ({r['count']})" for r in rows if r["seen"] == seen)
                 for seen in ("grader", "kernel")}
        lines.append(f"| {md(student)} | {cells['grader']} | {cells['kernel']} |")
    for student in order:
        rows = _grouped(by_student[student])
        lines += ["", f"### {md(student)}", "", "| seen by | what | times | cells | examples |", "|---|---|---:|---|---|"]
        for r in rows:
            seen = "grader" if r["seen"] == "grader" else "kernel (self-reported)"
            cells = ", ".join(md(c) for c in r["cells"][:6]) + (" …" if len(r["cells"]) > 6 else "")
            examples = "; ".join(md(e[:160]) for e in r["examples"])
            lines.append(f"| {seen} | {md(r['kind'])} | {r['count']} | {cells} | {examples} |")
    return lines


def markdown(report: dict) -> str:
    totals = [t for t in report["totals"].values() if t is not None]
    mean = sum(totals) / len(totals) if totals else 0
    lines = [f"# {md(report['assignment'])}: autograding report", "",
             f"{report['submissions']} submission(s); mean total {mean:.2f} of {report['max_score']:g} points.",
             ""]
    if report["ungradable"]:
        lines += ["## Could not be graded", "",
                  "Zero points; the reason is in their feedback. Tracebacks, when nbgrader raised one, are in the log.", "",
                  "| student | reason | log |", "|---|---|---|"]
        reasons = report.get("ungradable_reasons", {})
        for student in report["ungradable"]:
            info = reasons.get(student, {})
            lines.append(f"| {md(student)} | {md(str(info.get('reason') or '')[:400])} | {md(info.get('log') or '')} |")
        lines.append("")
    lines += ["| exercise | points | mean | at zero | most common failure |", "|---|---:|---:|---:|---|"]
    for ex in report["exercises"]:
        if ex["kind"] == "manual":
            lines.append(f"| {md(ex['exercise'])} | {ex['points']:g} | | | manual grade ({ex['waiting_manual']} waiting) |")
            continue
        mean_text = "" if ex["mean"] is None else f"{ex['mean']:.2f}"
        zero = "" if ex["share_zero"] is None else f"{100 * ex['share_zero']:.0f}%"
        failure = ""
        if ex["common_failure"]:
            failure = md(ex["common_failure"][:160]) + f" ({ex['common_failure_count']}x)"
        lines.append(f"| {md(ex['exercise'])} | {ex['points']:g} | {mean_text} | {zero} | {failure} |")
    checked = [ex for ex in report["exercises"] if ex.get("checks")]
    if checked:
        lines += ["", "## Checks", "", "Per check of each test cell: the students it ran for, how many failed it, and "
                  "its most common failure message.", "",
                  "| exercise | check | share | failed | most common failure |", "|---|---|---:|---:|---|"]
        for ex in checked:
            for check in ex["checks"]:
                name = md(check["name"]) + (" (hidden)" if check["hidden"] else "")
                common = "" if not check["common_message"] else (
                    md(check["common_message"][:160]) + f" ({check['common_count']}x)")
                lines.append(f"| {md(ex['exercise'])} | {name} | {md(check['share'])} | "
                             f"{check['failed']}/{check['ran']} | {common} |")
    if report["notes"]:
        lines += ["", "## Limits hit and other notes", "", "| student | cell | what happened |", "|---|---|---|"]
        for note in report["notes"]:
            lines.append(f"| {md(note['student'])} | {md(note.get('cell', ''))} | {md(note['reason'])} |")
    lines += [""] + tamper_markdown(report["tamper"])
    return "\n".join(lines) + "\n"


def histogram(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = [t for t in report["totals"].values() if t is not None]
    maximum = report["max_score"] or 1
    manual = sum(e["points"] for e in report["exercises"] if e["kind"] == "manual")
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = [x - 0.5 for x in range(0, int(maximum) + 2)] if maximum <= 40 else 20
    ax.hist(totals, bins=bins, color="#4c72b0", edgecolor="white", label="students")
    if totals:
        mean = sum(totals) / len(totals)
        ax.axvline(mean, color="#c44e52", linestyle="--", label=f"mean {mean:.1f}")
    if manual:
        ax.axvline(maximum - manual, color="grey", linestyle=":",
                   label=f"all autograded points ({maximum - manual:g})")
    ax.legend(loc="upper left")
    ax.set_title(f"{report['assignment']}: total scores of {len(totals)} submission(s)")
    ax.set_xlabel(f"total score of {maximum:g} points"
                  + (f" ({manual:g} graded by hand count once given)" if manual else ""))
    ax.set_ylabel("students")
    ax.set_xlim(-0.5, maximum + 0.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# What a spreadsheet reads as the start of a formula (OWASP's list): a finding's detail is a
# student's text, and `=HYPERLINK("http://..."&A2)` would send other students' rows away when the
# instructor opens tamper.csv
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_row(row: dict) -> dict:
    """A row for tamper.csv: a text that a spreadsheet would take for a formula gets a leading
    apostrophe (shown as text, the rest unchanged)."""
    return {key: "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value
            for key, value in row.items()}


def export_csv(db_url: str, course_id: str, path: Path) -> None:
    """nbgrader's own CSV export (what `nbgrader export` writes)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    path.parent.mkdir(parents=True, exist_ok=True)
    with Gradebook(db_url, course_id) as gb:
        CsvExportPlugin(to=str(path)).export(gb)


def write_all(root: Path, cfg, assignments: list[str], log=print) -> list[Path]:
    db_url = db_url_of(cfg, root)
    course_id = course_id_of(cfg)
    reports = root / "reports"
    written = []
    rows = journal.locked(root, journal.read, db_url)
    journal.locked(root, export_csv, db_url, course_id, reports / "grades.csv")
    written.append(reports / "grades.csv")
    for assignment in assignments:
        report = journal.locked(root, assignment_report, root, db_url, course_id, assignment, rows)
        if not report:
            continue
        folder = reports / assignment
        folder.mkdir(parents=True, exist_ok=True)
        # a student's text may hold what UTF-8 cannot (a lone surrogate): escaped, never a crash
        (folder / "report.md").write_text(markdown(report), errors="backslashreplace")
        (folder / "report.json").write_text(json.dumps(report, indent=1, default=str))
        with open(folder / "tamper.csv", "w", newline="", errors="backslashreplace") as fh:
            writer = csv.DictWriter(fh, fieldnames=["student", "seen", "kind", "cell", "line", "detail", "how"],
                                    extrasaction="ignore")
            writer.writeheader()
            writer.writerows(spreadsheet_row(finding) for finding in report["tamper"])
        histogram(report, folder / "totals.png")
        written += [folder / "report.md", folder / "totals.png"]
        log(f"{assignment}: report {folder / 'report.md'}, histogram {folder / 'totals.png'}, "
            f"{len(report['tamper'])} tamper finding(s)")
    log(f"CSV export (nbgrader export): {reports / 'grades.csv'}")
    return written
