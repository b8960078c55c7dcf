//! The limits a claim names: where each model stopped growing, and the
//! ceiling that came next.

use super::super::words::{capped_by_server, x};
use super::super::Claim;
use crate::lang::Lang;
use crate::report::bounds::{Bound, Ceiling};

/// What limited the event loop (`a`) where the I/O claim was judged, and
/// what that means for the comparison: a server that capped it makes the
/// comparison one of the client models up to the server's limit.
pub(super) fn limits_text(c: &Claim, lang: Lang) -> String {
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
        let share = super::super::words::server_share(c);
        let server = match (share.server_ns, lang) {
            (Some((sa, sb)), Lang::En) => format!(
                "; the server spent {} of CPU per request under the loop against {} under the threads ({})",
                crate::output::human::duration_ns(sa),
                crate::output::human::duration_ns(sb),
                x(sb / sa)
            ),
            (Some((sa, sb)), Lang::Fr) => format!(
                " ; le serveur a dépensé {} de CPU par requête sous la boucle contre {} sous les threads ({})",
                crate::output::human::duration_ns(sa),
                crate::output::human::duration_ns(sb),
                x(sb / sa)
            ),
            (None, _) => String::new(),
        };
        let clients = match (share.clients, lang) {
            (Some((va, vb)), Lang::En) => format!(
                "; without it, their client ceilings (cores / CPU per request) are {} against {} req/s ({}){}",
                crate::output::human::rate(va),
                crate::output::human::rate(vb),
                x(va / vb),
                if share.mostly_server { ", so the ratio mostly measures the server's cost under each" } else { ", so the ratio measures the server's cost under each as much as the client models" }
            ),
            (Some((va, vb)), Lang::Fr) => format!(
                " ; sans lui, leurs plafonds côté client (cœurs / CPU par requête) sont {} contre {} requêtes/s ({}){}",
                crate::output::human::rate(va),
                crate::output::human::rate(vb),
                x(va / vb),
                if share.mostly_server { " : le rapport mesure donc surtout le coût du serveur sous chacun" } else { " : le rapport mesure donc le coût du serveur sous chacun autant que les modèles côté client" }
            ),
            (None, _) => String::new(),
        };
        return match lang {
            Lang::En => format!(
                " At {at} in flight, both sides came close to ceilings the loopback server ({threads} thread{}) sets or shares: the event loop at {reached:.0} % of its {} ceiling, blocking threads at {:.0} % of their {} ceiling{server}{clients}. Lift them with --server-threads (the server's own) or a server on another host (--target, which frees the machine's CPUs).",
                if threads == 1 { "" } else { "s" },
                ceil.limit.0.label(lang),
                100.0 * pb,
                bc.limit.0.label(lang)
            ),
            Lang::Fr => format!(
                " À {at} en cours, les deux côtés approchaient des plafonds que le serveur local ({threads} thread{}) fixe ou partage : la boucle à {reached:.0} % de son plafond {}, les threads bloquants à {:.0} % du leur ({}){server}{clients}. Levez ces plafonds avec --server-threads (celui du serveur) ou un serveur sur une autre machine (--target, qui libère les CPU de la machine).",
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
pub(in crate::report::claims) fn next_ceiling(c: &Ceiling) -> Option<(Bound, f64)> {
    c.all
        .iter()
        .copied()
        .filter(|(b, _)| !matches!(b, Bound::Server | Bound::Machine))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}
