//! Command-line definition (clap only). Raw flags are turned into a checked
//! configuration by [`crate::config`] before anything runs.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use iobound_workloads::units::{count_arg, count_arg_u32, duration_arg, serde_duration};
use iobound_workloads::WorkloadParams;
use serde::{Deserialize, Serialize};

const ABOUT: &str = "Run the same file, network, database, CPU-bound and mixed workloads \
on several concurrency models (blocking threads, event loops on io_uring or epoll, thread \
and process pools), record every request's latency, and report when async I/O pays off \
and when a pool of cores is the right tool.";

/// The exit statuses, as `main` maps errors to them; the end of the
/// top-level, `run` and `bench` help.
macro_rules! exit_status {
    () => {
        "

Exit status:
  0    success; for run and bench: at least one cell ran
  1    the command failed; for run and bench: no cell ran, or an error stopped the run
  2    bad input (a flag, a suite, a directory): one line on stderr, found before
       anything is written (no run directory, no data file)
  130  run, bench, fio stopped by Ctrl-C: the cell running keeps what it measured
       (marked interrupted) and finished cells and the reports are written
  143  the same after SIGTERM"
    };
}

const MAIN_EXAMPLES: &str = concat!(
    "\
Examples:
  iobound list
  iobound run                      # the lesson's web request (db-web), every engine
  iobound run --workload file-randread --mode uring --concurrency 32 --duration 3s --direct
  iobound run -w file-randread,file-write -m threads,uring,rayon -c 1,8,32 -d 2s
  iobound fio --duration 3s
  iobound peers --duration 2s      # beside fio, sockperf and redis-benchmark, if installed",
    exit_status!()
);

#[derive(Debug, Parser)]
#[command(name = "iobound", version, about = ABOUT, after_help = MAIN_EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a matrix of workloads x modes x concurrencies and write results.
    #[command(after_help = RUN_EXAMPLES)]
    Run(Box<RunArgs>),
    /// List workloads and engines, one line each.
    #[command(
        after_help = "Examples:\n  iobound list\n  iobound list --json\n  iobound list workloads/examples/*.toml   # your workload files, checked, beside the catalogue"
    )]
    List(ListArgs),
    /// Run iobound and fio on the same file jobs and print their ratios.
    #[command(after_help = FIO_EXAMPLES)]
    Fio(FioArgs),
    /// Run iobound beside fio and sockperf on loopback: throughput, latency, CPU per operation.
    #[command(after_help = crate::peers::args::PEERS_EXAMPLES)]
    Peers(Box<crate::peers::PeersArgs>),
    /// Run a loopback server (echo, or the simulated database) until killed.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Run the asyncio lesson's examples in Rust on io_uring and in Python asyncio, with timings.
    #[command(after_help = LESSON_EXAMPLES)]
    Lesson(LessonArgs),
    /// Which concurrency model for your requests at your concurrency: predict, measure, answer.
    #[command(after_help = ADVISE_EXAMPLES)]
    Advise(AdviseArgs),
    /// Run a suite of matrices (default: every workload and engine) and report.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(BenchArgs),
    /// Render run.json, summary.csv, report.md and report.html of a run directory again.
    #[command(after_help = "Example:\n  iobound report results/reference")]
    Report(ReportArgs),
    /// Show what changed between two runs, cell by cell, beyond the measured spread.
    #[command(
        after_help = "Example:\n  iobound compare results/before results/after\n\n\
        Prints the comparison and writes it to results/after/compare-vs-<run id of before>.md."
    )]
    Compare(CompareArgs),
    /// List and remove iobound's data files (kept between runs, one per size).
    #[command(after_help = CLEAN_EXAMPLES)]
    Clean(CleanArgs),
}

const CLEAN_EXAMPLES: &str = "\
Examples:
  iobound clean --dry-run          # what would be removed, and how much
  iobound clean                    # remove them from <tmp>/iobound
  iobound clean --data-dir /mnt/nvme/iobound

Only files iobound creates are removed: data sets (iobound-data-*.dat), logs
(iobound-log-*.dat), the database's table and write-ahead logs (iobound-db-*)
and leftovers of an interrupted preparation. Runs recreate what they need.";

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// The data directory to clean [default: <tmp>/iobound]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// List the files and their sizes, remove nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Workload files to check and list beside the catalogue
    #[arg(value_name = "FILE.toml")]
    pub files: Vec<std::path::PathBuf>,
    /// One JSON document (workloads with class and prediction; engines with
    /// model and capabilities) instead of text
    #[arg(long)]
    pub json: bool,
}

const SERVE_EXAMPLES: &str = "\
Examples:
  # the database on one host, with a 1 ms service delay per query
  iobound serve db --listen 0.0.0.0:7000 --db-latency 1ms
  # and the load from another: no server is started then
  iobound run --workload db-ycsb-b --target 10.0.0.5:7000

  # after a crash: replay the write-ahead log (the default) and see what it did
  iobound serve db --data-dir /var/tmp/iobound
  # back to the initial table, the log discarded (what `iobound run` does)
  iobound serve db --fresh

`iobound run` starts the server it needs by itself, as a child process, and
stops it when the run ends. An answered PUT survives a crash: at start the
db server replays its write-ahead log and says so on stderr; it refuses a
corrupt log (exit 1) unless --truncate-corrupt-wal. The protocol and the
log's format are documented in the README.";

#[derive(Debug, Clone, PartialEq, Args)]
pub struct ServeArgs {
    /// Which server
    #[arg(value_enum)]
    pub kind: crate::serve::Kind,
    /// Address to listen on (port 0: the OS picks one; printed on stdout)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Server threads, each with its own io_uring runtime
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = count_arg,
          allow_hyphen_values = true)]
    pub threads: u64,
    /// db: records in the table (1 KiB each)
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub records: u64,
    #[command(flatten)]
    pub db: DbArgs,
    /// db: open the table with O_DIRECT
    #[arg(long)]
    pub direct: bool,
    /// db: where the table and its logs live [default: <tmp>/iobound]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// db: start from the table's initial content: discard the write-ahead
    /// log without replaying it, rewrite the records that differ from their
    /// initial content, and read the whole table into the page cache
    /// (`iobound run` starts its servers so)
    #[arg(long, conflicts_with = "truncate_corrupt_wal")]
    pub fresh: bool,
    /// db: when the write-ahead log is corrupt (a bad record followed by
    /// valid ones), replay the records before the damage and drop the rest,
    /// instead of refusing to start
    #[arg(long)]
    pub truncate_corrupt_wal: bool,
    /// Close a connection whose frame stays unfinished this long (idle
    /// connections between frames stay open)
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration_arg,
          allow_hyphen_values = true)]
    pub frame_timeout: Duration,
}

impl ServeArgs {
    /// The command line (after `iobound serve`) that parses back into these
    /// flags: how `run` starts its servers, so that the child's arguments
    /// and their parser are one type.
    pub fn to_argv(&self) -> Vec<String> {
        use clap::ValueEnum;
        let kind = self
            .kind
            .to_possible_value()
            .expect("every server kind has a name");
        let mut argv = vec![
            kind.get_name().to_string(),
            "--listen".into(),
            self.listen.to_string(),
            "--threads".into(),
            self.threads.to_string(),
            "--frame-timeout".into(),
            format!("{}ns", self.frame_timeout.as_nanos()),
        ];
        if self.kind == crate::serve::Kind::Db {
            argv.extend([
                "--records".into(),
                self.records.to_string(),
                "--db-latency".into(),
                format!("{}ns", self.db.db_latency.as_nanos()),
            ]);
        }
        if let Some(d) = &self.data_dir {
            argv.extend(["--data-dir".into(), d.display().to_string()]);
        }
        for (flag, on) in [
            ("--direct", self.direct),
            ("--fresh", self.fresh),
            ("--truncate-corrupt-wal", self.truncate_corrupt_wal),
        ] {
            if on {
                argv.push(flag.into());
            }
        }
        argv
    }
}

/// Settings of the simulated database, shared by `serve` and `run`.
#[derive(Debug, Args, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbArgs {
    /// db: fixed service delay per query, on the server's event-loop timer (0: none)
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = duration_arg,
          allow_hyphen_values = true)]
    #[serde(with = "serde_duration")]
    pub db_latency: Duration,
}

const LESSON_EXAMPLES: &str = "\
Examples:
  # list the chapters
  iobound lesson
  # chapter 3: gather of three sleeps, then the same run one after the other
  iobound lesson 3
  # every chapter, 100 times faster, explanations in French
  iobound lesson all --speed 100 --lang fr
  # the Rust examples only (each chapter otherwise runs again in Python asyncio)
  iobound lesson 3 --no-python

Lines marked `py>` are printed by the same example in Python (python3, or
--python PATH); without an interpreter the chapter says so and goes on.";

const ADVISE_EXAMPLES: &str = "\
Examples:
  # the lesson's web request at 4096 in flight
  iobound advise --workload workloads/examples/web-request.toml --concurrency 4096
  # 3 database calls of 5 ms, SHA-256 of 64 KiB, a 16 KiB read, 2000 in flight
  iobound advise --workload workloads/examples/my-service.toml --concurrency 2000 --slo 50ms
  # the same request from flags (written to workload.toml beside the advice)
  iobound advise --calls 3x5ms --compute 64K --read 16K --concurrency 2000

It calibrates on a few cells (C=1 and a loaded one), prints each model's
predicted ceiling (Little's law on the waits, cores / CPU per request, the
server), measures one engine per model at C/2, C and 2C (--repeat times),
then answers: the model, its margin over the next paired by repetition, what
limits it, and where the answer would flip. Writes advice.md, advice.html and
two run directories under <out>/advice-<time>.";

#[derive(Debug, Args)]
pub struct AdviseArgs {
    /// A workload file describing one request (see the README's "workload files")
    #[arg(long, value_name = "FILE", conflicts_with_all = ["calls", "compute", "read"])]
    pub workload: Option<std::path::PathBuf>,
    /// Database calls one after the other, COUNTxDURATION (e.g. 3x5ms)
    #[arg(long, value_name = "NxDURATION")]
    pub calls: Option<String>,
    /// SHA-256 of SIZE per request (e.g. 64K)
    #[arg(long, value_name = "SIZE")]
    pub compute: Option<String>,
    /// A random read of SIZE from a data file per request (e.g. 16K)
    #[arg(long, value_name = "SIZE")]
    pub read: Option<String>,
    /// Requests in flight in your service
    #[arg(short, long, value_name = "N", value_parser = count_arg, allow_hyphen_values = true)]
    pub concurrency: u64,
    /// The p99 your service must keep (e.g. 50ms): a faster model that misses it is not the answer
    #[arg(long, value_name = "DURATION", value_parser = iobound_workloads::units::duration_arg)]
    pub slo: Option<std::time::Duration>,
    /// Repetitions of every cell (verdicts pair them)
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = count_arg_u32,
          allow_hyphen_values = true)]
    pub repeat: u32,
    /// Measured time of each cell
    #[arg(long, value_name = "DURATION", default_value = "1s",
          value_parser = iobound_workloads::units::duration_arg)]
    pub duration: std::time::Duration,
    /// Most OS threads a cell may start (blocking threads need one per request)
    #[arg(long, value_name = "N", default_value_t = 8192)]
    pub max_threads: usize,
    /// Directory under which advice-<time> is created
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub out: std::path::PathBuf,
    /// Where data files are created and reused [default: <tmp>/iobound]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// No per-cell lines, only the prediction and the answer
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct LessonArgs {
    /// Chapter to run: 1 to 5, or `all`; none lists the chapters
    #[arg(value_name = "CHAPTER")]
    pub chapter: Option<String>,
    /// Divide every delay by this factor, above 0 and at most 1000 (e.g. 100
    /// runs chapter 3 in ~55 ms)
    #[arg(
        long,
        value_name = "X",
        default_value_t = 1.0,
        allow_hyphen_values = true
    )]
    pub speed: f64,
    /// Language of the explanations (the example lines stay as in the lesson)
    #[arg(long, value_enum, default_value = "en")]
    pub lang: crate::lang::Lang,
    /// Where chapter 4 creates its data file [default: <tmp>/iobound]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// The Python interpreter that runs each chapter's example in asyncio
    /// beside the Rust one [default: python3]
    #[arg(long, value_name = "PATH", conflicts_with = "no_python")]
    pub python: Option<String>,
    /// Run the Rust examples only
    #[arg(long)]
    pub no_python: bool,
}

const RUN_EXAMPLES: &str = concat!(
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

/// Where a workload's files live and how they are opened.
#[derive(Debug, Args, Clone, Serialize, Deserialize)]
pub struct DataArgs {
    /// Open files with O_DIRECT (bypass the page cache)
    #[arg(long)]
    pub direct: bool,
    /// Where data files are created and reused [default: <tmp>/iobound]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
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
    /// Workloads, comma-separated (see `iobound list`); the default, db-web, is
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
    /// Directory under which the run directory is created
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub out: PathBuf,
    /// Print each cell's summary as one JSON line on stdout instead of a table
    #[arg(long)]
    pub json: bool,
    /// No live progress on stderr
    #[arg(short, long)]
    pub quiet: bool,
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
    /// Threads of the server iobound starts
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = count_arg,
          allow_hyphen_values = true)]
    pub server_threads: u64,
    /// Pin the server and/or this process to CPUs, e.g. server=0,client=1 or client=0-1
    #[arg(long, value_name = "SPEC")]
    pub pin: Option<String>,
    /// Most OS threads a cell may start; cells needing more are skipped
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_threads: usize,
    /// Run the whole matrix N times; reports give the median and spread
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = count_arg_u32,
          allow_hyphen_values = true)]
    pub repeat: u32,
    /// Language of the report's explanations
    #[arg(long, value_enum, default_value = "en")]
    pub lang: crate::lang::Lang,
    /// Skip latency recording (measures what recording costs)
    #[arg(long, hide = true)]
    pub no_record: bool,
}

const BENCH_EXAMPLES: &str = concat!(
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
    /// Override the suite's repeat count (at least 1)
    #[arg(long, value_name = "N", value_parser = count_arg_u32, allow_hyphen_values = true)]
    pub repeat: Option<u32>,
    /// Directory under which the run directory is created
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub out: std::path::PathBuf,
    /// Where data files are created and reused [default: <tmp>/iobound]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Language of the report's explanations
    #[arg(long, value_enum, default_value = "en")]
    pub lang: crate::lang::Lang,
    /// No live progress on stderr
    #[arg(short, long)]
    pub quiet: bool,
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

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory (holding run.json, or per-cell JSON files)
    #[arg(value_name = "DIR")]
    pub dir: std::path::PathBuf,
    /// Language of the report [default: the one the run was made with]
    #[arg(long, value_enum)]
    pub lang: Option<crate::lang::Lang>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The run before (e.g. before a kernel upgrade)
    #[arg(value_name = "DIR_A")]
    pub before: std::path::PathBuf,
    /// The run after; compare-vs-<run id of DIR_A>.md is written into it
    #[arg(value_name = "DIR_B")]
    pub after: std::path::PathBuf,
}

const FIO_EXAMPLES: &str = "\
Examples:
  iobound fio                      # the default pairs, 3 repeats, medians
  iobound fio --duration 2s --repeat 1 --pairs randread-direct-uring-32

Each pair runs an iobound cell and the matching fio job on the same file with
the same block size, depth and duration (psync numjobs=C for threads, io_uring
iodepth=C for uring), alternating which goes first, and prints iobound/fio
for IOPS, p99 and CPU per I/O (medians). Each pair fixes its engine, depth and O_DIRECT
setting, so --direct is ignored here.";

#[derive(Debug, Args)]
pub struct FioArgs {
    #[command(flatten)]
    pub params: WorkloadParams,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub length: LengthArgs,
    /// Runs of each side per pair; the median is compared
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub repeat: usize,
    /// Pairs to run, comma-separated [default: all]
    #[arg(long, value_name = "LIST")]
    pub pairs: Option<String>,
    /// Path of the fio binary
    #[arg(long, value_name = "PATH", default_value = "fio")]
    pub fio: String,
    /// Also write the rows (medians, CPU per I/O included) as JSON to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}
