//! The values of a workload file: where a mistake is (file, line, column),
//! strings and whole numbers, sizes, waits and their distributions, and a
//! step's words.

use toml::{Spanned, Value};

use super::super::dist::{self, Dist};
use super::super::ScriptError;
use super::MAX_WAIT_US;

/// Line and column (from 1) of byte `at` of `text`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let line = text[..at].matches('\n').count() + 1;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    // In characters, as editors count: 'kind = [{ name = "日本語🚀", ...'
    // put a column 9 too far when counted in bytes.
    let col = text[start..at].chars().count() + 1;
    (line, col)
}

/// A value as the file writes it, for errors (`"3"` for a string).
pub(super) fn shown(v: &Value) -> String {
    v.to_string()
}

/// The file being read, for errors that point into it.
pub(super) struct Src<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
}

impl Src<'_> {
    /// A string value, or what `key` expected instead (`expected` in the
    /// user's words, e.g. "a duration with its unit, e.g. \"5ms\"").
    pub(super) fn string<'v>(
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
    pub(super) fn whole(
        &self,
        v: &Spanned<Value>,
        key: &str,
        lo: i64,
        hi: i64,
    ) -> Result<i64, ScriptError> {
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
    pub(super) fn err(&self, at: usize, msg: String) -> ScriptError {
        let (line, column) = position(self.text, at);
        ScriptError {
            file: self.file.to_string(),
            line,
            column,
            msg,
        }
    }
}

/// A size with its unit, in quotes, from 1 byte to `max`, or a
/// distribution of such sizes, each a multiple of `align`; `what` names the
/// key in errors.
pub(super) fn size(
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
pub(super) fn wait(src: &Src, v: &Spanned<toml::Value>) -> Result<Dist, ScriptError> {
    let one = |s: &str| -> Result<u64, String> {
        // A bare 0 needs no unit, as on the command line; any other bare
        // number is as likely meant in ms as in s.
        if s.trim() != "0" && !s.ends_with(|c: char| c.is_ascii_alphabetic()) {
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
                super::super::wait_text(d.max())
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
pub(super) fn word(
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
