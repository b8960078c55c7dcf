//! `iobound fio` (`make bench-fio`): runs iobound cells and the equivalent
//! fio jobs on the same files, alternating, and prints iobound/fio ratios of
//! the medians. fio is the reference a file-I/O benchmark is judged against.

mod args;
mod json;
mod table;

use std::path::Path;
use std::process::Command;

use crate::config::FileConfig;
use crate::engine;
use crate::engine::uring::RingOptions;
use crate::load::Plan;
use crate::output::human;
use crate::pagecache;
use crate::result::Status;
use crate::ring::{RingSetup, UringSupport};
use crate::run::{self, CellOptions, Silent};

use args::twins_for;
pub use args::{asked_twins, fio_args, ring_twins};
pub use json::{fio_cpu_per_io_ns, parse_fio_json, FioResult};
pub use table::{render, Row};

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
    crate::errln!("fio: {}", probe(fio_bin)?);
    let twins = asked_twins(&file.settings.get::<RingOptions>());
    if pairs.iter().any(|p| p.fio == FioEngine::IoUring) && !twins.is_empty() {
        crate::errln!(
            "fio's io_uring jobs take the ring iobound's cell got each round (asked: {})",
            twins.join(" ")
        );
    }
    let rows = compare(file, pairs, repeat, fio_bin)?;
    crate::out!("{}", render(&rows, repeat));
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
                    crate::errln!(
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
            crate::errln!(
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::load::Bound;

    /// A pair's row as the table tests use it: 1.25x fio's IOPS at 1.5x
    /// its CPU per I/O, with the ring's fallback line if any.
    pub(super) fn table_row(ring_fallback: Option<String>) -> Row {
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

    /// The options fio's twins of the ring may take.
    pub(super) fn twins(a: &[String]) -> Vec<String> {
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
