//! File workloads: random reads, sequential reads, and log appends with fdatasync.

use crate::keys::uniform;
use crate::step::{FileId, FileRole, FileSpec, Request, Step};
use crate::Workload;

const DATA: FileId = FileId(0);

/// Uniform random aligned reads of one block each.
#[derive(Debug, Clone)]
pub struct RandRead {
    files: [FileSpec; 1],
    block: u32,
    blocks: u64,
    seed: u64,
}

impl RandRead {
    pub fn new(file_size: u64, block: u32, seed: u64) -> Self {
        RandRead {
            files: [FileSpec {
                role: FileRole::Data,
                size: file_size,
            }],
            block,
            blocks: file_size / block as u64,
            seed,
        }
    }
}

impl Workload for RandRead {
    fn name(&self) -> &'static str {
        "file-randread"
    }
    fn files(&self) -> &[FileSpec] {
        &self.files
    }
    fn max_transfer(&self) -> usize {
        self.block as usize
    }
    fn request(&self, i: u64) -> Request {
        let offset = uniform(self.seed, i, self.blocks) * self.block as u64;
        Request::one(Step::Read {
            file: DATA,
            offset,
            len: self.block,
        })
    }
}

/// Sequential reads that wrap around at the end of the file. Request `i` reads
/// block `i`, so concurrent requests together sweep the file in order.
#[derive(Debug, Clone)]
pub struct SeqRead {
    files: [FileSpec; 1],
    block: u32,
    blocks: u64,
}

impl SeqRead {
    pub fn new(file_size: u64, block: u32) -> Self {
        SeqRead {
            files: [FileSpec {
                role: FileRole::Data,
                size: file_size,
            }],
            block,
            blocks: file_size / block as u64,
        }
    }
}

impl Workload for SeqRead {
    fn name(&self) -> &'static str {
        "file-seqread"
    }
    fn files(&self) -> &[FileSpec] {
        &self.files
    }
    fn max_transfer(&self) -> usize {
        self.block as usize
    }
    fn request(&self, i: u64) -> Request {
        Request::one(Step::Read {
            file: DATA,
            offset: (i % self.blocks) * self.block as u64,
            len: self.block,
        })
    }
}

/// Write-ahead-log appends: each request appends one block, and every
/// `sync_every`-th request then makes the log durable with fdatasync.
#[derive(Debug, Clone)]
pub struct LogWrite {
    files: [FileSpec; 1],
    block: u32,
    sync_every: u64,
}

impl LogWrite {
    pub fn new(file_size: u64, block: u32, sync_every: u64) -> Self {
        LogWrite {
            files: [FileSpec {
                role: FileRole::Log,
                size: file_size,
            }],
            block,
            sync_every,
        }
    }
}

impl Workload for LogWrite {
    fn name(&self) -> &'static str {
        "file-write"
    }
    fn files(&self) -> &[FileSpec] {
        &self.files
    }
    fn max_transfer(&self) -> usize {
        self.block as usize
    }
    fn request(&self, i: u64) -> Request {
        let mut r = Request::one(Step::Append {
            file: DATA,
            len: self.block,
        });
        if (i + 1) % self.sync_every == 0 {
            r.push(Step::Fdatasync { file: DATA });
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn randread_offsets_are_aligned_and_inside_the_file() {
        let w = RandRead::new(1 << 20, 4096, 1);
        for i in 0..10_000 {
            match w.request(i).steps() {
                [Step::Read { offset, len, .. }] => {
                    assert_eq!(offset % 4096, 0);
                    assert!(offset + *len as u64 <= 1 << 20);
                }
                other => panic!("unexpected steps {other:?}"),
            }
        }
    }

    #[test]
    fn seqread_sweeps_and_wraps() {
        let w = SeqRead::new(4 * 131072, 131072);
        let offs: Vec<u64> = (0..6)
            .map(|i| match w.request(i).steps()[0] {
                Step::Read { offset, .. } => offset,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(offs, [0, 131072, 262144, 393216, 0, 131072]);
    }

    #[test]
    fn write_syncs_every_nth_request() {
        let w = LogWrite::new(1 << 20, 4096, 3);
        let syncs: Vec<bool> = (0..6).map(|i| w.request(i).len() == 2).collect();
        assert_eq!(syncs, [false, false, true, false, false, true]);
        let every = LogWrite::new(1 << 20, 4096, 1);
        assert!((0..10).all(|i| every.request(i).len() == 2));
    }
}
