//! What several engines do alike: scoped workers joined with their
//! recorders, thread counts, panic messages, and one request on a worker
//! that blocks in the syscall.

use std::time::Instant;

use super::{CellCtx, EngineError};
use crate::exec::{Done, IoBufs};
use crate::load::{Clock, Slot};
use crate::record::Recorder;

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
    // A recorder that just added its held-back latencies to a shared
    // histogram (once in [`crate::record::PENDING`] requests, about 1 µs
    // under a lock) starts the slot's next request after that, not at
    // `end`: in a closed loop the next latency counts from the start given
    // here, and iobound's bookkeeping is not the system's wait.
    Ok(Some(if rec.take_flushed() {
        Instant::now()
    } else {
        end
    }))
}
