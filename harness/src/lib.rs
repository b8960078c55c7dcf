//! iobound's harness: HOW and HOW LONG workloads run — engines, closed-loop
//! load, per-worker latency recording, resource accounting, and rendering.
//! The `iobound` binary wires these parts together.

// Layers, lowest first. A module uses only modules of lower layers and the
// ones listed before it in its own layer; `main.rs` wires the top.
//
//   1. procfs, lang, load, ring,    /proc, read in one place; the report's two
//      pagecache, interrupt, say    languages; the closed and open loops;
//                                   io_uring probes; page-cache control;
//                                   Ctrl-C; printing that never panics
//   2. placement, resources,        CPUs and pinning, a cell's CPU, memory and
//      sysinfo                      threads, the machine
//   3. exec, record, result,        the step interpreter (its network half,
//      serve                        exec::net, inside it), per-worker
//                                   recorders, a cell's result, the loopback
//                                   servers
//   4. engine, output               engines over exec/load/record (the
//                                   registry: nothing outside names an engine);
//                                   per-cell export formats
//   5. cli, config, report, clean   clap flags; the checked config (one module
//                                   per subcommand: never imports what runs it);
//                                   run-wide reports, pure but for loading
//   6. run                          plan, servers, cells, summaries, run.json
//   7. fio, lesson, suite, list, ui commands built on run, and the terminal
//   8. peers                        fio, sockperf and Redis beside iobound (its
//                                   flags, `peers::args`, are clap only and
//                                   sit with `cli`)

pub mod advise;
pub mod classify;
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
pub mod output;
pub mod pagecache;
pub mod peers;
pub mod placement;
pub(crate) mod procfs;
pub mod record;
pub mod report;
pub mod resources;
pub mod result;
pub mod ring;
pub mod run;
pub mod say;
pub mod serve;
pub mod suite;
pub mod sysinfo;
pub mod ui;
