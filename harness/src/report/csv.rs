//! summary.csv: one row per completed cell and repetition, raw units
//! (requests/s, nanoseconds, bytes), for spreadsheets and scripts.

use super::load::Run;

/// The CSV of a run's cells.
pub fn render(run: &Run) -> Vec<u8> {
    let mut o = String::from(
        "run_id,workload,direct,mode,concurrency,rep,status,requests,throughput_rps,bytes_per_s,\
         p50_ns,p90_ns,p99_ns,p999_ns,max_ns,cpu_user_ns,cpu_sys_ns,cpu_per_request_ns,\
         engine_threads,peak_rss_bytes,checksum\n",
    );
    for c in &run.cells {
        let k = &c.key;
        let head = format!(
            "{},{},{},{},{},{},{}",
            run.run_id,
            k.workload,
            k.direct,
            k.mode,
            k.concurrency,
            c.rep.unwrap_or(1),
            match c.status {
                crate::result::Status::Ok => "ok",
                crate::result::Status::Skipped => "skipped",
                crate::result::Status::Failed => "failed",
            }
        );
        match &c.summary {
            Some(s) => o.push_str(&format!(
                "{head},{},{:.3},{:.3},{},{},{},{},{},{},{},{:.1},{},{},{}\n",
                s.requests,
                s.throughput_rps,
                s.bytes_per_s,
                s.latency.p50_ns,
                s.latency.p90_ns,
                s.latency.p99_ns,
                s.latency.p999_ns,
                s.latency.max_ns,
                s.cpu.user_ns,
                s.cpu.sys_ns,
                s.cpu.per_request_ns,
                s.engine_threads(),
                s.peak_rss_bytes.map_or(String::new(), |b| b.to_string()),
                s.checksum.clone().unwrap_or_default()
            )),
            None => o.push_str(&format!("{head}{}\n", ",".repeat(14))),
        }
    }
    o.into_bytes()
}
