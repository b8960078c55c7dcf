//! `iobound compare`: the change of every cell between two runs, flagged when
//! it exceeds the spread the runs themselves showed. Pure: two reports in,
//! text out.

use std::collections::BTreeMap;

use super::load::Run;
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

/// Two runs that cannot be compared: bad input (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{a} and {b} are the same run{}: compare it with another run", id_text(.id))]
    SameRun { a: String, b: String, id: String },
    #[error(
        "{a} and {b} share no cell: {a} has {first_a}{}, {b} has {first_b}{}; compare runs \
         with cells in common (the same workload, engine and concurrency)",
        more(*.count_a), more(*.count_b)
    )]
    NoCommonCell {
        a: String,
        b: String,
        first_a: String,
        count_a: usize,
        first_b: String,
        count_b: usize,
    },
}

fn id_text(id: &str) -> String {
    if id.is_empty() {
        String::new()
    } else {
        format!(" ({id})")
    }
}

fn more(count: usize) -> String {
    if count > 1 {
        format!(" and {} more", count - 1)
    } else {
        String::new()
    }
}

/// Refuses what a comparison could not say anything about: a run compared
/// with itself (`same_dir`: the two directories are one; or both record
/// the same run id and machine: a copy, with its run.json or read back
/// from its cells, which order the plan otherwise), and two runs with no cell in
/// common. `a` and `b` name the directories.
pub fn refuse(
    (a, before): (&str, &Run),
    (b, after): (&str, &Run),
    same_dir: bool,
) -> Result<(), CompareError> {
    let same_record =
        !before.run_id.is_empty() && before.run_id == after.run_id && before.system == after.system;
    if same_dir || same_record {
        return Err(CompareError::SameRun {
            a: a.to_string(),
            b: b.to_string(),
            id: before.run_id.clone(),
        });
    }
    let (x, y) = (super::model::build(before), super::model::build(after));
    if changes(&x, &y).is_empty() {
        let (only_a, only_b) = unmatched(&x, &y);
        let first = |v: &[String]| v.first().cloned().unwrap_or_else(|| "no cell".into());
        return Err(CompareError::NoCommonCell {
            a: a.to_string(),
            b: b.to_string(),
            first_a: first(&only_a),
            count_a: only_a.len(),
            first_b: first(&only_b),
            count_b: only_b.len(),
        });
    }
    Ok(())
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

/// What differs between the machines two runs were made on: each entry
/// names the fact and both values (kernel, CPU, memory, storage, host).
pub fn system_differences(before: &Run, after: &Run) -> Vec<String> {
    let (a, b) = (&before.system, &after.system);
    let text = |v: &serde_json::Value, path: &[&str]| -> String {
        let mut v = v;
        for p in path {
            v = &v[*p];
        }
        match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
    };
    let facts: [(&str, &[&str]); 7] = [
        ("host", &["hostname"]),
        ("kernel", &["kernel"]),
        ("CPU", &["cpu_model"]),
        ("CPUs", &["cpus"]),
        ("memory", &["memory_bytes"]),
        ("storage type", &["filesystem", "fstype"]),
        ("storage device", &["filesystem", "device"]),
    ];
    facts
        .iter()
        .filter_map(|(name, path)| {
            let (mut x, mut y) = (text(a, path), text(b, path));
            if *name == "memory" {
                // The kernel's MemTotal moves by a few MiB between boots of
                // one machine: compare what a reader would, tenths of GiB.
                let gib = |s: &str| {
                    s.parse::<f64>()
                        .map_or(String::new(), crate::output::human::bytes)
                };
                (x, y) = (gib(&x), gib(&y));
            }
            (x != y && !x.is_empty() && !y.is_empty()).then(|| format!("{name}: {x} -> {y}"))
        })
        .collect()
}

/// Cells (workload, engine, concurrency) with results in one run only.
pub fn unmatched(before: &Report, after: &Report) -> (Vec<String>, Vec<String>) {
    let only = |x: &Report, y: &Report| -> Vec<String> {
        let mut out = Vec::new();
        for g in &x.groups {
            let other = y.groups.iter().find(|h| h.label == g.label);
            for p in &g.points {
                if other
                    .and_then(|h| h.point(&p.engine, p.concurrency))
                    .is_none()
                {
                    out.push(format!("{} {} c{}", g.label, p.engine, p.concurrency));
                }
            }
        }
        out
    };
    (only(before, after), only(after, before))
}

/// Settings that change what a cell measures, as both runs recorded them
/// (their groups' configurations, by key), where they differ.
fn settings_differences(before: &Run, after: &Run) -> Vec<String> {
    // Every key any group of either run records, each with its values.
    let values = |run: &Run| -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in run.groups.iter().flat_map(|g| g.measured_settings()) {
            let vs = out.entry(k).or_default();
            if !vs.contains(&v) {
                vs.push(v);
            }
        }
        for vs in out.values_mut() {
            vs.sort();
        }
        out
    };
    let (a, b) = (values(before), values(after));
    a.iter()
        .filter_map(|(k, a)| {
            let b = b.get(k)?;
            (a != b).then(|| format!("{k}: {} -> {}", a.join(", "), b.join(", ")))
        })
        .collect()
}

/// The comparison of two runs read back, with what makes it less than
/// like for like said first: different machines or storage, cells in one
/// run only.
pub fn render_runs(before: &Run, after: &Run) -> String {
    let (a, b) = (super::model::build(before), super::model::build(after));
    let mut warn = String::new();
    let sys = system_differences(before, after);
    if !sys.is_empty() {
        warn.push_str(&format!(
            "**Warning: the runs were made on different systems** ({}): a change below may come \
             from the machine rather than from what you changed.\n\n",
            sys.join("; ")
        ));
    }
    let settings = settings_differences(before, after);
    if !settings.is_empty() {
        warn.push_str(&format!(
            "**Warning: the runs used different settings** ({}): the same cell names measured \
             different work.\n\n",
            settings.join("; ")
        ));
    }
    for (side, run, rep) in [("before", before, &a), ("after", after, &b)] {
        let mut damage = Vec::new();
        if run.run_json_missing {
            damage.push("run.json is missing (read from its cell files)".to_string());
        }
        if let Some(why) = &run.run_json_error {
            damage.push(format!(
                "run.json is unreadable ({why}; read from its cell files)"
            ));
        }
        const SHOWN: usize = 6;
        damage.extend(
            rep.missing
                .iter()
                .take(SHOWN)
                .map(|m| format!("{} is missing ({})", m.stem, m.reason)),
        );
        if rep.missing.len() > SHOWN {
            damage.push(format!(
                "{} more cells are missing",
                rep.missing.len() - SHOWN
            ));
        }
        if !damage.is_empty() {
            warn.push_str(&format!(
                "**Warning: the {side} run is damaged**: {}. A cell it lacks is not compared.\n\n",
                damage.join("; ")
            ));
        }
    }
    let (gone, new) = unmatched(&a, &b);
    let list = |v: &[String]| {
        let mut s = v.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
        if v.len() > 6 {
            s.push_str(&format!(" and {} more", v.len() - 6));
        }
        s
    };
    if !gone.is_empty() || !new.is_empty() {
        warn.push_str("**Warning: the runs' cells do not match**: ");
        let mut parts = Vec::new();
        if !gone.is_empty() {
            parts.push(format!("{} only before ({})", gone.len(), list(&gone)));
        }
        if !new.is_empty() {
            parts.push(format!("{} only after ({})", new.len(), list(&new)));
        }
        warn.push_str(&parts.join("; "));
        warn.push_str(". Only cells in both are compared.\n\n");
    }
    let body = render(&a, &b);
    // The warnings go right under the title.
    match body.split_once("\n\n") {
        Some((title, rest)) if !warn.is_empty() => format!("{title}\n\n{warn}{rest}"),
        _ => body,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> serde_json::Value {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/small-run/run.json");
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    }

    fn run(v: &serde_json::Value) -> Run {
        super::super::load::parse_run(&serde_json::to_vec(v).unwrap()).unwrap()
    }

    /// A run read back damaged (run.json unreadable) is named at the top of
    /// the comparison, not only on the terminal (fails without the warning).
    #[test]
    fn a_damaged_run_is_said_first() {
        let a = fixture();
        let mut damaged = run(&a);
        damaged.run_json_error = Some("run.json is not valid: EOF".into());
        let text = render_runs(&run(&a), &damaged);
        let head: String = text.lines().take(5).collect::<Vec<_>>().join("\n");
        assert!(
            head.contains("the after run is damaged") && head.contains("run.json is unreadable"),
            "{text}"
        );
        assert!(!render_runs(&run(&a), &run(&a)).contains("damaged"));
    }

    /// Issue 13: comparing runs made on different storage and kernels, or
    /// whose cells differ, says so at the top (fails without the warnings).
    #[test]
    fn different_systems_and_cells_are_said_first() {
        let a = fixture();
        let same = render_runs(&run(&a), &run(&a));
        assert!(!same.contains("Warning"), "{same}");
        let mut b = a.clone();
        b["system"]["kernel"] = "9.9.9-other".into();
        b["system"]["filesystem"]["fstype"] = "xfs".into();
        let cells = b["cells"].as_array_mut().unwrap();
        let first = cells[0]["cell"].clone();
        cells.retain(|c| c["cell"] != first);
        let text = render_runs(&run(&a), &run(&b));
        // (The removed cell is also named as missing from the after run.)
        let head: Vec<&str> = text.lines().take(9).collect();
        let head = head.join("\n");
        assert!(head.contains("different systems"), "{text}");
        assert!(
            head.contains("kernel: ") && head.contains("-> 9.9.9-other"),
            "{head}"
        );
        assert!(
            head.contains("storage type: ") && head.contains("-> xfs"),
            "{head}"
        );
        assert!(
            head.contains("cells do not match") && head.contains("1 only before"),
            "{head}"
        );
    }

    /// Issue 18: a run compared with itself, and two runs with no cell in
    /// common, are refused with the reason (both exited 0, the second with
    /// an empty table).
    #[test]
    fn a_run_with_itself_or_without_common_cells_is_refused() {
        let a = fixture();
        let e = refuse(("A", &run(&a)), ("A", &run(&a)), true).unwrap_err();
        assert!(
            e.to_string().starts_with("A and A are the same run ("),
            "{e}"
        );
        // A copy of the directory is the same run too, even read back from
        // its cells, whose plan comes out in another order (an outsider's
        // copy without run.json compared, exit 0).
        let e = refuse(("A", &run(&a)), ("B", &run(&a)), false).unwrap_err();
        assert!(matches!(e, CompareError::SameRun { .. }), "{e}");
        let mut shuffled = run(&a);
        shuffled.plan.reverse();
        let e = refuse(("A", &run(&a)), ("B", &shuffled), false).unwrap_err();
        assert!(matches!(e, CompareError::SameRun { .. }), "{e}");
        // Another run of the same cells compares.
        let mut b = a.clone();
        b["run_id"] = "20990101-000000".into();
        assert!(refuse(("A", &run(&a)), ("B", &run(&b)), false).is_ok());
        // No cell in common: each side's first cell is named.
        for c in b["cells"].as_array_mut().unwrap() {
            c["cell"]["concurrency"] = (c["cell"]["concurrency"].as_u64().unwrap() + 1000).into();
        }
        let e = refuse(("A", &run(&a)), ("B", &run(&b)), false)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("A and B share no cell: A has "), "{e}");
        assert!(e.contains(" c1001") && e.contains(", B has "), "{e}");
    }

    /// Runs whose groups hashed different amounts (say) are said to differ:
    /// "-99.6 %" then means other work, not a regression (found by an
    /// outside tester; fails without the settings check).
    #[test]
    fn different_settings_are_said_first() {
        let a = fixture();
        let mut b = a.clone();
        for g in b["groups"].as_array_mut().unwrap() {
            g["work"] = (1u64 << 20).into();
        }
        let text = render_runs(&run(&a), &run(&b));
        assert!(
            text.contains("different settings") && text.contains("work: "),
            "{text}"
        );
        assert!(!render_runs(&run(&a), &run(&a)).contains("different settings"));
    }
}
