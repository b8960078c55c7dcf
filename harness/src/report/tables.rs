//! The report's tables as rows of text cells, shared by the Markdown and
//! HTML renderers so both show the same numbers, formatted the same way.

use super::model::{Group, NotRun, Report};
use super::verdict::{self, Verdict};
use crate::lang::Lang;

/// Requests per second, whole.
pub fn rps(x: f64) -> String {
    format!("{x:.0}")
}

/// Nanoseconds shown as microseconds with one decimal.
pub fn us(ns: f64) -> String {
    format!("{:.1}", ns / 1e3)
}

/// The per-workload table's header; an open-loop group's second column is
/// the offered rate.
pub fn group_header(g: &Group) -> Vec<&'static str> {
    let mut h = GROUP_HEADER.to_vec();
    if g.open_loop {
        h[1] = "offered req/s";
        h.push("p99 µs, uncorrected");
    }
    if g.has_server() {
        h.push("server CPU µs/req");
    }
    h
}

const GROUP_HEADER: [&str; 9] = [
    "engine",
    "concurrency",
    "req/s (median)",
    "req/s range",
    "p50 µs",
    "p99 µs",
    "p99.9 µs",
    crate::output::human::CPU_PER_REQUEST,
    "OS threads",
];

/// One row per engine and concurrency.
pub fn group_rows(g: &Group) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for e in &g.engines {
        for &c in &g.concurrencies {
            let Some(p) = g.point(e, c) else { continue };
            let range = if p.reps > 1 {
                format!(
                    "{}–{} ({} runs)",
                    rps(p.throughput.min),
                    rps(p.throughput.max),
                    p.reps
                )
            } else {
                "1 run".to_string()
            };
            rows.push(vec![
                e.clone(),
                c.to_string(),
                rps(p.throughput.median),
                range,
                us(p.p50_ns.median),
                us(p.p99_ns.median),
                us(p.p999_ns.median),
                crate::output::human::cpu_us(p.cpu_s_per_1000.median * 1e6),
                format!("{:.0}", p.threads.median),
            ]);
            let row = rows.last_mut().expect("pushed");
            if g.open_loop {
                row.push(p.p99_uncorrected_ns.map_or("-".into(), |u| us(u.median)));
            }
            if g.has_server() {
                row.push(
                    p.server_cpu_s_per_1000
                        .map_or("-".into(), |s| crate::output::human::cpu_us(s.median * 1e6)),
                );
            }
        }
    }
    rows
}

pub fn verdict_header(lang: Lang) -> [&'static str; 7] {
    [
        lang.pick("workload", "charge"),
        lang.pick("class", "classe"),
        lang.pick("load", "charge"),
        lang.pick("throughput", "débit"),
        "p99",
        lang.pick("lesson predicts", "la leçon prédit"),
        lang.pick("prediction", "prédiction"),
    ]
}

pub fn verdict_rows(v: &[Verdict], lang: Lang) -> Vec<Vec<String>> {
    v.iter()
        .map(|v| {
            vec![
                v.label.clone(),
                verdict::class_label(v.class, lang).to_string(),
                verdict::load_text(v, lang),
                verdict::outcome_sentence(&v.throughput, true, lang),
                verdict::outcome_sentence(&v.p99, false, lang),
                v.prediction.clone().unwrap_or_else(|| "-".into()),
                verdict::held_text(v.held, lang).to_string(),
            ]
        })
        .collect()
}

pub fn not_run_rows(r: &Report) -> Vec<Vec<String>> {
    let row = |n: &NotRun| vec![n.stem.clone(), n.status.clone(), n.reason.clone()];
    r.not_run.iter().chain(&r.missing).map(row).collect()
}

/// Lines of facts about the run, for the report's head.
pub fn run_facts(r: &Report) -> Vec<String> {
    let i = &r.info;
    let mut v = vec![format!("run {}", i.run_id)];
    if !i.suite.is_empty() {
        let d = if i.description.is_empty() {
            String::new()
        } else {
            format!(": {}", i.description)
        };
        v.push(format!("suite {}{d}", i.suite));
    }
    v.push(format!(
        "{} {}",
        i.repeat,
        if i.repeat > 1 {
            "repetitions of every cell; figures are medians, ranges are min–max"
        } else {
            "run of every cell (no repetition: spreads unknown, a lead under 10% is not called a win)"
        }
    ));
    v.push(format!("system: {}", i.system));
    let unpinned = i.pins.iter().all(|p| !p.contains("[") || p == "null");
    if unpinned && r.groups.iter().any(Group::has_server) {
        v.push(
            "placement: client and server were not pinned (--pin), so the scheduler placed \
             them; whether they share a CPU changes a loopback round trip several-fold on a \
             small VM, and each cell records where they ran"
                .to_string(),
        );
    }
    v.push(format!(
        "iobound {} (commit {})",
        if i.version.is_empty() {
            "?"
        } else {
            &i.version
        },
        if i.commit.is_empty() {
            "unknown"
        } else {
            &i.commit
        }
    ));
    v
}
