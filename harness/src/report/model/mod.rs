//! What a report shows, computed from a run read back: cells grouped by
//! workload, repetitions folded into median and spread, histograms merged.
//! Pure: a [`Run`](super::load::Run) in, a [`Report`] out.
//!
//! This module holds what a report is made of; `fold` builds it from a
//! run (groups, points, the cells not run).

mod fold;

pub use self::fold::build;

use hdrhistogram::Histogram;
use iobound_workloads::{Class, Model};

use super::load::Params;
use crate::lang::Lang;

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
    /// The measured server's CPU per request, when it was measured.
    pub server_cpu_ns: Option<f64>,
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
    /// Repetitions that ran while something else used the machine (CPU
    /// steal or other processes, `MachineLoad::busy`): their figures may
    /// be low, and a sentence that quotes the point says so.
    pub busy_reps: usize,
    /// The engine's pool size as the cells recorded it (`None` without a
    /// pool, or in runs from before it was recorded).
    pub pool_size: Option<usize>,
    /// Every repetition's histogram merged.
    pub hist: Histogram<u64>,
    /// The checksum, when the workload computes and every repetition agreed.
    pub checksum: Option<String>,
    /// Its measured window and warm-up (ns), as its first repetition ran:
    /// a group's points can differ when a suite sweeps it in several groups.
    pub window: (Option<u64>, Option<u64>),
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
    /// What one request does (English, French), as run.json recorded it.
    pub gist: Option<[String; 2]>,
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
            "Linux {kernel} on {cpus} CPU{} ({model}), {gib:.1} GiB RAM; data on {fs} ({dev}); io_uring {}",
            if cpus == 1 { "" } else { "s" },
            if uring { "available" } else { "unavailable" }
        ),
        Lang::Fr => format!(
            "Linux {kernel} sur {cpus} processeur{} ({model}), {gib:.1} GiB de RAM ; données sur {fs} ({dev}) ; io_uring {}",
            if cpus == 1 { "" } else { "s" },
            if uring { "disponible" } else { "indisponible" }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::fold::ordered_engines;
    use super::*;
    use crate::report::load::Run;

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
    use crate::record::new_histogram;

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
                    server_cpu_ns: None,
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
            busy_reps: 0,
            pool_size: None,
            hist: new_histogram(),
            checksum: None,
            window: (None, None),
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
            gist: None,
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
