//! What one fio run measured, read from its JSON output.

use super::FioError;

/// What one fio run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FioResult {
    pub iops: f64,
    /// p99 of the read or write latency (submission to completion), ns.
    pub p99_ns: f64,
    /// p99 of fdatasync, when the job synced, ns.
    pub sync_p99_ns: Option<f64>,
    /// fio's user + system CPU per I/O, ns ([`fio_cpu_per_io_ns`]).
    pub cpu_per_io_ns: Option<f64>,
}

/// fio's CPU per I/O from its JSON: `usr_cpu` and `sys_cpu` are percentages
/// of `job_runtime` (ms, summed over the group's jobs, the ramp excluded), so
/// (usr + sys) / 100 x job_runtime is the jobs' CPU time, divided by the
/// reads and writes they completed (fdatasyncs are not I/Os of their own, as
/// iobound counts an append and its fdatasync as one request). `None` when
/// a field is missing (fio before 3.23 has no `job_runtime`) or no I/O
/// completed.
pub fn fio_cpu_per_io_ns(job: &serde_json::Value) -> Option<f64> {
    let pct = job["usr_cpu"].as_f64()? + job["sys_cpu"].as_f64()?;
    let runtime_ms = job["job_runtime"].as_f64()?;
    let ios = job["read"]["total_ios"].as_f64().unwrap_or(0.0)
        + job["write"]["total_ios"].as_f64().unwrap_or(0.0);
    (ios > 0.0).then(|| pct / 100.0 * runtime_ms * 1e6 / ios)
}

/// Parses fio's `--output-format=json` report.
pub fn parse_fio_json(text: &str, write: bool) -> Result<FioResult, FioError> {
    let start = text
        .find('{')
        .ok_or_else(|| FioError::Parse("no JSON object".into()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text[start..]).map_err(|e| FioError::Parse(e.to_string()))?;
    let job = &v["jobs"][0];
    let side = &job[if write { "write" } else { "read" }];
    let iops = side["iops"]
        .as_f64()
        .ok_or_else(|| FioError::Parse("no iops".into()))?;
    let p99 = |lat: &serde_json::Value| lat["percentile"]["99.000000"].as_f64();
    let p99_ns = p99(&side["lat_ns"]).ok_or_else(|| FioError::Parse("no p99 latency".into()))?;
    Ok(FioResult {
        iops,
        p99_ns,
        sync_p99_ns: p99(&job["sync"]["lat_ns"]),
        cpu_per_io_ns: fio_cpu_per_io_ns(job),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"note: a warning fio printed first
{"jobs":[{"read":{"iops":75000.5,"lat_ns":{"percentile":{"50.000000":400000,"99.000000":900000}}},
"write":{"iops":0,"lat_ns":{}},"sync":{"total_ios":0,"lat_ns":{}}}]}"#;

    #[test]
    fn parses_fio_json_after_leading_noise() {
        let r = parse_fio_json(SAMPLE, false).unwrap();
        assert_eq!(r.iops, 75000.5);
        assert_eq!(r.p99_ns, 900000.0);
        assert_eq!(r.sync_p99_ns, None);
        assert_eq!(r.cpu_per_io_ns, None, "no CPU fields, no CPU per I/O");
        assert!(parse_fio_json("garbage", false).is_err());
    }

    /// fio 3.33's real JSON (buffered psync randread, numjobs=2,
    /// group_reporting): CPU per I/O is (usr_cpu + sys_cpu)% of job_runtime
    /// (summed over the 2 jobs) over read.total_ios: (7.6 + 30.25) / 100 x
    /// 2000 ms / 591782.
    #[test]
    fn fio_cpu_per_io_from_real_output() {
        let text = include_str!("../../tests/fixtures/peers/fio-randread-psync-2.json");
        let r = parse_fio_json(text, false).unwrap();
        assert_eq!(r.iops, 591190.809191);
        assert_eq!(r.p99_ns, 1976.0);
        let want = (7.6 + 30.25) / 100.0 * 2000.0 * 1e6 / 591782.0;
        let got = r.cpu_per_io_ns.unwrap();
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        assert!((got - 1279.2).abs() < 0.1, "{got}");
        // A write job counts its writes; no I/O at all gives no figure.
        let w = serde_json::json!({"usr_cpu": 10.0, "sys_cpu": 30.0, "job_runtime": 1000,
            "read": {"total_ios": 0}, "write": {"total_ios": 2000}});
        assert_eq!(fio_cpu_per_io_ns(&w), Some(200_000.0));
        let none = serde_json::json!({"usr_cpu": 10.0, "sys_cpu": 30.0, "job_runtime": 1000,
            "read": {"total_ios": 0}, "write": {"total_ios": 0}});
        assert_eq!(fio_cpu_per_io_ns(&none), None);
    }
}
