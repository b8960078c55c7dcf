//! The terminal observer: data-file preparation notes and, when stderr is a
//! terminal, a live progress line (an `indicatif` bar) with the current
//! cell and an estimate of the time left for the whole run; result rows on
//! stdout.

use std::io::IsTerminal;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use iobound_workloads::dataset::Prepared;
use iobound_workloads::units::short_duration;

use crate::output::human;
use crate::result::{CellKey, CellResult};
use crate::run::Observer;

/// Time left in a run. With durations planned (`total`: every cell's
/// warm-up plus duration), what remains of the plan, stretched by the pace
/// the run has kept so far (set-up, cache warming and thread start make a
/// cell take longer than planned); with request-bounded cells, the average
/// time of the finished cells times the cells left. `None` before there is
/// anything to go on.
pub fn time_left(
    total: Option<Duration>,
    planned_done: Duration,
    cells: (usize, usize),
    wall: Duration,
) -> Option<Duration> {
    let (done, all) = cells;
    match total {
        Some(total) => {
            let left = total.saturating_sub(planned_done);
            // The pace is trusted once a second or more of the plan is done.
            let pace = if planned_done >= Duration::from_secs(1) {
                (wall.as_secs_f64() / planned_done.as_secs_f64()).clamp(1.0, 10.0)
            } else {
                1.0
            };
            Some(left.mul_f64(pace))
        }
        None if done == 0 => None,
        None => Some(wall.mul_f64((all - done.min(all)) as f64 / done as f64)),
    }
}

/// What the run will take, before its first cell: the cells, their
/// measuring time, the estimate with set-up, and whether it exceeds the
/// suite's budget.
pub fn plan_line(plan: &crate::run::PlanSummary) -> String {
    let cells = plan.cells;
    let mut line = format!("plan: {cells} cell{}", if cells == 1 { "" } else { "s" });
    if let (Some(p), Some(e)) = (plan.planned, plan.estimate) {
        line.push_str(&format!(
            ", {} of warm-up and measuring; about {} with set-up",
            short_duration(p),
            short_duration(e)
        ));
        if let Some(b) = plan.budget {
            if e > b {
                line.push_str(&format!(
                    " — over the suite's budget of {} (fewer --repeat or a --time-scale below 1 shortens it)",
                    short_duration(b)
                ));
            } else {
                line.push_str(&format!(" (the suite's budget: {})", short_duration(b)));
            }
        }
    }
    line
}

/// The run as planned and as done so far, for the estimate.
#[derive(Default)]
struct Pace {
    started: Option<Instant>,
    total: Option<Duration>,
    cells: usize,
    done: usize,
    /// Planned time of the finished cells.
    planned_done: Duration,
    /// The current cell's planned time, and when it started.
    current: Option<(Option<Duration>, Instant)>,
}

impl Pace {
    fn left(&self) -> Option<Duration> {
        let now = Instant::now();
        let current = match self.current {
            Some((Some(p), t)) => now.duration_since(t).min(p),
            _ => Duration::ZERO,
        };
        time_left(
            self.total,
            self.planned_done + current,
            (self.done, self.cells),
            now.duration_since(self.started?),
        )
    }
}

/// The live line: the bar and its count are of cells done (0/2 while the
/// first of two runs), and say so.
const PROGRESS_TEMPLATE: &str = "[{bar:20}] {pos}/{len} cells done · {wide_msg}";

pub struct Terminal {
    /// Whether the live line is shown (progress on a terminal, not quiet).
    live: bool,
    json: bool,
    header_done: bool,
    /// The live line; hidden when quiet or when stderr is not a terminal.
    bar: ProgressBar,
    pace: Pace,
    /// Cell lines go to stderr (`advise --json`, whose stdout holds its
    /// JSON document alone).
    on_stderr: bool,
}

impl Terminal {
    /// `quiet` silences progress; `json` prints one JSON object per cell instead of a table.
    pub fn new(quiet: bool, json: bool) -> Self {
        let live = !quiet && std::io::stderr().is_terminal();
        // Hidden until the cells are planned (see `run_planned`).
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(PROGRESS_TEMPLATE)
                .expect("a valid template")
                .progress_chars("##-"),
        );
        Terminal {
            live,
            json,
            header_done: false,
            bar,
            pace: Pace::default(),
            on_stderr: false,
        }
    }

    /// The same, with the cell lines on stderr instead of stdout.
    pub fn on_stderr(mut self) -> Self {
        self.on_stderr = true;
        self
    }

    /// Writes a line of the cells' table where it goes. A closed stream
    /// (`| head`) must not end the run: the results are in the files.
    fn emit(&self, line: &str) {
        self.bar.suspend(|| {
            drop(if self.on_stderr {
                writeln!(std::io::stderr(), "{line}")
            } else {
                writeln!(std::io::stdout(), "{line}")
            })
        });
    }

    /// Prints a line on stderr above the live line.
    fn note(&self, line: &str) {
        self.bar.suspend(|| crate::errln!("{line}"));
    }

    /// The estimate first, so a narrow terminal cuts the cell's details
    /// rather than the time left.
    fn left(&self) -> String {
        self.pace
            .left()
            .map_or(String::new(), |d| format!("~{} left · ", short_duration(d)))
    }
}

impl Observer for Terminal {
    fn system(&mut self, i: &crate::sysinfo::SystemInfo) {
        if !self.json {
            self.note(&human::system_line(i));
        }
    }

    fn preparing(&mut self, path: &Path, size: u64) {
        self.note(&format!(
            "preparing {} ({})...",
            path.display(),
            human::bytes(size as f64)
        ));
    }

    fn prepared(&mut self, path: &Path, how: Prepared, took: Duration) {
        let what = match how {
            Prepared::Reused => "reused",
            Prepared::Created => "created",
        };
        self.note(&format!(
            "  {what} {} in {:.1}s",
            path.display(),
            took.as_secs_f64()
        ));
    }

    fn data_files(&mut self, dir: &Path, count: usize, bytes: u64) {
        if !self.json && count > 0 {
            self.note(&format!(
                "data files: {count} in {} ({}), kept for later runs; `iobound clean{}` removes them",
                dir.display(),
                human::bytes(bytes as f64),
                if dir == crate::config::default_data_dir() {
                    String::new()
                } else {
                    format!(" --data-dir {}", dir.display())
                }
            ));
        }
    }

    fn run_planned(&mut self, plan: &crate::run::PlanSummary) {
        let cells = plan.cells;
        self.pace = Pace {
            started: Some(Instant::now()),
            total: plan.estimate,
            cells,
            ..Pace::default()
        };
        self.bar.set_length(cells as u64);
        if self.live {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        if !self.json {
            self.note(&plan_line(plan));
        }
    }

    fn cell_started(
        &mut self,
        key: &CellKey,
        index: usize,
        _total: usize,
        planned: Option<Duration>,
    ) {
        if !self.header_done && !self.json {
            self.emit(&human::header());
            self.header_done = true;
        }
        self.pace.current = Some((
            planned.map(|p| crate::run::estimate(p, key.concurrency)),
            Instant::now(),
        ));
        self.bar
            .set_message(format!("{}{} starting...", self.left(), key.stem(None)));
        // `index` cells are done; the one starting is not counted until it
        // ends (the count read 1/2 while the first of two ran).
        self.bar.set_position(index as u64);
    }

    fn progress(
        &mut self,
        key: &CellKey,
        elapsed: Option<Duration>,
        planned: Option<Duration>,
        rate: f64,
    ) {
        let when = match elapsed {
            None => "warming up".to_string(),
            Some(e) => {
                let of = planned.map_or(String::new(), |p| format!("/{:.1}s", p.as_secs_f64()));
                format!("{:.1}s{of}", e.as_secs_f64())
            }
        };
        self.bar.set_message(format!(
            "{}{} {when}  {} req/s",
            self.left(),
            key.stem(None),
            human::rate(rate),
        ));
    }

    fn server_started(
        &mut self,
        service: iobound_workloads::Service,
        addr: std::net::SocketAddr,
        group: usize,
        rep: Option<u32>,
    ) {
        // Once per group: later repetitions start it again the same way.
        if !self.json && rep.unwrap_or(1) == 1 {
            let what = match service {
                iobound_workloads::Service::Echo => "the echo server (iobound serve echo)",
                iobound_workloads::Service::Db => "the database server (iobound serve db)",
                iobound_workloads::Service::Redis => "Redis (redis-server, its records loaded)",
            };
            self.note(&format!(
                "group {}: started {what} on {addr}; it stops after the group's last cell{}",
                group + 1,
                if rep.is_some() {
                    " and starts afresh in each repetition"
                } else {
                    ""
                }
            ));
        }
    }

    fn cell_done(&mut self, cell: &CellResult) {
        if let Some((planned, _)) = self.pace.current.take() {
            // Already the cell's estimate, taken when it started.
            self.pace.planned_done += planned.unwrap_or(Duration::ZERO);
        }
        self.pace.done += 1;
        self.bar.set_position(self.pace.done as u64);
        let line = if self.json {
            serde_json::json!({
                "cell": cell.key,
                "status": cell.status,
                "reason": cell.reason,
                "summary": cell.summary,
            })
            .to_string()
        } else {
            human::row(cell)
        };
        self.emit(&line);
        if self.pace.done >= self.pace.cells {
            self.bar.finish_and_clear();
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16: before its first cell a run says how many cells, how long
    /// with set-up, and whether that exceeds the suite's budget (fails
    /// without the warning).
    #[test]
    fn the_plan_says_its_estimate_and_the_budget_it_exceeds() {
        let s = Duration::from_secs;
        let plan = |budget| crate::run::PlanSummary {
            cells: 393,
            planned: Some(s(497)),
            estimate: Some(s(556)),
            budget,
        };
        let within = plan_line(&plan(Some(s(720))));
        assert!(within.starts_with("plan: 393 cells, 8m17s of warm-up and measuring; about 9m16s"));
        assert!(
            within.contains("budget: 12m00s") && !within.contains("over"),
            "{within}"
        );
        let over = plan_line(&plan(Some(s(300))));
        assert!(over.contains("over the suite's budget of 5m00s"), "{over}");
        assert!(!plan_line(&plan(None)).contains("budget"));
    }

    /// Issue 18: while the first of two cells runs, the count shows 0/2
    /// cells done (it showed 1/2), and the line says the count is of cells
    /// done.
    #[test]
    fn the_count_is_of_cells_done() {
        assert!(PROGRESS_TEMPLATE.contains("{pos}/{len} cells done"));
        let mut t = Terminal::new(true, true);
        t.run_planned(&crate::run::PlanSummary {
            cells: 2,
            planned: None,
            estimate: None,
            budget: None,
        });
        let key = CellKey {
            workload: "cpu-hash".into(),
            direct: false,
            tag: None,
            mode: "threads".into(),
            concurrency: 1,
            rate: None,
        };
        t.cell_started(&key, 0, 2, None);
        assert_eq!(t.bar.position(), 0);
        t.cell_started(&key, 1, 2, None);
        assert_eq!(t.bar.position(), 1);
    }

    /// Issue 13: the progress line estimates the time left for the whole
    /// run, not only the current cell (fails without the estimate).
    #[test]
    fn time_left_follows_the_plan_and_the_pace() {
        let s = Duration::from_secs;
        // Half of a 100 s plan done in 60 s: 50 s left at 1.2x, 60 s.
        assert_eq!(time_left(Some(s(100)), s(50), (5, 10), s(60)), Some(s(60)));
        // Faster than planned (skipped cells) never promises less than the plan.
        assert_eq!(time_left(Some(s(100)), s(50), (5, 10), s(10)), Some(s(50)));
        // Nothing done yet: the plan itself.
        assert_eq!(time_left(Some(s(90)), s(0), (0, 9), s(0)), Some(s(90)));
        // Request-bounded cells: 2 of 6 took 10 s, 4 more take 20 s.
        assert_eq!(time_left(None, s(0), (2, 6), s(10)), Some(s(20)));
        assert_eq!(time_left(None, s(0), (0, 6), s(10)), None);
        assert_eq!(short_duration(s(185)), "3m05s");
        assert_eq!(short_duration(s(42)), "42s");
        assert_eq!(short_duration(s(3720)), "1h02m");
    }
}
