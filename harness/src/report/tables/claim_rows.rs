//! The claims tables: one row per claim, and both sides of each with
//! their numbers.

use super::rps;
use crate::lang::Lang;
use crate::output::human;
use crate::report::claims::{self, Claim, Side};
use crate::report::verdict::model_label;

/// The claims table's header; with Python claims, a column for them.
pub fn claims_header(python: bool, lang: Lang) -> Vec<&'static str> {
    let mut h = vec![
        "",
        lang.pick("claim", "affirmation"),
        lang.pick("measured", "mesure"),
        lang.pick("why", "pourquoi"),
    ];
    if python {
        h.push(lang.pick("in Python", "en Python"));
    }
    h
}

/// One row per claim; with `python` (the same claims judged on the Python
/// engines), their verdict and number in a last column.
pub fn claims_rows(cs: &[Claim], python: Option<&[Claim]>, lang: Lang) -> Vec<Vec<String>> {
    cs.iter()
        .map(|c| {
            let mut row = vec![
                format!("{} {}", c.verdict.symbol(), c.verdict.text(lang)),
                claims::statement(c.id, lang).to_string(),
                claims::number(c, lang),
                claims::why(c, lang),
            ];
            if let Some(py) = python {
                row.push(py.iter().find(|p| p.id == c.id).map_or(
                    String::new(),
                    |p| match p.verdict {
                        claims::Verdict::NotMeasured => "–".to_string(),
                        _ => format!(
                            "{} {}{}{}{}",
                            p.verdict.symbol(),
                            p.verdict.text(lang),
                            lang.pick(": ", " : "),
                            claims::number(p, lang),
                            p.a.as_ref().map_or(String::new(), |a| format!(
                                " ({}{}{})",
                                p.group.as_deref().map_or(String::new(), |g| format!("{g}, ")),
                                a.engine,
                                p.b.as_ref().map_or(String::new(), |b| format!(" / {}", b.engine))
                            ))
                        ),
                    },
                ));
            }
            row
        })
        .collect()
}

pub fn claim_detail_header(lang: Lang) -> [&'static str; 10] {
    [
        lang.pick("claim", "affirmation"),
        lang.pick("workload", "charge"),
        lang.pick("side", "côté"),
        lang.pick("engine", "moteur"),
        "C",
        lang.pick("req/s", "requêtes/s"),
        "p99",
        lang.pick("CPU / request", "CPU / requête"),
        lang.pick("OS threads", "threads"),
        lang.pick("memory added", "mémoire ajoutée"),
    ]
}

/// Both sides of every measured claim, with their numbers.
pub fn claim_detail_rows(cs: &[Claim], lang: Lang) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (i, c) in cs.iter().enumerate() {
        let sides: Vec<&Side> = [&c.a, &c.b, &c.extra].into_iter().flatten().collect();
        for s in sides {
            let range = if s.reps > 1 {
                format!(
                    "{} ({}–{})",
                    rps(s.throughput.median),
                    rps(s.throughput.min),
                    rps(s.throughput.max)
                )
            } else {
                rps(s.throughput.median)
            };
            rows.push(vec![
                format!("{}. {}", i + 1, c.verdict.symbol()),
                c.sides_group.clone().unwrap_or_else(|| "-".into()),
                model_label(s.model, lang).to_string(),
                s.engine.clone(),
                s.concurrency.to_string(),
                range,
                human::duration_ns(s.p99_ns.median),
                human::duration_ns(s.cpu_per_request_ns),
                format!("{:.0}", s.threads),
                if s.memory.is_finite() {
                    human::bytes(s.memory)
                } else {
                    "-".into()
                },
            ]);
        }
    }
    rows
}
