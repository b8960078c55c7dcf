//! The mixed-work claim's tests: event loop + pool against the best single
//! model over every mixed group, and how its verdict and sentences read.

use super::*;

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
        w.contains("and event loop + pool had a longer p99 too (1.10x that of blocking threads)")
            && w.contains("At mixed-db [a], a single model did better on both figures"),
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

/// Reviewer finding: "the claims in detail" showed "-" as the workload of
/// the mixed claim's two sides, which are its first group's. They are
/// labelled with it now.
#[test]
fn the_mixed_claims_sides_name_their_group() {
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
    let cs = all(&r);
    let rows = crate::report::tables::claim_detail_rows(&cs, Lang::En);
    let mixed_rows: Vec<_> = rows
        .iter()
        .filter(|row| row[2] == "event loop + pool")
        .collect();
    assert!(!mixed_rows.is_empty(), "{rows:?}");
    assert!(
        mixed_rows.iter().all(|row| row[1] == "mixed-file"),
        "{rows:?}"
    );
}

/// Reviewer finding: a ✗ whose detail rows showed a group where the event
/// loop + pool was unclear, not one where it trailed. The sides are now those of
/// the first group whose lead is the verdict's (fails if they stay the
/// first group's).
#[test]
fn the_mixed_claims_sides_come_from_a_group_that_decided_it() {
    let unclear = mixed(
        "mixed-db [unclear]",
        &[1200.0, 900.0, 1000.0],
        &[1000.0, 1000.0, 1000.0],
    );
    let trails = mixed(
        "mixed-db [trails]",
        &[1000.0, 1010.0, 1020.0],
        &[1500.0, 1550.0, 1600.0],
    );
    let r = report(2, &MODELS, vec![unclear, trails]);
    let c = claim(&r, ClaimId::MixedWork);
    assert_eq!(c.verdict, Verdict::NotHeld);
    assert_eq!(c.sides_group.as_deref(), Some("mixed-db [trails]"));
    let rows = crate::report::tables::claim_detail_rows(&[c], Lang::En);
    assert!(
        !rows.is_empty() && rows.iter().all(|row| row[1] == "mixed-db [trails]"),
        "{rows:?}"
    );
}

/// Reviewer finding: "✗ does not hold" on throughput beside 4 mixed points
/// where event loop + pool had the shorter p99, with no word that the
/// verdict reads throughput only. The why says it now (fails without).
#[test]
fn a_mixed_verdict_on_throughput_names_the_p99_count() {
    let mut groups = Vec::new();
    for label in ["mixed-db [a]", "mixed-db [b]"] {
        let mut g = mixed(label, &[1500.0, 1550.0, 1600.0], &[2000.0, 2100.0, 2050.0]);
        // The hybrid's p99 a quarter of the others' in every repetition.
        for p in g.points.iter_mut().filter(|p| p.engine == "hybrid") {
            for f in &mut p.per_rep {
                f.p99_ns /= 4.0;
            }
            p.p99_ns = crate::report::model::Stat::of(
                &p.per_rep.iter().map(|f| f.p99_ns).collect::<Vec<_>>(),
            );
        }
        groups.push(g);
    }
    let r = report(2, &MODELS, groups);
    let c = claim(&r, ClaimId::MixedWork);
    assert_eq!(c.verdict, Verdict::NotHeld);
    let w = why(&c, Lang::En);
    assert!(
        w.contains("The verdict reads requests per second; on p99, event loop + pool was ahead at 2 of 2 points and behind at 0."),
        "{w}"
    );
}
