//! A suite's groups prepared (data files, run.json records, cell options)
//! and their planned cells run in order, each written as it finishes.

use std::path::Path;
use std::time::Duration;

use super::{
    ensure_writable_dir, estimate, plan, prepare, run_cell, servers, write_cell, CellOptions,
    Observer, PlanSummary, Ready, RunError, Suite,
};
use crate::config::RunConfig;
use crate::exec::FileSet;
use crate::load::{Plan, Rate};
use crate::output::RunMeta;
use crate::result::{CellResult, Status};
use crate::ring::UringSupport;
use crate::sysinfo::SystemInfo;

/// Each group's data files prepared (and opened with O_DIRECT where it
/// applies, to refuse a file system without it now) and its run.json
/// record; the system and the data directories' contents told to `obs`.
pub(super) fn prepare_groups(
    suite: &Suite,
    uring: &UringSupport,
    obs: &mut dyn Observer,
) -> Result<Vec<(Vec<Ready>, RunMeta)>, RunError> {
    let mut done = Vec::new();
    let mut prepared: Vec<(Vec<Ready>, RunMeta)> = Vec::with_capacity(suite.groups.len());
    let mut data_dirs: Vec<&Path> = Vec::new();
    for cfg in &suite.groups {
        let data_dir = &cfg.file.data_dir;
        ensure_writable_dir(data_dir).map_err(|source| RunError::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        if !data_dirs.contains(&data_dir.as_path()) {
            data_dirs.push(data_dir);
        }
        let ready: Vec<Ready> = cfg
            .workloads
            .iter()
            .map(|w| prepare(w, &cfg.file.params, data_dir, &mut done, obs))
            .collect::<Result<_, _>>()?;
        for r in ready.iter().filter(|r| cfg.direct_for(r.workload.name())) {
            FileSet::open(&r.files, true)?;
        }
        let record = crate::config::GroupRecord {
            group: Some(prepared.len()),
            ..cfg.record()
        };
        let meta = RunMeta {
            run_id: String::new(),
            config: record.to_json(),
            system: SystemInfo::collect(data_dir, cfg.file.direct, uring.clone()),
        };
        prepared.push((ready, meta));
    }
    if let Some((_, meta)) = prepared.first() {
        obs.system(&meta.system);
    }
    for d in data_dirs {
        let files = crate::clean::data_files(d).unwrap_or_default();
        obs.data_files(d, files.len(), files.iter().map(|(_, n)| n).sum());
    }
    Ok(prepared)
}

/// Each group's cell options, by workload.
pub(super) fn cell_options(
    suite: &Suite,
    prepared: &[(Vec<Ready>, RunMeta)],
) -> Vec<Vec<CellOptions>> {
    suite
        .groups
        .iter()
        .zip(prepared)
        .map(|(cfg, (ready, _))| {
            ready
                .iter()
                .map(|r| CellOptions {
                    direct: cfg.direct_for(r.workload.name()),
                    verify: cfg.verify,
                    record: cfg.record,
                    target: cfg.target,
                    max_threads: cfg.max_threads,
                    tag: cfg.label.clone(),
                    ..CellOptions::new(cfg.file.direct, cfg.file.settings.clone())
                })
                .collect()
        })
        .collect()
}

/// Tells `obs` how many cells there are and how long they should take;
/// returns the estimate.
pub(super) fn announce_plan(
    suite: &Suite,
    planned: &[plan::Planned],
    obs: &mut dyn Observer,
) -> Option<Duration> {
    let costs: Option<Vec<Duration>> = planned
        .iter()
        .map(|p| suite.groups[p.group].file.planned())
        .collect();
    // Each cell's estimate: its measuring time, the set-up every cell pays,
    // and what its engine needs to start.
    let estimated: Option<Duration> = planned
        .iter()
        .map(|p| {
            suite.groups[p.group]
                .file
                .planned()
                .map(|d| estimate(d, p.key.concurrency) + p.engine.startup())
        })
        .sum();
    obs.run_planned(&PlanSummary {
        cells: planned.len(),
        planned: costs.as_ref().map(|c| c.iter().sum()),
        estimate: estimated,
        budget: suite.budget,
    });
    estimated
}

/// What every cell of the run shares once the groups are prepared.
pub(super) struct Groups<'a> {
    pub(super) suite: &'a Suite,
    pub(super) prepared: &'a [(Vec<Ready>, RunMeta)],
    pub(super) options: Vec<Vec<CellOptions>>,
    pub(super) dir: &'a Path,
    pub(super) uring: &'a UringSupport,
}

impl Groups<'_> {
    /// Runs the planned cells in order, each written as it finishes, until
    /// the last or an interruption.
    pub(super) fn run_cells(
        &self,
        planned: &[plan::Planned],
        obs: &mut dyn Observer,
    ) -> Result<Vec<(usize, CellResult)>, RunError> {
        let total = planned.len();
        let mut cells: Vec<(usize, CellResult)> = Vec::with_capacity(total);
        let mut servers: Option<servers::GroupServers> = None;
        // An open-loop sweep stops raising the rate once p99 passed the SLO:
        // the reason, by the sweep's cells other than their rate.
        let mut past_slo: Vec<(plan::SweepId, String)> = Vec::new();
        for p in planned {
            if crate::interrupt::requested() {
                break;
            }
            let cfg = &self.suite.groups[p.group];
            let (ready, meta) = &self.prepared[p.group];
            // A group's servers start with its first cell of a repetition and
            // stop (by drop) before the next group's start, however it ends.
            if !servers
                .as_ref()
                .is_some_and(|s| (s.group, s.rep) == (p.group, p.rep))
            {
                // The last group's servers stop first: the next group's may
                // take the same table.
                drop(servers.take());
                servers = Some(servers::GroupServers::start(
                    cfg, ready, self.dir, p.group, p.rep, obs,
                ));
            }
            let server = servers
                .as_ref()
                .expect("started above")
                .server(ready[p.workload].workload.service());
            obs.cell_started(&p.key, cells.len(), total, cfg.file.planned());
            let stopped = past_slo
                .iter()
                .find(|(id, _)| *id == p.sweep())
                .map(|(_, why)| why.clone());
            let mut cell = match (stopped, server) {
                (Some(why), _) => CellResult::not_run(p.key.clone(), Status::Skipped, why),
                (None, Err((status, why))) => CellResult::not_run(p.key.clone(), status, why),
                (None, Ok(server)) => self.run_one(p, server, obs),
            };
            if let Some(why) = past_slo_reason(p, cfg, &cell) {
                past_slo.push((p.sweep(), why));
            }
            cell.rep = p.rep;
            write_cell(self.dir, meta, &cell)?;
            obs.cell_done(&cell);
            cells.push((p.group, cell));
        }
        drop(servers);
        Ok(cells)
    }

    /// Runs one planned cell against its group's server, if it has one.
    fn run_one(
        &self,
        p: &plan::Planned,
        server: Option<&crate::serve::child::ServerChild>,
        obs: &mut dyn Observer,
    ) -> CellResult {
        let cfg = &self.suite.groups[p.group];
        let (ready, _) = &self.prepared[p.group];
        let plan = Plan {
            concurrency: p.key.concurrency,
            warmup: cfg.file.warmup,
            bound: cfg.file.bound,
            rate: p.rate.map(|per_sec| Rate {
                per_sec,
                poisson: cfg.poisson,
            }),
        };
        let base = &self.options[p.group][p.workload];
        let opts = CellOptions {
            target: base.target.or(server.map(|c| c.addr)),
            server_pid: server.map(|c| c.pid()),
            ..base.clone()
        };
        run_cell(&ready[p.workload], p.engine, plan, &opts, self.uring, obs)
    }
}

/// Why an open-loop sweep stops after this cell: its p99 passed `--slo`.
fn past_slo_reason(p: &plan::Planned, cfg: &RunConfig, cell: &CellResult) -> Option<String> {
    let (Some(x), Some(s)) = (p.rate, &cell.summary) else {
        return None;
    };
    (s.latency.p99_ns as u128 > cfg.slo.as_nanos()).then(|| {
        format!(
            "the sweep stopped: p99 was {} at {x} req/s, past --slo {}",
            crate::output::human::duration_ns(s.latency.p99_ns as f64),
            iobound_workloads::units::format_duration(cfg.slo)
        )
    })
}
