//! The sentences under "Predicted vs measured": how often the model
//! holds, by the ceiling it named, one sentence per kind of gap (from its
//! farthest row) and what was not predicted.

use super::super::rps;
use super::pct;
use super::why::{above_why, below_why, by_chance_why};
use crate::lang::Lang;
use crate::report::bounds::Bound;
use crate::report::predict::{holds, Above, Below, Reading, Row, Section, HOLDS};

/// The kinds of reading the sentences go through, in order.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    ByChance,
    Server,
    Cpus,
    Disk,
    Serialised,
    BelowUnknown,
    Busy,
    CpuFell,
    Faster,
    AboveUnknown,
}

fn kind(r: &Reading) -> Option<Kind> {
    Some(match r {
        Reading::Holds => return None,
        Reading::HoldsByChance { .. } => Kind::ByChance,
        Reading::Below(Below::Server { .. }) => Kind::Server,
        Reading::Below(Below::Cpus { .. }) => Kind::Cpus,
        Reading::Below(Below::Disk { .. }) => Kind::Disk,
        Reading::Below(Below::Serialised { .. }) => Kind::Serialised,
        Reading::Below(Below::Unknown { .. }) => Kind::BelowUnknown,
        Reading::Below(Below::Busy { .. }) => Kind::Busy,
        Reading::Above(Above::CpuFell { .. }) => Kind::CpuFell,
        Reading::Above(Above::FasterThanAlone { .. }) => Kind::Faster,
        Reading::Above(Above::Unknown) => Kind::AboveUnknown,
    })
}

/// "group, engine at C = c: X req/s, P % of the Y predicted".
fn example(row: &Row, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "{}, {} at C = {}: {} req/s, {} % of the {} predicted",
            row.group,
            row.engine,
            row.concurrency,
            rps(row.measured),
            pct(row),
            rps(row.prediction.limit.1)
        ),
        Lang::Fr => format!(
            "{}, {} à C = {} : {} requêtes/s, {} % des {} prédites",
            row.group,
            row.engine,
            row.concurrency,
            rps(row.measured),
            pct(row),
            rps(row.prediction.limit.1)
        ),
    }
}

/// The sentence for every row of one kind, from its farthest row.
fn kind_sentence(k: Kind, rows: &[&Row], lang: Lang) -> String {
    // How far a row is: from the prediction, or, for a prediction right by
    // chance, from the ceiling the cell's own CPU gives.
    let gap = |r: &Row| match k {
        Kind::ByChance => r.in_cell_ratio().unwrap_or(1.0).ln().abs(),
        _ => r.ratio().ln().abs(),
    };
    let far = rows
        .iter()
        .max_by(|a, b| gap(a).total_cmp(&gap(b)))
        .expect("one row or more");
    let (n, ex) = (rows.len(), example(far, lang));
    let in_cell = rows
        .iter()
        .filter(|r| r.in_cell_ratio().is_some_and(holds))
        .count();
    // "point" is the same word in both languages.
    let points = format!("{n} point{}", if n > 1 { "s" } else { "" });
    let lead = match k {
        Kind::ByChance => lang.pick(
            "Within the prediction, by chance",
            "Dans la marge de la prédiction, par hasard",
        ),
        Kind::Busy => lang.pick(
            "Below the prediction on a busy machine",
            "Sous la prédiction, sur une machine occupée",
        ),
        Kind::Server => lang.pick(
            "Below the prediction, the server at its own ceiling",
            "Sous la prédiction, le serveur à son propre plafond",
        ),
        Kind::Cpus => lang.pick(
            "Below the prediction, the CPUs saturated",
            "Sous la prédiction, les CPU saturés",
        ),
        Kind::Disk => lang.pick(
            "Below the prediction, the disk (O_DIRECT)",
            "Sous la prédiction, le disque (O_DIRECT)",
        ),
        Kind::Serialised => lang.pick(
            "Below the prediction, one core at a time",
            "Sous la prédiction, un cœur à la fois",
        ),
        Kind::BelowUnknown => lang.pick(
            "Below the prediction, for no reason this run measured",
            "Sous la prédiction, sans cause mesurée ici",
        ),
        Kind::CpuFell | Kind::Faster => lang.pick(
            "Above the prediction, which was too pessimistic",
            "Au-dessus de la prédiction, trop pessimiste",
        ),
        Kind::AboveUnknown => lang.pick(
            "Above the prediction, for no reason this run measured",
            "Au-dessus de la prédiction, sans cause mesurée ici",
        ),
    };
    let head = match lang {
        Lang::En => format!("{lead} ({points}; farthest: {ex})"),
        Lang::Fr => format!("{lead} ({points} ; le plus loin : {ex})"),
    };
    match far.reading {
        Reading::Below(b) => below_why(b, &head, lang),
        Reading::Above(a) => above_why(a, &head, in_cell, n, lang),
        Reading::HoldsByChance { in_cell } => by_chance_why(in_cell, far.measured, &head, lang),
        // Rows that hold have no kind, so no sentence of their own.
        Reading::Holds => String::new(),
    }
}

/// How often the prediction was within [`HOLDS`], by the ceiling it named:
/// the waits, the CPUs (the loop's core or the machine's), the server.
fn by_bound(s: &Section, lang: Lang) -> String {
    let within = |f: &dyn Fn(Bound) -> bool| {
        let rows: Vec<&Row> = s.rows.iter().filter(|r| f(r.prediction.limit.0)).collect();
        let ok = rows.iter().filter(|r| holds(r.ratio())).count();
        (ok, rows.len())
    };
    let parts: Vec<String> = [
        (
            within(&|b| matches!(b, Bound::Waiting | Bound::Connections)),
            lang.pick(
                "by the waits (Little's law)",
                "par les attentes (loi de Little)",
            ),
        ),
        (
            within(&|b| matches!(b, Bound::Cores | Bound::Machine)),
            lang.pick("by the CPUs", "par les CPU"),
        ),
        (
            within(&|b| b == Bound::Server),
            lang.pick("by the server", "par le serveur"),
        ),
    ]
    .into_iter()
    .filter(|((_, n), _)| *n > 0)
    .map(|((ok, n), by)| match lang {
        Lang::En => format!("{ok} of the {n} predicted {by}"),
        Lang::Fr => format!("{ok} des {n} prédits {by}"),
    })
    .collect();
    let list = match parts.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {} {last}", rest.join(", "), lang.pick("and", "et")),
        None => String::new(),
    };
    match lang {
        Lang::En => format!(
            "By the ceiling the prediction named, it was within {:.0} % at {list}.",
            100.0 * HOLDS
        ),
        Lang::Fr => format!(
            "Selon le plafond que nommait la prédiction, elle était à {:.0} % près en {list}.",
            100.0 * HOLDS
        ),
    }
}

/// Where the model holds, one sentence per kind of gap, and what was not
/// predicted.
pub fn predict_sentences(s: &Section, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    let n = s.rows.len();
    if n == 0 {
        out.push(
            lang.pick(
                "No closed-loop group of this run has a C = 1 cell to predict from.",
                "Aucun groupe en boucle fermée de cette mesure n'a de cellule à C = 1 d'où prédire.",
            )
            .to_string(),
        );
    } else {
        let count = |f: &dyn Fn(&Reading) -> bool| s.rows.iter().filter(|r| f(&r.reading)).count();
        let ok = count(&|r| matches!(r, Reading::Holds | Reading::HoldsByChance { .. }));
        let below = count(&|r| matches!(r, Reading::Below(_)));
        let above = count(&|r| matches!(r, Reading::Above(_)));
        let mut groups: Vec<&str> = s.rows.iter().map(|r| r.group.as_str()).collect();
        groups.dedup();
        let h = 100.0 * HOLDS;
        let in_cell = s
            .rows
            .iter()
            .filter(|r| r.in_cell_ratio().is_some_and(holds))
            .count();
        out.push(match lang {
            Lang::En => format!(
                "The model holds within {h:.0} % at {ok} of the {n} points predicted ({} workloads); the measurement is below the prediction at {below} and above it at {above}. Fed with each cell's own CPU per request instead of the C = 1 figure (the last column), it holds at {in_cell} of the {n}.",
                groups.len()
            ),
            Lang::Fr => format!(
                "Le modèle tient à {h:.0} % près en {ok} des {n} points prédits ({} charges) ; la mesure est sous la prédiction en {below} et au-dessus en {above}. Nourri du CPU par requête de chaque cellule au lieu du chiffre à C = 1 (dernière colonne), il tient en {in_cell} des {n}.",
                groups.len()
            ),
        });
    }
    if n > 0 {
        out.push(by_bound(s, lang));
    }
    for k in [
        Kind::ByChance,
        Kind::Server,
        Kind::Cpus,
        Kind::Disk,
        Kind::Serialised,
        Kind::BelowUnknown,
        Kind::Busy,
        Kind::CpuFell,
        Kind::Faster,
        Kind::AboveUnknown,
    ] {
        let rows: Vec<&Row> = s
            .rows
            .iter()
            .filter(|r| kind(&r.reading) == Some(k))
            .collect();
        if !rows.is_empty() {
            out.push(kind_sentence(k, &rows, lang));
        }
    }
    if !s.unpredicted.is_empty() {
        let list: Vec<String> = s
            .unpredicted
            .iter()
            .map(|(g, engines)| {
                if engines.is_empty() {
                    g.clone()
                } else {
                    format!("{g} ({})", engines.join(", "))
                }
            })
            .collect();
        out.push(match lang {
            Lang::En => format!(
                "Not predicted, for want of a C = 1 cell to start from: {}.",
                list.join("; ")
            ),
            Lang::Fr => format!(
                "Non prédits, faute d'une cellule à C = 1 d'où partir : {}.",
                list.join(" ; ")
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use iobound_workloads::Model;

    use super::super::predict_rows;
    use super::super::tests::row;
    use super::*;
    use crate::report::predict::Side;

    fn with(mut r: Row, reading: Reading) -> Row {
        r.reading = reading;
        r
    }

    fn one(r: Row, lang: Lang) -> String {
        let s = Section {
            rows: vec![r],
            unpredicted: vec![],
        };
        let mut out = predict_sentences(&s, lang);
        assert_eq!(out.len(), 3, "{out:?}");
        out.remove(2)
    }

    #[test]
    fn the_first_sentence_counts_where_the_model_holds() {
        let empty = Section::default();
        assert_eq!(
            predict_sentences(&empty, Lang::En),
            ["No closed-loop group of this run has a C = 1 cell to predict from."]
        );
        let mut held = row(Model::BlockingThreads, 10.0, 100.0, 0.0, 600.0);
        held.in_cell = Some(640.0);
        let below = with(
            row(Model::BlockingThreads, 10.0, 100.0, 0.0, 100.0),
            Reading::Below(Below::Unknown {
                here_s: 0.64,
                alone_s: 0.1,
            }),
        );
        let s = Section {
            rows: vec![held, below],
            unpredicted: vec![],
        };
        let out = predict_sentences(&s, Lang::En);
        assert_eq!(
            out[0],
            "The model holds within 20 % at 1 of the 2 points predicted (1 workloads); the measurement is below the prediction at 1 and above it at 0. Fed with each cell's own CPU per request instead of the C = 1 figure (the last column), it holds at 1 of the 2."
        );
        assert!(predict_sentences(&s, Lang::Fr)[0]
            .starts_with("Le modèle tient à 20 % près en 1 des 2 points prédits"));
        // The table row: the ratio and the reading.
        let rows = predict_rows(&s, Lang::En);
        assert_eq!(
            rows[0][3..],
            [
                "640",
                "in flight: 64 × 10 req/s",
                "600",
                "94",
                "holds",
                "94"
            ]
        );
        assert_eq!(rows[1][6..], ["16", "below: ?", "-"]);
    }

    #[test]
    fn the_second_sentence_counts_by_the_ceiling_named() {
        let waits = row(Model::BlockingThreads, 10.0, 100.0, 0.0, 600.0);
        let server = row(Model::BlockingThreads, 1000.0, 10.0, 200.0, 20_000.0);
        let cpus = row(Model::EventLoop, 1000.0, 100.0, 0.0, 9_000.0);
        assert_eq!(server.prediction.limit.0, Bound::Server);
        assert_eq!(cpus.prediction.limit.0, Bound::Cores);
        let s = |rows: Vec<Row>| Section {
            rows,
            unpredicted: vec![],
        };
        assert_eq!(
            predict_sentences(&s(vec![waits.clone(), cpus.clone(), server.clone()]), Lang::En)[1],
            "By the ceiling the prediction named, it was within 20 % at 1 of the 1 predicted by the waits (Little's law), 1 of the 1 predicted by the CPUs and 0 of the 1 predicted by the server."
        );
        assert_eq!(
            predict_sentences(&s(vec![server]), Lang::Fr)[1],
            "Selon le plafond que nommait la prédiction, elle était à 20 % près en 0 des 1 prédits par le serveur."
        );
        assert_eq!(
            predict_sentences(&s(vec![waits, cpus]), Lang::En)[1],
            "By the ceiling the prediction named, it was within 20 % at 1 of the 1 predicted by the waits (Little's law) and 1 of the 1 predicted by the CPUs."
        );
    }

    #[test]
    fn below_the_server_says_how_busy_its_threads_were() {
        let r = with(
            row(Model::BlockingThreads, 1000.0, 10.0, 100.0, 5000.0),
            Reading::Below(Below::Server {
                busy: 0.9,
                threads: 1,
            }),
        );
        assert_eq!(
            one(r.clone(), Lang::En),
            "Below the prediction, the server at its own ceiling (1 point; farthest: db-web, e at C = 64: 5000 req/s, 50 % of the 10000 predicted): the server's 1 thread was busy 90 % of the time, so the server, not the client's model, set the pace."
        );
        assert!(one(r, Lang::Fr).contains("1 thread du serveur occupé 90 % du temps"));
        let four = with(
            row(Model::BlockingThreads, 1000.0, 10.0, 100.0, 5000.0),
            Reading::Below(Below::Server {
                busy: 0.85,
                threads: 4,
            }),
        );
        assert!(one(four, Lang::En).contains("the server's 4 threads were busy 85 %"));
    }

    #[test]
    fn below_saturated_cpus_names_context_switches_only_when_cpu_per_request_rose() {
        let cpus = |here_s| {
            with(
                row(Model::BlockingThreads, 1000.0, 100.0, 0.0, 10_000.0),
                Reading::Below(Below::Cpus {
                    used: 1.9,
                    of: 2.0,
                    here_s,
                    alone_s: 100e-6,
                }),
            )
        };
        let rose = one(cpus(190e-6), Lang::En);
        assert!(rose.contains("1.9 of the 2 cores it can use were busy, and a request cost 190.0 µs of client CPU against 100.0 µs alone"), "{rose}");
        assert!(rose.contains("context switches"));
        let flat = one(cpus(100e-6), Lang::En);
        assert!(flat.contains("though a request cost 100.0 µs"), "{flat}");
        assert!(!flat.contains("context switches"));
        assert!(one(cpus(190e-6), Lang::Fr).contains("changements de contexte"));
        assert!(!one(cpus(100e-6), Lang::Fr).contains("changements de contexte"));
    }

    #[test]
    fn below_the_disk_one_core_or_nothing_known_each_say_their_figures() {
        let base = || row(Model::BlockingThreads, 1000.0, 100.0, 0.0, 5000.0);
        let disk = one(
            with(
                base(),
                Reading::Below(Below::Disk {
                    here_s: 64.0 / 5000.0,
                    alone_s: 1e-3,
                }),
            ),
            Lang::En,
        );
        assert!(disk.starts_with("Below the prediction, the disk (O_DIRECT) (1 point; farthest: db-web, e at C = 64: 5000 req/s, 25 % of the 20000 predicted): a request spent 12.80ms in flight against 1.00ms alone"), "{disk}");
        let serial = one(
            with(
                base(),
                Reading::Below(Below::Serialised { used: 1.0, of: 2.0 }),
            ),
            Lang::En,
        );
        assert!(
            serial.contains("the machine's 2 CPUs, and it kept 1.0 busy"),
            "{serial}"
        );
        let unknown = one(
            with(
                base(),
                Reading::Below(Below::Unknown {
                    here_s: 64.0 / 5000.0,
                    alone_s: 1e-3,
                }),
            ),
            Lang::Fr,
        );
        assert!(unknown.starts_with("Sous la prédiction, sans cause mesurée ici (1 point ; le plus loin : db-web, e à C = 64 : 5000 requêtes/s, 25 % des 20000 prédites)"), "{unknown}");
        assert!(unknown.contains("12.80ms contre 1.00ms seule"));
    }

    #[test]
    fn above_says_why_the_prediction_was_pessimistic() {
        let mut fell = with(
            row(Model::EventLoop, 1000.0, 100.0, 0.0, 20_000.0),
            Reading::Above(Above::CpuFell {
                side: Side::Client,
                alone_s: 100e-6,
                here_s: 40e-6,
            }),
        );
        fell.in_cell = Some(25_000.0);
        let en = one(fell.clone(), Lang::En);
        assert!(en.starts_with("Above the prediction, which was too pessimistic (1 point; farthest: db-web, e at C = 64: 20000 req/s, 200 % of the 10000 predicted): it divided by the client's CPU a lone request cost (100.0 µs), and here a request cost 40.0 µs"), "{en}");
        assert!(en.contains("within 20 % of the measurement at 1 of these 1 points"));
        assert!(one(fell, Lang::Fr)
            .contains("le CPU du client qu'une requête seule a coûté (100.0 µs)"));
        let faster = one(
            with(
                row(Model::Pool, 100.0, 10.0, 0.0, 300.0),
                Reading::Above(Above::FasterThanAlone {
                    here_s: 2.0 / 300.0,
                    alone_s: 0.01,
                }),
            ),
            Lang::En,
        );
        assert!(
            faster.contains("as long as one alone (10.00ms), and here each held its place 6.67ms"),
            "{faster}"
        );
        let unknown = one(
            with(
                row(Model::EventLoop, 1000.0, 100.0, 0.0, 20_000.0),
                Reading::Above(Above::Unknown),
            ),
            Lang::En,
        );
        assert!(unknown.starts_with("Above the prediction, for no reason this run measured"));
    }

    #[test]
    fn a_prediction_right_by_chance_gives_the_cells_own_ceiling() {
        let mut r = with(
            row(Model::BlockingThreads, 1000.0, 100.0, 0.0, 20_000.0),
            Reading::HoldsByChance { in_cell: 64_000.0 },
        );
        r.in_cell = Some(64_000.0);
        let en = one(r, Lang::En);
        assert!(
            en.starts_with("Within the prediction, by chance (1 point;"),
            "{en}"
        );
        assert!(en.contains("that ceiling is 64000 req/s, and the measurement reached 31 % of it"));
    }

    #[test]
    fn the_farthest_row_is_the_example_and_what_was_not_predicted_is_listed() {
        let below = |m: f64| {
            with(
                row(Model::BlockingThreads, 10.0, 100.0, 0.0, m),
                Reading::Below(Below::Unknown {
                    here_s: 1.0,
                    alone_s: 0.1,
                }),
            )
        };
        let s = Section {
            rows: vec![below(300.0), below(100.0), below(400.0)],
            unpredicted: vec![
                ("mixed-db".into(), vec![]),
                ("cpu-hash".into(), vec!["procs".into(), "tokio".into()]),
            ],
        };
        let out = predict_sentences(&s, Lang::En);
        assert!(
            out[2].contains(
                "(3 points; farthest: db-web, e at C = 64: 100 req/s, 16 % of the 640 predicted)"
            ),
            "{}",
            out[2]
        );
        assert_eq!(
            out[3],
            "Not predicted, for want of a C = 1 cell to start from: mixed-db; cpu-hash (procs, tokio)."
        );
    }
}
