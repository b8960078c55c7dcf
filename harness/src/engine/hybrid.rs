//! The `hybrid` engine: I/O steps on the `uring` engine's event loop, compute
//! steps handed to a rayon pool. A finished computation reports to the loop
//! through an eventfd that the ring keeps a read posted on, so the loop sleeps
//! in io_uring_enter until either I/O or a computation completes — no polling.
//! This is the usual shape of a real service: async I/O plus a pool for CPU work.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use iobound_workloads::Model;

use super::uring::{run_loop, Offload, RING_OPTIONS};
use super::{pool, CellCtx, Engine, EngineError, Options, Settings};
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

    fn model(&self) -> Model {
        Model::EventLoopPool
    }

    fn caps(&self) -> super::Caps {
        super::Caps::IO_URING
    }

    fn options(&self) -> &'static [&'static Options] {
        &[&RING_OPTIONS, &pool::POOL_OPTIONS]
    }

    fn threads_needed(&self, _plan: &Plan, s: &Settings) -> usize {
        1 + s.get::<pool::Options>().threads()
    }

    fn workers(&self, _plan: &Plan, _: &Settings) -> usize {
        1
    }

    fn pool_size(&self, _plan: &Plan, s: &Settings) -> Option<usize> {
        Some(s.get::<pool::Options>().threads())
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        let threads = ctx.settings.get::<pool::Options>().threads();
        let pool = pool::build(threads, "iobound-hybrid", false)?;
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
