//! The `rayon` engine: every request is a task on a rayon pool sized for CPU
//! work (one thread per core by default), doing the same blocking syscalls.
//! A pool is the right tool for computation; for I/O its few threads all
//! block and queued requests wait their turn — this engine makes that visible.
//!
//! Closed loop: each slot's next request is spawned (FIFO) when its previous
//! one completes, so `concurrency` tasks are queued or running at all times.
//! A request's latency runs from its spawn, so time spent queued counts.
//! rayon's FIFO order is per worker thread: a task goes to the queue of the
//! thread that spawned it, and a thread serves its own queue before it
//! steals. The first C tasks all start in the calling thread's queue; a
//! thread that stole one spawns that slot's next request into its own, near
//! empty, queue and runs it at once. With many slots on few threads the
//! latencies come out bimodal (db-web at C = 256 on 2 threads: p50 ~33 ms,
//! one request's own time, against p99 ~4.5 s, a wait through the long
//! queue): that is how a rayon pool fed from its own tasks behaves, and the
//! report quotes the p99.
//! rayon allocates each spawned job on the heap; that cost belongs to the model.

use std::cell::RefCell;
use std::sync::Mutex;
use std::time::Instant;

use rayon::{ScopeFifo, ThreadPool, ThreadPoolBuilder};

use iobound_workloads::Model;

use super::{blocking_request, CellCtx, Engine, EngineError, OptionSet, Settings};
use crate::exec::IoBufs;
use crate::load::{Clock, Plan, Slot};
use crate::record::Recorder;

pub struct Rayon;

// Options of the rayon pool (rayon, hybrid). Plain comments: clap would make
// a doc comment the about text of every command it joins.
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Engine rayon (and hybrid)")]
pub struct Options {
    /// Threads of the rayon pool [default: one per core]
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    pub pool_threads: Option<usize>,
}

impl Options {
    /// The pool's size: as given, or one thread per core.
    pub fn threads(&self) -> usize {
        super::or_per_core(self.pool_threads)
    }
}

impl OptionSet for Options {
    const ID: &'static str = "pool";
}

pub(crate) const POOL_OPTIONS: super::Options = super::Options::of::<Options>();

thread_local! {
    // Each pool thread records into its own recorder: no lock per request.
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
    static CONN: RefCell<Option<std::net::TcpStream>> = const { RefCell::new(None) };
}

impl Engine for Rayon {
    fn name(&self) -> &'static str {
        "rayon"
    }

    fn summary(&self) -> &'static str {
        "each request a task on a rayon pool of one thread per core, blocking syscalls"
    }

    fn model(&self) -> Model {
        Model::Pool
    }

    fn options(&self) -> &'static [&'static super::Options] {
        &[&POOL_OPTIONS]
    }

    fn threads_needed(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<Options>().threads()
    }

    fn connections(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<Options>().threads()
    }

    fn workers(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<Options>().threads()
    }

    fn pool_size(&self, _plan: &Plan, s: &Settings) -> Option<usize> {
        Some(s.get::<Options>().threads())
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        // The calling thread joins the pool as worker 0 (it would otherwise
        // sit blocked in the scope), so the pool is exactly `pool_threads`.
        let pool = build(
            ctx.settings.get::<Options>().threads(),
            "iobound-rayon",
            true,
        )?;
        // Each pool thread's recorder and connection, set up before the
        // clock starts.
        let set_up = pool.broadcast(|_| {
            RECORDER.with(|r| *r.borrow_mut() = Some(ctx.new_recorder()));
            let bufs = ctx.new_bufs()?;
            CONN.with(|c| *c.borrow_mut() = bufs.conn);
            Ok::<(), EngineError>(())
        });
        set_up.into_iter().collect::<Result<(), _>>()?;
        // The slots' buffers carry no connection: a task borrows its thread's.
        let tasks: Vec<Task> = Slot::all(&ctx.plan)
            .into_iter()
            .map(|slot| Task {
                slot,
                bufs: IoBufs::new(ctx.workload.max_transfer()),
                start: Instant::now(),
            })
            .collect();
        let first_error: Mutex<Option<EngineError>> = Mutex::new(None);
        let clock = ctx.begin();
        let start = Instant::now();
        pool.scope_fifo(|s| {
            for mut task in tasks {
                task.start = start;
                s.spawn_fifo(|s| task.run(s, ctx, &clock, &first_error));
            }
        });
        if let Some(e) = first_error
            .into_inner()
            .expect("no panics while holding it")
        {
            return Err(e);
        }
        Ok(pool
            .broadcast(|_| RECORDER.with(|r| r.borrow_mut().take()))
            .into_iter()
            .map(|r| r.expect("set by the first broadcast"))
            .collect())
    }
}

/// A rayon pool of `threads` threads named `{name}{i}`. With
/// `use_current_thread`, the calling thread is one of them.
pub(crate) fn build(
    threads: usize,
    name: &'static str,
    use_current_thread: bool,
) -> Result<ThreadPool, EngineError> {
    let mut b = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("{name}{i}"));
    if use_current_thread {
        b = b.use_current_thread();
    }
    b.build().map_err(|e| EngineError::Pool(e.to_string()))
}

/// A slot's next request, carried from task to task with its buffers.
struct Task {
    slot: Slot,
    bufs: IoBufs,
    start: Instant,
}

impl Task {
    fn run<'s>(
        mut self,
        s: &ScopeFifo<'s>,
        ctx: &'s CellCtx<'_>,
        clock: &'s Clock,
        first_error: &'s Mutex<Option<EngineError>>,
    ) {
        let worker = rayon::current_thread_index().expect("runs on the pool");
        // One connection per pool thread: the task borrows its thread's for
        // the length of the request.
        self.bufs.conn = CONN.with(|c| c.borrow_mut().take());
        let outcome = RECORDER.with(|r| {
            let mut r = r.borrow_mut();
            let rec = r.as_mut().expect("set by the first broadcast");
            blocking_request(
                ctx,
                clock,
                &mut self.slot,
                &mut self.bufs,
                rec,
                worker,
                self.start,
            )
        });
        CONN.with(|c| *c.borrow_mut() = self.bufs.conn.take());
        match outcome {
            Ok(Some(end)) => {
                self.start = end;
                s.spawn_fifo(move |s| self.run(s, ctx, clock, first_error));
            }
            Ok(None) => {}
            Err(e) => {
                first_error.lock().expect("not poisoned").get_or_insert(e);
            }
        }
    }
}
