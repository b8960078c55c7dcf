//! CPU-bound and mixed workloads: hashing, an image kernel, and a file read
//! followed by a hash of what was read.

use crate::compute::{kernel_shared, SPREAD, TILE_BYTES, TILE_SIDE};
use crate::file::RandRead;
use crate::keys::uniform;
use crate::step::{FileSpec, Input, Kernel, Request, Step};
use crate::Workload;

/// Each request hashes `work` bytes of in-memory data: with SHA-256
/// (`cpu-hash`), or with FNV-1a one byte at a time (`cpu-py`, whose Python
/// twin is interpreted bytecode that holds the GIL).
#[derive(Debug, Clone)]
pub struct CpuHash {
    work: u32,
    seed: u64,
    kernel: Kernel,
}

impl CpuHash {
    pub fn new(work: u32, seed: u64) -> Self {
        CpuHash {
            work,
            seed,
            kernel: Kernel::Sha256,
        }
    }

    /// `cpu-py`: the same requests with FNV-1a.
    pub fn fnv(work: u32, seed: u64) -> Self {
        CpuHash {
            kernel: Kernel::Fnv1a,
            ..CpuHash::new(work, seed)
        }
    }
}

impl Workload for CpuHash {
    fn name(&self) -> &'static str {
        match self.kernel {
            Kernel::Fnv1a => "cpu-py",
            _ => "cpu-hash",
        }
    }
    fn files(&self) -> &[FileSpec] {
        &[]
    }
    fn max_transfer(&self) -> usize {
        0
    }
    fn request(&self, i: u64) -> Request {
        Request::one(kernel_shared(self.kernel, self.seed, i, self.work))
    }
    fn compute_input(&self) -> usize {
        (self.work as u64 + SPREAD) as usize
    }
    fn computes(&self) -> bool {
        true
    }
}

/// Each request blurs one 512x512 grayscale tile with a 3x3 box kernel.
#[derive(Debug, Clone)]
pub struct CpuImage {
    seed: u64,
}

impl CpuImage {
    pub fn new(seed: u64) -> Self {
        CpuImage { seed }
    }
}

impl Workload for CpuImage {
    fn name(&self) -> &'static str {
        "cpu-image"
    }
    fn files(&self) -> &[FileSpec] {
        &[]
    }
    fn max_transfer(&self) -> usize {
        0
    }
    fn request(&self, i: u64) -> Request {
        let rows = SPREAD / TILE_SIDE as u64;
        let offset = uniform(self.seed, i, rows + 1) * TILE_SIDE as u64;
        Request::one(Step::Compute {
            kernel: Kernel::Blur3x3,
            input: Input::Shared {
                offset,
                len: TILE_BYTES as u32,
            },
        })
    }
    fn compute_input(&self) -> usize {
        TILE_BYTES + SPREAD as usize
    }
    fn computes(&self) -> bool {
        true
    }
}

/// Each request reads one block at a uniform random offset of the data file
/// (exactly as `file-randread` does), then hashes what it read: I/O and CPU
/// in one request.
#[derive(Debug, Clone)]
pub struct MixedFile {
    read: RandRead,
}

impl MixedFile {
    pub fn new(file_size: u64, block: u32, seed: u64) -> Self {
        MixedFile {
            read: RandRead::new(file_size, block, seed),
        }
    }
}

impl Workload for MixedFile {
    fn name(&self) -> &'static str {
        "mixed-file"
    }
    fn files(&self) -> &[FileSpec] {
        self.read.files()
    }
    fn max_transfer(&self) -> usize {
        self.read.max_transfer()
    }
    fn request(&self, i: u64) -> Request {
        let mut r = self.read.request(i);
        r.push(Step::Compute {
            kernel: Kernel::Sha256,
            input: Input::LastRead {
                len: self.read.max_transfer() as u32,
            },
        });
        r
    }
    fn computes(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_bounds_hold(w: &dyn Workload) {
        for i in 0..10_000 {
            for step in w.request(i).steps() {
                if let Step::Compute {
                    input: Input::Shared { offset, len },
                    ..
                } = *step
                {
                    assert!(offset + len as u64 <= w.compute_input() as u64, "{i}");
                }
            }
        }
    }

    #[test]
    fn shared_inputs_stay_in_bounds_and_vary() {
        shared_bounds_hold(&CpuHash::new(256 << 10, 1));
        shared_bounds_hold(&CpuImage::new(1));
        let w = CpuHash::new(4096, 1);
        let offsets: std::collections::HashSet<_> = (0..100)
            .map(|i| match w.request(i).steps()[0] {
                Step::Compute {
                    input: Input::Shared { offset, .. },
                    ..
                } => offset,
                _ => unreachable!(),
            })
            .collect();
        assert!(offsets.len() > 50);
    }

    #[test]
    fn mixed_file_hashes_what_it_read() {
        let w = MixedFile::new(1 << 20, 65536, 1);
        let r = w.request(3);
        assert!(matches!(r.steps()[0], Step::Read { len: 65536, .. }));
        assert_eq!(
            r.steps()[1],
            Step::Compute {
                kernel: Kernel::Sha256,
                input: Input::LastRead { len: 65536 }
            }
        );
    }
}
