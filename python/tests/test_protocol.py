"""The worker protocol's encoding and decoding: job line, request stream, records."""

from __future__ import annotations

import os
import unittest

import support  # noqa: F401 - puts the package on sys.path

from iobound_py import protocol as p
from iobound_py.protocol import (
    APPEND,
    COMPUTE,
    EXCHANGE,
    FDATASYNC,
    READ,
    WRITE,
    BlockingInput,
    BlockingRequests,
    FileSpec,
    Job,
    ProtocolError,
    RequestDecoder,
    encode_job,
    encode_request,
    parse_job,
    read_header,
    step,
)

JOB = Job(
    concurrency=8,
    workers=2,
    warmup_ns=5_000_000,
    duration_ns=None,
    requests=200,
    grace_ns=1_000_000_000,
    target=("127.0.0.1", 7000),
    files=(FileSpec("/tmp/a", 1 << 20, False), FileSpec("/tmp/b", 65536, True)),
    compute_input_len=100,
)

REQUESTS = [
    (step(READ, 0, length=4096, x=8192),),
    (
        step(WRITE, 1, length=512, x=1024),
        step(APPEND, 1, length=4096),
        step(FDATASYNC, 1),
        step(COMPUTE, 1, 0, length=50, x=50),
        step(COMPUTE, 3, 1, length=4096),
        step(EXCHANGE, 1, length=100),
        step(EXCHANGE, 2, x=2**64 - 1),
        step(EXCHANGE, 3, x=7),
    ),
]


def pipe_with(data: bytes) -> int:
    """A pipe's read end holding ``data`` (then EOF)."""
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    return r


class JobLine(unittest.TestCase):
    def test_round_trip(self) -> None:
        line = encode_job(JOB)
        self.assertTrue(line.endswith(b"\n"))
        self.assertEqual(parse_job(line.rstrip(b"\n")), JOB)
        self.assertEqual(JOB.deadline(1000), None)
        timed = parse_job(
            line.replace(b'"duration_ns": null', b'"duration_ns": 7').replace(
                b'"requests": 200', b'"requests": null'
            )
        )
        self.assertTrue(timed.time_bounded)
        self.assertEqual(timed.deadline(1000), 1000 + 5_000_000 + 7)

    def test_the_parents_spelling(self) -> None:
        line = (
            b'{"version": 1, "concurrency": 3, "workers": 1, "warmup_ns": 0, '
            b'"duration_ns": 1000000000, "requests": null, "grace_ns": 0, "target": null, '
            b'"files": [{"path": "/x", "size": 4096, "direct": true}], '
            b'"compute_input_len": 0, "something_new": 1}'
        )
        job = parse_job(line)
        self.assertEqual(job.files, (FileSpec("/x", 4096, True),))
        self.assertIsNone(job.target)
        self.assertEqual(job.duration_ns, 10**9)

    def test_bad_jobs_are_refused_with_a_reason(self) -> None:
        good = encode_job(JOB).decode()
        cases = {
            "both bounds": good.replace('"duration_ns": null', '"duration_ns": 5'),
            "no bound": good.replace('"requests": 200', '"requests": null'),
            "version": good.replace('"version": 1', '"version": 2'),
            "concurrency": good.replace('"concurrency": 8', '"concurrency": 0'),
            "target": good.replace("127.0.0.1:7000", "nowhere"),
            "not json": "{",
            "a bool as a number": good.replace('"workers": 2', '"workers": true'),
        }
        for what, line in cases.items():
            with self.subTest(what), self.assertRaises(ProtocolError):
                parse_job(line.encode())


class RequestStream(unittest.TestCase):
    def test_header_input_and_requests_read_back(self) -> None:
        shared = bytes(range(100))
        data = encode_job(JOB) + shared + b"".join(encode_request(r) for r in REQUESTS)
        src = BlockingInput(pipe_with(data))
        try:
            job, got_shared = read_header(src)
            self.assertEqual(job, JOB)
            self.assertEqual(got_shared, shared)
            stream = BlockingRequests(src, job)
            self.assertEqual([stream.next() for _ in REQUESTS], REQUESTS)
            self.assertIsNone(stream.next())
            self.assertIsNone(stream.next())
        finally:
            os.close(src.fd)

    def test_leftover_hands_on_what_was_read_ahead(self) -> None:
        stream = b"".join(encode_request(r) for r in REQUESTS)
        src = BlockingInput(pipe_with(encode_job(JOB) + bytes(100) + stream))
        try:
            read_header(src)
            # One os.read took everything: the requests are in the leftover, not lost.
            self.assertEqual(src.leftover(), stream)
            self.assertEqual(src.read_chunk(), b"")
        finally:
            os.close(src.fd)

    def test_requests_straddling_chunks_decode_whole(self) -> None:
        data = b"".join(encode_request(r) for r in REQUESTS * 3)
        for size in (1, 5, 24, 28, 100, len(data)):
            decoder = RequestDecoder(JOB)
            got = []
            for i in range(0, len(data), size):
                got += decoder.feed(data[i : i + size])
            decoder.finish()
            self.assertEqual(got, REQUESTS * 3, size)

    def test_truncated_and_invalid_requests_are_errors(self) -> None:
        whole = encode_request(REQUESTS[1])
        bad = {
            "cut inside": whole[:30],
            "cut in the count": whole[:3],
            "zero steps": p.COUNT.pack(0),
            "nine steps": p.COUNT.pack(9) + bytes(9 * 24),
            "unknown kind": encode_request((step(9),)),
            "file index": encode_request((step(READ, 2, length=4096),)),
            "append larger than the file": encode_request((step(APPEND, 1, length=65537),)),
            "kernel": encode_request((step(COMPUTE, 4, 0, length=1),)),
            "input kind": encode_request((step(COMPUTE, 1, 2, length=1),)),
            "shared input bounds": encode_request((step(COMPUTE, 1, 0, length=51, x=50),)),
            "exchange op": encode_request((step(EXCHANGE, 4),)),
            "echo too long": encode_request((step(EXCHANGE, 1, length=1 << 20),)),
            "a wait on an echo": encode_request((step(EXCHANGE, 1, 1, length=1),)),
            "wait flag 2": encode_request((step(EXCHANGE, 2, 2, length=1),)),
        }
        for what, data in bad.items():
            src = BlockingInput(pipe_with(whole + data))
            stream = BlockingRequests(src, JOB)
            with self.subTest(what), self.assertRaises(ProtocolError):
                # The good request before it may come out first, never the bad one.
                self.assertEqual(stream.next(), REQUESTS[1])
                stream.next()
            os.close(src.fd)

    def test_exchange_needs_a_target(self) -> None:
        job = Job(**{**JOB.__dict__, "target": None})
        with self.assertRaisesRegex(ProtocolError, "target"):
            p.validate((step(EXCHANGE, 1, length=1),), job)

    def test_step_layout_is_24_bytes_little_endian(self) -> None:
        raw = encode_request((step(COMPUTE, 2, 1, length=0x01020304, x=5, y=6),))
        self.assertEqual(raw[:4], b"\x01\x00\x00\x00")
        self.assertEqual(len(raw), 4 + 24)
        self.assertEqual(raw[4:8], bytes([5, 2, 1, 0]))
        self.assertEqual(raw[8:12], b"\x04\x03\x02\x01")
        self.assertEqual(raw[12:20], (5).to_bytes(8, "little"))
        self.assertEqual(raw[20:28], (6).to_bytes(8, "little"))


class Records(unittest.TestCase):
    def test_record_round_trip(self) -> None:
        data = p.encode_ready(11) + p.encode_record(1, 2, 2**64 - 1) + p.encode_end(3, 1)
        self.assertEqual(len(data), 72)
        self.assertEqual(
            p.decode_records(data),
            [(p.READY_TAG, 11, 0), (1, 2, 2**64 - 1), (p.END_TAG, 3, 1)],
        )
        with self.assertRaises(ProtocolError):
            p.decode_records(data[:-1])

    def test_writer_counts_cut_and_ignores_late_records(self) -> None:
        r, w = os.pipe()
        try:
            writer = p.RecordWriter(fd=w, interval=0.01)
            t0 = writer.ready()
            for _ in range(3):
                writer.issue()
            writer.record(t0, t0 + 5, 42)
            self.assertEqual(writer.end(), (2, 1))
            writer.record(t0, t0 + 9, 43)  # completes after END: not written
            writer.flush()
            os.close(w)
            w = -1
            out = b""
            while chunk := os.read(r, 4096):
                out += chunk
            self.assertEqual(
                p.decode_records(out),
                [(p.READY_TAG, t0, 0), (t0, t0 + 5, 42), (p.END_TAG, 2, 1)],
            )
        finally:
            os.close(r)
            if w >= 0:
                os.close(w)

    def test_writer_notes_a_broken_pipe(self) -> None:
        r, w = os.pipe()
        os.close(r)
        writer = p.RecordWriter(fd=w, interval=0.01)
        writer.ready()
        self.assertTrue(writer.broken)
        writer.end()
        os.close(w)


if __name__ == "__main__":
    unittest.main()
