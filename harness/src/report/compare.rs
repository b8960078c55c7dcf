//! `iobound compare`: the change of every cell between two runs, flagged when
//! it exceeds the spread the runs themselves showed. Pure: two reports in,
//! text out.

use super::model::{Point, Report};
use super::tables;
use super::verdict::SINGLE_RUN_MARGIN;

/// The change of one cell.
#[derive(Debug, Clone)]
pub struct Change {
    pub workload: String,
    pub engine: String,
    pub concurrency: usize,
    /// after / before - 1.
    pub throughput: f64,
    pub p99: f64,
    /// The larger relative spread of the two runs (or the single-run margin).
    pub noise: f64,
    pub beyond_noise: bool,
}

fn noise(a: &Point, b: &Point) -> f64 {
    if a.reps > 1 && b.reps > 1 {
        a.throughput
            .rel_spread()
            .max(b.throughput.rel_spread())
            .max(a.p99_ns.rel_spread())
            .max(b.p99_ns.rel_spread())
    } else {
        SINGLE_RUN_MARGIN
    }
}

/// Every cell present in both runs.
pub fn changes(before: &Report, after: &Report) -> Vec<Change> {
    let mut out = Vec::new();
    for g in &after.groups {
        let Some(h) = before.groups.iter().find(|h| h.label == g.label) else {
            continue;
        };
        for b in &g.points {
            let Some(a) = h.point(&b.engine, b.concurrency) else {
                continue;
            };
            let n = noise(a, b);
            let t = b.throughput.median / a.throughput.median - 1.0;
            let p = b.p99_ns.median / a.p99_ns.median - 1.0;
            out.push(Change {
                workload: g.label.clone(),
                engine: b.engine.clone(),
                concurrency: b.concurrency,
                throughput: t,
                p99: p,
                noise: n,
                beyond_noise: t.abs() > n || p.abs() > n,
            });
        }
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

/// The comparison as Markdown (also what the terminal shows).
pub fn render(before: &Report, after: &Report) -> String {
    let ch = changes(before, after);
    let mut o = format!(
        "# iobound compare: {} -> {}\n\n- before: {}\n- after: {}\n\n",
        before.info.run_id, after.info.run_id, before.info.system, after.info.system
    );
    if ch.is_empty() {
        o.push_str("The two runs have no cell in common.\n");
        return o;
    }
    let mut pa = before.info.pins.clone();
    let mut pb = after.info.pins.clone();
    pa.sort();
    pa.dedup();
    pb.sort();
    pb.dedup();
    if pa != pb {
        o.push_str(&format!(
            "**Note: the runs used different CPU placements** (--pin {} before, {} after). \
             On a small VM a loopback round trip costs several times more across vCPUs than \
             on one, so network figures may differ for that reason alone.\n\n",
            pa.join(" / "),
            pb.join(" / ")
        ));
    }
    let flagged = ch.iter().filter(|c| c.beyond_noise).count();
    o.push_str(&format!(
        "{flagged} of {} cells changed by more than the spread the runs showed (flagged **!**).\n\n",
        ch.len()
    ));
    o.push_str("| workload | engine | concurrency | req/s before | req/s after | change | p99 µs before | p99 µs after | change | spread | |\n");
    o.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for c in &ch {
        let a = before
            .groups
            .iter()
            .find(|g| g.label == c.workload)
            .and_then(|g| g.point(&c.engine, c.concurrency))
            .expect("change built from both");
        let b = after
            .groups
            .iter()
            .find(|g| g.label == c.workload)
            .and_then(|g| g.point(&c.engine, c.concurrency))
            .expect("change built from both");
        let spread = format!("±{:.1}%", c.noise * 100.0);
        o.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            c.workload,
            c.engine,
            c.concurrency,
            tables::rps(a.throughput.median),
            tables::rps(b.throughput.median),
            pct(c.throughput),
            tables::us(a.p99_ns.median),
            tables::us(b.p99_ns.median),
            pct(c.p99),
            spread,
            if c.beyond_noise { "**!**" } else { "" }
        ));
    }
    o
}
