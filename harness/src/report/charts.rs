//! The report's charts, built from the model: per workload, throughput
//! (beside each engine's ceiling) and p99 against concurrency, and the
//! latency percentile spectrum; for the concurrency sweep (the C10k curve),
//! CPU per request, memory added and OS threads against concurrency too.

use super::bounds;
use super::model::{Group, Point, Report, Stat};
use super::svg::{self, Axis, Scale, Series};
use crate::lang::Lang;
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

fn log_note(lang: Lang) -> &'static str {
    lang.pick(", log scale", ", échelle log")
}

fn conc_axis(g: &Group, lang: Lang) -> Axis {
    let log = g.concurrencies.len() > 1;
    let base = if g.open_loop {
        lang.pick("offered rate (requests/s)", "débit offert (requêtes/s)")
    } else {
        lang.pick(
            "concurrency (requests in flight)",
            "concurrence (requêtes en cours)",
        )
    };
    Axis {
        label: format!("{base}{}", if log { log_note(lang) } else { "" }),
        scale: if log { Scale::Log } else { Scale::Linear },
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
/// through the medians, whiskers for the repetitions' range, and, when
/// `ceiling` is set, each engine's ceiling dashed beside it.
#[allow(clippy::too_many_arguments)]
fn against_load(
    r: &Report,
    g: &Group,
    id: &str,
    title: &str,
    y: Axis,
    figure: impl Fn(&Point) -> Stat,
    ceiling: bool,
    lang: Lang,
) -> Chart {
    let mut series = Vec::new();
    for e in &g.engines {
        let pts: Vec<_> = g.points.iter().filter(|p| &p.engine == e).collect();
        let colour = svg::colour(r.engine_index(e));
        series.push(Series {
            name: e.clone(),
            colour,
            points: pts
                .iter()
                .map(|p| (p.concurrency as f64, figure(p).median))
                .collect(),
            ranges: pts
                .iter()
                .filter(|p| p.reps > 1)
                .map(|p| (p.concurrency as f64, figure(p).min, figure(p).max))
                .collect(),
            dashed: false,
        });
        if ceiling {
            let ceil: Vec<(f64, f64)> = pts
                .iter()
                .filter_map(|p| bounds::ceiling(r, g, p).map(|c| (p.concurrency as f64, c.limit.1)))
                .collect();
            if !ceil.is_empty() {
                series.push(Series {
                    name: format!("{e}: {}", lang.pick("ceiling", "plafond")),
                    colour,
                    points: ceil,
                    ranges: vec![],
                    dashed: true,
                });
            }
        }
    }
    let id = format!("{id}-{}", slug(&g.label));
    Chart {
        svg: svg::line_chart(
            &id,
            &format!("{}: {title}", g.label),
            &conc_axis(g, lang),
            &y,
            &series,
            lang.pick("ceiling", "plafond"),
        ),
        id,
    }
}

/// Throughput against concurrency, each engine beside its ceiling.
pub fn throughput(r: &Report, g: &Group, lang: Lang) -> Chart {
    let y = Axis {
        label: lang
            .pick("throughput (requests/s)", "débit (requêtes/s)")
            .into(),
        scale: Scale::Linear,
        ticks: vec![],
        fmt: human::rate,
    };
    against_load(
        r,
        g,
        "throughput",
        lang.pick("throughput and ceiling", "débit et plafond"),
        y,
        |p| p.throughput,
        !g.open_loop,
        lang,
    )
}

/// p99 latency against concurrency, log axis.
pub fn p99(r: &Report, g: &Group, lang: Lang) -> Chart {
    let y = Axis {
        label: format!(
            "{}{}",
            lang.pick("p99 latency", "latence p99"),
            log_note(lang)
        ),
        scale: Scale::Log,
        ticks: vec![],
        fmt: ms,
    };
    against_load(
        r,
        g,
        "p99",
        lang.pick("p99 latency", "latence p99"),
        y,
        |p| p.p99_ns,
        false,
        lang,
    )
}

/// Client CPU time per request against concurrency, log axis.
pub fn cpu_per_request(r: &Report, g: &Group, lang: Lang) -> Chart {
    let y = Axis {
        label: format!(
            "{}{}",
            lang.pick("CPU per request", "CPU par requête"),
            log_note(lang)
        ),
        scale: Scale::Log,
        ticks: vec![],
        fmt: ms,
    };
    against_load(
        r,
        g,
        "cpu",
        lang.pick("client CPU per request", "CPU client par requête"),
        y,
        |p| p.cpu_ns,
        false,
        lang,
    )
}

/// Resident memory each cell added against concurrency, log axis.
pub fn memory(r: &Report, g: &Group, lang: Lang) -> Chart {
    let y = Axis {
        label: format!(
            "{}{}",
            lang.pick(
                "memory added by the cell (RSS)",
                "mémoire ajoutée par la cellule (RSS)"
            ),
            log_note(lang)
        ),
        scale: Scale::Log,
        ticks: vec![],
        // Decimal units: the log axis's ticks fall on powers of ten.
        fmt: |v| {
            if v >= 1e9 {
                format!("{:.0} GB", v / 1e9)
            } else if v >= 1e6 {
                format!("{:.0} MB", v / 1e6)
            } else {
                format!("{:.0} kB", v / 1e3)
            }
        },
    };
    against_load(
        r,
        g,
        "memory",
        lang.pick("memory added", "mémoire ajoutée"),
        y,
        |p| p.memory,
        false,
        lang,
    )
}

/// OS threads against concurrency, log axis.
pub fn threads(r: &Report, g: &Group, lang: Lang) -> Chart {
    let y = Axis {
        label: format!(
            "{}{}",
            lang.pick("OS threads", "threads de l'OS"),
            log_note(lang)
        ),
        scale: Scale::Log,
        ticks: vec![],
        fmt: |v| format!("{v:.0}"),
    };
    against_load(
        r,
        g,
        "threads",
        lang.pick("OS threads", "threads de l'OS"),
        y,
        |p| p.threads,
        false,
        lang,
    )
}

/// The latency percentile spectrum at the highest common concurrency:
/// x is 1/(1-p) on a log axis, as HdrHistogram plots it.
pub fn spectrum(r: &Report, g: &Group, lang: Lang) -> Option<Chart> {
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
                dashed: false,
            }
        })
        .collect::<Vec<_>>();
    let max_n = g.points.iter().map(|p| p.hist.len()).max().unwrap_or(1) as f64;
    let x = Axis {
        label: format!(
            "{}{}",
            lang.pick("percentile", "percentile"),
            log_note(lang)
        ),
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
        .filter(|&(v, _)| v <= max_n.max(100.0))
        .collect(),
        fmt: |v| format!("{v}"),
    };
    let y = Axis {
        label: format!("{}{}", lang.pick("latency", "latence"), log_note(lang)),
        scale: Scale::Log,
        ticks: vec![],
        fmt: ms,
    };
    let id = format!("spectrum-{}", slug(&g.label));
    let title = match lang {
        Lang::En => format!("{}: latency by percentile at C={c}", g.label),
        Lang::Fr => format!("{} : latence par percentile à C={c}", g.label),
    };
    Some(Chart {
        svg: svg::line_chart(&id, &title, &x, &y, &series, ""),
        id,
    })
}

/// The group swept over concurrency (the C10k curve): the closed-loop group
/// with the most concurrencies, at least four, the highest reach on a tie.
pub fn sweep_group(r: &Report) -> Option<&Group> {
    r.groups
        .iter()
        .filter(|g| !g.open_loop && g.concurrencies.len() >= 4)
        .max_by_key(|g| {
            (
                g.concurrencies.len(),
                g.concurrencies.last().copied().unwrap_or(0),
                std::cmp::Reverse(r.groups.iter().position(|x| x.label == g.label)),
            )
        })
}

/// The sweep's charts: throughput, p99, CPU per request, memory, threads.
pub fn sweep(r: &Report, g: &Group, lang: Lang) -> Vec<Chart> {
    vec![
        throughput(r, g, lang),
        p99(r, g, lang),
        cpu_per_request(r, g, lang),
        memory(r, g, lang),
        threads(r, g, lang),
    ]
}

/// The charts of one workload's section: the sweep group's are in its own
/// section, so only its spectrum is here.
pub fn of_group(r: &Report, g: &Group, lang: Lang) -> Vec<Chart> {
    let is_sweep = sweep_group(r).is_some_and(|s| s.label == g.label);
    let mut out = Vec::new();
    if !is_sweep {
        out.push(throughput(r, g, lang));
        out.push(p99(r, g, lang));
    }
    out.extend(spectrum(r, g, lang));
    out
}

/// Every chart of the report, in reading order.
pub fn all(r: &Report, lang: Lang) -> Vec<Chart> {
    let mut out = Vec::new();
    if let Some(g) = sweep_group(r) {
        out.extend(sweep(r, g, lang));
    }
    for g in &r.groups {
        out.extend(of_group(r, g, lang));
    }
    out
}
