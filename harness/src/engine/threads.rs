//! The `threads` engine: one OS thread per slot, each blocking in pread,
//! pwrite and fdatasync — the classic synchronous model.

use std::sync::RwLock;
use std::time::Instant;

use super::{blocking_request, CellCtx, Engine, EngineError};
use crate::load::{Plan, Slot};
use crate::record::Recorder;

pub struct Threads;

impl Engine for Threads {
    fn name(&self) -> &'static str {
        "threads"
    }

    fn summary(&self) -> &'static str {
        "one OS thread per outstanding request, blocking syscalls (pread/pwrite/fdatasync)"
    }

    fn workers(&self, plan: &Plan, _pool_threads: usize) -> usize {
        plan.concurrency
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        let slots = Slot::all(&ctx.plan);
        // Workers wait on the gate until every thread exists, so the clock
        // starts with the whole pool ready and thread creation is not timed.
        let gate = RwLock::new(());
        let closed = gate.write().expect("fresh lock");
        std::thread::scope(|s| {
            let mut handles = Vec::with_capacity(slots.len());
            for (worker, mut slot) in slots.into_iter().enumerate() {
                let gate = &gate;
                let h = std::thread::Builder::new()
                    .name(format!("iobound-w{worker}"))
                    .spawn_scoped(s, move || {
                        let mut bufs = ctx.new_bufs();
                        let mut rec = Recorder::new(ctx.record);
                        drop(gate.read());
                        let clock = ctx.begin();
                        let mut now = Instant::now();
                        while let Some(end) = blocking_request(
                            ctx, &clock, &mut slot, &mut bufs, &mut rec, worker, now,
                        )? {
                            now = end;
                        }
                        Ok(rec)
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
            handles
                .into_iter()
                .map(|h| h.join().expect("worker thread panicked"))
                .collect()
        })
    }
}
