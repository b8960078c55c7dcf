//! The answer's I/O-bound sentence: the verdict on the event loop against
//! blocking threads, their costs, the pool's waits and the exceptions.

use iobound_workloads::{Class, Model};

use super::super::words::{dur, per_rep, per_rep_as, threads_text, tie_reach, x};
use super::super::{Claim, ClaimId, Side, Verdict};
use crate::lang::Lang;
use crate::report::model::Report;
use crate::report::verdict::{best_of, lead_of, model_label, Figure, Lead};

use super::limits::limits_text;

/// I/O-bound groups (not served from the page cache) where blocking threads
/// beat the best event loop at the group's highest common load: the
/// exceptions to "use an event loop", named with their margin.
fn io_exceptions(r: &Report, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    for g in r
        .groups
        .iter()
        .filter(|g| g.class == Some(Class::IoBound) && !g.page_cache_warm && !g.open_loop)
    {
        let Some(c) = g.highest_common() else {
            continue;
        };
        let (Some(t), Some(l)) = (
            best_of(r, g, Model::BlockingThreads, c),
            best_of(r, g, Model::EventLoop, c),
        ) else {
            continue;
        };
        if lead_of(t, l, Figure::Throughput) == Lead::A {
            // With its repetitions, as the claim's ratio has them (a
            // reviewer could not tell this 1.35x from one busy repetition).
            let reps = crate::report::claims::per_rep_text(
                &crate::report::verdict::compare(t, l, Figure::Throughput),
                lang,
            );
            out.push(format!(
                "{} ({} {}{reps} {}, C={c})",
                g.label,
                model_label(Model::BlockingThreads, lang),
                x(t.throughput.median / l.throughput.median),
                lang.pick("the event loop", "la boucle"),
            ));
        }
    }
    out
}

/// The I/O-bound sentence: the claim "one thread holds many waits", what
/// limited the loop, the pool's weakness, the exceptions, the counter-example.
pub(super) fn io_sentence(r: &Report, claims: &[Claim], lang: Lang) -> String {
    let get = |id| claims.iter().find(|c: &&Claim| c.id == id);
    let io = get(ClaimId::OneThreadManyWaits);
    let sides = io.and_then(|c| Some((c, c.a.as_ref()?, c.b.as_ref()?)));
    let mut s = match sides {
        Some((c, a, b)) => io_verdict(c, a, b, lang),
        None => lang
            .pick(
                "I/O-bound: this run did not compare an event loop with blocking threads on work that waits.",
                "Limité par les I/O : cette mesure ne compare pas boucle d'événements et threads bloquants sur un travail qui attend.",
            )
            .to_string(),
    };
    if let Some(c) = io.filter(|c| c.verdict != Verdict::NotMeasured) {
        s.push_str(&limits_text(c, lang));
    }
    if let Some(p) = get(ClaimId::PoolWrongForWaiting).filter(|c| c.verdict == Verdict::Held) {
        s.push_str(&pool_waits_text(p, lang));
    }
    s.push_str(&io_exceptions_text(r, io, lang));
    if let Some(c) =
        get(ClaimId::PageCache).filter(|c| matches!(c.verdict, Verdict::Held | Verdict::Tie))
    {
        // The repetitions' own ratios beside the ratio of medians, as the
        // other leads give them: 1.85x of medians read as 1.71x in the
        // middle repetition.
        let reps = c
            .compared
            .as_ref()
            .map_or(String::new(), |m| per_rep(m, lang));
        s.push_str(&match lang {
            Lang::En => format!(
                " When nothing waits (a warm page cache) there is nothing to overlap: {}{reps}.",
                super::super::number(c, lang)
            ),
            Lang::Fr => format!(
                " Quand rien n'attend (cache de pages chaud), il n'y a rien à recouvrir : {}{reps}.",
                super::super::number(c, lang)
            ),
        });
    }
    s
}

/// C*'s caveat when some of its repetitions ran on a busy machine: the
/// verdict there was read from them too.
fn star_busy(c: &Claim, lang: Lang) -> String {
    match (c.c_star_busy, lang) {
        (0, _) => String::new(),
        (n, Lang::En) => format!(
            ", though {n} of the repetitions there ran on a busy machine (see the warning above)"
        ),
        (1, Lang::Fr) => ", mais une des répétitions à ce point a tourné sur une machine occupée (voir l'avertissement en tête)".to_string(),
        (n, Lang::Fr) => format!(
            ", mais {n} des répétitions à ce point ont tourné sur une machine occupée (voir l'avertissement en tête)"
        ),
    }
}

/// The I/O claim's sentence: the event loop (`a`) against blocking threads
/// (`b`), by verdict.
fn io_verdict(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
    let ratio = c.ratio.unwrap_or(f64::NAN);
    // Ratios as the sentence states them: threads over the loop
    // when threads did more.
    let inverted = c.verdict == Verdict::NotHeld;
    let reps = c
        .compared
        .as_ref()
        .map_or(String::new(), |c| per_rep_as(c, inverted, lang));
    let costs = io_costs(a, b, lang);
    match (c.verdict, lang) {
        (Verdict::Held, Lang::En) => format!(
            "I/O-bound (requests wait): use an event loop when many requests wait at once. At {} in flight it did {}{reps} the blocking threads' requests per second, {costs}{}.",
            a.concurrency, x(ratio),
            c.c_star.map_or(String::new(), |s| format!("; threads fell behind from {s} in flight (C*){}", star_busy(c, lang))),
        ),
        (Verdict::Held, Lang::Fr) => format!(
            "Limité par les I/O (les requêtes attendent) : prenez une boucle d'événements quand beaucoup de requêtes attendent à la fois. À {} en cours elle a fait {}{reps} les requêtes par seconde des threads bloquants, {costs}{}.",
            a.concurrency, x(ratio),
            c.c_star.map_or(String::new(), |s| format!(" ; les threads ont décroché dès {s} en cours (C*){}", star_busy(c, lang))),
        ),
        (Verdict::Tie, Lang::En) => format!(
            "I/O-bound (requests wait): at {} in flight the event loop did {}{reps} the blocking threads' requests per second, {}, {costs}.",
            a.concurrency, x(ratio), tie_reach(c.compared.as_ref(), lang)
        ),
        (Verdict::Tie, Lang::Fr) => format!(
            "Limité par les I/O (les requêtes attendent) : à {} en cours la boucle d'événements a fait {}{reps} les requêtes par seconde des threads bloquants, {}, {costs}.",
            a.concurrency, x(ratio), tie_reach(c.compared.as_ref(), lang)
        ),
        (Verdict::Unclear, Lang::En) => format!(
            "I/O-bound (requests wait): at {} in flight the event loop against blocking threads gave {}{reps}: the repetitions disagree, so this run does not say which did more; {costs}.",
            a.concurrency, x(ratio)
        ),
        (Verdict::Unclear, Lang::Fr) => format!(
            "Limité par les I/O (les requêtes attendent) : à {} en cours, boucle d'événements contre threads bloquants a donné {}{reps} : les répétitions divergent, cette mesure ne dit donc pas qui a fait plus ; {costs}.",
            a.concurrency, x(ratio)
        ),
        (_, Lang::En) => format!(
            "I/O-bound (requests wait): on this machine blocking threads did {}{reps} the event loop's requests per second at {} in flight.",
            x(1.0 / ratio), a.concurrency
        ),
        (_, Lang::Fr) => format!(
            "Limité par les I/O (les requêtes attendent) : sur cette machine les threads bloquants ont fait {}{reps} les requêtes par seconde de la boucle à {} en cours.",
            x(1.0 / ratio), a.concurrency
        ),
    }
}

/// What each side spent: its threads and its CPU per request.
fn io_costs(a: &Side, b: &Side, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "with {} against {} and {} against {} of CPU per request",
            threads_text(a.threads, lang),
            threads_text(b.threads, lang),
            dur(a.cpu_per_request_ns),
            dur(b.cpu_per_request_ns)
        ),
        Lang::Fr => format!(
            "avec {} contre {} et {} contre {} de CPU par requête",
            threads_text(a.threads, lang),
            threads_text(b.threads, lang),
            dur(a.cpu_per_request_ns),
            dur(b.cpu_per_request_ns)
        ),
    }
}

/// A compute-sized pool that waits by blocking, against the event loop.
fn pool_waits_text(p: &Claim, lang: Lang) -> String {
    let threads = p.b.as_ref().map_or(f64::NAN, |b| b.threads);
    match lang {
        Lang::En => format!(
            " A pool sized for computing ({}, one per core) that waits by blocking did {} fewer requests per second than the event loop at {} in flight.",
            threads_text(threads, lang),
            x(p.ratio.unwrap_or(f64::NAN)),
            p.a.as_ref().map_or(0, |a| a.concurrency)
        ),
        Lang::Fr => format!(
            " Un pool taillé pour calculer ({}, un par cœur) qui attend en bloquant a fait {} moins de requêtes par seconde que la boucle à {} en cours.",
            threads_text(threads, lang),
            x(p.ratio.unwrap_or(f64::NAN)),
            p.a.as_ref().map_or(0, |a| a.concurrency)
        ),
    }
}

/// The groups where blocking threads won, other than the one the claim
/// was judged on, and only when the claim did not already say threads won;
/// empty when there are none.
fn io_exceptions_text(r: &Report, io: Option<&Claim>, lang: Lang) -> String {
    let exceptions: Vec<String> = match io {
        Some(c) if c.verdict != Verdict::NotHeld => io_exceptions(r, lang)
            .into_iter()
            .filter(|e| {
                !c.group
                    .as_ref()
                    .is_some_and(|g| e.starts_with(&format!("{g} (")))
            })
            .collect(),
        _ => Vec::new(),
    };
    if exceptions.is_empty() {
        return String::new();
    }
    match lang {
        Lang::En => format!(
            " Not everywhere: blocking threads won on {}.",
            exceptions.join(", ")
        ),
        Lang::Fr => format!(
            " Pas partout : les threads bloquants ont gagné sur {}.",
            exceptions.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "1 des répétitions ... ont tourné" was French for one repetition.
    #[test]
    fn one_busy_repetition_is_singular_in_french() {
        let r = crate::report::model::testing::report(2, &[], vec![]);
        let mut c = Claim::unmeasured(ClaimId::OneThreadManyWaits, &r);
        c.c_star_busy = 1;
        assert!(star_busy(&c, Lang::Fr).contains("une des répétitions à ce point a tourné"));
        c.c_star_busy = 2;
        assert!(star_busy(&c, Lang::Fr).contains("2 des répétitions à ce point ont tourné"));
        assert!(star_busy(&c, Lang::En).contains("2 of the repetitions there ran"));
    }
}
