"""The kernels against vectors printed by the Rust code.

Produced by a throwaway Rust program (not committed) that depends on the
workspace crate by path (``iobound-workloads = { path = "../workloads" }``) and
printed ``keys::mix64``, ``compute::shared_input``, ``compute::sha256_digest``
and ``compute::blur3x3_digest(_, TILE_SIDE)`` for the inputs below. FNV-1a has
no Rust twin in the workspace yet: its vectors came from a straightforward Rust
FNV-1a 64 in that same program, and agree with the FNV reference vectors for
"", "a" and "foobar".
"""

from __future__ import annotations

import unittest

import support  # noqa: F401 - puts the package on sys.path

from iobound_py import kernels
from iobound_py.kernels import (
    blur3x3_digest,
    fnv1a_digest,
    mix64,
    run_kernel,
    sha256_digest,
    shared_input,
)

MIX64 = {
    0x0: 0xE220A8397B1DCDAF,
    0x1: 0x910A2DEC89025CC1,
    0x2A: 0xBDD732262FEB6E95,
    0xFFFFFFFFFFFFFFFF: 0xE4D971771B652C20,
    0x123456789ABCDEF0: 0x161922C645CE50E8,
}

# (offset, length) of a shared_input(1 MiB) slice -> digest.
SHA256 = {
    (0, 0): 0x141CFC9842C4B0E3,
    (0, 4096): 0x88A06DC36BD70D1F,
    (4096, 1000): 0xA82B28420C72937C,
    (65536, 65536): 0x5401C9BDEAC9576F,
    (8, 3): 0x961D2AD6E3C541AC,
}
BLUR = {
    (0, 1024): 0x4426ACBA529F17CC,  # two rows: mix64(len)
    (0, 1535): 0x243FE2B4A17EF20D,  # still two whole rows
    (0, 1536): 0xCDD02109F0840131,  # three rows: one interior row
    (100, 5220): 0x4A34742AC16B5E93,  # ten rows and a partial one, unaligned
    (0, 262144): 0x0A9E7ACC1BDB068C,  # a whole 512 x 512 tile
    (12345, 4096): 0x9393B5A02279CE21,
}
FNV1A = {
    (0, 0): 0xCBF29CE484222325,
    (0, 4096): 0x4B54372601CE2E07,
    (4096, 1000): 0x4C91E04587A2D87C,
    (65536, 65536): 0x565D9AF4F45DAD13,
}


class KernelVectors(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.input = shared_input(1 << 20)

    def test_mix64(self) -> None:
        for z, want in MIX64.items():
            self.assertEqual(mix64(z), want, hex(z))

    def test_shared_input_matches_rust_at_both_ends(self) -> None:
        self.assertEqual(self.input[:16].hex(), "da3ac771f6407cc82ce429e3cb2737ad")
        self.assertEqual(self.input[-16:].hex(), "168d01c9138783c95e237102c141ba44")
        # A length that is not a multiple of 8 is a prefix of the longer input.
        self.assertEqual(shared_input(13), self.input[:13])

    def test_sha256(self) -> None:
        self.assertEqual(sha256_digest(b"abc"), 0xEACF018FBF1678BA)
        for (o, n), want in SHA256.items():
            self.assertEqual(sha256_digest(self.input[o : o + n]), want, (o, n))

    def test_blur(self) -> None:
        for (o, n), want in BLUR.items():
            self.assertEqual(blur3x3_digest(self.input[o : o + n]), want, (o, n))
        self.assertEqual(blur3x3_digest(bytes([90]) * 2048), 0x990D89CC7CD1FD32)
        self.assertEqual(blur3x3_digest(b""), 0xE220A8397B1DCDAF)

    def test_blur_averages_the_neighbourhood(self) -> None:
        # compute.rs's own unit test: one bright pixel in a 5 x 5 image spreads as 255/9 = 28.
        img = bytearray(25)
        img[12] = 255
        want = 0
        for y in range(1, 4):
            want = mix64(want ^ (3 * 28) ^ (y << 32))
        self.assertEqual(blur3x3_digest(bytes(img), 5), want)

    def test_fnv1a(self) -> None:
        self.assertEqual(fnv1a_digest(b""), 0xCBF29CE484222325)
        self.assertEqual(fnv1a_digest(b"a"), 0xAF63DC4C8601EC8C)
        self.assertEqual(fnv1a_digest(b"foobar"), 0x85944171F73967E8)
        for (o, n), want in FNV1A.items():
            self.assertEqual(fnv1a_digest(self.input[o : o + n]), want, (o, n))

    def test_kernels_take_memoryviews_and_dispatch_by_number(self) -> None:
        view = memoryview(self.input)[4096 : 4096 + 1000]
        self.assertEqual(run_kernel(kernels.KERNEL_SHA256, view), SHA256[(4096, 1000)])
        self.assertEqual(run_kernel(kernels.KERNEL_FNV1A, view), FNV1A[(4096, 1000)])
        blur_view = memoryview(self.input)[12345 : 12345 + 4096]
        self.assertEqual(run_kernel(kernels.KERNEL_BLUR3X3, blur_view), BLUR[(12345, 4096)])
        with self.assertRaises(ValueError):
            run_kernel(4, b"")


if __name__ == "__main__":
    unittest.main()
