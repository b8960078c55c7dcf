"""``python3 -m iobound_py lesson N``: the lesson's examples in Python asyncio,
run as ``iobound lesson`` runs them, fast (``--speed``): their lines word for
word, and timings that hold (ratios, generous: machines are noisy)."""

from __future__ import annotations

import json
import subprocess
import sys
import unittest

import support  # noqa: F401 - puts the package on sys.path
from support import worker_env

from iobound_py import lesson

SPEED = 20.0


class Run:
    """One chapter's output: its lines by part, and its figures."""

    def __init__(self, chapter: int) -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "iobound_py", "lesson", str(chapter), "--speed", str(SPEED)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=worker_env(),
            timeout=120,
        )
        self.returncode = proc.returncode
        self.stderr = proc.stderr
        self.parts: dict[str, list[str]] = {}
        self.order: list[str] = []
        self.figures: dict[str, float] = {}
        current: list[str] | None = None
        lines = proc.stdout.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("#part "):
                name = line.removeprefix("#part ")
                self.order.append(name)
                current = self.parts.setdefault(name, [])
            elif line.startswith("#figures "):
                assert i == len(lines) - 1, "the figures come last"
                self.figures = json.loads(line.removeprefix("#figures "))
            else:
                assert current is not None, f"a line before any part: {line!r}"
                current.append(line)


def run(chapter: int) -> Run:
    r = Run(chapter)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    return r


class LessonTest(unittest.TestCase):
    def test_chapter1_shows_the_coroutine_object_then_runs_it(self):
        r = run(1)
        self.assertEqual(r.order, ["coroutine", "run"])
        [obj] = r.parts["coroutine"]
        self.assertRegex(obj, r"^<coroutine object ma_coroutine at 0x[0-9a-f]+>$")
        self.assertEqual(r.parts["run"], ["Début de la coroutine", "Fin de la coroutine"])
        self.assertGreaterEqual(r.figures["run_s"], 1 / SPEED)
        # Only a sanity bound: timings are asserted where they tell behaviour
        # apart, never as speed goals on a shared machine.
        self.assertLess(r.figures["run_s"], 3 / SPEED)

    def test_chapter2_two_tasks_take_the_longer_one(self):
        r = run(2)
        self.assertEqual(r.order, ["single", "two"])
        lines = ["Début de la coroutine", "Fin de la coroutine"]
        self.assertEqual(r.parts["single"], lines)
        self.assertEqual(r.parts["two"], lines)
        # 1 s and 0.5 s overlapped: about 1 s. One after the other they could
        # not take less than their 1.5 s sum, so under it means they overlapped
        # (the widest bound that still tells the two apart: noise only adds).
        self.assertGreaterEqual(r.figures["two_tasks_s"], 1 / SPEED)
        self.assertLess(r.figures["two_tasks_s"], 1.5 / SPEED)

    def test_chapter3_gather_takes_the_longest_delay_and_sequential_the_sum(self):
        r = run(3)
        self.assertEqual(r.order, ["gather", "sequential"])
        gather, sequential = r.parts["gather"], r.parts["sequential"]
        self.assertEqual(
            gather[:6],
            [
                "Début de 'hello'",
                "Début de 'world'",
                "Début de 'async'",
                "async",
                "hello",
                "world",
            ],
        )
        self.assertEqual(
            sequential[:6],
            ["Début de 'hello'", "hello", "Début de 'world'", "world", "Début de 'async'", "async"],
        )
        for lines, took in (
            (gather, r.figures["gather_s"]),
            (sequential, r.figures["sequential_s"]),
        ):
            self.assertEqual(lines[6], f"Programme terminé en {took:.2f} secondes.")
            self.assertEqual(lines[7], "Résultats : [5, 5, 5]")
            self.assertEqual(len(lines), 8)
        longest, total = 2 / SPEED, 3.5 / SPEED
        # Gathered, under the sum only if the delays overlapped; one after
        # the other, at least the sum.
        self.assertGreaterEqual(r.figures["gather_s"], longest * 0.99)
        self.assertLess(r.figures["gather_s"], total)
        self.assertGreaterEqual(r.figures["sequential_s"], total * 0.99)

    def test_chapter4_waits_overlap_and_python_computing_does_not(self):
        r = run(4)
        self.assertEqual(r.order, ["waits", "cpu"])
        self.assertEqual(r.parts, {"waits": [], "cpu": []})
        f = r.figures
        # 16 waits: gathered, about one wait; one after the other, 16.
        self.assertGreaterEqual(f["io_gather_s"], f["io_wait_s"] * 0.99)
        self.assertLess(f["io_gather_s"], f["io_wait_s"] * 4)
        self.assertGreaterEqual(f["io_sequential_s"], f["io_wait_s"] * f["io_waits"] * 0.99)
        self.assertGreater(f["io_sequential_s"] / f["io_gather_s"], 4)
        # Coroutines that never await run one after the other: none of the
        # gathered jobs starts before the one before it has ended. (Checked
        # by order, not by comparing two timings, which a shared machine's
        # noise can skew either way.)
        self.assertEqual(f["cpu_gather_overlaps"], 0)
        if f["gil"]:
            # Under the GIL, one thread runs Python code at a time: the
            # process used about one core's worth of CPU per second, however
            # many threads and cores. Noise can only lower this figure.
            self.assertLess(f["cpu_threads_cores"], 1.3)
        self.assertGreater(f["cpu_threads_cores"], 0)
        self.assertEqual(f["cpu_workers"], min(lesson.cores(), lesson.JOBS))
        for way in ("sequential", "gather", "threads", "processes"):
            self.assertGreater(f[f"cpu_{way}_s"], 0)

    def test_chapter5_create_task_overlaps_the_pause_with_the_task(self):
        r = run(5)
        first = [
            "Lancement de la tâche de fond.",
            "La tâche de fond commence...",
            "Le programme principal continue...",
            "Le programme principal a fait une pause.",
            "La tâche de fond est terminée.",
            "Le programme principal a attendu la fin de la tâche.",
        ]
        default = [first[0], first[2], first[1], *first[3:]]
        self.assertEqual(r.parts["lazy"], default)
        runs = [("lazy_paused_s", "lazy_total_s")]
        if sys.version_info >= (3, 12):
            self.assertEqual(r.order, ["eager", "lazy"])
            self.assertEqual(r.parts["eager"], first)
            runs.append(("paused_s", "total_s"))
        else:
            self.assertEqual(r.order, ["lazy"])
        for paused, total in runs:
            # The pause takes 1 s; had the 2 s task blocked it, 2 s or more.
            self.assertGreaterEqual(r.figures[paused], 1 / SPEED)
            self.assertLess(r.figures[paused], 2 / SPEED)
            # One after the other would be 3 s at least; overlapped, about 2 s.
            self.assertGreaterEqual(r.figures[total], 2 / SPEED)
            self.assertLess(r.figures[total], 3 / SPEED)

    def test_bad_arguments_exit_2(self):
        for args in (["6"], ["x"], ["3", "--speed", "0"], ["3", "--speed", "1001"]):
            proc = subprocess.run(
                [sys.executable, "-m", "iobound_py", "lesson", *args],
                capture_output=True,
                env=worker_env(),
                timeout=60,
            )
            self.assertEqual(proc.returncode, 2, args)
            self.assertEqual(proc.stdout, b"", args)


if __name__ == "__main__":
    unittest.main()
