"""A hand-written asyncio echo client: the yardstick for ``py-asyncio``'s overhead.

What a competent Python programmer writes to load an echo server: one task per
connection, ``asyncio.open_connection`` streams, write + drain, then
``readexactly`` the header and the body. No request stream from a parent, no
per-request records, no step interpreter: whatever ``py-asyncio`` does above
this on the same server, in the same minutes, is the engine's own cost.

    python3 -m iobound_py.baseline --target 127.0.0.1:7000 -c 64 -d 3 --size 64

prints one JSON line: requests, seconds, req/s and the process's CPU per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import time

from .protocol import OP_ECHO

_HEADER = struct.Struct("<I")


async def _client(host: str, port: int, frame: bytes, want: bytes, stop: float) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    done = 0
    try:
        while time.monotonic() < stop:
            writer.write(frame)
            await writer.drain()
            header = await reader.readexactly(4)
            body = await reader.readexactly(_HEADER.unpack(header)[0])
            if body != want:
                raise RuntimeError("the echo differs from what was sent")
            done += 1
    finally:
        writer.close()
    return done


async def measure(host: str, port: int, connections: int, seconds: float, size: int) -> dict:
    payload = bytes(i % 251 for i in range(size))
    frame = _HEADER.pack(1 + size) + bytes([OP_ECHO]) + payload
    want = bytes([0]) + payload
    cpu0, t0 = os.times(), time.monotonic()
    stop = t0 + seconds
    counts = await asyncio.gather(
        *(_client(host, port, frame, want, stop) for _ in range(connections))
    )
    elapsed = time.monotonic() - t0
    cpu1 = os.times()
    requests = sum(counts)
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    return {
        "requests": requests,
        "seconds": round(elapsed, 3),
        "req_per_s": round(requests / elapsed, 1),
        "cpu_us_per_request": round(cpu / max(requests, 1) * 1e6, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True, help="HOST:PORT of `iobound serve echo`")
    p.add_argument("-c", "--connections", type=int, default=64)
    p.add_argument("-d", "--seconds", type=float, default=3.0)
    p.add_argument("--size", type=int, default=64, help="payload bytes")
    a = p.parse_args()
    host, _, port = a.target.rpartition(":")
    print(json.dumps(asyncio.run(measure(host, int(port), a.connections, a.seconds, a.size))))


if __name__ == "__main__":
    main()
