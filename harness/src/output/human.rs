//! The terminal summary: one aligned row per cell, units chosen per value.

use crate::result::{workload_label, CellResult, Residency, Status};

/// Formats nanoseconds with a unit that keeps 3-4 significant digits.
pub fn duration_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0}ns")
    } else if ns < 1e6 {
        format!("{:.1}µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2}ms", ns / 1e6)
    } else {
        format!("{:.2}s", ns / 1e9)
    }
}

/// How CPU time per request is named wherever it is shown (terminal,
/// reports, charts): one unit, microseconds per request.
pub const CPU_PER_REQUEST: &str = "CPU µs/req";

/// CPU time per request in microseconds (the number only; the unit is
/// [`CPU_PER_REQUEST`]), with three significant digits or so.
pub fn cpu_us(ns: f64) -> String {
    let us = ns / 1e3;
    if us < 10.0 {
        format!("{us:.2}")
    } else if us < 1000.0 {
        format!("{us:.1}")
    } else {
        format!("{us:.0}")
    }
}

/// Formats a rate with k/M suffixes.
pub fn rate(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// Formats a byte count in binary units.
pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0}{}", UNITS[u])
    } else {
        format!("{v:.1}{}", UNITS[u])
    }
}

/// One line saying where the numbers come from.
pub fn system_line(i: &crate::sysinfo::SystemInfo) -> String {
    let uring = if i.io_uring.available {
        "io_uring available".to_string()
    } else {
        format!(
            "io_uring UNAVAILABLE ({}): uring cells will be skipped",
            i.io_uring.reason.as_deref().unwrap_or("unknown reason")
        )
    };
    let memory_fs = matches!(i.filesystem.fstype.as_str(), "tmpfs" | "ramfs");
    let warn = if memory_fs {
        "\nnote: the data directory is in memory (tmpfs): file I/O never reaches a disk; \
         use --data-dir on the device you want to measure"
    } else {
        ""
    };
    format!(
        "system: Linux {} on {} CPU{} ({}), {} RAM; data on {} ({}) {}; {uring}{warn}",
        i.kernel,
        i.cpus,
        if i.cpus == 1 { "" } else { "s" },
        i.cpu_model,
        bytes(i.memory_bytes as f64),
        i.filesystem.fstype,
        i.filesystem.device,
        if i.direct_io {
            "with O_DIRECT"
        } else {
            "through the page cache"
        },
    )
}

/// The table header.
pub fn header() -> String {
    format!(
        "{:<24} {:<8} {:>5} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>7}",
        "workload",
        "mode",
        "conc",
        "req/s",
        "bytes/s",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "max",
        CPU_PER_REQUEST,
        "threads"
    )
}

/// One row per cell; skipped and failed cells say why.
pub fn row(cell: &CellResult) -> String {
    let k = &cell.key;
    let name = match k.rate {
        Some(r) => format!(
            "{} @{}/s",
            workload_label(&k.workload, k.direct),
            rate(r as f64)
        ),
        None => k.label(),
    };
    let lead = format!("{name:<24} {:<8} {:>5}", k.mode, k.concurrency);
    match (&cell.status, &cell.summary) {
        (Status::Ok | Status::Interrupted, Some(s)) => {
            let l = &s.latency;
            let mut extra = String::new();
            if cell.status == Status::Interrupted {
                extra.push_str(&format!(
                    "\n    INTERRUPTED: {}",
                    cell.reason.as_deref().unwrap_or("cut short")
                ));
            }
            if let (Some(target), Some(u)) = (s.target_rate, &s.latency_uncorrected) {
                let behind = s.throughput_rps < 0.95 * target;
                // Little's law on the connections: each carries one request
                // at a time, for as long as the request takes from its send.
                let carry = k.concurrency as f64 * 1e9 / u.mean_ns.max(1.0);
                extra.push_str(&format!(
                    "\n    open loop: {} of {target:.0} req/s intended{}; uncorrected (from the actual send) p50 {} p99 {} max {}",
                    rate(s.throughput_rps),
                    if behind {
                        format!(
                            " -- CANNOT KEEP UP: {} connections x {} per request carry at most ~{} req/s (Little's law; raise -c)",
                            k.concurrency,
                            duration_ns(u.mean_ns),
                            rate(carry)
                        )
                    } else {
                        String::new()
                    },
                    duration_ns(u.p50_ns as f64),
                    duration_ns(u.p99_ns as f64),
                    duration_ns(u.max_ns as f64),
                ));
            }
            if let Some(sv) = &s.server {
                extra.push_str(&format!(
                    "\n    server: {} {CPU_PER_REQUEST}, {:.2} cores busy",
                    cpu_us(sv.per_request_ns),
                    (sv.user_ns + sv.sys_ns) as f64 / s.elapsed_ns.max(1) as f64
                ));
            }
            if let Some(p) = &s.processes {
                extra.push_str(&if p.count == 1 {
                    format!(
                        "\n    1 process of the engine: its CPU is in {CPU_PER_REQUEST}; {} peak memory",
                        bytes(p.peak_rss_bytes as f64)
                    )
                } else {
                    format!(
                        "\n    {} processes of the engine (its workers, and their parents): their CPU is in {CPU_PER_REQUEST}; {} peak memory together",
                        p.count,
                        bytes(p.peak_rss_bytes as f64)
                    )
                });
            }
            for n in &s.notes {
                extra.push_str(&format!("\n    note: {n}"));
            }
            format!(
                "{lead} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>7}",
                rate(s.throughput_rps),
                // Compute-only workloads move no bytes: nothing to show.
                if s.bytes == 0 {
                    "-".to_string()
                } else {
                    format!("{}/s", bytes(s.bytes_per_s))
                },
                duration_ns(l.p50_ns as f64),
                duration_ns(l.p90_ns as f64),
                duration_ns(l.p99_ns as f64),
                duration_ns(l.p999_ns as f64),
                duration_ns(l.max_ns as f64),
                cpu_us(s.cpu.per_request_ns),
                s.engine_threads(),
            ) + &extra
        }
        (status, _) => format!(
            "{lead}  {}: {}",
            match status {
                Status::Skipped => "skipped",
                Status::Interrupted => "INTERRUPTED",
                _ => "FAILED",
            },
            cell.reason.as_deref().unwrap_or("no reason recorded")
        ),
    }
}

/// Lowest residency (fraction) that still counts as "cached".
pub const RESIDENT: f64 = 0.99;

/// Lines about page-cache residency of the data files that buffered cells
/// read: one line when every one stayed resident, otherwise one line per cell
/// whose data was partly on disk. (A log's residency is recorded but does not
/// decide anything: aligned appends need no cached pages.)
pub fn cache_notes(cells: &[CellResult]) -> Vec<String> {
    let buffered: Vec<(&CellResult, Vec<&Residency>)> = cells
        .iter()
        .filter_map(|c| c.summary.as_ref().map(|s| (c, s)))
        .filter(|(_, s)| s.buffered)
        .map(|(c, s)| {
            (
                c,
                s.page_cache
                    .iter()
                    .filter(|r| r.role == "data")
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, r)| !r.is_empty())
        .collect();
    if buffered.is_empty() {
        return Vec::new();
    }
    let cold: Vec<String> = buffered
        .iter()
        .filter(|(_, rs)| {
            rs.iter()
                .any(|r| !(r.start >= RESIDENT && r.end >= RESIDENT))
        })
        .map(|(c, rs)| {
            let parts: Vec<String> = rs
                .iter()
                .map(|r| {
                    let name = r.path.rsplit('/').next().unwrap_or(&r.path);
                    format!("{name} {:.0}% -> {:.0}%", r.start * 100.0, r.end * 100.0)
                })
                .collect();
            format!(
                "page cache: {} was not fully resident (start -> end: {}); part of it was disk I/O",
                c.stem(),
                parts.join(", ")
            )
        })
        .collect();
    if cold.is_empty() {
        vec![format!(
            "page cache: {} buffered cell(s) ran on a warm cache (every data file >= {:.0}% resident at start and end)",
            buffered.len(),
            RESIDENT * 100.0
        )]
    } else {
        cold
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::record::new_histogram;
    use crate::resources::ThreadCount;
    use crate::result::{CellKey, Cpu, Latency, Summary};

    pub fn sample_cell() -> CellResult {
        let mut h = new_histogram();
        for i in 0..1000u64 {
            h.record(100_000 + i * 1000).unwrap();
        }
        let summary = Summary {
            requests: 1000,
            elapsed_ns: 1_000_000_000,
            throughput_rps: 1000.0,
            bytes: 4096 * 1000,
            bytes_per_s: 4096.0 * 1000.0,
            latency: Latency::of(&h),
            cpu: Cpu {
                user_ns: 1_000_000,
                sys_ns: 2_000_000,
                per_request_ns: 3000.0,
                cores_busy: 0.003,
                voluntary_switches: 10,
                involuntary_switches: 1,
            },
            peak_rss_bytes: Some(10 << 20),
            baseline_rss_bytes: None,
            machine: None,
            threads_peak: ThreadCount {
                total: 3,
                io_workers: 1,
            },
            harness_threads: 1,
            workers: 1,
            pool_size: None,
            block_size: 4096,
            checksum: None,
            server: None,
            placement: Default::default(),
            target_rate: None,
            latency_uncorrected: None,
            processes: None,
            notes: Vec::new(),
            ring: None,
            buffered: true,
            page_cache: vec![Residency {
                path: "/tmp/iobound-data-1.dat".into(),
                role: "data".into(),
                start: 1.0,
                end: 0.5,
            }],
        };
        CellResult {
            key: CellKey {
                workload: "file-randread".into(),
                direct: false,
                mode: "uring".into(),
                concurrency: 32,
                rate: None,
                tag: None,
            },
            rep: None,
            status: Status::Ok,
            reason: None,
            summary: Some(summary),
            histogram: Some(h),
            histogram_uncorrected: None,
        }
    }

    #[test]
    fn units_are_chosen_by_magnitude() {
        assert_eq!(duration_ns(950.0), "950ns");
        assert_eq!(duration_ns(412_300.0), "412.3µs");
        assert_eq!(duration_ns(2_500_000.0), "2.50ms");
        assert_eq!(duration_ns(3e9), "3.00s");
        assert_eq!(rate(71_234.0), "71.2k");
        assert_eq!(rate(1_100_000.0), "1.10M");
        assert_eq!(bytes(4096.0 * 1000.0), "3.9MiB");
    }

    /// Issue 13: CPU per request in one unit (µs, named in the header),
    /// and no "0B/s" for work that moves no bytes (fails with the old
    /// per-value units or "0B/s").
    #[test]
    fn cpu_is_in_microseconds_and_compute_rows_show_no_bytes() {
        assert!(header().contains("CPU µs/req"));
        assert_eq!(cpu_us(3000.0), "3.00");
        assert_eq!(cpu_us(1_234_567.0), "1235");
        let mut cell = sample_cell();
        let r = row(&cell);
        assert!(r.contains(" 3.00 "), "{r}");
        assert!(!r.contains("3.0µs"), "{r}");
        let s = cell.summary.as_mut().unwrap();
        s.bytes = 0;
        s.bytes_per_s = 0.0;
        let r = row(&cell);
        assert!(!r.contains("0B/s"), "{r}");
        assert!(r.contains(" - "), "{r}");
    }

    #[test]
    fn rows_line_up_with_the_header_and_explain_skips() {
        let cell = sample_cell();
        let r = row(&cell);
        assert_eq!(
            r.len() - r.matches('µ').count(),
            header().len() - header().matches('µ').count()
        );
        assert!(r.contains("1000") && r.contains("file-randread"));
        let skipped = CellResult::not_run(cell.key.clone(), Status::Skipped, "no ring".into());
        assert!(row(&skipped).ends_with("skipped: no ring"));
        assert_eq!(
            cache_notes(std::slice::from_ref(&cell)),
            [
                "page cache: file-randread.uring.c32 was not fully resident \
              (start -> end: iobound-data-1.dat 100% -> 50%); part of it was disk I/O"
            ]
        );
        let mut warm = cell.clone();
        warm.summary.as_mut().unwrap().page_cache[0].end = 1.0;
        assert_eq!(
            cache_notes(&[warm.clone(), warm])[0],
            "page cache: 2 buffered cell(s) ran on a warm cache (every data file >= 99% resident at start and end)"
        );
    }
}
