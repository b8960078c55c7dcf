"""Process pools for the ``procs`` and ``asyncio-procs`` models.

Owns starting a ``ProcessPoolExecutor`` with the ``forkserver`` context (never a
``fork`` of this process, which has threads), warming it before READY (every
worker process started and initialised), and ending it: an orderly shutdown,
or terminating workers still busy with abandoned requests.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from .steps import StepError

#: How long warming may take before the pool is declared unusable.
WARM_TIMEOUT_S = 60.0


def _warm_task(pause: float, probe: Callable[[], str | None]) -> tuple[int, str | None]:
    # A short pause keeps one worker from taking every warm-up task.
    time.sleep(pause)
    return os.getpid(), probe()


def start_pool(
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[object, ...],
    probe: Callable[[], str | None],
) -> ProcessPoolExecutor:
    """A pool of ``workers`` started processes, each having run ``initializer``.

    ``probe`` runs in a worker and returns the error its initializer met, if any
    (initializers must not raise: the pool would only say it is broken).
    """
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=initializer, initargs=initargs
    )
    try:
        seen: set[int] = set()
        deadline = time.monotonic() + WARM_TIMEOUT_S
        pause = 0.01
        while len(seen) < workers:
            futures = [pool.submit(_warm_task, pause, probe) for _ in range(workers)]
            for f in futures:
                pid, error = f.result(timeout=max(0.0, deadline - time.monotonic()))
                if error is not None:
                    raise StepError(error)
                seen.add(pid)
            if time.monotonic() > deadline:
                raise StepError(f"only {len(seen)} of {workers} worker processes started")
            pause *= 2
    except BaseException:
        terminate_pool(pool)
        raise
    return pool


def terminate_pool(pool: ProcessPoolExecutor) -> None:
    """Ends the pool without waiting for the requests its workers are running."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
    else:
        # Python 3.11 to 3.13 have no public way to stop busy workers.
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
