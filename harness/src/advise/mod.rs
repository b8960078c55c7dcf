//! `iobound advise`: answers "which concurrency model for *my* requests at
//! *my* concurrency?" — predicts each model's ceiling from a few
//! calibration cells ([`model`]), measures each model at and around the
//! concurrency (ordinary run directories), and answers in a few lines
//! ([`answer`]), written to `advice.md` and `advice.html` as well.

pub mod answer;
pub mod model;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use iobound_workloads::{Model, Script};

use self::answer::{Measured, Question, Rep};
use self::model::{predict, Calibration, Prediction};
use crate::cli::AdviseArgs;
use crate::config::ConfigError;
use crate::engine::{self, Engine, Language};
use crate::output::human::{cpu_us, duration_ns, rate};
use crate::result::{CellResult, Status};
use crate::run::{self, Observer, RunError, Suite};

/// The models advise compares, in the order it lists them: each by the
/// first Rust engine of that model that can run here.
const MODELS: [Model; 6] = Model::ALL;

/// Warm-up of every cell, unless the load needs longer.
const WARMUP: Duration = Duration::from_millis(250);
/// Longest a measuring cell is made to run to fit its requests.
const MAX_CELL: Duration = Duration::from_secs(5);

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

/// The request asked about, as workload-file text, checked.
fn request(a: &AdviseArgs) -> Result<(String, Script), AdviseError> {
    if let Some(path) = &a.workload {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AdviseError::Input(format!(
                "--workload {}: cannot read it: {e}",
                path.display()
            ))
        })?;
        let script = Script::parse(&path.display().to_string(), &text)?;
        return Ok((text, script));
    }
    if a.calls.is_none() && a.compute.is_none() && a.read.is_none() {
        return Err(AdviseError::Input(
            "say what a request does: --workload FILE.toml, or --calls NxDURATION (e.g. 3x5ms), \
             --compute SIZE, --read SIZE"
                .into(),
        ));
    }
    let mut text = String::from(
        "# Written by `iobound advise` from its flags: the same request as a workload file.\n\
         name = \"advised\"\n",
    );
    let mut steps = String::new();
    if let Some(calls) = &a.calls {
        let bad = || {
            AdviseError::Input(format!(
                "--calls {calls}: expected COUNTxDURATION, e.g. 3x5ms (1 to 8 calls, a duration with its unit)"
            ))
        };
        let (n, d) = calls.split_once(['x', 'X']).ok_or_else(bad)?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        if !(1..=8).contains(&n) || !d.trim().ends_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(bad());
        }
        iobound_workloads::units::parse_duration(d.trim()).map_err(|_| bad())?;
        let _ = writeln!(text, "db_latency = \"{}\"", d.trim());
        let _ = write!(steps, "\n[[step]]\ndb = \"get\"\nrepeat = {n}\n");
    }
    if let Some(size) = &a.compute {
        let _ = write!(
            steps,
            "\n[[step]]\ncompute = \"sha256\"\nsize = \"{}\"\n",
            size.trim()
        );
    }
    if let Some(size) = &a.read {
        let _ = write!(
            steps,
            "\n[[step]]\nread = \"random\"\nsize = \"{}\"\n",
            size.trim()
        );
    }
    text.push_str(&steps);
    let script = Script::parse("(advise's flags)", &text)?;
    Ok((text, script))
}

/// The engine standing for each model here: the first Rust engine of it
/// that can run on this machine.
fn representatives() -> Vec<&'static dyn Engine> {
    let uring = crate::ring::UringSupport::detect().available;
    MODELS
        .iter()
        .filter_map(|m| {
            engine::all().iter().copied().find(|e| {
                e.model() == *m
                    && e.language() == Language::Rust
                    && (uring || !e.caps().needs_io_uring)
            })
        })
        .collect()
}

/// The concurrencies measured: the user's, half and twice it.
fn sweep(c: usize) -> Vec<usize> {
    let mut v = vec![
        (c / 2).max(1),
        c,
        (c * 2).min(crate::config::MAX_CONCURRENCY),
    ];
    v.dedup();
    v
}

/// One `iobound run` matrix, through the same checks as the command's.
fn matrix(argv: &[String]) -> Result<crate::config::RunConfig, AdviseError> {
    let (cli, settings) = crate::config::parse_args(argv)
        .map_err(|e| AdviseError::Input(crate::config::clap_one_line(&e)))?;
    let crate::cli::Command::Run(args) = cli.command else {
        unreachable!("argv starts with run");
    };
    Ok(crate::config::RunConfig::from_args(&args, settings)?)
}

/// Runs one matrix.
fn run_matrix(argv: &[String], obs: &mut dyn Observer) -> Result<run::RunOutput, AdviseError> {
    Ok(run::run_suite(&Suite::single(matrix(argv)?), obs)?)
}

/// Stopped by Ctrl-C or SIGTERM: an error when nothing can be answered.
fn stopped() -> Result<(), AdviseError> {
    if crate::interrupt::requested() {
        return Err(RunError::Interrupted(crate::interrupt::cause()).into());
    }
    Ok(())
}

/// What the calibration cells measured.
fn calibration(
    out: &run::RunOutput,
    engine: &str,
    loaded_c: usize,
    server_threads: u64,
) -> Result<Calibration, AdviseError> {
    let ok = |c: usize| {
        out.cells
            .iter()
            .filter(move |x| x.key.concurrency == c && x.status == Status::Ok)
            .filter_map(|x| x.summary.as_ref())
            .filter(|s| s.requests > 0)
    };
    let x1: Vec<f64> = ok(1).map(|s| s.throughput_rps).collect();
    let client: Vec<f64> = ok(loaded_c).map(|s| s.cpu.per_request_ns / 1e9).collect();
    let server: Vec<f64> = ok(loaded_c)
        .map(|s| s.server.as_ref().map_or(0.0, |v| v.per_request_ns / 1e9))
        .collect();
    if x1.is_empty() || client.is_empty() {
        let why = out
            .cells
            .iter()
            .find_map(|c| c.reason.clone())
            .unwrap_or_else(|| "no request completed".into());
        return Err(AdviseError::Measure(format!(
            "the calibration cells did not measure: {why}"
        )));
    }
    Ok(Calibration {
        engine: engine.to_string(),
        x1,
        loaded_c,
        client_cpu_s: client,
        server_cpu_s: server,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        server_threads,
    })
}

/// Each engine's cells at concurrency `c`.
fn measured_at(cells: &[CellResult], engines: &[&'static dyn Engine], c: usize) -> Vec<Measured> {
    engines
        .iter()
        .map(|e| {
            let mine: Vec<&CellResult> = cells
                .iter()
                .filter(|x| x.key.mode == e.name() && x.key.concurrency == c)
                .collect();
            let reps = mine
                .iter()
                .filter(|x| x.status == Status::Ok)
                .filter_map(|x| {
                    x.summary.as_ref().map(|s| Rep {
                        rep: x.rep.unwrap_or(1),
                        throughput: s.throughput_rps,
                        p99_ns: s.latency.p99_ns as f64,
                    })
                })
                .collect();
            let ok = || {
                mine.iter()
                    .filter(|x| x.status == Status::Ok)
                    .filter_map(|x| x.summary.as_ref())
            };
            let median = |v: Vec<f64>| crate::report::model::Stat::of(&v).median;
            let cpu = median(
                ok().map(|s| {
                    (s.cpu.per_request_ns + s.server.as_ref().map_or(0.0, |v| v.per_request_ns))
                        / 1e9
                })
                .collect(),
            );
            let client = median(ok().map(|s| s.cpu.per_request_ns / 1e9).collect());
            let not_ok: Vec<&&CellResult> = mine
                .iter()
                .filter(|x| matches!(x.status, Status::Failed | Status::Interrupted))
                .collect();
            Measured {
                model: e.model(),
                engine: e.name().to_string(),
                concurrency: c,
                reps,
                skipped: mine
                    .iter()
                    .filter(|x| x.status == Status::Skipped)
                    .find_map(|x| x.reason.clone()),
                cpu_s: cpu,
                client_cpu_s: client,
                incomplete: not_ok.first().map(|x| {
                    format!(
                        "{} of {}: {}",
                        not_ok.len(),
                        mine.len(),
                        x.reason.clone().unwrap_or_else(|| x.status.as_str().into())
                    )
                }),
            }
        })
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
}

/// Runs `iobound advise`.
pub fn advise(a: &AdviseArgs, obs: &mut dyn Observer) -> Result<Advice, AdviseError> {
    let (text, script) = request(a)?;
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
    let engines = representatives();
    let Some(calibrator) = engines.first().copied() else {
        return Err(AdviseError::Measure("no engine can run here".into()));
    };
    let dir = advice_dir(&a.out);
    // Remembered so that a refused flag leaves no directory behind.
    let out_existed = a.out.exists();
    let write = |path: PathBuf, bytes: &[u8]| {
        std::fs::write(&path, bytes).map_err(|source| AdviseError::Write { path, source })
    };
    std::fs::create_dir_all(&dir).map_err(|source| AdviseError::Write {
        path: dir.clone(),
        source,
    })?;
    let file = dir.join("workload.toml");
    write(file.clone(), text.as_bytes())?;
    let common = |out: &str, duration: Duration, warmup: Duration| -> Vec<String> {
        let mut v: Vec<String> = [
            "iobound",
            "run",
            "--workload",
            &file.display().to_string(),
            "--duration",
            &iobound_workloads::units::format_duration(duration),
            "--warmup",
            &iobound_workloads::units::format_duration(warmup),
            "--repeat",
            &a.repeat.to_string(),
            "--max-threads",
            &a.max_threads.to_string(),
            "--out",
            &dir.join(out).display().to_string(),
            "--quiet",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(d) = &a.data_dir {
            v.extend(["--data-dir".into(), d.display().to_string()]);
        }
        v
    };
    // 1. Calibrate: alone (C = 1), and loaded enough that the CPU per
    // request is what it costs under load.
    let loaded_c = c.clamp(1, 16);
    let mut cal_argv = common("calibration", a.duration, WARMUP);
    cal_argv.extend([
        "--mode".into(),
        calibrator.name().into(),
        "--concurrency".into(),
        format!("1,{loaded_c}"),
    ]);
    let cs = sweep(c);
    let measure_argv = |engines: &[&'static dyn Engine], duration: Duration, warmup: Duration| {
        let mut v = common("measurement", duration, warmup);
        v.extend([
            "--mode".into(),
            engines
                .iter()
                .map(|e| e.name())
                .collect::<Vec<_>>()
                .join(","),
            "--concurrency".into(),
            cs.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(","),
        ]);
        v
    };
    // Both matrices checked before anything runs: a flag they refuse is
    // the user's mistake, and leaves nothing behind.
    if let Err(e) =
        matrix(&cal_argv).and_then(|_| matrix(&measure_argv(&engines, a.duration, WARMUP)))
    {
        let _ = std::fs::remove_dir_all(&dir);
        if !out_existed {
            // Only when empty: never what else the user keeps there.
            let _ = std::fs::remove_dir(&a.out);
        }
        return Err(e);
    }
    eprintln!(
        "advise: calibrating on {} at C=1 and C={loaded_c}...",
        calibrator.name()
    );
    let cal_out = run_matrix(&cal_argv, obs)?;
    stopped()?;
    let cal = calibration(&cal_out, calibrator.name(), loaded_c, 1)?;
    let models: Vec<(Model, String, usize)> = engines
        .iter()
        .map(|e| (e.model(), e.name().to_string(), cal.cores))
        .collect();
    let preds = predict(&cal, &models, c);
    let predicted = prediction_lines(&cal, &preds, c);
    for l in &predicted {
        println!("{l}");
    }
    // 2. Measure each model at and around C.
    // A model whose predicted ceiling would leave C requests queued for
    // many seconds (a pool of a few workers under thousands of waits) is
    // not measured: each cell would end only once its queue drained, and
    // the prediction already rules it out.
    let limit = a.duration.as_secs_f64().max(1.0) * 2.0;
    let queued = |p: &Prediction| c as f64 / p.limit.1;
    let (run_engines, left_out): (Vec<_>, Vec<_>) = engines
        .iter()
        .copied()
        .zip(&preds)
        .partition(|(_, p)| queued(p) <= limit);
    let run_engines: Vec<&'static dyn Engine> = run_engines.into_iter().map(|(e, _)| e).collect();
    let left_out: Vec<(&'static str, String)> = left_out
        .into_iter()
        .map(|(e, p)| {
            (
                e.name(),
                format!(
                    "left out: with {} in flight it is predicted at {} req/s, so C={c} requests \
                     would each queue ~{:.0} s",
                    p.in_flight,
                    rate(p.limit.1),
                    queued(p)
                ),
            )
        })
        .collect();
    // A cell must hold many requests of the time one takes at its load
    // (Little's law: C / throughput), or its window catches the warm-up's
    // backlog draining: the cells are lengthened to fit, and say so.
    let slowest = cs
        .iter()
        .flat_map(|&x| {
            predict(&cal, &models, x)
                .into_iter()
                .filter(|p| run_engines.iter().any(|e| e.name() == p.engine))
                .map(move |p| x as f64 / p.limit.1)
        })
        .fold(0.0f64, f64::max);
    // Whole tenths of a second, as a user would type them.
    let tenths = |secs: f64| {
        Duration::from_millis((secs.min(MAX_CELL.as_secs_f64()) * 10.0).ceil() as u64 * 100)
    };
    let duration = a.duration.max(tenths(5.0 * slowest));
    let warmup = WARMUP.max(tenths(2.0 * slowest));
    let lengthened = (duration > a.duration).then(|| {
        format!(
            "Cells ran {} after {} of warm-up (--duration {} was raised: at 2C a request is \
             predicted to take ~{}, and a cell measures at least five of them).",
            iobound_workloads::units::format_duration(duration),
            iobound_workloads::units::format_duration(warmup),
            iobound_workloads::units::format_duration(a.duration),
            duration_ns(slowest * 1e9)
        )
    });
    let argv = measure_argv(&run_engines, duration, warmup);
    eprintln!(
        "advise: measuring {} models at C={} ({} repetitions)...",
        run_engines.len(),
        cs.iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        a.repeat
    );
    let out = run_matrix(&argv, obs)?;
    let measured_at = |c: usize| {
        let mut v = measured_at(&out.cells, &engines, c);
        for m in &mut v {
            if let Some((_, why)) = left_out.iter().find(|(e, _)| *e == m.engine) {
                m.skipped = Some(why.clone());
            }
        }
        v
    };
    let at_c = measured_at(c);
    let mut lines = answer::answer(&Question {
        concurrency: c,
        slo: a.slo,
        max_threads: a.max_threads,
        calibration: &cal,
        predictions: &preds,
        measured: &at_c,
    });
    lines.extend(lengthened);
    if crate::interrupt::requested() {
        lines.insert(
            0,
            "Interrupted: this answer covers only the cells that ran before the stop; models \
             with incomplete repetitions are left out of it."
                .into(),
        );
    }
    let sweep_rows: Vec<(usize, Vec<Measured>, Vec<Prediction>)> = cs
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
    write(dir.join("advice.md"), markdown(&doc).as_bytes())?;
    write(dir.join("advice.html"), html(&doc).as_bytes())?;
    Ok(Advice { dir, lines })
}

/// The predictions, as printed before measuring.
fn prediction_lines(cal: &Calibration, preds: &[Prediction], c: usize) -> Vec<String> {
    let mut v = vec![format!(
        "Predicted at C={c} (closed loop; calibrated on {}: {} req/s at C=1, {} µs client + {} µs \
         server CPU per request at C={}, {} CPUs):",
        cal.engine,
        rate(cal.x1()),
        cpu_us(cal.client_cpu() * 1e9),
        cpu_us(cal.server_cpu() * 1e9),
        cal.loaded_c,
        cal.cores
    )];
    for p in preds {
        v.push(format!(
            "  {:<18} {:<9} {:>6} in flight  {:>8} req/s  limit: {}",
            p.model.label(),
            p.engine,
            p.in_flight,
            rate(p.limit.1),
            p.limit.0.label(crate::lang::Lang::En)
        ));
    }
    v
}

struct Doc<'a> {
    script: &'a Script,
    c: usize,
    slo: Option<Duration>,
    cal: &'a Calibration,
    lines: &'a [String],
    predicted: &'a [String],
    sweep: &'a [(usize, Vec<Measured>, Vec<Prediction>)],
    runs: [&'a PathBuf; 2],
}

fn markdown(d: &Doc<'_>) -> String {
    let mut s = format!(
        "# Advice for `{}` at C={}\n\n{}\n\n",
        d.script.name,
        d.c,
        d.script.summary()
    );
    for l in d.lines {
        let _ = writeln!(s, "- {l}");
    }
    let _ = writeln!(
        s,
        "\n## Predicted against measured\n\nMedians of the repetitions; the prediction is the \
         lowest ceiling of a closed loop ({}).\n",
        d.slo.map_or("no SLO given".into(), |x| format!(
            "SLO: p99 ≤ {}",
            duration_ns(x.as_nanos() as f64)
        ))
    );
    let _ = writeln!(
        s,
        "| C | model | engine | predicted req/s | limit | measured req/s | measured / predicted | p99 | CPU µs/req (client + server) |\n|---:|---|---|---:|---|---:|---:|---:|---:|"
    );
    for (c, ms, ps) in d.sweep {
        for (m, p) in ms.iter().zip(ps) {
            let (x, ratio, p99, cpu) = if m.reps.is_empty() {
                (
                    format!("— ({})", m.skipped.as_deref().unwrap_or("no result")),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                )
            } else {
                (
                    rate(m.throughput()),
                    format!("{:.2}", m.throughput() / p.limit.1),
                    duration_ns(m.p99_ns()),
                    cpu_us(m.cpu_s * 1e9),
                )
            };
            let _ = writeln!(
                s,
                "| {c} | {} | {} | {} | {} | {x} | {ratio} | {p99} | {cpu} |",
                m.model.label(),
                m.engine,
                rate(p.limit.1),
                p.limit.0.label(crate::lang::Lang::En),
            );
        }
    }
    let _ = writeln!(s, "\n## Calibration\n");
    for l in d.predicted {
        let _ = writeln!(s, "    {l}");
    }
    let _ = writeln!(
        s,
        "\nPer repetition: throughput at C=1 {:?} req/s; client CPU per request {:?} µs.\n",
        d.cal.x1.iter().map(|x| x.round()).collect::<Vec<_>>(),
        d.cal
            .client_cpu_s
            .iter()
            .map(|x| (x * 1e7).round() / 10.0)
            .collect::<Vec<_>>()
    );
    let _ = writeln!(
        s,
        "## Run directories\n\n- calibration: `{}`\n- measurement: `{}`\n\n`iobound report DIR` \
         renders either again; `workload.toml` beside this file is the request measured.",
        d.runs[0].display(),
        d.runs[1].display()
    );
    s
}

fn html(d: &Doc<'_>) -> String {
    use crate::report::svg::{colour, esc, line_chart, Axis, Scale, Series};
    let mut series = Vec::new();
    let models: Vec<(Model, String)> = d
        .sweep
        .first()
        .map(|(_, ms, _)| ms.iter().map(|m| (m.model, m.engine.clone())).collect())
        .unwrap_or_default();
    for (i, (model, engine)) in models.iter().enumerate() {
        let pick = |j: usize| d.sweep.iter().map(move |(c, ms, ps)| (*c, &ms[j], &ps[j]));
        series.push(Series {
            name: format!("{} ({engine})", model.label()),
            colour: colour(i),
            points: pick(i)
                .filter(|(_, m, _)| !m.reps.is_empty())
                .map(|(c, m, _)| (c as f64, m.throughput()))
                .collect(),
            ranges: Vec::new(),
            dashed: false,
        });
        series.push(Series {
            name: format!("{} predicted", model.label()),
            colour: colour(i),
            points: pick(i).map(|(c, _, p)| (c as f64, p.limit.1)).collect(),
            ranges: Vec::new(),
            dashed: true,
        });
    }
    let x = Axis {
        label: "concurrency (requests in flight, log)".into(),
        scale: Scale::Log,
        ticks: d
            .sweep
            .iter()
            .map(|(c, _, _)| (*c as f64, c.to_string()))
            .collect(),
        fmt: |v| format!("{v:.0}"),
    };
    let y = Axis {
        label: "requests per second (log)".into(),
        scale: Scale::Log,
        ticks: Vec::new(),
        fmt: rate,
    };
    let chart = line_chart(
        "advice",
        &format!(
            "{}: measured (solid) and predicted ceilings (dashed)",
            d.script.name
        ),
        &x,
        &y,
        &series,
        "predicted ceiling",
    );
    // advice.md's tables as HTML tables; its other lines as paragraphs.
    let md = markdown(d);
    let mut body = String::new();
    let mut in_table = false;
    for line in md.lines().skip_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if line.starts_with('|') {
            if cells
                .iter()
                .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':')))
            {
                continue;
            }
            let tag = if in_table { "td" } else { "th" };
            if !in_table {
                body.push_str("<table>");
                in_table = true;
            }
            body.push_str("<tr>");
            for c in cells {
                let _ = write!(body, "<{tag}>{}</{tag}>", esc(c));
            }
            body.push_str("</tr>");
            continue;
        }
        if in_table {
            body.push_str("</table>");
            in_table = false;
        }
        if let Some(h) = line.strip_prefix("## ") {
            let _ = write!(body, "<h2>{}</h2>", esc(h));
        } else if line.starts_with("    ") {
            let _ = write!(body, "<pre>{}</pre>", esc(line.trim_start()));
        } else if !line.trim().is_empty() {
            let _ = write!(body, "<p>{}</p>", esc(line).replace('`', ""));
        }
    }
    if in_table {
        body.push_str("</table>");
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Advice: {}</title>\
         <style>body{{font-family:sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem}}\
         pre{{white-space:pre-wrap;margin:0}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;\
         padding:2px 6px;text-align:right}}</style></head><body><h1>Advice for {} at C={}</h1><ul>{}</ul>\
         {chart}{body}</body></html>\n",
        esc(&d.script.name),
        esc(&d.script.name),
        d.c,
        d.lines
            .iter()
            .map(|l| format!("<li>{}</li>", esc(l)))
            .collect::<String>(),
    )
}
