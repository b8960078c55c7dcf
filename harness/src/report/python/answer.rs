//! The answer's sentences with Python's in them: Rust's, and Python's
//! where the run measured a class of work on Python's engines only.

use super::super::model::Report;
use super::super::verdict::model_label;
use super::{claims, times, view};
use crate::lang::Lang;

/// The answer's sentences: Rust's, and where this run has no Rust figure
/// for a class of work but has Python's, Python's in its place, said so.
pub fn answer(r: &Report, cs: &[super::super::claims::Claim], lang: Lang) -> Vec<String> {
    use super::super::claims::{ClaimId, Verdict};
    let rust = super::super::claims::class_sentences(r, cs, lang);
    let (Some(v), Some(py_cs)) = (view(r), claims(r)) else {
        // No Python engine ran: the lesson's Python rule is said, as not
        // measured here, beside Rust's CPU-bound figure.
        return rust
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let cpu_measured = cs
                    .iter()
                    .any(|c| c.id == ClaimId::ComputingNeedsCores && c.verdict != Verdict::NotMeasured);
                if i == 1 && cpu_measured {
                    format!("{s} {}", lang.pick(
                        "In Python the GIL lets one thread run Python code at a time, so computing needs processes there (the Python engines, py-*, measure it; this run has none).",
                        "En Python le GIL ne laisse qu'un thread exécuter du code Python à la fois : calculer y demande des processus (les moteurs Python, py-*, le mesurent ; cette mesure n'en a pas).",
                    ))
                } else {
                    s
                }
            })
            .collect();
    };
    let py = super::super::claims::class_sentences(&v, &py_cs, lang);
    let measured = |cs: &[super::super::claims::Claim], id: ClaimId| {
        cs.iter()
            .any(|c| c.id == id && c.verdict != Verdict::NotMeasured)
    };
    let ids = [
        ClaimId::OneThreadManyWaits,
        ClaimId::ComputingNeedsCores,
        ClaimId::MixedWork,
    ];
    rust.into_iter()
        .zip(py)
        .zip(ids)
        .map(|((rs, ps), id)| {
            let py_cpu = || {
                py_cs
                    .iter()
                    .find(|c| c.id == id)
                    .and_then(|c| cpu_answer(c, lang))
            };
            // Both measured: Rust's CPU sentence, then Python's own.
            if id == ClaimId::ComputingNeedsCores && measured(cs, id) && measured(&py_cs, id) {
                if let Some(p) = py_cpu() {
                    return format!("{rs} {} {p}", lang.pick("In Python,", "En Python,"));
                }
            }
            if measured(cs, id) || !measured(&py_cs, id) {
                return rs;
            }
            // The CPU sentence speaks of Rust's threads; Python's is its own,
            // which needs its class named when it stands alone.
            match (id, py_cpu()) {
                (ClaimId::ComputingNeedsCores, Some(p)) => format!(
                    "{} {p}",
                    lang.pick(
                        "CPU-bound (nothing waits) — in Python,",
                        "Limité par le CPU (rien n'attend) — en Python,"
                    )
                ),
                _ => format!("{} {ps}", lang.pick("In Python —", "En Python —")),
            }
        })
        .collect()
}

/// The CPU-bound answer from the claim judged on Python's engines: the
/// pool (a process pool) against the event loop, and what threads did.
/// Threads are judged against their own rate at the group's lowest
/// concurrency, not against the loop: py-threads' cheaper requests made
/// them 1.49x asyncio at C = 1 already, so "threads 1.47x the loop" at
/// C = 8 read as parallelism where there was none (reviewer finding).
fn cpu_answer(c: &super::super::claims::Claim, lang: Lang) -> Option<String> {
    let (a, b) = (c.a.as_ref()?, c.b.as_ref()?);
    let ratio = a.throughput.median / b.throughput.median;
    let on = c.group.clone().unwrap_or_default();
    let grew = c.extra_growth;
    let gil = grew.is_some_and(|(_, t)| t < 1.3);
    let threads = match (grew, lang) {
        (Some((lo, t)), Lang::En) => format!(
            ", while threads did {} their own rate at {lo} in flight",
            times(t)
        ),
        (Some((lo, t)), Lang::Fr) => format!(
            ", quand les threads faisaient {} leur propre débit à {lo} en cours",
            times(t)
        ),
        (None, _) => String::new(),
    };
    Some(match lang {
        Lang::En => format!(
            "on {on}: a {} ({}) did {} the event loop's requests per second at {} in flight on {} cores{threads}{}.",
            model_label(a.model, lang),
            a.engine,
            times(ratio),
            a.concurrency,
            c.cores,
            if gil { ": the GIL lets one thread run Python code at a time, so computing in Python code needs processes (C code that releases the GIL, as hashlib's hashing of large buffers does, is the exception)" } else { "" }
        ),
        Lang::Fr => format!(
            "sur {on} : un {} ({}) a fait {} les requêtes par seconde de la boucle à {} en cours sur {} cœurs{threads}{}.",
            model_label(a.model, lang),
            a.engine,
            times(ratio),
            a.concurrency,
            c.cores,
            if gil { " : le GIL ne laisse qu'un thread exécuter du code Python à la fois, calculer en code Python demande donc des processus (du code C qui relâche le GIL, comme le hachage de grands tampons par hashlib, fait exception)" } else { "" }
        ),
    })
}
