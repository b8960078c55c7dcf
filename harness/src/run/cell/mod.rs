//! One cell: its files opened and warmed, its engine run on its own thread
//! while this one watches (progress, Ctrl-C, thread counts, the measured
//! window's edges), and the readings turned into a [`CellResult`].
//!
//! `watch` runs the engine and watches it; this module prepares the cell,
//! checks what can run, and turns the readings into the result.

mod watch;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use iobound_workloads::FileRole;

use self::watch::{run_watched, settled_thread_count, Ended};
use super::summary::{summarize, Readings, WindowCpu};
use super::{Observer, Ready};
use crate::engine::{CellCtx, Engine, Settings};
use crate::exec::FileSet;
use crate::load::{Bound, Plan};
use crate::pagecache;
use crate::placement::{self, Placement};
use crate::record::{self, Progress};
use crate::resources;
use crate::result::{CellKey, CellResult, Residency, Status};
use crate::ring::UringSupport;

/// How to run one cell, beyond its workload and engine.
#[derive(Debug, Clone)]
pub struct CellOptions {
    pub direct: bool,
    /// The engines' own options.
    pub settings: Settings,
    pub verify: bool,
    pub record: bool,
    /// The server exchange steps go to.
    pub target: Option<SocketAddr>,
    /// The server's pid when iobound started it: its CPU is read per cell.
    pub server_pid: Option<u32>,
    /// Cells needing more OS threads are skipped.
    pub max_threads: usize,
    /// The cells' `--label`.
    pub tag: Option<String>,
}

impl CellOptions {
    pub fn new(direct: bool, settings: Settings) -> Self {
        CellOptions {
            direct,
            settings,
            verify: false,
            record: true,
            target: None,
            server_pid: None,
            max_threads: usize::MAX,
            tag: None,
        }
    }
}

/// Descriptors a client connection holds: see `CellCtx`'s duplicates.
const FDS_PER_CONNECTION: u64 = 2;

/// Why `conns` client connections do not fit an open-file limit, if not.
fn too_many_descriptors(conns: u64, limit: u64) -> Option<String> {
    let fds = FDS_PER_CONNECTION * conns;
    (fds + 64 > limit).then(|| {
        format!(
            "needs {conns} connections ({fds} descriptors), but the open-file limit is {limit} \
             (raise it with ulimit -n)"
        )
    })
}

/// The soft limit on open files.
fn open_file_limit() -> u64 {
    // SAFETY: getrlimit fills the struct we pass.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return u64::MAX;
        }
        r.rlim_cur
    }
}

/// Raises the open-file limit to the hard limit: every in-flight request
/// of an event loop on a network workload holds a socket.
pub fn raise_open_file_limit() {
    // SAFETY: get/setrlimit on a struct we own.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 && r.rlim_cur < r.rlim_max {
            r.rlim_cur = r.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}

/// Why a cell cannot run as planned on this machine, if it cannot.
pub(crate) fn impossible(
    ready: &Ready,
    engine: &dyn Engine,
    plan: &Plan,
    opts: &CellOptions,
    uring: &UringSupport,
) -> Option<String> {
    let caps = engine.caps();
    if caps.needs_io_uring && !uring.available {
        return Some(
            uring
                .reason
                .clone()
                .unwrap_or_else(|| "io_uring unavailable".into()),
        );
    }
    let w = ready.workload.as_ref();
    let lacks = [
        (!caps.network && w.service().is_some(), "network exchanges"),
        (!caps.files && !w.files().is_empty(), "file steps"),
        (!caps.compute && w.computes(), "compute steps"),
    ];
    if let Some((_, what)) = lacks.iter().find(|(l, _)| *l) {
        return Some(format!("the {} engine cannot run {what}", engine.name()));
    }
    if let Some(why) = engine.unsupported(w, opts.direct, plan, &opts.settings) {
        return Some(why);
    }

    let threads = engine.threads_needed(plan, &opts.settings);
    if threads > opts.max_threads {
        return Some(format!(
            "needs {threads} OS threads, more than --max-threads {}",
            opts.max_threads
        ));
    }
    if w.service().is_some() {
        // Two descriptors per connection (its socket, and the duplicate
        // the cell's context keeps to shut it down when a stop comes), plus
        // the files and a margin.
        let conns = engine.connections(plan, &opts.settings) as u64;
        if let Some(why) = too_many_descriptors(conns, open_file_limit()) {
            return Some(why);
        }
    }
    None
}

/// Runs one cell to completion and measures it.
pub fn run_cell(
    ready: &Ready,
    engine: &dyn Engine,
    plan: Plan,
    opts: &CellOptions,
    uring: &UringSupport,
    obs: &mut dyn Observer,
) -> CellResult {
    let key = CellKey {
        workload: ready.workload.name().to_string(),
        direct: opts.direct,
        mode: engine.name().to_string(),
        concurrency: plan.concurrency,
        rate: plan.rate.map(|r| r.per_sec.round() as u64),
        tag: opts.tag.clone(),
    };
    if let Some(why) = impossible(ready, engine, &plan, opts, uring) {
        return CellResult::not_run(key, Status::Skipped, why);
    }
    match measure(ready, engine, plan, opts, &key, obs) {
        Ok(cell) => cell,
        Err(why) if why.starts_with(INTERRUPTED) => {
            CellResult::not_run(key, Status::Interrupted, why)
        }
        Err(why) => CellResult::not_run(key, Status::Failed, why),
    }
}

/// How the reason of a cell cut short by a stop begins.
const INTERRUPTED: &str = "interrupted";

fn measure(
    ready: &Ready,
    engine: &dyn Engine,
    plan: Plan,
    opts: &CellOptions,
    key: &CellKey,
    obs: &mut dyn Observer,
) -> Result<CellResult, String> {
    let (files, resident_start) = open_files(ready, opts)?;
    // Each cell's memory is its own: what earlier cells freed goes back to
    // the kernel, the peak restarts here, and the baseline is recorded.
    resources::release_free_memory();
    resources::reset_peak_rss();
    let baseline_rss_bytes = resources::rss_bytes();
    let server_start = opts.server_pid.and_then(resources::cpu_of);
    let progress = Progress::new(engine.workers(&plan, &opts.settings));
    let mut ctx = CellCtx::new(
        ready.workload.as_ref(),
        &files,
        plan,
        &opts.settings,
        &progress,
    );
    ctx.verify = opts.verify;
    ctx.record = opts.record;
    ctx.params = Some(&ready.params);
    let harness_threads = settled_thread_count();
    let planned = match plan.bound {
        Bound::Duration(d) => Some(d),
        Bound::Requests(_) => None,
    };

    // Completed-request counts taken as the measured window opens and closes
    // (instant, count): throughput is what completed inside the window, so an
    // engine's backlog draining after the deadline does not dilute it.
    let mut window: [Option<watch::Edge>; 2] = [None, None];
    let Ended {
        outcome,
        end,
        usage: usage_end,
        machine: machine_end,
        threads: sampled,
    } = run_watched(
        engine,
        &ctx,
        &mut window,
        opts.server_pid,
        key,
        planned,
        obs,
    );
    let server_end = opts.server_pid.and_then(resources::cpu_of);
    let placement = Placement {
        client_allowed: placement::affinity(0),
        client_ran_on: placement::last_cpus(std::process::id()),
        server_allowed: opts.server_pid.map(placement::affinity),
        server_ran_on: opts.server_pid.map(placement::last_cpus),
    };
    // A stop asked for mid-cell keeps what was measured, marked as such.
    let interrupted = crate::interrupt::requested();
    let recorders = match outcome {
        Err(e) if interrupted => return stopped(&format!("while the engine failed: {e}")),
        r => r?,
    };
    let Some(start) = ctx.start() else {
        return match interrupted {
            true => stopped("before the engine started its clock"),
            false => Err("engine never started its clock".into()),
        };
    };
    let readings = Readings {
        totals: record::merge(recorders),
        measured: end.saturating_duration_since(start.clock.measure_from),
        whole: end.saturating_duration_since(start.clock.start),
        all_requests: progress.total(),
        window: window_counts(&window),
        // The taper's integral: shorter than planned when the cell stopped
        // early (Ctrl-C).
        window_len: start.clock.taper.map(|t| t.length(end)),
        window_cpu: window_cpu(&window),
        usage: usage_end.since(&start.usage),
        server: server_start
            .zip(server_end)
            .map(|((u0, s0), (u1, s1))| (u1.saturating_sub(u0), s1.saturating_sub(s0))),
        peak_rss_bytes: resources::peak_rss_bytes(),
        baseline_rss_bytes,
        machine: start
            .machine
            .zip(machine_end)
            .map(|(a, b)| (a, b, end.saturating_duration_since(start.clock.start))),
        load_average: crate::procfs::load_average(),
        threads_peak: sampled.max(start.threads),
        harness_threads,
        workers: progress.workers(),
        pool_size: engine.pool_size(&plan, &opts.settings),
        block_size: ready.workload.max_transfer() as u64,
        computes: ready.workload.computes(),
        buffered: !opts.direct,
        page_cache: page_cache(ready, resident_start),
        placement,
        target_rate: plan.rate.map(|r| r.per_sec),
        children: ctx.children(),
        notes: ctx.notes(),
        ring: ctx.ring(),
    };
    if interrupted && readings.totals.requests == 0 {
        return stopped("before any request was measured (still warming up)");
    }
    check_measured(&readings, planned, interrupted, &ctx, &progress)?;
    Ok(cell_result(key, readings, interrupted, planned))
}

/// Requests completed at the measured window's edges, as (seconds since
/// it opened, count).
fn window_counts(window: &[Option<watch::Edge>; 2]) -> Option<((f64, u64), (f64, u64))> {
    match window {
        [Some((t0, n0, _)), Some((t1, n1, _))] => {
            Some(((0.0, *n0), (t1.duration_since(*t0).as_secs_f64(), *n1)))
        }
        _ => None,
    }
}

/// The client's and the server's CPU inside the measured window.
fn window_cpu(window: &[Option<watch::Edge>; 2]) -> Option<WindowCpu> {
    match window {
        [Some((_, _, a)), Some((_, _, b))] => {
            let (client_ns, server_ns) = b.since(a);
            Some(WindowCpu {
                client_ns,
                server_ns,
            })
        }
        _ => None,
    }
}

/// The cell's reason when a stop cut it short: `what` says when.
fn stopped<T>(what: &str) -> Result<T, String> {
    Err(format!(
        "{INTERRUPTED} ({}) {what}",
        crate::interrupt::cause()
    ))
}

/// The workload's files opened for the cell (the data files warmed when
/// read through the page cache), and how much of each the page cache held
/// before the cell.
fn open_files(ready: &Ready, opts: &CellOptions) -> Result<(FileSet, Vec<f64>), String> {
    let files = FileSet::open(&ready.files, opts.direct)
        .map_err(|e| e.to_string())?
        .with_compute_input(ready.workload.compute_input())
        .with_target(opts.target);
    let data_files: Vec<&Path> = ready
        .files
        .iter()
        .filter(|(_, s)| s.role == FileRole::Data)
        .map(|(p, _)| p.as_path())
        .collect();
    if !opts.direct {
        for p in &data_files {
            pagecache::warm(p).map_err(|e| format!("cannot warm {}: {e}", p.display()))?;
        }
    }
    let resident_start: Vec<f64> = ready
        .files
        .iter()
        .map(|(p, _)| pagecache::resident_fraction(p).unwrap_or(f64::NAN))
        .collect();
    Ok((files, resident_start))
}

/// How much of each file the page cache held before and after the cell.
fn page_cache(ready: &Ready, resident_start: Vec<f64>) -> Vec<Residency> {
    ready
        .files
        .iter()
        .zip(resident_start)
        .map(|((p, spec), start)| Residency {
            path: p.display().to_string(),
            role: match spec.role {
                FileRole::Data => "data",
                FileRole::Log => "log",
            }
            .to_string(),
            start,
            end: pagecache::resident_fraction(p).unwrap_or(f64::NAN),
        })
        .collect()
}

/// Refuses a cell with no figure to report: no measured request completed
/// (zeros would read as figures: 0 ns, "NaNx"), or requests completed but
/// none inside the measured window (a throughput of 0 would read as a
/// figure, and its latencies are of requests that ended after the deadline).
fn check_measured(
    readings: &Readings,
    planned: Option<Duration>,
    interrupted: bool,
    ctx: &CellCtx<'_>,
    progress: &Progress,
) -> Result<(), String> {
    if readings.totals.requests == 0 {
        return Err(format!(
            "no request completed in the measured window ({}): each took longer than that; raise --duration (and --warmup){}",
            crate::output::human::duration_ns(
                planned.unwrap_or(readings.measured).as_nanos() as f64
            ),
            ctx.start()
                .map(|_| format!(
                    "; {} requests completed in the whole cell, warm-up included",
                    progress.total()
                ))
                .unwrap_or_default()
        ));
    }
    if readings.window_len.is_some() && readings.totals.in_window == 0 && !interrupted {
        return Err(format!(
            "no request completed inside the measured window ({}): each took longer than that ({} completed after it); raise --duration (and --warmup), or lower the work per request",
            crate::output::human::duration_ns(
                planned.unwrap_or(readings.measured).as_nanos() as f64
            ),
            readings.totals.requests
        ));
    }
    Ok(())
}

/// The cell's result from its readings; an interrupted cell says what part
/// it measured.
fn cell_result(
    key: &CellKey,
    readings: Readings,
    interrupted: bool,
    planned: Option<Duration>,
) -> CellResult {
    let summary = summarize(&readings);
    CellResult {
        key: key.clone(),
        rep: None,
        status: if interrupted {
            Status::Interrupted
        } else {
            Status::Ok
        },
        reason: interrupted.then(|| {
            format!(
                "{INTERRUPTED} ({}) after {:.1}s of measuring{}: the figures cover that part only",
                crate::interrupt::cause(),
                readings.measured.as_secs_f64(),
                planned.map_or(String::new(), |p| format!(
                    " out of {:.1}s planned",
                    p.as_secs_f64()
                )),
            )
        }),
        summary: Some(summary),
        histogram: Some(readings.totals.hist),
        histogram_uncorrected: readings.totals.uncorrected,
    }
}

#[cfg(test)]
mod tests {

    /// Outsider finding: 12,000 echo connections under a 20,000-descriptor
    /// limit failed with "Too many open files" instead of being skipped:
    /// each connection holds two descriptors.
    #[test]
    fn connections_count_two_descriptors_each() {
        assert!(too_many_descriptors(9_000, 20_000).is_none());
        let why = too_many_descriptors(12_000, 20_000).unwrap();
        assert!(
            why.starts_with("needs 12000 connections (24000 descriptors)"),
            "{why}"
        );
    }
    use super::*;
    use crate::load::Bound;
    use iobound_workloads::{FileSpec, Request};

    /// A workload whose every request panics while its steps are built.
    struct Panics;

    impl iobound_workloads::Workload for Panics {
        fn name(&self) -> &'static str {
            "test-panics"
        }
        fn files(&self) -> &[FileSpec] {
            &[]
        }
        fn max_transfer(&self) -> usize {
            4096
        }
        fn request(&self, _i: u64) -> Request {
            panic!("boom in request");
        }
    }

    /// Issue 13: a panic in an engine's threads (here the threads engine:
    /// its own thread and a worker it joins) fails that cell with the
    /// panic's message; the run gets a result back instead of aborting
    /// (fails without catch_unwind in `measure` and the engine's join).
    #[test]
    fn a_panicking_engine_fails_its_cell_with_the_message() {
        let ready = Ready {
            workload: Box::new(Panics),
            params: Default::default(),
            files: Vec::new(),
        };
        let engine = crate::engine::by_name("threads").expect("registered");
        let plan = Plan {
            concurrency: 2,
            warmup: Duration::ZERO,
            bound: Bound::Requests(10),
            rate: None,
        };
        let opts = CellOptions::new(false, Settings::default());
        let cell = run_cell(
            &ready,
            engine,
            plan,
            &opts,
            &UringSupport::detect(),
            &mut super::super::Silent,
        );
        assert_eq!(cell.status, Status::Failed);
        let why = cell.reason.unwrap();
        assert!(
            why.contains("panicked") && why.contains("boom in request"),
            "{why}"
        );
    }
}
