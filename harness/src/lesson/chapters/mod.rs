//! The five chapters, following the seed lesson's sections: a coroutine, the
//! event loop, `gather`, when async pays off, and `create_task`.
//!
//! This module holds the titles, the figures and the running of a
//! chapter; `sleeps` has the chapters made of sleeps (1, 2, 3 and 5, on the
//! lesson's event loop), `measured` chapter 4, which measures real cells.

mod measured;
mod sleeps;

use std::time::Duration;

use super::runtime::block_on;
use super::{Kind, LessonError, Settings, Transcript};
use crate::run;

use self::measured::chapter4;
pub use self::measured::data_files;
use self::sleeps::{chapter1, chapter2, chapter3, chapter5};

/// Number of chapters (fixed in `config`, which checks `lesson N` before
/// anything runs).
pub const COUNT: usize = crate::config::CHAPTERS;

/// Chapter titles, in the chosen language.
pub fn title(n: usize, s: &Settings) -> &'static str {
    let l = s.lang;
    match n {
        1 => l.pick(
            "Coroutines: an async fn that sleeps",
            "Coroutines : une async fn qui dort",
        ),
        2 => l.pick(
            "The event loop, traced",
            "La boucle d'événements, pas à pas",
        ),
        3 => l.pick(
            "gather: three waits at once",
            "gather : trois attentes à la fois",
        ),
        4 => l.pick(
            "When async pays off: I/O-bound against CPU-bound",
            "Quand l'asynchrone paie : I/O contre CPU",
        ),
        5 => l.pick(
            "create_task: work in the background",
            "create_task : une tâche en arrière-plan",
        ),
        _ => "",
    }
}

/// Figures a chapter measured, by name, in seconds or as ratios.
#[derive(Debug, Default, Clone)]
pub struct Figures(pub Vec<(&'static str, f64)>);

impl Figures {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
    }
    fn put(&mut self, name: &'static str, v: f64) {
        self.0.push((name, v));
    }
}

/// What chapters `chapters` need, checked before the first line is
/// printed: an event loop that starts (io_uring), and for chapter 4 a data
/// directory that can hold its file (created when missing).
pub fn check(chapters: &[usize], s: &Settings) -> Result<(), LessonError> {
    if chapters.is_empty() {
        return Ok(());
    }
    check_runtime()?;
    if chapters.contains(&4) {
        run::check_data_dir(&s.data_dir, &data_files(s), "free some space")?;
    }
    Ok(())
}

/// Runs chapter `n`.
pub fn run(n: usize, s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
    out.say(Kind::Heading, format!("{n}. {}", title(n, s)));
    if s.speed != 1.0 {
        out.say(
            Kind::Explain,
            format!(
                "{} {}",
                s.lang.pick(
                    "every delay is divided by --speed",
                    "chaque délai est divisé par --speed"
                ),
                s.speed
            ),
        );
    }
    let before = out.examples().len();
    let figures = match n {
        1 => chapter1(s, out),
        2 => chapter2(s, out),
        3 => chapter3(s, out),
        4 => chapter4(s, out),
        5 => chapter5(s, out),
        _ => Err(LessonError::NoChapter(n)),
    }?;
    super::python::chapter(n, s, out, &figures, &out.examples()[before..]);
    Ok(figures)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Runs every chapter in order.
pub fn run_all(s: &Settings, out: &Transcript) -> Result<Vec<Figures>, LessonError> {
    (1..=COUNT).map(|n| run(n, s, out)).collect()
}

/// Makes sure the loop can start at all, with a plain reason when not.
pub fn check_runtime() -> Result<(), LessonError> {
    block_on(async {}, None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(speed: f64) -> Settings {
        Settings {
            lang: super::super::Lang::En,
            speed,
            data_dir: std::env::temp_dir().join("iobound-lesson-test"),
            python: None,
        }
    }

    fn available() -> bool {
        let ok = io_uring::IoUring::new(2).is_ok();
        if !ok {
            crate::errln!("skipping: io_uring unavailable here");
        }
        ok
    }

    #[test]
    fn gather_overlaps_and_sequential_adds_up() {
        if !available() {
            return;
        }
        let out = Transcript::new(false);
        let f = run(3, &settings(10.0), &out).unwrap();
        let r = f.get("gather_over_longest").unwrap();
        assert!((1.0..=1.10).contains(&r), "gather / longest = {r}");
        let r = f.get("sequential_over_gather").unwrap();
        assert!((1.6..=1.9).contains(&r), "sequential / gather = {r}");
        let ex = out.examples();
        assert_eq!(
            ex[..8],
            [
                "Début de 'hello'",
                "Début de 'world'",
                "Début de 'async'",
                "async",
                "hello",
                "world",
                &ex[6],
                "Résultats : [5, 5, 5]"
            ]
        );
        assert!(ex[6].starts_with("Programme terminé en "), "{}", ex[6]);
    }

    #[test]
    fn create_task_overlaps_the_pause_with_the_task() {
        if !available() {
            return;
        }
        let s = settings(5.0);
        let f = run(5, &s, &Transcript::new(false)).unwrap();
        // Never early. The task overlapping the pause is what is tested: one
        // after the other would take 1.5x the overlapped total, so anything
        // under 1.45x is overlap plus the scheduling noise of a shared
        // machine (a timed bound tighter than that failed under load).
        for (name, want) in [
            ("paused_s", 0.2),
            ("total_s", 0.4),
            ("lazy_paused_s", 0.2),
            ("lazy_total_s", 0.4),
        ] {
            let got = f.get(name).unwrap();
            assert!(got >= want && got < want * 1.45, "{name}: {got}");
        }
    }

    #[test]
    fn the_trace_parks_the_sleeping_task_and_wakes_it_on_its_timeout() {
        if !available() {
            return;
        }
        let out = Transcript::new(false);
        run(2, &settings(50.0), &out).unwrap();
        let trace: Vec<String> = out
            .lines()
            .into_iter()
            .filter(|l| l.kind == Kind::Trace)
            .map(|l| l.text)
            .collect();
        let find = |needle: &str| {
            trace
                .iter()
                .position(|t| t.ends_with(needle))
                .unwrap_or_else(|| panic!("no '{needle}' in {trace:#?}"))
        };
        assert!(find("main awaits something not ready: parked") < find("timeouts pending: 1)"));
        assert!(find("timeouts pending: 1)") < find("timeout completed: main is ready again"));
        // The two-task example: the shorter sleep completes first.
        assert!(
            find("timeout completed: autre is ready again")
                < find("timeout completed: ma_coroutine is ready again")
        );
    }
}
