"""Attacks on the two-process channel, as a student who has read the grader's code would write them.

Each attack is a 02_moons submission made from the complete or the untouched example. The student's
kernel can import the grader's own student-side code (it runs there), so these notebooks patch it,
forge messages and name the grader's objects directly. tests/test_channel_corpus.py grades them with
ONE worker, each followed by a good notebook on the same grader kernel, and checks: each attack earns
what its notebook earns without the attack and no more, the good notebook after it keeps full
marks, no attack's canary reaches another student's files, and the grader saw and reported what it
refused (the tamper report).

Every attack plants a canary, CANARY_<name>, in the values it sends: another student's feedback,
graded notebook or journal row must never hold it.
"""
from __future__ import annotations

import copy

import nbformat

from autograde_corpus import _append, _cell, _in_function, _prepend  # the same edits as the main corpus

ASSIGNMENT = "02_moons"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"

# The student's handle on the channel: what any notebook can import in its own kernel.
PEER = """
from course.instructor.autograde.twoproc import student_side as _ss
def _peer():
    return _ss._CURRENT["peer"]
"""


def rebinds_grader_names(nb):
    """Breach 1: the answer to the grader's `get` changes the grader's list of names (container 1)
    and carries `__builtins__` and `np`, so that the grader would bind them: its next `import`
    would call the student's `__import__` with the grader's globals."""
    _prepend(nb, "add_bias", PEER + """
import builtins as _builtins
_seen = []
def _evil_import(name, globals=None, locals=None, fromlist=(), level=0):
    _seen.append(sorted(globals or {}) if isinstance(globals, dict) else None)
    return _builtins.__import__(name, globals, locals, fromlist, level)
_evil_builtins = dict(vars(_builtins), __import__=_evil_import, CANARY="CANARY_rebinds_grader_names")
_original_get = _ss._Server.op_get
def _op_get(self, names):
    out = _original_get(self, names)
    names.extend(["__builtins__", "np", "expect_close"])   # the grader's own list, as sent
    out.update(__builtins__=_evil_builtins, np=_builtins, expect_close=lambda *a, **k: None,
               names_back=names)
    return out
_ss._Server.op_get = _op_get
""")


def guesses_export_ids(nb):
    """Breach 2: every function of the blank notebook calls the grader's objects by guessed ids
    (they counted from 1 for a whole notebook), hoping for a stand-in an earlier test handed over."""
    _prepend(nb, "add_bias", PEER + """
def _guess(*args):
    peer = _peer()
    if peer is None:
        raise NotImplementedError
    for hid in list(range(1, 60)) + [2 ** 40, 2 ** 61]:
        try:
            return peer.request("call", _ss.GraderObject(hid, "function"), list(args), {})
        except Exception:
            continue
    raise NotImplementedError("CANARY_guesses_export_ids")
""")
    for name, args in (("add_bias", "X"), ("sigmoid", "x"), ("sigmoid_der", "X"), ("log_loss", "y, y_pred"),
                       ("log_loss_der", "y, y_pred")):
        _in_function(nb, name, name, f"return _guess({args})")
    _in_function(nb, "feed_forward", "feed_forward", "return _guess(X, weights)")
    _in_function(nb, "backprop", "backprop", "return _guess(weights, output1, output2, ytrue, X_input, LR)")
    _in_function(nb, "train", "train", "return _guess(X, y, weights, epochs, LR)")


def keeps_standins(nb):
    """Breach 2: backprop keeps the trusted add_bias that test_backprop hands over, and train calls
    it during the next test cell (a stand-in that outlived its cell). The notebook is complete, so it
    keeps every point; the stale call is refused and reported."""
    _prepend(nb, "backprop", "_kept = []\n_stale = []")
    _in_function(nb, "backprop", "backprop", "_kept.append(add_bias)")
    _in_function(nb, "train", "train", """
for _old in _kept[:1]:
    try:
        _stale.append(_old(X))
    except Exception as _error:
        _stale.append(("CANARY_keeps_standins", str(_error)))
""")


def walks_grader(nb):
    """The grader's stand-ins are walked: private and dunder attributes, a dunder keyword, an
    operation the grader does not serve, setting attributes. Complete otherwise: full marks."""
    _prepend(nb, "train", PEER + "_walked = []")
    _in_function(nb, "train", "train", """
_p = _peer()
if _p is not None and isinstance(feed_forward, _ss.GraderObject):
    for _name in ("__globals__", "__code__", "__closure__", "_secret", "__class__", "__dict__"):
        try:
            _walked.append(_p.request("getattr", feed_forward, _name))
        except Exception as _error:
            _walked.append(type(_error).__name__)
    for _method, _args in (("call", (feed_forward, [X, weights], {"__class__": "CANARY_walks_grader"})),
                           ("setattr", (feed_forward, "__code__", 1)),
                           ("list", (_ss.GraderObject(1, "object"),))):
        try:
            _walked.append(_p.request(_method, *_args))
        except Exception as _error:
            _walked.append(type(_error).__name__)
""")


def library_side_effects(nb):
    """Library functions with side effects, given as answers: the grader would take them as its own
    and call them in its (kept) kernel: sklearn.set_config(<array>) changes scikit-learn's settings
    for every later notebook, np.save writes files. Loses the two exercises it answers so, and the
    model: the notebook's own cells call its `sigmoid`, which breaks scikit-learn in its own kernel
    (as it would in one process)."""
    _append(nb, "add_bias", "add_bias = np.save")
    _append(nb, "sigmoid", "import sklearn\nsigmoid = sklearn.set_config")


def seeds_random_state(nb):
    """The student's functions set numpy's global random state on every call (it used to come back
    into the grader with every answer). Complete otherwise: full marks."""
    for name in ("add_bias", "sigmoid", "feed_forward", "backprop"):
        _in_function(nb, name, name, "np.random.seed(1234)")


def modifies_inputs_in_place(nb):
    """Not an attack: two of the catalogue's WRONG answers that change their inputs in place. The
    grader's arrays are never changed by the student's code, yet each test says what one process
    says: "modified its input in place"."""
    from autograde_support import ROOT
    from course.instructor.build import apply_change, load_mutations

    wrong = load_mutations(ROOT, ASSIGNMENT).WRONG
    for exercise, name in (("add_bias", "modifies X in place"), ("backprop", "updates the weights in place")):
        cell = _cell(nb, exercise)
        cell.source = apply_change(cell.source, wrong[exercise][name], f"{exercise}: {name}")



# --- attacks of the security review (wip/attack) ---------------------------------------------------
# A lone surrogate (U+D800) is a str Python holds and JSON escapes ("\ud800"), but UTF-8 cannot encode:
# the notebooks below write it as the escape `\ud800` inside their Python string literals.
SURROGATE = "\\ud800"

_EVERY_FUNCTION = (("add_bias", "X"), ("sigmoid", "x"), ("log_loss", "y, y_pred"), ("feed_forward", "X, weights"),
                   ("sigmoid_der", "X"), ("log_loss_der", "y, y_pred"),
                   ("backprop", "weights, output1, output2, ytrue, X_input, LR"),
                   ("train", "X, y, weights, epochs=2000, LR=0.01"))


def _replace(nb, grade_id, code):
    _cell(nb, grade_id).source = code.strip("\n") + "\n"


def surrogate_errors(nb):
    """The blank notebook's functions raise a ValueError whose message holds a lone surrogate, and
    `model` claims to be an MLPClassifier whose attributes raise the same. Every test then fails
    with the student's message in its error: if the grader's kernel could not send that error
    (UTF-8), the test cell would have no error output, and nbgrader would give it full marks
    (ipykernel drops such an error; here the kernel sends a UnicodeEncodeError instead). Nothing."""
    for name, args in _EVERY_FUNCTION:
        _replace(nb, name, f"def {name}({args}):\n    raise ValueError('CANARY_surrogate_errors {SURROGATE}')\n")
    _replace(nb, "mlp", f"""
class _NoModel:
    def __getattr__(self, name):
        raise ValueError('CANARY_surrogate_errors {SURROGATE}')


_NoModel.__module__, _NoModel.__qualname__ = "sklearn.neural_network", "MLPClassifier"
model = _NoModel()
""")


def surrogate_function_name(nb):
    """The blank notebook, each stub renamed with a lone surrogate (`add_bias.__name__`): a test's
    `call(add_bias, ...)` says "add_bias\\ud800(...) is not implemented yet", a message the grader's
    kernel may not be able to send (as surrogate_errors, with no code but a rename). Nothing."""
    for name, _ in _EVERY_FUNCTION:
        _append(nb, name, f"{name}.__name__ = {name}.__name__ + '{SURROGATE} CANARY_surrogate_function_name'")


def surrogate_in_anomaly(nb):
    """The complete notebook; its answer to the grader's `get` adds a name the test did not ask for,
    with a lone surrogate in it, which no report or feedback could hold (tamper.csv used to crash the
    run). The grader refuses such a frame: every test cell's conversation is forged, so every test
    fails (the student's own doing), the run goes on, and the refusal is in the tamper report."""
    _prepend(nb, "add_bias", PEER + f"""
_original_get = _ss._Server.op_get
def _op_get(self, names):
    out = _original_get(self, names)
    out['CANARY_surrogate_in_anomaly{SURROGATE}'] = 1
    return out
_ss._Server.op_get = _op_get
""")


def surrogate_in_notebook_file(nb):
    """The complete notebook, with a markdown cell of the student's own whose text holds a lone
    surrogate, written in the file as the JSON escape \\ud800 (valid JSON, valid UTF-8 bytes; a str
    no UTF-8 writer can write back): grading, its saved notebook and its feedback must cope. Full
    marks."""
    nb.cells.append(nbformat.v4.new_markdown_cell(f"My notes: {_RAW_SURROGATE} CANARY_surrogate_in_notebook_file"))


def deep_expression_cell(nb):
    """The complete notebook with a cell of its own holding one long sum, `1 + 1 + ... + 1` (1,000
    terms, 4 KB): the grader reads each code cell's syntax tree for its tamper scan before grading,
    and a tree that deep must not stop the grading. Full marks."""
    nb.cells.append(nbformat.v4.new_code_cell("CANARY_deep_expression_cell = " + " + ".join(["1"] * 1000)))


def deep_metadata(nb):
    """The complete notebook with a cell of its own whose metadata nests 450 levels deep (valid
    JSON, a few KB; nbformat reads it): grading must not stop on it. Full marks."""
    value: dict = {"CANARY": "CANARY_deep_metadata"}
    for _ in range(450):
        value = {"a": value}
    cell = nbformat.v4.new_markdown_cell("notes")
    cell.metadata["deep"] = value  # as a plain dict: nbformat's from_dict would recurse twice per level
    nb.cells.append(cell)


def imports_by_file_name(nb):
    """The complete notebook, submitted with a Python file named `idlelib.idle.CANARY.py`. The
    grader's tamper scan asks, for each .py file, whether the environment has a module of that
    name (importlib.util.find_spec), and find_spec imports a dotted name's parents: here idlelib's
    IDLE, in the grading worker itself, outside any sandbox (it starts a Tk window, or fails for
    want of a display). A file's name must never run code in the grader. Full marks."""


def exits_the_grader_by_file_name(nb):
    """The complete notebook, submitted with a file named `unittest.__main__.CANARY.py`: find_spec
    imports `unittest.__main__`, which runs unittest's command line in the grading worker (test
    discovery in the worker's folder) and raises SystemExit there; the worker hands the
    SystemExit to the coordinator. It must not end the run (graded in a run of its own, so that
    the other attacks' results stay readable). Full marks."""


# attacks() writes this marker as the JSON escape of a lone surrogate in the notebook's file
_RAW_SURROGATE = "@@LONE_SURROGATE@@"


def surrogate_in_audit_log(nb):
    """The blank notebook writes an event with a lone surrogate into its guard's log (the kernel's
    own reports, which the student's code can forge): the tamper report must still be written."""
    _append(nb, "add_bias", f"""
import sys as _sys
_guard = next(m for n, m in list(_sys.modules.items()) if n.endswith('autograde.guard'))
_guard._record('read outside its folder', '/CANARY_surrogate_in_audit_log/{SURROGATE}')
""")


# Frame forgery in the student's kernel: every reply the student's side sends to the grader goes
# through the functions in _FORGERS first (they may change its header and buffers), and a header
# holding "__raw__" is sent as that raw JSON text instead.
FORGE = PEER + r"""
import json as _json, struct as _struct
import numpy as _np
from course.instructor.autograde.twoproc import channel as _ch
_CALLS = []     # [method, args] of the grader's requests being served, innermost last
_FORGERS = []   # forger(method, args, header, buffers, arrays) -> (header, buffers)
_SEEN = {"cells": 0}
_original_serve_one = _ch.Peer._serve_one
def _serve_one(self, header, buffers):
    _CALLS.append([header.get("q"), None])
    try:
        return _original_serve_one(self, header, buffers)
    finally:
        _CALLS.pop()
_original_server_call = _ss._Server.__call__
def _server_call(self, method, args):
    if _CALLS:
        _CALLS[-1][1] = args
    return _original_server_call(self, method, args)
_original_reply_frame = _ch.Peer._reply_frame
def _reply_frame(self, header, result, arrays, with_payload=True):
    header, buffers = _original_reply_frame(self, header, result, arrays, with_payload)
    if _CALLS and not self.grader:
        method, args = _CALLS[-1]
        for _forger in list(_FORGERS):
            header, buffers = _forger(method, args, header, buffers, arrays)
        header["b"] = [memoryview(b).nbytes for b in buffers]
    return header, buffers
_original_send_frame = _ch.send_frame
def _send_frame(sock, header, buffers):
    raw = header.pop("__raw__", None) if isinstance(header, dict) else None
    if raw is None:
        return _original_send_frame(sock, header, buffers)
    head = raw.encode()
    body = b"".join(bytes(memoryview(b).cast("B")) for b in buffers)
    sock.sendall(_struct.pack(">QI", 4 + len(head) + len(body), len(head)) + head + body)
_original_serve = _ss.serve
def _counting_serve(path, token=None, timeout=None):
    _SEEN["cells"] += 1
    _SEEN["path"], _SEEN["token"] = path, token
    return _original_serve(path, token, timeout)
_ch.Peer._serve_one = _serve_one
_ss._Server.__call__ = _server_call
_ch.Peer._reply_frame = _reply_frame
_ch.send_frame = _send_frame
_ss.serve = _counting_serve
def _called(args):
    '''The __name__ of what a `call` request calls, or None.'''
    try:
        return getattr(args[0], "__name__", None)
    except Exception:
        return None
def _once(forger):
    '''A forger that acts on the first reply it changes, then retires.'''
    def wrapped(method, args, header, buffers, arrays):
        out = forger(method, args, header, buffers, arrays)
        if out is not None:
            _FORGERS.remove(wrapped)
            return out
        return header, buffers
    _FORGERS.append(wrapped)
    return wrapped
"""


def forged_reference_ids(nb):
    """Values that name the grader's objects or handles with ids of the wrong type: a string, a
    float, True, a number past 64 bits, a list; and a container number that is not an int. Each
    rides in an extra name of the answer to the grader's `get` (the first ones of four test cells);
    each breaks that test's channel and costs that test, and is reported."""
    _prepend(nb, "add_bias", FORGE + """
_ODD = {"test 1": {"R": "CANARY_forged_reference_ids"}, "test 2": {"H": True, "k": "object"},
        "test 3": {"L": [1, 2], "X": 1.5}, "test 4": {"R": 2 ** 70}}
def _odd_ids(method, args, header, buffers, arrays):
    if method != "get" or not isinstance(header.get("v"), dict):
        return None
    odd = _ODD.get(f"test {_SEEN['cells']}")
    if odd is None:
        return None
    header["v"]["D"].append(["extra", odd])
    return header, buffers
_FORGERS.append(lambda *a: _odd_ids(*a) or a[2:4])
""")


def odd_error_replies(nb):
    """The student's side answers the first call of four tests with a forged error: an error that
    is a string, an AssertionError saying all is well, odd types for its type and message with a
    `g` naming SystemExit, and KeyboardInterrupt's name with a `g` naming a library exception that
    cannot be built from a message. Each costs its test only (an error is an error), nothing is
    raised in the grader that it does not rebuild on purpose."""
    _prepend(nb, "add_bias", FORGE + """
_ERRORS = {"add_bias": {"t": "KeyboardInterrupt", "m": "CANARY_odd_error_replies",
                        "g": ["scipy.sparse.linalg", "ArpackNoConvergence"]},
           "log_loss": {"t": "AssertionError", "m": "All checks passed (CANARY_odd_error_replies)"},
           "sigmoid_der": "CANARY_odd_error_replies",
           "log_loss_der": {"t": ["list"], "m": {"D": []}, "g": ["builtins", "SystemExit"]}}
def _odd_error(method, args, header, buffers, arrays):
    name = _called(args) if method == "call" else None
    if name not in _ERRORS:
        return header, buffers
    error = _ERRORS.pop(name)
    header = {"r": header["r"], "e": error}
    return header, []
_FORGERS.append(_odd_error)
""")


def inplace_update_bomb(nb):
    """The answer to test_add_bias's first call says, 20,000 times over, that the array it was sent
    changed in place, each time with the same 1 MB buffer: the grader decodes each into a fresh
    copy (20 GB). It must cost that test only."""
    _prepend(nb, "add_bias", FORGE + """
def _bomb(method, args, header, buffers, arrays):
    if method != "call" or _called(args) != "add_bias" or not arrays:
        return None
    index = next(iter(arrays))
    buffers = list(buffers) + [_np.zeros(1 << 17).view(_np.uint8)]
    big = {"A": len(buffers) - 1, "dt": "<f8", "sh": [1 << 17]}
    header["c"] = list(header.get("c") or []) + [[index, big]] * 20000 + [["CANARY_inplace_update_bomb", big]]
    return header, buffers
_once(_bomb)
""")


def handle_flood(nb):
    """The answer to test_add_bias's `get` adds a name the test did not ask for, holding 200,000
    handles of objects of 200,000 different class names: the grader builds a handle and a class
    for each before it drops the name. Full marks; reported; the next notebook unharmed (its
    points; the grader's kernel keeps about 220 MB more resident after its reset, measured)."""
    _prepend(nb, "add_bias", FORGE + """
def _flood(method, args, header, buffers, arrays):
    if method != "get":
        return None
    many = [{"H": 10 ** 12 + i, "k": "object", "t": ["__main__", f"CANARY_handle_flood_{i}"]} for i in range(200000)]
    header["v"]["D"].append(["flood", many])
    return header, buffers
_once(_flood)
""")


def deep_and_wide_values(nb):
    """Extra names in the answers to `get`: in test_add_bias, values as deep as the channel allows
    (lists, tuples and dicts, 60 levels) and a dict of 100,000 keys (full marks); in test_sigmoid, a
    value 100,000 levels deep, written as raw JSON (the grader's JSON parser must refuse it without
    harm: test_sigmoid is lost)."""
    _prepend(nb, "add_bias", FORGE + """
def _deep(method, args, header, buffers, arrays):
    if method != "get":
        return None
    if _SEEN["cells"] == 1:
        value = "CANARY_deep_and_wide_values"
        for level in range(60):
            value = [value] if level % 3 == 0 else {"T": [value]} if level % 3 == 1 else {"D": [[level, value]]}
        header["v"]["D"].append(["deep", value])
        header["v"]["D"].append(["wide", {"D": [[i, i] for i in range(100000)]}])
        return header, buffers
    if _SEEN["cells"] == 2:
        header["b"] = [memoryview(b).nbytes for b in buffers]
        text = _json.dumps(header, separators=(",", ":"))
        deep = "[" * 100000 + '"CANARY_deep_and_wide_values"' + "]" * 100000
        header["__raw__"] = text[:-1] + ',"deep":' + deep + "}"
        return header, buffers
    return None
_FORGERS.append(lambda *a: _deep(*a) or a[2:4])
""")


def forged_random_state(nb):
    """Every answer and every call-back of the student's side carries a random state ("rs", numpy's
    state for seed 0), as the grader's requests do: the grader must never take it. The notebook
    also seeds its own generator on every call. Full marks."""
    _prepend(nb, "add_bias", FORGE + """
_state = _np.random.RandomState(0).get_state()
_RS = [_state[1], _state[2], _state[3], _state[4]]
def _with_state(method, args, header, buffers, arrays):
    buffers = list(buffers) + [_RS[0].astype("<u4").view(_np.uint8)]
    header["rs"] = {"T": [{"A": len(buffers) - 1, "dt": "<u4", "sh": [624]}, _RS[1], _RS[2], _RS[3]]}
    return header, buffers
_FORGERS.append(_with_state)
_original_send = _ch.Peer._send
def _send(self, header, payload=None, with_payload=False, sync=False):
    if not self.grader and "q" in header:
        header["rs"] = {"T": [list(map(int, _RS[0])), _RS[1], _RS[2], _RS[3]]}
    return _original_send(self, header, payload, with_payload, sync)
_ch.Peer._send = _send
""")
    for name in ("add_bias", "sigmoid", "log_loss"):
        _in_function(nb, name, name, "np.random.seed(0)")


def reply_id_confusion(nb):
    """Answers that do not answer: to test_log_loss's first call, a reply to another request id; to
    test_sigmoid_der's, a reply that is also a request; to test_log_loss_der's, a greeting. Each
    costs its test only. To test_backprop's, a right answer in a frame of 5,000,000 empty buffers
    (a frame that adds up: the grader may take it, and test_backprop keeps its points)."""
    _prepend(nb, "add_bias", FORGE + """
def _confuse(method, args, header, buffers, arrays):
    name = _called(args) if method == "call" else None
    if name == "log_loss":
        header["r"] = header["r"] + 1000
    elif name == "sigmoid_der":
        header.update(q="getattr", i=77)
    elif name == "log_loss_der":
        header = {"hello": True, "t": "CANARY_reply_id_confusion"}
        buffers = []
    elif name == "backprop":
        header["b"] = [memoryview(b).nbytes for b in buffers] + [0] * 5000000
        text = _json.dumps(header, separators=(",", ":"))
        header["__raw__"] = text
    else:
        return None
    return header, buffers
_CONFUSED = set()
def _confuse_once(method, args, header, buffers, arrays):
    name = _called(args) if method == "call" else None
    if name in _CONFUSED:
        return header, buffers
    out = _confuse(method, args, header, buffers, arrays)
    if out is None:
        return header, buffers
    _CONFUSED.add(name)
    return out
_FORGERS.append(_confuse_once)
""")


def unasked_odd_keys(nb):
    """The answer to every `get` holds names of every odd kind the test did not ask for: numbers,
    None, a tuple, NaN, the empty string, `__builtins__`, `__import__`, `np`, `expect_close`,
    `use_trusted`. None may be bound in the grader. Full marks; reported."""
    _prepend(nb, "add_bias", FORGE + """
def _odd_keys(method, args, header, buffers, arrays):
    if method == "get" and isinstance(header.get("v"), dict):
        header["v"]["D"] += [[1, "CANARY_unasked_odd_keys"], [None, 2], [{"T": [1, "a"]}, 3], [float("nan"), 4],
                             ["", 5], ["__builtins__", {"M": "builtins"}], ["__import__", 6], ["np", {"M": "math"}],
                             ["expect_close", {"H": 0, "G": ["builtins", "print"], "k": "callable"}],
                             ["use_trusted", 7], [True, 8], [{"C": [1, 2]}, 9]]
    return header, buffers
_FORGERS.append(_odd_keys)
""")


def library_classes_as_answers(nb):
    """The blank notebook answers with library objects the grader resolves to its own: classes of
    scipy.io that open files (FortranFile, netcdf_file), numpy's empty_like (uninitialized memory),
    a warnings context (numpy.testing.suppress_warnings), numpy's DataSource Repository, joblib's
    Parallel, RandomState, map, dict as make_moons, a file class as the model. Nothing earns a point
    and nothing is opened or changed in the grader."""
    _replace(nb, "add_bias", "import scipy.io\nadd_bias = scipy.io.FortranFile  # CANARY_library_classes_as_answers")
    _replace(nb, "sigmoid", "sigmoid = np.empty_like")
    _replace(nb, "log_loss", "log_loss = scipy.io.netcdf_file")
    _replace(nb, "feed_forward", "import numpy.testing\nfeed_forward = numpy.testing.suppress_warnings")
    _replace(nb, "sigmoid_der", "import numpy.lib._datasource\nsigmoid_der = numpy.lib._datasource.Repository")
    _replace(nb, "log_loss_der", "from sklearn.utils.parallel import Parallel\nlog_loss_der = Parallel")
    _replace(nb, "backprop", "backprop = np.random.RandomState")
    _replace(nb, "train", "train = map\nmake_moons = dict")
    _replace(nb, "mlp", "model = scipy.io.FortranFile")


def claims_library_types(nb):
    """The blank notebook returns objects whose class claims to be a library's (tuple, list,
    numpy.ndarray, float, MLPClassifier) and answers len, indexing and attributes with what the
    checks look at first (two items, shapes), and garbage values. Nothing earns a point."""
    _prepend(nb, "add_bias", """
class _Pretender:
    shape = (5, 3)
    def __len__(self):
        return 2
    def __getitem__(self, index):
        return _Pretender()
    def __iter__(self):
        return iter([_Pretender(), _Pretender()])
    def __array__(self, dtype=None, copy=None):
        return np.full((5, 3), 7.0)
    def round(self, *args):
        return self
    def __float__(self):
        return 7.0
    def __repr__(self):
        return "CANARY_claims_library_types"


def _pretend(module, name):
    cls = type(name, (_Pretender,), {})
    cls.__module__, cls.__qualname__ = module, name
    return cls()
""")
    claims = {"add_bias": ("numpy", "ndarray"), "sigmoid": ("numpy", "ndarray"), "log_loss": ("builtins", "float"),
              "feed_forward": ("builtins", "tuple"), "sigmoid_der": ("numpy", "ndarray"),
              "log_loss_der": ("builtins", "list"), "backprop": ("builtins", "tuple"), "train": ("builtins", "list")}
    for (name, args) in _EVERY_FUNCTION:
        module, cls = claims[name]
        _replace(nb, name, ("" if name != "add_bias" else _cell(nb, "add_bias").source)
                 + f"\ndef {name}({args}):\n    return _pretend({module!r}, {cls!r})\n")
    _replace(nb, "mlp", """
model = _pretend("sklearn.neural_network", "MLPClassifier")
model.hidden_layer_sizes, model.activation, model.n_features_in_ = (4,), "logistic", 2
model.coefs_ = [np.zeros((2, 4)), np.zeros((4, 1))]
model.intercepts_ = [np.zeros(4), np.zeros(1)]
model.score = lambda X, y: 1.0
""")


def wrong_typed_answers(nb):
    """The blank notebook returns objects, and its side answers the grader's questions on them with
    the wrong types: len -5 or 10**30, bool "yes", float 1, int 2.5, an index of 2**100, repr a
    list, array a dict, isinstance "True", names as numbers. Nothing earns a point."""
    _prepend(nb, "add_bias", FORGE + """
class _Odd:
    pass
_ANSWERS = {"len": -5, "bool": "yes", "float": 1, "int": 2.5, "index": 2 ** 100, "repr": ["CANARY_wrong_typed_answers"],
            "str": {"D": []}, "array": {"D": [["a", 1]]}, "isinstance": "True", "getattr": 10 ** 30, "iter": None,
            "next": [True], "contains": "yes", "signature": 5}
_LENGTHS = iter([10 ** 30, -5] * 1000)
def _wrong(method, args, header, buffers, arrays):
    if method in _ANSWERS and "e" not in header:
        value = _ANSWERS[method] if method != "len" else next(_LENGTHS)
        header = {"r": header["r"], "v": value}
        buffers = []
    return header, buffers
_FORGERS.append(_wrong)
""")
    for name, args in _EVERY_FUNCTION:
        _replace(nb, name, ("" if name != "add_bias" else _cell(nb, "add_bias").source)
                 + f"\ndef {name}({args}):\n    return _Odd()\n")
    _replace(nb, "mlp", "model = _Odd()\nMLPClassifier = _Odd")


def stalls_get(nb, canary="CANARY_stalls_get"):
    """The student's side greets test_add_bias's connection and then answers nothing (it sleeps):
    the grader gives up on that test and goes on; the later tests are served as usual (a file in
    the notebook's folder says it stalled once: the kernel restarted after the stall re-runs the
    cell that patches `serve`)."""
    _prepend(nb, "add_bias", PEER + """
import os as _os, socket as _socket, time as _time
_original_serve = _ss.serve
def _stalling_serve(path, token=None, timeout=None):
    if _os.path.exists("stalled.txt"):  # once: the kernel restarted after the stall re-runs this cell
        return _original_serve(path, token, timeout)
    with open("stalled.txt", "w") as fh:
        fh.write(path)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.connect(path)
    peer = _ss.make_peer(sock, _ss._Server())
    peer.hello(token)
    try:
        _time.sleep(300)  # CANARY
    finally:
        sock.close()
_ss.serve = _stalling_serve
""".replace("CANARY", canary))


def starves_grader_restart(nb):
    """stalls_get, and while the grader waits for the stalled test (then restarts its kernel), 80
    threads of the student's kernel keep both cores busy (hashing, which runs without the GIL; for
    at most 200 s). A grader kernel that cannot start because of what the student's kernel does is
    the student's doing: never a FAILED line (the grader's fault), at most that test lost."""
    stalls_get(nb, "CANARY_starves_grader_restart")
    _append(nb, "add_bias", """
import hashlib as _hashlib, threading as _threading
def _spin(until):
    block = b"CANARY_starves_grader_restart" * 100000
    while _time.time() < until:
        _hashlib.sha256(block).digest()
def _starving_serve(path, token=None, timeout=None):
    if not _os.path.exists("stalled.txt"):
        until = _time.time() + 200
        for _ in range(80):
            _threading.Thread(target=_spin, args=(until,), daemon=True).start()
    return _stalling_serve(path, token, timeout)
_ss.serve = _starving_serve
""")


def queues_stale_connections(nb):
    """Between two tests the student's kernel opens two connections to the grader's socket (its
    path read from the serve call) that greet with no token and then send half a frame, and keeps
    them open; its last cell does the same, so they wait in the grader's queue for the next
    notebook. Full marks, and the next notebook's too."""
    _prepend(nb, "add_bias", FORGE)
    stale = """
import socket as _socket
_STALE = []
def _stale_connections(count=2):
    for _ in range(count):
        try:
            sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            sock.settimeout(2)
            sock.connect(_SEEN["path"])
            if len(_STALE) % 2:  # a greeting with a token that is not this cell's
                head = _json.dumps({"hello": True, "t": "CANARY_queues_stale_connections", "b": []}).encode()
                sock.sendall(_struct.pack(">QI", 4 + len(head), len(head)) + head)
            sock.sendall(_struct.pack(">QI", 400 << 20, 100) + b"{")  # half a frame: the rest never comes
            _STALE.append(sock)
        except OSError as error:
            _STALE.append(repr(error))
_stale_connections()
"""
    _append(nb, "sigmoid", stale)
    _append(nb, "mlp", "_stale_connections()")


def mutual_recursion(nb):
    """train (in test_train) first calls the grader's feed_forward stand-in with an object whose
    conversion to an array calls that stand-in again, and so on: the recursion runs across the two
    processes until one side's stack gives out. Then train does its job: full marks."""
    _prepend(nb, "train", """
class _Recursive:
    depth = 0
    def __array__(self, dtype=None, copy=None):
        _Recursive.depth += 1
        feed_forward(_Recursive(), [np.ones((3, 2)), np.ones((3, 1))])  # CANARY_mutual_recursion
        return np.ones((1, 3))
""")
    _in_function(nb, "train", "train", """
try:
    feed_forward(_Recursive(), [np.ones((3, 2)), np.ones((3, 1))])
except BaseException as _error:
    _recursion_error = repr(_error)[:200]
""")


def modules_as_arguments(nb):
    """train (in test_train) calls the grader's stand-ins with modules, library classes and
    functions as arguments (numpy, builtins, math, numpy.ndarray, print, exec), catching what they
    raise, then does its job: full marks, and the grader's modules unchanged."""
    _prepend(nb, "train", "import builtins as _builtins, math as _math")
    _in_function(nb, "train", "train", """
for _args in [(np, [np, np]), (_builtins, [_math, np.ndarray]), (np.ndarray, [print, exec]),
              (X, [np.random, _builtins]), (np.zeros, [np.ones, np.empty])]:
    try:
        feed_forward(*_args)
    except BaseException:
        pass
    try:
        log_loss(*_args)
    except BaseException:
        pass
    try:
        add_bias(_args[0])
    except BaseException:
        pass
""")


def grader_cpu_burn(nb):
    """train (in test_train) hands the grader's backprop stand-in (a numerical gradient) weights of
    600x600: the grader computes for longer than the cell may run, and is interrupted. Costs
    test_train only; the next notebook is graded as usual."""
    _in_function(nb, "train", "train", """
if len(X) < 100:  # the test's call, not the notebook's own training
    for _ in range(5):
        try:
            backprop([np.ones((600, 600)), np.ones((601, 1))], np.ones((1, 600)), np.ones((1, 1)), np.ones((1, 1)),
                     np.ones((1, 600)), 0.1)  # CANARY_grader_cpu_burn
        except BaseException:
            pass
""")


def hidden_expected_in_message(nb):
    """sigmoid is right on the visible inputs and wrong on every other: test_sigmoid fails on its
    first hidden check, whose message quotes that check's expected values (hidden) in the
    feedback."""
    _in_function(nb, "sigmoid", "sigmoid", """
if np.shape(x) == (3, 2):
    return np.zeros((3, 2))  # CANARY_hidden_expected_in_message
""")


def container_games(nb):
    """add_bias answers correctly, but its reply says the array it was given changed in place (a
    change it did not make: that test is lost, as "modified its input in place"); feed_forward's
    answer is a list that claims to be a container the grader never sent (its value is right: the
    test keeps its points); the `get` of test_sigmoid returns container numbers past any sent."""
    _prepend(nb, "add_bias", FORGE + """
def _containers(method, args, header, buffers, arrays):
    name = _called(args) if method == "call" else None
    if name == "add_bias" and arrays:
        index = next(iter(arrays))
        array, raw = arrays[index]
        buffers = list(buffers) + [_np.frombuffer(bytes(raw), dtype=_np.uint8)]
        header["c"] = [[index, {"A": len(buffers) - 1, "dt": array.dtype.str, "sh": list(array.shape)}]]
    elif name == "feed_forward" and isinstance(header.get("v"), dict) and "T" in header["v"]:
        header["v"] = {"L": header["v"]["T"], "X": 99999}
    elif method == "get" and _SEEN["cells"] == 2:
        header["v"]["D"].append(["extra", {"L": ["CANARY_container_games"], "X": 12345}])
        header["v"]["D"].append(["extra2", {"D": [], "X": 1}])
    return header, buffers
_FORGERS.append(_containers)
""")


def late_callbacks_in_unbind(nb):
    """When the grader ends test_train (it unbinds the stand-ins), the student's side, asked to
    unbind, first calls the feed_forward stand-in again (still valid: right answer, nothing
    gained) and a stand-in kept from test_backprop (expired: refused and reported). Full marks."""
    _prepend(nb, "backprop", PEER + "_KEPT = []")
    _in_function(nb, "backprop", "backprop", "_KEPT.append(feed_forward)")
    _append(nb, "train", """
_original_unbind = _ss._Server.op_unbind
_late = []
def _op_unbind(self, names):
    if "feed_forward" in names:
        try:
            _late.append(feed_forward(np.ones((2, 3)), [np.ones((3, 2)), np.ones((3, 1))]))
        except BaseException as error:
            _late.append(repr(error))
        for old in _KEPT[:1]:
            try:
                _late.append(old(np.ones((2, 3)), [np.ones((3, 2)), np.ones((3, 1))]))
            except BaseException as error:
                _late.append(("CANARY_late_callbacks_in_unbind", repr(error)))
    return _original_unbind(self, names)
_ss._Server.op_unbind = _op_unbind
""")


def nan_inf_answers(nb):
    """The blank notebook answers with NaN, infinities, -0.0, complex and bool arrays, float16 and
    longdouble, integers of 4,000 digits, and arrays of size 0 with huge dimensions (forged dtypes
    and shapes, as raw JSON). Nothing earns a point."""
    _prepend(nb, "add_bias", FORGE + """
_WEIRD = iter([
    {"A": 0, "dt": "<f8", "sh": [0, 2 ** 62]},
    {"A": 0, "dt": "<c16", "sh": [0]},
    int("9" * 4000),
    {"A": 0, "dt": "|b1", "sh": [0, 0, 4611686018427387904]},
] * 50)
def _weird(method, args, header, buffers, arrays):
    if method == "call" and "e" not in header and _called(args) in ("sigmoid", "log_loss_der", "train"):
        header = {"r": header["r"], "v": next(_WEIRD, None)}
        buffers = [b""]
    return header, buffers
_FORGERS.append(_weird)
""")
    values = {"add_bias": "np.full((5, 3), np.nan)", "sigmoid": "np.array([np.inf, -np.inf, np.nan, -0.0, 1e308])",
              "log_loss": "np.ones(4, dtype=complex) * 1j", "feed_forward": "(np.float16(1), np.longdouble(2))",
              "sigmoid_der": "np.ones((2, 3), dtype=bool)", "log_loss_der": "int('7' * 4000)",
              "backprop": "(np.full((3, 4), np.inf), np.full((5, 1), -np.inf))", "train": "([np.nan, np.nan], [np.nan])"}
    for name, args in _EVERY_FUNCTION:
        _replace(nb, name, ("" if name != "add_bias" else _cell(nb, "add_bias").source)
                 + f"\ndef {name}({args}):\n    return {values[name]}\n")


def unserved_requests(nb):
    """log_loss_der (in its test) sends the grader requests it does not serve, or with arguments of
    the wrong shape: `get`, `bind`, `new`, `call` with a tuple of arguments, `setattr` of a
    dunder. The first breaks that test's channel (reported); the other tests keep their points."""
    _prepend(nb, "log_loss_der", PEER)
    _in_function(nb, "log_loss_der", "log_loss_der", """
_p = _peer()
if _p is not None and isinstance(log_loss, _ss.GraderObject):
    for _method, _args in (("get", (["np", "expect_close", "CANARY_unserved_requests"],)),
                           ("bind", ({"np": 1},)), ("new", (log_loss, [])),
                           ("call", (log_loss, (y, y_pred), {})), ("setattr", (log_loss, "__code__", 1))):
        try:
            _p.request(_method, *_args)
        except BaseException:
            pass
""")


def anomaly_quota_flood(nb):
    """add_bias (in its test) first names 60 objects of the grader's that were never handed over,
    each one refused and one line of the tamper report, so the notebook's quota of reported
    refusals (50) is used up before test_train, where train then guesses the grader's object ids.
    Full marks; the report must still name the attack."""
    _prepend(nb, "add_bias", PEER)
    _in_function(nb, "add_bias", "add_bias", """
_p = _peer()
if _p is not None:
    for _hid in range(60):
        try:
            _p.request("call", _ss.GraderObject(10 ** 9 + _hid, "function"), ["CANARY_anomaly_quota_flood"], {})
        except BaseException:
            pass
""")
    _in_function(nb, "train", "train", """
_p = _peer()
if _p is not None:
    for _hid in range(1, 200):
        try:
            _p.request("call", _ss.GraderObject(_hid, "function"), [X, weights], {})
        except BaseException:
            pass
""")


def odd_keywords(nb):
    """train (in test_train) calls the grader's feed_forward stand-in with keyword arguments of
    every odd kind: a number, a name with a space, a non-ASCII name, a name of 10,000 letters,
    `self`, a NUL byte, a private name, a dunder, and X again by keyword. Each is refused or fails
    there (what is refused is reported); then train does its job: full marks."""
    _prepend(nb, "train", PEER)
    _in_function(nb, "train", "train", """
_p = _peer()
if _p is not None and isinstance(feed_forward, _ss.GraderObject):
    for _kwargs in ({1: 2}, {"X ": 1}, {"\\u00e9t\\u00e9": 1}, {"a" * 10000: 1}, {"self": 1},
                    {"weights\\x00": 1}, {"_secret": 1}, {"__dict__": {}}, {"X": X},
                    {"CANARY_odd_keywords": 1}):
        try:
            _p.request("call", feed_forward, [X, weights], _kwargs)
        except BaseException:
            pass
""")


def serve_returns_early(nb):
    """For test_sigmoid the student's side answers the grader's `get` and then hangs up (its
    serve returns at once): the grader may interrupt its own kernel while the test starts. Costs
    test_sigmoid only."""
    _prepend(nb, "add_bias", PEER + """
import socket as _socket
_original_serve = _ss.serve
_served = {"n": 0}
def _early_serve(path, token=None, timeout=None):
    _served["n"] += 1
    if _served["n"] != 2:
        return _original_serve(path, token, timeout)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.connect(path)
    peer = _ss.make_peer(sock, _ss._Server())
    peer.hello(token)
    header, buffers = peer._receive(30)
    peer._serve_one(header, buffers)  # the names: CANARY_serve_returns_early
    sock.close()
_ss.serve = _early_serve
""")


# name -> (change, base ("complete" or "untouched"), test cells lost compared with the base)
ATTACKS = {
    "rebinds_grader_names": (rebinds_grader_names, "untouched", set()),
    "guesses_export_ids": (guesses_export_ids, "untouched", set()),
    "keeps_standins": (keeps_standins, "complete", set()),
    "walks_grader": (walks_grader, "complete", set()),
    "library_side_effects": (library_side_effects, "complete", {"test_add_bias", "test_sigmoid", "test_mlp"}),
    "seeds_random_state": (seeds_random_state, "complete", set()),
    "modifies_inputs_in_place": (modifies_inputs_in_place, "complete", {"test_add_bias", "test_backprop"}),
    "surrogate_errors": (surrogate_errors, "untouched", set()),
    "surrogate_function_name": (surrogate_function_name, "untouched", set()),
    "surrogate_in_anomaly": (surrogate_in_anomaly, "complete", {"test_add_bias", "test_sigmoid", "test_log_loss",
                                                                "test_feed_forward", "test_sigmoid_der",
                                                                "test_log_loss_der", "test_backprop", "test_train",
                                                                "test_mlp"}),
    "surrogate_in_audit_log": (surrogate_in_audit_log, "untouched", set()),
    "surrogate_in_notebook_file": (surrogate_in_notebook_file, "complete", set()),
    "deep_expression_cell": (deep_expression_cell, "complete", set()),
    "deep_metadata": (deep_metadata, "complete", set()),
    "imports_by_file_name": (imports_by_file_name, "complete", set()),
    "forged_reference_ids": (forged_reference_ids, "complete",
                             {"test_add_bias", "test_sigmoid", "test_log_loss", "test_feed_forward"}),
    "odd_error_replies": (odd_error_replies, "complete",
                          {"test_add_bias", "test_log_loss", "test_sigmoid_der", "test_log_loss_der"}),
    "inplace_update_bomb": (inplace_update_bomb, "complete", {"test_add_bias"}),
    "handle_flood": (handle_flood, "complete", set()),
    "deep_and_wide_values": (deep_and_wide_values, "complete", {"test_sigmoid"}),
    "forged_random_state": (forged_random_state, "complete", set()),
    "reply_id_confusion": (reply_id_confusion, "complete", {"test_log_loss", "test_sigmoid_der", "test_log_loss_der"}),
    "unasked_odd_keys": (unasked_odd_keys, "complete", set()),
    "library_classes_as_answers": (library_classes_as_answers, "untouched", set()),
    "claims_library_types": (claims_library_types, "untouched", set()),
    "wrong_typed_answers": (wrong_typed_answers, "untouched", set()),
    "stalls_get": (stalls_get, "complete", {"test_add_bias"}),
    "starves_grader_restart": (starves_grader_restart, "complete", {"test_add_bias"}),
    "queues_stale_connections": (queues_stale_connections, "complete", set()),
    "mutual_recursion": (mutual_recursion, "complete", set()),
    "modules_as_arguments": (modules_as_arguments, "complete", set()),
    "grader_cpu_burn": (grader_cpu_burn, "complete", {"test_train"}),
    "hidden_expected_in_message": (hidden_expected_in_message, "complete", {"test_sigmoid"}),
    "container_games": (container_games, "complete", {"test_add_bias"}),
    "late_callbacks_in_unbind": (late_callbacks_in_unbind, "complete", set()),
    "nan_inf_answers": (nan_inf_answers, "untouched", set()),
    "unserved_requests": (unserved_requests, "complete", {"test_log_loss_der"}),
    "anomaly_quota_flood": (anomaly_quota_flood, "complete", set()),
    "odd_keywords": (odd_keywords, "complete", set()),
    "serve_returns_early": (serve_returns_early, "complete", {"test_sigmoid"}),
    # graded in a run of its own (SEPARATE_RUN)
    "exits_the_grader_by_file_name": (exits_the_grader_by_file_name, "complete", set()),
}
# Attacks graded in a run of their own (each with its good notebook): what they do to a run must
# not hide the other attacks' results.
SEPARATE_RUN = ("exits_the_grader_by_file_name",)
# Files submitted next to the notebook: {attack: {file name: text}}.
EXTRA_FILES = {
    "imports_by_file_name": {"idlelib.idle.CANARY_imports_by_file_name.py": "print('never imported')\n"},
    "exits_the_grader_by_file_name": {"unittest.__main__.CANARY_exits_the_grader_by_file_name.py": "x = 1\n"},
}
# What the student reads in the feedback of each (a phrase of a failed test's message).
MESSAGES = {"modifies_inputs_in_place": "modified its input in place",
            "container_games": "modified its input in place"}
# Library code that must never run in the grader's kernel for these attacks: the file of its frames
# in the tracebacks of the grader's test cells (the instructor's graded notebook keeps them).
NEVER_RUN_IN_GRADER = {"library_classes_as_answers": ["scipy/io/", "numpy/testing/_private/utils.py",
                                                      "joblib/parallel.py"]}
# Values of hidden checks that must not reach the attacker's feedback or journal row (as the
# grader's messages print them: six significant digits).
HIDDEN_VALUES = {"hidden_expected_in_message": ["0.377541", "0.952574", "0.182426", "0.562177", "0.997527"]}
# What the grader must have seen and reported (tamper report kinds) for each attack.
REPORTED = {
    "rebinds_grader_names": "sent the grader's tests what they did not ask for",
    "guesses_export_ids": "sent the grader's tests what they did not ask for",
    "keeps_standins": "sent the grader's tests what they did not ask for",
    "walks_grader": "sent the grader's tests what they did not ask for",
    "surrogate_in_anomaly": "sent the grader's tests what they did not ask for",
    "forged_reference_ids": "sent the grader's tests what they did not ask for",
    "odd_error_replies": "sent the grader's tests what they did not ask for",
    "handle_flood": "sent the grader's tests what they did not ask for",
    "deep_and_wide_values": "sent the grader's tests what they did not ask for",
    "reply_id_confusion": "sent the grader's tests what they did not ask for",
    "unasked_odd_keys": "sent the grader's tests what they did not ask for",
    "container_games": "sent the grader's tests what they did not ask for",
    "late_callbacks_in_unbind": "sent the grader's tests what they did not ask for",
    "unserved_requests": "sent the grader's tests what they did not ask for",
    "anomaly_quota_flood": "sent the grader's tests what they did not ask for",
    "odd_keywords": "sent the grader's tests what they did not ask for",
}


def attacks(complete, untouched) -> dict[str, str]:
    """{attack name: notebook text}."""
    bases = {"complete": complete, "untouched": untouched}
    out = {}
    for name, (change, base, _) in ATTACKS.items():
        nb = copy.deepcopy(bases[base])
        change(nb)
        out[name] = nbformat.writes(nb).replace(_RAW_SURROGATE, "\\ud800")
    return out
