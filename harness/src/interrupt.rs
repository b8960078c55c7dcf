//! Ctrl-C: the first SIGINT asks the run to stop cleanly (the current cell
//! is cut short and recorded as interrupted, finished cells stay written);
//! a second one kills the process the default way.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    // SAFETY: signal() is async-signal-safe; restoring the default action
    // lets a second Ctrl-C end the process at once.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

/// Installs the SIGINT handler. Call once from the binary.
pub fn install() {
    // SAFETY: the handler only stores to an atomic and calls signal(), both
    // async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t);
    }
}

/// Whether Ctrl-C was pressed.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}
