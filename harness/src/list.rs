//! `iobound list`: workloads and engines, one line each.

use std::fmt::Write;

use crate::engine;

/// Workload files given to `iobound list`, checked: (path, steps).
pub type Files = [(std::path::PathBuf, iobound_workloads::Script)];

/// A file's class with its own db_latency, or `iobound run`'s default.
fn class_of(w: &iobound_workloads::Script) -> (iobound_workloads::Class, iobound_workloads::Model) {
    let latency = w.db_latency.unwrap_or(std::time::Duration::from_millis(1));
    crate::classify::class(w, latency)
}

fn file_record(path: &std::path::Path, w: &iobound_workloads::Script) -> serde_json::Value {
    let (class, prediction) = class_of(w);
    serde_json::json!({
        "name": w.name,
        "class": class,
        "summary": w.summary(),
        "prediction": prediction,
        "file": path,
    })
}

/// `iobound list --json`: the workloads and engines as one JSON document,
/// for scripts and tests that iterate them.
pub fn render_json(files: &Files) -> String {
    let mut workloads: Vec<serde_json::Value> = iobound_workloads::catalog()
        .iter()
        .map(|w| serde_json::to_value(w).expect("plain data"))
        .collect();
    workloads.extend(files.iter().map(|(p, w)| file_record(p, w)));
    let doc = serde_json::json!({
        "workloads": workloads,
        "engines": engine::all().iter().map(|e| e.describe()).collect::<Vec<_>>(),
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).expect("plain data serializes")
    )
}

/// The text `iobound list` prints.
pub fn render(files: &Files) -> String {
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
    if !files.is_empty() {
        s.push_str(
            "\nYour workload files (class from their compute steps timed here against their \
             waits; run one with --workload FILE):\n",
        );
        for (p, w) in files {
            let (class, prediction) = class_of(w);
            let _ = writeln!(
                s,
                "  {:<14} {:<10} {:<18} {} ({})",
                w.name,
                class.label(),
                prediction.label(),
                w.summary(),
                p.display()
            );
        }
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
        let v: serde_json::Value = serde_json::from_str(&super::render_json(&[])).unwrap();
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
        let s = super::render(&[]);
        let workloads = iobound_workloads::catalog().iter().map(|w| w.name);
        let engines = crate::engine::all().iter().map(|e| e.name());
        for name in workloads.chain(engines) {
            assert!(s.contains(name), "{name} missing");
        }
    }
}
