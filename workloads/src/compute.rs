//! Compute kernels: the CPU work a [`Step::Compute`](crate::Step::Compute)
//! names. Each returns a 64-bit digest of its result that engines fold into
//! the run's checksum, so the work is observable and cannot be optimised away,
//! and two engines that ran the same requests must report the same checksum.

use sha2::{Digest, Sha256};

use crate::dataset;
use crate::keys::mix64;
use crate::step::{Input, Kernel, Step};

/// Side of the square grayscale tile the image kernel blurs.
pub const TILE_SIDE: usize = 512;
/// Bytes of one tile.
pub const TILE_BYTES: usize = TILE_SIDE * TILE_SIDE;

/// Seed of the shared compute input, distinct from the data files' seeds.
const INPUT_SEED: u64 = 0xC0DE_5EED;

// `Kernel` and `Input` are step vocabulary (`step.rs`); what the kernels
// compute is here.
impl Kernel {
    /// Runs the kernel on `input` and returns its digest.
    pub fn run(self, input: &[u8]) -> u64 {
        match self {
            Kernel::Sha256 => sha256_digest(input),
            Kernel::Blur3x3 => blur3x3_digest(input, TILE_SIDE),
            Kernel::Fnv1a => fnv1a64(input),
        }
    }
}

/// Extra shared input beyond one request's needs: requests start at
/// different offsets in it, so consecutive requests do not process identical
/// bytes.
pub const SPREAD: u64 = 1 << 20;

/// A SHA-256 step over `len` bytes of the shared input, at a 4 KiB-aligned
/// offset within [`SPREAD`] drawn for request `i`. The shared input must be
/// `len + SPREAD` bytes.
pub fn hash_shared(seed: u64, i: u64, len: u32) -> Step {
    kernel_shared(Kernel::Sha256, seed, i, len)
}

/// [`hash_shared`] with another kernel.
pub fn kernel_shared(kernel: Kernel, seed: u64, i: u64, len: u32) -> Step {
    Step::Compute {
        kernel,
        input: Input::Shared {
            offset: crate::keys::uniform(seed, i, SPREAD / 4096 + 1) * 4096,
            len,
        },
    }
}

/// The shared compute input of `len` bytes: generated content, the same on
/// every run, so digests are reproducible.
pub fn shared_input(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    dataset::fill(INPUT_SEED, 0, &mut v);
    v
}

/// FNV-1a, 64 bits, over the bytes in order.
pub fn fnv1a64(input: &[u8]) -> u64 {
    input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// First 8 bytes of SHA-256, little-endian.
pub fn sha256_digest(input: &[u8]) -> u64 {
    let out = Sha256::digest(input);
    u64::from_le_bytes(out[..8].try_into().expect("sha256 is 32 bytes"))
}

/// Blurs `input` seen as rows of `width` pixels (the interior; border pixels
/// have no full neighbourhood and are left out) and digests the result. Rows
/// are blurred one at a time into a small buffer, so the kernel needs no
/// output image: the arithmetic per pixel is the same as a full blur's.
pub fn blur3x3_digest(input: &[u8], width: usize) -> u64 {
    let rows = input.len() / width;
    if rows < 3 || width < 3 {
        return mix64(input.len() as u64);
    }
    let mut out = vec![0u8; width - 2];
    let mut digest = 0u64;
    for y in 1..rows - 1 {
        let up = &input[(y - 1) * width..y * width];
        let mid = &input[y * width..(y + 1) * width];
        let down = &input[(y + 1) * width..(y + 2) * width];
        for (x, o) in out.iter_mut().enumerate() {
            let s: u16 = [up, mid, down]
                .iter()
                .map(|r| r[x] as u16 + r[x + 1] as u16 + r[x + 2] as u16)
                .sum();
            *o = (s / 9) as u8;
        }
        let row_sum: u64 = out.iter().map(|&p| p as u64).sum();
        digest = mix64(digest ^ row_sum ^ ((y as u64) << 32));
    }
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_a_known_vector() {
        // SHA-256("abc") = ba7816bf 8f01cfea ...
        assert_eq!(
            sha256_digest(b"abc").to_le_bytes(),
            [0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea]
        );
    }

    #[test]
    fn fnv1a_matches_known_vectors_and_codes_round_trip() {
        // FNV-1a 64 of "" and "a" (the reference values).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        for k in [Kernel::Sha256, Kernel::Blur3x3, Kernel::Fnv1a] {
            assert_eq!(Kernel::from_code(k.code()), Some(k));
        }
        assert_eq!(Kernel::from_code(0), None);
    }

    #[test]
    fn blur_of_a_flat_image_is_flat() {
        let flat = vec![90u8; 16 * 8];
        let other = vec![91u8; 16 * 8];
        assert_eq!(blur3x3_digest(&flat, 16), blur3x3_digest(&flat, 16));
        assert_ne!(blur3x3_digest(&flat, 16), blur3x3_digest(&other, 16));
    }

    #[test]
    fn blur_averages_the_neighbourhood() {
        // A single bright pixel spreads as 255/9 = 28 over its 3x3 neighbourhood.
        let w = 5;
        let mut img = vec![0u8; w * 5];
        img[2 * w + 2] = 255;
        let mut expected = 0u64;
        for y in 1..4u64 {
            expected = mix64(expected ^ (3 * 28) ^ (y << 32));
        }
        assert_eq!(blur3x3_digest(&img, w), expected);
    }

    #[test]
    fn shared_input_is_reproducible() {
        assert_eq!(shared_input(4096), shared_input(4096));
        assert_ne!(shared_input(64)[..], [0u8; 64][..]);
    }
}
