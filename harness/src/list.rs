//! `iobound list`: workloads and engines, one line each.

use std::fmt::Write;

use crate::engine;

/// The text `iobound list` prints.
pub fn render() -> String {
    let mut s = String::from("Workloads:\n");
    for w in iobound_workloads::catalog() {
        let _ = writeln!(s, "  {:<14} [{}] {}", w.name, w.class.label(), w.summary);
        let _ = writeln!(s, "  {:<14} lesson predicts: {}", "", w.prediction);
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
