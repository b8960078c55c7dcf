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

/// Builds a ring for a single thread that submits and reaps everything
/// itself: SINGLE_ISSUER + DEFER_TASKRUN (6.1+) keep completion work on that
/// thread instead of interrupting it; older kernels fall back step by step.
pub fn build_single_thread(entries: u32) -> std::io::Result<IoUring> {
    IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .build(entries)
        .or_else(|_| IoUring::builder().setup_coop_taskrun().build(entries))
        .or_else(|_| IoUring::new(entries))
}
