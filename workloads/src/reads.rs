//! Which of the shared parameters ([`WorkloadParams`]) each workload reads,
//! so that a parameter set for workloads that all ignore it can be refused
//! instead of recorded as if it had changed something.

use crate::script::ScriptStep;
use crate::WorkloadParams;

/// The serde names of the parameters the workload `name` reads (the
/// workload file's when `p.script` is named `name`).
pub fn params_read(name: &str, p: &WorkloadParams) -> Vec<&'static str> {
    if let Some(s) = p.script.as_ref().filter(|s| s.name == name) {
        let mut out = vec!["seed"];
        let files = s
            .all_steps()
            .any(|x| matches!(x, ScriptStep::Read { .. } | ScriptStep::Append { .. }));
        if files {
            out.push("file_size");
        }
        if s.all_steps().any(|x| matches!(x, ScriptStep::Db { .. })) {
            out.extend(["records", "keys"]);
        }
        return out;
    }
    let read: &[&'static str] = match name {
        "file-randread" | "mixed-file" => &["block_size", "file_size", "seed"],
        "file-seqread" => &["block_size", "file_size"],
        "file-write" => &["block_size", "file_size", "sync_every"],
        "cpu-hash" | "cpu-py" => &["work", "seed"],
        "cpu-image" => &["seed"],
        "net-echo" => &["msg_size"],
        "redis-get" | "redis-set" => &["records", "keys", "seed"],
        "db-ycsb-a" | "db-ycsb-b" | "db-ycsb-c" | "db-ycsb-f" | "redis-ycsb-b" => {
            &["records", "keys", "seed", "ops_per_request"]
        }
        "db-web" => &["records", "keys", "seed"],
        "mixed-db" => &["records", "keys", "seed", "work"],
        _ => &[],
    };
    read.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{build, catalog, KeyDist, Workload};

    /// What a workload does, as far as an engine can tell: its files, its
    /// first requests, its compute input and its server.
    fn fingerprint(w: &dyn Workload) -> String {
        let requests: Vec<String> = (0..64).map(|i| format!("{:?}", w.request(i))).collect();
        format!(
            "{:?} {:?} {} {:?} {}",
            w.files(),
            requests,
            w.compute_input(),
            w.service(),
            w.min_db_queries()
        )
    }

    fn changed(field: &str) -> WorkloadParams {
        let mut p = WorkloadParams::default();
        match field {
            "block_size" => p.block_size = Some(8192),
            "file_size" => p.file_size = 2 << 30,
            "sync_every" => p.sync_every = 2,
            "seed" => p.seed = 7,
            "work" => p.work = 8 << 10,
            "msg_size" => p.msg_size = 128,
            "records" => p.records = 5000,
            "keys" => p.keys = KeyDist::Uniform,
            "ops_per_request" => p.ops_per_request = 2,
            _ => unreachable!("{field}"),
        }
        p
    }

    /// The table holds both ways: a parameter it lists changes what the
    /// workload does, one it does not list changes nothing.
    #[test]
    fn every_workload_reads_exactly_the_parameters_listed() {
        let fields: Vec<String> = match serde_json::to_value(WorkloadParams::default()).unwrap() {
            serde_json::Value::Object(m) => m.keys().cloned().collect(),
            _ => unreachable!(),
        };
        assert_eq!(
            fields.len(),
            9,
            "a new parameter: add it to `changed` and the table"
        );
        for info in catalog() {
            let base = fingerprint(
                build(info.name, &WorkloadParams::default())
                    .unwrap()
                    .as_ref(),
            );
            let listed = params_read(info.name, &WorkloadParams::default());
            for f in &fields {
                let after = build(info.name, &changed(f))
                    .map(|w| fingerprint(w.as_ref()))
                    .unwrap_or_else(|e| format!("refused: {e}"));
                assert_eq!(
                    after != base,
                    listed.contains(&f.as_str()),
                    "{} {f}: listed {listed:?}",
                    info.name
                );
            }
        }
    }
}
