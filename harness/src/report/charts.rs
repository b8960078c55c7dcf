//! The report's charts, built from the model: per workload, throughput and
//! p99 against concurrency and the latency percentile spectrum; across
//! workloads, CPU per 1000 requests and OS threads per engine.

use super::model::{Group, Report};
use super::svg::{self, Axis, Scale, Series};
use crate::output::human;

/// A chart with the id its SVG carries.
pub struct Chart {
    pub id: String,
    pub svg: String,
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_string()
}

fn conc_axis(g: &Group) -> Axis {
    Axis {
        label: if g.open_loop {
            "offered rate (requests/s)".into()
        } else {
            "concurrency (requests in flight)".into()
        },
        scale: if g.concurrencies.len() > 1 {
            Scale::Log
        } else {
            Scale::Linear
        },
        ticks: g
            .concurrencies
            .iter()
            .map(|&c| (c as f64, c.to_string()))
            .collect(),
        fmt: |v| format!("{v}"),
    }
}

fn ms(v: f64) -> String {
    human::duration_ns(v)
}

/// One figure against concurrency (or offered rate): a line per engine
/// through the medians, whiskers for the repetitions' range.
fn against_load(
    r: &Report,
    g: &Group,
    id: &str,
    title: &str,
    y: Axis,
    figure: impl Fn(&super::model::Point) -> super::model::Stat,
) -> Chart {
    let series = g
        .engines
        .iter()
        .map(|e| {
            let pts: Vec<_> = g.points.iter().filter(|p| &p.engine == e).collect();
            Series {
                name: e.clone(),
                colour: svg::colour(r.engine_index(e)),
                points: pts
                    .iter()
                    .map(|p| (p.concurrency as f64, figure(p).median))
                    .collect(),
                ranges: pts
                    .iter()
                    .filter(|p| p.reps > 1)
                    .map(|p| (p.concurrency as f64, figure(p).min, figure(p).max))
                    .collect(),
            }
        })
        .collect::<Vec<_>>();
    let id = format!("{id}-{}", slug(&g.label));
    Chart {
        svg: svg::line_chart(
            &id,
            &format!("{}: {title}", g.label),
            &conc_axis(g),
            &y,
            &series,
        ),
        id,
    }
}

/// Throughput against concurrency.
pub fn throughput(r: &Report, g: &Group) -> Chart {
    let y = Axis {
        label: "throughput (requests/s)".into(),
        scale: Scale::Linear,
        ticks: vec![],
        fmt: human::rate,
    };
    against_load(r, g, "throughput", "throughput", y, |p| p.throughput)
}

/// p99 latency against concurrency, log axis.
pub fn p99(r: &Report, g: &Group) -> Chart {
    let y = Axis {
        label: "p99 latency (log scale)".into(),
        scale: Scale::Log,
        ticks: vec![],
        fmt: ms,
    };
    against_load(r, g, "p99", "p99 latency", y, |p| p.p99_ns)
}

/// The latency percentile spectrum at the highest common concurrency:
/// x is 1/(1-p) on a log axis, as HdrHistogram plots it.
pub fn spectrum(r: &Report, g: &Group) -> Option<Chart> {
    let c = g.highest_common()?;
    let series = g
        .engines
        .iter()
        .filter_map(|e| g.point(e, c))
        .map(|p| {
            let n = p.hist.len().max(1) as f64;
            let mut points = Vec::new();
            for v in p.hist.iter_quantiles(4) {
                let q = v.quantile_iterated_to();
                let x = 1.0 / (1.0 - q);
                // Past 1/(1-p) = n the histogram has no sample to tell.
                if q >= 1.0 || x > n {
                    break;
                }
                points.push((x, p.hist.highest_equivalent(v.value_iterated_to()) as f64));
            }
            Series {
                name: p.engine.clone(),
                colour: svg::colour(r.engine_index(&p.engine)),
                points,
                ranges: vec![],
            }
        })
        .collect::<Vec<_>>();
    let x = Axis {
        label: "percentile".into(),
        scale: Scale::Log,
        ticks: [
            (1.0, "0%"),
            (2.0, "50%"),
            (10.0, "90%"),
            (100.0, "99%"),
            (1000.0, "99.9%"),
            (10000.0, "99.99%"),
            (100000.0, "99.999%"),
        ]
        .iter()
        .map(|&(v, l)| (v, l.to_string()))
        .filter(|&(v, _)| {
            let max_n = g.points.iter().map(|p| p.hist.len()).max().unwrap_or(1) as f64;
            v <= max_n.max(100.0)
        })
        .collect(),
        fmt: |v| format!("{v}"),
    };
    let y = Axis {
        label: "latency (log scale)".into(),
        scale: Scale::Log,
        ticks: vec![],
        fmt: ms,
    };
    let id = format!("spectrum-{}", slug(&g.label));
    Some(Chart {
        svg: svg::line_chart(
            &id,
            &format!("{}: latency by percentile at concurrency {c}", g.label),
            &x,
            &y,
            &series,
        ),
        id,
    })
}

fn per_engine_bars(
    r: &Report,
    id: &str,
    title: &str,
    y: Axis,
    value: impl Fn(&super::model::Point) -> f64,
) -> Chart {
    let groups: Vec<&Group> = r
        .groups
        .iter()
        .filter(|g| g.highest_common().is_some())
        .collect();
    let categories: Vec<String> = groups
        .iter()
        .map(|g| format!("{} c{}", g.label, g.highest_common().unwrap_or(0)))
        .collect();
    let series = r
        .engines
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let vals = groups
                .iter()
                .map(|g| g.highest_common().and_then(|c| g.point(e, c)).map(&value))
                .collect();
            (e.clone(), svg::colour(i), vals)
        })
        .collect::<Vec<_>>();
    Chart {
        svg: svg::bar_chart(id, title, &categories, &y, &series),
        id: id.to_string(),
    }
}

/// CPU time (user + sys) per request, per engine and workload, in the
/// unit the tables and the terminal use.
pub fn cpu(r: &Report) -> Chart {
    per_engine_bars(
        r,
        "cpu-per-request",
        "CPU µs per request (highest common concurrency)",
        Axis {
            label: crate::output::human::CPU_PER_REQUEST.into(),
            scale: Scale::Linear,
            ticks: vec![],
            fmt: |v| crate::output::human::cpu_us(v * 1e3),
        },
        |p| p.cpu_s_per_1000.median * 1e3,
    )
}

/// OS threads the engine added, per engine and workload.
pub fn threads(r: &Report) -> Chart {
    per_engine_bars(
        r,
        "os-threads",
        "OS threads used by the engine (highest common concurrency)",
        Axis {
            label: "threads".into(),
            scale: Scale::Linear,
            ticks: vec![],
            fmt: |v| format!("{v:.0}"),
        },
        |p| p.threads.median,
    )
}

/// Every chart of the report, in reading order.
pub fn all(r: &Report) -> Vec<(Option<String>, Chart)> {
    let mut out = Vec::new();
    for g in &r.groups {
        out.push((Some(g.label.clone()), throughput(r, g)));
        out.push((Some(g.label.clone()), p99(r, g)));
        if let Some(s) = spectrum(r, g) {
            out.push((Some(g.label.clone()), s));
        }
    }
    if !r.groups.is_empty() {
        out.push((None, cpu(r)));
        out.push((None, threads(r)));
    }
    out
}
