//! The `hybrid` engine: I/O steps on the `uring` engine's event loop, compute
//! steps handed to a rayon pool. A finished computation reports to the loop
//! through an eventfd that the ring keeps a read posted on, so the loop sleeps
//! in io_uring_enter until either I/O or a computation completes — no polling.
//! This is the usual shape of a real service: async I/O plus a pool for CPU work.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use super::uring::{run_loop, Offload};
use super::{pool, CellCtx, Engine, EngineError};
use crate::load::Plan;
use crate::record::Recorder;

pub struct Hybrid;

impl Engine for Hybrid {
    fn name(&self) -> &'static str {
        "hybrid"
    }

    fn summary(&self) -> &'static str {
        "uring's event loop for I/O, compute steps on a rayon pool of one thread per core"
    }

    fn needs_io_uring(&self) -> bool {
        true
    }

    fn threads_needed(&self, _plan: &Plan, pool_threads: usize) -> usize {
        1 + pool_threads
    }

    fn workers(&self, _plan: &Plan, _pool_threads: usize) -> usize {
        1
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        let pool = pool::build(ctx.pool_threads, "iobound-hybrid", false)?;
        // SAFETY: eventfd takes no pointers; a non-negative result is a new fd we own.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if raw < 0 {
            return Err(EngineError::Uring {
                what: "cannot create an eventfd",
                source: std::io::Error::last_os_error(),
            });
        }
        // SAFETY: `raw` is a fresh fd nobody else owns.
        let eventfd = unsafe { OwnedFd::from_raw_fd(raw) };
        let signalled = AtomicBool::new(false);
        let done = Mutex::new(Vec::with_capacity(ctx.plan.concurrency));
        // The loop runs on this thread; the scope only lends it the pool.
        pool.in_place_scope(|scope| {
            run_loop(
                ctx,
                Some(Offload {
                    scope,
                    done: &done,
                    eventfd: &eventfd,
                    signalled: &signalled,
                }),
            )
        })
    }
}
