//! Per-worker recording of request latencies (integer nanoseconds in an
//! HdrHistogram) and the merge after the run. A recorder is owned by one
//! worker: no lock, no allocation when a request is recorded.

use std::sync::atomic::{AtomicU64, Ordering};
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

/// What one worker measured.
pub struct Recorder {
    hist: Histogram<u64>,
    /// Open loop: latency from the moment the request was actually sent,
    /// the figure coordinated omission would report.
    uncorrected: Option<Histogram<u64>>,
    requests: u64,
    bytes: u64,
    checksum: u64,
    completed: u64,
    /// Completions that ended inside the measured window.
    in_window: u64,
    /// Completions weighted by the window's taper ([`crate::load::Taper`]).
    in_window_weight: f64,
    record_latency: bool,
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
        Recorder {
            hist: new_histogram(),
            uncorrected: None,
            requests: 0,
            bytes: 0,
            checksum: 0,
            completed: 0,
            in_window: 0,
            in_window_weight: 0.0,
            record_latency,
        }
    }

    /// Also records uncorrected latencies (open loop).
    pub fn open_loop(mut self) -> Self {
        self.uncorrected = Some(new_histogram());
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
            self.hist.saturating_record(ns(latency));
            if let (Some(h), Some(u)) = (&mut self.uncorrected, uncorrected) {
                h.saturating_record(ns(u));
            }
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
    for r in recorders {
        t.hist.add(&r.hist).expect("histograms share bounds");
        t.requests += r.requests;
        t.in_window += r.in_window;
        t.in_window_weight += r.in_window_weight;
        t.bytes += r.bytes;
        t.checksum = fold(t.checksum, r.checksum);
        if let Some(u) = &r.uncorrected {
            t.uncorrected
                .get_or_insert_with(new_histogram)
                .add(u)
                .expect("histograms share bounds");
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
