//! The `tokio` and `tokio-mt` engines: the same request steps on tokio over
//! epoll, run the way tokio users run them — one task per slot
//! (`tokio::spawn`), sockets as `tokio::net::TcpStream`, file steps on
//! tokio's blocking-thread pool (`spawn_blocking`), open-loop waits on
//! tokio's timer. Reports can then set epoll through a real runtime (here)
//! against a raw io_uring loop (`uring`).
//!
//! `tokio` is a current-thread runtime: one OS thread, `concurrency` tasks on
//! it, the same shape as `uring`. `tokio-mt` is tokio's multi-thread,
//! work-stealing runtime with `--tokio-workers` workers (one per core by
//! default). Tokio treats multi-thread as an option of one runtime; here it
//! is a mode of its own, because a cell's concurrency model is fixed by its
//! mode name (one event loop against several), and one name for both would
//! mix two models in the reports.
//!
//! Compute steps run inline in the task, on the thread polling it — what an
//! `async fn` that hashes does — so while one computes, the other tasks of
//! that thread wait (on `tokio-mt`, idle workers may steal them). A task
//! whose request never suspended (compute steps only) yields before its next
//! one, so every slot's request gets its turn, as it would if it arrived
//! through the runtime; tasks that waited on I/O run exactly as tokio
//! schedules them.
//!
//! File steps: `tokio::fs` is `spawn_blocking` around std calls, but its
//! `File` has no positional read or write and copies through an unaligned
//! buffer of its own, which breaks O_DIRECT. So each file operation is
//! [`FileSet::run_blocking`](crate::exec::FileSet::run_blocking) — the
//! pread, pwrite or fdatasync on the slot's aligned buffers that every
//! blocking engine makes — inside `spawn_blocking`, the slot's buffers moved
//! into the closure and back. The pool starts a thread whenever an operation
//! is queued while no thread is idle (a thread that just finished one is not
//! idle yet, and a woken one may not have run), up to [`BLOCKING_CAP`]
//! (tokio's default), and keeps idle ones for 10 s: under a stream of short
//! operations it can grow well past the number in flight. They are real
//! threads of this process, so they show in the cell's OS thread count, and
//! each file cell carries a note with their peak. [`Engine::threads_needed`]
//! counts only the runtime's own threads: it does not see the workload, and
//! network and compute cells start no blocking thread (as `uring` leaves
//! io_uring's on-demand kernel workers aside). So `--max-threads` does not
//! bound the blocking pool; [`BLOCKING_CAP`] does.
//!
//! Open loop: each request waits for its intended start with
//! `tokio::time::sleep_until`. Tokio's timer ticks in milliseconds and rounds
//! a deadline up to the next tick, so a request may be sent up to about 1 ms
//! late; its latency still counts from the intended start (the uncorrected
//! histogram counts from the actual send), as in every engine.
//!
//! Recording: one recorder per runtime thread that polls tasks (the one
//! thread of `tokio`, each worker of `tokio-mt`), never one per task: at
//! thousands of tasks a histogram each would cost megabytes. A thread claims
//! its recorder, allocated before the clock, at its first completed request,
//! and keeps it in a thread-local, so recording takes no lock.
//!
//! This module holds the two engines, their runtime and the recorders;
//! `task` one slot's task: its requests, each step performed the tokio way.

mod task;

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::tokio::net::TcpStream;
use ::tokio::runtime::{Builder, Runtime};
use ::tokio::task::JoinHandle;

use iobound_workloads::Model;

use self::task::slot_loop;
use super::{CellCtx, Engine, EngineError, OptionSet, Options, Settings};
use crate::exec::{Done, IoBufs};
use crate::load::{Clock, Plan, Slot};
use crate::record::Recorder;

/// tokio's current-thread runtime.
pub struct Tokio;

/// tokio's multi-thread, work-stealing runtime.
pub struct TokioMt;

// Options of the `tokio-mt` engine. A `//` comment: clap turns a doc
// comment here into the about text of every command the set is added to.
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Engine tokio-mt")]
pub struct MtOptions {
    /// Worker threads of tokio's multi-thread runtime [default: one per core]
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    pub tokio_workers: Option<usize>,
}

impl MtOptions {
    /// The runtime's workers: as given, or one per core (tokio's own default).
    pub fn workers(&self) -> usize {
        super::or_per_core(self.tokio_workers)
    }
}

impl OptionSet for MtOptions {
    const ID: &'static str = "tokio-mt";
}

const MT_OPTIONS: Options = Options::of::<MtOptions>();

/// Most threads of tokio's blocking pool: tokio's default, set explicitly so
/// that what the cells' notes state is what they ran with.
pub const BLOCKING_CAP: usize = 512;

/// How often the task joiner looks for progress once the deadline has passed.
const TICK: Duration = Duration::from_secs(1);

impl Engine for Tokio {
    fn name(&self) -> &'static str {
        "tokio"
    }

    fn summary(&self) -> &'static str {
        "tokio's current-thread runtime on epoll, a task per outstanding request; files on tokio's blocking pool; computes on that thread"
    }

    fn model(&self) -> Model {
        Model::EventLoop
    }

    fn workers(&self, _plan: &Plan, _: &Settings) -> usize {
        1
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        run(ctx, None)
    }
}

impl Engine for TokioMt {
    fn name(&self) -> &'static str {
        "tokio-mt"
    }

    fn summary(&self) -> &'static str {
        "tokio's multi-thread work-stealing runtime on epoll, one worker per core by default, a task per outstanding request; files on tokio's blocking pool"
    }

    fn model(&self) -> Model {
        Model::EventLoops
    }

    fn options(&self) -> &'static [&'static Options] {
        &[&MT_OPTIONS]
    }

    /// The workers and the thread blocked in `block_on`; see the module's
    /// doc for the blocking pool.
    fn threads_needed(&self, _plan: &Plan, s: &Settings) -> usize {
        1 + s.get::<MtOptions>().workers()
    }

    fn workers(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<MtOptions>().workers()
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        run(ctx, Some(ctx.settings.get::<MtOptions>().workers()))
    }
}

/// The cell's context as tokio's tasks need it: `'static`. Only [`run`]
/// makes one, and see there why that is sound.
type Ctx = &'static CellCtx<'static>;

thread_local! {
    /// The recorder of the runtime thread this is, with its index among the
    /// cell's recorders (and progress counters).
    static RECORDER: RefCell<Option<(usize, Recorder)>> = const { RefCell::new(None) };
}

/// What a cell's tasks and runtime threads share.
struct Shared {
    /// Recorders no thread holds: those not claimed yet, and those handed
    /// back by threads that stopped.
    recorders: Mutex<Vec<(usize, Recorder)>>,
    /// Threads the runtime started (workers and blocking-pool threads) that
    /// are alive now, and the most at once.
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl Shared {
    fn new(ctx: &CellCtx<'_>, workers: usize) -> Self {
        Shared {
            recorders: Mutex::new((0..workers).map(|i| (i, ctx.new_recorder())).collect()),
            live: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    fn thread_started(&self) {
        let now = self.live.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    /// A runtime thread is about to exit: its recorder, if it claimed one,
    /// goes back to the pool.
    fn thread_stopping(&self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
        self.hand_back();
    }

    /// Puts the calling thread's recorder, if it holds one, back in the pool.
    fn hand_back(&self) {
        if let Some(r) = RECORDER.with(|r| r.borrow_mut().take()) {
            self.recorders
                .lock()
                .expect("no panics while holding it")
                .push(r);
        }
    }

    /// Records a finished request in the calling thread's recorder, which it
    /// claims first if it has none.
    fn record(
        &self,
        ctx: Ctx,
        ticket: &crate::load::Ticket,
        sent: Instant,
        end: Instant,
        done: Done,
    ) -> Result<(), EngineError> {
        RECORDER.with(|slot| {
            let mut slot = slot.borrow_mut();
            let (worker, rec) = match &mut *slot {
                Some(held) => held,
                None => {
                    let claimed = self
                        .recorders
                        .lock()
                        .expect("no panics while holding it")
                        .pop()
                        .ok_or_else(|| {
                            EngineError::Other(
                                "more tokio threads ran tasks than the runtime has workers".into(),
                            )
                        })?;
                    slot.insert(claimed)
                }
            };
            ctx.record(rec, *worker, ticket, sent, end, done);
            Ok(())
        })
    }
}

/// Runs a cell on a current-thread runtime (`workers: None`) or a
/// multi-thread one with that many workers.
fn run(ctx: &CellCtx<'_>, workers: Option<usize>) -> Result<Vec<Recorder>, EngineError> {
    let recorders = workers.unwrap_or(1);
    let shared = Arc::new(Shared::new(ctx, recorders));
    // A recorder left on this thread by an earlier cell that panicked is not this cell's.
    RECORDER.with(|r| r.borrow_mut().take());
    // Buffers and (network workloads) one connection per slot, before the clock.
    let slots: Vec<(Slot, IoBufs)> = Slot::all(&ctx.plan)
        .into_iter()
        .map(|slot| Ok((slot, ctx.new_bufs()?)))
        .collect::<Result<_, EngineError>>()?;
    let rt = build(workers, &shared)?;
    // SAFETY: the tasks this cell spawns and the closures it hands to the
    // blocking pool use `ctx` for as long as they live, and tokio requires
    // both to be 'static. All of them belong to `rt`, which is dropped below
    // before this function returns, and on unwinding too, being a local.
    // Dropping a Runtime "blocks until all spawned work has been stopped"
    // (tokio's documentation of runtime shutdown): every task is dropped,
    // every blocking closure has returned or is dropped without running, and
    // every thread of the runtime is joined. Nothing else keeps the
    // reference: recorders and notes own their data. So no use of `ctx`
    // outlives the borrow this function was given.
    let sctx = unsafe { std::mem::transmute::<&CellCtx<'_>, Ctx>(ctx) };
    let outcome = rt.block_on(drive(sctx, &shared, slots));
    drop(rt);
    // A current-thread runtime polled its tasks on this thread.
    shared.hand_back();
    outcome?;
    let peak = shared.peak.load(Ordering::Relaxed);
    if !ctx.workload.files().is_empty() {
        let blocking = peak.saturating_sub(workers.unwrap_or(0));
        ctx.note(format!(
            "file steps ran on tokio's blocking-thread pool (spawn_blocking): \
             {blocking} threads at most at once (tokio's cap: {BLOCKING_CAP}), \
             counted in this cell's OS threads"
        ));
    }
    let mut out = std::mem::take(&mut *shared.recorders.lock().expect("not poisoned"));
    if out.len() != recorders {
        return Err(EngineError::Other(format!(
            "{} of {recorders} recorders came back from the tokio runtime",
            out.len()
        )));
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

/// A runtime with tokio's epoll driver and timer.
fn build(workers: Option<usize>, shared: &Arc<Shared>) -> Result<Runtime, EngineError> {
    let mut b = match workers {
        None => Builder::new_current_thread(),
        Some(n) => {
            let mut b = Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
    };
    let (on_start, on_stop) = (Arc::clone(shared), Arc::clone(shared));
    b.enable_io()
        .enable_time()
        .max_blocking_threads(BLOCKING_CAP)
        .thread_name("iobound-tokio")
        .on_thread_start(move || on_start.thread_started())
        .on_thread_stop(move || on_stop.thread_stopping())
        .build()
        .map_err(|e| EngineError::Other(format!("cannot build the tokio runtime: {e}")))
}

/// Inside the runtime: the connections handed to tokio, then the clock, one
/// task per slot, and the wait for them all.
async fn drive(
    ctx: Ctx,
    shared: &Arc<Shared>,
    slots: Vec<(Slot, IoBufs)>,
) -> Result<(), EngineError> {
    let mut ready = Vec::with_capacity(slots.len());
    for (slot, mut bufs) in slots {
        let conn = match bufs.conn.take() {
            None => None,
            Some(s) => Some(
                s.set_nonblocking(true)
                    .and_then(|()| TcpStream::from_std(s))
                    .map_err(|e| {
                        EngineError::Other(format!("cannot hand a connection to tokio: {e}"))
                    })?,
            ),
        };
        ready.push((slot, bufs, conn));
    }
    let clock = ctx.begin();
    let tasks: Vec<JoinHandle<Result<(), EngineError>>> = ready
        .into_iter()
        .map(|(slot, bufs, conn)| {
            ::tokio::spawn(slot_loop(ctx, Arc::clone(shared), clock, slot, bufs, conn))
        })
        .collect();
    join(ctx, &clock, tasks).await
}

/// Waits for every task; the first error wins. Past the deadline, fails the
/// cell when no request completes for a whole tick after [`super::STALL`].
async fn join(
    ctx: Ctx,
    clock: &Clock,
    mut tasks: Vec<JoinHandle<Result<(), EngineError>>>,
) -> Result<(), EngineError> {
    let mut first_error = None;
    let mut seen = ctx.progress.total();
    for i in 0..tasks.len() {
        let joined = loop {
            let Some(deadline) = clock.deadline else {
                break (&mut tasks[i]).await;
            };
            let wake = deadline.max(Instant::now()) + TICK;
            match ::tokio::time::timeout_at(wake.into(), &mut tasks[i]).await {
                Ok(joined) => break joined,
                Err(_) => {
                    let now = ctx.progress.total();
                    if Instant::now() > deadline + super::STALL && now == seen {
                        ctx.fail();
                        return Err(EngineError::Stalled {
                            in_flight: tasks[i..].iter().filter(|t| !t.is_finished()).count(),
                            secs: super::STALL.as_secs(),
                        });
                    }
                    seen = now;
                }
            }
        };
        let failed = match joined {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e,
            Err(e) => EngineError::Other(if e.is_panic() {
                format!(
                    "a tokio task panicked: {}",
                    super::panic_message(e.into_panic().as_ref())
                )
            } else {
                format!("a tokio task ended early: {e}")
            }),
        };
        ctx.fail();
        first_error.get_or_insert(failed);
    }
    first_error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::FileSet;
    use crate::load::{Bound, Rate};
    use crate::record::{merge, Progress};
    use iobound_workloads::Request;
    use iobound_workloads::{FileSpec, Input, Kernel, Step, Workload};

    /// One small hash per request; notes the moment each request's steps
    /// were asked for, which the engines do once its wait is over.
    struct Stamped(Mutex<Vec<(u64, Instant)>>);

    impl Workload for Stamped {
        fn name(&self) -> &'static str {
            "test-stamped"
        }
        fn files(&self) -> &[FileSpec] {
            &[]
        }
        fn max_transfer(&self) -> usize {
            4096
        }
        fn compute_input(&self) -> usize {
            64
        }
        fn computes(&self) -> bool {
            true
        }
        fn request(&self, i: u64) -> Request {
            self.0.lock().unwrap().push((i, Instant::now()));
            Request::one(Step::Compute {
                kernel: Kernel::Sha256,
                input: Input::Shared { offset: 0, len: 64 },
            })
        }
    }

    fn engines() -> [(&'static dyn Engine, Settings); 2] {
        let three = Settings::default().with(&MtOptions {
            tokio_workers: Some(3),
        });
        [(&Tokio, Settings::default()), (&TokioMt, three)]
    }

    /// tokio's timer rounds deadlines up to its millisecond tick; a request
    /// sent before its place on the schedule would make open-loop latencies
    /// look better than they are.
    #[test]
    fn open_loop_requests_never_start_before_their_intended_time() {
        const N: u64 = 120;
        const C: usize = 4;
        const RATE: f64 = 2000.0;
        for (engine, settings) in engines() {
            let w = Stamped(Mutex::new(Vec::new()));
            let files = FileSet::open(&[], false).unwrap().with_compute_input(64);
            let plan = Plan {
                concurrency: C,
                warmup: Duration::ZERO,
                bound: Bound::Requests(N),
                rate: Some(Rate {
                    per_sec: RATE,
                    poisson: false,
                }),
            };
            let progress = Progress::new(engine.workers(&plan, &settings));
            let ctx = CellCtx::new(&w, &files, plan, &settings, &progress);
            let recorders = engine.run(&ctx).unwrap();
            assert_eq!(recorders.len(), engine.workers(&plan, &settings));
            let totals = merge(recorders);
            assert_eq!(totals.requests, N, "{}", engine.name());
            assert_eq!(totals.uncorrected.map(|h| h.len()), Some(N));
            assert!(ctx.notes().is_empty(), "no file steps, no note");
            let start = ctx.clock().unwrap().start;
            let stamps = w.0.into_inner().unwrap();
            assert_eq!(stamps.len(), N as usize);
            for (i, at) in stamps {
                // The schedule of `load::Slot`: slot s first at s / R, then
                // every C / R.
                let (s, k) = (i % C as u64, (i / C as u64) as u32);
                let intended = start
                    + Duration::from_secs_f64(s as f64 / RATE)
                    + Duration::from_secs_f64(C as f64 / RATE) * k;
                assert!(
                    at >= intended,
                    "{}: request {i} started {:?} early",
                    engine.name(),
                    intended - at
                );
            }
        }
    }

    /// A request that never suspends must not let its task run the next one
    /// at once: every slot starts a request before any slot starts a second.
    #[test]
    fn compute_only_slots_take_turns_on_the_one_thread() {
        const C: usize = 8;
        let w = Stamped(Mutex::new(Vec::new()));
        let files = FileSet::open(&[], false).unwrap().with_compute_input(64);
        let plan = Plan {
            concurrency: C,
            warmup: Duration::ZERO,
            bound: Bound::Requests(10 * C as u64),
            rate: None,
        };
        let settings = Settings::default();
        let progress = Progress::new(Tokio.workers(&plan, &settings));
        let ctx = CellCtx::new(&w, &files, plan, &settings, &progress);
        assert_eq!(merge(Tokio.run(&ctx).unwrap()).requests, 10 * C as u64);
        let mut first: Vec<u64> = w.0.into_inner().unwrap()[..C]
            .iter()
            .map(|(i, _)| *i)
            .collect();
        first.sort();
        assert_eq!(first, (0..C as u64).collect::<Vec<_>>());
    }

    /// Recorders are per runtime thread, not per task, and a file cell says
    /// how many blocking-pool threads its file steps used.
    #[test]
    fn one_recorder_per_runtime_thread_and_file_cells_note_the_blocking_pool() {
        const N: u64 = 400;
        let (dir, w, files) = crate::engine::testing::randread_cell("tokio", 4 << 20);
        for (engine, settings) in engines() {
            let plan = Plan {
                concurrency: 64,
                warmup: Duration::ZERO,
                bound: Bound::Requests(N),
                rate: None,
            };
            let workers = engine.workers(&plan, &settings);
            let progress = Progress::new(workers);
            let mut ctx = CellCtx::new(w.as_ref(), &files, plan, &settings, &progress);
            ctx.verify = true;
            let recorders = engine.run(&ctx).unwrap();
            assert_eq!(recorders.len(), workers, "{}", engine.name());
            assert_eq!(merge(recorders).requests, N);
            let notes = ctx.notes();
            assert_eq!(notes.len(), 1, "{notes:?}");
            let threads: usize = notes[0]
                .split_once("(spawn_blocking): ")
                .and_then(|(_, rest)| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no thread count in {:?}", notes[0]));
            assert!(
                (1..=BLOCKING_CAP).contains(&threads),
                "{}: {}",
                engine.name(),
                notes[0]
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
