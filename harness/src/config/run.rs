//! `iobound run`'s flags (and each `bench` suite group's) checked into a
//! [`RunConfig`]: the matrix, the flags that apply to it, and what must
//! fit before a cell runs.

use std::path::PathBuf;
use std::time::Duration;

use super::{did_you_mean, resolve_target, ConfigError, FileConfig, GroupRecord};
use crate::cli::RunArgs;
use crate::engine::{self, Engine};
use iobound_workloads::units::{format_duration, short_duration, split_list};

/// Where an open-loop sweep stops raising the rate unless `--slo` says.
pub(crate) const DEFAULT_SLO: Duration = Duration::from_millis(100);

/// Largest concurrency accepted: the most entries an io_uring submission
/// queue can have (IORING_MAX_ENTRIES), so every engine accepts every value.
pub(crate) const MAX_CONCURRENCY: usize = 32_768;

/// A checked `iobound run`.
pub struct RunConfig {
    pub workloads: Vec<String>,
    pub engines: Vec<&'static dyn Engine>,
    pub concurrency: Vec<usize>,
    pub file: FileConfig,
    pub verify: bool,
    /// `--label`: a tag on every cell of this matrix.
    pub label: Option<String>,
    pub record: bool,
    pub out: PathBuf,
    pub json: bool,
    pub quiet: bool,
    pub repeat: u32,
    pub lang: crate::lang::Lang,
    /// A server already running (resolved, and found answering); none is
    /// started then.
    pub target: Option<std::net::SocketAddr>,
    /// Workloads of the matrix that open no file: `--direct` does not
    /// apply to them, and their cells are not labelled O_DIRECT.
    pub no_direct: Vec<String>,
    /// What the user should know before the run starts (printed on stderr).
    pub warnings: Vec<String>,
    pub server_threads: u64,
    pub pin: crate::placement::Pin,
    pub max_threads: usize,
    /// Open loop: the rates to sweep, ascending; empty for a closed loop.
    pub rates: Vec<f64>,
    pub poisson: bool,
    /// A sweep stops once a cell's p99 passes this.
    pub slo: Duration,
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}
/// What [`check_flags_apply`] found.
struct Applies {
    no_direct: Vec<String>,
    warnings: Vec<String>,
}

/// Flags that would change nothing for the workloads asked for are refused
/// (exit 2) rather than silently ignored; when they apply to some of the
/// workloads only, the others are named in a warning.
fn check_flags_apply(
    a: &RunArgs,
    built: &[Box<dyn iobound_workloads::Workload>],
) -> Result<Applies, ConfigError> {
    use iobound_workloads::Service;
    let list = |ws: &[&str]| ws.join(", ");
    let all: Vec<&str> = built.iter().map(|w| w.name()).collect();
    let mut warnings = Vec::new();
    // O_DIRECT applies to the files a workload opens, and to the table of
    // the database server iobound starts.
    let no_direct: Vec<&str> = built
        .iter()
        .filter(|w| w.files().is_empty() && w.service() != Some(Service::Db))
        .map(|w| w.name())
        .collect();
    if a.data.direct && !no_direct.is_empty() {
        if no_direct.len() == built.len() {
            return Err(ConfigError::Ignored(format!(
                "--direct changes nothing for {}: no file is opened (O_DIRECT applies to file and database workloads)",
                list(&no_direct)
            )));
        }
        warnings.push(format!(
            "--direct does not apply to {} (no file is opened): those cells run without it",
            list(&no_direct)
        ));
    }
    // Open-loop settings without an open loop.
    for (flag, set) in [
        ("--arrival", a.arrival.is_some()),
        ("--slo", a.slo.is_some()),
    ] {
        if set && a.rate.is_none() {
            return Err(ConfigError::Ignored(format!(
                "{flag} applies to the open loop: it needs --rate (requests per second)"
            )));
        }
    }
    let networked: Vec<&str> = built
        .iter()
        .filter(|w| w.service().is_some())
        .map(|w| w.name())
        .collect();
    // Settings of the server iobound would start.
    let defaults = super::parse_args(["iobound", "run"]).ok();
    let d = defaults.as_ref().and_then(|(c, _)| match &c.command {
        crate::cli::Command::Run(r) => Some(r),
        _ => None,
    });
    let threads_set = d.is_some_and(|d| d.server_threads != a.server_threads);
    let latency_set = d.is_some_and(|d| d.db.db_latency != a.db.db_latency);
    let pin_server = a.pin.as_deref().is_some_and(|p| p.contains("server"));
    // Settings of a server no workload of the run talks to.
    if a.target.is_none() && networked.is_empty() {
        let pin = format!("--pin {}", a.pin.as_deref().unwrap_or_default());
        let server_flags = [
            ("--server-threads", threads_set),
            (pin.as_str(), pin_server),
        ];
        if let Some((flag, _)) = server_flags.iter().find(|(_, set)| *set) {
            return Err(ConfigError::Ignored(format!(
                "{flag} changes nothing for {}: none of them talks to a server, so iobound starts none \
                 (net-echo, db-* and mixed-db do)",
                list(&all)
            )));
        }
    }
    if a.target.is_none() && latency_set && !built.iter().any(|w| w.service() == Some(Service::Db))
    {
        return Err(ConfigError::Ignored(format!(
            "--db-latency changes nothing for {}: none of them queries the database \
             (it is the db server's time per query, for db-* and mixed-db)",
            list(&all)
        )));
    }
    if a.target.is_some() {
        if networked.is_empty() {
            return Err(ConfigError::Ignored(format!(
                "--target names a server, but none of the workloads ({}) talks to one",
                list(&all)
            )));
        }
        // With --target, iobound starts no server to apply these to.
        let server_flags = [
            ("--server-threads", threads_set),
            ("--db-latency", latency_set),
            ("--pin server=", pin_server),
        ];
        if let Some((flag, _)) = server_flags.iter().find(|(_, set)| *set) {
            return Err(ConfigError::Ignored(format!(
                "{flag} sets the server iobound starts, but with --target it starts none (set it on `iobound serve` instead)"
            )));
        }
    }
    Ok(Applies {
        no_direct: if a.data.direct {
            no_direct.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        },
        warnings,
    })
}

/// The workload parameters set away from their defaults that none of the
/// workloads reads (`--work` for net-echo, `--block-size` for cpu-hash), by
/// serde name, each with the error that refuses it: the results would
/// record a setting that changed nothing. `run` refuses every one; a suite
/// only those its group sets (a top-level key serves every group).
pub(crate) fn unread_params(
    params: &iobound_workloads::WorkloadParams,
    workloads: &[String],
) -> Vec<(String, ConfigError)> {
    let as_map = |p: &iobound_workloads::WorkloadParams| match serde_json::to_value(p) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let (given, default) = (
        as_map(params),
        as_map(&iobound_workloads::WorkloadParams::default()),
    );
    let read: Vec<&str> = workloads
        .iter()
        .flat_map(|w| iobound_workloads::params_read(w, params))
        .collect();
    given
        .iter()
        .filter(|(k, v)| k.as_str() != "script" && default.get(*k) != Some(v))
        .filter(|(k, _)| !read.contains(&k.as_str()))
        .map(|(k, _)| {
            let e = ConfigError::Ignored(format!(
                "--{} changes nothing for {}: none of them reads it (`iobound list` says what each workload takes)",
                k.replace('_', "-"),
                workloads.join(", ")
            ));
            (k.clone(), e)
        })
        .collect()
}

impl RunConfig {
    pub fn from_args(a: &RunArgs, settings: engine::Settings) -> Result<Self, ConfigError> {
        let mut file = FileConfig::new(&a.params, &a.data, &a.length, settings, a.db.db_latency)?;
        let mut workloads = dedup(split_list(&a.workload));
        if workloads.is_empty() {
            return Err(ConfigError::EmptyList("workload"));
        }
        let mut warnings_of_file = Vec::new();
        // A workload file in place of a name: its checked steps ride in the
        // parameters (and so in run.json), under the name the file gives.
        let mut script_path: Option<String> = None;
        for w in workloads.iter_mut() {
            if !w.ends_with(".toml") {
                continue;
            }
            if let Some(first) = &script_path {
                return Err(ConfigError::TwoScripts(first.clone(), w.clone()));
            }
            let script = iobound_workloads::Script::load(std::path::Path::new(w))?;
            if let Some(l) = script.db_latency {
                let default = super::parse_args(["iobound", "run"])
                    .ok()
                    .and_then(|(c, _)| match c.command {
                        crate::cli::Command::Run(r) => Some(r.db.db_latency),
                        _ => None,
                    });
                if default == Some(a.db.db_latency) {
                    file.db_latency = l;
                } else if a.db.db_latency != l {
                    warnings_of_file.push(format!(
                        "--db-latency {} overrides the db_latency of {w} ({})",
                        format_duration(a.db.db_latency),
                        format_duration(l)
                    ));
                }
            }
            script_path = Some(w.clone());
            *w = script.name.clone();
            file.params.script = Some(script);
        }
        let script_name = file.params.script.as_ref().map(|s| s.name.clone());
        let names = || {
            iobound_workloads::catalog()
                .iter()
                .map(|w| w.name)
                .chain(script_name.as_deref())
        };
        let mut built = Vec::with_capacity(workloads.len());
        for w in &workloads {
            if !names().any(|n| n == w) {
                return Err(ConfigError::UnknownWorkload {
                    name: w.clone(),
                    hint: did_you_mean(w, names()),
                });
            }
            // Builds each workload once to check its parameters against it.
            built.push(iobound_workloads::build(w, &file.params)?);
        }
        let engines = match &a.mode {
            // Every Rust engine: the Python ones (py-*) need an interpreter
            // and start one per cell, so they are named when wanted.
            None => engine::all()
                .iter()
                .copied()
                .filter(|e| e.language() == engine::Language::Rust)
                .collect(),
            Some(list) => {
                let modes = dedup(split_list(list));
                if modes.is_empty() {
                    return Err(ConfigError::EmptyList("mode"));
                }
                modes
                    .iter()
                    .map(|m| {
                        engine::by_name(m).ok_or_else(|| ConfigError::UnknownMode {
                            name: m.clone(),
                            hint: did_you_mean(m, engine::all().iter().map(|e| e.name())),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        let concurrency: Vec<usize> = dedup(split_list(&a.concurrency))
            .iter()
            .map(|c| match c.parse::<usize>() {
                Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
                _ => Err(ConfigError::Concurrency(c.clone())),
            })
            .collect::<Result<_, _>>()?;
        if concurrency.is_empty() {
            return Err(ConfigError::EmptyList("concurrency"));
        }
        let checked = check_flags_apply(a, &built)?;
        let target = a.target.as_deref().map(resolve_target).transpose()?;
        let mut cfg = RunConfig {
            workloads,
            engines,
            concurrency,
            file,
            verify: a.verify,
            label: a.label.clone(),
            record: !a.no_record,
            out: a.output.out.clone(),
            json: a.json,
            quiet: a.output.quiet,
            repeat: a.repeat,
            lang: a.lang.lang,
            target,
            no_direct: checked.no_direct,
            warnings: [checked.warnings, warnings_of_file].concat(),
            server_threads: a.server_threads,
            pin: a
                .pin
                .as_deref()
                .map(crate::placement::Pin::parse)
                .transpose()?
                .unwrap_or_default(),
            max_threads: a.max_threads,
            rates: match &a.rate {
                None => Vec::new(),
                Some(list) => {
                    let mut v = split_list(list)
                        .iter()
                        .map(|r| match r.parse::<f64>() {
                            Ok(x) if x.is_finite() && x > 0.0 && x <= 1e8 => Ok(x),
                            _ => Err(ConfigError::Rate(r.clone())),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    if v.is_empty() {
                        return Err(ConfigError::EmptyList("rate"));
                    }
                    v.sort_by(f64::total_cmp);
                    v.dedup();
                    v
                }
            },
            poisson: a.arrival == Some(crate::cli::Arrival::Poisson),
            slo: a.slo.unwrap_or(DEFAULT_SLO),
        };
        cfg.check_threads(&built)?;
        cfg.check_engines_run(&built)?;
        cfg.check_wait_fits()?;
        let unused = cfg.file.settings.unused_flags(&cfg.engines);
        if !unused.is_empty() {
            cfg.warnings.push(format!(
                "{} changes nothing: no engine of this run ({}) reads it",
                unused.join(", "),
                cfg.engines
                    .iter()
                    .map(|e| e.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(cfg)
    }

    /// Whether `--direct` applies to this workload's cells.
    pub fn direct_for(&self, workload: &str) -> bool {
        self.file.direct && !self.no_direct.iter().any(|w| w == workload)
    }

    /// A cell must fit its duration: a request that waits longer than the
    /// warm-up plus the duration (its queries, one after the other, each
    /// the server's `--db-latency`) would measure nothing and keep the cell
    /// running until it ends. Refused up front, saying what to raise.
    /// Request-bounded cells and `--target` (whose server's time per query
    /// is its own) are not checked.
    pub fn check_wait_fits(&self) -> Result<(), ConfigError> {
        let Some(cell) = self.file.planned() else {
            return Ok(());
        };
        if self.target.is_some() {
            return Ok(());
        }
        let latency = self.file.db_latency;
        for name in &self.workloads {
            let Ok(w) = iobound_workloads::build(name, &self.file.params) else {
                continue;
            };
            let queries = w.min_db_queries();
            let wait = latency.checked_mul(queries).unwrap_or(Duration::MAX);
            if wait <= cell {
                continue;
            }
            let duration = cell - self.file.warmup;
            // Computed lengths read best rounded; typed ones as typed.
            let about = |d: Duration| match d.as_secs_f64() {
                x if x >= 60.0 => short_duration(d),
                x if x >= 1.0 => format!("{x:.1}s"),
                _ => format_duration(d),
            };
            return Err(ConfigError::TooShort(format!(
                "--db-latency {}: one {name} request waits at least {} ({}), \
                 {} longer than a cell's warm-up plus duration ({} + {}): raise --duration to {} or more, \
                 or lower --db-latency",
                format_duration(latency),
                about(wait),
                if queries == 1 {
                    "its one query".to_string()
                } else {
                    format!("{queries} queries, one after the other")
                },
                about(wait - cell),
                format_duration(self.file.warmup),
                format_duration(duration),
                format_duration(wait.saturating_sub(self.file.warmup)),
            )));
        }
        Ok(())
    }

    /// `--max-threads` against the plan: a matrix none of whose cells
    /// fits is refused before anything runs; cells that do not fit in an
    /// otherwise runnable matrix are named up front (they are skipped).
    /// Refuses a matrix no cell of which can run here because each engine
    /// asked for says it cannot (no interpreter for `--python`, an open loop
    /// on engines that run closed loops only...): found before anything is
    /// written, not as a run of skipped cells.
    fn check_engines_run(
        &self,
        built: &[Box<dyn iobound_workloads::Workload>],
    ) -> Result<(), ConfigError> {
        let rate = self.rates.first().map(|&per_sec| crate::load::Rate {
            per_sec,
            poisson: self.poisson,
        });
        let mut why: Vec<String> = Vec::new();
        for w in built {
            // A workload whose server is a program this machine lacks
            // (Redis, unless --target names one) runs on no engine.
            let redis = w.service() == Some(iobound_workloads::Service::Redis);
            if let Some(r) =
                crate::serve::redis::missing().filter(|_| redis && self.target.is_none())
            {
                let r = format!("{}: {r}", w.name());
                if !why.contains(&r) {
                    why.push(r);
                }
                continue;
            }
            for e in &self.engines {
                for &c in &self.concurrency {
                    let plan = crate::load::Plan {
                        concurrency: c,
                        warmup: self.file.warmup,
                        bound: self.file.bound,
                        rate,
                    };
                    match e.unsupported(
                        w.as_ref(),
                        self.direct_for(w.name()),
                        &plan,
                        &self.file.settings,
                    ) {
                        None => return Ok(()),
                        Some(r) => {
                            let r = format!("{}: {r}", e.name());
                            if !why.contains(&r) {
                                why.push(r);
                            }
                        }
                    }
                }
            }
        }
        Err(ConfigError::NothingRuns(format!(
            "no cell of this run can run here: {}",
            why.join("; ")
        )))
    }

    fn check_threads(
        &mut self,
        built: &[Box<dyn iobound_workloads::Workload>],
    ) -> Result<(), ConfigError> {
        let rate = self.rates.first().map(|&per_sec| crate::load::Rate {
            per_sec,
            poisson: self.poisson,
        });
        let mut over = Vec::new();
        let mut cells = 0;
        for w in built {
            for e in &self.engines {
                for &c in &self.concurrency {
                    cells += 1;
                    let plan = crate::load::Plan {
                        concurrency: c,
                        warmup: self.file.warmup,
                        bound: self.file.bound,
                        rate,
                    };
                    let caps = e.caps();
                    let runs = !(!caps.network && w.service().is_some()
                        || !caps.files && !w.files().is_empty()
                        || !caps.compute && w.computes());
                    let n = e.threads_needed(&plan, &self.file.settings);
                    if runs && n > self.max_threads {
                        over.push(format!("{}.{}.c{c} needs {n}", w.name(), e.name()));
                    }
                }
            }
        }
        if over.is_empty() {
            return Ok(());
        }
        let what = format!(
            "more OS threads than --max-threads {} ({})",
            self.max_threads,
            over.join(", ")
        );
        if over.len() == cells {
            return Err(ConfigError::MaxThreads(format!(
                "every cell needs {what}: lower --concurrency or raise --max-threads"
            )));
        }
        self.warnings.push(format!(
            "{} of {cells} cells will be skipped: they need {what}",
            over.len()
        ));
        Ok(())
    }

    /// `iobound run`'s check: every workload parameter set is read by one
    /// of the workloads.
    pub fn refuse_unread_params(&self) -> Result<(), ConfigError> {
        match unread_params(&self.file.params, &self.workloads)
            .into_iter()
            .next()
        {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }

    /// The settings as recorded in run.json and every result file.
    pub fn record(&self) -> GroupRecord {
        GroupRecord {
            workloads: self.workloads.clone(),
            modes: self.engines.iter().map(|e| e.name().to_string()).collect(),
            concurrency: self.concurrency.clone(),
            verify: self.verify,
            label: self.label.clone(),
            latency_recorded: self.record,
            target: self.target.map(|t| t.to_string()),
            server_threads: Some(self.server_threads),
            pin: Some(self.pin.clone()),
            max_threads: Some(self.max_threads),
            rates: self.rates.clone(),
            arrival: Some(if self.poisson { "poisson" } else { "uniform" }.to_string()),
            slo: Some(self.slo),
            script_class: self.file.params.script.as_ref().map(|s| {
                let (class, prediction) = crate::classify::class(s, self.file.db_latency);
                super::ScriptClass { class, prediction }
            }),
            ..self.file.record()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::config::{clap_one_line, parse_args};
    use crate::load::Bound;

    fn parse(args: &[&str]) -> Result<RunConfig, ConfigError> {
        let mut full = vec!["iobound", "run"];
        full.extend_from_slice(args);
        match parse_args(full).unwrap() {
            (
                Cli {
                    command: Command::Run(a),
                },
                settings,
            ) => RunConfig::from_args(&a, settings).and_then(|c| {
                c.refuse_unread_params()?;
                Ok(c)
            }),
            _ => unreachable!(),
        }
    }

    #[test]
    fn lists_are_checked_and_deduplicated() {
        let c = parse(&[
            "-w",
            "file-randread,file-write",
            "-m",
            "uring,threads,uring",
            "-c",
            "1,32",
        ])
        .unwrap();
        assert_eq!(c.workloads, ["file-randread", "file-write"]);
        assert_eq!(
            c.engines.iter().map(|e| e.name()).collect::<Vec<_>>(),
            ["uring", "threads"]
        );
        assert_eq!(c.concurrency, [1, 32]);
        assert_eq!(c.file.bound, Bound::Duration(Duration::from_secs(5)));
    }

    #[test]
    fn bad_values_give_one_line_errors() {
        let cases: [(&[&str], &str); 4] = [
            (&["-w", "nope"], "unknown workload 'nope'"),
            (&["-m", "fibers"], "unknown mode 'fibers'"),
            (&["-c", "0"], "invalid concurrency '0'"),
            (
                &["-w", "file-randread", "--block-size", "1000"],
                "block size 1000",
            ),
        ];
        for (args, want) in cases {
            let msg = parse(args).err().unwrap().to_string();
            assert!(msg.contains(want), "{args:?}: {msg}");
            assert!(!msg.contains('\n'));
        }
        // Units are parsed by the flags themselves.
        for (args, want) in [
            (["-d", "soon"], "cannot parse duration 'soon'"),
            (["--file-size", "12Q"], "cannot parse size '12Q'"),
            (["--pool-threads", "0"], "--pool-threads"),
        ] {
            let mut full = vec!["iobound", "run"];
            full.extend_from_slice(&args);
            let msg = parse_args(full).err().unwrap().to_string();
            assert!(msg.contains(want), "{args:?}: {msg}");
        }
    }
    /// Issue 18: negative counts and durations say what is expected (they
    /// read as unknown flags: "unexpected argument '-1' found").
    #[test]
    fn negative_numbers_say_what_is_expected() {
        let msg = parse(&["-c", "-1"]).err().unwrap().to_string();
        assert_eq!(
            msg,
            "invalid concurrency '-1': a count cannot be negative: give a whole number from 1 to 32768"
        );
        let msg = parse(&["-w", "db-web", "--rate", "-5"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            msg.contains("invalid rate '-5': expected requests per second"),
            "{msg}"
        );
        for (args, want) in [
            (
                &["run", "--repeat", "-1"][..],
                "'--repeat <N>': a count cannot be negative",
            ),
            (
                &["run", "-n", "-3"],
                "'--requests <N>': a count cannot be negative",
            ),
            (&["run", "-d", "-1s"], "a duration cannot be negative"),
            (&["run", "--warmup", "-2s"], "a duration cannot be negative"),
            (
                &["run", "--db-latency", "-1ms"],
                "a duration cannot be negative",
            ),
            (
                &["bench", "--repeat", "-2"],
                "'--repeat <N>': a count cannot be negative",
            ),
        ] {
            let mut full = vec!["iobound"];
            full.extend_from_slice(args);
            let e = parse_args(full).err().unwrap();
            let line = clap_one_line(&e);
            assert!(line.contains(want), "{args:?}: {line}");
            assert!(!line.contains("unexpected argument"), "{line}");
        }
    }

    /// Issue 18: --db-latency, --server-threads and --pin server= with no
    /// server to apply to are refused, naming the workloads (the first only
    /// warned, the others were silent).
    /// Outsider finding: `--work` on net-echo and `--block-size` on
    /// cpu-hash were accepted and recorded though nothing read them.
    #[test]
    fn workload_parameters_no_workload_reads_are_refused() {
        for (args, flag) in [
            (&["-w", "net-echo", "--work", "8K"][..], "--work"),
            (
                &["-w", "cpu-hash", "--block-size", "8K"][..],
                "--block-size",
            ),
            (&["-w", "db-web", "--msg-size", "128"][..], "--msg-size"),
            (&["-w", "cpu-image", "--file-size", "2G"][..], "--file-size"),
        ] {
            let e = parse(args).err().expect("refused").to_string();
            assert!(
                e.starts_with(&format!("{flag} changes nothing for ")),
                "{e}"
            );
        }
        // Read by one of the workloads: kept.
        assert!(parse(&["-w", "net-echo,cpu-hash", "--work", "8K"]).is_ok());
        assert!(parse(&["-w", "file-randread", "--block-size", "8K"]).is_ok());
        // The default value given explicitly changes nothing and is fine.
        assert!(parse(&["-w", "net-echo", "--work", "256K"]).is_ok());
        // A workload file that only computes reads no table.
        let f = std::env::temp_dir().join(format!("iobound-hash-only-{}.toml", std::process::id()));
        std::fs::write(
            &f,
            "name = \"hash-only\"\n[[step]]\ncompute = \"sha256\"\nsize = \"4K\"\n",
        )
        .unwrap();
        let w = f.to_str().unwrap();
        let e = parse(&["-w", w, "--records", "5"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.starts_with("--records changes nothing for hash-only"),
            "{e}"
        );
        assert!(parse(&["-w", w, "--seed", "5"]).is_ok());
        std::fs::remove_file(&f).unwrap();
    }

    #[test]
    fn server_settings_without_a_server_are_refused() {
        for (args, want) in [
            (
                &["-w", "file-randread", "--db-latency", "5ms"][..],
                "--db-latency changes nothing for file-randread: none of them queries the database",
            ),
            (
                &["-w", "net-echo,cpu-hash", "--db-latency", "5ms"],
                "--db-latency changes nothing for net-echo, cpu-hash",
            ),
            (
                &["-w", "cpu-hash", "--pin", "server=0"],
                "--pin server=0 changes nothing for cpu-hash: none of them talks to a server",
            ),
            (
                &["-w", "cpu-hash", "--server-threads", "2"],
                "--server-threads changes nothing for cpu-hash",
            ),
        ] {
            let e = parse(args).err().map(|e| e.to_string());
            assert!(
                e.as_deref().is_some_and(|e| e.contains(want)),
                "{args:?}: {e:?}"
            );
        }
        // Where a workload talks to the server, they apply.
        assert!(parse(&["-w", "mixed-db,cpu-hash", "--db-latency", "5ms"]).is_ok());
        assert!(parse(&["-w", "net-echo", "--pin", "server=0"]).is_ok());
    }
    /// Issue 18: with no --workload, `run` measures a workload that waits
    /// (db-web), not the warm page cache.
    #[test]
    fn the_default_workload_waits() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.workloads, [crate::cli::DEFAULT_WORKLOAD]);
        let w = iobound_workloads::build(&c.workloads[0], &c.file.params).unwrap();
        assert!(w.min_db_queries() > 0 && w.files().is_empty());
    }

    /// Issue 18: a cell shorter than one request's known wait is refused
    /// up front, saying by how much and what to raise (it ran 15 s for a
    /// 300 ms cell, and never ended with --db-latency 1h).
    #[test]
    fn a_cell_must_fit_one_requests_wait() {
        let e = parse(&[
            "-w",
            "db-web",
            "-c",
            "4",
            "-d",
            "300ms",
            "--db-latency",
            "5s",
        ])
        .err()
        .unwrap()
        .to_string();
        assert_eq!(
            e,
            "--db-latency 5s: one db-web request waits at least 15.0s (3 queries, one after the \
             other), 13.7s longer than a cell's warm-up plus duration (1s + 300ms): raise \
             --duration to 14s or more, or lower --db-latency"
        );
        let e = parse(&["-w", "db-web", "-d", "300ms", "--db-latency", "1h"])
            .err()
            .unwrap();
        assert!(e.to_string().contains("3h00m"), "{e}");
        // YCSB F: a read and a write per operation.
        let e = parse(&[
            "-w",
            "db-ycsb-f",
            "--ops-per-request",
            "2",
            "-d",
            "300ms",
            "--warmup",
            "0s",
            "--db-latency",
            "100ms",
        ])
        .err()
        .unwrap();
        assert!(
            e.to_string().contains("(4 queries, one after the other)"),
            "{e}"
        );
        // Within the cell: accepted; so are request-bounded cells and --target.
        assert!(parse(&["-w", "db-web", "-d", "300ms", "--db-latency", "100ms"]).is_ok());
        assert!(parse(&["-w", "db-web", "-n", "10", "--db-latency", "5s"]).is_ok());
    }

    /// An engine's flag with none of its engines selected is named in a
    /// warning (it was silently ignored).
    #[test]
    fn engine_flags_no_selected_engine_reads_are_warned() {
        let c = parse(&["-m", "threads", "--pool-threads", "3"]).unwrap();
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("--pool-threads changes nothing")),
            "{:?}",
            c.warnings
        );
        let c = parse(&["-m", "rayon", "--pool-threads", "3"]).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn engine_options_are_read_and_recorded() {
        let c = parse(&["--pool-threads", "3", "--submit-batch", "2"]).unwrap();
        let v = c.record().to_json();
        assert_eq!(v["engine_options"]["pool"]["pool_threads"], 3);
        assert_eq!(v["engine_options"]["ring"]["submit_batch"], 2);
        assert_eq!(v["work"], 256 << 10);
        assert_eq!(v["keys"], "zipfian");
        // No --mode: every registered Rust engine (py-* are named).
        let rust = engine::all()
            .iter()
            .filter(|e| e.language() == engine::Language::Rust)
            .count();
        assert_eq!(c.engines.len(), rust);
        assert!(rust < engine::all().len());
    }
}
