"""In the student's kernel, while the grader runs a test cell: answer the grader's requests.

The executor runs `serve(PATH, TOKEN)` in the student's kernel as an ordinary (silent) cell, so the
student's code runs where it always runs: the kernel's main thread, its signals, its limits.
It connects to the grader's socket and serves requests on the notebook's objects: read names,
call functions and methods, read and set attributes, index, iterate, compare types. Results go
back as data or as handles; nothing of the test cell comes here but the arguments of calls.

What the grader hands over that is not data (a trusted function, a recording stub, a random
generator) arrives as a `GraderObject`: calling it, reading its public attributes, iterating it
or testing `isinstance` against it asks the grader, which answers with data or another handle.
`use_trusted`/`replaced` in the test cell rebind names here for the rest of the cell ("bind");
when the grader says it is done, every such name gets its value back.
"""
from __future__ import annotations

import inspect
import secrets
import socket
from typing import Any, Callable

import numpy as np

from .channel import Peer
from .codec import Tables, Tag
from .frames import ChannelError, release

_MISSING = object()


# ids start at a random number per kernel: a handle the grader kept from a kernel that died
# names nothing in its successor, rather than another object
_TABLES = Tables(first_id=1 + secrets.randbits(40))
_CURRENT: dict = {"peer": None}
_TOKEN = object()


def _peer() -> Peer:
    peer = _CURRENT["peer"]
    if peer is None or peer.closed:
        raise RuntimeError("this trusted function of the grader's can only be used while a test cell runs")
    return peer


class GraderObject:
    """A function or object of the grader's, used by the student's code while a test runs."""

    __slots__ = ("_channel_id", "_channel_kind", "__weakref__")
    _channel_peer = _TOKEN

    def __init__(self, hid: int, kind: str):
        self._channel_id = hid
        self._channel_kind = kind

    def __call__(self, *args, **kwargs):
        return _peer().request("call", self, list(args), kwargs)

    def __getattr__(self, name: str):
        if name.startswith("__") and name != "__name__":
            raise AttributeError(name)
        return _peer().request("getattr", self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in GraderObject.__slots__:
            object.__setattr__(self, name, value)
        else:
            _peer().request("setattr", self, name, value)

    def __iter__(self):
        return iter(_peer().request("list", self))

    def __len__(self):
        return _peer().request("len", self)

    def __getitem__(self, key):
        return _peer().request("getitem", self, key)

    def __contains__(self, item):
        return _peer().request("contains", self, item)

    def __instancecheck__(self, obj):
        return _peer().request("isinstance", obj, self)

    def __subclasscheck__(self, cls):
        return _peer().request("issubclass", cls, self)

    def __repr__(self):
        return f"<the grader's {self._channel_kind}>"

    def __mro_entries__(self, bases):
        raise TypeError("a class of the grader's cannot be subclassed in the student's notebook")


def _make_stub(peer: Peer, hid: int, info: dict) -> GraderObject:
    kind = info.get(Tag.KIND) if info.get(Tag.KIND) in ("function", "class", "object") else "object"
    return GraderObject(hid, kind)


def describe(obj: Any) -> dict:
    kind = "class" if isinstance(obj, type) else "callable" if callable(obj) else "object"
    cls = obj if isinstance(obj, type) else type(obj)
    module, name = getattr(cls, "__module__", ""), getattr(cls, "__qualname__", "object")
    return {Tag.KIND: kind,
            Tag.TYPE: [module if isinstance(module, str) else "", name if isinstance(name, str) else "object"]}


def _namespace() -> dict:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        return shell.user_ns
    import __main__

    return vars(__main__)


class _Server:
    """The grader's requests on the notebook's namespace (`namespace()`: the kernel's, by default)."""

    def __init__(self, namespace: Callable[[], dict] = _namespace):
        self.namespace = namespace
        self.saved: dict[str, list] = {}  # name -> the values it had before each bind, oldest first

    def bind(self, names: dict) -> None:
        ns = self.namespace()
        for name, value in names.items():
            if not isinstance(name, str):
                raise TypeError("a name must be a string")
            self.saved.setdefault(name, []).append(ns.get(name, _MISSING))
            ns[name] = value

    def _put_back(self, ns: dict, name: str, value: Any) -> None:
        if value is _MISSING:
            ns.pop(name, None)
        else:
            ns[name] = value

    def unbind(self, names: list) -> None:
        """Undo the latest bind of each name (`replaced` inside `use_trusted` nests)."""
        ns = self.namespace()
        for name in names:
            stack = self.saved.get(name)
            if stack:
                self._put_back(ns, name, stack.pop())
                if not stack:
                    del self.saved[name]

    def restore(self) -> None:
        ns = self.namespace()
        for name, stack in self.saved.items():
            self._put_back(ns, name, stack[0])
        self.saved.clear()

    def __call__(self, method: str, args: tuple) -> Any:
        handler = getattr(self, "op_" + method, None) if method.isidentifier() else None
        if handler is None:
            raise ChannelError(f"unknown request {method!r}")
        return handler(*args)

    # the grader's requests
    def op_get(self, names):
        ns = self.namespace()
        return {name: ns[name] for name in names if isinstance(name, str) and name in ns}

    def op_bind(self, names):
        self.bind(dict(names))

    def op_unbind(self, names):
        self.unbind(list(names))

    @staticmethod
    def op_call(fn, args, kwargs):
        return fn(*args, **kwargs)

    @staticmethod
    def op_new(cls, args):
        return cls.__new__(cls, *args)

    @staticmethod
    def op_getattr(obj, name):
        return getattr(obj, name)

    @staticmethod
    def op_setattr(obj, name, value):
        setattr(obj, name, value)

    @staticmethod
    def op_delattr(obj, name):
        delattr(obj, name)

    @staticmethod
    def op_getitem(obj, key):
        return obj[key]

    @staticmethod
    def op_setitem(obj, key, value):
        obj[key] = value

    @staticmethod
    def op_delitem(obj, key):
        del obj[key]

    @staticmethod
    def op_len(obj):
        return len(obj)

    @staticmethod
    def op_contains(obj, item):
        return item in obj

    @staticmethod
    def op_iter(obj):
        return iter(obj)

    @staticmethod
    def op_next(iterator):
        try:
            return (True, next(iterator))
        except StopIteration:
            return (False, None)

    @staticmethod
    def op_bool(obj):
        return bool(obj)

    @staticmethod
    def op_repr(obj):
        return repr(obj)

    @staticmethod
    def op_str(obj):
        return str(obj)

    @staticmethod
    def op_isinstance(obj, cls):
        return isinstance(obj, cls)

    @staticmethod
    def op_issubclass(sub, cls):
        return issubclass(sub, cls)

    @staticmethod
    def op_array(obj):
        array = np.asarray(obj)
        if type(array) is not np.ndarray or array.dtype.kind not in "biufc":
            raise TypeError(f"{type(obj).__name__} is not an array of numbers")
        return array

    @staticmethod
    def op_float(obj):
        return float(obj)

    @staticmethod
    def op_int(obj):
        return int(obj)

    @staticmethod
    def op_index(obj):
        return obj.__index__()

    @staticmethod
    def op_signature(obj):
        params = []
        for p in inspect.signature(obj).parameters.values():
            params.append((p.name, int(p.kind), p.default is not p.empty, None if p.default is p.empty else p.default))
        return params


def make_peer(sock: socket.socket, server: "_Server", timeout: float | None = None) -> Peer:
    """The student's end of one test cell's conversation."""
    return Peer(sock, server, _make_stub, exports=_TABLES.exports, handles=_TABLES.handles, token=_TOKEN,
                describe=describe, timeout=timeout)


def serve(path: str, token: str | None = None, timeout: float | None = None) -> None:
    """Connect to the grader at `path`, greet it with this cell's `token`, and answer it until
    it is done with this test cell."""
    from .. import guard

    server = _Server()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    busy = getattr(guard._local, "busy", False)
    guard._local.busy = True  # the grader's own connection: not the student's network access
    try:
        sock.connect(path)
    finally:
        guard._local.busy = busy
    peer = make_peer(sock, server, timeout)
    _CURRENT["peer"] = peer
    try:
        peer.hello(token)
        peer.serve()
    except ChannelError:
        pass  # the grader went away: its side records why
    finally:
        _CURRENT["peer"] = None
        server.restore()
        peer.stop()
        release(sock)


__all__ = ["serve", "GraderObject"]
