//! Printing that never panics: `println!` and `eprintln!` panic when their
//! stream is a closed pipe (`iobound lesson 1 | head -1`), and a panic while
//! printing the panic aborts.
//!
//! Diagnostics on stderr are dropped when nobody reads them: a measurement
//! goes on and writes its results. Output on stdout that nobody reads any
//! more ends the process quietly, with the status a shell gives a process
//! killed by SIGPIPE (141), as `ls | head` ends `ls`.

use std::fmt::Arguments;
use std::io::Write;

/// A line on stderr, or nothing if stderr is gone.
#[macro_export]
macro_rules! errln {
    ($($t:tt)*) => { $crate::say::err(format_args!($($t)*)) };
}

/// A line on stdout; the process ends if its reader is gone.
#[macro_export]
macro_rules! outln {
    () => { $crate::say::out(format_args!(""), true) };
    ($($t:tt)*) => { $crate::say::out(format_args!($($t)*), true) };
}

/// Text on stdout, no newline added; the process ends if its reader is gone.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::say::out(format_args!($($t)*), false) };
}

#[doc(hidden)]
pub fn err(args: Arguments<'_>) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_fmt(args).and_then(|()| e.write_all(b"\n"));
}

/// The status of a process that SIGPIPE ended, as shells report it.
pub const CLOSED_STDOUT: i32 = 128 + libc::SIGPIPE;

#[doc(hidden)]
pub fn out(args: Arguments<'_>, newline: bool) {
    let mut o = std::io::stdout().lock();
    let written = o
        .write_fmt(args)
        .and_then(|()| if newline { o.write_all(b"\n") } else { Ok(()) });
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(CLOSED_STDOUT);
        }
    }
}
