//! summary.csv: one row per cell and repetition, raw units (requests/s,
//! nanoseconds, bytes), for spreadsheets and scripts. Every column is listed
//! in results/README.md.

use super::load::Run;

/// The header: every column, in order.
pub const COLUMNS: [&str; 31] = [
    "run_id",
    "workload",
    "label",
    "direct",
    "mode",
    "concurrency",
    "offered_rps",
    "rep",
    "status",
    "requests",
    "throughput_rps",
    "bytes_per_s",
    "p50_ns",
    "p90_ns",
    "p99_ns",
    "p999_ns",
    "max_ns",
    "p99_uncorrected_ns",
    "cpu_user_ns",
    "cpu_sys_ns",
    "cpu_per_request_ns",
    "server_cpu_user_ns",
    "server_cpu_sys_ns",
    "server_cpu_per_request_ns",
    "engine_threads",
    "peak_rss_bytes",
    "baseline_rss_bytes",
    "checksum",
    "machine_steal",
    "machine_other_cores",
    "load_average",
];

fn opt<T: ToString>(x: Option<T>) -> String {
    x.map_or(String::new(), |v| v.to_string())
}

/// The CSV of a run's cells; the last column, `reason`, says why a cell
/// was skipped, failed or interrupted. Written with the `csv` crate, which
/// quotes free text (reasons) as RFC 4180 asks.
pub fn render(run: &Run) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = COLUMNS.iter().copied().chain(["reason"]);
    // Writing to memory cannot fail.
    w.write_record(header).expect("in memory");
    for c in &run.cells {
        let k = &c.key;
        let mut row: Vec<String> = vec![
            run.run_id.clone(),
            k.workload.clone(),
            k.tag.clone().unwrap_or_default(),
            k.direct.to_string(),
            k.mode.clone(),
            k.concurrency.to_string(),
            opt(k.rate),
            c.rep.unwrap_or(1).to_string(),
            c.status.as_str().to_string(),
        ];
        match &c.summary {
            Some(s) => row.extend([
                s.requests.to_string(),
                format!("{:.3}", s.throughput_rps),
                format!("{:.3}", s.bytes_per_s),
                s.latency.p50_ns.to_string(),
                s.latency.p90_ns.to_string(),
                s.latency.p99_ns.to_string(),
                s.latency.p999_ns.to_string(),
                s.latency.max_ns.to_string(),
                opt(s.latency_uncorrected.map(|l| l.p99_ns)),
                s.cpu.user_ns.to_string(),
                s.cpu.sys_ns.to_string(),
                format!("{:.1}", s.cpu.per_request_ns),
                opt(s.server.map(|v| v.user_ns)),
                opt(s.server.map(|v| v.sys_ns)),
                opt(s.server.map(|v| format!("{:.1}", v.per_request_ns))),
                s.engine_threads().to_string(),
                opt(s.peak_rss_bytes),
                opt(s.baseline_rss_bytes),
                s.checksum.clone().unwrap_or_default(),
                opt(s.machine.map(|m| format!("{:.3}", m.steal))),
                opt(s.machine.map(|m| format!("{:.2}", m.other_cores))),
                opt(s.machine.map(|m| format!("{:.2}", m.load_average))),
            ]),
            None => row.extend(vec![String::new(); COLUMNS.len() - 9]),
        }
        row.push(c.reason.clone().unwrap_or_default());
        w.write_record(&row).expect("in memory");
    }
    w.into_inner().expect("in memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::load::Cell;
    use crate::result::{CellKey, Status};

    fn key(rate: Option<u64>) -> CellKey {
        CellKey {
            workload: "db-ycsb-c".into(),
            direct: false,
            mode: "uring".into(),
            concurrency: 8,
            rate,
            tag: None,
        }
    }

    fn cell(key: CellKey, status: Status, reason: Option<&str>) -> Cell {
        Cell {
            key,
            rep: None,
            status,
            reason: reason.map(str::to_string),
            summary: None,
            hist: None,
            params: Default::default(),
        }
    }

    /// Issue 13: an open-loop sweep's rows differ by their offered rate,
    /// and cells without numbers say why (fails without the `offered_rps`
    /// and `reason` columns).
    #[test]
    fn rows_carry_the_offered_rate_and_the_reason() {
        let run = Run {
            run_id: "r".into(),
            cells: vec![
                cell(
                    key(Some(2000)),
                    Status::Skipped,
                    Some("past --slo, stopped"),
                ),
                cell(
                    key(Some(5000)),
                    Status::Failed,
                    Some("the server said \"no\""),
                ),
                cell(
                    key(None),
                    Status::Interrupted,
                    Some("interrupted (SIGTERM)"),
                ),
            ],
            ..Run::default()
        };
        let text = String::from_utf8(render(&run)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        assert_eq!(header.len(), COLUMNS.len() + 1);
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let rows: Vec<Vec<&str>> = lines[1..]
            .iter()
            .map(|l| l.splitn(COLUMNS.len() + 1, ',').collect())
            .collect();
        assert_eq!(rows[0][col("offered_rps")], "2000");
        assert_eq!(rows[1][col("offered_rps")], "5000");
        assert_eq!(rows[2][col("offered_rps")], "");
        assert_eq!(rows[0][col("status")], "skipped");
        assert_eq!(rows[2][col("status")], "interrupted");
        assert_eq!(rows[0][COLUMNS.len()], "\"past --slo, stopped\"");
        assert_eq!(rows[1][COLUMNS.len()], "\"the server said \"\"no\"\"\"");
        assert_eq!(rows[2][COLUMNS.len()], "interrupted (SIGTERM)");
        assert!(header.contains(&"server_cpu_per_request_ns"));
    }
}
