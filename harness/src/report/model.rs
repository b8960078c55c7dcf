//! What a report shows, computed from a run read back: cells grouped by
//! workload, repetitions folded into median and spread, histograms merged.
//! Pure: a [`Run`] in, a [`Report`] out.

use hdrhistogram::Histogram;
use iobound_workloads::{Class, Model};

use super::load::{Cell, Params, Run};
use crate::lang::Lang;
use crate::record::new_histogram;
use crate::result::Status;

/// Median and range of one figure over a cell's repetitions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Stat {
    pub fn of(values: &[f64]) -> Self {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Stat {
                median: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
            };
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Stat {
            median,
            min: v[0],
            max: v[n - 1],
        }
    }

    /// (max - min) / median: the spread the repetitions showed.
    pub fn rel_spread(&self) -> f64 {
        if self.median > 0.0 {
            (self.max - self.min) / self.median
        } else {
            0.0
        }
    }
}

/// The figures a verdict compares, of one repetition of a point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepFigures {
    /// The repetition (1 in a run of one).
    pub rep: u32,
    pub throughput: f64,
    pub p99_ns: f64,
}

/// One engine at one concurrency, over its repetitions.
#[derive(Debug, Clone)]
pub struct Point {
    pub engine: String,
    pub concurrency: usize,
    /// Repetitions that completed.
    pub reps: usize,
    /// Each repetition's figures, in repetition order: verdicts pair them.
    pub per_rep: Vec<RepFigures>,
    pub throughput: Stat,
    pub p50_ns: Stat,
    pub p99_ns: Stat,
    pub p999_ns: Stat,
    /// Open loop: p99 from the actual send (what coordinated omission shows).
    pub p99_uncorrected_ns: Option<Stat>,
    /// Connections the cells used (their `--concurrency`; in a closed loop
    /// the same as `concurrency`).
    pub connections: usize,
    /// Open loop: mean latency from the actual send, i.e. how long a
    /// request held its connection.
    pub service_ns: Option<Stat>,
    /// CPU time (user + sys) per request, in nanoseconds.
    pub cpu_ns: Stat,
    /// CPU time per request of the server iobound started, if any, in nanoseconds.
    pub server_cpu_ns: Option<Stat>,
    /// OS threads the engine added (io_uring workers included).
    pub threads: Stat,
    /// Resident memory the cell added to the client (its peak over its
    /// starting baseline; worker processes' peaks included), bytes.
    pub memory: Stat,
    pub cores_busy: Stat,
    /// Every repetition's histogram merged.
    pub hist: Histogram<u64>,
    /// The checksum, when the workload computes and every repetition agreed.
    pub checksum: Option<String>,
}

/// Every cell of one workload (with or without O_DIRECT).
#[derive(Debug, Clone)]
pub struct Group {
    pub label: String,
    pub workload: String,
    pub direct: bool,
    pub class: Option<Class>,
    /// The engine (of the model the lesson predicts wins) that stands for the prediction.
    pub prediction: Option<String>,
    pub engines: Vec<String>,
    pub concurrencies: Vec<usize>,
    pub points: Vec<Point>,
    /// Whether every measured cell read its data from the page cache.
    pub page_cache_warm: bool,
    /// Open loop: `concurrencies` hold offered rates (requests/s).
    pub open_loop: bool,
    /// The parameters every cell of the group shared (a field is `None`
    /// when absent or when the cells differ).
    pub params: Params,
}

impl Group {
    /// Whether a server's CPU was measured for this workload.
    pub fn has_server(&self) -> bool {
        self.points.iter().any(|p| p.server_cpu_ns.is_some())
    }
}

impl Group {
    pub fn point(&self, engine: &str, concurrency: usize) -> Option<&Point> {
        self.points
            .iter()
            .find(|p| p.engine == engine && p.concurrency == concurrency)
    }

    /// The highest concurrency every engine of the group has a point at.
    pub fn highest_common(&self) -> Option<usize> {
        self.concurrencies
            .iter()
            .rev()
            .copied()
            .find(|&c| self.engines.iter().all(|e| self.point(e, c).is_some()))
    }
}

/// A cell that did not produce numbers.
#[derive(Debug, Clone)]
pub struct NotRun {
    pub stem: String,
    pub status: String,
    pub reason: String,
    /// An interrupted cell's figures for the part it measured: seconds
    /// measured, requests per second, p99 in ns. Kept out of the medians.
    pub kept: Option<(f64, f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct RunInfo {
    pub run_id: String,
    /// The `--pin` settings of the run's groups, as recorded.
    pub pins: Vec<String>,
    pub suite: String,
    pub description: String,
    pub repeat: u32,
    pub version: String,
    pub commit: String,
    /// The system in one line, in English (what `compare` prints).
    pub system: String,
    /// The system as run.json recorded it, for reports in other languages.
    pub system_json: serde_json::Value,
}

/// Everything a report renders.
#[derive(Debug, Clone)]
pub struct Report {
    pub info: RunInfo,
    pub groups: Vec<Group>,
    pub not_run: Vec<NotRun>,
    /// Planned cells with no readable result.
    pub missing: Vec<NotRun>,
    /// Engine names in legend order: the known engines first, as
    /// `iobound list` orders them, then any other in the order met.
    pub engines: Vec<String>,
    /// Each Rust engine's concurrency model, as run.json recorded it.
    pub models: Vec<(String, Model)>,
    /// Each Python engine's model.
    pub python: Vec<(String, Model)>,
    /// CPUs of the machine the run measured (0 when unknown).
    pub cpus: usize,
    /// Cells that ran while something else used the machine.
    pub busy: Vec<(String, crate::result::MachineLoad)>,
}

impl Report {
    /// The model run.json recorded for an engine.
    pub fn model_of(&self, engine: &str) -> Option<Model> {
        self.models
            .iter()
            .find(|(e, _)| e == engine)
            .map(|&(_, m)| m)
    }

    /// The model of any engine of the run, Rust's or Python's (the claims
    /// use [`Report::model_of`], Rust's only; tables, ceilings and the
    /// runtimes section label and compare every engine).
    pub fn any_model_of(&self, engine: &str) -> Option<Model> {
        self.model_of(engine).or_else(|| {
            self.python
                .iter()
                .find(|(e, _)| e == engine)
                .map(|&(_, m)| m)
        })
    }

    /// The colour index of an engine, stable across every chart.
    pub fn engine_index(&self, engine: &str) -> usize {
        self.engines.iter().position(|e| e == engine).unwrap_or(0)
    }
}

/// The system run.json recorded, in one line.
pub fn system_line(v: &serde_json::Value, lang: Lang) -> String {
    if v.is_null() {
        return lang.pick("unknown system", "système inconnu").into();
    }
    let gib = v["memory_bytes"].as_f64().unwrap_or(0.0) / (1u64 << 30) as f64;
    let uring = v["io_uring"]["available"].as_bool().unwrap_or(false);
    let (kernel, cpus, model) = (
        v["kernel"].as_str().unwrap_or("?"),
        v["cpus"].as_u64().unwrap_or(0),
        v["cpu_model"].as_str().unwrap_or("?"),
    );
    let (fs, dev) = (
        v["filesystem"]["fstype"].as_str().unwrap_or("?"),
        v["filesystem"]["device"].as_str().unwrap_or("?"),
    );
    match lang {
        Lang::En => format!(
            "Linux {kernel} on {cpus} x {model}, {gib:.1} GiB RAM; data on {fs} ({dev}); io_uring {}",
            if uring { "available" } else { "unavailable" }
        ),
        Lang::Fr => format!(
            "Linux {kernel} sur {cpus} x {model}, {gib:.1} Gio de RAM ; données sur {fs} ({dev}) ; io_uring {}",
            if uring { "disponible" } else { "indisponible" }
        ),
    }
}

/// Engines in legend order: as the run recorded them (the registry's order
/// then), then any other in the order met.
fn ordered_engines(run: &Run, names: impl Iterator<Item = String>) -> Vec<String> {
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
            pins: run.groups.iter().map(|g| g["pin"].to_string()).collect(),
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
        hist,
        checksum,
    }
}

/// Whether every data file of the group's cells stayed in the page cache
/// (read through it, at least one data file).
fn page_cache_warm(c: &Cell, cells: &[&Cell]) -> bool {
    !c.key.direct
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_take_the_median_and_range() {
        let s = Stat::of(&[3.0, 1.0, 2.0]);
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(Stat::of(&[1.0, 4.0]).median, 2.5);
        assert!((Stat::of(&[90.0, 100.0, 110.0]).rel_spread() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn recorded_engines_come_first_in_their_order() {
        let run = Run {
            engines: super::super::load::legacy_engines(),
            ..Run::default()
        };
        let e = ordered_engines(
            &run,
            ["zeta", "rayon", "threads", "zeta"]
                .into_iter()
                .map(String::from),
        );
        assert_eq!(e, ["threads", "rayon", "zeta"]);
    }
}

/// Reports built by hand, for tests of what is computed from them.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A point whose throughput over repetitions is `tput`; its p99 follows
    /// Little's law, its CPU per request is `cpu_us`, its threads `threads`.
    pub fn point(engine: &str, c: usize, tput: &[f64], cpu_us: f64, threads: f64) -> Point {
        let t = Stat::of(tput);
        let p99 = Stat::of(&tput.iter().map(|x| 1e9 * c as f64 / x).collect::<Vec<_>>());
        let one = |v: f64| Stat::of(&[v]);
        Point {
            engine: engine.into(),
            concurrency: c,
            reps: tput.len(),
            per_rep: tput
                .iter()
                .zip(1..)
                .map(|(&x, rep)| RepFigures {
                    rep,
                    throughput: x,
                    p99_ns: 1e9 * c as f64 / x,
                })
                .collect(),
            throughput: t,
            p50_ns: p99,
            p99_ns: p99,
            p999_ns: p99,
            p99_uncorrected_ns: None,
            connections: c,
            service_ns: None,
            cpu_ns: one(cpu_us * 1000.0),
            server_cpu_ns: None,
            threads: one(threads),
            memory: one(threads * 1e6),
            cores_busy: one(1.0),
            hist: new_histogram(),
            checksum: None,
        }
    }

    pub fn group(label: &str, class: Class, points: Vec<Point>) -> Group {
        let mut engines: Vec<String> = Vec::new();
        let mut concurrencies: Vec<usize> = Vec::new();
        for p in &points {
            if !engines.contains(&p.engine) {
                engines.push(p.engine.clone());
            }
            concurrencies.push(p.concurrency);
        }
        concurrencies.sort_unstable();
        concurrencies.dedup();
        Group {
            label: label.into(),
            workload: label.split(' ').next().unwrap_or(label).into(),
            direct: false,
            class: Some(class),
            prediction: None,
            engines,
            concurrencies,
            points,
            page_cache_warm: false,
            open_loop: false,
            params: Params::default(),
        }
    }

    pub fn report(cpus: usize, models: &[(&str, Model)], groups: Vec<Group>) -> Report {
        Report {
            info: RunInfo {
                run_id: "test".into(),
                pins: vec![],
                suite: String::new(),
                description: String::new(),
                repeat: 3,
                version: String::new(),
                commit: String::new(),
                system: String::new(),
                system_json: serde_json::Value::Null,
            },
            groups,
            not_run: vec![],
            missing: vec![],
            engines: models.iter().map(|(e, _)| e.to_string()).collect(),
            models: models.iter().map(|(e, m)| (e.to_string(), *m)).collect(),
            python: vec![],
            cpus,
            busy: vec![],
        }
    }
}
