//! Suite files (`workloads/suites/*.toml`): several `iobound run` matrices
//! under one name. Each group is turned into the flags of `iobound run` and
//! checked by the same code, so a suite accepts exactly what the command
//! line accepts.

use std::path::{Path, PathBuf};

use clap::Parser;
use serde::Deserialize;

use crate::cli::{BenchArgs, Cli, Command};
use crate::config::{ConfigError, RunConfig};
use crate::run::Suite;

/// The suites compiled into the binary, so `--suite NAME` works anywhere.
pub const BUILT_IN: [(&str, &str); 2] = [
    (
        "default",
        include_str!("../../workloads/suites/default.toml"),
    ),
    ("quick", include_str!("../../workloads/suites/quick.toml")),
];

#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("no suite '{0}': give a built-in name (default, quick) or the path of a .toml file")]
    Unknown(String),
    #[error("cannot read suite {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("suite {name}: {msg}")]
    Parse { name: String, msg: String },
    #[error("suite {name}, group {index}: {source}")]
    Group {
        name: String,
        index: usize,
        #[source]
        source: ConfigError,
    },
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct Settings {
    duration: Option<String>,
    warmup: Option<String>,
    file_size: Option<String>,
    block_size: Option<String>,
    work: Option<String>,
    sync_every: Option<u64>,
    pool_threads: Option<usize>,
    msg_size: Option<String>,
    records: Option<u64>,
    db_latency: Option<String>,
    keys: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    workloads: Vec<String>,
    modes: Vec<String>,
    concurrency: Vec<usize>,
    #[serde(default)]
    direct: bool,
    #[serde(flatten)]
    settings: Settings,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    #[serde(default)]
    description: String,
    #[serde(default = "one")]
    repeat: u32,
    #[serde(flatten)]
    settings: Settings,
    group: Vec<GroupFile>,
}

fn one() -> u32 {
    1
}

/// Finds a suite's text by built-in name or path; returns (name, text).
pub fn source(arg: &str) -> Result<(String, String), SuiteError> {
    if let Some((n, t)) = BUILT_IN.iter().find(|(n, _)| *n == arg) {
        return Ok((n.to_string(), t.to_string()));
    }
    let p = Path::new(arg);
    if !p.extension().is_some_and(|e| e == "toml") && !p.exists() {
        return Err(SuiteError::Unknown(arg.to_string()));
    }
    let text = std::fs::read_to_string(p).map_err(|source| SuiteError::Read {
        path: p.to_path_buf(),
        source,
    })?;
    let name = p
        .file_stem()
        .map_or(arg.to_string(), |s| s.to_string_lossy().into_owned());
    Ok((name, text))
}

/// Parses a suite and checks every group as `iobound run` would.
pub fn parse(name: &str, text: &str, a: &BenchArgs) -> Result<Suite, SuiteError> {
    let f: SuiteFile = toml::from_str(text).map_err(|e| SuiteError::Parse {
        name: name.to_string(),
        msg: e.to_string(),
    })?;
    if f.group.is_empty() {
        return Err(SuiteError::Parse {
            name: name.to_string(),
            msg: "no [[group]]".into(),
        });
    }
    let repeat = a.repeat.unwrap_or(f.repeat);
    let mut groups = Vec::with_capacity(f.group.len());
    for (i, g) in f.group.iter().enumerate() {
        let join = |v: &[String]| v.join(",");
        let mut argv: Vec<String> = vec![
            "iobound".into(),
            "run".into(),
            "--workload".into(),
            join(&g.workloads),
            "--mode".into(),
            join(&g.modes),
            "--concurrency".into(),
            join(
                &g.concurrency
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>(),
            ),
            "--out".into(),
            a.out.display().to_string(),
            "--repeat".into(),
            repeat.to_string(),
        ];
        if g.direct {
            argv.push("--direct".into());
        }
        if let Some(d) = &a.data_dir {
            argv.extend(["--data-dir".into(), d.display().to_string()]);
        }
        let s = &g.settings;
        let d = &f.settings;
        let pairs: [(&str, Option<String>); 11] = [
            ("--msg-size", s.msg_size.clone().or(d.msg_size.clone())),
            ("--records", s.records.or(d.records).map(|v| v.to_string())),
            (
                "--db-latency",
                s.db_latency.clone().or(d.db_latency.clone()),
            ),
            ("--keys", s.keys.clone().or(d.keys.clone())),
            ("--duration", s.duration.clone().or(d.duration.clone())),
            ("--warmup", s.warmup.clone().or(d.warmup.clone())),
            ("--file-size", s.file_size.clone().or(d.file_size.clone())),
            (
                "--block-size",
                s.block_size.clone().or(d.block_size.clone()),
            ),
            ("--work", s.work.clone().or(d.work.clone())),
            (
                "--sync-every",
                s.sync_every.or(d.sync_every).map(|v| v.to_string()),
            ),
            (
                "--pool-threads",
                s.pool_threads.or(d.pool_threads).map(|v| v.to_string()),
            ),
        ];
        for (flag, v) in pairs {
            if let Some(v) = v {
                argv.extend([flag.to_string(), v]);
            }
        }
        let group_err = |msg: String| SuiteError::Parse {
            name: name.to_string(),
            msg: format!("group {}: {msg}", i + 1),
        };
        let cli = Cli::try_parse_from(&argv)
            .map_err(|e| group_err(e.to_string().lines().next().unwrap_or_default().to_string()))?;
        let Command::Run(run_args) = cli.command else {
            unreachable!("argv starts with run");
        };
        let cfg = RunConfig::from_args(&run_args).map_err(|source| SuiteError::Group {
            name: name.to_string(),
            index: i + 1,
            source,
        })?;
        groups.push(cfg);
    }
    Ok(Suite {
        name: name.to_string(),
        description: f.description,
        groups,
        repeat,
        out: a.out.clone(),
        lang: a.lang,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> BenchArgs {
        let mut v = vec!["iobound", "bench"];
        v.extend_from_slice(extra);
        match Cli::try_parse_from(v).unwrap().command {
            Command::Bench(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn built_in_suites_parse_and_check() {
        for (name, text) in BUILT_IN {
            let s = parse(name, text, &args(&[])).unwrap();
            assert!(!s.groups.is_empty(), "{name}");
            assert!(s.repeat >= 1);
        }
        let d = parse("default", BUILT_IN[0].1, &args(&["--repeat", "2"])).unwrap();
        assert_eq!(d.repeat, 2);
        // Every catalogued workload and every engine appear in the default suite.
        for w in iobound_workloads::catalog() {
            assert!(
                d.groups
                    .iter()
                    .any(|g| g.workloads.iter().any(|x| x == w.name)),
                "{} missing from the default suite",
                w.name
            );
        }
        for e in crate::engine::all() {
            assert!(d
                .groups
                .iter()
                .any(|g| g.engines.iter().any(|x| x.name() == e.name())));
        }
    }

    #[test]
    fn mistakes_name_the_suite_and_group() {
        let bad = "repeat = 1\n[[group]]\nworkloads = [\"nope\"]\nmodes = [\"uring\"]\nconcurrency = [1]\n";
        let e = parse("mine", bad, &args(&[])).err().unwrap().to_string();
        assert!(
            e.contains("suite mine, group 1") && e.contains("nope"),
            "{e}"
        );
        let typo =
            "[[group]]\nworkload = [\"file-randread\"]\nmodes = [\"uring\"]\nconcurrency = [1]\n";
        let e = parse("mine", typo, &args(&[])).err().unwrap().to_string();
        assert!(
            e.contains("unknown field") || e.contains("missing field"),
            "{e}"
        );
        assert!(matches!(
            source("no-such-suite"),
            Err(SuiteError::Unknown(_))
        ));
    }
}
