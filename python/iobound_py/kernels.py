"""The compute kernels a COMPUTE step names, bit-exact with their Rust twins.

Owns ``mix64`` (SplitMix64's finaliser, ``workloads/src/keys.rs``), the
generated content ``fill`` / ``shared_input`` (``workloads/src/dataset.rs``,
``workloads/src/compute.rs``) and the three kernels: SHA-256 (hashlib, which
releases the GIL on large buffers), the 3x3 box blur and FNV-1a 64, both in
pure Python on purpose: they hold the GIL for their whole run, which is what
the threads model is meant to show. Each kernel returns a u64 digest.
"""

from __future__ import annotations

import hashlib
import struct

Bytes = bytes | bytearray | memoryview

MASK64 = (1 << 64) - 1

KERNEL_SHA256 = 1
KERNEL_BLUR3X3 = 2
KERNEL_FNV1A = 3
KERNELS = {KERNEL_SHA256: "sha256", KERNEL_BLUR3X3: "blur3x3", KERNEL_FNV1A: "fnv1a"}

#: Side of the square grayscale tile the blur works on (``compute::TILE_SIDE``).
TILE_SIDE = 512

#: Seed of the shared compute input (``compute::INPUT_SEED``).
INPUT_SEED = 0xC0DE_5EED

FNV_OFFSET_BASIS = 0xCBF2_9CE4_8422_2325
FNV_PRIME = 0x0000_0100_0000_01B3

_WORD_STRIDE = 0xA24B_AED4_963E_E407
_U64 = struct.Struct("<Q")


def mix64(z: int) -> int:
    """SplitMix64's finaliser on a u64, as ``keys::mix64``."""
    z = (z + 0x9E37_79B9_7F4A_7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & MASK64
    return z ^ (z >> 31)


def fill(seed: int, offset: int, length: int) -> bytes:
    """The ``length`` bytes at ``offset`` of generated content ``seed`` (``dataset::fill``).

    ``offset`` and ``length`` must be multiples of 8.
    """
    if offset % 8 or length % 8:
        raise ValueError("fill works in 8-byte words: offset and length must be multiples of 8")
    first = offset // 8
    words = (mix64(seed ^ (((first + k) * _WORD_STRIDE) & MASK64)) for k in range(length // 8))
    return struct.pack(f"<{length // 8}Q", *words)


def shared_input(length: int) -> bytes:
    """The shared compute input of ``length`` bytes (``compute::shared_input``)."""
    whole = length - length % 8
    data = fill(INPUT_SEED, 0, whole)
    if whole < length:
        data += fill(INPUT_SEED, whole, 8)[: length - whole]
    return data


def sha256_digest(data: Bytes) -> int:
    """The first 8 bytes of SHA-256, read as a little-endian u64."""
    return _U64.unpack_from(hashlib.sha256(data).digest())[0]


def blur3x3_digest(data: Bytes, width: int = TILE_SIDE) -> int:
    """3x3 box blur of ``data`` seen as rows of ``width`` pixels, digested row by row.

    Interior pixels only; each output row's sum is folded with ``mix64`` exactly as
    ``compute::blur3x3_digest`` does. Fewer than 3 rows (or columns): ``mix64(len)``.
    """
    rows = len(data) // width
    if rows < 3 or width < 3:
        return mix64(len(data))
    buf = bytes(data[: rows * width])
    digest = 0
    up = buf[0:width]
    mid = buf[width : 2 * width]
    for y in range(1, rows - 1):
        down = buf[(y + 1) * width : (y + 2) * width]
        # Column sums of the three rows, then a 3-wide window along the row.
        col = [a + b + c for a, b, c in zip(up, mid, down, strict=True)]
        row_sum = sum((a + b + c) // 9 for a, b, c in zip(col, col[1:], col[2:], strict=False))
        digest = mix64(digest ^ row_sum ^ (y << 32))
        up, mid = mid, down
    return digest


def fnv1a_digest(data: Bytes) -> int:
    """FNV-1a 64 over the bytes, one byte at a time in pure Python (it holds the GIL)."""
    h = FNV_OFFSET_BASIS
    for byte in bytes(data):
        h = ((h ^ byte) * FNV_PRIME) & MASK64
    return h


def run_kernel(kernel: int, data: Bytes) -> int:
    """Runs kernel number ``kernel`` (1 SHA-256, 2 blur, 3 FNV-1a) over ``data``."""
    if kernel == KERNEL_SHA256:
        return sha256_digest(data)
    if kernel == KERNEL_BLUR3X3:
        return blur3x3_digest(data)
    if kernel == KERNEL_FNV1A:
        return fnv1a_digest(data)
    raise ValueError(f"unknown kernel {kernel}")
