//! The Python engines — `py-asyncio`, `py-uvloop`, `py-threads`,
//! `py-procs`, `py-asyncio-procs` — run the same request steps in Python's
//! own concurrency models, as the lesson's reader writes them: the program
//! `python/iobound_py` (shipped in this binary, written to a cache
//! directory on first use) is started with `python3`, reads the cell's job,
//! its compute input and a stream of encoded requests on stdin, and writes
//! one record per completed request (when its slot took it, when it ended,
//! its digest) on stdout. The records land in the same recorder, histograms
//! and summaries as every engine's; the program's CPU, memory and threads,
//! its worker processes' included, count with the client's. The protocol is
//! in `python/README.md`.
//!
//! Open loops are not run by these engines (skipped, with the reason);
//! request-count-bounded cells run without warm-up (said in the cell's
//! notes), since the program cannot know how many warm-up requests to take.

mod family;
mod interpreter;
mod program;
mod records;

pub(crate) use interpreter::{probe, program_dir};

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use iobound_workloads::{Model, Workload};

use super::{CellCtx, Children, Engine, EngineError, Language, OptionSet, Options, Settings};
use crate::load::{Bound, Plan};
use crate::record::Recorder;
use crate::resources::Usage;
use records::Readout;

/// One of Python's models, run by the program.
pub struct Python {
    name: &'static str,
    model: Model,
    /// The program's `--model`.
    py: &'static str,
    summary: &'static str,
}

pub const ASYNCIO: Python = Python {
    name: "py-asyncio",
    model: Model::EventLoop,
    py: "asyncio",
    summary: "Python asyncio: one event loop, a task per outstanding request, sockets as asyncio streams; files through run_in_executor (asyncio has no async files); computes on the loop",
};

pub const UVLOOP: Python = Python {
    name: "py-uvloop",
    model: Model::EventLoop,
    py: "uvloop",
    summary: "py-asyncio on uvloop's event loop (skipped where uvloop is not installed)",
};

pub const THREADS: Python = Python {
    name: "py-threads",
    model: Model::BlockingThreads,
    py: "threads",
    summary: "Python threading: a thread per outstanding request, blocking calls; computes under the GIL (hashlib releases it on large buffers)",
};

pub const PROCS: Python = Python {
    name: "py-procs",
    model: Model::ProcessPool,
    py: "procs",
    summary: "Python multiprocessing: a ProcessPoolExecutor of one process per core, one whole request at a time per process",
};

pub const ASYNCIO_PROCS: Python = Python {
    name: "py-asyncio-procs",
    model: Model::EventLoopPool,
    py: "asyncio-procs",
    summary: "Python asyncio for the waits, compute steps sent to a process pool with run_in_executor (the lesson's pattern for mixed work)",
};

// Options of the Python engines. A `//` comment: clap turns a doc comment
// here into the about text of every command the set is added to.
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Engines py-*")]
pub struct PyOptions {
    /// Processes of py-procs' and py-asyncio-procs' pools [default: one per core]
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    pub py_workers: Option<usize>,
    /// The Python interpreter that runs the py-* engines [default: python3]
    #[arg(long, value_name = "PATH")]
    pub python: Option<String>,
}

impl PyOptions {
    fn workers(&self) -> usize {
        super::or_per_core(self.py_workers)
    }

    fn interpreter(&self) -> &str {
        self.python.as_deref().unwrap_or("python3")
    }
}

impl OptionSet for PyOptions {
    const ID: &'static str = "python";
}

const OPTIONS: Options = Options::of::<PyOptions>();

/// The program's exit status when uvloop cannot be imported.
const NO_UVLOOP: i32 = 3;

/// How long requests in flight at the deadline may still take before the
/// program abandons them (they are counted, and said in the cell's notes).
const GRACE: Duration = Duration::from_secs(1);

impl Engine for Python {
    fn name(&self) -> &'static str {
        self.name
    }

    fn summary(&self) -> &'static str {
        self.summary
    }

    fn model(&self) -> Model {
        self.model
    }

    fn language(&self) -> Language {
        Language::Python
    }

    /// The interpreter, its imports, and (pool models) the pool's processes
    /// started and warmed: about 0.4 s on the 2-vCPU VM.
    fn startup(&self) -> Duration {
        Duration::from_millis(400)
    }

    fn options(&self) -> &'static [&'static Options] {
        &[&OPTIONS]
    }

    fn unsupported(
        &self,
        w: &dyn Workload,
        _: bool,
        plan: &Plan,
        settings: &Settings,
    ) -> Option<String> {
        if w.service() == Some(iobound_workloads::Service::Redis) {
            return Some(
                "the Python engines speak iobound's protocol, not Redis's RESP (not written yet)"
                    .into(),
            );
        }
        if plan.rate.is_some() {
            return Some("the Python engines run closed loops only (no --rate)".into());
        }
        let python = settings.get::<PyOptions>().interpreter().to_string();
        probe(&python, self.py == "uvloop").err()
    }

    /// This thread and the request writer; the program's threads are its own
    /// process's, counted with it.
    fn threads_needed(&self, _plan: &Plan, _: &Settings) -> usize {
        2
    }

    fn processes(&self, _plan: &Plan, s: &Settings) -> usize {
        match self.model {
            Model::ProcessPool | Model::EventLoopPool => 1 + s.get::<PyOptions>().workers(),
            _ => 1,
        }
    }

    fn workers(&self, _plan: &Plan, _: &Settings) -> usize {
        1
    }

    fn pool_size(&self, _plan: &Plan, s: &Settings) -> Option<usize> {
        matches!(self.model, Model::ProcessPool | Model::EventLoopPool)
            .then(|| s.get::<PyOptions>().workers())
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        run(self, ctx)
    }
}

fn run(engine: &Python, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
    let opts = ctx.settings.get::<PyOptions>();
    let workers = opts.workers();
    let mut prog = program::spawn(engine, &opts)?;
    let pid = prog.child.id();
    let stdin = prog.child.stdin.take().expect("piped");
    let mut stdout = prog.child.stdout.take().expect("piped");
    let mut stderr = prog.child.stderr.take().expect("piped");
    note_setup(engine, ctx, &opts);
    let bytes_per_request = program::bytes_per_request(ctx);
    let stop = AtomicBool::new(false);
    let mut rec = ctx.new_recorder();
    let outcome = std::thread::scope(|s| {
        let writer = s.spawn(|| program::feed(ctx, workers, stdin, &stop));
        let read = records::read_records(ctx, pid, &mut stdout, &mut rec, bytes_per_request);
        stop.store(true, Ordering::Relaxed);
        if read.as_ref().map_or(true, |r| r.stopped) {
            // The writer may be blocked on a full pipe: end the program.
            let _ = prog.child.kill();
        }
        let _ = writer.join();
        read
    });
    let status = prog
        .child
        .wait()
        .map_err(|e| EngineError::Other(e.to_string()))?;
    let mut err = String::new();
    let _ = stderr.read_to_string(&mut err);
    let last = err.lines().last().unwrap_or("").to_string();
    let r = checked_exit(engine, outcome, status, &last)?;
    report_usage(ctx, &r);
    let cut = r.cut;
    if cut > 0 {
        ctx.note(format!(
            "{cut} requests still in flight {} after the deadline were abandoned by the Python program",
            crate::output::human::duration_ns(GRACE.as_nanos() as f64)
        ));
    }
    Ok(vec![rec])
}

/// The cell's notes known before it runs: no warm-up, which Python, the
/// executor behind asyncio's file steps.
fn note_setup(engine: &Python, ctx: &CellCtx<'_>, opts: &PyOptions) {
    if let Bound::Requests(_) = ctx.plan.bound {
        if !ctx.plan.warmup.is_zero() {
            ctx.note("the Python engines run a request-count-bounded cell without warm-up: every request is measured");
        }
    }
    // Which Python ran it, in the cell's notes (and so in run.json).
    if let Ok(who) = probe(opts.interpreter(), engine.py == "uvloop") {
        ctx.note(format!("run by {who}"));
    }
    if !ctx.workload.files().is_empty()
        && matches!(engine.model, Model::EventLoop | Model::EventLoopPool)
    {
        ctx.note(
            "file steps went through loop.run_in_executor on asyncio's default thread pool: asyncio has no asynchronous file I/O (aiofiles does the same)",
        );
    }
}

/// The readout, unless the program failed: what it said last on stderr is
/// the reason.
fn checked_exit(
    engine: &Python,
    outcome: Result<Readout, EngineError>,
    status: std::process::ExitStatus,
    last: &str,
) -> Result<Readout, EngineError> {
    let r = match outcome {
        Ok(r) => r,
        // What the program said on stderr is the reason.
        Err(EngineError::Other(m)) if !last.is_empty() => {
            return Err(EngineError::Other(format!("{m}: {last}")))
        }
        Err(e) => return Err(e),
    };
    if !r.stopped && status.code() == Some(NO_UVLOOP) {
        return Err(EngineError::Other(format!(
            "uvloop is not installed: {last}"
        )));
    }
    if !r.stopped && !status.success() {
        return Err(EngineError::Other(format!(
            "the Python program ({}) exited with {status}: {last}",
            engine.py
        )));
    }
    Ok(r)
}

/// The program's CPU and its workers' from its clock start (READY) to its
/// last record (END): what it spent starting (interpreter, imports, the
/// pool) is set-up, as an engine's is before its clock.
fn report_usage(ctx: &CellCtx<'_>, r: &Readout) {
    let ns = |a: u64, b: u64| Duration::from_nanos(a.saturating_sub(b));
    ctx.report_children(Children {
        processes: r.peak.processes,
        usage: Usage {
            user: ns(r.end.user, r.ready.user),
            sys: ns(r.end.sys, r.ready.sys),
            ..Usage::default()
        },
        peak_rss_bytes: r.peak.rss,
        threads: r.peak.threads as u32,
    });
}
