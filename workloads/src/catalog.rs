//! The list of workloads: names, one-line descriptions, and construction from
//! checked parameters.

use crate::cpu::{CpuHash, CpuImage, MixedFile};
use crate::file::{LogWrite, RandRead, SeqRead};
use crate::net::{DbWeb, DbYcsb, Keys, Mix, MixedDb, NetEcho};
use crate::{Workload, WorkloadError};

/// Where a workload spends its time, which decides the model the lesson predicts wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    IoBound,
    CpuBound,
    Mixed,
}

impl Class {
    pub fn label(self) -> &'static str {
        match self {
            Class::IoBound => "I/O-bound",
            Class::CpuBound => "CPU-bound",
            Class::Mixed => "mixed",
        }
    }
}

/// What `iobound list` shows about a workload.
#[derive(Debug, Clone, Copy)]
pub struct WorkloadInfo {
    pub name: &'static str,
    pub class: Class,
    pub summary: &'static str,
    /// The engine the lesson expects to win: async I/O for I/O-bound work, a
    /// pool of cores for CPU-bound work.
    pub prediction: &'static str,
}

/// Every workload, in the order `iobound list` shows them.
pub fn catalog() -> &'static [WorkloadInfo] {
    &[
        WorkloadInfo {
            name: "file-randread",
            class: Class::IoBound,
            summary: "uniform random aligned reads of --block-size (4 KiB) from a data file",
            prediction: "uring",
        },
        WorkloadInfo {
            name: "file-seqread",
            class: Class::IoBound,
            summary: "sequential reads of --block-size (128 KiB), wrapping at the end of the file",
            prediction: "uring",
        },
        WorkloadInfo {
            name: "file-write",
            class: Class::IoBound,
            summary: "4 KiB appends to a log file, fdatasync after every --sync-every (1)",
            prediction: "uring",
        },
        WorkloadInfo {
            name: "cpu-hash",
            class: Class::CpuBound,
            summary: "SHA-256 of --work (256 KiB) of in-memory data per request; no I/O",
            prediction: "rayon",
        },
        WorkloadInfo {
            name: "cpu-image",
            class: Class::CpuBound,
            summary: "3x3 box blur of a 512x512 grayscale tile per request; no I/O",
            prediction: "rayon",
        },
        WorkloadInfo {
            name: "net-echo",
            class: Class::IoBound,
            summary: "one --msg-size (64 B) message to the echo server and back",
            prediction: "uring",
        },
        WorkloadInfo {
            name: "db-ycsb-a",
            class: Class::IoBound,
            summary: "YCSB A on the db server: 50% reads, 50% durable updates, zipfian keys",
            prediction: "uring",
        },
        WorkloadInfo {
            name: "db-ycsb-b",
            class: Class::IoBound,
            summary: "YCSB B on the db server: 95% reads, 5% durable updates, zipfian keys",
            prediction: "uring",
        },
        WorkloadInfo {
            name: "db-ycsb-c",
            class: Class::IoBound,
            summary: "YCSB C on the db server: reads only, zipfian keys",
            prediction: "uring",
        },
        WorkloadInfo {
            name: "db-ycsb-f",
            class: Class::IoBound,
            summary: "YCSB F on the db server: read-modify-write of one key",
            prediction: "uring",
        },
        WorkloadInfo {
            name: "db-web",
            class: Class::IoBound,
            summary: "the lesson's web request: 3 sequential db queries, then a small render",
            prediction: "uring",
        },
        WorkloadInfo {
            name: "mixed-db",
            class: Class::Mixed,
            summary: "one db query, then SHA-256 of --work (256 KiB)",
            prediction: "hybrid",
        },
        WorkloadInfo {
            name: "mixed-file",
            class: Class::Mixed,
            summary: "random read of --block-size (64 KiB) from a data file, then SHA-256 of it",
            prediction: "hybrid",
        },
    ]
}

/// Parameters shared by the workloads; each takes what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadParams {
    /// Transfer size; `None` takes the workload's own default.
    pub block_size: Option<u64>,
    pub file_size: u64,
    pub sync_every: u64,
    pub seed: u64,
    /// Bytes each request of cpu-hash hashes.
    pub work: u64,
    /// net-echo: payload bytes.
    pub msg_size: u64,
    /// db workloads: records in the table.
    pub records: u64,
    /// db workloads: uniform keys instead of YCSB's zipfian.
    pub uniform_keys: bool,
    /// db-ycsb-*: queries per request.
    pub ops_per_request: u64,
}

impl Default for WorkloadParams {
    fn default() -> Self {
        WorkloadParams {
            block_size: None,
            file_size: 1 << 30,
            sync_every: 1,
            seed: 1,
            work: 256 << 10,
            msg_size: 64,
            records: 100_000,
            uniform_keys: false,
            ops_per_request: 1,
        }
    }
}

/// Largest `--work`: one request's input must stay a reasonable allocation.
pub const MAX_WORK: u64 = 1 << 30;

/// Largest echo payload: a frame must fit the protocol's limit.
pub const MAX_MSG: u64 = (crate::proto::MAX_FRAME - 1) as u64;

fn build_db(name: &str, p: &WorkloadParams) -> Result<Box<dyn Workload>, WorkloadError> {
    if p.records == 0 {
        return Err(WorkloadError::Invalid(
            "--records must be at least 1".into(),
        ));
    }
    let keys = Keys::new(p.uniform_keys, p.records, p.seed);
    let ycsb = |n: &'static str, mix: Mix| -> Result<Box<dyn Workload>, WorkloadError> {
        let max = DbYcsb::max_ops(mix) as u64;
        if !(1..=max).contains(&p.ops_per_request) {
            return Err(WorkloadError::Invalid(format!(
                "--ops-per-request {} must be from 1 to {max} for {n}",
                p.ops_per_request
            )));
        }
        Ok(Box::new(DbYcsb::new(
            n,
            mix,
            keys.clone(),
            p.ops_per_request as u32,
            p.seed,
        )))
    };
    match name {
        "db-ycsb-a" => ycsb("db-ycsb-a", Mix::A),
        "db-ycsb-b" => ycsb("db-ycsb-b", Mix::B),
        "db-ycsb-c" => ycsb("db-ycsb-c", Mix::C),
        "db-ycsb-f" => ycsb("db-ycsb-f", Mix::F),
        "db-web" => Ok(Box::new(DbWeb::new(keys))),
        _ => match p.work {
            1..=MAX_WORK => Ok(Box::new(MixedDb::new(keys, p.work as u32, p.seed))),
            _ => Err(WorkloadError::Invalid(format!(
                "--work {} must be from 1 byte to 1 GiB",
                p.work
            ))),
        },
    }
}

/// Builds the named workload, checking its parameters first.
pub fn build(name: &str, p: &WorkloadParams) -> Result<Box<dyn Workload>, WorkloadError> {
    let default_block = match name {
        "file-randread" | "file-write" => 4096,
        "file-seqread" => 128 * 1024,
        "mixed-file" => 64 * 1024,
        "cpu-hash" => {
            return match p.work {
                1..=MAX_WORK => Ok(Box::new(CpuHash::new(p.work as u32, p.seed))),
                _ => Err(WorkloadError::Invalid(format!(
                    "--work {} must be from 1 byte to 1 GiB",
                    p.work
                ))),
            }
        }
        "cpu-image" => return Ok(Box::new(CpuImage::new(p.seed))),
        "net-echo" => {
            return match p.msg_size {
                1..=MAX_MSG => Ok(Box::new(NetEcho::new(p.msg_size as u32))),
                _ => Err(WorkloadError::Invalid(format!(
                    "--msg-size {} must be from 1 byte to 1 MiB - 5",
                    p.msg_size
                ))),
            }
        }
        "db-ycsb-a" | "db-ycsb-b" | "db-ycsb-c" | "db-ycsb-f" | "db-web" | "mixed-db" => {
            return build_db(name, p)
        }
        _ => return Err(WorkloadError::Unknown(name.to_string())),
    };
    let block = p.block_size.unwrap_or(default_block);
    if block == 0 || block % 512 != 0 || block > 64 << 20 {
        return Err(WorkloadError::Invalid(format!(
            "block size {block} must be a non-zero multiple of 512 bytes, at most 64 MiB"
        )));
    }
    if p.file_size < block || p.file_size % 4096 != 0 {
        return Err(WorkloadError::Invalid(format!(
            "file size {} must be a multiple of 4096 bytes and at least the block size ({block})",
            p.file_size
        )));
    }
    if p.sync_every == 0 {
        return Err(WorkloadError::Invalid(
            "--sync-every must be at least 1".into(),
        ));
    }
    let block32 = block as u32;
    Ok(match name {
        "file-randread" => Box::new(RandRead::new(p.file_size, block32, p.seed)),
        "file-seqread" => Box::new(SeqRead::new(p.file_size, block32)),
        "mixed-file" => Box::new(MixedFile::new(p.file_size, block32, p.seed)),
        "file-write" => {
            if p.file_size % block != 0 {
                return Err(WorkloadError::Invalid(format!(
                    "file-write needs a file size that is a multiple of the block size ({block})"
                )));
            }
            Box::new(LogWrite::new(p.file_size, block32, p.sync_every))
        }
        _ => unreachable!("name checked above"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogued_workload_builds_with_defaults() {
        for info in catalog() {
            let w = build(info.name, &WorkloadParams::default()).unwrap();
            assert_eq!(w.name(), info.name);
            assert!(!w.request(0).is_empty());
        }
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(matches!(
            build("nope", &WorkloadParams::default()),
            Err(WorkloadError::Unknown(_))
        ));
        let p = WorkloadParams {
            block_size: Some(1000),
            ..Default::default()
        };
        assert!(matches!(
            build("file-randread", &p),
            Err(WorkloadError::Invalid(_))
        ));
        let p = WorkloadParams {
            sync_every: 0,
            ..Default::default()
        };
        assert!(build("file-write", &p).is_err());
    }
}
