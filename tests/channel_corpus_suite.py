"""The channel holds: attacks on the two-process channel (tests/channel_corpus.py), graded by ONE
worker, each followed on the same grader kernel by a good notebook.

The attacks are graded in two halves, one test file each (test_channel_corpus_a.py and _b.py, which
set PART), so that pytest-xdist grades the halves side by side; this module holds their tests.

Each attack earns what its notebook earns without the attack and no more; the good notebook after it
keeps full marks (no notebook reaches the next); no attack's canary and no line of a hidden test
reaches another student's feedback, graded notebook or journal row (plain, reversed, hex or base64);
what the grader refused is in the tamper report, for the attackers only.
"""
from __future__ import annotations

import base64
import csv
import html
import json
import re
import sqlite3

import nbformat
import pytest

from autograde_support import ROOT, grades, make_course
from channel_corpus import (ASSIGNMENT, ATTACKS, EXTRA_FILES, HIDDEN_VALUES, MESSAGES, NEVER_RUN_IN_GRADER, NOTEBOOK,
                            PROBES, REPORTED, SEPARATE_RUN, attacks)
from course.instructor.autograde import run as autograde
from course.instructor.build import source_notebook

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


PARTS = 2


def _attacks(part: int) -> list[str]:
    """The attacks of this half, in the corpus's order (the long ones, grader_cpu_burn and
    hides_refusals_in_a_timeout, fall one in each half)."""
    names = list(ATTACKS)
    size = -(-len(names) // PARTS)
    return names[part * size:(part + 1) * size]


def _students(part: int) -> list[tuple[str, str]]:
    """(student id, attack or 'good'), in the order one worker grades them (sorted ids)."""
    out = []
    for number, name in enumerate(ATTACKS):
        if name in _attacks(part):
            out.append((f"s{2 * number:02d}_{name}", name))
            out.append((f"s{2 * number + 1:02d}_good_after_{name}", "good"))
    return out


# which of the corpus's tables each parametrized test reads its cases from
_KINDS = {"test_what_the_grader_refused_is_in_the_tamper_report": REPORTED,
          "test_the_student_reads_what_one_process_would_say": MESSAGES,
          "test_no_hidden_expected_value_reaches_the_feedback": HIDDEN_VALUES,
          "test_the_grader_runs_no_library_code_the_student_named": NEVER_RUN_IN_GRADER,
          "test_a_probe_of_the_students_kernel_reaches_nothing_of_the_graders": PROBES}


# a test about one attack's findings, which lives in one half
_KINDS["test_no_cell_of_the_tamper_csv_starts_a_formula"] = {"tamper_csv_formulas"}


def half_of_the_corpus(part: int) -> dict:
    """What a half's test file holds: the fixture, the parametrizing hook and every test that has
    a case in this half (no empty parameter sets, no test about an attack graded in the other)."""
    names = set(_attacks(part))
    return {name: value for name, value in globals().items()
            if name in ("run", "pytest_generate_tests")
            or (name.startswith("test_") and (name not in _KINDS or names & set(_KINDS[name])))}


def pytest_generate_tests(metafunc):
    part = metafunc.module.PART
    if "student" in metafunc.fixturenames:
        metafunc.parametrize("student, kind", _students(part))
    elif "kind" in metafunc.fixturenames:  # half_of_the_corpus leaves out a test with no case in this half
        metafunc.parametrize("kind", sorted(set(_KINDS[metafunc.function.__name__]) & set(_attacks(part))))


def _grade(root, students, made, examples) -> dict:
    """Grade these (student, kind) pairs in the course at `root` with one worker."""
    for student, kind in students:
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        text = made[kind] if kind != "good" else (examples / "complete" / ASSIGNMENT / NOTEBOOK).read_text()
        (folder / NOTEBOOK).write_text(text)
        for name, content in EXTRA_FILES.get(kind, {}).items():
            (folder / name).write_text(content)
    log: list[str] = []
    try:
        # all or nothing: each attack loses exactly the cells ATTACKS names (partial credit has
        # its own tests, tests/test_partial_credit.py; it changes no channel rule)
        result, error = autograde.run(root, [ASSIGNMENT], workers=1, log=log.append,
                                      overrides={"CourseAutograde": {"partial_credit": False}}), None
    except KeyboardInterrupt:
        raise
    except BaseException as crash:  # a run that crashes (or exits) fails one test, not all of them
        result, error = None, crash
    with sqlite3.connect(root / "gradebook.db") as db:
        rows = dict(db.execute("SELECT student, result FROM course_autograde_journal"))
    report = root / "reports" / ASSIGNMENT / "report.json"
    return {"result": result, "error": error, "log": "\n".join(log), "journal": rows,
            "grades": grades("sqlite:///" + str(root / "gradebook.db"), ASSIGNMENT),
            "report": json.loads(report.read_text()) if report.exists() else {"tamper": []}}


@pytest.fixture(scope="module")
def run(tmp_path_factory, request):
    examples = ROOT / "tests" / "submissions"
    complete, untouched = (nbformat.read(examples / s / ASSIGNMENT / NOTEBOOK, as_version=4)
                           for s in ("complete", "untouched"))
    made = attacks(complete, untouched)
    pairs = _students(request.module.PART)
    # most attacks in one run; an attack that may end a run, in a run of its own (with its good notebook)
    groups = [[p for i, p in enumerate(pairs) if pairs[i - i % 2][1] not in SEPARATE_RUN]]
    groups += [[p for i, p in enumerate(pairs) if pairs[i - i % 2][1] == name] for name in SEPARATE_RUN]
    groups = [group for group in groups if group]  # a half may hold no separate attack
    runs, roots = [], {}
    for number, group in enumerate(groups):
        root = make_course(tmp_path_factory.mktemp(f"channel{number}"), [ASSIGNMENT])
        runs.append(_grade(root, group, made, examples))
        roots.update({student: root for student, _ in group})
    source = nbformat.read(source_notebook(ROOT, ASSIGNMENT), as_version=4)
    tests = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}
    hidden = [line.strip() for c in source.cells for region in HIDDEN.findall(c.source)
              for line in region.splitlines() if len(line.strip()) >= 24]
    return {"part": request.module.PART, "roots": roots, "runs": runs, "log": "\n".join(r["log"] for r in runs), "tests": tests, "hidden": hidden,
            "grades": {k: v for r in runs for k, v in r["grades"].items()},
            "journal": {k: v for r in runs for k, v in r["journal"].items()},
            "report": {"tamper": [f for r in runs for f in r["report"]["tamper"]]}}


def _scores(run, student):
    return {t: run["grades"][student][t][0] for t in run["tests"]}


def _files(run, student) -> tuple[str, str]:
    """(what the student gets back: feedback and journal row; the instructor's graded notebook,
    which holds the hidden tests by design)"""
    root = run["roots"][student]
    feedback = root / "feedback" / student / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
    graded = root / "autograded" / student / ASSIGNMENT / NOTEBOOK
    # a notebook that was not graded (FAILED, a run that ended) has neither: nothing leaked there
    read = lambda path: path.read_text() if path.exists() else ""  # noqa: E731
    return read(feedback) + run["journal"].get(student, ""), read(graded)


def test_every_notebook_is_graded_by_one_worker(run):
    crashed = [repr(r["error"]) for r in run["runs"] if r["error"] is not None]
    assert not crashed, f"a run crashed: {crashed}"
    failed = [(o.student, o.message) for r in run["runs"] for o in r["result"].failed]
    assert not failed, failed
    assert set(run["grades"]) == {s for s, _ in _students(run["part"])}, run["log"]


def test_an_attack_earns_nothing_and_the_next_notebook_keeps_full_marks(run, student, kind):
    full = run["tests"]
    if kind == "good":
        assert _scores(run, student) == full, "a good notebook graded after an attack lost points"
        return
    _, base, lost = ATTACKS[kind]
    expected = {t: 0 if base == "untouched" or t in lost else points for t, points in full.items()}
    assert _scores(run, student) == expected


def test_nothing_of_another_student_or_a_hidden_test_reaches_a_students_files(run, student, kind):
    returned, graded = _files(run, student)
    others = [f"CANARY_{name}" for name in ATTACKS if name != kind]
    assert not [c for c in others if c in returned + graded]
    for line in run["hidden"]:
        forms = [line, line[::-1], line.encode().hex()]
        forms += [base64.b64encode((" " * pad + line).encode()).decode()[4:-4] for pad in range(3)]
        assert not [f for f in forms if f and f in returned], f"a hidden line reached {student}: {line}"


def test_what_the_grader_refused_is_in_the_tamper_report(run, kind):
    student = next(s for s, k in _students(run["part"]) if k == kind)
    kinds = {f["kind"] for f in run["report"]["tamper"] if f["student"] == student}
    assert any(REPORTED[kind] in k for k in kinds), kinds


def test_good_notebooks_are_not_reported(run):
    good = {s for s, k in _students(run["part"]) if k == "good"}
    assert not [f for f in run["report"]["tamper"] if f["student"] in good and "channel" in f["kind"]]


def test_the_student_reads_what_one_process_would_say(run, kind):
    student = next(s for s, k in _students(run["part"]) if k == kind)
    returned, _ = _files(run, student)
    assert MESSAGES[kind] in returned


def test_no_hidden_expected_value_reaches_the_feedback(run, kind):
    # a failing hidden check names what it checked and what went wrong (course.grading's checklist)
    student = next(s for s, k in _students(run["part"]) if k == kind)
    returned, _ = _files(run, student)
    assert "(hidden)" in returned and "the values differ from the expected ones" in returned
    assert not [value for value in HIDDEN_VALUES[kind] if value in returned]


def test_the_grader_runs_no_library_code_the_student_named(run, kind):
    student = next(s for s, k in _students(run["part"]) if k == kind)
    # the outputs of the test cells only: they ran in the grader (the student's own cells run the
    # student's choices in the student's kernel, and may show those libraries' frames)
    graded = nbformat.read(run["roots"][student] / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    tests = json.dumps([c.get("outputs", []) for c in graded.cells
                        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")])
    assert not [where for where in NEVER_RUN_IN_GRADER[kind] if where in tests]


def test_a_probe_of_the_students_kernel_reaches_nothing_of_the_graders(run, kind):
    student = next(s for s, k in _students(run["part"]) if k == kind)
    returned, _ = _files(run, student)
    ran, reached = PROBES[kind]
    text = html.unescape(returned)
    assert ran in text, f"the probe did not run: {text[-2000:]}"
    assert reached not in text, [line for line in text.splitlines() if reached in line]


def test_no_cell_of_the_tamper_csv_starts_a_formula(run):
    # the instructor opens tamper.csv in a spreadsheet: a student's text there (a finding's detail)
    # must never be a formula (`=HYPERLINK(...)` would send other students' rows to a web address)
    roots = {root for root in run["roots"].values()}
    cells = []
    for root in roots:
        with open(root / "reports" / ASSIGNMENT / "tamper.csv", newline="") as fh:
            cells += [value for row in csv.reader(fh) for value in row]
    assert any("CANARY_tamper_csv_formulas" in value for value in cells), "the attack's findings are not in the report"
    assert not [value for value in cells if value[:1] in ("=", "+", "-", "@", "\t", "\r")]
