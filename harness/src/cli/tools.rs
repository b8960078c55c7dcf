//! The other subcommands' flags: `list`, `clean`, `lesson`, `advise`,
//! `report`, `compare` and `fio`.

use std::path::PathBuf;

use clap::Args;
use iobound_workloads::units::count_arg;
use iobound_workloads::WorkloadParams;

use super::shared::{
    repeat_arg, DataArgs, DataDirArgs, LangArgs, LengthArgs, OutArgs, REPEAT_HELP,
};

pub(super) const CLEAN_EXAMPLES: &str = "\
Examples:
  iobound clean --dry-run          # what would be removed, and how much
  iobound clean                    # remove them from <tmp>/iobound
  iobound clean --data-dir /mnt/nvme/iobound

Only files iobound creates are removed: data sets (iobound-data-*.dat), logs
(iobound-log-*.dat), the database's table and write-ahead logs (iobound-db-*)
and leftovers of an interrupted preparation. Runs recreate what they need.";

#[derive(Debug, Args)]
pub struct CleanArgs {
    #[command(flatten)]
    pub data: DataDirArgs,
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

pub(super) const LESSON_EXAMPLES: &str = "\
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

pub(super) const ADVISE_EXAMPLES: &str = "\
Examples:
  # the lesson's web request at 4096 in flight
  iobound advise --workload workloads/examples/web-request.toml --concurrency 4096
  # 3 database calls of 5 ms, SHA-256 of 64 KiB, a 16 KiB read, 2000 in flight
  iobound advise --workload workloads/examples/my-service.toml --concurrency 2000 --slo 50ms
  # the same request from flags (written to workload.toml beside the advice)
  iobound advise --calls 3x5ms --compute 64K --read 16K --concurrency 2000

It calibrates on a few cells (C=1 and a loaded one), prints each model's
predicted ceiling (Little's law on the waits, cores / CPU per request, the
server), measures one engine per model at C/2, C and 2C (--repeat times;
cells lengthened to hold slow requests within about 80 s of measurement in
all, never below --duration), then answers: the model, its margin over the next paired by repetition, what
limits it, and where the answer would flip. Writes advice.md, advice.html,
advice.json (--json prints it) and two run directories under
<out>/advice-<time>.

Exit status:
  0    an answer was given
  1    no answer: no model completed every repetition at the concurrency
       asked (advice.md says so), or an error stopped the measurement
  2    bad input (a flag, a workload file): one line on stderr, before anything
       is written
  130  stopped by Ctrl-C (143 after SIGTERM): the cells that finished stay in
       their run directories";

#[derive(Debug, Args)]
pub struct AdviseArgs {
    /// A workload file describing one request (see the README's "workload files"),
    /// not a built-in workload's name: advise asks about your own request
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
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = repeat_arg,
          allow_hyphen_values = true, help = REPEAT_HELP)]
    pub repeat: u32,
    /// Measured time of each cell
    #[arg(long, value_name = "DURATION", default_value = "1s",
          value_parser = iobound_workloads::units::duration_arg)]
    pub duration: std::time::Duration,
    /// Most OS threads a cell may start (blocking threads need one per request)
    #[arg(long, value_name = "N", default_value_t = 8192)]
    pub max_threads: usize,
    /// Cores of the machine your service runs on: the predictions are made
    /// for N as well [default: this machine's]; the cells still measure on
    /// this machine's, and the answer is this machine's
    #[arg(long, value_name = "N", value_parser = count_arg, allow_hyphen_values = true)]
    pub cores: Option<u64>,
    /// Print the advice as JSON on stdout (advice.json's document: the
    /// engines recommended, the answer's lines, every measurement) instead of
    /// its lines; the progress and the predictions stay on stderr
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub output: OutArgs,
    #[command(flatten)]
    pub data: DataDirArgs,
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
    #[command(flatten)]
    pub lang: LangArgs,
    #[command(flatten)]
    pub data: DataDirArgs,
    /// The Python interpreter that runs each chapter's example in asyncio
    /// beside the Rust one [default: python3]
    #[arg(long, value_name = "PATH", conflicts_with = "no_python")]
    pub python: Option<String>,
    /// Run the Rust examples only
    #[arg(long)]
    pub no_python: bool,
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

pub(super) const FIO_EXAMPLES: &str = "\
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
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = repeat_arg,
          allow_hyphen_values = true, help = REPEAT_HELP)]
    pub repeat: u32,
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
