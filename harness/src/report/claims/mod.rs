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
    let mut first = None;
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
        if first.is_none() {
            first = Some((g, h, p));
        }
    }
    let Some((g, h, p)) = first else {
        return claim;
    };
    claim.verdict = if tput.behind > 0 {
        Verdict::NotHeld
    } else if tput.ahead > 0 {
        Verdict::Held
    } else if tput.unclear > 0 {
        Verdict::Unclear
    } else {
        Verdict::Tie
    };
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
mod tests {
    use super::*;
    use crate::lang::Lang;
    use crate::report::model::testing::{group, point, report};

    const MODELS: [(&str, Model); 6] = [
        ("threads", Model::BlockingThreads),
        ("uring", Model::EventLoop),
        ("tokio", Model::EventLoop),
        ("rayon", Model::Pool),
        ("procs", Model::ProcessPool),
        ("hybrid", Model::EventLoopPool),
    ];

    fn claim(r: &Report, id: ClaimId) -> Claim {
        all(r).into_iter().find(|c| c.id == id).unwrap()
    }

    #[test]
    fn every_claim_is_not_measured_without_its_models() {
        // Only blocking threads ran: nothing can be compared.
        let r = report(
            2,
            &MODELS,
            vec![
                group(
                    "db-web",
                    Class::IoBound,
                    vec![point("threads", 1, &[100.0], 1.0, 1.0)],
                ),
                group(
                    "cpu-hash",
                    Class::CpuBound,
                    vec![point("threads", 4, &[100.0], 1.0, 4.0)],
                ),
                group(
                    "mixed-db",
                    Class::Mixed,
                    vec![point("threads", 4, &[100.0], 1.0, 4.0)],
                ),
            ],
        );
        for c in all(&r) {
            assert_eq!(c.verdict, Verdict::NotMeasured, "{:?}", c.id);
            assert!(why(&c, Lang::En).starts_with("Not measured"), "{:?}", c.id);
            assert_eq!(number(&c, Lang::Fr), "–");
        }
    }

    #[test]
    fn waiting_overlaps_against_the_ideal() {
        let g = |c64: &[f64]| {
            group(
                "db-web",
                Class::IoBound,
                vec![
                    point("uring", 1, &[100.0, 101.0, 99.0], 10.0, 1.0),
                    point("uring", 64, c64, 10.0, 1.0),
                ],
            )
        };
        // 61x of an ideal 64x: held.
        let r = report(2, &MODELS, vec![g(&[6000.0, 6100.0, 6200.0])]);
        let c = claim(&r, ClaimId::WaitingOverlaps);
        assert_eq!(c.verdict, Verdict::Held);
        assert!((c.ratio.unwrap() - 61.0).abs() < 1e-9);
        assert_eq!(c.ideal, Some(64.0));
        assert_eq!(c.limit, Some(Bound::Waiting));
        assert_eq!(
            number(&c, Lang::En),
            "61x at C=64 against C=1 (ideal 64x: 95%)"
        );
        // 10x: the waits overlapped, but far from the ideal.
        let r = report(2, &MODELS, vec![g(&[990.0, 1000.0, 1010.0])]);
        assert_eq!(
            claim(&r, ClaimId::WaitingOverlaps).verdict,
            Verdict::NotHeld
        );
        // Within 10 % of C = 1 in every repetition: a tie.
        let r = report(2, &MODELS, vec![g(&[95.0, 102.0, 106.0])]);
        assert_eq!(claim(&r, ClaimId::WaitingOverlaps).verdict, Verdict::Tie);
        // 0.95x, 1.01x, then 1.31x: the repetitions disagree.
        let r = report(2, &MODELS, vec![g(&[95.0, 102.0, 130.0])]);
        let c = claim(&r, ClaimId::WaitingOverlaps);
        assert_eq!(c.verdict, Verdict::Unclear);
        assert_eq!(c.verdict.symbol(), "?");
        assert!(
            why(&c, Lang::En).starts_with(
                "The repetitions disagree: uring against uring (0.95x, 1.01x, 1.31x by repetition)"
            ),
            "{}",
            why(&c, Lang::En)
        );
    }

    #[test]
    fn waiting_overlaps_is_judged_where_waiting_limits() {
        // 1 ms of CPU per request caps one core at 1000 req/s: at C=64 the
        // CPU limits (ceiling 1000 < 64 x 100), at C=8 waiting does (800).
        let r = report(
            2,
            &MODELS,
            vec![group(
                "db-web",
                Class::IoBound,
                vec![
                    point("uring", 1, &[100.0, 100.0, 100.0], 1000.0, 1.0),
                    point("uring", 8, &[780.0, 790.0, 800.0], 1000.0, 1.0),
                    point("uring", 64, &[990.0, 995.0, 1000.0], 1000.0, 1.0),
                ],
            )],
        );
        let c = claim(&r, ClaimId::WaitingOverlaps);
        assert_eq!(c.a.as_ref().unwrap().concurrency, 8);
        assert_eq!(c.verdict, Verdict::Held);
    }

    fn io_sweep(threads: [&[f64]; 3], uring: [&[f64]; 3], tokio: Option<[&[f64]; 3]>) -> Report {
        let mut pts = Vec::new();
        for (i, c) in [1usize, 64, 1024].into_iter().enumerate() {
            pts.push(point("threads", c, threads[i], 50.0, c as f64));
            pts.push(point("uring", c, uring[i], 20.0, 1.0));
            if let Some(t) = tokio {
                pts.push(point("tokio", c, t[i], 25.0, 1.0));
            }
        }
        report(2, &MODELS, vec![group("db-web", Class::IoBound, pts)])
    }

    #[test]
    fn one_thread_holds_many_waits_and_c_star() {
        let r = io_sweep(
            [
                &[100.0, 101.0, 99.0],
                &[6000.0, 6300.0, 6100.0],
                &[9000.0, 9500.0, 9900.0],
            ],
            [
                &[99.0, 100.0, 102.0],
                &[6200.0, 6400.0, 6000.0],
                &[14000.0, 14500.0, 14200.0],
            ],
            None,
        );
        let c = claim(&r, ClaimId::OneThreadManyWaits);
        assert_eq!(c.verdict, Verdict::Held);
        assert_eq!((c.c_star, c.c_upto), (Some(1024), Some(1024)));
        assert_eq!(c.a.as_ref().unwrap().threads, 1.0);
        assert_eq!(c.b.as_ref().unwrap().threads, 1024.0);
        assert!(
            number(&c, Lang::En).ends_with("C* = 1024"),
            "{}",
            number(&c, Lang::En)
        );
        assert_eq!(c.c_star_busy, 0);
        let answer = super::answer::class_sentences(&r, std::slice::from_ref(&c), Lang::En);
        assert!(
            answer[0].contains("threads fell behind from 1024 in flight (C*)")
                && !answer[0].contains("busy machine"),
            "{}",
            answer[0]
        );
        // Reviewer finding: C* = 256 rested on a repetition with 13 % steal,
        // unsaid. A busy repetition at C* is counted and said.
        let mut busy = r.clone();
        for p in busy.groups[0]
            .points
            .iter_mut()
            .filter(|p| p.concurrency == 1024 && p.engine == "threads")
        {
            p.busy_reps = 1;
        }
        let c = claim(&busy, ClaimId::OneThreadManyWaits);
        assert_eq!(c.c_star_busy, 1);
        let answer = super::answer::class_sentences(&busy, std::slice::from_ref(&c), Lang::En);
        assert!(
            answer[0].contains("threads fell behind from 1024 in flight (C*), though 1 of the repetitions there ran on a busy machine"),
            "{}",
            answer[0]
        );
        // Ranges that overlap at every C: a tie, and no C*.
        let r = io_sweep(
            [
                &[100.0, 101.0, 99.0],
                &[6000.0, 6300.0, 6100.0],
                &[9000.0, 9500.0, 9900.0],
            ],
            [
                &[99.0, 100.0, 102.0],
                &[6200.0, 6400.0, 6000.0],
                &[9800.0, 10000.0, 9400.0],
            ],
            None,
        );
        let c = claim(&r, ClaimId::OneThreadManyWaits);
        assert_eq!((c.verdict, c.c_star), (Verdict::Tie, None));
        assert_eq!(
            number(&c, Lang::En),
            "1.03x req/s at C=1024; C*: none up to 1024"
        );
        // Threads ahead beyond the spread: did not hold.
        let r = io_sweep(
            [
                &[100.0, 101.0, 99.0],
                &[6000.0, 6300.0, 6100.0],
                &[9000.0, 9500.0, 9900.0],
            ],
            [
                &[99.0, 100.0, 102.0],
                &[6200.0, 6400.0, 6000.0],
                &[5000.0, 5200.0, 5100.0],
            ],
            None,
        );
        assert_eq!(
            claim(&r, ClaimId::OneThreadManyWaits).verdict,
            Verdict::NotHeld
        );
    }

    #[test]
    fn a_model_with_two_engines_is_judged_by_its_best_and_named() {
        // tokio, an event loop too, does better than uring at 1024: it
        // stands for the model there.
        let r = io_sweep(
            [
                &[100.0, 101.0, 99.0],
                &[6000.0, 6300.0, 6100.0],
                &[9000.0, 9500.0, 9900.0],
            ],
            [
                &[99.0, 100.0, 102.0],
                &[6200.0, 6400.0, 6000.0],
                &[9800.0, 10000.0, 9400.0],
            ],
            Some([
                &[98.0, 99.0, 100.0],
                &[6100.0, 6200.0, 6300.0],
                &[15000.0, 15500.0, 14800.0],
            ]),
        );
        let c = claim(&r, ClaimId::OneThreadManyWaits);
        assert_eq!(c.verdict, Verdict::Held);
        assert_eq!(c.a.as_ref().unwrap().engine, "tokio");
        assert_eq!(c.c_star, Some(1024));
    }

    #[test]
    fn a_pool_is_judged_only_when_requests_far_outnumber_cores() {
        let pts = |c: usize| {
            vec![
                point("uring", c, &[5000.0, 5100.0, 5200.0], 20.0, 1.0),
                point("rayon", c, &[150.0, 160.0, 155.0], 30.0, 2.0),
            ]
        };
        // 8 in flight on 2 cores is not "many more than cores" (16 is).
        let r = report(2, &MODELS, vec![group("db-web", Class::IoBound, pts(8))]);
        assert_eq!(
            claim(&r, ClaimId::PoolWrongForWaiting).verdict,
            Verdict::NotMeasured
        );
        let r = report(2, &MODELS, vec![group("db-web", Class::IoBound, pts(64))]);
        let c = claim(&r, ClaimId::PoolWrongForWaiting);
        assert_eq!(c.verdict, Verdict::Held);
        assert!((c.ratio.unwrap() - 5100.0 / 155.0).abs() < 1e-9);
        assert_eq!(number(&c, Lang::En), "event loop 33x thread pool at C=64");
    }

    #[test]
    fn computing_needs_cores_against_the_number_of_cores() {
        let cpu = |pool: &[f64]| {
            report(
                2,
                &MODELS,
                vec![group(
                    "cpu-hash",
                    Class::CpuBound,
                    vec![
                        point("threads", 32, &[13500.0, 13600.0, 13700.0], 140.0, 32.0),
                        point("uring", 32, &[6700.0, 6800.0, 6900.0], 140.0, 1.0),
                        point("rayon", 32, pool, 140.0, 2.0),
                    ],
                )],
            )
        };
        let c = claim(
            &cpu(&[13500.0, 13600.0, 13800.0]),
            ClaimId::ComputingNeedsCores,
        );
        assert_eq!(c.verdict, Verdict::Held);
        assert!((c.ratio.unwrap() - 2.0).abs() < 1e-9);
        assert_eq!((c.ideal, c.cores), (Some(2.0), 2));
        assert_eq!(c.extra.as_ref().unwrap().engine, "threads");
        assert_eq!(
            number(&c, Lang::En),
            "thread pool 2.00x the event loop at C=32, blocking threads 2.00x, on 2 cores"
        );
        let c = claim(
            &cpu(&[6300.0, 7000.0, 6850.0]),
            ClaimId::ComputingNeedsCores,
        );
        assert_eq!(c.verdict, Verdict::Tie);
        assert!(
            why(&c, Lang::En).contains(
                "Within 10 % of each other in every repetition (0.94x, 1.03x, 0.99x by repetition)"
            ),
            "{}",
            why(&c, Lang::En)
        );
        let c = claim(
            &cpu(&[7600.0, 6500.0, 6900.0]),
            ClaimId::ComputingNeedsCores,
        );
        assert_eq!(c.verdict, Verdict::Unclear);
        let c = claim(
            &cpu(&[3000.0, 3100.0, 3200.0]),
            ClaimId::ComputingNeedsCores,
        );
        assert_eq!(c.verdict, Verdict::NotHeld);
    }

    fn mixed(label: &str, hybrid: &[f64], threads: &[f64]) -> Group {
        group(
            label,
            Class::Mixed,
            vec![
                point("threads", 256, threads, 50.0, 256.0),
                point("uring", 256, &[100.0, 101.0, 102.0], 50.0, 1.0),
                point("hybrid", 256, hybrid, 50.0, 3.0),
            ],
        )
    }

    #[test]
    fn mixed_work_counts_every_mixed_group() {
        let ahead = mixed(
            "mixed-db [a]",
            &[2000.0, 2100.0, 2050.0],
            &[1500.0, 1550.0, 1600.0],
        );
        let tie = mixed(
            "mixed-db [b]",
            &[1500.0, 1600.0, 1550.0],
            &[1500.0, 1550.0, 1600.0],
        );
        let behind = mixed(
            "mixed-db [c]",
            &[1000.0, 1010.0, 1020.0],
            &[1500.0, 1550.0, 1600.0],
        );
        let r = report(2, &MODELS, vec![ahead.clone(), tie.clone()]);
        let c = claim(&r, ClaimId::MixedWork);
        assert_eq!(c.verdict, Verdict::Held);
        assert_eq!(
            c.throughput_counts,
            Some(Counts {
                ahead: 1,
                tie: 1,
                behind: 0,
                unclear: 0,
            })
        );
        let r = report(2, &MODELS, vec![ahead, tie.clone(), behind]);
        assert_eq!(claim(&r, ClaimId::MixedWork).verdict, Verdict::NotHeld);
        let r = report(2, &MODELS, vec![tie]);
        assert_eq!(claim(&r, ClaimId::MixedWork).verdict, Verdict::Tie);
    }

    #[test]
    fn the_page_cache_counter_example() {
        let warm = |uring: &[f64]| {
            let mut g = group(
                "file-randread",
                Class::IoBound,
                vec![
                    point("threads", 32, &[390e3, 395e3, 400e3], 1.0, 32.0),
                    point("uring", 32, uring, 1.0, 1.0),
                ],
            );
            g.page_cache_warm = true;
            report(2, &MODELS, vec![g])
        };
        let c = claim(&warm(&[340e3, 345e3, 350e3]), ClaimId::PageCache);
        assert_eq!(c.verdict, Verdict::Held);
        assert_eq!(c.a.as_ref().unwrap().model, Model::BlockingThreads);
        assert_eq!(
            claim(&warm(&[380e3, 395e3, 420e3]), ClaimId::PageCache).verdict,
            Verdict::Tie
        );
        assert_eq!(
            claim(&warm(&[500e3, 510e3, 520e3]), ClaimId::PageCache).verdict,
            Verdict::NotHeld
        );
        // A warm cache is not evidence for the claims about waiting.
        let r = warm(&[500e3, 510e3, 520e3]);
        assert_eq!(
            claim(&r, ClaimId::OneThreadManyWaits).verdict,
            Verdict::NotMeasured
        );
    }

    /// The answer's I/O sentence names the I/O-bound workloads where blocking
    /// threads won beyond the spread, besides the claim's own group (the
    /// teacher's review: "file-write contradicts 'use an event loop'").
    #[test]
    fn the_io_answer_names_its_exceptions() {
        let mut r = io_sweep(
            [
                &[100.0, 101.0, 99.0],
                &[6000.0, 6300.0, 6100.0],
                &[9000.0, 9500.0, 9900.0],
            ],
            [
                &[99.0, 100.0, 102.0],
                &[6200.0, 6400.0, 6000.0],
                &[14000.0, 14500.0, 14200.0],
            ],
            None,
        );
        let s = class_sentences(&r, &all(&r), Lang::En);
        assert!(!s[0].contains("Not everywhere"), "{}", s[0]);
        r.groups.push(group(
            "file-write (O_DIRECT)",
            Class::IoBound,
            vec![
                point("threads", 32, &[45000.0, 46000.0, 44000.0], 30.0, 32.0),
                point("uring", 32, &[28000.0, 29000.0, 27000.0], 40.0, 9.0),
            ],
        ));
        let s = class_sentences(&r, &all(&r), Lang::En);
        assert!(
            s[0].contains("Not everywhere: blocking threads won on file-write (O_DIRECT) (blocking threads 1.61x the event loop, C=32)"),
            "{}",
            s[0]
        );
    }

    #[test]
    fn claims_read_in_french_too() {
        let r = io_sweep(
            [
                &[100.0, 101.0, 99.0],
                &[6000.0, 6300.0, 6100.0],
                &[9000.0, 9500.0, 9900.0],
            ],
            [
                &[99.0, 100.0, 102.0],
                &[6200.0, 6400.0, 6000.0],
                &[14000.0, 14500.0, 14200.0],
            ],
            None,
        );
        let c = claim(&r, ClaimId::OneThreadManyWaits);
        assert_eq!(
            number(&c, Lang::Fr),
            "1.49x requêtes/s à C=1024 ; C* = 1024"
        );
        assert!(why(&c, Lang::Fr).contains("1024 threads contre 1"));
        let s = class_sentences(&r, &all(&r), Lang::Fr);
        assert_eq!(s.len(), 3);
        assert!(s[0].starts_with("Limité par les I/O"), "{}", s[0]);
    }

    // Issue 18: every sentence states what its numbers say. One test per
    // sentence kind whose wording must change with the numbers.

    /// 189x of an ideal 256x is said as such, not "almost 256-fold".
    #[test]
    fn waiting_overlaps_states_its_fold_and_fraction_of_ideal() {
        let g = group(
            "db-web",
            Class::IoBound,
            vec![
                point("uring", 1, &[100.0, 100.0, 100.0], 10.0, 1.0),
                point("uring", 256, &[18_900.0, 18_900.0, 18_900.0], 10.0, 1.0),
            ],
        );
        let c = claim(&report(2, &MODELS, vec![g]), ClaimId::WaitingOverlaps);
        assert_eq!(c.verdict, Verdict::Held);
        let w = why(&c, Lang::En);
        assert!(
            w.contains("throughput grew 189-fold, 74 % of the ideal 256-fold"),
            "{w}"
        );
        assert!(!w.contains("almost"), "{w}");
        let w = why(&c, Lang::Fr);
        assert!(w.contains("multiplié par 189, 74 % de l'idéal"), "{w}");
    }

    /// Where event loop + pool trails on requests per second but has the
    /// shorter p99, no single model did both: the sentence says so instead
    /// of "a single model already did both well enough".
    #[test]
    fn mixed_work_says_who_did_both_where_it_trailed() {
        let mut trails = mixed(
            "mixed-db [a]",
            &[1000.0, 1010.0, 1020.0],
            &[1100.0, 1110.0, 1120.0],
        );
        // Little's law gives the fixture's p99; make hybrid's shorter.
        for p in trails.points.iter_mut().filter(|p| p.engine == "hybrid") {
            p.p99_ns = crate::report::model::Stat::of(&[1e6, 1e6, 1e6]);
            for r in &mut p.per_rep {
                r.p99_ns = 1e6;
            }
        }
        let r = report(
            2,
            &MODELS,
            vec![
                trails.clone(),
                mixed("mixed-db [b]", &[100.0; 3], &[100.0; 3]),
            ],
        );
        let c = claim(&r, ClaimId::MixedWork);
        assert_eq!(c.verdict, Verdict::NotHeld);
        let w = why(&c, Lang::En);
        assert!(w.contains("mixed-db [a]: blocking threads did 1.10x its requests per second, but event loop + pool had a shorter p99"), "{w}");
        // French: articles, the verb agreeing with its subject, and "un p99
        // plus court" (shorter than that one model's, not the shortest).
        let f = why(&c, Lang::Fr);
        assert!(f.contains("mixed-db [a] : les threads bloquants ont fait 1.10x les requêtes par seconde de la boucle + pool, mais la boucle + pool a eu un p99 plus court (celui des threads bloquants"), "{f}");
        assert!(w.contains("No single model did both there"), "{w}");
        assert!(!w.contains("well enough"), "{w}");
        // Where it trails on both, the other conclusion.
        let both = mixed(
            "mixed-db [a]",
            &[1000.0, 1010.0, 1020.0],
            &[1100.0, 1110.0, 1120.0],
        );
        let r = report(
            2,
            &MODELS,
            vec![both, mixed("mixed-db [b]", &[100.0; 3], &[100.0; 3])],
        );
        let w = why(&claim(&r, ClaimId::MixedWork), Lang::En);
        assert!(
            w.contains(
                "and event loop + pool had a longer p99 too (1.10x that of blocking threads)"
            ) && w.contains("At mixed-db [a], a single model did better on both figures"),
            "{w}"
        );
    }

    /// One mixed point, and no map: the answer says "its one mixed point"
    /// and never points at a map the run does not have.
    #[test]
    fn the_mixed_answer_with_one_point_and_no_map() {
        let r = report(
            2,
            &MODELS,
            vec![mixed(
                "mixed-file",
                &[2000.0, 2100.0, 2050.0],
                &[1500.0, 1550.0, 1600.0],
            )],
        );
        let s = class_sentences(&r, &all(&r), Lang::En);
        assert!(
            s[2].contains("at its one mixed point (mixed-file)"),
            "{}",
            s[2]
        );
        assert!(!s[2].contains("map"), "{}", s[2]);
        let r = report(
            2,
            &MODELS,
            vec![
                mixed(
                    "mixed-file",
                    &[2000.0, 2100.0, 2050.0],
                    &[1500.0, 1550.0, 1600.0],
                ),
                mixed(
                    "mixed-db",
                    &[2000.0, 2100.0, 2050.0],
                    &[1500.0, 1550.0, 1600.0],
                ),
            ],
        );
        let s = class_sentences(&r, &all(&r), Lang::En);
        assert!(
            s[2].contains("Over 2 mixed groups") && !s[2].contains("map"),
            "{}",
            s[2]
        );
    }

    /// A one-thread server that capped the event loop: the answer says the
    /// comparison stops at the server's limit, what the loop's next ceiling
    /// is, and how to lift it.
    #[test]
    fn a_server_capped_comparison_says_so() {
        let mut r = io_sweep(
            [
                &[100.0, 101.0, 99.0],
                &[6000.0, 6300.0, 6100.0],
                &[9000.0, 9500.0, 9900.0],
            ],
            [
                &[99.0, 100.0, 102.0],
                &[6200.0, 6400.0, 6000.0],
                &[14000.0, 14500.0, 14200.0],
            ],
            None,
        );
        // 70 µs of server CPU per request: one server thread serves at
        // most 14.3k req/s, and the loop did 14.2k there.
        for p in &mut r.groups[0].points {
            p.server_cpu_ns = Some(crate::report::model::Stat::of(&[70_000.0]));
        }
        r.groups[0].params.server_threads = Some(1);
        let s = class_sentences(&r, &all(&r), Lang::En);
        assert!(s[0].contains("the loopback server (1 thread) capped it, so this compares the client models only up to the server's limit"), "{}", s[0]);
        assert!(
            s[0].contains("without it, the loop's next ceiling")
                && s[0].contains("--server-threads"),
            "{}",
            s[0]
        );
        let w = why(&claim(&r, ClaimId::OneThreadManyWaits), Lang::En);
        assert!(w.contains("the gap measured is a lower bound"), "{w}");
        // Far from the server's ceiling, no such caveat.
        for p in &mut r.groups[0].points {
            p.server_cpu_ns = Some(crate::report::model::Stat::of(&[1_000.0]));
        }
        let s = class_sentences(&r, &all(&r), Lang::En);
        assert!(!s[0].contains("capped"), "{}", s[0]);
    }

    /// With the server elsewhere (--target), a loss of the event loop is not
    /// explained by cores it did not fill: the sentences say what is unknown.
    #[test]
    fn a_remote_server_is_not_blamed_on_cores() {
        let mut r = io_sweep(
            [
                &[100.0, 101.0, 99.0],
                &[6000.0, 6300.0, 6100.0],
                &[9000.0, 9500.0, 9900.0],
            ],
            [
                &[99.0, 100.0, 102.0],
                &[6200.0, 6400.0, 6000.0],
                &[5000.0, 5200.0, 5100.0],
            ],
            None,
        );
        r.groups[0].params.remote = true;
        let c = claim(&r, ClaimId::OneThreadManyWaits);
        assert_eq!(c.verdict, Verdict::NotHeld);
        let w = why(&c, Lang::En);
        assert!(
            w.contains("The server ran elsewhere (--target)") && !w.contains("spread the work"),
            "{w}"
        );
        let s = class_sentences(&r, &all(&r), Lang::En);
        assert!(s[0].contains("its ceiling is unknown"), "{}", s[0]);
        // I/O sentence states threads' lead with threads-over-loop ratios.
        assert!(
            s[0].contains("blocking threads did 1.86x (1.80x, 1.83x, 1.94x by repetition)"),
            "{}",
            s[0]
        );
    }

    /// One repetition: ties say there was one run and a lead needs 10 %.
    #[test]
    fn one_repetition_is_said_in_ties() {
        let r = report(
            2,
            &MODELS,
            vec![group(
                "cpu-hash",
                Class::CpuBound,
                vec![
                    point("uring", 32, &[6800.0], 140.0, 1.0),
                    point("rayon", 32, &[7000.0], 140.0, 2.0),
                ],
            )],
        );
        let c = claim(&r, ClaimId::ComputingNeedsCores);
        assert_eq!(c.verdict, Verdict::Tie);
        let w = why(&c, Lang::En);
        assert!(
            w.contains("in the one repetition measured (a lead needs 10 % then)"),
            "{w}"
        );
        assert!(!w.contains("every repetition"), "{w}");
    }
}
