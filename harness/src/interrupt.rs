//! Ctrl-C and SIGTERM: the first one asks the run to stop cleanly (the
//! current cell is cut short and kept, marked interrupted, with what it
//! measured; finished cells, run.json, summary.csv and the reports are
//! written); a second one kills the process the default way.

use std::sync::atomic::{AtomicI32, Ordering};

/// The signal that asked the run to stop, 0 while none has.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    let _ = SIGNAL.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
    // SAFETY: signal() is async-signal-safe; restoring the default action
    // lets a second Ctrl-C (or SIGTERM) end the process at once.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
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
