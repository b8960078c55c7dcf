//! `iobound fio` (`make bench-fio`): runs iobound cells and the equivalent
//! fio jobs on the same files, alternating, and prints iobound/fio ratios of
//! the medians. fio is the reference a file-I/O benchmark is judged against.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::config::FileConfig;
use crate::engine;
use crate::engine::uring::RingOptions;
use crate::load::{Bound, Plan};
use crate::output::human;
use crate::pagecache;
use crate::result::Status;
use crate::ring::{RingSetup, UringSupport};
use crate::run::{self, CellOptions, Silent};

#[derive(Debug, thiserror::Error)]
pub enum FioError {
    #[error("fio not found ('{0}'): install it with `apt-get install fio` (Debian, Ubuntu) or `dnf install fio` (Fedora), or pass --fio PATH")]
    Missing(String),
    #[error("unknown pair '{0}' (known: {1})")]
    UnknownPair(String, String),
    #[error("fio failed: {0}")]
    Failed(String),
    #[error("cannot read fio's JSON output: {0}")]
    Parse(String),
    #[error("iobound cell {0} did not complete: {1}")]
    Cell(String, String),
    #[error("--repeat must be at least 1")]
    Repeat,
    #[error(transparent)]
    Run(#[from] run::RunError),
}

/// fio's engine for the matching iobound mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FioEngine {
    /// psync, numjobs = concurrency (iobound `threads`).
    Psync,
    /// io_uring, iodepth = concurrency (iobound `uring`).
    IoUring,
}

/// One iobound cell and its fio twin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub name: &'static str,
    pub workload: &'static str,
    pub mode: &'static str,
    pub fio: FioEngine,
    pub concurrency: usize,
    pub direct: bool,
}

/// The pairs the acceptance criteria name, in order.
pub const PAIRS: [Pair; 5] = [
    Pair {
        name: "randread-direct-uring-32",
        workload: "file-randread",
        mode: "uring",
        fio: FioEngine::IoUring,
        concurrency: 32,
        direct: true,
    },
    Pair {
        name: "randread-direct-threads-16",
        workload: "file-randread",
        mode: "threads",
        fio: FioEngine::Psync,
        concurrency: 16,
        direct: true,
    },
    Pair {
        name: "randread-buffered-uring-32",
        workload: "file-randread",
        mode: "uring",
        fio: FioEngine::IoUring,
        concurrency: 32,
        direct: false,
    },
    Pair {
        name: "randread-buffered-threads-2",
        workload: "file-randread",
        mode: "threads",
        fio: FioEngine::Psync,
        concurrency: 2,
        direct: false,
    },
    Pair {
        name: "write-sync-threads-1",
        workload: "file-write",
        mode: "threads",
        fio: FioEngine::Psync,
        concurrency: 1,
        direct: false,
    },
];

/// Picks pairs by name; `None` picks all.
pub fn select_pairs(list: Option<&str>) -> Result<Vec<Pair>, FioError> {
    let Some(list) = list else {
        return Ok(PAIRS.to_vec());
    };
    iobound_workloads::units::split_list(list)
        .iter()
        .map(|n| {
            PAIRS.iter().copied().find(|p| p.name == n).ok_or_else(|| {
                let known: Vec<&str> = PAIRS.iter().map(|p| p.name).collect();
                FioError::UnknownPair(n.clone(), known.join(", "))
            })
        })
        .collect()
}

/// The fio command line for a pair, on `path`. An io_uring pair takes the
/// twins of `ring`, the ring the pair's iobound cell got ([`ring_twins`]).
pub fn fio_args(
    p: &Pair,
    path: &Path,
    file: &FileConfig,
    block: u64,
    ring: Option<&RingSetup>,
) -> Vec<String> {
    let secs = |d: Duration| format!("{}ms", d.as_millis().max(1));
    let runtime = match file.bound {
        Bound::Duration(d) => d,
        Bound::Requests(_) => Duration::from_secs(5),
    };
    let mut a = vec![
        format!("--name={}", p.name),
        format!("--filename={}", path.display()),
        format!("--size={}", file.params.file_size),
        format!("--bs={block}"),
        format!("--direct={}", u8::from(p.direct)),
        "--time_based=1".into(),
        format!("--runtime={}", secs(runtime)),
        format!("--ramp_time={}", secs(file.warmup)),
        "--group_reporting=1".into(),
        "--lat_percentiles=1".into(),
        "--percentile_list=50:90:99:99.9".into(),
        "--output-format=json".into(),
        // iobound's offsets are uniform with replacement; fio's default random
        // map would instead visit every block once.
        "--norandommap=1".into(),
        "--randrepeat=0".into(),
        // Keep the warmed page cache: fio invalidates it by default.
        "--invalidate=0".into(),
    ];
    if p.workload == "file-write" {
        a.push("--rw=write".into());
        a.push(format!("--fdatasync={}", file.params.sync_every));
    } else {
        a.push("--rw=randread".into());
    }
    match p.fio {
        FioEngine::Psync => {
            a.push("--ioengine=psync".into());
            a.push(format!("--numjobs={}", p.concurrency));
            a.push("--thread=1".into());
        }
        FioEngine::IoUring => {
            a.push("--ioengine=io_uring".into());
            a.push(format!("--iodepth={}", p.concurrency));
        }
    }
    a.extend(twins_for(p, ring));
    a
}

/// fio's ring options for a pair: the twins of its cell's ring for an
/// io_uring pair (none before a cell recorded one), none for psync.
fn twins_for(p: &Pair, ring: Option<&RingSetup>) -> Vec<String> {
    match (p.fio, ring) {
        (FioEngine::IoUring, Some(r)) => ring_twins(r),
        _ => Vec::new(),
    }
}

/// fio's io_uring options matching the ring iobound's cell actually ran
/// on, so both sides run with the same mechanisms: registered files, fixed
/// buffers, an SQPOLL thread (fio leaves its idle time to the kernel's
/// default, 1 s), and the completions to wait for per enter. Built from
/// what the kernel accepted, not from what was asked: `--fixed-buffers on`
/// falls back to plain buffers when the kernel refuses to register them
/// (RLIMIT_MEMLOCK), and fio must then go without `--fixedbufs` too.
/// `hipri` is never passed: it means IOPOLL, polled completions, which
/// iobound does not use (and virtio offers no poll queues by default). fio
/// 3.33 sets SINGLE_ISSUER, DEFER_TASKRUN and COOP_TASKRUN itself (seen
/// with strace), the twin of `--taskrun defer`; other modes have no fio twin.
pub fn ring_twins(r: &RingSetup) -> Vec<String> {
    let mut a = Vec::new();
    if r.registered_files > 0 {
        a.push("--registerfiles=1".to_string());
    }
    if r.fixed_buffers > 0 {
        a.push("--fixedbufs=1".to_string());
    }
    if r.flags.iter().any(|f| f == "SQPOLL") {
        a.push("--sqthread_poll=1".to_string());
    }
    if r.wait_count > 1 {
        a.push(format!("--iodepth_batch_complete_min={}", r.wait_count));
    }
    a
}

/// The twins of the ring the options ask for, as a kernel that accepts
/// everything would set it up: what a cell's ring is checked against.
pub fn asked_twins(o: &RingOptions) -> Vec<String> {
    ring_twins(&RingSetup {
        flags: o
            .sqpoll
            .0
            .map(|_| "SQPOLL".to_string())
            .into_iter()
            .collect(),
        registered_files: usize::from(o.register_files.on()),
        fixed_buffers: usize::from(o.fixed_buffers.on()),
        wait_count: o.wait_count,
        ..RingSetup::default()
    })
}

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

/// Median of a non-empty slice.
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// fio's version line, or [`FioError::Missing`] when `fio_bin` does not run.
pub fn probe(fio_bin: &str) -> Result<String, FioError> {
    let version = Command::new(fio_bin)
        .arg("--version")
        .output()
        .map_err(|_| FioError::Missing(fio_bin.to_string()))?;
    Ok(String::from_utf8_lossy(&version.stdout).trim().to_string())
}

/// Runs every pair `repeat` times, alternating iobound and fio, and prints
/// the comparison (and writes it as JSON to `json`, when given).
pub fn run(
    file: &FileConfig,
    pairs: &[Pair],
    repeat: usize,
    fio_bin: &str,
    json: Option<&Path>,
) -> Result<(), FioError> {
    if repeat == 0 {
        return Err(FioError::Repeat);
    }
    eprintln!("fio: {}", probe(fio_bin)?);
    let twins = asked_twins(&file.settings.get::<RingOptions>());
    if pairs.iter().any(|p| p.fio == FioEngine::IoUring) && !twins.is_empty() {
        eprintln!(
            "fio's io_uring jobs take the ring iobound's cell got each round (asked: {})",
            twins.join(" ")
        );
    }
    let rows = compare(file, pairs, repeat, fio_bin)?;
    print!("{}", render(&rows, repeat));
    if let Some(path) = json {
        let doc = serde_json::json!({ "repeat": repeat, "fio": rows });
        std::fs::write(
            path,
            serde_json::to_string_pretty(&doc).expect("rows serialize"),
        )
        .map_err(|e| FioError::Failed(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Measures every pair `repeat` times, alternating iobound and fio: the
/// rows of the comparison, medians of the rounds. fio must run (see [`probe`]).
pub fn compare(
    file: &FileConfig,
    pairs: &[Pair],
    repeat: usize,
    fio_bin: &str,
) -> Result<Vec<Row>, FioError> {
    run::ensure_writable_dir(&file.data_dir).map_err(|source| run::RunError::DataDir {
        path: file.data_dir.clone(),
        source,
    })?;
    let uring = UringSupport::detect();
    let mut rows = Vec::new();
    let mut done = Vec::new();
    for p in pairs {
        let mut obs = Silent;
        let ready = run::prepare(
            p.workload,
            &file.params,
            &file.data_dir,
            &mut done,
            &mut obs,
        )?;
        let path = ready.files[0].0.clone();
        let block = ready.workload.max_transfer() as u64;
        let engine = engine::by_name(p.mode).expect("pairs name real engines");
        let plan = Plan {
            concurrency: p.concurrency,
            warmup: file.warmup,
            bound: file.bound,
            rate: None,
        };
        let opts = CellOptions::new(p.direct, file.settings.clone());
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let asked = match p.fio {
            FioEngine::IoUring => asked_twins(&file.settings.get::<RingOptions>()),
            FioEngine::Psync => Vec::new(),
        };
        // The last cell's ring, which a round where fio goes first expects;
        // round 1 has the cell go first, so fio never runs before one.
        let mut ring: Option<RingSetup> = None;
        let mut fell_back = Fallback::default();
        for round in 1..=repeat {
            // Alternate who goes first (ABBA) so drift in a noisy device or a
            // host's burst budget does not favour one side.
            let fio_first = round % 2 == 0;
            let early = fio_first
                .then(|| {
                    let used = twins_for(p, ring.as_ref());
                    run_fio(fio_bin, p, &path, file, block, ring.as_ref()).map(|f| (f, used))
                })
                .transpose()?;
            let cell = run::run_cell(&ready, engine, plan, &opts, &uring, &mut obs);
            let s = match (cell.status, &cell.summary) {
                (Status::Ok, Some(s)) => s.clone(),
                _ => return Err(FioError::Cell(cell.stem(), cell.reason.unwrap_or_default())),
            };
            ring = s.ring.clone();
            let got = twins_for(p, ring.as_ref());
            fell_back.round(&asked, &got, &s.notes);
            let f = match early {
                Some((f, used)) if used == got => f,
                Some(_) => {
                    // This cell's ring is not the last one's: fio's run
                    // went on other options, so it runs again on these.
                    eprintln!(
                        "  {} round {round}: the cell's ring differed from the last round's; fio runs again with {}",
                        p.name,
                        got.join(" ")
                    );
                    run_fio(fio_bin, p, &path, file, block, ring.as_ref())?
                }
                None => run_fio(fio_bin, p, &path, file, block, ring.as_ref())?,
            };
            let mine = Ours {
                iops: s.throughput_rps,
                p99_ns: s.latency.p99_ns as f64,
                cpu_per_io_ns: s.cpu.per_request_ns,
            };
            eprintln!(
                "  {} round {round}: iobound {} IOPS p99 {} CPU/IO {} | fio {} IOPS p99 {}{} CPU/IO {}",
                p.name,
                human::rate(mine.iops),
                human::duration_ns(mine.p99_ns),
                human::duration_ns(mine.cpu_per_io_ns),
                human::rate(f.iops),
                human::duration_ns(f.p99_ns),
                f.sync_p99_ns.map_or(String::new(), |n| format!(
                    " (+ fdatasync p99 {})",
                    human::duration_ns(n)
                )),
                f.cpu_per_io_ns.map_or("n/a".into(), human::duration_ns),
            );
            ours.push(mine);
            theirs.push(f);
        }
        let mut row = Row::new(p, &ours, &theirs);
        row.fio_cpu_misses_sqpoll = fell_back.sqpoll;
        row.ring_fallback = fell_back.words(repeat);
        rows.push(row);
    }
    Ok(rows)
}

/// The rounds of a pair whose cell's ring lacked a mechanism the options
/// asked for, which fio then went without too.
#[derive(Debug, Default)]
struct Fallback {
    /// fio's options the rings lacked, each once.
    missing: Vec<String>,
    rounds: usize,
    /// The first such cell's note on why (the kernel's refusal).
    why: Option<String>,
    /// fio polled with an SQPOLL thread in some round.
    sqpoll: bool,
}

impl Fallback {
    /// Counts one round: `asked` the twins of the options, `got` those of
    /// the ring the cell recorded, `notes` the cell's notes.
    fn round(&mut self, asked: &[String], got: &[String], notes: &[String]) {
        self.sqpoll |= got.iter().any(|t| t == "--sqthread_poll=1");
        let lacked: Vec<&String> = asked.iter().filter(|t| !got.contains(t)).collect();
        if lacked.is_empty() {
            return;
        }
        self.rounds += 1;
        for t in lacked {
            if !self.missing.contains(t) {
                self.missing.push(t.clone());
            }
        }
        if self.why.is_none() {
            self.why = notes.iter().find(|n| n.contains("refused")).cloned();
        }
    }

    /// One line for the table's notes, when some round fell back.
    fn words(&self, repeat: usize) -> Option<String> {
        (self.rounds > 0).then(|| {
            format!(
                "fio ran without {} in {} of {repeat} round(s), as iobound's ring did{}",
                self.missing.join(" "),
                self.rounds,
                self.why
                    .as_ref()
                    .map_or(String::new(), |w| format!(" ({w})"))
            )
        })
    }
}

/// What one iobound cell of a pair measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ours {
    pub iops: f64,
    pub p99_ns: f64,
    /// The process's user + system CPU over the cell's measured window / the
    /// requests completed in it: `Summary::cpu.per_request_ns`.
    pub cpu_per_io_ns: f64,
}

/// Runs one fio job for a pair and parses its report. For a buffered read
/// pair the file is read once first, as iobound does before its cells.
fn run_fio(
    fio_bin: &str,
    p: &Pair,
    path: &Path,
    file: &FileConfig,
    block: u64,
    ring: Option<&RingSetup>,
) -> Result<FioResult, FioError> {
    if !p.direct && p.workload != "file-write" {
        let _ = pagecache::warm(path);
    }
    let out = Command::new(fio_bin)
        .args(fio_args(p, path, file, block, ring))
        .output()
        .map_err(|e| FioError::Failed(e.to_string()))?;
    if !out.status.success() {
        return Err(FioError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    parse_fio_json(
        &String::from_utf8_lossy(&out.stdout),
        p.workload == "file-write",
    )
}

/// Medians of one pair.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub name: &'static str,
    pub iobound_iops: f64,
    pub fio_iops: f64,
    pub iobound_p99_ns: f64,
    pub fio_p99_ns: f64,
    /// fio times fdatasync apart from the write, so its p99 is not comparable.
    pub p99_comparable: bool,
    /// User + system CPU per I/O: iobound's whole process over the cell,
    /// fio's jobs over their runtime (medians).
    pub iobound_cpu_per_io_ns: f64,
    /// `None` when fio's JSON lacks the fields (see [`fio_cpu_per_io_ns`]).
    pub fio_cpu_per_io_ns: Option<f64>,
    /// fio polled with an SQPOLL thread, whose CPU its `usr_cpu`/`sys_cpu`
    /// leave out (26 % usr, 0.1 % sys while that thread spun, fio 3.33),
    /// while iobound's process CPU counts it: the CPU ratio means nothing.
    #[serde(default)]
    pub fio_cpu_misses_sqpoll: bool,
    /// Rounds whose iobound ring lacked a mechanism the options asked for
    /// (fixed buffers the kernel refused), which fio went without too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring_fallback: Option<String>,
}

impl Row {
    fn new(p: &Pair, ours: &[Ours], theirs: &[FioResult]) -> Self {
        let col = |f: fn(&Ours) -> f64| median(&ours.iter().map(f).collect::<Vec<_>>());
        let fio_cpu: Option<Vec<f64>> = theirs.iter().map(|f| f.cpu_per_io_ns).collect();
        Row {
            name: p.name,
            iobound_iops: col(|x| x.iops),
            iobound_p99_ns: col(|x| x.p99_ns),
            iobound_cpu_per_io_ns: col(|x| x.cpu_per_io_ns),
            fio_iops: median(&theirs.iter().map(|f| f.iops).collect::<Vec<_>>()),
            fio_p99_ns: median(&theirs.iter().map(|f| f.p99_ns).collect::<Vec<_>>()),
            fio_cpu_per_io_ns: fio_cpu.map(|v| median(&v)),
            fio_cpu_misses_sqpoll: false,
            ring_fallback: None,
            p99_comparable: theirs.iter().all(|f| f.sync_p99_ns.is_none()),
        }
    }
}

/// The comparison table.
pub fn render(rows: &[Row], repeat: usize) -> String {
    let line = |c: [&str; 10]| {
        format!(
            "{:<28} {:>10} {:>10} {:>7} {:>11} {:>11} {:>7} {:>10} {:>10} {:>7}\n",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]
        )
    };
    let mut s = format!("\niobound vs fio, median of {repeat} run(s) each\n");
    s.push_str(&line([
        "pair", "iobound", "fio", "IOPS", "iobound", "fio", "p99", "iobound", "fio", "CPU/IO",
    ]));
    s.push_str(&line([
        "", "IOPS", "IOPS", "ratio", "p99", "p99", "ratio", "CPU/IO", "CPU/IO", "ratio",
    ]));
    for r in rows {
        let p99_ratio = if r.p99_comparable {
            format!("{:.2}", r.iobound_p99_ns / r.fio_p99_ns)
        } else {
            "n/a".into()
        };
        let (fio_cpu, cpu_ratio) = match r.fio_cpu_per_io_ns {
            Some(f) if r.fio_cpu_misses_sqpoll => (human::duration_ns(f), "n/a".into()),
            Some(f) => (
                human::duration_ns(f),
                format!("{:.2}", r.iobound_cpu_per_io_ns / f),
            ),
            None => ("n/a".into(), "n/a".into()),
        };
        s.push_str(&line([
            r.name,
            &human::rate(r.iobound_iops),
            &human::rate(r.fio_iops),
            &format!("{:.2}", r.iobound_iops / r.fio_iops),
            &human::duration_ns(r.iobound_p99_ns),
            &human::duration_ns(r.fio_p99_ns),
            &p99_ratio,
            &human::duration_ns(r.iobound_cpu_per_io_ns),
            &fio_cpu,
            &cpu_ratio,
        ]));
    }
    for r in rows {
        if let Some(f) = &r.ring_fallback {
            s.push_str(&format!("{}: {f}.\n", r.name));
        }
    }
    if rows.iter().any(|r| r.fio_cpu_misses_sqpoll) {
        s.push_str("CPU/IO ratio n/a: fio's CPU figures leave out its SQPOLL thread; iobound's count it.\n");
    }
    if rows.iter().any(|r| !r.p99_comparable) {
        s.push_str("p99 n/a: fio reports write and fdatasync latencies separately; iobound times the pair.\n");
    }
    s.push_str(
        "CPU/IO: user + system CPU per I/O; iobound's process over the cell's measured window \
         / the requests completed in it, fio's jobs (usr_cpu + sys_cpu of job_runtime, ramp \
         excluded) / their I/Os.\n",
    );
    s
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
        let text = include_str!("../tests/fixtures/peers/fio-randread-psync-2.json");
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

    /// A pair's row as the table tests use it: 1.25x fio's IOPS at 1.5x
    /// its CPU per I/O, with the ring's fallback line if any.
    fn table_row(ring_fallback: Option<String>) -> Row {
        Row {
            name: "randread-direct-uring-32",
            iobound_iops: 100_000.0,
            fio_iops: 80_000.0,
            iobound_p99_ns: 1e6,
            fio_p99_ns: 1e6,
            p99_comparable: true,
            iobound_cpu_per_io_ns: 3000.0,
            fio_cpu_per_io_ns: Some(2000.0),
            fio_cpu_misses_sqpoll: false,
            ring_fallback,
        }
    }

    #[test]
    fn the_table_has_cpu_per_io_and_its_ratio() {
        let row = table_row(None);
        let t = render(std::slice::from_ref(&row), 3);
        assert!(t.contains("CPU/IO") && t.contains(" 1.50\n"), "{t}");
        let t = render(
            &[Row {
                fio_cpu_per_io_ns: None,
                ..row.clone()
            }],
            3,
        );
        let line = t.lines().find(|l| l.starts_with("randread")).unwrap();
        assert!(line.ends_with("n/a     n/a"), "{t}");
        // With SQPOLL, fio's own CPU figure shows but no ratio is drawn.
        let t = render(
            &[Row {
                fio_cpu_misses_sqpoll: true,
                ..row
            }],
            3,
        );
        let line = t.lines().find(|l| l.starts_with("randread")).unwrap();
        assert!(line.ends_with("2.0µs     n/a"), "{t}");
        assert!(t.contains("leave out its SQPOLL thread"), "{t}");
    }

    #[test]
    fn fio_args_mirror_the_pair() {
        let file = FileConfig {
            params: iobound_workloads::WorkloadParams::default(),
            direct: false,
            data_dir: "/d".into(),
            warmup: Duration::from_millis(500),
            bound: Bound::Duration(Duration::from_secs(3)),
            settings: Default::default(),
            db_latency: Duration::ZERO,
        };
        // The ring a uring cell records on the defaults, at -c 32.
        let got = RingSetup {
            flags: vec!["SINGLE_ISSUER".into(), "DEFER_TASKRUN".into()],
            registered_files: 1,
            fixed_buffers: 32,
            submit_batch: 8,
            wait_count: 1,
            ..RingSetup::default()
        };
        let a = fio_args(&PAIRS[0], Path::new("/d/f"), &file, 4096, Some(&got));
        for want in [
            "--ioengine=io_uring",
            "--iodepth=32",
            "--direct=1",
            "--bs=4096",
            "--runtime=3000ms",
            "--ramp_time=500ms",
            "--rw=randread",
        ] {
            assert!(a.iter().any(|x| x == want), "{want} missing from {a:?}");
        }
        let w = fio_args(&PAIRS[4], Path::new("/d/l"), &file, 4096, None);
        assert!(w.iter().any(|x| x == "--fdatasync=1") && w.iter().any(|x| x == "--numjobs=1"));
        // The ring registered the files and the buffers, and fio's twins
        // do too; every other mechanism is off on both sides.
        assert_eq!(twins(&a), ["--registerfiles=1", "--fixedbufs=1"]);
        assert!(!a.iter().any(|x| x.starts_with("--hipri")));
        let ring = RingSetup {
            flags: vec!["SQPOLL".into()],
            sq_thread_idle_ms: Some(5),
            registered_files: 0,
            fixed_buffers: 32,
            wait_count: 4,
            ..RingSetup::default()
        };
        let a = fio_args(&PAIRS[0], Path::new("/d/f"), &file, 4096, Some(&ring));
        assert_eq!(
            twins(&a),
            [
                "--fixedbufs=1",
                "--sqthread_poll=1",
                "--iodepth_batch_complete_min=4"
            ]
        );
        // A psync pair has no ring: no twins.
        assert!(twins(&fio_args(
            &PAIRS[1],
            Path::new("/d/f"),
            &file,
            4096,
            Some(&ring)
        ))
        .is_empty());
    }

    /// The options fio's twins of the ring may take.
    fn twins(a: &[String]) -> Vec<String> {
        let known = [
            "--registerfiles",
            "--fixedbufs",
            "--sqthread_poll",
            "--iodepth_batch",
        ];
        a.iter()
            .filter(|x| known.iter().any(|k| x.starts_with(k)))
            .cloned()
            .collect()
    }

    /// `--fixed-buffers on` (the default) whose registration the kernel
    /// refused: the cell's ring records no fixed buffers, so fio gets no
    /// `--fixedbufs=1` either, and the table names the fallback.
    #[test]
    fn fio_follows_the_ring_the_cell_got_not_the_options() {
        let file = FileConfig {
            params: iobound_workloads::WorkloadParams::default(),
            direct: true,
            data_dir: "/d".into(),
            warmup: Duration::from_millis(500),
            bound: Bound::Duration(Duration::from_secs(3)),
            settings: Default::default(),
            db_latency: Duration::ZERO,
        };
        let asked = asked_twins(&file.settings.get::<RingOptions>());
        assert_eq!(asked, ["--registerfiles=1", "--fixedbufs=1"]);
        let refused = RingSetup {
            flags: vec!["SINGLE_ISSUER".into(), "DEFER_TASKRUN".into()],
            registered_files: 1,
            fixed_buffers: 0,
            wait_count: 1,
            ..RingSetup::default()
        };
        let a = fio_args(&PAIRS[0], Path::new("/d/f"), &file, 4096, Some(&refused));
        assert_eq!(twins(&a), ["--registerfiles=1"], "{a:?}");

        let note = "--fixed-buffers on: the kernel refused 32 buffers \
                    (Cannot allocate memory (os error 12)): plain buffers used"
            .to_string();
        let mut fb = Fallback::default();
        let full = ring_twins(&RingSetup {
            fixed_buffers: 32,
            ..refused.clone()
        });
        fb.round(&asked, &full, &[]);
        assert_eq!(
            fb.words(3),
            None,
            "a round on the asked ring is no fallback"
        );
        let got = twins_for(&PAIRS[0], Some(&refused));
        fb.round(&asked, &got, std::slice::from_ref(&note));
        fb.round(&asked, &got, std::slice::from_ref(&note));
        let words = fb.words(3).unwrap();
        assert!(
            words.starts_with("fio ran without --fixedbufs=1 in 2 of 3 round(s)"),
            "{words}"
        );
        assert!(words.contains("refused 32 buffers"), "{words}");
        let row = table_row(Some(words));
        let t = render(&[row], 3);
        let lines: Vec<&str> = t.lines().filter(|l| l.contains("--fixedbufs")).collect();
        assert_eq!(lines.len(), 1, "{t}");
        assert!(lines[0].starts_with("randread-direct-uring-32: fio ran without"));
    }

    #[test]
    fn medians_and_pair_selection() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0]), 2.5);
        assert_eq!(select_pairs(Some("write-sync-threads-1")).unwrap().len(), 1);
        assert!(select_pairs(Some("nope")).is_err());
    }
}
