//! The `threads` engine: one OS thread per slot, each blocking in pread,
//! pwrite and fdatasync — the classic synchronous model. The calling thread
//! runs slot 0 itself, so a cell at concurrency C uses exactly C threads.

use std::sync::RwLock;
use std::time::Instant;

use super::{blocking_request, CellCtx, Engine, EngineError};
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

    fn threads_needed(&self, plan: &Plan, _pool_threads: usize) -> usize {
        plan.concurrency
    }

    fn workers(&self, plan: &Plan, _pool_threads: usize) -> usize {
        plan.concurrency
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        let mut slots = Slot::all(&ctx.plan).into_iter();
        let first = slots.next().expect("concurrency is at least 1");
        // Workers wait on the gate until every thread exists, so the clock
        // starts with all of them ready and thread creation is not timed.
        let gate = RwLock::new(());
        let closed = gate.write().expect("fresh lock");
        std::thread::scope(|s| {
            let mut handles = Vec::with_capacity(slots.len());
            for (i, slot) in slots.enumerate() {
                let gate = &gate;
                // Buffers live on the heap; a small stack lets thousands of
                // workers start without reserving gigabytes of address space.
                let h = std::thread::Builder::new()
                    .name(format!("iobound-w{}", i + 1))
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(s, move || {
                        drop(gate.read());
                        worker(ctx, slot, i + 1)
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
            ctx.begin();
            drop(closed);
            let mine = worker(ctx, first, 0);
            let mut recorders = vec![mine?];
            for h in handles {
                recorders.push(h.join().expect("worker thread panicked")?);
            }
            Ok(recorders)
        })
    }
}

/// One slot's closed loop on the current thread.
fn worker(ctx: &CellCtx<'_>, mut slot: Slot, id: usize) -> Result<Recorder, EngineError> {
    let mut bufs = ctx.new_bufs();
    let mut rec = ctx.new_recorder();
    let clock = ctx.begin();
    let mut now = Instant::now();
    while let Some(end) = blocking_request(ctx, &clock, &mut slot, &mut bufs, &mut rec, id, now)? {
        now = end;
    }
    Ok(rec)
}
