//! A workload file read and checked: the TOML as written, then each step
//! alone, then the request as a whole, every mistake with its file, line
//! and column.

mod step;
mod values;

use toml::{Spanned, Value};

use self::step::{read_steps, StepDoc};
use self::values::{shown, Src};
use super::{RequestKind, Script, ScriptError, ScriptStep};

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
                // TOML's own limit, before any key's range is checked.
                None if msg == "number too large to fit in target type" => {
                    "a number beyond TOML's integers (at most 9223372036854775807); \
                     no key takes one that large"
                        .to_string()
                }
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
    if d.chars().any(unprintable) {
        return Err(src.err(
            v.span().start,
            "description: expected one line of text (no line break, other control \
             character or direction override): iobound list and the reports show it on one line"
                .into(),
        ));
    }
    Ok(d.to_string())
}

/// A character that would not show as itself on a terminal or in a
/// report's line: a control character, or a bidirectional override or
/// isolate (U+202A–U+202E, U+2066–U+2069), which reverses or moves the text
/// after it (an outside tester's U+202E was printed raw).
fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
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
        if k.name.trim().is_empty() || k.name.chars().any(unprintable) {
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
        .filter(|t| t.trim() == "0" || t.trim_end().ends_with(|c: char| c.is_ascii_alphabetic()))
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
