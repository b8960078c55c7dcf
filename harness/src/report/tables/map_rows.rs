//! The decision map in text (title, header, cells, each figure's verdict
//! in words) and the ceilings table.

use super::rps;
use crate::lang::Lang;
use crate::output::human;
use crate::report::bounds;
use crate::report::map::{DecisionMap, MapCell, MapFigure, Winner};
use crate::report::model::Report;
use crate::report::verdict::model_label;
use crate::report::verdict::{Figure, Lead};

fn size(b: u64) -> String {
    human::bytes(b as f64).replace(".0", "")
}

/// "1.41x" for ratios; "1.3x" once they reach 10.
fn times(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}x")
    } else {
        format!("{v:.2}x")
    }
}

/// One figure of a map cell in words: the verdict first, then every model
/// against the leader, e.g. "event loop + pool leads 1.41x (1.28–1.78x):
/// event loop + pool 43k; blocking threads 0.47x; thread pool 0.15x", or
/// "tie: event loop + pool 43k = event loop 40k; thread pool 0.15x".
pub fn figure_text(f: &MapFigure, fig: Figure, lang: Lang) -> String {
    let value = |v: f64| match fig {
        Figure::Throughput => rps(v),
        Figure::P99 => human::duration_ns(v),
    };
    let head = match &f.winner {
        Winner::Model {
            model,
            margin,
            range,
            ..
        } => format!(
            "{} {} {} ({}–{})",
            model_label(*model, lang),
            lang.pick("leads by", "devant de"),
            times(*margin),
            times(range.0),
            times(range.1)
        ),
        Winner::Tie { .. } => lang.pick("tie", "égalité").to_string(),
        Winner::Unclear { .. } => lang
            .pick(
                "unclear (the repetitions disagree)",
                "incertain (les répétitions divergent)",
            )
            .to_string(),
        Winner::NotMeasured => {
            return match f.standings.first() {
                Some(s) => format!("{} {}", model_label(s.model, lang), value(s.median)),
                None => lang.pick("not measured", "non mesuré").to_string(),
            }
        }
    };
    let mut parts: Vec<String> = Vec::new();
    let leader = &f.standings[0];
    for s in &f.standings {
        let name = model_label(s.model, lang);
        let part = match &s.vs_leader {
            None => format!("{name} {}", value(s.median)),
            Some(_) if s.ties_leader() => format!("= {name} {}", value(s.median)),
            Some(c) if c.lead == Lead::Unclear => {
                let (lo, hi) = c.range();
                // The other model's figure relative to the leader's.
                let (lo, hi) = if fig.higher_better() {
                    (1.0 / hi, 1.0 / lo)
                } else {
                    (lo, hi)
                };
                format!(
                    "{name} {} ({}–{})",
                    times(s.relative(leader)),
                    times(lo),
                    times(hi)
                )
            }
            Some(_) => format!("{name} {}", times(s.relative(leader))),
        };
        parts.push(part);
    }
    // "a 43k = b 40k; c 0.47x": ties join the leader with "=".
    let mut text = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            text.push_str(if p.starts_with("= ") { " " } else { "; " });
        }
        text.push_str(p);
    }
    format!("{head}{} {text}", lang.pick(":", " :"))
}

pub fn map_title(m: &DecisionMap, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "Decision map: {}, {} in flight — who wins as waiting and computing per request grow",
            m.workload, m.concurrency
        ),
        Lang::Fr => format!(
            "Carte de décision : {}, {} en cours — qui gagne selon l'attente et le calcul par requête",
            m.workload, m.concurrency
        ),
    }
}

pub fn map_header(m: &DecisionMap, lang: Lang) -> Vec<String> {
    let mut h = vec![lang
        .pick("wait ↓ / hashing →", "attente ↓ / hachage →")
        .to_string()];
    h.extend(m.works.iter().map(|&w| size(w)));
    h
}

/// One cell of the map in text: requests per second, then p99.
pub fn map_cell_text(c: &MapCell, lang: Lang) -> String {
    format!(
        "{} — {}<br>p99 — {}",
        lang.pick("req/s", "requêtes/s"),
        figure_text(&c.throughput, Figure::Throughput, lang),
        figure_text(&c.p99, Figure::P99, lang)
    )
}

pub fn map_rows(m: &DecisionMap, lang: Lang) -> Vec<Vec<String>> {
    m.waits
        .iter()
        .map(|&wait| {
            let mut row = vec![wait_text(wait)];
            for &work in &m.works {
                row.push(
                    m.cell(wait, work)
                        .map_or("-".into(), |c| map_cell_text(c, lang)),
                );
            }
            row
        })
        .collect()
}

/// A wait as typed: `100 µs`, `2 ms`.
pub fn wait_text(ns: u64) -> String {
    let d = iobound_workloads::units::format_duration(std::time::Duration::from_nanos(ns));
    let split = d.find(|c: char| !c.is_ascii_digit()).unwrap_or(d.len());
    let (n, u) = d.split_at(split);
    format!("{n} {}", if u == "us" { "µs" } else { u })
}

pub fn map_note(lang: Lang) -> &'static str {
    lang.pick(
        "Each cell is one group of the run. For requests per second, then for p99, each model by its best engine: the leader and its figure, then every other model as a multiple of the leader's figure (0.47x: 47 % of its requests per second; for p99, 2.1x: a p99 2.1 times as long). \"Leads by\" needs the leader ahead of the next model in every repetition, by 5 % or more in the median one (the range is the smallest and largest of those per-repetition ratios); \"=\" joins models within 10 % of the leader in every repetition and not led by it; \"unclear\" means the repetitions disagree.",
        "Chaque case est un groupe de la mesure. Pour les requêtes par seconde, puis pour le p99, chaque modèle par son meilleur moteur : le premier et son chiffre, puis chaque autre modèle en multiple du chiffre du premier (0.47x : 47 % de ses requêtes par seconde ; pour le p99, 2.1x : un p99 2.1 fois plus long). « Devant de » exige que le premier devance le suivant à chaque répétition, d'au moins 5 % dans la répétition médiane (l'intervalle donne le plus petit et le plus grand de ces rapports par répétition) ; « = » réunit les modèles à moins de 10 % du premier à chaque répétition sans qu'il les devance ; « incertain » signifie que les répétitions divergent.",
    )
}

pub fn bounds_header(lang: Lang) -> [&'static str; 7] {
    [
        lang.pick("workload", "charge"),
        lang.pick("engine (model)", "moteur (modèle)"),
        "C",
        lang.pick("req/s", "requêtes/s"),
        lang.pick("ceiling req/s", "plafond requêtes/s"),
        lang.pick("lowest ceiling", "plafond le plus bas"),
        lang.pick("% reached", "% atteint"),
    ]
}

/// Every closed-loop group at its highest common concurrency: each engine
/// against its lowest ceiling.
pub fn bounds_rows(r: &Report, lang: Lang) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for g in r.groups.iter().filter(|g| !g.open_loop) {
        let Some(c) = g.highest_common() else {
            continue;
        };
        for e in &g.engines {
            let Some(p) = g.point(e, c) else { continue };
            let Some(ceil) = bounds::ceiling(r, g, p) else {
                continue;
            };
            rows.push(vec![
                g.label.clone(),
                format!(
                    "{e} ({})",
                    r.any_model_of(e).map_or("?", |m| model_label(m, lang))
                ),
                c.to_string(),
                rps(p.throughput.median),
                rps(ceil.limit.1),
                ceil.limit.0.label(lang).to_string(),
                format!("{:.0}", 100.0 * ceil.reached(p)),
            ]);
        }
    }
    rows
}
