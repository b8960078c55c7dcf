//! The two `iobound run` matrices advise runs (calibration, then each
//! model around the concurrency): their command lines, their checks, and
//! their cells read back as a [`Calibration`] and [`Measured`] figures.

use std::path::Path;
use std::time::Duration;

use super::answer::{Measured, Rep};
use super::model::Calibration;
use super::AdviseError;
use crate::cli::AdviseArgs;
use crate::engine::Engine;
use crate::result::{CellResult, Status};
use crate::run::{self, Observer, Suite};

/// The command lines of the matrices, for one request and output
/// directory.
pub(crate) struct Argv<'a> {
    pub(crate) a: &'a AdviseArgs,
    /// The workload file advise wrote.
    pub(crate) file: &'a Path,
    /// The advice directory, where both runs go.
    pub(crate) dir: &'a Path,
    /// The concurrencies measured.
    pub(crate) cs: Vec<usize>,
}

impl Argv<'_> {
    /// The flags both matrices share.
    fn common(&self, out: &str, duration: Duration, warmup: Duration) -> Vec<String> {
        let a = self.a;
        let mut v: Vec<String> = [
            "iobound",
            "run",
            "--workload",
            &self.file.display().to_string(),
            "--duration",
            &iobound_workloads::units::format_duration(duration),
            "--warmup",
            &iobound_workloads::units::format_duration(warmup),
            "--repeat",
            &a.repeat.to_string(),
            "--max-threads",
            &a.max_threads.to_string(),
            "--out",
            &self.dir.join(out).display().to_string(),
            "--quiet",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(a.data.to_argv());
        v
    }

    /// Calibration: `calibrator` alone (C = 1) and at `loaded_c`.
    pub(crate) fn calibration(&self, calibrator: &dyn Engine, loaded_c: usize) -> Vec<String> {
        let mut v = self.common("calibration", self.a.duration, super::WARMUP);
        v.extend([
            "--mode".into(),
            calibrator.name().into(),
            "--concurrency".into(),
            format!("1,{loaded_c}"),
        ]);
        v
    }

    /// Measurement: `engines` at each concurrency of the sweep.
    pub(crate) fn measurement(
        &self,
        engines: &[&'static dyn Engine],
        duration: Duration,
        warmup: Duration,
    ) -> Vec<String> {
        let mut v = self.common("measurement", duration, warmup);
        v.extend([
            "--mode".into(),
            engines
                .iter()
                .map(|e| e.name())
                .collect::<Vec<_>>()
                .join(","),
            "--concurrency".into(),
            self.cs
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(","),
        ]);
        v
    }
}

/// The concurrencies measured: the user's, half and twice it.
pub(crate) fn sweep(c: usize) -> Vec<usize> {
    let mut v = vec![
        (c / 2).max(1),
        c,
        (c * 2).min(crate::config::MAX_CONCURRENCY),
    ];
    v.dedup();
    v
}

/// One `iobound run` matrix, through the same checks as the command's.
pub(crate) fn matrix(argv: &[String]) -> Result<crate::config::RunConfig, AdviseError> {
    let (cli, settings) = crate::config::parse_args(argv)
        .map_err(|e| AdviseError::Input(crate::config::clap_one_line(&e)))?;
    let crate::cli::Command::Run(args) = cli.command else {
        unreachable!("argv starts with run");
    };
    Ok(crate::config::RunConfig::from_args(&args, settings)?)
}

/// Runs one matrix.
pub(crate) fn run_matrix(
    argv: &[String],
    obs: &mut dyn Observer,
) -> Result<run::RunOutput, AdviseError> {
    Ok(run::run_suite(&Suite::single(matrix(argv)?), obs)?)
}

/// What the calibration cells measured.
pub(crate) fn calibration(
    out: &run::RunOutput,
    engine: &str,
    loaded_c: usize,
    server_threads: u64,
) -> Result<Calibration, AdviseError> {
    let ok = |c: usize| {
        out.cells
            .iter()
            .filter(move |x| x.key.concurrency == c && x.status == Status::Ok)
            .filter_map(|x| x.summary.as_ref())
            .filter(|s| s.requests > 0)
    };
    let x1: Vec<f64> = ok(1).map(|s| s.throughput_rps).collect();
    let client: Vec<f64> = ok(loaded_c).map(|s| s.cpu.per_request_ns / 1e9).collect();
    let server: Vec<f64> = ok(loaded_c)
        .map(|s| s.server.as_ref().map_or(0.0, |v| v.per_request_ns / 1e9))
        .collect();
    if x1.is_empty() || client.is_empty() {
        let why = out
            .cells
            .iter()
            .find_map(|c| c.reason.clone())
            .unwrap_or_else(|| "no request completed".into());
        return Err(AdviseError::Measure(format!(
            "the calibration cells did not measure: {why}"
        )));
    }
    Ok(Calibration {
        engine: engine.to_string(),
        x1,
        loaded_c,
        client_cpu_s: client,
        server_cpu_s: server,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        server_threads,
    })
}

/// Each engine's cells at concurrency `c`, of `repeat` repetitions: a
/// model with fewer (a stopped advise) is incomplete, and left out of the
/// answer.
pub(crate) fn measured_at(
    cells: &[CellResult],
    engines: &[&'static dyn Engine],
    c: usize,
    repeat: u32,
) -> Vec<Measured> {
    engines
        .iter()
        .map(|e| {
            let mine: Vec<&CellResult> = cells
                .iter()
                .filter(|x| x.key.mode == e.name() && x.key.concurrency == c)
                .collect();
            let reps = mine
                .iter()
                .filter(|x| x.status == Status::Ok)
                .filter_map(|x| {
                    x.summary.as_ref().map(|s| Rep {
                        rep: x.rep.unwrap_or(1),
                        throughput: s.throughput_rps,
                        p99_ns: s.latency.p99_ns as f64,
                    })
                })
                .collect();
            let ok = || {
                mine.iter()
                    .filter(|x| x.status == Status::Ok)
                    .filter_map(|x| x.summary.as_ref())
            };
            let median = |v: Vec<f64>| crate::report::model::Stat::of(&v).median;
            let cpu = median(
                ok().map(|s| {
                    (s.cpu.per_request_ns + s.server.as_ref().map_or(0.0, |v| v.per_request_ns))
                        / 1e9
                })
                .collect(),
            );
            let client = median(ok().map(|s| s.cpu.per_request_ns / 1e9).collect());
            let not_ok: Vec<&&CellResult> = mine
                .iter()
                .filter(|x| matches!(x.status, Status::Failed | Status::Interrupted))
                .collect();
            Measured {
                model: e.model(),
                engine: e.name().to_string(),
                concurrency: c,
                reps,
                skipped: mine
                    .iter()
                    .filter(|x| x.status == Status::Skipped)
                    .find_map(|x| x.reason.clone()),
                cpu_s: cpu,
                client_cpu_s: client,
                incomplete: not_ok
                    .first()
                    .map(|x| {
                        format!(
                            "{} of {}: {}",
                            not_ok.len(),
                            mine.len(),
                            x.reason.clone().unwrap_or_else(|| x.status.as_str().into())
                        )
                    })
                    .or_else(|| {
                        // Cells never run (advise stopped before them)
                        // leave no result at all; a model left out has
                        // none either, and its caller says why instead.
                        let ran = mine.iter().filter(|x| x.status == Status::Ok).count();
                        let skipped = mine.iter().any(|x| x.status == Status::Skipped);
                        (!skipped && ran < repeat as usize)
                            .then(|| format!("{ran} of {repeat} repetitions ran"))
                    }),
            }
        })
        .collect()
}
