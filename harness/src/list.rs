//! `iobound list`: workloads and engines, one line each.

use std::fmt::Write;

use crate::engine;

/// `iobound list --json`: the workloads and engines as one JSON document,
/// for scripts and tests that iterate them.
pub fn render_json() -> String {
    let doc = serde_json::json!({
        "workloads": iobound_workloads::catalog(),
        "engines": engine::all().iter().map(|e| e.describe()).collect::<Vec<_>>(),
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).expect("plain data serializes")
    )
}

/// The text `iobound list` prints.
pub fn render() -> String {
    let mut s = format!(
        "Workloads (class, and the model the lesson predicts wins):\n  {:<14} {:<10} {:<18} {}\n",
        "name", "class", "lesson", "one request"
    );
    for w in iobound_workloads::catalog() {
        let _ = writeln!(
            s,
            "  {:<14} {:<10} {:<18} {}",
            w.name,
            w.class.label(),
            w.prediction.label(),
            w.summary
        );
    }
    s.push_str(
        "\nEngines (--mode), with their concurrency model (without --mode, every Rust one runs;\nthe Python ones are named, e.g. -m py-asyncio,py-threads,py-procs):\n",
    );
    let width = engine::all()
        .iter()
        .map(|e| e.name().len())
        .max()
        .unwrap_or(0);
    for e in engine::all() {
        let _ = writeln!(
            s,
            "  {:<width$} {:<18} {}",
            e.name(),
            e.model().label(),
            e.summary()
        );
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_lists_every_engine_with_its_model() {
        let v: serde_json::Value = serde_json::from_str(&super::render_json()).unwrap();
        let engines = v["engines"].as_array().unwrap();
        assert_eq!(engines.len(), crate::engine::all().len());
        for (e, j) in crate::engine::all().iter().zip(engines) {
            assert_eq!(j["name"], e.name());
            assert_eq!(j["model"], e.model().key());
            assert!(j["caps"]["needs_io_uring"].is_boolean());
        }
        assert_eq!(
            v["workloads"].as_array().unwrap().len(),
            iobound_workloads::catalog().len()
        );
    }

    #[test]
    fn lists_every_workload_and_engine() {
        let s = super::render();
        let workloads = iobound_workloads::catalog().iter().map(|w| w.name);
        let engines = crate::engine::all().iter().map(|e| e.name());
        for name in workloads.chain(engines) {
            assert!(s.contains(name), "{name} missing");
        }
    }
}
