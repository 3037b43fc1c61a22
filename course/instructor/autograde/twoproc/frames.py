"""The channel's frames: one message a frame, over a Unix socket.

A frame is `>Q` total length (what follows it), `>I` header length, a JSON header (an object),
then the raw bytes of the buffers the header lists under `b`. Reading one checks everything before
it allocates or parses: the total against `max_frame`, the header against MAX_HEADER, the buffer
sizes against the total; a header that is not JSON, not an object or holds a lone surrogate is
refused. Anything malformed raises `ChannelError`; a peer that does not send a whole frame within
the timeout, `ChannelTimeout`.

What the headers say (`Key`) is the conversation's business (channel.py); the values they carry
are written by codec.py.
"""
from __future__ import annotations

import json
import socket
import struct
import time

from ..meter import lone_surrogate

MAX_FRAME = 512 * 1024 * 1024
MAX_HEADER = 64 * 1024 * 1024


class ChannelError(Exception):
    """The other side broke the protocol, went away, or sent what is not data."""


class ChannelTimeout(ChannelError):
    """The other side did not answer in time."""


class Key:
    """The keys of a frame's header, named once. Each frame is one of these messages:

    =========  ==========================================  ====================================
    message    keys                                        sent by
    =========  ==========================================  ====================================
    hello      HELLO (true), TOKEN (the cell's token)       the student's side, on connecting
    request    QUERY (method), ID (int), VALUE (the        either side (the grader's: also
               arguments, a tuple), RANDOM_STATE           RANDOM_STATE, its numpy state, when
                                                           the test changed it)
    answer     REPLY (the request's ID), VALUE (the        the side asked
               result), CHANGED ([[buffer, array], ...]:
               the request's arrays changed in place)
    error      REPLY, ERROR ({ERROR_TYPE: name,            the side asked, when it failed
               ERROR_MESSAGE: text, ERROR_CLASS:
               [module, qualname] of a library's type}),
               CHANGED
    done       DONE (true)                                 the grader's side: the cell is over
    =========  ==========================================  ====================================

    Every header lists its buffers' sizes under BUFFERS (recv_frame checks they add up).
    """

    HELLO = "hello"
    TOKEN = "t"
    QUERY = "q"
    ID = "i"
    VALUE = "v"
    RANDOM_STATE = "rs"
    REPLY = "r"
    CHANGED = "c"
    ERROR = "e"
    ERROR_TYPE = "t"
    ERROR_MESSAGE = "m"
    ERROR_CLASS = "g"
    DONE = "done"
    BUFFERS = "b"


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
    sizes = header.get(Key.BUFFERS, [])
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes) or \
            sum(sizes) != total - 4 - head_len:
        raise ChannelError("malformed frame: the buffer sizes do not add up")
    body = reader.read(total - 4 - head_len, deadline) if sizes else bytearray()
    buffers, offset = [], 0
    for size in sizes:
        buffers.append(memoryview(body)[offset:offset + size])
        offset += size
    return header, buffers

