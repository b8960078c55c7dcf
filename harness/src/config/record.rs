//! A group's checked configuration as run.json (and every cell file)
//! records it: the one type that spells its keys. `run` writes it; the
//! report and `compare` read it back.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use iobound_workloads::units::serde_duration_opt;
use iobound_workloads::{Class, Model, WorkloadParams};
use serde::{Deserialize, Serialize};

/// One group's configuration. Every field is optional on reading (or has a
/// default), because runs written by older versions lack some.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupRecord {
    /// The workloads' parameters, flattened (`block_size`, `work`, …).
    #[serde(flatten)]
    pub params: WorkloadParams,
    /// Service delay per query of the db server iobound started.
    #[serde(with = "serde_duration_opt")]
    pub db_latency: Option<Duration>,
    pub direct: bool,
    pub data_dir: Option<PathBuf>,
    #[serde(with = "serde_duration_opt")]
    pub warmup: Option<Duration>,
    /// A cell's measured window (`None` when bounded by `requests`).
    #[serde(with = "serde_duration_opt")]
    pub duration: Option<Duration>,
    pub requests: Option<u64>,
    /// The engines' own options, by set.
    pub engine_options: BTreeMap<String, serde_json::Value>,
    pub workloads: Vec<String>,
    /// The engines, by name.
    pub modes: Vec<String>,
    pub concurrency: Vec<usize>,
    pub verify: bool,
    pub label: Option<String>,
    pub latency_recorded: bool,
    /// `--target`: the server was started elsewhere.
    pub target: Option<String>,
    /// Threads of the loopback server iobound started.
    pub server_threads: Option<u64>,
    pub pin: Option<crate::placement::Pin>,
    pub max_threads: Option<usize>,
    /// Open loop: the rates swept; empty for a closed loop.
    pub rates: Vec<f64>,
    /// `poisson` or `uniform`.
    pub arrival: Option<String>,
    /// The p99 an open-loop sweep must stay under.
    #[serde(with = "serde_duration_opt")]
    pub slo: Option<Duration>,
    /// A workload file's class, as computed when the run started (its
    /// compute timed on that machine): a report rebuilt from the cell files
    /// alone says the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_class: Option<ScriptClass>,
    /// The group's place in its suite (0 for `iobound run`): with the
    /// lists above, it puts a run's cells back in the order they ran when
    /// a report is rebuilt from the cell files alone.
    pub group: Option<usize>,
}

/// What run.json says of a workload.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WorkloadRecord {
    pub name: String,
    pub class: Class,
    pub prediction: Model,
    #[serde(default)]
    pub summary: String,
    /// What one request does, English then French, without parameter
    /// values (runs before it was recorded have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gist: Option<[String; 2]>,
}

/// What a workload file's steps cost, as classified.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScriptClass {
    pub class: Class,
    /// The model the lesson expects to win for that class.
    pub prediction: Model,
}

impl GroupRecord {
    /// As written into run.json and the cell files (keys in order).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a group record serializes")
    }

    /// Reads a recorded configuration back; a record this version cannot
    /// read gives the reason.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, String> {
        serde_json::from_value(v.clone()).map_err(|e| e.to_string())
    }

    /// A workload file's record as reports read it (name, class, model
    /// expected to win, summary), when the group ran one and classed it.
    pub fn script_workload(&self) -> Option<WorkloadRecord> {
        let (s, c) = (self.params.script.as_ref()?, self.script_class?);
        Some(WorkloadRecord {
            name: s.name.clone(),
            class: c.class,
            prediction: c.prediction,
            summary: s.summary(),
            // A workload file's description is the user's, in one language.
            gist: Some([s.summary(), s.summary()]),
        })
    }

    /// Where a cell of this group ran in its run: the group, then the
    /// cell's place in the group's lists of workloads and engines, its
    /// concurrency and rate, its repetition. Unknown places sort last.
    pub fn place(&self, key: &crate::result::CellKey, rep: Option<u32>) -> impl Ord {
        let at = |list: &[String], x: &str| list.iter().position(|y| y == x).unwrap_or(usize::MAX);
        (
            self.group.unwrap_or(usize::MAX),
            at(&self.workloads, &key.workload),
            at(&self.modes, &key.mode),
            key.concurrency,
            key.rate,
            rep,
        )
    }

    /// The settings that change what a cell measures (the workloads'
    /// parameters, the server's delay, the window and its warm-up), each
    /// as its JSON text, by key.
    pub fn measured_settings(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = match serde_json::to_value(&self.params) {
            Ok(serde_json::Value::Object(m)) => {
                m.into_iter().map(|(k, v)| (k, v.to_string())).collect()
            }
            _ => BTreeMap::new(),
        };
        // A workload file's steps are compared as the workload's name.
        out.remove("script");
        let whole = self.to_json();
        for k in ["db_latency", "duration", "warmup"] {
            out.insert(k.to_string(), whole[k].to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let r = GroupRecord {
            db_latency: Some(Duration::from_millis(10)),
            warmup: Some(Duration::from_millis(500)),
            duration: Some(Duration::from_secs(2)),
            workloads: vec!["db-web".into()],
            modes: vec!["threads".into()],
            concurrency: vec![1, 64],
            server_threads: Some(2),
            target: None,
            slo: Some(Duration::from_millis(100)),
            ..GroupRecord::default()
        };
        let v = r.to_json();
        assert_eq!(v["db_latency"], "10ms");
        assert_eq!(v["work"], 256 << 10);
        assert!(v["target"].is_null());
        assert_eq!(GroupRecord::from_json(&v).unwrap(), r);
    }

    #[test]
    fn an_older_record_without_most_keys_reads() {
        let v = serde_json::json!({"work": 4096, "db_latency": "1ms"});
        let r = GroupRecord::from_json(&v).unwrap();
        assert_eq!(r.params.work, 4096);
        assert_eq!(r.db_latency, Some(Duration::from_millis(1)));
        assert_eq!(r.server_threads, None);
    }

    #[test]
    fn a_wrong_type_is_an_error_not_a_default() {
        let v = serde_json::json!({"db_latency": "ten"});
        assert!(GroupRecord::from_json(&v).is_err());
    }

    #[test]
    fn measured_settings_list_every_parameter() {
        let s = GroupRecord::default().measured_settings();
        for k in [
            "block_size",
            "work",
            "msg_size",
            "records",
            "db_latency",
            "warmup",
        ] {
            assert!(s.contains_key(k), "{k}");
        }
        assert!(!s.contains_key("script"));
    }
}
