//! The `iobound` binary: parses flags, wires the parts, maps errors to exit
//! codes (0 success, 1 the run failed, 2 bad input).

use std::process::ExitCode;

use anyhow::Context;

use iobound::cli::Command;
use iobound::config::{ConfigError, FileConfig, LessonPick, RunConfig};
use iobound::result::Status;
use iobound::{fio, interrupt, lesson, list, report, run, suite, ui};

fn main() -> ExitCode {
    if let Some(code) = iobound::engine::child_entry() {
        return code;
    }
    let (cli, settings) = match iobound::config::parse_args(std::env::args_os()) {
        Ok(parsed) => parsed,
        // --help and --version print in full; mistakes get one line.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            eprintln!("iobound: error: {}", iobound::config::clap_one_line(&e));
            return ExitCode::from(2);
        }
    };
    interrupt::install();
    run::raise_open_file_limit();
    match dispatch(cli.command, settings) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("iobound: error: {}", one_line(&e));
            if e.downcast_ref::<ConfigError>().is_some()
                || e.downcast_ref::<suite::SuiteError>().is_some()
            {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// The error and its causes on one line, each cause once: typed errors
/// often quote their source already, and repeating it reads as two faults.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line.replace('\n', " ")
}

/// Notes after a run, and its exit code.
fn finish(out: &run::RunOutput) -> ExitCode {
    for n in iobound::output::human::cache_notes(&out.cells) {
        eprintln!("{n}");
    }
    for c in out.cells.iter().filter(|c| c.status == Status::Skipped) {
        eprintln!(
            "note: {} skipped: {}",
            c.stem(),
            c.reason.as_deref().unwrap_or("")
        );
    }
    eprintln!("results: {}", out.dir.display());
    eprintln!("report: {}", out.dir.join("report.html").display());
    if interrupt::requested() {
        let done = out.cells.iter().filter(|c| c.status == Status::Ok).count();
        eprintln!("interrupted: {done} of {} cells completed", out.planned);
        return ExitCode::from(130);
    }
    if out.cells.iter().all(|c| c.status != Status::Ok) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn dispatch(cmd: Command, settings: iobound::engine::Settings) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::List(args) => {
            print!(
                "{}",
                if args.json {
                    list::render_json()
                } else {
                    list::render()
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            let cfg = RunConfig::from_args(&args, settings)?;
            let mut term = ui::Terminal::new(cfg.quiet, cfg.json);
            let out = run::run(cfg, &mut term)?;
            Ok(finish(&out))
        }
        Command::Bench(args) => {
            let (name, text) = suite::source(&args.suite)?;
            let suite = suite::parse(&name, &text, &args)?;
            let mut term = ui::Terminal::new(args.quiet, false);
            let out = run::run_suite(&suite, &mut term)?;
            Ok(finish(&out))
        }
        Command::Report(args) => {
            let run = report::load::load_dir(&args.dir)?;
            report::write_reports(&args.dir, &run, args.lang.unwrap_or(run.lang))
                .map_err(|(p, e)| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
            let r = report::model::build(&run);
            for m in &r.missing {
                eprintln!("note: {} is missing: {}", m.stem, m.reason);
            }
            eprintln!(
                "wrote {} (summary.csv, report.md, report.html): {} cells, {} missing",
                args.dir.display(),
                run.cells.len(),
                r.missing.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare(args) => {
            let before = report::model::build(&report::load::load_dir(&args.before)?);
            let after = report::model::build(&report::load::load_dir(&args.after)?);
            let text = report::compare::render(&before, &after);
            print!("{text}");
            let name = format!(
                "compare-vs-{}.md",
                if before.info.run_id.is_empty() {
                    "before"
                } else {
                    &before.info.run_id
                }
            );
            let path = args.after.join(name);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => {
            let cfg = iobound::config::serve_config(&args)?;
            iobound::serve::serve(&cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lesson(args) => {
            let (pick, settings) = iobound::config::lesson_config(&args)?;
            let out = lesson::Transcript::new(true);
            match pick {
                LessonPick::List => {
                    println!(
                        "Chapters (run one with `iobound lesson N`, or `iobound lesson all`):"
                    );
                    for n in 1..=lesson::chapters::COUNT {
                        println!("  {n}. {}", lesson::chapters::title(n, &settings));
                    }
                }
                LessonPick::One(n) => {
                    lesson::chapters::run(n, &settings, &out)?;
                }
                LessonPick::All => {
                    lesson::chapters::run_all(&settings, &out)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Fio(args) => {
            let file = FileConfig::new(
                &args.params,
                &args.data,
                &args.length,
                settings,
                std::time::Duration::ZERO,
            )?;
            let pairs = fio::select_pairs(args.pairs.as_deref())?;
            fio::run(&file, &pairs, args.repeat, &args.fio).context("fio comparison")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
