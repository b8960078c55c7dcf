//! The report's tables as rows of text cells, shared by the Markdown and
//! HTML renderers so both show the same numbers, formatted the same way, in
//! the report's one language.
//!
//! `mod.rs` holds the number formats every table shares; the tables
//! themselves sit by subject: `groups` (one workload's table), `claim_rows`,
//! `map_rows` (the decision map and the ceilings), `predict_rows` (the
//! prediction against the run) and `facts` (the run's facts, warnings,
//! runtimes and cells not run).

mod claim_rows;
mod facts;
mod groups;
mod map_rows;
mod predict_rows;

pub use claim_rows::{claim_detail_header, claim_detail_rows, claims_header, claims_rows};
pub use facts::{
    busy_warning, engines_line, how_to_read, not_run_header, not_run_rows, run_facts, runtime_rows,
    runtimes_header, runtimes_text, short_facts, terms_line,
};
pub use groups::{
    c10k_table, c10k_text, class_of, gist_text, group_header, group_rows, sustainable_text,
};
pub use map_rows::{
    bounds_header, bounds_notes, bounds_rows, figure_text, map_cell_text, map_header, map_note,
    map_rows, map_title, wait_text,
};
pub use predict_rows::{
    predict_header, predict_intro, predict_rows, predict_sentences, predict_title,
};

/// Requests per second, whole.
pub fn rps(x: f64) -> String {
    format!("{x:.0}")
}

/// Nanoseconds shown as microseconds with one decimal.
pub fn us(ns: f64) -> String {
    format!("{:.1}", ns / 1e3)
}

/// Bytes as MiB with one decimal ("-" when unknown).
pub fn mib(b: f64) -> String {
    if b.is_finite() {
        format!("{:.1}", b / (1u64 << 20) as f64)
    } else {
        "-".into()
    }
}
