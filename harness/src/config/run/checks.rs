//! What a run's flags must satisfy before anything is written: flags that
//! would change nothing, a wait longer than a cell, engines that cannot run
//! here, cells needing more threads than `--max-threads`.

use std::time::Duration;

use super::RunConfig;
use crate::cli::RunArgs;
use crate::config::ConfigError;
use iobound_workloads::units::{format_duration, short_duration};

/// `--db-latency` given for workloads that query the database but bring
/// every query's own wait (a workload file's `wait` on each db step).
fn check_latency_read(built: &[Box<dyn iobound_workloads::Workload>]) -> Result<(), ConfigError> {
    let own_waits: Vec<&str> = built
        .iter()
        .filter(|w| w.service() == Some(iobound_workloads::Service::Db) && !w.reads_db_latency())
        .map(|w| w.name())
        .collect();
    if own_waits.is_empty() || built.iter().any(|w| w.reads_db_latency()) {
        return Ok(());
    }
    Err(ConfigError::Unused {
        flag: "db-latency",
        msg: format!(
            "--db-latency changes nothing for {}: every db step of it has its own `wait`, \
             which the server honours instead",
            own_waits.join(", ")
        ),
    })
}

/// What [`check_flags_apply`] found.
pub(super) struct Applies {
    pub(super) no_direct: Vec<String>,
    pub(super) warnings: Vec<String>,
}

/// Flags that would change nothing for the workloads asked for are refused
/// (exit 2) rather than silently ignored; when they apply to some of the
/// workloads only, the others are named in a warning.
pub(super) fn check_flags_apply(
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
            return Err(ConfigError::Unused {
                flag: "direct",
                msg: format!(
                    "--direct changes nothing for {}: no file is opened (O_DIRECT applies to file and database workloads)",
                    list(&no_direct)
                ),
            });
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
    let threads_set =
        a.was_given("server_threads") || d.is_some_and(|d| d.server_threads != a.server_threads);
    let latency_set =
        a.was_given("db_latency") || d.is_some_and(|d| d.db.db_latency != a.db.db_latency);
    let pin_server = a.pin.as_deref().is_some_and(|p| p.contains("server"));
    // Settings of a server no workload of the run talks to.
    if a.target.is_none() && networked.is_empty() {
        let pin = format!("--pin {}", a.pin.as_deref().unwrap_or_default());
        let server_flags = [
            ("--server-threads", threads_set),
            (pin.as_str(), pin_server),
        ];
        if let Some((flag, _)) = server_flags.iter().find(|(_, set)| *set) {
            let msg = format!(
                "{flag} changes nothing for {}: none of them talks to a server, so iobound starts none \
                 (net-echo, db-* and mixed-db do)",
                list(&all)
            );
            return Err(match *flag {
                "--server-threads" => ConfigError::Unused {
                    flag: "server-threads",
                    msg,
                },
                _ => ConfigError::Ignored(msg),
            });
        }
    }
    if a.target.is_none() && latency_set && !built.iter().any(|w| w.service() == Some(Service::Db))
    {
        return Err(ConfigError::Unused {
            flag: "db-latency",
            msg: format!(
                "--db-latency changes nothing for {}: none of them queries the database \
                 (it is the db server's time per query, for db-* and mixed-db)",
                list(&all)
            ),
        });
    }
    if latency_set {
        check_latency_read(built)?;
    }
    check_verify(a, built, &all)?;
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

/// --verify checks what reads return: file contents, and the records a
/// GET (iobound's or Redis's) brings back. Writes, echoes and computing
/// have nothing it would check.
fn check_verify(
    a: &RunArgs,
    built: &[Box<dyn iobound_workloads::Workload>],
    all: &[&str],
) -> Result<(), ConfigError> {
    let checks_reads = |w: &dyn iobound_workloads::Workload| {
        use iobound_workloads::{Msg, Step};
        (0..256).any(|i| {
            w.request(i).steps().iter().any(|s| {
                matches!(
                    s,
                    Step::Read { .. }
                        | Step::Exchange {
                            msg: Msg::Get { .. } | Msg::RedisGet { .. }
                        }
                )
            })
        })
    };
    if a.verify && !built.iter().any(|w| checks_reads(w.as_ref())) {
        return Err(ConfigError::Unused {
            flag: "verify",
            msg: format!(
                "--verify changes nothing for {}: it checks what reads return (file reads, db and Redis GETs), and none of them reads",
                all.join(", ")
            ),
        });
    }
    Ok(())
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
    /// A cell must fit its duration: a request that waits longer than the
    /// warm-up plus the duration (its queries, one after the other, each
    /// the server's `--db-latency`) would measure nothing and keep the cell
    /// running until it ends. Refused up front, saying what to raise.
    /// Request-bounded cells and `--target` (whose server's time per query
    /// is its own) are not checked.
    /// A db server this run would start needs its table to itself: a
    /// server that holds it now (another run's, a `serve db`) would make
    /// every db cell fail at its start.
    pub(super) fn check_table_free(
        &self,
        built: &[Box<dyn iobound_workloads::Workload>],
    ) -> Result<(), ConfigError> {
        let starts_db = self.target.is_none()
            && built
                .iter()
                .any(|w| w.service() == Some(iobound_workloads::Service::Db));
        let records = self.file.params.records;
        match crate::serve::recover::table_in_use(&self.file.data_dir, records) {
            Some(lock) if starts_db => Err(ConfigError::Busy(format!(
                "another iobound server uses the table of {records} records in {} ({} is \
                 locked): wait for it or stop it, or give this run another --data-dir",
                self.file.data_dir.display(),
                lock.display()
            ))),
            _ => Ok(()),
        }
    }

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
            // Each query waits its own `wait` or the server's latency: the
            // least any request waits (a workload file's 50 ms calls count).
            let (wait, queries) = iobound_workloads::least_server_wait(w.as_ref(), latency);
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
            // Whose wait it is: the server's latency for every query, or
            // some calls' own `wait` from a workload file.
            let own = latency.checked_mul(queries) != Some(wait);
            let (whose, lower) = if own {
                (
                    "the calls' own waits".to_string(),
                    "shorten the calls' `wait` in the workload file",
                )
            } else if self
                .file
                .params
                .script
                .as_ref()
                .is_some_and(|s| s.db_latency == Some(latency))
            {
                // The workload file's own `db_latency`, not a flag the user
                // never passed.
                (
                    format!(
                        "the workload file's db_latency {}",
                        format_duration(latency)
                    ),
                    "lower the file's db_latency",
                )
            } else {
                (
                    format!("--db-latency {}", format_duration(latency)),
                    "lower --db-latency",
                )
            };
            return Err(ConfigError::TooShort(format!(
                "{whose}: one {name} request waits at least {} ({}), \
                 {} longer than a cell's warm-up plus duration ({} + {}): raise --duration to {} or more, \
                 or {lower}",
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

    /// Refuses a matrix no cell of which can run here because each engine
    /// asked for says it cannot (no interpreter for `--python`, an open loop
    /// on engines that run closed loops only...): found before anything is
    /// written, not as a run of skipped cells.
    pub(super) fn check_engines_run(
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

    /// `--max-threads` against the plan: a matrix none of whose cells
    /// fits is refused before anything runs; cells that do not fit in an
    /// otherwise runnable matrix are named up front (they are skipped).
    pub(super) fn check_threads(
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
}
