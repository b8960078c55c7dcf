//! The `glommio` and `glommio-mt` engines: the same request steps on
//! glommio 0.9, Datadog's io_uring thread-per-core runtime, run the way its
//! users run it. `glommio`: one `LocalExecutor` on one thread, one task per
//! slot (`concurrency` tasks), compute steps inline in the task that reaches
//! them (each after a yield, so it waits its turn in glommio's run queue as
//! uring's wait in its ready queue), so while one request computes every
//! other one on the executor waits. `glommio-mt`: glommio's thread-per-core
//! form — one executor per CPU the process may run on, each pinned to the
//! CPU `PoolPlacement::MaxSpread` picks for it, the slots dealt out between
//! them (slot `s` on executor `s mod N`), each executor with its own files,
//! connections and recorder, sharing nothing while the clock runs. The
//! executors are built one per scoped thread, as `LocalExecutorPoolBuilder`
//! builds them, because its `on_all_shards` wants `'static` futures and a
//! cell's context is borrowed. It is a mode of its own, not an option of
//! `glommio`, because a cell's concurrency model must follow from its mode
//! name: one event loop and one per core are different models.
//!
//! What glommio does with each step, and what that costs here:
//! - Files: with `--direct`, a `DmaFile` (O_DIRECT, on glommio's main ring,
//!   or its IOPOLL ring where the device supports polling). Reads use
//!   `read_at_aligned`, which returns a buffer glommio allocated from its
//!   registered I/O memory (READ_FIXED); writes need a `DmaBuffer` from that
//!   memory too (WRITE_FIXED). Without `--direct`, a `BufferedFile`, which
//!   does positional reads and writes through the page cache (plain
//!   READ/WRITE; its writes take a `Vec<u8>`).
//! - Copies: glommio's file API owns its buffers, so it cannot read into or
//!   write from the slot's [`IoBufs`]. A read's result is used where it lies:
//!   compute steps hash it in place, and it is copied into the slot's read
//!   buffer only under `--verify` (which checks content there). A write's
//!   payload is stamped by [`crate::exec::FileSet::resolve`] into the slot's write
//!   buffer, so each write copies its `len` bytes into a fresh `DmaBuffer`
//!   (O_DIRECT) or `Vec` (buffered): one memcpy of the block per write, plus
//!   an allocation for buffered writes, which the other engines do not pay.
//! - Network: glommio's `TcpStream`, one per slot, connected inside the
//!   executor before the clock starts (`TcpStream::connect`, io_uring
//!   CONNECT, then `TCP_NODELAY`; the harness's own connection is never
//!   opened). glommio sends and receives with non-blocking syscalls straight
//!   into the slot's buffers, and waits for readiness with io_uring POLL_ADD
//!   when they would block: readiness-based like epoll, not io_uring
//!   SEND/RECV. No copies.
//! - Open loop: `glommio::timer::sleep` until each request's intended start.
//!
//! Fallbacks glommio takes without a word, and what this engine does about
//! them: it registers its I/O memory with io_uring only if locked memory
//! allows (otherwise a log line nobody sees, and O_DIRECT I/O goes through
//! unregistered buffers): checked inside each executor, and noted in the
//! cell. When that memory runs out it serves buffers from the standard
//! allocator, unregistered: the engine sizes it for everything a cell can
//! hold in flight, and notes a `--glommio-io-memory` below that. glommio
//! refuses to start below 512 KiB of locked memory: such cells are skipped
//! with the reason.
//!
//! This module holds the two engines, their options and the checks made
//! before a cell starts; `shard` runs one executor: its files, connections
//! and one task per slot.

mod shard;

use std::sync::{Condvar, Mutex};

use ::glommio::{CpuSet, LocalExecutorBuilder, Placement, PoolPlacement};
use iobound_workloads::{Model, Workload};

use self::shard::executor;
use super::{CellCtx, Engine, EngineError, OptionSet, Settings};
use crate::load::{Plan, Slot};
use crate::record::Recorder;

pub struct Glommio;

// Options of the glommio executors. A plain comment, not a doc comment:
// clap would make a doc comment the about text of `run` and `fio`.
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Engine glommio")]
pub struct GlommioOptions {
    /// I/O memory each glommio executor registers with io_uring for O_DIRECT
    /// buffers; its three rings pin it thrice, so without CAP_IPC_LOCK it
    /// needs 3x as much locked memory (ulimit -l) [default: what the cell
    /// can have in flight, at least glommio's own 10 MiB]
    #[arg(long, value_name = "SIZE", value_parser = io_memory_arg)]
    pub glommio_io_memory: Option<u64>,
}

/// `--glommio-io-memory`: from 1 MiB (glommio needs some) to 1 GiB (it
/// pins it three times; more failed inside glommio with a panic).
fn io_memory_arg(s: &str) -> Result<u64, String> {
    let v = iobound_workloads::units::size_arg(s)?;
    if (1 << 20..=1 << 30).contains(&v) {
        Ok(v)
    } else {
        Err(format!("'{s}': give 1M to 1G"))
    }
}

impl OptionSet for GlommioOptions {
    const ID: &'static str = "glommio";
}

const OPTIONS: super::Options = super::Options::of::<GlommioOptions>();

/// glommio's own default I/O memory per executor.
const DEFAULT_IO_MEMORY: usize = 10 << 20;
/// glommio refuses to build an executor below this RLIMIT_MEMLOCK.
const MIN_MEMLOCK: u64 = 512 << 10;

impl Engine for Glommio {
    fn name(&self) -> &'static str {
        "glommio"
    }

    fn summary(&self) -> &'static str {
        "glommio 0.9: one LocalExecutor (io_uring), one task per outstanding request; computes on that thread"
    }

    fn model(&self) -> Model {
        Model::EventLoop
    }

    fn caps(&self) -> super::Caps {
        super::Caps::IO_URING
    }

    fn options(&self) -> &'static [&'static super::Options] {
        &[&OPTIONS]
    }

    fn unsupported(&self, _: &dyn Workload, _: bool, _: &Plan, _: &Settings) -> Option<String> {
        memlock_too_low()
    }

    /// The executor's thread (the caller) and the one thread of glommio's
    /// blocking pool every executor starts.
    fn threads_needed(&self, _plan: &Plan, _: &Settings) -> usize {
        2
    }

    fn workers(&self, _plan: &Plan, _: &Settings) -> usize {
        1
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        let builder = LocalExecutorBuilder::new(Placement::Unbound).name("iobound-glommio");
        let rec = executor(ctx, builder, 0, Slot::all(&ctx.plan), &Gate::new(1))?;
        Ok(vec![rec])
    }
}

pub struct GlommioMt;

impl Engine for GlommioMt {
    fn name(&self) -> &'static str {
        "glommio-mt"
    }

    fn summary(&self) -> &'static str {
        "glommio 0.9 thread per core: one LocalExecutor per CPU, pinned (MaxSpread), slots split between them; each computes on its thread"
    }

    fn model(&self) -> Model {
        Model::EventLoops
    }

    fn caps(&self) -> super::Caps {
        Glommio.caps()
    }

    fn options(&self) -> &'static [&'static super::Options] {
        &[&OPTIONS]
    }

    fn unsupported(&self, _: &dyn Workload, _: bool, _: &Plan, _: &Settings) -> Option<String> {
        memlock_too_low()
    }

    /// Each executor's thread and its blocking-pool thread, and the
    /// calling thread, which waits for them.
    fn threads_needed(&self, plan: &Plan, s: &Settings) -> usize {
        2 * self.workers(plan, s) + 1
    }

    /// One executor per CPU, but never more than there are slots.
    fn workers(&self, plan: &Plan, _: &Settings) -> usize {
        allowed_cpus().len().min(plan.concurrency).max(1)
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        let n = self.workers(&ctx.plan, ctx.settings);
        let allowed = allowed_cpus();
        let cpus: CpuSet = CpuSet::online()
            .map_err(|e| EngineError::Other(format!("glommio cannot read the CPU topology: {e}")))?
            .filter(|l| allowed.contains(&l.cpu));
        let placement = |n| PoolPlacement::MaxSpread(n, Some(cpus.clone()));
        // The CPUs LocalExecutorPoolBuilder would pin its executors to.
        let mut spread = placement(n)
            .generate_cpu_set()
            .map_err(|e| EngineError::Other(format!("glommio cannot place {n} executors: {e}")))?;
        let mut shards: Vec<(Option<usize>, Vec<Slot>)> = (0..n)
            .map(|_| {
                let cpu = spread
                    .next()
                    .cpu_binding()
                    .and_then(|b| b.into_iter().next());
                (cpu, Vec::new())
            })
            .collect();
        for (i, slot) in Slot::all(&ctx.plan).into_iter().enumerate() {
            shards[i % n].1.push(slot);
        }
        let ready = Gate::new(n);
        std::thread::scope(|s| {
            let mut handles = Vec::with_capacity(n);
            for (worker, (cpu, slots)) in shards.into_iter().enumerate() {
                let (ready, blocking) = (&ready, placement(1));
                let h = std::thread::Builder::new()
                    .name(format!("iobound-glommio{worker}"))
                    .spawn_scoped(s, move || {
                        // As the pool builder does: each executor pinned to
                        // its CPU, its one blocking thread placed by the
                        // same policy.
                        let b = LocalExecutorBuilder::new(
                            cpu.map_or(Placement::Unbound, Placement::Fixed),
                        )
                        .name("iobound-glommio")
                        .blocking_thread_pool_placement(blocking);
                        executor(ctx, b, worker, slots, ready)
                    });
                match h {
                    Ok(h) => handles.push(h),
                    Err(e) => {
                        // Started executors stop at once once they pass the gate.
                        ctx.fail();
                        ready.open();
                        return Err(EngineError::Spawn(e));
                    }
                }
            }
            super::join_workers(
                ctx,
                handles,
                "a glommio executor",
                Vec::with_capacity(n),
                None,
            )
        })
    }
}

/// The CPUs this process may run on (`--pin` narrows them), in order.
fn allowed_cpus() -> Vec<usize> {
    let cpus = crate::placement::affinity(0);
    if cpus.is_empty() {
        (0..std::thread::available_parallelism().map_or(1, |n| n.get())).collect()
    } else {
        cpus
    }
}

/// Where a cell's executors wait for each other once set up, so the clock
/// starts when all are ready; `open` lets them all through early (a cell
/// that failed before all could start).
struct Gate {
    expected: usize,
    state: Mutex<(usize, bool)>,
    opened: Condvar,
}

impl Gate {
    fn new(expected: usize) -> Self {
        Gate {
            expected,
            state: Mutex::new((0, false)),
            opened: Condvar::new(),
        }
    }

    fn arrive_and_wait(&self) {
        let mut s = self.state.lock().expect("never poisoned");
        s.0 += 1;
        if s.0 >= self.expected {
            s.1 = true;
            self.opened.notify_all();
        }
        while !s.1 {
            s = self.opened.wait(s).expect("never poisoned");
        }
    }

    fn open(&self) {
        self.state.lock().expect("never poisoned").1 = true;
        self.opened.notify_all();
    }
}

/// The soft RLIMIT_MEMLOCK, in bytes.
fn memlock_limit() -> u64 {
    // SAFETY: getrlimit fills the struct we pass.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut r) != 0 {
            return u64::MAX;
        }
        r.rlim_cur
    }
}

/// Why no glommio executor can start here, if none can.
fn memlock_too_low() -> Option<String> {
    let limit = memlock_limit();
    (limit < MIN_MEMLOCK).then(|| {
        format!(
            "glommio refuses to start with a locked-memory limit below {} KiB, and RLIMIT_MEMLOCK is {} KiB here (raise it with ulimit -l)",
            MIN_MEMLOCK >> 10,
            limit >> 10
        )
    })
}

/// I/O memory that `slots` slots of this workload can hold at once: each
/// slot holds at most one read result and one write buffer, which glommio's
/// buddy allocator rounds up to a power of two of at least 4 KiB; twice
/// that, for the allocator's own bookkeeping and fragmentation.
fn io_memory_needed(w: &dyn Workload, slots: usize) -> usize {
    if w.files().is_empty() {
        return 0;
    }
    let block = w.max_transfer().max(4096).next_power_of_two();
    slots.saturating_mul(block).saturating_mul(4)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::FileSet;
    use crate::load::Bound;
    use crate::record::{merge, Progress};
    use iobound_workloads::{Input, Kernel, Request, Step};
    use std::sync::Mutex;
    use std::time::Duration;

    fn uring_here() -> bool {
        let ok = crate::ring::UringSupport::detect().available && memlock_too_low().is_none();
        if !ok {
            crate::errln!("skipping: io_uring or locked memory unavailable here");
        }
        ok
    }

    /// Requests of one small compute step each, remembering which request
    /// numbers were asked for.
    struct Hashes(Mutex<Vec<u64>>);

    impl Workload for Hashes {
        fn name(&self) -> &'static str {
            "test-hashes"
        }
        fn files(&self) -> &[iobound_workloads::FileSpec] {
            &[]
        }
        fn max_transfer(&self) -> usize {
            64
        }
        fn compute_input(&self) -> usize {
            4096
        }
        fn computes(&self) -> bool {
            true
        }
        fn request(&self, i: u64) -> Request {
            self.0.lock().unwrap().push(i);
            Request::one(Step::Compute {
                kernel: Kernel::Sha256,
                input: Input::Shared {
                    offset: 0,
                    len: 4096,
                },
            })
        }
    }

    /// glommio never preempts a task: without a yield before each compute
    /// step, the first slot of a compute-only cell would run every request
    /// until the deadline and the other slots none.
    #[test]
    fn compute_only_slots_take_turns() {
        if !uring_here() {
            return;
        }
        const C: usize = 4;
        let w = Hashes(Mutex::new(Vec::new()));
        let files = FileSet::open(&[], false)
            .unwrap()
            .with_compute_input(w.compute_input());
        let plan = Plan {
            concurrency: C,
            warmup: Duration::ZERO,
            bound: Bound::Duration(Duration::from_millis(200)),
            rate: None,
        };
        let settings = Settings::default();
        let progress = Progress::new(Glommio.workers(&plan, &settings));
        let ctx = CellCtx::new(&w, &files, plan, &settings, &progress);
        let totals = merge(Glommio.run(&ctx).unwrap());
        assert!(totals.requests > 0);
        let asked = w.0.into_inner().unwrap();
        for slot in 0..C as u64 {
            let n = asked.iter().filter(|&&i| i % C as u64 == slot).count();
            assert!(n > 1, "slot {slot} ran {n} of {} requests", asked.len());
        }
    }

    /// An I/O memory below what the slots may hold is run as asked, and
    /// the cell says what it means.
    #[test]
    fn small_io_memory_is_noted() {
        if !uring_here() {
            return;
        }
        let (dir, w, files) = crate::engine::testing::randread_cell("glommio", 1 << 20);
        let plan = Plan {
            concurrency: 64,
            warmup: Duration::ZERO,
            bound: Bound::Requests(200),
            rate: None,
        };
        let settings = Settings::default().with(&GlommioOptions {
            glommio_io_memory: Some(64 << 10),
        });
        let progress = Progress::new(Glommio.workers(&plan, &settings));
        let mut ctx = CellCtx::new(w.as_ref(), &files, plan, &settings, &progress);
        ctx.verify = true;
        let totals = merge(Glommio.run(&ctx).unwrap());
        assert_eq!(totals.requests, 200);
        let notes = ctx.notes();
        assert!(
            notes
                .iter()
                .any(|n| n.contains("--glommio-io-memory 0.1 MiB is below")),
            "{notes:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
