"""The channel's values: what crosses as data, and how; what crosses as a handle.

A frame's header carries values as JSON, with the raw bytes of its arrays in the frame's buffers
(frames.py). `Tag` names the keys of the encoded values (see its table); everything that is not
data (`is_data`) crosses as a handle: a number the receiver looks up in its own table, or builds a
stand-in for (`make_handle`). Nothing received is unpickled or evaluated: a dtype is checked
against a pattern before numpy reads it, a handle is a number looked up in the receiver's own
table, a module or library object is looked up by name only in a fixed list of libraries
(library.py).

A list or dict that the grader hands over keeps its identity, as in one process, as long as the
student's code leaves it unchanged: the student's side remembers which decoded container came
from the grader's container n (for the rest of the test cell), and when it comes back unchanged
(stored, returned) the grader gets its own container back. So `nn.layers is layers` holds when
the student's `__init__` stored the list it was given, and fails for a copy. A container or array
that comes back changed is never written into the grader's object: the grader gets a fresh copy,
and the change is recorded in `changes` (what `course.grading.call` reads to say "modified its
input in place").
"""
from __future__ import annotations

import itertools
import re
import secrets
import types
from typing import Any, Callable

import numpy as np

from .frames import ChannelError
from .library import global_name, import_library, library_module, resolve_global, safe_library_object

MAX_DEPTH = 64
MAX_ANOMALIES = 50  # per test cell: what the grader refused, for the tamper report
_DTYPE = re.compile(r"[<>|=]?[biufc][0-9]{1,2}")


class Tag:
    """The keys of an encoded value, named once. Values are encoded as:

    ==========================================  =================================================
    None, bool, int, float, str                 JSON literals (exact types only: a subclass is a
                                                handle)
    list                                        a JSON array
    {TUPLE: [...]}                              tuple
    {DICT: [[k, v], ...]}                       dict
    {ARRAY: i, DTYPE: "<f8", SHAPE: [2, 3]}     numpy array (bool/int/uint/float/complex; never
                                                object dtype, never a subclass); i: its buffer
    {SCALAR: i, DTYPE: "<f8"}                   numpy scalar
    {COMPLEX: [re, im]}                         complex
    {MODULE: "numpy"}                           a module, by name
    {GLOBAL: [module, qualname], HANDLE: id,    a library object the receiver may import itself
    ...}
    {HANDLE: id, KIND: kind, TYPE: [module,     an object of the SENDER's, as a handle (KIND and
    name]}                                      TYPE: what `describe` tells of it)
    {RETURNED: id}                              an object of the RECEIVER's, sent back
    {LIST: [...], CONTAINER: n}                 a list the grader sent in a request (n names
                                                it), or that list coming back; {DICT: ...,
                                                CONTAINER: n} the same for a dict
    ==========================================  =================================================
    """

    TUPLE = "T"
    DICT = "D"
    ARRAY = "A"
    DTYPE = "dt"
    SHAPE = "sh"
    SCALAR = "S"
    COMPLEX = "C"
    MODULE = "M"
    GLOBAL = "G"
    HANDLE = "H"
    KIND = "k"
    TYPE = "t"
    RETURNED = "R"
    LIST = "L"
    CONTAINER = "X"


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


class Codec:
    """The values half of a peer: encodes what it sends, decodes what it receives, keeps its
    exported objects and its handles of the other side's.

    `make_handle(peer, id, info)` builds the local stand-in for an object of the other side's;
    `describe(obj)` says what the other side learns about an object it gets as a handle; `token`
    is what this side's handles carry as `_channel_peer`. The grader's side (`grader=True`, see
    channel.py) passes `exports` of its own per test cell and `can_export` (what its tests may hand
    over); the student's side passes its kernel's `Tables`. `on_anomaly(text, count)` hears of
    each refusal as it is recorded (the grader logs the first few where a lost kernel keeps them).
    """

    def __init__(self, make_handle: Callable, *, exports: Exports, handles: dict, token: Any = None,
                 describe: Callable | None = None, grader: bool = False,
                 can_export: Callable[[Any], bool] | None = None,
                 on_anomaly: Callable[[str, int], None] | None = None):
        self.make_handle = make_handle
        self.on_anomaly = on_anomaly
        self.exports = exports
        self.handles = handles
        self.token = token if token is not None else self
        if describe is not None:
            self.describe = describe
        self.grader = grader
        self.can_export = can_export
        # the grader's side: containers sent in requests, by number (see the module's doc);
        # the student's side: id(decoded container) -> (container, number). A test cell talks
        # through a Peer of its own, so containers keep their identity within one cell
        self._tracking = False
        self.containers: dict[int, Any] = {}
        self._container_ids: dict[int, int] = {}
        self.origins: dict[int, tuple] = {}
        # the grader's side: (its object, the fresh copy the student's code changed it into)
        self.changes: list[tuple[Any, Any]] = []
        # the grader's side: what the other side sent that it refused (for the tamper report)
        self.anomalies: list[str] = []

    def anomaly(self, text: str) -> None:
        if self.grader and len(self.anomalies) < MAX_ANOMALIES:
            self.anomalies.append(text[:300])
            if self.on_anomaly is not None:
                self.on_anomaly(self.anomalies[-1], len(self.anomalies))

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
        return {Tag.KIND: "callable" if callable(obj) else "object"}

    def encode(self, value: Any, buffers: list, arrays: dict, memo: dict, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ChannelError("a value nested too deeply to send")
        kind = type(value)
        if value is None or kind in (bool, int, str, float):
            return value
        if kind is complex:
            return {Tag.COMPLEX: [value.real, value.imag]}
        if kind is list:
            items = [self.encode(v, buffers, arrays, memo, depth + 1) for v in value]
            number = self._container_number(value)
            return items if number is None else {Tag.LIST: items, Tag.CONTAINER: number}
        if kind is tuple:
            return {Tag.TUPLE: [self.encode(v, buffers, arrays, memo, depth + 1) for v in value]}
        if kind is dict:
            out = {Tag.DICT: [[self.encode(k, buffers, arrays, memo, depth + 1),
                          self.encode(v, buffers, arrays, memo, depth + 1)] for k, v in value.items()]}
            number = self._container_number(value)
            if number is not None:
                out[Tag.CONTAINER] = number
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
            return {Tag.ARRAY: index, Tag.DTYPE: value.dtype.str, Tag.SHAPE: list(value.shape)}
        if isinstance(value, np.generic) and kind.__module__ == "numpy" and value.dtype.kind in "biufc":
            buffers.append(np.array(value).reshape(-1).view(np.uint8))
            return {Tag.SCALAR: len(buffers) - 1, Tag.DTYPE: value.dtype.str}
        if kind is types.ModuleType and library_module(getattr(value, "__name__", None)):
            return {Tag.MODULE: value.__name__}
        hid = self.handle_id(value)
        if hid is not None:
            return {Tag.RETURNED: hid}
        where = global_name(value)
        if where is not None and self.grader:
            # the student's side imports its own; the grader's is never the student's to use
            return {Tag.HANDLE: 0, Tag.GLOBAL: list(where), **self.describe(value)}
        out = {Tag.HANDLE: self.export(value)}
        if where is not None:
            out[Tag.GLOBAL] = list(where)
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
        number = value.get(Tag.CONTAINER)
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
        if Tag.LIST in value and type(value[Tag.LIST]) is list:
            return self._container(value, [self.decode(v, buffers, arrays, depth + 1) for v in value[Tag.LIST]])
        if Tag.ARRAY in value:
            index = value[Tag.ARRAY]
            if type(index) is int and index in arrays:
                return arrays[index][0]
            dtype, shape = value.get(Tag.DTYPE), value.get(Tag.SHAPE)
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
        if Tag.SCALAR in value:
            index, dtype = value[Tag.SCALAR], value.get(Tag.DTYPE)
            if type(index) is not int or not 0 <= index < len(buffers) or not isinstance(dtype, str) or \
                    not _DTYPE.fullmatch(dtype):
                raise ChannelError("malformed scalar")
            dt = _numeric_dtype(dtype)
            if buffers[index].nbytes != dt.itemsize:
                raise ChannelError("malformed scalar")
            return np.frombuffer(buffers[index], dtype=dt)[0]
        if Tag.TUPLE in value and type(value[Tag.TUPLE]) is list:
            return tuple(self.decode(v, buffers, arrays, depth + 1) for v in value[Tag.TUPLE])
        if Tag.DICT in value and type(value[Tag.DICT]) is list:
            out = {}
            for pair in value[Tag.DICT]:
                if type(pair) is not list or len(pair) != 2:
                    raise ChannelError("malformed dict")
                key = self.decode(pair[0], buffers, arrays, depth + 1)
                try:
                    out[key] = self.decode(pair[1], buffers, arrays, depth + 1)
                except TypeError:
                    raise ChannelError("a dict key that is not hashable") from None
            return self._container(value, out)
        if Tag.COMPLEX in value:
            pair = value[Tag.COMPLEX]
            if type(pair) is not list or len(pair) != 2 or not all(type(x) in (int, float) for x in pair):
                raise ChannelError("malformed complex")
            return complex(pair[0], pair[1])
        if Tag.MODULE in value:
            try:
                return import_library(value[Tag.MODULE], imported_only=self.grader)
            except ImportError:
                raise ChannelError(f"cannot import {value[Tag.MODULE]!r}") from None
        if Tag.RETURNED in value:
            return self.exported(value[Tag.RETURNED])
        if Tag.HANDLE in value:
            hid = value[Tag.HANDLE]
            if type(hid) is not int:
                raise ChannelError("malformed handle")
            if Tag.GLOBAL in value and type(value[Tag.GLOBAL]) is list and len(value[Tag.GLOBAL]) == 2:
                try:
                    found = resolve_global(*value[Tag.GLOBAL], imported_only=self.grader)
                    if not self.grader or safe_library_object(found, value[Tag.GLOBAL]):
                        return found
                except Exception:
                    pass  # not importable here, or not the grader's to use: a handle after all
            handle = self.handles.get(hid)
            if handle is None:
                handle = self.handles[hid] = self.make_handle(self, hid, value)
            return handle
        raise ChannelError(f"not a value: {str(value)[:80]}")

