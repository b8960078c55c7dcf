"""The asyncio lesson's examples in real Python asyncio, for ``iobound lesson``.

``iobound lesson`` runs each chapter of the lesson (``lesson-asyncio-fr.md``)
as Rust ``async fn``s on its io_uring event loop, then runs the same chapter
here, in the interpreter of its ``--python``, and sets the two side by side.
The examples are written as a Python user writes them: ``async def``,
``await asyncio.sleep``, ``asyncio.run``, ``asyncio.gather``,
``asyncio.create_task``, standard library only, and print the lesson's lines
word for word. Every delay is divided by ``--speed``.

Command line::

    python3 -m iobound_py lesson CHAPTER [--speed X]

CHAPTER is 1 to 5; X is above 0 and at most 1000 (as ``iobound lesson``).

Output on stdout, one line each, UTF-8:

``#part NAME``
    a part of the chapter starts (``iobound lesson`` says what it shows);
``#figures {JSON}``
    the last line: a JSON object of the measured figures, each a number —
    seconds when the name ends in ``_s``, counts otherwise;
any other line
    a line the example itself printed (none of the lesson's starts with ``#``).

Exit status: 0 done, 2 bad arguments.

The chapters and their parts and figures:

1. ``coroutine`` (prints the coroutine object, never run), ``run``
   (``asyncio.run`` of it); ``run_s``.
2. ``single`` (one coroutine), ``two`` (it and a 0.5 s task, both from
   ``asyncio.create_task``); ``single_s``, ``two_tasks_s``.
3. ``gather``, ``sequential`` (the same three awaited one after the other);
   ``gather_s``, ``sequential_s`` (the durations the example prints).
4. No lines printed: ``waits`` (``WAITS`` sleeps of ``WAIT_S``, standing in
   for network or database waits, gathered then one after the other;
   ``io_waits``, ``io_wait_s``, ``io_gather_s``, ``io_sequential_s``) and
   ``cpu`` (``JOBS`` runs of a pure-Python loop, one after the other, through
   ``gather``, on threads with ``asyncio.to_thread``, and on a
   ``ProcessPoolExecutor`` of ``cpu_workers`` processes, each way timed
   ``cpu_rounds`` times in turn and its shortest time kept; ``cpu_jobs``,
   ``cpu_rounds``, ``cpu_sequential_s``, ``cpu_gather_s``, ``cpu_threads_s``,
   ``cpu_processes_s``, ``cpu_workers`` and ``gil``, 1 when the interpreter
   has a GIL; ``cpu_threads_cores``, this process's CPU seconds per second
   while the threads computed, over every round: about 1 under a GIL however
   many cores, since one thread at a time runs Python code; and
   ``cpu_gather_overlaps``, how many gathered jobs started before the one
   before them ended: 0, since a coroutine that never awaits runs to its end).
5. ``eager`` (with ``asyncio.eager_task_factory``, the lesson's order of
   lines; Python 3.12 or newer only, left out before), ``lazy`` (asyncio's
   default); ``paused_s``, ``total_s``, ``lazy_paused_s``, ``lazy_total_s``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

MAX_SPEED = 1000.0

# Chapter 4: the waits, and the pure-Python computing.
WAITS = 16
WAIT_S = 0.1
JOBS = 8
JOB_S = 0.025
# Each way of computing is timed this many times, the ways taking turns, and
# the shortest time kept: the machine's other work only ever adds time.
ROUNDS = 5
# A job shorter than this would measure the pools' own overhead.
MIN_JOB_S = 0.01

Figures = dict[str, float]


def part(name: str) -> None:
    """Marks the start of a part of the chapter."""
    print(f"#part {name}")


# Chapters 1 and 2 ------------------------------------------------------------


async def ma_coroutine(vitesse: float) -> None:
    """The lesson's first coroutine: print, sleep one second, print."""
    print("Début de la coroutine")
    await asyncio.sleep(1 / vitesse)
    print("Fin de la coroutine")


def chapter1(speed: float) -> Figures:
    """A coroutine object, shown and never run; then ``asyncio.run`` of one."""
    part("coroutine")
    coro_obj = ma_coroutine(speed)
    print(coro_obj)
    # Never run: closed, so that Python does not warn it was never awaited.
    coro_obj.close()
    part("run")
    debut = time.perf_counter()
    asyncio.run(ma_coroutine(speed))
    return {"run_s": time.perf_counter() - debut}


async def deux_taches(vitesse: float) -> None:
    """``ma_coroutine`` and a 0.5 s sleep as two tasks on one loop."""
    a = asyncio.create_task(ma_coroutine(vitesse))
    b = asyncio.create_task(asyncio.sleep(0.5 / vitesse))
    await a
    await b


def chapter2(speed: float) -> Figures:
    """One coroutine on the loop, then two tasks that overlap."""
    part("single")
    debut = time.perf_counter()
    asyncio.run(ma_coroutine(speed))
    single = time.perf_counter() - debut
    part("two")
    debut = time.perf_counter()
    asyncio.run(deux_taches(speed))
    return {"single_s": single, "two_tasks_s": time.perf_counter() - debut}


# Chapter 3 -------------------------------------------------------------------


async def dire_apres(delai: float, mot: str) -> int:
    """The lesson's ``dire_apres``: announce, sleep, print the word, return its length."""
    print(f"Début de '{mot}'")
    await asyncio.sleep(delai)
    print(mot)
    return len(mot)


async def main_gather(vitesse: float) -> float:
    """The lesson's ``main``: three ``dire_apres`` through ``asyncio.gather``."""
    debut = time.time()

    tache1 = dire_apres(1 / vitesse, "hello")
    tache2 = dire_apres(2 / vitesse, "world")
    tache3 = dire_apres(0.5 / vitesse, "async")

    resultats = await asyncio.gather(tache1, tache2, tache3)

    fin = time.time()
    print(f"Programme terminé en {fin - debut:.2f} secondes.")
    print(f"Résultats : {resultats}")
    return fin - debut


async def main_sequentiel(vitesse: float) -> float:
    """The same three, each awaited before the next starts."""
    debut = time.time()

    resultats = [
        await dire_apres(1 / vitesse, "hello"),
        await dire_apres(2 / vitesse, "world"),
        await dire_apres(0.5 / vitesse, "async"),
    ]

    fin = time.time()
    print(f"Programme terminé en {fin - debut:.2f} secondes.")
    print(f"Résultats : {resultats}")
    return fin - debut


def chapter3(speed: float) -> Figures:
    """``gather`` of three sleeps, then the same one after the other."""
    part("gather")
    gathered = asyncio.run(main_gather(speed))
    part("sequential")
    sequential = asyncio.run(main_sequentiel(speed))
    return {"gather_s": gathered, "sequential_s": sequential}


# Chapter 4 -------------------------------------------------------------------


async def attente(delai: float) -> None:
    """One wait: a stand-in for a network or database answer."""
    await asyncio.sleep(delai)


async def attentes_gather(n: int, delai: float) -> float:
    """``n`` waits at once; returns how long they took."""
    debut = time.perf_counter()
    await asyncio.gather(*(attente(delai) for _ in range(n)))
    return time.perf_counter() - debut


async def attentes_sequentielles(n: int, delai: float) -> float:
    """``n`` waits one after the other; returns how long they took."""
    debut = time.perf_counter()
    for _ in range(n):
        await attente(delai)
    return time.perf_counter() - debut


def calcul(n: int) -> int:
    """Pure-Python computing: it holds the GIL all along."""
    total = 0
    for i in range(n):
        total += i * i
    return total


async def calcul_async(n: int, journal: list[str]) -> int:
    """``calcul`` in an ``async def``: it never awaits, so it never lets another task run.

    It notes its start and end in ``journal``, to show the order gather ran the jobs in.
    """
    journal.append("start")
    total = calcul(n)
    journal.append("end")
    return total


async def calculs_gather(jobs: int, n: int, journal: list[str]) -> float:
    debut = time.perf_counter()
    await asyncio.gather(*(calcul_async(n, journal) for _ in range(jobs)))
    return time.perf_counter() - debut


def overlaps(journal: list[str]) -> int:
    """How many jobs started while another had not ended."""
    running = count = 0
    for event in journal:
        if event == "start":
            count += running > 0
            running += 1
        else:
            running -= 1
    return count


async def calculs_threads(jobs: int, n: int) -> float:
    debut = time.perf_counter()
    await asyncio.gather(*(asyncio.to_thread(calcul, n) for _ in range(jobs)))
    return time.perf_counter() - debut


async def calculs_processus(jobs: int, n: int, pool: ProcessPoolExecutor) -> float:
    loop = asyncio.get_running_loop()
    debut = time.perf_counter()
    await asyncio.gather(*(loop.run_in_executor(pool, calcul, n) for _ in range(jobs)))
    return time.perf_counter() - debut


def calibrate(seconds: float) -> int:
    """The ``calcul`` size that takes about ``seconds`` here."""
    n = 20_000
    while True:
        took = min(_time(calcul, n) for _ in range(3))
        if took >= 0.005:
            return max(1, round(n * seconds / took))
        n *= 4


def _time(f: Callable[[int], object], n: int) -> float:
    debut = time.perf_counter()
    f(n)
    return time.perf_counter() - debut


def cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def chapter4(speed: float) -> Figures:
    """Waits overlap under ``gather``; pure-Python computing does not."""
    part("waits")
    delai = WAIT_S / speed
    io_gather = asyncio.run(attentes_gather(WAITS, delai))
    io_sequential = asyncio.run(attentes_sequentielles(WAITS, delai))

    part("cpu")
    job_s = max(JOB_S / speed, MIN_JOB_S)
    n = calibrate(job_s)
    workers = min(cores(), JOBS)
    rounds: dict[str, list[float]] = {
        "sequential": [],
        "gather": [],
        "threads": [],
        "processes": [],
    }
    journal: list[str] = []
    # CPU seconds against wall seconds while the threads computed: a figure
    # a busy machine can only lower, so it shows the GIL where a ratio of
    # two timings would show the noise between them.
    threads_cpu = threads_wall = 0.0
    # Started, and every process warmed, before any timing and before any
    # thread exists (a pool may fork).
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(calcul, [1000] * workers))
        for _ in range(ROUNDS):
            debut = time.perf_counter()
            for _ in range(JOBS):
                calcul(n)
            rounds["sequential"].append(time.perf_counter() - debut)
            rounds["gather"].append(asyncio.run(calculs_gather(JOBS, n, journal)))
            cpu, wall = time.process_time(), time.perf_counter()
            rounds["threads"].append(asyncio.run(calculs_threads(JOBS, n)))
            threads_cpu += time.process_time() - cpu
            threads_wall += time.perf_counter() - wall
            rounds["processes"].append(asyncio.run(calculs_processus(JOBS, n, pool)))
    gil_check: Callable[[], bool] = getattr(sys, "_is_gil_enabled", lambda: True)
    return {
        "io_waits": WAITS,
        "io_wait_s": delai,
        "io_gather_s": io_gather,
        "io_sequential_s": io_sequential,
        "cpu_jobs": JOBS,
        "cpu_rounds": ROUNDS,
        **{f"cpu_{way}_s": min(times) for way, times in rounds.items()},
        "cpu_workers": workers,
        "gil": 1 if gil_check() else 0,
        "cpu_threads_cores": threads_cpu / threads_wall,
        "cpu_gather_overlaps": overlaps(journal),
    }


# Chapter 5 -------------------------------------------------------------------


async def operation_longue(vitesse: float) -> None:
    """The lesson's background task: two seconds of waiting."""
    print("La tâche de fond commence...")
    await asyncio.sleep(2 / vitesse)
    print("La tâche de fond est terminée.")


async def main_create_task(vitesse: float, eager: bool) -> tuple[float, float]:
    """The lesson's ``create_task`` main; returns (after the pause, in all), in seconds."""
    if eager:
        # Python 3.12 or newer: a new task runs at once, up to its first await.
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    debut = time.perf_counter()
    print("Lancement de la tâche de fond.")
    task = asyncio.create_task(operation_longue(vitesse))

    print("Le programme principal continue...")
    await asyncio.sleep(1 / vitesse)
    pause = time.perf_counter() - debut
    print("Le programme principal a fait une pause.")

    await task
    total = time.perf_counter() - debut
    print("Le programme principal a attendu la fin de la tâche.")
    return pause, total


def chapter5(speed: float) -> Figures:
    """``create_task``: eagerly started (where Python has it), then asyncio's default."""
    figures: Figures = {}
    if hasattr(asyncio, "eager_task_factory"):
        part("eager")
        figures["paused_s"], figures["total_s"] = asyncio.run(main_create_task(speed, True))
    part("lazy")
    figures["lazy_paused_s"], figures["lazy_total_s"] = asyncio.run(main_create_task(speed, False))
    return figures


CHAPTERS: dict[int, Callable[[float], Figures]] = {
    1: chapter1,
    2: chapter2,
    3: chapter3,
    4: chapter4,
    5: chapter5,
}


def main(argv: list[str]) -> int:
    """Runs one chapter; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python3 -m iobound_py lesson",
        description="Runs a chapter of the asyncio lesson in Python asyncio, for `iobound "
        "lesson` (the output is described in iobound_py/lesson.py).",
    )
    parser.add_argument("chapter", type=int, choices=sorted(CHAPTERS), help="chapter, 1 to 5")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="divide every delay by this (default 1)"
    )
    args = parser.parse_args(argv)
    if not (math.isfinite(args.speed) and 0 < args.speed <= MAX_SPEED):
        parser.error(f"--speed {args.speed}: expected above 0 and at most {MAX_SPEED:g}")
    figures = CHAPTERS[args.chapter](args.speed)
    print(f"#figures {json.dumps(figures)}", flush=True)
    return 0
