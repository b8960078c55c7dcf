//! What advise writes: the predictions as printed before measuring, and
//! `advice.md` and `advice.html` (the answer, the calibration, the sweep
//! measured against the predictions).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use iobound_workloads::{Model, Script};

use super::answer::Measured;
use super::model::{Calibration, Prediction};
use crate::output::human::{cpu_us, duration_ns, rate};

/// The predictions, as printed before measuring.
pub(crate) fn prediction_lines(cal: &Calibration, preds: &[Prediction], c: usize) -> Vec<String> {
    let mut v = vec![format!(
        "Predicted at C={c} (closed loop; calibrated on {}: {} req/s at C=1, {} µs client + {} µs \
         server CPU per request at C={}, {} CPUs):",
        cal.engine,
        rate(cal.x1()),
        cpu_us(cal.client_cpu() * 1e9),
        cpu_us(cal.server_cpu() * 1e9),
        cal.loaded_c,
        cal.cores
    )];
    for p in preds {
        v.push(format!(
            "  {:<18} {:<9} {:>6} in flight  {:>8} req/s  limit: {}",
            p.model.label(),
            p.engine,
            p.in_flight,
            rate(p.limit.1),
            p.limit.0.label(crate::lang::Lang::En)
        ));
    }
    v
}

/// Everything the documents show.
pub(crate) struct Doc<'a> {
    pub(crate) script: &'a Script,
    pub(crate) c: usize,
    pub(crate) slo: Option<Duration>,
    pub(crate) cal: &'a Calibration,
    pub(crate) lines: &'a [String],
    pub(crate) predicted: &'a [String],
    pub(crate) sweep: &'a [(usize, Vec<Measured>, Vec<Prediction>)],
    pub(crate) runs: [&'a PathBuf; 2],
}

pub(crate) fn markdown(d: &Doc<'_>) -> String {
    let mut s = format!(
        "# Advice for `{}` at C={}\n\n{}\n\n",
        d.script.name,
        d.c,
        d.script.summary()
    );
    for l in d.lines {
        let _ = writeln!(s, "- {l}");
    }
    let _ = writeln!(
        s,
        "\n## Predicted against measured\n\nMedians of the repetitions; the prediction is the \
         lowest ceiling of a closed loop ({}).\n",
        d.slo.map_or("no SLO given".into(), |x| format!(
            "SLO: p99 ≤ {}",
            duration_ns(x.as_nanos() as f64)
        ))
    );
    let _ = writeln!(
        s,
        "| C | model | engine | predicted req/s | limit | measured req/s | measured / predicted | p99 | CPU µs/req (client + server) |\n|---:|---|---|---:|---|---:|---:|---:|---:|"
    );
    for (c, ms, ps) in d.sweep {
        for (m, p) in ms.iter().zip(ps) {
            let (x, ratio, p99, cpu) = if m.reps.is_empty() {
                (
                    format!("— ({})", m.skipped.as_deref().unwrap_or("no result")),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                )
            } else {
                (
                    rate(m.throughput()),
                    format!("{:.2}", m.throughput() / p.limit.1),
                    duration_ns(m.p99_ns()),
                    cpu_us(m.cpu_s * 1e9),
                )
            };
            let _ = writeln!(
                s,
                "| {c} | {} | {} | {} | {} | {x} | {ratio} | {p99} | {cpu} |",
                m.model.label(),
                m.engine,
                rate(p.limit.1),
                p.limit.0.label(crate::lang::Lang::En),
            );
        }
    }
    let _ = writeln!(s, "\n## Calibration\n");
    for l in d.predicted {
        let _ = writeln!(s, "    {l}");
    }
    let _ = writeln!(
        s,
        "\nPer repetition: throughput at C=1 {:?} req/s; client CPU per request {:?} µs.\n",
        d.cal.x1.iter().map(|x| x.round()).collect::<Vec<_>>(),
        d.cal
            .client_cpu_s
            .iter()
            .map(|x| (x * 1e7).round() / 10.0)
            .collect::<Vec<_>>()
    );
    let _ = writeln!(
        s,
        "## Run directories\n\n- calibration: `{}`\n- measurement: `{}`\n\n`iobound report DIR` \
         renders either again; `workload.toml` beside this file is the request measured.",
        d.runs[0].display(),
        d.runs[1].display()
    );
    s
}

pub(crate) fn html(d: &Doc<'_>) -> String {
    use crate::report::svg::{colour, esc, line_chart, Axis, Scale, Series};
    let mut series = Vec::new();
    let models: Vec<(Model, String)> = d
        .sweep
        .first()
        .map(|(_, ms, _)| ms.iter().map(|m| (m.model, m.engine.clone())).collect())
        .unwrap_or_default();
    for (i, (model, engine)) in models.iter().enumerate() {
        let pick = |j: usize| d.sweep.iter().map(move |(c, ms, ps)| (*c, &ms[j], &ps[j]));
        series.push(Series {
            name: format!("{} ({engine})", model.label()),
            colour: colour(i),
            points: pick(i)
                .filter(|(_, m, _)| !m.reps.is_empty())
                .map(|(c, m, _)| (c as f64, m.throughput()))
                .collect(),
            ranges: Vec::new(),
            dashed: false,
        });
        series.push(Series {
            name: format!("{} predicted", model.label()),
            colour: colour(i),
            points: pick(i).map(|(c, _, p)| (c as f64, p.limit.1)).collect(),
            ranges: Vec::new(),
            dashed: true,
        });
    }
    let x = Axis {
        label: "concurrency (requests in flight, log)".into(),
        scale: Scale::Log,
        ticks: d
            .sweep
            .iter()
            .map(|(c, _, _)| (*c as f64, c.to_string()))
            .collect(),
        fmt: |v| format!("{v:.0}"),
    };
    let y = Axis {
        label: "requests per second (log)".into(),
        scale: Scale::Log,
        ticks: Vec::new(),
        fmt: rate,
    };
    let chart = line_chart(
        "advice",
        &format!(
            "{}: measured (solid) and predicted ceilings (dashed)",
            d.script.name
        ),
        &x,
        &y,
        &series,
        "predicted ceiling",
    );
    // advice.md's tables as HTML tables; its other lines as paragraphs.
    let md = markdown(d);
    let mut body = String::new();
    let mut in_table = false;
    for line in md.lines().skip_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if line.starts_with('|') {
            if cells
                .iter()
                .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':')))
            {
                continue;
            }
            let tag = if in_table { "td" } else { "th" };
            if !in_table {
                body.push_str("<table>");
                in_table = true;
            }
            body.push_str("<tr>");
            for c in cells {
                let _ = write!(body, "<{tag}>{}</{tag}>", esc(c));
            }
            body.push_str("</tr>");
            continue;
        }
        if in_table {
            body.push_str("</table>");
            in_table = false;
        }
        if let Some(h) = line.strip_prefix("## ") {
            let _ = write!(body, "<h2>{}</h2>", esc(h));
        } else if line.starts_with("    ") {
            let _ = write!(body, "<pre>{}</pre>", esc(line.trim_start()));
        } else if !line.trim().is_empty() {
            let _ = write!(body, "<p>{}</p>", esc(line).replace('`', ""));
        }
    }
    if in_table {
        body.push_str("</table>");
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Advice: {}</title>\
         <style>body{{font-family:sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem}}\
         pre{{white-space:pre-wrap;margin:0}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;\
         padding:2px 6px;text-align:right}}</style></head><body><h1>Advice for {} at C={}</h1><ul>{}</ul>\
         {chart}{body}</body></html>\n",
        esc(&d.script.name),
        esc(&d.script.name),
        d.c,
        d.lines
            .iter()
            .map(|l| format!("<li>{}</li>", esc(l)))
            .collect::<String>(),
    )
}

/// advice.json: what advice.md shows, for scripts — the request, the
/// engines recommended (the answer's first line), the answer's lines, the
/// calibration, and each concurrency's measurements beside the predictions.
/// Figures a cell did not give (a model left out, a limit without a
/// ceiling) are null.
pub(crate) fn json(d: &Doc<'_>, recommended: &[String]) -> serde_json::Value {
    use serde_json::json;
    let ns = |s: f64| s * 1e9;
    let sweep: Vec<serde_json::Value> = d
        .sweep
        .iter()
        .map(|(c, measured, predicted)| {
            let measured: Vec<serde_json::Value> = measured
                .iter()
                .map(|m| {
                    let ran = !m.reps.is_empty();
                    json!({
                        "model": m.model.key(),
                        "engine": m.engine,
                        "throughput_rps": ran.then(|| m.throughput()),
                        "p99_ns": ran.then(|| m.p99_ns()),
                        "cpu_per_request_ns": ran.then(|| ns(m.cpu_s)),
                        "client_cpu_per_request_ns": ran.then(|| ns(m.client_cpu_s)),
                        "reps": m.reps.iter().map(|r| json!({
                            "rep": r.rep,
                            "throughput_rps": r.throughput,
                            "p99_ns": r.p99_ns,
                        })).collect::<Vec<_>>(),
                        "skipped": m.skipped,
                        "incomplete": m.incomplete,
                    })
                })
                .collect();
            let predicted: Vec<serde_json::Value> = predicted
                .iter()
                .map(|p| {
                    json!({
                        "model": p.model.key(),
                        "engine": p.engine,
                        "in_flight": p.in_flight,
                        "limit_rps": p.limit.1.is_finite().then_some(p.limit.1),
                        "limit": p.limit.0.label(crate::lang::Lang::En),
                    })
                })
                .collect();
            json!({ "concurrency": c, "measured": measured, "predicted": predicted })
        })
        .collect();
    json!({
        "request": { "name": d.script.name, "summary": d.script.summary() },
        "concurrency": d.c,
        "slo_ns": d.slo.map(|s| s.as_nanos() as u64),
        "recommended": recommended,
        "answer": d.lines,
        // The prediction lines as printed, with `--cores N`'s block (an
        // outsider found those predictions nowhere in this document).
        "predictions": d.predicted,
        "calibration": {
            "engine": d.cal.engine,
            "throughput_at_1_rps": d.cal.x1(),
            "loaded_concurrency": d.cal.loaded_c,
            "client_cpu_per_request_ns": ns(d.cal.client_cpu()),
            "server_cpu_per_request_ns": ns(d.cal.server_cpu()),
            "cores": d.cal.cores,
            "server_threads": d.cal.server_threads,
        },
        "sweep": sweep,
        "runs": [d.runs[0], d.runs[1]],
    })
}
