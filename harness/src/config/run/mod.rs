//! `iobound run`'s flags (and each `bench` suite group's) checked into a
//! [`RunConfig`]: the matrix, the flags that apply to it, and what must
//! fit before a cell runs.

mod checks;

use std::path::PathBuf;
use std::time::Duration;

use super::{did_you_mean, resolve_target, ConfigError, FileConfig, GroupRecord};
use crate::cli::RunArgs;
use crate::engine::{self, Engine};
use checks::check_flags_apply;
pub(crate) use checks::unread_params;
use iobound_workloads::units::{format_duration, split_list};

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

/// A comma list's items, refused when one is empty (`1,,2`, `1,2,`):
/// split_list alone would skip it and run what the user did not write.
fn items(list: &str, what: &'static str) -> Result<Vec<String>, ConfigError> {
    let all: Vec<&str> = list.split(',').map(str::trim).collect();
    if all.len() > 1 && all.iter().any(|x| x.is_empty()) {
        return Err(ConfigError::EmptyItem(what, list.to_string()));
    }
    Ok(split_list(list))
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

impl RunConfig {
    pub fn from_args(a: &RunArgs, settings: engine::Settings) -> Result<Self, ConfigError> {
        let mut file = FileConfig::new(&a.params, &a.data, &a.length, settings, a.db.db_latency)?;
        let mut workloads = dedup(items(&a.workload, "workload")?);
        if workloads.is_empty() {
            return Err(ConfigError::EmptyList("workload"));
        }
        let warnings_of_file = load_script(a, &mut workloads, &mut file)?;
        let built = build_workloads(&workloads, &file)?;
        let engines = engines_of(a)?;
        let concurrency = concurrency_of(a)?;
        let checked = check_flags_apply(a, &built)?;
        let target = a.target.as_deref().map(resolve_target).transpose()?;
        let pin = a
            .pin
            .as_deref()
            .map(crate::placement::Pin::parse)
            .transpose()?
            .unwrap_or_default();
        let rates = rates_of(a)?;
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
            pin,
            max_threads: a.max_threads,
            rates,
            poisson: a.arrival == Some(crate::cli::Arrival::Poisson),
            slo: a.slo.unwrap_or(DEFAULT_SLO),
        };
        cfg.check_threads(&built)?;
        cfg.check_engines_run(&built)?;
        cfg.check_wait_fits()?;
        cfg.check_table_free(&built)?;
        cfg.warn_unused_engine_flags();
        Ok(cfg)
    }

    /// Engine flags that no engine of the run reads are warned about.
    fn warn_unused_engine_flags(&mut self) {
        let unused = self.file.settings.unused_flags(&self.engines);
        if !unused.is_empty() {
            self.warnings.push(format!(
                "{} changes nothing: no engine of this run ({}) reads it",
                unused.join(", "),
                self.engines
                    .iter()
                    .map(|e| e.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }

    /// Whether `--direct` applies to this workload's cells.
    pub fn direct_for(&self, workload: &str) -> bool {
        self.file.direct && !self.no_direct.iter().any(|w| w == workload)
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
            // The database's delay is recorded for groups that query it
            // only: a report must not read a wait into Redis or file cells.
            db_latency: self
                .workloads
                .iter()
                .filter_map(|w| iobound_workloads::build(w, &self.file.params).ok())
                .any(|w| w.service() == Some(iobound_workloads::Service::Db))
                .then_some(self.file.db_latency),
            script_class: self.file.params.script.as_ref().map(|s| {
                let (class, prediction) = crate::classify::class(s, self.file.db_latency);
                super::ScriptClass { class, prediction }
            }),
            ..self.file.record()
        }
    }
}

/// A workload file in place of a name: its checked steps ride in the
/// parameters (and so in run.json), under the name the file gives. Returns
/// the warnings it gives (a `--db-latency` overriding the file's).
fn load_script(
    a: &RunArgs,
    workloads: &mut [String],
    file: &mut FileConfig,
) -> Result<Vec<String>, ConfigError> {
    let mut warnings = Vec::new();
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
                warnings.push(format!(
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
    Ok(warnings)
}

/// Each workload built once, to check its name and its parameters.
fn build_workloads(
    workloads: &[String],
    file: &FileConfig,
) -> Result<Vec<Box<dyn iobound_workloads::Workload>>, ConfigError> {
    let script_name = file.params.script.as_ref().map(|s| s.name.clone());
    let names = || {
        iobound_workloads::catalog()
            .iter()
            .map(|w| w.name)
            .chain(script_name.as_deref())
    };
    let mut built = Vec::with_capacity(workloads.len());
    for w in workloads {
        if !names().any(|n| n == w) {
            if std::path::Path::new(w).is_file() {
                return Err(ConfigError::NotToml(w.clone()));
            }
            return Err(ConfigError::UnknownWorkload {
                name: w.clone(),
                hint: did_you_mean(w, names()),
            });
        }
        built.push(iobound_workloads::build(w, &file.params)?);
    }
    Ok(built)
}

/// `--mode`'s engines, looked up in the registry.
fn engines_of(a: &RunArgs) -> Result<Vec<&'static dyn Engine>, ConfigError> {
    Ok(match &a.mode {
        // Every Rust engine: the Python ones (py-*) need an interpreter
        // and start one per cell, so they are named when wanted.
        None => engine::all()
            .iter()
            .copied()
            .filter(|e| e.language() == engine::Language::Rust)
            .collect(),
        Some(list) => {
            let modes = dedup(items(list, "mode")?);
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
    })
}

/// `--concurrency`'s values, each from 1 to [`MAX_CONCURRENCY`].
fn concurrency_of(a: &RunArgs) -> Result<Vec<usize>, ConfigError> {
    let concurrency: Vec<usize> = dedup(items(&a.concurrency, "concurrency")?)
        .iter()
        .map(|c| match c.parse::<usize>() {
            Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
            _ => Err(ConfigError::Concurrency(c.clone())),
        })
        .collect::<Result<_, _>>()?;
    if concurrency.is_empty() {
        return Err(ConfigError::EmptyList("concurrency"));
    }
    Ok(concurrency)
}

/// `--rate`'s values, ascending, each once; none for a closed loop.
fn rates_of(a: &RunArgs) -> Result<Vec<f64>, ConfigError> {
    let Some(list) = &a.rate else {
        return Ok(Vec::new());
    };
    let mut v = items(list, "rate")?
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
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::config::{clap_one_line, parse_args};
    use crate::load::Bound;

    fn parse(args: &[&str]) -> Result<RunConfig, ConfigError> {
        // A data directory of the tests' own: a user's server on the
        // default one (its table locked) must not fail them.
        let own = std::env::temp_dir().join(format!("iobound-config-tests-{}", std::process::id()));
        let own = own.display().to_string();
        let mut full = vec!["iobound", "run", "--data-dir", &own];
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

    /// A newcomer's finding: `-c 1,,2`, `-c 1,2,` and `-m uring,,threads`
    /// ran (exit 0) as if the empty item were not there.
    #[test]
    fn an_empty_list_item_is_refused() {
        for args in [
            &["-c", "1,,2"][..],
            &["-c", "1,2,"],
            &["-m", "uring,,threads"],
            &["-w", "db-web,"],
            &["--rate", "100,,200"],
        ] {
            let Err(e) = parse(args) else {
                panic!("{args:?} was accepted");
            };
            assert!(matches!(e, ConfigError::EmptyItem(..)), "{args:?}: {e}");
            assert!(
                e.to_string().contains("an empty item between commas"),
                "{e}"
            );
        }
        assert!(parse(&["-c", "1, 2"]).is_ok());
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
            // Given at its default value, a flag is still the user's: the
            // reviewer's `--db-latency 1ms` with redis-get ran silently.
            (
                &["-w", "redis-get", "--db-latency", "1ms"],
                "--db-latency changes nothing for redis-get",
            ),
            (
                &["-w", "cpu-hash", "--server-threads", "1"],
                "--server-threads changes nothing for cpu-hash",
            ),
            // --verify checks what reads return: SET, echo and hashing read
            // nothing it could check.
            (
                &["-w", "redis-set", "--verify"],
                "--verify changes nothing for redis-set",
            ),
            (
                &["-w", "net-echo,cpu-hash", "--verify"],
                "--verify changes nothing for net-echo, cpu-hash",
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
        for w in [
            "redis-get",
            "db-ycsb-c",
            "file-randread",
            "redis-set,redis-get",
        ] {
            // Without redis-server, a redis-* run is refused for that
            // (`make test` on a machine without it).
            if w.starts_with("redis") && crate::serve::redis::missing().is_some() {
                continue;
            }
            assert!(parse(&["-w", w, "--verify"]).is_ok(), "{w}");
        }
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

    /// Issue 21: a workload file's calls with their own `wait` count in the
    /// least wait of a request (only `--db-latency` times the queries did:
    /// a 400 ms call in a 200 ms cell ran and was cut).
    #[test]
    fn a_calls_own_wait_must_fit_a_cell() {
        let f = std::env::temp_dir().join(format!("iobound-own-wait-{}.toml", std::process::id()));
        std::fs::write(
            &f,
            "name = \"own-wait\"\n[[step]]\ndb = \"get\"\nwait = \"400ms\"\n[[step]]\ndb = \"get\"\n",
        )
        .unwrap();
        let path = f.to_str().unwrap();
        let e = parse(&["--workload", path, "-d", "200ms", "--warmup", "0s"])
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "the calls' own waits: one own-wait request waits at least 401ms (2 queries, one \
                 after the other), 201ms longer than a cell's warm-up plus duration (0s + 200ms): \
                 raise --duration to 401ms or more, or shorten the calls' `wait` in the workload file"
            )
        );
        assert!(parse(&["--workload", path, "-d", "500ms", "--warmup", "0s"]).is_ok());
        std::fs::remove_file(&f).unwrap();
    }

    /// Outside tester: `run -w good.txt` (a workload file without .toml,
    /// which `advise` and `list` read) said "unknown workload".
    #[test]
    fn a_workload_file_without_toml_is_told_so() {
        let f = std::env::temp_dir().join(format!("iobound-not-toml-{}.txt", std::process::id()));
        std::fs::write(&f, "name = \"x\"\n[[step]]\ndb = \"get\"\n").unwrap();
        let e = parse(&["-w", f.to_str().unwrap()])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        std::fs::remove_file(&f).unwrap();
        assert!(e.contains("a workload file's name ends in .toml"), "{e}");
    }

    /// Outside tester: a workload file's `db_latency` too long for the cell
    /// was blamed on `--db-latency`, a flag never passed. The message names
    /// the file's key (fails if it names the flag again).
    #[test]
    fn a_files_db_latency_is_named_as_the_files() {
        let f = std::env::temp_dir().join(format!("iobound-file-lat-{}.toml", std::process::id()));
        std::fs::write(
            &f,
            "name = \"file-lat\"\ndb_latency = \"5s\"\n[[step]]\ndb = \"get\"\n",
        )
        .unwrap();
        let path = f.to_str().unwrap();
        let e = parse(&["--workload", path, "-d", "1s", "--warmup", "0s"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        std::fs::remove_file(&f).unwrap();
        assert!(
            e.starts_with(
                "the workload file's db_latency 5s: one file-lat request waits at least 5.0s"
            ) && e.ends_with("or lower the file's db_latency"),
            "{e}"
        );
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
        let e = parse(&["-w", "db-web", "-d", "300ms", "--db-latency", "50s"])
            .err()
            .unwrap();
        assert!(e.to_string().contains("2m30s"), "{e}");
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

    /// The ring's options land in run.json as typed values, `--sqpoll off`
    /// as null; their clap defaults are the struct's `Default`, which the
    /// engine reads when a set is absent; a bad value is a one-line error.
    #[test]
    fn ring_options_are_typed_and_their_defaults_agree() {
        use crate::engine::uring::RingOptions;
        let c = parse(&[
            "-m",
            "uring",
            "--sqpoll",
            "20",
            "--taskrun",
            "coop",
            "--fixed-buffers",
            "on",
            "--register-files",
            "off",
            "--wait-count",
            "4",
        ])
        .unwrap();
        let ring = &c.record().to_json()["engine_options"]["ring"];
        assert_eq!(ring["sqpoll"], 20);
        assert_eq!(ring["taskrun"], "coop");
        assert_eq!(ring["fixed_buffers"], "on");
        assert_eq!(ring["register_files"], "off");
        assert_eq!(ring["wait_count"], 4);
        let parsed: RingOptions = serde_json::from_value(ring.clone()).unwrap();
        assert_eq!(parsed.sqpoll.0, Some(20));
        let d = parse(&["-m", "uring", "--sqpoll", "off"]).unwrap();
        let ring = &d.record().to_json()["engine_options"]["ring"];
        assert!(ring["sqpoll"].is_null());
        assert_eq!(*ring, serde_json::to_value(RingOptions::default()).unwrap());
        for bad in [
            ["--sqpoll", "soon"],
            ["--taskrun", "eager"],
            ["--wait-count", "0"],
        ] {
            let mut args = vec!["iobound", "run", "-m", "uring"];
            args.extend(bad);
            assert!(parse_args(args).is_err(), "{bad:?}");
        }
    }
}
