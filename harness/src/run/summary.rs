//! The arithmetic that turns a cell's raw readings into its [`Summary`]:
//! pure, so every rule (what counts as throughput, what CPU is divided by)
//! is unit-tested without running anything.

use std::time::Duration;

use crate::record::Totals;
use crate::resources::{MachineCpu, ThreadCount, Usage};
use crate::result::{Cpu, Latency, MachineLoad, Residency, ServerCpu, Summary};

/// Everything measured around one cell, before any division.
pub struct Readings {
    pub totals: Totals,
    /// From the end of warm-up to the engine's return.
    pub measured: Duration,
    /// From the engine's clock start (warm-up included) to its return.
    pub whole: Duration,
    /// Requests completed in the whole cell, warm-up included.
    pub all_requests: u64,
    /// Completed-request counts when the measured window opened and closed:
    /// (seconds since it opened, count), as the watching thread read them.
    pub window: Option<((f64, u64), (f64, u64))>,
    /// The measured window's length as the throughput divides by it, for a
    /// cell bounded by a duration: the integral of its taper (3/4 of the
    /// deadline less the end of warm-up, less when the cell stopped early).
    /// The completions it weighs are `totals.in_window_weight`.
    pub window_len: Option<Duration>,
    /// CPU used inside the measured window (its edges read with the
    /// completion counts), when the watch saw both edges.
    pub window_cpu: Option<WindowCpu>,
    /// The client process's usage over the whole cell.
    pub usage: Usage,
    /// The server's CPU (user, sys) over the cell, when iobound started it.
    pub server: Option<(u64, u64)>,
    pub peak_rss_bytes: Option<u64>,
    /// Resident memory when the cell started.
    pub baseline_rss_bytes: Option<u64>,
    /// The machine's CPU ticks at the cell's start and end, and its length.
    pub machine: Option<(MachineCpu, MachineCpu, Duration)>,
    pub load_average: Option<f64>,
    pub threads_peak: ThreadCount,
    pub harness_threads: u32,
    pub workers: usize,
    pub pool_size: Option<usize>,
    pub block_size: u64,
    pub computes: bool,
    pub buffered: bool,
    pub page_cache: Vec<Residency>,
    pub placement: crate::placement::Placement,
    pub target_rate: Option<f64>,
    /// Worker processes an engine started, if any.
    pub children: Option<crate::engine::Children>,
    /// The engine's notes on how the cell ran.
    pub notes: Vec<String>,
    /// The io_uring the engine ran on, as set up.
    pub ring: Option<crate::ring::RingSetup>,
}

/// CPU (user + system, ns) between the measured window's edges: the client
/// side (iobound with its worker processes) and the server iobound started.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WindowCpu {
    pub client_ns: u64,
    pub server_ns: Option<u64>,
}

fn ratio(x: f64, by: f64) -> f64 {
    if by > 0.0 {
        x / by
    } else {
        0.0
    }
}

/// The summary of a cell.
///
/// - Throughput is the completions inside the measured window, so a backlog
///   that drains after the deadline (a pool's queue) does not dilute it:
///   each completion's own instant says whether it is in; without a
///   window (a `--requests` cell) it is measured requests / time.
/// - CPU per request is the window's CPU over the window's completions, the
///   span the throughput covers: a cell's set-up and warm-up (thousands of
///   threads created, a pool started) are a cost of starting, not of each
///   request, and spread over the few warm-up requests they made a blocking
///   model at C = 4096 look 1.3x past the machine's CPU ceiling. Without
///   both edges (a `--requests` cell, a window with no completion) it falls
///   back to the whole cell's CPU over every request of the cell. The
///   user/sys totals are the whole cell's either way.
pub fn summarize(r: &Readings) -> Summary {
    let secs = r.measured.as_secs_f64();
    let throughput_rps = match (r.window_len, r.window) {
        (Some(len), _) if !len.is_zero() => r.totals.in_window_weight / len.as_secs_f64(),
        // Runs measured before completions carried their instant.
        (None, Some(((t0, n0), (t1, n1)))) if t1 > t0 && n1 >= n0 => (n1 - n0) as f64 / (t1 - t0),
        _ => ratio(r.totals.requests as f64, secs),
    };
    // Worker processes do the requests' work: their CPU and memory count
    // with the client's, or a process pool would look free.
    let child = r.children.unwrap_or_default();
    let usage = Usage {
        user: r.usage.user + child.usage.user,
        sys: r.usage.sys + child.usage.sys,
        voluntary_switches: r.usage.voluntary_switches + child.usage.voluntary_switches,
        involuntary_switches: r.usage.involuntary_switches + child.usage.involuntary_switches,
    };
    let cpu_ns = (usage.user + usage.sys).as_nanos() as f64;
    // The requests the window's CPU is spread over: the throughput times
    // the span the CPU was read over, or, for runs without weighted
    // completions, the completions counted at its edges.
    let in_window = r
        .window
        .map(|((t0, n0), (t1, n1))| match r.window_len {
            Some(len) if !len.is_zero() && t1 > t0 => throughput_rps * (t1 - t0),
            _ => n1.saturating_sub(n0) as f64,
        })
        .filter(|&n| n > 0.0)
        .zip(r.window_cpu);
    Summary {
        requests: r.totals.requests,
        elapsed_ns: r.measured.as_nanos() as u64,
        throughput_rps,
        bytes: r.totals.bytes,
        // Bytes per request times the window's request rate.
        bytes_per_s: ratio(
            throughput_rps * r.totals.bytes as f64,
            r.totals.requests as f64,
        ),
        latency: Latency::of(&r.totals.hist),
        cpu: Cpu {
            user_ns: usage.user.as_nanos() as u64,
            sys_ns: usage.sys.as_nanos() as u64,
            per_request_ns: match in_window {
                Some((n, w)) => w.client_ns as f64 / n,
                None => ratio(cpu_ns, r.all_requests as f64),
            },
            cores_busy: ratio(cpu_ns / 1e9, r.whole.as_secs_f64()),
            voluntary_switches: usage.voluntary_switches,
            involuntary_switches: usage.involuntary_switches,
        },
        peak_rss_bytes: r
            .peak_rss_bytes
            .map(|b| b + r.children.map_or(0, |c| c.peak_rss_bytes)),
        // A worker program's threads (Python's) are the cell's too.
        threads_peak: crate::resources::ThreadCount {
            total: r.threads_peak.total + child.threads,
            ..r.threads_peak
        },
        harness_threads: r.harness_threads,
        workers: r.workers,
        pool_size: r.pool_size,
        block_size: r.block_size,
        checksum: r.computes.then(|| format!("{:016x}", r.totals.checksum)),
        buffered: r.buffered,
        page_cache: r.page_cache.clone(),
        server: r.server.map(|(user_ns, sys_ns)| ServerCpu {
            user_ns,
            sys_ns,
            per_request_ns: match in_window {
                Some((
                    n,
                    WindowCpu {
                        server_ns: Some(w), ..
                    },
                )) => w as f64 / n,
                _ => ratio((user_ns + sys_ns) as f64, r.all_requests as f64),
            },
        }),
        placement: r.placement.clone(),
        target_rate: r.target_rate,
        latency_uncorrected: r.totals.uncorrected.as_ref().map(Latency::of),
        processes: r.children.map(|c| crate::result::Processes {
            count: c.processes,
            user_ns: c.usage.user.as_nanos() as u64,
            sys_ns: c.usage.sys.as_nanos() as u64,
            peak_rss_bytes: c.peak_rss_bytes,
        }),
        notes: r.notes.clone(),
        ring: r.ring.clone(),
        baseline_rss_bytes: r.baseline_rss_bytes,
        machine: machine_load(r, cpu_ns),
    }
}

/// The rest of the machine over the cell: steal, and the busy CPU time
/// neither iobound (`ours_ns`: the client with its workers) nor its server
/// accounts for, in cores.
fn machine_load(r: &Readings, ours_ns: f64) -> Option<MachineLoad> {
    let (a, b, span) = r.machine?;
    let total = b.total.saturating_sub(a.total);
    if total == 0 || span.is_zero() {
        return None;
    }
    let tick_ns = 1e9 / crate::procfs::clock_ticks() as f64;
    let busy_ns = b.busy.saturating_sub(a.busy) as f64 * tick_ns;
    let server_ns = r.server.map_or(0, |(u, s)| u + s) as f64;
    Some(MachineLoad {
        steal: b.steal.saturating_sub(a.steal) as f64 / total as f64,
        other_cores: ((busy_ns - ours_ns - server_ns) / span.as_nanos() as f64).max(0.0),
        load_average: r.load_average.unwrap_or(f64::NAN),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::new_histogram;

    fn readings(requests: u64, all: u64, window: Option<((f64, u64), (f64, u64))>) -> Readings {
        let mut hist = new_histogram();
        for i in 0..requests {
            hist.record(1000 + i).unwrap();
        }
        Readings {
            totals: Totals {
                hist,
                uncorrected: None,
                requests,
                bytes: requests * 4096,
                checksum: 0xabc,
                in_window: 0,
                in_window_weight: 0.0,
            },
            measured: Duration::from_secs(2),
            whole: Duration::from_secs(4),
            all_requests: all,
            window,
            window_len: None,
            window_cpu: None,
            usage: Usage {
                user: Duration::from_millis(1500),
                sys: Duration::from_millis(500),
                voluntary_switches: 3,
                involuntary_switches: 4,
            },
            server: Some((300, 700)),
            peak_rss_bytes: Some(1 << 20),
            baseline_rss_bytes: Some(1 << 19),
            machine: None,
            load_average: None,
            threads_peak: ThreadCount {
                total: 9,
                io_workers: 0,
            },
            harness_threads: 1,
            workers: 8,
            pool_size: None,
            block_size: 4096,
            computes: true,
            buffered: false,
            page_cache: Vec::new(),
            placement: Default::default(),
            target_rate: None,
            children: None,
            notes: Vec::new(),
            ring: None,
        }
    }

    #[test]
    fn throughput_is_what_completed_inside_the_window() {
        // 1000 measured requests over 2 s would say 500/s; the window saw
        // 900 completions in 1.5 s: 600/s (the rest drained after the deadline).
        let s = summarize(&readings(1000, 1200, Some(((0.0, 100), (1.5, 1000)))));
        assert_eq!(s.throughput_rps, 600.0);
        assert_eq!(s.bytes_per_s, 600.0 * 4096.0);
        // Without window readings: measured requests over measured time.
        let s = summarize(&readings(1000, 1200, None));
        assert_eq!(s.throughput_rps, 500.0);
        // With each completion's own instant, the edges' late readings
        // count for nothing: 450 weighted completions over a tapered
        // length of 1.5 s, 300/s, whatever number of them ended inside.
        let mut r = readings(1000, 1200, Some(((0.0, 100), (1.5, 1000))));
        r.totals.in_window = 512;
        r.totals.in_window_weight = 450.0;
        r.window_len = Some(Duration::from_millis(1500));
        assert_eq!(summarize(&r).throughput_rps, 300.0);
    }

    #[test]
    fn cpu_is_divided_by_every_request_of_the_cell() {
        let s = summarize(&readings(1000, 1250, None));
        // 2 s of CPU over 1250 requests (warm-up included), over 4 s of cell.
        assert_eq!(s.cpu.per_request_ns, 2e9 / 1250.0);
        assert_eq!(s.cpu.cores_busy, 0.5);
        assert_eq!(s.server.unwrap().per_request_ns, 1000.0 / 1250.0);
        assert_eq!(s.checksum.as_deref(), Some("0000000000000abc"));
        assert_eq!(s.engine_threads(), 8);
    }

    #[test]
    fn cpu_per_request_is_the_windows_when_both_edges_were_read() {
        // 900 completions in the window, 0.45 s of client CPU and 0.09 s of
        // server CPU inside it: 500 µs and 100 µs a request, whatever the
        // warm-up cost (the whole cell's 2 s over 1200 would say 1.67 ms).
        let mut r = readings(1000, 1200, Some(((0.0, 100), (1.5, 1000))));
        r.window_cpu = Some(WindowCpu {
            client_ns: 450_000_000,
            server_ns: Some(90_000_000),
        });
        let s = summarize(&r);
        assert_eq!(s.cpu.per_request_ns, 500_000.0);
        assert_eq!(s.server.unwrap().per_request_ns, 100_000.0);
        // The totals stay the whole cell's.
        assert_eq!(s.cpu.user_ns + s.cpu.sys_ns, 2_000_000_000);
        // With weighted completions: the window's CPU rate (0.3 s a
        // second) over its throughput (600 weighted over 1.5 s, 400/s),
        // 750 µs, whatever count the watch read at the edges.
        r.window_len = Some(Duration::from_millis(1500));
        r.totals.in_window = 640;
        r.totals.in_window_weight = 600.0;
        let s = summarize(&r);
        assert_eq!(s.throughput_rps, 400.0);
        assert!(
            (s.cpu.per_request_ns - 750_000.0).abs() < 1e-6,
            "{}",
            s.cpu.per_request_ns
        );
        assert!((s.server.unwrap().per_request_ns - 150_000.0).abs() < 1e-6);
        r.window_len = None;
        // No completion inside the window: the whole cell's figures.
        r.window = Some(((0.0, 100), (1.5, 100)));
        let s = summarize(&r);
        assert_eq!(s.cpu.per_request_ns, 2e9 / 1200.0);
    }

    #[test]
    fn worker_processes_count_with_the_client() {
        let mut r = readings(1000, 1000, None);
        r.children = Some(crate::engine::Children {
            processes: 2,
            usage: Usage {
                user: Duration::from_secs(2),
                ..Usage::default()
            },
            peak_rss_bytes: 3 << 20,
            threads: 0,
        });
        let s = summarize(&r);
        // 2 s of the client and 2 s of the workers over 1000 requests.
        assert_eq!(s.cpu.per_request_ns, 4e9 / 1000.0);
        assert_eq!(s.peak_rss_bytes, Some(4 << 20));
        assert_eq!(s.processes.unwrap().count, 2);
    }

    /// Issue 16: the machine's busy time that neither the client nor the
    /// server accounts for is another process's (fails if ours is not
    /// subtracted, or steal is not read).
    #[test]
    fn another_process_and_steal_are_told_apart_from_ours() {
        let mut r = readings(1000, 1000, None);
        let hz = crate::procfs::clock_ticks();
        let at = |busy: u64, steal: u64, total: u64| MachineCpu { busy, steal, total };
        // 4 s on 2 CPUs = 8 CPU-s of ticks; 5 CPU-s busy, 0.8 CPU-s stolen.
        r.machine = Some((
            at(0, 0, 0),
            at(5 * hz, 8 * hz / 10, 8 * hz),
            Duration::from_secs(4),
        ));
        r.load_average = Some(2.5);
        let m = summarize(&r).machine.unwrap();
        // Ours: the client's 2 s and the server's 1000 ns; the rest, 3 s
        // over 4 s, is another process: 0.75 cores.
        assert!((m.other_cores - 0.75).abs() < 1e-3, "{m:?}");
        assert!((m.steal - 0.1).abs() < 1e-9);
        assert_eq!(m.load_average, 2.5);
        assert!(m.busy());
        assert_eq!(summarize(&r).rss_growth_bytes(), Some(1 << 19));
    }

    #[test]
    fn nothing_completed_divides_by_nothing() {
        let s = summarize(&readings(0, 0, None));
        assert_eq!(s.throughput_rps, 0.0);
        assert_eq!(s.bytes_per_s, 0.0);
        assert_eq!(s.cpu.per_request_ns, 0.0);
    }
}
