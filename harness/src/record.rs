//! Per-worker recording of request latencies (integer nanoseconds in an
//! HdrHistogram) and the merge after the run. A recorder is owned by one
//! worker: no allocation when a request is recorded, and no lock, except
//! every [`PENDING`] requests for a recorder per slot ([`Recorder::shared`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::exec::{fold, Done};

/// Lowest and highest latency a histogram tracks, in nanoseconds.
pub const LOWEST_NS: u64 = 1;
pub const HIGHEST_NS: u64 = 60_000_000_000;
pub const SIGFIGS: u8 = 3;

/// An empty latency histogram with iobound's bounds.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LOWEST_NS, HIGHEST_NS, SIGFIGS).expect("static bounds are valid")
}

#[repr(align(128))]
struct Counter(AtomicU64);

/// Completed-request counters that a monitor thread reads for live progress.
/// One padded counter per worker, so workers never share a cache line.
pub struct Progress {
    counters: Vec<Counter>,
}

impl Progress {
    pub fn new(workers: usize) -> Self {
        Progress {
            counters: (0..workers).map(|_| Counter(AtomicU64::new(0))).collect(),
        }
    }

    /// Requests completed so far (warm-up included).
    pub fn total(&self) -> u64 {
        self.counters
            .iter()
            .map(|c| c.0.load(Ordering::Relaxed))
            .sum()
    }

    pub fn workers(&self) -> usize {
        self.counters.len()
    }
}

/// Latencies a recorder per slot holds before adding them to its shared
/// histogram: 2 KiB a slot, and one lock every this many requests.
pub const PENDING: usize = 128;

/// Histograms that many slots' recorders add to ([`Recorder::shared`]):
/// a few shards, each behind its own lock, so that slots rarely wait for
/// one another.
pub struct Sink {
    shards: Vec<Mutex<Hists>>,
}

/// A histogram of latencies, and in an open loop of uncorrected ones.
struct Hists {
    hist: Histogram<u64>,
    /// Open loop: latency from the moment the request was actually sent,
    /// the figure coordinated omission would report.
    uncorrected: Option<Histogram<u64>>,
}

impl Hists {
    fn new(open_loop: bool) -> Self {
        Hists {
            hist: new_histogram(),
            uncorrected: open_loop.then(new_histogram),
        }
    }

    fn record(&mut self, ns: u64, uncorrected: Option<u64>) {
        self.hist.saturating_record(ns);
        if let (Some(h), Some(u)) = (&mut self.uncorrected, uncorrected) {
            h.saturating_record(u);
        }
    }

    fn add_to(&self, t: &mut Totals) {
        t.hist.add(&self.hist).expect("histograms share bounds");
        if let Some(u) = &self.uncorrected {
            t.uncorrected
                .get_or_insert_with(new_histogram)
                .add(u)
                .expect("histograms share bounds");
        }
    }
}

impl Sink {
    /// `shards` histograms (at least one), with uncorrected ones in an open
    /// loop.
    pub fn new(shards: usize, open_loop: bool) -> Arc<Self> {
        Arc::new(Sink {
            shards: (0..shards.max(1))
                .map(|_| Mutex::new(Hists::new(open_loop)))
                .collect(),
        })
    }
}

/// Where a recorder keeps its latencies.
enum Latencies {
    /// A histogram of its own (216 KiB at iobound's bounds): engines with a
    /// recorder per worker thread or process.
    Own(Hists),
    /// A few latencies (and uncorrected ones, `u64::MAX` for none) held
    /// back, then added to a shard of a histogram that other slots share.
    /// A recorder per slot of its own histogram cost the threads engine
    /// 216 KiB a thread: at 4096 in flight, most of the memory the report
    /// charged to blocking threads was iobound's, and zeroing it took
    /// seconds of each cell's set-up.
    Shared {
        pending: Vec<(u64, u64)>,
        sink: Arc<Sink>,
        shard: usize,
    },
}

impl Latencies {
    /// Records one latency; true when held-back ones were just added to
    /// the shared histogram.
    fn record(&mut self, ns: u64, uncorrected: Option<u64>) -> bool {
        match self {
            Latencies::Own(h) => {
                h.record(ns, uncorrected);
                false
            }
            Latencies::Shared { pending, .. } => {
                pending.push((ns, uncorrected.unwrap_or(u64::MAX)));
                let full = pending.len() == PENDING;
                if full {
                    self.flush();
                }
                full
            }
        }
    }

    /// Adds what a shared recorder holds back to its shard.
    fn flush(&mut self) {
        if let Latencies::Shared {
            pending,
            sink,
            shard,
        } = self
        {
            if pending.is_empty() {
                return;
            }
            let mut h = sink.shards[*shard]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for &(ns, u) in pending.iter() {
                h.record(ns, (u != u64::MAX).then_some(u));
            }
            pending.clear();
        }
    }
}

/// What one worker measured.
pub struct Recorder {
    latencies: Latencies,
    requests: u64,
    bytes: u64,
    checksum: u64,
    completed: u64,
    /// Completions that ended inside the measured window.
    in_window: u64,
    /// Completions weighted by the window's taper ([`crate::load::Taper`]).
    in_window_weight: f64,
    record_latency: bool,
    /// The last request's recording added held-back latencies to a shared
    /// histogram ([`Recorder::take_flushed`]).
    flushed: bool,
}

/// Where a finished request stood against the measured window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InWindow {
    /// It ended inside the window.
    pub ended: bool,
    /// The weight of its completion in the throughput, from 0 to 1 (the
    /// window's taper at its end).
    pub weight: f64,
}

impl Recorder {
    /// `record_latency: false` counts requests but skips the histogram; it
    /// exists to measure what recording itself costs.
    pub fn new(record_latency: bool) -> Self {
        Self::keeping(Latencies::Own(Hists::new(false)), record_latency)
    }

    /// An empty recorder keeping its latencies in `latencies` (built
    /// whole: a shared recorder must not allocate a histogram to drop it).
    fn keeping(latencies: Latencies, record_latency: bool) -> Self {
        Recorder {
            latencies,
            requests: 0,
            bytes: 0,
            checksum: 0,
            completed: 0,
            in_window: 0,
            in_window_weight: 0.0,
            record_latency,
            flushed: false,
        }
    }

    /// A recorder for one of many slots, adding its latencies to `sink`
    /// (shard `slot` modulo the sink's): for engines with a recorder per
    /// in-flight request, where a histogram each would be most of their
    /// memory.
    pub fn shared(record_latency: bool, sink: &Arc<Sink>, slot: usize) -> Self {
        Self::keeping(
            Latencies::Shared {
                pending: Vec::with_capacity(PENDING),
                sink: Arc::clone(sink),
                shard: slot % sink.shards.len(),
            },
            record_latency,
        )
    }

    /// Whether the last request's recording took the time of adding
    /// held-back latencies to a shared histogram (then cleared): a slot
    /// starts its next request after it.
    #[inline]
    pub fn take_flushed(&mut self) -> bool {
        std::mem::take(&mut self.flushed)
    }

    /// Also records uncorrected latencies (open loop). A shared recorder's
    /// sink says it at its creation.
    pub fn open_loop(mut self) -> Self {
        if let Latencies::Own(h) = &mut self.latencies {
            h.uncorrected = Some(new_histogram());
        }
        self
    }

    /// Notes a completed request. `measured` is false for warm-up requests,
    /// which only advance the progress counter; `in_window` says how it
    /// stood against the measured window (what the throughput counts,
    /// whichever window its request started in). `uncorrected` is the
    /// latency from the actual send, in an open loop.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn complete(
        &mut self,
        progress: &Progress,
        worker: usize,
        measured: bool,
        in_window: InWindow,
        latency: Duration,
        uncorrected: Option<Duration>,
        done: Done,
    ) {
        self.completed += 1;
        self.in_window += u64::from(in_window.ended);
        self.in_window_weight += in_window.weight;
        progress.counters[worker]
            .0
            .store(self.completed, Ordering::Relaxed);
        if !measured {
            return;
        }
        self.requests += 1;
        self.bytes += done.bytes;
        self.checksum = fold(self.checksum, done.digest);
        if self.record_latency {
            let ns = |d: Duration| {
                u64::try_from(d.as_nanos())
                    .unwrap_or(u64::MAX)
                    .max(LOWEST_NS)
            };
            self.flushed = self.latencies.record(ns(latency), uncorrected.map(ns));
        }
    }
}

/// Every worker's recording merged.
pub struct Totals {
    pub hist: Histogram<u64>,
    pub requests: u64,
    pub bytes: u64,
    /// Measured requests' compute digests folded together: the same set of
    /// requests gives the same checksum whichever engine ran it.
    pub checksum: u64,
    /// Open loop: latencies from the actual send.
    pub uncorrected: Option<Histogram<u64>>,
    /// Requests that ended inside the measured window.
    pub in_window: u64,
    /// Completions in the measured window weighted by its taper
    /// ([`crate::load::Taper`]).
    pub in_window_weight: f64,
}

/// Merges per-worker recorders after the run.
pub fn merge(recorders: impl IntoIterator<Item = Recorder>) -> Totals {
    let mut t = Totals {
        hist: new_histogram(),
        requests: 0,
        bytes: 0,
        checksum: 0,
        uncorrected: None,
        in_window: 0,
        in_window_weight: 0.0,
    };
    // Each sink once, however many recorders shared it.
    let mut sinks: Vec<Arc<Sink>> = Vec::new();
    for mut r in recorders {
        r.latencies.flush();
        match &r.latencies {
            Latencies::Own(h) => h.add_to(&mut t),
            Latencies::Shared { sink, .. } => {
                if !sinks.iter().any(|s| Arc::ptr_eq(s, sink)) {
                    sinks.push(Arc::clone(sink));
                }
            }
        }
        t.requests += r.requests;
        t.in_window += r.in_window;
        t.in_window_weight += r.in_window_weight;
        t.bytes += r.bytes;
        t.checksum = fold(t.checksum, r.checksum);
    }
    for s in sinks {
        for shard in &s.shards {
            shard
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .add_to(&mut t);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(bytes: u64, digest: u64) -> Done {
        Done { bytes, digest }
    }

    #[test]
    fn merge_adds_counts_and_keeps_extremes() {
        let progress = Progress::new(2);
        let mut a = Recorder::new(true);
        let mut b = Recorder::new(true);
        a.complete(
            &progress,
            0,
            true,
            InWindow {
                ended: true,
                weight: 1.0,
            },
            Duration::from_micros(10),
            None,
            io(4096, 5),
        );
        a.complete(
            &progress,
            0,
            false,
            InWindow::default(),
            Duration::from_secs(5),
            None,
            io(4096, 100),
        );
        b.complete(
            &progress,
            1,
            true,
            // Ended on the window's fading edge.
            InWindow {
                ended: true,
                weight: 0.25,
            },
            Duration::from_millis(3),
            None,
            io(4096, u64::MAX),
        );
        assert_eq!(progress.total(), 3);
        let t = merge([a, b]);
        assert_eq!(t.requests, 2);
        assert_eq!(t.in_window, 2);
        assert_eq!(t.in_window_weight, 1.25);
        assert_eq!(t.hist.len(), 2);
        assert_eq!(t.bytes, 8192);
        // Warm-up digests stay out; measured ones add up, wrapping.
        assert_eq!(t.checksum, 4);
        assert!(t.hist.max() >= 2_990_000 && t.hist.max() <= 3_010_000);
        assert!(t.hist.min() <= 10_010);
    }

    /// Slots sharing a sink: every latency reaches the merge once, those
    /// still held back as well as those added to a shard, and the sink is
    /// counted once however many recorders share it.
    #[test]
    fn shared_recorders_merge_every_latency_once() {
        let progress = Progress::new(3);
        let sink = Sink::new(2, true);
        let counts = [1, PENDING, 2 * PENDING + 5];
        let mut flushes = 0;
        let recorders: Vec<Recorder> = counts
            .iter()
            .enumerate()
            .map(|(slot, &n)| {
                let mut r = Recorder::shared(true, &sink, slot);
                for i in 0..n {
                    flushes += usize::from(r.take_flushed());
                    r.complete(
                        &progress,
                        slot,
                        true,
                        InWindow {
                            ended: true,
                            weight: 1.0,
                        },
                        Duration::from_micros(100 + i as u64),
                        Some(Duration::from_micros(50)),
                        io(1, 1),
                    );
                }
                flushes += usize::from(r.take_flushed());
                r
            })
            .collect();
        // Once every PENDING requests, said once: the slot's next request
        // starts after it.
        assert_eq!(flushes, 1 + 2);
        let t = merge(recorders);
        let total: usize = counts.iter().sum();
        assert_eq!(t.requests, total as u64);
        assert_eq!(t.hist.len(), total as u64);
        assert_eq!(t.uncorrected.as_ref().map(|u| u.len()), Some(total as u64));
        assert!(t.hist.max() >= 100 * 1000 + (2 * PENDING as u64 + 4) * 1000 - 1000);
        assert!(t.hist.min() <= 100_100);
    }

    #[test]
    fn unrecorded_runs_still_count() {
        let progress = Progress::new(1);
        let mut r = Recorder::new(false);
        r.complete(
            &progress,
            0,
            true,
            InWindow {
                ended: true,
                weight: 1.0,
            },
            Duration::from_micros(10),
            None,
            io(1, 0),
        );
        let t = merge([r]);
        assert_eq!((t.requests, t.hist.len()), (1, 0));
    }
}
