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

use iobound_workloads::Model;

use super::{CellCtx, Engine, EngineError, OptionSet, Options, Settings};
use crate::load::Plan;
use crate::record::Recorder;

mod completion;
mod slot;

pub(crate) use completion::{run_loop, Offload};

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
