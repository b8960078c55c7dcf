//! `iobound lesson`'s flags checked: which chapters, at what speed, and
//! the settings the lesson runs with. Defined here, below `lesson`, so
//! the checks need nothing from the lesson itself.

use std::path::PathBuf;

use super::ConfigError;
use crate::lang::Lang;

/// Number of chapters of `iobound lesson` (`lesson::chapters` runs them).
pub(crate) const CHAPTERS: usize = 5;

/// Fastest `iobound lesson --speed`: its shortest delay (0.5 s) stays half
/// a millisecond, well above what the event loop itself takes.
pub(crate) const MAX_SPEED: f64 = 1000.0;

/// Settings of one `iobound lesson` run.
#[derive(Debug, Clone)]
pub struct LessonSettings {
    pub lang: Lang,
    /// Every delay is divided by this.
    pub speed: f64,
    /// Where chapter 4's data file goes.
    pub data_dir: PathBuf,
    /// The interpreter that runs each chapter again in Python asyncio;
    /// `None` with `--no-python`.
    pub python: Option<String>,
}

/// What `iobound lesson` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LessonPick {
    List,
    One(usize),
    All,
}

/// Checks `iobound lesson`'s flags.
pub fn lesson_config(
    a: &crate::cli::LessonArgs,
) -> Result<(LessonPick, LessonSettings), ConfigError> {
    let pick = match a.chapter.as_deref() {
        None => LessonPick::List,
        Some("all") => LessonPick::All,
        Some(n) => match n.parse::<usize>() {
            Ok(k) if (1..=CHAPTERS).contains(&k) => LessonPick::One(k),
            _ => return Err(ConfigError::Chapter(n.to_string())),
        },
    };
    if !(a.speed.is_finite() && a.speed > 0.0 && a.speed <= MAX_SPEED) {
        return Err(ConfigError::Speed(a.speed));
    }
    Ok((
        pick,
        LessonSettings {
            lang: a.lang.lang,
            speed: a.speed,
            data_dir: a.data.dir(),
            python: (!a.no_python).then(|| a.python.clone().unwrap_or_else(|| "python3".into())),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::parse_cli;

    /// Issue 18: a speed that would leave the lesson's delays below what
    /// its event loop itself takes is refused (1e12 printed "inf x").
    #[test]
    fn lesson_speeds_that_make_timings_meaningless_are_refused() {
        let lesson = |speed: &str| match parse_cli(&["lesson", "3", "--speed", speed]).command {
            crate::cli::Command::Lesson(a) => lesson_config(&a).map(|_| ()),
            _ => unreachable!(),
        };
        assert!(lesson("1000").is_ok() && lesson("100").is_ok());
        for bad in ["1e12", "1001", "inf", "NaN", "0", "-3"] {
            let e = lesson(bad).err().unwrap().to_string();
            assert!(e.contains("at most 1000"), "{bad}: {e}");
        }
    }
}
