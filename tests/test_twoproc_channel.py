"""The two-process grading channel (course/instructor/autograde/twoproc/channel.py), with hostile peers.

Fast unit tests on a socketpair: the student's side runs in a thread with the real request
handler of `student_side` on a namespace of its own; hostile peers write raw frames.
"""
from __future__ import annotations

import json
import socket
import struct
import threading

import numpy as np
import pytest

from course.instructor.autograde.twoproc import channel, codec, frames, grader_side, library, student_side
from course.instructor.autograde.twoproc.channel import Peer
from course.instructor.autograde.twoproc.frames import ChannelError, ChannelTimeout


class Student:
    """The student's side of `student_side.serve`, on a socketpair, in a thread."""

    def __init__(self, sock, namespace, token=None):
        self.namespace = namespace
        self.token = token
        self.server = student_side._Server(namespace=lambda: self.namespace)
        self.error = None
        self.thread = threading.Thread(target=self.run, args=(sock,), daemon=True)
        self.thread.start()

    def run(self, sock):
        peer = student_side.make_peer(sock, self.server)
        student_side._CURRENT["peer"] = peer
        try:
            peer.hello(self.token)
            peer.serve()
        except Exception as error:  # noqa: BLE001 - recorded for the test
            self.error = error
        finally:
            student_side._CURRENT["peer"] = None
            self.server.restore()
            sock.close()


@pytest.fixture(autouse=True)
def tests_defined_here(monkeypatch):
    """The stand-ins these tests hand over are defined in this module (a test cell's, in __main__)."""
    monkeypatch.setattr(grader_side, "TEST_MODULES", {"__main__", __name__})


@pytest.fixture
def pair():
    """(grader namespace, the student's namespace, begin(names)) with the real grader side."""
    made = []

    def start(student_ns, names, timeout=10):
        a, b = socket.socketpair()
        student = Student(b, student_ns)
        peer = grader_side.make_peer(a, timeout)
        grader_side._STATE.update(peer=peer, sock=a, error=None, timeout=timeout)
        peer.wait_hello(5)
        ns = {}
        values = peer.request("get", list(names))
        ns.update(values)
        made.append((student, a))
        return ns, student

    yield start
    for student, a in made:
        grader_side.end()
        student.thread.join(5)


def test_data_round_trips_exactly(pair):
    values = {
        "a": np.arange(6.0).reshape(2, 3), "b": np.array([True, False]), "i": np.arange(3, dtype=np.int32),
        "c": np.array([1 + 2j]), "f": np.float64(0.5), "n": np.int64(7), "x": 3, "y": 2.5, "s": "text",
        "t": (1, [2, 3], {"k": None}), "empty": np.zeros((0, 4)), "nan": float("nan"), "z": 1 + 1j,
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "big": 10 ** 40,
    }
    ns, _ = pair(values, values)
    for name, value in values.items():
        got = ns[name]
        assert type(got) is type(value) or (name == "fortran" and type(got) is np.ndarray), name
        if isinstance(value, np.ndarray):
            assert got.dtype == value.dtype and got.shape == value.shape and np.array_equal(got, value)
        elif name != "nan":
            assert got == value, name
    assert isinstance(ns["n"], np.integer) and not isinstance(ns["n"], int)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_object_arrays_subclasses_and_functions_are_handles(pair):
    class MyFloat(float):
        def __eq__(self, other):
            return True

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    student = {"obj": np.array([1, "x"], dtype=object), "masked": np.ma.masked_array([1.0, 2.0]),
               "matrix": np.matrix([[1.0]]), "liar": MyFloat(2.0), "sigmoid": sigmoid,
               "records": np.zeros(2, dtype=[("a", "f8")])}
    ns, _ = pair(student, student)
    for name in student:
        assert isinstance(ns[name], grader_side.Handle), name
    assert not (ns["liar"] == 3.0)  # a handle compares by identity: the student's __eq__ never runs here
    z = np.array([-1.0, 0.0, 2.0])
    out = ns["sigmoid"](z)
    assert type(out) is np.ndarray and np.allclose(out, 1 / (1 + np.exp(-z)))
    assert np.allclose(np.asarray(ns["masked"]), [1.0, 2.0])  # __array__: data only
    with pytest.raises(TypeError):
        np.asarray(ns["obj"]) + 1


def test_handles_keep_identity_attributes_methods_len_iteration(pair):
    class Layer:
        def __init__(self, n):
            self.n = n
            self.W = np.ones((n, 2))

        def forward(self, x):
            return x @ self.W.T

    layers = [Layer(2), Layer(3)]
    student = {"layers": layers, "first": layers[0], "Layer": Layer, "gen": (i for i in range(3))}
    ns, _ = pair(student, student)
    got = ns["layers"]
    assert type(got) is list and got[0] is ns["first"]
    assert {got[0]: "ok"}[ns["first"]] == "ok"
    assert got[1].n == 3 and np.array_equal(got[1].forward(np.ones((1, 2))), [[2.0, 2.0, 2.0]])
    got[0].n = 5
    assert layers[0].n == 5
    assert isinstance(got[0], ns["Layer"]) and type(got[0]).__name__ == "Layer"
    assert not isinstance(3, ns["Layer"])
    assert list(ns["gen"]) == [0, 1, 2]
    new = ns["Layer"](4)
    assert isinstance(new, grader_side.Handle) and new.W.shape == (4, 2)
    with pytest.raises(TypeError):
        class Sub(ns["Layer"]):  # noqa: F841 - a test cannot subclass the student's class
            pass


def test_in_place_updates_are_reported_never_written_into_the_graders_arrays(pair):
    from course import grading

    def update(W, dW, lr):
        W -= lr * dW

    def step(weights):
        weights[0] += 1

    ns, _ = pair({"update": update, "step": step}, ["update", "step"])
    W, dW = np.ones(3), np.arange(3.0)
    ns["update"](W, dW, 0.5)
    assert np.array_equal(W, [1.0, 1.0, 1.0]) and np.array_equal(dW, [0.0, 1.0, 2.0])
    peer = grader_side._STATE["peer"]
    (original, changed), = peer.changes
    assert original is W and np.array_equal(changed, [1.0, 0.5, 0.0]) and changed is not W
    weights = [np.zeros(2), np.zeros(1)]
    ns["step"](weights)
    assert np.array_equal(weights[0], [0.0, 0.0])
    grading._changes_hook = grader_side._changes
    try:  # what course.grading.call tells the student, as in one process
        with pytest.raises(AssertionError, match=r"modified its input in place: argument 1 \(the array at \[0\]\)"):
            grading.call(ns["step"], [np.zeros(2), np.zeros(1)], what="step(...)")
        with pytest.raises(AssertionError, match="modified its input in place: argument 1 changed"):
            grading.call(ns["update"], np.ones(3), np.ones(3), 0.5, what="update(...)")
        assert grading.call(ns["update"], np.ones(3), np.zeros(3), 0.5, what="update(...)") is None
    finally:
        grading._changes_hook = None


def test_the_tests_random_state_applies_to_the_students_side(pair):
    def draw(n):
        return np.random.randn(n)

    ns, _ = pair({"draw": draw}, ["draw"])
    np.random.seed(3)
    got = ns["draw"](3)
    again = ns["draw"](2)  # the student's stream goes on between calls
    np.random.seed(3)
    assert np.array_equal(np.concatenate([got, again]), np.random.randn(5))
    grader_side.forget()


def test_the_grader_sends_its_random_state_only_when_the_test_changed_it():
    sync = channel.RandomSync()
    np.random.seed(1)
    sent = sync.outgoing()
    assert sent is not None
    assert sync.outgoing() is None  # unchanged: the student's kernel keeps its own stream
    np.random.rand()
    assert sync.outgoing() is not None  # the test drew: its state goes along with the next call
    np.random.seed(1)
    again = sync.outgoing()  # the same seed again is a change too
    assert again is not None and np.array_equal(again[0], sent[0])
    np.random.seed(1)
    first = np.random.rand()
    np.random.seed(1)
    sync.outgoing()
    assert np.random.rand() != first  # after sending, the grader's own draws are not the student's


def test_a_student_state_that_is_no_state_never_reaches_the_grader():
    """The student's side answers with a random-state field: the grader never reads it."""
    peer, b = grader_peer()
    np.random.seed(5)
    keys = np.zeros(624, np.uint32)
    thread = answer_with(b, {"r": 1, "v": 1, "rs": {"T": [{"A": 0, "dt": "<u4", "sh": [624]}, 0, 0, 0.0]},
                             "b": [keys.nbytes]}, keys.tobytes())
    assert peer.request("len", 1) == 1
    thread.join(5)
    drawn = np.random.rand()
    np.random.seed(5)
    assert drawn == np.random.rand()


def test_trusted_functions_are_call_backs_and_their_failures_count(pair):
    def loop(x):
        total = 0.0
        for _ in range(3):
            total += float(np.sum(helper(x)))
        return total

    student = {"loop": loop, "helper": lambda x: x * 0}
    loop.__globals__["helper"] = student["helper"]
    ns, student_thread = pair(student, ["loop"])
    calls = []

    def trusted(x):
        calls.append(x.copy())
        return x * 2

    from course import grading

    grading._swap_hook = grader_side._swap_hook
    try:
        with grading.replaced(ns, helper=trusted):
            # the student's function resolves `helper` in its own module: bind it there
            loop.__globals__["helper"] = student_thread.namespace["helper"]
            assert ns["loop"](np.ones(2)) == 12.0
        assert len(calls) == 3 and "helper" in student_thread.namespace

        def swallowing(x):
            try:
                failing(x)
            except AssertionError:
                pass
            return 1.0

        student_thread.namespace["swallowing"] = swallowing
        swallowing.__globals__["failing"] = None

        def failing_check(x):
            raise AssertionError("the stub saw a wrong input")

        handle = grader_side._ask("get", ["swallowing"])["swallowing"]
        grader_side._ask("bind", {"failing": failing_check})
        swallowing.__globals__["failing"] = student_thread.namespace["failing"]
        with pytest.raises(AssertionError, match="the stub saw a wrong input"):
            handle(np.ones(1))
    finally:
        grading._swap_hook = None


def test_call_backs_expose_public_attributes_only(pair):
    def probe(cb):
        out = {}
        for name in ("__globals__", "__code__", "_secret", "__wrapped__"):
            try:
                getattr(cb, name)
                out[name] = "reached"
            except AttributeError:
                out[name] = "refused"
        out["value"] = cb.value
        return out

    class Stub:
        value = 3
        _secret = "hidden expected value"

    ns, _ = pair({"probe": probe}, ["probe"])
    got = ns["probe"](Stub())
    assert got == {"__globals__": "refused", "__code__": "refused", "_secret": "refused",
                   "__wrapped__": "refused", "value": 3}


def test_student_exceptions_are_rebuilt_by_type(pair):
    def broken(x):
        raise ValueError("shapes (2,) and (3,) not aligned")

    def todo(x):
        raise NotImplementedError

    class Custom(Exception):
        pass

    def custom(x):
        raise Custom("mine")

    ns, _ = pair({"broken": broken, "todo": todo, "custom": custom}, ["broken", "todo", "custom"])
    with pytest.raises(ValueError, match="not aligned"):
        ns["broken"](1)
    with pytest.raises(NotImplementedError):
        ns["todo"](1)
    with pytest.raises(channel.RemoteError, match="Custom: mine"):
        ns["custom"](1)
    from course.grading import call

    with pytest.raises(AssertionError, match="is not implemented yet"):
        call(ns["todo"], np.ones(2), what="todo(...)")


# --- hostile peers ------------------------------------------------------------------------------

def raw_frame(header: dict, body: bytes = b"") -> bytes:
    head = json.dumps(header).encode()
    return struct.pack(">QI", 4 + len(head) + len(body), len(head)) + head + body


def grader_peer(timeout=2.0, max_frame=frames.MAX_FRAME):
    a, b = socket.socketpair()
    peer = grader_side.make_peer(a, timeout, random=None, max_frame=max_frame)
    grader_side._STATE.update(peer=peer, sock=a)
    return peer, b


def answer_with(b, header, body=b""):
    def run():
        frames.recv_frame(b, 5)
        b.sendall(raw_frame(header, body))
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("header, body, message", [
    ({"r": 1, "v": {"A": 0, "dt": "|O8", "sh": [1]}, "b": [8]}, b"\0" * 8, "malformed array"),
    ({"r": 1, "v": {"A": 0, "dt": "O", "sh": [1]}, "b": [8]}, b"\0" * 8, "malformed array"),
    ({"r": 1, "v": {"A": 0, "dt": "<f8", "sh": [2]}, "b": [8]}, b"\0" * 8, "do not match"),
    ({"r": 1, "v": {"A": 0, "dt": "<f8", "sh": [1]}, "b": [9]}, b"\0" * 8, "do not add up"),
    ({"r": 1, "v": {"X": "os.system"}, "b": []}, b"", "not a value"),
    ({"r": 1, "v": {"M": "os"}, "b": []}, b"", "not a library"),
    ({"r": 1, "v": {"M": "numpy; import os"}, "b": []}, b"", "not a library"),
    ({"r": 2, "v": 1, "b": []}, b"", "not asked"),
    # dtypes the pattern lets through that are no numpy type, and a shape numpy cannot make: a
    # forged frame (reported), never a TypeError or ValueError of the student's function
    ({"r": 1, "v": {"A": 0, "dt": "<i16", "sh": [1]}, "b": [16]}, b"\0" * 16, "not a numeric type"),
    ({"r": 1, "v": {"S": 0, "dt": "<b2"}, "b": [2]}, b"\0" * 2, "not a numeric type"),
    ({"r": 1, "v": {"A": 0, "dt": "<f8", "sh": [0, 2 ** 62]}, "b": [0]}, b"", "shape numpy cannot make"),
])
def test_hostile_answers_are_channel_errors(header, body, message):
    peer, b = grader_peer()
    thread = answer_with(b, header, body)
    with pytest.raises(ChannelError, match=message):
        peer.request("call", 1)
    thread.join(5)


def test_an_answer_naming_an_object_the_grader_never_sent():
    peer, b = grader_peer()
    thread = answer_with(b, {"r": 1, "v": {"R": 999999}, "b": []})
    with pytest.raises(TypeError, match="did not hand over"):
        peer.request("call", 1)
    thread.join(5)
    assert peer.anomalies


def test_a_global_outside_the_libraries_is_never_imported():
    peer, b = grader_peer()
    thread = answer_with(b, {"r": 1, "v": {"H": 5, "G": ["os", "system"], "k": "callable"}, "b": []})
    got = peer.request("get", ["x"])
    thread.join(5)
    assert isinstance(got, grader_side.Handle)  # not os.system


def test_malformed_json_and_huge_frames():
    peer, b = grader_peer()
    b.sendall(struct.pack(">QI", 4 + 5, 5) + b"{nope")
    with pytest.raises(ChannelError, match="malformed header"):
        peer.request("len", 1)
    peer, b = grader_peer(max_frame=1024)
    b.sendall(struct.pack(">QI", 10 ** 12, 10))
    with pytest.raises(ChannelError, match="over the limit"):
        peer.request("len", 1)
    peer, b = grader_peer()
    b.sendall(struct.pack(">QI", 4 + 1, 1) + b"[")
    with pytest.raises(ChannelError, match="malformed header"):
        peer.request("len", 1)


def test_a_peer_that_never_answers_or_hangs_up():
    peer, b = grader_peer(timeout=0.3)
    with pytest.raises(ChannelTimeout):
        peer.request("len", 1)
    peer, b = grader_peer()
    b.close()
    with pytest.raises(ChannelError, match="closed|broke"):
        peer.request("len", 1)
    peer, b = grader_peer(timeout=0.5)
    b.sendall(struct.pack(">QI", 100, 10) + b'{"r": 1')  # half a frame, then silence
    with pytest.raises(ChannelTimeout):
        peer.request("len", 1)


def test_a_callback_for_an_object_never_exported_or_expired():
    """The student's side asks the grader to call an object by a guessed id, or one an earlier
    cell handed over: refused with an error (the conversation goes on), recorded, never run."""
    peer, b = grader_peer()
    secret = []
    hid = peer.export(lambda: secret.append("ran"))
    assert hid > 2 ** 20  # random ids, not 1, 2, 3

    replies = []

    def run(guess):
        frames.recv_frame(b, 5)
        b.sendall(raw_frame({"q": "call", "i": 1, "v": {"T": [{"R": guess}, [], {"D": []}]}, "b": []}))
        replies.append(frames.recv_frame(b, 5)[0])
        b.sendall(raw_frame({"r": 1, "v": 7, "b": []}))
    thread = threading.Thread(target=run, args=(77,), daemon=True)
    thread.start()
    assert peer.request("len", 1) == 7
    thread.join(5)
    assert replies[0]["e"]["t"] == "TypeError" and secret == []
    assert any("did not hand over" in a for a in peer.anomalies)
    grader_side.end()  # the cell is over: what it handed over expires
    assert not peer.exports.objects

    later, b2 = grader_peer()  # the next cell: the old id names nothing
    b = b2
    thread = threading.Thread(target=run, args=(hid,), daemon=True)
    thread.start()
    assert later.request("len", 1) == 7
    thread.join(5)
    assert replies[1]["e"]["t"] == "TypeError" and secret == []


def test_a_request_for_a_private_attribute_or_an_unknown_operation():
    peer, b = grader_peer()
    hid = peer.export(lambda x: x)

    def run():
        frames.recv_frame(b, 5)
        b.sendall(raw_frame({"q": "getattr", "i": 1, "v": {"T": [{"R": hid}, "__globals__"]}, "b": []}))
        reply, _ = frames.recv_frame(b, 5)
        replies.append(reply)
        b.sendall(raw_frame({"q": "exec", "i": 2, "v": {"T": ["print(1)"]}, "b": []}))
    replies = []
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    with pytest.raises(ChannelError, match="does not serve"):
        peer.request("len", 1)
    thread.join(5)
    assert replies[0]["e"]["t"] == "AttributeError"


def test_a_test_double_layer_gets_an_optimizer_step_and_nothing_else(pair):
    class Momentum:
        def update(self, layer):
            layer._W = layer._W - 0.1 * layer._grad_W_current
            try:
                layer.calls = []  # what the stub records cannot be rewritten
            except AttributeError:
                pass
            try:
                layer._W = "not an array"
            except AttributeError:
                pass

    class ToyLayer:
        def __init__(self):
            self._W, self._grad_W_current = np.ones(2), np.array([1.0, -1.0])
            self.calls = ["recorded"]

    ns, _ = pair({"Momentum": Momentum}, ["Momentum"])
    layer = ToyLayer()
    ns["Momentum"]().update(layer)
    assert np.allclose(layer._W, [0.9, 1.1]) and layer.calls == ["recorded"]


# --- what 03's tests need: identity of what they hand over, objects without __init__, vars() ----

def test_a_list_or_dict_handed_over_comes_back_as_itself(pair):
    class Keeper:
        def __init__(self, items):
            self.items = items

    class Copier:
        def __init__(self, items):
            self.items = list(items)

    def grow(items):
        items.append(4)
        return items

    student = {"Keeper": Keeper, "Copier": Copier, "grow": grow}
    ns, _ = pair(student, student)
    items = [1, (2, 3)]
    kept = ns["Keeper"](items)
    assert kept.items is items  # as in one process: __init__ stored the very list it was given
    assert vars(kept)["items"] is items and set(vars(kept)) == {"items"}
    copied = ns["Copier"](items)
    assert copied.items == items and copied.items is not items  # a copy is told apart
    grown = ns["grow"](items)
    # changed there: a fresh copy here, never written into the test's list (the change is recorded)
    assert grown is not items and grown == [1, (2, 3), 4] and items == [1, (2, 3)]
    assert grader_side._STATE["peer"].changes[-1][0] is items
    settings = {"lr": 0.5}
    assert ns["Keeper"](settings).items is settings


def test_an_object_made_without_init_and_an_enums_members(pair):
    import enum

    class Net:
        def __init__(self):
            raise AssertionError("__init__ must not run")

    class Kind(enum.Enum):
        up = 1
        down = 2

    student = {"Net": Net, "Kind": Kind}
    ns, _ = pair(student, student)
    bare = ns["Net"].__new__(ns["Net"])
    assert isinstance(bare, ns["Net"]) and vars(bare) == {}
    bare.betas_ = [np.ones(2)]
    assert np.array_equal(bare.betas_[0], [1.0, 1.0])
    assert set(ns["Kind"].__members__) == {"up", "down"}


def test_the_grader_forgets_a_dead_kernels_objects(pair):
    class Layer:
        pass

    ns, _ = pair({"layer": Layer()}, ["layer"])
    old = ns["layer"]
    assert grader_side._HANDLES
    grader_side.forget()  # the student's kernel was restarted, or the next notebook begins
    assert not grader_side._HANDLES
    # the student's side numbers its objects from a random start per kernel, so an id the grader
    # kept from a dead kernel names nothing in the next one
    assert old._channel_id > 1


# --- what a student's call-back may use: only what the test handed over (review of issue 13) -----

def test_a_call_back_cannot_use_the_graders_own_functions_or_modules(pair):
    import builtins
    import os

    outcomes = []

    def attack(x):
        peer = student_side._CURRENT["peer"]
        # library objects cross by name: the grader would resolve them to its own exec, eval...
        for method, args in (("call", (exec, ["import builtins; builtins.PWNED = True"], {})),
                             ("call", (eval, ["1 + 1"], {})),
                             ("call", (getattr, [np, "save"], {})),
                             ("call", (np.load, ["/etc/passwd"], {})),
                             ("getattr", (np, "save")),
                             ("getattr", (os, "system")),
                             ("list", (builtins,))):
            try:
                peer.request(method, *args)
                outcomes.append((method, "ran"))
            except Exception as error:  # noqa: BLE001 - what the student's code gets
                outcomes.append((method, type(error).__name__))
        return x

    ns, _ = pair({"attack": attack}, ["attack"])
    assert ns["attack"](3) == 3  # the conversation goes on: the student's code only got errors
    assert not hasattr(builtins, "PWNED")
    assert [result for _, result in outcomes] == ["TypeError"] * 7, outcomes


def test_a_stand_in_the_test_handed_over_can_still_be_called_back(pair):
    def uses(helper, x):
        return helper(x) + helper.offset

    class Helper:
        offset = 1

        def __call__(self, x):
            return 2 * x

    ns, _ = pair({"uses": uses}, ["uses"])
    assert ns["uses"](Helper(), 5) == 11


def test_begin_waits_for_the_connection_with_the_cells_token(tmp_path):
    path = str(tmp_path / "s")
    grader_side.listen(path)
    try:
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # an earlier kernel's, never greets
        dead.connect(path)
        dead.close()
        rogue = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # a student's own, guessing
        rogue.connect(path)
        frames.send_frame(rogue, {"hello": True, "t": "guess", "b": []}, [])
        students = []

        def connect():  # waits in connect() while the earlier connections fill the listener's queue
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            students.append(Student(sock, {"x": 41}, token="the-cells-token"))

        connecting = threading.Thread(target=connect, daemon=True)
        connecting.start()
        ns: dict = {}
        grader_side.begin(ns, ["x"], timeout=10, token="the-cells-token", connect_timeout=10)
        assert ns["x"] == 41
        grader_side.end()
        connecting.join(5)
        students[0].thread.join(5)
        rogue.close()
    finally:
        grader_side._STATE["listener"].close()
        grader_side._STATE["listener"] = None


@pytest.mark.parametrize("where", [["numpy", "f2py.os.system"], ["builtins", "exec"], ["builtins", "open"],
                                   ["enum", "sys.modules"]])
def test_a_library_name_that_is_not_the_objects_own_or_runs_code_stays_a_handle(where):
    peer, b = grader_peer()
    thread = answer_with(b, {"r": 1, "v": {"H": 5, "G": where, "k": "callable"}, "b": []})
    got = peer.request("get", ["x"])
    thread.join(5)
    assert isinstance(got, grader_side.Handle), got


def test_the_grader_resolves_names_in_the_modules_it_started_with_only(monkeypatch):
    # a module a test imported later (here: scipy.special, left out of the frozen set) does not
    # change how the next notebook's names are read
    monkeypatch.setattr(library, "_RESOLVABLE", frozenset({"numpy"}))
    peer, b = grader_peer()
    thread = answer_with(b, {"r": 1, "v": [{"H": 5, "G": ["scipy.special", "expit"], "k": "callable"},
                                           {"H": 6, "G": ["numpy", "mean"], "k": "callable"}], "b": []})
    expit, mean = peer.request("get", ["x"])
    thread.join(5)
    assert isinstance(expit, grader_side.Handle) and mean is np.mean


# --- the channel holds: student data never rebinds, calls or walks the grader -------------------

def test_a_reply_cannot_add_names_to_the_ones_the_test_binds(tmp_path):
    """The student's side answers `get` with the grader's own list changed (container 1) and
    extra names (`__builtins__`, `np`): only the names the test asked for are bound, as sent."""
    path = str(tmp_path / "s")
    grader_side.listen(path)
    try:
        def hostile():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            frames.send_frame(sock, {"hello": True, "t": "tok", "b": []}, [])
            header, _ = frames.recv_frame(sock, 5)
            # the answer names the grader's list (container 1) and carries names it did not ask for
            forged = {"D": [["x", 1], ["__builtins__", {"D": []}], ["np", 2]], "X": 1}
            frames.send_frame(sock, {"r": header["i"], "v": forged, "b": []}, [])
            frames.recv_frame(sock, 5)  # done
            sock.close()
        thread = threading.Thread(target=hostile, daemon=True)
        thread.start()
        ns: dict = {}
        grader_side.begin(ns, ["x"], timeout=5, token="tok", connect_timeout=5)
        peer = grader_side._STATE["peer"]
        grader_side.end()
        thread.join(5)
        assert ns == {"x": 1}
        assert any("did not ask for" in a for a in grader_side.take_anomalies())
        assert peer.exports.objects == {}
    finally:
        grader_side._STATE["listener"].close()
        grader_side._STATE["listener"] = None


def test_a_container_the_student_changed_is_never_the_graders_own():
    peer, b = grader_peer()
    wanted = ["x"]
    thread = answer_with(b, {"r": 1, "v": {"L": ["x", "__builtins__"], "X": 1}, "b": []})
    got = peer.request("get", wanted)
    thread.join(5)
    assert wanted == ["x"] and got == ["x", "__builtins__"] and got is not wanted
    peer2, b2 = grader_peer()
    thread = answer_with(b2, {"r": 1, "v": {"L": ["x"], "X": 1}, "b": []})
    assert peer2.request("get", wanted) is wanted  # unchanged: the grader's own (identity holds)
    thread.join(5)
    peer3, b3 = grader_peer()
    thread = answer_with(b3, {"r": 1, "v": {"L": [], "X": 99}, "b": []})
    assert peer3.request("get", wanted) == []
    thread.join(5)
    assert any("never sent" in a for a in peer3.anomalies)


def test_an_in_place_update_of_an_array_the_grader_never_sent_breaks_nothing():
    peer, b = grader_peer()
    expected = np.arange(3.0)
    body = np.full(3, 9.0).tobytes()
    thread = answer_with(b, {"r": 1, "v": None, "c": [[0, {"A": 0, "dt": "<f8", "sh": [3]}]], "b": [24]}, body)
    peer.request("call", expected)
    thread.join(5)
    assert np.array_equal(expected, [0.0, 1.0, 2.0]) and peer.changes[0][0] is expected


@pytest.mark.parametrize("where, own", [
    (["numpy", "mean"], True), (["numpy", "tanh"], True), (["scipy.special", "expit"], True),
    (["numpy", "ndarray"], True), (["numpy", "save"], False), (["numpy", "load"], False),
    (["numpy", "seterr"], False), (["numpy", "memmap"], False), (["numpy.random", "seed"], False),
    (["builtins", "print"], False), (["operator", "attrgetter"], False), (["operator", "methodcaller"], False),
    (["builtins", "exec"], False), (["builtins", "getattr"], False), (["numpy", "set_printoptions"], False),
])
def test_the_grader_takes_only_pure_library_objects_as_its_own(where, own):
    peer, b = grader_peer()
    thread = answer_with(b, {"r": 1, "v": {"H": 5, "G": where, "k": "callable"}, "b": []})
    got = peer.request("get", ["x"])
    thread.join(5)
    assert isinstance(got, grader_side.Handle) != own, (where, got)


def test_a_name_never_makes_the_grader_import(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, "scipy.io", raising=False)
    before = set(sys.modules)
    peer, b = grader_peer()
    thread = answer_with(b, {"r": 1, "v": [{"H": 5, "G": ["scipy", "io.loadmat"], "k": "callable"},
                                           {"H": 6, "G": ["scipy.io", "loadmat"], "k": "callable"}], "b": []})
    got = peer.request("get", ["x"])
    thread.join(5)
    assert all(isinstance(g, grader_side.Handle) for g in got)
    assert set(sys.modules) - before == set()
    assert library.global_name(np.mean) == ("numpy", "mean")


def test_the_grader_hands_over_only_what_its_tests_define(pair):
    import functools
    import sys

    def reach(thing):
        return type(thing).__name__

    ns, _ = pair({"reach": reach}, ["reach"])
    for hostile in (sys, sys.modules, grader_side.servable, grader_side._STATE.get, pytest.fail,
                    sys._getframe(), (lambda: None).__code__):
        with pytest.raises(TypeError, match="does not hand"):
            ns["reach"](hostile)
    assert ns["reach"](functools.partial(lambda x: x, 1)) == "GraderObject"
    assert ns["reach"](np.random.default_rng(0)) == "GraderObject"


def test_a_call_back_with_a_dunder_keyword_is_refused(pair):
    def attack(helper):
        try:
            helper(**{"__class__": 1})
        except TypeError as error:
            return str(error)
        return "ran"

    def helper(**kwargs):
        return kwargs

    ns, _ = pair({"attack": attack}, ["attack"])
    assert "plain name" in ns["attack"](helper)
    assert any("keyword" in a for a in grader_side._STATE["peer"].anomalies)


def test_a_forged_frame_fails_the_test_and_is_reported_a_dead_kernel_is_not():
    peer, b = grader_peer()
    thread = answer_with(b, {"r": 1, "v": {"A": 0, "dt": "O", "sh": [1]}, "b": [8]}, b"\0" * 8)
    with pytest.raises(AssertionError, match="stopped while the test ran"):
        grader_side._ask("call", 1)
    thread.join(5)
    assert any("broke the channel's rules" in a for a in peer.anomalies)
    peer, b = grader_peer()
    b.close()
    with pytest.raises(AssertionError):
        grader_side._ask("call", 1)
    assert peer.anomalies == []


# --- the wire format, byte for byte --------------------------------------------------------------

def known_frame(header: str, body: bytes = b"") -> bytes:
    """A frame as the channel writes it: `>Q` total, `>I` header length, the header's JSON as
    written here (keys in this order, no spaces), the buffers."""
    return struct.pack(">QI", 4 + len(header) + len(body), len(header)) + header.encode() + body


def test_the_frames_each_side_writes_are_the_known_bytes():
    a, b = socket.socketpair()
    peer = grader_side.make_peer(a, 0.3, random=None)
    peer.hello("tok")
    with pytest.raises(ChannelTimeout):
        peer.request("call", [1, 2.5], (True, None, "s"), {"k": np.arange(3, dtype="<i4")}, np.float64(0.5),
                     1 + 2j, np, np.mean)
    peer.done()
    b.settimeout(1)
    assert b.recv(1 << 20) == known_frame('{"hello":true,"t":"tok","b":[]}') + known_frame(
        '{"q":"call","i":1,"v":{"T":[{"L":[1,2.5],"X":1},{"T":[true,null,"s"]},{"D":[["k",{"A":0,"dt":"<i4",'
        '"sh":[3]}]],"X":2},{"S":1,"dt":"<f8"},{"C":[1.0,2.0]},{"M":"numpy"},{"H":0,"G":["numpy","mean"],'
        '"k":"function"}]},"b":[12,8]}', np.arange(3, dtype="<i4").tobytes() + np.float64(0.5).tobytes()) + \
        known_frame('{"done":true,"b":[]}')

    def handler(method, args):
        if method == "fail":
            raise ValueError("bad")
        args[0][0] += 1
        return object(), args[0]

    student = Peer(b, handler, None, exports=codec.Exports(first_id=7), handles={},
                   describe=student_side.describe)
    frames.send_frame(a, {"q": "call", "i": 1, "v": {"T": [{"A": 0, "dt": "<f8", "sh": [2]}]}, "b": [16]},
                       [np.zeros(2)])
    frames.send_frame(a, {"q": "fail", "i": 2, "v": {"T": []}, "b": []}, [])
    frames.send_frame(a, {"done": True, "b": []}, [])
    student.serve(2)
    a.settimeout(1)
    changed = np.array([1.0, 0.0]).tobytes()
    assert a.recv(1 << 20) == known_frame(
        '{"r":1,"v":{"T":[{"H":7,"k":"object","t":["builtins","object"]},{"A":0,"dt":"<f8","sh":[2]}]},'
        '"c":[[0,{"A":1,"dt":"<f8","sh":[2]}]],"b":[16,16]}', changed + changed) + known_frame(
        '{"r":2,"e":{"t":"ValueError","m":"bad","g":["builtins","ValueError"]},"b":[]}')
    a.close()
    b.close()
