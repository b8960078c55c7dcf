//! Raw command-line flags turned into a checked configuration. Everything a
//! user can get wrong is caught here, before a file or directory is touched.

use std::path::PathBuf;
use std::time::Duration;

use iobound_workloads::{WorkloadError, WorkloadParams};
use serde_json::json;

use crate::cli::{DataArgs, LengthArgs, RunArgs};
use crate::engine::{self, Engine};
use crate::load::Bound;
use iobound_workloads::units::{count_hint, format_duration, split_list, UnitError};

/// Where data files (and the db's table) go unless `--data-dir` says otherwise.
pub fn default_data_dir() -> PathBuf {
    std::env::temp_dir().join("iobound")
}

/// Where an open-loop sweep stops raising the rate unless `--slo` says.
pub const DEFAULT_SLO: Duration = Duration::from_millis(100);

/// Largest concurrency accepted: the most entries an io_uring submission
/// queue can have (IORING_MAX_ENTRIES), so every engine accepts every value.
pub const MAX_CONCURRENCY: usize = 32_768;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Unit(#[from] UnitError),
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error("unknown workload '{name}'{} (see `iobound list`)", did_you_mean_text(.hint))]
    UnknownWorkload { name: String, hint: Option<String> },
    #[error("unknown mode '{name}'{} (see `iobound list`)", did_you_mean_text(.hint))]
    UnknownMode { name: String, hint: Option<String> },
    #[error("--target {spec}: {why}")]
    Target { spec: String, why: String },
    /// A flag that would change nothing in this run: refused rather than
    /// silently ignored, so the results never claim a setting they lack.
    #[error("{0}")]
    Ignored(String),
    #[error("{0}")]
    MaxThreads(String),
    #[error("--{0} needs at least one value")]
    EmptyList(&'static str),
    #[error("invalid concurrency '{value}': {hint}", value = .0, hint = count_hint(.0, Some(MAX_CONCURRENCY as u64)))]
    Concurrency(String),
    #[error("--{0} must be greater than zero")]
    Zero(&'static str),
    #[error("invalid chapter '{0}': expected 1 to {max} or 'all'", max = crate::lesson::chapters::COUNT)]
    Chapter(String),
    #[error("invalid --speed {0}: expected a number above 0 and at most {MAX_SPEED} (faster, the \
             lesson's delays are microseconds and its timings measure the event loop's own overhead)")]
    Speed(f64),
    #[error(transparent)]
    Pin(#[from] crate::placement::PinError),
    #[error("invalid rate '{0}': expected requests per second, above 0 and at most 100M")]
    Rate(String),
    /// A request's known wait is longer than the whole cell.
    #[error("{0}")]
    TooShort(String),
}

/// Fastest `iobound lesson --speed`: its shortest delay (0.5 s) stays half
/// a millisecond, well above what the event loop itself takes.
pub const MAX_SPEED: f64 = 1000.0;

impl ConfigError {
    /// The `iobound run` flag at fault (without `--`), when one alone is:
    /// a suite names the key it came from.
    pub fn flag(&self) -> Option<&'static str> {
        match self {
            ConfigError::UnknownWorkload { .. } => Some("workload"),
            ConfigError::UnknownMode { .. } => Some("mode"),
            ConfigError::Concurrency(_) => Some("concurrency"),
            ConfigError::Rate(_) => Some("rate"),
            ConfigError::Target { .. } => Some("target"),
            ConfigError::Pin(_) => Some("pin"),
            ConfigError::EmptyList(f) | ConfigError::Zero(f) => Some(f),
            _ => None,
        }
    }
}

/// The candidate closest to `word`, if one is close enough to be a typo
/// of it (Jaro-Winkler similarity, as clap uses for flags).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// `, did you mean 'x'?` or nothing.
pub fn did_you_mean_text(hint: &Option<String>) -> String {
    hint.as_ref()
        .map_or(String::new(), |h| format!("; did you mean '{h}'?"))
}

/// How long the reachability check of `--target` waits for a connection.
const TARGET_TIMEOUT: Duration = Duration::from_secs(3);

/// `--target`: a host name or address with a port, resolved, and the first
/// address where something accepts a connection (a host name may resolve to
/// an IPv6 address first while the server listens on IPv4 only). Checked
/// before the run directory exists, so a wrong address costs nothing.
pub fn resolve_target(spec: &str) -> Result<std::net::SocketAddr, ConfigError> {
    use std::net::ToSocketAddrs;
    let err = |why: String| ConfigError::Target {
        spec: spec.to_string(),
        why,
    };
    if !spec.contains(':') {
        return Err(err("expected HOST:PORT, e.g. localhost:7000".into()));
    }
    let addrs: Vec<std::net::SocketAddr> = spec
        .to_socket_addrs()
        .map_err(|e| err(format!("not a HOST:PORT that resolves ({e})")))?
        .collect();
    let mut tried = Vec::new();
    for a in &addrs {
        match std::net::TcpStream::connect_timeout(a, TARGET_TIMEOUT) {
            Ok(_) => return Ok(*a),
            Err(e) => tried.push(format!("{a}: {e}")),
        }
    }
    Err(err(format!(
        "no server answers ({}); start one with `iobound serve echo|db --listen ADDR`",
        if tried.is_empty() {
            "it resolves to no address".to_string()
        } else {
            tried.join("; ")
        }
    )))
}

/// `iobound serve KIND`'s flags as left out, to tell which were given.
fn serve_defaults(kind: crate::serve::Kind) -> crate::cli::ServeArgs {
    use clap::ValueEnum;
    let name = kind
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string());
    match parse_args(["iobound", "serve", name.as_str()]) {
        Ok((
            crate::cli::Cli {
                command: crate::cli::Command::Serve(a),
            },
            _,
        )) => a,
        _ => unreachable!("`iobound serve {name}` parses"),
    }
}

/// Checks `iobound serve`'s flags.
pub fn serve_config(a: &crate::cli::ServeArgs) -> Result<crate::serve::ServeConfig, ConfigError> {
    if a.threads == 0 {
        return Err(ConfigError::Zero("threads"));
    }
    if a.records == 0 {
        return Err(ConfigError::Zero("records"));
    }
    if a.frame_timeout.is_zero() {
        return Err(ConfigError::Zero("frame-timeout"));
    }
    if a.kind == crate::serve::Kind::Echo {
        // The database's settings, given to the echo server, would be
        // silently ignored: refused, as `run` refuses flags that change nothing.
        let d = serve_defaults(a.kind);
        let db_only = [
            ("--direct", a.direct),
            ("--records", a.records != d.records),
            ("--db-latency", a.db.db_latency != d.db.db_latency),
            ("--data-dir", a.data_dir.is_some()),
            ("--fresh", a.fresh),
            ("--truncate-corrupt-wal", a.truncate_corrupt_wal),
        ];
        let set: Vec<&str> = db_only
            .iter()
            .filter(|(_, s)| *s)
            .map(|(f, _)| *f)
            .collect();
        if !set.is_empty() {
            return Err(ConfigError::Ignored(format!(
                "{} {} to `serve db` only: the echo server has no table",
                set.join(", "),
                if set.len() == 1 { "applies" } else { "apply" }
            )));
        }
    }
    Ok(crate::serve::ServeConfig {
        kind: a.kind,
        listen: a.listen,
        threads: a.threads,
        records: a.records,
        db_latency: a.db.db_latency,
        direct: a.direct,
        data_dir: a.data_dir.clone().unwrap_or_else(default_data_dir),
        fresh: a.fresh,
        truncate_corrupt_wal: a.truncate_corrupt_wal,
        frame_timeout: a.frame_timeout,
    })
}

/// What `iobound lesson` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LessonPick {
    List,
    One(usize),
    All,
}

/// Checks `iobound lesson`'s flags.
pub fn lesson_config(
    a: &crate::cli::LessonArgs,
) -> Result<(LessonPick, crate::lesson::Settings), ConfigError> {
    let pick = match a.chapter.as_deref() {
        None => LessonPick::List,
        Some("all") => LessonPick::All,
        Some(n) => match n.parse::<usize>() {
            Ok(k) if (1..=crate::lesson::chapters::COUNT).contains(&k) => LessonPick::One(k),
            _ => return Err(ConfigError::Chapter(n.to_string())),
        },
    };
    if !(a.speed.is_finite() && a.speed > 0.0 && a.speed <= MAX_SPEED) {
        return Err(ConfigError::Speed(a.speed));
    }
    Ok((
        pick,
        crate::lesson::Settings {
            lang: a.lang,
            speed: a.speed,
            data_dir: a.data_dir.clone().unwrap_or_else(default_data_dir),
        },
    ))
}

/// Checked settings shared by every command that runs workloads (`run`,
/// `bench`, `fio`, the lesson's measurements).
#[derive(Debug, Clone)]
pub struct FileConfig {
    pub params: WorkloadParams,
    pub direct: bool,
    pub data_dir: PathBuf,
    pub warmup: Duration,
    pub bound: Bound,
    /// The engines' own options.
    pub settings: engine::Settings,
    /// Service delay per query of the db server iobound starts.
    pub db_latency: Duration,
}

impl FileConfig {
    pub fn new(
        params: &WorkloadParams,
        data: &DataArgs,
        length: &LengthArgs,
        settings: engine::Settings,
        db_latency: Duration,
    ) -> Result<Self, ConfigError> {
        let bound = match length.requests {
            Some(n) => Bound::Requests(n),
            None if length.duration.is_zero() => return Err(ConfigError::Zero("duration")),
            None => Bound::Duration(length.duration),
        };
        Ok(FileConfig {
            params: params.clone(),
            direct: data.direct,
            data_dir: data.data_dir.clone().unwrap_or_else(default_data_dir),
            warmup: length.warmup,
            bound,
            settings,
            db_latency,
        })
    }

    /// A cell's warm-up plus duration (`None` when bounded by requests).
    pub fn planned(&self) -> Option<Duration> {
        match self.bound {
            Bound::Duration(d) => Some(d + self.warmup),
            Bound::Requests(_) => None,
        }
    }

    /// Multiplies the warm-up and the duration by `f` (`bench --time-scale`).
    pub fn scale_time(&mut self, f: f64) {
        self.warmup = self.warmup.mul_f64(f);
        if let Bound::Duration(d) = &mut self.bound {
            *d = d.mul_f64(f);
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(&self.params).expect("parameters serialize");
        let more = json!({
            "db_latency": format_duration(self.db_latency),
            "direct": self.direct,
            "data_dir": self.data_dir,
            "warmup": format_duration(self.warmup),
            "duration": match self.bound { Bound::Duration(d) => Some(format_duration(d)), _ => None },
            "requests": match self.bound { Bound::Requests(n) => Some(n), _ => None },
            "engine_options": self.settings,
        });
        if let (Some(v), serde_json::Value::Object(more)) = (v.as_object_mut(), more) {
            v.extend(more);
        }
        v
    }
}

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

/// A clap error on one line, with clap's "did you mean" tip kept: the
/// binary's rule is one line per error.
pub fn clap_one_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines().skip_while(|l| !l.starts_with("error:"));
    let mut line = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    // The lines right under it complete it: the missing flag of "required
    // arguments were not provided:", or "[possible values: en, fr]".
    for more in lines
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .filter(|l| !l.starts_with("tip:"))
    {
        line = format!("{line} {more}");
    }
    for tip in text.lines().filter(|l| l.trim_start().starts_with("tip:")) {
        line.push_str(&format!(" ({})", tip.trim().trim_start_matches("tip: ")));
    }
    line
}

/// The `iobound` command line, with every engine's options added to the
/// subcommands that run engines (under each engine's heading in `--help`).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    crate::cli::Cli::command()
        .mut_subcommand("run", engine::augment)
        .mut_subcommand("fio", engine::augment)
}

/// Parses a command line (`argv[0]` included) into the subcommand's flags
/// and the engines' options.
pub fn parse_args<I, T>(argv: I) -> Result<(crate::cli::Cli, engine::Settings), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches;
    let m = command().try_get_matches_from(argv)?;
    let cli = crate::cli::Cli::from_arg_matches(&m)?;
    let settings = match m.subcommand() {
        Some(("run" | "fio", sub)) => engine::read_settings(sub)?,
        _ => engine::Settings::default(),
    };
    Ok((cli, settings))
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
    let defaults = crate::config::parse_args(["iobound", "run"]).ok();
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

impl RunConfig {
    pub fn from_args(a: &RunArgs, settings: engine::Settings) -> Result<Self, ConfigError> {
        let file = FileConfig::new(&a.params, &a.data, &a.length, settings, a.db.db_latency)?;
        let workloads = dedup(split_list(&a.workload));
        if workloads.is_empty() {
            return Err(ConfigError::EmptyList("workload"));
        }
        let names = || iobound_workloads::catalog().iter().map(|w| w.name);
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
            None => engine::all().to_vec(),
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
            out: a.out.clone(),
            json: a.json,
            quiet: a.quiet,
            repeat: a.repeat,
            lang: a.lang,
            target,
            no_direct: checked.no_direct,
            warnings: checked.warnings,
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
                x if x >= 60.0 => crate::ui::short_duration(d),
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

    /// The settings as recorded in every result file.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = self.file.to_json();
        v["workloads"] = json!(self.workloads);
        v["modes"] = json!(self.engines.iter().map(|e| e.name()).collect::<Vec<_>>());
        v["concurrency"] = json!(self.concurrency);
        v["verify"] = json!(self.verify);
        v["label"] = json!(self.label);
        v["latency_recorded"] = json!(self.record);
        v["target"] = json!(self.target);
        v["server_threads"] = json!(self.server_threads);
        v["pin"] = json!(self.pin);
        v["max_threads"] = json!(self.max_threads);
        v["rates"] = json!(self.rates);
        v["arrival"] = json!(if self.poisson { "poisson" } else { "uniform" });
        v["slo"] = json!(format_duration(self.slo));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<RunConfig, ConfigError> {
        let mut full = vec!["iobound", "run"];
        full.extend_from_slice(args);
        match parse_args(full).unwrap() {
            (
                Cli {
                    command: Command::Run(a),
                },
                settings,
            ) => RunConfig::from_args(&a, settings),
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

    fn parse_cli(args: &[&str]) -> crate::cli::Cli {
        let mut full = vec!["iobound"];
        full.extend_from_slice(args);
        parse_args(full).unwrap().0
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

    /// Issue 18: `serve echo` refuses the database's flags (--direct was
    /// accepted and ignored).
    #[test]
    fn serve_echo_refuses_the_database_flags() {
        let serve = |args: &[&str]| {
            let mut full = vec!["serve"];
            full.extend_from_slice(args);
            match parse_cli(&full).command {
                crate::cli::Command::Serve(a) => serve_config(&a).map(|_| ()),
                _ => unreachable!(),
            }
        };
        for (flag, value) in [
            ("--direct", None),
            ("--records", Some("5")),
            ("--db-latency", Some("2ms")),
            ("--data-dir", Some("/tmp")),
        ] {
            let mut args = vec!["echo", flag];
            args.extend(value);
            let e = serve(&args).err().unwrap().to_string();
            assert_eq!(
                e,
                format!("{flag} applies to `serve db` only: the echo server has no table")
            );
            args[0] = "db";
            assert!(serve(&args).is_ok(), "{args:?}");
        }
        assert!(serve(&["echo", "--threads", "2"]).is_ok());
    }

    /// Issue 18: a speed that would leave the lesson's delays below what
    /// its event loop itself takes is refused (1e12 printed "inf x").
    #[test]
    fn lesson_speeds_that_make_timings_meaningless_are_refused() {
        let lesson = |speed: &str| match parse_cli(&["lesson", "3", "--speed", speed]).command {
            crate::cli::Command::Lesson(a) => lesson_config(&a).map(|_| ()),
            _ => unreachable!(),
        };
        assert!(lesson("1000").is_ok() && lesson("100").is_ok());
        for bad in ["1e12", "1001", "inf", "NaN", "0", "-3"] {
            let e = lesson(bad).err().unwrap().to_string();
            assert!(e.contains("at most 1000"), "{bad}: {e}");
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
        let v = c.to_json();
        assert_eq!(v["engine_options"]["pool"]["pool_threads"], 3);
        assert_eq!(v["engine_options"]["ring"]["submit_batch"], 2);
        assert_eq!(v["work"], 256 << 10);
        assert_eq!(v["keys"], "zipfian");
        // No --mode: every registered engine.
        assert_eq!(c.engines.len(), engine::all().len());
    }
}
