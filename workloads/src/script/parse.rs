//! A workload file read and checked: the TOML as written, then each step
//! alone, then the request as a whole, every mistake with its file, line
//! and column.

use toml::{Spanned, Value};

use super::dist::{self, Dist};
use super::{RequestKind, Script, ScriptError, ScriptKernel, ScriptStep};
use crate::catalog::{MAX_MSG, MAX_WORK};
use crate::MAX_STEPS;

// Every value is read as a `toml::Value` and its type checked here: serde's
// own type errors say "expected i64", not what the key means.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    name: Spanned<Value>,
    description: Option<Spanned<Value>>,
    db_latency: Option<Spanned<Value>>,
    #[serde(default)]
    step: Vec<Spanned<StepDoc>>,
    #[serde(default)]
    kind: Vec<Spanned<KindDoc>>,
}

/// One `[[kind]]` of a mix.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KindDoc {
    name: Option<Spanned<Value>>,
    weight: Option<Spanned<Value>>,
    #[serde(default)]
    step: Vec<Spanned<StepDoc>>,
}

/// Largest weight of a kind: weights are summed in a u32 with room to spare.
const MAX_WEIGHT: i64 = 1_000_000;
/// Longest wait a call may ask of the server.
const MAX_WAIT_US: u64 = crate::proto::MAX_WAIT_US as u64;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StepDoc {
    db: Option<Spanned<Value>>,
    compute: Option<Spanned<Value>>,
    read: Option<Spanned<Value>>,
    write: Option<Spanned<Value>>,
    echo: Option<Spanned<Value>>,
    size: Option<Spanned<Value>>,
    wait: Option<Spanned<Value>>,
    repeat: Option<Spanned<Value>>,
    fdatasync: Option<Spanned<Value>>,
}

/// Line and column (from 1) of byte `at` of `text`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// A value as the file writes it, for errors (`"3"` for a string).
fn shown(v: &Value) -> String {
    v.to_string()
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

/// The file being read, for errors that point into it.
struct Src<'a> {
    file: &'a str,
    text: &'a str,
}

impl Src<'_> {
    /// A string value, or what `key` expected instead (`expected` in the
    /// user's words, e.g. "a duration with its unit, e.g. \"5ms\"").
    fn string<'v>(
        &self,
        v: &'v Spanned<Value>,
        key: &str,
        expected: &str,
    ) -> Result<&'v str, ScriptError> {
        match v.get_ref() {
            Value::String(s) => Ok(s),
            other => Err(self.err(
                v.span().start,
                format!("{key} = {}: expected {expected}", shown(other)),
            )),
        }
    }

    /// A whole number from `lo` to `hi` for `key`.
    fn whole(&self, v: &Spanned<Value>, key: &str, lo: i64, hi: i64) -> Result<i64, ScriptError> {
        match v.get_ref() {
            Value::Integer(n) if (lo..=hi).contains(n) => Ok(*n),
            other => Err(self.err(
                v.span().start,
                format!(
                    "{key} {}: expected a whole number from {lo} to {hi}",
                    shown(other)
                ),
            )),
        }
    }

    /// A mistake at byte `at` of the text.
    fn err(&self, at: usize, msg: String) -> ScriptError {
        let (line, column) = position(self.text, at);
        ScriptError {
            file: self.file.to_string(),
            line,
            column,
            msg,
        }
    }
}

impl Script {
    /// Parses and checks a workload file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Script, ScriptError> {
        let src = Src { file, text };
        let doc: FileDoc = toml::from_str(text).map_err(|e| {
            let msg = e.message().trim().replace('\n', " ");
            // The only arrays of the file are its tables of steps and
            // kinds; serde's "expected a sequence" is a `[step]` or a
            // `step = ...` written for one of them.
            let msg = match msg
                .strip_prefix("invalid type: ")
                .and_then(|m| m.strip_suffix(", expected a sequence"))
            {
                Some(found) => format!(
                    "found {found}: steps and kinds are tables in double brackets, \
                     [[step]], [[kind]] and [[kind.step]]"
                ),
                None => msg,
            };
            src.err(e.span().map_or(0, |s| s.start), msg)
        })?;
        let name = check_name(&src, &doc.name)?;
        let description = match &doc.description {
            None => String::new(),
            Some(d) => description(&src, d)?,
        };
        let db_latency = match &doc.db_latency {
            None => None,
            Some(s) => Some(db_latency(&src, s)?),
        };
        let kinds = match (doc.step.is_empty(), doc.kind.is_empty()) {
            (true, true) => {
                return Err(src.err(
                    text.len(),
                    "no [[step]]: a request needs at least one step (or [[kind]]s of a mix, \
                     each with its [[kind.step]]s)"
                        .into(),
                ))
            }
            (false, false) => {
                return Err(src.err(
                    doc.kind[0].span().start,
                    "a file has [[step]]s (one kind of request) or [[kind]]s (a mix), not both"
                        .into(),
                ))
            }
            (false, true) => vec![RequestKind::only(read_steps(&src, &doc.step, None)?)],
            (true, false) => {
                let kinds: Vec<RequestKind> = doc
                    .kind
                    .iter()
                    .enumerate()
                    .map(|(i, k)| read_kind(&src, i, k))
                    .collect::<Result<_, _>>()?;
                check_kind_names(&src, &doc.kind, &kinds)?;
                kinds
            }
        };
        check_servers(&src, &doc, &kinds)?;
        Ok(Script {
            name,
            description,
            db_latency,
            kinds,
        })
    }

    /// Reads and checks a workload file.
    pub fn load(path: &std::path::Path) -> Result<Script, ScriptError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| ScriptError {
            file: file.clone(),
            line: 0,
            column: 0,
            msg: format!("cannot read it: {e}"),
        })?;
        let text =
            String::from_utf8(bytes).map_err(|e| not_utf8(&file, e.as_bytes(), e.utf8_error()))?;
        Script::parse(&file, &text)
    }
}

/// A file that is not UTF-8 (TOML must be): where its first bad byte is,
/// so an editor can find it (a Latin-1 'é' in a comment, say).
fn not_utf8(file: &str, bytes: &[u8], e: std::str::Utf8Error) -> ScriptError {
    let at = e.valid_up_to();
    // The bytes before it are valid, so they give the line and column.
    let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let src = Src { file, text: before };
    src.err(
        at,
        format!(
            "byte 0x{:02x} is not UTF-8: a workload file is UTF-8 text (save it as UTF-8)",
            bytes[at]
        ),
    )
}

/// The workload's name: well formed, and not a built-in workload's.
fn check_name(src: &Src, v: &Spanned<Value>) -> Result<String, ScriptError> {
    let at = v.span().start;
    let name = src.string(v, "name", "a name in quotes, e.g. name = \"my-service\"")?;
    if !valid_name(name) {
        return Err(src.err(
            at,
            format!(
                "name '{name}': expected lowercase letters, digits and dashes, starting \
                 with a letter, at most 40 characters"
            ),
        ));
    }
    if crate::catalog().iter().any(|w| w.name == name) {
        return Err(src.err(
            at,
            format!("name '{name}' is a built-in workload's: choose another"),
        ));
    }
    Ok(name.to_string())
}

/// `description`: one line, since `iobound list` and the reports show it
/// as one (a line break split their tables and the summary line).
fn description(src: &Src, v: &Spanned<Value>) -> Result<String, ScriptError> {
    let d = src.string(v, "description", "one line of text in quotes")?;
    if d.chars().any(char::is_control) {
        return Err(src.err(
            v.span().start,
            "description: expected one line of text (no line break or other control \
             character): iobound list and the reports show it on one line"
                .into(),
        ));
    }
    Ok(d.to_string())
}

/// Kinds' names: optional, but a name given is one line and names one
/// kind only (the report tells kinds apart by it).
fn check_kind_names(
    src: &Src,
    docs: &[Spanned<KindDoc>],
    kinds: &[RequestKind],
) -> Result<(), ScriptError> {
    for (i, (d, k)) in docs.iter().zip(kinds).enumerate() {
        let Some(v) = &d.get_ref().name else { continue };
        let at = v.span().start;
        if k.name.trim().is_empty() || k.name.chars().any(char::is_control) {
            return Err(src.err(
                at,
                format!(
                    "[[kind]] {}: name {}: expected one line of text, not empty (or no name \
                     at all)",
                    i + 1,
                    shown(v.get_ref())
                ),
            ));
        }
        if let Some(j) = kinds[..i].iter().position(|o| o.name == k.name) {
            return Err(src.err(
                at,
                format!(
                    "[[kind]] {}: name '{}' is already [[kind]] {}'s: each kind's name is its own",
                    i + 1,
                    k.name,
                    j + 1
                ),
            ));
        }
    }
    Ok(())
}

/// `db_latency`, a duration with its unit (a bare number would be read as
/// seconds), at most what the server accepts of a call's wait: refused
/// here rather than by a run that starts servers first.
fn db_latency(src: &Src, v: &Spanned<Value>) -> Result<std::time::Duration, ScriptError> {
    let expected = "a duration with its unit, e.g. \"5ms\"";
    let t = src.string(v, "db_latency", expected)?;
    let d = Some(t)
        .filter(|t| t.trim_end().ends_with(|c: char| c.is_ascii_alphabetic()))
        .and_then(|t| crate::units::parse_duration(t).ok())
        .ok_or_else(|| {
            src.err(
                v.span().start,
                format!("db_latency '{t}': expected {expected}"),
            )
        })?;
    if d.as_micros() > MAX_WAIT_US as u128 {
        return Err(src.err(
            v.span().start,
            format!(
                "db_latency '{t}': expected at most {} (the longest wait the db server takes)",
                super::wait_text(MAX_WAIT_US)
            ),
        ));
    }
    Ok(d)
}

/// A request's steps, repeats unrolled, within [`MAX_STEPS`]; `at` is the
/// start of their `[[kind]]` (where a missing step is reported).
fn read_steps(
    src: &Src,
    docs: &[Spanned<StepDoc>],
    at: Option<usize>,
) -> Result<Vec<ScriptStep>, ScriptError> {
    if let (true, Some(at)) = (docs.is_empty(), at) {
        return Err(src.err(
            at,
            "this [[kind]] has no [[kind.step]]: a request needs at least one step".into(),
        ));
    }
    let mut steps: Vec<ScriptStep> = Vec::new();
    let table = if at.is_some() {
        "[[kind.step]]"
    } else {
        "[[step]]"
    };
    for (i, s) in docs.iter().enumerate() {
        let (step, repeat) = read_step(src, s)?;
        // Steps a request holds (an append with fdatasync takes two), the
        // same count before this step as after it: counting entries before
        // it said "1 before" after an append with fdatasync.
        let before: usize = steps.iter().map(ScriptStep::held).sum();
        steps.extend(std::iter::repeat(step).take(repeat));
        let held: usize = steps.iter().map(ScriptStep::held).sum();
        if held > MAX_STEPS {
            return Err(src.err(
                s.span().start,
                format!(
                    "a request holds at most {MAX_STEPS} steps (an append with fdatasync \
                     counts two): {table} {} brings them to {held} ({before} before it)",
                    i + 1
                ),
            ));
        }
    }
    Ok(steps)
}

/// The `i`th `[[kind]]`: its weight and steps.
fn read_kind(src: &Src, i: usize, k: &Spanned<KindDoc>) -> Result<RequestKind, ScriptError> {
    let d = k.get_ref();
    let weight = match &d.weight {
        None => {
            return Err(src.err(
                k.span().start,
                format!(
                    "[[kind]] {} needs a weight, its share of the requests, e.g. weight = 95",
                    i + 1
                ),
            ))
        }
        Some(w) => src.whole(w, "weight", 1, MAX_WEIGHT)? as u32,
    };
    let name = match &d.name {
        None => String::new(),
        Some(n) => src
            .string(n, "name", "a name in quotes, e.g. name = \"read\"")?
            .to_string(),
    };
    Ok(RequestKind {
        name,
        weight,
        steps: read_steps(src, &d.step, Some(k.span().start))?,
    })
}

/// One `[[step]]` checked alone: the step, and how many times it repeats.
fn read_step(src: &Src, s: &Spanned<StepDoc>) -> Result<(ScriptStep, usize), ScriptError> {
    let at = s.span().start;
    let d = s.get_ref();
    let kind = step_kind(src, at, d)?;
    let step = step_of_kind(src, at, d, kind)?;
    if let (Some(f), false) = (&d.fdatasync, kind == "write") {
        return Err(src.err(
            f.span().start,
            "fdatasync applies to a write step only".into(),
        ));
    }
    if let (Some(size), "db" | "echo") = (&d.size, kind) {
        return Err(src.err(
            size.span().start,
            format!(
                "size does not apply to a {kind} step{}",
                if kind == "echo" {
                    " (its size is echo's value: echo = \"64B\")"
                } else {
                    " (a record is the server's)"
                }
            ),
        ));
    }
    if let (Some(w), false) = (&d.wait, kind == "db") {
        return Err(src.err(
            w.span().start,
            format!("wait applies to a db step only (the server's wait for that call), not to a {kind} step"),
        ));
    }
    let repeat = match &d.repeat {
        None => 1,
        Some(r) => src.whole(r, "repeat", 1, MAX_STEPS as i64)? as usize,
    };
    Ok((step, repeat))
}

/// Which of db, compute, read, write or echo a step is: exactly one.
fn step_kind(src: &Src, at: usize, d: &StepDoc) -> Result<&'static str, ScriptError> {
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
        return Err(src.err(
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
    Ok(kinds[0])
}

/// The step a `[[step]]` of `kind` says, its words and sizes checked.
fn step_of_kind(src: &Src, at: usize, d: &StepDoc, kind: &str) -> Result<ScriptStep, ScriptError> {
    let need_size = |max: u64| -> Result<Dist, ScriptError> {
        match &d.size {
            Some(v) => size(src, v, max, "size", 1),
            None => Err(src.err(
                at,
                format!("a {kind} step needs a size, e.g. size = \"16K\""),
            )),
        }
    };
    let word = |v: &Spanned<Value>, allowed: &[&str]| word(src, kind, v, allowed);
    // A read or an append: a multiple of 512 bytes (O_DIRECT's alignment),
    // each value written and so each draw, rounded down to it.
    let sectors = |what: &str| -> Result<Dist, ScriptError> {
        match &d.size {
            Some(v) => size(src, v, 64 << 20, &format!("size of {what}"), 512),
            None => need_size(64 << 20),
        }
    };
    Ok(match kind {
        "db" => ScriptStep::Db {
            put: word(d.db.as_ref().unwrap(), &["get", "put"])? == "put",
            wait: d.wait.as_ref().map(|w| wait(src, w)).transpose()?,
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
            ScriptStep::Read {
                sequential: how == "sequential",
                size: sectors("a read")?,
            }
        }
        "write" => {
            word(d.write.as_ref().unwrap(), &["append"])?;
            let fdatasync = match &d.fdatasync {
                None => false,
                Some(f) => match f.get_ref() {
                    Value::Boolean(b) => *b,
                    other => {
                        return Err(src.err(
                            f.span().start,
                            format!("fdatasync = {}: expected true or false", shown(other)),
                        ))
                    }
                },
            };
            ScriptStep::Append {
                size: sectors("an append")?,
                fdatasync,
            }
        }
        _ => ScriptStep::Echo {
            size: size(src, d.echo.as_ref().unwrap(), MAX_MSG, "echo", 1)?,
        },
    })
}

/// A size with its unit, in quotes, from 1 byte to `max`, or a
/// distribution of such sizes, each a multiple of `align`; `what` names the
/// key in errors.
fn size(
    src: &Src,
    v: &Spanned<toml::Value>,
    max: u64,
    what: &str,
    align: u64,
) -> Result<Dist, ScriptError> {
    let one = |s: &str| -> Result<u64, String> {
        if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
            return Err(format!("a size needs its unit, e.g. \"{s}B\" or \"{s}K\""));
        }
        match crate::units::parse_size(s) {
            Ok(n) if n % align != 0 => Err(format!(
                "{n} bytes: expected a multiple of {align} bytes (O_DIRECT's alignment)"
            )),
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            Ok(n) => Err(format!("{n} bytes: expected from 1 byte to {max} bytes")),
            Err(_) => Err("expected a size such as \"512B\", \"16K\" or \"1M\"".into()),
        }
    };
    let d = distribution(
        src,
        v,
        what,
        "a size with its unit in quotes, e.g. \"16K\" or \"64B\"",
        &one,
    )?;
    if d.max() > max {
        return Err(src.err(
            v.span().start,
            format!(
                "{what} '{}': draws reach {} bytes, expected at most {max}",
                d.text(|n| n.to_string()),
                d.max()
            ),
        ));
    }
    Ok(d)
}

/// A call's own wait, in µs: a duration with its unit, or a distribution.
fn wait(src: &Src, v: &Spanned<toml::Value>) -> Result<Dist, ScriptError> {
    let one = |s: &str| -> Result<u64, String> {
        if !s.ends_with(|c: char| c.is_ascii_alphabetic()) {
            return Err("expected a duration with its unit, e.g. \"5ms\"".into());
        }
        match crate::units::parse_duration(s) {
            Ok(d) if d.as_micros() as u64 <= MAX_WAIT_US && d.subsec_nanos() % 1000 == 0 => {
                Ok(d.as_micros() as u64)
            }
            Ok(d) if d.as_micros() as u64 > MAX_WAIT_US => Err("expected at most 60s".into()),
            Ok(_) => Err("expected whole microseconds (the frame carries µs)".into()),
            Err(_) => Err("expected a duration such as \"500us\", \"5ms\" or \"1s\"".into()),
        }
    };
    let d = distribution(
        src,
        v,
        "wait",
        "a duration with its unit in quotes, e.g. \"50ms\"",
        &one,
    )?;
    if d.max() > MAX_WAIT_US {
        return Err(src.err(
            v.span().start,
            format!(
                "wait: draws reach {}, expected at most 60s",
                super::wait_text(d.max())
            ),
        ));
    }
    Ok(d)
}

/// A value or a distribution of values, from a string in quotes; errors
/// point at the byte of the string they are about.
fn distribution(
    src: &Src,
    v: &Spanned<toml::Value>,
    what: &str,
    expected: &str,
    one: &dyn Fn(&str) -> Result<u64, String>,
) -> Result<Dist, ScriptError> {
    let at = v.span().start;
    let toml::Value::String(s) = v.get_ref() else {
        return Err(src.err(at, format!("{what}: expected {expected}")));
    };
    // The string's first byte, after its quote; exact for strings without
    // escapes, which is what a size or a duration is.
    let triple = ["\"\"\"", "'''"]
        .iter()
        .any(|q| src.text[at..].starts_with(q));
    let first = at + if triple { 3 } else { 1 };
    // A mistake in the whole value points at its quote, as other keys' do;
    // one inside a distribution, at its byte.
    dist::parse(s, what, one).map_err(|e| src.err(if e.at == 0 { at } else { first + e.at }, e.msg))
}

/// A step's value, one of the `allowed` words.
fn word(
    src: &Src,
    kind: &str,
    v: &Spanned<Value>,
    allowed: &[&str],
) -> Result<String, ScriptError> {
    let expected = allowed
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(" or ");
    let w = src.string(v, kind, &expected)?;
    if allowed.contains(&w) {
        Ok(w.to_string())
    } else {
        Err(src.err(v.span().start, format!("{kind} '{w}': expected {expected}")))
    }
}

/// The requests as a whole: one server at most across every kind, and
/// `db_latency` only when some db call has no wait of its own.
fn check_servers(src: &Src, doc: &FileDoc, kinds: &[RequestKind]) -> Result<(), ScriptError> {
    let steps = || kinds.iter().flat_map(|k| k.steps.iter());
    let talks = |echo: bool| {
        steps().any(|s| match s {
            ScriptStep::Echo { .. } => echo,
            ScriptStep::Db { .. } => !echo,
            _ => false,
        })
    };
    if talks(true) && talks(false) {
        let at = doc
            .step
            .first()
            .map_or_else(|| doc.kind[0].span().start, |s| s.span().start);
        return Err(src.err(
            at,
            "a request talks to one server: db steps and echo steps cannot be mixed (in one \
             file, across its kinds too)"
                .into(),
        ));
    }
    if let Some(l) = &doc.db_latency {
        if !talks(false) {
            return Err(src.err(
                l.span().start,
                "db_latency is the db server's wait per call, but no step calls the database"
                    .into(),
            ));
        }
        if !steps().any(|s| matches!(s, ScriptStep::Db { wait: None, .. })) {
            return Err(src.err(
                l.span().start,
                "db_latency is the wait of db calls without their own, but every db step has \
                 a wait: remove one or the other"
                    .into(),
            ));
        }
    }
    Ok(())
}
