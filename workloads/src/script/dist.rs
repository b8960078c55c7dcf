//! A wait or a size that varies from request to request: fixed, uniform,
//! exponential or given by percentiles, drawn from the request's number
//! and the seed (as keys are, `keys.rs`), so every engine runs the same
//! requests.

use serde::{Deserialize, Serialize};

/// Millionths: percentiles are kept as integers so a script stays `Eq`
/// and reads back from run.json exactly.
pub(crate) const PPM: u32 = 1_000_000;

/// An exponential draw is cut at this many times its mean: one draw in
/// 22,000 would go beyond, and buffers are sized for the largest draw.
pub(crate) const EXP_CUT: u64 = 10;

/// A distribution of integers (bytes for a size, microseconds for a wait).
/// Read back from run.json through [`DistRecord`] and checked, since
/// [`Dist::at`] and [`Dist::mean`] rely on its shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, try_from = "DistRecord")]
pub enum Dist {
    /// Always this value (what every file said before distributions; a
    /// bare number in run.json).
    Fixed(u64),
    /// Every integer from `uniform[0]` to `uniform[1]`, both included,
    /// equally likely.
    Uniform { uniform: [u64; 2] },
    /// Exponential of mean `exponential`, cut at `max`.
    Exponential { exponential: u64, max: u64 },
    /// `(percentile in millionths, value)`, rising in both, the last at
    /// the 100th percentile; values between two are interpolated linearly,
    /// and below the first one every draw is the first value.
    Percentiles { percentiles: Vec<(u32, u64)> },
}

/// A distribution as run.json spells it, before its checks: a hand-edited
/// or corrupted file (`uniform: [9, 1]`, no percentiles) would otherwise
/// reach the arithmetic of a draw and panic in a report or a compare.
#[derive(Deserialize)]
#[serde(untagged)]
enum DistRecord {
    Fixed(u64),
    Uniform { uniform: [u64; 2] },
    Exponential { exponential: u64, max: u64 },
    Percentiles { percentiles: Vec<(u32, u64)> },
}

impl TryFrom<DistRecord> for Dist {
    type Error = String;

    /// What `parse` guarantees of a distribution, checked again.
    fn try_from(r: DistRecord) -> Result<Dist, String> {
        Ok(match r {
            DistRecord::Fixed(v) => Dist::Fixed(v),
            DistRecord::Uniform { uniform: [a, b] } => {
                if a > b {
                    return Err(format!("distribution uniform: [{a}, {b}]: needs a <= b"));
                }
                Dist::Uniform { uniform: [a, b] }
            }
            DistRecord::Exponential { exponential, max } => {
                if exponential == 0 || max < exponential {
                    return Err(format!(
                        "distribution exponential: {exponential}, max: {max}: needs a mean \
                         above 0 and a max at least the mean"
                    ));
                }
                Dist::Exponential { exponential, max }
            }
            DistRecord::Percentiles { percentiles } => {
                let rising = percentiles
                    .windows(2)
                    .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1);
                if !rising || percentiles.last().map(|p| p.0) != Some(PPM) {
                    return Err(format!(
                        "distribution percentiles: {percentiles:?}: needs percentiles (in \
                         millionths) rising to {PPM}, and values that do not fall"
                    ));
                }
                Dist::Percentiles { percentiles }
            }
        })
    }
}

impl Dist {
    /// The value of a draw `u` in `[0, 1)`.
    pub fn at(&self, u: f64) -> u64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { uniform: [a, b] } => {
                let span = (b - a + 1) as f64;
                (a + (u * span) as u64).min(*b)
            }
            Dist::Exponential { exponential, max } => {
                let x = -(*exponential as f64) * (1.0 - u).ln();
                (x.round() as u64).min(*max)
            }
            Dist::Percentiles { percentiles: p } => {
                let q = u * PPM as f64;
                let mut prev = p[0];
                if q <= prev.0 as f64 {
                    return prev.1;
                }
                for &(at, v) in &p[1..] {
                    if q <= at as f64 {
                        let f = (q - prev.0 as f64) / (at - prev.0) as f64;
                        return prev.1 + ((v - prev.1) as f64 * f).round() as u64;
                    }
                    prev = (at, v);
                }
                prev.1
            }
        }
    }

    /// The largest value a draw can take (what buffers are sized for).
    pub fn max(&self) -> u64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { uniform } => uniform[1],
            Dist::Exponential { max, .. } => *max,
            Dist::Percentiles { percentiles } => percentiles.last().map_or(0, |p| p.1),
        }
    }

    /// The mean of the draws (what a request costs on average, for its class).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed(v) => *v as f64,
            Dist::Uniform { uniform: [a, b] } => (*a as f64 + *b as f64) / 2.0,
            Dist::Exponential { exponential, max } => {
                // E[min(X, m)] = mean * (1 - e^(-m/mean)).
                let m = *exponential as f64;
                m * (1.0 - (-(*max as f64) / m.max(1.0)).exp())
            }
            Dist::Percentiles { percentiles: p } => {
                let mut sum = p[0].1 as f64 * p[0].0 as f64;
                for w in p.windows(2) {
                    let ((a, va), (b, vb)) = (w[0], w[1]);
                    sum += (va as f64 + vb as f64) / 2.0 * (b - a) as f64;
                }
                sum / PPM as f64
            }
        }
    }

    /// Whether every draw is the same value.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Dist::Fixed(_))
    }

    /// The distribution as a file writes it, each value through `unit`.
    pub fn text(&self, unit: impl Fn(u64) -> String) -> String {
        match self {
            Dist::Fixed(v) => unit(*v),
            Dist::Uniform { uniform: [a, b] } => format!("uniform({}, {})", unit(*a), unit(*b)),
            Dist::Exponential { exponential, .. } => format!("exponential({})", unit(*exponential)),
            Dist::Percentiles { percentiles } => format!(
                "percentiles({})",
                percentiles
                    .iter()
                    .map(|&(q, v)| format!("p{}={}", percent_text(q), unit(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A percentile in millionths as written: 99, 99.9, 50.
fn percent_text(q: u32) -> String {
    let s = format!("{:.4}", q as f64 / 10_000.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What went wrong reading a distribution: the byte of the text it is
/// about, and what was expected there.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DistError {
    pub(crate) at: usize,
    pub(crate) msg: String,
}

/// Reads `text` as a distribution whose values `one` reads (a value with
/// its unit; `Err` says what was expected). `what` names the key.
pub(crate) fn parse(
    text: &str,
    what: &str,
    one: &dyn Fn(&str) -> Result<u64, String>,
) -> Result<Dist, DistError> {
    let err = |at: usize, msg: String| DistError { at, msg };
    let Some(open) = text.find('(') else {
        return one(text.trim())
            .map(Dist::Fixed)
            .map_err(|m| err(lead(text), format!("{what} '{text}': {m}")));
    };
    let func = text[..open].trim();
    let Some(inner) = text[open + 1..].strip_suffix(')') else {
        return Err(err(
            text.len(),
            format!("{what} '{text}': expected a closing ')'"),
        ));
    };
    // Each argument with the byte where it starts in `text`.
    let mut args = Vec::new();
    let mut start = open + 1;
    for a in inner.split(',') {
        args.push((start + lead(a), a.trim()));
        start += a.len() + 1;
    }
    let value = |(at, a): (usize, &str)| {
        one(a).map_err(|m| err(at, format!("{what}: {func}'s '{a}': {m}")))
    };
    let count = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(err(
                open + 1,
                format!(
                    "{what}: {func}() takes {n} value{}, got {}",
                    if n == 1 { "" } else { "s" },
                    args.len()
                ),
            ))
        }
    };
    match func {
        "uniform" => {
            count(2)?;
            let (a, b) = (value(args[0])?, value(args[1])?);
            if a > b {
                return Err(err(
                    args[1].0,
                    format!("{what}: uniform(a, b) needs a <= b"),
                ));
            }
            Ok(Dist::Uniform { uniform: [a, b] })
        }
        "exponential" => {
            count(1)?;
            let mean = value(args[0])?;
            if mean == 0 {
                return Err(err(args[0].0, format!("{what}: the mean must be above 0")));
            }
            Ok(Dist::Exponential {
                exponential: mean,
                max: mean.saturating_mul(EXP_CUT),
            })
        }
        "percentiles" => {
            let mut points: Vec<(u32, u64)> = Vec::new();
            for &(at, a) in &args {
                let bad = || {
                    err(
                        at,
                        format!("{what}: '{a}': expected pN=VALUE, e.g. p99=50ms"),
                    )
                };
                let eq = a.find('=').ok_or_else(bad)?;
                let (p, v) = (&a[..eq], &a[eq + 1..]);
                let q = p
                    .trim()
                    .strip_prefix('p')
                    .and_then(|n| n.parse::<f64>().ok())
                    .filter(|q| (0.0..=100.0).contains(q))
                    .ok_or_else(bad)?;
                let q = (q * 10_000.0).round() as u32;
                let v = value((at + eq + 1 + lead(v), v.trim()))?;
                if let Some(&(pq, pv)) = points.last() {
                    if q <= pq || v < pv {
                        return Err(err(
                            at,
                            format!(
                                "{what}: percentiles rise from left to right, and so do their values"
                            ),
                        ));
                    }
                }
                points.push((q, v));
            }
            if points.last().map(|p| p.0) != Some(PPM) {
                return Err(err(
                    text.len() - 1,
                    format!(
                        "{what}: percentiles(...) ends with p100=VALUE, the largest a draw can be"
                    ),
                ));
            }
            Ok(Dist::Percentiles {
                percentiles: points,
            })
        }
        _ => Err(err(
            lead(text),
            format!(
                "{what} '{text}': expected a value, uniform(a, b), exponential(mean) or \
                 percentiles(p50=.., p100=..)"
            ),
        )),
    }
}

/// Bytes of leading white space.
fn lead(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Result<u64, String> {
        s.parse().map_err(|_| "expected a number".to_string())
    }

    fn p(s: &str) -> Result<Dist, DistError> {
        parse(s, "size", &num)
    }

    #[test]
    fn each_form_reads_and_writes_back() {
        for t in [
            "7",
            "uniform(1, 9)",
            "exponential(10)",
            "percentiles(p50=5, p99.9=50, p100=80)",
        ] {
            let d = p(t).unwrap();
            assert_eq!(d.text(|v| v.to_string()), t);
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<Dist>(&json).unwrap(), d, "{json}");
        }
    }

    #[test]
    fn mistakes_point_at_their_byte() {
        assert_eq!(p("uniform(1, x)").unwrap_err().at, 11);
        assert_eq!(p("uniform(9, 1)").unwrap_err().at, 11);
        assert_eq!(p("percentiles(p50=5,  p99=x, p100=9)").unwrap_err().at, 24);
        assert!(p("percentiles(p50=5, p99=50)")
            .unwrap_err()
            .msg
            .contains("p100"));
        assert!(p("percentiles(p50=5, p40=50, p100=80)")
            .unwrap_err()
            .msg
            .contains("rise"));
        assert!(p("normal(1, 2)")
            .unwrap_err()
            .msg
            .contains("expected a value"));
        assert!(p("uniform(1, 2").unwrap_err().msg.contains("')'"));
        assert!(p("uniform(1)").unwrap_err().msg.contains("takes 2 values"));
    }

    /// Draws over a fine grid of `u`: in range, and with the mean
    /// [`Dist::mean`] says.
    #[test]
    fn draws_stay_in_range_and_have_their_mean() {
        for t in [
            "uniform(100, 300)",
            "exponential(1000)",
            "percentiles(p50=5000, p99=50000, p100=80000)",
        ] {
            let d = p(t).unwrap();
            let n = 100_000;
            let draws: Vec<u64> = (0..n).map(|i| d.at((i as f64 + 0.5) / n as f64)).collect();
            assert!(draws.iter().all(|&v| v <= d.max()), "{t}");
            let mean = draws.iter().sum::<u64>() as f64 / n as f64;
            assert!(
                (mean - d.mean()).abs() / d.mean() < 0.01,
                "{t}: {mean} vs {}",
                d.mean()
            );
        }
        let q = p("percentiles(p50=5000, p99=50000, p100=80000)").unwrap();
        assert_eq!(q.at(0.25), 5000);
        assert_eq!(q.at(0.99), 50000);
        assert_eq!(p("uniform(3, 3)").unwrap().at(0.999), 3);
    }

    /// An outsider's finding: a hand-edited run.json's distribution was
    /// read as written, and a report drawing from it could panic; each
    /// shape `parse` refuses is refused on load too.
    #[test]
    fn a_recorded_distribution_is_checked_on_load() {
        for bad in [
            r#"{"uniform":[9,1]}"#,
            r#"{"exponential":0,"max":0}"#,
            r#"{"exponential":10,"max":5}"#,
            r#"{"percentiles":[]}"#,
            r#"{"percentiles":[[500000,5],[400000,9],[1000000,10]]}"#,
            r#"{"percentiles":[[500000,9],[1000000,5]]}"#,
            r#"{"percentiles":[[500000,5],[990000,9]]}"#,
        ] {
            let e = serde_json::from_str::<Dist>(bad).unwrap_err().to_string();
            assert!(e.contains("distribution"), "{bad}: {e}");
        }
        let ok = r#"{"percentiles":[[500000,5],[1000000,9]]}"#;
        assert!(serde_json::from_str::<Dist>(ok).is_ok());
    }
}
