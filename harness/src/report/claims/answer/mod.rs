//! The answer the report leads with: one sentence per class of work
//! (I/O-bound, CPU-bound, mixed), built from the claims and, for the
//! exceptions and limits they name, from the run's groups and ceilings.

mod io;
mod limits;

use iobound_workloads::Model;

use super::words::{counts_text, per_rep, tie_reach, x};
use super::{Claim, ClaimId, Verdict};
use crate::lang::Lang;
use crate::report::model::Report;
use crate::report::verdict::{best_of, model_label, Lead};

use io::io_sentence;
pub(super) use limits::next_ceiling;

/// The CPU-bound sentence: computing needs cores, and what that means in
/// Python (the process pool, when the run has one).
fn cpu_sentence(r: &Report, claims: &[Claim], lang: Lang) -> String {
    let cpu = claims.iter().find(|c| c.id == ClaimId::ComputingNeedsCores);
    // The process pool at the point judged, when the run has one: what
    // Python's multiprocessing stands for.
    let procs = cpu.and_then(|c| {
        let (a, b) = (c.a.as_ref()?, c.b.as_ref()?);
        let g = r
            .groups
            .iter()
            .find(|g| Some(&g.label) == c.group.as_ref())?;
        let p = best_of(r, g, Model::ProcessPool, a.concurrency)?;
        Some(p.throughput.median / b.throughput.median)
    });
    match cpu.map(|c| (c, c.verdict)) {
        Some((c, Verdict::Held)) => {
            let reps = c
                .compared
                .as_ref()
                .map_or(String::new(), |c| per_rep(c, lang));
            let threads = c
                .extra
                .as_ref()
                .zip(c.b.as_ref())
                .map(|(t, b)| t.throughput.median / b.throughput.median);
            // Which engines: the event loop is the model's best engine here,
            // not always the one a reader expects (glommio, not uring).
            let (pool, lp) = (
                c.a.as_ref().map_or("", |s| s.engine.as_str()),
                c.b.as_ref().map_or("", |s| s.engine.as_str()),
            );
            match lang {
                Lang::En => format!(
                    "CPU-bound (nothing waits): use every core. A thread pool ({pool}) did {}{reps} the throughput of the event loop ({lp}, one thread) on this machine's {} cores{}{}.",
                    x(c.ratio.unwrap_or(f64::NAN)), c.cores,
                    threads.map_or(String::new(), |t| format!(" (in Rust, blocking threads too: {})", x(t))),
                    procs.map_or(String::new(), |p| format!("; a pool of worker processes did {} (iobound's procs engine, Rust's counterpart of multiprocessing)", x(p)))
                ),
                Lang::Fr => format!(
                    "Limité par le CPU (rien n'attend) : occupez tous les cœurs. Un pool de threads ({pool}) a fait {}{reps} le débit de la boucle ({lp}, un seul thread) sur les {} cœurs de cette machine{}{}.",
                    x(c.ratio.unwrap_or(f64::NAN)), c.cores,
                    threads.map_or(String::new(), |t| format!(" (en Rust, des threads bloquants aussi : {})", x(t))),
                    procs.map_or(String::new(), |p| format!(" ; un pool de processus a fait {} (le moteur procs d'iobound, l'équivalent Rust de multiprocessing)", x(p)))
                ),
            }
        }
        Some((c, v @ (Verdict::Tie | Verdict::NotHeld | Verdict::Unclear))) => {
            let ratios = c
                .compared
                .as_ref()
                .map_or(String::new(), |c| per_rep(c, lang));
            let tie = tie_reach(c.compared.as_ref(), Lang::En);
            let egalite = tie_reach(c.compared.as_ref(), Lang::Fr);
            let (en, fr) = match v {
                Verdict::Tie => (tie.as_str(), egalite.as_str()),
                Verdict::NotHeld => ("the event loop did more", "la boucle a fait plus"),
                _ => ("the repetitions disagree", "les répétitions divergent"),
            };
            match lang {
                Lang::En => format!(
                    "CPU-bound (nothing waits): the pool did {} the event loop's throughput here{ratios}: {en}.",
                    x(c.ratio.unwrap_or(f64::NAN))
                ),
                Lang::Fr => format!(
                    "Limité par le CPU (rien n'attend) : le pool a fait {} le débit de la boucle ici{ratios} : {fr}.",
                    x(c.ratio.unwrap_or(f64::NAN))
                ),
            }
        }
        _ => lang
            .pick(
                "CPU-bound: this run did not compare a pool with an event loop.",
                "Limité par le CPU : cette mesure ne compare pas un pool et une boucle.",
            )
            .to_string(),
    }
}

/// The mixed sentence: how event loop + pool fared against the best single
/// model, over every mixed group, and where the map shows it.
fn mixed_sentence(r: &Report, claims: &[Claim], lang: Lang) -> String {
    let Some(c) = claims
        .iter()
        .find(|c| c.id == ClaimId::MixedWork && c.verdict != Verdict::NotMeasured)
    else {
        return lang
            .pick(
                "Mixed: no group of this run is classed as mixed work (a wait and computing that both weigh), so event loop + pool was judged against no other model here; where it ran, its figures are in its workload's table.",
                "Mixte : aucun groupe de cette mesure n'est classé travail mixte (une attente et un calcul qui pèsent tous deux), boucle + pool n'a donc été jugé contre aucun autre modèle ici ; là où il a tourné, ses chiffres sont dans la table de sa charge.",
            )
            .to_string();
    };
    let t = c.throughput_counts.unwrap_or_default();
    let p = c.p99_counts.unwrap_or_default();
    if c.mixed.len() == 1 {
        let m = &c.mixed[0];
        let rival = model_label(m.throughput_rival, lang);
        let words = |l: Lead| match (l, lang) {
            (Lead::A, Lang::En) => "ahead",
            (Lead::A, Lang::Fr) => "devant",
            (Lead::B, Lang::En) => "behind",
            (Lead::B, Lang::Fr) => "derrière",
            (Lead::Tie, Lang::En) => "a tie",
            (Lead::Tie, Lang::Fr) => "égalité",
            (Lead::Unclear, Lang::En) => "unclear",
            (Lead::Unclear, Lang::Fr) => "incertain",
        };
        return match lang {
            Lang::En => format!(
                "Mixed (wait, then compute): at its one mixed point ({}), event loop + pool did {} the requests per second of the best single model ({rival}): {}; on p99, {} against {}: {}.",
                m.group, x(m.throughput.median()), words(m.throughput.lead),
                x(m.p99.median()), model_label(m.p99_rival, lang), words(m.p99.lead)
            ),
            Lang::Fr => format!(
                "Mixte (attendre, puis calculer) : sur son seul point mixte ({}), boucle + pool a fait {} les requêtes par seconde du meilleur modèle simple ({rival}) : {} ; en p99, {} face à {} : {}.",
                m.group, x(m.throughput.median()), words(m.throughput.lead),
                x(m.p99.median()), model_label(m.p99_rival, lang), words(m.p99.lead)
            ),
        };
    }
    // How many of the mixed groups the decision map shows; the others
    // are named with their verdicts, so every counted group can be found.
    let off_map: Option<Vec<&super::MixedPoint>> = crate::report::map::build(r).map(|m| {
        c.mixed
            .iter()
            .filter(|x| !m.cells.iter().any(|cell| cell.group == x.group))
            .collect()
    });
    let word = |l: Lead| match (l, lang) {
        (Lead::A, Lang::En) => "ahead",
        (Lead::A, Lang::Fr) => "devant",
        (Lead::B, Lang::En) => "behind",
        (Lead::B, Lang::Fr) => "derrière",
        (Lead::Tie, Lang::En) => "tie",
        (Lead::Tie, Lang::Fr) => "égalité",
        (Lead::Unclear, Lang::En) => "unclear",
        (Lead::Unclear, Lang::Fr) => "incertain",
    };
    let named = |v: &[&super::MixedPoint]| {
        v.iter()
            .map(|m| match lang {
                Lang::En => format!(
                    "{} (throughput {}, p99 {})",
                    m.group,
                    word(m.throughput.lead),
                    word(m.p99.lead)
                ),
                Lang::Fr => format!(
                    "{} (débit {}, p99 {})",
                    m.group,
                    word(m.throughput.lead),
                    word(m.p99.lead)
                ),
            })
            .collect::<Vec<_>>()
            .join(lang.pick("; ", " ; "))
    };
    let map = match (off_map, lang) {
        (Some(v), Lang::En) if v.is_empty() => " — the decision map shows each".to_string(),
        (Some(v), Lang::Fr) if v.is_empty() => " — la carte de décision montre chacun".to_string(),
        (Some(v), Lang::En) => format!(
            " — the decision map shows {} of them; not on it: {}",
            t.total() - v.len(),
            named(&v)
        ),
        (Some(v), Lang::Fr) => format!(
            " — la carte de décision en montre {} ; hors de la carte : {}",
            t.total() - v.len(),
            named(&v)
        ),
        (None, _) => String::new(),
    };
    match lang {
        Lang::En => format!(
            "Mixed (wait, then compute): no single answer. Over {} mixed groups (Rust engines), event loop + pool against the best single model, on throughput: {}; on p99: {}{map}.",
            t.total(), counts_text(&t, lang), counts_text(&p, lang)
        ),
        Lang::Fr => format!(
            "Mixte (attendre, puis calculer) : pas de réponse unique. Sur {} groupes mixtes (moteurs Rust), boucle + pool contre le meilleur modèle simple, en débit : {} ; en p99 : {}{map}.",
            t.total(), counts_text(&t, lang), counts_text(&p, lang)
        ),
    }
}

/// One sentence per class of work, from the claims (and, for the
/// exceptions they name, the run's groups).
pub fn class_sentences(r: &Report, claims: &[Claim], lang: Lang) -> Vec<String> {
    vec![
        io_sentence(r, claims, lang),
        cpu_sentence(r, claims, lang),
        mixed_sentence(r, claims, lang),
    ]
}
