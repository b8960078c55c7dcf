"""Test helpers: the iobound binary, its loopback servers, and running a worker
the way the Rust parent does (job line, compute input, request stream on stdin;
records on stdout)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PY_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PY_DIR.parent
if str(PY_DIR) not in sys.path:
    sys.path.insert(0, str(PY_DIR))

from iobound_py.protocol import (  # noqa: E402
    END_TAG,
    READY_TAG,
    Job,
    decode_records,
    encode_job,
)

_binary: Path | None = None
_binary_lock = threading.Lock()


def iobound_binary() -> Path:
    """``IOBOUND_BIN``, else the workspace's release or debug build, else a new debug build."""
    global _binary
    with _binary_lock:
        if _binary is not None:
            return _binary
        env = os.environ.get("IOBOUND_BIN")
        if env:
            _binary = Path(env)
            return _binary
        for profile in ("release", "debug"):
            candidate = REPO_DIR / "target" / profile / "iobound"
            if candidate.exists():
                _binary = candidate
                return _binary
        print(
            "\n[tests] no iobound binary (IOBOUND_BIN, target/release, target/debug): "
            "building it once with `cargo build -p iobound`...",
            file=sys.stderr,
            flush=True,
        )
        subprocess.run(["cargo", "build", "-p", "iobound"], cwd=REPO_DIR, check=True)
        _binary = REPO_DIR / "target" / "debug" / "iobound"
        return _binary


class Server:
    """``iobound serve KIND`` on 127.0.0.1 with an OS-assigned port, until :meth:`stop`."""

    def __init__(self, kind: str, *args: str) -> None:
        self.data_dir: tempfile.TemporaryDirectory[str] | None = None
        extra = list(args)
        if kind == "db":
            self.data_dir = tempfile.TemporaryDirectory(prefix="iobound-py-db-")
            extra += ["--data-dir", self.data_dir.name]
        self.proc = subprocess.Popen(
            [str(iobound_binary()), "serve", kind, "--listen", "127.0.0.1:0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"iobound serve {kind} did not start (said {line!r})")
        host, _, port = line.split()[-1].rpartition(":")
        self.addr = (host, int(port))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        if self.data_dir is not None:
            self.data_dir.cleanup()


def worker_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(PY_DIR))


class Result:
    """What a worker run produced: exit status, stderr, records split by kind."""

    def __init__(self, returncode: int, stdout: bytes, stderr: str, seconds: float) -> None:
        self.returncode = returncode
        self.stderr = stderr
        self.seconds = seconds
        self.records = decode_records(stdout)

    @property
    def ready(self) -> tuple[int, int, int]:
        return self.records[0]

    @property
    def end(self) -> tuple[int, int, int]:
        return self.records[-1]

    @property
    def requests(self) -> list[tuple[int, int, int]]:
        return self.records[1:-1]

    def check_framing(self, test: object) -> None:
        """READY first, END last, nothing tagged in between, END's count right."""
        t = test
        t.assertEqual(self.returncode, 0, self.stderr)  # type: ignore[attr-defined]
        t.assertGreaterEqual(len(self.records), 2)  # type: ignore[attr-defined]
        t.assertEqual(self.ready[0], READY_TAG)  # type: ignore[attr-defined]
        t.assertEqual(self.end[0], END_TAG)  # type: ignore[attr-defined]
        for r in self.requests:
            t.assertNotIn(r[0], (READY_TAG, END_TAG))  # type: ignore[attr-defined]
            t.assertGreaterEqual(r[0], self.ready[1])  # type: ignore[attr-defined]
            t.assertGreaterEqual(r[1], r[0])  # type: ignore[attr-defined]
        t.assertEqual(self.end[2], len(self.requests))  # type: ignore[attr-defined]


def run_worker(
    model: str,
    job: Job,
    shared_input: bytes,
    stream: bytes,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
) -> Result:
    """Runs ``python3 -m iobound_py --model MODEL`` as the parent does and returns its output.

    The job header and compute input go first; the request stream follows only
    after READY has been read, from a feeding thread (a worker that stops early
    may leave part of it unread: the broken pipe is ignored).
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "iobound_py", "--model", model],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env or worker_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stderr_chunks: list[bytes] = []
    err_thread = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()))
    err_thread.start()

    def feed() -> None:
        try:
            proc.stdin.write(encode_job(job) + shared_input)
            proc.stdin.flush()
            if not ready_seen.wait(timeout):
                return
            view = memoryview(stream)
            while view:
                proc.stdin.write(view[: 1 << 16])
                view = view[1 << 16 :]
            proc.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    ready_seen = threading.Event()
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    out = bytearray()
    first = proc.stdout.read(24)
    out += first
    ready_seen.set()
    try:
        rest = _read_all(proc, timeout - (time.monotonic() - start))
    finally:
        if proc.poll() is None:
            proc.kill()
    out += rest
    proc.wait()
    err_thread.join()
    feeder.join(5)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        with contextlib.suppress(OSError):  # a write the worker left unread
            pipe.close()
    return Result(
        proc.returncode, bytes(out), b"".join(stderr_chunks).decode(), time.monotonic() - start
    )


def _read_all(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    reader.join(max(0.0, timeout))
    if reader.is_alive():
        proc.kill()
        reader.join()
        raise AssertionError(f"the worker did not finish within {timeout:.0f} s")
    return b"".join(chunks)
