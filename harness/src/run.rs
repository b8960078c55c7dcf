//! Runs a matrix of cells: prepares data files, runs each cell with its
//! engine while a monitor samples resources, and writes every cell's exports
//! into one run directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use iobound_workloads::dataset::{self, Prepared};
use iobound_workloads::{FileRole, FileSpec, Service, Workload, WorkloadError, WorkloadParams};

use crate::config::{FileConfig, RunConfig};
use crate::engine::{CellCtx, Engine};
use crate::exec::FileSet;
use crate::load::{Bound, Plan, Rate};
use crate::output::{self, ExportError, RunMeta};
use crate::pagecache;
use crate::placement::{self, Placement};
use crate::record::{self, Progress};
use crate::resources::{self, ThreadCount, Usage};
use crate::result::{CellKey, CellResult, Cpu, Latency, Residency, ServerCpu, Status, Summary};
use crate::ring::UringSupport;
use crate::sysinfo::SystemInfo;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("results directory {path}: {source}")]
    OutDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Open(#[from] crate::exec::OpenError),
    #[error(transparent)]
    Server(crate::serve::child::ChildError),
    #[error("cannot pin this process (--pin): {source}")]
    Pin {
        #[source]
        source: std::io::Error,
    },
}

/// What the run reports to whoever watches it (the terminal, or nobody).
pub trait Observer {
    fn system(&mut self, _info: &SystemInfo) {}
    fn preparing(&mut self, _path: &Path, _size: u64) {}
    fn prepared(&mut self, _path: &Path, _how: Prepared, _took: Duration) {}
    fn cell_started(&mut self, _key: &CellKey, _index: usize, _total: usize) {}
    /// Called a few times a second while a cell runs; `elapsed` is the
    /// measured time so far, `None` during warm-up.
    fn progress(
        &mut self,
        _key: &CellKey,
        _elapsed: Option<Duration>,
        _planned: Option<Duration>,
        _rate: f64,
    ) {
    }
    fn cell_done(&mut self, _cell: &CellResult) {}
    fn server_started(&mut self, _service: Service, _addr: SocketAddr) {}
}

/// An observer that says nothing.
pub struct Silent;
impl Observer for Silent {}

/// A workload with its files prepared.
pub struct Ready {
    pub workload: Box<dyn Workload>,
    pub files: Vec<(PathBuf, FileSpec)>,
}

/// Makes sure `dir` exists and accepts new files.
pub fn ensure_writable_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".iobound-probe-{}", std::process::id()));
    std::fs::write(&probe, b"probe")?;
    std::fs::remove_file(&probe)
}

/// Builds a workload and prepares its files under the data directory. Files
/// already in `done` (shared with an earlier workload of the run) are not
/// checked again; newly prepared ones are added to it.
pub fn prepare(
    name: &str,
    params: &WorkloadParams,
    data_dir: &Path,
    done: &mut Vec<PathBuf>,
    obs: &mut dyn Observer,
) -> Result<Ready, RunError> {
    let workload = iobound_workloads::build(name, params)?;
    let mut files = Vec::new();
    for spec in workload.files() {
        let path = dataset::path_for(data_dir, spec);
        if !done.contains(&path) {
            obs.preparing(&path, spec.size);
            let t = Instant::now();
            let (_, how) = dataset::prepare(data_dir, spec)?;
            obs.prepared(&path, how, t.elapsed());
            done.push(path.clone());
        }
        files.push((path, spec.clone()));
    }
    Ok(Ready { workload, files })
}

/// How to run one cell, beyond its workload and engine.
#[derive(Debug, Clone, Copy)]
pub struct CellOptions {
    pub direct: bool,
    pub pool_threads: usize,
    pub submit_batch: usize,
    pub verify: bool,
    pub record: bool,
    /// The server exchange steps go to.
    pub target: Option<SocketAddr>,
    /// The server's pid when iobound started it: its CPU is read per cell.
    pub server_pid: Option<u32>,
    /// Cells needing more OS threads are skipped.
    pub max_threads: usize,
}

impl CellOptions {
    pub fn from_file_config(f: &FileConfig) -> Self {
        CellOptions {
            direct: f.direct,
            pool_threads: f.pool_threads,
            submit_batch: f.submit_batch,
            verify: false,
            record: true,
            target: None,
            server_pid: None,
            max_threads: usize::MAX,
        }
    }
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
/// of `uring` on a network workload holds a socket.
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
fn impossible(
    ready: &Ready,
    engine: &dyn Engine,
    plan: &Plan,
    opts: &CellOptions,
) -> Option<String> {
    let threads = engine.threads_needed(plan, opts.pool_threads);
    if threads > opts.max_threads {
        return Some(format!(
            "needs {threads} OS threads, more than --max-threads {}",
            opts.max_threads
        ));
    }
    if ready.workload.service().is_some() {
        // One socket per connection, plus the files and a margin.
        let conns = engine.connections(plan, opts.pool_threads) as u64;
        let limit = open_file_limit();
        if conns + 64 > limit {
            return Some(format!(
                "needs {conns} connections, but the open-file limit is {limit} (raise it with ulimit -n)"
            ));
        }
    }
    None
}

/// Runs one cell to completion and measures it.
pub fn run_cell(
    ready: &Ready,
    engine: &dyn Engine,
    plan: Plan,
    opts: CellOptions,
    uring: &UringSupport,
    obs: &mut dyn Observer,
) -> CellResult {
    let key = CellKey {
        workload: ready.workload.name().to_string(),
        direct: opts.direct,
        mode: engine.name().to_string(),
        concurrency: plan.concurrency,
        rate: plan.rate.map(|r| r.per_sec.round() as u64),
    };
    if engine.needs_io_uring() && !uring.available {
        let why = uring
            .reason
            .clone()
            .unwrap_or_else(|| "io_uring unavailable".into());
        return CellResult::not_run(key, Status::Skipped, why);
    }
    if let Some(why) = impossible(ready, engine, &plan, &opts) {
        return CellResult::not_run(key, Status::Skipped, why);
    }
    match measure(ready, engine, plan, opts, &key, obs) {
        Ok(cell) => cell,
        Err(why) => CellResult::not_run(key, Status::Failed, why),
    }
}

fn measure(
    ready: &Ready,
    engine: &dyn Engine,
    plan: Plan,
    opts: CellOptions,
    key: &CellKey,
    obs: &mut dyn Observer,
) -> Result<CellResult, String> {
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
    resources::reset_peak_rss();
    let server_start = opts.server_pid.and_then(crate::serve::child::cpu_of);
    let progress = Progress::new(engine.workers(&plan, opts.pool_threads));
    let mut ctx = CellCtx::new(
        ready.workload.as_ref(),
        &files,
        plan,
        opts.pool_threads,
        &progress,
    );
    ctx.verify = opts.verify;
    ctx.submit_batch = opts.submit_batch;
    ctx.record = opts.record;
    let harness_threads = settled_thread_count();
    let planned = match plan.bound {
        Bound::Duration(d) => Some(d),
        Bound::Requests(_) => None,
    };

    let (tx, rx) = mpsc::channel();
    // Completed-request counts taken as the measured window opens and closes
    // (instant, count): throughput is what completed inside the window, so an
    // engine's backlog draining after the deadline does not dilute it.
    let mut window: [Option<(Instant, u64)>; 2] = [None, None];
    let (outcome, end, usage_end, sampled) = std::thread::scope(|s| {
        let ctx = &ctx;
        s.spawn(move || {
            let r = engine.run(ctx);
            let _ = tx.send((r, Instant::now(), Usage::now()));
        });
        // The monitor only watches: live progress, Ctrl-C, and thread counts
        // (io_uring starts its workers on demand, after the clock started).
        let mut threads = ThreadCount::default();
        let mut last = (Instant::now(), 0u64);
        loop {
            let tick = match ctx.clock() {
                None => Duration::from_millis(1),
                Some(c) => {
                    // Wake at the window's edges, not only every 100 ms.
                    let now = Instant::now();
                    [Some(c.measure_from), c.deadline]
                        .into_iter()
                        .zip(&window)
                        .filter_map(|(edge, taken)| edge.filter(|_| taken.is_none()))
                        .map(|e| e.saturating_duration_since(now))
                        .fold(Duration::from_millis(100), Duration::min)
                }
            };
            match rx.recv_timeout(tick) {
                Ok((r, end, usage)) => break (r.map_err(|e| e.to_string()), end, usage, threads),
                Err(RecvTimeoutError::Disconnected) => {
                    break (
                        Err("engine thread died".into()),
                        Instant::now(),
                        Usage::now(),
                        threads,
                    )
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if crate::interrupt::requested() {
                ctx.fail();
            }
            let Some(clock) = ctx.clock() else { continue };
            threads = threads.max(if engine.needs_io_uring() {
                ThreadCount::with_io_workers()
            } else {
                ThreadCount::now()
            });
            let now = Instant::now();
            let done = progress.total();
            for (edge, taken) in [Some(clock.measure_from), clock.deadline]
                .into_iter()
                .zip(window.iter_mut())
            {
                if taken.is_none() && edge.is_some_and(|e| now >= e) {
                    *taken = Some((now, done));
                }
            }
            let dt = now.duration_since(last.0).as_secs_f64();
            if dt >= 0.25 {
                let rate = (done - last.1) as f64 / dt;
                last = (now, done);
                obs.progress(
                    key,
                    now.checked_duration_since(clock.measure_from),
                    planned,
                    rate,
                );
            }
        }
    });
    let server_end = opts.server_pid.and_then(crate::serve::child::cpu_of);
    let placement = Placement {
        client_allowed: placement::affinity(0),
        client_ran_on: placement::last_cpus(std::process::id()),
        server_allowed: opts.server_pid.map(placement::affinity),
        server_ran_on: opts.server_pid.map(placement::last_cpus),
    };
    let recorders = outcome?;
    if crate::interrupt::requested() {
        return Err("interrupted (Ctrl-C) before the cell finished".into());
    }
    let start = ctx.start().ok_or("engine never started its clock")?;
    let totals = record::merge(recorders);
    let elapsed = end.saturating_duration_since(start.clock.measure_from);
    let secs = elapsed.as_secs_f64();
    let per_sec = |x: f64| if secs > 0.0 { x / secs } else { 0.0 };
    // CPU covers the whole cell, warm-up included, and so is divided by every
    // request completed in it.
    let usage = usage_end.since(&start.usage);
    let cpu_ns = (usage.user + usage.sys).as_nanos() as f64;
    let all_requests = progress.total();
    let cell_secs = end
        .saturating_duration_since(start.clock.start)
        .as_secs_f64();
    let page_cache = ready
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
        .collect();
    let throughput_rps = match window {
        [Some((t0, n0)), Some((t1, n1))] if t1 > t0 => {
            (n1 - n0) as f64 / t1.duration_since(t0).as_secs_f64()
        }
        _ => per_sec(totals.requests as f64),
    };
    let summary = Summary {
        requests: totals.requests,
        elapsed_ns: elapsed.as_nanos() as u64,
        throughput_rps,
        bytes: totals.bytes,
        // Bytes per request times the window's request rate.
        bytes_per_s: if totals.requests > 0 {
            throughput_rps * totals.bytes as f64 / totals.requests as f64
        } else {
            0.0
        },
        latency: Latency::of(&totals.hist),
        cpu: Cpu {
            user_ns: usage.user.as_nanos() as u64,
            sys_ns: usage.sys.as_nanos() as u64,
            per_request_ns: if all_requests > 0 {
                cpu_ns / all_requests as f64
            } else {
                0.0
            },
            cores_busy: if cell_secs > 0.0 {
                cpu_ns / 1e9 / cell_secs
            } else {
                0.0
            },
            voluntary_switches: usage.voluntary_switches,
            involuntary_switches: usage.involuntary_switches,
        },
        peak_rss_bytes: resources::peak_rss_bytes(),
        threads_peak: sampled.max(start.threads),
        harness_threads,
        workers: progress.workers(),
        block_size: ready.workload.max_transfer() as u64,
        checksum: ready
            .workload
            .computes()
            .then(|| format!("{:016x}", totals.checksum)),
        buffered: !opts.direct,
        page_cache,
        server: match (server_start, server_end) {
            (Some((u0, s0)), Some((u1, s1))) => {
                let (user_ns, sys_ns) = (u1.saturating_sub(u0), s1.saturating_sub(s0));
                Some(ServerCpu {
                    user_ns,
                    sys_ns,
                    per_request_ns: if all_requests > 0 {
                        (user_ns + sys_ns) as f64 / all_requests as f64
                    } else {
                        0.0
                    },
                })
            }
            _ => None,
        },
        placement,
        target_rate: plan.rate.map(|r| r.per_sec),
        latency_uncorrected: totals.uncorrected.as_ref().map(Latency::of),
    };
    Ok(CellResult {
        key: key.clone(),
        rep: None,
        status: Status::Ok,
        reason: None,
        summary: Some(summary),
        histogram: Some(totals.hist),
        histogram_uncorrected: totals.uncorrected,
    })
}

/// The process's thread count once the previous cell's threads (pool
/// threads, io-wq workers) have finished exiting, so they are not counted as
/// the harness's own. Gives up after 200 ms.
fn settled_thread_count() -> u32 {
    let mut last = ThreadCount::now().total;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(2));
        let now = ThreadCount::now().total;
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

/// The result of `iobound run` or `iobound bench`.
pub struct RunOutput {
    pub dir: PathBuf,
    pub cells: Vec<CellResult>,
    /// Cells the matrix held; more than `cells.len()` after a Ctrl-C.
    pub planned: usize,
}

/// Several matrices run into one results directory, each cell `repeat`
/// times: what `iobound bench` runs from a suite file, and `iobound run`
/// with a single group.
pub struct Suite {
    pub name: String,
    pub description: String,
    pub groups: Vec<RunConfig>,
    pub repeat: u32,
    pub out: PathBuf,
    /// Language of the report's take-away section, besides English.
    pub lang: crate::lesson::Lang,
}

impl Suite {
    /// A suite of one `iobound run` matrix.
    pub fn single(cfg: RunConfig) -> Self {
        Suite {
            name: "run".into(),
            description: String::new(),
            repeat: cfg.repeat,
            out: cfg.out.clone(),
            lang: cfg.lang,
            groups: vec![cfg],
        }
    }

    /// Cells of one repetition, in run order.
    fn cells_per_rep(&self) -> usize {
        self.groups
            .iter()
            .map(|g| {
                g.workloads.len() * g.engines.len() * g.concurrency.len() * g.rates.len().max(1)
            })
            .sum()
    }
}

/// Runs every group of a suite, writes each cell as it finishes, then the
/// run-wide files: run.json, summary.csv and the reports.
pub fn run_suite(suite: &Suite, obs: &mut dyn Observer) -> Result<RunOutput, RunError> {
    ensure_writable_dir(&suite.out).map_err(|source| RunError::OutDir {
        path: suite.out.clone(),
        source,
    })?;
    let uring = UringSupport::detect();
    let mut done = Vec::new();
    let mut prepared: Vec<(Vec<Ready>, RunMeta)> = Vec::with_capacity(suite.groups.len());
    for cfg in &suite.groups {
        let data_dir = &cfg.file.data_dir;
        ensure_writable_dir(data_dir).map_err(|source| RunError::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        let ready: Vec<Ready> = cfg
            .workloads
            .iter()
            .map(|w| prepare(w, &cfg.file.params, data_dir, &mut done, obs))
            .collect::<Result<_, _>>()?;
        if cfg.file.direct {
            for r in &ready {
                FileSet::open(&r.files, true)?;
            }
        }
        let meta = RunMeta {
            run_id: String::new(),
            config: cfg.to_json(),
            system: SystemInfo::collect(data_dir, cfg.file.direct, uring.clone()),
        };
        prepared.push((ready, meta));
    }
    if let Some((_, meta)) = prepared.first() {
        obs.system(&meta.system);
    }
    let (dir, run_id) = create_run_dir(&suite.out)?;
    for (_, meta) in &mut prepared {
        meta.run_id = run_id.clone();
    }
    if let Some(cpus) = suite.groups.iter().find_map(|g| g.pin.client.clone()) {
        placement::set_affinity(&cpus).map_err(|source| RunError::Pin { source })?;
    }
    // The servers each group needs, started once and stopped (by drop) when
    // the run ends, however it ends.
    let mut servers: Vec<Vec<(Service, crate::serve::child::ServerChild)>> = Vec::new();
    for (g, (cfg, (ready, _))) in suite.groups.iter().zip(&prepared).enumerate() {
        let mut mine = Vec::new();
        if cfg.target.is_none() {
            let mut needed: Vec<Service> =
                ready.iter().filter_map(|r| r.workload.service()).collect();
            needed.dedup();
            for s in needed {
                if mine.iter().any(|(k, _)| *k == s) {
                    continue;
                }
                let child = start_server(s, cfg, &dir, g)?;
                obs.server_started(s, child.addr);
                mine.push((s, child));
            }
        }
        servers.push(mine);
    }
    let repeat = suite.repeat.max(1);
    let rep_of = |r: u32| (repeat > 1).then_some(r);
    let per_rep = suite.cells_per_rep();
    let total = per_rep * repeat as usize;
    let mut plan_stems = Vec::with_capacity(total);
    let mut cells: Vec<(usize, CellResult)> = Vec::with_capacity(total);
    // Whole matrices repeat, rather than each cell back to back, so that
    // the device's drift over minutes shows in the spread instead of
    // favouring whichever engine ran at a good moment.
    for rep in 1..=repeat {
        for (g, (cfg, (ready, meta))) in suite.groups.iter().zip(&prepared).enumerate() {
            for r in ready {
                let server = r
                    .workload
                    .service()
                    .and_then(|s| servers[g].iter().find(|(k, _)| *k == s))
                    .map(|(_, c)| c);
                let opts = CellOptions {
                    verify: cfg.verify,
                    record: cfg.record,
                    target: cfg.target.or(server.map(|c| c.addr)),
                    server_pid: server.map(|c| c.pid()),
                    max_threads: cfg.max_threads,
                    ..CellOptions::from_file_config(&cfg.file)
                };
                for &engine in &cfg.engines {
                    for &c in &cfg.concurrency {
                        // A closed loop is one cell; an open loop sweeps its rates.
                        let rates: Vec<Option<f64>> = if cfg.rates.is_empty() {
                            vec![None]
                        } else {
                            cfg.rates.iter().map(|&r| Some(r)).collect()
                        };
                        let mut past_slo: Option<String> = None;
                        for rate in rates {
                            let key = CellKey {
                                workload: r.workload.name().to_string(),
                                direct: cfg.file.direct,
                                mode: engine.name().to_string(),
                                concurrency: c,
                                rate: rate.map(|x| x.round() as u64),
                            };
                            plan_stems.push(key.stem(rep_of(rep)));
                            if crate::interrupt::requested() {
                                continue;
                            }
                            obs.cell_started(&key, cells.len(), total);
                            let mut cell = match &past_slo {
                                Some(why) => CellResult::not_run(key, Status::Skipped, why.clone()),
                                None => {
                                    let plan = Plan {
                                        concurrency: c,
                                        warmup: cfg.file.warmup,
                                        bound: cfg.file.bound,
                                        rate: rate.map(|per_sec| Rate {
                                            per_sec,
                                            poisson: cfg.poisson,
                                        }),
                                    };
                                    run_cell(r, engine, plan, opts, &uring, obs)
                                }
                            };
                            if let (Some(x), Some(s)) = (rate, &cell.summary) {
                                if s.latency.p99_ns as u128 > cfg.slo.as_nanos() {
                                    past_slo = Some(format!(
                                        "the sweep stopped: p99 was {} at {x} req/s, past --slo {}",
                                        crate::output::human::duration_ns(s.latency.p99_ns as f64),
                                        crate::units::format_duration(cfg.slo)
                                    ));
                                }
                            }
                            cell.rep = rep_of(rep);
                            write_cell(&dir, meta, &cell)?;
                            obs.cell_done(&cell);
                            cells.push((g, cell));
                        }
                    }
                }
            }
        }
    }
    let record = RunRecordOut {
        suite,
        run_id: &run_id,
        metas: prepared.iter().map(|(_, m)| m).collect(),
        plan: &plan_stems,
        cells: &cells,
    };
    write_run_files(&dir, &record, suite.lang)?;
    Ok(RunOutput {
        dir,
        cells: cells.into_iter().map(|(_, c)| c).collect(),
        planned: total,
    })
}

/// Starts the server a service needs, as a child process logging into the
/// run directory.
fn start_server(
    s: Service,
    cfg: &RunConfig,
    dir: &Path,
    group: usize,
) -> Result<crate::serve::child::ServerChild, RunError> {
    use crate::serve::Kind;
    let kind = match s {
        Service::Echo => Kind::Echo,
        Service::Db => Kind::Db,
    };
    let mut args: Vec<String> = vec![
        match kind {
            Kind::Echo => "echo",
            Kind::Db => "db",
        }
        .into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--threads".into(),
        cfg.server_threads.to_string(),
    ];
    if kind == Kind::Db {
        args.extend([
            "--records".into(),
            cfg.file.params.records.to_string(),
            "--db-latency".into(),
            format!("{}ns", cfg.file.db_latency.as_nanos()),
            "--data-dir".into(),
            cfg.file.data_dir.display().to_string(),
        ]);
        if cfg.file.direct {
            args.push("--direct".into());
        }
    }
    let log = dir.join(format!("server-{}-g{}.log", args[0], group + 1));
    crate::serve::child::ServerChild::start(kind, &args, &log, cfg.pin.server.as_deref())
        .map_err(RunError::Server)
}

/// Runs the matrix of one checked configuration.
pub fn run(cfg: RunConfig, obs: &mut dyn Observer) -> Result<RunOutput, RunError> {
    run_suite(&Suite::single(cfg), obs)
}

/// What run.json is made of.
struct RunRecordOut<'a> {
    suite: &'a Suite,
    run_id: &'a str,
    /// One per group.
    metas: Vec<&'a RunMeta>,
    plan: &'a [String],
    /// Each cell with the index of its group.
    cells: &'a [(usize, CellResult)],
}

/// Writes run.json, then renders summary.csv and the reports from it, so
/// `iobound report` on the directory later gives the same files.
fn write_run_files(
    dir: &Path,
    r: &RunRecordOut<'_>,
    lang: crate::lesson::Lang,
) -> Result<(), RunError> {
    let cells = r
        .cells
        .iter()
        .map(|(g, c)| output::json::cell_doc(r.metas[*g], c))
        .collect::<Result<Vec<_>, _>>()?;
    let doc = serde_json::json!({
        "schema": crate::report::RUN_SCHEMA,
        "run_id": r.run_id,
        "suite": r.suite.name,
        "description": r.suite.description,
        "repeat": r.suite.repeat.max(1),
        "iobound_version": env!("CARGO_PKG_VERSION"),
        "git_commit": crate::sysinfo::GIT_COMMIT,
        "system": r.metas.first().map(|m| &m.system),
        "groups": r.metas.iter().map(|m| &m.config).collect::<Vec<_>>(),
        "plan": r.plan,
        "cells": cells,
    });
    // Compact: it holds every histogram; the per-cell files are the readable copies.
    let mut bytes = serde_json::to_vec(&doc).map_err(ExportError::from)?;
    bytes.push(b'\n');
    let path = dir.join("run.json");
    std::fs::write(&path, &bytes).map_err(|source| RunError::Write { path, source })?;
    let run = crate::report::load::parse_run(&bytes).map_err(|e| {
        RunError::Export(ExportError::Histogram(format!(
            "run.json does not read back: {e}"
        )))
    })?;
    crate::report::write_reports(dir, &run, lang)
        .map_err(|(path, source)| RunError::Write { path, source })
}

/// Writes every applicable export of a cell into the run directory.
pub fn write_cell(dir: &Path, meta: &RunMeta, cell: &CellResult) -> Result<(), RunError> {
    for export in output::per_cell() {
        if !export.applies(cell) {
            continue;
        }
        let bytes = export.render(meta, cell)?;
        let path = dir.join(format!("{}.{}", cell.stem(), export.extension()));
        std::fs::write(&path, bytes).map_err(|source| RunError::Write { path, source })?;
    }
    Ok(())
}

/// Creates `out/<run-id>`, the id being the UTC time (suffixed if taken).
fn create_run_dir(out: &Path) -> Result<(PathBuf, String), RunError> {
    let base = utc_stamp(std::time::SystemTime::now());
    for n in 0..1000 {
        let id = if n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let dir = out.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((dir, id)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(RunError::OutDir { path: dir, source }),
        }
    }
    Err(RunError::OutDir {
        path: out.join(base),
        source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "no free run id"),
    })
}

/// `YYYYMMDD-HHMMSS` in UTC.
pub fn utc_stamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamps() {
        let t = std::time::UNIX_EPOCH + Duration::from_secs(1_795_600_000);
        assert_eq!(utc_stamp(t), "20261125-094640");
        assert_eq!(utc_stamp(std::time::UNIX_EPOCH), "19700101-000000");
        // 2000-02-29, a leap day in a century year.
        assert_eq!(
            utc_stamp(std::time::UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "20000229-000000"
        );
    }
}
