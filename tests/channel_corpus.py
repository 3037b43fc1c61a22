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

ASSIGNMENT = "02_moons"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"

# The student's handle on the channel: what any notebook can import in its own kernel.
PEER = """
from course.instructor.autograde.twoproc import student_side as _ss
def _peer():
    return _ss._CURRENT["peer"]
"""


def _cell(nb, grade_id):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


def _append(nb, grade_id, code):
    cell = _cell(nb, grade_id)
    cell.source = cell.source.rstrip("\n") + "\n" + code.strip("\n") + "\n"


def _prepend(nb, grade_id, code):
    cell = _cell(nb, grade_id)
    cell.source = code.strip("\n") + "\n" + cell.source


def _in_function(nb, grade_id, function, code):
    """`code` as the first statements of `function` in the solution cell (after its docstring)."""
    cell = _cell(nb, grade_id)
    start = cell.source.index(f"def {function}(")
    colon = cell.source.index(":\n", start) + 2
    body = "".join(f"    {line}\n" for line in code.strip("\n").splitlines())
    rest = cell.source[colon:]
    if rest.lstrip().startswith('"""'):
        end = rest.index('"""', rest.index('"""') + 3) + 3
        newline = rest.index("\n", end) + 1
        cell.source = cell.source[:colon] + rest[:newline] + body + rest[newline:]
    else:
        cell.source = cell.source[:colon] + body + rest


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


# name -> (change, base ("complete" or "untouched"), test cells lost compared with the base)
ATTACKS = {
    "rebinds_grader_names": (rebinds_grader_names, "untouched", set()),
    "guesses_export_ids": (guesses_export_ids, "untouched", set()),
    "keeps_standins": (keeps_standins, "complete", set()),
    "walks_grader": (walks_grader, "complete", set()),
    "library_side_effects": (library_side_effects, "complete", {"test_add_bias", "test_sigmoid", "test_mlp"}),
    "seeds_random_state": (seeds_random_state, "complete", set()),
    "modifies_inputs_in_place": (modifies_inputs_in_place, "complete", {"test_add_bias", "test_backprop"}),
}
# What the student reads in the feedback of each (a phrase of a failed test's message).
MESSAGES = {"modifies_inputs_in_place": "modified its input in place"}
# What the grader must have seen and reported (tamper report kinds) for each attack.
REPORTED = {
    "rebinds_grader_names": "sent the grader's tests what they did not ask for",
    "guesses_export_ids": "sent the grader's tests what they did not ask for",
    "keeps_standins": "sent the grader's tests what they did not ask for",
    "walks_grader": "sent the grader's tests what they did not ask for",
}


def attacks(complete, untouched) -> dict[str, str]:
    """{attack name: notebook text}."""
    bases = {"complete": complete, "untouched": untouched}
    out = {}
    for name, (change, base, _) in ATTACKS.items():
        nb = copy.deepcopy(bases[base])
        change(nb)
        out[name] = nbformat.writes(nb)
    return out
