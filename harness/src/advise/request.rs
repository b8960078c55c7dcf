//! The request `advise` is asked about: a workload file, or the text of
//! one written from `--calls`, `--compute` and `--read`, checked.

use std::fmt::Write as _;

use iobound_workloads::Script;

use super::AdviseError;
use crate::cli::AdviseArgs;

/// The request asked about, as workload-file text, checked.
pub(super) fn request(a: &AdviseArgs) -> Result<(String, Script), AdviseError> {
    if let Some(path) = &a.workload {
        let name = path.display().to_string();
        // `run -w db-web` takes a name, so users try it here: advise asks
        // about *their* request, which a file or the flags describe.
        if !path.exists() && iobound_workloads::catalog().iter().any(|w| w.name == name) {
            return Err(AdviseError::Input(format!(
                "--workload {name}: advise takes a workload file describing your request \
                 (FILE.toml, see the README's \"workload files\"), not a built-in workload's \
                 name; or describe the request with --calls, --compute and --read"
            )));
        }
        // `run -w a.toml,b.toml` is refused as two files; here too, rather
        // than "no such file" for a path with a comma.
        if !path.exists() && name.contains(',') {
            return Err(AdviseError::Input(format!(
                "--workload {name}: one workload file per advice (ask about each in turn)"
            )));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| AdviseError::Input(format!("--workload {name}: cannot read it: {e}")))?;
        // `load` reads it again, to say where a byte that is not UTF-8 is.
        let script = Script::load(path)?;
        return Ok((String::from_utf8_lossy(&bytes).into_owned(), script));
    }
    if a.calls.is_none() && a.compute.is_none() && a.read.is_none() {
        return Err(AdviseError::Input(
            "say what a request does: --workload FILE.toml, or --calls NxDURATION (e.g. 3x5ms), \
             --compute SIZE, --read SIZE"
                .into(),
        ));
    }
    let mut text = String::from(
        "# Written by `iobound advise` from its flags: the same request as a workload file.\n\
         name = \"advised\"\n",
    );
    // Each step's text with the flag it comes from, so that a mistake the
    // file's parser finds names the flag, not a line of a file the user
    // never wrote.
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut latency_line = None;
    if let Some(calls) = &a.calls {
        let bad = || {
            AdviseError::Input(format!(
                "--calls {calls}: expected COUNTxDURATION, e.g. 3x5ms (1 to 8 calls, a duration with its unit)"
            ))
        };
        let (n, d) = calls.split_once(['x', 'X']).ok_or_else(bad)?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        if !(1..=8).contains(&n) || !d.trim().ends_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(bad());
        }
        iobound_workloads::units::parse_duration(d.trim()).map_err(|_| bad())?;
        latency_line = Some(text.lines().count() + 1);
        let _ = writeln!(text, "db_latency = \"{}\"", d.trim());
        steps.push((
            format!("--calls {calls}"),
            format!("\n[[step]]\ndb = \"get\"\nrepeat = {n}\n"),
        ));
    }
    if let Some(size) = &a.compute {
        steps.push((
            format!("--compute {size}"),
            format!(
                "\n[[step]]\ncompute = \"sha256\"\nsize = \"{}\"\n",
                size.trim()
            ),
        ));
    }
    if let Some(size) = &a.read {
        steps.push((
            format!("--read {size}"),
            format!(
                "\n[[step]]\nread = \"random\"\nsize = \"{}\"\n",
                size.trim()
            ),
        ));
    }
    // The lines each flag wrote, from 1 as errors count them.
    let mut owners: Vec<(std::ops::RangeInclusive<usize>, String)> = Vec::new();
    if let (Some(l), Some(calls)) = (latency_line, &a.calls) {
        owners.push((l..=l, format!("--calls {calls}")));
    }
    for (flag, block) in &steps {
        let first = text.lines().count() + 1;
        text.push_str(block);
        owners.push((first..=text.lines().count(), flag.clone()));
    }
    let script = Script::parse("workload.toml", &text).map_err(|e| {
        let flags = owners
            .iter()
            .find(|(lines, _)| lines.contains(&e.line))
            .map_or_else(
                || "--calls, --compute, --read".to_string(),
                |(_, f)| f.clone(),
            );
        AdviseError::Input(format!("{flags}: {}", e.msg))
    })?;
    Ok((text, script))
}
