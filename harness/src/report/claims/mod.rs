//! The lesson's claims, checked against the run. Each is one measured
//! comparison of two concurrency models — never of named engines: a model
//! stands for itself through its best engine by median throughput at the
//! point judged — and reads held, did not hold, tie (the ranges of the
//! repetitions overlap) or not measured (a model or regime the run lacks;
//! never guessed). Pure: a [`Report`] in, [`Claim`]s out; the words are
//! separate functions so tests check numbers, not sentences.
//!
//! `claim` holds what a claim is (its id, verdict, sides and counts); this
//! module judges each one.

mod claim;

pub use self::claim::{Claim, ClaimId, Counts, MixedPoint, Side, Verdict};

use iobound_workloads::{Class, Model};

use super::bounds::{self, Bound};
use super::model::{Group, Point, Report};
use super::verdict::{best_of, compare, lead_of, Figure, Lead};

/// Waiting overlaps when the speed-up from C = 1 reaches at least this
/// fraction of the ideal C×: more of the waiting overlapped than not.
pub const OVERLAP_HELD: f64 = 0.5;

/// "C ≫ cores": at least this many requests in flight per core.
pub const MANY_PER_CORE: usize = 8;

fn is_io_waiting(g: &Group) -> bool {
    !g.open_loop && g.class == Some(Class::IoBound) && !g.page_cache_warm
}

/// The best point among several models (their best engines) at `c`.
fn best_among<'a>(r: &Report, g: &'a Group, models: &[Model], c: usize) -> Option<&'a Point> {
    models
        .iter()
        .filter_map(|&m| best_of(r, g, m, c))
        .max_by(|a, b| a.throughput.median.total_cmp(&b.throughput.median))
}

/// Among the groups `eligible` admits, the one where both sides were
/// measured at the highest common concurrency of at least `min_c` (the
/// first such group on a tie), with that concurrency.
fn pick<'a>(
    r: &'a Report,
    eligible: impl Fn(&Group) -> bool,
    a: &[Model],
    b: &[Model],
    min_c: usize,
) -> Option<(&'a Group, usize)> {
    let mut found: Option<(&Group, usize)> = None;
    for g in r.groups.iter().filter(|g| eligible(g)) {
        let c = g.concurrencies.iter().rev().copied().find(|&c| {
            c >= min_c && best_among(r, g, a, c).is_some() && best_among(r, g, b, c).is_some()
        });
        if let Some(c) = c {
            if !found.is_some_and(|(_, fc)| c <= fc) {
                found = Some((g, c));
            }
        }
    }
    found
}

/// A claim "models `a` do better than models `b`" on throughput, judged in
/// the group [`pick`] chooses.
fn versus<'a>(
    r: &'a Report,
    id: ClaimId,
    eligible: impl Fn(&Group) -> bool,
    a: &[Model],
    b: &[Model],
    min_c: usize,
) -> (Claim, Option<(&'a Group, usize)>) {
    let mut claim = Claim::unmeasured(id, r);
    let Some((g, c)) = pick(r, eligible, a, b, min_c) else {
        return (claim, None);
    };
    let (pa, pb) = (
        best_among(r, g, a, c).expect("picked"),
        best_among(r, g, b, c).expect("picked"),
    );
    let compared = compare(pa, pb, Figure::Throughput);
    claim.verdict = Verdict::of(compared.lead);
    claim.compared = Some(compared);
    claim.ratio = Some(pa.throughput.median / pb.throughput.median);
    claim.judged_at(r, g, pa, pb);
    (claim, Some((g, c)))
}

/// Waiting overlaps: the event loop at C against itself at C = 1, against
/// the ideal C×, judged at the highest C where waiting (not CPU) is what
/// limits it, else at the lowest C above 1.
fn waiting_overlaps(r: &Report) -> Claim {
    let mut claim = Claim::unmeasured(ClaimId::WaitingOverlaps, r);
    let mut found: Option<(&Group, &Point, usize)> = None;
    for g in r.groups.iter().filter(|g| is_io_waiting(g)) {
        // The model's engine with C = 1 measured and the highest C above it.
        let best = g
            .engines
            .iter()
            .filter(|e| r.model_of(e) == Some(Model::EventLoop) && g.point(e, 1).is_some())
            .filter_map(|e| {
                let top = g
                    .points
                    .iter()
                    .filter(|p| &p.engine == e && p.concurrency > 1)
                    .max_by_key(|p| p.concurrency)?;
                Some((g.point(e, 1)?, top))
            })
            .max_by(|(_, x), (_, y)| {
                x.concurrency
                    .cmp(&y.concurrency)
                    .then(x.throughput.median.total_cmp(&y.throughput.median))
            });
        if let Some((one, top)) = best {
            if !found.is_some_and(|(_, _, c)| top.concurrency <= c) {
                found = Some((g, one, top.concurrency));
            }
        }
    }
    let Some((g, one, _)) = found else {
        return claim;
    };
    let points: Vec<&Point> = g
        .points
        .iter()
        .filter(|p| p.engine == one.engine && p.concurrency > 1)
        .collect();
    let limited_by_waiting =
        |p: &&&Point| bounds::ceiling(r, g, p).is_some_and(|c| c.limit.0 == Bound::Waiting);
    let at = points
        .iter()
        .rev()
        .find(limited_by_waiting)
        .or_else(|| points.first())
        .copied()
        .expect("a point above C = 1");
    let c = at.concurrency as f64;
    let speedup = at.throughput.median / one.throughput.median;
    let compared = compare(at, one, Figure::Throughput);
    claim.verdict = match compared.lead {
        Lead::A if speedup >= OVERLAP_HELD * c => Verdict::Held,
        Lead::A | Lead::B => Verdict::NotHeld,
        Lead::Tie => Verdict::Tie,
        Lead::Unclear => Verdict::Unclear,
    };
    claim.compared = Some(compared);
    claim.ratio = Some(speedup);
    claim.ideal = Some(c);
    claim.limit = bounds::ceiling(r, g, at).map(|c| c.limit.0);
    claim.judged_at(r, g, at, one);
    claim
}

/// One thread holds many waits: the event loop against blocking threads at
/// the same C, and C*.
fn one_thread_many_waits(r: &Report) -> Claim {
    let (mut claim, at) = versus(
        r,
        ClaimId::OneThreadManyWaits,
        is_io_waiting,
        &[Model::EventLoop],
        &[Model::BlockingThreads],
        1,
    );
    if let Some((g, c)) = at {
        claim.c_upto = Some(c);
        claim.c_star = c_star(r, g, c);
        claim.c_star_busy = claim.c_star.map_or(0, |s| {
            [Model::EventLoop, Model::BlockingThreads]
                .into_iter()
                .filter_map(|m| best_of(r, g, m, s))
                .map(|p| p.busy_reps)
                .sum()
        });
    }
    claim
}

/// C*: the lowest concurrency up to `upto` from which blocking threads fell
/// behind the event loop and stayed behind at every higher concurrency
/// both ran (each model by its best engine). A lead of the loop at a low
/// concurrency that threads take back further up is not where they "fell
/// behind".
pub fn c_star(r: &Report, g: &Group, upto: usize) -> Option<usize> {
    let behind = |x: usize| match (
        best_of(r, g, Model::EventLoop, x),
        best_of(r, g, Model::BlockingThreads, x),
    ) {
        (Some(e), Some(t)) => Some(lead_of(e, t, Figure::Throughput) == Lead::A),
        _ => None,
    };
    let both: Vec<(usize, bool)> = g
        .concurrencies
        .iter()
        .copied()
        .filter(|&x| x <= upto)
        .filter_map(|x| behind(x).map(|b| (x, b)))
        .collect();
    // The start of the last run of concurrencies where threads were behind.
    let mut star = None;
    for &(x, b) in &both {
        match (b, star) {
            (true, None) => star = Some(x),
            (false, _) => star = None,
            (true, Some(_)) => {}
        }
    }
    star
}

/// The highest concurrency where both the event loop and blocking threads
/// ran in `g`.
pub fn common_top(r: &Report, g: &Group) -> Option<usize> {
    g.concurrencies.iter().rev().copied().find(|&x| {
        best_of(r, g, Model::EventLoop, x).is_some()
            && best_of(r, g, Model::BlockingThreads, x).is_some()
    })
}

const POOLS: [Model; 2] = [Model::Pool, Model::ProcessPool];

/// Every claim, in the order the report lists them.
pub fn all(r: &Report) -> Vec<Claim> {
    let cores = r.cpus.max(1);
    let mut out = vec![waiting_overlaps(r), one_thread_many_waits(r)];
    out.push(
        versus(
            r,
            ClaimId::PoolWrongForWaiting,
            is_io_waiting,
            &[Model::EventLoop],
            &POOLS,
            MANY_PER_CORE * cores,
        )
        .0,
    );
    let (mut computing, at) = versus(
        r,
        ClaimId::ComputingNeedsCores,
        |g| !g.open_loop && g.class == Some(Class::CpuBound),
        &POOLS,
        &[Model::EventLoop],
        1,
    );
    if let Some((g, c)) = at {
        computing.ideal = Some(r.cpus as f64);
        computing.extra = best_of(r, g, Model::BlockingThreads, c).map(|p| Side::of(r, p));
        computing.extra_growth = g
            .concurrencies
            .first()
            .filter(|&&lo| lo < c)
            .and_then(|&lo| {
                let at = |c| best_of(r, g, Model::BlockingThreads, c);
                let base = at(lo)?.throughput.median;
                // Nothing done at the lowest C: no growth to state.
                let top = at(c)?.throughput.median;
                (base > 0.0).then_some((lo, top / base))
            });
        computing.extra_growth_reps = g.concurrencies.first().and_then(|&lo| {
            let at = |c| best_of(r, g, Model::BlockingThreads, c);
            Some(compare(at(c)?, at(lo)?, Figure::Throughput)).filter(|_| lo < c)
        });
    }
    out.push(computing);
    out.push(mixed_work(r));
    let others: Vec<Model> = Model::ALL
        .into_iter()
        .filter(|&m| m != Model::EventLoop)
        .collect();
    out.push(
        versus(
            r,
            ClaimId::PageCache,
            |g| !g.open_loop && g.class == Some(Class::IoBound) && g.page_cache_warm,
            &others,
            &[Model::EventLoop],
            1,
        )
        .0,
    );
    out
}

/// Mixed work: in every mixed group, the event loop + pool against the
/// best pure model at the highest concurrency both ran. Held when it is
/// ahead somewhere and behind nowhere; did not hold when it is behind in
/// any group; a tie when it ties everywhere.
fn mixed_work(r: &Report) -> Claim {
    let mut claim = Claim::unmeasured(ClaimId::MixedWork, r);
    let pure: Vec<Model> = Model::ALL
        .into_iter()
        .filter(|&m| m != Model::EventLoopPool)
        .collect();
    let (mut tput, mut p99) = (Counts::default(), Counts::default());
    // Each group's sides and lead: the claim's two sides are those of the
    // first group whose lead is the verdict's (a group it trails in, for a
    // claim that did not hold), so the detail table shows what decided it.
    let mut judged = Vec::new();
    for g in r
        .groups
        .iter()
        .filter(|g| !g.open_loop && g.class == Some(Class::Mixed))
    {
        let Some(c) = g.concurrencies.iter().rev().copied().find(|&c| {
            best_of(r, g, Model::EventLoopPool, c).is_some() && best_among(r, g, &pure, c).is_some()
        }) else {
            continue;
        };
        let h = best_of(r, g, Model::EventLoopPool, c).expect("found");
        let p = best_among(r, g, &pure, c).expect("found");
        let on_tput = compare(h, p, Figure::Throughput);
        tput.add(on_tput.lead);
        judged.push((g, h, p, on_tput.lead));
        // The pure model with the lowest p99, for the latency count.
        let lowest = pure
            .iter()
            .flat_map(|&m| super::verdict::engines_of(r, g, m, c))
            .min_by(|a, b| a.p99_ns.median.total_cmp(&b.p99_ns.median))
            .expect("found");
        let fastest = super::verdict::engines_of(r, g, Model::EventLoopPool, c)
            .into_iter()
            .min_by(|a, b| a.p99_ns.median.total_cmp(&b.p99_ns.median))
            .expect("found");
        let on_p99 = compare(fastest, lowest, Figure::P99);
        p99.add(on_p99.lead);
        let model = |p: &Point| r.model_of(&p.engine).unwrap_or(Model::BlockingThreads);
        claim.mixed.push(MixedPoint {
            group: g.label.clone(),
            warm: g.page_cache_warm,
            throughput: on_tput,
            throughput_rival: model(p),
            p99: on_p99,
            p99_rival: model(lowest),
        });
    }
    let (verdict, deciding) = if tput.behind > 0 {
        (Verdict::NotHeld, Lead::B)
    } else if tput.ahead > 0 {
        (Verdict::Held, Lead::A)
    } else if tput.unclear > 0 {
        (Verdict::Unclear, Lead::Unclear)
    } else {
        (Verdict::Tie, Lead::Tie)
    };
    let Some(&(g, h, p, _)) = judged.iter().find(|j| j.3 == deciding).or(judged.first()) else {
        return claim;
    };
    claim.verdict = verdict;
    claim.judged_at(r, g, h, p);
    if tput.total() == 1 {
        claim.ratio = Some(h.throughput.median / p.throughput.median);
        claim.compared = Some(compare(h, p, Figure::Throughput));
    } else {
        claim.group = None;
    }
    claim.throughput_counts = Some(tput);
    claim.p99_counts = Some(p99);
    claim
}

mod answer;
mod words;

pub use answer::class_sentences;
pub use words::{number, per_rep_text, statement, why};

#[cfg(test)]
mod tests;
