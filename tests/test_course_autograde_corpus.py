"""The adversarial corpus: bad submissions graded next to good ones in ONE `course autograde` run.

Every kind of bad submission (tests/autograde_corpus.py: endless loops, memory and fork bombs,
dying kernels, exits, import errors, deleted and edited test cells, a renamed notebook, files that
are not notebooks, 100 MB of output, a 300 MB file, reading the hidden tests or the gradebook,
writing outside its folder, network connections, monkeypatched numpy and grading helpers,
printing the test cell's source, files that shadow numpy and the grading helpers) is generated
from the 02_moons example submissions into a scratch course, and graded with the example
submissions `complete`, `untouched` and `mistakes` by one run with two workers (which also
grades every other assignment's `complete` example, to show the sandbox breaks none). Then: the
run finished; the good submissions have exactly their grades; each bad one has the points it
earned and no more, with a reason a student can read in its feedback; the tamper report names
the tamperers and nobody else; no feedback shows a hidden test; a second run grades nothing.
"""
from __future__ import annotations

import ast
import html
import json
import math
import re
import shutil
import sqlite3
from pathlib import Path

import nbformat
import pytest

from autograde_corpus import ASSIGNMENT, KINDS, NOTEBOOK, REASONS, corpus, write
from autograde_support import ROOT, Listener, grades, make_course
from course.instructor.autograde import run as autograde
from course.instructor.assignments import notebook_name
from course.instructor.build import available_assignments, load_mutations, source_notebook

GOOD = ("complete", "untouched", "mistakes")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)

# Refused before nbgrader sees them: zero points and this reason in the run's line and the report.
UNGRADABLE = {
    "many_cells": "it has 200,000 cells, more than the limit of 2,000 per notebook",
    "huge_cell": "holds 3.0 MiB of code or text, more than the limit of 1.0 MiB per cell",
    "not_json": "it is not a valid notebook (JSON)",
    "empty_file": "the file is empty",
}
TAMPER = {
    "reads_hidden_tests": {"reads files outside its folder"},
    "reads_gradebook": {"reads files outside its folder"},
    "writes_outside": {"writes files outside its folder"},
    "network": {"opens network connections"},
    "monkeypatch_numpy": {"monkeypatches a module the tests use"},
    "monkeypatch_helpers": {"monkeypatches a module the tests use"},
    "edited_test_cell": {"changed a locked test cell (nbgrader checksum)"},
    "deleted_test_cells": {"deleted a locked test cell"},
    "prints_test_source": {"reads the notebook's own code or the caller's frames (test code)"},
    "fork_bomb": {"starts processes"},
    "shadows_modules": {"ships files named like installed modules"},
    "duplicate_grade_id": {"repeats an nbgrader cell id (the copy was not graded)"},
    "forged_points": {"has a cell with an unknown nbgrader id", "changed the nbgrader metadata of a cell"},
    "test_id_as_solution": {"repeats an nbgrader cell id (the copy was not graded)",
                            "changed the nbgrader metadata of a cell"},
    "flipped_tests": {"changed the nbgrader metadata of a cell", "changed the type of a graded cell",
                      "changed a locked test cell (nbgrader checksum)"},
    "huge_files": {"hit a limit: files written"},
    "filesystem_glob": {"hit a limit: time"},
    "tamper_log_wipe": {"reads files outside its folder"},
    "forged_report_heading": {"reads files outside its folder"},
}
# test cells in release order
TAMPER.update({
    "moved_tests_capture_standins": {"moved a graded cell out of the assignment's order"},
    "deleted_and_moved_tests": {"moved a graded cell out of the assignment's order", "deleted a locked test cell"},
})
TAMPER.update({  # every byte metered
    "huge_student_strings": {"hit a limit: output"},
    "fills_tmp": {"hit a limit: files written"},
    "huge_error": {"hit a limit: output"},
})


def graded_cells(nb) -> dict[str, float]:
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}


# The other assignments' answer keys, graded in the same run: the sandbox must not break any.
OTHERS = [a for a in available_assignments(ROOT) if a != ASSIGNMENT
          and (ROOT / "tests" / "submissions" / "complete" / a / notebook_name(a)).is_file()]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("corpus"), [ASSIGNMENT] + OTHERS)
    examples = ROOT / "tests" / "submissions"
    for other in OTHERS:
        shutil.copytree(examples / "complete" / other, root / "submitted" / "complete" / other)
    complete, untouched, mistakes = (nbformat.read(examples / s / ASSIGNMENT / NOTEBOOK, as_version=4) for s in GOOD)
    mutations = load_mutations(ROOT, ASSIGNMENT)
    server = Listener()
    kinds = corpus(complete, untouched, mistakes, mutations.WRONG, str(root), server.port)
    for student in GOOD:
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / NOTEBOOK).write_text((examples / student / ASSIGNMENT / NOTEBOOK).read_text())
    for student, (files, _) in kinds.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        write(folder, files)
    log: list[str] = []
    try:
        # all or nothing, so that each case's expected losses are whole test cells (partial credit
        # has its own tests: tests/test_partial_credit.py, and 02's attacks in test_twoproc_autograde)
        result = autograde.run(root, [ASSIGNMENT] + OTHERS, workers=2, log=log.append, overrides={
            "CourseAutograde": {"cell_timeout": 45, "notebook_timeout": 900, "interrupt_grace": 8,
                                "partial_credit": False}})
    finally:
        server.close()
    autograded_cells = graded_cells(nbformat.read(source_notebook(ROOT, ASSIGNMENT), as_version=4))
    return {
        "root": root, "result": result, "log": "\n".join(log), "kinds": kinds, "server": server,
        "grades": grades("sqlite:///" + str(root / "gradebook.db"), ASSIGNMENT),
        "tests": autograded_cells, "mutations": mutations,
        "report": json.loads((root / "reports" / ASSIGNMENT / "report.json").read_text()),
    }


def feedback(run, student) -> str:
    return (run["root"] / "feedback" / student / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_text()


def expected_scores(run, lost) -> dict[str, float]:
    tests = run["tests"]
    if lost is None:
        return {t: 0 for t in tests}
    if lost == "mistakes":
        tests_of = getattr(run["mutations"], "TESTS", {})
        lost = {t for exercise, _ in run["mutations"].MISTAKES for t in tests_of.get(exercise, [f"test_{exercise}"])}
    return {t: (0 if t in lost else points) for t, points in tests.items()}


def scores(run, student) -> dict[str, float]:
    cells = run["grades"][student]
    return {t: cells[t][0] for t in run["tests"]}


def test_the_run_finishes_with_every_submission_graded(run):
    outcomes = {o.student: o for o in run["result"].outcomes if o.assignment == ASSIGNMENT}
    assert set(outcomes) == set(GOOD) | set(run["kinds"]), run["log"]
    assert len(run["result"].outcomes) == len(outcomes) + len(OTHERS)
    assert not run["result"].failed, [(o.student, o.message) for o in run["result"].failed]
    assert set(run["grades"]) == set(outcomes)
    assert "Graded" in run["log"]


@pytest.mark.parametrize("student", GOOD)
def test_good_submissions_keep_exactly_their_grades(run, student):
    lost = {"complete": set(), "untouched": None, "mistakes": "mistakes"}[student]
    assert scores(run, student) == expected_scores(run, lost)
    manual = {c: v[0] for c, v in run["grades"][student].items() if c not in run["tests"]}
    # free-text answers wait for a grader; unanswered ones get 0 (nbgrader's "No response")
    assert manual and set(manual.values()) == ({0.0} if student == "untouched" else {None}), manual


@pytest.mark.parametrize("student", KINDS)
def test_a_bad_submission_gets_what_it_earned_and_no_more(run, student):
    _, lost = run["kinds"][student]
    assert scores(run, student) == expected_scores(run, lost)
    autograded = {c: v for c, v in run["grades"][student].items() if c in run["tests"]}
    assert not any(needs for _, _, needs in autograded.values()), "no autograded cell waits for a manual grade"


@pytest.mark.parametrize("assignment", OTHERS)
def test_every_answer_key_gets_full_marks_in_the_sandbox(run, assignment):
    source = nbformat.read(source_notebook(ROOT, assignment), as_version=4)
    cells = grades("sqlite:///" + str(run["root"] / "gradebook.db"), assignment)["complete"]
    lost = {t: cells[t] for t, points in graded_cells(source).items() if cells[t][0] != points}
    assert not lost, f"{assignment}: the complete example lost points when sandboxed: {lost}"


def test_the_corpus_has_at_least_15_kinds(run):
    assert list(run["kinds"]) == KINDS and len(KINDS) >= 15


@pytest.mark.parametrize("student", sorted(REASONS))
def test_the_student_reads_why(run, student):
    # the notes are markdown in the feedback: `code` becomes <code>code</code>
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback(run, student)))
    for reason in (REASONS[student],) if isinstance(REASONS[student], str) else REASONS[student]:
        assert reason.replace("`", "") in text, f"{student}: no {reason!r} in the feedback"


def test_limits_are_reasons_in_the_report_not_crashes(run):
    limits = {(n["student"], n["limit"]) for n in run["report"]["notes"]}
    for student, limit in [("endless_loop", "time"), ("ignores_interrupt", "time"), ("memory_bomb", "memory"),
                           ("fork_bomb", "processes"), ("huge_output", "output"), ("big_file", "file size"),
                           ("os_exit", "kernel died"), ("killed_kernel", "kernel died"),
                           ("huge_files", "files written"), ("filesystem_glob", "time"),
                           ("killed_at_start", "kernel died"), ("fork_bomb_at_start", "processes")]:
        assert (student, limit) in limits, (student, limit)
    size = (run["root"] / "autograded" / "huge_output" / ASSIGNMENT / NOTEBOOK).stat().st_size
    assert size < 5 * 2**20, f"the autograded notebook keeps {size} bytes of a 100 MB output"


def test_stock_nbgrader_bugs_are_fixed(run):
    rows = {(r["student"]): r for r in run["report"]["notes"]}
    # a dying kernel no longer drops the submission: grades are recorded, the rest graded
    assert scores(run, "os_exit")["test_backprop"] == run["tests"]["test_backprop"]
    assert "os_exit" in rows
    # a deleted test cell is restored from the gradebook and graded, not left for a manual grade
    deleted = run["grades"]["deleted_test_cells"]
    assert deleted["test_sigmoid"][:1] == (run["tests"]["test_sigmoid"],) and deleted["test_sigmoid"][2] is False
    assert deleted["test_backprop"][:1] == (run["tests"]["test_backprop"],)


def test_the_sandbox_kept_the_course_and_the_network_away(run):
    root = run["root"]
    probes = {s: json.loads((root / "autograded" / s / ASSIGNMENT / "probe.json").read_text())
              for s in ("reads_hidden_tests", "reads_gradebook", "writes_outside", "network")}
    private_tmp = probes["writes_outside"].pop("tmp")  # the sandbox's own /tmp: fine, and gone after
    assert private_tmp == "SUCCEEDED"
    for student, probe in probes.items():
        assert probe and "SUCCEEDED" not in probe.values(), (student, probe)
    assert probes["reads_hidden_tests"]["absolute"].startswith("FileNotFoundError")
    assert (root / "source" / ASSIGNMENT / NOTEBOOK).exists() and (root / "gradebook.db").exists()
    assert run["server"].connections == 0
    assert not (root / "pwned.txt").exists() and not (root / "autograded" / "complete" / "pwned.txt").exists()
    assert not Path("/tmp/pwned.txt").exists() or Path("/tmp/pwned.txt").read_text() != "pwned"
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)


def test_the_tamper_report_names_the_tamperers_and_nobody_else(run):
    found: dict[str, set] = {}
    for finding in run["report"]["tamper"]:
        found.setdefault(finding["student"], set()).add(finding["kind"])
    for student, kinds in TAMPER.items():
        assert kinds <= found.get(student, set()), (student, found.get(student))
    for student in GOOD:
        assert student not in found, (student, found.get(student))
    markdown = (run["root"] / "reports" / ASSIGNMENT / "report.md").read_text()
    assert "## Tamper report" in markdown and "### reads\\_gradebook" in markdown


def test_ungradable_submissions_say_why_and_nothing_failed(run):
    outcomes = {o.student: o for o in run["result"].outcomes if o.assignment == ASSIGNMENT}
    for student, reason in UNGRADABLE.items():
        assert outcomes[student].status == "ungradable", (student, outcomes[student])
        assert outcomes[student].message.startswith("ungradable: ") and reason in outcomes[student].message
        assert reason in run["report"]["ungradable_reasons"][student]["reason"]
    graded = set(outcomes) - set(UNGRADABLE)
    assert {s for s in graded if outcomes[s].status != "graded"} == set()
    assert "FAILED" not in run["log"]
    # the 200,000 cells were refused on the raw file, before any parse: in about a second
    assert outcomes["many_cells"].timings == {} and outcomes["many_cells"].seconds < 60


def test_feedback_holds_the_html_and_the_submitted_files_only(run):
    root = run["root"]
    for student in run["grades"]:
        folder = root / "feedback" / student / ASSIGNMENT
        submitted = {p.relative_to(root / "submitted" / student / ASSIGNMENT)
                     for p in (root / "submitted" / student / ASSIGNMENT).rglob("*") if p.is_file()}
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix != ".html":
                assert path.relative_to(folder) in submitted, (student, path)
    assert not list((root / "feedback" / "huge_files").rglob("*.bin"))
    kept = sum(p.stat().st_size for p in (root / "autograded" / "huge_files" / ASSIGNMENT).glob("dump*.bin"))
    assert 0 < kept <= 500 * 2**20, kept
    assert not (root / "feedback" / "reads_hidden_tests" / ASSIGNMENT / "probe.json").exists()
    odd = root / "feedback" / "odd_folders" / ASSIGNMENT
    assert (odd / "02_moons.html").is_file() and (odd / "data" / "notes.txt").is_file()


def test_the_tamper_report_tells_grader_from_kernel_and_cannot_be_rewritten(run):
    findings = run["report"]["tamper"]
    seen = {(f["student"], f["kind"], f["seen"]) for f in findings}
    # what the kernel reported before it tried to wipe its log is still there, labelled as its own report
    shadow = {(f["seen"], f["detail"]) for f in findings if f["student"] == "tamper_log_wipe"}
    assert ("kernel", "/etc/shadow") in shadow, shadow  # the audit hook's event, before the wipe
    assert ("grader", "open('/etc/shadow')") in shadow, shadow  # the grader read it in the code
    assert ("flipped_tests", "changed a locked test cell (nbgrader checksum)", "grader") in seen
    assert ("fork_bomb", "starts processes", "grader") in seen  # its code, read by the grader
    assert ("fork_bomb", "hit a limit: processes", "grader") in seen  # the watchdog
    assert ("monkeypatch_numpy", "monkeypatches a module the tests use", "kernel") in seen  # the guard
    forged = [f for f in findings if "FORGED" in f["detail"]]
    # the kernel's forged event and its file name are the kernel's own report; the grader quotes the code
    assert {(f["student"], f["seen"], f["how"]) for f in forged} == {
        ("forged_report_heading", "kernel", "kernel's audit"), ("forged_report_heading", "grader", "code")}
    markdown = (run["root"] / "reports" / ASSIGNMENT / "report.md").read_text()
    lines = markdown.splitlines()
    assert not [line for line in lines if "FORGED" in line and not line.startswith("|")], "a forged heading"
    assert all("FORGED" not in line.replace("\\#\\# FORGED", "") for line in lines), "unescaped"
    for line in lines:
        if "(seen by sandbox)" in line:
            assert line.startswith("| kernel (self-reported) |"), line
    # grouped: one summary row per student, one row per kind in each student's section;
    # students with findings the grader saw come first
    tamper = markdown[markdown.index("## Tamper report"):]
    sections = re.findall(r"^### (.+)$", tamper, re.M)
    students = {f["student"] for f in findings}
    assert len(sections) == len(students) and len(tamper.splitlines()) < 12 * len(students) + 40
    outside = [s.replace("\\_", "_") for s in sections
               if any(f["seen"] == "grader" for f in findings if f["student"] == s.replace("\\_", "_"))]
    assert [s.replace("\\_", "_") for s in sections[:len(outside)]] == outside


def test_no_feedback_shows_a_hidden_test(run):
    source = nbformat.read(source_notebook(ROOT, ASSIGNMENT), as_version=4)
    hidden = {line.strip() for c in source.cells for region in HIDDEN.findall(c.source)
              for line in region.splitlines() if len(line.strip()) >= 24 and not line.strip().startswith("#")}
    assert hidden
    for student in run["grades"]:
        text = html.unescape(feedback(run, student))
        assert "BEGIN HIDDEN TESTS" not in text, student
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback shows hidden test code: {leaked[:2]}"
    # its add_bias prints the kernel's last input: while a test calls it, with two processes, that
    # is the grader's `serve(...)` snippet, and what a student's code prints during a test is dropped
    # (in one kernel it was the test cell itself, scrubbed: tests/test_course_autograde_runs.py)
    assert "twoproc.student_side" not in html.unescape(feedback(run, "prints_test_source"))


def _numbers(value):
    if isinstance(value, list):
        return [n for item in value for n in _numbers(item)]
    return [float(value)]


def test_no_hidden_value_of_another_test_reaches_the_students_code(run):
    # hidden_inputs_leak's backprop keeps what the tests hand it, and a cell after its test prints
    # that into the feedback: the inputs of test_backprop's own checks, never a hidden expected
    # value of test_feed_forward (its hidden check once handed backprop feed_forward's outputs on
    # test_feed_forward's hidden inputs). Compared two by two, in order (a row of output1, two
    # rows of output2): one value alone may be the sigmoid of a round number in any check.
    source = nbformat.read(source_notebook(ROOT, ASSIGNMENT), as_version=4)
    test = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_feed_forward")
    secrets = [float(v) for v in re.findall(r"-?\d+\.\d{5,}", "".join(HIDDEN.findall(test.source)))]
    text = html.unescape(feedback(run, "hidden_inputs_leak"))
    printed = re.search(r"STASH-BEGIN (.*?) STASH-END", text, re.S)
    notes = [n for n in run["report"]["notes"] if n["student"] == "hidden_inputs_leak"]
    assert len(secrets) >= 2 and printed, f"the leak printed nothing; notes: {notes}; feedback ends: {text[-3000:]}"
    calls = ast.literal_eval(printed.group(1))
    assert len(calls) >= 2, f"backprop should have kept the visible and the hidden check's inputs: {len(calls)} call(s)"
    given = _numbers(calls)
    close = lambda a, b: math.isclose(a, b, rel_tol=1e-6)
    leaked = [(s, t) for s, t in zip(secrets, secrets[1:]) for g, h in zip(given, given[1:]) if close(g, s) and close(h, t)]
    assert not leaked, f"test_feed_forward's hidden values reached backprop: {leaked}"


def test_report_export_and_histogram(run):
    root, report = run["root"], run["report"]
    by_exercise = {e["exercise"]: e for e in report["exercises"]}
    assert set(run["tests"]) <= set(by_exercise)
    sigmoid = by_exercise["test_sigmoid"]
    assert 0 < sigmoid["mean"] < 1 and 0 < sigmoid["share_zero"] < 1
    assert sigmoid["common_failure"] and sigmoid["common_failure_count"] >= 2
    csv = (root / "reports" / "grades.csv").read_text().splitlines()
    assert csv[0].startswith("assignment,duedate,timestamp,student_id")
    assert sum(line.startswith(ASSIGNMENT + ",") for line in csv) == len(run["grades"])
    png = (root / "reports" / ASSIGNMENT / "totals.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_a_second_run_grades_nothing_twice(run):
    root = run["root"]
    log: list[str] = []
    again = autograde.run(root, [ASSIGNMENT], workers=2, log=log.append)
    assert again.outcomes == [] and len(again.skipped) == len(run["grades"]), "\n".join(log)
    with sqlite3.connect(root / "gradebook.db") as db:
        attempts = db.execute("select max(attempt) from course_autograde_journal").fetchone()[0]
    assert attempts == 1
    assert grades("sqlite:///" + str(root / "gradebook.db"), ASSIGNMENT) == run["grades"]


# --- every byte metered: what leaves the grader, what the sandboxes write -----------------------

def test_what_leaves_the_grader_and_what_a_notebook_writes_stay_within_the_limits(run):
    root = run["root"]
    with sqlite3.connect(root / "gradebook.db") as db:
        rows = dict(db.execute("select student, length(result) from course_autograde_journal").fetchall())
    for student in ("huge_student_strings", "huge_error", "fills_tmp"):
        # 10 MiB of output per notebook (before: 200 MB notebooks, 100 MB pages, a 50 MB journal row)
        notebook = (root / "autograded" / student / ASSIGNMENT / NOTEBOOK).stat().st_size
        page = (root / "feedback" / student / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).stat().st_size
        assert notebook < 11 * 2**20 and page < 12 * 2**20 and rows[student] < 64 * 1024, (student, notebook, page,
                                                                                            rows[student])
