//! The `uring` engine: one thread, one io_uring, up to `concurrency` requests
//! in flight. Each request's steps are submitted in order, the next one when
//! the previous completes; the thread sleeps in io_uring_enter until at least
//! one completion arrives (no busy polling). Entries queued while reaping go
//! to the kernel in batches of `--submit-batch` (and the rest with the next
//! wait): one io_uring_enter per batch, not per operation.

use std::time::Instant;

use io_uring::{opcode, squeue, types};
use iobound_workloads::Request;

use super::{CellCtx, Engine, EngineError};
use crate::exec::{IoBufs, Op, StepError};
use crate::load::{Clock, Plan, Slot};
use crate::record::Recorder;
use crate::ring;

pub struct Uring;

impl Engine for Uring {
    fn name(&self) -> &'static str {
        "uring"
    }

    fn summary(&self) -> &'static str {
        "one thread, one io_uring, `concurrency` requests in flight, completion-driven"
    }

    fn needs_io_uring(&self) -> bool {
        true
    }

    fn workers(&self, _plan: &Plan, _pool_threads: usize) -> usize {
        1
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        let c = ctx.plan.concurrency;
        let entries = u32::try_from(c)
            .unwrap_or(u32::MAX)
            .next_power_of_two()
            .max(8);
        let mut ring = ring::build_single_thread(entries).map_err(|source| EngineError::Uring {
            what: "cannot create a ring",
            source,
        })?;
        ring.submitter()
            .register_files(&ctx.files.raw_fds())
            .map_err(|source| EngineError::Uring {
                what: "cannot register files",
                source,
            })?;
        let mut slots: Vec<InFlight> = Slot::all(&ctx.plan)
            .into_iter()
            .map(|slot| InFlight {
                slot,
                bufs: ctx.new_bufs(),
                req: Request::new(),
                step: 0,
                op: Op::Fdatasync { file: 0 },
                start: Instant::now(),
                measured: false,
                bytes: 0,
            })
            .collect();
        let mut rec = Recorder::new(ctx.record);
        let clock = ctx.begin();
        let (submitter, mut sq, mut cq) = ring.split();
        let mut in_flight = 0usize;
        let mut failure: Option<EngineError> = None;

        let now = Instant::now();
        for (id, s) in slots.iter_mut().enumerate() {
            if s.begin_next(ctx, &clock, now) {
                // SAFETY: the entry points into `s.bufs`, which lives in `slots` until
                // this function returns, and we only return once nothing is in flight.
                unsafe { sq.push(&s.entry(ctx, id)) }.expect("ring sized for every slot");
                in_flight += 1;
            }
        }

        let batch = ctx.submit_batch.max(1);
        while in_flight > 0 {
            sq.sync();
            cq.sync();
            let mut queued = 0usize;
            if let Err(source) = retry_transient(submitter.submit_and_wait(1)) {
                return Err(abandon(slots, source));
            }
            // Learn how many entries the kernel consumed, so pushes see free space.
            sq.sync();
            cq.sync();
            for cqe in &mut cq {
                in_flight -= 1;
                let id = cqe.user_data() as usize;
                let s = &mut slots[id];
                let now = Instant::now();
                let res = cqe.result();
                let checked = if res < 0 {
                    Err(StepError::Io {
                        op: s.op.name(),
                        source: std::io::Error::from_raw_os_error(-res),
                    })
                } else {
                    ctx.files.check(&s.op, res as usize, &s.bufs, ctx.verify)
                };
                if let Err(e) = checked {
                    ctx.fail();
                    failure.get_or_insert(e.into());
                    continue;
                }
                s.bytes += res as u64;
                s.step += 1;
                if s.step == s.req.len() {
                    rec.complete(ctx.progress, 0, s.measured, now - s.start, s.bytes);
                    if !s.begin_next(ctx, &clock, now) {
                        continue;
                    }
                }
                // SAFETY: as above, the buffers outlive the operation.
                unsafe { sq.push(&s.entry(ctx, id)) }.expect("ring sized for every slot");
                in_flight += 1;
                queued += 1;
                if queued == batch {
                    // Hand a full batch to the kernel now rather than after the
                    // whole completion batch: the device starts on it sooner.
                    sq.sync();
                    if let Err(source) = retry_transient(submitter.submit()) {
                        return Err(abandon(slots, source));
                    }
                    sq.sync();
                    queued = 0;
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(vec![rec]),
        }
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
    req: Request,
    step: usize,
    op: Op,
    start: Instant,
    measured: bool,
    bytes: u64,
}

impl InFlight {
    /// Starts the slot's next request at `now`; false when the slot is done.
    fn begin_next(&mut self, ctx: &CellCtx<'_>, clock: &Clock, now: Instant) -> bool {
        let Some(t) = self.slot.next(clock, now, &ctx.abort) else {
            return false;
        };
        self.req = ctx.workload.request(t.index);
        self.step = 0;
        self.start = now;
        self.measured = t.measured;
        self.bytes = 0;
        !self.req.is_empty()
    }

    /// The submission entry for the current step.
    fn entry(&mut self, ctx: &CellCtx<'_>, id: usize) -> squeue::Entry {
        self.op = ctx
            .files
            .resolve(&self.req.steps()[self.step], &mut self.bufs);
        let entry = match self.op {
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
