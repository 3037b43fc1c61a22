"""In the grader's kernel: the stand-ins for the student's objects, and the requests they make.

A `Handle` stands for an object of the student's kernel: calling it, reading or setting its
attributes, `len`, iterating, indexing, `isinstance` against it are each a request (`_ask`) to
the student's kernel through the current test cell's connection (`_STATE`, set by
`grader_side.begin`), and what comes back is data or another handle. A handle never runs the
student's code here: it compares by identity, its `__class__` is a library class only when the
library's own name leads to it, and Python's own probes (`__array_interface__`, `__getstate__`...)
stay here. One Handle subclass per student type, named after it.

`_ask` turns a channel failure into the test's failure with the student's words (time limit,
kernel stopped), never the grader's: the cell's later checks then fail saying why.
"""
from __future__ import annotations

import inspect
import re
from typing import Any

from course.grading import STUDENT_TEXT
from course.grading import failure as _failure

from ..meter import cut_text
from .channel import Peer
from .codec import Tag
from .frames import ChannelError, ChannelTimeout
from .library import resolve_global

# ChannelErrors that mean the student's kernel went away (died, was killed), not that it forged anything
_GONE = re.compile(r"closed the connection|the connection broke|channel is closed|ended the conversation")
MAX_LIST = 1_000_000
# Handles of the student's objects, kept while its kernel lives: the same object is the same
# handle from one test cell to the next (grader_side.forget clears them)
_HANDLES: dict = {}
# the current test cell's connection (grader_side.begin, end)
_STATE: dict = {"listener": None, "peer": None, "sock": None, "error": None, "timeout": None}
_TOKEN = object()


def _peer() -> Peer:
    peer = _STATE["peer"]
    if peer is None or peer.closed:
        error = _STATE["error"]
        raise ChannelError(error or "the student's notebook is not reachable (no test cell is running)")
    return peer


def _ask(method: str, *args: Any) -> Any:
    """A request to the student's kernel; a failed trusted call-back fails the test here."""
    try:
        peer = _peer()
    except ChannelError:
        if _STATE["error"] is None:
            raise
        # the student's kernel stopped in an earlier check of this cell: the later checks fail,
        # each saying why (no test value in it: a hidden check may say it too)
        message = ("Not checked: your notebook's kernel stopped or ran out of time in an earlier check of "
                   "this test.")
        raise _failure(message, message) from None
    with peer.asking() as outer:
        try:
            result = peer.request(method, *args)
        except ChannelTimeout:
            _STATE["error"] = "the student's code did not finish within the cell's time limit"
            _broken()
            message = f"Your code did not finish within the time limit of {_STATE['timeout']} s."
            raise _failure(message, message) from None  # no test value in it: a hidden check may say it
        except ChannelError as error:
            _STATE["error"] = f"the student's kernel stopped answering ({error})"
            if not _GONE.search(str(error)):  # not a kernel that died: it sent what is not data
                peer.anomaly(f"broke the channel's rules: {str(error)[:200]}")
            _broken()
            message = ("Your notebook's kernel stopped while the test ran (did your code exit, crash "
                       "or run out of memory?).")
            raise _failure(message, message) from None
    if outer:
        for failure in peer.callback_failures:
            if isinstance(failure, AssertionError):
                raise failure  # a test double's check failed, whatever the student's code did with it
    return result


def _broken() -> None:
    peer = _STATE["peer"]
    if peer is not None:
        peer.stop()
    sock = _STATE["sock"]
    if sock is not None:
        try:
            sock.close()
        except OSError:
            pass


_CLASSES: dict = {}


def _handle_class(module: str, name: str) -> type:
    """One Handle subclass per student type, named after it (`type(layer).__name__` reads well)."""
    key = (module, name)
    cls = _CLASSES.get(key)
    if cls is None:
        short = name.rsplit(".", 1)[-1] if isinstance(name, str) and name else "object"
        cls = _CLASSES[key] = type(short if short.isidentifier() else "object", (Handle,), {"__slots__": ()})
        cls.__module__ = module if isinstance(module, str) else ""
        cls.__qualname__ = name if isinstance(name, str) else short
    return cls


_DUNDERS = frozenset({"__name__", "__qualname__", "__doc__", "__dict__", "__members__"})


class Handle:
    """An object of the student's: every use is a request to the student's kernel."""

    __slots__ = ("_channel_id", "_channel_info", "__weakref__")
    _channel_peer = _TOKEN

    def __new__(cls, *args: Any, **kwargs: Any):
        if isinstance(cls, Handle):  # `NN.__new__(NN)`: an object of the student's class, without __init__
            return _ask("new", cls, list(args))
        return object.__new__(cls)

    def __init__(self, hid: int, info: dict):
        object.__setattr__(self, "_channel_id", hid)
        object.__setattr__(self, "_channel_info", info)

    def __getattr__(self, name: str) -> Any:
        # Python's own probes (__array_interface__, __getstate__...) stay here; `vars(obj)` (a copy
        # of its __dict__) and an Enum's __members__ are what tests read
        if name.startswith("__") and name.endswith("__") and name not in _DUNDERS:
            raise AttributeError(name)
        return _ask("getattr", self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        _ask("setattr", self, name, value)

    def __delattr__(self, name: str) -> None:
        _ask("delattr", self, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _ask("call", self, list(args), kwargs)

    def __len__(self) -> int:
        n = _ask("len", self)
        if type(n) is not int:
            raise TypeError("len() of the student's object is not an integer")
        return n

    def __iter__(self):
        iterator = _ask("iter", self)
        for _ in range(MAX_LIST):
            more, value = _ask("next", iterator)
            if not more:
                return
            yield value

    def __getitem__(self, key: Any) -> Any:
        return _ask("getitem", self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _ask("setitem", self, key, value)

    def __delitem__(self, key: Any) -> None:
        _ask("delitem", self, key)

    def __contains__(self, item: Any) -> bool:
        return bool(_ask("contains", self, item) is True)

    def __bool__(self) -> bool:
        return _ask("bool", self) is True

    # a failure message quotes these: a few KB of them tell the student what they returned
    def __repr__(self) -> str:
        text = _ask("repr", self)
        return cut_text(text, STUDENT_TEXT) if isinstance(text, str) else "<the student's object>"

    def __str__(self) -> str:
        text = _ask("str", self)
        return cut_text(text, STUDENT_TEXT) if isinstance(text, str) else "<the student's object>"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec) if spec else str(self)

    def __eq__(self, other: Any) -> bool:
        return self is other

    def __ne__(self, other: Any) -> bool:
        return self is not other

    def __hash__(self) -> int:
        return hash(("student object", self._channel_id))

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        array = _ask("array", self)
        if type(array) is not np.ndarray:
            raise TypeError("the student's object is not an array of numbers")
        return array.astype(dtype) if dtype is not None else array

    def __float__(self) -> float:
        value = _ask("float", self)
        if type(value) is not float:
            raise TypeError("float() of the student's object is not a number")
        return value

    def __int__(self) -> int:
        value = _ask("int", self)
        if type(value) is not int:
            raise TypeError("int() of the student's object is not an integer")
        return value

    def __index__(self) -> int:
        value = _ask("index", self)
        if type(value) is not int:
            raise TypeError("the student's object is not an integer")
        return value

    def __instancecheck__(self, obj: Any) -> bool:
        return _ask("isinstance", obj, self) is True

    def __subclasscheck__(self, cls: Any) -> bool:
        return _ask("issubclass", cls, self) is True

    @property
    def __class__(self):
        info = object.__getattribute__(self, "_channel_info")
        where = info.get(Tag.TYPE)
        if type(where) is list and len(where) == 2 and info.get(Tag.KIND) != "class":
            try:
                cls = resolve_global(*where, imported_only=True)
                if isinstance(cls, type):
                    return cls  # a library class (sklearn's Ridge): isinstance() against the real one
            except Exception:
                pass
        return type(self)

    @property
    def __signature__(self):
        params = _ask("signature", self)
        out = []
        for name, kind, has_default, default in params:
            out.append(inspect.Parameter(name, inspect._ParameterKind(kind),
                                         default=default if has_default else inspect.Parameter.empty))
        return inspect.Signature(out)

    @property
    def __name__(self):
        return _ask("getattr", self, "__name__")

    def __mro_entries__(self, bases):
        raise TypeError("two-process grading: a test cannot subclass a class of the student's notebook")


def _make_handle(peer: Peer, hid: int, info: dict) -> Handle:
    where = info.get(Tag.TYPE) if type(info.get(Tag.TYPE)) is list and len(info[Tag.TYPE]) == 2 else ["", "object"]
    cls = _handle_class(str(where[0])[:200], str(where[1])[:200])
    return cls(hid, {Tag.KIND: info.get(Tag.KIND), Tag.TYPE: where})
