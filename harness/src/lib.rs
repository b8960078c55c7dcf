//! iobound's harness: HOW and HOW LONG workloads run — engines, closed-loop
//! load, per-worker latency recording, resource accounting, and rendering.
//! The `iobound` binary wires these parts together.

pub mod clean;
pub mod cli;
pub mod config;
pub mod engine;
pub mod exec;
pub mod fio;
pub mod interrupt;
pub mod lang;
pub mod lesson;
pub mod list;
pub mod load;
pub mod net;
pub mod output;
pub mod pagecache;
pub mod placement;
pub mod record;
pub mod report;
pub mod resources;
pub mod result;
pub mod ring;
pub mod run;
pub mod serve;
pub mod suite;
pub mod sysinfo;
pub mod ui;
