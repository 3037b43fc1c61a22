"""The channel between the grader's kernel and the student's: a conversation of requests and
answers, data only, over a Unix socket.

Three layers, each a module:

- `frames`   a message a frame: `>Q` total length, `>I` header length, a JSON header (its keys:
             `frames.Key`, with the table of the messages), the raw bytes of its arrays;
             limits on sizes, the buffered reader.
- `codec`    the values in a header (`codec.Tag`, with the table of encodings): data as data
             (`is_data`), everything else as a handle; the exports and handles behind them;
             lists and dicts that keep their identity while unchanged; `library` says which
             library objects cross by name.
- `channel`  (here) the conversation: a `Peer` sends requests, serves the other side's while it
             waits, answers, rebuilds errors, carries numpy's random state.

The two sides are not alike. The grader's side (`grader=True`) treats everything it receives as
inert data: it never imports because of a name, takes a library object named by the student's
side as its own only from an allow-list of pure functions and safe classes (`safe_library_object`),
never writes into its own objects, never takes the student's random state, serves only what the
test handed over in this cell (its exports live as long as the Peer, one test cell, under random
ids), and records what it refused in `Peer.anomalies`. The student's side keeps the objects it
sends for the kernel's life (`Tables`), and takes numpy's random state from the grader's requests.

A peer that sends anything but data (a malformed frame, an unknown handle, an object array, a
frame larger than `max_frame`) makes the call fail with `ChannelError`; a peer that does not
answer within `timeout` seconds, with `ChannelTimeout`.

Requests nest: while waiting for the answer to its request, a side serves the other's requests
(the student's function calling a trusted function of the grader's, which reads an attribute of
the student's object...), so both sides keep one thread and one stack.
"""
from __future__ import annotations

import builtins
import contextlib
import itertools
import secrets
import socket
from typing import Any, Callable

import numpy as np

from ..meter import cut_text
from .codec import Codec, Exports
from .frames import MAX_FRAME, ChannelError, Key, recv_frame, send_frame
from .library import global_name, resolve_global

MAX_MESSAGE = 4000  # characters of an error's message (the rest is cut, with a marker saying how much)
# requests that may run the student's code that draws random numbers (see Peer.request)
SYNC_METHODS = frozenset({"call", "next", "iter", "getitem", "getattr", "setattr"})
# Exceptions rebuilt by type on the receiving side; anything else becomes RemoteError (a
# StopIteration too: rebuilt, it would end a test's loop as if the cases had run out).
_EXCEPTIONS = {name: getattr(builtins, name)
               for name in ("ArithmeticError", "AssertionError", "AttributeError", "FloatingPointError",
                            "IndexError", "KeyError", "LookupError", "NotImplementedError", "OverflowError",
                            "RuntimeError", "TypeError", "ValueError", "ZeroDivisionError",
                            "MemoryError", "RecursionError", "NameError", "UnboundLocalError")}



class RemoteError(Exception):
    """An exception raised on the other side whose type is not rebuilt here."""

    def __init__(self, type_name: str, message: str):
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name


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


class Peer(Codec):
    """One end of the channel: its exported objects, its handles of the other side's, requests.

    `handler(method, args)` serves the other side's requests (args decoded); the values' side of
    the arguments (`make_handle`, `exports`, `handles`, `token`, `describe`, `grader`,
    `can_export`) is `Codec`'s. The grader's side (`grader=True`, see the module's doc) passes
    `random` (its RandomSync) too.
    """

    def __init__(self, sock: socket.socket, handler: Callable, make_handle: Callable, *,
                 exports: Exports, handles: dict, token: Any = None, describe: Callable | None = None,
                 grader: bool = False, random: RandomSync | None = None,
                 can_export: Callable[[Any], bool] | None = None,
                 on_anomaly: Callable[[str, int], None] | None = None,
                 timeout: float | None = None, max_frame: int = MAX_FRAME):
        super().__init__(make_handle, exports=exports, handles=handles, token=token, describe=describe,
                         grader=grader, can_export=can_export, on_anomaly=on_anomaly)
        self.sock = sock
        self.handler = handler
        self.random = random
        self.timeout = timeout
        self.max_frame = max_frame
        self._requests = itertools.count(1)
        self.closed = False
        self._depth = 0
        self.callback_failures: list[BaseException] = []
        self._asking = 0  # the grader's side: how deep in its own requests (failures count at the outermost)

    # ------------------------------------------------------------------ messages
    def _send(self, header: dict, payload: Any = None, with_payload: bool = False, sync: bool = False) -> dict:
        buffers: list = []
        arrays: dict = {}
        if with_payload:
            header[Key.VALUE] = self.encode(payload, buffers, arrays, {})
        if sync and self.random is not None:
            state = self.random.outgoing()
            if state is not None:
                header[Key.RANDOM_STATE] = self.encode(state, buffers, {}, {})
        header[Key.BUFFERS] = [memoryview(b).nbytes for b in buffers]
        send_frame(self.sock, header, buffers)
        return arrays

    def _receive(self, timeout: float | None):
        header, buffers = recv_frame(self.sock, timeout, self.max_frame)
        if Key.RANDOM_STATE in header and not self.grader:  # the grader's state, for the student's code it calls
            self._take_random_state(header[Key.RANDOM_STATE], buffers)
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
            sent = self._send({Key.QUERY: method, Key.ID: rid}, args, with_payload=True, sync=sync)
        finally:
            self._tracking = False
        while True:
            header, buffers = self._receive(self.timeout)
            if Key.QUERY in header:
                self._serve_one(header, buffers)
                continue
            if header.get(Key.REPLY) != rid:
                if header.get(Key.DONE):
                    self.closed = True
                    raise ChannelError("the other side ended the conversation during a call")
                raise ChannelError("an answer to a question that was not asked")
            arrays: dict = {}
            if Key.ERROR in header:
                self._changed_arrays(header, buffers, sent)
                raise self._rebuild(header[Key.ERROR])
            value = self.decode(header.get(Key.VALUE), buffers, arrays)
            self._changed_arrays(header, buffers, sent)
            return value

    def _changed_arrays(self, header: dict, buffers: list, sent: dict) -> None:
        """The other side changed arrays we sent it in place. The student's side does the same to
        its own (as in one process); the grader's side records the change (`changes`) and never
        writes into its arrays."""
        changed = header.get(Key.CHANGED)
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
        name, message = str(error.get(Key.ERROR_TYPE, "Exception"))[:100], \
            cut_text(str(error.get(Key.ERROR_MESSAGE, "")), MAX_MESSAGE)
        cls = _EXCEPTIONS.get(name)
        if cls is not None:
            return cls(message) if name != "KeyError" else KeyError(message)
        where = error.get(Key.ERROR_CLASS)
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
        rid = header.get(Key.ID)
        method = header.get(Key.QUERY)
        arrays: dict = {}
        try:
            if type(rid) is not int or type(method) is not str:
                raise ChannelError("malformed request")
            args = self.decode(header.get(Key.VALUE), buffers, arrays)
            if type(args) is not tuple:
                raise ChannelError("malformed request arguments")
            result = self.handler(method, args)
            reply, payload = self._reply_frame({Key.REPLY: rid}, result, arrays)
        except (ChannelError, KeyboardInterrupt):
            raise
        except BaseException as error:  # the request failed: the asker gets the error as data
            if isinstance(error, SystemExit):
                error = RuntimeError(f"SystemExit: {error}")
            self.callback_failures.append(error)
            reply = {Key.REPLY: rid,
                     Key.ERROR: {Key.ERROR_TYPE: type(error).__name__, Key.ERROR_MESSAGE: _message(error)}}
            where = global_name(type(error))
            if where is not None:
                reply[Key.ERROR][Key.ERROR_CLASS] = list(where)
            reply, payload = self._reply_frame(reply, None, arrays, with_payload=False)
        send_frame(self.sock, reply, payload)

    def _reply_frame(self, header: dict, result: Any, arrays: dict, with_payload: bool = True):
        """The reply's header and buffers: the result, and the arrays of the request changed in place."""
        buffers: list = []
        if with_payload:
            header[Key.VALUE] = self.encode(result, buffers, {}, {})
        changed = [(index, array) for index, (array, raw) in arrays.items()
                   if array.nbytes != raw.nbytes or array.tobytes() != bytes(raw)]
        if changed:
            header[Key.CHANGED] = [[index, self.encode(array, buffers, {}, {})] for index, array in changed]
        header[Key.BUFFERS] = [memoryview(b).nbytes for b in buffers]
        return header, buffers

    def serve(self, timeout: float | None = None) -> dict:
        """Serve requests until the other side says it is done; return its last header."""
        while True:
            header, buffers = self._receive(timeout)
            if header.get(Key.DONE):
                self.closed = True
                return header
            if Key.QUERY not in header:
                raise ChannelError("an answer to a question that was not asked")
            self._serve_one(header, buffers)

    def done(self) -> None:
        if not self.closed:
            self.closed = True
            self._send({Key.DONE: True})

    def stop(self) -> None:
        """The conversation is over without a word to the other side (it went away, broke the
        rules, or this side stops serving): any further request fails."""
        self.closed = True

    @contextlib.contextmanager
    def asking(self):
        """Around the grader's own requests (grader_side): yields whether this is the outermost
        one, whose call-back failures count (they are forgotten as it starts)."""
        outer = not self._asking
        if outer:
            self.callback_failures = []
        self._asking += 1
        try:
            yield outer
        finally:
            self._asking -= 1

    def expire(self) -> None:
        """The test cell is over: what it handed over, and what the student's code changed of it,
        are forgotten (the anomalies stay, for the tamper report)."""
        self.exports.clear()
        self.changes.clear()
        self.containers.clear()

    def hello(self, token: str | None = None) -> None:
        self._send({Key.HELLO: True, Key.TOKEN: token})

    def wait_hello(self, timeout: float | None) -> Any:
        """Wait for the other side's greeting; return the token it carries."""
        header, _ = self._receive(timeout)
        if not header.get(Key.HELLO):
            raise ChannelError("the other side did not greet")
        return header.get(Key.TOKEN)


def _message(error: BaseException) -> str:
    try:
        text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    except Exception:
        text = "(its message could not be read)"
    return cut_text(text, MAX_MESSAGE)
