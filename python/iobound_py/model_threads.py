"""The ``threads`` model: one ``threading.Thread`` per slot, blocking syscalls.

Owns the threads' closed loop. Each thread has its own buffers and its own
blocking socket, takes the next request from stdin (a lock around the
stream), runs it
with ``os.preadv``/``os.pwritev``/``os.fdatasync`` and ``socket.sendall``/
``recv_into`` (all of which release the GIL while they wait), and runs COMPUTE
inline: hashlib's SHA-256 releases the GIL on large buffers, the pure-Python
kernels hold it, so there the threads take turns (the GIL's switch interval).
"""

from __future__ import annotations

import threading
import time

from .protocol import BlockingInput, BlockingRequests, Job, RecordWriter
from .steps import BlockingRunner, BlockingSlot, FileSet, connect

#: Stack of each slot thread: small, so thousands of slots fit (the code is shallow).
THREAD_STACK = 512 * 1024


class Coordinator:
    """Tracks the slot threads: wakes the main thread when all have ended or one failed."""

    def __init__(self, threads: int) -> None:
        self._lock = threading.Lock()
        self._running = threads
        self.error: BaseException | None = None
        self.stop = False
        self.wake = threading.Event()

    def exited(self, error: BaseException | None) -> None:
        with self._lock:
            if error is not None and self.error is None:
                self.error = error
                self.stop = True
                self.wake.set()
            self._running -= 1
            if self._running == 0:
                self.wake.set()


def run(job: Job, shared_input: bytes, src: BlockingInput, writer: RecordWriter) -> None:
    files = FileSet(job.files)
    runner = BlockingRunner(files, shared_input)
    slots = [
        BlockingSlot(connect(job.target) if job.target else None) for _ in range(job.concurrency)
    ]
    stream = BlockingRequests(src, job)
    coord = Coordinator(len(slots))
    go = threading.Event()
    deadline: list[int | None] = [None]

    def slot_loop(slot: BlockingSlot) -> None:
        go.wait()
        end = deadline[0]
        error = None
        # A closed loop's request is due when the slot's previous one
        # completed: the time a thread then waits for the GIL before it can
        # issue the next is latency its client sees. Timed from the issue
        # instead, 64 threads on mixed-db showed a p99 below C / throughput
        # (Little's law's mean time in flight).
        previous_done: int | None = None
        try:
            while not coord.stop and not writer.broken:
                if end is not None and time.monotonic_ns() >= end:
                    break
                steps = stream.next()
                if steps is None:
                    break
                issued = time.monotonic_ns()
                if end is not None and issued >= end:
                    break
                writer.issue()
                digest = runner.run(steps, slot)
                done = time.monotonic_ns()
                writer.record(issued if previous_done is None else previous_done, done, digest)
                previous_done = done
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            error = e
        finally:
            coord.exited(error)

    old_stack = threading.stack_size(THREAD_STACK)
    try:
        threads = [
            threading.Thread(target=slot_loop, args=(s,), name=f"slot-{i}", daemon=True)
            for i, s in enumerate(slots)
        ]
        for t in threads:
            t.start()
    finally:
        threading.stack_size(old_stack)

    t0 = writer.ready()
    deadline[0] = job.deadline(t0)
    go.set()
    end = deadline[0]
    if end is None:
        coord.wake.wait()
    else:
        coord.wake.wait(max(0.0, (end + job.grace_ns - time.monotonic_ns()) / 1e9))
    if coord.error is not None:
        raise coord.error
    # Threads still running past the grace are abandoned (they are daemons, blocked in a
    # syscall or a long kernel): END counts their requests as cut.
    writer.end()
    if coord.wake.is_set():
        for s in slots:
            s.close()
        files.close()
