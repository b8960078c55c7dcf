//! Resource accounting for a cell: CPU time and context switches of the whole
//! process (io_uring kernel workers are threads of the process and count
//! too), resident memory (its peak and the baseline it grew from), the OS
//! threads alive during the run, and what the rest of the machine did
//! meanwhile (CPU steal, other processes' CPU, load average).

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

/// Hands memory the allocator keeps after earlier cells (freed heap in
/// glibc's arenas, after thousands of threads) back to the kernel, so a
/// cell's resident memory is not inflated by what ran before it.
pub fn release_free_memory() {
    // SAFETY: malloc_trim has no preconditions; it only releases free pages.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A `/proc/self/status` field in KiB, as bytes.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resident set size now, in bytes.
pub fn rss_bytes() -> Option<u64> {
    status_kib("VmRSS:")
}

/// The whole machine's CPU time from the first line of /proc/stat, in clock
/// ticks summed over every CPU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MachineCpu {
    /// user + nice + system: time processes ran (interrupts apart, which
    /// the kernel does on behalf of whoever sends packets, us included).
    pub busy: u64,
    /// Time the hypervisor gave this VM's CPUs to someone else.
    pub steal: u64,
    /// Every field: busy, idle, iowait, interrupts, steal.
    pub total: u64,
}

impl MachineCpu {
    pub fn now() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    /// Reads the aggregate `cpu` line.
    pub fn parse(stat: &str) -> Option<Self> {
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let f: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        let at = |i: usize| f.get(i).copied().unwrap_or(0);
        // user nice system idle iowait irq softirq steal (guest is in user).
        Some(MachineCpu {
            busy: at(0) + at(1) + at(2),
            steal: at(7),
            total: (0..8).map(at).sum(),
        })
    }
}

/// Clock ticks per second (USER_HZ).
pub fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64
}

/// The one-minute load average.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Peak resident set size since the last reset, in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    status_kib("VmHWM:")
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
        assert!(rss_bytes().unwrap() > 0);
    }

    #[test]
    fn the_machine_line_of_proc_stat_is_read() {
        let stat = "cpu  100 5 50 1000 20 3 7 40 0 0\ncpu0 50 2 25 500 10 1 3 20 0 0\n";
        let m = MachineCpu::parse(stat).unwrap();
        assert_eq!((m.busy, m.steal, m.total), (155, 40, 1225));
        assert!(MachineCpu::now().is_some_and(|m| m.total > 0));
        assert!(load_average().is_some());
    }
}
