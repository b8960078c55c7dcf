//! The flags several subcommands share, each defined once: output
//! (`--out`, `--quiet`), data (`--data-dir`, `--direct`), language,
//! length, the database's delay, and `--repeat`'s help and parser.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use iobound_workloads::units::{count_arg, duration_arg, serde_duration};
use serde::{Deserialize, Serialize};

/// `--db-latency`: a duration up to the longest wait the db server takes
/// for a call (60 s, as a workload file's `db_latency`): `100000h` with
/// `--requests 1` ran until killed.
fn db_latency_arg(s: &str) -> Result<Duration, String> {
    let d = duration_arg(s)?;
    let max = Duration::from_micros(iobound_workloads::proto::MAX_WAIT_US.into());
    if d > max {
        return Err(format!(
            "at most {} (the longest wait the db server takes)",
            iobound_workloads::units::format_duration(max)
        ));
    }
    Ok(d)
}

/// Settings of the simulated database, shared by `serve` and `run`.
#[derive(Debug, Args, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbArgs {
    /// db: fixed service delay per query, on the server's event-loop timer (0: none)
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = db_latency_arg,
          allow_hyphen_values = true)]
    #[serde(with = "serde_duration")]
    pub db_latency: Duration,
}

/// Where a workload's files live and how they are opened.
#[derive(Debug, Args, Clone, Serialize, Deserialize)]
pub struct DataArgs {
    /// Open files with O_DIRECT (bypass the page cache)
    #[arg(long)]
    pub direct: bool,
    #[command(flatten)]
    #[serde(flatten)]
    pub dir: DataDirArgs,
}

/// How long a cell runs.
#[derive(Debug, Args, Clone, Serialize, Deserialize)]
pub struct LengthArgs {
    /// Measured time per cell
    #[arg(short, long, value_name = "DURATION", default_value = "5s",
          value_parser = duration_arg, conflicts_with = "requests", allow_hyphen_values = true)]
    #[serde(with = "serde_duration")]
    pub duration: Duration,
    /// Measured requests per cell, instead of a duration
    #[arg(short = 'n', long, value_name = "N", value_parser = count_arg,
          allow_hyphen_values = true)]
    pub requests: Option<u64>,
    /// Time run before measuring, excluded from results
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration_arg,
          allow_hyphen_values = true)]
    #[serde(with = "serde_duration")]
    pub warmup: Duration,
}

/// Where a command's results go and how much it prints: `run`, `bench`
/// and `advise`.
#[derive(Debug, Args, Clone)]
pub struct OutArgs {
    /// Directory under which the run (or advice) directory is created
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub out: PathBuf,
    /// No live progress on stderr (advise: only the prediction and the answer)
    #[arg(short, long)]
    pub quiet: bool,
}

/// Where iobound's data files live: `run`, `bench`, `advise`, `lesson`,
/// `clean` and `serve`; resolved once, by `config`.
#[derive(Debug, Args, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataDirArgs {
    /// Where data files are created and reused [default: <tmp>/iobound]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// The language of the explanations: `run`, `bench` and `lesson` (`report`
/// has its own, defaulting to the run's).
#[derive(Debug, Args, Clone, Copy)]
pub struct LangArgs {
    /// Language of the explanations
    #[arg(long, value_enum, default_value = "en")]
    pub lang: crate::lang::Lang,
}

/// `--repeat`'s help, one for `run`, `bench`, `advise` and `fio`. Their
/// defaults differ (1, the suite's, 3, 3) and clap's derive cannot give one
/// flattened struct several defaults, so the flag shares this text and one
/// parser, [`repeat_arg`], instead of a struct.
pub(super) const REPEAT_HELP: &str =
    "Repetitions of every cell, from 1 to 1000; reports give the median and spread";
/// `bench --repeat`'s help: [`REPEAT_HELP`], and what it overrides.
pub(super) const BENCH_REPEAT_HELP: &str =
    "Repetitions of every cell, from 1 to 1000, instead of the suite's; reports give the median and spread";

/// Most repetitions of a cell (`--repeat`, a suite's `repeat`): a plan
/// holds every repetition of every cell, and 99,999,999 of them ran the
/// machine out of memory before the first cell. A thousand 5-second cells
/// already take 1 h 24 min.
pub const MAX_REPEAT: u32 = 1000;

/// Most threads a server may run (`serve --threads`, `run --server-threads`):
/// each holds its own descriptor of the listening socket and its own ring,
/// and far past the cores more only adds switches. Beyond it the server
/// failed at start with "cannot listen ...: Too many open files".
pub(crate) const MAX_SERVER_THREADS: u64 = 1024;

/// The server threads' parser: a count from 1 to [`MAX_SERVER_THREADS`].
pub(crate) fn server_threads_arg(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_SERVER_THREADS).contains(&n) => Ok(n),
        _ => Err(iobound_workloads::units::count_hint(
            s,
            Some(MAX_SERVER_THREADS),
        )),
    }
}

/// `--repeat`'s parser: a count from 1 to [`MAX_REPEAT`].
pub(super) fn repeat_arg(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_REPEAT).contains(&n) => Ok(n),
        _ => Err(iobound_workloads::units::count_hint(
            s,
            Some(MAX_REPEAT.into()),
        )),
    }
}

impl DataDirArgs {
    /// The flag that gives a child command the same directory (none when
    /// unset, so the child resolves the default itself).
    pub fn to_argv(&self) -> Vec<String> {
        self.data_dir
            .iter()
            .flat_map(|d| ["--data-dir".into(), d.display().to_string()])
            .collect()
    }
}

#[cfg(test)]
mod db_latency_tests {
    use super::db_latency_arg;
    use std::time::Duration;

    /// A newcomer's finding: `--db-latency 100000h --requests 1` was taken
    /// and ran until killed; the server takes no wait over 60 s.
    #[test]
    fn db_latency_is_bounded_by_the_servers_longest_wait() {
        assert_eq!(db_latency_arg("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(db_latency_arg("0"), Ok(Duration::ZERO));
        let e = db_latency_arg("100000h").unwrap_err();
        assert!(e.contains("at most 60s"), "{e}");
        assert!(db_latency_arg("61s").is_err());
    }
}
