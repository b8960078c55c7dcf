//! The Python program's process family (the interpreter, a pool's
//! forkserver and workers) read from /proc: their CPU, memory, threads.

use crate::procfs::{self, Proc};

/// A process and its descendants (the pool's forkserver and workers).
pub(super) use crate::procfs::family;

/// The program's family now: its processes' CPU (user, sys in ns: the live
/// ones' own, and what the children they reaped used), peak memory summed,
/// threads summed, processes.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sample {
    pub(super) user: u64,
    pub(super) sys: u64,
    pub(super) rss: u64,
    pub(super) threads: u64,
    pub(super) processes: usize,
}

pub(super) fn sample(family: &[u32]) -> Sample {
    let tick = 1_000_000_000 / procfs::clock_ticks();
    let mut out = Sample::default();
    for &p in family {
        if let Some((u, s)) = crate::resources::cpu_of(p) {
            out.user += u;
            out.sys += s;
        }
        if let Some((u, s)) = procfs::reaped_cpu_ticks(Proc::Pid(p)) {
            out.user += u * tick;
            out.sys += s * tick;
        }
        let status = procfs::status(Proc::Pid(p)).unwrap_or_default();
        out.rss += status.vm_hwm.unwrap_or(0);
        out.threads += u64::from(status.threads.unwrap_or(0));
        out.processes += 1;
    }
    out
}
