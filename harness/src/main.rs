//! The `iobound` binary: parses flags, wires the parts, maps errors to exit
//! codes (0 success, 1 the run failed, 2 bad input, 130 after Ctrl-C and 143
//! after SIGTERM, with what was measured kept).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use iobound::cli::Command;
use iobound::config::{ConfigError, FileConfig, LessonPick, RunConfig};
use iobound::result::Status;
use iobound::{fio, interrupt, lesson, list, peers, report, run, suite, ui};
use iobound_workloads::units::short_duration;

fn main() -> ExitCode {
    if let Some(code) = iobound::engine::child_entry() {
        return code;
    }
    let (cli, settings) = match iobound::config::parse_args(std::env::args_os()) {
        Ok(parsed) => parsed,
        // --help and --version print in full, and so does the help when
        // no subcommand is given (exit 2); mistakes get one line.
        Err(e)
            if !e.use_stderr()
                || e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            e.exit()
        }
        Err(e) => {
            iobound::errln!("iobound: error: {}", iobound::config::clap_one_line(&e));
            return ExitCode::from(2);
        }
    };
    // Commands that measure stop cleanly on Ctrl-C or SIGTERM; the others
    // (a server, the lesson) keep the default: they end at once.
    if matches!(
        cli.command,
        Command::Run(_) | Command::Bench(_) | Command::Fio(_) | Command::Advise(_)
    ) {
        interrupt::install();
    }
    run::raise_open_file_limit();
    match dispatch(cli.command, settings) {
        Ok(code) => code,
        Err(e) => {
            iobound::errln!("iobound: error: {}", one_line(&e));
            if is_bad_input(&e) {
                ExitCode::from(2)
            } else if interrupt::requested() {
                ExitCode::from(interrupt::exit_code())
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// Whether an error is the user's input at fault (exit status 2): a flag,
/// a suite, a directory or a run directory that cannot be used as given.
fn is_bad_input(e: &anyhow::Error) -> bool {
    e.downcast_ref::<ConfigError>().is_some()
        || e.downcast_ref::<suite::SuiteError>().is_some()
        || e.downcast_ref::<report::load::LoadError>().is_some()
        || e.downcast_ref::<report::compare::CompareError>().is_some()
        || e.downcast_ref::<run::Preflight>().is_some()
        || e.downcast_ref::<iobound::advise::AdviseError>()
            .is_some_and(iobound::advise::AdviseError::is_bad_input)
        || e.downcast_ref::<lesson::LessonError>()
            .is_some_and(lesson::LessonError::is_bad_input)
        || e.downcast_ref::<run::RunError>()
            .is_some_and(run::RunError::is_bad_input)
        || matches!(
            e.downcast_ref::<fio::FioError>(),
            Some(fio::FioError::UnknownPair(..))
        )
}

/// Warnings of a checked configuration, before anything runs.
fn warn(prefix: &str, warnings: &[String]) {
    for w in warnings {
        iobound::errln!("warning: {prefix}{w}");
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
        iobound::errln!("{n}");
    }
    for c in out.cells.iter().filter(|c| c.status == Status::Skipped) {
        iobound::errln!(
            "note: {} skipped: {}",
            c.stem(),
            c.reason.as_deref().unwrap_or("")
        );
    }
    iobound::errln!(
        "took {}{}",
        short_duration(out.took),
        out.estimate.map_or(String::new(), |e| format!(
            " (estimated {})",
            short_duration(e)
        ))
    );
    iobound::errln!("results: {}", out.dir.display());
    iobound::errln!("report: {}", out.dir.join("report.html").display());
    if interrupt::requested() {
        let done = out.cells.iter().filter(|c| c.status == Status::Ok).count();
        let cut = out
            .cells
            .iter()
            .filter(|c| c.status == Status::Interrupted && c.summary.is_some())
            .count();
        iobound::errln!(
            "interrupted ({}): {done} of {} cells completed{}",
            interrupt::cause(),
            out.planned,
            if cut > 0 {
                format!(", {cut} kept in part (marked interrupted)")
            } else {
                String::new()
            }
        );
        return ExitCode::from(interrupt::exit_code());
    }
    if out.cells.iter().all(|c| c.status != Status::Ok) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// For the commands that only print (no socket, no server, no child): a
/// closed stdout (`iobound list | head -1`) ends the process quietly by
/// SIGPIPE, as `ls` does, where Rust's default (ignored, then a panic in
/// `println!`) printed a backtrace. Commands that talk to sockets keep it
/// ignored: a peer that hangs up must be an error, not a kill.
fn quiet_on_closed_stdout(cmd: &Command) {
    if matches!(
        cmd,
        Command::List(_) | Command::Report(_) | Command::Compare(_) | Command::Clean(_)
    ) {
        // SAFETY: called once on the main thread before any other thread
        // starts; SIG_DFL is a valid disposition for SIGPIPE.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

fn dispatch(cmd: Command, settings: iobound::engine::Settings) -> anyhow::Result<ExitCode> {
    quiet_on_closed_stdout(&cmd);
    match cmd {
        Command::List(args) => list_files(args),
        Command::Run(args) => {
            let cfg = RunConfig::from_args(&args, settings)?;
            cfg.refuse_unread_params()?;
            warn("", &cfg.warnings);
            let mut term = ui::Terminal::new(cfg.quiet, cfg.json);
            let out = run::run(cfg, &mut term)?;
            // The live line goes before the closing notes.
            drop(term);
            Ok(finish(&out))
        }
        Command::Bench(args) => {
            let (name, text) = suite::source(&args.suite)?;
            let suite = suite::parse(&name, &text, &args)?;
            for (i, g) in suite.groups.iter().enumerate() {
                warn(&format!("suite {name}, group {}: ", i + 1), &g.warnings);
            }
            let mut term = ui::Terminal::new(args.output.quiet, false);
            let out = run::run_suite(&suite, &mut term)?;
            drop(term);
            Ok(finish(&out))
        }
        Command::Report(args) => report_dir(args),
        Command::Compare(args) => compare_runs(args),
        Command::Clean(args) => clean_data(args),
        Command::Serve(args) => {
            let cfg = iobound::config::serve_config(&args)?;
            if cfg.kind == iobound::serve::Kind::Db {
                run::check_data_dir(
                    &cfg.data_dir,
                    &run::db_files(&cfg.data_dir, cfg.records),
                    "use a smaller --records",
                )?;
            }
            iobound::serve::serve(&cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Advise(args) => run_advise(args),
        Command::Lesson(args) => run_lesson(args),
        Command::Fio(args) => {
            let file = FileConfig::new(
                &args.params,
                &args.data,
                &args.length,
                settings,
                std::time::Duration::ZERO,
            )?;
            let pairs = fio::select_pairs(args.pairs.as_deref())?;
            fio::run(
                &file,
                &pairs,
                args.repeat as usize,
                &args.fio,
                args.json.as_deref(),
            )
            .context("fio comparison")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Peers(args) => {
            let file = FileConfig::new(
                &args.params,
                &args.data,
                &args.length,
                settings,
                std::time::Duration::ZERO,
            )?;
            let pairs = fio::select_pairs(args.pairs.as_deref())?;
            peers::run(&peers::config(&args, file, pairs)).context("peers comparison")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `iobound list`: the engines and workloads, and each workload file given, checked.
fn list_files(args: iobound::cli::ListArgs) -> anyhow::Result<ExitCode> {
    // Each file checked before anything is printed: a mistake is
    // one line, exit 2.
    let files = args
        .files
        .iter()
        .map(|p| {
            iobound_workloads::Script::load(p)
                .map(|s| (p.clone(), s))
                .map_err(ConfigError::from)
        })
        .collect::<Result<Vec<_>, _>>()?;
    iobound::out!(
        "{}",
        if args.json {
            list::render_json(&files)
        } else {
            list::render(&files)
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// `iobound report DIR`: the reports rendered again from a run directory.
fn report_dir(args: iobound::cli::ReportArgs) -> anyhow::Result<ExitCode> {
    let run = report::load::load_dir(&args.dir)?;
    let lang = args.lang.unwrap_or(run.lang);
    let in_english = if args.lang.is_none() {
        " (in English; --lang fr for French)"
    } else {
        ""
    };
    if !run.run_json_missing
        && run.run_json_error.is_none()
        && !run.lang_recorded
        && args.lang.is_none()
    {
        iobound::errln!(
                "note: this run.json does not record its report's language (written before schema v2): \
                 rendering in English; add --lang fr for the French take-aways"
            );
    }
    for note in damage_notes(None, &run, in_english) {
        iobound::errln!("{note}");
    }
    // A missing run.json is written again from the cells (an
    // unreadable one is left as found).
    let mut wrote = "summary.csv, report.md, report.html";
    if run.run_json_missing {
        let bytes = report::load::run_json_from_cells(&args.dir, &run, lang)?;
        let path = args.dir.join("run.json");
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        wrote = "run.json, summary.csv, report.md, report.html";
    }
    report::write_reports(&args.dir, &run, lang)
        .map_err(|(p, e)| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
    let missing = report::model::build(&run).missing.len();
    iobound::errln!(
        "wrote {} ({wrote}): {} cells, {missing} missing",
        args.dir.display(),
        run.cells.len(),
    );
    Ok(ExitCode::SUCCESS)
}

/// What a reader must know about a run directory read back: a missing or
/// unreadable run.json (the cells stand in for it) and each cell that is
/// missing or unreadable. `report` and `compare` print the same lines, so a
/// damaged run never looks whole in either; `dir` names the run when two
/// are read.
fn damage_notes(dir: Option<&Path>, run: &report::load::Run, in_english: &str) -> Vec<String> {
    let of = dir.map_or(String::new(), |d| format!("{}: ", d.display()));
    let standin = if dir.is_some() {
        "the run is read from its cell files"
    } else {
        "the report is rebuilt from the cell files"
    };
    let mut notes = Vec::new();
    if run.run_json_missing {
        notes.push(format!(
            "note: {of}run.json is missing: {standin}{in_english}"
        ));
    }
    if let Some(why) = &run.run_json_error {
        notes.push(format!(
            "note: {of}run.json is unreadable ({why}): {standin}{in_english}"
        ));
    }
    // Every missing cell for `report`; for `compare`, the first few (its
    // Markdown names a few more).
    let missing = report::model::build(run).missing;
    let shown = if dir.is_some() { 3 } else { missing.len() };
    for m in missing.iter().take(shown) {
        notes.push(format!("note: {of}{} is missing: {}", m.stem, m.reason));
    }
    if missing.len() > shown {
        notes.push(format!(
            "note: {of}and {} more cells missing",
            missing.len() - shown
        ));
    }
    notes
}

/// `iobound compare BEFORE AFTER`: two runs side by side.
fn compare_runs(args: iobound::cli::CompareArgs) -> anyhow::Result<ExitCode> {
    let before = report::load::load_dir(&args.before)?;
    let after = report::load::load_dir(&args.after)?;
    let same_dir = match (args.before.canonicalize(), args.after.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    report::compare::refuse(
        (&args.before.display().to_string(), &before),
        (&args.after.display().to_string(), &after),
        same_dir,
    )?;
    // After the refusals, which stay one line each.
    for (dir, run) in [(&args.before, &before), (&args.after, &after)] {
        for note in damage_notes(Some(dir), run, "") {
            iobound::errln!("{note}");
        }
    }
    let text = report::compare::render_runs(&before, &after);
    iobound::out!("{text}");
    let name = format!(
        "compare-vs-{}.md",
        if before.run_id.is_empty() {
            "before"
        } else {
            &before.run_id
        }
    );
    let path = args.after.join(name);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    iobound::errln!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// `iobound clean`: the data files removed.
fn clean_data(args: iobound::cli::CleanArgs) -> anyhow::Result<ExitCode> {
    let dir = args.data.dir();
    let (n, bytes) = iobound::clean::clean(&dir, args.dry_run)
        .with_context(|| format!("cannot clean {}", dir.display()))?;
    iobound::errln!(
        "{} {n} data files ({}) in {}",
        if args.dry_run {
            "would remove"
        } else {
            "removed"
        },
        iobound::output::human::bytes(bytes as f64),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `iobound advise`: the answer printed, with where it was written.
fn run_advise(args: iobound::cli::AdviseArgs) -> anyhow::Result<ExitCode> {
    // --quiet: the prediction and the answer only, no cell lines.
    let advice = if args.output.quiet {
        iobound::advise::advise(&args, &mut run::Silent)?
    } else {
        // With --json, stdout holds the JSON document alone.
        let term = ui::Terminal::new(false, false);
        let mut term = if args.json { term.on_stderr() } else { term };
        iobound::advise::advise(&args, &mut term)?
    };
    if args.json {
        iobound::outln!(
            "{}",
            serde_json::to_string_pretty(&advice.json).expect("a JSON value serialises")
        );
    } else {
        iobound::outln!();
        for l in &advice.lines {
            iobound::outln!("{l}");
        }
        iobound::outln!(
            "\nadvice: {}\n        {}\n        {}",
            advice.dir.join("advice.md").display(),
            advice.dir.join("advice.html").display(),
            advice.dir.join("advice.json").display()
        );
    }
    if interrupt::requested() {
        return Ok(ExitCode::from(interrupt::exit_code()));
    }
    Ok(if advice.answered {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `iobound lesson`: the chapters listed, or run.
fn run_lesson(args: iobound::cli::LessonArgs) -> anyhow::Result<ExitCode> {
    let (pick, settings) = iobound::config::lesson_config(&args)?;
    // What the chapters need is checked before their first line.
    let chapters: Vec<usize> = match pick {
        LessonPick::List => Vec::new(),
        LessonPick::One(n) => vec![n],
        LessonPick::All => (1..=lesson::chapters::COUNT).collect(),
    };
    lesson::chapters::check(&chapters, &settings)?;
    let out = lesson::Transcript::new(true);
    match pick {
        LessonPick::List => {
            iobound::outln!("Chapters (run one with `iobound lesson N`, or `iobound lesson all`):");
            for n in 1..=lesson::chapters::COUNT {
                iobound::outln!("  {n}. {}", lesson::chapters::title(n, &settings));
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

#[cfg(test)]
mod tests {
    /// Issue 13: an OS error quoted by the error that wraps it prints once,
    /// not "No space left on device (os error 28): No space left on device
    /// (os error 28)" (fails when the chain is joined as is).
    #[test]
    fn an_error_chain_prints_each_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot write x: {0}")]
        struct Quotes(#[source] std::io::Error);
        let os = std::io::Error::from_raw_os_error(28);
        let e = anyhow::Error::new(Quotes(os)).context("saving the run");
        let line = super::one_line(&e);
        assert_eq!(line.matches("os error 28").count(), 1, "{line}");
        assert!(
            line.starts_with("saving the run: cannot write x: "),
            "{line}"
        );
    }
}
