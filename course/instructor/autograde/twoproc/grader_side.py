"""In the grader's kernel: the test cells' view of the student's notebook.

Before a test cell, `begin(globals(), names)` waits for the student's kernel on the socket and
binds, in the grader's namespace, each global the test cell reads that the student's notebook
defines: data (arrays, numbers, strings, lists...) as values, modules by name (imported here),
library functions and classes by name, and everything else (the student's functions, classes
and objects) as a `Handle` (handles.py). Calling a handle, reading its attributes, `len`, iterating,
indexing, `isinstance` against it go to the student's kernel and come back as data or handles.
What the test computes and compares stays here; the test's source never leaves this kernel.

`use_trusted`/`replaced` (course.grading) reach the student's kernel through a hook installed
here: the names are rebound there too, a library function by name, anything else as a call-back
into this kernel. `end()` tells the student's kernel the cell is over; what the cell handed over
expires with it.

What comes from the student's kernel is data, never code or a change to this kernel: the names
bound are the test's own list; a list, dict or array the student's code changed comes back as a
fresh copy (the change recorded for `course.grading.call`); the student's code can use only what
this test cell handed over (`servable`: objects the tests define, never a module, a namespace, a
frame or an object of IPython, the course or the system), under random ids that expire with the
cell; what it tried beyond that is recorded (`take_anomalies`) for the tamper report.
"""
from __future__ import annotations

import builtins
import importlib
import itertools
import re
import socket
import time
from typing import Any

import numpy as np

from . import library
from .channel import Peer, RandomSync
from .codec import MAX_ANOMALIES, Exports, Tag, is_data
from .frames import MAX_FRAME, ChannelError, release
from .handles import MAX_LIST, _CLASSES, _GONE, _HANDLES, _STATE, _TOKEN, Handle, _ask, _make_handle, _peer
from .library import global_name

# Names a notebook imports by convention: always the real module here, whatever the notebook
# binds them to (a student's `np = FakeNumpy()` must not reach the tests).
ALIASES = {"np": "numpy", "numpy": "numpy", "plt": "matplotlib.pyplot", "math": "math", "scipy": "scipy",
           "sklearn": "sklearn", "matplotlib": "matplotlib"}
_PUBLIC = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# The random state last sent, and what the student's side did that the grader refused, per
# notebook (take_anomalies)
_RANDOM = RandomSync()
_ANOMALIES: list = []
# Where the objects the tests define live: a test cell runs in this kernel's __main__
TEST_MODULES = {"__main__"}


# --- the student's requests on the grader's objects (call-backs) -----------------------------

def _describe(obj: Any) -> dict:
    kind = "class" if isinstance(obj, type) else "function" if callable(obj) else "object"
    return {Tag.KIND: kind}


def _fields(obj: Any) -> dict:
    """The instance attributes of a plain object of the test's (not a class, function or module)."""
    import types

    if isinstance(obj, (type, types.ModuleType, types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
        return {}
    try:
        fields = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return {}
    return fields if type(fields) is dict else {}


def servable(obj: Any) -> bool:
    """Whether a test may hand `obj` over to the student's code (as a handle it can call and
    read): a function, class or object the tests define (in TEST_MODULES), a method of one, a
    partial of one, or a numpy random generator; never a module, a namespace, a frame, a code
    object, or anything of IPython, ipykernel, the course or the system."""
    import functools
    import types

    if isinstance(obj, (types.ModuleType, types.FrameType, types.CodeType, types.TracebackType,
                        types.CellType, types.GeneratorType, types.CoroutineType, Handle)):
        return False
    if isinstance(obj, types.MethodType):
        return servable(obj.__self__) and servable(obj.__func__)
    if isinstance(obj, functools.partial):
        return servable(obj.func)
    if isinstance(obj, (np.random.Generator, np.random.RandomState, np.random.BitGenerator)):
        return True
    try:
        module = obj.__module__ if isinstance(obj, (type, types.FunctionType)) else type(obj).__module__
    except Exception:
        return False
    return module in TEST_MODULES


def _own(obj: Any) -> Any:
    """What a call-back may use: an object this test cell handed over (exported from here, not a
    library's). A library function, class or module named by the student's side (`exec`, `open`,
    `builtins`) is resolved to this kernel's own: never call it, read it or iterate it for them."""
    import types

    peer = _peer()
    if not peer.exports.holds(obj) or isinstance(obj, (Handle, types.ModuleType)) or global_name(obj) is not None:
        peer.anomaly(f"asked the grader to use a {type(obj).__name__} that the test did not hand over")
        raise TypeError("the student's code can only use what the test handed over")
    return obj


def _keywords(kwargs: dict) -> dict:
    """The keyword arguments of a call-back: plain names only (no dunder from the student)."""
    out = {}
    for key, value in kwargs.items():
        if not isinstance(key, str) or not _PUBLIC.fullmatch(key):
            _peer().anomaly(f"called a stand-in with the keyword {str(key)[:60]!r}")
            raise TypeError(f"a keyword argument must be a plain name, not {str(key)[:60]!r}")
        out[key] = value
    return out


def _serve(method: str, args: tuple) -> Any:
    if method == "call" and len(args) == 3 and type(args[1]) is list and type(args[2]) is dict:
        return _own(args[0])(*args[1], **_keywords(args[2]))
    if method == "getattr" and len(args) == 2 and isinstance(args[1], str):
        obj, name = _own(args[0]), args[1]
        if _PUBLIC.fullmatch(name) or name == "__name__":
            return getattr(obj, name)
        fields = _fields(obj)
        if name in fields and is_data(fields[name]):
            return fields[name]  # a test double's parameters and gradients (layer._W), as data
        _peer().anomaly(f"asked for the attribute {name[:60]!r} of the test's {type(obj).__name__}")
        raise AttributeError(f"{name[:60]} is not available to the student's code")
    if method == "setattr" and len(args) == 3 and isinstance(args[1], str):
        obj, name, value = _own(args[0]), args[1], args[2]
        fields = _fields(obj)
        # an optimizer's step on a test's stand-in layer: an array or number replaces another
        replaceable = type(fields.get(name)) in (np.ndarray, float, int) and not name.startswith("__")
        if name in fields and replaceable and is_data(value) and (
                type(value) in (np.ndarray, float, int) or isinstance(value, np.generic)):
            setattr(obj, name, value)
            return None
        if name.startswith("__"):
            _peer().anomaly(f"tried to set {name[:60]!r} on the test's {type(obj).__name__}")
        raise AttributeError(f"the student's code cannot set {name[:60]} on the test's object")
    if method == "list" and len(args) == 1:
        return list(itertools.islice(iter(_own(args[0])), MAX_LIST))
    if method == "len" and len(args) == 1:
        return len(_own(args[0]))
    if method == "getitem" and len(args) == 2:
        return _own(args[0])[args[1]]
    if method == "contains" and len(args) == 2:
        return args[1] in _own(args[0])
    if method == "isinstance" and len(args) == 2:
        return isinstance(args[0], _own(args[1]))
    if method == "issubclass" and len(args) == 2:
        return isinstance(args[0], type) and issubclass(args[0], _own(args[1]))
    raise ChannelError(f"the student's kernel asked for {method[:60]!r}, which the grader does not serve")


# --- the hook in course.grading ----------------------------------------------------------------

def _swap_hook(action: str, names: Any) -> None:
    peer = _STATE["peer"]
    if peer is None or peer.closed:
        return
    if action == "bind":
        _ask("bind", dict(names))
    elif action == "restore":
        _ask("unbind", list(names))


def _changes() -> list:
    """The grader's arrays, lists and dicts the student's code changed in this cell, as
    (the grader's object, the changed copy): `course.grading.call` reads it."""
    peer = _STATE["peer"]
    return peer.changes if peer is not None else []


def install() -> None:
    """Once, when the grader's kernel starts."""
    import course.grading as grading

    grading._swap_hook = _swap_hook
    grading._changes_hook = _changes
    library.freeze_resolvable()


# --- a test cell's life ------------------------------------------------------------------------

def listen(path: str) -> None:
    import os

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)
    listener.listen(1)
    _STATE["listener"] = listener


# The first refusals of a test cell also go to this kernel's audit log as they happen: a cell
# that runs out of time or kills this kernel loses it before `end()`, and with it the refusals, so
# a student's side could forge what it liked and then keep the grader busy past the time limit.
# A few per cell: the log's lines are the kernel's other findings' too.
AUDITED_ANOMALIES = 5


def _audit(text: str, count: int) -> None:
    if count <= AUDITED_ANOMALIES:
        from .. import guard

        guard._record("channel", text)


def make_peer(sock: socket.socket, timeout: float | None, random: RandomSync | None = _RANDOM,
              max_frame: int = MAX_FRAME) -> Peer:
    """The grader's end of one test cell's conversation: what it hands over lives as long as it."""
    return Peer(sock, _serve, _make_handle, exports=Exports(random_ids=True), handles=_HANDLES, token=_TOKEN,
                describe=_describe, grader=True, random=random, can_export=servable, on_anomaly=_audit,
                timeout=timeout, max_frame=max_frame)


def begin(namespace: dict, names: list, timeout: float, token: str | None = None,
          connect_timeout: float = 20.0) -> None:
    """Wait for the student's kernel, then bind the names the test cell reads (see module doc).

    The executor gives this cell's `serve` and `begin` the same random token: a connection that
    does not greet with it (left over from an earlier cell or notebook, or opened by a student's
    own code) is closed, and the wait goes on.
    """
    _STATE["error"] = None
    _STATE["timeout"] = timeout
    listener = _STATE["listener"]
    deadline = time.monotonic() + connect_timeout
    while True:
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise socket.timeout
            listener.settimeout(left)
            sock, _ = listener.accept()
        except socket.timeout:
            _STATE["error"] = "the student's kernel did not connect"
            _STATE["peer"] = None
            raise ChannelError("the student's kernel did not connect") from None
        peer = make_peer(sock, timeout)
        try:
            if peer.wait_hello(max(0.1, min(left, 5.0))) == token:
                break
        except ChannelError:
            pass
        release(sock)
    _STATE["peer"], _STATE["sock"] = peer, sock
    wanted = []
    for name in names:
        if name in ALIASES:
            namespace[name] = importlib.import_module(ALIASES[name])
        elif not hasattr(builtins, name) and not name.startswith("__"):
            wanted.append(name)
    wanted = tuple(wanted)  # a tuple: nothing the student's side sends can add to it
    if wanted:
        try:
            values = peer.request("get", list(wanted))
        except ChannelError as error:
            if not _GONE.search(str(error)):  # a forged answer, not a kernel that died
                peer.anomaly(f"broke the channel's rules: {str(error)[:200]}")
            raise
        if type(values) is not dict:
            raise ChannelError("the student's kernel answered with something else than names")
        unasked = [key for key in values if key not in wanted]
        if unasked:
            peer.anomaly(f"answered with names the test did not ask for: {', '.join(map(str, unasked))[:200]}")
        for name in wanted:
            if name in values:
                namespace[name] = values[name]


def forget() -> None:
    """A new student's kernel (a restart, or the next notebook): its objects are not the old ones,
    and its random state is its own until a test sets one."""
    _HANDLES.clear()
    _CLASSES.clear()
    _RANDOM.last = None


def take_anomalies() -> list[str]:
    """What the student's side sent that the grader refused since the last call (the executor
    reads it after each test cell, for the tamper report)."""
    out = list(_ANOMALIES)
    _ANOMALIES.clear()
    return out


def end() -> None:
    """The cell is over: tell the student's side, and let what the cell handed over expire."""
    peer, sock = _STATE["peer"], _STATE["sock"]
    _STATE["peer"] = _STATE["sock"] = None
    if peer is not None:
        if not peer.closed:
            try:
                peer.done()
            except ChannelError:
                pass
        _ANOMALIES.extend(peer.anomalies[:MAX_ANOMALIES - len(_ANOMALIES)])
        peer.expire()
    if sock is not None:
        release(sock)
