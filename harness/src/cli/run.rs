//! `iobound run` and `iobound bench`: the matrix's flags and the suite's.

use std::time::Duration;

use clap::Args;
use iobound_workloads::units::duration_arg;
use iobound_workloads::WorkloadParams;
use serde::{Deserialize, Serialize};

use super::shared::{
    repeat_arg, DataArgs, DataDirArgs, DbArgs, LangArgs, LengthArgs, OutArgs, BENCH_REPEAT_HELP,
    REPEAT_HELP,
};

pub(super) const RUN_EXAMPLES: &str = concat!(
    "\
Examples:
  # the default: the lesson's web request (db-web: 3 queries of 1 ms, then a
  # render) on every engine, against a database server iobound starts itself
  iobound run
  # 4 KiB O_DIRECT random reads, one io_uring thread with 32 in flight
  iobound run --workload file-randread --mode uring --concurrency 32 --duration 3s --direct
  # the same through the page cache, all engines, a concurrency sweep
  iobound run -w file-randread -m threads,uring,rayon -c 1,8,32 -d 2s
  # a write-ahead log: 4 KiB appends, fdatasync after each
  iobound run -w file-write -m threads,uring -c 1,4 -d 3s
  # CPU-bound work: SHA-256 of 256 KiB per request, a pool against one event loop
  iobound run -w cpu-hash -m uring,rayon -c 32 -d 3s
  # I/O then CPU in each request: the hybrid engine hands the hash to a pool
  iobound run -w mixed-file -m uring,hybrid,threads -c 32 -d 3s --direct
  # exactly 10000 measured requests, checking every read's content
  iobound run -w file-seqread -m threads -c 4 --requests 10000 --warmup 0s --verify

Results go to results/<run-id>/: one JSON per cell (config, system, summary,
full HdrHistogram) and a .hgrm percentile distribution per cell.",
    exit_status!()
);

/// A cell tag goes into file names: a short, plain word.
fn tag_arg(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}': use 1 to 40 letters, digits, '-' or '_'"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    Uniform,
    Poisson,
}

/// What `iobound run` measures when no `--workload` is given: a workload
/// that waits (the page-cache reads of `file-randread` never do, so they
/// would show the lesson's counter-example first).
pub const DEFAULT_WORKLOAD: &str = "db-web";

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Workloads, comma-separated: built-in names (see `iobound list`) and at
    /// most one workload file (FILE.toml) per run; the default, db-web, is
    /// the lesson's web request: 3 queries that wait on a database server
    /// iobound starts itself, then a render
    #[arg(short, long, value_name = "LIST", default_value = DEFAULT_WORKLOAD)]
    pub workload: String,
    /// Engines, comma-separated [default: every Rust engine; the Python ones (py-*) are named; see `iobound list`]
    #[arg(short, long, value_name = "LIST")]
    pub mode: Option<String>,
    /// Requests outstanding at all times, comma-separated for a sweep
    #[arg(
        short,
        long,
        value_name = "LIST",
        default_value = "16",
        allow_hyphen_values = true
    )]
    pub concurrency: String,
    #[command(flatten)]
    pub params: WorkloadParams,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub length: LengthArgs,
    /// Check every read's content against the data set (slower; for testing)
    #[arg(long)]
    pub verify: bool,
    /// Tag this run's cells (letters, digits, '-', '_'): suites use it to
    /// tell apart groups running one workload with different parameters
    #[arg(long, value_name = "NAME", value_parser = tag_arg)]
    pub label: Option<String>,
    #[command(flatten)]
    pub output: OutArgs,
    /// Print each cell's summary as one JSON line on stdout instead of a table
    #[arg(long)]
    pub json: bool,
    /// Open loop: intended requests per second, comma-separated for a sweep
    /// (replaces the closed loop; -c sets the connections/slots)
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub rate: Option<String>,
    /// Open loop: even spacing, or a Poisson process [default: uniform]
    /// (needs --rate)
    #[arg(long, value_enum)]
    pub arrival: Option<Arrival>,
    /// Open-loop sweep: stop raising the rate once a cell's p99 passes this
    /// [default: 100ms] (needs --rate)
    #[arg(long, value_name = "DURATION", value_parser = duration_arg, allow_hyphen_values = true)]
    pub slo: Option<Duration>,
    /// Use a server already running at HOST:PORT (`iobound serve`) instead of
    /// starting one; checked to answer before the run starts
    #[arg(long, value_name = "HOST:PORT")]
    pub target: Option<String>,
    /// Threads of the server iobound starts (1 to 1024)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = super::shared::server_threads_arg,
          allow_hyphen_values = true)]
    pub server_threads: u64,
    /// Pin the server and/or this process to CPUs, e.g. server=0,client=1 or client=0-1
    #[arg(long, value_name = "SPEC")]
    pub pin: Option<String>,
    /// Most OS threads a cell may start; cells needing more are skipped
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_threads: usize,
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = repeat_arg,
          allow_hyphen_values = true, help = REPEAT_HELP)]
    pub repeat: u32,
    #[command(flatten)]
    pub lang: LangArgs,
    /// Skip latency recording (measures what recording costs)
    #[arg(long, hide = true)]
    pub no_record: bool,
    /// The flags given on the command line (or by a suite's keys), by clap
    /// id: a flag set to its default value is still a flag the user set, and
    /// is refused where it changes nothing (`--db-latency 1ms` for Redis).
    #[arg(skip)]
    pub given: Vec<String>,
}

impl RunArgs {
    /// Whether the flag of clap id `id` (`db_latency`) was given.
    pub fn was_given(&self, id: &str) -> bool {
        self.given.iter().any(|g| g == id)
    }
}

pub(super) const BENCH_EXAMPLES: &str = concat!(
    "\
Examples:
  iobound bench                    # the default suite (what `make bench` runs)
  iobound bench --suite quick      # a short suite, under 90 seconds
  iobound bench --suite python     # Python's asyncio, threads and processes beside Rust
  iobound bench --suite my.toml    # your own copy of a suite file
  iobound bench --time-scale 0.1   # the whole default matrix, every duration / 10 (CI)

Suites live in workloads/suites/*.toml; the built-in ones are compiled in, so
`--suite default` works from any directory. Results, run.json, summary.csv,
report.md and report.html go to <out>/<run-id>/.",
    exit_status!()
);

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A built-in suite name (default, quick, python) or the path of a suite file
    #[arg(long, value_name = "NAME|FILE", default_value = "default")]
    pub suite: String,
    #[arg(long, value_name = "N", value_parser = repeat_arg, allow_hyphen_values = true,
          help = BENCH_REPEAT_HELP)]
    pub repeat: Option<u32>,
    #[command(flatten)]
    pub output: OutArgs,
    #[command(flatten)]
    pub data: DataDirArgs,
    #[command(flatten)]
    pub lang: LangArgs,
    /// Multiply every cell's warm-up and duration by F: 0.1 runs the whole
    /// matrix (every group, engine and server) in a tenth of the measuring
    /// time, as CI does; its figures are noisier
    #[arg(long, value_name = "F", default_value = "1", value_parser = parse_time_scale)]
    pub time_scale: f64,
}

/// A time scale: a number above 0, at most 10.
fn parse_time_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f > 0.0 && f <= 10.0 => Ok(f),
        Ok(_) => Err("must be above 0 and at most 10 (0.1: a tenth of every duration)".into()),
        Err(_) => Err(format!("'{s}' is not a number (e.g. 0.1)")),
    }
}
