//! Chapter 4, when async pays off: real cells of `iobound run` (blocking
//! threads against the event loop, on waits and on files), on the data file
//! it prepares under `--data-dir`.

use std::time::Duration;

use iobound_workloads::dataset::Prepared;
use iobound_workloads::{Model, WorkloadParams};

use super::super::{Kind, LessonError, Settings, Transcript};
use super::Figures;
use crate::engine;
use crate::load::{Bound, Plan};
use crate::result::Status;
use crate::ring::UringSupport;
use crate::run::{self, CellOptions};

/// Chapter 4's file-randread parameters: a 256 MiB data file.
fn io_params() -> WorkloadParams {
    WorkloadParams {
        file_size: 256 << 20,
        ..Default::default()
    }
}

/// The data files chapter 4 reads (path, size), under `--data-dir`.
pub fn data_files(s: &Settings) -> Vec<(std::path::PathBuf, u64)> {
    iobound_workloads::build("file-randread", &io_params())
        .map(|w| {
            w.files()
                .iter()
                .map(|f| (iobound_workloads::dataset::path_for(&s.data_dir, f), f.size))
                .collect()
        })
        .unwrap_or_default()
}

/// Says, in the transcript, which data file chapter 4 prepares and how
/// big it is before creating it, and whether it was created or reused, as
/// `iobound run` does.
struct Preparing<'a>(&'a Transcript, crate::lang::Lang);

impl run::Observer for Preparing<'_> {
    fn preparing(&mut self, path: &std::path::Path, size: u64) {
        self.0.say(
            Kind::Explain,
            format!(
                "{} {} ({}){}",
                self.1.pick("preparing", "préparation de"),
                path.display(),
                crate::output::human::bytes(size as f64),
                self.1.pick(
                    ", kept for later runs (`iobound clean` removes it)...",
                    ", gardé pour les prochaines fois (`iobound clean` le supprime)..."
                )
            ),
        );
    }

    fn prepared(&mut self, path: &std::path::Path, how: Prepared, took: Duration) {
        let what = match how {
            Prepared::Reused => self.1.pick("reused", "réutilisé :"),
            Prepared::Created => self.1.pick("created", "créé :"),
        };
        self.0.say(
            Kind::Explain,
            format!("{what} {} ({:.1} s)", path.display(), took.as_secs_f64()),
        );
    }
}

/// One measured cell of chapter 4.
fn measure(
    workload: &str,
    engine: &'static dyn engine::Engine,
    params: &WorkloadParams,
    s: &Settings,
    direct: bool,
) -> Result<f64, LessonError> {
    let mut done = Vec::new();
    let ready = run::prepare(workload, params, &s.data_dir, &mut done, &mut run::Silent)
        .map_err(|e| LessonError::Measure(e.to_string()))?;
    let plan = Plan {
        concurrency: 32,
        warmup: s.delay(0.2).max(Duration::from_millis(20)),
        bound: Bound::Duration(s.delay(1.0).max(Duration::from_millis(100))),
        rate: None,
    };
    let opts = CellOptions::new(direct, engine::Settings::default());
    let cell = run::run_cell(
        &ready,
        engine,
        plan,
        &opts,
        &UringSupport::detect(),
        &mut run::Silent,
    );
    match (cell.status, cell.summary) {
        // A ratio of two measurements is printed: neither may be 0.
        (Status::Ok, Some(sum)) if sum.throughput_rps > 0.0 => Ok(sum.throughput_rps),
        (Status::Ok, Some(_)) => Err(LessonError::Measure(format!(
            "{workload} on {}: no request completed",
            engine.name()
        ))),
        _ => Err(LessonError::Measure(format!(
            "{workload} on {}: {}",
            engine.name(),
            cell.reason.unwrap_or_default()
        ))),
    }
}

pub(super) fn chapter4(s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
    let l = s.lang;
    out.say(
        Kind::Explain,
        l.pick(
            "An event loop helps while requests wait: one thread keeps many waits in flight. \
             It cannot make computing faster: one loop thread uses one core, and while it \
             computes, nothing else moves. For CPU work, a pool of threads (one per core, the \
             Rust counterpart of Python's multiprocessing) is the tool.",
            "Une boucle d'événements aide tant que les requêtes attendent : un seul thread garde \
             beaucoup d'attentes en cours. Elle n'accélère pas le calcul : le thread de la \
             boucle n'occupe qu'un cœur, et pendant qu'il calcule, rien d'autre n'avance. Pour \
             le calcul, un pool de threads (un par cœur, l'équivalent Rust du multiprocessing \
             de Python) est le bon outil.",
        ),
    );
    out.say(
        Kind::Explain,
        l.pick(
            "Measured now, 32 requests in flight, about 1 s per run:",
            "Mesuré maintenant, 32 requêtes en cours, environ 1 s par mesure :",
        ),
    );
    run::ensure_writable_dir(&s.data_dir).map_err(|e| {
        LessonError::Measure(format!("data directory {}: {e}", s.data_dir.display()))
    })?;
    let io_params = io_params();
    // O_DIRECT makes every read wait on the device; a filesystem without it
    // (tmpfs) only has the page cache, where reads barely wait at all.
    let direct = {
        let mut done = Vec::new();
        let ready = run::prepare(
            "file-randread",
            &io_params,
            &s.data_dir,
            &mut done,
            &mut Preparing(out, l),
        )
        .map_err(|e| LessonError::Measure(e.to_string()))?;
        crate::exec::FileSet::open(&ready.files, true).is_ok()
    };
    // The models the lesson compares, each by the engine that stands for
    // it here (the io_uring loop, or tokio's where io_uring is off).
    let uring_ok = UringSupport::detect().available;
    let (Some(lp), Some(pool)) = (
        engine::representative(Model::EventLoop, uring_ok),
        engine::representative(Model::Pool, uring_ok),
    ) else {
        return Err(LessonError::Measure(
            "no event-loop or pool engine can run here".into(),
        ));
    };
    let (lname, pname) = (lp.name(), pool.name());
    let io_uring = measure("file-randread", lp, &io_params, s, direct)?;
    let io_rayon = measure("file-randread", pool, &io_params, s, direct)?;
    let cpu_params = WorkloadParams::default();
    let cpu_uring = measure("cpu-hash", lp, &cpu_params, s, false)?;
    let cpu_rayon = measure("cpu-hash", pool, &cpu_params, s, false)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rate = |x: f64| crate::output::human::rate(x);
    out.say(
        Kind::Measure,
        format!(
            "file-randread ({}): {lname} {} req/s, {pname} {} req/s -> {lname} x{:.2}",
            if direct {
                l.pick("4 KiB, O_DIRECT", "4 Kio, O_DIRECT")
            } else {
                l.pick("4 KiB, page cache", "4 Kio, cache de pages")
            },
            rate(io_uring),
            rate(io_rayon),
            io_uring / io_rayon
        ),
    );
    out.say(
        Kind::Measure,
        format!(
            "cpu-hash (SHA-256, 256 KiB): {lname} {} req/s, {pname} ({cores} {}) {} req/s -> {pname} x{:.2}",
            rate(cpu_uring),
            l.pick("threads", "threads"),
            rate(cpu_rayon),
            cpu_rayon / cpu_uring
        ),
    );
    out.say(
        Kind::Explain,
        verdict(l, io_uring / io_rayon, lname, l.pick("I/O-bound", "I/O")),
    );
    out.say(
        Kind::Explain,
        verdict(l, cpu_rayon / cpu_uring, pname, l.pick("CPU-bound", "CPU")),
    );
    let mut f = Figures::default();
    f.put("io_uring_rps", io_uring);
    f.put("io_rayon_rps", io_rayon);
    f.put("cpu_uring_rps", cpu_uring);
    f.put("cpu_rayon_rps", cpu_rayon);
    Ok(f)
}

/// Chapter 4's verdict on one ratio: the winner the lesson predicts wins
/// (by 10 % or more), no clear winner, or the prediction did not hold.
fn verdict(l: crate::lang::Lang, ratio: f64, winner: &str, kind: &str) -> String {
    if ratio >= 1.10 {
        format!(
            "{kind}: {winner} {} ({ratio:.2}x).",
            l.pick(
                "wins, as the lesson predicts",
                "gagne, comme la leçon le prédit"
            )
        )
    } else if ratio > 1.0 / 1.10 {
        format!(
            "{kind}: {} ({ratio:.2}x).",
            l.pick(
                "no clear winner on this machine",
                "pas de gagnant net sur cette machine"
            )
        )
    } else {
        format!(
            "{kind}: {} ({ratio:.2}x).",
            l.pick(
                "the lesson's prediction did not hold here",
                "la prédiction de la leçon ne tient pas ici"
            )
        )
    }
}
