//! The completion loop `uring` and `hybrid` share: one ring, every slot's
//! next operation on it, completions reaped in batches, compute steps run
//! on the loop's thread from a ready queue or handed to a pool.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use io_uring::{opcode, squeue, types, CompletionQueue, SubmissionQueue, Submitter};

use super::setup::{open_ring, register};
use super::slot::{Begin, InFlight, Next, Registered, WAIT_BIT};
use super::RingOptions;
use crate::engine::{CellCtx, EngineError};
use crate::exec::Todo;
use crate::load::Clock;
use crate::record::Recorder;
use crate::ring;

/// `user_data` of the eventfd read that wakes the loop for finished
/// offloaded computations; slot ids are below it.
const WAKE: u64 = u64::MAX;

/// Where compute steps go when they are not run inline: a rayon scope whose
/// tasks report `(slot, digest)` through `done` and wake the ring by writing
/// to `eventfd`, which the loop keeps a read posted on.
#[derive(Clone, Copy)]
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
    let opts = ctx.settings.get::<RingOptions>();
    let (mut ring, mut setup) = open_ring(ctx, &opts)?;
    // Buffers and (network workloads) one connection per slot, before the clock.
    let slots = InFlight::open_all(ctx)?;
    let reg = register(ctx, &ring, &slots, &opts, &mut setup)?;
    let rec = ctx.new_recorder();
    // The eventfd read's target; outlives every entry that points to it.
    let mut wake_buf = 0u64;
    let clock = ctx.begin();
    let (submitter, sq, cq) = ring.split();
    let mut lp = Loop {
        ctx,
        offload,
        submitter,
        sq,
        cq,
        clock,
        slots,
        rec,
        wake_buf: std::ptr::addr_of_mut!(wake_buf),
        in_flight: 0,
        computing: 0,
        ready: VecDeque::with_capacity(c),
        failure: None,
        batch: opts.submit_batch.max(1),
        wait_count: opts.wait_count.max(1),
        reg,
        queued: 0,
    };
    lp.start()?;
    while lp.in_flight > 0 || lp.computing > 0 || !lp.ready.is_empty() {
        lp.enter()?;
        lp.reap()?;
        lp.compute_ready()?;
    }
    let recorders = lp.finish();
    // Read before the ring goes, and its thread with it.
    if setup.flags.iter().any(|f| f == "SQPOLL") {
        setup.sq_thread_cpu_ns =
            crate::resources::threads_cpu(ring::SQ_THREAD).map(|d| d.as_nanos() as u64);
    }
    ctx.set_ring(setup);
    recorders
}

/// The loop's state between its steps: the ring's halves, the slots, and
/// what is in flight, computing or waiting to compute.
struct Loop<'r, 'o, 'scope> {
    ctx: &'scope CellCtx<'scope>,
    offload: Option<Offload<'o, 'scope>>,
    submitter: Submitter<'r>,
    sq: SubmissionQueue<'r>,
    cq: CompletionQueue<'r>,
    clock: Clock,
    slots: Vec<InFlight>,
    rec: Recorder,
    /// `run_loop`'s `wake_buf`, which stays where it is while reads target it.
    wake_buf: *mut u64,
    in_flight: usize,
    computing: usize,
    /// Slots whose next step is a computation this thread runs, in the order
    /// they became ready: each waits for those before it, as tasks do on an
    /// event loop's ready queue.
    ready: VecDeque<usize>,
    failure: Option<EngineError>,
    batch: usize,
    /// Completions to sleep for per enter, at most (`--wait-count`).
    wait_count: usize,
    /// How entries name files and buffers.
    reg: Registered,
    queued: usize,
}

/// The eventfd read that wakes the loop, into `buf`.
fn wake_entry(buf: *mut u64, fd: &OwnedFd) -> squeue::Entry {
    opcode::Read::new(types::Fd(fd.as_raw_fd()), buf.cast(), 8)
        .build()
        .user_data(WAKE)
}

impl Loop<'_, '_, '_> {
    /// Every slot's first request in motion, and the eventfd read posted.
    fn start(&mut self) -> Result<(), EngineError> {
        let now = Instant::now();
        for id in 0..self.slots.len() {
            let s = &mut self.slots[id];
            let next = match s.begin_next(self.ctx, &self.clock, now) {
                Begin::Idle => Next::Idle,
                Begin::Go => s.first(self.ctx, id, &self.reg),
                Begin::At(at) => Next::Wait(s.wait_entry(at, id)),
            };
            self.dispatch(id, next)?;
        }
        if let Some(o) = self.offload {
            // SAFETY: `wake_buf` outlives the read: `finish` completes the
            // read before `run_loop` returns.
            unsafe { self.enqueue(&wake_entry(self.wake_buf, o.eventfd)) }?;
        }
        Ok(())
    }

    /// Puts an entry on the submission queue, making room first if the
    /// queue looks full. The ring has an entry for every slot and the
    /// eventfd read, so without SQPOLL it never is (each submit takes every
    /// entry). With SQPOLL the kernel's thread takes entries off in its own
    /// time, and a completion can be reaped before this side has seen its
    /// entry leave the queue: the slot's next entry then finds no room.
    ///
    /// # Safety
    /// As for [`SubmissionQueue::push`]: what the entry points to lives
    /// until its completion is reaped.
    unsafe fn enqueue(&mut self, entry: &squeue::Entry) -> Result<(), EngineError> {
        // SAFETY: passed on from the caller.
        while unsafe { self.sq.push(entry) }.is_err() {
            self.sq.sync();
            if !self.sq.is_full() {
                continue;
            }
            // Submit (without SQPOLL this empties the queue; with it, it
            // wakes the kernel's thread), then, if still full, wait for
            // that thread to take entries off.
            let r = self.submitter.submit().and_then(|n| {
                self.sq.sync();
                if self.sq.is_full() {
                    self.submitter.squeue_wait()
                } else {
                    Ok(n)
                }
            });
            if let Err(source) = retry_transient(r) {
                return Err(self.abandon(source));
            }
            self.sq.sync();
            self.queued = 0;
        }
        Ok(())
    }

    /// Puts a slot's next step in motion: an entry on the ring, a computation
    /// on the pool or on the ready queue, or nothing when the slot is done.
    fn dispatch(&mut self, id: usize, next: Next) -> Result<(), EngineError> {
        match next {
            Next::Io(entry) | Next::Wait(entry) => return self.push(&entry),
            Next::Compute(kernel, input) => match self.offload {
                None => self.ready.push_back(id),
                Some(o) => {
                    let read = &self.slots[id].bufs.read;
                    let read = ReadBuf(read.as_slice().as_ptr(), read.len());
                    let files = self.ctx.files;
                    let (done, fd, signalled) = (o.done, o.eventfd, o.signalled);
                    self.computing += 1;
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
        Ok(())
    }

    /// Queues a slot's entry; a full batch goes to the kernel at once.
    fn push(&mut self, entry: &squeue::Entry) -> Result<(), EngineError> {
        // SAFETY: the entry points into the slot's buffers, which live in
        // `slots` until `run_loop` returns, and it only returns once nothing
        // is in flight (or leaks them in `abandon`).
        unsafe { self.enqueue(entry) }?;
        self.in_flight += 1;
        self.queued += 1;
        if self.queued >= self.batch {
            // Hand a full batch to the kernel now rather than after the
            // whole completion batch: the device starts sooner.
            self.sq.sync();
            if let Err(source) = retry_transient(self.submitter.submit()) {
                return Err(self.abandon(source));
            }
            self.sq.sync();
            self.queued = 0;
        }
        Ok(())
    }

    /// Submits what is queued and, when there is nothing to compute, sleeps
    /// until a completion arrives. Past the deadline it wakes at least every
    /// second, so a peer that never answers is noticed (before it, the plain
    /// wait is cheaper).
    fn enter(&mut self) -> Result<(), EngineError> {
        self.sq.sync();
        self.cq.sync();
        self.queued = 0;
        // Nothing to compute: sleep until `wait_count` operations finished,
        // never more than can finish (the loop would sleep for good). The
        // pool's wake-up read counts only while the pool has work: idle,
        // it never completes.
        let want = if self.ready.is_empty() {
            let can_finish = self.in_flight + usize::from(self.computing > 0);
            self.wait_count.min(can_finish).max(1)
        } else {
            0
        };
        let late = self.clock.deadline.is_some_and(|d| Instant::now() > d);
        if want > 0 || !self.sq.is_empty() {
            let r = if late {
                let args = types::SubmitArgs::new().timespec(&TICK);
                match self.submitter.submit_with_args(want, &args) {
                    Err(e) if e.raw_os_error() == Some(libc::ETIME) => Ok(0),
                    r => r,
                }
            } else {
                self.submitter.submit_and_wait(want)
            };
            if let Err(source) = retry_transient(r) {
                return Err(self.abandon(source));
            }
        }
        // Learn how many entries the kernel consumed, so pushes see free space.
        self.sq.sync();
        self.cq.sync();
        if late && self.cq.is_empty() && want > 0 {
            // A whole tick without a completion, long past the deadline.
            if self
                .clock
                .deadline
                .is_some_and(|d| Instant::now() > d + crate::engine::STALL)
            {
                return Err(abandon_stalled(
                    std::mem::take(&mut self.slots),
                    self.in_flight,
                ));
            }
        }
        Ok(())
    }

    /// Handles every completion the last `enter` brought.
    fn reap(&mut self) -> Result<(), EngineError> {
        while let Some(cqe) = self.cq.next() {
            let data = cqe.user_data();
            if data == WAKE {
                self.woken()?;
                continue;
            }
            self.in_flight -= 1;
            if data & WAIT_BIT != 0 {
                // An open-loop slot's next request is due: send it.
                let id = (data & !WAIT_BIT) as usize;
                self.slots[id].sent = Instant::now();
                let next = self.slots[id].first(self.ctx, id, &self.reg);
                self.dispatch(id, next)?;
                continue;
            }
            self.completed(data as usize, cqe.result())?;
        }
        Ok(())
    }

    /// The pool's tasks reported: their slots move on, and the eventfd read
    /// is posted again.
    fn woken(&mut self) -> Result<(), EngineError> {
        let o = self.offload.expect("wake only with a pool");
        // Cleared before draining: a task reporting after the drain sees it
        // clear and wakes the loop again.
        o.signalled.store(false, Ordering::Release);
        let finished = std::mem::take(&mut *o.done.lock().expect("no panics while holding it"));
        for (id, digest) in finished {
            self.computing -= 1;
            self.computed(id, digest)?;
        }
        // SAFETY: as for the first eventfd read.
        unsafe { self.enqueue(&wake_entry(self.wake_buf, o.eventfd)) }?;
        Ok(())
    }

    /// Slot `id`'s operation completed with `res` (bytes, or -errno).
    fn completed(&mut self, id: usize, res: i32) -> Result<(), EngineError> {
        let s = &mut self.slots[id];
        let now = Instant::now();
        let moved = if res < 0 {
            Err(std::io::Error::from_raw_os_error(-res))
        } else {
            Ok(res as usize)
        };
        if let Err(e) = s
            .steps
            .completed(self.ctx.files, moved, &mut s.bufs, self.ctx.verify)
        {
            // Once the cell stops, its shut-down connections fail their
            // requests: the slot just ends.
            if let Some(e) = self.ctx.failed(e) {
                self.failure.get_or_insert(e.into());
            }
            return Ok(());
        }
        // The same step's next operation (the rest of a send, a receive), or
        // the next step, or the slot's next request.
        let next = s.advance(self.ctx, &self.clock, &mut self.rec, id, now, &self.reg);
        self.dispatch(id, next)
    }

    /// A slot's computation finished with `digest`: move it on.
    fn computed(&mut self, id: usize, digest: u64) -> Result<(), EngineError> {
        let s = &mut self.slots[id];
        s.steps.computed(digest);
        let next = s.advance(
            self.ctx,
            &self.clock,
            &mut self.rec,
            id,
            Instant::now(),
            &self.reg,
        );
        self.dispatch(id, next)
    }

    /// One round of the ready queue: slots that become ready during it wait
    /// for the next round, after the ring has been looked at again. The loop
    /// thread computes, and every other request waits meanwhile.
    fn compute_ready(&mut self) -> Result<(), EngineError> {
        for _ in 0..self.ready.len() {
            let id = self.ready.pop_front().expect("counted");
            let s = &mut self.slots[id];
            let Todo::Compute(kernel, input) = s.steps.next(self.ctx.files, &mut s.bufs) else {
                unreachable!("only compute steps are queued as ready");
            };
            let digest = self
                .ctx
                .files
                .compute(kernel, input, s.bufs.read.as_slice());
            self.computed(id, digest)?;
        }
        Ok(())
    }

    /// Completes the posted eventfd read before `wake_buf` goes away, and
    /// hands back the recorder or the cell's first failure.
    fn finish(mut self) -> Result<Vec<Recorder>, EngineError> {
        if self.reg.buffers.per_slot() > 0 {
            // Nothing is in flight: the slots' buffers may go after this.
            let _ = self.submitter.unregister_buffers();
        }
        if let Some(o) = self.offload {
            wake(o.eventfd);
            loop {
                self.sq.sync();
                if let Err(source) = retry_transient(self.submitter.submit_and_wait(1)) {
                    return Err(self.abandon(source));
                }
                self.cq.sync();
                if self.cq.any(|cqe| cqe.user_data() == WAKE) {
                    break;
                }
            }
        }
        match self.failure.take() {
            Some(e) => Err(e),
            None => Ok(vec![self.rec]),
        }
    }

    /// See [`abandon`].
    fn abandon(&mut self, source: std::io::Error) -> EngineError {
        abandon(std::mem::take(&mut self.slots), source)
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

/// How long the loop sleeps at most before it looks at the clock again.
const TICK: types::Timespec = types::Timespec::new().sec(1);

/// Gives up on requests that stopped completing, leaking their buffers as
/// [`abandon`] does: the kernel may still complete them.
fn abandon_stalled(slots: Vec<InFlight>, in_flight: usize) -> EngineError {
    std::mem::forget(slots);
    EngineError::Stalled {
        in_flight,
        secs: crate::engine::STALL.as_secs(),
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
