//! `iobound list`: workloads and engines, one line each.

use std::fmt::Write;

use crate::engine;

/// The text `iobound list` prints.
pub fn render() -> String {
    let mut s = format!(
        "Workloads (class, and the engine the lesson predicts wins):\n  {:<14} {:<10} {:<8} {}\n",
        "name", "class", "lesson", "one request"
    );
    for w in iobound_workloads::catalog() {
        let _ = writeln!(
            s,
            "  {:<14} {:<10} {:<8} {}",
            w.name,
            w.class.label(),
            w.prediction,
            w.summary
        );
    }
    s.push_str("\nEngines (--mode):\n");
    for e in engine::all() {
        let _ = writeln!(s, "  {:<14} {}", e.name(), e.summary());
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_every_workload_and_engine() {
        let s = super::render();
        for name in [
            "file-randread",
            "file-seqread",
            "file-write",
            "threads",
            "uring",
            "rayon",
        ] {
            assert!(s.contains(name), "{name} missing");
        }
    }
}
