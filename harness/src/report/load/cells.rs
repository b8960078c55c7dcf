//! A run read back from its per-cell JSON files, when run.json is missing
//! or unreadable, and the run.json written again from them.

use std::path::Path;

use crate::config::GroupRecord;
use crate::lang::Lang;

use super::{
    legacy_engines, legacy_workloads, parse_cell, parse_run, text, EngineRecord, LoadError, Run,
    WorkloadRecord,
};

/// A cell file's stem and its JSON, or why it did not read.
type CellFile = (String, Result<serde_json::Value, String>);

/// The run rebuilt from the cell files of `dir`; `run_json_error` says why
/// run.json did not read, `run_json_missing` that there was none.
pub(super) fn from_cells(
    dir: &Path,
    run_json_error: Option<String>,
    run_json_missing: bool,
) -> Result<Run, LoadError> {
    let read = read_cells(dir)?;
    let mut run = Run {
        repeat: 1,
        engines: legacy_engines(),
        workloads: legacy_workloads(),
        run_json_error,
        run_json_missing,
        ..Run::default()
    };
    // Cells in the order they ran (their group records say where), so the
    // report's groups and the claims' tie-breaks come out as from run.json.
    let mut placed = Vec::new();
    let own_id = own_run_id(dir, &read);
    for (stem, parsed) in read {
        let v = match parsed {
            Ok(v) => v,
            Err(why) => {
                run.plan.push(stem.clone());
                run.unreadable.push((stem, why));
                continue;
            }
        };
        // A cell file copied in from another run is not this run's: its
        // settings and its machine minutes are another's (an outsider's
        // copied cells were merged without a word).
        let id = text(&v, "run_id");
        if own_id.as_deref().is_some_and(|own| id != own) {
            run.plan.push(stem.clone());
            run.unreadable.push((
                stem,
                format!("a cell of another run ({id}): left out of this one"),
            ));
            continue;
        }
        if run.run_id.is_empty() {
            run.run_id = id;
            run.system = v["system"].clone();
            run.version = v["system"]["iobound_version"]
                .as_str()
                .unwrap_or_default()
                .to_string();
        }
        let record = GroupRecord::from_json(&v["config"]).unwrap_or_default();
        // A workload file's class rides in its cells' configuration.
        if let Some(w) = record.script_workload() {
            if run.workloads.iter().all(|x| x.name != w.name) {
                run.workloads.push(w);
            }
        }
        match parse_cell(v) {
            Ok(c) => {
                run.repeat = run.repeat.max(c.rep.unwrap_or(1));
                placed.push((record.place(&c.key, c.rep), stem, c));
            }
            Err(why) => {
                run.plan.push(stem.clone());
                run.unreadable.push((stem, why));
            }
        }
    }
    placed.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, stem, c) in placed {
        run.plan.push(stem);
        run.cells.push(c);
    }
    add_engines_of_cells(&mut run);
    if run.cells.is_empty() && run.unreadable.is_empty() {
        return Err(match run.run_json_error {
            Some(why) => LoadError::Unreadable {
                dir: dir.to_path_buf(),
                why,
            },
            None => LoadError::Empty(dir.to_path_buf()),
        });
    }
    Ok(run)
}

/// Every `*.json` of `dir` but run.json, sorted by name, each parsed or
/// with why it did not.
fn read_cells(dir: &Path) -> Result<Vec<CellFile>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name().is_some_and(|n| n != "run.json")
        })
        .collect();
    files.sort();
    Ok(files
        .iter()
        .map(|f| {
            let stem = f
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let parsed = std::fs::read(f).map_err(|e| e.to_string()).and_then(|b| {
                serde_json::from_slice::<serde_json::Value>(&b).map_err(|e| e.to_string())
            });
            (stem, parsed)
        })
        .collect())
}

/// Engines the v1 list lacks, as this binary describes them: without
/// run.json there is no record of them.
fn add_engines_of_cells(run: &mut Run) {
    for c in &run.cells {
        if run.engines.iter().all(|e| e.name != c.key.mode) {
            if let Some(e) = crate::engine::by_name(&c.key.mode) {
                let d = e.describe();
                run.engines.push(EngineRecord {
                    name: d.name.to_string(),
                    model: d.model,
                    language: d.language,
                    summary: d.summary.to_string(),
                });
            }
        }
    }
}

/// The run the cell files of `dir` belong to: the directory's name when a
/// cell says so (a run directory is named by its id), or else the id most
/// cells give; none when no cell gives one.
fn own_run_id(dir: &Path, read: &[CellFile]) -> Option<String> {
    let ids: Vec<String> = read
        .iter()
        .filter_map(|(_, v)| v.as_ref().ok())
        .map(|v| text(v, "run_id"))
        .filter(|id| !id.is_empty())
        .collect();
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    if let Some(n) = name.filter(|n| ids.contains(n)) {
        return Some(n);
    }
    let mut counts: Vec<(usize, &String)> = Vec::new();
    for id in &ids {
        match counts.iter_mut().find(|(_, x)| *x == id) {
            Some(c) => c.0 += 1,
            None => counts.push((1, id)),
        }
    }
    // The most cells, the first seen on a tie.
    counts
        .iter()
        .enumerate()
        .max_by_key(|(i, (n, _))| (*n, std::cmp::Reverse(*i)))
        .map(|(_, (_, id))| (*id).clone())
}

/// run.json for a run read back from its cell files (`load_dir` without a
/// run.json): the cell documents as written, the plan (unreadable cells
/// included, so they stay missing), and the engines and workloads the
/// cells used. What no cell records (the suite's name and description, the
/// commit) stays empty. Checked to read back.
pub fn run_json_from_cells(dir: &Path, run: &Run, lang: Lang) -> Result<Vec<u8>, LoadError> {
    let mut cells = Vec::new();
    let mut groups: Vec<serde_json::Value> = Vec::new();
    for stem in &run.plan {
        if run.unreadable.iter().any(|(n, _)| n == stem) {
            continue;
        }
        let path = dir.join(format!("{stem}.json"));
        let bytes = std::fs::read(&path).map_err(|source| LoadError::Read { path, source })?;
        let mut v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| LoadError::Json(e.to_string()))?;
        // As the run writes run.json (schema v3): the cell names its group
        // instead of carrying its config and the run's system.
        let config = v["config"].take();
        let index = match groups.iter().position(|g| *g == config) {
            Some(i) => i,
            None => {
                groups.push(config);
                groups.len() - 1
            }
        };
        if let Some(o) = v.as_object_mut() {
            o.remove("config");
            o.remove("system");
            o.insert("group_index".into(), index.into());
        }
        cells.push(v);
    }
    let engines: Vec<&EngineRecord> = run
        .engines
        .iter()
        .filter(|e| run.cells.iter().any(|c| c.key.mode == e.name))
        .collect();
    let workloads: Vec<&WorkloadRecord> = run
        .workloads
        .iter()
        .filter(|w| run.cells.iter().any(|c| c.key.workload == w.name))
        .collect();
    let doc = serde_json::json!({
        "schema": crate::report::RUN_SCHEMA,
        "run_id": run.run_id,
        "suite": run.suite,
        "description": run.description,
        "repeat": run.repeat.max(1),
        "iobound_version": run.version,
        "git_commit": run.commit,
        "lang": lang,
        "system": run.system,
        "groups": groups,
        "engines": engines,
        "workloads": workloads,
        "plan": run.plan,
        "cells": cells,
    });
    let mut bytes = serde_json::to_vec(&doc).map_err(|e| LoadError::Json(e.to_string()))?;
    bytes.push(b'\n');
    parse_run(&bytes)?;
    Ok(bytes)
}
