//! What a claim is once judged: which one ([`ClaimId`]), its
//! [`Verdict`], the two [`Side`]s compared with their numbers, the counts
//! across groups and the mixed points, all the words need.

use iobound_workloads::Model;

use crate::lang::Lang;
use crate::report::bounds::{self, Bound, Ceiling};
use crate::report::model::{Group, Point, Report, Stat};
use crate::report::verdict::{Compared, Lead};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimId {
    WaitingOverlaps,
    OneThreadManyWaits,
    PoolWrongForWaiting,
    ComputingNeedsCores,
    MixedWork,
    PageCache,
}

impl ClaimId {
    pub const ALL: [ClaimId; 6] = [
        ClaimId::WaitingOverlaps,
        ClaimId::OneThreadManyWaits,
        ClaimId::PoolWrongForWaiting,
        ClaimId::ComputingNeedsCores,
        ClaimId::MixedWork,
        ClaimId::PageCache,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Held,
    NotHeld,
    Tie,
    /// The repetitions disagreed: a lead in some, not in others.
    Unclear,
    NotMeasured,
}

impl Verdict {
    pub(super) fn of(l: Lead) -> Self {
        match l {
            Lead::A => Verdict::Held,
            Lead::B => Verdict::NotHeld,
            Lead::Tie => Verdict::Tie,
            Lead::Unclear => Verdict::Unclear,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Verdict::Held => "✓",
            Verdict::NotHeld => "✗",
            Verdict::Tie => "=",
            Verdict::Unclear => "?",
            Verdict::NotMeasured => "–",
        }
    }

    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            Verdict::Held => lang.pick("held", "vérifiée"),
            Verdict::NotHeld => lang.pick("did not hold", "ne tient pas"),
            Verdict::Tie => lang.pick("tie", "égalité"),
            Verdict::Unclear => lang.pick("unclear", "incertaine"),
            Verdict::NotMeasured => lang.pick("not measured", "non mesurée"),
        }
    }
}

/// One side of a comparison: a model's best engine at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub model: Model,
    pub engine: String,
    pub concurrency: usize,
    pub reps: usize,
    pub throughput: Stat,
    pub p99_ns: Stat,
    pub cpu_per_request_ns: f64,
    pub threads: f64,
    pub memory: f64,
}

impl Side {
    pub(super) fn of(r: &Report, p: &Point) -> Self {
        Side {
            model: r.model_of(&p.engine).unwrap_or(Model::BlockingThreads),
            engine: p.engine.clone(),
            concurrency: p.concurrency,
            reps: p.reps,
            throughput: p.throughput,
            p99_ns: p.p99_ns,
            cpu_per_request_ns: p.cpu_ns.median,
            threads: p.threads.median,
            memory: p.memory.median,
        }
    }
}

/// How one model fared against another across several groups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub ahead: usize,
    pub tie: usize,
    pub behind: usize,
    /// The repetitions disagreed.
    pub unclear: usize,
}

impl Counts {
    pub(super) fn add(&mut self, l: Lead) {
        match l {
            Lead::A => self.ahead += 1,
            Lead::Tie => self.tie += 1,
            Lead::B => self.behind += 1,
            Lead::Unclear => self.unclear += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.ahead + self.tie + self.behind + self.unclear
    }
}

/// A claim as measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub id: ClaimId,
    pub verdict: Verdict,
    /// The group it was judged on.
    pub group: Option<String>,
    /// The group `a` and `b` come from: `group`, or for a claim judged on
    /// several groups (mixed work), the one that decided its verdict.
    pub sides_group: Option<String>,
    /// The side the claim says does better, and the other.
    pub a: Option<Side>,
    pub b: Option<Side>,
    /// a / b median throughput (waiting overlaps: X(C) / X(1)).
    pub ratio: Option<f64>,
    /// a against b on throughput, paired by repetition: what the verdict
    /// was read from.
    pub compared: Option<Compared>,
    /// The ideal ratio: C for waiting, the machine's cores for computing.
    pub ideal: Option<f64>,
    /// One thread holds many waits: the lowest measured C where blocking
    /// threads fell behind beyond the spread (`None`: none up to `c_upto`).
    pub c_star: Option<usize>,
    /// Repetitions at C* (of either side) that ran on a busy machine: the
    /// verdict there may rest on them.
    pub c_star_busy: usize,
    pub c_upto: Option<usize>,
    /// Waiting overlaps: what limited the event loop at the point judged.
    pub limit: Option<Bound>,
    /// Computing needs cores: blocking threads against the event loop.
    pub extra: Option<Side>,
    /// `extra`'s throughput over its own at the group's lowest concurrency
    /// (that concurrency, the ratio): what threads gained from more
    /// requests in flight. Beside a ratio to the loop, it keeps a cheaper
    /// request (py-threads 1.49x asyncio at C = 1 already) from reading as
    /// parallelism.
    pub extra_growth: Option<(usize, f64)>,
    /// `extra_growth` paired by repetition, so a sentence can give each
    /// repetition's growth beside the medians' ratio.
    pub extra_growth_reps: Option<Compared>,
    /// Mixed work, over every mixed group: the hybrid model against the best pure one.
    pub throughput_counts: Option<Counts>,
    pub p99_counts: Option<Counts>,
    /// The machine's CPUs.
    pub cores: usize,
    /// The ceilings of `a` and `b` at the point judged (see [`bounds`]).
    pub a_ceiling: Option<Ceiling>,
    pub b_ceiling: Option<Ceiling>,
    /// Whether the cells talked to a server started elsewhere (`--target`),
    /// and the threads of the one iobound started.
    pub remote: bool,
    pub server_threads: Option<u64>,
    /// Mixed work: every mixed group, judged.
    pub mixed: Vec<MixedPoint>,
}

/// One mixed group, as the mixed-work claim judged it.
#[derive(Debug, Clone, PartialEq)]
pub struct MixedPoint {
    pub group: String,
    /// Whether its reads came from a warm page cache (nothing waited).
    pub warm: bool,
    /// Event loop + pool against the best pure model on requests per second.
    pub throughput: Compared,
    pub throughput_rival: Model,
    /// Its lowest p99 against the pure model with the lowest p99.
    pub p99: Compared,
    pub p99_rival: Model,
}

impl Claim {
    pub(super) fn unmeasured(id: ClaimId, r: &Report) -> Self {
        Claim {
            id,
            verdict: Verdict::NotMeasured,
            group: None,
            sides_group: None,
            a: None,
            b: None,
            ratio: None,
            compared: None,
            ideal: None,
            c_star: None,
            c_star_busy: 0,
            c_upto: None,
            limit: None,
            extra: None,
            extra_growth: None,
            extra_growth_reps: None,
            throughput_counts: None,
            p99_counts: None,
            cores: r.cpus,
            a_ceiling: None,
            b_ceiling: None,
            remote: false,
            server_threads: None,
            mixed: Vec::new(),
        }
    }

    /// Records the group and the two sides judged, with their ceilings.
    pub(super) fn judged_at(&mut self, r: &Report, g: &Group, a: &Point, b: &Point) {
        self.group = Some(g.label.clone());
        self.sides_group = Some(g.label.clone());
        self.a = Some(Side::of(r, a));
        self.b = Some(Side::of(r, b));
        self.a_ceiling = bounds::ceiling(r, g, a);
        self.b_ceiling = bounds::ceiling(r, g, b);
        self.remote = g.params.remote;
        self.server_threads = g.params.server_threads.map(u64::from);
    }
}
