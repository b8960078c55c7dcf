//! `iobound advise`: answers "which concurrency model for *my* requests at
//! *my* concurrency?" — predicts each model's ceiling from a few
//! calibration cells ([`model`], which lives in
//! `report::predict` so that reports can check the same prediction against
//! a run), measures each model at and around the
//! concurrency (ordinary run directories), and answers in a few lines
//! ([`answer`]), written to `advice.md` and `advice.html` as well.
//!
//! `matrix` builds, checks and runs the two matrices and reads their cells
//! back; `doc` writes the documents; this module asks the question and
//! puts the steps in order.

pub mod answer;
mod doc;
mod matrix;
mod request;
/// The predictor sits in `report/`, below this command's layer, because
/// the report's "Predicted vs measured" section uses it too.
pub(crate) use crate::report::predict::closed_loop as model;

use std::path::{Path, PathBuf};
use std::time::Duration;

use iobound_workloads::Model;

use self::answer::{Measured, Question};
use self::doc::{html, markdown, prediction_lines, Doc};
use self::matrix::{calibration, matrix, measured_at, run_matrix, sweep, Argv};
use self::model::{predict, Calibration, Prediction};
use self::request::request;
use crate::cli::AdviseArgs;
use crate::config::ConfigError;
use crate::engine::{self, Engine};
use crate::output::human::{duration_ns, rate};
use crate::run::{Observer, RunError};

/// The models advise compares, in the order it lists them: each by the
/// first Rust engine of that model that can run here.
const MODELS: [Model; 6] = Model::ALL;

/// Warm-up of every cell, unless the load needs longer.
const WARMUP: Duration = Duration::from_millis(250);
/// Longest a measuring cell is made to run to fit its requests (advise
/// must answer within about two minutes on 2 cores).
const MAX_CELL: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum AdviseError {
    /// The user's input: exit 2, nothing written.
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Script(#[from] iobound_workloads::ScriptError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Measure(String),
    /// A stop during the calibration: no answer, but what ran was written.
    #[error(
        "interrupted ({cause}) while calibrating, before the models were measured: no answer; \
         what ran is in {}", dir.display()
    )]
    Stopped { cause: &'static str, dir: PathBuf },
}

impl AdviseError {
    pub fn is_bad_input(&self) -> bool {
        match self {
            AdviseError::Input(_) | AdviseError::Script(_) | AdviseError::Config(_) => true,
            AdviseError::Run(e) => e.is_bad_input(),
            _ => false,
        }
    }
}

/// `--cores N` on a machine with another count: the same predictions for
/// N cores (the calibration's costs per request, N CPUs and pools of N),
/// headed by what they are — a prediction this run cannot measure, beside
/// the answer measured here. Nothing when N is this machine's count.
fn other_cores(
    cores: Option<u64>,
    cal: &Calibration,
    models: &[(Model, String, usize)],
    c: usize,
) -> Vec<String> {
    let Some(n) = cores.map(|n| n as usize).filter(|&n| n != cal.cores) else {
        return Vec::new();
    };
    let there = Calibration {
        cores: n,
        ..cal.clone()
    };
    let pools: Vec<(Model, String, usize)> = models
        .iter()
        .map(|(m, e, w)| (*m, e.clone(), if *w == cal.cores { n } else { *w }))
        .collect();
    let mut v = vec![format!(
        "On your {n} cores (--cores {n}), predicted only: this machine has {} and measures on them, so \
         the answer below is for {}; a prediction's CPU ceilings scale with the cores, its waiting \
         and server ceilings do not.",
        cal.cores, cal.cores
    )];
    v.extend(prediction_lines(&there, &predict(&there, &pools, c), c));
    v
}

/// The engine standing for each model here: the first Rust engine of it
/// that can run on this machine.
fn representatives() -> Vec<&'static dyn Engine> {
    let uring = crate::ring::UringSupport::detect().available;
    MODELS
        .iter()
        .filter_map(|&m| engine::representative(m, uring))
        .collect()
}

/// Where advise writes: `<out>/advice-<time>`.
fn advice_dir(out: &Path) -> PathBuf {
    out.join(format!(
        "advice-{}",
        crate::run::utc_stamp(std::time::SystemTime::now())
    ))
}

/// What advise wrote.
pub struct Advice {
    pub dir: PathBuf,
    pub lines: Vec<String>,
    /// Whether a model was measured at the concurrency asked: without one
    /// there is no answer, and the command fails (exit 1) after writing
    /// why, instead of exiting 0 (an outsider's C=32768 measured nothing).
    pub answered: bool,
    /// advice.json's document: `--json` prints it instead of the lines.
    pub json: serde_json::Value,
}

/// Runs `iobound advise`.
pub fn advise(a: &AdviseArgs, obs: &mut dyn Observer) -> Result<Advice, AdviseError> {
    let (text, script) = request(a)?;
    let c = checked_concurrency(a)?;
    let engines = representatives();
    let Some(calibrator) = engines.first().copied() else {
        return Err(AdviseError::Measure("no engine can run here".into()));
    };
    let dir = advice_dir(&a.output.out);
    // Remembered so that a refused flag leaves no directory behind.
    let out_existed = a.output.out.exists();
    let write = |path: PathBuf, bytes: &[u8]| {
        std::fs::write(&path, bytes).map_err(|source| AdviseError::Write { path, source })
    };
    // Nothing is written yet: an --out that cannot hold the advice is the
    // user's input (exit 2), as `run` says of it.
    std::fs::create_dir_all(&dir).map_err(|e| {
        AdviseError::Input(format!(
            "--out {}: cannot create {} ({e})",
            a.output.out.display(),
            dir.display()
        ))
    })?;
    let file = dir.join("workload.toml");
    write(file.clone(), text.as_bytes())?;
    let argv = Argv {
        a,
        file: &file,
        dir: &dir,
        cs: sweep(c),
    };
    // 1. Calibrate: alone (C = 1), and loaded enough that the CPU per
    // request is what it costs under load.
    // Within --max-threads: the calibrator is blocking threads, and a
    // calibration refused for its thread count failed the whole advice late.
    let loaded_c = c.clamp(1, 16).min(a.max_threads.max(1));
    let cal_argv = argv.calibration(calibrator, loaded_c);
    // Both matrices checked before anything runs: a flag they refuse is
    // the user's mistake, and leaves nothing behind.
    // The run's own checks before anything runs (a --data-dir that is a
    // file, the data files' space), as the calibration's run would make
    // them after printing that it calibrates.
    if let Err(e) = matrix(&cal_argv).and_then(|config| {
        crate::run::preflight(&crate::run::Suite::single(config))
            .map_err(|e| AdviseError::Input(e.to_string()))?;
        matrix(&argv.measurement(&engines, a.duration, WARMUP)).map(drop)
    }) {
        remove_refused(&dir, &a.output.out, out_existed);
        return Err(e);
    }
    let (cal_out, cal) = calibrate(&cal_argv, calibrator, loaded_c, obs)?;
    let models: Vec<(Model, String, usize)> = engines
        .iter()
        .map(|e| (e.model(), e.name().to_string(), cal.cores))
        .collect();
    let preds = predict(&cal, &models, c);
    let mut predicted = prediction_lines(&cal, &preds, c);
    predicted.extend(other_cores(a.cores, &cal, &models, c));
    // With --json, stdout holds the JSON document alone.
    for l in &predicted {
        say(a.json, l);
    }
    // 2. Measure each model at and around C.
    // The sweep's highest load decides how long a model's cells must run.
    let at_2c = predict(&cal, &models, 2 * c);
    let (run_engines, left_out) = leave_out(&engines, &at_2c, 2 * c, a.duration);
    let length = cell_length(&cal, &models, &argv.cs, &run_engines, a.duration, a.repeat);
    let measure_argv = argv.measurement(&run_engines, length.duration, length.warmup);
    crate::errln!(
        "advise: measuring {} model{} at {} ({} repetition{})...",
        run_engines.len(),
        if run_engines.len() == 1 { "" } else { "s" },
        at_cs(&argv.cs),
        a.repeat,
        if a.repeat == 1 { "" } else { "s" }
    );
    let out = run_matrix(&measure_argv, obs)?;
    let measured_at = |c: usize| {
        let mut v = measured_at(&out.cells, &engines, c, a.repeat);
        for m in &mut v {
            if let Some((_, why)) = left_out.iter().find(|(e, _)| *e == m.engine) {
                m.skipped = Some(why.clone());
                m.incomplete = None;
            }
        }
        v
    };
    // 3. Answer.
    let at_c = measured_at(c);
    let lines = answer_lines(a, c, &cal, &preds, &at_c, length.lengthened);
    let sweep_rows: Vec<(usize, Vec<Measured>, Vec<Prediction>)> = argv
        .cs
        .iter()
        .map(|&x| (x, measured_at(x), predict(&cal, &models, x)))
        .collect();
    let doc = Doc {
        script: &script,
        c,
        slo: a.slo,
        cal: &cal,
        lines: &lines,
        predicted: &predicted,
        sweep: &sweep_rows,
        runs: [&cal_out.dir, &out.dir],
    };
    let recommended = answer::recommended(&question(a, c, &cal, &preds, &at_c));
    let json = doc::json(&doc, &recommended);
    let text = serde_json::to_string_pretty(&json).expect("a JSON value serialises");
    for (name, bytes) in [
        ("advice.md", markdown(&doc).into_bytes()),
        ("advice.html", html(&doc).into_bytes()),
        ("advice.json", text.into_bytes()),
    ] {
        write(dir.join(name), &bytes)?;
    }
    let answered = !lines
        .iter()
        .any(|l| l.starts_with("No model completed every repetition"));
    Ok(Advice {
        dir,
        lines,
        answered,
        json,
    })
}

/// Step 1 of advise: the calibration cells (alone, and loaded) run, and
/// what they measured.
fn calibrate(
    argv: &[String],
    calibrator: &dyn Engine,
    loaded_c: usize,
    obs: &mut dyn Observer,
) -> Result<(crate::run::RunOutput, Calibration), AdviseError> {
    crate::errln!(
        "advise: calibrating on {} at {}...",
        calibrator.name(),
        at_cs(&[1, loaded_c])
    );
    let out = run_matrix(argv, obs)?;
    if crate::interrupt::requested() {
        // The calibration's run directory exists: say where, not that
        // nothing was written (as a stop before any cell would).
        return Err(AdviseError::Stopped {
            cause: crate::interrupt::cause(),
            dir: out.dir.clone(),
        });
    }
    let cal = calibration(&out, calibrator.name(), loaded_c, 1)?;
    Ok((out, cal))
}

/// A line on stdout, or on stderr when stdout holds `--json`'s document.
fn say(json: bool, line: &str) {
    if json {
        crate::errln!("{line}");
    } else {
        crate::outln!("{line}");
    }
}

/// "C=1 and C=16", "C=1" (the same twice said once), "C=64, 128, 256".
fn at_cs(cs: &[usize]) -> String {
    let mut v = cs.to_vec();
    v.dedup();
    match v.as_slice() {
        [a, b] => format!("C={a} and C={b}"),
        _ => format!(
            "C={}",
            v.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A refused flag leaves nothing behind: the advice's directory, and the
/// output directory if this advice made it.
fn remove_refused(dir: &Path, out: &Path, out_existed: bool) {
    let _ = std::fs::remove_dir_all(dir);
    if !out_existed {
        // Only when empty: never what else the user keeps there.
        let _ = std::fs::remove_dir(out);
    }
}

/// What the answer is asked: the user's concurrency and SLO, with what
/// was calibrated, predicted and measured there.
fn question<'a>(
    a: &AdviseArgs,
    c: usize,
    cal: &'a Calibration,
    preds: &'a [Prediction],
    at_c: &'a [Measured],
) -> Question<'a> {
    Question {
        concurrency: c,
        slo: a.slo,
        max_threads: a.max_threads,
        calibration: cal,
        predictions: preds,
        measured: at_c,
    }
}

/// The answer at the user's concurrency `c`, then why the cells were
/// lengthened, and first, after a stop, what the answer covers.
fn answer_lines(
    a: &AdviseArgs,
    c: usize,
    cal: &Calibration,
    preds: &[Prediction],
    at_c: &[Measured],
    lengthened: Option<String>,
) -> Vec<String> {
    let mut lines = answer::answer(&question(a, c, cal, preds, at_c));
    lines.extend(lengthened);
    if crate::interrupt::requested() {
        lines.insert(
            0,
            "Interrupted: this answer covers only the cells that ran before the stop; models \
             with incomplete repetitions are left out of it."
                .into(),
        );
    }
    lines
}

/// The concurrency asked about, once `--slo` and `--concurrency` are
/// checked.
fn checked_concurrency(a: &AdviseArgs) -> Result<usize, AdviseError> {
    if a.slo.is_some_and(|s| s.is_zero()) {
        return Err(AdviseError::Input(
            "--slo 0s: no request takes no time; give the p99 your service must keep, e.g. 50ms"
                .into(),
        ));
    }
    let c = a.concurrency as usize;
    if !(1..=crate::config::MAX_CONCURRENCY).contains(&c) {
        return Err(AdviseError::Input(format!(
            "--concurrency {c}: expected 1 to {}",
            crate::config::MAX_CONCURRENCY
        )));
    }
    Ok(c)
}

/// The engines measured, and those left out with the reason, from the
/// predictions at `top`, the sweep's highest concurrency. A model whose
/// requests would each take longer there than a fifth of a cell, and
/// over [`SLOWER`] times the best model's, is not measured: its cells
/// would have to run for seconds each (an outsider's `advise` planned
/// 9 minutes for pools of 2 under 512 requests of 55 ms), and the
/// prediction already rules it out. The best model is always measured.
#[allow(clippy::type_complexity)]
fn leave_out(
    engines: &[&'static dyn Engine],
    preds: &[Prediction],
    top: usize,
    duration: Duration,
) -> (Vec<&'static dyn Engine>, Vec<(&'static str, String)>) {
    let queued = |p: &Prediction| top as f64 / p.limit.1;
    let best = preds.iter().map(queued).fold(f64::INFINITY, f64::min);
    let limit = (duration.as_secs_f64() / 5.0).max(best * SLOWER);
    let (run_engines, left_out): (Vec<_>, Vec<_>) = engines
        .iter()
        .copied()
        .zip(preds)
        .partition(|(_, p)| queued(p) <= limit);
    let run_engines: Vec<&'static dyn Engine> = run_engines.into_iter().map(|(e, _)| e).collect();
    let left_out: Vec<(&'static str, String)> = left_out
        .into_iter()
        .map(|(e, p)| {
            (
                e.name(),
                format!(
                    "left out: with {} in flight it is predicted at {} req/s, so at C={top} \
                     a request would take ~{} (C / that rate, Little's law), over \
                     {SLOWER:.0}x the best model's ~{}",
                    p.in_flight,
                    rate(p.limit.1),
                    duration_ns(queued(p) * 1e9),
                    duration_ns(best * 1e9)
                ),
            )
        })
        .collect();
    (run_engines, left_out)
}

/// How many times the best model's predicted request time a model may show
/// and still be measured.
const SLOWER: f64 = 4.0;

/// How long the measuring cells run and warm up.
#[derive(Debug)]
struct CellLength {
    duration: Duration,
    warmup: Duration,
    /// Said in the answer when the cells were made longer than asked.
    lengthened: Option<String>,
}

/// About how long advise's measurement may take on the clock, by
/// [`crate::run::estimate`] with each cell's drain: with the calibration's
/// ~10 s, advise answers within about a minute and a half on 2 cores. A
/// cell is lengthened to hold the requests of the sweep's highest load only
/// as far as this allows, never shortened below `--duration`.
const BUDGET: Duration = Duration::from_secs(80);

/// A cell must hold many requests of the time one takes at its load
/// (Little's law: C / throughput), or its window catches the warm-up's
/// backlog draining: the cells are lengthened to fit, within [`BUDGET`],
/// and say so.
fn cell_length(
    cal: &Calibration,
    models: &[(Model, String, usize)],
    cs: &[usize],
    run_engines: &[&'static dyn Engine],
    asked: Duration,
    repeat: u32,
) -> CellLength {
    // Each measured cell's concurrency and predicted request time.
    let cells: Vec<(usize, f64)> = cs
        .iter()
        .flat_map(|&x| {
            predict(cal, models, x)
                .into_iter()
                .filter(|p| run_engines.iter().any(|e| e.name() == p.engine))
                .map(move |p| (x, x as f64 / p.limit.1))
        })
        .collect();
    let slowest = cells.iter().map(|c| c.1).fold(0.0f64, f64::max);
    // The sweep's highest concurrency: 2C, or the most iobound runs.
    let top = cs.iter().copied().max().unwrap_or(1);
    // Whole tenths of a second, as a user would type them.
    let tenths = |secs: f64| Duration::from_millis((secs.max(0.0) * 10.0).ceil() as u64 * 100);
    // A warm-up of one request's time puts the closed loop in its steady
    // state (every slot past its first request); two more in the window
    // measure it. Five and two, before, made a 5-minute advice at C=4096.
    let need = (
        asked.max(tenths(2.0 * slowest)),
        WARMUP.max(tenths(slowest)),
    );
    // What advise gives unasked: at most MAX_CELL each.
    let cap = |d: Duration| d.min(MAX_CELL);
    let wanted = (asked.max(cap(need.0)), WARMUP.max(cap(need.1)));
    // What the cells cost besides their warm-up and window: set-up, and a
    // request's time to drain.
    let overhead: f64 = cells
        .iter()
        .map(|&(x, t)| crate::run::estimate(Duration::ZERO, x).as_secs_f64() + t)
        .sum::<f64>()
        * f64::from(repeat);
    let n = (cells.len() as f64 * f64::from(repeat)).max(1.0);
    let room = (BUDGET.as_secs_f64() - overhead) / n;
    let length = (wanted.0 + wanted.1).as_secs_f64();
    let (duration, warmup) = if asked >= need.0 {
        // `--duration` holds the top's requests: the user chose the time,
        // and the warm-up follows it, beyond advise's limits.
        (asked, need.1)
    } else if length <= room {
        wanted
    } else {
        // Held to the budget: the window keeps two thirds of what is left,
        // the warm-up a third; neither below what was asked.
        let room = room.max(0.0);
        let duration = asked.max(tenths(room * 2.0 / 3.0)).min(wanted.0);
        let warmup = WARMUP
            .max(tenths(room - duration.as_secs_f64()))
            .min(wanted.1);
        (duration, warmup)
    };
    let short = match (duration < need.0, warmup < need.1) {
        (true, true) => {
            Some("a window held fewer than two requests' time and the warm-up less than one")
        }
        (true, false) => Some("a window held fewer than two requests' time"),
        (false, true) => Some("the warm-up was shorter than one request's time"),
        (false, false) => None,
    };
    let fmt = iobound_workloads::units::format_duration;
    let lengthened = (duration > asked || warmup > WARMUP || short.is_some()).then(|| {
        let mut l = format!(
            "Cells ran {} after {} of warm-up (--duration {}{}: at C={top} a request is predicted \
             to take ~{}, and a cell warms up for one and measures at least two",
            fmt(duration),
            fmt(warmup),
            fmt(asked),
            if duration > asked { " was raised" } else { "" },
            duration_ns(slowest * 1e9)
        );
        if let Some(short) = short {
            l.push_str(&format!(
                "; advise held them to its limits ({} a cell, about {} of measurement in all), \
                 so at C={top} {short}: --duration {} measures them whole, beyond those limits",
                fmt(MAX_CELL),
                fmt(BUDGET),
                fmt(need.0)
            ));
        }
        l.push_str(").");
        l
    });
    CellLength {
        duration,
        warmup,
        lengthened,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer's fixture (10 ms alone, 100 µs client and 50 µs server
    /// CPU per request, 2 cores) with a server of 4 threads, so that the
    /// machine's CPUs, not the server, bound it.
    fn calibration() -> Calibration {
        Calibration {
            server_threads: 4,
            ..super::answer::tests::cal()
        }
    }

    /// An outsider's `advise` (a 5 ms and a 50 ms call, C = 64) planned 9
    /// minutes: pools of 2 were measured at 2C = 128 with 5 s cells. A
    /// model predicted to queue over 4x the best and over a fifth of a
    /// cell is left out, with its numbers; the best always runs.
    #[test]
    fn models_that_would_queue_for_seconds_are_left_out() {
        let pred = |engine: &str, x: f64, in_flight: usize| Prediction {
            model: Model::BlockingThreads,
            engine: engine.into(),
            ceilings: vec![],
            limit: (crate::report::bounds::Bound::Waiting, x),
            in_flight,
        };
        let engines: Vec<&'static dyn Engine> = ["threads", "uring", "rayon"]
            .iter()
            .map(|n| crate::engine::by_name(n).unwrap())
            .collect();
        // 128 in flight at 55 ms: 2327/s; a pool of 2: 36/s (3.5 s queued).
        let preds = [
            pred("threads", 2327.0, 128),
            pred("uring", 2327.0, 128),
            pred("rayon", 36.0, 2),
        ];
        let (run, out) = leave_out(&engines, &preds, 128, Duration::from_secs(1));
        let names: Vec<&str> = run.iter().map(|e| e.name()).collect();
        assert_eq!(names, ["threads", "uring"]);
        assert_eq!(out.len(), 1);
        assert!(out[0].1.starts_with("left out: with 2 in flight it is predicted at 36 req/s, so at C=128 a request would take ~3.56s (C / that rate, Little's law)"), "{}", out[0].1);
        // Every model slow alike (500 ms calls): none is left out.
        let slow = [
            pred("threads", 256.0, 128),
            pred("uring", 250.0, 128),
            pred("rayon", 200.0, 2),
        ];
        assert_eq!(
            leave_out(&engines, &slow, 128, Duration::from_secs(1))
                .0
                .len(),
            3
        );
    }

    /// Cells are lengthened to hold two requests of 2C's predicted time
    /// after a warm-up of one, as far as advise's budget allows: with 3
    /// repetitions the fixture's cells fit (at 8192 in flight and 150 µs of
    /// CPU a request, the event loop's one core makes ~0.8 s a request: 1.7 s
    /// after 900 ms);
    /// with 10 they do not, and stay at `--duration`, saying so; asking for
    /// the length they need gets it whole.
    #[test]
    fn cells_are_lengthened_within_the_budget() {
        let cal = calibration();
        let models = [
            (Model::BlockingThreads, "threads".to_string(), 2),
            (Model::EventLoop, "uring".to_string(), 2),
        ];
        let engines: Vec<&'static dyn Engine> = ["threads", "uring"]
            .iter()
            .map(|n| crate::engine::by_name(n).unwrap())
            .collect();
        let cs = sweep(4096);
        let asked = Duration::from_secs(1);
        let fits = cell_length(&cal, &models, &cs, &engines, asked, 3);
        assert_eq!(
            (fits.duration, fits.warmup),
            (Duration::from_millis(1700), Duration::from_millis(900)),
            "{fits:?}"
        );
        let lengthened = fits.lengthened.unwrap();
        assert!(lengthened.contains("was raised"), "{lengthened}");
        assert!(!lengthened.contains("held them"), "{lengthened}");
        let held = cell_length(&cal, &models, &cs, &engines, asked, 10);
        assert_eq!((held.duration, held.warmup), (asked, WARMUP), "{held:?}");
        let said = held.lengthened.unwrap();
        assert!(
            said.contains("advise held them to its limits (3s a cell, about 80s of measurement in all), so at C=8192")
                && said.contains(
                    "a window held fewer than two requests' time and the warm-up less than one"
                )
                && said.contains("--duration 1700ms measures them whole"),
            "{said}"
        );
        // Asking for that, the cells get it whole, warm-up included,
        // beyond the budget, and nothing is said to be short.
        let whole = cell_length(
            &cal,
            &models,
            &cs,
            &engines,
            Duration::from_millis(1700),
            10,
        );
        assert_eq!(
            (whole.duration, whole.warmup),
            (Duration::from_millis(1700), Duration::from_millis(900)),
            "{whole:?}"
        );
        assert!(!whole.lengthened.unwrap().contains("held them"));
        // A --duration longer than needed is kept, never shortened.
        let long = cell_length(&cal, &models, &cs, &engines, Duration::from_secs(3), 10);
        assert_eq!(
            (long.duration, long.warmup),
            (Duration::from_secs(3), Duration::from_millis(900))
        );
        assert!(!long.lengthened.unwrap().contains("held them"));
        // Short requests: nothing to lengthen, nothing said.
        let quick = cell_length(&cal, &models, &sweep(16), &engines, asked, 3);
        assert_eq!((quick.duration, quick.warmup), (asked, WARMUP));
        assert!(quick.lengthened.is_none());
    }

    /// `--cores 8` on a 2-core machine: the CPU ceilings are predicted for
    /// 8 cores (8 / 150 µs = 53.3k/s for threads sharing the machine with
    /// the server), said to be a prediction only; the loop's one core does
    /// not grow; this machine's count gives nothing extra.
    #[test]
    fn other_cores_are_predicted_and_said_to_be_unmeasured() {
        let cal = calibration();
        let models = [
            (Model::BlockingThreads, "threads".to_string(), 2),
            (Model::EventLoop, "uring".to_string(), 2),
        ];
        let v = other_cores(Some(8), &cal, &models, 100_000);
        assert!(
            v[0].starts_with("On your 8 cores (--cores 8), predicted only: this machine has 2"),
            "{v:?}"
        );
        assert!(v[1].contains("8 CPUs"), "{v:?}");
        let threads = v.iter().find(|l| l.contains("threads  ")).unwrap();
        assert!(threads.contains("53.3k req/s"), "{threads}");
        let uring = v.iter().find(|l| l.contains(" uring ")).unwrap();
        assert!(uring.contains("10.0k req/s"), "{uring}");
        assert!(other_cores(Some(2), &cal, &models, 100).is_empty());
        assert!(other_cores(None, &cal, &models, 100).is_empty());
    }
}
