//! Suite files (`workloads/suites/*.toml`): several `iobound run` matrices
//! under one name. Each group is turned into the flags of `iobound run` and
//! checked by the same code, so a suite accepts exactly what the command
//! line accepts.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{BenchArgs, Command};
use crate::config::{ConfigError, RunConfig};
use crate::run::Suite;

/// The suites compiled into the binary, so `--suite NAME` works anywhere.
pub const BUILT_IN: [(&str, &str); 3] = [
    (
        "default",
        include_str!("../../workloads/suites/default.toml"),
    ),
    ("quick", include_str!("../../workloads/suites/quick.toml")),
    ("python", include_str!("../../workloads/suites/python.toml")),
];

#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("no suite '{name}' (built-in: default, quick, python; or the path of a .toml file){}",
            crate::config::did_you_mean_text(.hint))]
    Unknown { name: String, hint: Option<String> },
    #[error("cannot read suite {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("suite {name}: {msg}")]
    Parse { name: String, msg: String },
    #[error("suite {name}, group {index} (line {line}): {msg}")]
    Flag {
        name: String,
        index: usize,
        line: usize,
        msg: String,
    },
    #[error("suite {name}, group {index} (line {line}): {source}")]
    Group {
        name: String,
        index: usize,
        line: usize,
        #[source]
        source: ConfigError,
    },
}

/// Keys of a suite file that are not `iobound run` flags.
const META: [&str; 4] = ["description", "repeat", "budget", "group"];

#[derive(Debug, Deserialize)]
struct SuiteFile {
    #[serde(default)]
    description: String,
    #[serde(default = "one")]
    repeat: u32,
    /// The longest a run of the suite should take ("12m"): a plan whose
    /// estimate exceeds it says so before its first cell.
    #[serde(default)]
    budget: Option<String>,
    #[serde(default)]
    group: Vec<toml::Spanned<toml::Table>>,
    /// Every other top-level key: a flag for every group.
    #[serde(flatten)]
    settings: toml::Table,
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
        return Err(SuiteError::Unknown {
            name: arg.to_string(),
            hint: crate::config::did_you_mean(arg, BUILT_IN.iter().map(|(n, _)| *n)),
        });
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

/// The `iobound run` flag a suite key stands for: `block_size` is
/// `--block-size`; the matrix keys are plural in suites.
fn flag_of(key: &str) -> String {
    let key = match key {
        "workloads" => "workload",
        "modes" => "mode",
        "rates" => "rate",
        k => k,
    };
    format!("--{}", key.replace('_', "-"))
}

/// A suite value as the command line spells it: lists comma-separated,
/// `true` as the bare flag, `false` as no flag at all.
fn push_flag(argv: &mut Vec<String>, key: &str, v: &toml::Value) -> Result<(), String> {
    let scalar = |v: &toml::Value| -> Result<String, String> {
        match v {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(f) => Ok(f.to_string()),
            other => Err(format!("'{key}': {} is not a value", other.type_str())),
        }
    };
    match v {
        toml::Value::Boolean(true) => argv.push(flag_of(key)),
        toml::Value::Boolean(false) => {}
        toml::Value::Array(items) => {
            let parts = items.iter().map(scalar).collect::<Result<Vec<_>, _>>()?;
            argv.extend([flag_of(key), parts.join(",")]);
        }
        v => argv.extend([flag_of(key), scalar(v)?]),
    }
    Ok(())
}

/// The one-line gist of a clap error, naming the suite key rather than the
/// flag it became.
fn key_error(e: &clap::Error) -> String {
    let line = crate::config::clap_one_line(e);
    // Flags back into suite keys: '--block-size' reads as 'block_size'.
    let mut out = String::with_capacity(line.len());
    let mut rest = line.as_str();
    while let Some(i) = rest.find("'--") {
        out.push_str(&rest[..i + 1]);
        let after = &rest[i + 3..];
        let end = after.find(['\'', ' ', '=', '<']).unwrap_or(after.len());
        out.push_str(&after[..end].replace('-', "_"));
        rest = &after[end..];
    }
    out.push_str(rest);
    out.replace("unexpected argument", "unknown key")
        .replace("a similar argument exists", "a similar key exists")
}

/// Line (1-based) of byte `pos` in `text`.
fn line_of(text: &str, pos: usize) -> usize {
    text[..pos.min(text.len())].matches('\n').count() + 1
}

/// Parses a suite and checks every group as `iobound run` would: each key
/// becomes the flag of the same name, so a suite accepts exactly what the
/// command line accepts (engine options included).
pub fn parse(name: &str, text: &str, a: &BenchArgs) -> Result<Suite, SuiteError> {
    let parse_err = |msg: String| SuiteError::Parse {
        name: name.to_string(),
        msg,
    };
    // TOML's own message spans several lines with a drawing of the spot:
    // one line here, with the position.
    let f: SuiteFile = toml::from_str(text).map_err(|e| {
        parse_err(match e.span() {
            Some(span) => {
                let line = line_of(text, span.start);
                let col = span.start - text[..span.start].rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("line {line}, column {col}: {}", e.message().trim())
            }
            None => e.message().trim().to_string(),
        })
    })?;
    if f.group.is_empty() {
        return Err(parse_err("no [[group]]".into()));
    }
    if a.repeat.is_none() && !(1..=crate::cli::MAX_REPEAT).contains(&f.repeat) {
        return Err(parse_err(format!(
            "top-level key 'repeat': must be from 1 to {}",
            crate::cli::MAX_REPEAT
        )));
    }
    let repeat = a.repeat.unwrap_or(f.repeat);
    let budget = f
        .budget
        .as_deref()
        .map(iobound_workloads::units::duration_arg)
        .transpose()
        .map_err(|e| parse_err(format!("budget: {e}")))?;
    let mut groups = Vec::with_capacity(f.group.len());
    let mut unused_by: Vec<Vec<(String, String)>> = Vec::new();
    for (i, g) in f.group.iter().enumerate() {
        let at = GroupAt {
            name,
            top: &f.settings,
            own: g.get_ref(),
            index: i + 1,
            // The group's span starts at its `[[group]]` header.
            line: line_of(text, g.span().start),
        };
        let (cfg, unused) = at.config(a, repeat)?;
        groups.push(cfg);
        unused_by.push(unused);
    }
    // A top-level key that serves no group at all is a mistake, as the
    // same flag on `iobound run` is.
    if let Some((k, why)) = unused_by.first().and_then(|first| {
        first
            .iter()
            .find(|(k, _)| unused_by.iter().all(|u| u.iter().any(|(j, _)| j == k)))
    }) {
        return Err(SuiteError::Parse {
            name: name.to_string(),
            msg: format!("top-level key '{k}' changes nothing for any group: {why}"),
        });
    }
    let suite = Suite {
        name: name.to_string(),
        description: f.description,
        groups,
        repeat,
        out: a.output.out.clone(),
        lang: a.lang.lang,
        budget,
    };
    check_distinct(&suite)?;
    Ok(suite)
}

/// Two groups running the same cell would write one file over the other
/// and read as repetitions of one cell: refused, saying how to part them.
fn check_distinct(suite: &Suite) -> Result<(), SuiteError> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (g, cfg) in suite.groups.iter().enumerate() {
        let names: Vec<&str> = cfg.workloads.iter().map(String::as_str).collect();
        for stem in crate::run::group_stems(cfg, &names) {
            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == stem) {
                return Err(SuiteError::Parse {
                    name: suite.name.clone(),
                    msg: format!(
                        "groups {} and {} both run the cell {stem}: give them different `label`s (or drop the repeat)",
                        first + 1,
                        g + 1
                    ),
                });
            }
            seen.push((stem, g));
        }
    }
    Ok(())
}

/// One group of a suite being checked, for errors that point at it (or at
/// the top of the file, for a key the group does not set itself).
struct GroupAt<'a> {
    /// The suite's name.
    name: &'a str,
    /// The keys at the top of the file, for every group.
    top: &'a toml::Table,
    /// The group's own keys.
    own: &'a toml::Table,
    /// From 1.
    index: usize,
    line: usize,
}

impl GroupAt<'_> {
    /// The group's checked config: its keys as `iobound run`'s flags, with
    /// `bench`'s own (--out, --repeat, --data-dir, --time-scale).
    /// Also the top-level keys left out of this group, each with why.
    #[allow(clippy::type_complexity)]
    fn config(
        &self,
        a: &BenchArgs,
        repeat: u32,
    ) -> Result<(RunConfig, Vec<(String, String)>), SuiteError> {
        // The suite's settings first, the group's own after: the last wins.
        let mut keys = toml::Table::new();
        keys.extend(self.top.clone());
        keys.extend(self.own.clone());
        // A top-level flag that changes nothing for this group's workloads
        // (`db_latency` beside a cpu-hash group) serves the other groups:
        // left out here, the group is checked again without it.
        let mut unused = Vec::new();
        loop {
            match self.config_with(a, repeat, &keys) {
                Err((_, Some((k, why)))) => {
                    keys.remove(&k);
                    unused.push((k, why));
                }
                r => return r.map(|cfg| (cfg, unused)).map_err(|(e, _)| e),
            }
        }
    }

    /// [`GroupAt::config`] with these keys; on a refusal, the top-level
    /// key at fault when it is one the group does not read, and why.
    #[allow(clippy::result_large_err, clippy::type_complexity)]
    fn config_with(
        &self,
        a: &BenchArgs,
        repeat: u32,
        keys: &toml::Table,
    ) -> Result<RunConfig, (SuiteError, Option<(String, String)>)> {
        let plain = |e: SuiteError| (e, None);
        let mut argv: Vec<String> = vec!["iobound".into(), "run".into()];
        for (k, v) in keys {
            if META.contains(&k.as_str()) || k == "out" {
                return Err(plain(self.key_err(
                    k,
                    format!("'{k}' cannot be set in a suite file (it is a flag of `iobound bench`, or the suite's own)"),
                )));
            }
            // `iobound bench --data-dir` overrides the suite's, as --repeat does.
            if k == "data_dir" && a.data.data_dir.is_some() {
                continue;
            }
            push_flag(&mut argv, k, v).map_err(|m| plain(self.key_err(k, m)))?;
        }
        argv.extend([
            "--out".into(),
            a.output.out.display().to_string(),
            "--repeat".into(),
            repeat.to_string(),
        ]);
        argv.extend(a.data.to_argv());
        // The suite key a flag came from (`--rate` from `rates`), if any.
        let key_of = |flag: &str| -> Option<String> {
            keys.keys()
                .find(|k| flag_of(k) == format!("--{flag}"))
                .cloned()
        };
        let (cli, settings) =
            crate::config::parse_args(&argv).map_err(|e| plain(self.args_err(&e, &key_of)))?;
        let Command::Run(run_args) = cli.command else {
            unreachable!("argv starts with run");
        };
        // A mistake in a key set at the top of the file, for every group, is
        // said to be there (a group-wide check, such as --max-threads against
        // the matrix, stays the group's).
        let group_err = |source: ConfigError| match source.flag().and_then(key_of) {
            Some(k) if self.top_only(&k) => SuiteError::Parse {
                name: self.name.to_string(),
                msg: format!("top-level key '{k}': {source}"),
            },
            _ => SuiteError::Group {
                name: self.name.to_string(),
                index: self.index,
                line: self.line,
                source,
            },
        };
        let mut cfg = match RunConfig::from_args(&run_args, settings) {
            Ok(cfg) => cfg,
            Err(e @ ConfigError::Unused { .. }) => {
                let why = e.to_string();
                let unused = e.flag().and_then(key_of).filter(|k| self.top_only(k));
                return Err((group_err(e), unused.map(|k| (k, why))));
            }
            Err(e) => return Err(plain(group_err(e))),
        };
        // A parameter the group sets for workloads that ignore it; one set
        // at the top of the file serves the groups that read it.
        let unread = crate::config::unread_params(&cfg.file.params, &cfg.workloads);
        if let Some((_, e)) = unread.into_iter().find(|(k, _)| !self.top_only(k)) {
            return Err(plain(group_err(e)));
        }
        if a.time_scale != 1.0 {
            cfg.file.scale_time(a.time_scale);
            // Scaled down, a cell may no longer fit one request's wait.
            cfg.check_wait_fits().map_err(|e| {
                plain(self.flag_err(format!(
                    "{e} (durations here are the suite's times --time-scale {})",
                    a.time_scale
                )))
            })?;
        }
        Ok(cfg)
    }

    fn flag_err(&self, msg: String) -> SuiteError {
        SuiteError::Flag {
            name: self.name.to_string(),
            index: self.index,
            line: self.line,
            msg,
        }
    }

    /// A key the group does not set came from the top of the file: an
    /// error about it says so rather than pointing at this group.
    fn top_only(&self, k: &str) -> bool {
        self.top.contains_key(k) && !self.own.contains_key(k)
    }

    fn key_err(&self, k: &str, msg: String) -> SuiteError {
        match self.top_only(k) {
            true => SuiteError::Parse {
                name: self.name.to_string(),
                msg: format!("top-level key '{k}': {msg}"),
            },
            false => self.flag_err(msg),
        }
    }

    /// A flag the command line's parser refused, said of the key it came
    /// from.
    fn args_err(&self, e: &clap::Error, key_of: &dyn Fn(&str) -> Option<String>) -> SuiteError {
        let msg = key_error(e);
        // "unknown key 'foo' found": which key, to say where it came from.
        let unknown = msg
            .split('\'')
            .nth(1)
            .filter(|k| msg.contains(&format!("unknown key '{k}'")))
            .map(str::to_string);
        // A value the flag refused: the flag clap names ("--duration <DURATION>").
        let refused = || {
            use clap::error::{ContextKind, ContextValue};
            match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::String(arg)) => arg
                    .trim_start_matches('-')
                    .split([' ', '='])
                    .next()
                    .and_then(key_of),
                _ => None,
            }
        };
        match unknown.or_else(refused).filter(|k| self.top_only(k)) {
            Some(k) => self.key_err(&k, msg.clone()),
            None => self.flag_err(msg.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> BenchArgs {
        let mut v = vec!["iobound", "bench"];
        v.extend_from_slice(extra);
        match crate::config::parse_args(v).unwrap().0.command {
            Command::Bench(a) => a,
            _ => unreachable!(),
        }
    }

    /// Every `iobound run` flag is a suite key, engine options included,
    /// with no table to keep in step.
    #[test]
    fn any_run_flag_is_a_suite_key() {
        let text = "seed = 7\n[[group]]\nworkloads = [\"db-ycsb-c\"]\nmodes = [\"threads\"]\nconcurrency = [4, 8]\nrates = [100, 200]\nops_per_request = 2\npool_threads = 3\ndirect = true\n";
        let s = parse("keys", text, &args(&[])).unwrap();
        let g = &s.groups[0];
        assert_eq!(g.concurrency, [4, 8]);
        assert_eq!(g.rates, [100.0, 200.0]);
        assert_eq!(g.file.params.seed, 7);
        assert_eq!(g.file.params.ops_per_request, 2);
        assert!(g.file.direct);
        assert_eq!(
            g.file
                .settings
                .get::<crate::engine::pool::Options>()
                .pool_threads,
            Some(3)
        );
    }

    /// An outsider's finding: a top-level `db_latency` (or `direct`)
    /// beside a cpu-hash group was refused as changing nothing for it,
    /// though the README says a top-level key serves the groups that read
    /// it. It does; one that serves no group is still refused.
    #[test]
    fn a_top_level_flag_serves_the_groups_that_read_it() {
        let groups =
            "[[group]]\nworkloads = [\"cpu-hash\"]\n[[group]]\nworkloads = [\"db-ycsb-c\"]\n";
        let text = format!("db_latency = \"2ms\"\ndirect = true\n{groups}");
        let s = parse("top", &text, &args(&[])).unwrap();
        assert!(!s.groups[0].file.direct);
        assert!(s.groups[1].file.direct);
        assert_eq!(
            s.groups[1].file.db_latency,
            std::time::Duration::from_millis(2)
        );
        assert_eq!(s.groups[0].record().db_latency, None);
        let e = parse(
            "top",
            "db_latency = \"2ms\"\n[[group]]\nworkloads = [\"cpu-hash\"]\n",
            &args(&[]),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.contains("top-level key 'db_latency' changes nothing for any group"),
            "{e}"
        );
    }

    /// A mistake in a top-level key is said to be there, not in a group; and
    /// `bench --data-dir` overrides a suite's `data_dir` (both were refused
    /// or misplaced, found by an outside tester).
    #[test]
    fn top_level_keys_are_named_as_such_and_bench_flags_win() {
        let text = "blok_size = \"4K\"\n[[group]]\nworkloads = [\"cpu-hash\"]\n";
        let e = parse("top", text, &args(&[])).err().unwrap().to_string();
        assert!(
            e.contains("top-level key 'blok_size'") && e.contains("block_size"),
            "{e}"
        );
        let text = "data_dir = \"/tmp/a\"\n[[group]]\nworkloads = [\"cpu-hash\"]\n";
        let s = parse("top", text, &args(&["--data-dir", "/tmp/b"])).unwrap();
        assert_eq!(s.groups[0].file.data_dir, std::path::Path::new("/tmp/b"));
    }

    /// Two groups that would run the same cell are refused: their files
    /// would overwrite each other and read as repetitions of one cell.
    #[test]
    fn groups_running_the_same_cell_are_refused() {
        let text = "[[group]]\nworkloads = [\"cpu-hash\"]\nmodes = [\"uring\"]\nconcurrency = [4]\nwork = \"4K\"\n[[group]]\nworkloads = [\"cpu-hash\"]\nmodes = [\"uring\"]\nconcurrency = [4]\nwork = \"1M\"\n";
        let e = parse("dup", text, &args(&[])).err().unwrap().to_string();
        assert!(
            e.contains("groups 1 and 2 both run the cell cpu-hash.uring.c4") && e.contains("label"),
            "{e}"
        );
        let labelled = text.replace("work = \"1M\"", "work = \"1M\"\nlabel = \"big\"");
        assert!(parse("dup", &labelled, &args(&[])).is_ok());
    }

    /// Two groups of one workload with different parameters stay apart:
    /// their cells carry each group's label, in their keys and file names.
    #[test]
    fn labels_keep_groups_of_one_workload_apart() {
        let text = "[[group]]\nworkloads = [\"mixed-db\"]\nmodes = [\"threads\"]\nwork = \"4K\"\nlabel = \"w4K\"\n[[group]]\nworkloads = [\"mixed-db\"]\nmodes = [\"threads\"]\nwork = \"2M\"\nlabel = \"w2M\"\n";
        let s = parse("labels", text, &args(&[])).unwrap();
        let names = vec![vec!["mixed-db"], vec!["mixed-db"]];
        let stems: Vec<String> = crate::run::plan_stems(&s, &names);
        assert_eq!(
            stems,
            ["mixed-db.w4K.threads.c16", "mixed-db.w2M.threads.c16"]
        );
        let bad = "[[group]]\nworkloads = [\"mixed-db\"]\nlabel = \"a b\"\n";
        let e = parse("labels", bad, &args(&[])).err().unwrap().to_string();
        assert!(e.contains("'a b'"), "{e}");
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
        // A group without `modes` runs every engine, so a new engine is in
        // the default suite without the suite naming it.
        for e in crate::engine::all() {
            assert!(
                d.groups
                    .iter()
                    .any(|g| g.engines.iter().any(|x| x.name() == e.name())),
                "{} missing from the default suite",
                e.name()
            );
        }
    }

    /// Issue 18: a bad value of a top-level key names that key, not
    /// "group 1" (an unknown top-level key already did; a value the flag
    /// refuses, or the run's checks refuse, did not).
    #[test]
    fn bad_values_of_top_level_keys_name_the_key() {
        for (top, key) in [
            ("duration = \"soon\"", "duration"),
            ("concurrency = [0]", "concurrency"),
            ("workloads = [\"nope\"]", "workloads"),
            ("rates = [-5]", "rates"),
            ("repeat = 0", "repeat"),
        ] {
            let text = format!("{top}\n[[group]]\nmodes = [\"threads\"]\n");
            let e = parse("top", &text, &args(&[])).err().unwrap().to_string();
            assert!(
                e.starts_with(&format!("suite top: top-level key '{key}': ")),
                "{e}"
            );
            assert!(!e.contains("group"), "{e}");
        }
        // Set in the group itself, the group is named.
        let text = "[[group]]\nduration = \"soon\"\n";
        let e = parse("g", text, &args(&[])).err().unwrap().to_string();
        assert!(e.contains("group 1 (line 1)"), "{e}");
    }

    /// Issue 18: `bench --repeat 0` is the flag's mistake, said as such
    /// (it was blamed on a line of the suite, the first group's).
    #[test]
    fn a_bad_bench_flag_is_named_as_the_flag() {
        let e = crate::config::parse_args(["iobound", "bench", "--repeat", "0"])
            .err()
            .unwrap();
        let line = crate::config::clap_one_line(&e);
        assert!(
            line.contains("'--repeat <N>'") && line.ends_with("must be at least 1"),
            "{line}"
        );
    }

    #[test]
    fn mistakes_name_the_suite_and_group() {
        let bad = "repeat = 1\n[[group]]\nworkloads = [\"nope\"]\nmodes = [\"uring\"]\nconcurrency = [1]\n";
        let e = parse("mine", bad, &args(&[])).err().unwrap().to_string();
        assert!(
            e.contains("suite mine, group 1 (line 2)") && e.contains("nope"),
            "{e}"
        );
        let typo = "duration = \"1s\"\n\n[[group]]\nworkloads = [\"file-randread\"]\n\n[[group]]\nworkloads = [\"file-randread\"]\nblock_sise = \"4K\"\n";
        let e = parse("mine", typo, &args(&[])).err().unwrap().to_string();
        assert!(
            e.contains("group 2 (line 6)")
                && e.contains("unknown key 'block_sise'")
                && e.contains("block_size"),
            "{e}"
        );
        assert!(matches!(
            source("no-such-suite"),
            Err(SuiteError::Unknown { hint: None, .. })
        ));
    }

    /// A group's own parameter that none of its workloads reads is refused
    /// with the group's position; the same key at the top serves the
    /// groups that read it and is accepted.
    #[test]
    fn a_group_parameter_its_workloads_ignore_is_refused() {
        let group =
            "[[group]]\nworkloads = [\"net-echo\"]\nmodes = [\"uring\"]\nconcurrency = [1]\n";
        let bad = format!("repeat = 1\n{group}work = \"8K\"\n");
        let e = parse("mine", &bad, &args(&[])).err().unwrap().to_string();
        assert!(
            e.contains("group 1 (line 2)") && e.contains("--work changes nothing for net-echo"),
            "{e}"
        );
        let top = format!("repeat = 1\nwork = \"8K\"\n{group}");
        assert!(parse("mine", &top, &args(&[])).is_ok());
    }

    /// Issue 13: a mistyped suite name gets a "did you mean" (fails
    /// without the suggestion), and a TOML mistake is one line with its
    /// position.
    #[test]
    fn a_mistyped_suite_name_is_suggested() {
        let e = source("quik").err().unwrap().to_string();
        assert!(e.contains("did you mean 'quick'?"), "{e}");
        let e = parse("bad", "repeat = 1\nduration = \"1s\n", &args(&[]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("suite bad: line 2, column "), "{e}");
        assert!(!e.contains('\n') && !e.contains('|'), "{e}");
    }
}
