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
    // Each ratio with its repetitions, as the Rust figures beside it: a
    // ratio of medians can rest on one repetition (0.90x from 1.16x,
    // 0.82x, 0.84x; 2.84x from 1.70x, 3.02x, 2.60x).
    let reps = |k: Option<&super::super::verdict::Compared>| {
        k.map_or(String::new(), |k| {
            super::super::claims::per_rep_text(k, lang)
        })
    };
    let (ab, tr) = (
        reps(c.compared.as_ref()),
        reps(c.extra_growth_reps.as_ref()),
    );
    // Said as threads against themselves, so that the change of baseline
    // from the loop reads as meant (a reviewer read two baselines mixed).
    let at = a.concurrency;
    let threads = match (grew, lang, gil) {
        (Some((lo, t)), Lang::En, true) => format!(
            ", while threads did not scale: at {at} in flight they did {}{tr} their own rate at {lo}",
            times(t)
        ),
        (Some((lo, t)), Lang::En, false) => format!(
            ", while threads at {at} in flight did {}{tr} their own rate at {lo}",
            times(t)
        ),
        (Some((lo, t)), Lang::Fr, true) => format!(
            ", quand les threads ne passaient pas à l'échelle : à {at} en cours, ils faisaient {}{tr} leur propre débit à {lo} en cours",
            times(t)
        ),
        (Some((lo, t)), Lang::Fr, false) => format!(
            ", quand les threads faisaient à {at} en cours {}{tr} leur propre débit à {lo} en cours",
            times(t)
        ),
        (None, _, _) => String::new(),
    };
    Some(match lang {
        Lang::En => format!(
            "on {on}: a {} ({}) did {}{ab} the event loop's requests per second at {} in flight on {} cores{threads}{}.",
            model_label(a.model, lang),
            a.engine,
            times(ratio),
            a.concurrency,
            c.cores,
            if gil { ": the GIL lets one thread run Python code at a time, so computing in Python code needs processes (C code that releases the GIL, as hashlib's hashing of large buffers does, is the exception)" } else { "" }
        ),
        Lang::Fr => format!(
            "sur {on} : un {} ({}) a fait {}{ab} les requêtes par seconde de la boucle à {} en cours sur {} cœurs{threads}{}.",
            model_label(a.model, lang),
            a.engine,
            times(ratio),
            a.concurrency,
            c.cores,
            if gil { " : le GIL ne laisse qu'un thread exécuter du code Python à la fois, calculer en code Python demande donc des processus (du code C qui relâche le GIL, comme le hachage de grands tampons par hashlib, fait exception)" } else { "" }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{cpu, py_report};
    use crate::lang::Lang;
    use crate::report::model::testing::point;

    /// Reviewer finding: the answer's Python figures (2.84x, 0.90x) came
    /// without their repetitions where the Rust ones beside them had them,
    /// while one rested on a single repetition. Both carry them now (fails
    /// without).
    #[test]
    fn the_python_cpu_answer_gives_each_ratio_by_repetition() {
        let mut g = cpu("cpu-py [python]", &[118.0, 119.0, 121.0]);
        g.points
            .push(point("py-asyncio", 1, &[100.0, 100.0, 100.0], 10000.0, 1.0));
        g.points
            .push(point("py-asyncio", 8, &[100.0, 80.0, 102.0], 10000.0, 1.0));
        g.concurrencies = vec![1, 8];
        let r = py_report(vec![g]);
        let cs = crate::report::claims::all(&r);
        let a = super::answer(&r, &cs, Lang::En);
        let cpu = a
            .iter()
            .find(|s| s.contains("cpu-py"))
            .expect("a CPU sentence");
        assert!(
            cpu.contains("did 2.03x (2.00x, 2.58x, 1.99x by repetition) the event loop's requests per second"),
            "{cpu}"
        );
        assert!(
            cpu.contains("threads did not scale: at 8 in flight they did 0.95x (0.98x, 0.95x, 0.96x by repetition) their own rate at 1"),
            "{cpu}"
        );
    }
}
