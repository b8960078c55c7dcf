//! The rule every comparison of a report uses — one figure of one side
//! against another, paired by repetition, a lead counted only when every
//! repetition agrees — and the words shared by the report's sections
//! (classes, models, verdicts) in English and French.

use iobound_workloads::{Class, Model};

use super::model::{Group, Point, RepFigures, Report, Stat};
use crate::lang::Lang;

/// With a single repetition the noise is unknown: a lead under this margin
/// is not called a win (the device here drifts 10-20% over minutes).
pub const SINGLE_RUN_MARGIN: f64 = 0.10;

/// Paired by repetition, one side leads when it is ahead in every
/// repetition and by at least this much in the median repetition. Within a
/// repetition a group's engines run seconds apart, so their ratio cancels
/// the drift that moves whole repetitions up or down on a shared machine.
pub const LEAD_MARGIN: f64 = 0.05;

/// Paired by repetition, two sides tie when every repetition's ratio stays
/// within this much of 1 (and no lead was found).
pub const TIE_BAND: f64 = 0.10;

/// Which of two sides leads on a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lead {
    A,
    B,
    /// Within [`TIE_BAND`] in every repetition (with one run: the gap is
    /// under [`SINGLE_RUN_MARGIN`]).
    Tie,
    /// The repetitions disagree: neither a lead in every one nor a tie in
    /// every one (e.g. 1.30x, 0.95x, 1.20x).
    Unclear,
}

/// A figure a verdict compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// Requests per second: higher is better.
    Throughput,
    /// p99 latency: lower is better.
    P99,
}

impl Figure {
    pub fn stat(self, p: &Point) -> Stat {
        match self {
            Figure::Throughput => p.throughput,
            Figure::P99 => p.p99_ns,
        }
    }

    fn rep(self, r: &RepFigures) -> f64 {
        match self {
            Figure::Throughput => r.throughput,
            Figure::P99 => r.p99_ns,
        }
    }

    pub fn higher_better(self) -> bool {
        self == Figure::Throughput
    }
}

/// One side against another on one figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Compared {
    pub lead: Lead,
    /// How much better A did than B in each repetition both ran (A / B for
    /// throughput, B / A for latency: above 1 means A did better), in
    /// repetition order; with fewer than two shared repetitions, the one
    /// ratio of the medians.
    pub ratios: Vec<f64>,
    /// Whether `ratios` pair repetitions (two or more shared).
    pub paired: bool,
    /// A's median over B's (the other way round for latency): the ratio
    /// the tables give, and so the one every sentence states. It can
    /// differ from the per-repetition ratios' median (1.28x of the medians
    /// against 1.30x for the middle repetition): the report's sentences
    /// and its map must not quote two figures for one comparison.
    pub of_medians: f64,
}

impl Compared {
    /// The "A did Nx B" of the sentences: the ratio of the medians.
    pub fn median(&self) -> f64 {
        self.of_medians
    }

    /// The smallest and largest ratio.
    pub fn range(&self) -> (f64, f64) {
        let s = Stat::of(&self.ratios);
        (s.min, s.max)
    }
}

/// The verdict of ratios (above 1: A did better): paired ones by
/// [`LEAD_MARGIN`] and [`TIE_BAND`], a single one by [`SINGLE_RUN_MARGIN`].
pub fn lead_of_ratios(ratios: &[f64], paired: bool) -> Lead {
    // A side that completed nothing in a repetition makes the ratio 0 or
    // infinite: a lead for the other side. Only 0 / 0 says nothing.
    let finite: Vec<f64> = ratios.iter().copied().filter(|r| !r.is_nan()).collect();
    if finite.is_empty() {
        return Lead::Tie;
    }
    let (margin, band) = if paired {
        (LEAD_MARGIN, TIE_BAND)
    } else {
        (SINGLE_RUN_MARGIN, SINGLE_RUN_MARGIN)
    };
    // Paired: every repetition on one side, and the median one beyond the
    // margin (a consistent 1 % is a tie; 1.04x, 1.17x, 1.52x is a lead).
    // One ratio: beyond the margin.
    // The middle ratio, infinities kept (a side that completed nothing).
    let median = {
        let mut v = finite.clone();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    if finite.iter().all(|&r| r > 1.0) && median >= 1.0 + margin {
        Lead::A
    } else if finite.iter().all(|&r| r < 1.0) && median * (1.0 + margin) <= 1.0 {
        Lead::B
    } else if finite
        .iter()
        .all(|&r| r < 1.0 + band && r * (1.0 + band) > 1.0)
    {
        Lead::Tie
    } else {
        Lead::Unclear
    }
}

/// `a` against `b` on a figure, paired by repetition: each repetition's
/// ratio, then [`lead_of_ratios`]. Points with fewer than two repetitions
/// in common are compared by their medians.
pub fn compare(a: &Point, b: &Point, fig: Figure) -> Compared {
    let better = |x: f64, y: f64| if fig.higher_better() { x / y } else { y / x };
    let ratios: Vec<f64> = a
        .per_rep
        .iter()
        .filter_map(|ra| {
            let rb = b.per_rep.iter().find(|rb| rb.rep == ra.rep)?;
            Some(better(fig.rep(ra), fig.rep(rb)))
        })
        .collect();
    let of_medians = better(fig.stat(a).median, fig.stat(b).median);
    let (ratios, paired) = if ratios.len() >= 2 {
        (ratios, true)
    } else {
        (vec![of_medians], false)
    };
    Compared {
        lead: lead_of_ratios(&ratios, paired),
        ratios,
        paired,
        of_medians,
    }
}

/// [`compare`]'s verdict alone.
pub fn lead_of(a: &Point, b: &Point, fig: Figure) -> Lead {
    compare(a, b, fig).lead
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

/// A model as the subject of a sentence: French needs its article ("la
/// boucle d'événements", "les threads bloquants"), and its verb agrees
/// with it ([`model_did`]).
pub fn model_the(m: Model, lang: Lang) -> &'static str {
    match (m, lang) {
        (_, Lang::En) => model_label(m, lang),
        (Model::BlockingThreads, Lang::Fr) => "les threads bloquants",
        (Model::EventLoop, Lang::Fr) => "la boucle d'événements",
        (Model::EventLoops, Lang::Fr) => "les boucles d'événements",
        (Model::Pool, Lang::Fr) => "le pool de threads",
        (Model::ProcessPool, Lang::Fr) => "le pool de processus",
        (Model::EventLoopPool, Lang::Fr) => "la boucle + pool",
    }
}

/// "<the model> did", with the verb agreeing: "les threads bloquants ont
/// fait", "la boucle d'événements a fait".
pub fn model_did(m: Model, lang: Lang) -> String {
    let plural = matches!(m, Model::BlockingThreads | Model::EventLoops);
    match lang {
        Lang::En => format!("{} did", model_label(m, lang)),
        Lang::Fr => format!(
            "{} {}",
            model_the(m, lang),
            if plural { "ont fait" } else { "a fait" }
        ),
    }
}

/// "of <the model>": French contracts de + le/les ("du pool", "des
/// threads").
pub fn model_of(m: Model, lang: Lang) -> String {
    match lang {
        Lang::En => format!("of {}", model_label(m, lang)),
        Lang::Fr => {
            let the = model_the(m, lang);
            if let Some(rest) = the.strip_prefix("les ") {
                format!("des {rest}")
            } else if let Some(rest) = the.strip_prefix("le ") {
                format!("du {rest}")
            } else {
                format!("de {the}")
            }
        }
    }
}

/// The load of a group's point in words: in flight, or offered.
pub fn load_text(open_loop: bool, x: usize, lang: Lang) -> String {
    if open_loop {
        format!("{x} {}", lang.pick("req/s offered", "requêtes/s offertes"))
    } else {
        format!("{x} {}", lang.pick("in flight", "en cours"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(tput: &[f64]) -> Point {
        crate::report::model::testing::point("x", 1, tput, 1.0, 1.0)
    }

    /// Issue 16: the reference run's mixed-db point where the event loop
    /// did 1.78x, 1.28x and 1.54x blocking threads in repetitions 1-3 while
    /// a slow repetition moved both: the old rule (ranges overlap) called it
    /// a tie; paired by repetition it is a lead (fails with the old rule).
    #[test]
    fn drifting_repetitions_that_agree_are_a_lead() {
        let threads = pt(&[8_000.0, 16_000.0, 11_000.0]);
        let uring = pt(&[14_240.0, 20_480.0, 16_940.0]);
        let old_rule_overlaps = uring.throughput.min <= threads.throughput.max;
        assert!(old_rule_overlaps);
        let c = compare(&uring, &threads, Figure::Throughput);
        assert!(c.paired);
        assert_eq!(c.lead, Lead::A);
        let (lo, hi) = c.range();
        assert!(
            (lo - 1.28).abs() < 1e-9 && (hi - 1.78).abs() < 1e-9,
            "{lo} {hi}"
        );
        assert_eq!(compare(&threads, &uring, Figure::Throughput).lead, Lead::B);
        // p99 follows Little's law in the fixture: the same side leads.
        assert_eq!(compare(&uring, &threads, Figure::P99).lead, Lead::A);
    }

    /// Reviewer finding (issue 18): the mixed claim said "1.30x" (the middle
    /// repetition's ratio) where the map, from the same two points, said
    /// 1.28x (the medians' ratio). Sentences state the medians' ratio; the
    /// per-repetition ratios stay for the verdict and the ranges.
    #[test]
    fn sentences_state_the_ratio_of_the_medians() {
        // Ratios 1.28x, 1.40x, 1.33x (middle 1.33x); medians 140 / 100.
        let a = pt(&[128.0, 140.0, 200.0]);
        let b = pt(&[100.0, 100.0, 150.0]);
        let c = compare(&a, &b, Figure::Throughput);
        let middle_rep = Stat::of(&c.ratios).median;
        assert!((middle_rep - 200.0 / 150.0).abs() < 1e-9, "{middle_rep}");
        assert!((c.median() - 1.40).abs() < 1e-9, "{}", c.median());
    }

    #[test]
    fn true_ties_and_disagreeing_repetitions() {
        // Within 10 % in every repetition, though the medians differ by 4 %.
        let a = pt(&[100.0, 108.0, 96.0]);
        let b = pt(&[97.0, 102.0, 93.0]);
        assert_eq!(compare(&a, &b, Figure::Throughput).lead, Lead::Tie);
        // Ahead by 30 % and 20 %, behind by 5 % once: neither.
        let c = pt(&[130.0, 95.0, 120.0]);
        let d = pt(&[100.0, 100.0, 100.0]);
        assert_eq!(compare(&c, &d, Figure::Throughput).lead, Lead::Unclear);
        // Ahead by 3 % in every repetition: under the lead margin, a tie.
        let e = pt(&[103.0, 103.0, 103.0]);
        assert_eq!(compare(&e, &d, Figure::Throughput).lead, Lead::Tie);
        // Ahead in every repetition, 4 % once, 17 % in the median one: a
        // lead (the reference run's mixed-db 100 us + 4 KiB point read
        // 1.17x, 1.04x, 1.52x; a margin in every repetition called it
        // unclear).
        let f = pt(&[117.0, 104.0, 152.0]);
        assert_eq!(compare(&f, &d, Figure::Throughput).lead, Lead::A);
        // A repetition where one side completed nothing counts as a lead
        // for the other, not as nothing (it read as a tie).
        let none = pt(&[0.0, 0.0, 0.0]);
        assert_eq!(compare(&d, &none, Figure::Throughput).lead, Lead::A);
        assert_eq!(compare(&none, &d, Figure::Throughput).lead, Lead::B);
        // Repetitions only one side ran are left out of the pairs.
        let mut f = pt(&[120.0, 125.0, 200.0]);
        f.per_rep.retain(|r| r.rep != 3);
        let cmp = compare(&f, &d, Figure::Throughput);
        assert_eq!((cmp.ratios.len(), cmp.lead), (2, Lead::A));
    }

    #[test]
    fn a_single_run_needs_a_ten_percent_lead() {
        let b = pt(&[100.0]);
        assert_eq!(lead_of(&pt(&[108.0]), &b, Figure::Throughput), Lead::Tie);
        assert_eq!(lead_of(&pt(&[111.0]), &b, Figure::Throughput), Lead::A);
        assert_eq!(lead_of(&pt(&[111.0]), &b, Figure::P99), Lead::A);
        assert!(!compare(&pt(&[111.0]), &b, Figure::Throughput).paired);
    }
}
