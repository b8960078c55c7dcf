//! The `uring` engine: one thread, one io_uring, up to `concurrency` requests
//! in flight. Each request's steps are submitted in order, the next one when
//! the previous completes; the thread sleeps in io_uring_enter until at least
//! one completion arrives (no busy polling). Entries queued while reaping go
//! to the kernel in batches of `--submit-batch` (and the rest with the next
//! wait): one io_uring_enter per batch, not per operation.
//!
//! Compute steps run inline on the loop's thread, so while one computes every
//! other request in flight waits: the cost of CPU work on an event loop. The
//! `hybrid` engine shares this loop but hands compute steps to a pool.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use io_uring::{opcode, squeue, types};
use iobound_workloads::{Input, Kernel, Request};

use iobound_workloads::Model;

use super::{CellCtx, Engine, EngineError, OptionSet, Options, Settings};
use crate::exec::{IoBufs, Op, Steps, Todo};
use crate::load::{Clock, Plan, Slot};
use crate::record::Recorder;
use crate::ring;

pub struct Uring;

// Options of the io_uring completion loop (uring, hybrid). Plain comments:
// clap would make a doc comment the about text of every command it joins.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Engine uring (and hybrid)")]
pub struct RingOptions {
    /// Submit after every N new operations rather than once per wake-up
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SUBMIT_BATCH,
          value_parser = super::at_least_one)]
    pub submit_batch: usize,
}

/// Default `--submit-batch`. Measured on a 2-vCPU VM with virtio storage:
/// submitting only once every completion of a wake-up was reaped cost ~20% of
/// O_DIRECT IOPS at depth 32, while batches of 8 kept most of the syscall
/// savings on page-cache reads (see the closing notes of the foundation issue).
const DEFAULT_SUBMIT_BATCH: usize = 8;

impl Default for RingOptions {
    fn default() -> Self {
        RingOptions {
            submit_batch: DEFAULT_SUBMIT_BATCH,
        }
    }
}

impl OptionSet for RingOptions {
    const ID: &'static str = "ring";
}

pub(crate) const RING_OPTIONS: Options = Options::of::<RingOptions>();

impl Engine for Uring {
    fn name(&self) -> &'static str {
        "uring"
    }

    fn summary(&self) -> &'static str {
        "one thread, one io_uring, `concurrency` requests in flight; computes on that thread"
    }

    fn model(&self) -> Model {
        Model::EventLoop
    }

    fn caps(&self) -> super::Caps {
        super::Caps {
            needs_io_uring: true,
            ..super::Caps::ALL
        }
    }

    fn options(&self) -> &'static [&'static Options] {
        &[&RING_OPTIONS]
    }

    fn workers(&self, _plan: &Plan, _: &Settings) -> usize {
        1
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        run_loop(ctx, None)
    }
}

/// `user_data` of the eventfd read that wakes the loop for finished
/// offloaded computations; slot ids are below it.
const WAKE: u64 = u64::MAX;
/// Set in the `user_data` of an open-loop slot's wait for its next start.
const WAIT_BIT: u64 = 1 << 62;

/// Where compute steps go when they are not run inline: a rayon scope whose
/// tasks report `(slot, digest)` through `done` and wake the ring by writing
/// to `eventfd`, which the loop keeps a read posted on.
pub(crate) struct Offload<'s, 'scope> {
    pub scope: &'s rayon::Scope<'scope>,
    pub done: &'scope Mutex<Vec<(usize, u64)>>,
    pub eventfd: &'scope OwnedFd,
    /// Set by the first task to report since the loop last drained `done`:
    /// later tasks skip the eventfd write, one wake-up covers them all.
    pub signalled: &'scope AtomicBool,
}

/// Pointer to a slot's read buffer, handed to the pool task that hashes it.
struct ReadBuf(*const u8, usize);
// SAFETY: the slot that owns the buffer is parked until the task reports
// back, so nothing writes to the buffer while the task reads it.
unsafe impl Send for ReadBuf {}

/// The completion loop shared by `uring` (compute inline, `offload: None`)
/// and `hybrid` (compute on a pool).
pub(crate) fn run_loop<'scope>(
    ctx: &'scope CellCtx<'scope>,
    offload: Option<Offload<'_, 'scope>>,
) -> Result<Vec<Recorder>, EngineError> {
    let c = ctx.plan.concurrency;
    // One extra entry for the eventfd read.
    let entries = u32::try_from(c + 1)
        .unwrap_or(u32::MAX)
        .next_power_of_two()
        .max(8);
    let mut ring = ring::build_single_thread(entries).map_err(|source| EngineError::Uring {
        what: "cannot create a ring",
        source,
    })?;
    let fds = ctx.files.raw_fds();
    // The kernel refuses an empty table; a workload without files has no use for one.
    if !fds.is_empty() {
        ring.submitter()
            .register_files(&fds)
            .map_err(|source| EngineError::Uring {
                what: "cannot register files",
                source,
            })?;
    }
    // Buffers and (network workloads) one connection per slot, before the clock.
    let mut slots: Vec<InFlight> = Slot::all(&ctx.plan)
        .into_iter()
        .map(|slot| {
            Ok(InFlight {
                slot,
                bufs: ctx.new_bufs()?,
                steps: Steps::new(Request::new()),
                ticket: crate::load::Ticket {
                    index: 0,
                    measured: false,
                    intended: Instant::now(),
                },
                sent: Instant::now(),
                wait: types::Timespec::new(),
            })
        })
        .collect::<Result<_, EngineError>>()?;
    let mut rec = ctx.new_recorder();
    // The eventfd read's target; outlives every entry that points to it.
    let mut wake_buf = 0u64;
    let wake_entry = |buf: &mut u64, fd: &OwnedFd| {
        opcode::Read::new(types::Fd(fd.as_raw_fd()), (buf as *mut u64).cast(), 8)
            .build()
            .user_data(WAKE)
    };
    let clock = ctx.begin();
    let (submitter, mut sq, mut cq) = ring.split();
    let mut in_flight = 0usize;
    let mut computing = 0usize;
    // Slots whose next step is a computation this thread runs, in the order
    // they became ready: each waits for those before it, as tasks do on an
    // event loop's ready queue.
    let mut ready: VecDeque<usize> = VecDeque::with_capacity(c);
    let mut failure: Option<EngineError> = None;
    let batch = ctx.settings.get::<RingOptions>().submit_batch.max(1);
    let mut queued = 0usize;

    // Puts a slot's next step in motion: an entry on the ring, a computation
    // on the pool or on the ready queue, or nothing when the slot is done.
    // A macro, not a closure: it borrows the ring, the slots and the counters
    // that the loop around it also uses.
    macro_rules! dispatch {
        ($id:expr, $next:expr) => {
            match $next {
                Next::Io(entry) | Next::Wait(entry) => {
                    // SAFETY: the entry points into the slot's buffers, which live
                    // in `slots` until this function returns, and we only return
                    // once nothing is in flight (or leak them in `abandon`).
                    unsafe { sq.push(&entry) }.expect("ring sized for every slot");
                    in_flight += 1;
                    queued += 1;
                    if queued >= batch {
                        // Hand a full batch to the kernel now rather than after
                        // the whole completion batch: the device starts sooner.
                        sq.sync();
                        if let Err(source) = retry_transient(submitter.submit()) {
                            return Err(abandon(slots, source));
                        }
                        sq.sync();
                        queued = 0;
                    }
                }
                Next::Compute(kernel, input) => match &offload {
                    None => ready.push_back($id),
                    Some(o) => {
                        let id = $id;
                        let read = &slots[id].bufs.read;
                        let read = ReadBuf(read.as_slice().as_ptr(), read.len());
                        let files = ctx.files;
                        let (done, fd, signalled) = (o.done, o.eventfd, o.signalled);
                        computing += 1;
                        o.scope.spawn(move |_| {
                            let read = read;
                            // SAFETY: see `ReadBuf`: the buffer is alive and
                            // unchanged until this task reports back.
                            let last_read = unsafe { std::slice::from_raw_parts(read.0, read.1) };
                            let digest = files.compute(kernel, input, last_read);
                            done.lock()
                                .expect("no panics while holding it")
                                .push((id, digest));
                            if !signalled.swap(true, Ordering::AcqRel) {
                                wake(fd);
                            }
                        });
                    }
                },
                Next::Idle => {}
            }
        };
    }
    // A slot's computation finished with `digest`: move it on.
    macro_rules! computed {
        ($id:expr, $digest:expr) => {
            let id = $id;
            let s = &mut slots[id];
            s.steps.computed($digest);
            let next = s.advance(ctx, &clock, &mut rec, id, Instant::now());
            dispatch!(id, next);
        };
    }

    let now = Instant::now();
    for id in 0..slots.len() {
        let next = match slots[id].begin_next(ctx, &clock, now) {
            Begin::Idle => Next::Idle,
            Begin::Go => slots[id].first(ctx, id),
            Begin::At(at) => Next::Wait(slots[id].wait_entry(at, id)),
        };
        dispatch!(id, next);
    }
    if let Some(o) = &offload {
        // SAFETY: `wake_buf` outlives the read: this function completes the
        // read before it returns.
        unsafe { sq.push(&wake_entry(&mut wake_buf, o.eventfd)) }.expect("ring has room");
    }

    while in_flight > 0 || computing > 0 || !ready.is_empty() {
        sq.sync();
        cq.sync();
        queued = 0;
        // Sleep for a completion only when there is nothing to compute. Past
        // the deadline, wake at least every second, so a peer that never
        // answers is noticed (before it, the plain wait is cheaper).
        let want = usize::from(ready.is_empty());
        let late = clock.deadline.is_some_and(|d| Instant::now() > d);
        if want > 0 || !sq.is_empty() {
            let r = if late {
                let args = types::SubmitArgs::new().timespec(&TICK);
                match submitter.submit_with_args(want, &args) {
                    Err(e) if e.raw_os_error() == Some(libc::ETIME) => Ok(0),
                    r => r,
                }
            } else {
                submitter.submit_and_wait(want)
            };
            if let Err(source) = retry_transient(r) {
                return Err(abandon(slots, source));
            }
        }
        // Learn how many entries the kernel consumed, so pushes see free space.
        sq.sync();
        cq.sync();
        if late && cq.is_empty() && want > 0 {
            // A whole tick without a completion, long past the deadline.
            if clock
                .deadline
                .is_some_and(|d| Instant::now() > d + super::STALL)
            {
                return Err(abandon_stalled(slots, in_flight));
            }
        }
        for cqe in &mut cq {
            if cqe.user_data() == WAKE {
                let o = offload.as_ref().expect("wake only with a pool");
                // Cleared before draining: a task reporting after the drain
                // sees it clear and wakes the loop again.
                o.signalled.store(false, Ordering::Release);
                let finished =
                    std::mem::take(&mut *o.done.lock().expect("no panics while holding it"));
                for (id, digest) in finished {
                    computing -= 1;
                    computed!(id, digest);
                }
                // SAFETY: as for the first eventfd read.
                unsafe { sq.push(&wake_entry(&mut wake_buf, o.eventfd)) }.expect("ring has room");
                continue;
            }
            in_flight -= 1;
            if cqe.user_data() & WAIT_BIT != 0 {
                // An open-loop slot's next request is due: send it.
                let id = (cqe.user_data() & !WAIT_BIT) as usize;
                slots[id].sent = Instant::now();
                let next = slots[id].first(ctx, id);
                dispatch!(id, next);
                continue;
            }
            let id = cqe.user_data() as usize;
            let s = &mut slots[id];
            let now = Instant::now();
            let res = cqe.result();
            let moved = if res < 0 {
                Err(std::io::Error::from_raw_os_error(-res))
            } else {
                Ok(res as usize)
            };
            if let Err(e) = s.steps.completed(ctx.files, moved, &mut s.bufs, ctx.verify) {
                // Once the cell stops, its shut-down connections fail their
                // requests: the slot just ends.
                if let Some(e) = ctx.failed(e) {
                    failure.get_or_insert(e.into());
                }
                continue;
            }
            // The same step's next operation (the rest of a send, a
            // receive), or the next step, or the slot's next request.
            let next = s.advance(ctx, &clock, &mut rec, id, now);
            dispatch!(id, next);
        }
        // One round of the ready queue: slots that become ready during it
        // wait for the next round, after the ring has been looked at again.
        // The loop thread computes, and every other request waits meanwhile.
        for _ in 0..ready.len() {
            let id = ready.pop_front().expect("counted");
            let s = &mut slots[id];
            let Todo::Compute(kernel, input) = s.steps.next(ctx.files, &mut s.bufs) else {
                unreachable!("only compute steps are queued as ready");
            };
            let digest = ctx.files.compute(kernel, input, s.bufs.read.as_slice());
            computed!(id, digest);
        }
    }
    if let Some(o) = &offload {
        // Complete the posted eventfd read before `wake_buf` goes away.
        wake(o.eventfd);
        loop {
            sq.sync();
            if let Err(source) = retry_transient(submitter.submit_and_wait(1)) {
                return Err(abandon(slots, source));
            }
            cq.sync();
            if cq.any(|cqe| cqe.user_data() == WAKE) {
                break;
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(vec![rec]),
    }
}

/// Adds one to an eventfd's counter, waking a read posted on it.
fn wake(fd: &OwnedFd) {
    let one = 1u64.to_ne_bytes();
    // SAFETY: writes 8 bytes from a live local buffer to an fd we own. An
    // eventfd write fails only when the counter would overflow, which takes
    // 2^64 unread wakes: ignoring the result is safe.
    unsafe { libc::write(fd.as_raw_fd(), one.as_ptr().cast(), one.len()) };
}

/// What a slot does next.
enum Next {
    Io(squeue::Entry),
    /// A timeout until its next request is due (open loop).
    Wait(squeue::Entry),
    Compute(Kernel, Input),
    Idle,
}

/// How long the loop sleeps at most before it looks at the clock again.
const TICK: types::Timespec = types::Timespec::new().sec(1);

/// Gives up on requests that stopped completing, leaking their buffers as
/// [`abandon`] does: the kernel may still complete them.
fn abandon_stalled(slots: Vec<InFlight>, in_flight: usize) -> EngineError {
    std::mem::forget(slots);
    EngineError::Stalled {
        in_flight,
        secs: super::STALL.as_secs(),
    }
}

/// Gives up on a ring the kernel refuses to enter. Operations may still be
/// in flight and point into the slots' buffers: leak them rather than free
/// memory the kernel may still write to.
fn abandon(slots: Vec<InFlight>, source: std::io::Error) -> EngineError {
    std::mem::forget(slots);
    EngineError::Uring {
        what: "io_uring_enter failed",
        source,
    }
}

/// Treats interruptions and momentary resource shortage as success: the
/// entries stay queued and go to the kernel at the next submission.
fn retry_transient(r: std::io::Result<usize>) -> std::io::Result<usize> {
    match r {
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EINTR | libc::EAGAIN | libc::EBUSY)
            ) =>
        {
            Ok(0)
        }
        other => other,
    }
}

/// A slot's current request and where it stands.
struct InFlight {
    slot: Slot,
    bufs: IoBufs,
    steps: Steps,
    /// The request's number, whether it is measured, and when it was
    /// meant to start (latency counts from there).
    ticket: crate::load::Ticket,
    /// When it was actually sent (open loop: the uncorrected latency's start).
    sent: Instant,
    /// Open loop: how long to wait for the next intended start; the kernel
    /// reads it when the timeout entry is submitted.
    wait: types::Timespec,
}

/// How a slot's next request begins.
enum Begin {
    /// The slot has no more requests.
    Idle,
    /// Now.
    Go,
    /// At its intended start, later (open loop).
    At(Instant),
}

impl InFlight {
    /// Sets up the slot's next request, intended to start at `now` in a
    /// closed loop, or at its place on the schedule in an open loop.
    fn begin_next(&mut self, ctx: &CellCtx<'_>, clock: &Clock, now: Instant) -> Begin {
        let Some(t) = self.slot.next(clock, now, &ctx.abort) else {
            return Begin::Idle;
        };
        self.steps = Steps::new(ctx.workload.request(t.index));
        self.sent = now;
        self.ticket = t;
        if self.steps.is_empty() {
            Begin::Idle
        } else if t.intended > now {
            Begin::At(t.intended)
        } else {
            Begin::Go
        }
    }

    /// What the slot's current step waits on.
    fn first(&mut self, ctx: &CellCtx<'_>, id: usize) -> Next {
        match self.steps.next(ctx.files, &mut self.bufs) {
            Todo::Compute(kernel, input) => Next::Compute(kernel, input),
            Todo::Io(op) => Next::Io(self.entry_for(op, id)),
            Todo::Done(_) => unreachable!("a request is begun only with steps left"),
        }
    }

    /// A timeout entry that ends when the slot's next request is due.
    fn wait_entry(&mut self, at: Instant, id: usize) -> squeue::Entry {
        let d = at.saturating_duration_since(Instant::now());
        self.wait = types::Timespec::new()
            .sec(d.as_secs())
            .nsec(d.subsec_nanos());
        opcode::Timeout::new(&self.wait as *const types::Timespec)
            .build()
            .user_data(id as u64 | WAIT_BIT)
    }

    /// Moves the slot past a finished step: records a finished request and
    /// starts the next. Says what the slot waits for now.
    fn advance(
        &mut self,
        ctx: &CellCtx<'_>,
        clock: &Clock,
        rec: &mut Recorder,
        id: usize,
        now: Instant,
    ) -> Next {
        if self.steps.finished() {
            ctx.record(rec, 0, &self.ticket, self.sent, now, self.steps.done());
            match self.begin_next(ctx, clock, now) {
                Begin::Idle => return Next::Idle,
                Begin::At(at) => return Next::Wait(self.wait_entry(at, id)),
                Begin::Go => {}
            }
        }
        self.first(ctx, id)
    }

    /// The submission entry for `op`, the slot's current operation.
    fn entry_for(&mut self, op: Op, id: usize) -> squeue::Entry {
        let sock = || types::Fd(self.bufs.conn.as_ref().map_or(-1, |c| c.as_raw_fd()));
        let entry = match op {
            Op::Send { off, len } => {
                // SAFETY: `off + len` lies within the write buffer (the frame
                // was encoded there).
                let p = unsafe { self.bufs.write.as_mut_ptr().add(off as usize) };
                opcode::Send::new(sock(), p, len)
                    .flags(libc::MSG_NOSIGNAL)
                    .build()
            }
            Op::Recv { off } => {
                let cap = (self.bufs.read.len() - off as usize) as u32;
                // SAFETY: `off` is at most the read buffer's length.
                let p = unsafe { self.bufs.read.as_mut_ptr().add(off as usize) };
                opcode::Recv::new(sock(), p, cap).build()
            }
            Op::Read { file, offset, len } => {
                opcode::Read::new(types::Fixed(file as u32), self.bufs.read.as_mut_ptr(), len)
                    .offset(offset)
                    .build()
            }
            Op::Write { file, offset, len } => {
                opcode::Write::new(types::Fixed(file as u32), self.bufs.write.as_mut_ptr(), len)
                    .offset(offset)
                    .build()
            }
            Op::Fdatasync { file } => opcode::Fsync::new(types::Fixed(file as u32))
                .flags(types::FsyncFlags::DATASYNC)
                .build(),
        };
        entry.user_data(id as u64)
    }
}
