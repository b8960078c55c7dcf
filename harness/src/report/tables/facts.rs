//! The run's facts and warnings (machine, busy cells, how to read, each
//! engine's model), the runtimes tables and the cells not run.

use super::rps;
use crate::lang::Lang;
use crate::output::human;
use crate::report::model::{Group, NotRun, Report};
use crate::report::runtimes::{self, shared_models};
use crate::report::verdict::model_label;
use iobound_workloads::Model;

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
            crate::report::model::system_line(&i.system_json, lang),
            i.repeat,
            if i.repeat > 1 { "s" } else { "" }
        ),
        Lang::Fr => format!(
            "{} ; {} répétition{} de chaque cellule (médianes ; écarts min–max) ; détails de la mesure à la fin.",
            crate::report::model::system_line(&i.system_json, lang),
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
            Lang::En => format!("CPU steal {:.1} %", 100.0 * m.steal),
            Lang::Fr => format!("vol de CPU {:.1} %", 100.0 * m.steal),
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

/// The words the answer uses before "How to read this" defines them, in
/// one line above it: a reader of the first screen meets C, p99, the
/// models and the ceilings before the section that explains them.
pub fn terms_line(lang: Lang) -> &'static str {
    lang.pick(
        "Words used below: workload = what one request does (each workload's section says it in a line); engine = one program that runs requests in one concurrency model (the tables give each engine's model beside its name); cell = one workload on one engine at one C, run once per repetition; group = the cells of one workload with one set of settings; C = requests in flight at once; C* = the lowest C from which blocking threads fall behind the event loop for good; p99 = the latency 99 % of requests stayed under; event loop = one thread keeping many requests in flight (its runtime may add helper threads for file I/O, such as tokio's blocking pool or io_uring's kernel workers, which the threads column counts; the requests are held by the one loop thread); blocking threads = one OS thread per request in flight; pool = as many workers as cores; event loop + pool = an event loop that hands each computation to a pool and keeps waiting meanwhile; a ceiling = the most requests per second a model could do here, computed from this run's own costs; a ratio such as 1.6x compares the medians of the repetitions, and the ratios after it in brackets are each repetition's own (they can fall on either side of it). \"How to read this\", after the claims, says more.",
        "Les mots employés plus bas : charge = ce que fait une requête (la section de chaque charge le dit en une ligne) ; moteur = un programme qui exécute les requêtes selon un modèle de concurrence (les tableaux donnent le modèle de chaque moteur à côté de son nom) ; cellule = une charge sur un moteur à un C, mesurée une fois par répétition ; groupe = les cellules d'une charge avec un jeu de réglages ; C = requêtes en cours à la fois ; C* = le plus petit C à partir duquel les threads bloquants restent derrière la boucle d'événements ; p99 = la latence sous laquelle sont restées 99 % des requêtes ; boucle d'événements = un thread qui garde de nombreuses requêtes en cours (son environnement peut y ajouter des threads d'appoint pour les I/O de fichiers, comme le pool bloquant de tokio ou les threads du noyau d'io_uring, que compte la colonne des threads ; les requêtes, elles, sont tenues par l'unique thread de la boucle) ; threads bloquants = un thread du système par requête en cours ; pool = autant de travailleurs que de cœurs ; boucle + pool = une boucle d'événements qui confie chaque calcul à un pool et continue d'attendre pendant ce temps ; plafond = le plus de requêtes par seconde qu'un modèle pouvait faire ici, calculé à partir des coûts mesurés dans ce rapport ; un rapport comme 1.6x compare les médianes des répétitions, et ceux qui le suivent entre parenthèses sont ceux de chaque répétition (ils peuvent tomber de part et d'autre). « Comment lire ce rapport », après les affirmations, en dit plus.",
    )
}

/// A warning naming the cells that ran on a busy machine (CPU steal, or
/// another process using a core), if any did.
pub fn busy_warning(r: &Report, lang: Lang) -> Option<String> {
    if r.busy.is_empty() {
        return None;
    }
    // A few examples, the busiest first (a reviewer found the worst, at
    // 45 % steal, among the "more" while 5 % ones were named): the first
    // screen is the answer's, and summary.csv lists every one.
    const SHOWN: usize = 8;
    let load = |m: &crate::result::MachineLoad| {
        use crate::result::MachineLoad as L;
        (m.steal / L::STEAL_BUSY).max(m.other_cores / L::OTHER_BUSY)
    };
    let mut worst: Vec<_> = r.busy.iter().collect();
    worst.sort_by(|a, b| load(&b.1).total_cmp(&load(&a.1)));
    let mut cells: Vec<String> = worst
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
                "et {} autre{} (summary.csv : machine_steal, machine_other_cores)",
                r.busy.len() - SHOWN,
                if r.busy.len() - SHOWN == 1 { "" } else { "s" }
            ),
        });
    }
    let n = r.busy.len();
    Some(match lang {
        Lang::En => format!(
            "Warning: {n} cell repetition{} ran while the machine was busy (CPU steal, the time the hypervisor gave other machines, above 5 %, or other processes using more than half a core; a cell is named workload.engine.cC.rR, C in flight, repetition R; the busiest first): {}. Their figures may be low; compare each with its other repetitions.",
            if n == 1 { "" } else { "s" },
            cells.join(", ")
        ),
        Lang::Fr => format!(
            "Attention : {n} répétition{} de cellule {} tourné pendant que la machine était occupée (vol de CPU, le temps que l'hyperviseur a donné à d'autres machines, au-delà de 5 %, ou d'autres processus utilisant plus d'un demi-cœur ; une cellule s'écrit charge.moteur.cC.rR, C en cours, répétition R ; les plus occupées d'abord) : {}. Leurs chiffres peuvent être bas ; comparez chacune à ses autres répétitions.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "a" } else { "ont" },
            cells.join(", ")
        ),
    })
}

/// Lines of facts about the run, for the report's details.
/// Each group's measured window after its warm-up, groups that share one
/// listed together: a reader judging a figure needs to know it came from
/// half a second or from three (a Python group at C = 1 completes a few
/// dozen requests in 0.5 s).
fn windows_text(r: &Report, lang: Lang) -> Option<String> {
    let mut by: Vec<((u64, u64), Vec<&str>)> = Vec::new();
    // Groups whose cells did not share one window (a sweep that runs its
    // highest concurrencies longer), or counted requests instead.
    let mut varies: Vec<&str> = Vec::new();
    for g in &r.groups {
        let (Some(d), Some(w)) = (g.params.duration_ns, g.params.warmup_ns) else {
            varies.push(&g.label);
            continue;
        };
        match by.iter_mut().find(|(k, _)| *k == (d, w)) {
            Some((_, v)) => v.push(&g.label),
            None => by.push(((d, w), vec![&g.label])),
        }
    }
    if by.is_empty() {
        return None;
    }
    let fmt =
        |ns: u64| iobound_workloads::units::format_duration(std::time::Duration::from_nanos(ns));
    let mut parts: Vec<String> = by
        .iter()
        .map(|((d, w), gs)| match lang {
            Lang::En => format!(
                "{} after {} of warm-up: {}",
                fmt(*d),
                fmt(*w),
                gs.join(", ")
            ),
            Lang::Fr => format!(
                "{} après {} de chauffe : {}",
                fmt(*d),
                fmt(*w),
                gs.join(", ")
            ),
        })
        .collect();
    if !varies.is_empty() {
        parts.push(match lang {
            Lang::En => format!(
                "by cell (each cell's config in run.json): {}",
                varies.join(", ")
            ),
            Lang::Fr => format!(
                "selon la cellule (la configuration de chacune dans run.json) : {}",
                varies.join(", ")
            ),
        });
    }
    Some(match lang {
        Lang::En => format!("measured windows: {}", parts.join("; ")),
        Lang::Fr => format!("fenêtres mesurées : {}", parts.join(" ; ")),
    })
}

pub fn run_facts(r: &Report, lang: Lang) -> Vec<String> {
    let i = &r.info;
    let mut v = vec![format!("{} {}", lang.pick("run", "mesure"), i.run_id)];
    if i.suite == "run" && i.description.is_empty() {
        // `iobound run` records its one matrix as a suite named "run":
        // "suite run" read as a suite of that name.
        v.push(
            lang.pick(
                "one `iobound run` matrix (no suite)",
                "une matrice de `iobound run` (sans suite)",
            )
            .to_string(),
        );
    } else if !i.suite.is_empty() {
        // The description is the suite file's own words (English in the
        // built-in suites): quoted as such in a French report.
        let d = match (i.description.is_empty(), lang) {
            (true, _) => String::new(),
            (false, Lang::En) => format!(": {}", i.description),
            (false, Lang::Fr) => format!(
                " (sa description, telle qu'écrite dans le fichier : « {} »)",
                i.description
            ),
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
    if let Some(w) = windows_text(r, lang) {
        v.push(w);
    }
    v.push(format!(
        "{}{} {}",
        lang.pick("system", "système"),
        lang.pick(":", " :"),
        crate::report::model::system_line(&i.system_json, lang)
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

/// "How to read this": the few ideas every figure relies on, and the
/// terms the tables use (open-loop ones and bracketed group labels only
/// when the run has them).
pub fn how_to_read(r: &Report, lang: Lang) -> Vec<String> {
    let repetitions = if r.info.repeat > 1 {
        lang.pick(
            "Repetitions: whole matrices repeat, so a slow minute of the machine moves every engine of a repetition together. Lines join the medians; whiskers span the min–max of the repetitions. Two sides are compared repetition by repetition (their ratio in each): a lead counts when one side is ahead in every repetition, by 5 % or more in the median one; a tie when they are within 10 % of each other in every repetition (a lead takes precedence over a tie); otherwise the verdict is unclear (? : the repetitions disagree). Ratios in sentences are ratios of the medians (what the tables give); the per-repetition ratios the verdict reads are listed beside them.",
            "Répétitions : les matrices entières se répètent, si bien qu'une minute lente de la machine déplace ensemble tous les moteurs d'une répétition. Les lignes relient les médianes ; les moustaches couvrent le min–max des répétitions. Deux côtés se comparent répétition par répétition (leur rapport dans chacune) : une avance compte quand un côté devance l'autre à chaque répétition, d'au moins 5 % dans la répétition médiane ; une égalité quand ils restent à moins de 10 % l'un de l'autre à chaque répétition (une avance l'emporte sur une égalité) ; sinon le verdict est incertain (? : les répétitions divergent). Les rapports des phrases sont des rapports de médianes (ce que donnent les tables) ; les rapports par répétition que lit le verdict sont donnés à côté.",
        )
    } else {
        lang.pick(
            "One repetition: every cell ran once, so the noise is unknown and there are no whiskers; a lead counts only beyond 10 %, and anything closer is a tie. Run with --repeat 3 to see the spread.",
            "Une seule répétition : chaque cellule a tourné une fois, le bruit est donc inconnu et il n'y a pas de moustaches ; une avance ne compte qu'au-delà de 10 %, et tout écart plus petit est une égalité. Lancez avec --repeat 3 pour voir la dispersion.",
        )
    };
    let mut v: Vec<String> = vec![
        lang.pick(
            "Closed loop: C requests are in flight at all times; each slot sends its next request when the previous one returns. C is \"concurrency\" or \"in flight\".",
            "Boucle fermée : C requêtes sont en cours à tout moment ; chaque emplacement envoie sa requête suivante au retour de la précédente. C est la « concurrence », les requêtes « en cours ».",
        )
        .into(),
        lang.pick(
            "req/s: requests completed in the measured window (after the warm-up) per second, each weighted 1 in the window's middle half and less towards its edges (counting each as 1, a closed loop whose requests end in step would measure in steps of C).",
            "requêtes/s : les requêtes achevées dans la fenêtre mesurée (après la chauffe), par seconde, chacune pesant 1 dans la moitié centrale de la fenêtre et moins vers ses bords (à les compter chacune pour 1, une boucle fermée dont les requêtes finissent ensemble mesurerait par paliers de C).",
        )
        .into(),
        lang.pick(
            "In a closed loop, throughput = in flight / latency (Little's law): a model that lets C requests wait at once multiplies throughput by up to C.",
            "En boucle fermée, débit = en cours / latence (loi de Little) : un modèle qui laisse C requêtes attendre à la fois multiplie le débit jusqu'à C.",
        )
        .into(),
        lang.pick(
            "p99: 99% of requests took less than this; likewise p50 (half of them: the median request) and p99.9 (all but one in a thousand).",
            "p99 : 99 % des requêtes ont pris moins que cela ; de même p50 (la moitié d'entre elles : la requête médiane) et p99.9 (toutes sauf une sur mille).",
        )
        .into(),
    ];
    // Open-loop words mean nothing to a run without an open-loop cell (one
    // with a target rate).
    if r.groups.iter().any(|g| g.open_loop) {
        v.push(
            lang.pick(
                "Open loop (a workload labelled \"open loop\": cells given a target rate): requests are sent at the offered rate whether or not earlier ones have returned, and their latency counts from the intended start, so a stalled sender cannot hide the wait of the requests it sent late (coordinated omission corrected).",
                "Boucle ouverte (une charge marquée « open loop » : cellules à débit cible) : les requêtes partent au débit offert, que les précédentes soient revenues ou non, et leur latence compte depuis le départ prévu : un envoi retardé ne peut pas cacher l'attente des requêtes parties en retard (omission coordonnée corrigée).",
            )
            .into(),
        );
    }
    v.push(
        lang.pick(
            "Memory added: a cell's peak RSS minus its RSS at the cell's start, i.e. what the cell itself added.",
            "Mémoire ajoutée : le pic de RSS d'une cellule moins sa RSS au début de la cellule, c'est-à-dire ce que la cellule elle-même a ajouté.",
        )
        .into(),
    );
    // A suite that runs one workload in several groups (different
    // parameters) tells them apart by the group's name in brackets.
    if let Some(g) = r.groups.iter().find(|g| g.label.contains(" [")) {
        v.push(match lang {
            Lang::En => format!(
                "A bracketed label after a workload name (as in {}) is the suite's name for the group, given when one workload runs in several groups.",
                g.label
            ),
            Lang::Fr => format!(
                "Une étiquette entre crochets après le nom d'une charge (comme dans {}) est le nom que la suite donne au groupe, quand une même charge tourne dans plusieurs groupes.",
                g.label
            ),
        });
    }
    v.push(repetitions.into());
    v.push(
        lang.pick(
            "Log scale: axes marked \"log scale\" give each power of ten the same length.",
            "Échelle log : sur les axes marqués « échelle log », chaque puissance de dix a la même longueur.",
        )
        .into(),
    );
    v
}

/// The model of each engine, as the run recorded it. The plural model is
/// defined at its first engine: "event loops" would otherwise read as
/// several engines of the event-loop model.
pub fn engines_line(r: &Report, lang: Lang) -> String {
    let mut defined = false;
    let mut parts = Vec::new();
    let rust = r.models.iter().map(|(e, m)| (e, *m, ""));
    let python = r.python.iter().map(|(e, m)| (e, *m, " (Python)"));
    for (e, m, lang_of) in rust.chain(python) {
        let mut label = model_label(m, lang).to_string();
        if m == Model::EventLoops && !std::mem::replace(&mut defined, true) {
            label.push_str(lang.pick(
                " (one event loop per core, each keeping many requests in flight)",
                " (une boucle d'événements par cœur, chacune gardant de nombreuses requêtes en cours)",
            ));
        }
        parts.push(format!("{e} = {label}{lang_of}"));
    }
    format!(
        "{}{} {}",
        lang.pick("Engines and their models", "Moteurs et leurs modèles"),
        lang.pick(":", " :"),
        parts.join(lang.pick("; ", " ; "))
    )
}
/// What the runtimes section compares, or why it has nothing to compare.
pub fn runtimes_text(r: &Report, lang: Lang) -> String {
    // The models and engines the table below has rows for, not every model
    // with two engines in the run: a Rust and a Python engine of one model
    // never share a group, so listing them promised rows that were not there.
    let table = crate::report::runtimes::rows(r);
    let shared: Vec<(Model, Vec<String>)> = shared_models(r)
        .into_iter()
        .filter_map(|(m, engines)| {
            let e: Vec<String> = engines
                .into_iter()
                .filter(|e| table.iter().any(|row| row.model == m && &row.engine == e))
                .collect();
            (!e.is_empty()).then_some((m, e))
        })
        .collect();
    if r.groups.iter().all(|g| g.points.is_empty()) {
        // Nothing measured (a run stopped before its first cell ended):
        // no engine to list, and "every model ran on one engine" would be
        // a claim about nothing.
        return lang
            .pick(
                "No cell of this run has results, so there are no runtimes to compare.",
                "Aucune cellule de cette mesure n'a de résultat : aucun environnement à comparer.",
            )
            .to_string();
    }
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
        .map(|(m, e)| {
            format!(
                "{}{} {}",
                model_label(*m, lang),
                lang.pick(":", " :"),
                e.join(", ")
            )
        })
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

    /// A newcomer read "suite run" in a plain `iobound run`'s facts as a
    /// suite of that name.
    #[test]
    fn a_plain_run_is_not_called_a_suite() {
        let mut r = report(1, &[], vec![]);
        r.info.suite = "run".into();
        let f = run_facts(&r, Lang::En);
        assert!(
            f.contains(&"one `iobound run` matrix (no suite)".to_string()),
            "{f:?}"
        );
        assert!(!f.iter().any(|l| l.starts_with("suite")), "{f:?}");
        r.info.suite = "default".into();
        assert!(run_facts(&r, Lang::En).contains(&"suite default".to_string()));
    }

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
            w.starts_with("Warning: 10 cell repetitions ran while the machine was busy"),
            "{w}"
        );
        assert!(
            w.contains("db-web.threads.c1.r2 (CPU steal 12.0 %)") && w.contains("and 2 more"),
            "{w}"
        );
        // The busiest is named first even when it ran last (a reviewer
        // found 45 % steal among the "more" while 5 % ones were named).
        r.busy[9].1.steal = 0.45;
        let w = busy_warning(&r, Lang::En).unwrap();
        assert!(
            w.contains("repetition R; the busiest first): db-web.threads.c10.r2 (CPU steal 45.0 %), db-web.threads.c1.r2"),
            "{w}"
        );
        let fr = busy_warning(&r, Lang::Fr).unwrap();
        assert!(
            fr.starts_with("Attention : 10 répétitions de cellule ont tourné")
                && fr.contains("(vol de CPU 12.0 %)"),
            "{fr}"
        );
    }

    fn markdown(r: &Report, lang: Lang) -> String {
        use crate::report::Render;
        String::from_utf8(crate::report::markdown::Markdown.render(r, lang)).unwrap()
    }

    /// Reviewer finding: the glossary's "event loop = one thread" was
    /// contradicted by tables where tokio had 261 threads on file-randread
    /// and uring 9 on file-write; and "event loops" (tokio-mt, glommio-mt)
    /// was never defined.
    #[test]
    fn the_glossary_counts_an_event_loops_helper_threads_and_defines_the_plural() {
        let r = report(
            2,
            &[
                ("threads", Model::BlockingThreads),
                ("tokio", Model::EventLoop),
                ("tokio-mt", Model::EventLoops),
                ("glommio-mt", Model::EventLoops),
            ],
            vec![],
        );
        let en = markdown(&r, Lang::En);
        assert!(
            en.contains("event loop = one thread keeping many requests in flight (its runtime may add helper threads for file I/O, such as tokio's blocking pool or io_uring's kernel workers, which the threads column counts; the requests are held by the one loop thread)"),
            "{en}"
        );
        assert!(
            en.contains("tokio-mt = event loops (one event loop per core, each keeping many requests in flight); glommio-mt = event loops\n"),
            "{en}"
        );
        let fr = markdown(&r, Lang::Fr);
        assert!(
            fr.contains("boucle d'événements = un thread qui garde de nombreuses requêtes en cours (son environnement peut y ajouter des threads d'appoint pour les I/O de fichiers, comme le pool bloquant de tokio ou les threads du noyau d'io_uring, que compte la colonne des threads ; les requêtes, elles, sont tenues par l'unique thread de la boucle)"),
            "{fr}"
        );
        assert!(
            fr.contains("tokio-mt = boucles d'événements (une boucle d'événements par cœur, chacune gardant de nombreuses requêtes en cours) ; glommio-mt = boucles d'événements\n"),
            "{fr}"
        );
        // A run without the plural model does not define it.
        let single = report(2, &[("tokio", Model::EventLoop)], vec![]);
        assert!(!engines_line(&single, Lang::En).contains("per core"));
    }

    /// The small-run fixture (English run; repeats, mixed-db groups with
    /// bracketed labels, no open-loop cell).
    fn fixture() -> Report {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/small-run/run.json");
        let run = crate::report::load::parse_run(&std::fs::read(path).unwrap()).unwrap();
        crate::report::model::build(&run)
    }

    /// The "How to read this" section of a rendered Markdown report.
    fn how_section(md: &str) -> &str {
        let start = md
            .find("## How to read this")
            .or_else(|| md.find("## Comment lire ce rapport"))
            .expect("a how-to-read section");
        let end = md[start + 3..]
            .find("\n## ")
            .map_or(md.len(), |i| start + 3 + i);
        &md[start..end]
    }

    /// Reviewer finding: "memory added", p50, p99.9 and the bracketed
    /// group labels were used and never defined; the open-loop terms were
    /// explained in a run without an open-loop cell.
    #[test]
    fn how_to_read_defines_the_terms_the_tables_use() {
        let r = fixture();
        let en = markdown(&r, Lang::En);
        let how = how_section(&en);
        for want in [
            "p99: 99% of requests took less than this; likewise p50 (half of them: the median request) and p99.9 (all but one in a thousand).",
            "Memory added: a cell's peak RSS minus its RSS at the cell's start, i.e. what the cell itself added.",
            "A bracketed label after a workload name (as in mixed-db [",
            "is the suite's name for the group, given when one workload runs in several groups.",
        ] {
            assert!(how.contains(want), "{want:?} not in {how}");
        }
        assert!(!en.contains("coordinated omission"), "{how}");
        let fr = markdown(&r, Lang::Fr);
        let how = how_section(&fr);
        for want in [
            "p99 : 99 % des requêtes ont pris moins que cela ; de même p50 (la moitié d'entre elles : la requête médiane) et p99.9 (toutes sauf une sur mille).",
            "Mémoire ajoutée : le pic de RSS d'une cellule moins sa RSS au début de la cellule, c'est-à-dire ce que la cellule elle-même a ajouté.",
            "Une étiquette entre crochets après le nom d'une charge (comme dans mixed-db [",
        ] {
            assert!(how.contains(want), "{want:?} not in {how}");
        }
        assert!(
            !fr.contains("omission coordonnée") && !how.contains("Boucle ouverte"),
            "{how}"
        );

        // An open-loop cell (a target rate) brings the open-loop words;
        // a run without bracketed labels does not explain them.
        use crate::report::model::testing::{group, point};
        let mut open = group(
            "db-web (open loop, c64)",
            iobound_workloads::Class::IoBound,
            vec![point("uring", 1000, &[990.0], 10.0, 1.0)],
        );
        open.open_loop = true;
        let r = report(2, &[("uring", Model::EventLoop)], vec![open]);
        let en = markdown(&r, Lang::En);
        let how = how_section(&en);
        assert!(
            how.contains(
                "Open loop (a workload labelled \"open loop\": cells given a target rate)"
            ) && how.contains("(coordinated omission corrected)")
                && !how.contains("bracketed"),
            "{how}"
        );
        let fr = markdown(&r, Lang::Fr);
        assert!(
            how_section(&fr).contains(
                "Boucle ouverte (une charge marquée « open loop » : cellules à débit cible)"
            ) && how_section(&fr).contains("(omission coordonnée corrigée)"),
            "{fr}"
        );
    }

    /// Reviewer finding: the verdict rule did not say which wins when a
    /// lead and a tie both hold (ahead by 6 % in every repetition); the
    /// verdict checks the lead first.
    #[test]
    fn how_to_read_says_a_lead_takes_precedence_over_a_tie() {
        use crate::report::verdict::{lead_of_ratios, Lead};
        assert_eq!(lead_of_ratios(&[1.06, 1.07, 1.08], true), Lead::A);
        let r = fixture();
        assert!(r.info.repeat > 1);
        assert!(how_section(&markdown(&r, Lang::En)).contains(
            "a tie when they are within 10 % of each other in every repetition (a lead takes precedence over a tie);"
        ));
        assert!(how_section(&markdown(&r, Lang::Fr)).contains(
            "une égalité quand ils restent à moins de 10 % l'un de l'autre à chaque répétition (une avance l'emporte sur une égalité) ;"
        ));
    }
}
