//! A run folded into a [`Report`]: cells grouped by workload, each
//! engine's repetitions at one x folded into a point (median and range,
//! histograms merged), the group's parameters, and the cells not run.

use super::{system_line, Group, NotRun, Point, RepFigures, Report, RunInfo, Stat};
use crate::lang::Lang;
use crate::record::new_histogram;
use crate::report::load::{Cell, Params, Run};
use crate::result::Status;

/// Engines in legend order: as the run recorded them (the registry's order
/// then), then any other in the order met.
pub(super) fn ordered_engines(run: &Run, names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = run.engines.iter().map(|e| e.name.clone()).collect();
    let mut seen: Vec<String> = Vec::new();
    for n in names {
        if !seen.contains(&n) {
            seen.push(n);
        }
    }
    out.retain(|e| seen.contains(e));
    for n in seen {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// Builds the report of a run.
pub fn build(run: &Run) -> Report {
    let ok: Vec<&Cell> = run
        .cells
        .iter()
        .filter(|c| c.status == Status::Ok && c.summary.is_some())
        .collect();
    let engines = ordered_engines(run, ok.iter().map(|c| c.key.mode.clone()));
    let mut groups: Vec<Group> = Vec::new();
    for c in &ok {
        let label = c.key.label();
        if groups.iter().any(|g| g.label == label) {
            continue;
        }
        let cells: Vec<&Cell> = ok
            .iter()
            .copied()
            .filter(|x| x.key.label() == label)
            .collect();
        groups.push(group(run, &engines, c, label, &cells));
    }
    let (not_run, missing) = not_run(run);
    Report {
        info: RunInfo {
            run_id: run.run_id.clone(),
            pins: run
                .groups
                .iter()
                .map(|g| serde_json::to_string(&g.pin).expect("a pin serializes"))
                .collect(),
            suite: run.suite.clone(),
            description: run.description.clone(),
            repeat: run.repeat.max(1),
            version: run.version.clone(),
            commit: run.commit.clone(),
            system: system_line(&run.system, Lang::En),
            system_json: run.system.clone(),
        },
        groups,
        not_run,
        missing,
        // The claims, the map and the runtimes compare Rust's engines;
        // Python's have a section of their own (`report::python`).
        models: engines
            .iter()
            .filter_map(|e| {
                run.engines
                    .iter()
                    .find(|r| &r.name == e && r.language == crate::engine::Language::Rust)
                    .map(|r| (e.clone(), r.model))
            })
            .collect(),
        python: engines
            .iter()
            .filter_map(|e| {
                run.engines
                    .iter()
                    .find(|r| &r.name == e && r.language == crate::engine::Language::Python)
                    .map(|r| (e.clone(), r.model))
            })
            .collect(),
        engines,
        cpus: run.system["cpus"].as_u64().unwrap_or(0) as usize,
        busy: run
            .cells
            .iter()
            .filter_map(|c| {
                let m = c.summary.as_ref()?.machine?;
                m.busy().then(|| (c.stem(), m))
            })
            .collect(),
    }
}

/// The x of a cell in its group: open-loop cells of one connection count
/// form their own group, whose x axis is the offered rate instead of the
/// concurrency.
fn x_of(k: &crate::result::CellKey) -> usize {
    k.rate.map_or(k.concurrency, |r| r as usize)
}

/// One group: the `cells` of `label`, of which `c` is the first, folded
/// into a point per engine and x.
fn group(run: &Run, engines: &[String], c: &Cell, label: String, cells: &[&Cell]) -> Group {
    let info = run.workloads.iter().find(|i| i.name == c.key.workload);
    let group_engines: Vec<String> = engines
        .iter()
        .filter(|e| cells.iter().any(|x| &x.key.mode == *e))
        .cloned()
        .collect();
    let mut concurrencies: Vec<usize> = cells.iter().map(|x| x_of(&x.key)).collect();
    concurrencies.sort_unstable();
    concurrencies.dedup();
    let mut points = Vec::new();
    for e in &group_engines {
        for &conc in &concurrencies {
            let reps: Vec<&Cell> = cells
                .iter()
                .copied()
                .filter(|x| &x.key.mode == e && x_of(&x.key) == conc)
                .collect();
            if !reps.is_empty() {
                points.push(point(e, conc, &reps));
            }
        }
    }
    Group {
        params: group_params(c, cells),
        open_loop: c.key.rate.is_some(),
        label,
        workload: c.key.workload.clone(),
        direct: c.key.direct,
        class: info.map(|i| i.class),
        // The group's first engine of the predicted model stands for it.
        prediction: info.and_then(|i| {
            group_engines
                .iter()
                .find(|e| {
                    run.engines
                        .iter()
                        .any(|r| &r.name == *e && r.model == i.prediction)
                })
                .cloned()
        }),
        engines: group_engines,
        concurrencies,
        points,
        page_cache_warm: page_cache_warm(c, cells),
        // Runs recorded before gists were: the catalog's, by name (a
        // catalog workload's request has kept its meaning).
        gist: info.and_then(|i| i.gist.clone()).or_else(|| {
            iobound_workloads::catalog()
                .iter()
                .find(|w| w.name == c.key.workload)
                .map(|w| w.gist.map(String::from))
        }),
    }
}

/// The repetitions `reps` of engine `e` at `conc`, folded into one point.
fn point(e: &str, conc: usize, reps: &[&Cell]) -> Point {
    let sums: Vec<_> = reps
        .iter()
        .map(|x| x.summary.as_ref().expect("filtered"))
        .collect();
    let stat = |f: &dyn Fn(&crate::result::Summary) -> f64| {
        Stat::of(&sums.iter().map(|s| f(s)).collect::<Vec<_>>())
    };
    let mut hist = new_histogram();
    for x in reps {
        if let Some(h) = &x.hist {
            // Histograms of one run share bounds; a foreign one is skipped.
            let _ = hist.add(h);
        }
    }
    let checksum = sums[0]
        .checksum
        .clone()
        .filter(|first| sums.iter().all(|s| s.checksum.as_ref() == Some(first)));
    let mut per_rep: Vec<RepFigures> = reps
        .iter()
        .zip(&sums)
        .map(|(x, s)| RepFigures {
            rep: x.rep.unwrap_or(1),
            throughput: s.throughput_rps,
            p99_ns: s.latency.p99_ns as f64,
            server_cpu_ns: s.server.map(|v| v.per_request_ns),
        })
        .collect();
    per_rep.sort_by_key(|r| r.rep);
    Point {
        engine: e.to_string(),
        concurrency: conc,
        reps: reps.len(),
        per_rep,
        throughput: stat(&|s| s.throughput_rps),
        p50_ns: stat(&|s| s.latency.p50_ns as f64),
        p99_ns: stat(&|s| s.latency.p99_ns as f64),
        p999_ns: stat(&|s| s.latency.p999_ns as f64),
        p99_uncorrected_ns: sums
            .iter()
            .all(|s| s.latency_uncorrected.is_some())
            .then(|| stat(&|s| s.latency_uncorrected.map_or(f64::NAN, |l| l.p99_ns as f64))),
        connections: reps[0].key.concurrency,
        service_ns: sums
            .iter()
            .all(|s| s.latency_uncorrected.is_some())
            .then(|| stat(&|s| s.latency_uncorrected.map_or(f64::NAN, |l| l.mean_ns))),
        cpu_ns: stat(&|s| s.cpu.per_request_ns),
        server_cpu_ns: sums
            .iter()
            .all(|s| s.server.is_some())
            .then(|| stat(&|s| s.server.map_or(f64::NAN, |v| v.per_request_ns))),
        threads: stat(&|s| s.engine_threads() as f64),
        memory: stat(&|s| s.rss_growth_bytes().map_or(f64::NAN, |b| b as f64)),
        cores_busy: stat(&|s| s.cpu.cores_busy),
        pool_size: sums.iter().find_map(|s| s.pool_size),
        busy_reps: sums
            .iter()
            .filter(|s| s.machine.is_some_and(|m| m.busy()))
            .count(),
        hist,
        checksum,
        window: (reps[0].params.duration_ns, reps[0].params.warmup_ns),
    }
}

/// Whether every data file of the group's cells stayed in the page cache
/// (read through it, at least one data file), in a workload that waits on
/// nothing else: requests that also call a server wait there, however
/// warm their reads (a user's workload file with db calls and a read was
/// headed "warm page cache: nothing waits" and judged as the counter-example).
fn page_cache_warm(c: &Cell, cells: &[&Cell]) -> bool {
    let talks_to_a_server = |x: &&Cell| {
        x.params.remote
            || x.params.request_wait.is_some()
            || x.summary.as_ref().is_some_and(|s| s.server.is_some())
    };
    !c.key.direct
        && !cells.iter().any(talks_to_a_server)
        && cells.iter().all(|x| {
            x.summary.as_ref().is_some_and(|s| {
                s.page_cache
                    .iter()
                    .filter(|r| r.role == "data")
                    .all(|r| r.start >= 0.99 && r.end >= 0.99)
            })
        })
        && cells.iter().any(|x| {
            x.summary
                .as_ref()
                .is_some_and(|s| s.page_cache.iter().any(|r| r.role == "data"))
        })
}

/// The group's parameters: each one its cells agree on, from the first.
fn group_params(c: &Cell, cells: &[&Cell]) -> Params {
    let first = c.params;
    let agree = |f: &dyn Fn(&Params) -> bool| cells.iter().all(|x| f(&x.params));
    Params {
        wait_ns: first
            .wait_ns
            .filter(|_| agree(&|p| p.wait_ns == first.wait_ns)),
        work_bytes: first
            .work_bytes
            .filter(|_| agree(&|p| p.work_bytes == first.work_bytes)),
        server_threads: first
            .server_threads
            .filter(|_| agree(&|p| p.server_threads == first.server_threads)),
        remote: first.remote && agree(&|p| p.remote),
        slo_ns: first
            .slo_ns
            .filter(|_| agree(&|p| p.slo_ns == first.slo_ns)),
        warmup_ns: first
            .warmup_ns
            .filter(|_| agree(&|p| p.warmup_ns == first.warmup_ns)),
        duration_ns: first
            .duration_ns
            .filter(|_| agree(&|p| p.duration_ns == first.duration_ns)),
        request_wait: first
            .request_wait
            .filter(|_| agree(&|p| p.request_wait == first.request_wait)),
    }
}

/// The cells without results, and those planned but missing (or whose
/// file could not be read).
fn not_run(run: &Run) -> (Vec<NotRun>, Vec<NotRun>) {
    let not_run = run
        .cells
        .iter()
        .filter(|c| c.status != Status::Ok)
        .map(|c| NotRun {
            stem: c.stem(),
            status: c.status.as_str().into(),
            reason: c.reason.clone().unwrap_or_default(),
            kept: c.summary.as_ref().map(|s| {
                (
                    s.elapsed_ns as f64 / 1e9,
                    s.throughput_rps,
                    s.latency.p99_ns as f64,
                )
            }),
        })
        .collect();
    let present: Vec<String> = run.cells.iter().map(|c| c.stem()).collect();
    let mut missing: Vec<NotRun> = run
        .plan
        .iter()
        .filter(|s| !present.contains(s))
        .map(|s| NotRun {
            stem: s.clone(),
            status: "missing".into(),
            kept: None,
            reason: run.unreadable.iter().find(|(n, _)| n == s).map_or(
                "no result (the run stopped before it, or its file was removed)".into(),
                |(_, w)| format!("unreadable: {w}"),
            ),
        })
        .collect();
    for (name, why) in &run.unreadable {
        if !run.plan.contains(name) {
            missing.push(NotRun {
                stem: name.clone(),
                status: "missing".into(),
                reason: format!("unreadable: {why}"),
                kept: None,
            });
        }
    }
    (not_run, missing)
}
