"""The hand-written yardstick client against a minimal echo server of iobound's frames."""

import asyncio
import struct
import unittest

import support  # noqa: F401 - puts the package on sys.path

from iobound_py import baseline

HEADER = struct.Struct("<I")


async def _echo_server() -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                n = HEADER.unpack(await reader.readexactly(4))[0]
                body = await reader.readexactly(n)
                # status OK, then the payload after the opcode
                writer.write(HEADER.pack(n) + b"\x00" + body[1:])
                await writer.drain()
        except asyncio.IncompleteReadError:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


class BaselineTest(unittest.TestCase):
    def test_counts_echoes_and_reports_cpu_per_request(self) -> None:
        async def go() -> dict:
            server = await _echo_server()
            port = server.sockets[0].getsockname()[1]
            async with server:
                return await baseline.measure("127.0.0.1", port, 4, 0.3, 64)

        r = asyncio.run(go())
        self.assertGreater(r["requests"], 10)
        self.assertGreater(r["req_per_s"], 0)
        self.assertGreater(r["cpu_us_per_request"], 0)

    def test_a_wrong_echo_is_an_error(self) -> None:
        async def go() -> None:
            async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                n = HEADER.unpack(await reader.readexactly(4))[0]
                await reader.readexactly(n)
                writer.write(HEADER.pack(n) + b"\x00" + b"x" * (n - 1))
                await writer.drain()

            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            async with server:
                await baseline.measure("127.0.0.1", port, 1, 0.3, 8)

        with self.assertRaises(RuntimeError):
            asyncio.run(go())


if __name__ == "__main__":
    unittest.main()
