//! The `procs` engine: a pool of worker processes, every request crossing a
//! process boundary — Rust's version of Python's `multiprocessing.Pool`.
//!
//! Workers are `iobound` itself, started anew (`current_exe()` with
//! [`CHILD_ENV`](super::CHILD_ENV)`=procs`, never a `fork()` of this
//! multi-threaded process without exec), one Unix socketpair each as their
//! standard input. A worker is told once what a cell needs (a small JSON
//! [`Setup`](wire::Setup): file paths and specs, O_DIRECT, compute input
//! size, buffer size, verify flag, the server's address), opens the files
//! itself, builds the shared compute input and opens its own connection to
//! the server. Then it loops: one compact binary request in, [`run_request_blocking`](crate::exec::FileSet::run_request_blocking),
//! one fixed-size reply out (`Done{bytes,digest}` and its own service time,
//! or an error's text).
//!
//! Requests travel as their steps, not their index (which would need the
//! workload rebuilt from `CellCtx::params` in the worker): appends must take
//! their positions from one tail shared by every worker, or two workers would
//! write the same blocks — so the parent reserves them ([`FileSet::resolve`](crate::exec::FileSet::resolve))
//! and sends plain writes. A request is at most 121 bytes either way, and
//! Python's pool pickles each task's arguments the same way.
//!
//! A socketpair rather than two pipes: one channel both ways, EOF on either
//! side when the other dies, and `SO_RCVTIMEO`, so a worker that stops
//! answering fails the cell after [`STALL`] without a `poll` per request.
//!
//! The parent runs one thread per worker (the calling thread is the first):
//! each takes the oldest pending slot from a shared FIFO, sends its next
//! request, blocks for the reply, records it and queues the slot again. So
//! each worker has one request at a time, and a request's latency runs from
//! when its slot issued it, queueing included, as in `rayon`.
//!
//! This module holds the engine, its options and what can go wrong with a
//! worker; [`pool`] is the parent's side (spawning, dispatch, accounting),
//! [`wire`] the format between parent and worker, [`worker`] the worker
//! process.

mod pool;
mod wire;
mod worker;

use std::io;
use std::time::Duration;

use iobound_workloads::Model;

use super::{CellCtx, Engine, EngineError, OptionSet, Settings};
use crate::load::Plan;
use crate::record::Recorder;

pub struct Procs;

const NAME: &str = "procs";

// Options of the process pool.
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Engine procs")]
pub struct ProcsOptions {
    /// Worker processes of the procs engine [default: one per core]
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    pub procs_workers: Option<usize>,
}

impl ProcsOptions {
    /// The pool's size: as given, or one process per core.
    pub fn workers(&self) -> usize {
        super::or_per_core(self.procs_workers)
    }
}

impl OptionSet for ProcsOptions {
    const ID: &'static str = "procs";
}

const PROCS_OPTIONS: super::Options = super::Options::of::<ProcsOptions>();

/// How long a worker may leave a request (or the handshake) unanswered
/// before the cell fails: the longest latency a histogram records.
const STALL: Duration = Duration::from_nanos(crate::record::HIGHEST_NS);

impl Engine for Procs {
    fn name(&self) -> &'static str {
        NAME
    }

    fn summary(&self) -> &'static str {
        "each request sent over a socket to a pool of worker processes (one per core), blocking syscalls there"
    }

    fn model(&self) -> Model {
        Model::ProcessPool
    }

    fn options(&self) -> &'static [&'static super::Options] {
        &[&PROCS_OPTIONS]
    }

    fn threads_needed(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<ProcsOptions>().workers()
    }

    fn processes(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<ProcsOptions>().workers()
    }

    fn connections(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<ProcsOptions>().workers()
    }

    fn workers(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<ProcsOptions>().workers()
    }

    fn pool_size(&self, _plan: &Plan, s: &Settings) -> Option<usize> {
        Some(s.get::<ProcsOptions>().workers())
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        pool::run(ctx)
    }

    fn child_main(&self) -> std::process::ExitCode {
        std::process::ExitCode::from(worker::main())
    }
}

/// Why a parent thread stopped early.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("died mid-cell")]
    Died,
    #[error("answered nothing for {} s", STALL.as_secs())]
    Stalled,
    /// The request failed in the worker; the text is its step error.
    #[error("failed a request: {0}")]
    Request(String),
    #[error("broke the protocol: {0}")]
    Protocol(String),
    #[error("{0}")]
    Io(io::Error),
    #[error("its parent thread panicked: {0}")]
    Panic(String),
    #[error("cannot start its parent thread: {0}")]
    Thread(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset => Failure::Died,
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Failure::Stalled,
            _ => Failure::Io(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::worker;
    use super::*;
    use crate::engine::CHILD_ENV;
    use crate::exec::FileSet;
    use crate::load::Bound;
    use crate::record::{merge, Progress};
    use iobound_workloads::{build, dataset, FileRole, FileSpec, Workload, WorkloadParams};

    /// Not a test of its own: when the engine starts workers from the unit
    /// test binary, libtest runs only this, and it serves as the worker.
    /// Run normally, it checks that the engine names it right.
    #[test]
    fn worker_entry() {
        if std::env::var_os(CHILD_ENV).is_some() {
            std::process::exit(i32::from(worker::main()));
        }
        let here = module_path!().strip_prefix("iobound::").unwrap();
        assert_eq!(format!("{here}::worker_entry"), pool::WORKER_TEST);
    }

    pub(super) fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("iobound-procs-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
    fn cpu_hash(work: u64) -> (Box<dyn Workload>, FileSet) {
        let params = WorkloadParams {
            work,
            ..Default::default()
        };
        let w = build("cpu-hash", &params).unwrap();
        let files = FileSet::open(&[], false)
            .unwrap()
            .with_compute_input(w.compute_input());
        (w, files)
    }

    #[test]
    fn workers_cpu_and_memory_count_and_the_boundary_is_noted() {
        let (w, files) = cpu_hash(256 << 10);
        let plan = Plan {
            concurrency: 4,
            warmup: Duration::ZERO,
            bound: Bound::Requests(600),
            rate: None,
        };
        let settings = Settings::default().with(&ProcsOptions {
            procs_workers: Some(2),
        });
        let progress = Progress::new(Procs.workers(&plan, &settings));
        let ctx = CellCtx::new(w.as_ref(), &files, plan, &settings, &progress);
        let totals = merge(Procs.run(&ctx).unwrap());
        assert_eq!(totals.requests, 600);
        let c = ctx.children().expect("the engine reports its workers");
        assert_eq!(c.processes, 2);
        // 600 SHA-256 of 256 KiB take far more than the 10 ms /proc counts
        // in, and all of it happens in the workers.
        let cpu = c.usage.user + c.usage.sys;
        assert!(cpu >= Duration::from_millis(20), "{c:?}");
        // Each worker holds at least its 1.25 MiB of compute input.
        assert!(c.peak_rss_bytes >= 2 * (5 << 18), "{c:?}");
        let notes = ctx.notes();
        assert!(
            notes.iter().any(|n| n.starts_with("process boundary: ")),
            "{notes:?}"
        );
    }

    #[test]
    fn a_worker_that_cannot_set_up_fails_the_cell_with_its_reason() {
        let dir = temp_dir("setup");
        let spec = FileSpec {
            role: FileRole::Data,
            size: 64 << 10,
        };
        let (p, _) = dataset::prepare(&dir, &spec).unwrap();
        let params = WorkloadParams {
            file_size: 64 << 10,
            ..Default::default()
        };
        let w = build("file-randread", &params).unwrap();
        let files = FileSet::open(&[(p.clone(), spec)], false).unwrap();
        // The parent opened the file; the worker finds it gone.
        std::fs::remove_dir_all(&dir).unwrap();
        let plan = Plan {
            concurrency: 1,
            warmup: Duration::ZERO,
            bound: Bound::Requests(10),
            rate: None,
        };
        let settings = Settings::default().with(&ProcsOptions {
            procs_workers: Some(1),
        });
        let progress = Progress::new(1);
        let ctx = CellCtx::new(w.as_ref(), &files, plan, &settings, &progress);
        let e = Procs.run(&ctx).err().expect("the cell fails").to_string();
        assert!(e.contains("could not set up"), "{e}");
        assert!(e.contains(&p.display().to_string()), "{e}");
        assert!(ctx.start().is_none(), "the clock never started");
    }
}
