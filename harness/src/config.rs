//! Raw command-line flags turned into a checked configuration. Everything a
//! user can get wrong is caught here, before a file or directory is touched.

use std::path::PathBuf;
use std::time::Duration;

use iobound_workloads::{WorkloadError, WorkloadParams};
use serde_json::json;

use crate::cli::{FileArgs, RunArgs};
use crate::engine::{self, Engine};
use crate::load::Bound;
use crate::units::{format_duration, parse_duration, parse_size, split_list, UnitError};

/// Where data files (and the db's table) go unless `--data-dir` says otherwise.
pub fn default_data_dir() -> PathBuf {
    std::env::temp_dir().join("iobound")
}

/// Largest concurrency accepted: the most entries an io_uring submission
/// queue can have (IORING_MAX_ENTRIES), so every engine accepts every value.
pub const MAX_CONCURRENCY: usize = 32_768;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Unit(#[from] UnitError),
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error("unknown mode '{0}' (known: threads, uring, rayon, hybrid)")]
    UnknownMode(String),
    #[error("--{0} needs at least one value")]
    EmptyList(&'static str),
    #[error("invalid concurrency '{0}': expected a whole number from 1 to {MAX_CONCURRENCY}")]
    Concurrency(String),
    #[error("--{0} must be greater than zero")]
    Zero(&'static str),
    #[error("invalid chapter '{0}': expected 1 to {max} or 'all'", max = crate::lesson::chapters::COUNT)]
    Chapter(String),
    #[error("invalid --speed {0}: expected a finite number greater than zero")]
    Speed(f64),
    #[error(transparent)]
    Pin(#[from] crate::placement::PinError),
    #[error("invalid rate '{0}': expected requests per second, above 0 and at most 100M")]
    Rate(String),
}

/// Checks `iobound serve`'s flags.
pub fn serve_config(a: &crate::cli::ServeArgs) -> Result<crate::serve::ServeConfig, ConfigError> {
    if a.threads == 0 {
        return Err(ConfigError::Zero("threads"));
    }
    if a.db.records == 0 {
        return Err(ConfigError::Zero("records"));
    }
    Ok(crate::serve::ServeConfig {
        kind: a.kind,
        listen: a.listen,
        threads: a.threads,
        records: a.db.records,
        db_latency: parse_duration(&a.db.db_latency)?,
        direct: a.direct,
        data_dir: a.data_dir.clone().unwrap_or_else(default_data_dir),
        frame_timeout: match parse_duration(&a.frame_timeout)? {
            d if d.is_zero() => return Err(ConfigError::Zero("frame-timeout")),
            d => d,
        },
    })
}

/// What `iobound lesson` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LessonPick {
    List,
    One(usize),
    All,
}

/// Checks `iobound lesson`'s flags.
pub fn lesson_config(
    a: &crate::cli::LessonArgs,
) -> Result<(LessonPick, crate::lesson::Settings), ConfigError> {
    let pick = match a.chapter.as_deref() {
        None => LessonPick::List,
        Some("all") => LessonPick::All,
        Some(n) => match n.parse::<usize>() {
            Ok(k) if (1..=crate::lesson::chapters::COUNT).contains(&k) => LessonPick::One(k),
            _ => return Err(ConfigError::Chapter(n.to_string())),
        },
    };
    if !(a.speed.is_finite() && a.speed > 0.0) {
        return Err(ConfigError::Speed(a.speed));
    }
    Ok((
        pick,
        crate::lesson::Settings {
            lang: a.lang,
            speed: a.speed,
            data_dir: a.data_dir.clone().unwrap_or_else(default_data_dir),
        },
    ))
}

/// Checked settings shared by every command that runs file workloads.
#[derive(Debug, Clone)]
pub struct FileConfig {
    pub params: WorkloadParams,
    pub direct: bool,
    pub data_dir: PathBuf,
    pub warmup: Duration,
    pub bound: Bound,
    pub pool_threads: usize,
    pub submit_batch: usize,
    /// Service delay per query of the db server iobound starts.
    pub db_latency: Duration,
}

impl FileConfig {
    pub fn from_args(a: &FileArgs) -> Result<Self, ConfigError> {
        let block_size = a.block_size.as_deref().map(parse_size).transpose()?;
        let file_size = parse_size(&a.file_size)?;
        let bound = match a.requests {
            Some(0) => return Err(ConfigError::Zero("requests")),
            Some(n) => Bound::Requests(n),
            None => {
                let d = parse_duration(&a.duration)?;
                if d.is_zero() {
                    return Err(ConfigError::Zero("duration"));
                }
                Bound::Duration(d)
            }
        };
        let pool_threads = match a.pool_threads {
            Some(0) => return Err(ConfigError::Zero("pool-threads")),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if a.submit_batch == 0 {
            return Err(ConfigError::Zero("submit-batch"));
        }
        Ok(FileConfig {
            submit_batch: a.submit_batch,
            params: WorkloadParams {
                block_size,
                file_size,
                sync_every: a.sync_every,
                seed: a.seed,
                work: parse_size(&a.work)?,
                msg_size: parse_size(&a.msg_size)?,
                records: a.db.records,
                uniform_keys: a.keys == crate::cli::KeyDist::Uniform,
                ops_per_request: a.ops_per_request,
            },
            db_latency: parse_duration(&a.db.db_latency)?,
            direct: a.direct,
            data_dir: a.data_dir.clone().unwrap_or_else(default_data_dir),
            warmup: parse_duration(&a.warmup)?,
            bound,
            pool_threads,
        })
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "block_size": self.params.block_size,
            "file_size": self.params.file_size,
            "sync_every": self.params.sync_every,
            "work": self.params.work,
            "msg_size": self.params.msg_size,
            "records": self.params.records,
            "keys": if self.params.uniform_keys { "uniform" } else { "zipfian" },
            "ops_per_request": self.params.ops_per_request,
            "db_latency": format_duration(self.db_latency),
            "seed": self.params.seed,
            "direct": self.direct,
            "data_dir": self.data_dir,
            "warmup": format_duration(self.warmup),
            "duration": match self.bound { Bound::Duration(d) => Some(format_duration(d)), _ => None },
            "requests": match self.bound { Bound::Requests(n) => Some(n), _ => None },
            "pool_threads": self.pool_threads,
            "submit_batch": self.submit_batch,
        })
    }
}

/// A checked `iobound run`.
pub struct RunConfig {
    pub workloads: Vec<String>,
    pub engines: Vec<&'static dyn Engine>,
    pub concurrency: Vec<usize>,
    pub file: FileConfig,
    pub verify: bool,
    pub record: bool,
    pub out: PathBuf,
    pub json: bool,
    pub quiet: bool,
    pub repeat: u32,
    pub lang: crate::lesson::Lang,
    /// A server already running; none is started then.
    pub target: Option<std::net::SocketAddr>,
    pub server_threads: usize,
    pub pin: crate::placement::Pin,
    pub max_threads: usize,
    /// Open loop: the rates to sweep, ascending; empty for a closed loop.
    pub rates: Vec<f64>,
    pub poisson: bool,
    /// A sweep stops once a cell's p99 passes this.
    pub slo: Duration,
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

impl RunConfig {
    pub fn from_args(a: &RunArgs) -> Result<Self, ConfigError> {
        let file = FileConfig::from_args(&a.file)?;
        let workloads = dedup(split_list(&a.workload));
        if workloads.is_empty() {
            return Err(ConfigError::EmptyList("workload"));
        }
        for w in &workloads {
            // Builds each workload once to check its parameters against it.
            iobound_workloads::build(w, &file.params)?;
        }
        let modes = dedup(split_list(&a.mode));
        if modes.is_empty() {
            return Err(ConfigError::EmptyList("mode"));
        }
        let engines = modes
            .iter()
            .map(|m| engine::by_name(m).ok_or_else(|| ConfigError::UnknownMode(m.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        let concurrency: Vec<usize> = dedup(split_list(&a.concurrency))
            .iter()
            .map(|c| match c.parse::<usize>() {
                Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
                _ => Err(ConfigError::Concurrency(c.clone())),
            })
            .collect::<Result<_, _>>()?;
        if concurrency.is_empty() {
            return Err(ConfigError::EmptyList("concurrency"));
        }
        Ok(RunConfig {
            workloads,
            engines,
            concurrency,
            file,
            verify: a.verify,
            record: !a.no_record,
            out: a.out.clone(),
            json: a.json,
            quiet: a.quiet,
            repeat: if a.repeat == 0 {
                return Err(ConfigError::Zero("repeat"));
            } else {
                a.repeat
            },
            lang: a.lang,
            target: a.target,
            server_threads: match a.server_threads {
                0 => return Err(ConfigError::Zero("server-threads")),
                n => n,
            },
            pin: a
                .pin
                .as_deref()
                .map(crate::placement::Pin::parse)
                .transpose()?
                .unwrap_or_default(),
            max_threads: a.max_threads,
            rates: match &a.rate {
                None => Vec::new(),
                Some(list) => {
                    let mut v = split_list(list)
                        .iter()
                        .map(|r| match r.parse::<f64>() {
                            Ok(x) if x.is_finite() && x > 0.0 && x <= 1e8 => Ok(x),
                            _ => Err(ConfigError::Rate(r.clone())),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    if v.is_empty() {
                        return Err(ConfigError::EmptyList("rate"));
                    }
                    v.sort_by(f64::total_cmp);
                    v.dedup();
                    v
                }
            },
            poisson: a.arrival == crate::cli::Arrival::Poisson,
            slo: parse_duration(&a.slo)?,
        })
    }

    /// The settings as recorded in every result file.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = self.file.to_json();
        v["workloads"] = json!(self.workloads);
        v["modes"] = json!(self.engines.iter().map(|e| e.name()).collect::<Vec<_>>());
        v["concurrency"] = json!(self.concurrency);
        v["verify"] = json!(self.verify);
        v["latency_recorded"] = json!(self.record);
        v["target"] = json!(self.target);
        v["server_threads"] = json!(self.server_threads);
        v["pin"] = json!(self.pin);
        v["max_threads"] = json!(self.max_threads);
        v["rates"] = json!(self.rates);
        v["arrival"] = json!(if self.poisson { "poisson" } else { "uniform" });
        v["slo"] = json!(format_duration(self.slo));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<RunConfig, ConfigError> {
        let mut full = vec!["iobound", "run"];
        full.extend_from_slice(args);
        match Cli::try_parse_from(full).unwrap().command {
            Command::Run(a) => RunConfig::from_args(&a),
            _ => unreachable!(),
        }
    }

    #[test]
    fn lists_are_checked_and_deduplicated() {
        let c = parse(&[
            "-w",
            "file-randread,file-write",
            "-m",
            "uring,threads,uring",
            "-c",
            "1,32",
        ])
        .unwrap();
        assert_eq!(c.workloads, ["file-randread", "file-write"]);
        assert_eq!(
            c.engines.iter().map(|e| e.name()).collect::<Vec<_>>(),
            ["uring", "threads"]
        );
        assert_eq!(c.concurrency, [1, 32]);
        assert_eq!(c.file.bound, Bound::Duration(Duration::from_secs(5)));
    }

    #[test]
    fn bad_values_give_one_line_errors() {
        let cases: [(&[&str], &str); 6] = [
            (&["-w", "nope"], "unknown workload 'nope'"),
            (&["-m", "fibers"], "unknown mode 'fibers'"),
            (&["-c", "0"], "invalid concurrency '0'"),
            (&["-d", "soon"], "cannot parse duration 'soon'"),
            (&["--file-size", "12Q"], "cannot parse size '12Q'"),
            (&["--block-size", "1000"], "block size 1000"),
        ];
        for (args, want) in cases {
            let msg = parse(args).err().unwrap().to_string();
            assert!(msg.contains(want), "{args:?}: {msg}");
            assert!(!msg.contains('\n'));
        }
    }
}
