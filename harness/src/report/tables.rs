//! The report's tables as rows of text cells, shared by the Markdown and
//! HTML renderers so both show the same numbers, formatted the same way, in
//! the report's one language.

use super::bounds;
use super::claims::{self, Claim, Side};
use super::map::{DecisionMap, MapCell, MapFigure, Winner};
use super::model::{Group, NotRun, Report};
use super::runtimes;
use super::runtimes::shared_models;
use super::verdict::{self, model_label};
use super::verdict::{Figure, Lead};
use crate::lang::Lang;
use crate::output::human;

/// Requests per second, whole.
pub fn rps(x: f64) -> String {
    format!("{x:.0}")
}

/// Nanoseconds shown as microseconds with one decimal.
pub fn us(ns: f64) -> String {
    format!("{:.1}", ns / 1e3)
}

/// Bytes as MiB with one decimal ("-" when unknown).
pub fn mib(b: f64) -> String {
    if b.is_finite() {
        format!("{:.1}", b / (1u64 << 20) as f64)
    } else {
        "-".into()
    }
}

/// The per-workload table's header; an open-loop group's second column is
/// the offered rate.
pub fn group_header(g: &Group, lang: Lang) -> Vec<&'static str> {
    let mut h = vec![
        lang.pick("engine", "moteur"),
        lang.pick("concurrency", "concurrence"),
        lang.pick("req/s (median)", "requêtes/s (médiane)"),
        lang.pick("req/s range", "écart requêtes/s"),
        "p50 µs",
        "p99 µs",
        "p99.9 µs",
        crate::output::human::CPU_PER_REQUEST,
        lang.pick("OS threads", "threads"),
        lang.pick("memory added MiB", "mémoire ajoutée Mio"),
        lang.pick("ceiling req/s", "plafond requêtes/s"),
        lang.pick("% of ceiling", "% du plafond"),
    ];
    if g.open_loop {
        h[1] = lang.pick("offered req/s", "requêtes/s offertes");
        h.push(lang.pick("p99 µs, uncorrected", "p99 µs, non corrigé"));
    }
    if g.has_server() {
        h.push(lang.pick("server CPU µs/req", "CPU serveur µs/req"));
    }
    h
}

/// One row per engine and concurrency.
pub fn group_rows(r: &Report, g: &Group, lang: Lang) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for e in &g.engines {
        for &c in &g.concurrencies {
            let Some(p) = g.point(e, c) else { continue };
            let range = if p.reps > 1 {
                format!(
                    "{}–{} ({} {})",
                    rps(p.throughput.min),
                    rps(p.throughput.max),
                    p.reps,
                    lang.pick("runs", "mesures")
                )
            } else {
                lang.pick("1 run", "1 mesure").to_string()
            };
            let ceiling = bounds::ceiling(r, g, p);
            rows.push(vec![
                e.clone(),
                c.to_string(),
                rps(p.throughput.median),
                range,
                us(p.p50_ns.median),
                us(p.p99_ns.median),
                us(p.p999_ns.median),
                crate::output::human::cpu_us(p.cpu_ns.median),
                format!("{:.0}", p.threads.median),
                mib(p.memory.median),
                ceiling.as_ref().map_or("-".into(), |c| rps(c.limit.1)),
                ceiling
                    .as_ref()
                    .map_or("-".into(), |c| format!("{:.0}", 100.0 * c.reached(p))),
            ]);
            let row = rows.last_mut().expect("pushed");
            if g.open_loop {
                row.push(p.p99_uncorrected_ns.map_or("-".into(), |u| us(u.median)));
            }
            if g.has_server() {
                row.push(
                    p.server_cpu_ns
                        .map_or("-".into(), |s| crate::output::human::cpu_us(s.median)),
                );
            }
        }
    }
    rows
}

/// An open-loop group's sustainable rate per engine: the highest offered
/// rate it carried (95 % or more of it completed) with p99 under the SLO,
/// and what stopped it at the next rate (its lowest ceiling there).
pub fn sustainable_text(r: &Report, g: &Group, lang: Lang) -> Option<String> {
    if !g.open_loop {
        return None;
    }
    let slo = g.params.slo_ns.map(|n| n as f64);
    let mut parts = Vec::new();
    for e in &g.engines {
        let points: Vec<_> = g
            .concurrencies
            .iter()
            .filter_map(|&x| g.point(e, x))
            .collect();
        let ok = |p: &super::model::Point| {
            p.throughput.median >= 0.95 * p.concurrency as f64
                && slo.map_or(true, |s| p.p99_ns.median <= s)
        };
        let best = points.iter().filter(|p| ok(p)).map(|p| p.concurrency).max();
        let first_fail = points
            .iter()
            .find(|p| !ok(p) && best.map_or(true, |b| b < p.concurrency));
        let head = match (best, lang) {
            (Some(x), Lang::En) => format!("{e}: {} req/s", rps(x as f64)),
            (Some(x), Lang::Fr) => format!("{e} : {} requêtes/s", rps(x as f64)),
            (None, Lang::En) => format!("{e}: none of the rates offered"),
            (None, Lang::Fr) => format!("{e} : aucun des débits offerts"),
        };
        let why = first_fail.map_or(String::new(), |p| {
            let kept_up = p.throughput.median >= 0.95 * p.concurrency as f64;
            let ceiling = bounds::ceiling(r, g, p);
            let limit = ceiling.as_ref().map_or(String::new(), |c| match lang {
                Lang::En => format!(
                    "; its lowest ceiling there, {}, is {} req/s",
                    c.limit.0.label(lang),
                    rps(c.limit.1)
                ),
                Lang::Fr => format!(
                    " ; son plus bas plafond là, {}, est de {} requêtes/s",
                    c.limit.0.label(lang),
                    rps(c.limit.1)
                ),
            });
            match (kept_up, lang) {
                (false, Lang::En) => format!(
                    " (at {} offered it completed {}{limit})",
                    rps(p.concurrency as f64),
                    rps(p.throughput.median)
                ),
                (false, Lang::Fr) => format!(
                    " (à {} offertes elle a fait {}{limit})",
                    rps(p.concurrency as f64),
                    rps(p.throughput.median)
                ),
                (true, Lang::En) => format!(
                    " (at {} offered its p99 was {}, past the SLO of {})",
                    rps(p.concurrency as f64),
                    human::duration_ns(p.p99_ns.median),
                    human::duration_ns(slo.unwrap_or(f64::NAN))
                ),
                (true, Lang::Fr) => format!(
                    " (à {} offertes son p99 était de {}, au-delà du SLO de {})",
                    rps(p.concurrency as f64),
                    human::duration_ns(p.p99_ns.median),
                    human::duration_ns(slo.unwrap_or(f64::NAN))
                ),
            }
        });
        parts.push(format!("{head}{why}"));
    }
    Some(match lang {
        Lang::En => format!(
            "Sustainable rate (the highest offered rate carried within 5 %{}): {}.",
            slo.map_or(String::new(), |s| format!(
                " with p99 under the {} SLO",
                human::duration_ns(s)
            )),
            parts.join("; ")
        ),
        Lang::Fr => format!(
            "Débit soutenable (le plus haut débit offert porté à 5 % près{}) : {}.",
            slo.map_or(String::new(), |s| format!(
                " avec un p99 sous le SLO de {}",
                human::duration_ns(s)
            )),
            parts.join(" ; ")
        ),
    })
}

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
                c.group.clone().unwrap_or_else(|| "-".into()),
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
        "Chaque case est un groupe de la mesure. Pour les requêtes par seconde, puis pour le p99, chaque modèle par son meilleur moteur : le premier et son chiffre, puis chaque autre modèle en multiple du chiffre du premier (0,47x : 47 % de ses requêtes par seconde ; pour le p99, 2,1x : un p99 2,1 fois plus long). « Devant de » exige que le premier devance le suivant à chaque répétition, d'au moins 5 % dans la répétition médiane (l'intervalle donne le plus petit et le plus grand de ces rapports par répétition) ; « = » réunit les modèles à moins de 10 % du premier à chaque répétition sans qu'il les devance ; « incertain » signifie que les répétitions divergent.",
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

pub fn runtimes_header(lang: Lang) -> [&'static str; 8] {
    [
        lang.pick("model", "modèle"),
        lang.pick("workload", "charge"),
        "C",
        lang.pick("engine", "moteur"),
        lang.pick("req/s", "requêtes/s"),
        "p99",
        lang.pick("CPU / request", "CPU / requête"),
        lang.pick("memory added", "mémoire ajoutée"),
    ]
}

pub fn runtime_rows(rows: &[runtimes::Row], lang: Lang) -> Vec<Vec<String>> {
    rows.iter()
        .map(|x| {
            vec![
                model_label(x.model, lang).to_string(),
                x.group.clone(),
                x.concurrency.to_string(),
                x.engine.clone(),
                rps(x.throughput),
                human::duration_ns(x.p99_ns),
                human::duration_ns(x.cpu_per_request_ns),
                if x.memory.is_finite() {
                    human::bytes(x.memory)
                } else {
                    "-".into()
                },
            ]
        })
        .collect()
}

pub fn not_run_header(lang: Lang) -> [&'static str; 3] {
    [
        lang.pick("cell", "cellule"),
        lang.pick("status", "état"),
        lang.pick("reason", "raison"),
    ]
}

/// The cells without results, with the figures an interrupted one kept for
/// the part it measured (left out of every median and verdict).
pub fn not_run_rows(r: &Report, lang: Lang) -> Vec<Vec<String>> {
    let row = |n: &NotRun| {
        let kept = n.kept.map_or(String::new(), |(secs, tput, p99)| match lang {
            Lang::En => format!(
                " — kept for the {secs:.1} s it measured: {} req/s, p99 {} (not in the medians)",
                rps(tput),
                human::duration_ns(p99)
            ),
            Lang::Fr => format!(
                " — gardé pour les {secs:.1} s mesurées : {} requêtes/s, p99 {} (hors des médianes)",
                rps(tput),
                human::duration_ns(p99)
            ),
        });
        vec![
            n.stem.clone(),
            n.status.clone(),
            format!("{}{kept}", n.reason),
        ]
    };
    r.not_run.iter().chain(&r.missing).map(row).collect()
}

/// One line under the title: the machine and how many repetitions.
pub fn short_facts(r: &Report, lang: Lang) -> String {
    let i = &r.info;
    match lang {
        Lang::En => format!(
            "{}; {} repetition{} of every cell (medians; ranges are min–max); run details at the end.",
            super::model::system_line(&i.system_json, lang),
            i.repeat,
            if i.repeat > 1 { "s" } else { "" }
        ),
        Lang::Fr => format!(
            "{} ; {} répétition{} de chaque cellule (médianes ; écarts min–max) ; détails de la mesure à la fin.",
            super::model::system_line(&i.system_json, lang),
            i.repeat,
            if i.repeat > 1 { "s" } else { "" }
        ),
    }
}

/// Why the machine was busy during a cell, in words.
fn busy_why(m: &crate::result::MachineLoad, lang: Lang) -> String {
    let mut why = Vec::new();
    if m.steal > crate::result::MachineLoad::STEAL_BUSY {
        why.push(match lang {
            Lang::En => format!("CPU steal {:.0} %", 100.0 * m.steal),
            Lang::Fr => format!("vol de CPU {:.0} %", 100.0 * m.steal),
        });
    }
    if m.other_cores > crate::result::MachineLoad::OTHER_BUSY {
        why.push(match lang {
            Lang::En => format!("other processes used {:.1} cores", m.other_cores),
            Lang::Fr => format!("d'autres processus ont pris {:.1} cœurs", m.other_cores),
        });
    }
    why.join(", ")
}

/// A warning naming the cells that ran on a busy machine (CPU steal, or
/// another process using a core), if any did.
pub fn busy_warning(r: &Report, lang: Lang) -> Option<String> {
    if r.busy.is_empty() {
        return None;
    }
    const SHOWN: usize = 8;
    let mut cells: Vec<String> = r
        .busy
        .iter()
        .take(SHOWN)
        .map(|(stem, m)| format!("{stem} ({})", busy_why(m, lang)))
        .collect();
    if r.busy.len() > SHOWN {
        cells.push(match lang {
            Lang::En => format!(
                "and {} more (summary.csv: machine_steal, machine_other_cores)",
                r.busy.len() - SHOWN
            ),
            Lang::Fr => format!(
                "et {} autres (summary.csv : machine_steal, machine_other_cores)",
                r.busy.len() - SHOWN
            ),
        });
    }
    let n = r.busy.len();
    Some(match lang {
        Lang::En => format!(
            "Warning: {n} cell{} ran while the machine was busy (CPU steal above 5 %, or other processes using more than half a core): {}. Their figures may be low; compare each with its other repetitions.",
            if n == 1 { "" } else { "s" },
            cells.join(", ")
        ),
        Lang::Fr => format!(
            "Attention : {n} cellule{} {} tourné pendant que la machine était occupée (vol de CPU au-delà de 5 %, ou d'autres processus utilisant plus d'un demi-cœur) : {}. Leurs chiffres peuvent être bas ; comparez chacune à ses autres répétitions.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "a" } else { "ont" },
            cells.join(", ")
        ),
    })
}

/// Lines of facts about the run, for the report's details.
pub fn run_facts(r: &Report, lang: Lang) -> Vec<String> {
    let i = &r.info;
    let mut v = vec![format!("{} {}", lang.pick("run", "mesure"), i.run_id)];
    if !i.suite.is_empty() {
        let d = if i.description.is_empty() {
            String::new()
        } else {
            format!(": {}", i.description)
        };
        v.push(format!("suite {}{d}", i.suite));
    }
    v.push(if i.repeat > 1 {
        match lang {
            Lang::En => format!("{} repetitions of every cell; figures are medians, ranges are min–max", i.repeat),
            Lang::Fr => format!("{} répétitions de chaque cellule ; les chiffres sont des médianes, les écarts min–max", i.repeat),
        }
    } else {
        lang.pick(
            "1 run of every cell (no repetition: spreads unknown, a lead under 10% is not called a win)",
            "1 mesure par cellule (pas de répétition : dispersion inconnue, une avance de moins de 10 % ne compte pas)",
        )
        .to_string()
    });
    v.push(format!(
        "{}{} {}",
        lang.pick("system", "système"),
        lang.pick(":", " :"),
        i.system
    ));
    let unpinned = i.pins.iter().all(|p| !p.contains('[') || p == "null");
    if unpinned && r.groups.iter().any(Group::has_server) {
        v.push(
            lang.pick(
                "placement: client and server were not pinned (--pin), so the scheduler placed them; whether they share a CPU changes a loopback round trip several-fold on a small VM, and each cell records where they ran",
                "placement : client et serveur n'étaient pas épinglés (--pin), l'ordonnanceur les a placés ; qu'ils partagent un CPU ou non change un aller-retour local de plusieurs fois sur une petite VM, et chaque cellule note où ils ont tourné",
            )
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

/// "How to read this": the few ideas every figure relies on.
pub fn how_to_read(r: &Report, lang: Lang) -> Vec<&'static str> {
    let repetitions = if r.info.repeat > 1 {
        lang.pick(
            "Repetitions: whole matrices repeat, so a slow minute of the machine moves every engine of a repetition together. Lines join the medians; whiskers span the min–max of the repetitions. Two sides are compared repetition by repetition (their ratio in each): a lead counts when one side is ahead in every repetition, by 5 % or more in the median one; a tie when they are within 10 % of each other in every repetition; otherwise the verdict is unclear (? : the repetitions disagree). Ratios in sentences are ratios of the medians (what the tables give); the per-repetition ratios the verdict reads are listed beside them.",
            "Répétitions : les matrices entières se répètent, si bien qu'une minute lente de la machine déplace ensemble tous les moteurs d'une répétition. Les lignes relient les médianes ; les moustaches couvrent le min–max des répétitions. Deux côtés se comparent répétition par répétition (leur rapport dans chacune) : une avance compte quand un côté devance l'autre à chaque répétition, d'au moins 5 % dans la répétition médiane ; une égalité quand ils restent à moins de 10 % l'un de l'autre à chaque répétition ; sinon le verdict est incertain (? : les répétitions divergent). Les rapports des phrases sont des rapports de médianes (ce que donnent les tables) ; les rapports par répétition que lit le verdict sont donnés à côté.",
        )
    } else {
        lang.pick(
            "One repetition: every cell ran once, so the noise is unknown and there are no whiskers; a lead counts only beyond 10 %, and anything closer is a tie. Run with --repeat 3 to see the spread.",
            "Une seule répétition : chaque cellule a tourné une fois, le bruit est donc inconnu et il n'y a pas de moustaches ; une avance ne compte qu'au-delà de 10 %, et tout écart plus petit est une égalité. Lancez avec --repeat 3 pour voir la dispersion.",
        )
    };
    vec![
        lang.pick(
            "Closed loop: C requests are in flight at all times; each slot sends its next request when the previous one returns. C is \"concurrency\" or \"in flight\".",
            "Boucle fermée : C requêtes sont en cours à tout moment ; chaque emplacement envoie sa requête suivante au retour de la précédente. C est la « concurrence », les requêtes « en cours ».",
        ),
        lang.pick(
            "In a closed loop, throughput = in flight / latency (Little's law): a model that lets C requests wait at once multiplies throughput by up to C.",
            "En boucle fermée, débit = en cours / latence (loi de Little) : un modèle qui laisse C requêtes attendre à la fois multiplie le débit jusqu'à C.",
        ),
        lang.pick(
            "p99: 99% of requests took less than this. Open-loop cells count latency from the intended start (coordinated omission corrected).",
            "p99 : 99 % des requêtes ont pris moins que cela. En boucle ouverte la latence compte depuis le départ prévu (omission coordonnée corrigée).",
        ),
        repetitions,
        lang.pick(
            "Log scale: axes marked \"log scale\" give each power of ten the same length.",
            "Échelle log : sur les axes marqués « échelle log », chaque puissance de dix a la même longueur.",
        ),
    ]
}

/// The model of each engine, as the run recorded it.
pub fn engines_line(r: &Report, lang: Lang) -> String {
    let parts: Vec<String> = r
        .models
        .iter()
        .map(|(e, m)| format!("{e} = {}", model_label(*m, lang)))
        .chain(
            r.python
                .iter()
                .map(|(e, m)| format!("{e} = {} ({})", model_label(*m, lang), "Python")),
        )
        .collect();
    format!(
        "{}{} {}",
        lang.pick("Engines and their models", "Moteurs et leurs modèles"),
        lang.pick(":", " :"),
        parts.join("; ")
    )
}

/// The class label of a group, as the renderers head its section. A
/// workload of I/O class whose reads all came from a warm page cache never
/// waited: it is said so, not called I/O-bound.
pub fn class_of(g: &Group, lang: Lang) -> &'static str {
    if g.page_cache_warm {
        return lang.pick(
            "warm page cache: nothing waits",
            "cache de pages chaud : rien n'attend",
        );
    }
    verdict::class_label(g.class, lang)
}

/// What the C10k section shows, its scale, where the figure comes from,
/// and C* for blocking threads.
pub fn c10k_text(r: &Report, g: &Group, lang: Lang) -> String {
    let (lo, hi) = (
        g.concurrencies.first().copied().unwrap_or(0),
        g.concurrencies.last().copied().unwrap_or(0),
    );
    let star = claims::common_top(r, g).map(|top| (claims::c_star(r, g, top), top));
    let star = match (star, lang) {
        (Some((Some(s), _)), Lang::En) => format!(" C* = {s}: the lowest concurrency measured from which blocking threads fell behind the event loop (paired by repetition) and stayed behind at every higher one."),
        (Some((Some(s), _)), Lang::Fr) => format!(" C* = {s} : la plus basse concurrence mesurée à partir de laquelle les threads bloquants décrochent de la boucle d'événements (répétition par répétition) et restent derrière à chaque concurrence plus haute."),
        (Some((None, top)), Lang::En) => format!(" C*: none up to {top} — blocking threads were not behind the event loop at every concurrency from one of them up to {top} in this run."),
        (Some((None, top)), Lang::Fr) => format!(" C* : aucun jusqu'à {top} — les threads bloquants ne sont restés derrière la boucle à aucune concurrence jusqu'à {top} dans cette mesure."),
        (None, Lang::En) => " C* is not measured: this sweep lacks an event loop or blocking threads.".to_string(),
        (None, Lang::Fr) => " C* n'est pas mesuré : il manque à ce balayage une boucle d'événements ou des threads bloquants.".to_string(),
    };
    match lang {
        Lang::En => format!(
            "{} swept from {lo} to {hi} requests in flight; the concurrency axis is on a log scale. It is the shape of the classic figure of thread-per-connection throughput against connections (Welsh, Culler and Brewer, SEDA, SOSP 2001, figure 2), measured here on the client side, with each engine's ceiling dashed beside its throughput: where a curve meets its ceiling, that ceiling (often the one-thread server) is what bends it.{star}",
            g.label
        ),
        Lang::Fr => format!(
            "{} balayé de {lo} à {hi} requêtes en cours ; l'axe de la concurrence est en échelle log. C'est la forme de la figure classique du débit d'un thread par connexion en fonction des connexions (Welsh, Culler et Brewer, SEDA, SOSP 2001, figure 2), mesurée ici côté client, avec le plafond de chaque moteur en tirets à côté de son débit : là où une courbe rejoint son plafond, c'est ce plafond (souvent le serveur à un thread) qui la plie.{star}",
            g.label
        ),
    }
}

/// What the runtimes section compares, or why it has nothing to compare.
pub fn runtimes_text(r: &Report, lang: Lang) -> String {
    let shared = shared_models(r);
    if shared.is_empty() {
        return match lang {
            Lang::En => format!(
                "Every model ran on one engine in this run ({}), so there are no runtimes of one model to compare. When a run has several (an event loop on epoll and one on io_uring, say), they are compared here at the lowest and highest concurrency they shared.",
                engines_line(r, lang)
            ),
            Lang::Fr => format!(
                "Chaque modèle n'a tourné que sur un moteur dans cette mesure ({}) : aucun environnement d'un même modèle à comparer. Quand une mesure en a plusieurs (une boucle sur epoll et une sur io_uring, par exemple), ils sont comparés ici à la plus basse et à la plus haute concurrence qu'ils partagent.",
                engines_line(r, lang)
            ),
        };
    }
    let list: Vec<String> = shared
        .iter()
        .map(|(m, e)| format!("{}: {}", model_label(*m, lang), e.join(", ")))
        .collect();
    match lang {
        Lang::En => format!(
            "Engines of one model, at the lowest and highest concurrency they shared in each workload: {}.",
            list.join("; ")
        ),
        Lang::Fr => format!(
            "Moteurs d'un même modèle, à la plus basse et à la plus haute concurrence partagées dans chaque charge : {}.",
            list.join(" ; ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::testing::report;

    /// Issue 16: cells that ran on a busy machine are named in a warning
    /// at the top of the report; a quiet run has none.
    #[test]
    fn a_busy_machine_is_named_cell_by_cell() {
        let mut r = report(2, &[], vec![]);
        assert_eq!(busy_warning(&r, Lang::En), None);
        let m = crate::result::MachineLoad {
            steal: 0.12,
            other_cores: 0.1,
            load_average: 2.0,
        };
        r.busy = (1..=10)
            .map(|i| (format!("db-web.threads.c{i}.r2"), m))
            .collect();
        let w = busy_warning(&r, Lang::En).unwrap();
        assert!(
            w.starts_with("Warning: 10 cells ran while the machine was busy"),
            "{w}"
        );
        assert!(
            w.contains("db-web.threads.c1.r2 (CPU steal 12 %)") && w.contains("and 2 more"),
            "{w}"
        );
        let fr = busy_warning(&r, Lang::Fr).unwrap();
        assert!(
            fr.starts_with("Attention : 10 cellules ont tourné")
                && fr.contains("(vol de CPU 12 %)"),
            "{fr}"
        );
    }
}
