//! Runs a suite of matrices: prepares data files, starts the servers the
//! workloads need, runs the planned cells ([`plan`]) one by one ([`cell`]),
//! and writes the run directory ([`dir`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use iobound_workloads::dataset::{self, Prepared};
use iobound_workloads::{FileSpec, Service, Workload, WorkloadError, WorkloadParams};

use crate::config::RunConfig;
use crate::engine::Engine;
use crate::output::ExportError;
use crate::placement;
use crate::result::{CellKey, CellResult};
use crate::ring::UringSupport;
use crate::sysinfo::SystemInfo;
use groups::{announce_plan, cell_options, prepare_groups, Groups};

mod cell;
mod dir;
mod groups;
mod plan;
mod preflight;
mod servers;
pub mod summary;

pub use cell::{raise_open_file_limit, run_cell, CellOptions};
pub use dir::{utc_stamp, write_cell};
pub use preflight::{check_data_dir, db_files, db_table, preflight, Preflight};

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
    /// A file of the run directory could not be written (a full disk):
    /// what was written stays, and says how to finish the job.
    #[error(
        "cannot write {}: {source}; the cells written so far are kept in {}: once there is room, \
         `iobound report {}` renders the reports from them",
        path.display(), dir.display(), dir.display()
    )]
    WriteRun {
        path: PathBuf,
        dir: PathBuf,
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
    /// Bad input found before anything was written (exit status 2).
    #[error(transparent)]
    BadInput(#[from] Preflight),
    #[error(
        "interrupted ({0}) while preparing, before any cell ran: no run directory was created"
    )]
    Interrupted(&'static str),
}

impl RunError {
    /// Whether the user's input is at fault (exit status 2) rather than the run.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, RunError::BadInput(_))
    }
}

/// What the run reports to whoever watches it (the terminal, or nobody).
pub trait Observer {
    fn system(&mut self, _info: &SystemInfo) {}
    fn preparing(&mut self, _path: &Path, _size: u64) {}
    fn prepared(&mut self, _path: &Path, _how: Prepared, _took: Duration) {}
    /// A cell starts; `planned` is its warm-up plus duration (`None` when
    /// it is bounded by a request count).
    fn cell_started(
        &mut self,
        _key: &CellKey,
        _index: usize,
        _total: usize,
        _planned: Option<Duration>,
    ) {
    }
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
    /// A group's server started (`group` counts from 0; `rep` is `None`
    /// in a run of one repetition).
    fn server_started(
        &mut self,
        _service: Service,
        _addr: SocketAddr,
        _group: usize,
        _rep: Option<u32>,
    ) {
    }
    /// Where the run's data files are kept between runs, and how much
    /// iobound's files there hold.
    fn data_files(&mut self, _dir: &Path, _count: usize, _bytes: u64) {}
    /// The run's cells are planned.
    fn run_planned(&mut self, _plan: &PlanSummary) {}
}

/// What a run will take, said before its first cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanSummary {
    pub cells: usize,
    /// The sum of every cell's warm-up and duration (`None` when a cell is
    /// bounded by its request count instead).
    pub planned: Option<Duration>,
    /// With set-up and draining: see [`estimate`].
    pub estimate: Option<Duration>,
    /// The suite's stated budget, if it has one.
    pub budget: Option<Duration>,
}

/// What a cell of `planned` warm-up and duration at `concurrency` takes
/// on the clock: its threads and connections set up, its data warmed, its
/// in-flight requests drained after the deadline. Fitted on the default
/// suite on the 2-vCPU VM (393 cells, 497 s planned: 559 s on the clock;
/// at a tenth of its durations, 50 s planned: 117 s): planned + 0.15 s per
/// cell, within 10 % of both (before [`SLOT_SETUP`], which adds a few
/// seconds to its 12 minutes); and on cells of 2,048 to 8,192 in flight
/// (advise on the lesson's web request), where setting up each slot's
/// thread or connection adds [`SLOT_SETUP`] (advise at C=4096 on
/// 2026-12-03: 71 s estimated, draining aside, for 74.7 s on the clock).
/// Draining, a request's time, is left to callers that can predict it.
pub fn estimate(planned: Duration, concurrency: usize) -> Duration {
    planned + Duration::from_millis(150) + SLOT_SETUP * concurrency as u32
}

/// Setting up and tearing down one slot of a cell (its thread and
/// connection): 40 to 70 µs for an event loop's connections, 150 to 270 µs
/// for a blocking thread and its connection, measured at 2,048 to 8,192 in
/// flight on the 2-vCPU VM; the middle of the two.
pub const SLOT_SETUP: Duration = Duration::from_micros(120);

/// An observer that says nothing.
pub struct Silent;
impl Observer for Silent {}

/// A workload with its files prepared.
pub struct Ready {
    pub workload: Box<dyn Workload>,
    /// What the workload was built from (engines with worker processes
    /// rebuild it there).
    pub params: WorkloadParams,
    pub files: Vec<(PathBuf, FileSpec)>,
}

/// Makes sure `dir` exists and accepts new files.
pub fn ensure_writable_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".iobound-probe-{}", std::process::id()));
    let written = std::fs::write(&probe, b"probe");
    // Also when the write failed: a full disk creates the file, then
    // refuses its bytes, and the empty probe would stay behind.
    let removed = std::fs::remove_file(&probe);
    written.and(removed)
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
            let (_, how) = dataset::prepare_until(data_dir, spec, &crate::interrupt::requested)
                .map_err(|e| match crate::interrupt::requested() {
                    true => RunError::Interrupted(crate::interrupt::cause()),
                    false => e.into(),
                })?;
            obs.prepared(&path, how, t.elapsed());
            done.push(path.clone());
        }
        files.push((path, spec.clone()));
    }
    Ok(Ready {
        workload,
        params: params.clone(),
        files,
    })
}

/// The result of `iobound run` or `iobound bench`.
pub struct RunOutput {
    pub dir: PathBuf,
    pub cells: Vec<CellResult>,
    /// Cells the matrix held; more than `cells.len()` after a Ctrl-C.
    pub planned: usize,
    /// From the first cell's start to the reports written, and the
    /// estimate made before the first cell.
    pub took: Duration,
    pub estimate: Option<Duration>,
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
    pub lang: crate::lang::Lang,
    /// How long the suite says a run should take at most (`budget`).
    pub budget: Option<Duration>,
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
            budget: None,
            groups: vec![cfg],
        }
    }

    /// Every engine the suite runs, in registry order, each once.
    pub fn engines(&self) -> Vec<&'static dyn Engine> {
        let mut out: Vec<&'static dyn Engine> = Vec::new();
        for &e in crate::engine::all() {
            if self
                .groups
                .iter()
                .any(|g| g.engines.iter().any(|x| x.name() == e.name()))
            {
                out.push(e);
            }
        }
        out
    }
}

/// Runs every group of a suite, writes each cell as it finishes, then the
/// run-wide files: run.json, summary.csv and the reports.
pub fn run_suite(suite: &Suite, obs: &mut dyn Observer) -> Result<RunOutput, RunError> {
    preflight(suite)?;
    let uring = UringSupport::detect();
    let mut prepared = prepare_groups(suite, &uring, obs)?;
    // Stopped while data files were prepared: nothing to keep.
    if crate::interrupt::requested() {
        return Err(RunError::Interrupted(crate::interrupt::cause()));
    }
    let (dir, run_id) = dir::create_run_dir(&suite.out)?;
    for (_, meta) in &mut prepared {
        meta.run_id = run_id.clone();
    }
    if let Some(cpus) = suite.groups.iter().find_map(|g| g.pin.client.clone()) {
        placement::set_affinity(&cpus).map_err(|source| RunError::Pin { source })?;
    }
    let names: Vec<Vec<&str>> = prepared
        .iter()
        .map(|(ready, _)| ready.iter().map(|r| r.workload.name()).collect())
        .collect();
    let planned = plan::cells(suite, &names);
    let total = planned.len();
    let estimated = announce_plan(suite, &planned, obs);
    let started = Instant::now();
    let groups = Groups {
        suite,
        options: cell_options(suite, &prepared),
        prepared: &prepared,
        dir: &dir,
        uring: &uring,
    };
    let cells = groups.run_cells(&planned, obs)?;
    let stems = plan_stems(suite, &names);
    let record = dir::RunRecordOut {
        suite,
        run_id: &run_id,
        metas: prepared.iter().map(|(_, m)| m).collect(),
        plan: &stems,
        cells: &cells,
    };
    dir::write_run_files(&dir, &record, suite.lang)?;
    Ok(RunOutput {
        dir,
        cells: cells.into_iter().map(|(_, c)| c).collect(),
        planned: total,
        took: started.elapsed(),
        estimate: estimated,
    })
}

/// The stems of every cell a suite plans, in order (`names`: each group's
/// workload names).
pub fn plan_stems(suite: &Suite, names: &[Vec<&str>]) -> Vec<String> {
    plan::cells(suite, names)
        .iter()
        .map(|p| p.key.stem(p.rep))
        .collect()
}

/// The stems of one group's cells in one repetition.
pub fn group_stems(cfg: &RunConfig, names: &[&str]) -> Vec<String> {
    plan::group_cells(0, cfg, names, None)
        .iter()
        .map(|p| p.key.stem(None))
        .collect()
}

/// Runs the matrix of one checked configuration.
pub fn run(cfg: RunConfig, obs: &mut dyn Observer) -> Result<RunOutput, RunError> {
    run_suite(&Suite::single(cfg), obs)
}
