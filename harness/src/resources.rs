//! Resource accounting for a cell: CPU time and context switches of the whole
//! process (io_uring kernel workers are threads of the process and count
//! too), peak resident memory, and the OS threads alive during the run.

use std::time::Duration;

use serde::Serialize;

/// A getrusage(RUSAGE_SELF) reading.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub user: Duration,
    pub sys: Duration,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

impl Usage {
    pub fn now() -> Self {
        // SAFETY: rusage is plain data; getrusage fills it and cannot fail for RUSAGE_SELF.
        let ru = unsafe {
            let mut ru: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut ru);
            ru
        };
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        Usage {
            user: tv(ru.ru_utime),
            sys: tv(ru.ru_stime),
            voluntary_switches: ru.ru_nvcsw as u64,
            involuntary_switches: ru.ru_nivcsw as u64,
        }
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Usage) -> Usage {
        Usage {
            user: self.user.saturating_sub(earlier.user),
            sys: self.sys.saturating_sub(earlier.sys),
            voluntary_switches: self
                .voluntary_switches
                .saturating_sub(earlier.voluntary_switches),
            involuntary_switches: self
                .involuntary_switches
                .saturating_sub(earlier.involuntary_switches),
        }
    }
}

/// Threads of this process at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ThreadCount {
    /// All threads, iobound's own main thread included.
    pub total: u32,
    /// io_uring's kernel worker threads (`iou-wrk-*`, `iou-sqp-*`) among them.
    pub io_workers: u32,
}

impl ThreadCount {
    /// All threads, from one read of /proc/self/status; io workers not counted.
    pub fn now() -> Self {
        let total = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Threads:"))
                    .and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or(0);
        ThreadCount {
            total,
            io_workers: 0,
        }
    }

    /// All threads and, by name, io_uring's workers among them. Reads one file
    /// per thread, so it is for processes using io_uring, which have few.
    pub fn with_io_workers() -> Self {
        let mut t = ThreadCount::default();
        let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
            return t;
        };
        for entry in dir.flatten() {
            t.total += 1;
            if let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) {
                if comm.starts_with("iou-") {
                    t.io_workers += 1;
                }
            }
        }
        t
    }

    pub fn max(self, other: ThreadCount) -> ThreadCount {
        ThreadCount {
            total: self.total.max(other.total),
            io_workers: self.io_workers.max(other.io_workers),
        }
    }
}

/// Resets the kernel's peak-RSS mark so the next reading covers one cell.
pub fn reset_peak_rss() {
    // "5" resets VmHWM (Linux 4.0+). Without it the peak covers the process's life.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident set size since the last reset, in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_grows_with_work_and_threads_are_seen() {
        let a = Usage::now();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let d = Usage::now().since(&a);
        assert!(d.user + d.sys > Duration::ZERO);
        let t = std::thread::spawn(|| std::thread::sleep(Duration::from_millis(200)));
        std::thread::sleep(Duration::from_millis(50));
        // Other tests' threads come and go, so compare two readings taken together.
        let (a, b) = (ThreadCount::now(), ThreadCount::with_io_workers());
        assert!(a.total >= 2 && b.total >= 2, "{a:?} {b:?}");
        t.join().unwrap();
        reset_peak_rss();
        assert!(peak_rss_bytes().unwrap() > 0);
    }
}
