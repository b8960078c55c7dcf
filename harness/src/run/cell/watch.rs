//! The engine run on its own thread while the calling thread watches:
//! live progress, Ctrl-C, thread counts and the measured window's edges;
//! and the harness's own thread count, settled, before the cell.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::engine::{CellCtx, Engine};
use crate::record;
use crate::resources::{self, ThreadCount, Usage};
use crate::result::CellKey;
use crate::run::Observer;

/// One edge of the measured window: when the watch saw it, the requests
/// completed by then, and the CPU used by then.
pub(super) type Edge = (Instant, u64, resources::CpuMark);

/// What the engine's thread handed back, and what the watch saw.
pub(super) struct Ended {
    pub(super) outcome: Result<Vec<record::Recorder>, String>,
    /// When the engine returned, and the readings taken at that moment.
    pub(super) end: Instant,
    pub(super) usage: Usage,
    pub(super) machine: Option<resources::MachineCpu>,
    /// The most threads seen while the clock ran.
    pub(super) threads: ThreadCount,
}

/// Runs the engine on its own thread while this one watches: live
/// progress, Ctrl-C, thread counts (io_uring starts its workers on demand,
/// after the clock started) and the measured `window`'s edges.
pub(super) fn run_watched(
    engine: &dyn Engine,
    ctx: &CellCtx<'_>,
    window: &mut [Option<Edge>; 2],
    server: Option<u32>,
    key: &CellKey,
    planned: Option<Duration>,
    obs: &mut dyn Observer,
) -> Ended {
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(move || {
            // A panicking engine fails its cell, not the run: the cells
            // already measured and the rest of the matrix are kept.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.run(ctx)))
                .unwrap_or_else(|p| {
                    ctx.fail();
                    Err(crate::engine::EngineError::Other(format!(
                        "the engine panicked: {}",
                        crate::engine::panic_message(p.as_ref())
                    )))
                });
            let _ = tx.send((
                r,
                Instant::now(),
                Usage::now(),
                resources::MachineCpu::now(),
            ));
        });
        let mut threads = ThreadCount::default();
        let mut last = (Instant::now(), 0u64);
        let needs_uring = engine.caps().needs_io_uring;
        loop {
            let tick = match ctx.clock() {
                None => Duration::from_millis(1),
                Some(c) => {
                    // Wake at the window's edges, not only every 100 ms.
                    let now = Instant::now();
                    [Some(c.measure_from), c.deadline]
                        .into_iter()
                        .zip(window.iter())
                        .filter_map(|(edge, taken)| edge.filter(|_| taken.is_none()))
                        .map(|e| e.saturating_duration_since(now))
                        .fold(Duration::from_millis(100), Duration::min)
                }
            };
            match rx.recv_timeout(tick) {
                Ok((r, end, usage, machine)) => {
                    break Ended {
                        outcome: r.map_err(|e| e.to_string()),
                        end,
                        usage,
                        machine,
                        threads,
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    break Ended {
                        outcome: Err("engine thread died".into()),
                        end: Instant::now(),
                        usage: Usage::now(),
                        machine: None,
                        threads,
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if crate::interrupt::requested() {
                ctx.fail();
            }
            let Some(clock) = ctx.clock() else { continue };
            threads = threads.max(if needs_uring {
                ThreadCount::with_io_workers()
            } else {
                ThreadCount::now()
            });
            let now = Instant::now();
            let done = ctx.progress.total();
            for (edge, taken) in [Some(clock.measure_from), clock.deadline]
                .into_iter()
                .zip(window.iter_mut())
            {
                if taken.is_none() && edge.is_some_and(|e| now >= e) {
                    *taken = Some((now, done, resources::CpuMark::now(server)));
                }
            }
            let dt = now.duration_since(last.0).as_secs_f64();
            if dt >= 0.25 {
                let rate = (done - last.1) as f64 / dt;
                last = (now, done);
                obs.progress(
                    key,
                    now.checked_duration_since(clock.measure_from),
                    planned,
                    rate,
                );
            }
        }
    })
}

/// The process's thread count once the previous cell's threads (pool
/// threads, io-wq workers) have finished exiting, so they are not counted as
/// the harness's own. Gives up after 200 ms.
pub(super) fn settled_thread_count() -> u32 {
    let mut last = ThreadCount::now().total;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(2));
        let now = ThreadCount::now().total;
        if now == last {
            return now;
        }
        last = now;
    }
    last
}
