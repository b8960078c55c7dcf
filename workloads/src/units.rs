//! Parsing of human-typed quantities: durations (`5s`, `500ms`), sizes
//! (`4K`, `1GiB`) and comma lists, and printing durations back. Typed
//! errors, one line each.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("cannot parse duration '{0}' (examples: 5s, 500ms, 2m, 1.5s)")]
    Duration(String),
    #[error("cannot parse duration '{0}': a duration cannot be negative (examples: 5s, 500ms, 2m, 1.5s)")]
    NegativeDuration(String),
    #[error("duration '{0}' has no unit: write {0}ms or {0}s (examples: 5s, 500ms, 250us)")]
    NoUnit(String),
    #[error("cannot parse size '{0}' (examples: 4096, 4K, 128KiB, 1G)")]
    Size(String),
}

/// Parses `5s`, `500ms`, `250us`, `2m`, `1.5s`. A bare number other than
/// 0 is refused: `--slo 50` is as likely meant in milliseconds as in seconds.
pub fn parse_duration(s: &str) -> Result<Duration, UnitError> {
    let err = || UnitError::Duration(s.to_string());
    let t = s.trim();
    if t.starts_with('-') && t[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return Err(UnitError::NegativeDuration(s.to_string()));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| err())?;
    let scale = match unit.trim() {
        "" if value == 0.0 => 1.0,
        "" => return Err(UnitError::NoUnit(t.to_string())),
        "s" | "sec" => 1.0,
        "ms" => 1e-3,
        // The micro sign (U+00B5) and the Greek mu (U+03BC) look alike;
        // keyboards and editors give either.
        "us" | "\u{b5}s" | "\u{3bc}s" => 1e-6,
        "ns" => 1e-9,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(err()),
    };
    let secs = value * scale;
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(err());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a byte size: `4096`, `4K`, `4KiB`, `1G`, `512m`. Suffixes are binary.
pub fn parse_size(s: &str) -> Result<u64, UnitError> {
    let err = || UnitError::Size(s.to_string());
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: u64 = num.parse().map_err(|_| err())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(err()),
    };
    value.checked_mul(1u64 << shift).ok_or_else(err)
}

/// Renders a duration the way the parser reads it back.
pub fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns % 1_000_000_000 == 0 {
        format!("{}s", ns / 1_000_000_000)
    } else if ns % 1_000_000 == 0 {
        format!("{}ms", ns / 1_000_000)
    } else if ns % 1000 == 0 {
        format!("{}us", ns / 1000)
    } else {
        format!("{ns}ns")
    }
}

/// A length for people to read, not to parse back: `3m05s`, `42s`,
/// `1h02m`, `4.2s` (tenths below ten seconds).
pub fn short_duration(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    if d < Duration::from_secs(10) {
        format!("{:.1}s", d.as_secs_f64())
    } else if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// clap's parser for sizes.
pub fn size_arg(s: &str) -> Result<u64, String> {
    parse_size(s).map_err(|e| e.to_string())
}

/// clap's parser for durations.
pub fn duration_arg(s: &str) -> Result<Duration, String> {
    parse_duration(s).map_err(|e| e.to_string())
}

/// What a count must be, for the value typed: `a count cannot be
/// negative: give a whole number of at least 1`.
pub fn count_hint(s: &str, max: Option<u64>) -> String {
    let want = match max {
        Some(m) => format!("a whole number from 1 to {m}"),
        None => "a whole number of at least 1".to_string(),
    };
    let t = s.trim();
    match t.parse::<u64>() {
        Ok(0) => "must be at least 1".to_string(),
        Ok(n) if max.is_some_and(|m| n > m) => format!("must be at most {}", max.unwrap_or(n)),
        _ if t.starts_with('-') => format!("a count cannot be negative: give {want}"),
        _ => format!("not a whole number: give {want}"),
    }
}

/// clap's parser for counts of at least 1 (`--repeat`, `--requests`):
/// a negative number, 0 or a word each say what is expected.
pub fn count_arg(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(count_hint(s, None)),
    }
}

/// clap's parser for a whole number that may be 0 (`--seed`, and numbers
/// whose own check says the rest: `--records`, `--sync-every`): a negative
/// number or a word says what is expected instead of Rust's "invalid digit".
pub fn whole_arg(s: &str) -> Result<u64, String> {
    let t = s.trim();
    t.parse::<u64>().map_err(|_| {
        let want = format!("give a whole number from 0 to {}", u64::MAX);
        if t.starts_with('-') {
            format!("cannot be negative: {want}")
        } else if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            format!("too large: {want}")
        } else {
            format!("not a whole number: {want}")
        }
    })
}

/// Serde for durations as the parser reads them (`"5s"`, `"250ms"`), so
/// run.json and suite files spell them as the command line does.
pub mod serde_duration {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_duration(*d))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        super::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

/// `Option<Duration>` as text (`null` when absent), for records that older
/// runs wrote without the field.
pub mod serde_duration_opt {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        let text: Option<String> = serde::Deserialize::deserialize(d)?;
        text.map(|t| super::parse_duration(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Splits a comma list, trimming blanks and dropping empty items.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--seed -1`, `--records x` and a 30-digit number each say what is
    /// expected (clap said "unexpected argument" or "invalid digit").
    #[test]
    fn whole_numbers_say_what_is_expected() {
        assert_eq!(whole_arg("0"), Ok(0));
        assert_eq!(whole_arg(" 42 "), Ok(42));
        assert!(whole_arg("-1")
            .unwrap_err()
            .starts_with("cannot be negative"));
        assert!(whole_arg("99999999999999999999999")
            .unwrap_err()
            .starts_with("too large"));
        assert!(whole_arg("1e3")
            .unwrap_err()
            .starts_with("not a whole number"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        // The micro sign and the Greek mu alike (an outside tester's "200μs"
        // was refused while "200µs" passed).
        for micro in ["200us", "200\u{b5}s", "200\u{3bc}s"] {
            assert_eq!(
                parse_duration(micro),
                Ok(Duration::from_micros(200)),
                "{micro}"
            );
        }
        // A bare number has no unit (0 needs none).
        assert_eq!(parse_duration("3"), Err(UnitError::NoUnit("3".into())));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(
            duration_arg("50").unwrap_err(),
            "duration '50' has no unit: write 50ms or 50s (examples: 5s, 500ms, 250us)"
        );
        for bad in ["", "s", "5x", "-1s", "1..2s", "fast"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        // Issue 18: a negative duration says so (it read as an unknown flag).
        assert!(parse_duration("-1s")
            .unwrap_err()
            .to_string()
            .contains("cannot be negative"));
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(format_duration(Duration::from_secs(3)), "3s");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("128KiB"), Ok(128 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("99999999999T").is_err());
        assert!(parse_size("4X").is_err());
    }

    /// Issue 18: a count given as -1, 0 or a word says what is expected.
    #[test]
    fn counts_say_what_is_expected() {
        assert_eq!(count_arg("3"), Ok(3));
        assert_eq!(
            count_arg("-1").unwrap_err(),
            "a count cannot be negative: give a whole number of at least 1"
        );
        assert_eq!(count_arg("0").unwrap_err(), "must be at least 1");
        assert!(count_arg("x")
            .unwrap_err()
            .starts_with("not a whole number"));
        assert_eq!(count_hint("5000000000", Some(1000)), "must be at most 1000");
    }

    #[test]
    fn lists() {
        assert_eq!(
            split_list("threads, uring,,rayon"),
            ["threads", "uring", "rayon"]
        );
        assert!(split_list(" , ").is_empty());
    }
}
