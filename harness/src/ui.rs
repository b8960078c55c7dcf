//! The terminal observer: data-file preparation notes and live progress on
//! stderr (only when stderr is a terminal), result rows on stdout.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use iobound_workloads::dataset::Prepared;

use crate::output::human;
use crate::result::{CellKey, CellResult};
use crate::run::Observer;

/// `[#####---------------]  5/20`: the run's progress, cells done out of all.
fn bar(index: usize, total: usize) -> String {
    const WIDTH: usize = 20;
    let filled = (index * WIDTH).checked_div(total).unwrap_or(0);
    format!(
        "[{}{}] {:>w$}/{total}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        index + 1,
        w = total.to_string().len()
    )
}

pub struct Terminal {
    live: bool,
    json: bool,
    header_done: bool,
    /// The progress bar: the current cell's place in the run.
    position: String,
}

impl Terminal {
    /// `quiet` silences progress; `json` prints one JSON object per cell instead of a table.
    pub fn new(quiet: bool, json: bool) -> Self {
        Terminal {
            live: !quiet && std::io::stderr().is_terminal(),
            json,
            header_done: false,
            position: String::new(),
        }
    }

    fn clear_live(&self) {
        if self.live {
            eprint!("\r\x1b[2K");
        }
    }
}

impl Observer for Terminal {
    fn system(&mut self, i: &crate::sysinfo::SystemInfo) {
        if !self.json {
            eprintln!("{}", human::system_line(i));
        }
    }

    fn preparing(&mut self, path: &Path, size: u64) {
        eprintln!(
            "preparing {} ({})...",
            path.display(),
            human::bytes(size as f64)
        );
    }

    fn prepared(&mut self, path: &Path, how: Prepared, took: Duration) {
        let what = match how {
            Prepared::Reused => "reused",
            Prepared::Created => "created",
        };
        eprintln!("  {what} {} in {:.1}s", path.display(), took.as_secs_f64());
    }

    fn cell_started(&mut self, key: &CellKey, index: usize, total: usize) {
        if !self.header_done && !self.json {
            println!("{}", human::header());
            self.header_done = true;
        }
        self.position = bar(index, total);
        if self.live {
            eprint!("\r\x1b[2K{} {} starting...", self.position, key.stem(None));
            let _ = std::io::stderr().flush();
        }
    }

    fn progress(
        &mut self,
        key: &CellKey,
        elapsed: Option<Duration>,
        planned: Option<Duration>,
        rate: f64,
    ) {
        if !self.live {
            return;
        }
        let when = match elapsed {
            None => "warming up".to_string(),
            Some(e) => {
                let of = planned.map_or(String::new(), |p| format!("/{:.1}s", p.as_secs_f64()));
                format!("{:.1}s{of}", e.as_secs_f64())
            }
        };
        eprint!(
            "\r\x1b[2K{} {} {when}  {} req/s",
            self.position,
            key.stem(None),
            human::rate(rate)
        );
        let _ = std::io::stderr().flush();
    }

    fn server_started(&mut self, service: iobound_workloads::Service, addr: std::net::SocketAddr) {
        if !self.json {
            eprintln!("started the {service:?} server on {addr} (stopped when the run ends)");
        }
    }

    fn cell_done(&mut self, cell: &CellResult) {
        self.clear_live();
        if self.json {
            let line = serde_json::json!({
                "cell": cell.key,
                "status": cell.status,
                "reason": cell.reason,
                "summary": cell.summary,
            });
            println!("{line}");
        } else {
            println!("{}", human::row(cell));
        }
    }
}
