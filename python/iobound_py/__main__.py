"""The worker's command line: ``python3 -m iobound_py --model MODEL``.

``python3 -m iobound_py lesson CHAPTER [--speed X]`` runs a chapter of the
asyncio lesson instead, for ``iobound lesson`` (see ``lesson.py``).

Owns argument parsing, reading the job header, picking the model, and the
exit statuses: 0 done (or the parent went away), 1 error (one line on
stderr), 2 bad arguments, 3 ``uvloop`` asked for but not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable

from . import MODELS
from .protocol import BlockingInput, RecordWriter, read_header

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_NO_UVLOOP = 3

DESCRIPTION = """\
Runs iobound requests in one of Python's concurrency models, for the iobound
Rust harness, which starts it and talks to it over stdin and stdout (the
protocol is in python/README.md). stdin: one JSON line (the job), the shared
compute input, then requests until EOF. stdout: 24-byte records (READY, one
per completed request, END). Errors: one line on stderr, exit status 1.
"""

EPILOG = """\
models:
  asyncio        one event loop, one task per slot; sockets through asyncio
                 streams, file steps on the loop's default thread pool,
                 COMPUTE inline on the loop
  uvloop         the same on uvloop's event loop (exit status 3 when uvloop
                 is not installed)
  threads        one thread per slot, blocking syscalls, COMPUTE inline
  procs          a multiprocessing pool of WORKERS processes (the job's
                 'workers'), each running whole requests
  asyncio-procs  asyncio for the waits, COMPUTE on a pool of WORKERS processes

exit status: 0 done (or stdout closed by the parent), 1 error (one line on
stderr), 2 bad arguments, 3 uvloop asked for but not installed.

environment: IOBOUND_PY_STDIN=thread makes the asyncio models read stdin
with a thread instead of an asyncio pipe (for comparing the two).

example (the harness pipes instead of files):
  PYTHONPATH=python python3 -m iobound_py --model asyncio < job.bin > records.bin
"""


def _say(message: str) -> None:
    print(f"iobound_py: {' '.join(message.split())}", file=sys.stderr, flush=True)


def _take_std_streams() -> tuple[int, int]:
    """Moves the request and record pipes to private descriptors.

    The copies are not inherited (``os.dup`` makes them close-on-exec), so pool
    processes never hold the parent's pipes open; fd 0 becomes /dev/null and
    fd 1 a copy of stderr, so a stray ``print`` cannot corrupt the records.
    """
    requests_fd, records_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return requests_fd, records_fd


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["lesson"]:
        from . import lesson

        return lesson.main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python3 -m iobound_py",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, choices=MODELS, help="concurrency model")
    args = parser.parse_args(argv)

    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if args.model == "uvloop":
        try:
            import uvloop
        except ImportError as e:
            _say(f"uvloop is not installed ({e}); pip install uvloop to run the uvloop model")
            return EXIT_NO_UVLOOP
        loop_factory = uvloop.new_event_loop

    try:
        requests_fd, records_fd = _take_std_streams()
    except OSError as e:
        _say(f"error: stdin and stdout must be open ({e})")
        return EXIT_ERROR
    writer = RecordWriter(fd=records_fd)
    try:
        src = BlockingInput(requests_fd)
        job, shared_input = read_header(src)
        if args.model in ("asyncio", "uvloop"):
            from . import model_asyncio

            model_asyncio.run(job, shared_input, src, writer, loop_factory)
        elif args.model == "threads":
            from . import model_threads

            model_threads.run(job, shared_input, src, writer)
        elif args.model == "procs":
            from . import model_procs

            model_procs.run(job, shared_input, src, writer)
        else:
            from . import model_asyncio_procs

            model_asyncio_procs.run(job, shared_input, src, writer)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - every error ends as one line
        if writer.broken:
            return EXIT_OK
        _say(f"error: {e}" if str(e) else f"error: {type(e).__name__}")
        return EXIT_ERROR
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
