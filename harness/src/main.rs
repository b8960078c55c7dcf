//! The `iobound` binary: parses flags, wires the parts, maps errors to exit
//! codes (0 success, 1 the run failed, 2 bad input).

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use iobound::cli::{Cli, Command};
use iobound::config::{ConfigError, FileConfig, LessonPick, RunConfig};
use iobound::result::Status;
use iobound::{fio, interrupt, lesson, list, run, ui};

fn main() -> ExitCode {
    let cli = Cli::parse();
    interrupt::install();
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("iobound: error: {e:#}");
            if e.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn dispatch(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::List => {
            print!("{}", list::render());
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            let cfg = RunConfig::from_args(&args)?;
            let mut term = ui::Terminal::new(cfg.quiet, cfg.json);
            let out = run::run(&cfg, &mut term)?;
            for n in iobound::output::human::cache_notes(&out.cells) {
                eprintln!("{n}");
            }
            for c in out.cells.iter().filter(|c| c.status == Status::Skipped) {
                eprintln!(
                    "note: {} skipped: {}",
                    c.key.stem(),
                    c.reason.as_deref().unwrap_or("")
                );
            }
            eprintln!("results: {}", out.dir.display());
            if interrupt::requested() {
                let done = out.cells.iter().filter(|c| c.status == Status::Ok).count();
                eprintln!("interrupted: {done} of {} cells completed", out.planned);
                return Ok(ExitCode::from(130));
            }
            let failed = out.cells.iter().all(|c| c.status != Status::Ok);
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
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
            let file = FileConfig::from_args(&args.file)?;
            let pairs = fio::select_pairs(args.pairs.as_deref())?;
            fio::run(&file, &pairs, args.repeat, &args.fio).context("fio comparison")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
