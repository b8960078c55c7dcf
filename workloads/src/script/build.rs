//! A checked script as a [`Workload`]: its files, its keys and, for each
//! request, its steps.

use super::{Script, ScriptStep};
use crate::compute::{kernel_shared, SPREAD};
use crate::keys::uniform;
use crate::net::Keys;
use crate::proto::Service;
use crate::step::{FileId, FileRole, FileSpec, Msg, Request, Step};
use crate::{Workload, WorkloadParams};

impl Script {
    /// The workload, with the run's parameters (data file size, keys,
    /// records, seed).
    pub fn build(&self, p: &WorkloadParams) -> Result<Box<dyn Workload>, crate::WorkloadError> {
        let reads = self
            .steps
            .iter()
            .any(|s| matches!(s, ScriptStep::Read { .. }));
        let appends = self
            .steps
            .iter()
            .any(|s| matches!(s, ScriptStep::Append { .. }));
        let largest_io = self
            .steps
            .iter()
            .map(|s| match s {
                ScriptStep::Read { size, .. } | ScriptStep::Append { size, .. } => *size as u64,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        if (reads || appends) && (p.file_size < largest_io || p.file_size % largest_io != 0) {
            return Err(crate::WorkloadError::Invalid(format!(
                "file size {} must be a multiple of the largest read or append ({largest_io})",
                p.file_size
            )));
        }
        let mut files = Vec::new();
        let data = reads.then(|| {
            files.push(FileSpec {
                role: FileRole::Data,
                size: p.file_size,
            });
            FileId(files.len() as u8 - 1)
        });
        let log = appends.then(|| {
            files.push(FileSpec {
                role: FileRole::Log,
                size: p.file_size,
            });
            FileId(files.len() as u8 - 1)
        });
        let compute = self
            .steps
            .iter()
            .map(|s| match s {
                ScriptStep::Compute { size, .. } => *size as u64 + SPREAD,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        let max_transfer = self
            .steps
            .iter()
            .map(|s| match s {
                ScriptStep::Read { size, .. } | ScriptStep::Append { size, .. } => *size as usize,
                ScriptStep::Echo { size } => crate::proto::HEADER + 1 + *size as usize,
                ScriptStep::Db { .. } => crate::proto::PUT_FRAME,
                ScriptStep::Compute { .. } => 0,
            })
            .max()
            .unwrap_or(0);
        let service = self.steps.iter().find_map(|s| match s {
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
            steps: self.steps.clone(),
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
    steps: Vec<ScriptStep>,
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
        let n = self.steps.len() as u64;
        for (j, s) in self.steps.iter().enumerate() {
            // Draw `i * n + j`: every step of every request its own draw.
            let draw = i * n + j as u64;
            match *s {
                ScriptStep::Db { put } => {
                    let key = self.keys.key(draw);
                    r.push(Step::Exchange {
                        msg: if put {
                            Msg::Put { key }
                        } else {
                            Msg::Get { key }
                        },
                    });
                }
                ScriptStep::Compute { kernel, size } => {
                    r.push(kernel_shared(kernel.kernel(), self.seed, draw, size));
                }
                ScriptStep::Read { sequential, size } => {
                    let file = self.data.expect("a read makes a data file");
                    let blocks = self.files[file.index()].size / size as u64;
                    let block = if sequential {
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
                    r.push(Step::Append { file, len: size });
                    if fdatasync {
                        r.push(Step::Fdatasync { file });
                    }
                }
                ScriptStep::Echo { size } => r.push(Step::Exchange {
                    msg: Msg::Echo { len: size },
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
}
