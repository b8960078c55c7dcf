//! Engines: the interpreters that run a workload's steps, and their
//! registry. Each engine owns only how requests wait; what a step is lives in
//! [`crate::exec`] and the closed-loop slots in [`crate::load`].
//!
//! An engine is one module plus one line in [`all`]: it declares its name,
//! its concurrency [`Model`], its [`Caps`] and its own typed options (an
//! [`OptionSet`]), and everything else — `--mode` lists, `--help`, `iobound
//! list`, run.json, reports, CI — reads them from here.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use iobound_workloads::{Model, Workload};

use crate::exec::{Done, FileSet, IoBufs, StepError};
use crate::load::{Clock, Plan, Slot};
use crate::record::{Progress, Recorder};
use crate::resources::{ThreadCount, Usage};

pub mod glommio;
pub mod hybrid;
pub mod pool;
pub mod procs;
pub mod python;
pub mod threads;
pub mod tokio;
pub mod uring;

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
            eprintln!("iobound: {CHILD_ENV}={name} names no engine");
            std::process::ExitCode::from(2)
        }
    })
}

/// The engine of that name.
pub fn by_name(name: &str) -> Option<&'static dyn Engine> {
    all().iter().copied().find(|e| e.name() == name)
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
}

/// An engine's own flags: a struct deriving clap (shown in `--help` under
/// [`OptionSet::HEADING`]) and serde (recorded in run.json, settable in suite
/// files). Engines that share a mechanism share its set (uring and hybrid
/// share the ring's batch; rayon and hybrid the pool's size).
pub trait OptionSet:
    clap::Args + clap::FromArgMatches + serde::Serialize + serde::de::DeserializeOwned + Default
{
    /// The set's key in run.json.
    const ID: &'static str;
}

/// An [`OptionSet`] with its type erased, so the registry can list them.
pub struct Options {
    pub id: &'static str,
    augment: fn(clap::Command) -> clap::Command,
    read: fn(&clap::ArgMatches) -> Result<serde_json::Value, clap::Error>,
}

impl Options {
    /// The erased form of `T`.
    pub const fn of<T: OptionSet>() -> Options {
        fn augment<T: OptionSet>(c: clap::Command) -> clap::Command {
            // clap makes an Args struct's doc comment the command's about
            // text: keep the command's own, whatever an engine writes.
            let (about, long) = (c.get_about().cloned(), c.get_long_about().cloned());
            let c = T::augment_args(c);
            let c = match about {
                Some(a) => c.about(a),
                None => c,
            };
            match long {
                Some(l) => c.long_about(l),
                None => c,
            }
        }
        fn read<T: OptionSet>(m: &clap::ArgMatches) -> Result<serde_json::Value, clap::Error> {
            let v = T::from_arg_matches(m)?;
            serde_json::to_value(v)
                .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidValue, e))
        }
        Options {
            id: T::ID,
            augment: augment::<T>,
            read: read::<T>,
        }
    }
}

/// clap's parser for counts that must be at least one.
pub(crate) fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("'{s}' is not a whole number of at least 1")),
    }
}

/// Every option set of the registered engines, each once.
fn option_sets() -> Vec<&'static Options> {
    let mut sets: Vec<&'static Options> = Vec::new();
    for e in all() {
        for o in e.options() {
            if !sets.iter().any(|s| s.id == o.id) {
                sets.push(o);
            }
        }
    }
    sets
}

/// Adds every engine's options to a subcommand that runs engines.
pub fn augment(cmd: clap::Command) -> clap::Command {
    option_sets().into_iter().fold(cmd, |c, o| (o.augment)(c))
}

/// The engines' options as parsed from the command line.
pub fn read_settings(m: &clap::ArgMatches) -> Result<Settings, clap::Error> {
    let mut map = BTreeMap::new();
    let mut given = BTreeMap::new();
    for o in option_sets() {
        map.insert(o.id.to_string(), (o.read)(m)?);
        // The set's flags the command line gave (not defaults).
        let flags: Vec<String> = (o.augment)(clap::Command::new("set"))
            .get_arguments()
            .filter(|a| {
                m.try_contains_id(a.get_id().as_str()).unwrap_or(false)
                    && m.value_source(a.get_id().as_str())
                        == Some(clap::parser::ValueSource::CommandLine)
            })
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        if !flags.is_empty() {
            given.insert(o.id.to_string(), flags);
        }
    }
    Ok(Settings { values: map, given })
}

/// Checked values of every engine's options, by set; and which sets' flags
/// the command line gave, so a flag no selected engine reads can be flagged.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct Settings {
    values: BTreeMap<String, serde_json::Value>,
    #[serde(skip)]
    given: BTreeMap<String, Vec<String>>,
}

impl Settings {
    /// Flags given for option sets that none of `engines` reads.
    pub fn unused_flags(&self, engines: &[&'static dyn Engine]) -> Vec<String> {
        self.given
            .iter()
            .filter(|(id, _)| {
                !engines
                    .iter()
                    .any(|e| e.options().iter().any(|o| o.id == id.as_str()))
            })
            .flat_map(|(_, flags)| flags.iter().cloned())
            .collect()
    }

    /// The values of one set (its defaults if it was not given).
    pub fn get<T: OptionSet>(&self) -> T {
        self.values
            .get(T::ID)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// Sets one set's values (tests, and commands with fixed settings).
    pub fn with<T: OptionSet>(mut self, v: &T) -> Self {
        self.values.insert(
            T::ID.to_string(),
            serde_json::to_value(v).expect("option sets serialize"),
        );
        self
    }
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
        eprintln!(
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

/// Everything an engine needs to run one cell.
pub struct CellCtx<'a> {
    pub workload: &'a dyn Workload,
    /// The parameters `workload` was built from, when known (engines with
    /// worker processes rebuild the workload there).
    pub params: Option<&'a iobound_workloads::WorkloadParams>,
    pub files: &'a FileSet,
    pub plan: Plan,
    /// The engines' options.
    pub settings: &'a Settings,
    /// Check every read's content against the data set.
    pub verify: bool,
    /// Record latencies (false only to measure recording's own cost).
    pub record: bool,
    pub progress: &'a Progress,
    /// Set by the first failing worker; every slot stops at its next request.
    pub abort: AtomicBool,
    /// Duplicates of the cell's connections, shut down by [`CellCtx::fail`].
    sockets: std::sync::Mutex<Vec<std::net::TcpStream>>,
    start: OnceLock<Start>,
    /// Worker processes' resources, reported by engines that start them.
    children: std::sync::Mutex<Option<Children>>,
    /// What the engine wants the reader to know about this cell.
    notes: std::sync::Mutex<Vec<String>>,
}

/// What an engine's worker processes used over a cell: their CPU counts
/// with the client's, their memory beside it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Children {
    pub processes: usize,
    pub usage: Usage,
    /// Sum of the processes' peak resident sets.
    pub peak_rss_bytes: u64,
    /// Most threads the processes had at once, summed (their OS threads
    /// count with the cell's).
    pub threads: u32,
}

/// What is known the moment a cell's clock starts. Taken on the engine's own
/// thread: a monitor thread competing with thousands of busy workers for two
/// cores can be scheduled seconds late, so it must not own these readings.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    pub clock: Clock,
    pub usage: Usage,
    /// The whole machine's CPU ticks at the same moment.
    pub machine: Option<crate::resources::MachineCpu>,
    /// Threads alive once the engine's set-up is done.
    pub threads: ThreadCount,
}

impl<'a> CellCtx<'a> {
    pub fn new(
        workload: &'a dyn Workload,
        files: &'a FileSet,
        plan: Plan,
        settings: &'a Settings,
        progress: &'a Progress,
    ) -> Self {
        CellCtx {
            workload,
            params: None,
            files,
            plan,
            settings,
            verify: false,
            record: true,
            progress,
            abort: AtomicBool::new(false),
            sockets: std::sync::Mutex::new(Vec::new()),
            start: OnceLock::new(),
            children: std::sync::Mutex::new(None),
            notes: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Starts the cell's clock at `at`, a moment another process chose
    /// (a worker program's own clock start), if it has not started yet.
    pub fn begin_at(&self, at: Instant) -> Clock {
        self.start
            .get_or_init(|| Start {
                clock: Clock::new(&self.plan, at),
                usage: Usage::now(),
                machine: crate::resources::MachineCpu::now(),
                threads: ThreadCount::now(),
            })
            .clock
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
                    machine: crate::resources::MachineCpu::now(),
                    threads,
                }
            })
            .clock
    }

    /// Reports the CPU and memory of the worker processes an engine started,
    /// over the cell (from its clock start), before `run` returns.
    pub fn report_children(&self, c: Children) {
        *self.children.lock().expect("never poisoned") = Some(c);
    }

    /// Records a fact about how this cell ran that a reader must know (a
    /// runtime's fallback, say); it lands in the cell's summary.
    pub fn note(&self, text: impl Into<String>) {
        let text = text.into();
        let mut notes = self.notes.lock().expect("never poisoned");
        if !notes.contains(&text) {
            notes.push(text);
        }
    }

    /// What [`CellCtx::note`] recorded.
    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().expect("never poisoned").clone()
    }

    /// What [`CellCtx::report_children`] recorded.
    pub fn children(&self) -> Option<Children> {
        *self.children.lock().expect("never poisoned")
    }

    /// The readings taken when the clock started, once it has.
    pub fn start(&self) -> Option<Start> {
        self.start.get().copied()
    }

    /// The clock, once the engine has started it.
    pub fn clock(&self) -> Option<Clock> {
        self.start().map(|s| s.clock)
    }

    /// Stops the cell: slots start no new request, and every connection the
    /// cell opened is shut down, so a request waiting on a slow server ends
    /// at once rather than when the server answers (a Ctrl-C stops within a
    /// second whatever `--db-latency` is).
    pub fn fail(&self) {
        if !self.abort.swap(true, Ordering::Relaxed) {
            for s in self.sockets.lock().expect("never poisoned").iter() {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    /// What a request's error means: `None` when the cell was already
    /// stopping (its connections were shut down by [`CellCtx::fail`], so
    /// the error is the stop's doing and the slot just ends), else the
    /// error, and the cell stops.
    pub fn failed<E>(&self, e: E) -> Option<E> {
        if self.abort.load(Ordering::Relaxed) {
            return None;
        }
        self.fail();
        Some(e)
    }

    /// Keeps a handle on a connection the cell opened, so [`CellCtx::fail`]
    /// can shut it down: a duplicate of its descriptor, which stays valid
    /// (and never names another file) until the cell's context is dropped.
    pub fn watch_socket(&self, fd: std::os::fd::BorrowedFd<'_>) {
        if let Ok(dup) = fd.try_clone_to_owned() {
            let s = std::net::TcpStream::from(dup);
            if self.abort.load(Ordering::Relaxed) {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            self.sockets.lock().expect("never poisoned").push(s);
        }
    }

    /// A worker's buffers, with its connection already open when the
    /// workload talks to a server: engines call this before the clock
    /// starts, so connecting is never timed as part of a request.
    pub fn new_bufs(&self) -> Result<IoBufs, EngineError> {
        let mut bufs = IoBufs::new(self.workload.max_transfer());
        if self.workload.service().is_some() {
            self.files.ensure_conn(&mut bufs)?;
            if let Some(c) = &bufs.conn {
                use std::os::fd::AsFd;
                self.watch_socket(c.as_fd());
            }
        }
        Ok(bufs)
    }

    /// Records a finished request of `ticket`, sent at `sent` (its actual
    /// start: later than intended in an open loop when the slot was late),
    /// ended at `end`: latency counts from the intended start, and in an
    /// open loop the uncorrected one from the actual send. Every engine's
    /// slots finish their requests through here.
    #[inline]
    pub fn record(
        &self,
        rec: &mut Recorder,
        worker: usize,
        ticket: &crate::load::Ticket,
        sent: Instant,
        end: Instant,
        done: Done,
    ) {
        rec.complete(
            self.progress,
            worker,
            ticket.measured,
            end.saturating_duration_since(ticket.intended),
            self.plan.rate.map(|_| end - sent),
            done,
        );
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

/// Joins an engine's scoped worker threads and collects their recorders
/// after `recorders` (the calling thread's own, if it worked too), or
/// returns the first error (`first_error` first). A panicking worker fails
/// the cell with the panic's message, not the run.
pub(crate) fn join_workers<'s>(
    ctx: &CellCtx<'_>,
    handles: Vec<std::thread::ScopedJoinHandle<'s, Result<Recorder, EngineError>>>,
    what: &str,
    mut recorders: Vec<Recorder>,
    mut first_error: Option<EngineError>,
) -> Result<Vec<Recorder>, EngineError> {
    for h in handles {
        let r = h.join().unwrap_or_else(|p| {
            ctx.fail();
            Err(EngineError::Other(format!(
                "{what} panicked: {}",
                panic_message(p.as_ref())
            )))
        });
        match r {
            Ok(r) => recorders.push(r),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(recorders),
    }
}

/// How long past the deadline an event loop's requests may go without any
/// completing before the cell fails (a server that stopped answering).
pub(crate) const STALL: std::time::Duration = std::time::Duration::from_secs(20);

/// A thread or process count: as given, or one per core.
pub(crate) fn or_per_core(n: Option<usize>) -> usize {
    n.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The message of a panic's payload.
pub(crate) fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
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
    blocking_request_with(ctx, clock, slot, rec, worker, start, |_, req| {
        ctx.files
            .run_request_blocking(&req, bufs, ctx.verify)
            .map_err(EngineError::from)
    })
}

/// [`blocking_request`] with the request run by `run` (given its ticket and
/// steps): the slot's schedule, the open loop's wait and the recording are
/// the same whoever runs the steps (this thread, or a worker process).
#[inline]
pub(crate) fn blocking_request_with<E>(
    ctx: &CellCtx<'_>,
    clock: &Clock,
    slot: &mut Slot,
    rec: &mut Recorder,
    worker: usize,
    start: Instant,
    run: impl FnOnce(&crate::load::Ticket, iobound_workloads::Request) -> Result<Done, E>,
) -> Result<Option<Instant>, E> {
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
    let done = match run(&ticket, req) {
        Ok(done) => done,
        Err(e) => return ctx.failed(e).map_or(Ok(None), Err),
    };
    let end = Instant::now();
    ctx.record(rec, worker, &ticket, sent, end, done);
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
            let settings = two_pool_threads();
            // What a cell would skip with a reason (py-uvloop without
            // uvloop) is skipped here too, saying so.
            if let Some(why) = engine.unsupported(&w, false, &plan, &settings) {
                eprintln!("skipping {}: {why}", engine.name());
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
                    eprintln!("skipping {}: io_uring unavailable", engine.name());
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
                    eprintln!("skipping {}: {why}", engine.name());
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
