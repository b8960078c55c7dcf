//! The plan of a run: every cell it will run, in order. Whole matrices
//! repeat, rather than each cell back to back, so that a device's drift over
//! minutes shows in the spread instead of favouring whichever engine ran at a
//! good moment.

use super::Suite;
use crate::engine::Engine;
use crate::result::CellKey;

/// One cell to run.
pub(crate) struct Planned {
    pub group: usize,
    /// Index of the workload in its group.
    pub workload: usize,
    pub engine: &'static dyn Engine,
    pub rate: Option<f64>,
    pub rep: Option<u32>,
    pub key: CellKey,
}

/// The cells of one open-loop sweep share everything but their rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SweepId(usize, usize, &'static str, usize, Option<u32>);

impl Planned {
    pub fn sweep(&self) -> SweepId {
        SweepId(
            self.group,
            self.workload,
            self.engine.name(),
            self.key.concurrency,
            self.rep,
        )
    }
}

/// Every cell of the suite; `names` are each group's workload names.
pub(crate) fn cells(suite: &Suite, names: &[Vec<&str>]) -> Vec<Planned> {
    let repeat = suite.repeat.max(1);
    let mut out = Vec::new();
    for rep in 1..=repeat {
        for (g, cfg) in suite.groups.iter().enumerate() {
            out.extend(group_cells(g, cfg, &names[g], (repeat > 1).then_some(rep)));
        }
    }
    out
}

/// The cells of group `g` in one repetition.
pub(crate) fn group_cells(
    g: usize,
    cfg: &crate::config::RunConfig,
    names: &[&str],
    rep: Option<u32>,
) -> Vec<Planned> {
    // A closed loop is one cell; an open loop sweeps its rates.
    let rates: Vec<Option<f64>> = if cfg.rates.is_empty() {
        vec![None]
    } else {
        cfg.rates.iter().map(|&r| Some(r)).collect()
    };
    let mut out = Vec::new();
    for (w, name) in names.iter().enumerate() {
        for &engine in &cfg.engines {
            for &c in &cfg.concurrency {
                for &rate in &rates {
                    out.push(Planned {
                        group: g,
                        workload: w,
                        engine,
                        rate,
                        rep,
                        key: CellKey {
                            workload: name.to_string(),
                            direct: cfg.direct_for(name),
                            mode: engine.name().to_string(),
                            concurrency: c,
                            rate: rate.map(|x| x.round() as u64),
                            tag: cfg.label.clone(),
                        },
                    });
                }
            }
        }
    }
    out
}
