"""Bad submissions for `course autograde`, generated from the 02_moons example submissions.

Each kind is a function of the complete (or mistakes) notebook that returns the files of a
submission folder, and the test cells it must lose compared with the complete one (None: every
autograded cell scores zero). Nothing here is committed as a file: the corpus is made in a
temporary course folder by the tests.
"""
from __future__ import annotations

import copy

import nbformat

from course.instructor.build import apply_change

ASSIGNMENT = "02_moons"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
KINDS = ["endless_loop", "ignores_interrupt", "memory_bomb", "fork_bomb", "os_exit", "killed_kernel", "sys_exit",
         "quit_kernel", "import_error", "deleted_test_cells", "edited_test_cell", "renamed_notebook", "not_json",
         "empty_file", "huge_output", "big_file", "reads_hidden_tests", "reads_gradebook", "writes_outside",
         "network", "monkeypatch_numpy", "monkeypatch_helpers", "prints_test_source", "shadows_modules",
         # metadata forgeries, giant notebooks, files, a forgeable tamper log (issue 14)
         "duplicate_grade_id", "forged_points", "test_id_as_solution", "flipped_tests", "invalid_output",
         "filesystem_glob", "many_cells", "huge_cell", "huge_files", "tamper_log_wipe", "forged_report_heading",
         "killed_at_start", "fork_bomb_at_start", "odd_folders"]
KINDS += ["moved_tests_capture_standins", "deleted_and_moved_tests"]  # test cells in release order
KINDS += ["fake_model_broadcast", "hidden_inputs_leak"]  # validated data, no leaks
KINDS += ["huge_student_strings", "fills_tmp", "huge_error"]  # every byte metered
MANY_CELLS = 200_000

# What a student reads in the feedback of each kind (a phrase of the autograder's notes or of
# the failed cell's error).
REASONS = {
    "endless_loop": "ran longer than its time limit",
    "ignores_interrupt": "did not stop when interrupted",
    "memory_bomb": "ran out of memory",
    "fork_bomb": "process",
    "os_exit": "The kernel died while running this cell (exit code 3)",
    "killed_kernel": "The kernel died while running this cell (killed by signal 9)",
    "sys_exit": "I give up",
    "quit_kernel": "exit() stops the notebook",
    "import_error": "No module named",
    "deleted_test_cells": "was missing from your notebook; it was put back and graded",
    "edited_test_cell": "this read-only cell was changed in your notebook; the original was graded",
    "renamed_notebook": "was named",
    "not_json": "is not a valid notebook",
    "empty_file": "the file is empty",
    "huge_output": "output truncated",
    "big_file": "File too large",
    # issue 14: metadata forgeries, giant notebooks, files, kernels killed at start
    "duplicate_grade_id": "is a copy of the cell `sigmoid`",
    "forged_points": "claims to be a graded cell (`bonus`, 1000 points) that this assignment does not have",
    "test_id_as_solution": "is a copy of the cell `test_add_bias`",
    "flipped_tests": "this read-only cell was changed in your notebook; the original was graded",
    "invalid_output": ("saved in your notebook are not valid notebook outputs (nbformat's schema); they were dropped",
                       "This cell displayed 1 output(s) that are not valid notebook outputs"),
    "filesystem_glob": "ran longer than its time limit",
    "many_cells": "it has 200,000 cells, more than the limit of 2,000 per notebook",
    "huge_cell": "more than the limit of 1.0 MiB per cell",
    "huge_files": "of files into its folder; at most 500.0 MiB are kept, so these were deleted",
    "killed_at_start": "The kernel died while running this cell (killed by signal 9)",
    "fork_bomb_at_start": "process",
    "odd_folders": "'other.ipynb' is a folder, not a notebook",
}
# test cells in release order
REASONS.update({
    "moved_tests_capture_standins": "this test cell was not at its place in your notebook; it was moved back to "
                                    "its place in the assignment and graded there",
    "deleted_and_moved_tests": ("`test_backprop`: this test cell was not at its place in your notebook; it was "
                                "moved back to its place in the assignment and graded there",
                                "`test_sigmoid`: this test cell was missing from your notebook; it was put back "
                                "and graded"),
})
REASONS.update({  # every byte metered
    "huge_student_strings": "The error this cell raised was too long to keep whole",
    "fills_tmp": "wrote more than 500.0 MiB of files, the limit for all the files a notebook writes",
    "huge_error": "The error this cell raised was too long to keep whole",
})


def _cell(nb, grade_id):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


def _prepend(nb, grade_id, code):
    cell = _cell(nb, grade_id)
    cell.source = code.rstrip("\n") + "\n" + cell.source


def _in_function(nb, grade_id, function, code):
    """Put `code` as the first statements of `function`'s body in the solution cell."""
    cell = _cell(nb, grade_id)
    head = f"def {function}("
    start = cell.source.index(head)
    colon = cell.source.index(":\n", start) + 2
    body = "".join(f"    {line}\n" for line in code.strip("\n").splitlines())
    # after the docstring, if any
    rest = cell.source[colon:]
    stripped = rest.lstrip()
    if stripped.startswith('"""'):
        end = rest.index('"""', rest.index('"""') + 3) + 3
        newline = rest.index("\n", end) + 1
        cell.source = cell.source[:colon] + rest[:newline] + body + rest[newline:]
    else:
        cell.source = cell.source[:colon] + body + rest


def _nb_file(nb):
    return {NOTEBOOK: nbformat.writes(nb)}


def _probe(root_path: str, tries: dict[str, str]) -> str:
    """Code that tries each action and writes what happened to probe.json in its own folder."""
    lines = ["import json as _json, os as _os", "_probe = {}"]
    for name, code in tries.items():
        lines += [
            "try:",
            *[f"    {line}" for line in code.strip().splitlines()],
            f"    _probe[{name!r}] = 'SUCCEEDED'",
            "except BaseException as _e:",
            f"    _probe[{name!r}] = type(_e).__name__ + ': ' + str(_e)[:200]",
        ]
    lines += ["with open('probe.json', 'w') as _fh:", "    _json.dump(_probe, _fh)"]
    return "\n".join(lines).replace("ROOT", root_path)


def corpus(complete, untouched, mistakes, wrong: dict, root: str, port: int,
           only: set[str] | None = None) -> dict[str, tuple[dict, object]]:
    """{student: (files, lost)}; `lost` is the set of test cells lost vs. complete, or None (all).

    Most kinds start from the complete submission, to show they keep the points of everything
    else; the probes of the sandbox start from the untouched one (quicker: nothing to train).
    `only`: just these kinds (the others are not even made).
    """
    out = {}

    def variant(name, lost, change, base=complete):
        if only is not None and name not in only:
            return
        nb = copy.deepcopy(base)
        files = change(nb)
        out[name] = (files if files is not None else _nb_file(nb), lost)

    variant("endless_loop", {"test_add_bias"},
            lambda nb: _prepend(nb, "add_bias", "while True:\n    pass"))
    variant("ignores_interrupt", {"test_sigmoid"},
            lambda nb: _prepend(nb, "sigmoid", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                               "while True:\n    pass"))
    variant("memory_bomb", {"test_log_loss"},
            lambda nb: _prepend(nb, "log_loss", "def _hog():\n    chunks = []\n    while True:\n"
                                                "        chunks.append(bytearray(10**8))\n_hog()"))
    variant("fork_bomb", {"test_sigmoid_der"},
            lambda nb: _prepend(nb, "sigmoid_der", "import os\nwhile True:\n    os.fork()"))
    variant("os_exit", {"test_log_loss_der"},
            lambda nb: _in_function(nb, "log_loss_der", "log_loss_der", "import os\nos._exit(3)"))
    variant("killed_kernel", {"test_feed_forward"},
            lambda nb: _prepend(nb, "feed_forward", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"))
    variant("sys_exit", {"test_mlp"},
            lambda nb: _prepend(nb, "mlp", "import sys\nsys.exit('I give up')"))
    variant("quit_kernel", {"test_log_loss"},
            lambda nb: _prepend(nb, "log_loss", "exit()"))
    def import_error(nb):
        # the notebook's imports cell (the first code cell is the environment check)
        cell = next(c for c in nb.cells if c.cell_type == "code" and "import numpy" in c.source)
        cell.source = "import tensorflow_that_is_not_installed\n" + cell.source
    # The notebook's `import numpy as np` never runs. The test cells import numpy themselves in the
    # grader's kernel (two processes), so the functions that need nothing the failed cell imports
    # keep their points (in one kernel every test failed on the missing `np`).
    variant("import_error", {"test_add_bias", "test_sigmoid", "test_log_loss", "test_feed_forward", "test_train",
                             "test_mlp"}, import_error)

    def delete_tests(nb):
        nb.cells = [c for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") not in ("test_sigmoid", "test_backprop")]
    variant("deleted_test_cells", set(), delete_tests)

    def mutate(nb, grade_id, name):
        cell = _cell(nb, grade_id)
        cell.source = apply_change(cell.source, wrong[grade_id][name], f"{grade_id}: {name}")

    def edit_test(nb):
        mutate(nb, "backprop", "bias row backpropagated")
        _cell(nb, "test_backprop").source = "pass  # all good"
    variant("edited_test_cell", {"test_backprop"}, edit_test)

    def renamed(nb):
        return {"02_moons (1).ipynb": nbformat.writes(nb)}
    variant("renamed_notebook", set(), renamed)
    variant("not_json", None, lambda nb: {NOTEBOOK: '{"cells": [ this is not json'})
    variant("empty_file", None, lambda nb: {NOTEBOOK: ""})
    variant("huge_output", set(),
            lambda nb: _prepend(nb, "sigmoid", "for _ in range(1_000_000):\n    print('x' * 99)"))
    variant("big_file", set(), lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
        "with open('big.bin', 'wb') as fh:\n    fh.write(b'0' * (300 << 20))")))
    variant("reads_hidden_tests", None, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(_probe(root, {
        "relative": "open('../../../source/02_moons/02_moons.ipynb').read()",
        "absolute": "open('ROOT/source/02_moons/02_moons.ipynb').read()",
        "solutions": "open('ROOT/solutions/02_moons/02_moons.ipynb').read()",
        "listdir": "assert 'source' in _os.listdir('ROOT'), _os.listdir('ROOT')",
    }))), base=untouched)
    variant("reads_gradebook", None, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(_probe(root, {
        "relative": "open('../../../gradebook.db', 'rb').read()",
        "sqlite": "import sqlite3\nsqlite3.connect('file:ROOT/gradebook.db?mode=ro', uri=True)"
                  ".execute('select * from grade').fetchall()",
        "other_student": "open('../../../submitted/complete/02_moons/02_moons.ipynb').read()",
        "home": "open(_os.path.expanduser('~root/.bashrc')).read()",
    }))), base=untouched)
    variant("writes_outside", None, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(_probe(root, {
        "gradebook": "open('ROOT/gradebook.db', 'w').write('pwned')",
        "relative": "open('../../../pwned.txt', 'w').write('pwned')",
        "other_student": "open('../complete/pwned.txt', 'w').write('pwned')",
        "tmp": "open('/tmp/pwned.txt', 'w').write('pwned')",
    }))), base=untouched)
    variant("network", None, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(_probe(root, {
        "loopback": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5).sendall(b'pwned')",
        "internet": "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=5)",
        "dns": "import socket\nsocket.getaddrinfo('pypi.org', 443)",
    }))), base=untouched)

    def patch_numpy(nb):
        mutate(nb, "sigmoid", "sign flipped")
        cell = _cell(nb, "sigmoid")
        cell.source = cell.source + (
            "\n\nnp.allclose = lambda *a, **k: True\nnp.all = lambda *a, **k: True\n"
            "np.isclose = lambda *a, **k: True\n")
    variant("monkeypatch_numpy", {"test_sigmoid"}, patch_numpy)

    def patch_helpers(nb):
        mutate(nb, "log_loss", "missing minus")
        cell = _cell(nb, "log_loss")
        _in_function(nb, "log_loss", "log_loss",
                     "import numpy as _np, course.grading as _g\n"
                     "_np.all = _np.allclose = lambda *a, **k: True\n"
                     "_g.expect_close = _g.expect = lambda *a, **k: None")
    variant("monkeypatch_helpers", {"test_log_loss"}, patch_helpers)

    variant("prints_test_source", set(),
            lambda nb: _in_function(nb, "add_bias", "add_bias",
                                    "print(get_ipython().user_ns['_ih'][-1])"))

    def shadow(nb):
        files = _nb_file(nb)
        files["numpy.py"] = "raise ImportError('the student numpy')\n"
        files["course/__init__.py"] = ""
        files["course/grading.py"] = (
            "def _ok(*a, **k):\n    return None\n"
            "def call(fn, *a, what=None, **k):\n    return fn(*a, **k)\n"
            "expect = expect_close = expect_equal = expect_shape = expect_gradient = _ok\n"
            "def use_trusted(*a, **k):\n    pass\n")
        return files
    variant("shadows_modules", "mistakes", shadow, base=mistakes)

    # --- nbgrader metadata the student's file must not decide ---------------------------
    def duplicate(nb):
        # a copy-pasted answer cell carries its metadata: two cells with the id `sigmoid`
        cell = _cell(nb, "sigmoid")
        nb.cells.insert(nb.cells.index(cell) + 1, copy.deepcopy(cell))
    variant("duplicate_grade_id", set(), duplicate)

    def forged(nb):
        bonus = nbformat.v4.new_code_cell("print('free points')")
        bonus.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 1000, "solution": False,
                                      "locked": False, "schema_version": 3}
        broken = nbformat.v4.new_code_cell("pass")
        broken.metadata["nbgrader"] = {"grade": True, "points": 50}  # no id at all
        # and a real test cell that claims 1000 points
        _cell(nb, "test_add_bias").metadata["nbgrader"]["points"] = 1000
        nb.cells += [bonus, broken]
    variant("forged_points", set(), forged)

    def test_id_as_solution(nb):
        # a cell reusing test_add_bias's id as an editable solution, before the real test
        fake = nbformat.v4.new_code_cell("pass  # nothing to test here")
        fake.metadata["nbgrader"] = {"grade": False, "grade_id": "test_add_bias", "locked": False,
                                     "schema_version": 3, "solution": True, "task": False}
        nb.cells.insert(nb.cells.index(_cell(nb, "test_add_bias")), fake)
    variant("test_id_as_solution", set(), test_id_as_solution)

    def flipped(nb):
        mutate(nb, "sigmoid", "sign flipped")
        for grade_id in ("test_sigmoid", "test_log_loss"):
            cell = _cell(nb, grade_id)
            cell.metadata["nbgrader"].update(grade=False, solution=True, locked=False)
            cell.metadata["nbgrader"].pop("points", None)
            cell.source = "pass  # all good"
        test = _cell(nb, "test_add_bias")  # and one turned into a markdown cell
        index = nb.cells.index(test)
        nb.cells[index] = nbformat.v4.new_markdown_cell("nothing to see", metadata=test.metadata)
    variant("flipped_tests", {"test_sigmoid"}, flipped)

    def invalid_output(nb):
        cell = next(c for c in nb.cells if c.cell_type == "code")
        cell.outputs = [nbformat.NotebookNode(output_type="display_data", data={"text/plain": 12345}, metadata={})]
        # and one the kernel displays while graded
        nb.cells.append(nbformat.v4.new_code_cell("display({'text/plain': 12345}, raw=True)"))
        return {NOTEBOOK: __import__("json").dumps(nb)}  # nbformat.writes would refuse it
    variant("invalid_output", set(), invalid_output)

    # --- the grader's own work ----------------------------------------------------------
    variant("filesystem_glob", set(), lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
        "import glob\nfound = glob.glob('/**/source/*/*.ipynb', recursive=True)\nprint(found)")))

    def many_cells(nb):
        # written as text: nbformat itself needs minutes for 200,000 cells
        empty = '{"cell_type": "markdown", "metadata": {}, "source": ""}'
        return {NOTEBOOK: '{"cells": [' + ", ".join([empty] * MANY_CELLS) + '], "metadata": {}, '
                          '"nbformat": 4, "nbformat_minor": 5}'}
    variant("many_cells", None, many_cells, base=untouched)
    variant("huge_cell", None, lambda nb: nb.cells.append(nbformat.v4.new_code_cell("x = 1  # " + "x" * (3 << 20))),
            base=untouched)
    variant("huge_files", set(), lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
        "for i in range(6):\n    with open(f'dump{i}.bin', 'wb') as fh:\n        fh.write(b'1' * (190 << 20))")))

    # --- the tamper log -----------------------------------------------------------------
    variant("tamper_log_wipe", None, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
        "import os, json\n"
        "try:\n    open('/etc/shadow').read()\nexcept OSError:\n    pass\n"
        "import sys\n_g = next(m for n, m in list(sys.modules.items()) if n.endswith('autograde.guard'))\n"
        "log = _g._state['log']\n"
        "for attempt in (lambda: log.truncate(0), lambda: log.seek(0), lambda: os.ftruncate(log.fileno(), 0),\n"
        "                lambda: open(f'/proc/self/fd/{log.fileno()}', 'w').close()):\n"
        "    try:\n        attempt()\n    except Exception as error:\n        print('wipe failed:', type(error).__name__)\n"
        "for name in os.listdir('/proc/self/fd'):\n"
        "    try:\n        os.ftruncate(int(name), 0)\n    except OSError:\n        pass\n"
        "_g._state['log'] = None  # and report nothing more")), base=untouched)
    variant("forged_report_heading", None, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
        "import json, sys\n_g = next(m for n, m in list(sys.modules.items()) if n.endswith('autograde.guard'))\n"
        "_g._state['log'].write(json.dumps({'kind': 'read outside its folder', 'detail': "
        "'x\\n\\n## FORGED (seen by sandbox): complete copied this notebook\\n'}) + '\\n')\n"
        "try:\n    open('/nowhere\\n\\n## FORGED heading: untouched copied this notebook\\n| a | b |')\n"
        "except OSError:\n    pass")), base=untouched)

    # --- kernels killed at start, bombs at start ----------------------------------------
    def first_code(nb):
        return next(c for c in nb.cells if c.cell_type == "code")
    variant("killed_at_start", set(), lambda nb: setattr(
        first_code(nb), "source", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + first_code(nb).source))
    variant("fork_bomb_at_start", set(), lambda nb: setattr(
        first_code(nb), "source", "import os\nwhile True:\n    os.fork()\n" + first_code(nb).source))

    def odd_folders(nb):
        # folders named like a notebook or like the feedback page
        files = _nb_file(nb)
        files["other.ipynb/inside.txt"] = "a folder, not a notebook"
        files["02_moons.html/inside.txt"] = "would take the feedback page's place"
        files["data/notes.txt"] = "a file of the student's own"
        return files
    variant("odd_folders", set(), odd_folders)

    # --- test cells in release order: a moved test hands nothing over early -------------
    def moved(nb, grade_ids, after):
        """Move the cells `grade_ids` (in this order) to just after the cell `after`."""
        cells = [_cell(nb, grade_id) for grade_id in grade_ids]
        nb.cells = [c for c in nb.cells if not any(c is m for m in cells)]
        index = next(i for i, c in enumerate(nb.cells) if c is after)
        nb.cells[index + 1:index + 1] = cells

    # A student's own cell, put before the moved test cells: whatever a test hands over while it calls
    # the student's functions is kept, to be called again later.
    capture = """
_seen = []


def _stash(*args):
    _seen.append({"args": args, **{k: v for k, v in globals().items() if type(v).__name__ == "GraderObject"}})


def _use(name):
    for seen in reversed(_seen):
        if name in seen:
            return seen[name]
    raise NotImplementedError(name)


def train(X, y, weights, epochs=2000, LR=0.01):
    _stash(X, y, weights, epochs, LR)
    raise NotImplementedError()


def backprop(weights, output1, output2, ytrue, X_input, LR):
    _stash(weights, output1, output2, ytrue, X_input, LR)
    return _use("backprop")(weights, *_use("feed_forward")(X_input, weights), ytrue, X_input, LR)
"""

    def capture_standins(nb):
        # Tests that run before the cells they grade would call these with the grader's trusted
        # stand-ins bound in the namespace (test_train's `backprop` is a numerical gradient step);
        # every answer below is one of those stand-ins, called again in a later test.
        imports = next(c for c in nb.cells if c.cell_type == "code" and "import numpy" in c.source)
        nb.cells.insert(nb.cells.index(imports) + 1, nbformat.v4.new_code_cell(capture))
        moved(nb, ["test_train", "test_backprop"], nb.cells[nb.cells.index(imports) + 1])
        for name, args in [("add_bias", "X"), ("sigmoid", "x"), ("log_loss", "y, y_pred"),
                           ("feed_forward", "X, weights"), ("sigmoid_der", "X"), ("log_loss_der", "y, y_pred")]:
            _cell(nb, name).source = f"def {name}({args}):\n    return _use({name!r})({args})\n"
        _cell(nb, "backprop").source = (
            "def backprop(weights, output1, output2, ytrue, X_input, LR):\n"
            "    _stash(weights, output1, output2, ytrue, X_input, LR)\n"
            "    return _use('backprop')(weights, *_use('feed_forward')(X_input, weights), ytrue, X_input, LR)\n")
        _cell(nb, "train").source = (
            "def train(X, y, weights, epochs=2000, LR=0.01):\n"
            "    _stash(X, y, weights, epochs, LR)\n"
            "    raise NotImplementedError()\n")
    variant("moved_tests_capture_standins", None, capture_standins, base=untouched)

    def deleted_and_moved(nb):
        nb.cells.remove(_cell(nb, "test_sigmoid"))
        test = _cell(nb, "test_backprop")
        nb.cells.remove(test)
        nb.cells.insert(0, test)
    variant("deleted_and_moved_tests", set(), deleted_and_moved)

    # --- validated data, no leaks: a fake model; what a test hands the student's code --------
    # the blank notebook with a model that is no model (never fitted, zero weights, a classes_ of
    # shape (2, n) that copies the labels, a score that says 1.0): 0 points
    variant("fake_model_broadcast", None, lambda nb: _replace(nb, "mlp", _FAKE_MODEL), base=untouched)

    def hidden_inputs_leak(nb):
        # backprop keeps what the tests hand it (small inputs: the notebook's own training runs on
        # 200 rows) and a cell after its test prints it into the notebook's output, so into the
        # feedback: no hidden value of another test (test_feed_forward's) may be among it
        _prepend(nb, "backprop", "_STASH = []")
        _in_function(nb, "backprop", "backprop", _STASH_ARGUMENTS)
        test = _cell(nb, "test_backprop")
        nb.cells.insert(nb.cells.index(test) + 1, nbformat.v4.new_code_cell(_PRINT_STASH))
    variant("hidden_inputs_leak", set(), hidden_inputs_leak)

    # --- every byte metered: what leaves the grader, what the sandboxes write ----------
    def huge_strings(nb):
        # train returns an object whose repr is 50 MB (test_train prints it in its message), and
        # the model's activation is a 50 MB string (test_mlp quotes it, and so does sklearn's
        # KeyError in the cell that scores the model)
        _append(nb, "train", _LOUD_RESULT)
        _append(nb, "mlp", 'model.activation = "logistic" + "!" * 50_000_000')
    variant("huge_student_strings", {"test_train", "test_mlp"}, huge_strings)

    def fills_tmp(nb):
        # a cell of its own, early: the cells after it must keep their points
        imports = next(c for c in nb.cells if c.cell_type == "code" and "import numpy" in c.source)
        nb.cells.insert(nb.cells.index(imports) + 1, nbformat.v4.new_code_cell(_FILL_EVERYWHERE))
    variant("fills_tmp", set(), fills_tmp)

    def huge_error(nb):
        # the test calls log_loss, which raises with a 50 MB message; the solution cell of
        # sigmoid_der fails at the top level with another one after defining sigmoid_der
        _in_function(nb, "log_loss", "log_loss", 'raise ValueError("log_loss gave up: " + "!" * 50_000_000)')
        _append(nb, "sigmoid_der", 'raise RuntimeError("a loud failure: " + "?" * 50_000_000)')
    variant("huge_error", {"test_log_loss"}, huge_error)
    return out


_LOUD_RESULT = """
class _Loud:
    def __repr__(self):
        return "<" + "x" * 50_000_000 + ">"

    __str__ = __repr__


def train(X, y, weights, epochs=2000, LR=0.01):
    return _Loud()
"""

# 400 MB into /tmp, 400 MB into /dev/shm, 50 MB into its home and 300 MB into the kernel's own
# folder (found through its connection file), in files of 100 MB (a file may have 200 MB);
# fill_progress.txt in its folder says how far it got
_FILL_EVERYWHERE = r"""
import os
from ipykernel import get_connection_file

_progress = []


def _fill(folder, mib):
    block = b"\1" * (1 << 20)
    for part in range(0, mib, 100):
        with open(os.path.join(folder, f"fill{part}.bin"), "wb") as fh:
            for _ in range(min(100, mib - part)):
                fh.write(block)
    _progress.append(f"{folder}: {mib} MiB")
    with open("fill_progress.txt", "w") as fh:
        fh.write("\n".join(_progress) + "\n")


_fill("/tmp", 400)
_fill("/dev/shm", 400)
_fill(os.path.expanduser("~"), 50)
_fill(os.path.dirname(get_connection_file()), 300)
"""


def cluster_probe(untouched, addresses: dict[str, str]) -> tuple[dict, object]:
    """A submission whose code tries to connect to each `tls://host:port` of a Dask cluster
    (scheduler, workers, nannies) from its sandbox, writing what happened to probe.json; the
    untouched notebook otherwise (every test cell lost)."""
    nb = copy.deepcopy(untouched)
    tries = {}
    for name, address in addresses.items():
        host, port = address.split("://", 1)[-1].rsplit(":", 1)
        tries[name] = f"import socket\nsocket.create_connection(({host!r}, {int(port)}), timeout=5).close()"
    nb.cells.append(nbformat.v4.new_code_cell(_probe("", tries)))
    return _nb_file(nb), None


def write(folder, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# --- issue 13: attacks from inside the student's Python process (two-process grading) ----------
# Issue 13 reports that attacks of these kinds earn points in one-process mode (the test cells run
# in the student's interpreter); with two processes (the default) they must earn nothing. Graded
# by tests/test_twoproc_autograde.py, in a course whose hidden tests carry marker strings.

TWO_PROCESS_KINDS = ["ipython_hooks", "repatch_from_threads", "frame_oracle", "leaks_test_source", "lying_model"]

_IPYTHON_HOOKS = r"""
import ast as _ast
_ip = get_ipython()
def _silence(lines):  # later cells that check anything (or start a server) become `pass`
    return ["pass\n"] if any(w in l for l in lines for w in ("expect", "assert", "serve", "call(")) else lines
_ip.input_transformers_cleanup.append(_silence)
_ip.input_transformers_post.append(_silence)
class _TryAll(_ast.NodeTransformer):
    def visit_Module(self, node):
        node.body = [_ast.Try(body=[s], handlers=[_ast.ExceptHandler(type=None, name=None, body=[_ast.Pass()])],
                              orelse=[], finalbody=[]) for s in node.body]
        return _ast.fix_missing_locations(node)
_ip.ast_transformers.append(_TryAll())
def _full_marks(*_):  # nbgrader reads a test cell's first execute_result as its score
    _k = _ip.kernel
    try:
        _parent = _k.get_parent("shell")
    except TypeError:
        _parent = _k.get_parent()
    _k.session.send(_k.iopub_socket, "execute_result", {"data": {"text/plain": "'full marks'"}, "metadata": {},
                    "execution_count": 1}, parent=_parent)
_ip.events.register("pre_run_cell", _full_marks)
_original_run_cell = _ip.run_cell
_ip.run_cell = lambda raw_cell, *a, **k: _original_run_cell("pass" if "expect" in raw_cell else raw_cell, *a, **k)
"""

_REPATCH = r"""
import signal as _signal, threading as _threading, time as _time
import numpy as _np, course.grading as _g
def _patch(*_):
    _np.allclose = _np.array_equal = _np.isclose = _np.all = lambda *a, **k: True
    _g.expect = _g.expect_close = _g.expect_equal = _g.expect_shape = _g.expect_gradient = lambda *a, **k: None
def _forever():
    while True:
        _patch()
        _time.sleep(0.001)
_threading.Thread(target=_forever, daemon=True).start()
_threading.Timer(0.01, _patch).start()
_signal.signal(_signal.SIGALRM, _patch)
_signal.setitimer(_signal.ITIMER_REAL, 0.005, 0.005)
try:  # switch the guard off, and change the code behind numpy's dispatchers (never snapshotted)
    import course.instructor.autograde.guard as _guard
    _guard._state["guard"].restore = lambda *a, **k: []
    _np.allclose.__wrapped__.__code__ = (lambda *a, **k: True).__code__
except Exception:
    pass
"""

_FRAME_ORACLE = r"""
def sigmoid(z):
    # reads the test that calls it (frames, linecache, the kernel's input history) for the answer
    import ast as _ast, linecache as _linecache, re as _re, sys as _sys
    texts, frame = [], _sys._getframe(1)
    while frame is not None:
        texts.append("".join(_linecache.getlines(frame.f_code.co_filename)))
        texts += [c for c in frame.f_code.co_consts if isinstance(c, str)]
        frame = frame.f_back
    texts += [str(s) for s in get_ipython().user_ns.get("_ih", [])]
    for text in texts:
        for m in _re.finditer(r"call\(sigmoid, np\.array\((\[[^\]]*\])\)\),\s*(\[[^\]]*\])", text or ""):
            if np.shape(z) == np.shape(_ast.literal_eval(m.group(1))):
                return np.array(_ast.literal_eval(m.group(2)), dtype=float)
    return 1 / (1 + np.exp(z))  # the wrong answer, when there is nothing to read
"""

_LEAK = r"""
import base64 as _b64, linecache as _lc
_ip = get_ipython()
def _reachable():
    import sys
    out, frame = [], sys._getframe(1)
    while frame is not None:
        out.append("".join(_lc.getlines(frame.f_code.co_filename)))
        frame = frame.f_back
    out += [str(s) for s in _ip.user_ns.get("_ih", [])]
    out += ["".join(v[2]) for v in list(_lc.cache.values()) if len(v) > 2 and isinstance(v[2], list)]
    return "\n".join(out)
def _dump(*_):  # a file in the submission folder: nbgrader copies it into feedback/
    with open("leak.txt", "w") as fh:
        fh.write(_reachable())
_ip.events.register("post_run_cell", _dump)
def add_bias(X):
    blob = _reachable()
    print(_b64.b64encode(blob.encode()).decode())
    print("\n".join(blob))  # one character per line
    raise NotImplementedError  # the leak is the point, not the answer
"""


# A model that claims to be an MLPClassifier and answers its own accuracy: the verdict may come
# from the student's kernel (isinstance, score), the point only from the fitted weights as data.
_LYING_MODEL = """
class _Confident(MLPClassifier):
    def score(self, X, y, sample_weight=None):
        return 1.0


model = _Confident(hidden_layer_sizes=(4,), activation="logistic", max_iter=1, random_state=0)
model.fit(X, y)
"""


# A model that is no model, made to pass a check that computed `np.asarray(model.classes_)[pred] ==
# y`: zero weights put every prediction at index 0, and classes_ of shape (2, n) holds the moons'
# own labels (the training moons, then the other moons: the order the hidden test read them), so
# the comparison broadcast into an all-True (n, n) table. Its score says 1.0, its class claims the
# library's name.
_FAKE_MODEL = """
class _Fake(MLPClassifier):
    _reads = 0

    def score(self, X, y, sample_weight=None):
        return 1.0

    @property
    def classes_(self):
        seed = (42, 3)[type(self)._reads % 2]
        type(self)._reads += 1
        labels = make_moons(n_samples=200, noise=0.1, random_state=seed)[1]
        return np.array([labels, labels])


_Fake.__module__, _Fake.__qualname__ = MLPClassifier.__module__, "MLPClassifier"  # isinstance: the real one
model = _Fake(hidden_layer_sizes=(4,), activation="logistic")
model.coefs_ = [np.zeros((2, 4)), np.zeros((4, 1))]
model.intercepts_ = [np.zeros(4), np.zeros(1)]
model.n_features_in_ = 2
model.loss_curve_ = [0.7, 0.6]
"""

_STASH_ARGUMENTS = """
if len(X_input) < 10:
    _STASH.append([np.array(a, dtype=float).tolist() for a in (weights[0], weights[1], output1, output2, ytrue, X_input)])
    print("backprop was given", _STASH[-1])
"""

_PRINT_STASH = """
print("STASH-BEGIN", repr(_STASH), "STASH-END")
"""


def _replace(nb, grade_id, code):
    _cell(nb, grade_id).source = code.strip("\n") + "\n"


def _append(nb, grade_id, code):
    cell = _cell(nb, grade_id)
    cell.source = cell.source.rstrip("\n") + "\n\n" + code.strip("\n") + "\n"


def two_process_corpus(untouched, mistakes) -> dict[str, tuple[dict, str]]:
    """{student: (files, base)}: each attack on the blank notebook (base "untouched": it must earn
    0) and on the mistakes example (base "mistakes": no cell may score more than there)."""
    out = {}
    attacks = {
        "ipython_hooks": lambda nb: _append(nb, "add_bias", _IPYTHON_HOOKS),
        "repatch_from_threads": lambda nb: _append(nb, "add_bias", _REPATCH),
        "frame_oracle": lambda nb: _append(nb, "sigmoid", _FRAME_ORACLE),
        "leaks_test_source": lambda nb: _append(nb, "add_bias", _LEAK),
        "lying_model": lambda nb: _replace(nb, "mlp", _LYING_MODEL),
    }
    for name, attack in attacks.items():
        for base_name, base in (("untouched", untouched), ("mistakes", mistakes)):
            if base_name == "mistakes" and name == "leaks_test_source":
                continue
            nb = copy.deepcopy(base)
            attack(nb)
            out[f"{name}_{base_name}"] = (_nb_file(nb), base_name)
    return out


__all__ = ["ASSIGNMENT", "KINDS", "NOTEBOOK", "TWO_PROCESS_KINDS", "corpus", "two_process_corpus", "write"]
