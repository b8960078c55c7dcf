"""End to end: each model run as the Rust parent runs it, against real servers
(``iobound serve echo`` and ``iobound serve db``) and real files.

Every model must produce READY first, one record per request, END with the
right counts, and the same digests: the ones the kernels give for the bytes
each request computes over (file content, shared input, server answers).
"""

from __future__ import annotations

import contextlib
import importlib.util
import mmap
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import unittest
from collections import Counter

import support
from support import Server, run_worker

from iobound_py import MODELS, kernels
from iobound_py.protocol import (
    APPEND,
    COMPUTE,
    END_TAG,
    EXCHANGE,
    FDATASYNC,
    OP_ECHO,
    OP_GET,
    OP_PUT,
    READ,
    READY_TAG,
    WRITE,
    FileSpec,
    Job,
    Request,
    decode_records,
    encode_job,
    encode_request,
    step,
)
from iobound_py.steps import payload

MiB = 1 << 20
DATA_SEED = 0x1B0_0DA7A
SHARED_LEN = 64 * 1024
HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None

servers: dict[str, Server] = {}
tmp: str = ""
shared = kernels.shared_input(SHARED_LEN)
data_content = kernels.fill(DATA_SEED, 0, MiB)


def setUpModule() -> None:
    global tmp
    tmp = tempfile.mkdtemp(prefix="iobound-py-e2e-")
    with open(os.path.join(tmp, "data"), "wb") as f:
        f.write(data_content)
    for name in ("log", "scratch"):
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(bytes(64 * 1024))
    servers["echo"] = Server("echo")
    servers["db"] = Server("db", "--records", "1000", "--db-latency", "0")
    # Every query waits 400 ms: requests still in flight at the deadline.
    servers["slow"] = Server("db", "--records", "1000", "--db-latency", "400ms")


def tearDownModule() -> None:
    for s in servers.values():
        s.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def files(direct: bool = False) -> tuple[FileSpec, ...]:
    return (
        FileSpec(os.path.join(tmp, "data"), MiB, direct),
        FileSpec(os.path.join(tmp, "log"), 64 * 1024, direct),
        FileSpec(os.path.join(tmp, "scratch"), 64 * 1024, direct),
    )


def job(**kw: object) -> Job:
    base: dict[str, object] = {
        "concurrency": 8,
        "workers": 2,
        "warmup_ns": 0,
        "duration_ns": None,
        "requests": None,
        "grace_ns": 2_000_000_000,
        "target": None,
        "files": files(),
        "compute_input_len": SHARED_LEN,
    }
    base.update(kw)
    return Job(**base)  # type: ignore[arg-type]


def db_get_frame(addr: tuple[str, int], key: int) -> bytes:
    """The whole response frame of a GET, fetched by the test itself."""
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(struct.pack("<IBQ", 9, OP_GET, key))
        frame = b""
        while len(frame) < 4 + 1 + 1024:
            chunk = s.recv(4096)
            if not chunk:
                raise AssertionError("the db server closed the connection")
            frame += chunk
    return frame


def mixed_requests(n: int, records: dict[int, bytes]) -> tuple[list[Request], list[int]]:
    """Requests using every step kind, and the digest each must produce.

    GETs read keys below 900, PUTs write keys 900 and up, so what GETs return
    does not depend on the order requests ran in (nor on earlier models' runs).
    """
    reqs: list[Request] = []
    digests: list[int] = []
    for i in range(n):
        k = i % 4
        if k == 0:
            off, echo = (i * 4096) % MiB, 100 + i
            reqs.append(
                (
                    step(READ, 0, length=4096, x=off),
                    step(COMPUTE, kernels.KERNEL_SHA256, 1, length=4096),
                    step(EXCHANGE, OP_ECHO, length=echo),
                    step(COMPUTE, kernels.KERNEL_FNV1A, 1, length=5 + echo),
                )
            )
            frame = struct.pack("<IB", 1 + echo, 0) + payload(echo)
            d = kernels.sha256_digest(data_content[off : off + 4096]) + kernels.fnv1a_digest(frame)
        elif k == 1:
            reqs.append(
                (
                    step(WRITE, 2, length=4096, x=(i % 16) * 4096),
                    step(APPEND, 1, length=4096),
                    step(FDATASYNC, 1),
                    step(COMPUTE, kernels.KERNEL_BLUR3X3, 0, length=4096, x=i * 8),
                )
            )
            d = kernels.blur3x3_digest(shared[i * 8 : i * 8 + 4096])
        elif k == 2:
            key = i % 900
            reqs.append(
                (
                    step(EXCHANGE, OP_GET, x=key),
                    step(COMPUTE, kernels.KERNEL_SHA256, 1, length=4 + 1 + 1024),
                    step(COMPUTE, kernels.KERNEL_FNV1A, 0, length=1000, x=i),
                )
            )
            d = kernels.sha256_digest(records[key]) + kernels.fnv1a_digest(shared[i : i + 1000])
        else:
            reqs.append(
                (
                    step(EXCHANGE, OP_PUT, x=900 + i % 100),
                    step(READ, 0, length=512, x=i * 512),
                    step(COMPUTE, kernels.KERNEL_FNV1A, 1, length=512),
                    step(COMPUTE, kernels.KERNEL_SHA256, 0, length=i, x=0),
                )
            )
            d = kernels.fnv1a_digest(data_content[i * 512 : i * 512 + 512]) + (
                kernels.sha256_digest(shared[:i])
            )
        digests.append(d % 2**64)
    return reqs, digests


def stream(reqs: list[Request]) -> bytes:
    return b"".join(encode_request(r) for r in reqs)


class ModelChecks(unittest.TestCase):
    """The end-to-end checks; one subclass per model below (this base runs none)."""

    model = ""
    #: Extra environment of the worker.
    extra_env: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        return {**support.worker_env(), **self.extra_env}

    def run_model(self, j: Job, requests: bytes) -> support.Result:
        return run_worker(self.model, j, shared, requests, env=self.env())

    def setUp(self) -> None:
        if self.model == "uvloop" and not HAVE_UVLOOP:
            self.skipTest(f"uvloop is not installed for {sys.executable}")

    def test_count_bounded_mixed_requests(self) -> None:
        db = servers["db"].addr
        records = {k: db_get_frame(db, k) for k in {i % 900 for i in range(2, 200, 4)}}
        reqs, digests = mixed_requests(200, records)
        res = self.run_model(job(requests=200, target=db), stream(reqs))
        res.check_framing(self)
        self.assertEqual(len(res.requests), 200)
        self.assertEqual(res.end[1], 0, "nothing is cut in a count-bounded cell")
        got = [r[2] for r in res.requests]
        self.assertEqual(Counter(got), Counter(digests))
        self.assertEqual(sum(got) % 2**64, sum(digests) % 2**64)

    def test_compute_only_slots_take_turns(self) -> None:
        """Little's law holds on compute-only requests on the event loop:
        with 4 tasks sharing one loop, a request waits behind the others'
        computing and its latency counts that wait, so the median latency is
        at least about twice the median with 1 task (it was the compute
        alone, whose tasks never yielded: one ran while the others starved)."""
        if self.model not in ("asyncio", "uvloop"):
            self.skipTest(
                "the loop's own ready queue is what this pins down; threads wait on the GIL "
                "(CPython's 5 ms slices) and pools on their queue and pickling, whose share of "
                "the latency depends on the machine"
            )
        req = (step(COMPUTE, kernels.KERNEL_FNV1A, 0, length=16 * 1024, x=0),)

        def median(c: int) -> float:
            res = self.run_model(job(concurrency=c, files=(), requests=40), stream([req] * 40))
            res.check_framing(self)
            lat = sorted(done - issued for issued, done, _ in res.requests[8:])
            return lat[len(lat) // 2]

        one, four = median(1), median(4)
        self.assertGreater(four, 1.7 * one, (one, four))

    def test_a_threads_slot_times_each_request_from_its_previous_completion(self) -> None:
        """A closed loop's next request is due when the previous one
        completed: a thread that then waits for the GIL before issuing it
        delays that request, and its latency says so (Little's law: latency
        summed over the slot's requests is the slot's whole time)."""
        if self.model != "threads":
            self.skipTest("the GIL wait between requests is the threads model's")
        req = (step(COMPUTE, kernels.KERNEL_FNV1A, 0, length=1024, x=0),)
        res = self.run_model(job(concurrency=1, files=(), requests=20), stream([req] * 20))
        res.check_framing(self)
        self.assertEqual(len(res.requests), 20)
        for before, after in zip(res.requests, res.requests[1:], strict=False):
            self.assertEqual(after[0], before[1])

    def test_time_bounded_echo(self) -> None:
        req = (
            step(EXCHANGE, OP_ECHO, length=64),
            step(COMPUTE, kernels.KERNEL_SHA256, 1, length=69),
        )
        want = kernels.sha256_digest(struct.pack("<IB", 65, 0) + payload(64))
        warmup, duration = 50_000_000, 250_000_000
        j = job(
            concurrency=4,
            files=(),
            warmup_ns=warmup,
            duration_ns=duration,
            target=servers["echo"].addr,
        )
        res = self.run_model(j, stream([req] * 100_000))
        res.check_framing(self)
        deadline = res.ready[1] + warmup + duration
        self.assertGreater(len(res.requests), 10)
        self.assertLess(len(res.requests), 100_000, "it stopped at the deadline, not at EOF")
        for issued, _done, digest in res.requests:
            self.assertLess(issued, deadline)
            self.assertEqual(digest, want)
        self.assertEqual(res.end[1], 0, "a 2 s grace leaves nothing in flight")

    def test_requests_in_flight_past_the_grace_are_cut(self) -> None:
        # Each GET takes 400 ms; the cell ends 100 ms after READY, the grace 50 ms later.
        j = job(
            concurrency=3,
            files=(),
            duration_ns=100_000_000,
            grace_ns=50_000_000,
            target=servers["slow"].addr,
        )
        res = self.run_model(j, stream([(step(EXCHANGE, OP_GET, x=1),)] * 30))
        res.check_framing(self)
        self.assertEqual(res.requests, [])
        self.assertEqual((res.end[1], res.end[2]), (3, 0), "three slots, three requests cut")

    def test_a_failed_check_is_one_line_and_exit_1(self) -> None:
        # The echo server closes the connection on a GET.
        j = job(requests=1, files=(), target=servers["echo"].addr)
        res = self.run_model(j, stream([(step(EXCHANGE, OP_GET, x=1),)]))
        self.assertEqual(res.returncode, 1)
        lines = res.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertIn("GET of key 1", lines[0])

    def test_requests_already_in_the_pipe_before_ready(self) -> None:
        # A parent may write everything at once: requests read along with the job
        # header must not be lost. No server, no files: COMPUTE only.
        reqs = [(step(COMPUTE, kernels.KERNEL_SHA256, 0, length=100 + i, x=i),) for i in range(50)]
        want = [kernels.sha256_digest(shared[i : 2 * i + 100]) for i in range(50)]
        j = job(concurrency=3, files=(), requests=50)
        res = subprocess.run(
            [sys.executable, "-m", "iobound_py", "--model", self.model],
            input=encode_job(j) + shared + stream(reqs),
            capture_output=True,
            env=self.env(),
            timeout=60,
        )
        self.assertEqual(res.returncode, 0, res.stderr)
        records = decode_records(res.stdout)
        self.assertEqual(records[0][0], READY_TAG)
        self.assertEqual(records[-1], (END_TAG, 0, 50))
        self.assertEqual(Counter(r[2] for r in records[1:-1]), Counter(want))

    def test_a_parent_gone_means_a_quiet_exit(self) -> None:
        # A 30 s cell whose parent stops reading stdout after READY.
        j = job(concurrency=4, files=(), duration_ns=30_000_000_000, target=servers["echo"].addr)
        proc = subprocess.Popen(
            [sys.executable, "-m", "iobound_py", "--model", self.model],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env(),
        )
        assert proc.stdin and proc.stdout and proc.stderr
        try:
            proc.stdin.write(encode_job(j) + shared)
            proc.stdin.flush()
            self.assertEqual(len(proc.stdout.read(24)), 24)
            proc.stdout.close()
            req = encode_request((step(EXCHANGE, OP_ECHO, length=64),))
            with contextlib.suppress(BrokenPipeError):
                for _ in range(1000):
                    proc.stdin.write(req * 1000)
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
            self.assertEqual(proc.wait(20), 0)
            self.assertEqual(proc.stderr.read(), b"")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()

    def test_direct_io_reads(self) -> None:
        probe = os.path.join(tmp, "data")
        try:
            fd = os.open(probe, os.O_RDONLY | os.O_DIRECT)
            try:
                os.preadv(fd, [mmap.mmap(-1, 4096)], 0)
            finally:
                os.close(fd)
        except OSError as e:
            reason = f"{tmp}: this filesystem refuses O_DIRECT ({e.strerror})"
            print(f"\n[tests] skipped: {reason}", file=sys.stderr)
            self.skipTest(reason)
        reqs = [
            (
                step(READ, 0, length=8192, x=i * 4096),
                step(COMPUTE, kernels.KERNEL_SHA256, 1, length=8192),
            )
            for i in range(40)
        ]
        want = [kernels.sha256_digest(data_content[i * 4096 : i * 4096 + 8192]) for i in range(40)]
        res = self.run_model(job(requests=40, files=files(direct=True)), stream(reqs))
        res.check_framing(self)
        self.assertEqual(Counter(r[2] for r in res.requests), Counter(want))


for _model in MODELS:
    _name = "Model_" + _model.replace("-", "_")
    globals()[_name] = type(_name, (ModelChecks,), {"model": _model})


class Model_asyncio_thread_stdin(ModelChecks):
    """``asyncio`` with stdin read by a thread (``IOBOUND_PY_STDIN=thread``)."""

    model = "asyncio"
    extra_env = {"IOBOUND_PY_STDIN": "thread"}


# Only the per-model classes are collected.
del ModelChecks, _model, _name


class Command(unittest.TestCase):
    def test_missing_uvloop_exits_3_with_one_line(self) -> None:
        with tempfile.TemporaryDirectory() as shadow:
            os.mkdir(os.path.join(shadow, "uvloop"))
            with open(os.path.join(shadow, "uvloop", "__init__.py"), "w") as f:
                f.write("raise ImportError('No module named uvloop (hidden by the test)')\n")
            env = support.worker_env()
            env["PYTHONPATH"] = shadow + os.pathsep + env["PYTHONPATH"]
            res = subprocess.run(
                [sys.executable, "-m", "iobound_py", "--model", "uvloop"],
                input=b"",
                capture_output=True,
                env=env,
                timeout=30,
            )
        self.assertEqual(res.returncode, 3)
        self.assertEqual(res.stdout, b"")
        lines = res.stderr.decode().strip().splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertIn("uvloop is not installed", lines[0])

    def test_a_bad_job_is_one_line_and_exit_1(self) -> None:
        res = subprocess.run(
            [sys.executable, "-m", "iobound_py", "--model", "threads"],
            input=b'{"version": 1, "concurrency": 1}\n',
            capture_output=True,
            env=support.worker_env(),
            timeout=30,
        )
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stdout, b"")
        lines = res.stderr.decode().strip().splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertIn("job:", lines[0])

    def test_help_names_every_model(self) -> None:
        res = subprocess.run(
            [sys.executable, "-m", "iobound_py", "--help"],
            capture_output=True,
            env=support.worker_env(),
            timeout=30,
        )
        self.assertEqual(res.returncode, 0)
        for model in MODELS:
            self.assertIn(model, res.stdout.decode())


if __name__ == "__main__":
    unittest.main()
