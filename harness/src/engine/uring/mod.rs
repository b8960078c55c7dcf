//! The `uring` engine: one thread, one io_uring, up to `concurrency` requests
//! in flight. Each request's steps are submitted in order, the next one when
//! the previous completes; the thread sleeps in io_uring_enter until at least
//! one completion arrives (no busy polling). Entries queued while reaping go
//! to the kernel in batches of `--submit-batch` (and the rest with the next
//! wait): one io_uring_enter per batch, not per operation.
//!
//! The ring's mechanisms are options (`RingOptions`): registered files,
//! fixed buffers, the taskrun mode, SQPOLL and the completions waited for
//! per enter; each cell records the ring the kernel actually set up.
//!
//! Compute steps run inline on the loop's thread, so while one computes every
//! other request in flight waits: the cost of CPU work on an event loop. The
//! `hybrid` engine shares this loop but hands compute steps to a pool.

use iobound_workloads::Model;

use super::{CellCtx, Engine, EngineError, OptionSet, Options, Settings};
use crate::load::Plan;
use crate::record::Recorder;
pub use crate::ring::Taskrun;

mod completion;
mod setup;
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
    /// Sleep in io_uring_enter until N operations completed (fewer when fewer are in flight)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WAIT_COUNT,
          value_parser = super::at_least_one)]
    pub wait_count: usize,
    /// Register the data files with the ring (sockets stay plain descriptors)
    #[arg(long, value_name = "on|off", default_value = "on")]
    pub register_files: Switch,
    /// Register every slot's buffers; file reads and writes use READ_FIXED/WRITE_FIXED
    #[arg(long, value_name = "on|off", default_value = "on")]
    pub fixed_buffers: Switch,
    /// Completion work: plain, coop (COOP_TASKRUN), defer (SINGLE_ISSUER + DEFER_TASKRUN)
    #[arg(long, value_name = "MODE", default_value = "defer")]
    pub taskrun: Taskrun,
    /// SQPOLL: a kernel thread (of this process, its CPU counted) polls the
    /// queue, asleep after MS idle; or off
    #[arg(long, value_name = "MS|off", default_value = "off", value_parser = parse_sqpoll)]
    pub sqpoll: SqPoll,
}

/// An option that is on or off (a word, so suite files and `--help` show it
/// whichever the default is).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    On,
    Off,
}

impl Switch {
    pub fn on(self) -> bool {
        self == Switch::On
    }
}

/// `--sqpoll`: off, or the SQPOLL thread's idle time in ms. run.json holds
/// the idle time, or null for off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "Option<u32>", into = "Option<u32>")]
pub struct SqPoll(pub Option<u32>);

impl From<Option<u32>> for SqPoll {
    fn from(v: Option<u32>) -> Self {
        SqPoll(v)
    }
}

impl From<SqPoll> for Option<u32> {
    fn from(v: SqPoll) -> Self {
        v.0
    }
}

fn parse_sqpoll(s: &str) -> Result<SqPoll, String> {
    match s {
        "off" => Ok(SqPoll(None)),
        ms => ms
            .parse::<u32>()
            .map(|ms| SqPoll(Some(ms)))
            .map_err(|_| format!("'{s}' is neither 'off' nor an idle time in whole ms")),
    }
}

/// Default `--submit-batch`. Measured on a 2-vCPU VM with virtio storage:
/// submitting only once every completion of a wake-up was reaped cost ~20% of
/// O_DIRECT IOPS at depth 32, while batches of 8 kept most of the syscall
/// savings on page-cache reads (see the closing notes of the foundation issue).
const DEFAULT_SUBMIT_BATCH: usize = 8;

/// Default `--wait-count`: wake for the first completion. Waiting for 4,
/// 8 or 16 at depth 32 saved no CPU per operation beyond the noise (0.88-0.95x
/// in one run, 0.87x on top of fixed buffers in another) and made p99 no
/// better on O_DIRECT reads (README, "Options of the uring engine").
const DEFAULT_WAIT_COUNT: usize = 1;

// Defaults of the other options, measured on the same VM in interleaved
// rounds (README, "Options of the uring engine"): fixed buffers cut CPU per
// O_DIRECT read by a fifth (the kernel pins each buffer once, not per I/O)
// and cost nothing on page-cache reads; registered files and DEFER_TASKRUN
// were the defaults before and nothing measured beat them clearly
// (COOP_TASKRUN matched DEFER_TASKRUN once buffers were fixed); SQPOLL's
// polling thread tripled CPU per operation on two cores.

impl Default for RingOptions {
    fn default() -> Self {
        RingOptions {
            submit_batch: DEFAULT_SUBMIT_BATCH,
            wait_count: DEFAULT_WAIT_COUNT,
            register_files: Switch::On,
            fixed_buffers: Switch::On,
            taskrun: Taskrun::Defer,
            sqpoll: SqPoll(None),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Bound;
    use crate::record::{merge, Progress};
    use std::time::Duration;

    /// A workload registers only the buffers its steps use: C read buffers
    /// for file-randread, C write buffers for file-write, at -c C (2 C
    /// before, a read and a write buffer per slot), and every request still
    /// completes on them.
    #[test]
    fn only_the_buffers_the_steps_use_are_registered() {
        if !crate::ring::UringSupport::detect().available {
            crate::errln!("skipping: io_uring unavailable");
            return;
        }
        const C: usize = 5;
        const N: u64 = 200;
        for name in ["file-randread", "file-write"] {
            let (dir, w, files) =
                crate::engine::testing::file_cell(name, &format!("fixedbufs-{name}"), 1 << 20);
            let plan = Plan {
                concurrency: C,
                warmup: Duration::ZERO,
                bound: Bound::Requests(N),
                rate: None,
            };
            let settings = Settings::default();
            let progress = Progress::new(1);
            let mut ctx = CellCtx::new(w.as_ref(), &files, plan, &settings, &progress);
            ctx.verify = true;
            let totals = merge(Uring.run(&ctx).unwrap());
            assert_eq!(totals.requests, N, "{name}");
            let refused = ctx.notes().into_iter().find(|n| n.contains("refused"));
            std::fs::remove_dir_all(&dir).unwrap();
            if let Some(why) = refused {
                crate::errln!("skipping {name}'s count: {why}");
                continue;
            }
            assert_eq!(ctx.ring().unwrap().fixed_buffers, C, "{name}");
        }
    }
}
