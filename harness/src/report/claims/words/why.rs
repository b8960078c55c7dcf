//! Why each claim came out as it did, one function per claim: the numbers
//! behind the verdict (latencies, threads, CPU, memory, the mixed points
//! where the pool trailed), in the report's language.

use super::{capital, capped_by_server, dur, each_rep, fold, limit_text, ranges, x};
use crate::lang::Lang;
use crate::output::human;
use crate::report::bounds::Bound;
use crate::report::claims::{Claim, MixedPoint, Side, Verdict};
use crate::report::verdict::{model_did, model_label, model_of, Lead};

/// Waiting overlaps: the latencies and the growth, against the ideal.
pub(super) fn waiting_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
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
            "Throughput at C={n} stayed within 10 % of C=1 {}: the waits did not overlap{limit}.",
            each_rep(c.compared.as_ref(), lang)
        ),
        (Verdict::Tie, Lang::Fr) => format!(
            "À C={n} le débit est resté à moins de 10 % de C=1 {} : les attentes ne se sont pas recouvertes{limit}.",
            each_rep(c.compared.as_ref(), lang)
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

/// Claim 2 held while both sides came close to the loopback server's
/// ceilings: the gap then reflects the server's CPU per request under each
/// client as much as the clients' threads, so the sentence leads with the
/// server, gives the clients' own ceilings, and says "mostly the server"
/// only when its two costs differ by more than those ceilings do.
fn server_held_why(c: &Claim, (p, q): (f64, f64), costs: &str, lang: Lang) -> String {
    let share = super::server_share(c);
    let held = match lang {
        Lang::En => format!(
            "Both sides came close to ceilings the loopback server sets or shares (the loop at {:.0} % of its {} ceiling, threads at {:.0} % of their {} ceiling)",
            100.0 * p, bound_of(&c.a_ceiling, lang), 100.0 * q, bound_of(&c.b_ceiling, lang)
        ),
        Lang::Fr => format!(
            "Les deux côtés approchaient des plafonds que le serveur local fixe ou partage (la boucle à {:.0} % de son plafond {}, les threads à {:.0} % du leur, {})",
            100.0 * p, bound_of(&c.a_ceiling, lang), 100.0 * q, bound_of(&c.b_ceiling, lang)
        ),
    };
    let server = match (share.server_ns, lang) {
        (Some((sa, sb)), Lang::En) => format!(
            ": the server spent {} of CPU per request under the loop against {} under the threads ({})",
            dur(sa), dur(sb), x(sb / sa)
        ),
        (Some((sa, sb)), Lang::Fr) => format!(
            " : le serveur a dépensé {} de CPU par requête sous la boucle contre {} sous les threads ({})",
            dur(sa), dur(sb), x(sb / sa)
        ),
        (None, Lang::En) => ": the ratio reflects the server's CPU per request under each as much as the models".to_string(),
        (None, Lang::Fr) => " : le rapport reflète le CPU du serveur par requête sous chacun autant que les modèles".to_string(),
    };
    let own = match (share.clients, lang) {
        (Some((va, vb)), Lang::En) => format!(
            "; the clients' own ceilings (cores / CPU per request) were {} against {} req/s ({}){}",
            human::rate(va), human::rate(vb), x(va / vb),
            if share.mostly_server { ", so the ratio mostly measures the server's cost under each" } else { "" }
        ),
        (Some((va, vb)), Lang::Fr) => format!(
            " ; les plafonds des clients eux-mêmes (cœurs / CPU par requête) étaient {} contre {} requêtes/s ({}){}",
            human::rate(va), human::rate(vb), x(va / vb),
            if share.mostly_server { " : le rapport mesure donc surtout le coût du serveur sous chacun" } else { "" }
        ),
        (None, _) => String::new(),
    };
    match lang {
        Lang::En => format!("{held}{server}{own}. On the client side, each waiting request held a blocking thread where the loop kept a list: {costs}."),
        Lang::Fr => format!("{held}{server}{own}. Côté client, chaque requête en attente immobilisait un thread bloquant quand la boucle tenait une liste : {costs}."),
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

/// The label of a side's lowest ceiling ("server threads / server CPU per
/// request", "machine CPUs / ..."), so a sentence names what held it.
fn bound_of(c: &Option<super::super::bounds::Ceiling>, lang: Lang) -> &'static str {
    c.as_ref().map_or("", |c| c.limit.0.label(lang))
}

pub(super) fn one_thread_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
    let costs = costs(a, b, lang);
    let reached = c
        .a_ceiling
        .as_ref()
        .map(|ceil| (ceil.limit.0, a.throughput.median / ceil.limit.1));
    match (c.verdict, lang) {
        (Verdict::Held, _) => {
            let both = capped_by_server(c.b_ceiling.as_ref(), b);
            let loop_capped = capped_by_server(c.a_ceiling.as_ref(), a);
            if let (Some(p), Some(q)) = (loop_capped, both) {
                return server_held_why(c, (p, q), &costs, lang);
            }
            let cap = match (loop_capped, lang) {
                (Some(p), Lang::En) => format!(" Both sides shared one loopback server, which held the loop at {:.0} % of its ceiling: the gap measured is a lower bound.", 100.0 * p),
                (Some(p), Lang::Fr) => format!(" Les deux côtés partageaient un seul serveur local, qui a tenu la boucle à {:.0} % de son plafond : l'écart mesuré est un minimum.", 100.0 * p),
                (None, _) => String::new(),
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

pub(super) fn pool_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
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

pub(super) fn computing_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
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
    let did = model_did(m.throughput_rival, lang);
    let by = x(1.0 / m.throughput.median());
    // m.p99 is the rival's p99 over event loop + pool's: above 1, the
    // rival's was longer. The comparison is between these two only: "a
    // longer p99" than the rival, never "the longest" of every model.
    let p99_rival = model_of(m.p99_rival, lang);
    let p99 = match (m.p99.lead, lang) {
        (Lead::A, Lang::En) => format!(
            "but event loop + pool had a shorter p99 (that {p99_rival} was {} as long)",
            x(m.p99.median())
        ),
        (Lead::A, Lang::Fr) => format!(
            "mais la boucle + pool a eu un p99 plus court (celui {p99_rival} : {} plus long)",
            x(m.p99.median())
        ),
        (Lead::B, Lang::En) => format!(
            "and event loop + pool had a longer p99 too ({} that {p99_rival})",
            x(1.0 / m.p99.median())
        ),
        (Lead::B, Lang::Fr) => format!(
            "et la boucle + pool a eu un p99 plus long aussi ({} celui {p99_rival})",
            x(1.0 / m.p99.median())
        ),
        (Lead::Tie, Lang::En) => "with a p99 within 10 %".to_string(),
        (Lead::Tie, Lang::Fr) => "avec un p99 à moins de 10 %".to_string(),
        (Lead::Unclear, Lang::En) => "its p99 unclear".to_string(),
        (Lead::Unclear, Lang::Fr) => "son p99 incertain".to_string(),
    };
    match lang {
        Lang::En => format!("{}: {did} {by} its requests per second, {p99}", m.group),
        Lang::Fr => format!(
            "{} : {did} {by} les requêtes par seconde de la boucle + pool, {p99}",
            m.group
        ),
    }
}

/// "a, b and c" / "a, b et c".
fn and_list(items: &[&str], lang: Lang) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} {} {last}", rest.join(", "), lang.pick("and", "et")),
    }
}

pub(super) fn mixed_why(c: &Claim, lang: Lang) -> String {
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
                    Lang::Fr => format!("et {} autre{}", behind.len() - SHOWN, if behind.len() - SHOWN == 1 { "" } else { "s" }),
                });
            }
            let better_p99 = behind.iter().all(|m| m.p99.lead == Lead::A);
            // The points where it trailed on both figures, named: there the
            // pool's hand-off cost more than it gave.
            let both: Vec<&str> = behind
                .iter()
                .filter(|m| m.p99.lead == Lead::B)
                .map(|m| m.group.as_str())
                .collect();
            let end = match (better_p99, both.is_empty(), lang) {
                (true, _, Lang::En) => " No single model did both there: pick by the figure that matters, throughput or tail latency.".to_string(),
                (true, _, Lang::Fr) => " Aucun modèle simple n'a fait les deux là : choisissez selon le chiffre qui compte, débit ou latence de queue.".to_string(),
                (_, false, Lang::En) => format!(" At {}, a single model did better on both figures: there, handing the computing to a pool cost more than it gave.", and_list(&both, lang)),
                (_, false, Lang::Fr) => format!(" Sur {}, un modèle simple a fait mieux sur les deux chiffres : là, confier le calcul à un pool a coûté plus qu'il n'a rapporté.", and_list(&both, lang)),
                _ => String::new(),
            };
            // The verdict reads throughput; where the p99 count says
            // otherwise, the sentence says so (4 ahead on p99 beside a ✗).
            let p = c.p99_counts.unwrap_or_default();
            let tail = match (p.ahead > 0 && t.total() > 1, lang) {
                (true, Lang::En) => format!(" The verdict reads requests per second; on p99, event loop + pool was ahead at {} of {} points and behind at {}.", p.ahead, p.total(), p.behind),
                (true, Lang::Fr) => format!(" Le verdict lit les requêtes par seconde ; en p99, boucle + pool a été devant sur {} des {} points et derrière sur {}.", p.ahead, p.total(), p.behind),
                (false, _) => String::new(),
            };
            match lang {
                Lang::En => format!(
                    "Event loop + pool trailed on requests per second at {} of {} mixed points ({}).{end}{tail}",
                    t.behind, t.total(), list.join("; ")
                ),
                Lang::Fr => format!(
                    "Boucle + pool est derrière en requêtes par seconde sur {} des {} points mixtes ({}).{end}{tail}",
                    t.behind, t.total(), list.join(" ; ")
                ),
            }
        }
    }
}

pub(super) fn page_cache_why(c: &Claim, a: &Side, b: &Side, lang: Lang) -> String {
    let ratio = c.ratio.unwrap_or(f64::NAN);
    let cores = a.threads.min(c.cores as f64).max(1.0);
    match (c.verdict, lang) {
        (Verdict::Held, Lang::En) => format!(
            "No read waited, so there was nothing to overlap, and the loop ran every read on its one thread: {} did {} the event loop on {cores:.0} core{}.",
            model_label(a.model, lang), x(ratio), if cores == 1.0 { "" } else { "s" }
        ),
        (Verdict::Held, Lang::Fr) => format!(
            "Aucune lecture n'a attendu, il n'y avait rien à recouvrir, et la boucle a fait chaque lecture sur son unique thread : {}, {} la boucle, sur {cores:.0} cœur{}.",
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
