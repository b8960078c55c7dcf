"""The ``asyncio`` model (and ``uvloop``: the same code on uvloop's loop).

Owns the event loop's closed loop: one task per slot (``asyncio.create_task``),
each with its own ``asyncio.open_connection`` stream to the server. asyncio has
no asynchronous file I/O, so file steps go to the loop's default thread pool
with ``loop.run_in_executor(None, ...)``, as ``aiofiles`` does; COMPUTE runs
inline on the loop, blocking every other task while it runs (the event
loop's weakness, on purpose). The request stream is read without blocking the
loop: by default stdin is a pipe read by an ``asyncio.Protocol`` through
``loop.connect_read_pipe`` (:class:`PipeStream`); :class:`ThreadStream` (a
reader thread handing decoded batches to the loop with
``call_soon_threadsafe``) is the other way, used when stdin is not a pipe or
when ``IOBOUND_PY_STDIN=thread``.
"""

from __future__ import annotations

import asyncio
import collections
import os
import stat
import threading
import time
import typing
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .protocol import (
    BlockingInput,
    BlockingRequests,
    Job,
    RecordWriter,
    Request,
    RequestDecoder,
)
from .steps import AsyncRunner, AsyncSlot, FileSet, open_async_slot

#: Threads of the pool file steps run on: the size asyncio gives its default pool.
FILE_THREADS = min(32, (os.cpu_count() or 1) + 4)
#: Connections opened at once while setting up.
CONNECT_BATCH = 128


class PipeStream(asyncio.Protocol):
    """stdin as an asyncio pipe (``loop.connect_read_pipe``), read by this protocol.

    Each chunk the loop reads is decoded at once into a queue of requests that
    slots pop. Reading pauses while more than ``ahead`` requests wait and
    resumes when half of them are gone, so stdin is read in bursts of large
    chunks rather than a trickle of small reads on every turn of the loop.
    """

    def __init__(self, job: Job, src: BlockingInput, ahead: int) -> None:
        self._decoder = RequestDecoder(job)
        # Bytes read ahead with the job header come first.
        self._ready = collections.deque(self._decoder.feed(src.leftover()))
        self._ahead = ahead
        self._arrived = asyncio.Event()
        self._eof = False
        self._error: BaseException | None = None
        self._paused = False
        self._transport: asyncio.ReadTransport | None = None
        self._fd = src.fd

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        pipe = open(self._fd, "rb", buffering=0, closefd=False)  # noqa: SIM115 - the transport closes it
        await loop.connect_read_pipe(lambda: self, pipe)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's pipe transport has the methods of asyncio.ReadTransport, not the class.
        self._transport = typing.cast(asyncio.ReadTransport, transport)
        self._pause_if_full()

    def data_received(self, data: bytes) -> None:
        try:
            self._ready.extend(self._decoder.feed(data))
        except BaseException as e:  # noqa: BLE001 - raised in the slot that reads next
            self._end(e)
            return
        self._pause_if_full()
        self._arrived.set()

    def eof_received(self) -> bool:
        error = None
        try:
            self._decoder.finish()
        except BaseException as e:  # noqa: BLE001 - raised in the slot that reads next
            error = e
        self._end(error)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._eof:
            self._end(exc)

    def _end(self, error: BaseException | None) -> None:
        self._eof = True
        self._error = error
        self._arrived.set()
        if error is not None and self._transport is not None:
            self._transport.close()

    def _pause_if_full(self) -> None:
        if not self._paused and len(self._ready) > self._ahead and self._transport is not None:
            self._transport.pause_reading()
            self._paused = True

    def take(self) -> Request | None:
        """The next request if one has arrived, without awaiting (``None``: none yet,
        or the end: :meth:`next` tells which)."""
        if not self._ready:
            return None
        if self._paused and len(self._ready) <= self._ahead // 2:
            self._paused = False
            assert self._transport is not None
            self._transport.resume_reading()
        return self._ready.popleft()

    async def next(self) -> Request | None:
        while not self._ready:
            if self._eof:
                if self._error is not None:
                    raise self._error
                return None
            self._arrived.clear()
            await self._arrived.wait()
        return self.take()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class ThreadStream:
    """stdin read by a thread with blocking reads; each decoded batch is handed to the
    loop with ``call_soon_threadsafe``. The thread pauses while more than ``ahead``
    requests wait, so a long stream is not read into memory all at once."""

    def __init__(self, job: Job, src: BlockingInput, ahead: int) -> None:
        self._stream = BlockingRequests(src, job)
        self._ready: collections.deque[Request] = collections.deque()
        self._ahead = ahead
        self._more = threading.Event()
        self._more.set()
        self._arrived = asyncio.Event()
        self._end: BaseException | None = None
        self._eof = False
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._read, name="iobound-stdin", daemon=True)
        self._thread.start()

    async def open(self) -> None:
        pass

    def _read(self) -> None:
        while True:
            self._more.wait()
            error = None
            try:
                batch = self._stream.next_batch()
            except BaseException as e:  # noqa: BLE001 - raised on the loop
                batch, error = [], e
            try:
                self._loop.call_soon_threadsafe(self._deliver, batch, error)
            except RuntimeError:
                return  # the loop has closed: the cell is over
            if not batch:
                return

    def _deliver(self, batch: list[Request], error: BaseException | None) -> None:
        self._ready.extend(batch)
        if not batch:
            self._eof = True
            self._end = error
        if len(self._ready) > self._ahead:
            self._more.clear()
        self._arrived.set()

    def take(self) -> Request | None:
        """The next request if one has arrived, without awaiting (``None``: none yet,
        or the end: :meth:`next` tells which)."""
        if not self._ready:
            return None
        if len(self._ready) <= self._ahead // 2:
            self._more.set()
        return self._ready.popleft()

    async def next(self) -> Request | None:
        while not self._ready:
            if self._eof:
                if self._end is not None:
                    raise self._end
                return None
            self._arrived.clear()
            await self._arrived.wait()
        return self.take()

    def close(self) -> None:
        pass


def _is_pipe(fd: int) -> bool:
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


async def open_stream(job: Job, src: BlockingInput) -> PipeStream | ThreadStream:
    stream: PipeStream | ThreadStream
    if os.environ.get("IOBOUND_PY_STDIN") == "thread" or not _is_pipe(src.fd):
        stream = ThreadStream(job, src, ahead=max(4096, 2 * job.concurrency))
    else:
        stream = PipeStream(job, src, ahead=max(4096, 2 * job.concurrency))
    await stream.open()
    return stream


async def _warm_threads(n: int) -> None:
    """Starts the default pool's ``n`` threads now rather than on the first file steps."""
    loop = asyncio.get_running_loop()
    barrier = threading.Barrier(n)
    await asyncio.gather(*(loop.run_in_executor(None, barrier.wait, 10.0) for _ in range(n)))


async def serve(
    job: Job,
    shared_input: bytes,
    src: BlockingInput,
    writer: RecordWriter,
    runner: AsyncRunner,
) -> None:
    """Sets up, writes READY, runs the slots' tasks and writes END."""
    loop = asyncio.get_running_loop()
    if job.files:
        # Explicit so it can be warmed; same size as the pool asyncio would make.
        files_pool = ThreadPoolExecutor(FILE_THREADS, thread_name_prefix="asyncio-file")
        loop.set_default_executor(files_pool)
        await _warm_threads(FILE_THREADS)
    slots: list[AsyncSlot] = []
    for start in range(0, job.concurrency, CONNECT_BATCH):
        batch = range(start, min(job.concurrency, start + CONNECT_BATCH))
        slots += await asyncio.gather(*(open_async_slot(job.target) for _ in batch))
    stream = await open_stream(job, src)

    t0 = writer.ready()
    deadline = job.deadline(t0)

    async def slot_loop(slot: AsyncSlot) -> None:
        monotonic_ns = time.monotonic_ns
        take = stream.take
        while not writer.broken:
            if deadline is not None and monotonic_ns() >= deadline:
                return
            # Most requests have already arrived: no coroutine to await for them.
            steps = take()
            if steps is None:
                steps = await stream.next()
                if steps is None:
                    return
            issued = monotonic_ns()
            if deadline is not None and issued >= deadline:
                return
            writer.issue()
            digest = await runner.run(steps, slot)
            writer.record(issued, monotonic_ns(), digest)

    tasks = [asyncio.create_task(slot_loop(s)) for s in slots]
    timeout = None
    if deadline is not None:
        timeout = max(0.0, (deadline + job.grace_ns - time.monotonic_ns()) / 1e9)
    done, pending = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_EXCEPTION)
    for t in done:
        if t.exception() is not None:
            raise t.exception()  # type: ignore[misc]
    # Tasks still running past the grace: END counts their requests as cut, then they
    # are cancelled (a file step already in a pool thread finishes there, unrecorded).
    writer.end()
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    stream.close()
    for s in slots:
        s.close()


def run(
    job: Job,
    shared_input: bytes,
    src: BlockingInput,
    writer: RecordWriter,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
) -> None:
    files = FileSet(job.files)
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(serve(job, shared_input, src, writer, AsyncRunner(files, shared_input)))
    finally:
        files.close()
