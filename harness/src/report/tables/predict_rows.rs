//! The words of "Predicted vs measured": its title, how the prediction is
//! made, one row per predicted point and the sentences that say where the
//! simple model of waits and cores holds and what the run shows where it
//! does not. Every sentence is built from the figures it states.

use super::rps;
use crate::lang::Lang;
use crate::output::human::{cpu_us, duration_ns};
use crate::report::bounds::Bound;
use crate::report::predict::{holds, Above, Below, Reading, Row, Section, Side, HOLDS, SATURATED};
use crate::report::verdict::model_label;

pub fn predict_title(lang: Lang) -> &'static str {
    lang.pick("Predicted vs measured", "Prédit contre mesuré")
}

/// How the prediction is made, and how to read a row.
pub fn predict_intro(lang: Lang) -> String {
    let h = 100.0 * HOLDS;
    match lang {
        Lang::En => format!(
            "The simple model of waits and cores, fed only with each engine's own cell at C = 1 (its throughput alone, and the CPU a lone request cost the client and the server), predicts its throughput at every higher concurrency it ran: the lowest of C waits in flight (a pool: its workers) × the throughput at C = 1 (Little's law), the event loop's one core / the client CPU per request, the machine's CPUs / the client and server CPU per request, and the server's threads / its CPU per request. This is iobound advise's predictor, which advise feeds the CPU of a loaded cell; a report has only C = 1 to feed it. \"Holds\" means measured within {h:.0} % of predicted; \"holds, by chance\" that it held while the cell's own CPU gives another ceiling it stayed far from; otherwise the reading names what the run shows: below, the server's threads or the CPUs {s:.0} % busy or more, the disk (O_DIRECT), a client that kept fewer cores busy than the prediction gave it (one core at a time), a repetition on a busy machine, or \"?\" (none of these); above, CPU per request that fell below its C = 1 figure, requests faster together than alone, or \"?\". The last column sets the measurement against the same model fed with the cell's own CPU per request (the ceilings of the tables by workload): where it holds there and not against the prediction, the model was right and its C = 1 figures were not.",
            s = 100.0 * SATURATED
        ),
        Lang::Fr => format!(
            "Le modèle simple des attentes et des cœurs, nourri seulement de la cellule à C = 1 de chaque moteur (son débit seul, et le CPU qu'une requête seule a coûté au client et au serveur), prédit son débit à chaque concurrence plus haute mesurée : le plus bas entre C attentes en cours (un pool : ses travailleurs) × le débit à C = 1 (loi de Little), le cœur unique de la boucle d'événements / le CPU client par requête, les CPU de la machine / le CPU client et serveur par requête, et les threads du serveur / son CPU par requête. C'est le prédicteur d'iobound advise, qui le nourrit du CPU d'une cellule chargée ; un rapport n'a que C = 1 pour le nourrir. « Tient » veut dire mesuré à {h:.0} % près de la prédiction ; « tient, par hasard » qu'il a tenu alors que le CPU de la cellule donne un autre plafond, resté loin ; sinon la lecture nomme ce que montre la mesure : en dessous, les threads du serveur ou les CPU occupés à {s:.0} % ou plus, le disque (O_DIRECT), un client qui a occupé moins de cœurs que la prédiction ne lui en donnait (un cœur à la fois), une répétition sur une machine occupée, ou « ? » (rien de cela) ; au-dessus, un CPU par requête tombé sous son chiffre à C = 1, des requêtes plus rapides ensemble que seules, ou « ? ». La dernière colonne compare la mesure au même modèle nourri du CPU par requête de la cellule elle-même (les plafonds des tables par charge) : là où il tient ainsi mais pas face à la prédiction, le modèle était juste et ses chiffres à C = 1 ne l'étaient pas.",
            s = 100.0 * SATURATED
        ),
    }
}

pub fn predict_header(lang: Lang) -> [&'static str; 9] {
    [
        lang.pick("workload", "charge"),
        lang.pick("engine (model)", "moteur (modèle)"),
        "C",
        lang.pick("predicted req/s", "requêtes/s prédites"),
        lang.pick("predicted from C = 1", "prédit à partir de C = 1"),
        lang.pick("measured req/s", "requêtes/s mesurées"),
        lang.pick("measured / predicted %", "mesuré / prédit %"),
        lang.pick("reading", "lecture"),
        lang.pick(
            "% of the ceiling with the cell's CPU",
            "% du plafond avec le CPU de la cellule",
        ),
    ]
}

/// CPU seconds per request, as "12.3 µs".
fn cpu(s: f64) -> String {
    format!("{} µs", cpu_us(s * 1e9))
}

/// The formula of the lowest ceiling, with the C = 1 figures it used.
fn formula(row: &Row, lang: Lang) -> String {
    let cal = &row.cal;
    let (client, server) = (cal.client_cpu(), cal.server_cpu());
    match (row.prediction.limit.0, lang) {
        (Bound::Waiting | Bound::Connections, Lang::En) => format!(
            "waits: {} × {} req/s",
            row.prediction.in_flight,
            rps(cal.x1())
        ),
        (Bound::Waiting | Bound::Connections, Lang::Fr) => format!(
            "attente : {} × {} requêtes/s",
            row.prediction.in_flight,
            rps(cal.x1())
        ),
        (Bound::Cores, Lang::En) => format!("loop's core: 1 / {}", cpu(client)),
        (Bound::Cores, Lang::Fr) => format!("cœur de la boucle : 1 / {}", cpu(client)),
        (Bound::Machine, _) => {
            let per = if server > 0.0 {
                format!("({} + {})", cpu(client), cpu(server))
            } else {
                cpu(client)
            };
            format!("{} {} / {per}", lang.pick("CPUs:", "CPU :"), cal.cores)
        }
        (Bound::Server, _) => format!(
            "{} {} thread{} / {}",
            lang.pick("server:", "serveur :"),
            cal.server_threads,
            if cal.server_threads > 1 { "s" } else { "" },
            cpu(server)
        ),
    }
}

/// The reading in a few words, for the table.
pub fn reading_label(r: &Reading, lang: Lang) -> &'static str {
    match r {
        Reading::Holds => lang.pick("holds", "tient"),
        Reading::HoldsByChance { .. } => lang.pick("holds, by chance", "tient, par hasard"),
        Reading::Below(Below::Server { .. }) => lang.pick("below: the server", "sous : le serveur"),
        Reading::Below(Below::Cpus { .. }) => lang.pick("below: CPUs busy", "sous : CPU occupés"),
        Reading::Below(Below::Disk { .. }) => lang.pick("below: the disk", "sous : le disque"),
        Reading::Below(Below::Serialised { .. }) => {
            lang.pick("below: one core at a time", "sous : un cœur à la fois")
        }
        Reading::Below(Below::Unknown { .. }) => lang.pick("below: ?", "sous : ?"),
        Reading::Below(Below::Busy { .. }) => {
            lang.pick("below: machine busy", "sous : machine occupée")
        }
        Reading::Above(Above::CpuFell { .. }) => lang.pick(
            "above: CPU/request fell",
            "au-dessus : CPU/requête en baisse",
        ),
        Reading::Above(Above::FasterThanAlone { .. }) => lang.pick(
            "above: faster than alone",
            "au-dessus : plus rapide que seule",
        ),
        Reading::Above(Above::Unknown) => lang.pick("above: ?", "au-dessus : ?"),
    }
}

fn pct(row: &Row) -> String {
    format!("{:.0}", 100.0 * row.ratio())
}

pub fn predict_rows(s: &Section, lang: Lang) -> Vec<Vec<String>> {
    s.rows
        .iter()
        .map(|row| {
            vec![
                row.group.clone(),
                format!("{} ({})", row.engine, model_label(row.model, lang)),
                row.concurrency.to_string(),
                rps(row.prediction.limit.1),
                formula(row, lang),
                rps(row.measured),
                pct(row),
                reading_label(&row.reading, lang).to_string(),
                row.in_cell_ratio()
                    .map_or("-".into(), |x| format!("{:.0}", 100.0 * x)),
            ]
        })
        .collect()
}

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
    match (far.reading, lang) {
        (Reading::Below(Below::Server { busy, threads }), Lang::En) => format!(
            "{}: the server's {threads} thread{} {} busy {:.0} % of the time, so the server, not the client's model, set the pace.",
            head,
            if threads > 1 { "s" } else { "" },
            if threads > 1 { "were" } else { "was" },
            100.0 * busy
        ),
        (Reading::Below(Below::Server { busy, threads }), Lang::Fr) => format!(
            "{} : {threads} thread{} du serveur occupé{} {:.0} % du temps ; c'est le serveur, pas le modèle du client, qui donnait le rythme.",
            head,
            if threads > 1 { "s" } else { "" },
            if threads > 1 { "s" } else { "" },
            100.0 * busy
        ),
        (Reading::Below(Below::Cpus { used, of, here_s, alone_s }), _) => {
            let rose = here_s > alone_s * (1.0 + HOLDS);
            match (rose, lang) {
                (true, Lang::En) => format!(
                    "{}: {used:.1} of the {of:.0} cores it can use were busy, and a request cost {} of client CPU against {} alone: the extra is what many requests in flight cost together (context switches, contention), which the model, fed at C = 1, does not count.",
                    head,
                    cpu(here_s),
                    cpu(alone_s)
                ),
                (true, Lang::Fr) => format!(
                    "{} : {used:.1} des {of:.0} cœurs qu'il peut occuper étaient occupés, et une requête a coûté {} de CPU client contre {} seule : l'excédent est ce que coûtent ensemble beaucoup de requêtes en cours (changements de contexte, contention), que le modèle, nourri à C = 1, ne compte pas.",
                    head,
                    cpu(here_s),
                    cpu(alone_s)
                ),
                (false, Lang::En) => format!(
                    "{}: {used:.1} of the {of:.0} cores it can use were busy, though a request cost {} of client CPU against {} alone: what filled the cores beyond that is not counted per request in this run.",
                    head,
                    cpu(here_s),
                    cpu(alone_s)
                ),
                (false, Lang::Fr) => format!(
                    "{} : {used:.1} des {of:.0} cœurs qu'il peut occuper étaient occupés, alors qu'une requête a coûté {} de CPU client contre {} seule : ce qui a rempli les cœurs au-delà n'est pas compté par requête dans cette mesure.",
                    head,
                    cpu(here_s),
                    cpu(alone_s)
                ),
            }
        }
        (Reading::Below(Below::Disk { here_s, alone_s }), Lang::En) => format!(
            "{}: a request spent {} in flight against {} alone (in flight / throughput, Little's law), queued at the device; the model has no figure for the device's own limit, which C = 1 does not reach.",
            head,
            duration_ns(here_s * 1e9),
            duration_ns(alone_s * 1e9)
        ),
        (Reading::Below(Below::Disk { here_s, alone_s }), Lang::Fr) => format!(
            "{} : une requête est restée {} en cours contre {} seule (en cours / débit, loi de Little), en file devant le périphérique ; le modèle n'a aucun chiffre pour la limite propre du disque, que C = 1 n'atteint pas.",
            head,
            duration_ns(here_s * 1e9),
            duration_ns(alone_s * 1e9)
        ),
        (Reading::Above(Above::CpuFell { side, alone_s, here_s }), Lang::En) => format!(
            "{}: it divided by the {} CPU a lone request cost ({}), and here a request cost {}: what a request alone pays in full (a wake-up, a timer, an idle loop) many in flight share. Fed with each cell's own CPU per request, the same model is within {:.0} % of the measurement at {in_cell} of these {n} points. (iobound advise takes its CPU from a loaded cell for this reason.)",
            head,
            match side {
                Side::Client => "client's",
                Side::Server => "server's",
                Side::Both => "client's and server's",
            },
            cpu(alone_s),
            cpu(here_s),
            100.0 * HOLDS
        ),
        (Reading::Above(Above::CpuFell { side, alone_s, here_s }), Lang::Fr) => format!(
            "{} : elle divisait par le CPU {} qu'une requête seule a coûté ({}), et ici une requête a coûté {} : ce qu'une requête seule paie en entier (un réveil, une minuterie, une boucle qui attend) se partage entre beaucoup en cours. Nourri du CPU par requête de chaque cellule, le même modèle tient à {:.0} % près en {in_cell} de ces {n} points. (C'est pourquoi iobound advise prend son CPU dans une cellule chargée.)",
            head,
            match side {
                Side::Client => "du client",
                Side::Server => "du serveur",
                Side::Both => "du client et du serveur",
            },
            cpu(alone_s),
            cpu(here_s),
            100.0 * HOLDS
        ),
        (Reading::Above(Above::FasterThanAlone { here_s, alone_s }), Lang::En) => format!(
            "{}: it assumed each request in flight takes as long as one alone ({}), and here each held its place {} (requests served at once — a pool serves as many as it has workers — over throughput, Little's law): requests went faster together than alone.",
            head,
            duration_ns(alone_s * 1e9),
            duration_ns(here_s * 1e9)
        ),
        (Reading::Above(Above::FasterThanAlone { here_s, alone_s }), Lang::Fr) => format!(
            "{} : elle supposait que chaque requête en cours dure autant qu'une seule ({}), et ici chacune a occupé sa place {} (requêtes servies à la fois — un pool en sert autant qu'il a de travailleurs — sur le débit, loi de Little) : les requêtes sont allées plus vite ensemble que seules.",
            head,
            duration_ns(alone_s * 1e9),
            duration_ns(here_s * 1e9)
        ),
        (Reading::Above(Above::Unknown), Lang::En) => format!(
            "{}: its CPU per request did not fall below the C = 1 figure it was computed from.",
            head
        ),
        (Reading::Above(Above::Unknown), Lang::Fr) => format!(
            "{} : son CPU par requête n'est pas tombé sous le chiffre à C = 1 dont elle vient.",
            head
        ),
        (Reading::Below(Below::Serialised { used, of }), Lang::En) => format!(
            "{}: the prediction gave it the machine's {of:.0} CPUs, and it kept {used:.1} busy: its requests ran one core at a time or less (a lock such as Python's GIL, or too few workers), which the model does not know.",
            head
        ),
        (Reading::Below(Below::Serialised { used, of }), Lang::Fr) => format!(
            "{} : la prédiction lui donnait les {of:.0} CPU de la machine, et il en a occupé {used:.1} : ses requêtes passaient un cœur à la fois ou moins (un verrou comme le GIL de Python, ou trop peu de travailleurs), ce que le modèle ignore.",
            head
        ),
        (Reading::Below(Below::Unknown { here_s, alone_s }), Lang::En) => format!(
            "{}: neither the server's threads nor the CPUs were {:.0} % busy and no O_DIRECT file was read, yet a request held its place {} against {} alone (in flight / throughput, Little's law): requests queued somewhere the model does not see.",
            head,
            100.0 * SATURATED,
            duration_ns(here_s * 1e9),
            duration_ns(alone_s * 1e9)
        ),
        (Reading::Below(Below::Unknown { here_s, alone_s }), Lang::Fr) => format!(
            "{} : ni les threads du serveur ni les CPU n'étaient occupés à {:.0} % et aucun fichier O_DIRECT n'était lu, pourtant une requête a occupé sa place {} contre {} seule (en cours / débit, loi de Little) : les requêtes attendaient quelque part où le modèle ne voit pas.",
            head,
            100.0 * SATURATED,
            duration_ns(here_s * 1e9),
            duration_ns(alone_s * 1e9)
        ),
        (Reading::Below(Below::Busy { busy, reps }), Lang::En) => format!(
            "{}: {busy} of its {reps} repetitions ran while something else used the machine (CPU steal or other processes), so its median may show that, not the model; no other reading is given for it.",
            head
        ),
        (Reading::Below(Below::Busy { busy, reps }), Lang::Fr) => format!(
            "{} : {busy} de ses {reps} répétitions ont tourné pendant que la machine était occupée (vol de CPU ou autres processus) : sa médiane peut le refléter plutôt que le modèle ; aucune autre lecture n'en est donnée.",
            head
        ),
        (Reading::HoldsByChance { in_cell }, Lang::En) => format!(
            "{}: the prediction named a CPU ceiling, but with the cell's own CPU per request that ceiling is {} req/s, and the measurement reached {:.0} % of it: a CPU per request that fell and another limit cancelled out.",
            head,
            rps(in_cell),
            100.0 * far.measured / in_cell
        ),
        (Reading::HoldsByChance { in_cell }, Lang::Fr) => format!(
            "{} : la prédiction nommait un plafond de CPU, mais avec le CPU par requête de la cellule ce plafond est de {} requêtes/s, et la mesure en a atteint {:.0} % : un CPU par requête en baisse et une autre limite se sont compensés.",
            head,
            rps(in_cell),
            100.0 * far.measured / in_cell
        ),
        // Rows that hold have no kind, so no sentence of their own.
        (Reading::Holds, _) => String::new(),
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

    use super::*;
    use crate::report::predict::closed_loop::{predict, Calibration};

    /// A row of `engine` at C = 64 whose C = 1 cell ran at `x1` req/s for
    /// `client_us` (and `server_us`) of CPU, measured at `measured`.
    fn row(model: Model, x1: f64, client_us: f64, server_us: f64, measured: f64) -> Row {
        let cal = Calibration {
            engine: "e".into(),
            x1: vec![x1],
            loaded_c: 1,
            client_cpu_s: vec![client_us * 1e-6],
            server_cpu_s: vec![server_us * 1e-6],
            cores: 2,
            server_threads: 1,
        };
        let prediction = predict(&cal, &[(model, "e".into(), 2)], 64).remove(0);
        Row {
            group: "db-web".into(),
            engine: "e".into(),
            model,
            concurrency: 64,
            cal,
            prediction,
            measured,
            reading: Reading::Holds,
            in_cell: None,
        }
    }

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
    fn the_formula_names_the_bound_and_its_c1_figures() {
        let en = |r: &Row| formula(r, Lang::En);
        // 64 × 10/s = 640 below every CPU ceiling.
        assert_eq!(
            en(&row(Model::BlockingThreads, 10.0, 100.0, 0.0, 1.0)),
            "waits: 64 × 10 req/s"
        );
        // A pool holds its 2 workers' requests.
        assert_eq!(
            en(&row(Model::Pool, 10.0, 100.0, 0.0, 1.0)),
            "waits: 2 × 10 req/s"
        );
        assert_eq!(
            en(&row(Model::EventLoop, 1000.0, 100.0, 0.0, 1.0)),
            "loop's core: 1 / 100.0 µs"
        );
        assert_eq!(
            en(&row(Model::BlockingThreads, 1000.0, 100.0, 0.0, 1.0)),
            "CPUs: 2 / 100.0 µs"
        );
        assert_eq!(
            en(&row(Model::BlockingThreads, 1000.0, 100.0, 50.0, 1.0)),
            "CPUs: 2 / (100.0 µs + 50.0 µs)"
        );
        assert_eq!(
            formula(
                &row(Model::BlockingThreads, 1000.0, 10.0, 200.0, 1.0),
                Lang::Fr
            ),
            "serveur : 1 thread / 200.0 µs"
        );
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
            ["640", "waits: 64 × 10 req/s", "600", "94", "holds", "94"]
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
