//! The answer the report leads with: one sentence per class of work
//! (I/O-bound, CPU-bound, mixed), built from the claims and, for the
//! exceptions and limits they name, from the run's groups and ceilings.

use iobound_workloads::{Class, Model};

use super::words::{capped_by_server, counts_text, dur, per_rep, per_rep_as, threads_text, x};
use super::{Claim, ClaimId, Side, Verdict};
use crate::lang::Lang;
use crate::report::bounds::{Bound, Ceiling};
use crate::report::model::Report;
use crate::report::verdict::{best_of, lead_of, model_label, Figure, Lead};

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
            out.push(format!(
                "{} ({} {} {}, C={c})",
                g.label,
                model_label(Model::BlockingThreads, lang),
                x(t.throughput.median / l.throughput.median),
                lang.pick("the event loop", "la boucle"),
            ));
        }
    }
    out
}

/// What limited the event loop (`a`) where the I/O claim was judged, and
/// what that means for the comparison: a server that capped it makes the
/// comparison one of the client models up to the server's limit.
fn limits_text(c: &Claim, lang: Lang) -> String {
    let (Some(a), Some(b), Some(ceil)) = (&c.a, &c.b, &c.a_ceiling) else {
        return String::new();
    };
    let reached = 100.0 * a.throughput.median / ceil.limit.1;
    // Named, not "there": the sentence before may end on another C (C*).
    let at = a.concurrency;
    if c.remote {
        return match lang {
            Lang::En => format!(
                " The server ran elsewhere (--target): its CPU was not measured, so its ceiling is unknown; the event loop reached {reached:.0} % of its lowest measured ceiling ({}).",
                ceil.limit.0.label(lang)
            ),
            Lang::Fr => format!(
                " Le serveur tournait ailleurs (--target) : son CPU n'est pas mesuré, son plafond est inconnu ; la boucle a atteint {reached:.0} % de son plus bas plafond mesuré ({}).",
                ceil.limit.0.label(lang)
            ),
        };
    }
    let b_capped = capped_by_server(c.b_ceiling.as_ref(), b);
    if let (Some(_), Some(pb), Some(bc)) = (capped_by_server(Some(ceil), a), b_capped, &c.b_ceiling)
    {
        // Both sides held by the server: what the ratio says is mostly the
        // server's CPU per request under each; their own ceilings say more.
        let threads = c.server_threads.unwrap_or(1);
        let (na, nb) = (next_ceiling(ceil), next_ceiling(bc));
        let next = match (na, nb) {
            (Some((_, va)), Some((_, vb))) => match lang {
                Lang::En => format!(
                    "; without it, their client ceilings (cores / CPU per request) are {} against {} req/s ({})",
                    crate::output::human::rate(va),
                    crate::output::human::rate(vb),
                    x(va / vb)
                ),
                Lang::Fr => format!(
                    " ; sans lui, leurs plafonds côté client (cœurs / CPU par requête) sont {} contre {} requêtes/s ({})",
                    crate::output::human::rate(va),
                    crate::output::human::rate(vb),
                    x(va / vb)
                ),
            },
            _ => String::new(),
        };
        return match lang {
            Lang::En => format!(
                " At {at} in flight, both sides were held by ceilings the loopback server ({threads} thread{}) sets or shares: the event loop at {reached:.0} % of its {} ceiling, blocking threads at {:.0} % of their {} ceiling, so the ratio measures the server's CPU under each as much as the client models{next}. Lift them with --server-threads (the server's own) or a server on another host (--target, which frees the machine's CPUs).",
                if threads == 1 { "" } else { "s" },
                ceil.limit.0.label(lang),
                100.0 * pb,
                bc.limit.0.label(lang)
            ),
            Lang::Fr => format!(
                " À {at} en cours, les deux côtés étaient tenus par des plafonds que le serveur local ({threads} thread{}) fixe ou partage : la boucle à {reached:.0} % de son plafond {}, les threads bloquants à {:.0} % du leur ({}) ; le rapport mesure donc le CPU du serveur sous chacun autant que les modèles côté client{next}. Levez ces plafonds avec --server-threads (celui du serveur) ou un serveur sur une autre machine (--target, qui libère les CPU de la machine).",
                if threads == 1 { "" } else { "s" },
                ceil.limit.0.label(lang),
                100.0 * pb,
                bc.limit.0.label(lang)
            ),
        };
    }
    if capped_by_server(Some(ceil), a).is_some() {
        let threads = c.server_threads.unwrap_or(1);
        let next = next_ceiling(ceil).map_or(String::new(), |(bound, v)| match lang {
            Lang::En => format!(
                "; without it, the loop's next ceiling ({}) is {} req/s, {} the blocking threads' figure",
                bound.label(lang),
                crate::output::human::rate(v),
                x(v / b.throughput.median)
            ),
            Lang::Fr => format!(
                " ; sans lui, le plafond suivant de la boucle ({}) est de {} requêtes/s, {} le chiffre des threads bloquants",
                bound.label(lang),
                crate::output::human::rate(v),
                x(v / b.throughput.median)
            ),
        });
        return match lang {
            Lang::En => format!(
                " At {at} in flight, the event loop reached {reached:.0} % of its lowest ceiling ({}): the loopback server ({threads} thread{}) capped it, so this compares the client models only up to the server's limit{next}. Lift it with --server-threads, or a server on another host (--target).",
                ceil.limit.0.label(lang),
                if threads == 1 { "" } else { "s" }
            ),
            Lang::Fr => format!(
                " À {at} en cours, la boucle atteignait {reached:.0} % de son plus bas plafond ({}) : le serveur local ({threads} thread{}) la plafonnait, et cette comparaison ne mesure les modèles côté client que jusqu'à la limite du serveur{next}. Levez-la avec --server-threads, ou un serveur sur une autre machine (--target).",
                ceil.limit.0.label(lang),
                if threads == 1 { "" } else { "s" }
            ),
        };
    }
    match lang {
        Lang::En => format!(
            " At {at} in flight, the event loop reached {reached:.0} % of its lowest ceiling ({}).",
            ceil.limit.0.label(lang)
        ),
        Lang::Fr => format!(
            " À {at} en cours, la boucle atteignait {reached:.0} % de son plus bas plafond ({}).",
            ceil.limit.0.label(lang)
        ),
    }
}

/// A point's lowest ceiling other than the server's and the machine's.
pub(super) fn next_ceiling(c: &Ceiling) -> Option<(Bound, f64)> {
    c.all
        .iter()
        .copied()
        .filter(|(b, _)| !matches!(b, Bound::Server | Bound::Machine))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The I/O-bound sentence: the claim "one thread holds many waits", what
/// limited the loop, the pool's weakness, the exceptions, the counter-example.
fn io_sentence(r: &Report, claims: &[Claim], lang: Lang) -> String {
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
                super::number(c, lang)
            ),
            Lang::Fr => format!(
                " Quand rien n'attend (cache de pages chaud), il n'y a rien à recouvrir : {}{reps}.",
                super::number(c, lang)
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
            "I/O-bound (requests wait): at {} in flight the event loop did {}{reps} the blocking threads' requests per second, within 10 % in every repetition, {costs}.",
            a.concurrency, x(ratio)
        ),
        (Verdict::Tie, Lang::Fr) => format!(
            "Limité par les I/O (les requêtes attendent) : à {} en cours la boucle d'événements a fait {}{reps} les requêtes par seconde des threads bloquants, à moins de 10 % à chaque répétition, {costs}.",
            a.concurrency, x(ratio)
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
            match lang {
                Lang::En => format!(
                    "CPU-bound (nothing waits): use every core. A thread pool did {}{reps} the event loop's throughput on {} cores{}{}.",
                    x(c.ratio.unwrap_or(f64::NAN)), c.cores,
                    threads.map_or(String::new(), |t| format!(" (in Rust, blocking threads too: {})", x(t))),
                    procs.map_or(String::new(), |p| format!("; a pool of worker processes did {} (iobound's procs engine, Rust's counterpart of multiprocessing)", x(p)))
                ),
                Lang::Fr => format!(
                    "Limité par le CPU (rien n'attend) : occupez tous les cœurs. Un pool de threads a fait {}{reps} le débit de la boucle sur {} cœurs{}{}.",
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
            let (en, fr) = match v {
                Verdict::Tie => (
                    "within 10 % in every repetition",
                    "à moins de 10 % à chaque répétition",
                ),
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
                "Mixed: this run did not compare event loop + pool with another model.",
                "Mixte : cette mesure ne compare pas boucle + pool avec un autre modèle.",
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
            "Mixed (wait, then compute): no single answer. Over {} mixed groups, event loop + pool against the best single model, on throughput: {}; on p99: {}{map}.",
            t.total(), counts_text(&t, lang), counts_text(&p, lang)
        ),
        Lang::Fr => format!(
            "Mixte (attendre, puis calculer) : pas de réponse unique. Sur {} groupes mixtes, boucle + pool contre le meilleur modèle simple, en débit : {} ; en p99 : {}{map}.",
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
