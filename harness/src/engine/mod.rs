//! Engines: the interpreters that run a workload's steps, and their
//! registry. Each engine owns only how requests wait; what a step is lives in
//! [`crate::exec`] and the closed-loop slots in [`crate::load`].
//!
//! An engine is one module plus one line in [`all`]: it declares its name,
//! its concurrency [`Model`], its [`Caps`] and its own typed options (an
//! [`OptionSet`]), and everything else — `--mode` lists, `--help`, `iobound
//! list`, run.json, reports, CI — reads them from here.
//!
//! This module holds the registry, the [`Engine`] trait and what it
//! declares; `options` the engines' own flags and their parsed
//! [`Settings`]; `cell` the [`CellCtx`] a cell runs with; `shared` what
//! several engines do alike (workers joined, a blocking request).

use iobound_workloads::{Model, Workload};

use crate::exec::StepError;
use crate::load::Plan;
use crate::record::Recorder;

pub mod glommio;
pub mod hybrid;
pub mod pool;
pub mod procs;
pub mod python;
pub mod threads;
pub mod tokio;
pub mod uring;

mod cell;
mod options;
mod shared;
#[cfg(test)]
pub(crate) mod testing;

pub use cell::{CellCtx, Children, Start};
pub(crate) use options::at_least_one;
pub use options::{augment, read_settings, OptionSet, Options, Settings};
pub(crate) use shared::{
    blocking_request, blocking_request_with, join_workers, or_per_core, panic_message, STALL,
};

/// Every engine, in the order `iobound list`, `--mode`'s default and the
/// reports show them. Adding an engine: its module above, one line here.
pub fn all() -> &'static [&'static dyn Engine] {
    &[
        &threads::Threads,
        &uring::Uring,
        &pool::Rayon,
        &procs::Procs,
        &hybrid::Hybrid,
        &self::tokio::Tokio,
        &self::tokio::TokioMt,
        &glommio::Glommio,
        &glommio::GlommioMt,
        &python::ASYNCIO,
        &python::UVLOOP,
        &python::THREADS,
        &python::PROCS,
        &python::ASYNCIO_PROCS,
    ]
}

/// Environment variable that makes `iobound` an engine's worker process.
pub const CHILD_ENV: &str = "IOBOUND_ENGINE_CHILD";

/// When this process was started as an engine's worker, runs it and
/// returns its exit code; otherwise `None`.
pub fn child_entry() -> Option<std::process::ExitCode> {
    let name = std::env::var(CHILD_ENV).ok()?;
    Some(match by_name(&name) {
        Some(e) => e.child_main(),
        None => {
            crate::errln!("iobound: {CHILD_ENV}={name} names no engine");
            std::process::ExitCode::from(2)
        }
    })
}

/// The engine of that name.
pub fn by_name(name: &str) -> Option<&'static dyn Engine> {
    all().iter().copied().find(|e| e.name() == name)
}

/// The engine standing for `model` where no engine is named (advise, the
/// lesson): the first Rust engine of that model in [`all`]'s order that can
/// run here (`uring`: whether io_uring is available).
pub fn representative(model: Model, uring: bool) -> Option<&'static dyn Engine> {
    all().iter().copied().find(|e| {
        e.model() == model && e.language() == Language::Rust && (uring || !e.caps().needs_io_uring)
    })
}

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
    #[error("{0}")]
    Other(String),
}

/// What an engine can run, and what it needs from the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Caps {
    /// Skipped, with the reason, where io_uring is unavailable.
    pub needs_io_uring: bool,
    /// Runs file steps (read, write, fdatasync).
    pub files: bool,
    /// Runs network exchanges with a server.
    pub network: bool,
    /// Runs compute steps.
    pub compute: bool,
}

impl Caps {
    /// Every kind of step, no io_uring needed.
    pub const ALL: Caps = Caps {
        needs_io_uring: false,
        files: true,
        network: true,
        compute: true,
    };
    /// Every kind of step, on io_uring.
    pub const IO_URING: Caps = Caps {
        needs_io_uring: true,
        ..Caps::ALL
    };
}

/// What run.json records of an engine, so a report can be rendered later
/// without this binary's registry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Description {
    pub name: &'static str,
    pub model: Model,
    pub language: Language,
    pub summary: &'static str,
    pub caps: Caps,
}

/// The language an engine's requests run in: the lesson is Python's, the
/// harness and most engines are Rust, and reports keep the two apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Rust,
    Python,
}

/// A way of running requests.
pub trait Engine: Sync {
    fn name(&self) -> &'static str;
    /// One line for `iobound list`.
    fn summary(&self) -> &'static str;
    /// How it waits and where it computes.
    fn model(&self) -> Model;
    fn caps(&self) -> Caps {
        Caps::ALL
    }
    /// Why this engine cannot run this workload here as asked, if it cannot
    /// (checked before the cell, which is then skipped with that reason).
    fn unsupported(
        &self,
        _workload: &dyn Workload,
        _direct: bool,
        _plan: &Plan,
        _settings: &Settings,
    ) -> Option<String> {
        None
    }
    /// The language its requests run in.
    fn language(&self) -> Language {
        Language::Rust
    }
    /// What starting a cell costs beyond its warm-up (an interpreter and
    /// its pools, say), for the run's estimate before its first cell.
    fn startup(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
    /// Its option sets (see [`OptionSet`]).
    fn options(&self) -> &'static [&'static Options] {
        &[]
    }
    /// OS threads the engine starts for a plan (io_uring's kernel workers aside).
    fn threads_needed(&self, _plan: &Plan, _settings: &Settings) -> usize {
        1
    }
    /// Worker processes it starts.
    fn processes(&self, _plan: &Plan, _settings: &Settings) -> usize {
        0
    }
    /// The workers of its pool (threads or processes), for engines that
    /// hand requests or computations to one: recorded with each cell so a
    /// report's ceilings count the pool's workers, not the OS threads it
    /// happens to see (a Python program's own threads are not workers).
    fn pool_size(&self, _plan: &Plan, _settings: &Settings) -> Option<usize> {
        None
    }
    /// Connections the engine opens on a network workload.
    fn connections(&self, plan: &Plan, _settings: &Settings) -> usize {
        plan.concurrency
    }
    /// How many recorders (and progress counters) a cell of this plan uses.
    fn workers(&self, plan: &Plan, settings: &Settings) -> usize;
    /// Runs the cell; returns one recorder per worker.
    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError>;

    /// Entry point of this engine's worker processes: `iobound` runs it
    /// instead of its command line when started with [`CHILD_ENV`] set to
    /// the engine's name. Engines without worker processes never are.
    fn child_main(&self) -> std::process::ExitCode {
        crate::errln!(
            "iobound: the {} engine starts no worker processes",
            self.name()
        );
        std::process::ExitCode::from(2)
    }

    fn describe(&self) -> Description {
        Description {
            name: self.name(),
            model: self.model(),
            language: self.language(),
            summary: self.summary(),
            caps: self.caps(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::FileSet;
    use crate::exec::IoBufs;
    use crate::load::Bound;
    use crate::record::merge;
    use crate::record::Progress;
    use iobound_workloads::{dataset, FileId, FileRole, FileSpec, Request, Step};
    use std::time::Duration;

    /// Default settings with pools of two threads, whatever the machine.
    fn two_pool_threads() -> Settings {
        Settings::default().with(&pool::Options {
            pool_threads: Some(2),
        })
    }

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
        for &engine in all() {
            if engine.caps().needs_io_uring && !crate::ring::UringSupport::detect().available {
                crate::errln!("skipping {}: io_uring unavailable", engine.name());
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
            let settings = two_pool_threads();
            // What a cell would skip with a reason (py-uvloop without
            // uvloop) is skipped here too, saying so.
            if let Some(why) = engine.unsupported(&w, false, &plan, &settings) {
                crate::errln!("skipping {}: {why}", engine.name());
                continue;
            }
            let progress = Progress::new(engine.workers(&plan, &settings));
            let ctx = CellCtx::new(&w, &files, plan, &settings, &progress);
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
        // Enough for every slot of 7 to run several; few enough that the
        // Python engines' pure-Python blur stays short.
        const N: u64 = 100;
        let dir = std::env::temp_dir().join(format!("iobound-checksum-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let params = WorkloadParams {
            file_size: 4 << 20,
            work: 16 << 10,
            ..Default::default()
        };
        for name in ["cpu-hash", "cpu-py", "cpu-image", "mixed-file"] {
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
            for &engine in all() {
                if engine.caps().needs_io_uring && !crate::ring::UringSupport::detect().available {
                    crate::errln!("skipping {}: io_uring unavailable", engine.name());
                    continue;
                }
                let plan = Plan {
                    concurrency: 7,
                    warmup: Duration::ZERO,
                    bound: Bound::Requests(N),
                    rate: None,
                };
                let settings = two_pool_threads();
                if let Some(why) = engine.unsupported(w.as_ref(), false, &plan, &settings) {
                    crate::errln!("skipping {}: {why}", engine.name());
                    continue;
                }
                let progress = Progress::new(engine.workers(&plan, &settings));
                let mut ctx = CellCtx::new(w.as_ref(), &files, plan, &settings, &progress);
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
