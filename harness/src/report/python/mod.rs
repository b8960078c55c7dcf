//! "The lesson in Python": what the Python engines measured, in sentences
//! built from their numbers — the GIL (threads against processes on a
//! byte loop and on hashlib's SHA-256), waiting (asyncio against threads
//! and a process pool), mixed work (asyncio with a process pool), and what
//! the same requests cost in Python against Rust. Pure: a [`Report`] in,
//! sentences out.

mod answer;
mod gil;
mod intro;
mod waiting;

use iobound_workloads::{Class, Model};

use super::model::{Group, Point, Report};
use super::verdict::{compare, model_label, Figure, Lead};
use crate::lang::Lang;
use crate::output::human;

pub use answer::answer;
use gil::gil_sentence;
pub use intro::intro;
use waiting::{mixed_sentence, waiting_sentence};

/// The model of a Python engine, as run.json recorded it.
fn py_model(r: &Report, engine: &str) -> Option<Model> {
    r.python.iter().find(|(e, _)| e == engine).map(|&(_, m)| m)
}

/// Whether the group has Python engines (with or without Rust ones: a
/// group is one workload's cells, whichever engines ran them).
fn has_python(r: &Report, g: &Group) -> bool {
    g.engines.iter().any(|e| py_model(r, e).is_some())
}

/// The Python engine of `model` with the most requests per second at `c`.
fn best<'a>(r: &Report, g: &'a Group, model: Model, c: usize) -> Option<&'a Point> {
    g.points
        .iter()
        .filter(|p| p.concurrency == c && py_model(r, &p.engine) == Some(model))
        .max_by(|a, b| a.throughput.median.total_cmp(&b.throughput.median))
}

fn rate(x: f64) -> String {
    human::rate(x)
}

fn times(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}x")
    } else {
        format!("{v:.2}x")
    }
}

/// A model's growth from the group's lowest to its highest concurrency:
/// "threads 126 → 118 req/s (0.94x)".
fn growth(r: &Report, g: &Group, m: Model, lang: Lang) -> Option<(String, Lead, f64)> {
    let (lo, hi) = (*g.concurrencies.first()?, *g.concurrencies.last()?);
    if lo == hi {
        return None;
    }
    let (a, b) = (best(r, g, m, lo)?, best(r, g, m, hi)?);
    let c = compare(b, a, Figure::Throughput);
    let ratio = b.throughput.median / a.throughput.median;
    Some((
        format!(
            "{} {} → {} {} ({})",
            model_label(m, lang),
            rate(a.throughput.median),
            rate(b.throughput.median),
            lang.pick("req/s", "requêtes/s"),
            times(ratio)
        ),
        c.lead,
        ratio,
    ))
}

/// The same requests in Python and in Rust: for each Python group, the
/// Rust group of the same workload that ran the same model at the same
/// concurrency, CPU per request side by side.
fn cost_sentence(r: &Report, lang: Lang) -> Option<String> {
    // (workload, model) -> (python point, rust point), at the highest
    // concurrency both ran with the same parameters (the same requests:
    // `work`, `db_latency`): a loaded point, where fixed costs are spread.
    let mut pairs: Vec<(String, Model, &Point, &Point)> = Vec::new();
    for g in r.groups.iter().filter(|g| has_python(r, g)) {
        for p in &g.points {
            let Some(m) = py_model(r, &p.engine) else {
                continue;
            };
            let rust = r
                .groups
                .iter()
                .filter(|x| x.workload == g.workload && x.params == g.params)
                .flat_map(|x| x.points.iter())
                .filter(|q| q.concurrency == p.concurrency && r.model_of(&q.engine) == Some(m))
                .min_by(|a, b| a.cpu_ns.median.total_cmp(&b.cpu_ns.median));
            let Some(q) = rust else { continue };
            match pairs
                .iter_mut()
                .find(|(w, mm, _, _)| w == &g.workload && *mm == m)
            {
                Some(pair) if pair.2.concurrency < p.concurrency => {
                    pair.2 = p;
                    pair.3 = q;
                }
                Some(pair)
                    if pair.2.concurrency == p.concurrency
                        && p.cpu_ns.median < pair.2.cpu_ns.median =>
                {
                    pair.2 = p;
                }
                Some(_) => {}
                None => pairs.push((g.workload.clone(), m, p, q)),
            }
        }
    }
    if pairs.is_empty() {
        return None;
    }
    let list: Vec<String> = pairs
        .iter()
        .map(|(w, m, p, q)| {
            let (py, rust) = (
                human::duration_ns(p.cpu_ns.median),
                human::duration_ns(q.cpu_ns.median),
            );
            let x = times(p.cpu_ns.median / q.cpu_ns.median);
            match lang {
                Lang::En => format!(
                    "{w}, {} at C={}: {py} ({}) against {rust} ({}), {x}",
                    model_label(*m, lang),
                    p.concurrency,
                    p.engine,
                    q.engine
                ),
                Lang::Fr => format!(
                    "{w}, {} à C={} : {py} ({}) contre {rust} ({}), {x}",
                    model_label(*m, lang),
                    p.concurrency,
                    p.engine,
                    q.engine
                ),
            }
        })
        .collect();
    Some(match lang {
        Lang::En => format!(
            "What the same requests cost, CPU per request in Python against Rust, same model, same parameters, at the highest load both ran: {}.",
            list.join("; ")
        ),
        Lang::Fr => format!(
            "Ce que coûtent les mêmes requêtes, CPU par requête en Python contre Rust, même modèle, mêmes paramètres, à la plus haute charge commune : {}.",
            list.join(" ; ")
        ),
    })
}

/// The section's sentences, or nothing when the run has no Python engine.
pub fn sentences(r: &Report, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    for g in r.groups.iter().filter(|g| has_python(r, g) && !g.open_loop) {
        let s = match g.class {
            Some(Class::CpuBound) => gil_sentence(r, g, lang),
            Some(Class::IoBound) => waiting_sentence(r, g, lang),
            Some(Class::Mixed) => mixed_sentence(r, g, lang),
            None => None,
        };
        out.extend(s);
    }
    out.extend(cost_sentence(r, lang));
    out
}

/// The run seen through its Python engines only (their models stand where
/// Rust's did), or `None` without any.
fn view(r: &Report) -> Option<Report> {
    (!r.python.is_empty()).then(|| Report {
        models: r.python.clone(),
        python: Vec::new(),
        ..r.clone()
    })
}

/// Each of the lesson's claims judged by the same rules on Python's models
/// (`None` without any Python engine).
pub fn claims(r: &Report) -> Option<Vec<super::claims::Claim>> {
    view(r).map(|v| super::claims::all(&v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::testing::{group, point, report};

    pub(super) fn py_report(groups: Vec<Group>) -> Report {
        let mut r = report(2, &[("threads", Model::BlockingThreads)], groups);
        r.python = vec![
            ("py-asyncio".into(), Model::EventLoop),
            ("py-threads".into(), Model::BlockingThreads),
            ("py-procs".into(), Model::ProcessPool),
        ];
        r
    }

    pub(super) fn cpu(label: &str, threads8: &[f64]) -> Group {
        group(
            label,
            Class::CpuBound,
            vec![
                point("py-threads", 1, &[120.0, 125.0, 126.0], 8000.0, 1.0),
                point("py-threads", 8, threads8, 8000.0, 8.0),
                point("py-procs", 1, &[80.0, 82.0, 81.0], 12000.0, 4.0),
                point("py-procs", 8, &[200.0, 206.0, 203.0], 10000.0, 4.0),
            ],
        )
    }

    #[test]
    fn no_python_engine_no_sentence() {
        let r = report(
            2,
            &[("threads", Model::BlockingThreads)],
            vec![group(
                "cpu-hash",
                Class::CpuBound,
                vec![point("threads", 1, &[1.0], 1.0, 1.0)],
            )],
        );
        assert!(sentences(&r, Lang::En).is_empty());
    }
}
