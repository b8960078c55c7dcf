//! io_uring availability and ring construction, shared by everything in
//! iobound that talks to io_uring (engines, system info).

use io_uring::{opcode, IoUring, Probe};
use serde::Serialize;

/// What the kernel offers, found once at start.
#[derive(Debug, Clone, Serialize)]
pub struct UringSupport {
    pub available: bool,
    /// Why io_uring cannot be used, in plain words.
    pub reason: Option<String>,
    /// Value of `kernel.io_uring_disabled` (0 enabled, 1 root/group only, 2 off), if readable.
    pub sysctl_disabled: Option<u8>,
    /// Opcodes iobound's engines need, and whether the kernel's probe lists them.
    pub opcodes: Vec<OpcodeSupport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpcodeSupport {
    pub name: &'static str,
    pub supported: bool,
}

/// Opcodes the uring engine issues.
pub const NEEDED: [(&str, u8); 3] = [
    ("IORING_OP_READ", opcode::Read::CODE),
    ("IORING_OP_WRITE", opcode::Write::CODE),
    ("IORING_OP_FSYNC", opcode::Fsync::CODE),
];

impl UringSupport {
    /// Probes the running kernel: can a ring be created here, and which
    /// opcodes does it support.
    pub fn detect() -> Self {
        let sysctl_disabled = crate::procfs::io_uring_disabled();
        let ring = match IoUring::<io_uring::squeue::Entry, io_uring::cqueue::Entry>::new(8) {
            Ok(r) => r,
            Err(e) => {
                let why = match (e.raw_os_error(), sysctl_disabled) {
                    (Some(libc::ENOSYS), _) => "the kernel has no io_uring (ENOSYS)".to_string(),
                    (Some(libc::EPERM), Some(d)) if d > 0 => {
                        format!("io_uring is disabled by sysctl kernel.io_uring_disabled={d}")
                    }
                    (Some(libc::EPERM), _) => {
                        "io_uring_setup is not permitted (seccomp filter or container policy)"
                            .to_string()
                    }
                    _ => format!("io_uring_setup failed: {e}"),
                };
                return UringSupport {
                    available: false,
                    reason: Some(why),
                    sysctl_disabled,
                    opcodes: Vec::new(),
                };
            }
        };
        let mut probe = Probe::new();
        let probed = ring.submitter().register_probe(&mut probe).is_ok();
        let opcodes: Vec<OpcodeSupport> = NEEDED
            .iter()
            .map(|&(name, code)| OpcodeSupport {
                name,
                supported: probed && probe.is_supported(code),
            })
            .collect();
        let missing: Vec<&str> = opcodes
            .iter()
            .filter(|o| !o.supported)
            .map(|o| o.name)
            .collect();
        let reason = (!missing.is_empty())
            .then(|| format!("the kernel lacks io_uring opcodes: {}", missing.join(", ")));
        UringSupport {
            available: reason.is_none(),
            reason,
            sysctl_disabled,
            opcodes,
        }
    }
}

/// How a ring runs the work that turns a finished operation into a
/// completion entry (`--taskrun`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Taskrun {
    /// No flag: the kernel interrupts the thread (an IPI or a signal-like
    /// task-work run) as soon as a completion is ready.
    Plain,
    /// COOP_TASKRUN (5.19+): the work waits until the thread next enters the
    /// kernel, without interrupting it.
    Coop,
    /// SINGLE_ISSUER + DEFER_TASKRUN (6.1+): the work runs only when the one
    /// thread that submits waits for completions (enter with GETEVENTS).
    Defer,
}

/// The name (a prefix: `iou-sqp-<pid>`) of the kernel thread an SQPOLL ring
/// polls from. It is a thread of the process that made the ring (5.12+),
/// so its CPU is in the process's own (getrusage, /proc/self/stat).
pub const SQ_THREAD: &str = "iou-sqp-";

/// What a ring was actually created with: the setup flags the kernel
/// accepted and what was registered, recorded with each cell that ran on it
/// so a flag the kernel refused, or an option that changed nothing, shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct RingSetup {
    /// Setup flags the kernel accepted, e.g. `SINGLE_ISSUER`, `DEFER_TASKRUN`, `SQPOLL`.
    pub flags: Vec<String>,
    /// SQPOLL: idle time before the kernel thread sleeps, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sq_thread_idle_ms: Option<u32>,
    /// SQPOLL: the kernel thread's CPU over the ring's life, ns (a thread of
    /// this process, so also in the cell's CPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sq_thread_cpu_ns: Option<u64>,
    /// Data files in the ring's fixed-file table (0: plain descriptors).
    pub registered_files: usize,
    /// Buffers registered for READ_FIXED / WRITE_FIXED (0: none).
    pub fixed_buffers: usize,
    /// Operations per submission while reaping (`--submit-batch`).
    pub submit_batch: usize,
    /// Completions waited for per enter, at most (`--wait-count`).
    pub wait_count: usize,
}

/// A ring built as asked, or as close as the kernel allows.
pub struct Built {
    pub ring: IoUring,
    /// The setup flags it has (see [`RingSetup::flags`]).
    pub flags: Vec<String>,
    /// Each flag the kernel refused and what was used instead, in words.
    pub fallbacks: Vec<String>,
}

/// Builds a ring for one thread that submits and reaps everything itself,
/// with `taskrun`'s flags and, given an idle time in ms, SQPOLL. A kernel
/// that refuses the taskrun flags (EINVAL: older than 6.1 for DEFER_TASKRUN,
/// 5.19 for COOP_TASKRUN; and every kernel refuses them beside SQPOLL,
/// whose thread is not interrupted anyway) gets the next weaker mode, and
/// the step down is reported. SQPOLL itself is never dropped silently: its
/// refusal is the error.
pub fn build(entries: u32, taskrun: Taskrun, sqpoll: Option<u32>) -> std::io::Result<Built> {
    let mut fallbacks = Vec::new();
    let mut mode = taskrun;
    loop {
        let mut b = IoUring::builder();
        // More entries than the kernel allows (32768 on 6.x) get its most,
        // not EINVAL (which the step down below would take for a refused
        // mode); the caller sees the size it got.
        b.setup_clamp();
        let mut flags = Vec::new();
        if let Some(idle) = sqpoll {
            b.setup_sqpoll(idle);
            flags.push("SQPOLL".to_string());
        }
        match mode {
            Taskrun::Plain => {}
            Taskrun::Coop => {
                b.setup_coop_taskrun();
                flags.push("COOP_TASKRUN".into());
            }
            Taskrun::Defer => {
                b.setup_single_issuer().setup_defer_taskrun();
                flags.extend(["SINGLE_ISSUER".into(), "DEFER_TASKRUN".into()]);
            }
        }
        let weaker = match mode {
            Taskrun::Defer => Some(Taskrun::Coop),
            Taskrun::Coop => Some(Taskrun::Plain),
            Taskrun::Plain => None,
        };
        match (b.build(entries), weaker) {
            (Ok(ring), _) => {
                return Ok(Built {
                    ring,
                    flags,
                    fallbacks,
                })
            }
            (Err(e), Some(w)) if e.raw_os_error() == Some(libc::EINVAL) => {
                fallbacks.push(format!(
                    "the kernel refused --taskrun {}{} (EINVAL): --taskrun {} used",
                    name(mode),
                    if sqpoll.is_some() { " with SQPOLL" } else { "" },
                    name(w)
                ));
                mode = w;
            }
            (Err(e), _) => return Err(e),
        }
    }
}

fn name(t: Taskrun) -> &'static str {
    match t {
        Taskrun::Plain => "plain",
        Taskrun::Coop => "coop",
        Taskrun::Defer => "defer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each mode gets its flags where the kernel has them; beside SQPOLL,
    /// which no kernel lets them share, the step down to plain is reported,
    /// never silent. Kernels without a flag, or without SQPOLL for this
    /// user, skip what they cannot show, saying why.
    #[test]
    fn rings_get_the_flags_asked_or_say_what_they_got() {
        if !UringSupport::detect().available {
            crate::errln!("skipping: io_uring unavailable");
            return;
        }
        for (mode, want) in [
            (Taskrun::Plain, &[][..]),
            (Taskrun::Coop, &["COOP_TASKRUN"][..]),
            (Taskrun::Defer, &["SINGLE_ISSUER", "DEFER_TASKRUN"][..]),
        ] {
            let b = build(8, mode, None).unwrap();
            if b.fallbacks.is_empty() {
                assert_eq!(b.flags, want, "{mode:?}");
            } else {
                crate::errln!("{mode:?}: {:?}", b.fallbacks);
                assert_ne!(b.flags, want, "a fallback changes the flags");
            }
        }
        match build(8, Taskrun::Defer, Some(10)) {
            Ok(b) => {
                assert_eq!(b.flags, ["SQPOLL"]);
                assert!(b.ring.params().is_setup_sqpoll());
                assert_eq!(b.fallbacks.len(), 2, "{:?}", b.fallbacks);
                assert!(b.fallbacks[1].ends_with("--taskrun plain used"));
            }
            Err(e) => crate::errln!("skipping the SQPOLL case: {e}"),
        }
    }
}
