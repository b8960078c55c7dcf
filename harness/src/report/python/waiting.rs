//! The waiting sentence (asyncio against threads and a process pool on an
//! I/O-bound group) and the mixed-work sentence (asyncio with a pool).

use iobound_workloads::Model;

use super::super::model::{Group, Report};
use super::super::verdict::{compare, model_label, model_the, Figure, Lead};
use super::{best, rate, times};
use crate::lang::Lang;
use crate::output::human;

/// Waiting in Python: asyncio against threads at the highest concurrency
/// both ran, and the process pool at its highest.
pub(super) fn waiting_sentence(r: &Report, g: &Group, lang: Lang) -> Option<String> {
    let c = g.concurrencies.iter().rev().copied().find(|&c| {
        best(r, g, Model::EventLoop, c).is_some() && best(r, g, Model::BlockingThreads, c).is_some()
    })?;
    let (l, t) = (
        best(r, g, Model::EventLoop, c)?,
        best(r, g, Model::BlockingThreads, c)?,
    );
    let cmp = compare(l, t, Figure::Throughput);
    let lead = match (cmp.lead, lang) {
        (Lead::A, Lang::En) => "ahead",
        (Lead::A, Lang::Fr) => "devant",
        (Lead::B, Lang::En) => "behind",
        (Lead::B, Lang::Fr) => "derrière",
        (Lead::Tie, Lang::En) => "a tie",
        (Lead::Tie, Lang::Fr) => "égalité",
        (Lead::Unclear, Lang::En) => "unclear",
        (Lead::Unclear, Lang::Fr) => "incertain",
    };
    let pool = g
        .concurrencies
        .iter()
        .rev()
        .find_map(|&x| best(r, g, Model::ProcessPool, x))
        .map_or(String::new(), |p| match lang {
            Lang::En => format!(
                "; a process pool ({}) did {} req/s at {} in flight, each process waiting for one request at a time",
                p.engine,
                rate(p.throughput.median),
                p.concurrency
            ),
            Lang::Fr => format!(
                " ; un pool de processus ({}) a fait {} requêtes/s à {} en cours, chaque processus attendant une requête à la fois",
                p.engine,
                rate(p.throughput.median),
                p.concurrency
            ),
        });
    Some(match lang {
        Lang::En => format!(
            "{}: at {c} in flight, the {} ({}) did {} req/s against {} for threads ({}: {}), with {} against {} of CPU per request{pool}.",
            g.label,
            model_label(Model::EventLoop, lang),
            l.engine,
            rate(l.throughput.median),
            rate(t.throughput.median),
            times(l.throughput.median / t.throughput.median),
            lead,
            human::duration_ns(l.cpu_ns.median),
            human::duration_ns(t.cpu_ns.median),
        ),
        Lang::Fr => format!(
            "{} : à {c} en cours, la {} ({}) a fait {} requêtes/s contre {} pour les threads ({} : {}), avec {} contre {} de CPU par requête{pool}.",
            g.label,
            model_label(Model::EventLoop, lang),
            l.engine,
            rate(l.throughput.median),
            rate(t.throughput.median),
            times(l.throughput.median / t.throughput.median),
            lead,
            human::duration_ns(l.cpu_ns.median),
            human::duration_ns(t.cpu_ns.median),
        ),
    })
}

/// Mixed work in Python: asyncio with a process pool against the best of
/// the other Python models.
pub(super) fn mixed_sentence(r: &Report, g: &Group, lang: Lang) -> Option<String> {
    let c = *g.concurrencies.last()?;
    let h = best(r, g, Model::EventLoopPool, c)?;
    let rival = [Model::EventLoop, Model::BlockingThreads, Model::ProcessPool]
        .into_iter()
        .filter_map(|m| best(r, g, m, c).map(|p| (m, p)))
        .max_by(|a, b| a.1.throughput.median.total_cmp(&b.1.throughput.median))?;
    let lower_p99 = [Model::EventLoop, Model::BlockingThreads, Model::ProcessPool]
        .into_iter()
        .filter_map(|m| best(r, g, m, c).map(|p| (m, p)))
        .min_by(|a, b| a.1.p99_ns.median.total_cmp(&b.1.p99_ns.median))?;
    let t = compare(h, rival.1, Figure::Throughput);
    let p = compare(h, lower_p99.1, Figure::P99);
    let word = |l: Lead| match (l, lang) {
        (Lead::A, Lang::En) => "ahead",
        (Lead::A, Lang::Fr) => "devant",
        (Lead::B, Lang::En) => "behind",
        (Lead::B, Lang::Fr) => "derrière",
        (Lead::Tie, Lang::En) => "a tie",
        (Lead::Tie, Lang::Fr) => "égalité",
        (Lead::Unclear, Lang::En) => "unclear",
        (Lead::Unclear, Lang::Fr) => "incertain",
    };
    Some(match lang {
        Lang::En => format!(
            "{}: at {c} in flight, asyncio with a process pool ({}) did {} req/s against {} for {} ({}), p99 {} against {} for {} ({}). Each computation crosses to a worker process and back, which is worth it only when it costs more than that trip.",
            g.label,
            h.engine,
            rate(h.throughput.median),
            rate(rival.1.throughput.median),
            model_label(rival.0, lang),
            word(t.lead),
            human::duration_ns(h.p99_ns.median),
            human::duration_ns(lower_p99.1.p99_ns.median),
            model_label(lower_p99.0, lang),
            word(p.lead),
        ),
        Lang::Fr => format!(
            "{} : à {c} en cours, asyncio avec un pool de processus ({}) a fait {} requêtes/s contre {} pour {} ({}), p99 {} contre {} pour {} ({}). Chaque calcul passe à un processus et revient, ce qui ne vaut que s'il coûte plus que ce trajet.",
            g.label,
            h.engine,
            rate(h.throughput.median),
            rate(rival.1.throughput.median),
            model_the(rival.0, lang),
            word(t.lead),
            human::duration_ns(h.p99_ns.median),
            human::duration_ns(lower_p99.1.p99_ns.median),
            model_the(lower_p99.0, lang),
            word(p.lead),
        ),
    })
}
