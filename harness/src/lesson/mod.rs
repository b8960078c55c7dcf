//! `iobound lesson`: the seed lesson's asyncio examples as Rust `async fn`s
//! on an io_uring event loop ([`runtime`]), with their output lines, measured
//! timings, and the synchronous version beside them; then the same example
//! in Python asyncio ([`python`]).
//!
//! Chapters write to a [`Transcript`] rather than to stdout directly, so
//! tests can check the lines, their order and the time each appeared at.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

pub mod chapters;
pub mod python;
pub mod runtime;

pub use crate::lang::Lang;

/// What a transcript line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A line the lesson's example prints (kept word for word).
    Example,
    /// Our explanation, in the chosen language.
    Explain,
    /// A measured figure.
    Measure,
    /// A line of the event loop's trace (chapter 2).
    Trace,
    /// A chapter heading.
    Heading,
    /// A line the same example printed in Python ([`python`]).
    Python,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub kind: Kind,
    pub text: String,
    /// When it was written, from the transcript's start.
    pub at: Duration,
}

/// The lines a chapter wrote, optionally echoed live to stdout.
#[derive(Clone)]
pub struct Transcript {
    inner: Rc<RefCell<Vec<Line>>>,
    start: Instant,
    live: bool,
}

impl Transcript {
    pub fn new(live: bool) -> Self {
        Transcript {
            inner: Rc::new(RefCell::new(Vec::new())),
            start: Instant::now(),
            live,
        }
    }

    pub fn say(&self, kind: Kind, text: impl Into<String>) {
        let text = text.into();
        if self.live {
            crate::outln!("{}", render(kind, &text));
        }
        self.inner.borrow_mut().push(Line {
            kind,
            text,
            at: self.start.elapsed(),
        });
    }

    pub fn lines(&self) -> Vec<Line> {
        self.inner.borrow().clone()
    }

    /// The example lines only, in order.
    pub fn examples(&self) -> Vec<String> {
        self.inner
            .borrow()
            .iter()
            .filter(|l| l.kind == Kind::Example)
            .map(|l| l.text.clone())
            .collect()
    }
}

/// How a line looks on the terminal: example output bare, as the lesson
/// shows it; everything else marked so a reader tells them apart.
pub fn render(kind: Kind, text: &str) -> String {
    match kind {
        Kind::Example => text.to_string(),
        Kind::Explain => format!("  # {text}"),
        Kind::Measure => format!("  = {text}"),
        Kind::Trace => format!("    | {text}"),
        Kind::Heading => format!("\n== {text} =="),
        Kind::Python => format!("py> {text}"),
    }
}

/// Settings of one `iobound lesson` run, as `config` checked them (it sits
/// below the lesson, and the lesson below nothing it would need).
pub use crate::config::LessonSettings as Settings;

impl Settings {
    /// A lesson delay of `secs` seconds, scaled by `--speed`.
    pub fn delay(&self, secs: f64) -> Duration {
        Duration::from_secs_f64(secs / self.speed)
    }
}

/// Errors of a chapter.
#[derive(Debug, thiserror::Error)]
pub enum LessonError {
    #[error(transparent)]
    Runtime(#[from] runtime::RuntimeError),
    #[error("chapter 4: {0}")]
    Measure(String),
    #[error("no chapter {0}: chapters are 1 to {max}", max = chapters::COUNT)]
    NoChapter(usize),
    /// The data directory cannot hold chapter 4's file: bad input, found
    /// before any line is printed.
    #[error(transparent)]
    DataDir(#[from] crate::run::Preflight),
}

impl LessonError {
    /// Whether the user's input is at fault (exit status 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, LessonError::DataDir(_))
    }
}
