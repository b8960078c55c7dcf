//! What iobound does, independent of how it is run: a workload turns request
//! number `i` into a short script of [`Step`]s that every engine interprets.
//!
//! Nothing here knows about time, threads or io_uring. Engines live in the
//! `iobound` crate; they only see [`Request`]s, [`FileSpec`]s and the data
//! format helpers in [`dataset`].

// Layers, lowest first. A module uses only modules of lower layers (and the
// ones listed before it in its own); this file itself holds only what any
// layer may name (`Workload`, `WorkloadError`) and the re-exports.
//
//   1. keys, units, step       key draws and hashing; human units; the step
//                              vocabulary (`Step`, `Request`, `Kernel`,
//                              `Input`, `Msg`): depend on nothing here
//   2. proto, resp             the servers' wire formats: iobound's, Redis's
//   3. dataset                 generated file content, data-file preparation
//   4. compute                 the kernels and their shared input (dataset)
//   5. file, cpu, net          the workloads, as scripts of steps
//   6. catalog, script         names, classes, parameters, `build`; requests
//                              a user describes in a TOML file (catalog
//                              builds them; script names catalog's types)
//   7. reads                   which parameters each workload reads

pub mod catalog;
pub mod compute;
pub mod cpu;
pub mod dataset;
pub mod file;
pub mod keys;
pub mod net;
pub mod proto;
pub mod reads;
pub mod resp;
pub mod script;
pub mod step;
pub mod units;

pub use catalog::{build, catalog, Class, KeyDist, Model, WorkloadInfo, WorkloadParams};
pub use proto::Service;
pub use reads::params_read;
pub use script::{Script, ScriptError};
pub use step::{FileId, FileRole, FileSpec, Input, Kernel, Msg, Request, Step, MAX_STEPS};

/// A description of what one request does, shared by every engine.
///
/// Implementations must be cheap and allocation-free in [`Workload::request`]:
/// engines call it on their hot path.
pub trait Workload: Send + Sync {
    /// The workload's name as typed on the command line.
    fn name(&self) -> &'static str;
    /// Files this workload touches, indexed by [`FileId`].
    fn files(&self) -> &[FileSpec];
    /// The largest transfer any single step makes, so engines can size buffers once.
    fn max_transfer(&self) -> usize;
    /// The steps of request number `i`. Deterministic: the same `i` gives the same steps.
    fn request(&self, i: u64) -> Request;
    /// Bytes of shared compute input ([`compute::shared_input`]) the
    /// requests' [`Input::Shared`] steps index into; 0 when none.
    fn compute_input(&self) -> usize {
        0
    }
    /// Whether requests run compute steps, whose digests make up a checksum.
    fn computes(&self) -> bool {
        false
    }
    /// The server its [`Step::Exchange`] steps talk to, if any.
    fn service(&self) -> Option<Service> {
        None
    }
    /// The fewest database queries (GET or PUT) any request makes, one
    /// after the other: each waits the server's service time
    /// (`--db-latency`), so no request takes less than that many times it.
    /// 0 for workloads that query no database.
    fn min_db_queries(&self) -> u32 {
        0
    }
    /// Whether some query waits the server's `db_latency`: false when it
    /// queries no database, or when every query brings its own wait (a
    /// workload file's `wait` on each db step).
    fn reads_db_latency(&self) -> bool {
        self.service() == Some(Service::Db)
    }
}

/// Requests [`least_server_wait`] looks at: enough for a mix's rare kind
/// and a distribution's low draws to show, cheap enough for a check.
pub const WAIT_SAMPLE: u64 = 1024;

/// The least time any of the first [`WAIT_SAMPLE`] requests waits at the
/// database server, one query after the other, and its query count: a
/// call with its own wait (a workload file's `wait`) waits that, any other
/// GET or PUT the server's `db_latency`. A cell shorter than this cannot
/// complete one request.
pub fn least_server_wait(
    w: &dyn Workload,
    db_latency: std::time::Duration,
) -> (std::time::Duration, u32) {
    use std::time::Duration;
    (0..WAIT_SAMPLE)
        .map(|i| {
            let mut wait = Duration::ZERO;
            let mut calls = 0;
            for s in w.request(i).steps() {
                if let Step::Exchange {
                    msg: Msg::Get { wait_us, .. } | Msg::Put { wait_us, .. },
                } = s
                {
                    calls += 1;
                    wait += wait_us.map_or(db_latency, |us| Duration::from_micros(us.into()));
                }
            }
            (wait, calls)
        })
        .min()
        .unwrap_or_default()
}

/// Errors from building a workload or preparing its data.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("unknown workload '{0}' (see `iobound list`)")]
    Unknown(String),
    #[error("invalid parameter: {0}")]
    Invalid(String),
    #[error("data file {path}: {source}")]
    DataFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}
