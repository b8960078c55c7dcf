//! The `threads` engine: one OS thread per slot, each blocking in pread,
//! pwrite and fdatasync — the classic synchronous model. The calling thread
//! runs slot 0 itself, so a cell at concurrency C uses exactly C threads.

use std::sync::{Condvar, Mutex, RwLock};
use std::time::Instant;

use iobound_workloads::Model;

use super::{blocking_request, CellCtx, Engine, EngineError, Settings};
use crate::exec::IoBufs;
use crate::load::{Plan, Slot};
use crate::record::Recorder;

pub struct Threads;

const WORKER_STACK: usize = 256 * 1024;

impl Engine for Threads {
    fn name(&self) -> &'static str {
        "threads"
    }

    fn summary(&self) -> &'static str {
        "one OS thread per outstanding request, blocking syscalls (pread, pwrite, fdatasync, send, recv)"
    }

    fn model(&self) -> Model {
        Model::BlockingThreads
    }

    fn threads_needed(&self, plan: &Plan, _: &Settings) -> usize {
        plan.concurrency
    }

    fn workers(&self, plan: &Plan, _: &Settings) -> usize {
        plan.concurrency
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        let mut slots = Slot::all(&ctx.plan).into_iter();
        let first = slots.next().expect("concurrency is at least 1");
        // Each worker sets up (buffers, connection) and then waits on the
        // gate; the clock starts once every worker is set up, so neither
        // thread creation nor connecting is timed.
        let gate = RwLock::new(());
        let closed = gate.write().expect("fresh lock");
        let set_up = (Mutex::new(0usize), Condvar::new());
        std::thread::scope(|s| {
            let mut handles = Vec::with_capacity(slots.len());
            for (i, slot) in slots.enumerate() {
                let (gate, set_up) = (&gate, &set_up);
                // Buffers live on the heap; a small stack lets thousands of
                // workers start without reserving gigabytes of address space.
                let h = std::thread::Builder::new()
                    .name(format!("iobound-w{}", i + 1))
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(s, move || {
                        let bufs = ctx.new_bufs();
                        let rec = ctx.new_slot_recorder(i + 1);
                        *set_up.0.lock().expect("never poisoned") += 1;
                        set_up.1.notify_one();
                        drop(gate.read());
                        worker(ctx, slot, bufs?, rec, i + 1)
                    });
                match h {
                    Ok(h) => handles.push(h),
                    Err(e) => {
                        // Open the gate on an aborted cell: started threads exit at once.
                        ctx.fail();
                        drop(closed);
                        return Err(EngineError::Spawn(e));
                    }
                }
            }
            let mine = ctx.new_bufs();
            let my_rec = ctx.new_slot_recorder(0);
            let mut n = set_up.0.lock().expect("never poisoned");
            while *n < handles.len() {
                n = set_up.1.wait(n).expect("never poisoned");
            }
            drop(n);
            ctx.begin();
            drop(closed);
            let mut first_error = None;
            let mut recorders = Vec::with_capacity(handles.len() + 1);
            match mine.and_then(|bufs| worker(ctx, first, bufs, my_rec, 0)) {
                Ok(r) => recorders.push(r),
                Err(e) => {
                    ctx.fail();
                    first_error = Some(e);
                }
            }
            super::join_workers(ctx, handles, "a worker thread", recorders, first_error)
        })
    }
}

/// One slot's closed loop on the current thread.
fn worker(
    ctx: &CellCtx<'_>,
    mut slot: Slot,
    mut bufs: IoBufs,
    mut rec: Recorder,
    id: usize,
) -> Result<Recorder, EngineError> {
    let clock = ctx.begin();
    let mut now = Instant::now();
    while let Some(end) = blocking_request(ctx, &clock, &mut slot, &mut bufs, &mut rec, id, now)? {
        now = end;
    }
    Ok(rec)
}
