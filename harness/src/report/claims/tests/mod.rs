//! The claims judged on fixture runs: each verdict and sentence kind.
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
    let r = sweep_to_14k();
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
    // The answer names the engines it compared (a reviewer took "the
    // event loop" for uring where the best loop was glommio).
    let r = cpu(&[13500.0, 13600.0, 13800.0]);
    let s = class_sentences(&r, &all(&r), Lang::En);
    let line = s.iter().find(|l| l.starts_with("CPU-bound")).unwrap();
    assert!(
        line.contains("A thread pool (rayon) did 2.00x (")
            && line.contains(
                "the throughput of the event loop (uring, one thread) on this machine's 2 cores"
            ),
        "{line}"
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
/// An I/O sweep several tests share: threads reach 9.5k req/s at the
/// top, the loop 14.2k.
fn sweep_to_14k() -> Report {
    io_sweep(
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
    )
}

#[test]
fn the_io_answer_names_its_exceptions() {
    let mut r = sweep_to_14k();
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
        s[0].contains("Not everywhere: blocking threads won on file-write (O_DIRECT) (blocking threads 1.61x (1.61x, 1.59x, 1.63x by repetition) the event loop, C=32)"),
        "{}",
        s[0]
    );
}

#[test]
fn claims_read_in_french_too() {
    let r = sweep_to_14k();
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

/// A one-thread server that capped the event loop: the answer says the
/// comparison stops at the server's limit, what the loop's next ceiling
/// is, and how to lift it.
#[test]
fn a_server_capped_comparison_says_so() {
    let mut r = sweep_to_14k();
    // 70 µs of server CPU per request: one server thread serves at
    // most 14.3k req/s, and the loop did 14.2k there.
    for p in &mut r.groups[0].points {
        p.server_cpu_ns = Some(crate::report::model::Stat::of(&[70_000.0]));
    }
    r.groups[0].params.server_threads = Some(1);
    let s = class_sentences(&r, &all(&r), Lang::En);
    assert!(s[0].contains("the loopback server (1 thread) capped it, so this compares the client models only up to the server's limit"), "{}", s[0]);
    assert!(
        s[0].contains("without it, the loop's next ceiling") && s[0].contains("--server-threads"),
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

/// Reviewer finding: with the server holding both sides, claim 2's "why"
/// gave the clients' threads and stacks as the reason while the ratio was
/// mostly the server's CPU per request under each. It leads with the
/// server's two costs now (fails with the old sentence).
#[test]
fn both_sides_server_held_lead_with_the_server() {
    let mut r = sweep_to_14k();
    // One server thread: 70 µs a request under the loop (14.3k req/s at
    // most, the loop did 14.2k), 100 µs under the threads (10k, they did
    // 9.5k).
    for p in &mut r.groups[0].points {
        let ns = if p.engine == "threads" {
            100_000.0
        } else {
            70_000.0
        };
        p.server_cpu_ns = Some(crate::report::model::Stat::of(&[ns]));
    }
    r.groups[0].params.server_threads = Some(1);
    let w = why(&claim(&r, ClaimId::OneThreadManyWaits), Lang::En);
    assert!(
        w.starts_with("Both sides came close to ceilings the loopback server sets or shares")
            && w.contains("the server spent 70.0µs of CPU per request under the loop against 100.0µs under the threads (1.43x)")
            && w.contains("(1.25x), so the ratio mostly measures the server's cost under each"),
        "{w}"
    );
    // Clients' ceilings further apart than the server's costs: no "mostly".
    for p in &mut r.groups[0].points {
        if p.engine == "threads" {
            p.server_cpu_ns = Some(crate::report::model::Stat::of(&[85_000.0]));
            p.throughput = crate::report::model::Stat::of(&[9000.0, 9500.0, 9900.0]);
        }
    }
    let w = why(&claim(&r, ClaimId::OneThreadManyWaits), Lang::En);
    assert!(w.contains("(1.21x)") && !w.contains("mostly"), "{w}");
    assert!(!w.starts_with("Every waiting request"), "{w}");
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
    // So does the answer's CPU-bound line (an outsider saw "within 10 % in
    // every repetition" in a 1-repetition run).
    let s = class_sentences(&r, &all(&r), Lang::En);
    let cpu = s
        .iter()
        .find(|l| l.starts_with("CPU-bound"))
        .expect("a CPU line");
    assert!(
        cpu.contains("within 10 % in the one repetition measured"),
        "{cpu}"
    );
    assert!(!cpu.contains("every repetition"), "{cpu}");
}

mod mixed;
