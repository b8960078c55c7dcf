//! Raw command-line flags turned into a checked configuration. Everything a
//! user can get wrong is caught here, before a file or directory is touched.

use std::path::PathBuf;
use std::time::Duration;

use iobound_workloads::{WorkloadError, WorkloadParams};
use serde_json::json;

use crate::cli::{DataArgs, LengthArgs, RunArgs};
use crate::engine::{self, Engine};
use crate::load::Bound;
use iobound_workloads::units::{format_duration, split_list, UnitError};

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
    #[error("unknown mode '{0}' (see `iobound list`)")]
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
    if a.records == 0 {
        return Err(ConfigError::Zero("records"));
    }
    if a.frame_timeout.is_zero() {
        return Err(ConfigError::Zero("frame-timeout"));
    }
    Ok(crate::serve::ServeConfig {
        kind: a.kind,
        listen: a.listen,
        threads: a.threads,
        records: a.records,
        db_latency: a.db.db_latency,
        direct: a.direct,
        data_dir: a.data_dir.clone().unwrap_or_else(default_data_dir),
        frame_timeout: a.frame_timeout,
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

/// Checked settings shared by every command that runs workloads (`run`,
/// `bench`, `fio`, the lesson's measurements).
#[derive(Debug, Clone)]
pub struct FileConfig {
    pub params: WorkloadParams,
    pub direct: bool,
    pub data_dir: PathBuf,
    pub warmup: Duration,
    pub bound: Bound,
    /// The engines' own options.
    pub settings: engine::Settings,
    /// Service delay per query of the db server iobound starts.
    pub db_latency: Duration,
}

impl FileConfig {
    pub fn new(
        params: &WorkloadParams,
        data: &DataArgs,
        length: &LengthArgs,
        settings: engine::Settings,
        db_latency: Duration,
    ) -> Result<Self, ConfigError> {
        let bound = match length.requests {
            Some(n) => Bound::Requests(n),
            None if length.duration.is_zero() => return Err(ConfigError::Zero("duration")),
            None => Bound::Duration(length.duration),
        };
        Ok(FileConfig {
            params: params.clone(),
            direct: data.direct,
            data_dir: data.data_dir.clone().unwrap_or_else(default_data_dir),
            warmup: length.warmup,
            bound,
            settings,
            db_latency,
        })
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(&self.params).expect("parameters serialize");
        let more = json!({
            "db_latency": format_duration(self.db_latency),
            "direct": self.direct,
            "data_dir": self.data_dir,
            "warmup": format_duration(self.warmup),
            "duration": match self.bound { Bound::Duration(d) => Some(format_duration(d)), _ => None },
            "requests": match self.bound { Bound::Requests(n) => Some(n), _ => None },
            "engine_options": self.settings,
        });
        if let (Some(v), serde_json::Value::Object(more)) = (v.as_object_mut(), more) {
            v.extend(more);
        }
        v
    }
}

/// A checked `iobound run`.
pub struct RunConfig {
    pub workloads: Vec<String>,
    pub engines: Vec<&'static dyn Engine>,
    pub concurrency: Vec<usize>,
    pub file: FileConfig,
    pub verify: bool,
    /// `--label`: a tag on every cell of this matrix.
    pub label: Option<String>,
    pub record: bool,
    pub out: PathBuf,
    pub json: bool,
    pub quiet: bool,
    pub repeat: u32,
    pub lang: crate::lang::Lang,
    /// A server already running; none is started then.
    pub target: Option<std::net::SocketAddr>,
    pub server_threads: u64,
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

/// A clap error on one line, with clap's "did you mean" tip kept: the
/// binary's rule is one line per error.
pub fn clap_one_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let mut line = text
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    for tip in text.lines().filter(|l| l.trim_start().starts_with("tip:")) {
        line.push_str(&format!(" ({})", tip.trim().trim_start_matches("tip: ")));
    }
    line
}

/// The `iobound` command line, with every engine's options added to the
/// subcommands that run engines (under each engine's heading in `--help`).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    crate::cli::Cli::command()
        .mut_subcommand("run", engine::augment)
        .mut_subcommand("fio", engine::augment)
}

/// Parses a command line (`argv[0]` included) into the subcommand's flags
/// and the engines' options.
pub fn parse_args<I, T>(argv: I) -> Result<(crate::cli::Cli, engine::Settings), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches;
    let m = command().try_get_matches_from(argv)?;
    let cli = crate::cli::Cli::from_arg_matches(&m)?;
    let settings = match m.subcommand() {
        Some(("run" | "fio", sub)) => engine::read_settings(sub)?,
        _ => engine::Settings::default(),
    };
    Ok((cli, settings))
}

impl RunConfig {
    pub fn from_args(a: &RunArgs, settings: engine::Settings) -> Result<Self, ConfigError> {
        let file = FileConfig::new(&a.params, &a.data, &a.length, settings, a.db.db_latency)?;
        let workloads = dedup(split_list(&a.workload));
        if workloads.is_empty() {
            return Err(ConfigError::EmptyList("workload"));
        }
        for w in &workloads {
            // Builds each workload once to check its parameters against it.
            iobound_workloads::build(w, &file.params)?;
        }
        let engines = match &a.mode {
            None => engine::all().to_vec(),
            Some(list) => {
                let modes = dedup(split_list(list));
                if modes.is_empty() {
                    return Err(ConfigError::EmptyList("mode"));
                }
                modes
                    .iter()
                    .map(|m| engine::by_name(m).ok_or_else(|| ConfigError::UnknownMode(m.clone())))
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
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
            label: a.label.clone(),
            record: !a.no_record,
            out: a.out.clone(),
            json: a.json,
            quiet: a.quiet,
            repeat: a.repeat,
            lang: a.lang,
            target: a.target,
            server_threads: a.server_threads,
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
            slo: a.slo,
        })
    }

    /// The settings as recorded in every result file.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = self.file.to_json();
        v["workloads"] = json!(self.workloads);
        v["modes"] = json!(self.engines.iter().map(|e| e.name()).collect::<Vec<_>>());
        v["concurrency"] = json!(self.concurrency);
        v["verify"] = json!(self.verify);
        v["label"] = json!(self.label);
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

    fn parse(args: &[&str]) -> Result<RunConfig, ConfigError> {
        let mut full = vec!["iobound", "run"];
        full.extend_from_slice(args);
        match parse_args(full).unwrap() {
            (
                Cli {
                    command: Command::Run(a),
                },
                settings,
            ) => RunConfig::from_args(&a, settings),
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
        let cases: [(&[&str], &str); 4] = [
            (&["-w", "nope"], "unknown workload 'nope'"),
            (&["-m", "fibers"], "unknown mode 'fibers'"),
            (&["-c", "0"], "invalid concurrency '0'"),
            (&["--block-size", "1000"], "block size 1000"),
        ];
        for (args, want) in cases {
            let msg = parse(args).err().unwrap().to_string();
            assert!(msg.contains(want), "{args:?}: {msg}");
            assert!(!msg.contains('\n'));
        }
        // Units are parsed by the flags themselves.
        for (args, want) in [
            (["-d", "soon"], "cannot parse duration 'soon'"),
            (["--file-size", "12Q"], "cannot parse size '12Q'"),
            (["--pool-threads", "0"], "--pool-threads"),
        ] {
            let mut full = vec!["iobound", "run"];
            full.extend_from_slice(&args);
            let msg = parse_args(full).err().unwrap().to_string();
            assert!(msg.contains(want), "{args:?}: {msg}");
        }
    }

    #[test]
    fn engine_options_are_read_and_recorded() {
        let c = parse(&["--pool-threads", "3", "--submit-batch", "2"]).unwrap();
        let v = c.to_json();
        assert_eq!(v["engine_options"]["pool"]["pool_threads"], 3);
        assert_eq!(v["engine_options"]["ring"]["submit_batch"], 2);
        assert_eq!(v["work"], 256 << 10);
        assert_eq!(v["keys"], "zipfian");
        // No --mode: every registered engine.
        assert_eq!(c.engines.len(), engine::all().len());
    }
}
