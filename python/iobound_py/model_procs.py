"""The ``procs`` model: a pool of worker processes, each running whole requests.

Owns the parent's closed loop and the workers' state. The parent keeps
``concurrency`` requests submitted to a ``ProcessPoolExecutor`` of ``workers``
processes (requests wait in the pool's queue while every worker is busy);
each worker runs one request at a time with its own file descriptors, its
own blocking connection to the server and its own copy of the compute input
(given once, through the pool's initializer). APPEND positions are reserved
in the parent, which sends workers plain WRITEs. A request's latency runs
from its submission to its result, both seen by the parent.
"""

from __future__ import annotations

import queue
import time
from concurrent.futures import Future

from .pool import start_pool, terminate_pool
from .protocol import BlockingInput, BlockingRequests, FileSpec, Job, RecordWriter, Request
from .steps import BlockingRunner, BlockingSlot, FileSet, Tails, connect, resolve_appends

# --- In each worker process -------------------------------------------------------------

_runner: BlockingRunner | None = None
_slot: BlockingSlot | None = None
_init_error: str | None = None


def _init_worker(
    files: tuple[FileSpec, ...], target: tuple[str, int] | None, shared_input: bytes
) -> None:
    global _runner, _slot, _init_error
    try:
        _runner = BlockingRunner(FileSet(files), shared_input)
        _slot = BlockingSlot(connect(target) if target else None)
    except Exception as e:  # noqa: BLE001 - reported by _probe, one line
        _init_error = f"worker process set-up: {e}"


def _probe() -> str | None:
    return _init_error


def _run_request(steps: Request) -> int:
    assert _runner is not None and _slot is not None
    return _runner.run(steps, _slot)


# --- In the parent ----------------------------------------------------------------------


def run(job: Job, shared_input: bytes, src: BlockingInput, writer: RecordWriter) -> None:
    pool = start_pool(job.workers, _init_worker, (job.files, job.target, shared_input), _probe)
    tails = Tails([f.size for f in job.files])
    stream = BlockingRequests(src, job)
    done: queue.SimpleQueue[tuple[int, int, Future[int]]] = queue.SimpleQueue()
    abandoned = False
    try:
        t0 = writer.ready()
        deadline = job.deadline(t0)
        in_flight = 0
        more = True

        def submit() -> bool:
            """Submits the next request; False when no more are to be issued."""
            if writer.broken:
                return False
            # Waiting for the parent's next request stops at the deadline, so the grace
            # below is kept even if the stream stalls.
            if deadline is not None and not stream.wait(deadline):
                return False
            steps = stream.next()
            if steps is None:
                return False
            issued = time.monotonic_ns()
            if deadline is not None and issued >= deadline:
                return False
            writer.issue()
            future = pool.submit(_run_request, resolve_appends(steps, tails))
            # Runs on the pool's manager thread as soon as the result is in.
            future.add_done_callback(lambda f: done.put((issued, time.monotonic_ns(), f)))
            return True

        while more and in_flight < job.concurrency:
            more = submit()
            if more:
                in_flight += 1
        while in_flight:
            timeout = None
            if deadline is not None:
                timeout = max(0.0, (deadline + job.grace_ns - time.monotonic_ns()) / 1e9)
            try:
                issued, finished, future = done.get(timeout=timeout)
            except queue.Empty:
                abandoned = True
                break
            in_flight -= 1
            writer.record(issued, finished, future.result())
            if more:
                more = submit()
                if more:
                    in_flight += 1
        writer.end()
    except BaseException:
        abandoned = True
        raise
    finally:
        if abandoned:
            terminate_pool(pool)
        else:
            pool.shutdown(wait=True)
