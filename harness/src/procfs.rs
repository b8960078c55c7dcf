//! Every read of `/proc` (and the one write, `clear_refs`): which file, and
//! how its text is parsed. Callers give the numbers their meaning
//! (`resources`, `placement`, `sysinfo`, the `procs` engine); the parsers
//! take text so they are tested on fixed samples.
//!
//! All of it runs outside the measured window (before a cell's clock
//! starts, after it stops, or in the once-a-tick watcher), so plain
//! `read_to_string` is fine; no reading here may fail a run: a missing
//! file or field is `None`.

use std::path::Path;

/// Which process a reading is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proc {
    /// This process (`/proc/self`).
    Current,
    Pid(u32),
}

impl Proc {
    fn file(self, name: &str) -> String {
        match self {
            Proc::Current => format!("/proc/self/{name}"),
            Proc::Pid(pid) => format!("/proc/{pid}/{name}"),
        }
    }
}

/// Clock ticks per second (USER_HZ): the unit of the CPU times in
/// `/proc/<pid>/stat` and `/proc/stat`.
pub(crate) fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64
}

/// Field `n` of a `/proc/<pid>/stat` line, numbered from 1 as in proc(5)
/// (14 utime, 15 stime, 39 the CPU it last ran on). The command name
/// (field 2) may hold spaces and parentheses, so fields are counted from
/// its last `)`; it cannot itself be read here.
pub(crate) fn stat_field(stat: &str, n: usize) -> Option<u64> {
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    // `rest` starts at field 3, the state.
    rest.split_whitespace().nth(n.checked_sub(3)?)?.parse().ok()
}

/// A process's CPU time so far, user and system, in clock ticks
/// ([`clock_ticks`] per second), from `/proc/<pid>/stat`.
pub(crate) fn cpu_ticks(p: Proc) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(p.file("stat")).ok()?;
    Some((stat_field(&stat, 14)?, stat_field(&stat, 15)?))
}

/// The CPU time of a process's children it has reaped (its `cutime` and
/// `cstime`, fields 16 and 17), in clock ticks.
pub(crate) fn reaped_cpu_ticks(p: Proc) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(p.file("stat")).ok()?;
    Some((stat_field(&stat, 16)?, stat_field(&stat, 17)?))
}

/// Every process and its parent (field 4 of its stat), as /proc lists them.
pub(crate) fn parents() -> Vec<(u32, u32)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(Proc::Pid(pid).file("stat")).ok()?;
            Some((pid, stat_field(&stat, 4)? as u32))
        })
        .collect()
}

/// A process and its descendants, parents before children.
pub(crate) fn family(pid: u32) -> Vec<u32> {
    let parents = parents();
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let me = out[i];
        out.extend(parents.iter().filter(|(_, pp)| *pp == me).map(|(p, _)| *p));
        i += 1;
    }
    out
}

/// The fields iobound reads from `/proc/<pid>/status`; memory in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Status {
    /// `Threads`: threads of the process.
    pub(crate) threads: Option<u32>,
    /// `VmRSS`: resident set now.
    pub(crate) vm_rss: Option<u64>,
    /// `VmHWM`: peak resident set since start or the last [`reset_peak_rss`].
    pub(crate) vm_hwm: Option<u64>,
    /// `voluntary_ctxt_switches`, summed over the threads.
    pub(crate) voluntary_switches: Option<u64>,
    /// `nonvoluntary_ctxt_switches`, summed over the threads.
    pub(crate) involuntary_switches: Option<u64>,
    /// `CapEff`: the effective capability set, as a bit mask.
    pub(crate) cap_eff: Option<u64>,
}

impl Status {
    /// Reads the fields above from the file's text; the first line of each
    /// name counts, and a value that does not parse is `None`.
    pub(crate) fn parse(text: &str) -> Status {
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
        };
        let number = |name: &str| value(name)?.parse::<u64>().ok();
        // "VmHWM:	    1234 kB"
        let kib = |name: &str| {
            let kib: u64 = value(name)?.split_whitespace().next()?.parse().ok()?;
            Some(kib * 1024)
        };
        Status {
            threads: value("Threads").and_then(|v| v.parse().ok()),
            vm_rss: kib("VmRSS"),
            vm_hwm: kib("VmHWM"),
            voluntary_switches: number("voluntary_ctxt_switches"),
            involuntary_switches: number("nonvoluntary_ctxt_switches"),
            cap_eff: value("CapEff").and_then(|v| u64::from_str_radix(v, 16).ok()),
        }
    }
}

/// `/proc/<pid>/status`, parsed; `None` if it cannot be read (the process
/// is gone).
pub(crate) fn status(p: Proc) -> Option<Status> {
    std::fs::read_to_string(p.file("status"))
        .ok()
        .map(|s| Status::parse(&s))
}

/// File `name` (`comm`, `stat`) of every thread in `/proc/<pid>/task`, one
/// entry per thread, `None` where a thread's file could not be read (it
/// exited meanwhile). `None` if the task directory cannot be listed.
pub(crate) fn each_task(p: Proc, name: &str) -> Option<Vec<Option<String>>> {
    let dir = std::fs::read_dir(p.file("task")).ok()?;
    Some(
        dir.flatten()
            .map(|t| std::fs::read_to_string(t.path().join(name)).ok())
            .collect(),
    )
}

/// CPU time so far, user and system in clock ticks, of this process's
/// threads whose name starts with `prefix` (io_uring's SQPOLL thread is
/// `iou-sqp-<pid>`), summed; `None` when no thread has that name.
pub(crate) fn threads_cpu_ticks(prefix: &str) -> Option<(u64, u64)> {
    let dir = std::fs::read_dir(Proc::Current.file("task")).ok()?;
    let mut found = None;
    for t in dir.flatten() {
        let named = std::fs::read_to_string(t.path().join("comm"))
            .is_ok_and(|c| c.trim_end().starts_with(prefix));
        let stat = named
            .then(|| std::fs::read_to_string(t.path().join("stat")).ok())
            .flatten();
        if let Some(stat) = stat {
            let (u, s) = found.unwrap_or((0, 0));
            found = Some((
                u + stat_field(&stat, 14).unwrap_or(0),
                s + stat_field(&stat, 15).unwrap_or(0),
            ));
        }
    }
    found
}

/// Resets the process's peak resident set (`VmHWM`) to its current one, by
/// writing "5" to `/proc/<pid>/clear_refs` (Linux 4.0+; a kernel without
/// it leaves the peak covering the process's life).
pub(crate) fn reset_peak_rss(p: Proc) {
    let _ = std::fs::write(p.file("clear_refs"), "5");
}

/// The numbers of the aggregate `cpu` line of `/proc/stat`: clock ticks of
/// user, nice, system, idle, iowait, irq, softirq, steal, guest, ...
pub(crate) fn cpu_line(stat: &str) -> Option<Vec<u64>> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    line.split_whitespace()
        .skip(1)
        .map(|x| x.parse().ok())
        .collect()
}

/// [`cpu_line`] of this machine's `/proc/stat`.
pub(crate) fn machine_cpu() -> Option<Vec<u64>> {
    cpu_line(&std::fs::read_to_string("/proc/stat").ok()?)
}

/// The one-minute load average, the first number of `/proc/loadavg`.
pub(crate) fn parse_loadavg(text: &str) -> Option<f64> {
    text.split_whitespace().next()?.parse().ok()
}

/// This machine's one-minute load average.
pub(crate) fn load_average() -> Option<f64> {
    parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

/// The CPU's model from `/proc/cpuinfo` text: the first `model name` (x86)
/// or `Model` (ARM) line's value.
pub(crate) fn cpuinfo_model(text: &str) -> Option<String> {
    text.lines()
        .find(|l| l.starts_with("model name") || l.starts_with("Model"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// This machine's CPU model.
pub(crate) fn cpu_model() -> Option<String> {
    cpuinfo_model(&std::fs::read_to_string("/proc/cpuinfo").ok()?)
}

/// `MemTotal` of `/proc/meminfo` text, in bytes.
pub(crate) fn meminfo_total(text: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<u64>().ok())
        .map(|k| k * 1024)
}

/// This machine's memory, in bytes.
pub(crate) fn mem_total() -> Option<u64> {
    meminfo_total(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

/// One line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mount {
    pub(crate) mount_point: String,
    pub(crate) fstype: String,
    /// The mount source: a device, or a name such as `tmpfs`.
    pub(crate) source: String,
}

/// The mounts of `/proc/self/mountinfo` text, in its order; malformed
/// lines are left out.
pub(crate) fn parse_mounts(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            // Fields: id parent major:minor root mount-point options ... - fstype source super
            let (pre, post) = line.split_once(" - ")?;
            let mount_point = unescape(pre.split(' ').nth(4)?);
            let mut post = post.split(' ');
            let fstype = post.next()?.to_string();
            let source = post.next().unwrap_or("").to_string();
            Some(Mount {
                mount_point,
                fstype,
                source,
            })
        })
        .collect()
}

/// This process's mounts (none if the file cannot be read).
pub(crate) fn mounts() -> Vec<Mount> {
    parse_mounts(&std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default())
}

/// mountinfo escapes spaces and a few other bytes as octal `\040`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest
            .get(i + 1..i + 4)
            .and_then(|o| u8::from_str_radix(o, 8).ok());
        match code {
            Some(b) => {
                out.push(b as char);
                rest = &rest[i + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `kernel.io_uring_disabled` (0 enabled, 1 root or group only, 2 off),
/// if the kernel has the sysctl.
pub(crate) fn io_uring_disabled() -> Option<u8> {
    let path = Path::new("/proc/sys/kernel/io_uring_disabled");
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_past_the_command_name() {
        // A command name with spaces and a ')' of its own.
        let stat = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 500 0 0 0 \
                    73 19 0 0 20 0 3 0 100 1000000 200 18446744073709551615 \
                    1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assert_eq!(stat_field(stat, 14), Some(73));
        assert_eq!(stat_field(stat, 15), Some(19));
        assert_eq!(stat_field(stat, 39), Some(1));
        assert_eq!(stat_field(stat, 4), Some(1));
        // Field 2 and beyond the line are not there; nor is a cut line.
        assert_eq!(stat_field(stat, 2), None);
        assert_eq!(stat_field(stat, 99), None);
        assert_eq!(stat_field("12 (cut", 14), None);
        assert_eq!(stat_field("12 (x)", 3), None);
    }

    #[test]
    fn status_fields_are_read_in_bytes_and_counts() {
        let text = "Name:\tiobound\nUmask:\t0022\nVmHWM:\t   20480 kB\n\
                    VmRSS:\t   10240 kB\nThreads:\t7\nCapEff:\t000001ffffffffff\n\
                    voluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t3\n";
        let s = Status::parse(text);
        assert_eq!(s.vm_hwm, Some(20 << 20));
        assert_eq!(s.vm_rss, Some(10 << 20));
        assert_eq!(s.threads, Some(7));
        assert_eq!(s.voluntary_switches, Some(150));
        assert_eq!(s.involuntary_switches, Some(3));
        assert_eq!(s.cap_eff.map(|c| c >> 14 & 1), Some(1));
        // Missing or unreadable fields are None, not zero.
        let s = Status::parse("Threads:\tmany\nVmRSS:\n");
        assert_eq!(s, Status::default());
    }

    #[test]
    fn machine_files_are_parsed() {
        let stat = "cpu  100 5 50 1000 20 3 7 40 0 0\ncpu0 50 2 25 500 10 1 3 20 0 0\n";
        assert_eq!(
            cpu_line(stat),
            Some(vec![100, 5, 50, 1000, 20, 3, 7, 40, 0, 0])
        );
        assert_eq!(cpu_line("cpu0 1 2\n"), None);
        assert_eq!(parse_loadavg("0.52 0.58 0.59 1/467 12345\n"), Some(0.52));
        let cpuinfo =
            "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Some CPU @ 2.0GHz\n";
        assert_eq!(cpuinfo_model(cpuinfo).as_deref(), Some("Some CPU @ 2.0GHz"));
        assert_eq!(
            cpuinfo_model("Model\t\t: Raspberry Pi 4\n").as_deref(),
            Some("Raspberry Pi 4")
        );
        assert_eq!(
            meminfo_total("MemTotal:       16384 kB\nMemFree: 1 kB\n"),
            Some(16 << 20)
        );
        let mi = "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n\
                  31 22 0:41 / /mnt/my\\040disk rw - xfs /dev/vdb rw\nnot a mount\n";
        let m = parse_mounts(mi);
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].mount_point, "/mnt/my disk");
        assert_eq!(
            (m[0].fstype.as_str(), m[0].source.as_str()),
            ("ext4", "/dev/vda")
        );
    }

    #[test]
    fn this_process_and_machine_are_read() {
        assert!(cpu_ticks(Proc::Current).is_some());
        assert!(cpu_ticks(Proc::Pid(std::process::id())).is_some());
        let s = status(Proc::Current).unwrap();
        assert!(s.threads.unwrap() >= 1 && s.vm_rss.unwrap() > 0, "{s:?}");
        let tasks = each_task(Proc::Current, "comm").unwrap();
        assert!(!tasks.is_empty());
        assert!(machine_cpu().is_some_and(|f| f.len() >= 8));
        assert!(load_average().is_some());
        assert!(mem_total().is_some_and(|m| m > 0));
        assert!(!mounts().is_empty());
        assert!(clock_ticks() > 0);
    }
}
