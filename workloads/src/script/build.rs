//! A checked script as a [`Workload`]: its files, its keys and, for each
//! request, its kind and its steps with their draws.

use super::{Dist, RequestKind, Script, ScriptStep};
use crate::compute::{kernel_shared, SPREAD};
use crate::keys::{uniform, unit};
use crate::net::Keys;
use crate::proto::Service;
use crate::step::{FileId, FileRole, FileSpec, Msg, Request, Step};
use crate::{Workload, WorkloadParams};

/// Salts that give the kind of a request and the values of its steps their
/// own streams, apart from its keys and offsets (which keep the draws they
/// had before mixes and distributions, so a file equal to a catalogued
/// workload still draws that workload's keys).
const KIND_SALT: u64 = 0x4B49_4E44_0000_0001;
const VALUE_SALT: u64 = 0x5641_4C55_0000_0002;

impl Script {
    /// The workload, with the run's parameters (data file size, keys,
    /// records, seed).
    pub fn build(&self, p: &WorkloadParams) -> Result<Box<dyn Workload>, crate::WorkloadError> {
        let steps = || self.all_steps();
        let reads = steps().any(|s| matches!(s, ScriptStep::Read { .. }));
        let appends = steps().any(|s| matches!(s, ScriptStep::Append { .. }));
        let largest_io = steps()
            .map(|s| match s {
                ScriptStep::Read { size, .. } | ScriptStep::Append { size, .. } => size.max(),
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        if (reads || appends) && p.file_size < largest_io {
            return Err(crate::WorkloadError::Invalid(format!(
                "--file-size {} is smaller than the largest read or append ({largest_io} bytes): \
                 raise --file-size",
                p.file_size
            )));
        }
        // The data and log files are the largest multiple of the largest
        // transfer that fits in --file-size (1 GiB is not a multiple of
        // 48 KiB, and an outsider's 48K reads were refused with no way to
        // set the size from `advise`): a read's block never passes the end.
        let size = if largest_io > 0 {
            p.file_size - p.file_size % largest_io
        } else {
            p.file_size
        };
        let mut files = Vec::new();
        let data = reads.then(|| {
            files.push(FileSpec {
                role: FileRole::Data,
                size,
            });
            FileId(files.len() as u8 - 1)
        });
        let log = appends.then(|| {
            files.push(FileSpec {
                role: FileRole::Log,
                size,
            });
            FileId(files.len() as u8 - 1)
        });
        let compute = steps()
            .map(|s| match s {
                // The shared input is generated 8 bytes at a time.
                ScriptStep::Compute { size, .. } => (size.max() + SPREAD).div_ceil(8) * 8,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        let max_transfer = steps()
            .map(|s| match s {
                ScriptStep::Read { size, .. } | ScriptStep::Append { size, .. } => {
                    size.max() as usize
                }
                ScriptStep::Echo { size } => crate::proto::HEADER + 1 + size.max() as usize,
                ScriptStep::Db { wait: None, .. } => crate::proto::PUT_FRAME,
                ScriptStep::Db { wait: Some(_), .. } => crate::proto::PUT_WAIT_FRAME,
                ScriptStep::Compute { .. } => 0,
            })
            .max()
            .unwrap_or(0);
        let service = steps().find_map(|s| match s {
            ScriptStep::Db { .. } => Some(Service::Db),
            ScriptStep::Echo { .. } => Some(Service::Echo),
            _ => None,
        });
        if service == Some(Service::Db) && p.records == 0 {
            return Err(crate::WorkloadError::Invalid(
                "--records must be at least 1".into(),
            ));
        }
        Ok(Box::new(Scripted {
            // Named once per build; the name outlives the run's cells.
            name: Box::leak(self.name.clone().into_boxed_str()),
            kinds: self.kinds.clone(),
            total_weight: self.kinds.iter().map(|k| k.weight as u64).sum(),
            stride: self.kinds.iter().map(|k| k.steps.len()).max().unwrap_or(1) as u64,
            files,
            data,
            log,
            keys: Keys::new(p.keys == crate::KeyDist::Uniform, p.records.max(1), p.seed),
            seed: p.seed,
            compute_input: compute as usize,
            max_transfer,
            service,
            db_calls: self.db_calls(),
        }))
    }
}

/// A script as a [`Workload`].
#[derive(Debug)]
struct Scripted {
    name: &'static str,
    kinds: Vec<RequestKind>,
    total_weight: u64,
    /// Draws each request owns: the longest kind's steps.
    stride: u64,
    files: Vec<FileSpec>,
    data: Option<FileId>,
    log: Option<FileId>,
    keys: Keys,
    seed: u64,
    compute_input: usize,
    max_transfer: usize,
    service: Option<Service>,
    db_calls: u32,
}

impl Scripted {
    /// Request `i`'s kind: a draw over the weights.
    fn kind(&self, i: u64) -> &RequestKind {
        if self.kinds.len() == 1 {
            return &self.kinds[0];
        }
        let mut x = uniform(self.seed ^ KIND_SALT, i, self.total_weight);
        for k in &self.kinds {
            if x < k.weight as u64 {
                return k;
            }
            x -= k.weight as u64;
        }
        unreachable!("a draw below the total weight falls in a kind")
    }

    /// The value of `d` for draw number `draw`.
    fn value(&self, d: &Dist, draw: u64) -> u64 {
        match d {
            Dist::Fixed(v) => *v,
            d => d.at(unit(self.seed ^ VALUE_SALT, draw)),
        }
    }

    /// A read's or an append's size: rounded down to 512 bytes, at least 512.
    fn sectors(&self, d: &Dist, draw: u64) -> u32 {
        (self.value(d, draw) / 512).max(1) as u32 * 512
    }
}

impl Workload for Scripted {
    fn name(&self) -> &'static str {
        self.name
    }
    fn files(&self) -> &[FileSpec] {
        &self.files
    }
    fn max_transfer(&self) -> usize {
        self.max_transfer
    }
    fn request(&self, i: u64) -> Request {
        let mut r = Request::new();
        for (j, s) in self.kind(i).steps.iter().enumerate() {
            // Draw `i * stride + j`: every step of every request its own draw.
            let draw = i * self.stride + j as u64;
            match s {
                ScriptStep::Db { put, wait } => {
                    let key = self.keys.key(draw);
                    let wait_us = wait.as_ref().map(|w| self.value(w, draw) as u32);
                    r.push(Step::Exchange {
                        msg: if *put {
                            Msg::Put { key, wait_us }
                        } else {
                            Msg::Get { key, wait_us }
                        },
                    });
                }
                ScriptStep::Compute { kernel, size } => {
                    let size = self.value(size, draw).max(1) as u32;
                    r.push(kernel_shared(kernel.kernel(), self.seed, draw, size));
                }
                ScriptStep::Read { sequential, size } => {
                    let file = self.data.expect("a read makes a data file");
                    let size = self.sectors(size, draw);
                    let blocks = self.files[file.index()].size / size as u64;
                    let block = if *sequential {
                        draw % blocks
                    } else {
                        uniform(self.seed, draw, blocks)
                    };
                    r.push(Step::Read {
                        file,
                        offset: block * size as u64,
                        len: size,
                    });
                }
                ScriptStep::Append { size, fdatasync } => {
                    let file = self.log.expect("an append makes a log file");
                    r.push(Step::Append {
                        file,
                        len: self.sectors(size, draw),
                    });
                    if *fdatasync {
                        r.push(Step::Fdatasync { file });
                    }
                }
                ScriptStep::Echo { size } => r.push(Step::Exchange {
                    msg: Msg::Echo {
                        len: self.value(size, draw).max(1) as u32,
                    },
                }),
            }
        }
        r
    }
    fn compute_input(&self) -> usize {
        self.compute_input
    }
    fn computes(&self) -> bool {
        self.compute_input > 0
    }
    fn service(&self) -> Option<Service> {
        self.service
    }
    fn min_db_queries(&self) -> u32 {
        self.db_calls
    }
    fn reads_db_latency(&self) -> bool {
        self.kinds
            .iter()
            .flat_map(|k| &k.steps)
            .any(|s| matches!(s, ScriptStep::Db { wait: None, .. }))
    }
}
