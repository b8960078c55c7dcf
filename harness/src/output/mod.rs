//! Export formats. Each is a small module behind [`Export`]: results in,
//! bytes out, no I/O, so every format is tested on fixed inputs.

use serde::Serialize;

use crate::result::CellResult;
use crate::sysinfo::SystemInfo;

pub mod hgrm;
pub mod human;
pub mod json;

/// Run-wide facts every cell's export carries.
#[derive(Debug, Clone, Serialize)]
pub struct RunMeta {
    pub run_id: String,
    /// The command line's settings, as checked.
    pub config: serde_json::Value,
    pub system: SystemInfo,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot encode the histogram: {0}")]
    Histogram(String),
    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// One output format for one cell.
pub trait Export {
    /// File extension of the format.
    fn extension(&self) -> &'static str;
    /// Whether this format has something to say about the cell.
    fn applies(&self, cell: &CellResult) -> bool;
    fn render(&self, meta: &RunMeta, cell: &CellResult) -> Result<Vec<u8>, ExportError>;
}

/// The formats written for every cell.
pub fn per_cell() -> [&'static dyn Export; 2] {
    [&json::Json, &hgrm::Hgrm]
}
