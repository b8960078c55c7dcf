//! One `[[step]]` (or `[[kind.step]]`) read and checked alone, and a
//! request's steps within [`MAX_STEPS`], repeats unrolled.

use toml::{Spanned, Value};

use super::super::dist::Dist;
use super::super::{ScriptError, ScriptKernel, ScriptStep};
use super::values::{shown, size, wait, word, Src};
use crate::catalog::{MAX_MSG, MAX_WORK};
use crate::MAX_STEPS;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepDoc {
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

/// A request's steps, repeats unrolled, within [`MAX_STEPS`]; `at` is the
/// start of their `[[kind]]` (where a missing step is reported).
pub(super) fn read_steps(
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
