"""The channel between the grader's kernel and the student's: data only, over a Unix socket.

A frame is `>Q` total length, `>I` header length, a JSON header, then the raw bytes of the
arrays the header names. Values are encoded as:

    None, bool, int, float, str   JSON literals (exact types only: a subclass is a handle)
    list                          a JSON array
    {"T": [...]}                  tuple
    {"D": [[k, v], ...]}          dict
    {"A": i, "dt": "<f8", "sh": [2, 3]}   numpy array (bool/int/uint/float/complex; never object
                                  dtype, never a subclass); i: its buffer
    {"S": i, "dt": "<f8"}         numpy scalar
    {"C": [re, im]}               complex
    {"M": "numpy"}                a module, by name
    {"G": [module, qualname], "H": id, ...}  a library object the receiver may import itself
    {"H": id, "k": kind, "t": [module, name]} an object of the SENDER's, as a handle
    {"R": id}                     an object of the RECEIVER's, sent back
    {"L": [...], "X": n}          a list the grader sent in a request (n names it), or that list
                                  coming back; {"D": ..., "X": n} the same for a dict

A list or dict that the grader hands over keeps its identity, as in one process, as long as the
student's code leaves it unchanged: the student's side remembers which decoded container came
from the grader's container n (for the rest of the test cell), and when it comes back unchanged
(stored, returned) the grader gets its own container back. So `nn.layers is layers` holds when
the student's `__init__` stored the list it was given, and fails for a copy. A container or array
that comes back changed is never written into the grader's object: the grader gets a fresh copy,
and the change is recorded in `Peer.changes` (what `course.grading.call` reads to say "modified
its input in place").

The two sides are not alike. The grader's side (`grader=True`) treats everything it receives as
inert data: it never imports because of a name, takes a library object named by the student's
side as its own only from an allow-list of pure functions and safe classes (`safe_library_object`),
never writes into its own objects, never takes the student's random state, serves only what the
test handed over in this cell (its exports live as long as the Peer, one test cell, under random
ids), and records what it refused in `Peer.anomalies`. The student's side keeps the objects it
sends for the kernel's life (`Tables`), and takes numpy's random state from the grader's requests.

Nothing received is unpickled or evaluated: a dtype is checked against a pattern before numpy
reads it, a handle is a number looked up in the receiver's own table, a module is imported by
name only from a fixed list of libraries. A peer that sends anything else (a malformed frame,
an unknown handle, an object array, a frame larger than `max_frame`) makes the call fail with
`ChannelError`; a peer that does not answer within `timeout` seconds, with `ChannelTimeout`.

Requests nest: while waiting for the answer to its request, a side serves the other's requests
(the student's function calling a trusted function of the grader's, which reads an attribute of
the student's object...), so both sides keep one thread and one stack.
"""
from __future__ import annotations

import builtins
import itertools
import json
import re
import secrets
import socket
import struct
import sys
import time
import types
from typing import Any, Callable

import numpy as np

from ..meter import cut_text, lone_surrogate

MAX_FRAME = 512 * 1024 * 1024
MAX_HEADER = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_MESSAGE = 4000  # characters of an error's message (the rest is cut, with a marker saying how much)
# requests that may run the student's code that draws random numbers (see Peer.request)
SYNC_METHODS = frozenset({"call", "next", "iter", "getitem", "getattr", "setattr"})
MAX_ANOMALIES = 50  # per test cell: what the grader refused, for the tamper report
_DTYPE = re.compile(r"[<>|=]?[biufc][0-9]{1,2}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
# Libraries either side may import by name: what notebooks and tests use, nothing else.
LIBRARIES = frozenset({"numpy", "scipy", "sklearn", "matplotlib", "math", "cmath", "random", "enum",
                       "functools", "itertools", "collections", "operator", "statistics", "builtins"})
# Exceptions rebuilt by type on the receiving side; anything else becomes RemoteError (a
# StopIteration too: rebuilt, it would end a test's loop as if the cases had run out).
_EXCEPTIONS = {name: getattr(builtins, name)
               for name in ("ArithmeticError", "AssertionError", "AttributeError", "FloatingPointError",
                            "IndexError", "KeyError", "LookupError", "NotImplementedError", "OverflowError",
                            "RuntimeError", "TypeError", "ValueError", "ZeroDivisionError",
                            "MemoryError", "RecursionError", "NameError", "UnboundLocalError")}


class ChannelError(Exception):
    """The other side broke the protocol, went away, or sent what is not data."""


class ChannelTimeout(ChannelError):
    """The other side did not answer in time."""


class RemoteError(Exception):
    """An exception raised on the other side whose type is not rebuilt here."""

    def __init__(self, type_name: str, message: str):
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name


# What the grader's kernel may take as its own when the student's side names it: modules loaded
# when it started (freeze_resolvable), the same for every notebook whatever the tests imported
# since; library classes and functions whose name leads back to themselves; no builtin that runs
# code, opens files or reaches into objects.
GRADER_MODULES = ("numpy", "numpy.random", "numpy.linalg", "scipy.special", "sklearn.base", "sklearn.datasets",
                  "sklearn.exceptions", "sklearn.linear_model", "sklearn.neural_network", "sklearn.utils.validation",
                  "math", "cmath", "random", "enum", "functools", "itertools", "collections", "operator",
                  "statistics")
_RESOLVABLE: frozenset | None = None


def freeze_resolvable() -> None:
    """Import GRADER_MODULES and fix the modules the grader resolves names in (at its start)."""
    import importlib
    import sys

    global _RESOLVABLE
    for name in GRADER_MODULES:
        importlib.import_module(name)
    _RESOLVABLE = frozenset(name for name in sys.modules if library_module(name))


def library_module(name: Any) -> bool:
    return isinstance(name, str) and bool(_NAME.fullmatch(name)) and name.split(".")[0] in LIBRARIES


def import_library(name: str, imported_only: bool = False):
    """A library module by name. `imported_only` (the grader, reading what the student's side
    sent): only a module loaded when the grader started (freeze_resolvable); a name never makes
    it import one."""
    import importlib

    if not library_module(name):
        raise ChannelError(f"not a library module: {name!r}")
    if imported_only:
        if _RESOLVABLE is None:
            freeze_resolvable()
        module = sys.modules.get(name) if name in _RESOLVABLE else None
        if module is None:
            raise ChannelError(f"{name!r} is not a module the grader resolves names in")
        return module
    return importlib.import_module(name)


def _public_name(qualname: Any) -> bool:
    return isinstance(qualname, str) and bool(_NAME.fullmatch(qualname)) and not any(
        part.startswith("_") for part in qualname.split("."))


def _walk(value: Any, qualname: str) -> Any:
    """`value.a.b` read from the objects' own dictionaries: never a module's `__getattr__`, which
    imports (scipy's lazy submodules), never a property or descriptor that runs code."""
    for part in qualname.split("."):
        try:
            namespace = object.__getattribute__(value, "__dict__")
        except AttributeError:
            raise ChannelError(f"{qualname!r} cannot be looked up without running code") from None
        if part not in namespace:
            raise ChannelError(f"{qualname!r} is not loaded here")
        value = namespace[part]
    return value


def resolve_global(module: str, qualname: str, imported_only: bool = False):
    """The object `module.qualname` of a library, or raise ChannelError. `imported_only` (the
    grader): in a module loaded at its start, read without running code (`_walk`)."""
    if not _public_name(qualname):
        raise ChannelError(f"not a public name: {qualname!r}")
    value = import_library(module, imported_only)
    if imported_only:
        return _walk(value, qualname)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def _loaded_global(module: str, qualname: str) -> Any:
    """`module.qualname` if that module is loaded, read without running code (never imports)."""
    if not library_module(module) or not _public_name(qualname):
        raise ChannelError(f"not a library name: {module}.{qualname}")
    loaded = sys.modules.get(module)
    if loaded is None:
        raise ChannelError(f"{module!r} is not loaded")
    return _walk(loaded, qualname)


def global_name(obj: Any) -> tuple[str, str] | None:
    """(module, qualname) when `obj` is a public function, class or ufunc of a library (found in
    the modules already loaded: an object's own module always is, so this never imports)."""
    if isinstance(obj, np.ufunc):
        for module in ("numpy", "scipy.special"):
            try:
                if _loaded_global(module, obj.__name__) is obj:
                    return module, obj.__name__
            except Exception:
                continue
        return None
    if not isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)) and type(obj).__name__ not in (
            "_ArrayFunctionDispatcher", "cython_function_or_method", "fused_cython_function"):
        return None
    try:
        module, qualname = obj.__module__, obj.__qualname__
    except Exception:
        return None
    if not library_module(module) or not isinstance(qualname, str):
        return None
    public = module.split(".")
    # numpy.core.numeric.allclose is numpy.allclose: try the public parents first
    for candidate in [".".join(public[:i]) for i in range(1, len(public))] + [module]:
        try:
            if _loaded_global(candidate, qualname) is obj:
                return candidate, qualname
        except Exception:
            continue
    return None


# What the grader takes as its own when the student's side names a library object (anything else
# stays a handle: using it runs in the student's kernel). Pure functions only: never one that
# writes or reads files, changes a library's settings or global random state, or runs code.
PURE_FUNCTIONS = {
    "numpy": frozenset("""abs absolute all allclose amax amin any append arange argmax argmin argsort around array
        array_equal array_equiv asarray asanyarray ascontiguousarray atleast_1d atleast_2d atleast_3d average clip
        column_stack concatenate copy corrcoef count_nonzero cov cumprod cumsum diag diagonal diff dot einsum
        expand_dims eye flatnonzero flip full full_like hstack identity inner isclose isfinite
        isinf isnan kron linspace mean median meshgrid moveaxis nan_to_num nanmax nanmean nanmin nansum ndim
        nonzero ones ones_like outer pad percentile prod ptp quantile ravel repeat reshape round searchsorted
        shape sort split squeeze stack std sum swapaxes take tensordot tile trace transpose tril triu unique
        var vstack where zeros zeros_like""".split()),
    "numpy.linalg": frozenset("cond det eig eigh eigvals inv lstsq matrix_rank norm pinv qr slogdet solve svd".split()),
    "scipy.special": frozenset("expit logit softmax log_softmax logsumexp xlogy xlog1py".split()),
    "builtins": frozenset("abs all any divmod enumerate filter isinstance issubclass len map max min pow "
                          "reversed round sorted sum zip".split()),
    "math": None,  # every public function of math and cmath is pure
    "cmath": None,
    "operator": frozenset("""abs add and_ concat contains eq floordiv ge gt index inv invert is_ is_not le lshift
        lt matmul mod mul ne neg not_ or_ pos pow rshift sub truediv truth xor""".split()),
}
# Classes: the grader needs the real ones (isinstance against np.ndarray, MLPClassifier, an
# exception type), and may construct them, so only kinds whose construction only stores data:
# numpy's arrays and scalar types, scikit-learn's estimators, exceptions, enums, plain builtins.
SAFE_BUILTIN_CLASSES = frozenset("bool int float complex str bytes list tuple dict set frozenset slice range".split())
UNSAFE_CLASSES = frozenset({("numpy", "memmap")})


def _safe_class(cls: type, name: tuple[str, str]) -> bool:
    import enum

    if name in UNSAFE_CLASSES or issubclass(cls, (types.ModuleType, type)):
        return False
    root = name[0].split(".")[0]
    if root == "builtins":
        return name[1] in SAFE_BUILTIN_CLASSES or issubclass(cls, BaseException)
    if root == "numpy":
        return issubclass(cls, (np.generic, np.ndarray, np.dtype)) or issubclass(cls, Exception)
    if root == "sklearn":
        base = sys.modules.get("sklearn.base")
        return (base is not None and issubclass(cls, base.BaseEstimator)) or issubclass(cls, Exception)
    if root == "enum":
        return issubclass(cls, enum.Enum)
    return root == "scipy" and issubclass(cls, Exception)


def safe_library_object(obj: Any, where: list) -> bool:
    """Whether the grader may use its own `obj` for the library object the student's side named
    `where`: under its own name (not reached through another module, `numpy.f2py.os.system`), and
    a pure function or a safe class (PURE_FUNCTIONS, UNSAFE_CLASSES)."""
    name = global_name(obj)
    if name is None or list(name) != list(where):
        return False
    module, qualname = name
    if isinstance(obj, type):
        return _safe_class(obj, name)
    if isinstance(obj, np.ufunc):
        return True
    allowed = PURE_FUNCTIONS.get(module, frozenset())
    return (allowed is None and module in ("math", "cmath")) or (allowed is not None and qualname in allowed)


def is_data(value: Any, depth: int = 0) -> bool:
    """Whether `value` crosses the channel as data (see the module's doc), not as a handle."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str, complex):
        return True
    if kind is np.ndarray:
        return value.dtype.kind in "biufc" and value.dtype.fields is None
    if isinstance(value, np.generic):
        return kind.__module__ == "numpy" and value.dtype.kind in "biufc"
    if depth < MAX_DEPTH and kind in (list, tuple):
        return all(is_data(v, depth + 1) for v in value)
    if depth < MAX_DEPTH and kind is dict:
        return all(is_data(k, depth + 1) and is_data(v, depth + 1) for k, v in value.items())
    return False


# --- frames ----------------------------------------------------------------------------------

class _Reader:
    """Buffered reads from a socket, with a deadline (one recv per frame in the common case)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()

    def read(self, n: int, deadline: float | None) -> bytearray:
        while len(self.buf) < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ChannelTimeout("the other side did not answer in time")
                self.sock.settimeout(left)
            else:
                self.sock.settimeout(None)
            try:
                chunk = self.sock.recv(max(n - len(self.buf), 1 << 16))
            except socket.timeout:
                raise ChannelTimeout("the other side did not answer in time") from None
            except OSError as error:
                raise ChannelError(f"the connection broke: {error}") from None
            if not chunk:
                raise ChannelError("the other side closed the connection")
            self.buf += chunk
        out = self.buf[:n]
        del self.buf[:n]
        return out


def release(sock: socket.socket) -> None:
    """Close a connection and drop its read buffer."""
    _READERS.pop(id(sock), None)
    try:
        sock.close()
    except OSError:
        pass


def _reader(sock: socket.socket) -> _Reader:
    reader = _READERS.get(id(sock))
    if reader is None or reader.sock is not sock:
        reader = _READERS[id(sock)] = _Reader(sock)
    return reader


_READERS: dict = {}


def send_frame(sock: socket.socket, header: dict, buffers: list) -> None:
    head = json.dumps(header, separators=(",", ":"), allow_nan=True).encode()
    parts = [struct.pack(">QI", 4 + len(head) + sum(memoryview(b).nbytes for b in buffers), len(head)) + head]
    parts += [memoryview(b).cast("B") for b in buffers if memoryview(b).nbytes]
    try:
        sock.settimeout(None)
        sent = sock.sendmsg(parts)  # one system call for the whole frame, mostly
        total = sum(p.nbytes if isinstance(p, memoryview) else len(p) for p in parts)
        if sent < total:
            rest = b"".join(bytes(p) for p in parts)[sent:]
            sock.sendall(rest)
    except OSError as error:
        raise ChannelError(f"the connection broke: {error}") from None


def recv_frame(sock: socket.socket, timeout: float | None = None, max_frame: int = MAX_FRAME):
    """(header dict, list of buffers); raise ChannelError on anything malformed."""
    deadline = None if timeout is None else time.monotonic() + timeout
    reader = _reader(sock)
    total, head_len = struct.unpack(">QI", reader.read(12, deadline))
    if total > max_frame or head_len > min(total - 4, MAX_HEADER) or total < 4 + head_len:
        raise ChannelError(f"a frame of {total} bytes (header {head_len}) is over the limit or malformed")
    head = reader.read(head_len, deadline)
    try:
        header = json.loads(head.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ChannelError(f"malformed header: {str(error)[:100]}") from None
    if lone_surrogate(head, header):  # "\ud800" alone: a str no file, report or feedback can hold
        raise ChannelError("malformed header: a lone surrogate in a string")
    if not isinstance(header, dict):
        raise ChannelError("malformed header: not an object")
    sizes = header.get("b", [])
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes) or \
            sum(sizes) != total - 4 - head_len:
        raise ChannelError("malformed frame: the buffer sizes do not add up")
    body = reader.read(total - 4 - head_len, deadline) if sizes else bytearray()
    buffers, offset = [], 0
    for size in sizes:
        buffers.append(memoryview(body)[offset:offset + size])
        offset += size
    return header, buffers


# --- the peer ---------------------------------------------------------------------------------

class Exports:
    """The objects one side has sent the other as handles, by id.

    The student's side keeps one for its kernel's life (a student object keeps its id from one
    test cell to the next), numbered from a random start per kernel so that an id the grader kept
    from a kernel that died names nothing in the next one. The grader's side makes one per test
    cell with random ids (`random_ids`): what a test handed over cannot be named, guessed or used
    once its cell is over.
    """

    def __init__(self, first_id: int = 1, random_ids: bool = False):
        self.objects: dict[int, Any] = {}
        self._ids: dict[int, int] = {}  # id(obj) -> its number
        self._next = itertools.count(first_id)
        self.random_ids = random_ids

    def add(self, obj: Any) -> int:
        hid = self._ids.get(id(obj))
        if hid is None or self.objects.get(hid) is not obj:
            hid = next(self._next)
            while self.random_ids and (hid := secrets.randbits(62) + 1) in self.objects:
                pass
            self.objects[hid] = obj
            self._ids[id(obj)] = hid
        return hid

    def holds(self, obj: Any) -> bool:
        hid = self._ids.get(id(obj))
        return hid is not None and self.objects.get(hid) is obj

    def clear(self) -> None:
        self.objects.clear()
        self._ids.clear()


class Tables:
    """The student's side's exports and handles, kept for its kernel's life."""

    def __init__(self, first_id: int = 1):
        self.exports = Exports(first_id)
        self.handles: dict[int, Any] = {}


class RandomSync:
    """The grader's numpy random state as last sent to the student's kernel.

    The state a test sets (np.random.seed) applies to the student's side: the grader sends its
    state with a call when the test changed it since it last sent one (it seeded or drew), and
    otherwise lets the student's kernel go on with its own stream. The student's state never comes
    back: it is the student's data, never the grader's generator. Once its state is sent, the
    grader's own generator moves to a fresh secret state, so that a test that seeds the same value
    again is seen to have changed it (`np.random.seed(1)` before each of two calls gives both the
    same numbers, as in one process), and a draw the test makes after a student's call is not one
    the student's code could predict.
    """

    def __init__(self):
        self.last: bytes | None = None

    @staticmethod
    def _key(state: tuple) -> bytes:
        return state[1].tobytes() + repr(state[2:]).encode()

    def outgoing(self) -> tuple | None:
        state = np.random.get_state()
        if self._key(state) == self.last:
            return None
        np.random.seed([secrets.randbits(32) for _ in range(4)])
        self.last = self._key(np.random.get_state())
        return state[1:]


class Peer:
    """One end of the channel: its exported objects, its handles of the other side's, requests.

    `handler(method, args)` serves the other side's requests (args decoded); `make_handle(peer,
    id, info)` builds the local stand-in for an object of the other side's; `describe(obj)` says
    what the other side learns about an object it gets as a handle; `token` is what this side's
    handles carry as `_channel_peer`. The grader's side (`grader=True`, see the module's doc)
    passes `exports` of its own per test cell, `random` (its RandomSync) and `can_export` (what
    its tests may hand over); the student's side passes its kernel's `Tables`.
    """

    def __init__(self, sock: socket.socket, handler: Callable, make_handle: Callable, *,
                 exports: Exports, handles: dict, token: Any = None, describe: Callable | None = None,
                 grader: bool = False, random: RandomSync | None = None,
                 can_export: Callable[[Any], bool] | None = None,
                 timeout: float | None = None, max_frame: int = MAX_FRAME):
        self.sock = sock
        self.handler = handler
        self.make_handle = make_handle
        self.exports = exports
        self.handles = handles
        self.token = token if token is not None else self
        if describe is not None:
            self.describe = describe
        self.grader = grader
        self.random = random
        self.can_export = can_export
        self.timeout = timeout
        self.max_frame = max_frame
        self._requests = itertools.count(1)
        self.closed = False
        self._depth = 0
        # the grader's side: containers sent in requests, by number (see the module's doc);
        # the student's side: id(decoded container) -> (container, number). A test cell talks
        # through a Peer of its own, so containers keep their identity within one cell
        self._tracking = False
        self.containers: dict[int, Any] = {}
        self._container_ids: dict[int, int] = {}
        self.origins: dict[int, tuple] = {}
        self.callback_failures: list[BaseException] = []
        self.asking = 0  # the grader's side: how deep in its own requests (failures count at the outermost)
        # the grader's side: (its object, the fresh copy the student's code changed it into)
        self.changes: list[tuple[Any, Any]] = []
        # the grader's side: what the other side sent that it refused (for the tamper report)
        self.anomalies: list[str] = []

    def anomaly(self, text: str) -> None:
        if self.grader and len(self.anomalies) < MAX_ANOMALIES:
            self.anomalies.append(text[:300])

    # ------------------------------------------------------------------ exports and handles
    def export(self, obj: Any) -> int:
        if self.can_export is not None and not self.can_export(obj):
            raise TypeError(f"the grader does not hand a {type(obj).__name__} over to the student's code")
        return self.exports.add(obj)

    def exported(self, hid: Any) -> Any:
        if type(hid) is int and hid in self.exports.objects:
            return self.exports.objects[hid]
        if self.grader:
            self.anomaly(f"used an object of the grader's that this test cell did not hand over ({str(hid)[:40]})")
            raise TypeError("the student's code used an object of the grader's that this test cell did not "
                            "hand over (one of an earlier cell's, or a made-up one)")
        raise ChannelError(f"the other side named an object that was never sent to it ({str(hid)[:40]})")

    def handle_id(self, obj: Any) -> int | None:
        """The other side's id when `obj` is one of our handles of its objects."""
        try:
            if getattr(obj, "_channel_peer", None) is self.token:
                hid = obj._channel_id
                return hid if type(hid) is int else None
        except Exception:
            pass
        return None

    # ------------------------------------------------------------------ encoding
    def describe(self, obj: Any) -> dict:
        """What the other side learns about an object it gets as a handle."""
        return {"k": "callable" if callable(obj) else "object"}

    def encode(self, value: Any, buffers: list, arrays: dict, memo: dict, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ChannelError("a value nested too deeply to send")
        kind = type(value)
        if value is None or kind in (bool, int, str, float):
            return value
        if kind is complex:
            return {"C": [value.real, value.imag]}
        if kind is list:
            items = [self.encode(v, buffers, arrays, memo, depth + 1) for v in value]
            number = self._container_number(value)
            return items if number is None else {"L": items, "X": number}
        if kind is tuple:
            return {"T": [self.encode(v, buffers, arrays, memo, depth + 1) for v in value]}
        if kind is dict:
            out = {"D": [[self.encode(k, buffers, arrays, memo, depth + 1),
                          self.encode(v, buffers, arrays, memo, depth + 1)] for k, v in value.items()]}
            number = self._container_number(value)
            if number is not None:
                out["X"] = number
            return out
        if kind is np.ndarray and value.dtype.kind in "biufc" and value.dtype.fields is None:
            key = id(value)
            if key in memo:
                index = memo[key]
            else:
                data = np.ascontiguousarray(value)
                index = len(buffers)
                buffers.append(data.reshape(-1).view(np.uint8) if data.size else b"")
                arrays[index] = value
                memo[key] = index
            return {"A": index, "dt": value.dtype.str, "sh": list(value.shape)}
        if isinstance(value, np.generic) and kind.__module__ == "numpy" and value.dtype.kind in "biufc":
            buffers.append(np.array(value).reshape(-1).view(np.uint8))
            return {"S": len(buffers) - 1, "dt": value.dtype.str}
        if kind is types.ModuleType and library_module(getattr(value, "__name__", None)):
            return {"M": value.__name__}
        hid = self.handle_id(value)
        if hid is not None:
            return {"R": hid}
        where = global_name(value)
        if where is not None and self.grader:
            # the student's side imports its own; the grader's is never the student's to use
            return {"H": 0, "G": list(where), **self.describe(value)}
        out = {"H": self.export(value)}
        if where is not None:
            out["G"] = list(where)
        out.update(self.describe(value))
        return out

    def _container_number(self, value: Any) -> int | None:
        """The number a list or dict travels with (see the module's doc), or None."""
        if self._tracking:  # the grader, sending a request: name the container
            number = self._container_ids.get(id(value))
            if number is None or self.containers.get(number) is not value:
                number = len(self.containers) + 1
                self.containers[number] = value
                self._container_ids[id(value)] = number
            return number
        origin = self.origins.get(id(value))  # the student's side, sending one back
        return origin[1] if origin is not None and origin[0] is value else None

    def _container(self, value: dict, content: Any) -> Any:
        number = value.get("X")
        if number is None:
            return content
        if type(number) is not int:
            raise ChannelError("malformed container number")
        if not self.grader:  # the student's side: remember where it came from
            self.origins[id(content)] = (content, number)
            return content
        original = self.containers.get(number)
        if original is None:
            self.anomaly(f"named a list or dict the grader never sent ({str(number)[:40]})")
            return content
        if type(original) is type(content) and same_data(original, content):
            return original  # unchanged: the grader's own, so identity holds as in one process
        self.changes.append((original, content))  # changed: a fresh copy, never written into the grader's
        return content

    def decode(self, value: Any, buffers: list, arrays: dict, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ChannelError("a value nested too deeply")
        if value is None or type(value) in (bool, int, float, str):
            return value
        if type(value) is list:
            return [self.decode(v, buffers, arrays, depth + 1) for v in value]
        if type(value) is not dict or len(value) == 0:
            raise ChannelError(f"not a value: {str(value)[:80]}")
        if "L" in value and type(value["L"]) is list:
            return self._container(value, [self.decode(v, buffers, arrays, depth + 1) for v in value["L"]])
        if "A" in value:
            index = value["A"]
            if type(index) is int and index in arrays:
                return arrays[index][0]
            dtype, shape = value.get("dt"), value.get("sh")
            if type(index) is not int or not 0 <= index < len(buffers) or not isinstance(dtype, str) or \
                    not _DTYPE.fullmatch(dtype) or type(shape) is not list or \
                    not all(type(n) is int and n >= 0 for n in shape) or len(shape) > 32:
                raise ChannelError("malformed array")
            dt = _numeric_dtype(dtype)
            count = int(np.prod(shape, dtype=object)) if shape else 1
            raw = buffers[index]
            if count * dt.itemsize != raw.nbytes:
                raise ChannelError("an array's bytes do not match its shape")
            try:
                array = np.frombuffer(raw, dtype=dt).reshape(shape).copy()
            except ValueError:  # a shape numpy cannot make (0 x 2**62): a forged frame, never a test's error
                raise ChannelError("malformed array: a shape numpy cannot make") from None
            arrays[index] = (array, raw)
            return array
        if "S" in value:
            index, dtype = value["S"], value.get("dt")
            if type(index) is not int or not 0 <= index < len(buffers) or not isinstance(dtype, str) or \
                    not _DTYPE.fullmatch(dtype):
                raise ChannelError("malformed scalar")
            dt = _numeric_dtype(dtype)
            if buffers[index].nbytes != dt.itemsize:
                raise ChannelError("malformed scalar")
            return np.frombuffer(buffers[index], dtype=dt)[0]
        if "T" in value and type(value["T"]) is list:
            return tuple(self.decode(v, buffers, arrays, depth + 1) for v in value["T"])
        if "D" in value and type(value["D"]) is list:
            out = {}
            for pair in value["D"]:
                if type(pair) is not list or len(pair) != 2:
                    raise ChannelError("malformed dict")
                key = self.decode(pair[0], buffers, arrays, depth + 1)
                try:
                    out[key] = self.decode(pair[1], buffers, arrays, depth + 1)
                except TypeError:
                    raise ChannelError("a dict key that is not hashable") from None
            return self._container(value, out)
        if "C" in value:
            pair = value["C"]
            if type(pair) is not list or len(pair) != 2 or not all(type(x) in (int, float) for x in pair):
                raise ChannelError("malformed complex")
            return complex(pair[0], pair[1])
        if "M" in value:
            try:
                return import_library(value["M"], imported_only=self.grader)
            except ImportError:
                raise ChannelError(f"cannot import {value['M']!r}") from None
        if "R" in value:
            return self.exported(value["R"])
        if "H" in value:
            hid = value["H"]
            if type(hid) is not int:
                raise ChannelError("malformed handle")
            if "G" in value and type(value["G"]) is list and len(value["G"]) == 2:
                try:
                    found = resolve_global(*value["G"], imported_only=self.grader)
                    if not self.grader or safe_library_object(found, value["G"]):
                        return found
                except Exception:
                    pass  # not importable here, or not the grader's to use: a handle after all
            handle = self.handles.get(hid)
            if handle is None:
                handle = self.handles[hid] = self.make_handle(self, hid, value)
            return handle
        raise ChannelError(f"not a value: {str(value)[:80]}")

    # ------------------------------------------------------------------ messages
    def _send(self, header: dict, payload: Any = None, with_payload: bool = False, sync: bool = False) -> dict:
        buffers: list = []
        arrays: dict = {}
        if with_payload:
            header["v"] = self.encode(payload, buffers, arrays, {})
        if sync and self.random is not None:
            state = self.random.outgoing()
            if state is not None:
                header["rs"] = self.encode(state, buffers, {}, {})
        header["b"] = [memoryview(b).nbytes for b in buffers]
        send_frame(self.sock, header, buffers)
        return arrays

    def _receive(self, timeout: float | None):
        header, buffers = recv_frame(self.sock, timeout, self.max_frame)
        if "rs" in header and not self.grader:  # the grader's state, for the student's code it calls
            self._take_random_state(header["rs"], buffers)
        return header, buffers

    def _take_random_state(self, encoded: Any, buffers: list) -> None:
        state = self.decode(encoded, buffers, {})
        try:
            keys, pos, has_gauss, cached = state
            if type(keys) is not np.ndarray or keys.shape != (624,) or keys.dtype.kind not in "ui":
                raise ValueError
            np.random.set_state(("MT19937", keys.astype(np.uint32), int(pos), int(has_gauss), float(cached)))
        except (ValueError, TypeError):
            raise ChannelError("malformed random state") from None

    def request(self, method: str, *args: Any) -> Any:
        """Ask the other side; serve its requests meanwhile; return its answer or raise its error."""
        if self.closed:
            raise ChannelError("the channel is closed")
        rid = next(self._requests)
        # numpy's global random state goes along with the outermost calls of the student's code
        # when the test changed it (RandomSync)
        sync = self._depth == 0 and method in SYNC_METHODS
        self._depth += 1
        try:
            return self._request(rid, method, args, sync)
        finally:
            self._depth -= 1

    def _request(self, rid: int, method: str, args: tuple, sync: bool) -> Any:
        self._tracking = self.grader
        try:
            sent = self._send({"q": method, "i": rid}, args, with_payload=True, sync=sync)
        finally:
            self._tracking = False
        while True:
            header, buffers = self._receive(self.timeout)
            if "q" in header:
                self._serve_one(header, buffers)
                continue
            if header.get("r") != rid:
                if header.get("done"):
                    self.closed = True
                    raise ChannelError("the other side ended the conversation during a call")
                raise ChannelError("an answer to a question that was not asked")
            arrays: dict = {}
            if "e" in header:
                self._changed_arrays(header, buffers, sent)
                raise self._rebuild(header["e"])
            value = self.decode(header.get("v"), buffers, arrays)
            self._changed_arrays(header, buffers, sent)
            return value

    def _changed_arrays(self, header: dict, buffers: list, sent: dict) -> None:
        """The other side changed arrays we sent it in place. The student's side does the same to
        its own (as in one process); the grader's side records the change (`changes`) and never
        writes into its arrays."""
        changed = header.get("c")
        if not changed:
            return
        if type(changed) is not list:
            raise ChannelError("malformed in-place update")
        for item in changed:
            if type(item) is not list or len(item) != 2 or type(item[0]) is not int or item[0] not in sent:
                raise ChannelError("malformed in-place update")
            new = self.decode(item[1], buffers, {})
            old = sent[item[0]]
            if type(new) is not np.ndarray:
                raise ChannelError("malformed in-place update")
            if self.grader:
                self.changes.append((old, new))
            elif new.shape == old.shape and new.dtype == old.dtype and old.flags.writeable:
                np.copyto(old, new)

    def _rebuild(self, error: Any) -> BaseException:
        if type(error) is not dict:
            return ChannelError("malformed error")
        name, message = str(error.get("t", "Exception"))[:100], cut_text(str(error.get("m", "")), MAX_MESSAGE)
        cls = _EXCEPTIONS.get(name)
        if cls is not None:
            return cls(message) if name != "KeyError" else KeyError(message)
        where = error.get("g")
        if type(where) is list and len(where) == 2:
            try:
                cls = resolve_global(*where, imported_only=self.grader)
                if isinstance(cls, type) and issubclass(cls, Exception) and \
                        not issubclass(cls, (StopIteration, StopAsyncIteration)):
                    return cls(message)
            except Exception:
                pass
        return RemoteError(name, message)

    def _serve_one(self, header: dict, buffers: list) -> None:
        rid = header.get("i")
        method = header.get("q")
        arrays: dict = {}
        try:
            if type(rid) is not int or type(method) is not str:
                raise ChannelError("malformed request")
            args = self.decode(header.get("v"), buffers, arrays)
            if type(args) is not tuple:
                raise ChannelError("malformed request arguments")
            result = self.handler(method, args)
            reply, payload = self._reply_frame({"r": rid}, result, arrays)
        except (ChannelError, KeyboardInterrupt):
            raise
        except BaseException as error:  # the request failed: the asker gets the error as data
            if isinstance(error, SystemExit):
                error = RuntimeError(f"SystemExit: {error}")
            self.callback_failures.append(error)
            reply = {"r": rid, "e": {"t": type(error).__name__, "m": _message(error)}}
            where = global_name(type(error))
            if where is not None:
                reply["e"]["g"] = list(where)
            reply, payload = self._reply_frame(reply, None, arrays, with_payload=False)
        send_frame(self.sock, reply, payload)

    def _reply_frame(self, header: dict, result: Any, arrays: dict, with_payload: bool = True):
        """The reply's header and buffers: the result, and the arrays of the request changed in place."""
        buffers: list = []
        if with_payload:
            header["v"] = self.encode(result, buffers, {}, {})
        changed = [(index, array) for index, (array, raw) in arrays.items()
                   if array.nbytes != raw.nbytes or array.tobytes() != bytes(raw)]
        if changed:
            header["c"] = [[index, self.encode(array, buffers, {}, {})] for index, array in changed]
        header["b"] = [memoryview(b).nbytes for b in buffers]
        return header, buffers

    def serve(self, timeout: float | None = None) -> dict:
        """Serve requests until the other side says it is done; return its last header."""
        while True:
            header, buffers = self._receive(timeout)
            if header.get("done"):
                self.closed = True
                return header
            if "q" not in header:
                raise ChannelError("an answer to a question that was not asked")
            self._serve_one(header, buffers)

    def done(self) -> None:
        if not self.closed:
            self.closed = True
            self._send({"done": True})

    def hello(self, token: str | None = None) -> None:
        self._send({"hello": True, "t": token})

    def wait_hello(self, timeout: float | None) -> Any:
        """Wait for the other side's greeting; return the token it carries."""
        header, _ = self._receive(timeout)
        if not header.get("hello"):
            raise ChannelError("the other side did not greet")
        return header.get("t")


def _numeric_dtype(text: str) -> np.dtype:
    """The numeric dtype a frame names. `<i16` or `<b2` match _DTYPE but are no numpy type: numpy's
    TypeError would reach the test as the student's function raising it, and go unreported."""
    try:
        dt = np.dtype(text)
    except TypeError:
        raise ChannelError(f"not a numeric type: {text}") from None
    if dt.kind not in "biufc" or dt.hasobject:
        raise ChannelError(f"not a numeric array: {text}")
    return dt


def same_data(a: Any, b: Any, depth: int = 0) -> bool:
    """Whether two decoded values hold the same data (arrays by bytes; other objects by identity)."""
    if type(a) is not type(b) or depth > MAX_DEPTH:
        return False
    if type(a) is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same_data(x, y, depth + 1) for x, y in zip(a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(same_data(a[k], b[k], depth + 1) for k in a)
    if a is None or type(a) in (bool, int, float, str, complex) or isinstance(a, np.generic):
        return bool(a == b) or (a != a and b != b)
    return a is b


def _message(error: BaseException) -> str:
    try:
        text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    except Exception:
        text = "(its message could not be read)"
    return cut_text(text, MAX_MESSAGE)
