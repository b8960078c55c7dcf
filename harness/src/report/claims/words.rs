//! The claims in words: each claim's statement, its one number, and one
//! line on why it came out as it did. Every sentence is built from the
//! numbers it states and changes its wording with them (held or not, a tie,
//! disagreeing repetitions, one repetition, a remote server, a capped
//! side), so no sentence can say more than its numbers; the tests below
//! check the wording where it must change.

use super::{Claim, ClaimId, Counts, MixedPoint, Side, Verdict};
use crate::lang::Lang;
use crate::output::human;
use crate::report::bounds::{Bound, Ceiling};
use crate::report::verdict::{model_label, Compared, Lead};

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
            let threads = c.extra.as_ref().map_or(String::new(), |t| {
                format!(
                    ", {} {}",
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

/// Waiting overlaps: the latencies and the growth, against the ideal.
fn waiting_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
    // Little's law: latency = in flight / throughput.
    let l1 = 1e9 / b.throughput.median;
    let lc = 1e9 * a.concurrency as f64 / a.throughput.median;
    let ratio = c.ratio.unwrap_or(f64::NAN);
    let n = a.concurrency;
    let pct = 100.0 * ratio / n as f64;
    let limit = limit_text(c.a_ceiling.as_ref(), a, lang);
    match (c.verdict, lang) {
        (Verdict::Held, Lang::En) => format!(
            "Requests in flight wait at the same time: each took {} with {n} in flight against {} alone (in flight / throughput), and throughput grew {}, {pct:.0} % of the ideal {n}-fold.",
            dur(lc), dur(l1), fold(ratio, lang)
        ),
        (Verdict::Held, Lang::Fr) => format!(
            "Les requêtes en cours attendent en même temps : chacune a pris {} avec {n} en cours contre {} seule (en cours / débit), et le débit a été multiplié {}, {pct:.0} % de l'idéal (×{n}).",
            dur(lc), dur(l1), fold(ratio, lang)
        ),
        (Verdict::Tie, Lang::En) => format!(
            "Throughput at C={n} stayed within 10 % of C=1 in every repetition: the waits did not overlap{limit}."
        ),
        (Verdict::Tie, Lang::Fr) => format!(
            "À C={n} le débit est resté à moins de 10 % de C=1 à chaque répétition : les attentes ne se sont pas recouvertes{limit}."
        ),
        (_, Lang::En) if ratio < 1.0 => format!(
            "Throughput fell to {} of its C=1 figure with {n} in flight: each request took {} against {} alone{limit}.",
            x(ratio), dur(lc), dur(l1)
        ),
        (_, Lang::Fr) if ratio < 1.0 => format!(
            "Le débit est tombé à {} de celui de C=1 avec {n} en cours : chaque requête a pris {} contre {} seule{limit}.",
            x(ratio), dur(lc), dur(l1)
        ),
        (_, Lang::En) => format!(
            "Each request took {} with {n} in flight against {} alone (in flight / throughput): throughput grew only {}, {pct:.0} % of the ideal {n}-fold{limit}.",
            dur(lc), dur(l1), fold(ratio, lang)
        ),
        (_, Lang::Fr) => format!(
            "Chaque requête a pris {} avec {n} en cours contre {} seule (en cours / débit) : le débit n'a été multiplié que {}, {pct:.0} % de l'idéal (×{n}){limit}.",
            dur(lc), dur(l1), fold(ratio, lang)
        ),
    }
}

/// What a side cost: threads, CPU, memory and p99, the loop (`a`) against
/// blocking threads (`b`), threads first.
fn costs(a: &Side, b: &Side, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "{:.0} OS threads against {:.0}, {} against {} of CPU per request, {} against {} of memory added, p99 {} against {}",
            b.threads, a.threads, dur(b.cpu_per_request_ns), dur(a.cpu_per_request_ns),
            human::bytes(b.memory), human::bytes(a.memory), dur(b.p99_ns.median), dur(a.p99_ns.median)
        ),
        Lang::Fr => format!(
            "{:.0} threads contre {:.0}, {} contre {} de CPU par requête, {} contre {} de mémoire ajoutée, p99 {} contre {}",
            b.threads, a.threads, dur(b.cpu_per_request_ns), dur(a.cpu_per_request_ns),
            human::bytes(b.memory), human::bytes(a.memory), dur(b.p99_ns.median), dur(a.p99_ns.median)
        ),
    }
}

/// Whether a side reached a server or machine ceiling (at 80 % or more):
/// then what was compared is the server's limit as much as the side.
pub(super) fn capped_by_server(ceiling: Option<&Ceiling>, s: &Side) -> Option<f64> {
    let c = ceiling?;
    let reached = s.throughput.median / c.limit.1;
    (matches!(c.limit.0, Bound::Server | Bound::Machine) && reached >= 0.8).then_some(reached)
}

fn one_thread_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
    let costs = costs(a, b, lang);
    let reached = c
        .a_ceiling
        .as_ref()
        .map(|ceil| (ceil.limit.0, a.throughput.median / ceil.limit.1));
    match (c.verdict, lang) {
        (Verdict::Held, _) => {
            let both = capped_by_server(c.b_ceiling.as_ref(), b);
            let cap = match (capped_by_server(c.a_ceiling.as_ref(), a), both, lang) {
                (Some(p), None, Lang::En) => format!(" Both sides shared one loopback server, which held the loop at {:.0} % of its ceiling: the gap measured is a lower bound.", 100.0 * p),
                (Some(p), None, Lang::Fr) => format!(" Les deux côtés partageaient un seul serveur local, qui a tenu la boucle à {:.0} % de son plafond : l'écart mesuré est un minimum.", 100.0 * p),
                (Some(p), Some(q), Lang::En) => format!(" The loopback server held both sides (the loop at {:.0} %, threads at {:.0} % of their server ceilings): the ratio reflects the server's CPU per request under each as much as the models.", 100.0 * p, 100.0 * q),
                (Some(p), Some(q), Lang::Fr) => format!(" Le serveur local tenait les deux côtés (la boucle à {:.0} %, les threads à {:.0} % de leurs plafonds serveur) : le rapport reflète le CPU du serveur par requête sous chacun autant que les modèles.", 100.0 * p, 100.0 * q),
                (None, _, _) => String::new(),
            };
            match lang {
                Lang::En => format!("Every waiting request holds a blocking thread, its stack and its switches; the loop keeps a list: {costs}.{cap}"),
                Lang::Fr => format!("Chaque requête en attente immobilise un thread bloquant, sa pile et ses changements de contexte ; la boucle tient une liste : {costs}.{cap}"),
            }
        }
        (Verdict::Tie, Lang::En) => format!(
            "{}: no lead. Costs: {costs}.",
            capital(&ranges(a, b, c.compared.as_ref(), lang))
        ),
        (Verdict::Tie, Lang::Fr) => format!(
            "{} : pas d'avance. Coûts : {costs}.",
            capital(&ranges(a, b, c.compared.as_ref(), lang))
        ),
        // Blocking threads did more: say what limited the loop, from its ceiling.
        (_, _) => {
            let ratio = x(1.0 / c.ratio.unwrap_or(f64::NAN));
            let cores = b.threads.min(c.cores as f64).max(1.0);
            match (reached, !c.remote, lang) {
                (Some((Bound::Cores, p)), _, Lang::En) if p >= 0.8 && cores >= 2.0 => format!(
                    "Blocking threads did {ratio} the loop's requests per second: they spread the work over {cores:.0} cores while the loop kept its one core {:.0} % busy. Costs: {costs}.", 100.0 * p
                ),
                (Some((Bound::Cores, p)), _, Lang::Fr) if p >= 0.8 && cores >= 2.0 => format!(
                    "Les threads bloquants ont fait {ratio} les requêtes par seconde de la boucle : ils répartissent le travail sur {cores:.0} cœurs quand la boucle occupait son seul cœur à {:.0} %. Coûts : {costs}.", 100.0 * p
                ),
                (Some((bound, p)), false, Lang::En) => format!(
                    "Blocking threads did {ratio} the loop's requests per second. The server ran elsewhere (--target), so its CPU was not measured; the loop reached {:.0} % of its lowest measured ceiling ({}): what limited it is outside this run. Costs: {costs}.", 100.0 * p, bound.label(lang)
                ),
                (Some((bound, p)), false, Lang::Fr) => format!(
                    "Les threads bloquants ont fait {ratio} les requêtes par seconde de la boucle. Le serveur tournait ailleurs (--target), son CPU n'est pas mesuré ; la boucle a atteint {:.0} % de son plus bas plafond mesuré ({}) : ce qui la limitait est hors de cette mesure. Coûts : {costs}.", 100.0 * p, bound.label(lang)
                ),
                (Some((bound, p)), true, Lang::En) => format!(
                    "Blocking threads did {ratio} the loop's requests per second; the loop reached {:.0} % of its lowest ceiling ({}){}. Costs: {costs}.", 100.0 * p, bound.label(lang),
                    if p < 0.5 { ": something this report does not model limited it" } else { "" }
                ),
                (Some((bound, p)), true, Lang::Fr) => format!(
                    "Les threads bloquants ont fait {ratio} les requêtes par seconde de la boucle ; la boucle a atteint {:.0} % de son plus bas plafond ({}){}. Coûts : {costs}.", 100.0 * p, bound.label(lang),
                    if p < 0.5 { " : quelque chose que ce rapport ne modélise pas la limitait" } else { "" }
                ),
                (None, _, Lang::En) => format!("Blocking threads did {ratio} the loop's requests per second. Costs: {costs}."),
                (None, _, Lang::Fr) => format!("Les threads bloquants ont fait {ratio} les requêtes par seconde de la boucle. Coûts : {costs}."),
            }
        }
    }
}

fn pool_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
    let n = b.threads.round();
    match (c.verdict, lang) {
        (Verdict::Tie, Lang::En) => format!("{}: no lead.", capital(&ranges(a, b, c.compared.as_ref(), lang))),
        (Verdict::Tie, Lang::Fr) => format!("{} : pas d'avance.", capital(&ranges(a, b, c.compared.as_ref(), lang))),
        (Verdict::Held, Lang::En) => format!("A pool of {n:.0} threads blocks a thread for every waiting request, so only {n:.0} requests wait at a time; the loop had {} waiting at once.", a.concurrency),
        (Verdict::Held, Lang::Fr) => format!("Un pool de {n:.0} threads immobilise un thread par requête en attente : {n:.0} requêtes seulement attendent à la fois ; la boucle en avait {} en même temps.", a.concurrency),
        (_, _) => {
            let limit = limit_text(c.a_ceiling.as_ref(), a, lang);
            match lang {
                Lang::En => format!("The pool's {n:.0} threads did {} the event loop's requests per second here{limit}.", x(1.0 / c.ratio.unwrap_or(f64::NAN))),
                Lang::Fr => format!("Les {n:.0} threads du pool ont fait {} les requêtes par seconde de la boucle ici{limit}.", x(1.0 / c.ratio.unwrap_or(f64::NAN))),
            }
        }
    }
}

fn computing_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
    let cores = a.threads.min(c.cores as f64).max(1.0);
    match (c.verdict, lang) {
        (Verdict::Held, Lang::En) => format!("Nothing waits, so there is nothing to overlap: the pool computed on {cores:.0} cores ({:.0} threads), the loop on one.", a.threads),
        (Verdict::Held, Lang::Fr) => format!("Rien n'attend, il n'y a rien à recouvrir : le pool a calculé sur {cores:.0} cœurs ({:.0} threads), la boucle sur un seul.", a.threads),
        (Verdict::Tie, _) => {
            let one_core = match (c.cores, lang) {
                (1, Lang::En) => " (this machine has one core: there is no second core to use)",
                (1, Lang::Fr) => " (cette machine n'a qu'un cœur : pas de second cœur à occuper)",
                _ => "",
            };
            match lang {
                Lang::En => format!("{}: the run did not show a second core's work{one_core}.", capital(&ranges(a, b, c.compared.as_ref(), lang))),
                Lang::Fr => format!("{} : la mesure ne montre pas le travail d'un second cœur{one_core}.", capital(&ranges(a, b, c.compared.as_ref(), lang))),
            }
        }
        (_, Lang::En) => format!(
            "The event loop did {} the pool's requests per second: the pool spent {} of CPU per request against the loop's {}, which {} cores did not make up.",
            x(1.0 / c.ratio.unwrap_or(f64::NAN)), dur(a.cpu_per_request_ns), dur(b.cpu_per_request_ns), c.cores
        ),
        (_, Lang::Fr) => format!(
            "La boucle a fait {} les requêtes par seconde du pool : le pool a dépensé {} de CPU par requête contre {} pour la boucle, ce que {} cœurs n'ont pas compensé.",
            x(1.0 / c.ratio.unwrap_or(f64::NAN)), dur(a.cpu_per_request_ns), dur(b.cpu_per_request_ns), c.cores
        ),
    }
}

/// One mixed point where event loop + pool trailed on requests per second,
/// with what happened to its p99 there.
fn trailing_text(m: &MixedPoint, lang: Lang) -> String {
    let rival = model_label(m.throughput_rival, lang);
    let by = x(1.0 / m.throughput.median());
    // m.p99 is the rival's p99 over event loop + pool's: above 1, the
    // rival's was longer.
    let p99_rival = model_label(m.p99_rival, lang);
    let p99 = match (m.p99.lead, lang) {
        (Lead::A, Lang::En) => format!(
            "but the shorter p99 ({p99_rival}'s was {} as long)",
            x(m.p99.median())
        ),
        (Lead::A, Lang::Fr) => format!(
            "mais le p99 le plus court (celui de {p99_rival} : {} plus long)",
            x(m.p99.median())
        ),
        (Lead::B, Lang::En) => format!(
            "and the longer p99 too ({} that of {p99_rival})",
            x(1.0 / m.p99.median())
        ),
        (Lead::B, Lang::Fr) => format!(
            "et le p99 le plus long aussi ({} celui de {p99_rival})",
            x(1.0 / m.p99.median())
        ),
        (Lead::Tie, Lang::En) => "with a p99 within 10 %".to_string(),
        (Lead::Tie, Lang::Fr) => "avec un p99 à moins de 10 %".to_string(),
        (Lead::Unclear, Lang::En) => "its p99 unclear".to_string(),
        (Lead::Unclear, Lang::Fr) => "son p99 incertain".to_string(),
    };
    match lang {
        Lang::En => format!(
            "{}: {rival} did {by} its requests per second, {p99}",
            m.group
        ),
        Lang::Fr => format!(
            "{} : {rival} a fait {by} ses requêtes par seconde, {p99}",
            m.group
        ),
    }
}

fn mixed_why(c: &Claim, lang: Lang) -> String {
    let t = c.throughput_counts.unwrap_or_default();
    match c.verdict {
        Verdict::Held => {
            let ahead: Vec<&MixedPoint> = c
                .mixed
                .iter()
                .filter(|m| m.throughput.lead == Lead::A)
                .collect();
            let waited = ahead.iter().all(|m| !m.warm);
            match lang {
                Lang::En => format!(
                    "Event loop + pool did more requests per second than the best single model at {} of {} mixed points and less at none: {}.",
                    t.ahead, t.total(),
                    if waited { "the loop keeps the waits in flight while the pool computes, so neither blocks the other" }
                    else { "the pool computes on every core while the loop keeps the reads going" }
                ),
                Lang::Fr => format!(
                    "Boucle + pool a fait plus de requêtes par seconde que le meilleur modèle simple sur {} des {} points mixtes, et moins sur aucun : {}.",
                    t.ahead, t.total(),
                    if waited { "la boucle garde les attentes en cours pendant que le pool calcule, aucun ne bloque l'autre" }
                    else { "le pool calcule sur tous les cœurs pendant que la boucle poursuit les lectures" }
                ),
            }
        }
        Verdict::Tie => lang
            .pick(
                "Within 10 % of the best single model at every mixed point, in every repetition: combining both models neither gained nor lost.",
                "À moins de 10 % du meilleur modèle simple sur chaque point mixte, à chaque répétition : combiner les deux modèles n'a ni gagné ni perdu.",
            )
            .to_string(),
        _ => {
            let behind: Vec<&MixedPoint> = c
                .mixed
                .iter()
                .filter(|m| m.throughput.lead == Lead::B)
                .collect();
            const SHOWN: usize = 3;
            let mut list: Vec<String> = behind
                .iter()
                .take(SHOWN)
                .map(|m| trailing_text(m, lang))
                .collect();
            if behind.len() > SHOWN {
                list.push(match lang {
                    Lang::En => format!("and {} more", behind.len() - SHOWN),
                    Lang::Fr => format!("et {} autres", behind.len() - SHOWN),
                });
            }
            let better_p99 = behind.iter().all(|m| m.p99.lead == Lead::A);
            let worse_both = behind.iter().any(|m| m.p99.lead == Lead::B);
            let end = match (better_p99, worse_both, lang) {
                (true, _, Lang::En) => " No single model did both there: pick by the figure that matters, throughput or tail latency.",
                (true, _, Lang::Fr) => " Aucun modèle simple n'a fait les deux là : choisissez selon le chiffre qui compte, débit ou latence de queue.",
                (_, true, Lang::En) => " Where it trailed on both, a single model did both better here.",
                (_, true, Lang::Fr) => " Là où elle est derrière sur les deux, un seul modèle a fait mieux les deux ici.",
                _ => "",
            };
            match lang {
                Lang::En => format!(
                    "Event loop + pool trailed on requests per second at {} of {} mixed points ({}).{end}",
                    t.behind, t.total(), list.join("; ")
                ),
                Lang::Fr => format!(
                    "Boucle + pool est derrière en requêtes par seconde sur {} des {} points mixtes ({}).{end}",
                    t.behind, t.total(), list.join(" ; ")
                ),
            }
        }
    }
}

fn page_cache_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
    let ratio = c.ratio.unwrap_or(f64::NAN);
    let cores = a.threads.min(c.cores as f64).max(1.0);
    match (c.verdict, lang) {
        (Verdict::Held, Lang::En) => format!(
            "No read waited, so there was nothing to overlap: {} did {} the event loop on {cores:.0} core{}.",
            model_label(a.model, lang), x(ratio), if cores == 1.0 { "" } else { "s" }
        ),
        (Verdict::Held, Lang::Fr) => format!(
            "Aucune lecture n'a attendu, il n'y avait rien à recouvrir : {}, {} la boucle, sur {cores:.0} cœur{}.",
            model_label(a.model, lang), x(ratio), if cores == 1.0 { "" } else { "s" }
        ),
        (Verdict::Tie, Lang::En) => format!("No read waited: the event loop gained nothing ({}).", ranges(a, b, c.compared.as_ref(), lang)),
        (Verdict::Tie, Lang::Fr) => format!("Aucune lecture n'a attendu : la boucle n'a rien gagné ({}).", ranges(a, b, c.compared.as_ref(), lang)),
        (_, Lang::En) => format!(
            "The event loop still did {} {}'s requests per second: each read cost it {} of CPU against {}.",
            x(1.0 / ratio), model_label(a.model, lang), dur(b.cpu_per_request_ns), dur(a.cpu_per_request_ns)
        ),
        (_, Lang::Fr) => format!(
            "La boucle a tout de même fait {} les requêtes par seconde de {} : chaque lecture lui a coûté {} de CPU contre {}.",
            x(1.0 / ratio), model_label(a.model, lang), dur(b.cpu_per_request_ns), dur(a.cpu_per_request_ns)
        ),
    }
}

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
