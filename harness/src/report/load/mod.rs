//! Reading a run back: run.json, or, when it is absent or unreadable, the
//! per-cell JSON files of the directory. A cell that cannot be read is noted
//! with the reason and the rest is kept.

use std::path::Path;

use base64::Engine as _;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use iobound_workloads::Model;

use crate::config::GroupRecord;
pub use crate::config::WorkloadRecord;
use crate::lang::Lang;
use crate::result::{CellKey, Status, Summary};

mod cells;
pub use cells::run_json_from_cells;

/// Errors reading a run directory as a whole.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("run.json is not valid: {0}")]
    Json(String),
    #[error(
        "{0} holds neither a readable run.json nor any cell JSON file: is it a run directory?"
    )]
    Empty(std::path::PathBuf),
    #[error("{}: run.json is unreadable ({why}) and there is no cell file to rebuild the report from", dir.display())]
    Unreadable {
        dir: std::path::PathBuf,
        why: String,
    },
}

/// One cell read back.
#[derive(Debug, Clone)]
pub struct Cell {
    pub key: CellKey,
    pub rep: Option<u32>,
    pub status: Status,
    pub reason: Option<String>,
    pub summary: Option<Summary>,
    pub hist: Option<Histogram<u64>>,
    /// The parameters of the cell's group that reports read.
    pub params: Params,
}

/// What a report reads of a cell's group configuration (its `config`):
/// the wait and the computing each request does, and the server's threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Params {
    /// `db_latency`: the service time of each query, in nanoseconds.
    pub wait_ns: Option<u64>,
    /// `work`: bytes hashed per request.
    pub work_bytes: Option<u64>,
    /// `server_threads`: threads of the loopback server iobound started.
    pub server_threads: Option<u32>,
    /// `target`: the cells talked to a server started elsewhere.
    pub remote: bool,
    /// `slo`: the p99 an open-loop sweep must stay under, in nanoseconds.
    pub slo_ns: Option<u64>,
    /// A cell's warm-up and measured window, in nanoseconds (no window for
    /// cells bounded by a request count).
    pub warmup_ns: Option<u64>,
    pub duration_ns: Option<u64>,
    /// The least a request waits at the db server, its calls one after the
    /// other (ns), and how many calls that is: from the workload's own
    /// steps (a workload file's calls may bring their own wait), where the
    /// run started a db server.
    pub request_wait: Option<(u64, u32)>,
}

impl Params {
    fn of(config: &GroupRecord, workload: &str) -> Self {
        Params {
            request_wait: request_wait(config, workload),
            wait_ns: config.db_latency.map(|d| d.as_nanos() as u64),
            work_bytes: Some(config.params.work),
            server_threads: config.server_threads.map(|t| t as u32),
            remote: config.target.is_some(),
            slo_ns: config.slo.map(|d| d.as_nanos() as u64),
            warmup_ns: config.warmup.map(|d| d.as_nanos() as u64),
            duration_ns: config.duration.map(|d| d.as_nanos() as u64),
        }
    }
}

/// [`Params::request_wait`], worked out once per workload and group
/// configuration (a run's cells share a few).
fn request_wait(config: &GroupRecord, workload: &str) -> Option<(u64, u32)> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static SEEN: RefCell<HashMap<String, Option<(u64, u32)>>> = RefCell::new(HashMap::new());
    }
    let latency = config.db_latency?;
    let key = format!(
        "{workload}|{latency:?}|{}",
        serde_json::to_string(&config.params).ok()?
    );
    if let Some(v) = SEEN.with(|m| m.borrow().get(&key).copied()) {
        return v;
    }
    let v = iobound_workloads::build(workload, &config.params)
        .ok()
        .map(|w| iobound_workloads::least_server_wait(w.as_ref(), latency))
        .filter(|&(_, calls)| calls > 0)
        .map(|(wait, calls)| (wait.as_nanos() as u64, calls));
    SEEN.with(|m| m.borrow_mut().insert(key, v));
    v
}

impl Cell {
    pub fn stem(&self) -> String {
        self.key.stem(self.rep)
    }
}

/// A run read back.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub run_id: String,
    pub suite: String,
    pub description: String,
    pub repeat: u32,
    pub version: String,
    pub commit: String,
    pub system: serde_json::Value,
    /// Stems of every cell the run planned, in order.
    pub plan: Vec<String>,
    /// Each group's checked configuration (run.json only).
    pub groups: Vec<GroupRecord>,
    /// The engines the run used, with their models, in the order reports show them.
    pub engines: Vec<EngineRecord>,
    /// The workloads the run used: class and the model the lesson predicts.
    pub workloads: Vec<WorkloadRecord>,
    /// The language the run's report was written in.
    pub lang: Lang,
    /// Whether run.json says so (runs before schema v2 do not).
    pub lang_recorded: bool,
    pub cells: Vec<Cell>,
    /// Cells (or files) that could not be read, with the reason.
    pub unreadable: Vec<(String, String)>,
    /// Why run.json could not be read, when the run was rebuilt from its
    /// cell files instead (run.json is never a cell).
    pub run_json_error: Option<String>,
    /// run.json was not there: the run was rebuilt from its cell files.
    pub run_json_missing: bool,
}

/// What run.json says of an engine.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct EngineRecord {
    pub name: String,
    pub model: Model,
    /// The language its requests ran in (Rust when run.json predates it).
    #[serde(default)]
    pub language: crate::engine::Language,
    #[serde(default)]
    pub summary: String,
}

/// Runs written before run.json recorded engines (schema v1) used these
/// four, whose models never changed.
pub(crate) fn legacy_engines() -> Vec<EngineRecord> {
    [
        ("threads", Model::BlockingThreads),
        ("uring", Model::EventLoop),
        ("rayon", Model::Pool),
        ("hybrid", Model::EventLoopPool),
    ]
    .into_iter()
    .map(|(name, model)| EngineRecord {
        name: name.into(),
        model,
        language: Default::default(),
        summary: String::new(),
    })
    .collect()
}

/// Workloads of a v1 run: as the catalog describes them (their classes and
/// predicted models are those v1 reports showed).
fn legacy_workloads() -> Vec<WorkloadRecord> {
    iobound_workloads::catalog()
        .iter()
        .map(|w| WorkloadRecord {
            name: w.name.into(),
            class: w.class,
            prediction: w.prediction,
            summary: w.summary.into(),
            gist: Some(w.gist.map(String::from)),
        })
        .collect()
}

#[derive(Deserialize)]
struct HistIn {
    data: String,
}

#[derive(Deserialize)]
struct CellIn {
    cell: CellKey,
    #[serde(default)]
    rep: Option<u32>,
    status: Status,
    reason: Option<String>,
    summary: Option<Summary>,
    histogram: Option<HistIn>,
    #[serde(default)]
    config: GroupRecord,
}

fn decode_histogram(b64: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("histogram is not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("histogram does not decode: {e:?}"))
}

/// A cell document, as written per cell and inside run.json.
pub fn parse_cell(v: serde_json::Value) -> Result<Cell, String> {
    let c: CellIn = serde_json::from_value(v).map_err(|e| e.to_string())?;
    let hist = c.histogram.map(|h| decode_histogram(&h.data)).transpose()?;
    if let (Some(s), Some(h)) = (&c.summary, &hist) {
        if s.requests != h.len() {
            return Err(format!(
                "histogram holds {} requests, summary says {}",
                h.len(),
                s.requests
            ));
        }
    }
    let params = Params::of(&c.config, &c.cell.workload);
    Ok(Cell {
        key: c.cell,
        rep: c.rep,
        status: c.status,
        reason: c.reason,
        summary: c.summary,
        hist,
        params,
    })
}

fn text(v: &serde_json::Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

/// Parses run.json's bytes.
pub fn parse_run(bytes: &[u8]) -> Result<Run, LoadError> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| LoadError::Json(e.to_string()))?;
    let legacy = v["schema"] == "iobound.run.v1";
    // v2 wrote every cell's config in the cell; v3 names its group.
    if v["schema"] != super::RUN_SCHEMA && v["schema"] != "iobound.run.v2" && !legacy {
        return Err(LoadError::Json(format!(
            "schema is {}, expected {}",
            v["schema"],
            super::RUN_SCHEMA
        )));
    }
    let records = |key: &str| -> Result<serde_json::Value, LoadError> {
        match &v[key] {
            serde_json::Value::Array(_) => Ok(v[key].clone()),
            _ => Err(LoadError::Json(format!("'{key}' is missing"))),
        }
    };
    let (engines, workloads) = if legacy {
        (legacy_engines(), legacy_workloads())
    } else {
        let bad = |e: serde_json::Error| LoadError::Json(e.to_string());
        (
            serde_json::from_value(records("engines")?).map_err(bad)?,
            serde_json::from_value(records("workloads")?).map_err(bad)?,
        )
    };
    let mut run = Run {
        run_id: text(&v, "run_id"),
        suite: text(&v, "suite"),
        description: text(&v, "description"),
        repeat: v["repeat"].as_u64().unwrap_or(1) as u32,
        version: text(&v, "iobound_version"),
        commit: text(&v, "git_commit"),
        system: v["system"].clone(),
        groups: match &v["groups"] {
            serde_json::Value::Null => Vec::new(),
            g => serde_json::from_value(g.clone())
                .map_err(|e| LoadError::Json(format!("groups: {e}")))?,
        },
        engines,
        workloads,
        lang: serde_json::from_value(v["lang"].clone()).unwrap_or_default(),
        lang_recorded: serde_json::from_value::<Lang>(v["lang"].clone()).is_ok(),
        plan: v["plan"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        ..Run::default()
    };
    for (i, c) in v["cells"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let mut c = c;
        if c.get("config").is_none() {
            if let Some(g) = c["group_index"]
                .as_u64()
                .and_then(|n| v["groups"].get(n as usize))
            {
                c["config"] = g.clone();
            }
        }
        let name = c["cell"]
            .as_object()
            .and_then(|_| serde_json::from_value::<CellKey>(c["cell"].clone()).ok())
            .map(|k| k.stem(c["rep"].as_u64().map(|r| r as u32)))
            .unwrap_or_else(|| format!("cells[{i}]"));
        match parse_cell(c) {
            Ok(cell) => run.cells.push(cell),
            Err(why) => run.unreadable.push((name, why)),
        }
    }
    Ok(run)
}

/// Reads a run directory: run.json if it reads, else every per-cell JSON.
pub fn load_dir(dir: &Path) -> Result<Run, LoadError> {
    let run_json = dir.join("run.json");
    match std::fs::read(&run_json) {
        Ok(bytes) => match parse_run(&bytes) {
            Ok(run) => Ok(run),
            Err(e) => cells::from_cells(dir, Some(e.to_string()), false),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => cells::from_cells(dir, None, true),
        Err(source) => Err(LoadError::Read {
            path: run_json,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13: a truncated run.json with no cell file is an error that
    /// says so, not an empty report (fails if load_dir falls back to an
    /// empty run again); run.json is never listed as a cell.
    #[test]
    fn a_truncated_run_json_without_cells_is_an_error() {
        let dir = std::env::temp_dir().join(format!("iobound-load-trunc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("run.json"),
            b"{\"schema\": \"iobound.run.v2\", \"cel",
        )
        .unwrap();
        let e = load_dir(&dir).expect_err("must fail").to_string();
        assert!(e.contains("run.json is unreadable"), "{e}");
        assert!(e.contains("no cell file"), "{e}");
        assert!(!e.contains('\n'));
        // With one cell file beside it, the run is rebuilt from that, and
        // run.json is a note, not a missing cell.
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-run/run.json");
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
        std::fs::write(
            dir.join("a.json"),
            serde_json::to_vec(&v["cells"][0]).unwrap(),
        )
        .unwrap();
        let run = load_dir(&dir).unwrap();
        assert_eq!(run.cells.len(), 1);
        assert!(run.run_json_error.is_some());
        assert!(run.unreadable.iter().all(|(n, _)| n != "run.json"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Issue 18: a run directory without run.json is known as such (the
    /// report said run.json "does not record its language"), and run.json
    /// is rebuilt from the cells: the same cells read back.
    #[test]
    fn a_missing_run_json_is_known_and_rebuilt_from_the_cells() {
        let dir = std::env::temp_dir().join(format!("iobound-load-missing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-run/run.json");
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
        let all = v["cells"].as_array().unwrap();
        for c in all {
            let key: CellKey = serde_json::from_value(c["cell"].clone()).unwrap();
            let stem = key.stem(c["rep"].as_u64().map(|r| r as u32));
            std::fs::write(dir.join(format!("{stem}.json")), c.to_string()).unwrap();
        }
        let run = load_dir(&dir).unwrap();
        assert!(run.run_json_missing && run.run_json_error.is_none());
        let bytes = run_json_from_cells(&dir, &run, Lang::Fr).unwrap();
        std::fs::write(dir.join("run.json"), &bytes).unwrap();
        let again = load_dir(&dir).unwrap();
        assert!(!again.run_json_missing);
        assert_eq!((again.lang, again.lang_recorded), (Lang::Fr, true));
        assert_eq!(again.cells.len(), all.len());
        assert_eq!(again.run_id, v["run_id"].as_str().unwrap());
        // Every engine of the cells, with the model the run recorded.
        let recorded = parse_run(&serde_json::to_vec(&v).unwrap()).unwrap();
        for c in &again.cells {
            let e = again.engines.iter().find(|e| e.name == c.key.mode).unwrap();
            let r = recorded.engines.iter().find(|r| r.name == e.name).unwrap();
            assert_eq!(e.model, r.model, "{}", e.name);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Issue 13: the report's language is read back from run.json, and a
    /// run.json that does not record it (schema v1) is known as such, so
    /// `iobound report` can say it renders in English.
    #[test]
    fn the_language_is_read_back_and_its_absence_known() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-run/run.json");
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v["lang"] = "fr".into();
        let run = parse_run(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!((run.lang, run.lang_recorded), (Lang::Fr, true));
        v.as_object_mut().unwrap().remove("lang");
        let run = parse_run(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!((run.lang, run.lang_recorded), (Lang::En, false));
    }
}
