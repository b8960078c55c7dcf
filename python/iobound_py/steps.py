"""The step interpreter: what each step does, shared by every model.

Owns the opened files and their append tails (:class:`Tails`, :class:`FileSet`),
a slot's page-aligned I/O buffers (:class:`SlotBuffers`, usable with O_DIRECT),
the wire frames of EXCHANGE steps and their checks, COMPUTE inputs, and two
runners of a whole request that differ only in how they wait:
:class:`BlockingRunner` (threads, and each process of the ``procs`` pool) and
:class:`AsyncRunner` (asyncio and uvloop; ``asyncio-procs`` overrides its
COMPUTE). Every request's result is the wrapping sum of its COMPUTE digests.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import socket
import struct
import threading
from collections.abc import Sequence

from . import kernels
from .protocol import (
    APPEND,
    COMPUTE,
    EXCHANGE,
    FDATASYNC,
    INPUT_SHARED,
    OP_ECHO,
    OP_GET,
    OP_GET_WAIT,
    OP_PUT,
    OP_PUT_WAIT,
    READ,
    WAIT_OP_SHIFT,
    WRITE,
    FileSpec,
    Request,
    Step,
)

MASK64 = kernels.MASK64

#: Alignment of I/O buffers: what O_DIRECT asks for on any block device we meet.
BUF_ALIGN = 4096
#: How long a blocking send or receive may wait on the server (as the Rust engines).
PEER_TIMEOUT_S = 30.0

RECORD_SIZE = 1024
_FRAME_HEADER = struct.Struct("<I")
_ECHO_HEADER = struct.Struct("<IB")
_GET_FRAME = struct.Struct("<IBQ")
_PUT_HEAD = struct.Struct("<IBQQ")
_GET_WAIT_FRAME = struct.Struct("<IBQI")
_PUT_WAIT_HEAD = struct.Struct("<IBQIQ")
_KEY = struct.Struct("<Q")
_PUT_ZEROS = bytes(RECORD_SIZE - 8)


class StepError(Exception):
    """A step failed: a syscall error, a short transfer, or a wrong server answer."""


# --- Payloads ---------------------------------------------------------------------------

_PATTERN_UNIT = bytes(range(256))


# dataset::WRITE_SEED and dataset::WRITE_MAGIC of the Rust workloads.
WRITE_SEED = 0x1B0_0517E
WRITE_MAGIC = b"IOBNDWR1"


def payload(length: int) -> bytes:
    """The fixed bytes ECHO steps send: 0, 1, ..., 255, 0, ..."""
    return (_PATTERN_UNIT * (length // 256 + 1))[:length]


# --- Files ------------------------------------------------------------------------------


class Tails:
    """Append positions: one tail per file, from 0, wrapping to 0 when the next would not fit.

    Thread-safe; concurrent reservations never overlap (until the file wraps).
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        self._sizes = list(sizes)
        self._tails = [0] * len(self._sizes)
        self._lock = threading.Lock()

    def reserve(self, file: int, length: int) -> int:
        """The offset where an append of ``length`` bytes to ``file`` goes."""
        with self._lock:
            tail = self._tails[file]
            if tail + length > self._sizes[file]:
                tail = 0
            self._tails[file] = tail + length
            return tail


def resolve_appends(steps: Request, tails: Tails) -> Request:
    """The request with each APPEND turned into a WRITE at a reserved position.

    The ``procs`` parent does this, so that workers with their own file
    descriptors never write the same blocks.
    """
    if not any(s[0] == APPEND for s in steps):
        return steps
    return tuple(
        (WRITE, a, b, pad, length, tails.reserve(a, length), y)
        if kind == APPEND
        else (kind, a, b, pad, length, x, y)
        for kind, a, b, pad, length, x, y in steps
    )


class FileSet:
    """The job's files, opened read-write (with O_DIRECT where asked), and their tails."""

    def __init__(self, specs: Sequence[FileSpec]) -> None:
        self.specs = tuple(specs)
        self.fds: list[int] = []
        try:
            for spec in self.specs:
                self.fds.append(open_file(spec))
        except BaseException:
            self.close()
            raise
        self.tails = Tails([s.size for s in self.specs])

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def open_file(spec: FileSpec) -> int:
    flags = os.O_RDWR | os.O_CLOEXEC
    if spec.direct:
        flags |= os.O_DIRECT
    try:
        return os.open(spec.path, flags)
    except OSError as e:
        hint = ""
        if spec.direct and e.errno == 22:  # EINVAL
            hint = " (this filesystem does not support O_DIRECT, e.g. tmpfs)"
        how = " with O_DIRECT" if spec.direct else ""
        raise StepError(f"cannot open {spec.path}{how}: {e.strerror}{hint}") from None


def _aligned(size: int) -> mmap.mmap:
    # Anonymous mappings are page-aligned: enough for O_DIRECT.
    return mmap.mmap(-1, max(BUF_ALIGN, -(-size // BUF_ALIGN) * BUF_ALIGN))


class SlotBuffers:
    """One slot's read and write buffers, page-aligned, grown on demand.

    The read buffer receives READs and (in blocking runners) EXCHANGE
    responses; the write buffer holds :func:`payload` once, so writes copy nothing.
    """

    def __init__(self) -> None:
        self._read = _aligned(0)
        self._write = _aligned(0)
        self._rview = memoryview(self._read)
        self._wview = memoryview(self._write)
        self._written_len = 0

    def read_view(self, length: int) -> memoryview:
        if length > len(self._read):
            self._read = _aligned(max(length, 2 * len(self._read)))
            self._rview = memoryview(self._read)
        return self._rview[:length]

    def write_view(self, length: int, offset: int) -> memoryview:
        """The payload of a write of ``length`` bytes at ``offset``: the Rust
        engines' generated content (``dataset::write_payload``), stamped with
        the magic and the offset (``dataset::stamp``), so a block a request
        wrote is recognised on disk whichever engine wrote it."""
        if length > self._written_len:
            if length > len(self._write):
                self._write = _aligned(max(length, 2 * len(self._write)))
                self._wview = memoryview(self._write)
            self._write[:] = kernels.fill(WRITE_SEED, 0, len(self._write))
            self._written_len = len(self._write)
        self._write[:8] = WRITE_MAGIC
        self._write[8:16] = offset.to_bytes(8, "little")
        return self._wview[:length]


def pread_full(fd: int, buf: memoryview, offset: int) -> None:
    """Reads ``len(buf)`` bytes at ``offset`` into ``buf``; a short read is an error."""
    try:
        n = os.preadv(fd, [buf], offset)
    except OSError as e:
        raise StepError(f"READ of {len(buf)} bytes at offset {offset} failed: {e}") from None
    if n != len(buf):
        raise StepError(f"READ at offset {offset} moved {n} of {len(buf)} bytes")


def pwrite_full(fd: int, buf: memoryview, offset: int) -> None:
    """Writes ``buf`` at ``offset``; a short write is an error."""
    try:
        n = os.pwritev(fd, [buf], offset)
    except OSError as e:
        raise StepError(f"WRITE of {len(buf)} bytes at offset {offset} failed: {e}") from None
    if n != len(buf):
        raise StepError(f"WRITE at offset {offset} moved {n} of {len(buf)} bytes")


def fdatasync(fd: int) -> None:
    try:
        os.fdatasync(fd)
    except OSError as e:
        raise StepError(f"FDATASYNC failed: {e}") from None


# --- Exchanges --------------------------------------------------------------------------

_echo_frames: dict[int, tuple[bytes, bytes]] = {}


def echo_frame(length: int) -> tuple[bytes, bytes]:
    """The ECHO request frame of ``length`` payload bytes, and the body of its
    successful response (status OK, then the payload), cached."""
    cached = _echo_frames.get(length)
    if cached is None:
        body = payload(length)
        cached = (_ECHO_HEADER.pack(1 + length, OP_ECHO) + body, bytes([0]) + body)
        if len(_echo_frames) < 64:
            _echo_frames[length] = cached
    return cached


def wire_op(a: int, b: int) -> int:
    """The opcode an EXCHANGE step's op ``a`` sends: GET_WAIT or PUT_WAIT when its
    ``b`` says the step carries its own wait."""
    return a + WAIT_OP_SHIFT if b else a


def request_frame(op: int, key: int, length: int) -> bytes:
    """The request frame of an EXCHANGE step: ECHO ``length`` bytes, GET or PUT ``key``,
    GET_WAIT or PUT_WAIT ``key`` after a wait of ``length`` µs."""
    if op == OP_ECHO:
        return echo_frame(length)[0]
    if op == OP_GET:
        return _GET_FRAME.pack(9, OP_GET, key)
    if op == OP_GET_WAIT:
        return _GET_WAIT_FRAME.pack(13, OP_GET_WAIT, key, length)
    # PUT: the value carries its key first, as every record does; the rest is zeros.
    if op == OP_PUT_WAIT:
        return _PUT_WAIT_HEAD.pack(13 + RECORD_SIZE, OP_PUT_WAIT, key, length, key) + _PUT_ZEROS
    return _PUT_HEAD.pack(9 + RECORD_SIZE, OP_PUT, key, key) + _PUT_ZEROS


def response_size(op: int, length: int) -> int:
    """Bytes of the whole response frame a successful exchange receives."""
    if op == OP_ECHO:
        return 5 + length
    if op in (OP_GET, OP_GET_WAIT):
        return 5 + RECORD_SIZE
    return 5


def describe(op: int, key: int, length: int) -> str:
    if op == OP_ECHO:
        return f"ECHO of {length} bytes"
    return f"{'GET' if op in (OP_GET, OP_GET_WAIT) else 'PUT'} of key {key}"


def body_length(header: bytes | memoryview, op: int, key: int, length: int) -> int:
    """The body length a response header announces; longer than the answer to this
    request can be (or 0) is an error."""
    n = _FRAME_HEADER.unpack(header)[0]
    if n == 0 or n > response_size(op, length) - 4:
        raise StepError(f"{describe(op, key, length)}: response announces a {n}-byte body")
    return n


def check_response(op: int, key: int, length: int, body: bytes) -> None:
    """Checks a response body (status byte first) against its request."""
    if op == OP_ECHO and body == echo_frame(length)[1]:
        return  # the common case: one comparison
    status = body[0]
    if status != 0:
        what = describe(op, key, length)
        if status == 1:
            raise StepError(f"{what} answered 'not found' (status 1): key outside the table")
        raise StepError(f"{what} answered status {status}")
    if op == OP_ECHO:
        if len(body) != 1 + length or body != echo_frame(length)[1]:
            raise StepError(
                f"ECHO returned {len(body) - 1} bytes that differ from the {length} sent"
            )
    elif op in (OP_GET, OP_GET_WAIT):
        if len(body) != 1 + RECORD_SIZE:
            raise StepError(f"GET of key {key} returned {len(body) - 1} bytes, not {RECORD_SIZE}")
        if body[1:9] != _KEY.pack(key):
            raise StepError(f"GET of key {key} returned another record")
    elif len(body) != 1:
        raise StepError(f"PUT of key {key} answered with a {len(body) - 1}-byte body")


def connect(target: tuple[str, int]) -> socket.socket:
    """A blocking connection to the server, without Nagle's delay, with a peer timeout."""
    try:
        sock = socket.create_connection(target, timeout=PEER_TIMEOUT_S)
    except OSError as e:
        raise StepError(f"cannot connect to {target[0]}:{target[1]}: {e}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


# --- Compute ----------------------------------------------------------------------------


def last_read_slice(last: bytes | memoryview | None, length: int) -> bytes | memoryview:
    """The first ``length`` bytes of the request's latest read."""
    if last is None:
        raise StepError("COMPUTE on the latest read, but the request has read nothing yet")
    if length > len(last):
        raise StepError(f"COMPUTE on {length} bytes of a read that returned {len(last)}")
    return last[:length]


# --- Runners ----------------------------------------------------------------------------


class BlockingSlot:
    """What one blocking worker (a thread, or a pool process) keeps between requests."""

    def __init__(self, sock: socket.socket | None) -> None:
        self.bufs = SlotBuffers()
        self.sock = sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


class BlockingRunner:
    """Runs requests with blocking syscalls on the calling thread; COMPUTE inline."""

    def __init__(self, files: FileSet, shared_input: bytes) -> None:
        self.files = files
        self.shared = memoryview(shared_input)

    def run(self, steps: Request, slot: BlockingSlot) -> int:
        """Runs every step in order; returns the sum of the COMPUTE digests (mod 2^64)."""
        digest = 0
        last: memoryview | None = None
        fds = self.files.fds
        for kind, a, b, _pad, length, x, _y in steps:
            if kind == READ:
                last = slot.bufs.read_view(length)
                pread_full(fds[a], last, x)
            elif kind == WRITE:
                pwrite_full(fds[a], slot.bufs.write_view(length, x), x)
            elif kind == APPEND:
                offset = self.files.tails.reserve(a, length)
                pwrite_full(fds[a], slot.bufs.write_view(length, offset), offset)
            elif kind == FDATASYNC:
                fdatasync(fds[a])
            elif kind == COMPUTE:
                if b == INPUT_SHARED:
                    data = self.shared[x : x + length]
                else:
                    data = last_read_slice(last, length)
                digest = (digest + kernels.run_kernel(a, data)) & MASK64
            elif kind == EXCHANGE:
                last = self.exchange(slot, wire_op(a, b), x, length)
        return digest

    @staticmethod
    def exchange(slot: BlockingSlot, op: int, key: int, length: int) -> memoryview:
        """Sends one request frame and receives its whole response into the read buffer."""
        sock = slot.sock
        if sock is None:
            raise StepError("EXCHANGE step, but this worker has no connection")
        expected = response_size(op, length)
        buf = slot.bufs.read_view(expected)
        got, total = 0, 0
        try:
            sock.sendall(request_frame(op, key, length))
            while True:
                n = sock.recv_into(buf[got:expected])
                if n == 0:
                    raise StepError(
                        f"{describe(op, key, length)}: the server closed the connection "
                        f"({got} bytes of a response received)"
                    )
                got += n
                if total == 0 and got >= 4:
                    total = 4 + body_length(buf[:4], op, key, length)
                if total and got >= total:
                    break
            if got > total:
                raise StepError(f"{describe(op, key, length)}: the server sent more than asked")
        except TimeoutError:
            raise StepError(
                f"{describe(op, key, length)}: no answer within {PEER_TIMEOUT_S:.0f} s"
            ) from None
        except OSError as e:
            raise StepError(f"{describe(op, key, length)} failed: {e}") from None
        frame = buf[:total]
        check_response(op, key, length, bytes(frame[4:]))
        return frame


class AsyncSlot:
    """What one asyncio task keeps between requests: buffers and its stream connection."""

    def __init__(
        self, reader: asyncio.StreamReader | None, writer: asyncio.StreamWriter | None
    ) -> None:
        self.bufs = SlotBuffers()
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def open_async_slot(target: tuple[str, int] | None) -> AsyncSlot:
    if target is None:
        return AsyncSlot(None, None)
    try:
        reader, writer = await asyncio.open_connection(*target)
    except OSError as e:
        raise StepError(f"cannot connect to {target[0]}:{target[1]}: {e}") from None
    sock = writer.get_extra_info("socket")
    if sock is not None:
        # asyncio and uvloop already set it on TCP sockets; say so explicitly.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return AsyncSlot(reader, writer)


class AsyncRunner:
    """Runs requests on an event loop: sockets through asyncio streams, file steps on
    ``executor`` (``None``: the loop's default thread pool, as aiofiles does), COMPUTE
    inline on the loop (:meth:`compute` is what ``asyncio-procs`` overrides)."""

    def __init__(self, files: FileSet, shared_input: bytes, executor: object = None) -> None:
        self.files = files
        self.shared = memoryview(shared_input)
        self.executor = executor

    async def compute(self, kernel: int, step: Step, data: bytes | memoryview) -> int:
        """The digest of one COMPUTE step over ``data`` (the step's input, resolved).

        Inline, on the loop, after one turn at the back of the loop's ready
        queue: a task whose request never awaits anything else would
        otherwise run request after request while every other task starved,
        and each request's latency would leave out the wait behind the
        others' computing (the Rust event loops queue their compute steps
        the same way, and that wait counts in the latency)."""
        await asyncio.sleep(0)
        return kernels.run_kernel(kernel, data)

    async def run(self, steps: Request, slot: AsyncSlot) -> int:
        """Runs every step in order; returns the sum of the COMPUTE digests (mod 2^64)."""
        loop = asyncio.get_running_loop()
        pool = self.executor
        digest = 0
        last: bytes | memoryview | None = None
        fds = self.files.fds
        for step in steps:
            kind, a, b, _pad, length, x, _y = step
            if kind == READ:
                last = slot.bufs.read_view(length)
                await loop.run_in_executor(pool, pread_full, fds[a], last, x)
            elif kind == WRITE:
                await loop.run_in_executor(
                    pool, pwrite_full, fds[a], slot.bufs.write_view(length, x), x
                )
            elif kind == APPEND:
                offset = self.files.tails.reserve(a, length)
                await loop.run_in_executor(
                    pool, pwrite_full, fds[a], slot.bufs.write_view(length, offset), offset
                )
            elif kind == FDATASYNC:
                await loop.run_in_executor(pool, fdatasync, fds[a])
            elif kind == COMPUTE:
                if b == INPUT_SHARED:
                    data = self.shared[x : x + length]
                else:
                    data = last_read_slice(last, length)
                digest = (digest + await self.compute(a, step, data)) & MASK64
            elif kind == EXCHANGE:
                # Inline rather than a coroutine of its own: one frame fewer
                # per request, the engine's largest own cost on echo.
                op = wire_op(a, b)
                reader, writer = slot.reader, slot.writer
                if reader is None or writer is None:
                    raise StepError("EXCHANGE step, but this slot has no connection")
                try:
                    writer.write(request_frame(op, x, length))
                    await writer.drain()
                    header = await reader.readexactly(4)
                    body = await reader.readexactly(body_length(header, op, x, length))
                except asyncio.IncompleteReadError as e:
                    raise StepError(
                        f"{describe(op, x, length)}: the server closed the connection "
                        f"({len(e.partial)} bytes of a response part received)"
                    ) from None
                except OSError as e:
                    raise StepError(f"{describe(op, x, length)} failed: {e}") from None
                check_response(op, x, length, body)
                # The whole response frame, for a COMPUTE step after it.
                last = header + body
        return digest
