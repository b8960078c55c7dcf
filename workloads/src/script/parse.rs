//! A workload file read and checked: the TOML as written, then each step
//! alone, then the request as a whole, every mistake with its file, line
//! and column.

use toml::Spanned;

use super::{Script, ScriptError, ScriptKernel, ScriptStep};
use crate::catalog::{MAX_MSG, MAX_WORK};
use crate::MAX_STEPS;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    db_latency: Option<Spanned<String>>,
    #[serde(default)]
    step: Vec<Spanned<StepDoc>>,
}

#[derive(serde::Deserialize)]
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

/// The file being read, for errors that point into it.
struct Src<'a> {
    file: &'a str,
    text: &'a str,
}

impl Src<'_> {
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
            src.err(
                e.span().map_or(0, |s| s.start),
                e.message().trim().replace('\n', " "),
            )
        })?;
        check_name(&src, &doc.name)?;
        let db_latency = match &doc.db_latency {
            None => None,
            Some(s) => Some(db_latency(&src, s)?),
        };
        if doc.step.is_empty() {
            return Err(src.err(
                text.len(),
                "no [[step]]: a request needs at least one step".into(),
            ));
        }
        let mut steps = Vec::new();
        for s in &doc.step {
            let (step, repeat) = read_step(&src, s)?;
            let before = steps.len();
            steps.extend(std::iter::repeat(step).take(repeat));
            // Steps a request holds (an append with fdatasync takes two).
            let held: usize = steps.iter().map(ScriptStep::held).sum();
            if held > MAX_STEPS {
                return Err(src.err(
                    s.span().start,
                    format!(
                        "a request holds at most {MAX_STEPS} steps (an append with fdatasync \
                         counts two): this step makes {held} ({before} before it)"
                    ),
                ));
            }
        }
        check_servers(&src, &doc, db_latency.is_some(), &steps)?;
        Ok(Script {
            name: doc.name.into_inner(),
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
}

/// The workload's name: well formed, and not a built-in workload's.
fn check_name(src: &Src, name: &Spanned<String>) -> Result<(), ScriptError> {
    let at = name.span().start;
    let name = name.get_ref();
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
    Ok(())
}

/// `db_latency`, a duration with its unit (a bare number would be read as
/// seconds).
fn db_latency(src: &Src, s: &Spanned<String>) -> Result<std::time::Duration, ScriptError> {
    Some(s.get_ref())
        .filter(|t| t.trim_end().ends_with(|c: char| c.is_ascii_alphabetic()))
        .ok_or(())
        .and_then(|t| crate::units::parse_duration(t).map_err(|_| ()))
        .map_err(|_| {
            src.err(
                s.span().start,
                format!(
                    "db_latency '{}': expected a duration with its unit, e.g. \"5ms\"",
                    s.get_ref()
                ),
            )
        })
}

/// One `[[step]]` checked alone: the step, and how many times it repeats.
fn read_step(src: &Src, s: &Spanned<StepDoc>) -> Result<(ScriptStep, usize), ScriptError> {
    let at = s.span().start;
    let d = s.get_ref();
    let kind = step_kind(src, at, d)?;
    let step = step_of_kind(src, at, d, kind)?;
    if kind != "write" && d.fdatasync.is_some() {
        return Err(src.err(at, "fdatasync applies to a write step only".into()));
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
    let repeat = match &d.repeat {
        None => 1,
        Some(r) => match *r.get_ref() {
            n @ 1..=8 => n as usize,
            n => {
                return Err(src.err(
                    r.span().start,
                    format!("repeat {n}: expected 1 to {MAX_STEPS}"),
                ))
            }
        },
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
    let need_size = |max: u64| -> Result<u32, ScriptError> {
        match &d.size {
            Some(v) => size(src, v, max, "size"),
            None => Err(src.err(
                at,
                format!("a {kind} step needs a size, e.g. size = \"16K\""),
            )),
        }
    };
    let word = |v: &Spanned<String>, allowed: &[&str]| word(src, kind, v, allowed);
    // A read or an append: a multiple of 512 bytes.
    let sectors = |what: &str| -> Result<u32, ScriptError> {
        let n = need_size(64 << 20)?;
        if n % 512 != 0 {
            return Err(src.err(
                d.size.as_ref().unwrap().span().start,
                format!("size {n} bytes: {what} is a multiple of 512 bytes (O_DIRECT's alignment)"),
            ));
        }
        Ok(n)
    };
    Ok(match kind {
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
            ScriptStep::Read {
                sequential: how == "sequential",
                size: sectors("a read")?,
            }
        }
        "write" => {
            word(d.write.as_ref().unwrap(), &["append"])?;
            ScriptStep::Append {
                size: sectors("an append")?,
                fdatasync: d.fdatasync.unwrap_or(false),
            }
        }
        _ => ScriptStep::Echo {
            size: size(src, d.echo.as_ref().unwrap(), MAX_MSG, "echo")?,
        },
    })
}

/// A size with its unit, in quotes, from 1 byte to `max`; `what` names the
/// key in errors.
fn size(src: &Src, v: &Spanned<toml::Value>, max: u64, what: &str) -> Result<u32, ScriptError> {
    let at = v.span().start;
    let toml::Value::String(s) = v.get_ref() else {
        return Err(src.err(
            at,
            format!("{what}: expected a size with its unit in quotes, e.g. \"16K\" or \"64B\""),
        ));
    };
    if s.trim().chars().all(|c| c.is_ascii_digit()) {
        return Err(src.err(
            at,
            format!("{what} '{s}': a size needs its unit, e.g. \"{s}B\" or \"{s}K\""),
        ));
    }
    match crate::units::parse_size(s) {
        Ok(n) if (1..=max).contains(&n) => Ok(n as u32),
        Ok(n) => Err(src.err(
            at,
            format!("{what} '{s}' ({n} bytes): expected from 1 byte to {max} bytes"),
        )),
        Err(_) => Err(src.err(
            at,
            format!("{what} '{s}': expected a size such as \"512B\", \"16K\" or \"1M\""),
        )),
    }
}

/// A step's value, one of the `allowed` words.
fn word(
    src: &Src,
    kind: &str,
    v: &Spanned<String>,
    allowed: &[&str],
) -> Result<String, ScriptError> {
    let w = v.get_ref().as_str();
    if allowed.contains(&w) {
        Ok(w.to_string())
    } else {
        Err(src.err(
            v.span().start,
            format!(
                "{kind} '{w}': expected {}",
                allowed
                    .iter()
                    .map(|a| format!("\"{a}\""))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ))
    }
}

/// The request as a whole: one server at most, and `db_latency` only when
/// a step calls the database.
fn check_servers(
    src: &Src,
    doc: &FileDoc,
    db_latency: bool,
    steps: &[ScriptStep],
) -> Result<(), ScriptError> {
    let talks = |echo: bool| {
        steps.iter().any(|s| match s {
            ScriptStep::Echo { .. } => echo,
            ScriptStep::Db { .. } => !echo,
            _ => false,
        })
    };
    if talks(true) && talks(false) {
        return Err(src.err(
            doc.step[0].span().start,
            "a request talks to one server: db steps and echo steps cannot be mixed".into(),
        ));
    }
    if db_latency && !talks(false) {
        return Err(src.err(
            doc.db_latency.as_ref().unwrap().span().start,
            "db_latency is the db server's wait per call, but no step calls the database".into(),
        ));
    }
    Ok(())
}
