"""The step interpreter's shared parts: append tails, buffers, frames, a blocking run."""

from __future__ import annotations

import ctypes
import os
import struct
import tempfile
import threading
import unittest

import support  # noqa: F401 - puts the package on sys.path

from iobound_py import kernels, steps
from iobound_py.protocol import (
    APPEND,
    COMPUTE,
    FDATASYNC,
    OP_ECHO,
    OP_GET,
    OP_PUT,
    READ,
    WRITE,
    FileSpec,
    step,
)
from iobound_py.steps import BlockingRunner, BlockingSlot, FileSet, StepError, Tails


class AppendTails(unittest.TestCase):
    def test_appends_advance_then_wrap_to_zero(self) -> None:
        tails = Tails([16384, 10000])
        self.assertEqual([tails.reserve(0, 4096) for _ in range(5)], [0, 4096, 8192, 12288, 0])
        # 4096 + 4096 fits in 10000, a third would not: it wraps before writing.
        self.assertEqual([tails.reserve(1, 4096) for _ in range(4)], [0, 4096, 0, 4096])
        # A larger append that does not fit at the tail wraps too.
        self.assertEqual(tails.reserve(0, 16384), 0)
        self.assertEqual(tails.reserve(0, 1), 0)

    def test_concurrent_appends_never_overlap(self) -> None:
        threads, per_thread, length = 8, 500, 512
        size = threads * per_thread * length  # no wrap: every append has its own place
        tails = Tails([size])
        got: list[list[int]] = [[] for _ in range(threads)]
        start = threading.Barrier(threads)

        def append(i: int) -> None:
            start.wait()
            for _ in range(per_thread):
                got[i].append(tails.reserve(0, length))

        workers = [threading.Thread(target=append, args=(i,)) for i in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        offsets = sorted(o for g in got for o in g)
        self.assertEqual(offsets, list(range(0, size, length)))
        # The next append wraps.
        self.assertEqual(tails.reserve(0, length), 0)

    def test_resolve_appends_turns_them_into_writes_in_order(self) -> None:
        tails = Tails([8192, 4096])
        req = (
            step(APPEND, 0, length=4096),
            step(READ, 1, length=4096),
            step(APPEND, 0, length=4096),
        )
        out = steps.resolve_appends(req, tails)
        self.assertEqual(out[0], step(WRITE, 0, length=4096, x=0))
        self.assertEqual(out[1], req[1])
        self.assertEqual(out[2], step(WRITE, 0, length=4096, x=4096))
        no_append = req[1:2]
        self.assertIs(steps.resolve_appends(no_append, tails), no_append)


class Buffers(unittest.TestCase):
    def test_buffers_are_page_aligned_and_grow(self) -> None:
        bufs = steps.SlotBuffers()
        for n in (100, 4096, 70000):
            view = bufs.read_view(n)
            self.assertEqual(len(view), n)
            addr = ctypes.addressof(ctypes.c_char.from_buffer(view))
            self.assertEqual(addr % steps.BUF_ALIGN, 0)
        # A write's payload is the Rust engines': generated content, stamped
        # with the magic and its offset (dataset::write_payload, stamp).
        w = bufs.write_view(70000, 8192)
        want = kernels.fill(steps.WRITE_SEED, 0, 70000)
        self.assertEqual(bytes(w), steps.WRITE_MAGIC + (8192).to_bytes(8, "little") + want[16:])


class Frames(unittest.TestCase):
    def test_request_frames(self) -> None:
        self.assertEqual(steps.request_frame(OP_ECHO, 0, 3), b"\x04\x00\x00\x00\x01\x00\x01\x02")
        self.assertEqual(steps.request_frame(OP_GET, 5, 0), struct.pack("<IBQ", 9, 2, 5))
        put = steps.request_frame(OP_PUT, 5, 0)
        self.assertEqual(len(put), 4 + 1 + 8 + 1024)
        self.assertEqual(put[:13], struct.pack("<IBQ", 1033, 3, 5))
        self.assertEqual(put[13:21], struct.pack("<Q", 5))
        self.assertEqual(put[21:], bytes(1016))

    def test_frames_with_the_calls_own_wait(self) -> None:
        # A step's b = 1 makes its GET or PUT the wire's GET_WAIT or PUT_WAIT (README:
        # key u64, then the wait in µs as u32, then a PUT's value).
        self.assertEqual(steps.wire_op(OP_GET, 1), 4)
        self.assertEqual(steps.wire_op(OP_PUT, 1), 5)
        self.assertEqual(steps.wire_op(OP_GET, 0), OP_GET)
        get = steps.request_frame(steps.wire_op(OP_GET, 1), 5, 50_000)
        self.assertEqual(get, struct.pack("<IBQI", 13, 4, 5, 50_000))
        put = steps.request_frame(steps.wire_op(OP_PUT, 1), 5, 7)
        self.assertEqual(len(put), 4 + 1 + 8 + 4 + 1024)
        self.assertEqual(put[:17], struct.pack("<IBQI", 1037, 5, 5, 7))
        self.assertEqual(put[17:25], struct.pack("<Q", 5))
        self.assertEqual(put[25:], bytes(1016))
        # Their answers are a GET's and a PUT's.
        record = struct.pack("<Q", 9) + bytes(1016)
        steps.check_response(4, 9, 50_000, b"\x00" + record)
        steps.check_response(5, 9, 7, b"\x00")
        self.assertEqual(steps.response_size(4, 50_000), 5 + 1024)
        with self.assertRaises(StepError):
            steps.check_response(4, 8, 50_000, b"\x00" + record)

    def test_response_checks(self) -> None:
        record = struct.pack("<Q", 9) + bytes(1016)
        steps.check_response(OP_ECHO, 0, 3, b"\x00\x00\x01\x02")
        steps.check_response(OP_GET, 9, 0, b"\x00" + record)
        steps.check_response(OP_PUT, 9, 0, b"\x00")
        wrong = {
            "echo changed": (OP_ECHO, 0, 3, b"\x00\x00\x01\x03"),
            "echo short": (OP_ECHO, 0, 3, b"\x00\x00\x01"),
            "not found": (OP_GET, 9, 0, b"\x01"),
            "other record": (OP_GET, 8, 0, b"\x00" + record),
            "short record": (OP_GET, 9, 0, b"\x00" + record[:-1]),
            "put with a body": (OP_PUT, 9, 0, b"\x00\x00"),
            "status 2": (OP_PUT, 9, 0, b"\x02"),
        }
        for what, (op, key, n, body) in wrong.items():
            with self.subTest(what), self.assertRaises(StepError):
                steps.check_response(op, key, n, body)
        with self.assertRaises(StepError):
            steps.body_length(struct.pack("<I", 1026), OP_GET, 1, 0)
        with self.assertRaises(StepError):
            steps.body_length(struct.pack("<I", 0), OP_PUT, 1, 0)


class BlockingRun(unittest.TestCase):
    def test_a_request_on_real_files(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            data_path, log_path = os.path.join(d, "data"), os.path.join(d, "log")
            content = kernels.fill(7, 0, 65536)
            with open(data_path, "wb") as f:
                f.write(content)
            with open(log_path, "wb") as f:
                f.write(bytes(16384))
            files = FileSet([FileSpec(data_path, 65536, False), FileSpec(log_path, 16384, False)])
            shared = kernels.shared_input(4096)
            runner = BlockingRunner(files, shared)
            slot = BlockingSlot(None)
            req = (
                step(READ, 0, length=8192, x=4096),
                step(COMPUTE, 1, 1, length=1000),
                step(COMPUTE, 3, 0, length=100, x=8),
                step(APPEND, 1, length=4096),
                step(APPEND, 1, length=4096),
                step(WRITE, 1, length=512, x=12288),
                step(FDATASYNC, 1),
            )
            want = kernels.sha256_digest(content[4096:5096]) + kernels.fnv1a_digest(shared[8:108])
            self.assertEqual(runner.run(req, slot), want % 2**64)
            with open(log_path, "rb") as f:
                log = f.read()
            body = kernels.fill(steps.WRITE_SEED, 0, 4096)[16:]
            stamped = [steps.WRITE_MAGIC + off.to_bytes(8, "little") + body for off in (0, 4096)]
            self.assertEqual(log[:8192], stamped[0] + stamped[1])
            self.assertEqual(log[8192:12288], bytes(4096))
            self.assertEqual(
                log[12288:12800],
                (steps.WRITE_MAGIC + (12288).to_bytes(8, "little") + body)[:512],
            )
            with self.assertRaisesRegex(StepError, "read nothing"):
                runner.run((step(COMPUTE, 1, 1, length=1),), slot)
            with self.assertRaisesRegex(StepError, "moved 0 of 4096"):
                runner.run((step(READ, 0, length=4096, x=65536),), slot)
            files.close()


if __name__ == "__main__":
    unittest.main()
