//! Everything an engine needs to run one cell ([`CellCtx`]): the workload,
//! its files, the plan and settings, the clock's start, the recording, and
//! what a failing worker or a note leaves for the cell.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use iobound_workloads::Workload;

use super::{EngineError, Settings};
use crate::exec::{Done, FileSet, IoBufs};
use crate::load::{Clock, Plan};
use crate::record::{InWindow, Progress, Recorder};
use crate::resources::{ThreadCount, Usage};

/// Everything an engine needs to run one cell.
pub struct CellCtx<'a> {
    pub workload: &'a dyn Workload,
    /// The parameters `workload` was built from, when known (engines with
    /// worker processes rebuild the workload there).
    pub params: Option<&'a iobound_workloads::WorkloadParams>,
    pub files: &'a FileSet,
    pub plan: Plan,
    /// The engines' options.
    pub settings: &'a Settings,
    /// Check every read's content against the data set.
    pub verify: bool,
    /// Record latencies (false only to measure recording's own cost).
    pub record: bool,
    pub progress: &'a Progress,
    /// Set by the first failing worker; every slot stops at its next request.
    pub abort: AtomicBool,
    /// Duplicates of the cell's connections, shut down by [`CellCtx::fail`].
    sockets: std::sync::Mutex<Vec<std::net::TcpStream>>,
    start: OnceLock<Start>,
    /// Worker processes' resources, reported by engines that start them.
    children: std::sync::Mutex<Option<Children>>,
    /// What the engine wants the reader to know about this cell.
    notes: std::sync::Mutex<Vec<String>>,
    /// The io_uring the engine ran on, as the kernel set it up.
    ring: std::sync::Mutex<Option<crate::ring::RingSetup>>,
    /// The histograms recorders per slot share ([`CellCtx::new_slot_recorder`]).
    slot_sink: OnceLock<std::sync::Arc<crate::record::Sink>>,
}

/// What an engine's worker processes used over a cell: their CPU counts
/// with the client's, their memory beside it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Children {
    pub processes: usize,
    pub usage: Usage,
    /// Sum of the processes' peak resident sets.
    pub peak_rss_bytes: u64,
    /// Most threads the processes had at once, summed (their OS threads
    /// count with the cell's).
    pub threads: u32,
}

/// What is known the moment a cell's clock starts. Taken on the engine's own
/// thread: a monitor thread competing with thousands of busy workers for two
/// cores can be scheduled seconds late, so it must not own these readings.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    pub clock: Clock,
    pub usage: Usage,
    /// The whole machine's CPU ticks at the same moment.
    pub machine: Option<crate::resources::MachineCpu>,
    /// Threads alive once the engine's set-up is done.
    pub threads: ThreadCount,
}

impl<'a> CellCtx<'a> {
    pub fn new(
        workload: &'a dyn Workload,
        files: &'a FileSet,
        plan: Plan,
        settings: &'a Settings,
        progress: &'a Progress,
    ) -> Self {
        CellCtx {
            workload,
            params: None,
            files,
            plan,
            settings,
            verify: false,
            record: true,
            progress,
            abort: AtomicBool::new(false),
            sockets: std::sync::Mutex::new(Vec::new()),
            start: OnceLock::new(),
            children: std::sync::Mutex::new(None),
            notes: std::sync::Mutex::new(Vec::new()),
            ring: std::sync::Mutex::new(None),
            slot_sink: OnceLock::new(),
        }
    }

    /// Starts the cell's clock at `at`, a moment another process chose
    /// (a worker program's own clock start), if it has not started yet.
    pub fn begin_at(&self, at: Instant) -> Clock {
        self.start
            .get_or_init(|| Start {
                clock: Clock::new(&self.plan, at),
                usage: Usage::now(),
                machine: crate::resources::MachineCpu::now(),
                threads: ThreadCount::now(),
            })
            .clock
    }

    /// Starts the cell's clock. Engines call this once their set-up (threads,
    /// rings, pools) is done, so set-up never counts as warm-up or load.
    pub fn begin(&self) -> Clock {
        self.start
            .get_or_init(|| {
                let threads = ThreadCount::now();
                let usage = Usage::now();
                Start {
                    clock: Clock::new(&self.plan, Instant::now()),
                    usage,
                    machine: crate::resources::MachineCpu::now(),
                    threads,
                }
            })
            .clock
    }

    /// Reports the CPU and memory of the worker processes an engine started,
    /// over the cell (from its clock start), before `run` returns.
    pub fn report_children(&self, c: Children) {
        *self.children.lock().expect("never poisoned") = Some(c);
    }

    /// Records a fact about how this cell ran that a reader must know (a
    /// runtime's fallback, say); it lands in the cell's summary.
    pub fn note(&self, text: impl Into<String>) {
        let text = text.into();
        let mut notes = self.notes.lock().expect("never poisoned");
        if !notes.contains(&text) {
            notes.push(text);
        }
    }

    /// Records how the ring the engine ran on was set up; it lands in the
    /// cell's summary.
    pub fn set_ring(&self, setup: crate::ring::RingSetup) {
        *self.ring.lock().expect("never poisoned") = Some(setup);
    }

    /// What [`CellCtx::set_ring`] recorded.
    pub fn ring(&self) -> Option<crate::ring::RingSetup> {
        self.ring.lock().expect("never poisoned").clone()
    }

    /// What [`CellCtx::note`] recorded.
    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().expect("never poisoned").clone()
    }

    /// What [`CellCtx::report_children`] recorded.
    pub fn children(&self) -> Option<Children> {
        *self.children.lock().expect("never poisoned")
    }

    /// The readings taken when the clock started, once it has.
    pub fn start(&self) -> Option<Start> {
        self.start.get().copied()
    }

    /// The clock, once the engine has started it.
    pub fn clock(&self) -> Option<Clock> {
        self.start().map(|s| s.clock)
    }

    /// Stops the cell: slots start no new request, and every connection the
    /// cell opened is shut down, so a request waiting on a slow server ends
    /// at once rather than when the server answers (a Ctrl-C stops within a
    /// second whatever `--db-latency` is).
    pub fn fail(&self) {
        if !self.abort.swap(true, Ordering::Relaxed) {
            for s in self.sockets.lock().expect("never poisoned").iter() {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    /// What a request's error means: `None` when the cell was already
    /// stopping (its connections were shut down by [`CellCtx::fail`], so
    /// the error is the stop's doing and the slot just ends), else the
    /// error, and the cell stops.
    pub fn failed<E>(&self, e: E) -> Option<E> {
        if self.abort.load(Ordering::Relaxed) {
            return None;
        }
        self.fail();
        Some(e)
    }

    /// Keeps a handle on a connection the cell opened, so [`CellCtx::fail`]
    /// can shut it down: a duplicate of its descriptor, which stays valid
    /// (and never names another file) until the cell's context is dropped.
    pub fn watch_socket(&self, fd: std::os::fd::BorrowedFd<'_>) {
        if let Ok(dup) = fd.try_clone_to_owned() {
            let s = std::net::TcpStream::from(dup);
            if self.abort.load(Ordering::Relaxed) {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            self.sockets.lock().expect("never poisoned").push(s);
        }
    }

    /// A worker's buffers, with its connection already open when the
    /// workload talks to a server: engines call this before the clock
    /// starts, so connecting is never timed as part of a request.
    pub fn new_bufs(&self) -> Result<IoBufs, EngineError> {
        let mut bufs = IoBufs::new(self.workload.max_transfer());
        if self.workload.service().is_some() {
            self.files.ensure_conn(&mut bufs)?;
            if let Some(c) = &bufs.conn {
                use std::os::fd::AsFd;
                self.watch_socket(c.as_fd());
            }
        }
        Ok(bufs)
    }

    /// Records a finished request of `ticket`, sent at `sent` (its actual
    /// start: later than intended in an open loop when the slot was late),
    /// ended at `end`: latency counts from the intended start, and in an
    /// open loop the uncorrected one from the actual send. Every engine's
    /// slots finish their requests through here.
    #[inline]
    pub fn record(
        &self,
        rec: &mut Recorder,
        worker: usize,
        ticket: &crate::load::Ticket,
        sent: Instant,
        end: Instant,
        done: Done,
    ) {
        // Where it stood against the measured window, from its own instants
        // rather than from counts a watching thread reads at the window's
        // edges when it gets to run (on a busy machine its wake-ups came
        // late, and a cell's req/s disagreed with its requests).
        let in_window = self
            .clock()
            .and_then(|c| {
                Some(InWindow {
                    ended: end >= c.measure_from && end <= c.deadline?,
                    weight: c.taper?.weight(end),
                })
            })
            .unwrap_or_default();
        rec.complete(
            self.progress,
            worker,
            ticket.measured,
            in_window,
            end.saturating_duration_since(ticket.intended),
            self.plan.rate.map(|_| end - sent),
            done,
        );
    }

    /// A recorder for slot `slot` of an engine with one per in-flight
    /// request (a thread each): its latencies go to histograms the cell's
    /// slots share, a few shards per core, so that a thousand slots do not
    /// cost a thousand histograms. Made during set-up, before the clock
    /// starts.
    pub fn new_slot_recorder(&self, slot: usize) -> Recorder {
        let sink = self.slot_sink.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            crate::record::Sink::new(
                (4 * cores).min(self.plan.concurrency),
                self.plan.rate.is_some(),
            )
        });
        Recorder::shared(self.record, sink, slot)
    }

    /// A recorder for this plan (with the uncorrected histogram in an open loop).
    pub fn new_recorder(&self) -> Recorder {
        let r = Recorder::new(self.record);
        if self.plan.rate.is_some() {
            r.open_loop()
        } else {
            r
        }
    }
}
