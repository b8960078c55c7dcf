//! Predicted vs measured: each closed-loop group's engines predicted from
//! their own C = 1 cell, set against what they measured at every higher
//! concurrency, with what the run shows about each gap (the server at its
//! ceiling, CPUs saturated, the disk, CPU per request that fell). Pure: a
//! report in, rows out; the words are in `tables::predict_rows`.
//!
//! The prediction is `closed_loop::predict`, the one `iobound advise`
//! makes, rather than the ceilings of `bounds`: those take each cell's own
//! CPU per request, so they explain a point after the fact and cannot be
//! wrong about its CPU; a prediction must come from figures measured
//! before, here the C = 1 cell (throughput alone, and what a lone request
//! cost in CPU). Unlike `advise`, which takes its CPU from a loaded
//! calibration cell, the report has no loaded cell in most groups but the
//! one it predicts, so the CPU comes from C = 1 too; where that makes the
//! prediction pessimistic, the section says so with both figures.

pub mod closed_loop;

use iobound_workloads::Model;

use self::closed_loop::{predict, Calibration, Prediction};
use super::bounds::{self, Bound};
use super::model::{Group, Point, Report};

/// Measured within this fraction of the prediction, either way: the
/// simple model explains the point.
pub const HOLDS: f64 = 0.20;

/// A share of CPU (or of the server's threads) at or above which it is
/// called saturated.
pub const SATURATED: f64 = 0.80;

/// Which CPU per request a CPU-bound prediction divided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
    /// Client and server together (the machine's CPUs).
    Both,
}

/// What the run shows about a point measured below its prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Below {
    /// The server's threads were busy `busy` (a fraction) of the time.
    Server { busy: f64, threads: u64 },
    /// `used` cores busy of the `of` the model can use (one for an event
    /// loop, the machine's for the others), and the client's CPU per
    /// request here and alone, in seconds.
    Cpus {
        used: f64,
        of: f64,
        here_s: f64,
        alone_s: f64,
    },
    /// An O_DIRECT file workload: each request's time in flight (in flight
    /// / throughput, Little's law) here and alone, in seconds.
    Disk { here_s: f64, alone_s: f64 },
    /// The prediction gave the client the machine's CPUs, and it kept
    /// only `used` of those `of` cores busy: its requests ran one core at
    /// a time or less (a lock such as Python's GIL, too few workers).
    Serialised { used: f64, of: f64 },
    /// Nothing this run measured stands out; each request's time in flight
    /// here and alone, in seconds, show that requests queued somewhere.
    Unknown { here_s: f64, alone_s: f64 },
}

/// What the run shows about a point measured above its prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Above {
    /// The prediction's CPU per request (at C = 1) against this point's,
    /// in seconds.
    CpuFell {
        side: Side,
        alone_s: f64,
        here_s: f64,
    },
    /// Each request's time in flight here against alone, in seconds: the
    /// waiting prediction assumes a request takes as long as it did alone.
    FasterThanAlone {
        here_s: f64,
        alone_s: f64,
    },
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    Holds,
    /// Within [`HOLDS`] of a CPU ceiling the cell did not reach: with its
    /// own CPU per request that ceiling is `in_cell` requests per second,
    /// more than [`HOLDS`] above the measurement, so a CPU per request that
    /// fell and another limit cancelled out.
    HoldsByChance {
        in_cell: f64,
    },
    Below(Below),
    Above(Above),
}

/// One engine at one concurrency above 1: predicted, measured, read.
#[derive(Debug, Clone)]
pub struct Row {
    pub group: String,
    pub engine: String,
    pub model: Model,
    pub concurrency: usize,
    /// What the prediction was computed from (the engine's C = 1 cell).
    pub cal: Calibration,
    pub prediction: Prediction,
    /// Median requests per second.
    pub measured: f64,
    pub reading: Reading,
    /// The lowest ceiling of `bounds` at this point: the same model fed
    /// with the cell's own CPU per request instead of the C = 1 figure.
    pub in_cell: Option<f64>,
}

impl Row {
    /// Measured over predicted.
    pub fn ratio(&self) -> f64 {
        self.measured / self.prediction.limit.1
    }

    /// Measured over the ceiling computed with the cell's own CPU.
    pub fn in_cell_ratio(&self) -> Option<f64> {
        self.in_cell.map(|c| self.measured / c)
    }
}

/// Whether measured over predicted is within [`HOLDS`] of 1.
pub fn holds(ratio: f64) -> bool {
    (1.0 - HOLDS..=1.0 + HOLDS).contains(&ratio)
}

/// The section's numbers.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub rows: Vec<Row>,
    /// Closed-loop groups, or engines of a predicted group, without a C = 1
    /// cell to predict from: (group, engines); no engines means the whole
    /// group.
    pub unpredicted: Vec<(String, Vec<String>)>,
}

/// The engine's C = 1 cell as a calibration: throughput per repetition,
/// and the CPU a lone request cost (medians: a point keeps no per-repetition
/// CPU).
fn calibration(r: &Report, g: &Group, one: &Point) -> Calibration {
    Calibration {
        engine: one.engine.clone(),
        x1: one.per_rep.iter().map(|f| f.throughput).collect(),
        loaded_c: 1,
        client_cpu_s: vec![one.cpu_ns.median / 1e9],
        server_cpu_s: vec![one.server_cpu_ns.map_or(0.0, |s| s.median / 1e9)],
        cores: r.cpus.max(1),
        server_threads: g.params.server_threads.unwrap_or(1).max(1) as u64,
    }
}

/// What the run shows about `p`, measured `ratio` times its prediction.
fn read(
    g: &Group,
    p: &Point,
    cal: &Calibration,
    pred: &Prediction,
    ratio: f64,
    in_cell: Option<f64>,
) -> Reading {
    let x = p.throughput.median;
    let client_here = p.cpu_ns.median / 1e9;
    let server_here = p.server_cpu_ns.map_or(0.0, |s| s.median / 1e9);
    // Little's law: requests in flight over throughput is the time each
    // held its place; alone it was 1 / X(1).
    let in_flight_here = pred.in_flight as f64 / x;
    let alone = 1.0 / cal.x1();
    if holds(ratio) {
        let cpu_bound = matches!(pred.limit.0, Bound::Cores | Bound::Machine | Bound::Server);
        return match in_cell {
            Some(c) if cpu_bound && x / c < 1.0 - HOLDS => Reading::HoldsByChance { in_cell: c },
            _ => Reading::Holds,
        };
    }
    if ratio < 1.0 {
        let server_busy = x * server_here / cal.server_threads as f64;
        if server_here > 0.0 && server_busy >= SATURATED {
            return Reading::Below(Below::Server {
                busy: server_busy,
                threads: cal.server_threads,
            });
        }
        let cpus = |used: f64, of: f64| {
            Reading::Below(Below::Cpus {
                used,
                of,
                here_s: client_here,
                alone_s: cal.client_cpu(),
            })
        };
        let client_used = p.cores_busy.median;
        // One event loop computes on one core, whatever the machine has.
        if pred.model == Model::EventLoop && client_used >= SATURATED {
            return cpus(client_used, 1.0);
        }
        let used = client_used + x * server_here;
        if used >= SATURATED * cal.cores as f64 {
            return cpus(used, cal.cores as f64);
        }
        if g.direct {
            return Reading::Below(Below::Disk {
                here_s: in_flight_here,
                alone_s: alone,
            });
        }
        if pred.limit.0 == Bound::Machine && client_used < SATURATED * cal.cores as f64 {
            return Reading::Below(Below::Serialised {
                used: client_used,
                of: cal.cores as f64,
            });
        }
        return Reading::Below(Below::Unknown {
            here_s: in_flight_here,
            alone_s: alone,
        });
    }
    let (side, alone_s, here_s) = match pred.limit.0 {
        Bound::Cores => (Side::Client, cal.client_cpu(), client_here),
        Bound::Server => (Side::Server, cal.server_cpu(), server_here),
        Bound::Machine => (
            Side::Both,
            cal.client_cpu() + cal.server_cpu(),
            client_here + server_here,
        ),
        Bound::Waiting | Bound::Connections => {
            return Reading::Above(Above::FasterThanAlone {
                here_s: in_flight_here,
                alone_s: alone,
            })
        }
    };
    if here_s > 0.0 && here_s < alone_s {
        Reading::Above(Above::CpuFell {
            side,
            alone_s,
            here_s,
        })
    } else {
        Reading::Above(Above::Unknown)
    }
}

/// Every closed-loop group's engines that have a C = 1 cell, predicted at
/// each higher concurrency they measured.
pub fn build(r: &Report) -> Section {
    let mut s = Section::default();
    for g in r.groups.iter().filter(|g| !g.open_loop) {
        let mut missing = Vec::new();
        let mut any = false;
        for e in &g.engines {
            let (Some(one), Some(model)) = (g.point(e, 1), r.any_model_of(e)) else {
                missing.push(e.clone());
                continue;
            };
            any = true;
            let cal = calibration(r, g, one);
            for p in g
                .points
                .iter()
                .filter(|p| &p.engine == e && p.concurrency > 1)
            {
                // A pool holds as many requests as it has workers; the
                // workers a cell ran are its configuration, not its outcome.
                let workers = p.threads.median.round().max(1.0) as usize;
                let Some(pred) = predict(&cal, &[(model, e.clone(), workers)], p.concurrency)
                    .into_iter()
                    .next()
                else {
                    continue;
                };
                let ratio = p.throughput.median / pred.limit.1;
                if !ratio.is_finite() {
                    continue;
                }
                let in_cell = bounds::ceiling(r, g, p).map(|c| c.limit.1);
                s.rows.push(Row {
                    group: g.label.clone(),
                    engine: e.clone(),
                    model,
                    concurrency: p.concurrency,
                    reading: read(g, p, &cal, &pred, ratio, in_cell),
                    cal: cal.clone(),
                    prediction: pred,
                    measured: p.throughput.median,
                    in_cell,
                });
            }
        }
        if !any {
            missing.clear();
        }
        if !any || !missing.is_empty() {
            s.unpredicted.push((g.label.clone(), missing));
        }
    }
    s
}
