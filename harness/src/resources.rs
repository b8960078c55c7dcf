//! Resource accounting for a cell: CPU time and context switches of the whole
//! process (io_uring kernel workers are threads of the process and count
//! too), resident memory (its peak and the baseline it grew from), the OS
//! threads alive during the run, and what the rest of the machine did
//! meanwhile (CPU steal, other processes' CPU, load average).

use std::time::Duration;

use serde::Serialize;

use crate::procfs::{self, Proc};

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
        let total = procfs::status(Proc::Current)
            .and_then(|s| s.threads)
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
        let Some(comms) = procfs::each_task(Proc::Current, "comm") else {
            return t;
        };
        for comm in comms {
            t.total += 1;
            if comm.is_some_and(|c| c.starts_with("iou-")) {
                t.io_workers += 1;
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

/// CPU time so far, user plus system, of this process's threads whose name
/// starts with `prefix` (a kernel thread of ours, such as io_uring's SQPOLL
/// thread); `None` when there is none.
pub fn threads_cpu(prefix: &str) -> Option<Duration> {
    let (u, s) = procfs::threads_cpu_ticks(prefix)?;
    Some(Duration::from_nanos(
        (u + s).saturating_mul(1_000_000_000) / procfs::clock_ticks(),
    ))
}

/// Resets the kernel's peak-RSS mark so the next reading covers one cell.
pub fn reset_peak_rss() {
    procfs::reset_peak_rss(Proc::Current);
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

/// Resident set size now, in bytes.
pub fn rss_bytes() -> Option<u64> {
    procfs::status(Proc::Current)?.vm_rss
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
        Some(Self::of_fields(&procfs::machine_cpu()?))
    }

    /// Reads the aggregate `cpu` line of `/proc/stat` text.
    pub fn parse(stat: &str) -> Option<Self> {
        Some(Self::of_fields(&procfs::cpu_line(stat)?))
    }

    fn of_fields(f: &[u64]) -> Self {
        let at = |i: usize| f.get(i).copied().unwrap_or(0);
        // user nice system idle iowait irq softirq steal (guest is in user).
        MachineCpu {
            busy: at(0) + at(1) + at(2),
            steal: at(7),
            total: (0..8).map(at).sum(),
        }
    }
}

/// Peak resident set size since the last reset, in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    procfs::status(Proc::Current)?.vm_hwm
}

/// CPU used so far, read at one instant, in nanoseconds (user + system):
/// the client's side (this process, every thread including exited ones, and
/// its other descendants: worker processes, a Python program and its pool)
/// and the server's (the process iobound started, and its descendants).
/// Two marks bracket the measured window, so CPU per request is the
/// window's CPU over the window's completions, the same span as the
/// throughput: set-up and warm-up (4096 threads being created, a pool
/// starting) are not spread over requests they did not serve.
///
/// Other processes are read one by one, by pid, and a window counts for
/// each only what it used between the two marks: a process that ends in
/// the window (an earlier cell's worker still exiting) must not take its
/// whole past with it, and one that starts in the window counts from zero.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuMark {
    /// This process: every thread, exited ones included.
    ours_ns: u64,
    /// The client's other processes: (pid, CPU so far).
    others: Vec<(u32, u64)>,
    /// The server's processes, when there is one to read.
    server: Option<Vec<(u32, u64)>>,
}

impl CpuMark {
    pub fn now(server: Option<u32>) -> CpuMark {
        let tick = 1_000_000_000 / procfs::clock_ticks();
        // A live process's own CPU, and what the children it reaped used.
        let read = |pids: &[u32]| -> Vec<(u32, u64)> {
            pids.iter()
                .filter_map(|&p| {
                    let own = cpu_of(p).map(|(u, s)| u + s)?;
                    let reaped =
                        procfs::reaped_cpu_ticks(Proc::Pid(p)).map_or(0, |(u, s)| (u + s) * tick);
                    Some((p, own + reaped))
                })
                .collect()
        };
        let server_tree = server.map(procfs::family).unwrap_or_default();
        let ours = Usage::now();
        let others: Vec<u32> = procfs::family(std::process::id())
            .into_iter()
            .skip(1)
            .filter(|p| !server_tree.contains(p))
            .collect();
        CpuMark {
            ours_ns: (ours.user + ours.sys).as_nanos() as u64,
            others: read(&others),
            server: server.and_then(cpu_of).map(|_| read(&server_tree)),
        }
    }

    /// CPU used between `earlier` and this mark (ns): the client's side,
    /// and the server's when both marks read it.
    pub fn since(&self, earlier: &CpuMark) -> (u64, Option<u64>) {
        // Each process's growth: pids this mark still sees, against what
        // the earlier one read of them (zero for a process started since).
        let grown = |now: &[(u32, u64)], then: &[(u32, u64)]| -> u64 {
            now.iter()
                .map(|(pid, ns)| {
                    let before = then.iter().find(|(p, _)| p == pid).map_or(0, |(_, b)| *b);
                    ns.saturating_sub(before)
                })
                .sum()
        };
        let client =
            self.ours_ns.saturating_sub(earlier.ours_ns) + grown(&self.others, &earlier.others);
        let server = match (&self.server, &earlier.server) {
            (Some(now), Some(then)) => Some(grown(now, then)),
            _ => None,
        };
        (client, server)
    }
}

#[cfg(test)]
mod cpu_mark_tests {
    use super::CpuMark;

    /// An earlier cell's worker (pid 7, 5 s of CPU behind it) exits during
    /// the window: the window must not lose its 5 s. A process started in
    /// the window (pid 9) counts from zero.
    #[test]
    fn a_process_ending_in_the_window_does_not_take_its_past_with_it() {
        let a = CpuMark {
            ours_ns: 1_000,
            others: vec![(7, 5_000_000_000), (8, 2_000)],
            server: Some(vec![(3, 10_000)]),
        };
        let b = CpuMark {
            ours_ns: 1_500,
            others: vec![(8, 2_600), (9, 300)],
            server: Some(vec![(3, 10_900)]),
        };
        assert_eq!(b.since(&a), (500 + 600 + 300, Some(900)));
        // No server read on one side: no server figure.
        let c = CpuMark {
            server: None,
            ..b.clone()
        };
        assert_eq!(c.since(&a).1, None);
    }
}

/// CPU time of a process so far (user, system), in nanoseconds. The total
/// comes from the process's CPU-time clock (nanoseconds, where /proc's
/// ticks are 10 ms: a short cell's server CPU would be mostly rounding);
/// the split between user and system follows /proc's ticks.
pub fn cpu_of(pid: u32) -> Option<(u64, u64)> {
    let (user, sys) = procfs::cpu_ticks(Proc::Pid(pid))?;
    let hz = procfs::clock_ticks();
    let (user, sys) = (user * 1_000_000_000 / hz, sys * 1_000_000_000 / hz);
    let Some(total) = process_cpu_ns(pid) else {
        return Some((user, sys));
    };
    let user_share = if user + sys > 0 {
        user as f64 / (user + sys) as f64
    } else {
        0.5
    };
    let u = (total as f64 * user_share) as u64;
    Some((u, total - u))
}

/// A process's CPU time (all its threads, user and system) in nanoseconds.
fn process_cpu_ns(pid: u32) -> Option<u64> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: clock_getcpuclockid writes one clockid_t we own.
    if unsafe { libc::clock_getcpuclockid(pid as libc::pid_t, &mut clock) } != 0 {
        return None;
    }
    // SAFETY: timespec is plain integers, for which all zeroes is a valid value.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: clock_gettime fills the timespec we pass.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return None;
    }
    Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// This program, to start again as a child (a server, a worker): the
/// kernel's link to the running binary, which stays valid even when the file
/// was replaced or removed since (a rebuild during a run), unlike the path
/// `current_exe` reads from it.
pub fn self_exe() -> std::io::Result<std::path::PathBuf> {
    let proc_link = std::path::Path::new("/proc/self/exe");
    if proc_link.exists() {
        return Ok(proc_link.to_path_buf());
    }
    std::env::current_exe()
}

/// A command that starts this program again ([`self_exe`]), named as it
/// was started (its `argv[0]`), so `ps` and `pgrep` show `iobound ...`
/// rather than `/proc/self/exe ...`.
pub fn self_command() -> std::io::Result<std::process::Command> {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(self_exe()?);
    cmd.arg0(
        std::env::args_os()
            .next()
            .unwrap_or_else(|| "iobound".into()),
    );
    Ok(cmd)
}

/// Makes a child started from `cmd` die with iobound whatever happens to
/// iobound (error, panic, even kill -9): the parent-death signal, set
/// between fork and exec.
pub fn die_with_parent(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and only
    // makes an async-signal-safe syscall (prctl).
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
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
        assert!(procfs::load_average().is_some());
    }
}
