//! Engines: the interpreters that run a workload's steps. Each engine owns
//! only how requests wait; what a step is lives in [`crate::exec`] and the
//! closed-loop slots in [`crate::load`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use iobound_workloads::Workload;

use crate::exec::{FileSet, IoBufs, StepError};
use crate::load::{Clock, Plan, Slot};
use crate::record::{Progress, Recorder};
use crate::resources::{ThreadCount, Usage};

pub mod hybrid;
pub mod pool;
pub mod threads;
pub mod uring;

/// Errors that end a cell.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Step(#[from] StepError),
    #[error("io_uring: {what}: {source}")]
    Uring {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start worker thread: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("cannot build the rayon pool: {0}")]
    Pool(String),
    #[error("{in_flight} operations made no progress for {secs} s past the deadline (a server that stopped answering?)")]
    Stalled { in_flight: usize, secs: u64 },
}

/// Default `--submit-batch`. Measured on a 2-vCPU VM with virtio storage:
/// submitting only once every completion of a wake-up was reaped cost ~20% of
/// O_DIRECT IOPS at depth 32, while batches of 8 kept most of the syscall
/// savings on page-cache reads (see the closing notes of the foundation issue).
pub const DEFAULT_SUBMIT_BATCH: usize = 8;

/// Everything an engine needs to run one cell.
pub struct CellCtx<'a> {
    pub workload: &'a dyn Workload,
    pub files: &'a FileSet,
    pub plan: Plan,
    /// Threads of the rayon pool.
    pub pool_threads: usize,
    /// uring: submit after this many new entries instead of waiting for the
    /// whole completion batch to be reaped.
    pub submit_batch: usize,
    /// Check every read's content against the data set.
    pub verify: bool,
    /// Record latencies (false only to measure recording's own cost).
    pub record: bool,
    pub progress: &'a Progress,
    /// Set by the first failing worker; every slot stops at its next request.
    pub abort: AtomicBool,
    start: OnceLock<Start>,
}

/// What is known the moment a cell's clock starts. Taken on the engine's own
/// thread: a monitor thread competing with thousands of busy workers for two
/// cores can be scheduled seconds late, so it must not own these readings.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    pub clock: Clock,
    pub usage: Usage,
    /// Threads alive once the engine's set-up is done.
    pub threads: ThreadCount,
}

impl<'a> CellCtx<'a> {
    pub fn new(
        workload: &'a dyn Workload,
        files: &'a FileSet,
        plan: Plan,
        pool_threads: usize,
        progress: &'a Progress,
    ) -> Self {
        CellCtx {
            workload,
            files,
            plan,
            pool_threads,
            submit_batch: DEFAULT_SUBMIT_BATCH,
            verify: false,
            record: true,
            progress,
            abort: AtomicBool::new(false),
            start: OnceLock::new(),
        }
    }

    /// Starts the cell's clock. Engines call this once their set-up (threads,
    /// rings, pools) is done, so set-up never counts as warm-up or load.
    pub fn begin(&self) -> Clock {
        self.start
            .get_or_init(|| {
                let threads = ThreadCount::now();
                let usage = Usage::now();
                Start {
                    clock: Clock::new(&self.plan, Instant::now()),
                    usage,
                    threads,
                }
            })
            .clock
    }

    /// The readings taken when the clock started, once it has.
    pub fn start(&self) -> Option<Start> {
        self.start.get().copied()
    }

    /// The clock, once the engine has started it.
    pub fn clock(&self) -> Option<Clock> {
        self.start().map(|s| s.clock)
    }

    pub fn fail(&self) {
        self.abort.store(true, Ordering::Relaxed);
    }

    pub fn new_bufs(&self) -> IoBufs {
        IoBufs::new(self.workload.max_transfer())
    }

    /// A recorder for this plan (with the uncorrected histogram in an open loop).
    pub fn new_recorder(&self) -> Recorder {
        let r = Recorder::new(self.record);
        if self.plan.rate.is_some() {
            r.open_loop()
        } else {
            r
        }
    }
}

/// A way of running requests.
pub trait Engine: Sync {
    fn name(&self) -> &'static str;
    /// One line for `iobound list`.
    fn summary(&self) -> &'static str;
    /// Whether the engine needs io_uring (skipped, with the reason, when absent).
    fn needs_io_uring(&self) -> bool {
        false
    }
    /// OS threads the engine starts for a plan (io_uring's kernel workers aside).
    fn threads_needed(&self, _plan: &Plan, _pool_threads: usize) -> usize {
        1
    }
    /// Connections the engine opens on a network workload.
    fn connections(&self, plan: &Plan, _pool_threads: usize) -> usize {
        plan.concurrency
    }
    /// How many recorders (and progress counters) a cell of this plan uses.
    fn workers(&self, plan: &Plan, pool_threads: usize) -> usize;
    /// Runs the cell; returns one recorder per worker.
    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError>;
}

/// Every engine, in the order `iobound list` shows them.
pub fn all() -> [&'static dyn Engine; 4] {
    [
        &threads::Threads,
        &uring::Uring,
        &pool::Rayon,
        &hybrid::Hybrid,
    ]
}

/// The engine of that name.
pub fn by_name(name: &str) -> Option<&'static dyn Engine> {
    all().into_iter().find(|e| e.name() == name)
}

/// One request of a slot on a worker that blocks in the syscall, from
/// `start` (when the slot issued it) to completion. Returns when the request
/// is done, with the instant it finished — the next request's start — or
/// `None` when the slot has no more requests.
#[inline]
pub(crate) fn blocking_request(
    ctx: &CellCtx<'_>,
    clock: &Clock,
    slot: &mut Slot,
    bufs: &mut IoBufs,
    rec: &mut Recorder,
    worker: usize,
    start: Instant,
) -> Result<Option<Instant>, EngineError> {
    let Some(ticket) = slot.next(clock, start, &ctx.abort) else {
        return Ok(None);
    };
    // Open loop: wait for the request's place on the schedule; a late slot
    // starts at once, and its latency still counts from the intended start.
    let mut sent = start;
    if ctx.plan.rate.is_some() {
        let now = Instant::now();
        if ticket.intended > now {
            std::thread::sleep(ticket.intended - now);
        }
        sent = Instant::now();
    }
    let req = ctx.workload.request(ticket.index);
    let done = ctx
        .files
        .run_request_blocking(&req, bufs, ctx.verify)
        .inspect_err(|_| ctx.fail())?;
    let end = Instant::now();
    let uncorrected = ctx.plan.rate.map(|_| end - sent);
    rec.complete(
        ctx.progress,
        worker,
        ticket.measured,
        end.saturating_duration_since(ticket.intended),
        uncorrected,
        done,
    );
    Ok(Some(end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::IoBufs;
    use crate::load::Bound;
    use crate::record::merge;
    use iobound_workloads::{dataset, FileId, FileRole, FileSpec, Request, Step};
    use std::time::Duration;

    /// Request `i` writes block `i` at its own offset, then syncs: after a run
    /// of N requests exactly blocks 0..N must carry their stamps, which proves
    /// every request number ran once and only once, whatever the engine.
    struct Stripes([FileSpec; 1]);

    impl Workload for Stripes {
        fn name(&self) -> &'static str {
            "test-stripes"
        }
        fn files(&self) -> &[FileSpec] {
            &self.0
        }
        fn max_transfer(&self) -> usize {
            4096
        }
        fn request(&self, i: u64) -> Request {
            let mut r = Request::one(Step::Write {
                file: FileId(0),
                offset: i * 4096,
                len: 4096,
            });
            r.push(Step::Fdatasync { file: FileId(0) });
            r
        }
    }

    #[test]
    fn every_engine_runs_each_request_number_exactly_once() {
        const N: u64 = 250;
        for engine in all() {
            if engine.needs_io_uring() && !crate::ring::UringSupport::detect().available {
                eprintln!("skipping {}: io_uring unavailable", engine.name());
                continue;
            }
            let dir = std::env::temp_dir().join(format!(
                "iobound-engine-{}-{}",
                engine.name(),
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let spec = FileSpec {
                role: FileRole::Log,
                size: 2 << 20,
            };
            let (path, _) = dataset::prepare(&dir, &spec).unwrap();
            let w = Stripes([spec.clone()]);
            let files = FileSet::open(&[(path.clone(), spec)], false).unwrap();
            let plan = Plan {
                concurrency: 3,
                warmup: Duration::ZERO,
                bound: Bound::Requests(N),
                rate: None,
            };
            let progress = Progress::new(engine.workers(&plan, 2));
            let ctx = CellCtx::new(&w, &files, plan, 2, &progress);
            let totals = merge(engine.run(&ctx).unwrap());
            assert_eq!(totals.requests, N, "{}", engine.name());
            assert_eq!(totals.hist.len(), N);
            assert_eq!(totals.bytes, N * 4096);
            let bytes = std::fs::read(&path).unwrap();
            let stamped: Vec<bool> = bytes
                .chunks_exact(4096)
                .enumerate()
                .map(|(b, block)| dataset::is_written_block(block, b as u64 * 4096))
                .collect();
            assert!(
                stamped[..N as usize].iter().all(|&s| s),
                "{}",
                engine.name()
            );
            assert!(
                !stamped[N as usize..].iter().any(|&s| s),
                "{}",
                engine.name()
            );
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// The checksum a serial loop over requests 0..n computes, step by step.
    fn expected_checksum(w: &dyn Workload, files: &FileSet, n: u64) -> u64 {
        let mut bufs = IoBufs::new(w.max_transfer());
        (0..n).fold(0, |acc, i| {
            let done = files
                .run_request_blocking(&w.request(i), &mut bufs, true)
                .unwrap();
            crate::exec::fold(acc, done.digest)
        })
    }

    #[test]
    fn every_engine_computes_the_same_checksum() {
        use iobound_workloads::{build, WorkloadParams};
        const N: u64 = 300;
        let dir = std::env::temp_dir().join(format!("iobound-checksum-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let params = WorkloadParams {
            file_size: 4 << 20,
            work: 16 << 10,
            ..Default::default()
        };
        for name in ["cpu-hash", "cpu-image", "mixed-file"] {
            let w = build(name, &params).unwrap();
            let ready: Vec<_> = w
                .files()
                .iter()
                .map(|spec| (dataset::prepare(&dir, spec).unwrap().0, spec.clone()))
                .collect();
            let files = FileSet::open(&ready, false)
                .unwrap()
                .with_compute_input(w.compute_input());
            let expected = expected_checksum(w.as_ref(), &files, N);
            assert_ne!(expected, 0);
            for engine in all() {
                if engine.needs_io_uring() && !crate::ring::UringSupport::detect().available {
                    eprintln!("skipping {}: io_uring unavailable", engine.name());
                    continue;
                }
                let plan = Plan {
                    concurrency: 7,
                    warmup: Duration::ZERO,
                    bound: Bound::Requests(N),
                    rate: None,
                };
                let progress = Progress::new(engine.workers(&plan, 2));
                let mut ctx = CellCtx::new(w.as_ref(), &files, plan, 2, &progress);
                ctx.verify = true;
                // A fresh thread per cell, as `run` does: rayon's
                // use_current_thread binds the calling thread to one pool.
                let recorders = std::thread::scope(|s| s.spawn(|| engine.run(&ctx)).join());
                let totals = merge(recorders.unwrap().unwrap());
                assert_eq!(totals.requests, N, "{name} {}", engine.name());
                assert_eq!(totals.checksum, expected, "{name} {}", engine.name());
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
