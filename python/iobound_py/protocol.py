"""The worker protocol with the Rust parent: what crosses stdin and stdout.

Owns decoding the job header (one JSON line), reading the compute input and
the request stream (``u32 n`` then ``n`` steps of 24 bytes), validating steps
against the job, and encoding the 24-byte result records (READY, one per
request, END). Both a blocking reader (threads, process pools) and an asyncio
one read the stream; they share the decoding here. All integers are
little-endian. The contract itself is written down in ``python/README.md``.
"""

from __future__ import annotations

import collections
import json
import os
import select
import struct
import threading
import time
from dataclasses import dataclass

# Step kinds.
READ = 1
WRITE = 2
APPEND = 3
FDATASYNC = 4
COMPUTE = 5
EXCHANGE = 6
STEP_KINDS = {
    READ: "READ",
    WRITE: "WRITE",
    APPEND: "APPEND",
    FDATASYNC: "FDATASYNC",
    COMPUTE: "COMPUTE",
    EXCHANGE: "EXCHANGE",
}

# COMPUTE inputs.
INPUT_SHARED = 0
INPUT_LAST_READ = 1

# EXCHANGE operations (the servers' opcodes).
OP_ECHO = 1
OP_GET = 2
OP_PUT = 3
#: GET and PUT carrying the call's own wait (u32 µs after the key): the opcode a
#: step's GET or PUT takes on the wire when its ``b`` is 1, its ``len`` the wait.
OP_GET_WAIT = 4
OP_PUT_WAIT = 5
#: What ``b`` adds to a GET's or PUT's op for the frame's opcode.
WAIT_OP_SHIFT = OP_GET_WAIT - OP_GET

MAX_STEPS = 8
#: Largest ECHO payload the servers accept (a 1 MiB body, opcode included).
MAX_ECHO = (1 << 20) - 1

#: One step: ``(kind, a, b, pad, len, x, y)``, as ``struct "<BBBBIQQ"`` lays it out.
Step = tuple[int, int, int, int, int, int, int]
#: A request: its steps in order (1 to 8).
Request = tuple[Step, ...]

STEP = struct.Struct("<BBBBIQQ")
COUNT = struct.Struct("<I")
RECORD = struct.Struct("<QQQ")

READY_TAG = 0xFFFF_FFFF_FFFF_FFFE
END_TAG = 0xFFFF_FFFF_FFFF_FFFF

JOB_VERSION = 1


class ProtocolError(Exception):
    """The parent sent something this worker cannot run (bad job, bad step, cut stream)."""


@dataclass(frozen=True)
class FileSpec:
    """A file the job's steps touch, by index."""

    path: str
    size: int
    direct: bool


@dataclass(frozen=True)
class Job:
    """The job header: everything about a cell except its requests."""

    concurrency: int
    workers: int
    warmup_ns: int
    duration_ns: int | None
    requests: int | None
    grace_ns: int
    target: tuple[str, int] | None
    files: tuple[FileSpec, ...]
    compute_input_len: int

    @property
    def time_bounded(self) -> bool:
        return self.duration_ns is not None

    def deadline(self, t0_ns: int) -> int | None:
        """Monotonic ns from which slots issue no new request (``None``: count-bounded)."""
        if self.duration_ns is None:
            return None
        return t0_ns + self.warmup_ns + self.duration_ns


def _int(obj: dict[str, object], key: str, minimum: int = 0, optional: bool = False) -> int | None:
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ProtocolError(f"job: '{key}' must be an integer >= {minimum}, got {value!r}")
    return value


def _target(value: object) -> tuple[str, int] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"job: 'target' must be \"HOST:PORT\" or null, got {value!r}")
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ProtocolError(f"job: 'target' must be \"HOST:PORT\", got {value!r}")
    return host.strip("[]"), int(port)


def _files(value: object) -> tuple[FileSpec, ...]:
    if not isinstance(value, list):
        raise ProtocolError("job: 'files' must be a list")
    specs = []
    for i, f in enumerate(value):
        if not isinstance(f, dict) or not isinstance(f.get("path"), str):
            raise ProtocolError(f"job: files[{i}] needs a string 'path'")
        size = _int(f, "size", minimum=1)
        direct = f.get("direct", False)
        if not isinstance(direct, bool):
            raise ProtocolError(f"job: files[{i}].direct must be true or false")
        assert size is not None
        specs.append(FileSpec(f["path"], size, direct))
    return tuple(specs)


def parse_job(line: bytes) -> Job:
    """Decodes the job's JSON line. Unknown keys are ignored."""
    try:
        obj = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ProtocolError(f"job: not a line of JSON ({e})") from None
    if not isinstance(obj, dict):
        raise ProtocolError("job: not a JSON object")
    if obj.get("version") != JOB_VERSION:
        raise ProtocolError(
            f"job: version {obj.get('version')!r}, this worker speaks version {JOB_VERSION}"
        )
    duration = _int(obj, "duration_ns", optional=True)
    requests = _int(obj, "requests", optional=True)
    if (duration is None) == (requests is None):
        raise ProtocolError("job: exactly one of 'duration_ns' and 'requests' must be set")
    concurrency, workers, warmup, grace, input_len = (
        _int(obj, "concurrency", minimum=1),
        _int(obj, "workers", minimum=1),
        _int(obj, "warmup_ns"),
        _int(obj, "grace_ns"),
        _int(obj, "compute_input_len"),
    )
    assert None not in (concurrency, workers, warmup, grace, input_len)
    return Job(
        concurrency=concurrency,  # type: ignore[arg-type]
        workers=workers,  # type: ignore[arg-type]
        warmup_ns=warmup,  # type: ignore[arg-type]
        duration_ns=duration,
        requests=requests,
        grace_ns=grace,  # type: ignore[arg-type]
        target=_target(obj.get("target")),
        files=_files(obj.get("files", [])),
        compute_input_len=input_len,  # type: ignore[arg-type]
    )


def encode_job(job: Job) -> bytes:
    """The job's JSON line (what the parent sends; used by tests and tools)."""
    obj = {
        "version": JOB_VERSION,
        "concurrency": job.concurrency,
        "workers": job.workers,
        "warmup_ns": job.warmup_ns,
        "duration_ns": job.duration_ns,
        "requests": job.requests,
        "grace_ns": job.grace_ns,
        "target": None if job.target is None else f"{job.target[0]}:{job.target[1]}",
        "files": [{"path": f.path, "size": f.size, "direct": f.direct} for f in job.files],
        "compute_input_len": job.compute_input_len,
    }
    return json.dumps(obj).encode() + b"\n"


def step_name(step: Step) -> str:
    return STEP_KINDS.get(step[0], f"kind {step[0]}")


def validate(steps: Request, job: Job) -> None:
    """Raises :class:`ProtocolError` for a step this job cannot run."""
    nfiles = len(job.files)
    for i, step in enumerate(steps):
        kind, a, b, _pad, length, x, _y = step
        if (
            kind == EXCHANGE
            and a == OP_ECHO
            and b == 0
            and job.target is not None
            and length <= MAX_ECHO
        ):
            continue  # the common valid case, without building the error's words
        where = f"request step {i + 1} ({step_name(step)})"
        if kind in (READ, WRITE, APPEND, FDATASYNC):
            if a >= nfiles:
                raise ProtocolError(f"{where}: file {a}, but the job has {nfiles} files")
            if kind == APPEND and length > job.files[a].size:
                raise ProtocolError(
                    f"{where}: {length} bytes do not fit in a file of {job.files[a].size} bytes"
                )
        elif kind == COMPUTE:
            if a not in (1, 2, 3):
                raise ProtocolError(f"{where}: unknown kernel {a}")
            if b == INPUT_SHARED:
                if x + length > job.compute_input_len:
                    raise ProtocolError(
                        f"{where}: input [{x}, {x + length}) is beyond the "
                        f"{job.compute_input_len}-byte compute input"
                    )
            elif b != INPUT_LAST_READ:
                raise ProtocolError(f"{where}: unknown input kind {b}")
        elif kind == EXCHANGE:
            if job.target is None:
                raise ProtocolError(f"{where}: the job has no 'target' server")
            if a not in (OP_ECHO, OP_GET, OP_PUT):
                raise ProtocolError(f"{where}: unknown operation {a}")
            if a == OP_ECHO and length > MAX_ECHO:
                raise ProtocolError(f"{where}: ECHO of {length} bytes, at most {MAX_ECHO}")
            if b not in (0, 1) or (b == 1 and a == OP_ECHO):
                raise ProtocolError(f"{where}: wait flag {b} (0, or 1 on a GET or PUT)")
        else:
            raise ProtocolError(f"{where}: unknown step kind {kind}")


class RequestDecoder:
    """Turns chunks of the request stream into validated requests, a batch at a time.

    Requests may straddle chunks; decoding whole chunks keeps the per-request
    cost of reading stdin small next to what the models themselves cost.
    """

    def __init__(self, job: Job) -> None:
        self._job = job
        self._buf = b""

    def feed(self, chunk: bytes) -> list[Request]:
        """The requests completed by ``chunk``, in order."""
        buf = self._buf + chunk if self._buf else chunk
        out: list[Request] = []
        pos, size, job = 0, len(buf), self._job
        unpack_count, iter_steps, step_size = COUNT.unpack_from, STEP.iter_unpack, STEP.size
        while size - pos >= 4:
            n = unpack_count(buf, pos)[0]
            if not 1 <= n <= MAX_STEPS:
                raise ProtocolError(f"request of {n} steps (1 to {MAX_STEPS})")
            end = pos + 4 + n * step_size
            if end > size:
                break
            steps = tuple(iter_steps(buf[pos + 4 : end]))
            validate(steps, job)
            out.append(steps)
            pos = end
        self._buf = buf[pos:]
        return out

    def finish(self) -> None:
        """Called at EOF: a request cut short is an error."""
        if self._buf:
            raise ProtocolError(f"stdin ended {len(self._buf)} bytes into a request")


def encode_request(steps: Request) -> bytes:
    """A request as it crosses stdin (used by tests and tools)."""
    return COUNT.pack(len(steps)) + b"".join(STEP.pack(*s) for s in steps)


def step(kind: int, a: int = 0, b: int = 0, length: int = 0, x: int = 0, y: int = 0) -> Step:
    """A step tuple from its named fields."""
    return (kind, a, b, 0, length, x, y)


def encode_record(first: int, second: int, third: int) -> bytes:
    return RECORD.pack(first, second, third)


def encode_ready(t0_ns: int) -> bytes:
    return RECORD.pack(READY_TAG, t0_ns, 0)


def encode_end(cut: int, completed: int) -> bytes:
    return RECORD.pack(END_TAG, cut, completed)


def decode_records(data: bytes) -> list[tuple[int, int, int]]:
    """Splits stdout's bytes into records (used by tests and tools)."""
    if len(data) % RECORD.size:
        raise ProtocolError(f"{len(data)} bytes of records are not a whole number of records")
    return list(RECORD.iter_unpack(data))


class BlockingInput:
    """stdin read with ``os.read`` into one buffer, consumed from a moving position.

    The job header and compute input are read through it first; whatever it
    read beyond them (a parent may have pre-filled the pipe with requests) is
    handed on with :meth:`leftover`, so an asyncio reader can take over the
    same file descriptor without losing bytes. Not thread-safe: callers that
    share it hold a lock around each whole request.
    """

    CHUNK = 1 << 16

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buf = bytearray()
        self._pos = 0

    def _fill(self) -> bool:
        chunk = os.read(self.fd, self.CHUNK)
        if not chunk:
            return False
        if self._pos:
            # Drop what was consumed before growing, so the buffer stays small.
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += chunk
        return True

    def wait(self, until_ns: int) -> bool:
        """Whether bytes (or EOF) are there to read before monotonic ``until_ns``."""
        if len(self._buf) > self._pos:
            return True
        timeout = max(0.0, (until_ns - time.monotonic_ns()) / 1e9)
        readable, _, _ = select.select([self.fd], [], [], timeout)
        return bool(readable)

    def read_line(self, limit: int = 1 << 20) -> bytes:
        """The next line, without its ``\\n``."""
        start = self._pos
        while True:
            end = self._buf.find(b"\n", start)
            if end >= 0:
                line = bytes(self._buf[self._pos : end])
                self._pos = end + 1
                return line
            if len(self._buf) - self._pos > limit:
                raise ProtocolError(f"job line longer than {limit} bytes")
            start = len(self._buf) - self._pos
            if not self._fill():
                raise ProtocolError("stdin ended before the job line")
            start += self._pos

    def read_exact(self, n: int) -> bytes | None:
        """Exactly ``n`` bytes, or ``None`` at EOF before the first of them."""
        while len(self._buf) - self._pos < n:
            if not self._fill():
                if len(self._buf) > self._pos:
                    raise ProtocolError(
                        f"stdin ended {len(self._buf) - self._pos} bytes into a {n}-byte field"
                    )
                return None
        data = bytes(self._buf[self._pos : self._pos + n])
        self._pos += n
        return data

    def read_chunk(self) -> bytes:
        """What was read ahead, else the next ``os.read`` (``b""`` at EOF)."""
        if len(self._buf) > self._pos:
            return self.leftover()
        return os.read(self.fd, self.CHUNK)

    def leftover(self) -> bytes:
        """Bytes read but not consumed yet; the reader is empty afterwards."""
        data = bytes(self._buf[self._pos :])
        self._buf.clear()
        self._pos = 0
        return data


def read_header(src: BlockingInput) -> tuple[Job, bytes]:
    """Reads the job line and the compute input."""
    job = parse_job(src.read_line())
    data = src.read_exact(job.compute_input_len) if job.compute_input_len else b""
    if data is None:
        raise ProtocolError(f"stdin ended before the {job.compute_input_len}-byte compute input")
    return job, data


class BlockingRequests:
    """The request stream read with blocking reads; thread-safe, one request per call."""

    def __init__(self, src: BlockingInput, job: Job) -> None:
        self._src = src
        self._decoder = RequestDecoder(job)
        self._ready: collections.deque[Request] = collections.deque()
        self._lock = threading.Lock()
        self._eof = False

    def next(self) -> Request | None:
        """The next request, or ``None`` at the end of the stream."""
        with self._lock:
            while not self._ready:
                if self._eof:
                    return None
                self._ready.extend(self.next_batch())
            return self._ready.popleft()

    def next_batch(self) -> list[Request]:
        """The requests the next chunk of stdin completes (``[]`` at EOF). Not locked."""
        while not self._eof:
            chunk = self._src.read_chunk()
            if not chunk:
                self._eof = True
                self._decoder.finish()
                return []
            batch = self._decoder.feed(chunk)
            if batch:
                return batch
        return []

    def wait(self, until_ns: int) -> bool:
        """Whether a request may be there before monotonic ``until_ns`` (see
        :meth:`BlockingInput.wait`)."""
        return bool(self._ready) or self._eof or self._src.wait(until_ns)


class RecordWriter:
    """The one writer of stdout: READY, a record per completed request, then END.

    Records go into a buffer under a lock; a background thread writes the
    buffer out every ``interval`` seconds (so a slow reader never blocks a slot
    or an event loop), and :meth:`end` writes the rest and END. It also counts
    requests issued and completed, which is what END reports: ``cut`` is what
    was issued and had not completed when :meth:`end` was called. After a
    write fails with a broken pipe (the parent is gone), :attr:`broken` is set
    and nothing more is written.
    """

    def __init__(self, fd: int = 1, interval: float = 0.05) -> None:
        self.fd = fd
        self.interval = interval
        self.issued = 0
        self.completed = 0
        self.broken = False
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._io_lock = threading.Lock()
        self._closed = False
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None

    def _write_all(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view) :]
        except BrokenPipeError:
            self.broken = True

    def ready(self) -> int:
        """Writes READY now and starts the flusher; returns ``t0`` (monotonic ns)."""
        t0 = time.monotonic_ns()
        with self._io_lock:
            self._write_all(encode_ready(t0))
        self._flusher = threading.Thread(target=self._flush_loop, name="iobound-out", daemon=True)
        self._flusher.start()
        return t0

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.interval) and not self.broken:
            self.flush()

    def flush(self) -> None:
        with self._io_lock:
            with self._lock:
                if not self._buf:
                    return
                data = bytes(self._buf)
                self._buf.clear()
            if not self.broken:
                self._write_all(data)

    def issue(self) -> None:
        """Counts a request a slot is about to run."""
        with self._lock:
            self.issued += 1

    def record(self, issued_ns: int, done_ns: int, digest: int) -> None:
        """Records a completed request (ignored once END is written)."""
        with self._lock:
            if self._closed:
                return
            self._buf += RECORD.pack(issued_ns, done_ns, digest)
            self.completed += 1

    def end(self) -> tuple[int, int]:
        """Writes the remaining records and END; returns ``(cut, completed)``.

        Requests that complete afterwards are not recorded.
        """
        with self._lock:
            self._closed = True
            cut = self.issued - self.completed
            self._buf += encode_end(cut, self.completed)
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join()
        self.flush()
        return cut, self.completed
