//! The decision map: one workload run in several groups that differ only by
//! how long each request waits (`db_latency`) and how much it computes
//! (`work`), at one concurrency. Each (wait, work) point names the model that
//! won on throughput and on p99, by how much, or a tie. Pure.

use iobound_workloads::{Class, Model};

use super::model::{Group, Point, Report};
use super::verdict::{compare, engines_of, models_in, Compared, Figure, Lead};

/// Who won one figure at one point of the map.
#[derive(Debug, Clone, PartialEq)]
pub enum Winner {
    /// `model` (through `engine`) beat the next model in every repetition
    /// (see [`super::verdict::compare`]); `margin` is the median of the
    /// per-repetition ratios (winner / second for throughput, second /
    /// winner for p99) and `range` their smallest and largest.
    Model {
        model: Model,
        engine: String,
        margin: f64,
        range: (f64, f64),
        second: Model,
    },
    /// The leading models are within the tie band in every repetition.
    Tie { models: Vec<Model> },
    /// The leader's repetitions disagree with the next model's: ahead in
    /// some, not in others.
    Unclear { models: Vec<Model> },
    /// Fewer than two models measured here.
    NotMeasured,
}

/// One model at one point of the map, against the leader.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub model: Model,
    pub engine: String,
    /// Its median figure (req/s, or p99 in ns).
    pub median: f64,
    /// The leader against this model, paired by repetition (`None` for the
    /// leader itself).
    pub vs_leader: Option<Compared>,
    /// Its repetitions that ran on a busy machine.
    pub busy_reps: usize,
}

impl Standing {
    /// This model's figure relative to the leader's, as a reader can
    /// recompute it from the tables (their medians' ratio): below 1 for
    /// fewer requests per second, above 1 for a longer p99.
    pub fn relative(&self, leader: &Standing) -> f64 {
        self.median / leader.median
    }

    /// Whether it tied with the leader.
    pub fn ties_leader(&self) -> bool {
        self.vs_leader
            .as_ref()
            .map_or(true, |c| matches!(c.lead, Lead::Tie | Lead::B))
    }
}

/// One figure at one point: the verdict, and every model against the leader.
#[derive(Debug, Clone, PartialEq)]
pub struct MapFigure {
    pub winner: Winner,
    /// Best median first.
    pub standings: Vec<Standing>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapCell {
    pub wait_ns: u64,
    pub work_bytes: u64,
    pub group: String,
    pub throughput: MapFigure,
    pub p99: MapFigure,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecisionMap {
    pub workload: String,
    pub concurrency: usize,
    /// Rows, shortest wait first.
    pub waits: Vec<u64>,
    /// Columns, least work first.
    pub works: Vec<u64>,
    pub cells: Vec<MapCell>,
}

impl DecisionMap {
    pub fn cell(&self, wait: u64, work: u64) -> Option<&MapCell> {
        self.cells
            .iter()
            .find(|c| c.wait_ns == wait && c.work_bytes == work)
    }
}

/// Ranks models at `c` by a figure (each model through its best engine on
/// that figure), compares the leader with every other model by repetition,
/// and names the winner, the tie, or the disagreement.
pub fn winner(r: &Report, g: &Group, c: usize, fig: Figure) -> MapFigure {
    let value = |p: &Point| fig.stat(p).median;
    let better = |a: &Point, b: &Point| {
        if fig.higher_better() {
            value(b).total_cmp(&value(a))
        } else {
            value(a).total_cmp(&value(b))
        }
    };
    let mut reps: Vec<(Model, &Point)> = models_in(r, g)
        .into_iter()
        .filter_map(|m| {
            let mut e = engines_of(r, g, m, c);
            e.sort_by(|a, b| better(a, b));
            e.first().map(|p| (m, *p))
        })
        .collect();
    reps.sort_by(|a, b| better(a.1, b.1));
    let standings: Vec<Standing> = reps
        .iter()
        .enumerate()
        .map(|(i, (m, p))| Standing {
            model: *m,
            engine: p.engine.clone(),
            median: value(p),
            vs_leader: (i > 0).then(|| compare(reps[0].1, p, fig)),
            busy_reps: p.busy_reps,
        })
        .collect();
    let winner = if standings.len() < 2 {
        Winner::NotMeasured
    } else {
        let next = standings[1].vs_leader.as_ref().expect("not the leader");
        // The models no lead separates from the leader.
        let close = |keep: fn(Lead) -> bool| -> Vec<Model> {
            standings
                .iter()
                .filter(|s| s.vs_leader.as_ref().map_or(true, |c| keep(c.lead)))
                .map(|s| s.model)
                .collect()
        };
        // The margin as the tables' medians give it; the range is the
        // per-repetition ratios the verdict was read from.
        let margin = if fig.higher_better() {
            standings[0].median / standings[1].median
        } else {
            standings[1].median / standings[0].median
        };
        // A lead over the next is a lead over all only when every other
        // model is behind in every repetition too: a third model can beat
        // the leader in one repetition (a reviewer found "event loop +
        // pool ahead" where the event loop had the shorter p99 in one).
        let all_behind = standings[1..]
            .iter()
            .all(|s| s.vs_leader.as_ref().is_some_and(|c| c.lead == Lead::A));
        match next.lead {
            Lead::A if all_behind => Winner::Model {
                model: standings[0].model,
                engine: standings[0].engine.clone(),
                margin,
                range: next.range(),
                second: standings[1].model,
            },
            Lead::A | Lead::Unclear => Winner::Unclear {
                models: close(|l| matches!(l, Lead::Tie | Lead::Unclear | Lead::B)),
            },
            Lead::Tie | Lead::B => Winner::Tie {
                models: close(|l| matches!(l, Lead::Tie | Lead::B)),
            },
        }
    };
    MapFigure { winner, standings }
}

/// The map of the run, when one workload was run at two or more (wait,
/// work) points: the workload with the most such groups, at the highest
/// concurrency most of them share.
pub fn build(r: &Report) -> Option<DecisionMap> {
    let candidates: Vec<&Group> = r
        .groups
        .iter()
        .filter(|g| {
            !g.open_loop
                && g.class == Some(Class::Mixed)
                && g.params.wait_ns.is_some()
                && g.params.work_bytes.is_some()
                // Groups the map's models ran in (a Python-only group has
                // none of them: its work would add an empty column).
                && !models_in(r, g).is_empty()
        })
        .collect();
    let mut workloads: Vec<&str> = candidates.iter().map(|g| g.workload.as_str()).collect();
    workloads.dedup();
    let points = |w: &str| {
        let mut v: Vec<(u64, u64)> = candidates
            .iter()
            .filter(|g| g.workload == w)
            .map(|g| {
                (
                    g.params.wait_ns.unwrap_or(0),
                    g.params.work_bytes.unwrap_or(0),
                )
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    let workload = workloads
        .iter()
        .copied()
        .filter(|w| points(w) >= 2)
        .max_by_key(|w| {
            (
                points(w),
                std::cmp::Reverse(workloads.iter().position(|x| x == w)),
            )
        })?;
    let groups: Vec<&Group> = candidates
        .iter()
        .copied()
        .filter(|g| g.workload == workload)
        .collect();
    // The concurrency shared by the most groups, the highest on a tie.
    let mut cs: Vec<usize> = groups
        .iter()
        .flat_map(|g| g.concurrencies.iter().copied())
        .collect();
    cs.sort_unstable();
    cs.dedup();
    let concurrency = cs.iter().copied().max_by_key(|c| {
        (
            groups
                .iter()
                .filter(|g| g.concurrencies.contains(c))
                .count(),
            *c,
        )
    })?;
    let mut waits: Vec<u64> = groups.iter().filter_map(|g| g.params.wait_ns).collect();
    waits.sort_unstable();
    waits.dedup();
    let mut works: Vec<u64> = groups.iter().filter_map(|g| g.params.work_bytes).collect();
    works.sort_unstable();
    works.dedup();
    let mut cells = Vec::new();
    for &wait in &waits {
        for &work in &works {
            // The first group at this point that ran the map's concurrency.
            let Some(g) = groups.iter().find(|g| {
                g.params.wait_ns == Some(wait)
                    && g.params.work_bytes == Some(work)
                    && g.concurrencies.contains(&concurrency)
            }) else {
                continue;
            };
            cells.push(MapCell {
                wait_ns: wait,
                work_bytes: work,
                group: g.label.clone(),
                throughput: winner(r, g, concurrency, Figure::Throughput),
                p99: winner(r, g, concurrency, Figure::P99),
            });
        }
    }
    Some(DecisionMap {
        workload: workload.to_string(),
        concurrency,
        waits,
        works,
        cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::testing::{group, point, report};

    const MODELS: [(&str, Model); 4] = [
        ("threads", Model::BlockingThreads),
        ("uring", Model::EventLoop),
        ("rayon", Model::Pool),
        ("hybrid", Model::EventLoopPool),
    ];

    fn cell(label: &str, wait_us: u64, work: u64, pts: Vec<Point>) -> Group {
        let mut g = group(label, Class::Mixed, pts);
        g.params.wait_ns = Some(wait_us * 1000);
        g.params.work_bytes = Some(work);
        g
    }

    #[test]
    fn the_map_names_winners_margins_and_ties() {
        let groups = vec![
            // Short wait, little hashing: the event loop leads by 1.25x.
            cell(
                "mixed-db [a]",
                100,
                4096,
                vec![
                    point("threads", 256, &[40e3, 41e3, 42e3], 10.0, 256.0),
                    point("uring", 256, &[50e3, 51e3, 52e3], 10.0, 1.0),
                    point("hybrid", 256, &[45e3, 46e3, 47e3], 10.0, 3.0),
                ],
            ),
            // Ranges overlap at the top: a tie between the leaders only.
            cell(
                "mixed-db [b]",
                100,
                2 << 20,
                vec![
                    point("threads", 256, &[1500.0, 1600.0, 1700.0], 10.0, 256.0),
                    point("uring", 256, &[800.0, 850.0, 900.0], 10.0, 1.0),
                    point("hybrid", 256, &[1550.0, 1580.0, 1650.0], 10.0, 3.0),
                ],
            ),
            // Another concurrency only: not on the map's row.
            cell(
                "mixed-db [c]",
                10_000,
                4096,
                vec![
                    point("uring", 16, &[1.0], 1.0, 1.0),
                    point("threads", 16, &[1.0], 1.0, 16.0),
                ],
            ),
        ];
        let r = report(2, &MODELS, groups);
        let m = build(&r).expect("a map");
        assert_eq!((m.workload.as_str(), m.concurrency), ("mixed-db", 256));
        assert_eq!(m.waits, [100_000, 10_000_000]);
        assert_eq!(m.works, [4096, 2 << 20]);
        let a = m.cell(100_000, 4096).unwrap();
        match &a.throughput.winner {
            Winner::Model {
                model,
                engine,
                margin,
                range,
                second,
            } => {
                assert_eq!((*model, engine.as_str()), (Model::EventLoop, "uring"));
                assert_eq!(*second, Model::EventLoopPool);
                assert!((margin - 51.0 / 46.0).abs() < 1e-9);
                assert!(
                    (range.0 - 52.0 / 47.0).abs() < 1e-9 && (range.1 - 50.0 / 45.0).abs() < 1e-9
                );
            }
            w => panic!("{w:?}"),
        }
        // Every model against the leader: hybrid 46/51 of its req/s,
        // threads 41/51.
        let rel: Vec<(Model, f64)> = a
            .throughput
            .standings
            .iter()
            .map(|s| (s.model, s.relative(&a.throughput.standings[0])))
            .collect();
        assert_eq!(rel[0], (Model::EventLoop, 1.0));
        assert_eq!(rel[1].0, Model::EventLoopPool);
        assert!((rel[1].1 - 46.0 / 51.0).abs() < 0.01, "{rel:?}");
        assert!((rel[2].1 - 41.0 / 51.0).abs() < 0.01, "{rel:?}");
        // p99 follows Little's law here: the same winner, margin second / winner.
        match &a.p99.winner {
            Winner::Model { model, margin, .. } => {
                assert_eq!(*model, Model::EventLoop);
                assert!((margin - 51.0 / 46.0).abs() < 1e-6);
            }
            w => panic!("{w:?}"),
        }
        let b = m.cell(100_000, 2 << 20).unwrap();
        assert_eq!(
            b.throughput.winner,
            Winner::Tie {
                models: vec![Model::BlockingThreads, Model::EventLoopPool]
            }
        );
        // A tie still says who fell behind: the event loop, at about half.
        let text = crate::report::tables::figure_text(
            &b.throughput,
            Figure::Throughput,
            crate::lang::Lang::En,
        );
        assert_eq!(
            text, "tie: blocking threads 1600 = event loop + pool 1580; event loop 0.53x",
            "{text}"
        );
        assert!(m.cell(10_000_000, 4096).is_none());
    }

    #[test]
    fn one_model_is_not_a_contest() {
        let g = cell(
            "mixed-db [a]",
            100,
            4096,
            vec![point("uring", 256, &[5.0, 6.0, 7.0], 1.0, 1.0)],
        );
        let r = report(2, &MODELS, vec![g]);
        assert_eq!(
            winner(&r, &r.groups[0], 256, Figure::Throughput).winner,
            Winner::NotMeasured
        );
        // A single group is not a map.
        assert!(build(&r).is_none());
    }

    /// A reviewer's finding: "event loop + pool leads" where it led the
    /// next model in every repetition but the event loop, third by median,
    /// beat it in one. A lead needs every other model behind in each.
    #[test]
    fn a_lead_needs_every_model_behind_in_every_repetition() {
        let g = |third: &[f64]| {
            cell(
                "mixed-db [a]",
                100,
                4096,
                vec![
                    point("hybrid", 256, &[100.0, 110.0, 120.0], 10.0, 3.0),
                    point("threads", 256, &[90.0, 95.0, 100.0], 10.0, 256.0),
                    point("uring", 256, third, 10.0, 1.0),
                ],
            )
        };
        let r = report(3, &MODELS, vec![g(&[101.0, 80.0, 85.0])]);
        let f = winner(&r, &r.groups[0], 256, Figure::Throughput);
        assert!(matches!(f.winner, Winner::Unclear { .. }), "{:?}", f.winner);
        // Behind in every repetition, the third lets the lead stand.
        let r = report(3, &MODELS, vec![g(&[80.0, 80.0, 85.0])]);
        let f = winner(&r, &r.groups[0], 256, Figure::Throughput);
        assert!(matches!(f.winner, Winner::Model { .. }), "{:?}", f.winner);
    }
}
