//! The words of "Predicted vs measured": its title, how the prediction is
//! made, one row per predicted point and the sentences that say where the
//! simple model of waits and cores holds and what the run shows where it
//! does not. Every sentence is built from the figures it states.

mod sentences;
mod why;

use super::rps;
use crate::lang::Lang;
use crate::output::human::cpu_us;
use crate::report::bounds::Bound;
use crate::report::predict::{Above, Below, Reading, Row, Section, HOLDS, SATURATED};
use crate::report::verdict::model_label;

pub use sentences::predict_sentences;

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
pub(super) fn cpu(s: f64) -> String {
    format!("{} µs", cpu_us(s * 1e9))
}

/// The formula of the lowest ceiling, with the C = 1 figures it used.
fn formula(row: &Row, lang: Lang) -> String {
    let cal = &row.cal;
    let (client, server) = (cal.client_cpu(), cal.server_cpu());
    match (row.prediction.limit.0, lang) {
        (Bound::Waiting | Bound::Connections, Lang::En) => format!(
            "in flight: {} × {} req/s",
            row.prediction.in_flight,
            rps(cal.x1())
        ),
        (Bound::Waiting | Bound::Connections, Lang::Fr) => format!(
            "en cours : {} × {} requêtes/s",
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

pub(super) fn pct(row: &Row) -> String {
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

#[cfg(test)]
mod tests {
    use iobound_workloads::Model;

    use super::*;
    use crate::report::predict::closed_loop::{predict, Calibration};

    /// A row of `engine` at C = 64 whose C = 1 cell ran at `x1` req/s for
    /// `client_us` (and `server_us`) of CPU, measured at `measured`.
    pub(super) fn row(model: Model, x1: f64, client_us: f64, server_us: f64, measured: f64) -> Row {
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

    #[test]
    fn the_formula_names_the_bound_and_its_c1_figures() {
        let en = |r: &Row| formula(r, Lang::En);
        // 64 × 10/s = 640 below every CPU ceiling.
        assert_eq!(
            en(&row(Model::BlockingThreads, 10.0, 100.0, 0.0, 1.0)),
            "in flight: 64 × 10 req/s"
        );
        // A pool holds its 2 workers' requests.
        assert_eq!(
            en(&row(Model::Pool, 10.0, 100.0, 0.0, 1.0)),
            "in flight: 2 × 10 req/s"
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
}
