//! The run directory: its creation, each cell's files as the cell ends, and
//! run.json — the source of truth every report is rendered from — at the end.

use std::path::{Path, PathBuf};

use super::{RunError, Suite};
use crate::output::{self, ExportError, RunMeta};
use crate::result::CellResult;

/// What run.json is made of.
pub(crate) struct RunRecordOut<'a> {
    pub suite: &'a Suite,
    pub run_id: &'a str,
    /// One per group.
    pub metas: Vec<&'a RunMeta>,
    pub plan: &'a [String],
    /// Each cell with the index of its group.
    pub cells: &'a [(usize, CellResult)],
}

/// Writes run.json, then renders summary.csv and the reports from it, so
/// `iobound report` on the directory later gives the same files.
pub(crate) fn write_run_files(
    dir: &Path,
    r: &RunRecordOut<'_>,
    lang: crate::lang::Lang,
) -> Result<(), RunError> {
    let cells = r
        .cells
        .iter()
        .map(|(g, c)| {
            // Each cell names its group instead of repeating the group's
            // configuration and the run's system (both below, once): the
            // per-cell files keep them whole.
            let mut doc = output::json::cell_doc(r.metas[*g], c)?;
            if let Some(o) = doc.as_object_mut() {
                o.remove("config");
                o.remove("system");
                o.insert("group_index".into(), (*g).into());
            }
            Ok(doc)
        })
        .collect::<Result<Vec<_>, ExportError>>()?;
    let doc = serde_json::json!({
        "schema": crate::report::RUN_SCHEMA,
        "run_id": r.run_id,
        "suite": r.suite.name,
        "description": r.suite.description,
        "repeat": r.suite.repeat.max(1),
        "iobound_version": env!("CARGO_PKG_VERSION"),
        "git_commit": crate::sysinfo::GIT_COMMIT,
        "lang": lang,
        "system": r.metas.first().map(|m| &m.system),
        "groups": r.metas.iter().map(|m| &m.config).collect::<Vec<_>>(),
        // What the reports need to know of the engines and workloads, so a
        // later binary renders this run the same way.
        "engines": r.suite.engines().iter().map(|e| e.describe()).collect::<Vec<_>>(),
        "workloads": workload_records(r.suite, &r.metas),
        "plan": r.plan,
        "cells": cells,
    });
    // Compact: it holds every histogram; the per-cell files are the readable copies.
    let mut bytes = serde_json::to_vec(&doc).map_err(ExportError::from)?;
    bytes.push(b'\n');
    // Written aside, then renamed: a full disk leaves no truncated run.json
    // (the reports are rebuilt from the cell files instead).
    let path = dir.join("run.json");
    let tmp = dir.join(".run.json.tmp");
    let kept = |path: PathBuf, source| RunError::WriteRun {
        path,
        dir: dir.to_path_buf(),
        source,
    };
    if let Err(source) = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, &path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(kept(path, source));
    }
    let run = crate::report::load::parse_run(&bytes).map_err(|e| {
        RunError::Export(ExportError::Histogram(format!(
            "run.json does not read back: {e}"
        )))
    })?;
    crate::report::write_reports(dir, &run, lang).map_err(|(path, source)| kept(path, source))
}

/// Writes every applicable export of a cell into the run directory.
pub fn write_cell(dir: &Path, meta: &RunMeta, cell: &CellResult) -> Result<(), RunError> {
    for export in output::per_cell() {
        if !export.applies(cell) {
            continue;
        }
        let bytes = export.render(meta, cell)?;
        let path = dir.join(format!("{}.{}", cell.stem(), export.extension()));
        std::fs::write(&path, bytes).map_err(|source| RunError::WriteRun {
            path,
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}

/// Creates `out/<run-id>`, the id being the UTC time (suffixed if taken).
pub(crate) fn create_run_dir(out: &Path) -> Result<(PathBuf, String), RunError> {
    let base = utc_stamp(std::time::SystemTime::now());
    for n in 0..1000 {
        let id = if n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let dir = out.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((dir, id)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(RunError::OutDir { path: dir, source }),
        }
    }
    Err(RunError::OutDir {
        path: out.join(base),
        source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "no free run id"),
    })
}

/// `YYYYMMDD-HHMMSS` in UTC.
pub fn utc_stamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// run.json's record of the run's workloads: the catalogued ones as the
/// catalog describes them, a workload file's by its steps and the class its
/// group recorded.
fn workload_records(
    suite: &crate::run::Suite,
    metas: &[&crate::output::RunMeta],
) -> Vec<serde_json::Value> {
    let used = |name: &str| {
        suite
            .groups
            .iter()
            .any(|g| g.workloads.iter().any(|x| x == name))
    };
    let mut out: Vec<serde_json::Value> = iobound_workloads::catalog()
        .iter()
        .filter(|w| used(w.name))
        .map(|w| serde_json::to_value(w).expect("plain data"))
        .collect();
    for m in metas {
        let Some(w) = crate::config::GroupRecord::from_json(&m.config)
            .ok()
            .and_then(|g| g.script_workload())
        else {
            continue;
        };
        if out.iter().all(|v| v["name"] != w.name.as_str()) {
            out.push(serde_json::to_value(w).expect("plain data"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn utc_stamps() {
        let t = std::time::UNIX_EPOCH + Duration::from_secs(1_795_600_000);
        assert_eq!(utc_stamp(t), "20261125-094640");
        assert_eq!(utc_stamp(std::time::UNIX_EPOCH), "19700101-000000");
        // 2000-02-29, a leap day in a century year.
        assert_eq!(
            utc_stamp(std::time::UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "20000229-000000"
        );
    }
}
