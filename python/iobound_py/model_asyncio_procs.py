"""The ``asyncio-procs`` model: asyncio for the waits, a process pool for COMPUTE.

Owns the COMPUTE dispatch: everything runs as in the ``asyncio`` model
(streams for the server, the default thread pool for files) except COMPUTE
steps, which go to a ``ProcessPoolExecutor`` of ``workers`` processes with
``await loop.run_in_executor(pool, ...)`` — the lesson's pattern for mixed
work: the loop keeps serving other slots while a core computes. Each worker
holds the shared compute input (given once, through the pool's initializer),
so a shared-input step crosses as ``(offset, len)``; a last-read step sends
its bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from . import kernels
from .model_asyncio import serve
from .pool import start_pool, terminate_pool
from .protocol import INPUT_SHARED, BlockingInput, Job, RecordWriter, Step
from .steps import AsyncRunner, FileSet

# --- In each worker process -------------------------------------------------------------

_shared: bytes = b""


def _init_worker(shared_input: bytes) -> None:
    global _shared
    _shared = shared_input


def _probe() -> str | None:
    return None


def compute_shared(kernel: int, offset: int, length: int) -> int:
    """A kernel over ``[offset, offset + length)`` of the worker's copy of the shared input."""
    return kernels.run_kernel(kernel, memoryview(_shared)[offset : offset + length])


def compute_bytes(kernel: int, data: bytes) -> int:
    """A kernel over bytes sent with the task."""
    return kernels.run_kernel(kernel, data)


# --- In the parent ----------------------------------------------------------------------


class PoolComputeRunner(AsyncRunner):
    """:class:`AsyncRunner` with COMPUTE awaited on a process pool."""

    def __init__(self, files: FileSet, shared_input: bytes, pool: ProcessPoolExecutor) -> None:
        super().__init__(files, shared_input)
        self.pool = pool

    async def compute(self, kernel: int, step: Step, data: bytes | memoryview) -> int:
        loop = asyncio.get_running_loop()
        _kind, _a, b, _pad, length, x, _y = step
        if b == INPUT_SHARED:
            return await loop.run_in_executor(self.pool, compute_shared, kernel, x, length)
        return await loop.run_in_executor(self.pool, compute_bytes, kernel, bytes(data))


def run(
    job: Job,
    shared_input: bytes,
    src: BlockingInput,
    writer: RecordWriter,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
) -> None:
    pool = start_pool(job.workers, _init_worker, (shared_input,), _probe)
    files: FileSet | None = None
    clean = False
    try:
        files = FileSet(job.files)
        runner = PoolComputeRunner(files, shared_input, pool)
        with asyncio.Runner(loop_factory=loop_factory) as loop_runner:
            loop_runner.run(serve(job, shared_input, src, writer, runner))
        clean = writer.issued == writer.completed
    finally:
        if clean:
            pool.shutdown(wait=True)
        else:
            terminate_pool(pool)
        if files is not None:
            files.close()
