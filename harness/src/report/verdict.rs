//! The spread rule every comparison of a report uses — one figure of one
//! side against another, a lead counted only beyond the spread the
//! repetitions showed — and the words shared by the report's sections
//! (classes, models, verdicts) in English and French.

use iobound_workloads::{Class, Model};

use super::model::{Group, Point, Report, Stat};
use crate::lang::Lang;

/// With a single repetition the noise is unknown: a lead under this margin
/// is not called a win (the device here drifts 10-20% over minutes).
pub const SINGLE_RUN_MARGIN: f64 = 0.10;

/// Which of two sides leads on a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lead {
    A,
    B,
    /// The ranges overlap (or, with one run, the gap is under [`SINGLE_RUN_MARGIN`]).
    Tie,
}

/// Whether `a` leads `b` beyond the spread: with two repetitions or more,
/// only when their min–max ranges do not overlap; with one, only by more
/// than [`SINGLE_RUN_MARGIN`]. `reps` is the fewer repetitions of the two.
pub fn lead(a: &Stat, b: &Stat, reps: usize, higher_better: bool) -> Lead {
    let (a_better, b_better) = if reps >= 2 {
        if higher_better {
            (a.min > b.max, b.min > a.max)
        } else {
            (a.max < b.min, b.max < a.min)
        }
    } else {
        let (hi, lo) = if higher_better {
            (a.median, b.median)
        } else {
            (b.median, a.median)
        };
        (
            lo > 0.0 && hi / lo - 1.0 >= SINGLE_RUN_MARGIN,
            hi > 0.0 && lo / hi - 1.0 >= SINGLE_RUN_MARGIN,
        )
    };
    match (a_better, b_better) {
        (true, false) => Lead::A,
        (false, true) => Lead::B,
        _ => Lead::Tie,
    }
}

/// [`lead`] on two points' figure.
pub fn lead_of(a: &Point, b: &Point, f: impl Fn(&Point) -> Stat, higher_better: bool) -> Lead {
    lead(&f(a), &f(b), a.reps.min(b.reps), higher_better)
}

/// The engines of `model` measured at `c` in `g`, best throughput first.
pub fn engines_of<'a>(r: &Report, g: &'a Group, model: Model, c: usize) -> Vec<&'a Point> {
    let mut v: Vec<&Point> = g
        .points
        .iter()
        .filter(|p| p.concurrency == c && r.model_of(&p.engine) == Some(model))
        .collect();
    v.sort_by(|a, b| b.throughput.median.total_cmp(&a.throughput.median));
    v
}

/// The model's best engine at `c` by median throughput: the one that
/// stands for the model in a claim.
pub fn best_of<'a>(r: &Report, g: &'a Group, model: Model, c: usize) -> Option<&'a Point> {
    engines_of(r, g, model, c).into_iter().next()
}

/// The models measured in a group, in [`Model::ALL`]'s order.
pub fn models_in(r: &Report, g: &Group) -> Vec<Model> {
    Model::ALL
        .into_iter()
        .filter(|m| g.engines.iter().any(|e| r.model_of(e) == Some(*m)))
        .collect()
}

pub fn class_label(c: Option<Class>, lang: Lang) -> &'static str {
    match c {
        Some(Class::IoBound) => lang.pick("I/O-bound", "limité par les I/O"),
        Some(Class::CpuBound) => lang.pick("CPU-bound", "limité par le CPU"),
        Some(Class::Mixed) => lang.pick("mixed", "mixte"),
        None => lang.pick("unknown", "inconnue"),
    }
}

pub fn model_label(m: Model, lang: Lang) -> &'static str {
    match m {
        Model::BlockingThreads => lang.pick("blocking threads", "threads bloquants"),
        Model::EventLoop => lang.pick("event loop", "boucle d'événements"),
        Model::EventLoops => lang.pick("event loops", "boucles d'événements"),
        Model::Pool => lang.pick("thread pool", "pool de threads"),
        Model::ProcessPool => lang.pick("process pool", "pool de processus"),
        Model::EventLoopPool => lang.pick("event loop + pool", "boucle + pool"),
    }
}

/// The load of a group's point in words: in flight, or offered.
pub fn load_text(open_loop: bool, x: usize, lang: Lang) -> String {
    if open_loop {
        format!("{x} {}", lang.pick("req/s offered", "req/s offertes"))
    } else {
        format!("{x} {}", lang.pick("in flight", "en cours"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_ranges_tie() {
        let a = Stat::of(&[100.0, 110.0, 120.0]);
        let b = Stat::of(&[95.0, 105.0, 101.0]);
        assert_eq!(lead(&a, &b, 3, true), Lead::Tie);
        let c = Stat::of(&[60.0, 70.0, 65.0]);
        assert_eq!(lead(&a, &c, 3, true), Lead::A);
        assert_eq!(lead(&c, &a, 3, true), Lead::B);
        // Lower is better for latency: the same numbers, the other side.
        assert_eq!(lead(&a, &c, 3, false), Lead::B);
    }

    #[test]
    fn a_single_run_needs_a_ten_percent_lead() {
        let b = Stat::of(&[100.0]);
        assert_eq!(lead(&Stat::of(&[108.0]), &b, 1, true), Lead::Tie);
        assert_eq!(lead(&Stat::of(&[111.0]), &b, 1, true), Lead::A);
        assert_eq!(lead(&Stat::of(&[111.0]), &b, 1, false), Lead::B);
    }
}
