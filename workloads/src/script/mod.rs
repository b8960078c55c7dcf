//! Requests a user describes: a workload file (TOML) whose `[[step]]`s are
//! the steps every engine already interprets — database calls, compute
//! kernels, file reads and appends, echoes — checked with the file, line
//! and column of each mistake, and run as any catalogued workload.
//!
//! ```toml
//! name = "my-service"
//! description = "3 database calls of 5 ms, SHA-256 of 64 KiB, a 16 KiB read"
//! db_latency = "5ms"        # the db server's wait per call
//!
//! [[step]]
//! db = "get"                # or "put" (durable before the answer)
//! repeat = 3                # one after the other
//!
//! [[step]]
//! compute = "sha256"        # or "fnv1a" (a byte loop: holds Python's GIL)
//! size = "64K"
//!
//! [[step]]
//! read = "random"           # or "sequential"; from a data file
//! size = "16K"
//! ```
//! Other steps: `write = "append"` with `size` (and `fdatasync = true` to
//! make it durable), `echo = "64B"` (one round trip to the echo server).
//! A request holds at most [`MAX_STEPS`](crate::MAX_STEPS) steps once
//! repeats are counted, and talks to one server (db or echo).
//!
//! Not yet expressible (said here so nobody hunts for it): a latency per
//! call (every call waits the server's one `db_latency`), a weighted mix of
//! request kinds, and distributions of waits or sizes.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::catalog::{Class, Model, MAX_MSG, MAX_WORK};
use crate::compute::{kernel_shared, SPREAD};
use crate::keys::uniform;
use crate::net::Keys;
use crate::proto::Service;
use crate::step::{FileId, FileRole, FileSpec, Kernel, Msg, Request, Step};
use crate::{Workload, WorkloadParams, MAX_STEPS};

/// A mistake in a workload file: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {msg}", if *.line > 0 { format!(":{line}:{column}") } else { String::new() })]
pub struct ScriptError {
    pub file: String,
    /// From 1; 0 when the file could not be read at all.
    pub line: usize,
    pub column: usize,
    pub msg: String,
}

/// One step of a checked script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ScriptStep {
    /// A database call: GET, or a durable PUT.
    Db { put: bool },
    /// A compute kernel over `size` bytes of the shared input.
    Compute { kernel: ScriptKernel, size: u32 },
    /// A read of `size` bytes from the data file.
    Read { sequential: bool, size: u32 },
    /// An append of `size` bytes to a log file, made durable or not.
    Append { size: u32, fdatasync: bool },
    /// One round trip of `size` payload bytes to the echo server.
    Echo { size: u32 },
}

/// The kernels a script may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScriptKernel {
    Sha256,
    Fnv1a,
}

impl ScriptKernel {
    fn kernel(self) -> Kernel {
        match self {
            ScriptKernel::Sha256 => Kernel::Sha256,
            ScriptKernel::Fnv1a => Kernel::Fnv1a,
        }
    }
}

/// A checked workload file: what run.json records, so the run renders
/// again without the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The db server's wait per call, when the file sets one.
    #[serde(default, with = "opt_duration")]
    pub db_latency: Option<Duration>,
    /// The steps in order, repeats unrolled.
    pub steps: Vec<ScriptStep>,
}

mod opt_duration {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&crate::units::format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        let s: Option<String> = serde::Deserialize::deserialize(d)?;
        s.map(|s| crate::units::parse_duration(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    db_latency: Option<Spanned<String>>,
    #[serde(default)]
    step: Vec<Spanned<StepDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepDoc {
    db: Option<Spanned<String>>,
    compute: Option<Spanned<String>>,
    read: Option<Spanned<String>>,
    write: Option<Spanned<String>>,
    echo: Option<Spanned<toml::Value>>,
    size: Option<Spanned<toml::Value>>,
    repeat: Option<Spanned<i64>>,
    fdatasync: Option<bool>,
}

/// Line and column (from 1) of byte `at` of `text`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// The name a file's workload must have: lowercase letters, digits and
/// dashes, so it makes file names and fits a table.
fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 40
        && n.starts_with(|c: char| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Script {
    /// Parses and checks a workload file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Script, ScriptError> {
        let err = |at: usize, msg: String| {
            let (line, column) = position(text, at);
            ScriptError {
                file: file.to_string(),
                line,
                column,
                msg,
            }
        };
        let doc: FileDoc = toml::from_str(text).map_err(|e| {
            err(
                e.span().map_or(0, |s| s.start),
                e.message().trim().replace('\n', " "),
            )
        })?;
        let name = doc.name.get_ref();
        if !valid_name(name) {
            return Err(err(
                doc.name.span().start,
                format!(
                    "name '{name}': expected lowercase letters, digits and dashes, starting \
                     with a letter, at most 40 characters"
                ),
            ));
        }
        if crate::catalog().iter().any(|w| w.name == name) {
            return Err(err(
                doc.name.span().start,
                format!("name '{name}' is a built-in workload's: choose another"),
            ));
        }
        let db_latency = match &doc.db_latency {
            None => None,
            // A bare number would be read as seconds: a unit is required.
            Some(s) => Some(
                Some(s.get_ref())
                    .filter(|t| t.trim_end().ends_with(|c: char| c.is_ascii_alphabetic()))
                    .ok_or(())
                    .and_then(|t| crate::units::parse_duration(t).map_err(|_| ()))
                    .map_err(|_| {
                        err(
                            s.span().start,
                            format!(
                                "db_latency '{}': expected a duration with its unit, e.g. \"5ms\"",
                                s.get_ref()
                            ),
                        )
                    })?,
            ),
        };
        if doc.step.is_empty() {
            return Err(err(
                text.len(),
                "no [[step]]: a request needs at least one step".into(),
            ));
        }
        let mut steps = Vec::new();
        for s in &doc.step {
            let at = s.span().start;
            let d = s.get_ref();
            let kinds: Vec<&str> = [
                ("db", d.db.is_some()),
                ("compute", d.compute.is_some()),
                ("read", d.read.is_some()),
                ("write", d.write.is_some()),
                ("echo", d.echo.is_some()),
            ]
            .iter()
            .filter(|(_, set)| *set)
            .map(|(k, _)| *k)
            .collect();
            if kinds.len() != 1 {
                return Err(err(
                    at,
                    format!(
                        "a step is one of db, compute, read, write or echo; this one has {}",
                        if kinds.is_empty() {
                            "none".to_string()
                        } else {
                            kinds.join(" and ")
                        }
                    ),
                ));
            }
            let size = |v: &Spanned<toml::Value>,
                        max: u64,
                        what: &str|
             -> Result<u32, ScriptError> {
                let at = v.span().start;
                let toml::Value::String(s) = v.get_ref() else {
                    return Err(err(
                        at,
                        format!("{what}: expected a size with its unit in quotes, e.g. \"16K\" or \"64B\""),
                    ));
                };
                if s.trim().chars().all(|c| c.is_ascii_digit()) {
                    return Err(err(
                        at,
                        format!("{what} '{s}': a size needs its unit, e.g. \"{s}B\" or \"{s}K\""),
                    ));
                }
                match crate::units::parse_size(s) {
                    Ok(n) if (1..=max).contains(&n) => Ok(n as u32),
                    Ok(n) => Err(err(
                        at,
                        format!("{what} '{s}' ({n} bytes): expected from 1 byte to {max} bytes"),
                    )),
                    Err(_) => Err(err(
                        at,
                        format!(
                            "{what} '{s}': expected a size such as \"512B\", \"16K\" or \"1M\""
                        ),
                    )),
                }
            };
            let need_size = |max: u64| -> Result<u32, ScriptError> {
                match &d.size {
                    Some(v) => size(v, max, "size"),
                    None => Err(err(
                        at,
                        format!("a {} step needs a size, e.g. size = \"16K\"", kinds[0]),
                    )),
                }
            };
            let word = |v: &Spanned<String>, allowed: &[&str]| -> Result<String, ScriptError> {
                let w = v.get_ref().as_str();
                if allowed.contains(&w) {
                    Ok(w.to_string())
                } else {
                    Err(err(
                        v.span().start,
                        format!(
                            "{} '{w}': expected {}",
                            kinds[0],
                            allowed
                                .iter()
                                .map(|a| format!("\"{a}\""))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    ))
                }
            };
            let step = match kinds[0] {
                "db" => ScriptStep::Db {
                    put: word(d.db.as_ref().unwrap(), &["get", "put"])? == "put",
                },
                "compute" => {
                    let k = word(d.compute.as_ref().unwrap(), &["sha256", "fnv1a"])?;
                    ScriptStep::Compute {
                        kernel: if k == "sha256" {
                            ScriptKernel::Sha256
                        } else {
                            ScriptKernel::Fnv1a
                        },
                        size: need_size(MAX_WORK)?,
                    }
                }
                "read" => {
                    let how = word(d.read.as_ref().unwrap(), &["random", "sequential"])?;
                    let n = need_size(64 << 20)?;
                    if n % 512 != 0 {
                        return Err(err(
                            d.size.as_ref().unwrap().span().start,
                            format!("size {n} bytes: a read is a multiple of 512 bytes (O_DIRECT's alignment)"),
                        ));
                    }
                    ScriptStep::Read {
                        sequential: how == "sequential",
                        size: n,
                    }
                }
                "write" => {
                    word(d.write.as_ref().unwrap(), &["append"])?;
                    let n = need_size(64 << 20)?;
                    if n % 512 != 0 {
                        return Err(err(
                            d.size.as_ref().unwrap().span().start,
                            format!("size {n} bytes: an append is a multiple of 512 bytes (O_DIRECT's alignment)"),
                        ));
                    }
                    ScriptStep::Append {
                        size: n,
                        fdatasync: d.fdatasync.unwrap_or(false),
                    }
                }
                _ => ScriptStep::Echo {
                    size: size(d.echo.as_ref().unwrap(), MAX_MSG, "echo")?,
                },
            };
            if kinds[0] != "write" && d.fdatasync.is_some() {
                return Err(err(at, "fdatasync applies to a write step only".into()));
            }
            if let (Some(size), "db" | "echo") = (&d.size, kinds[0]) {
                return Err(err(
                    size.span().start,
                    format!(
                        "size does not apply to a {} step{}",
                        kinds[0],
                        if kinds[0] == "echo" {
                            " (its size is echo's value: echo = \"64B\")"
                        } else {
                            " (a record is the server's)"
                        }
                    ),
                ));
            }
            let repeat = match &d.repeat {
                None => 1,
                Some(r) => match *r.get_ref() {
                    n @ 1..=8 => n as usize,
                    n => {
                        return Err(err(
                            r.span().start,
                            format!("repeat {n}: expected 1 to {MAX_STEPS}"),
                        ))
                    }
                },
            };
            let before = steps.len();
            steps.extend(std::iter::repeat(step).take(repeat));
            // Steps a request holds (an append with fdatasync takes two).
            let held: usize = steps.iter().map(ScriptStep::held).sum();
            if held > MAX_STEPS {
                return Err(err(
                    at,
                    format!(
                        "a request holds at most {MAX_STEPS} steps (an append with fdatasync \
                         counts two): this step makes {held} ({before} before it)"
                    ),
                ));
            }
        }
        let talks = |echo: bool| {
            steps.iter().any(|s| match s {
                ScriptStep::Echo { .. } => echo,
                ScriptStep::Db { .. } => !echo,
                _ => false,
            })
        };
        if talks(true) && talks(false) {
            return Err(err(
                doc.step[0].span().start,
                "a request talks to one server: db steps and echo steps cannot be mixed".into(),
            ));
        }
        if db_latency.is_some() && !talks(false) {
            return Err(err(
                doc.db_latency.as_ref().unwrap().span().start,
                "db_latency is the db server's wait per call, but no step calls the database"
                    .into(),
            ));
        }
        Ok(Script {
            name: name.clone(),
            description: doc.description,
            db_latency,
            steps,
        })
    }

    /// Reads and checks a workload file.
    pub fn load(path: &std::path::Path) -> Result<Script, ScriptError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScriptError {
            file: file.clone(),
            line: 0,
            column: 0,
            msg: format!("cannot read it: {e}"),
        })?;
        Script::parse(&file, &text)
    }

    fn waits(&self) -> bool {
        self.steps
            .iter()
            .any(|s| !matches!(s, ScriptStep::Compute { .. }))
    }

    fn computes(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, ScriptStep::Compute { .. }))
    }

    /// The compute steps' kernels and sizes, in order (for the harness to
    /// time: how much a request computes is measured, not declared).
    pub fn compute_steps(&self) -> Vec<(Kernel, u32)> {
        self.steps
            .iter()
            .filter_map(|s| match s {
                ScriptStep::Compute { kernel, size } => Some((kernel.kernel(), *size)),
                _ => None,
            })
            .collect()
    }

    /// The class, from what a request costs: `compute_s` seconds of
    /// computing (measured by the caller) against its database waits of
    /// `db_latency` each. Waiting ten times longer than computing is
    /// I/O-bound (the lesson's web request: 3 x 10 ms against µs of
    /// rendering); computing with no wait at all is CPU-bound; a request
    /// with file or echo steps, whose waits are not known ahead, computing
    /// as long as a tenth of its known waits or more, is mixed.
    pub fn class_given(&self, compute_s: f64, db_latency: Duration) -> Class {
        let db_wait = self.db_calls() as f64 * db_latency.as_secs_f64();
        let other_waits = self.steps.iter().any(|s| {
            matches!(
                s,
                ScriptStep::Read { .. } | ScriptStep::Append { .. } | ScriptStep::Echo { .. }
            )
        });
        match (self.computes(), self.waits()) {
            (false, _) => Class::IoBound,
            (true, false) => Class::CpuBound,
            _ if db_wait > 0.0 && compute_s <= 0.1 * db_wait => Class::IoBound,
            _ if !other_waits && compute_s >= 10.0 * db_wait => Class::CpuBound,
            _ => Class::Mixed,
        }
    }

    /// The class from the steps alone: only computing is CPU-bound, only
    /// waiting I/O-bound, both mixed (what [`Script::class_given`] says
    /// when their costs are close).
    pub fn class(&self) -> Class {
        match (self.waits(), self.computes()) {
            (true, true) => Class::Mixed,
            (false, true) => Class::CpuBound,
            _ => Class::IoBound,
        }
    }
}

/// The model the lesson predicts for a class.
pub fn prediction(class: Class) -> Model {
    match class {
        Class::IoBound => Model::EventLoop,
        Class::CpuBound => Model::Pool,
        Class::Mixed => Model::EventLoopPool,
    }
}

impl Script {
    /// Database calls a request makes.
    pub fn db_calls(&self) -> u32 {
        self.steps
            .iter()
            .filter(|s| matches!(s, ScriptStep::Db { .. }))
            .count() as u32
    }

    /// A one-line description for `iobound list` and the reports.
    pub fn summary(&self) -> String {
        if !self.description.is_empty() {
            return self.description.clone();
        }
        let kib = size_text;
        self.steps
            .iter()
            .map(|s| match s {
                ScriptStep::Db { put } => format!("db {}", if *put { "put" } else { "get" }),
                ScriptStep::Compute { kernel, size } => {
                    format!("{} of {}", kernel.kernel().name(), kib(*size))
                }
                ScriptStep::Read { sequential, size } => format!(
                    "{} read of {}",
                    if *sequential { "sequential" } else { "random" },
                    kib(*size)
                ),
                ScriptStep::Append { size, fdatasync } => format!(
                    "append of {}{}",
                    kib(*size),
                    if *fdatasync { " + fdatasync" } else { "" }
                ),
                ScriptStep::Echo { size } => format!("echo of {}", kib(*size)),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The workload, with the run's parameters (data file size, keys,
    /// records, seed).
    pub fn build(&self, p: &WorkloadParams) -> Result<Box<dyn Workload>, crate::WorkloadError> {
        let reads = self
            .steps
            .iter()
            .any(|s| matches!(s, ScriptStep::Read { .. }));
        let appends = self
            .steps
            .iter()
            .any(|s| matches!(s, ScriptStep::Append { .. }));
        let largest_io = self
            .steps
            .iter()
            .map(|s| match s {
                ScriptStep::Read { size, .. } | ScriptStep::Append { size, .. } => *size as u64,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        if (reads || appends) && (p.file_size < largest_io || p.file_size % largest_io != 0) {
            return Err(crate::WorkloadError::Invalid(format!(
                "file size {} must be a multiple of the largest read or append ({largest_io})",
                p.file_size
            )));
        }
        let mut files = Vec::new();
        let data = reads.then(|| {
            files.push(FileSpec {
                role: FileRole::Data,
                size: p.file_size,
            });
            FileId(files.len() as u8 - 1)
        });
        let log = appends.then(|| {
            files.push(FileSpec {
                role: FileRole::Log,
                size: p.file_size,
            });
            FileId(files.len() as u8 - 1)
        });
        let compute = self
            .steps
            .iter()
            .map(|s| match s {
                ScriptStep::Compute { size, .. } => *size as u64 + SPREAD,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        let max_transfer = self
            .steps
            .iter()
            .map(|s| match s {
                ScriptStep::Read { size, .. } | ScriptStep::Append { size, .. } => *size as usize,
                ScriptStep::Echo { size } => crate::proto::HEADER + 1 + *size as usize,
                ScriptStep::Db { .. } => crate::proto::PUT_FRAME,
                ScriptStep::Compute { .. } => 0,
            })
            .max()
            .unwrap_or(0);
        let service = self.steps.iter().find_map(|s| match s {
            ScriptStep::Db { .. } => Some(Service::Db),
            ScriptStep::Echo { .. } => Some(Service::Echo),
            _ => None,
        });
        if service == Some(Service::Db) && p.records == 0 {
            return Err(crate::WorkloadError::Invalid(
                "--records must be at least 1".into(),
            ));
        }
        Ok(Box::new(Scripted {
            // Named once per build; the name outlives the run's cells.
            name: Box::leak(self.name.clone().into_boxed_str()),
            steps: self.steps.clone(),
            files,
            data,
            log,
            keys: Keys::new(p.keys == crate::KeyDist::Uniform, p.records.max(1), p.seed),
            seed: p.seed,
            compute_input: compute as usize,
            max_transfer,
            service,
            db_calls: self.db_calls(),
        }))
    }
}

/// A size as a file writes it: "64K", "1M", "100B".
fn size_text(n: u32) -> String {
    match n {
        n if n % (1 << 20) == 0 => format!("{}M", n >> 20),
        n if n % 1024 == 0 => format!("{}K", n >> 10),
        n => format!("{n}B"),
    }
}

impl ScriptStep {
    /// Steps of a request this one takes.
    fn held(&self) -> usize {
        match self {
            ScriptStep::Append {
                fdatasync: true, ..
            } => 2,
            _ => 1,
        }
    }
}

/// A script as a [`Workload`].
#[derive(Debug)]
struct Scripted {
    name: &'static str,
    steps: Vec<ScriptStep>,
    files: Vec<FileSpec>,
    data: Option<FileId>,
    log: Option<FileId>,
    keys: Keys,
    seed: u64,
    compute_input: usize,
    max_transfer: usize,
    service: Option<Service>,
    db_calls: u32,
}

impl Workload for Scripted {
    fn name(&self) -> &'static str {
        self.name
    }
    fn files(&self) -> &[FileSpec] {
        &self.files
    }
    fn max_transfer(&self) -> usize {
        self.max_transfer
    }
    fn request(&self, i: u64) -> Request {
        let mut r = Request::new();
        let n = self.steps.len() as u64;
        for (j, s) in self.steps.iter().enumerate() {
            // Draw `i * n + j`: every step of every request its own draw.
            let draw = i * n + j as u64;
            match *s {
                ScriptStep::Db { put } => {
                    let key = self.keys.key(draw);
                    r.push(Step::Exchange {
                        msg: if put {
                            Msg::Put { key }
                        } else {
                            Msg::Get { key }
                        },
                    });
                }
                ScriptStep::Compute { kernel, size } => {
                    r.push(kernel_shared(kernel.kernel(), self.seed, draw, size));
                }
                ScriptStep::Read { sequential, size } => {
                    let file = self.data.expect("a read makes a data file");
                    let blocks = self.files[file.index()].size / size as u64;
                    let block = if sequential {
                        draw % blocks
                    } else {
                        uniform(self.seed, draw, blocks)
                    };
                    r.push(Step::Read {
                        file,
                        offset: block * size as u64,
                        len: size,
                    });
                }
                ScriptStep::Append { size, fdatasync } => {
                    let file = self.log.expect("an append makes a log file");
                    r.push(Step::Append { file, len: size });
                    if fdatasync {
                        r.push(Step::Fdatasync { file });
                    }
                }
                ScriptStep::Echo { size } => r.push(Step::Exchange {
                    msg: Msg::Echo { len: size },
                }),
            }
        }
        r
    }
    fn compute_input(&self) -> usize {
        self.compute_input
    }
    fn computes(&self) -> bool {
        self.compute_input > 0
    }
    fn service(&self) -> Option<Service> {
        self.service
    }
    fn min_db_queries(&self) -> u32 {
        self.db_calls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Script, ScriptError> {
        Script::parse("w.toml", text)
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    const SERVICE: &str = r#"
name = "my-service"
db_latency = "5ms"

[[step]]
db = "get"
repeat = 3

[[step]]
compute = "sha256"
size = "64K"
"#;

    #[test]
    fn a_service_file_reads_into_its_steps_and_class() {
        let s = parse(SERVICE).unwrap();
        assert_eq!(s.steps.len(), 4);
        assert_eq!(s.db_latency, Some(Duration::from_millis(5)));
        assert_eq!(s.class(), Class::Mixed);
        // 3 x 5 ms of waiting against 30 µs of hashing: I/O-bound; against
        // 10 ms, mixed; with no wait at all (latency 0), CPU-bound.
        let ms = Duration::from_millis(5);
        assert_eq!(s.class_given(30e-6, ms), Class::IoBound);
        assert_eq!(s.class_given(10e-3, ms), Class::Mixed);
        assert_eq!(s.class_given(30e-6, Duration::ZERO), Class::CpuBound);
        assert_eq!(s.db_calls(), 3);
        let w = s.build(&WorkloadParams::default()).unwrap();
        assert_eq!(w.name(), "my-service");
        assert_eq!(w.service(), Some(Service::Db));
        let r = w.request(7);
        assert_eq!(r.len(), 4);
        assert!(r.steps()[3].is_compute());
        // Deterministic: the same request twice.
        assert_eq!(w.request(7), r);
        // run.json's copy reads back the same.
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Script>(&json).unwrap(), s);
    }

    #[test]
    fn mistakes_are_one_line_with_file_line_and_column() {
        for (text, want) in [
            (
                "name = \"x\"\n[[step]]\ndbb = \"get\"\n",
                "w.toml:3:1: unknown field `dbb`",
            ),
            (
                "name = \"x\"\n[[step]]\ncompute = \"sha256\"\nsize = 4096\n",
                "w.toml:4:8: size: expected a size with its unit",
            ),
            (
                "name = \"x\"\n[[step]]\ncompute = \"sha256\"\nsize = \"4096\"\n",
                "w.toml:4:8: size '4096': a size needs its unit",
            ),
            (
                "name = \"x\"\n[[step]]\ncompute = \"md5\"\nsize = \"4K\"\n",
                "w.toml:3:11: compute 'md5': expected \"sha256\" or \"fnv1a\"",
            ),
            ("name = \"x\"\n", "no [[step]]"),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nrepeat = 9\n",
                "w.toml:4:10: repeat 9: expected 1 to 8",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nrepeat = 8\n[[step]]\necho = \"64B\"\n",
                "at most 8 steps",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\n[[step]]\necho = \"64B\"\n",
                "cannot be mixed",
            ),
            (
                "name = \"db-web\"\n[[step]]\ndb = \"get\"\n",
                "w.toml:1:8: name 'db-web' is a built-in",
            ),
            (
                "name = \"x\"\ndb_latency = \"5\"\n[[step]]\ndb = \"get\"\n",
                "w.toml:2:14: db_latency '5'",
            ),
            (
                "name = \"x\"\n[[step]]\nread = \"random\"\nsize = \"1000B\"\n",
                "multiple of 512",
            ),
            (
                "name = \"x\"\n[[step]]\nsize = \"4K\"\n",
                "this one has none",
            ),
            ("name = \"x\"\n[[step\n", "w.toml:2:"),
        ] {
            let e = error(text);
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn every_step_kind_builds_into_the_engines_steps() {
        let s = parse(
            r#"
name = "every-step"
[[step]]
read = "random"
size = "4K"
[[step]]
read = "sequential"
size = "8K"
[[step]]
write = "append"
size = "4K"
fdatasync = true
[[step]]
compute = "fnv1a"
size = "1K"
[[step]]
echo = "64B"
"#,
        )
        .unwrap();
        let w = s
            .build(&WorkloadParams {
                file_size: 1 << 20,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(w.files().len(), 2);
        let r = w.request(3);
        let kinds: Vec<&str> = r
            .steps()
            .iter()
            .map(|s| match s {
                Step::Read { .. } => "read",
                Step::Append { .. } => "append",
                Step::Fdatasync { .. } => "sync",
                Step::Compute { .. } => "compute",
                Step::Exchange { .. } => "exchange",
                Step::Write { .. } => "write",
            })
            .collect();
        assert_eq!(
            kinds,
            ["read", "read", "append", "sync", "compute", "exchange"]
        );
        for i in 0..1000 {
            for st in w.request(i).steps() {
                if let Step::Read { offset, len, .. } = st {
                    assert!(offset % *len as u64 == 0 && offset + *len as u64 <= 1 << 20);
                }
            }
        }
        assert_eq!(s.class(), Class::Mixed);
    }
}
