//! What the engines' tests share: a file workload's data prepared in a
//! fresh directory and opened as a cell opens it.

use std::path::PathBuf;

use iobound_workloads::{build, dataset, Workload, WorkloadParams};

use crate::exec::FileSet;

/// The `file-randread` workload over a data file of `file_size` bytes,
/// prepared in a fresh directory named after `tag` (the caller removes
/// it), and its files opened.
pub(crate) fn randread_cell(tag: &str, file_size: u64) -> (PathBuf, Box<dyn Workload>, FileSet) {
    file_cell("file-randread", tag, file_size)
}

/// A file workload `name` over files of `file_size` bytes, prepared in a
/// fresh directory named after `tag` (the caller removes it), and its files
/// opened.
pub(crate) fn file_cell(
    name: &str,
    tag: &str,
    file_size: u64,
) -> (PathBuf, Box<dyn Workload>, FileSet) {
    let dir = std::env::temp_dir().join(format!("iobound-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let params = WorkloadParams {
        file_size,
        ..Default::default()
    };
    let w = build(name, &params).unwrap();
    let ready: Vec<_> = w
        .files()
        .iter()
        .map(|spec| (dataset::prepare(&dir, spec).unwrap().0, spec.clone()))
        .collect();
    let files = FileSet::open(&ready, false).unwrap();
    (dir, w, files)
}
