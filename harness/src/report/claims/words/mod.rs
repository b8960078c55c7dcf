//! The claims in words: each claim's statement, its one number, and one
//! line on why it came out as it did. Every sentence is built from the
//! numbers it states and changes its wording with them (held or not, a tie,
//! disagreeing repetitions, one repetition, a remote server, a capped
//! side), so no sentence can say more than its numbers; the tests below
//! check the wording where it must change.
//!
//! This module holds each claim's statement and number, the dispatch of
//! its "why" line, and the small formats every sentence shares; `why`
//! words each claim's reasons.

mod why;

use self::why::{computing_why, mixed_why, one_thread_why, page_cache_why, pool_why, waiting_why};

use super::{Claim, ClaimId, Counts, Side, Verdict};
use crate::lang::Lang;
use crate::output::human;
use crate::report::bounds::{Bound, Ceiling};
use crate::report::verdict::{model_label, Compared};

/// The claim as the lesson states it.
pub fn statement(id: ClaimId, lang: Lang) -> &'static str {
    match id {
        ClaimId::WaitingOverlaps => lang.pick(
            "Waiting overlaps: C requests that wait together take about as long as one",
            "Les attentes se recouvrent : C requêtes qui attendent ensemble prennent à peu près le temps d'une seule",
        ),
        ClaimId::OneThreadManyWaits => lang.pick(
            "One thread holds many waits: an event loop against blocking threads at the same load",
            "Un seul thread porte de nombreuses attentes : boucle d'événements contre threads bloquants à charge égale",
        ),
        ClaimId::PoolWrongForWaiting => lang.pick(
            "A pool is the wrong tool for waiting (I/O-bound, many more requests than cores)",
            "Un pool n'est pas l'outil pour attendre (I/O, bien plus de requêtes que de cœurs)",
        ),
        ClaimId::ComputingNeedsCores => lang.pick(
            "Computing needs cores: a pool against the event loop on CPU-bound work",
            "Le calcul a besoin de cœurs : un pool contre la boucle d'événements sur du calcul pur",
        ),
        ClaimId::MixedWork => lang.pick(
            "Mixed work: event loop + pool against the best single model",
            "Travail mixte : boucle + pool contre le meilleur modèle simple",
        ),
        ClaimId::PageCache => lang.pick(
            "Counter-example: reads from the page cache never wait, so the event loop gains nothing",
            "Contre-exemple : les lectures servies par le cache de pages n'attendent jamais, la boucle n'y gagne rien",
        ),
    }
}

/// A ratio: "1.49x", "33x", "∞x" when the other side completed nothing.
pub(super) fn x(v: f64) -> String {
    if v.is_infinite() {
        "∞x".into()
    } else if v >= 10.0 {
        format!("{v:.0}x")
    } else {
        format!("{v:.2}x")
    }
}

/// "189-fold", "7.5-fold".
fn fold(v: f64, lang: Lang) -> String {
    let n = if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    };
    match lang {
        Lang::En => format!("{n}-fold"),
        Lang::Fr => format!("par {n}"),
    }
}

pub(super) fn dur(ns: f64) -> String {
    human::duration_ns(ns)
}

pub(super) fn counts_text(c: &Counts, lang: Lang) -> String {
    let unclear = match (c.unclear, lang) {
        (0, _) => String::new(),
        (n, Lang::En) => format!(", unclear {n}"),
        (n, Lang::Fr) => format!(", incertain {n}"),
    };
    match lang {
        Lang::En => format!(
            "ahead {}, tie {}, behind {}{unclear} of {}",
            c.ahead,
            c.tie,
            c.behind,
            c.total()
        ),
        Lang::Fr => format!(
            "devant {}, égalité {}, derrière {}{unclear} sur {}",
            c.ahead,
            c.tie,
            c.behind,
            c.total()
        ),
    }
}

/// "1 OS thread", "4096 OS threads".
pub(super) fn threads_text(n: f64, lang: Lang) -> String {
    let plural = n.round() != 1.0;
    match lang {
        Lang::En => format!("{n:.0} OS thread{}", if plural { "s" } else { "" }),
        Lang::Fr => format!("{n:.0} thread{}", if plural { "s" } else { "" }),
    }
}

/// The claim's one number, in words.
pub fn number(c: &Claim, lang: Lang) -> String {
    let (Some(a), Some(b)) = (&c.a, &c.b) else {
        return "–".into();
    };
    let ratio = c.ratio.unwrap_or(f64::NAN);
    let ml = |s: &Side| model_label(s.model, lang);
    match c.id {
        ClaimId::WaitingOverlaps => {
            let ideal = c.ideal.unwrap_or(f64::NAN);
            match lang {
                Lang::En => format!(
                    "{} at C={} against C=1 (ideal {}: {:.0}%)",
                    x(ratio),
                    a.concurrency,
                    x(ideal),
                    100.0 * ratio / ideal
                ),
                Lang::Fr => format!(
                    "{} à C={} contre C=1 (idéal {} : {:.0} %)",
                    x(ratio),
                    a.concurrency,
                    x(ideal),
                    100.0 * ratio / ideal
                ),
            }
        }
        ClaimId::OneThreadManyWaits => {
            let star = match (c.c_star, lang) {
                (Some(s), _) => format!("C* = {s}"),
                (None, Lang::En) => format!("C*: none up to {}", c.c_upto.unwrap_or(0)),
                (None, Lang::Fr) => format!("C* : aucun jusqu'à {}", c.c_upto.unwrap_or(0)),
            };
            match lang {
                Lang::En => format!("{} req/s at C={}; {star}", x(ratio), a.concurrency),
                Lang::Fr => format!("{} requêtes/s à C={} ; {star}", x(ratio), a.concurrency),
            }
        }
        ClaimId::ComputingNeedsCores => {
            let grew = match (c.extra_growth, lang) {
                (Some((lo, g)), Lang::En) => format!(" ({} their own at C={lo})", x(g)),
                (Some((lo, g)), Lang::Fr) => format!(" ({} leur propre débit à C={lo})", x(g)),
                (None, _) => String::new(),
            };
            let threads = c.extra.as_ref().map_or(String::new(), |t| {
                format!(
                    ", {} {}{grew}",
                    ml(t),
                    x(t.throughput.median / b.throughput.median)
                )
            });
            match lang {
                Lang::En => format!(
                    "{} {} the event loop at C={}{threads}, on {} cores",
                    ml(a),
                    x(ratio),
                    a.concurrency,
                    c.cores
                ),
                Lang::Fr => format!(
                    "{} {} la boucle à C={}{threads}, sur {} cœurs",
                    ml(a),
                    x(ratio),
                    a.concurrency,
                    c.cores
                ),
            }
        }
        ClaimId::MixedWork => {
            let (t, p) = (
                c.throughput_counts.unwrap_or_default(),
                c.p99_counts.unwrap_or_default(),
            );
            match lang {
                Lang::En => format!(
                    "req/s: {}; p99: {}",
                    counts_text(&t, lang),
                    counts_text(&p, lang)
                ),
                Lang::Fr => format!(
                    "requêtes/s : {} ; p99 : {}",
                    counts_text(&t, lang),
                    counts_text(&p, lang)
                ),
            }
        }
        ClaimId::PoolWrongForWaiting | ClaimId::PageCache => match lang {
            Lang::En => format!("{} {} {} at C={}", ml(a), x(ratio), ml(b), a.concurrency),
            Lang::Fr => format!("{} {} {} à C={}", ml(a), x(ratio), ml(b), a.concurrency),
        },
    }
}

/// One line on why the claim came out as it did.
pub fn why(c: &Claim, lang: Lang) -> String {
    let (Some(a), Some(b)) = (&c.a, &c.b) else {
        return not_measured_why(c.id, lang).into();
    };
    if c.verdict == Verdict::Unclear {
        return unclear_why(c, a, b, lang);
    }
    match c.id {
        ClaimId::WaitingOverlaps => waiting_why(c, a, b, lang),
        ClaimId::OneThreadManyWaits => one_thread_why(c, a, b, lang),
        ClaimId::PoolWrongForWaiting => pool_why(c, a, b, lang),
        ClaimId::ComputingNeedsCores => computing_why(c, a, b, lang),
        ClaimId::MixedWork => mixed_why(c, lang),
        ClaimId::PageCache => page_cache_why(c, a, b, lang),
    }
}

/// Whether a side reached a server or machine ceiling (at 80 % or more):
/// then what was compared is the server's limit as much as the side.
pub(super) fn capped_by_server(ceiling: Option<&Ceiling>, s: &Side) -> Option<f64> {
    let c = ceiling?;
    let reached = s.throughput.median / c.limit.1;
    // Far past a ceiling, the ceiling did not hold the side: its CPU per
    // request overstated the steady state (4096 threads' start-up counted
    // in the cell), and "held by a ceiling at 134 %" contradicts itself.
    (matches!(c.limit.0, Bound::Server | Bound::Machine)
        && (0.8..=CEILING_SLACK).contains(&reached))
    .then_some(reached)
}

/// Where the loopback server held both sides of claim 2: the server's CPU
/// per request under the loop (`a`) and under the threads (`b`), the
/// clients' own ceilings (cores / CPU per request) when known, and whether
/// the server's two costs differ by more than those ceilings do (then the
/// ratio mostly measures the server). One computation for the answer and
/// the claim's why, so the two never conclude differently.
pub(in crate::report::claims) struct ServerShare {
    pub server_ns: Option<(f64, f64)>,
    pub clients: Option<(f64, f64)>,
    pub mostly_server: bool,
}

pub(in crate::report::claims) fn server_share(c: &Claim) -> ServerShare {
    let threads = c.server_threads.unwrap_or(1) as f64;
    // A server ceiling is its threads over its CPU per request.
    let server_cpu = |ceil: &Option<Ceiling>| {
        ceil.as_ref()?
            .all
            .iter()
            .find(|(b, _)| *b == Bound::Server)
            .map(|&(_, v)| 1e9 * threads / v)
    };
    let client = |ceil: &Option<Ceiling>| {
        ceil.as_ref()
            .and_then(crate::report::claims::answer::next_ceiling)
            .map(|(_, v)| v)
    };
    let server_ns = server_cpu(&c.a_ceiling).zip(server_cpu(&c.b_ceiling));
    let clients = client(&c.a_ceiling).zip(client(&c.b_ceiling));
    let mostly_server = match (server_ns, clients) {
        (Some((sa, sb)), Some((va, vb))) => (sb / sa).ln().abs() >= (va / vb).ln().abs(),
        _ => false,
    };
    ServerShare {
        server_ns,
        clients,
        mostly_server,
    }
}

/// How far past a ceiling a side may be and still be said to sit at it: the
/// ceilings come from medians of other cells, so a few percent over is
/// noise, a third over is not.
const CEILING_SLACK: f64 = 1.15;

pub(super) fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// Both sides' figures and their per-repetition ratios, for a tie.
fn ranges(a: &Side, b: &Side, c: Option<&Compared>, lang: Lang) -> String {
    let r = |s: &Side| {
        if s.reps > 1 {
            format!(
                "{} {}–{}",
                s.engine,
                human::rate(s.throughput.min),
                human::rate(s.throughput.max)
            )
        } else {
            format!("{} {}", s.engine, human::rate(s.throughput.median))
        }
    };
    let paired = c.is_some_and(|c| c.paired);
    let ratios = c.map_or(String::new(), |c| per_rep(c, lang));
    match (paired, lang) {
        (true, Lang::En) => format!(
            "within 10 % of each other in every repetition{ratios}: {}, {} req/s",
            r(a),
            r(b)
        ),
        (true, Lang::Fr) => format!(
            "à moins de 10 % l'un de l'autre à chaque répétition{ratios} : {}, {} requêtes/s",
            r(a),
            r(b)
        ),
        (false, Lang::En) => format!(
            "within 10 % of each other in the one repetition measured (a lead needs 10 % then): {}, {} req/s",
            r(a),
            r(b)
        ),
        (false, Lang::Fr) => format!(
            "à moins de 10 % l'un de l'autre dans la seule répétition mesurée (une avance exige alors 10 %) : {}, {} requêtes/s",
            r(a),
            r(b)
        ),
    }
}

/// " (1.78x, 1.28x, 1.54x by repetition)": A over B in each repetition.
/// "in every repetition", or "in the one repetition measured" where the
/// comparison had one (a 1-repetition run said "every repetition").
pub(super) fn each_rep(c: Option<&Compared>, lang: Lang) -> &'static str {
    match (c.is_some_and(|c| c.paired), lang) {
        (true, Lang::En) => "in every repetition",
        (true, Lang::Fr) => "à chaque répétition",
        (false, Lang::En) => "in the one repetition measured",
        (false, Lang::Fr) => "dans la seule répétition mesurée",
    }
}

/// A tie's reach: "within 10 % in every repetition" (see [`each_rep`]).
pub(super) fn tie_reach(c: Option<&Compared>, lang: Lang) -> String {
    match lang {
        Lang::En => format!("within 10 % {}", each_rep(c, lang)),
        Lang::Fr => format!("à moins de 10 % {}", each_rep(c, lang)),
    }
}

pub(super) fn per_rep(c: &Compared, lang: Lang) -> String {
    per_rep_as(c, false, lang)
}

/// [`per_rep`], for the other report sections.
pub fn per_rep_text(c: &Compared, lang: Lang) -> String {
    per_rep(c, lang)
}

/// [`per_rep`], B over A when `inverted` (for sentences that state B's lead).
pub(super) fn per_rep_as(c: &Compared, inverted: bool, lang: Lang) -> String {
    if !c.paired {
        return String::new();
    }
    let list = c
        .ratios
        .iter()
        .map(|&r| x(if inverted { 1.0 / r } else { r }))
        .collect::<Vec<_>>()
        .join(", ");
    match lang {
        Lang::En => format!(" ({list} by repetition)"),
        Lang::Fr => format!(" ({list} selon la répétition)"),
    }
}

/// Why a claim is unclear: the repetitions' ratios, on both sides of the
/// lead margin.
fn unclear_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
    let ratios = c
        .compared
        .as_ref()
        .map_or(String::new(), |c| per_rep(c, lang));
    match (c.id, lang) {
        (ClaimId::MixedWork, _) => {
            let t = c.throughput_counts.unwrap_or_default();
            match lang {
                Lang::En => format!("The repetitions disagree at {} of {} mixed points, and event loop + pool led at none: no verdict.", t.unclear, t.total()),
                Lang::Fr => format!("Les répétitions divergent sur {} des {} points mixtes, et boucle + pool n'a mené sur aucun : pas de verdict.", t.unclear, t.total()),
            }
        }
        (_, Lang::En) => format!(
            "The repetitions disagree: {} against {}{ratios}, ahead in some and behind or far apart in others, so no verdict.",
            a.engine, b.engine
        ),
        (_, Lang::Fr) => format!(
            "Les répétitions divergent : {} contre {}{ratios}, devant dans certaines, derrière ou loin dans d'autres, donc pas de verdict.",
            a.engine, b.engine
        ),
    }
}

/// " — the limit there was the server (93 %)": a side's lowest ceiling
/// when it is not waiting itself, with how close the side came to it.
fn limit_text(ceiling: Option<&Ceiling>, s: &Side, lang: Lang) -> String {
    let Some(c) = ceiling else {
        return String::new();
    };
    if c.limit.0 == Bound::Waiting {
        return String::new();
    }
    let p = 100.0 * s.throughput.median / c.limit.1;
    match lang {
        Lang::En => format!(
            " (its lowest ceiling there: {}, reached at {p:.0} %)",
            c.limit.0.label(lang)
        ),
        Lang::Fr => format!(
            " (son plus bas plafond là : {}, atteint à {p:.0} %)",
            c.limit.0.label(lang)
        ),
    }
}

fn not_measured_why(id: ClaimId, lang: Lang) -> &'static str {
    match id {
        ClaimId::WaitingOverlaps => lang.pick(
            "Not measured: no I/O-bound workload that waits ran on an event loop at C = 1 and above.",
            "Non mesurée : aucune charge I/O qui attend n'a tourné sur une boucle d'événements à C = 1 et au-delà.",
        ),
        ClaimId::OneThreadManyWaits => lang.pick(
            "Not measured: no I/O-bound workload that waits ran on both an event loop and blocking threads.",
            "Non mesurée : aucune charge I/O qui attend n'a tourné à la fois sur une boucle et sur des threads bloquants.",
        ),
        ClaimId::PoolWrongForWaiting => lang.pick(
            "Not measured: no I/O-bound workload that waits ran on both an event loop and a pool with at least 8 requests in flight per core.",
            "Non mesurée : aucune charge I/O qui attend n'a tourné à la fois sur une boucle et sur un pool avec au moins 8 requêtes en cours par cœur.",
        ),
        ClaimId::ComputingNeedsCores => lang.pick(
            "Not measured: no CPU-bound workload ran on both a pool and an event loop.",
            "Non mesurée : aucune charge de calcul n'a tourné à la fois sur un pool et sur une boucle.",
        ),
        ClaimId::MixedWork => lang.pick(
            "Not measured: no mixed workload ran on both event loop + pool and another model.",
            "Non mesurée : aucune charge mixte n'a tourné à la fois sur boucle + pool et sur un autre modèle.",
        ),
        ClaimId::PageCache => lang.pick(
            "Not measured: no I/O-bound workload read from a warm page cache on an event loop and another model.",
            "Non mesurée : aucune charge I/O n'a lu depuis un cache de pages chaud sur une boucle et un autre modèle.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Stat;
    use iobound_workloads::Model;

    /// make bench's answer said both sides were "held by ceilings", the
    /// threads "at 134 % of theirs": a side far past its ceiling is not
    /// held by it.
    #[test]
    fn a_side_far_past_its_ceiling_is_not_capped_by_it() {
        let side = |x: f64| Side {
            model: Model::BlockingThreads,
            engine: "threads".into(),
            concurrency: 4096,
            reps: 3,
            throughput: Stat::of(&[x]),
            p99_ns: Stat::of(&[1.0]),
            cpu_per_request_ns: 1.0,
            threads: 4096.0,
            memory: 0.0,
        };
        let ceiling = Ceiling {
            all: vec![(Bound::Machine, 10_000.0)],
            limit: (Bound::Machine, 10_000.0),
        };
        assert_eq!(capped_by_server(Some(&ceiling), &side(9_000.0)), Some(0.9));
        assert_eq!(capped_by_server(Some(&ceiling), &side(11_000.0)), Some(1.1));
        assert_eq!(capped_by_server(Some(&ceiling), &side(13_400.0)), None);
        assert_eq!(capped_by_server(Some(&ceiling), &side(7_000.0)), None);
    }
}
