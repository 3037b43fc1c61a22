"""Two-process grading end to end (issue 13): the attacks from inside the student's interpreter.

The 02_moons examples (complete, untouched, mistakes) and the attacks of issue 13 from inside
the student's interpreter (tests/autograde_corpus.py: TWO_PROCESS_KINDS) on the blank and the
mistakes notebooks, graded together in a scratch course whose hidden tests carry marker
strings. Then: the examples get the points one-process mode gave them (the figures below); no
attack earns a point on the blank
notebook, nor a point beyond the mistakes example's; no feedback file holds a line of hidden
test source, plain, base64-encoded or one character per line; and a student cell that runs
after the tests finds none of the markers in its kernel (gc objects, modules, linecache).
"""
from __future__ import annotations

import base64
import binascii
import json
import re

import nbformat
import pytest

from autograde_corpus import ASSIGNMENT, NOTEBOOK, TWO_PROCESS_KINDS, two_process_corpus, write
from autograde_support import ROOT, grades, make_course
from course.instructor.autograde import run as autograde

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
MARK = "TWOPROC" + "MARK"  # never written whole in this file's student code

MARKED_SIGMOID = f'''
# {MARK}_COMMENT: a comment in a hidden test
_marker_constant = "{MARK}_CONSTANT"
from course.grading import expect as _expect
_expect(True, "{MARK}_MESSAGE that is never raised")
'''
MARKED_HELPER = f'''
def _marked_bias(A):
    _unused = "{MARK}_HELPER"  # the body of a trusted helper the student's code calls back
    return np.hstack([A, np.ones((A.shape[0], 1))])


use_trusted(globals(), add_bias=_marked_bias)
'''

SEARCH = '''
import gc as _gc, linecache as _lc, sys as _sys, types as _types
_prefix = "TWOPROC" + "MARK"
_self_check = _prefix + "_SELF"  # the search must find this one: it sees the kernel's strings
_found = set()
def _look(value):
    if isinstance(value, str) and _prefix in value and value != _prefix:
        _found.add(value[value.index(_prefix):].split()[0][:40])
for _obj in _gc.get_objects():
    if isinstance(_obj, dict):
        _items = list(_obj.keys()) + list(_obj.values())
    elif isinstance(_obj, (list, tuple, set, frozenset)):
        _items = list(_obj)
    elif isinstance(_obj, _types.FunctionType):
        _items = list(_obj.__code__.co_consts) + [_obj.__doc__]
    else:
        continue
    for _item in _items:
        _look(_item)
for _module in list(_sys.modules.values()):
    for _value in list(getattr(_module, "__dict__", {}).values()):
        _look(_value)
for _entry in list(_lc.cache.values()):
    for _line in (_entry[2] if len(_entry) > 2 else []):
        _look(_line)
print("MARKERS FOUND:", sorted(_found))
'''


def _mark_hidden_tests(source_path):
    nb = nbformat.read(source_path, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "test_sigmoid":
            cell.source = cell.source.replace("### END HIDDEN TESTS", MARKED_SIGMOID.strip() + "\n### END HIDDEN TESTS", 1)
        elif grade_id == "test_feed_forward":
            head = "### BEGIN HIDDEN TESTS\n"
            start = cell.source.index(head) + len(head)
            end = cell.source.index("### END HIDDEN TESTS", start)
            cell.source = cell.source[:end] + MARKED_HELPER.strip() + "\n" + cell.source[end:]
    nbformat.write(nb, source_path)
    return nb


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("twoproc"), [ASSIGNMENT])
    source = _mark_hidden_tests(root / "source" / ASSIGNMENT / NOTEBOOK)
    examples = ROOT / "tests" / "submissions"
    loaded = {s: nbformat.read(examples / s / ASSIGNMENT / NOTEBOOK, as_version=4)
              for s in ("complete", "untouched", "mistakes")}
    students = {}
    for student, nb in loaded.items():
        nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
        if student == "complete":
            nb.cells.append(nbformat.v4.new_code_cell(SEARCH))
        students[student] = ({NOTEBOOK: nbformat.writes(nb)}, None)
    students.update(two_process_corpus(loaded["untouched"], loaded["mistakes"]))
    for student, (files, _) in students.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        write(folder, files)
    log: list[str] = []
    result = autograde.run(root, [ASSIGNMENT], workers=2, log=log.append, overrides={
        "CourseAutograde": {"cell_timeout": 60, "interrupt_grace": 5}})
    return {"root": root, "result": result, "log": "\n".join(log), "students": students, "source": source,
            "grades": grades("sqlite:///" + str(root / "gradebook.db"), ASSIGNMENT)}


def _printed(cell) -> str:
    """What a cell of an autograded notebook printed."""
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def _scores(run, student):
    return {cell: value[0] for cell, value in run["grades"][student].items() if not value[2]}


def test_the_examples_grade_as_in_one_process(run):
    assert not run["result"].failed, [(o.student, o.message) for o in run["result"].failed]
    scores = {s: _scores(run, s) for s in ("complete", "untouched", "mistakes")}
    full = {s: sum(v for c, v in scores[s].items() if v == run["grades"][s][c][1]) for s in scores}
    # the figures of one-process mode (tests/test_course_autograde_corpus.py grades the same files):
    # the same cells keep full marks; with partial credit (two processes only) the mistaken cells
    # keep the shares of the checks they still pass, never all of it
    assert full == {"complete": 13, "untouched": 0, "mistakes": 8}, scores
    assert sum(v or 0 for v in scores["untouched"].values()) == 0, scores
    partial = {c: v for c, v in scores["mistakes"].items() if v != run["grades"]["mistakes"][c][1]}
    assert partial and all(0 <= (v or 0) < run["grades"]["mistakes"][c][1] for c, v in partial.items()), partial


@pytest.mark.parametrize("attack", TWO_PROCESS_KINDS)
def test_attacks_earn_nothing(run, attack):
    blank = _scores(run, f"{attack}_untouched")
    assert sum(v or 0 for v in blank.values()) == 0, blank
    if f"{attack}_mistakes" in run["students"]:
        mistakes, attacked = _scores(run, "mistakes"), _scores(run, f"{attack}_mistakes")
        gained = {c: (mistakes[c], v) for c, v in attacked.items() if (v or 0) > (mistakes[c] or 0)}
        assert not gained, gained


def _hidden_lines(source) -> set[str]:
    visible = {line.strip() for c in source.cells for line in HIDDEN.sub("", c.source).splitlines()}
    lines = set()
    for cell in source.cells:
        for region in HIDDEN.findall(cell.source):
            for line in region.splitlines():
                line = line.strip()
                # failure messages are meant for the student: string literals are left out
                if len(line) >= 12 and line not in visible and not re.match(r"^[rf]?[\"']", line):
                    lines.add(line)
    return lines


def _texts_of(folder):
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            yield path, text
            for blob in re.findall(r"[A-Za-z0-9+/=]{40,}", text):
                try:
                    yield path, base64.b64decode(blob + "=" * (-len(blob) % 4)).decode("utf-8", errors="replace")
                except (binascii.Error, ValueError):
                    continue


def test_no_hidden_test_source_reaches_feedback(run):
    hidden = _hidden_lines(run["source"])
    assert len(hidden) > 20
    compact = {re.sub(r"\s+", "", line) for line in hidden}
    for student in run["students"]:
        folder = run["root"] / "feedback" / student / ASSIGNMENT
        assert folder.is_dir(), student
        for path, text in _texts_of(folder):
            planted = [m for m in ("COMMENT", "CONSTANT", "MESSAGE", "HELPER") if f"{MARK}_{m}" in text]
            assert not planted, (student, path.name, planted)
            leaked = [line for line in hidden if line in text]
            assert not leaked, (student, path.name, leaked[:2])
            squeezed = re.sub(r"\s+", "", re.sub(r"<[^>]*>", "", text))
            leaked = [line for line in compact if len(line) >= 20 and line in squeezed]
            assert not leaked, (student, path.name, leaked[:2])


def test_markers_never_reach_the_students_kernel(run):
    nb = nbformat.read(run["root"] / "autograded" / "complete" / ASSIGNMENT / NOTEBOOK, as_version=4)
    text = _printed(nb.cells[-1])
    assert "MARKERS FOUND:" in text, nb.cells[-1].outputs
    assert text.split("MARKERS FOUND:")[1].strip() == f"['{MARK}_SELF']", text


# --- the tiny assignment: a student's kernel that dies, hangs or never serves a test -----------

TINY_STUDENTS = {  # student: (answers, (test_square, test_double))
    "good": ({}, (1, 2)),
    "wrong": ({"double": "def double(x):\n    return x + 2"}, (1, 0)),
    # dies while the grader calls it: that test loses, the kernel restarts, the next test is graded
    "dies": ({"square": "def square(x):\n    import os\n    os._exit(1)"}, (0, 2)),
    # runs past the cell's time limit inside the call: the student's kernel is stopped and restarted
    "hangs": ({"square": "def square(x):\n    while True:\n        pass"}, (0, 2)),
    # its hooks turn every later cell (the grader's serve snippet too) into `pass`
    "never_serves": ({"square": "def square(x):\n    return x * x\n"
                                "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])"},
                     (0, 0)),
}


def _grade_tiny(tmp_path, students: dict, settings: dict):
    """Grade these TINY_STUDENTS in a scratch course: (run result, {student: (square, double)}, log)."""
    from autograde_support import TINY, submit, tiny_assignment, tiny_submission

    root = make_course(tmp_path / "course", [])
    tiny_assignment(root)
    for student, (answers, _) in students.items():
        submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission(answers)})
    log: list[str] = []
    result = autograde.run(root, [TINY], workers=2, log=log.append, report=False,
                           overrides={"CourseAutograde": settings})
    got = grades("sqlite:///" + str(root / "gradebook.db"), TINY)
    return result, {s: (got[s]["test_square"][0], got[s]["test_double"][0]) for s in students}, log


def test_a_student_kernel_that_dies_hangs_or_never_serves(tmp_path):
    result, points, log = _grade_tiny(tmp_path, TINY_STUDENTS, {"cell_timeout": 8, "interrupt_grace": 3})
    assert not result.failed, log
    assert points == {s: expected for s, (_, expected) in TINY_STUDENTS.items()}, log
    seconds = {o.student: o.seconds for o in result.outcomes}
    assert seconds["never_serves"] < 60, seconds  # no waiting for a connection that never comes


# --- the one-process mode, still an option -----------------------------------------------------
# (Two processes are the default: tests/test_course_autograde_corpus.py grades every assignment's
# answer key and 02's examples that way.)

def test_one_process_mode_grades_the_tiny_students_alike(tmp_path):
    students = {s: v for s, v in TINY_STUDENTS.items() if s in ("good", "wrong", "dies")}
    result, points, log = _grade_tiny(tmp_path, students, {"two_process": False})
    assert not result.failed, log
    assert points == {s: expected for s, (_, expected) in students.items()}, log


# --- no grader state survives a notebook ------------------------------------------------------

# test_square's hidden part plays a compromised grader: it first says which process it runs in
# and what it finds of an earlier notebook's grading, then plants all it can (files in every
# writable place, an IPython start-up file, a process left running, a System V shared memory
# segment, patched modules, builtins and environment) for the next notebook of the same worker to find.
COMPROMISED_GRADER = """### BEGIN HIDDEN TESTS
import builtins, os, subprocess, sys, tempfile
import numpy, course.grading
_places = [os.getcwd(), os.path.expanduser("~"), tempfile.gettempdir(), "/tmp", "/dev/shm"]
_found = [p for p in _places if os.path.exists(os.path.join(p, "planted"))]
_found += [n for n in ("planted_builtin", "planted_startup") if hasattr(builtins, n)]
_found += ["numpy" for _ in [0] if hasattr(numpy, "planted")]
_found += ["course.grading" for _ in [0] if hasattr(course.grading, "planted")]
_found += ["environment" for _ in [0] if "PLANTED" in os.environ]
_found += ["names" for _ in [0] if "_planted" in globals()]
_found += ["System V shared memory" for _ in [0] if open("/proc/sysvipc/shm").read().splitlines()[1:]]
for _pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if b"planted-sleeper" in open(f"/proc/{_pid}/cmdline", "rb").read():
            _found.append("process")
    except OSError:
        pass
print("grader", os.getpid(), open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19], sorted(set(_found)))
for _p in _places:
    try:
        open(os.path.join(_p, "planted"), "w").write("x")
    except OSError:
        pass
for _folder in {get_ipython().profile_dir.startup_dir,
                os.path.join(os.environ.get("IPYTHONDIR", "~/.ipython"), "profile_default", "startup"),
                os.path.expanduser("~/.ipython/profile_default/startup")}:
    try:
        os.makedirs(_folder, exist_ok=True)
        open(os.path.join(_folder, "00-planted.py"), "w").write("import builtins; builtins.planted_startup = True")
    except OSError:
        pass
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "planted-sleeper"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
__import__("ctypes").CDLL(None).shmget(0x504C4E54, 4096, 0o1666)  # IPC_CREAT | 0666: outlives its process
builtins.planted_builtin = numpy.planted = course.grading.planted = _planted = True
os.environ["PLANTED"] = "1"
### END HIDDEN TESTS
"""


# a student's cell, after the tests: remove the grader's socket, found through the mounts, so that
# the next notebooks of this worker could not be graded
UNLINK_SOCKET = """
import os
_tried = []
for _line in open("/proc/self/mountinfo"):
    _mount = _line.split()[4]
    if os.path.basename(_mount).startswith("ch") and os.path.exists(os.path.join(_mount, "s")):
        try:
            os.unlink(os.path.join(_mount, "s"))
            _tried.append("removed")
        except OSError as _error:
            _tried.append(_error.errno)
print("unlink", _tried)
"""


def test_each_notebook_is_graded_by_a_grader_no_earlier_notebook_touched(tmp_path):
    from autograde_support import TINY, TINY_CELLS, submit, tiny_assignment, tiny_submission

    cells = [(kind, g, COMPROMISED_GRADER + source if g == "test_square" else source) for kind, g, source in TINY_CELLS]
    root = make_course(tmp_path / "course", [])
    tiny_assignment(root, cells)
    students = ("ann", "bob", "cy")
    for student in students:
        extra = [UNLINK_SOCKET] if student == "bob" else None
        submit(root, student, TINY, {f"{TINY}.ipynb": tiny_submission(cells=cells, extra=extra)})
    log: list[str] = []
    result = autograde.run(root, [TINY], workers=1, log=log.append, report=False)
    bob = nbformat.read(root / "autograded" / "bob" / TINY / f"{TINY}.ipynb", as_version=4)
    tried = _printed(bob.cells[-1])
    assert tried.strip() == "unlink [30]", bob.cells[-1].outputs  # EROFS: the channel's folder is read-only there
    assert not result.failed, log
    seen = {}
    for student in students:
        nb = nbformat.read(root / "autograded" / student / TINY / f"{TINY}.ipynb", as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
        printed = _printed(cell)
        assert printed.startswith("grader "), cell.outputs
        pid, started, found = printed.split(" ", 3)[1:]
        seen[student] = (pid, started, found.strip())
    assert len({(pid, started) for pid, started, _ in seen.values()}) == 3, f"one grader kernel per notebook: {seen}"
    assert all(found == "[]" for _, _, found in seen.values()), f"a grader found an earlier one's traces: {seen}"
    got = grades("sqlite:///" + str(root / "gradebook.db"), TINY)
    assert {s: (got[s]["test_square"][0], got[s]["test_double"][0]) for s in students} == \
        {s: (1, 2) for s in students}
    import psutil

    left = [p.info for p in psutil.process_iter(["pid", "cmdline"]) if "planted-sleeper" in " ".join(p.info["cmdline"] or [])]
    assert not left, f"a grader's process outlived its notebook: {left}"
