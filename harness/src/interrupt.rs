//! Ctrl-C and SIGTERM: the first one asks the run to stop cleanly (the
//! current cell is cut short and kept, marked interrupted, with what it
//! measured; finished cells, run.json, summary.csv and the reports are
//! written); a second one, at least [`REPEAT_AFTER_MS`] later, kills the
//! process the default way. Signals closer to the first are the same request
//! delivered twice: coreutils' `timeout` and some supervisors signal the
//! process and then its whole group, and a terminal's Ctrl-C reaches every
//! process of the foreground group.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

/// The signal that asked the run to stop, 0 while none has.
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// When the first signal came (CLOCK_MONOTONIC, ns).
static FIRST_NS: AtomicU64 = AtomicU64::new(0);
/// A second signal sooner than this after the first is taken as a duplicate.
pub const REPEAT_AFTER_MS: u64 = 500;

fn monotonic_ns() -> u64 {
    // SAFETY: clock_gettime is async-signal-safe and fills the struct we pass.
    unsafe {
        let mut t: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t);
        t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    let now = monotonic_ns();
    if SIGNAL
        .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
    {
        FIRST_NS.store(now, Ordering::SeqCst);
        return;
    }
    if now.saturating_sub(FIRST_NS.load(Ordering::SeqCst)) < REPEAT_AFTER_MS * 1_000_000 {
        return;
    }
    // SAFETY: signal() and raise() are async-signal-safe: a real second
    // request ends the process the default way, at once.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Installs the SIGINT and SIGTERM handlers. Call once from the binary.
pub fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic and calls signal(),
        // both async-signal-safe.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

/// Whether Ctrl-C was pressed or SIGTERM received.
pub fn requested() -> bool {
    SIGNAL.load(Ordering::Relaxed) != 0
}

/// How the stop was asked for, for messages: `Ctrl-C` or `SIGTERM`.
pub fn cause() -> &'static str {
    match SIGNAL.load(Ordering::Relaxed) {
        libc::SIGTERM => "SIGTERM",
        _ => "Ctrl-C",
    }
}

/// The exit status after a stop: 128 + the signal's number, as a shell
/// reports a process the signal killed (130 for Ctrl-C, 143 for SIGTERM),
/// so scripts and service managers see the cause they expect.
pub fn exit_code() -> u8 {
    128 + SIGNAL.load(Ordering::Relaxed).clamp(0, 127) as u8
}
