//! Command-line definition (clap only): `Cli`, its subcommands and their
//! help. Raw flags are turned into a checked configuration by
//! [`crate::config`] before anything runs; each subcommand's flags live in a
//! module of their own, the flags several share in `shared.rs`.

use clap::{Parser, Subcommand};

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

mod run;
mod serve;
mod shared;
mod tools;

pub use run::{Arrival, BenchArgs, RunArgs, DEFAULT_WORKLOAD};
pub use serve::ServeArgs;
pub use shared::{DataArgs, DataDirArgs, DbArgs, LangArgs, LengthArgs, OutArgs, MAX_REPEAT};
pub use tools::{AdviseArgs, CleanArgs, CompareArgs, FioArgs, LessonArgs, ListArgs, ReportArgs};

use run::{BENCH_EXAMPLES, RUN_EXAMPLES};
use serve::SERVE_EXAMPLES;
use tools::{ADVISE_EXAMPLES, CLEAN_EXAMPLES, FIO_EXAMPLES, LESSON_EXAMPLES};

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
