//! Raw command-line flags turned into a checked configuration. Everything a
//! user can get wrong is caught here, before a file or directory is touched.
//!
//! This module holds what every subcommand shares: the one parser
//! ([`parse_args`]), [`ConfigError`], "did you mean", and [`FileConfig`].
//! Each subcommand's checks sit in their own module: [`run`] (`run`,
//! `bench`), [`serve`], [`lesson`]; [`target`] probes `--target`.

mod lesson;
mod record;
mod run;
mod serve;
mod target;

use std::path::PathBuf;
use std::time::Duration;

use iobound_workloads::{WorkloadError, WorkloadParams};

use crate::cli::{DataArgs, LengthArgs};
use crate::engine;
use crate::load::Bound;
use iobound_workloads::units::{count_hint, UnitError};

pub(crate) use lesson::CHAPTERS;
pub use lesson::{lesson_config, LessonPick, LessonSettings};
pub use record::{GroupRecord, ScriptClass, WorkloadRecord};
pub use run::RunConfig;
pub(crate) use run::{unread_params, MAX_CONCURRENCY};
pub use serve::serve_config;
pub(crate) use serve::serve_defaults;
pub(crate) use target::resolve_target;

/// Where data files (and the db's table) go unless `--data-dir` says otherwise.
pub fn default_data_dir() -> PathBuf {
    std::env::temp_dir().join("iobound")
}

impl crate::cli::DataDirArgs {
    /// `--data-dir`, or the default: the one place the flag is resolved.
    pub fn dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(default_data_dir)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Unit(#[from] UnitError),
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    /// A mistake in a workload file (`--workload my.toml`).
    #[error(transparent)]
    Script(#[from] iobound_workloads::ScriptError),
    #[error("one workload file per run: {0} and {1} (run them one after the other)")]
    TwoScripts(String, String),
    #[error("unknown workload '{name}'{} (see `iobound list`)", did_you_mean_text(.hint))]
    UnknownWorkload { name: String, hint: Option<String> },
    /// A file given as a workload without the `.toml` that makes `run`
    /// read it as one (`advise` and `list` take any path).
    #[error(
        "--workload {0}: a workload file's name ends in .toml (rename it, or copy it to NAME.toml)"
    )]
    NotToml(String),
    #[error("unknown mode '{name}'{} (see `iobound list`)", did_you_mean_text(.hint))]
    UnknownMode { name: String, hint: Option<String> },
    #[error("--target {spec}: {why}")]
    Target { spec: String, why: String },
    /// A flag that would change nothing in this run: refused rather than
    /// silently ignored, so the results never claim a setting they lack.
    #[error("{0}")]
    Ignored(String),
    /// A flag that would change nothing for any workload of the run: said
    /// with the flag (without `--`), so that a suite can leave a top-level
    /// key out of the groups that do not read it.
    #[error("{msg}")]
    Unused { flag: &'static str, msg: String },
    #[error("{0}")]
    MaxThreads(String),
    #[error("--{0} needs at least one value")]
    EmptyList(&'static str),
    /// `-c 1,,2` or `-m uring,`: an empty item is a typo, not a value to skip.
    #[error("--{0} '{1}': an empty item between commas (write the values separated by single commas, e.g. 1,4,16)")]
    EmptyItem(&'static str, String),
    #[error("invalid concurrency '{value}': {hint}", value = .0, hint = count_hint(.0, Some(run::MAX_CONCURRENCY as u64)))]
    Concurrency(String),
    #[error("--{0} must be greater than zero")]
    Zero(&'static str),
    #[error("invalid chapter '{0}': expected 1 to {max} or 'all'", max = CHAPTERS)]
    Chapter(String),
    #[error("invalid --speed {0}: expected a number above 0 and at most {max} (faster, the \
             lesson's delays are microseconds and its timings measure the event loop's own overhead)",
            max = lesson::MAX_SPEED)]
    Speed(f64),
    #[error(transparent)]
    Pin(#[from] crate::placement::PinError),
    #[error("invalid rate '{0}': expected requests per second, above 0 and at most 100M")]
    Rate(String),
    /// A request's known wait is longer than the whole cell.
    #[error("{0}")]
    TooShort(String),
    /// No cell of the matrix can run here (every engine asked for skips
    /// every cell, with this reason).
    #[error("{0}")]
    NothingRuns(String),
    /// What the run needs is in use by another process (the db table).
    #[error("{0}")]
    Busy(String),
}

impl ConfigError {
    /// The `iobound run` flag at fault (without `--`), when one alone is:
    /// a suite names the key it came from.
    pub fn flag(&self) -> Option<&'static str> {
        match self {
            ConfigError::UnknownWorkload { .. } | ConfigError::NotToml(_) => Some("workload"),
            ConfigError::UnknownMode { .. } => Some("mode"),
            ConfigError::Concurrency(_) => Some("concurrency"),
            ConfigError::Rate(_) => Some("rate"),
            ConfigError::Target { .. } => Some("target"),
            ConfigError::Pin(_) => Some("pin"),
            ConfigError::Unused { flag, .. } => Some(flag),
            ConfigError::EmptyList(f) | ConfigError::Zero(f) | ConfigError::EmptyItem(f, _) => {
                Some(f)
            }
            _ => None,
        }
    }
}

/// The candidate closest to `word`, if one is close enough to be a typo
/// of it (Jaro-Winkler similarity, as clap uses for flags).
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// `, did you mean 'x'?` or nothing.
pub(crate) fn did_you_mean_text(hint: &Option<String>) -> String {
    hint.as_ref()
        .map_or(String::new(), |h| format!("; did you mean '{h}'?"))
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
            data_dir: data.dir.dir(),
            warmup: length.warmup,
            bound,
            settings,
            db_latency,
        })
    }

    /// A cell's warm-up plus duration (`None` when bounded by requests).
    pub fn planned(&self) -> Option<Duration> {
        match self.bound {
            Bound::Duration(d) => Some(d + self.warmup),
            Bound::Requests(_) => None,
        }
    }

    /// Multiplies the warm-up and the duration by `f` (`bench --time-scale`).
    pub fn scale_time(&mut self, f: f64) {
        self.warmup = self.warmup.mul_f64(f);
        if let Bound::Duration(d) = &mut self.bound {
            *d = d.mul_f64(f);
        }
    }

    /// What run.json records of these settings (the rest of a group's
    /// record is [`RunConfig::record`]'s).
    pub fn record(&self) -> GroupRecord {
        GroupRecord {
            params: self.params.clone(),
            db_latency: Some(self.db_latency),
            direct: self.direct,
            data_dir: Some(self.data_dir.clone()),
            warmup: Some(self.warmup),
            duration: match self.bound {
                Bound::Duration(d) => Some(d),
                Bound::Requests(_) => None,
            },
            requests: match self.bound {
                Bound::Requests(n) => Some(n),
                Bound::Duration(_) => None,
            },
            engine_options: serde_json::to_value(&self.settings)
                .and_then(serde_json::from_value)
                .expect("engine options are a map"),
            ..GroupRecord::default()
        }
    }
}

/// A clap error on one line, with clap's "did you mean" tip kept: the
/// binary's rule is one line per error.
pub fn clap_one_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines().skip_while(|l| !l.starts_with("error:"));
    let mut line = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    // The lines right under it complete it: the missing flag of "required
    // arguments were not provided:", or "[possible values: en, fr]".
    for more in lines
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .filter(|l| !l.starts_with("tip:"))
    {
        line = format!("{line} {more}");
    }
    for tip in text.lines().filter(|l| l.trim_start().starts_with("tip:")) {
        line.push_str(&format!(" ({})", tip.trim().trim_start_matches("tip: ")));
    }
    line
}

/// The `iobound` command line, with every engine's options added to the
/// subcommands that run engines (under each engine's heading in `--help`).
pub(crate) fn command() -> clap::Command {
    use clap::CommandFactory;
    crate::cli::Cli::command()
        .mut_subcommand("run", engine::augment)
        .mut_subcommand("fio", engine::augment)
        .mut_subcommand("peers", engine::augment)
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
    let mut cli = crate::cli::Cli::from_arg_matches(&m)?;
    if let (crate::cli::Command::Run(r), Some(("run", sub))) = (&mut cli.command, m.subcommand()) {
        r.given = sub
            .ids()
            .filter(|id| {
                sub.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine)
            })
            .map(|id| id.as_str().to_string())
            .collect();
    }
    let settings = match m.subcommand() {
        Some(("run" | "fio" | "peers", sub)) => engine::read_settings(sub)?,
        _ => engine::Settings::default(),
    };
    Ok((cli, settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn parse_cli(args: &[&str]) -> crate::cli::Cli {
        let mut full = vec!["iobound"];
        full.extend_from_slice(args);
        parse_args(full).unwrap().0
    }
}
