//! Hand-written SVG charts: line charts on linear or log axes, with
//! labelled axes, whiskers, dashed ceilings and a legend; tick labels that
//! would touch are left out. Strings out, no I/O; every
//! number is formatted with fixed precision so output is reproducible.

use std::fmt::Write;

/// One colour per engine, by its place in the report's engine list.
pub const PALETTE: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#7f7f7f",
];

pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

const W: f64 = 600.0;
const H: f64 = 360.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 130.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 52.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Linear,
    Log,
}

/// An axis: its scale, range, ticks and how tick labels read.
pub struct Axis {
    pub label: String,
    pub scale: Scale,
    /// Explicit ticks (value, label); computed when empty.
    pub ticks: Vec<(f64, String)>,
    /// Formats computed tick labels.
    pub fmt: fn(f64) -> String,
}

pub struct Series {
    pub name: String,
    pub colour: &'static str,
    pub points: Vec<(f64, f64)>,
    /// Optional (x, low, high) whiskers: the spread over repetitions.
    pub ranges: Vec<(f64, f64, f64)>,
    /// Drawn dashed, without markers, and named once in the legend by
    /// [`line_chart`]'s `dashed_legend` (a ceiling beside its curve).
    pub dashed: bool,
}

/// Estimated width in pixels of `text` at `size` in a sans-serif font: a
/// generous average advance, so labels spaced by it do not touch.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.62
}

/// Escapes text for XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn nice_step(span: f64, target: usize) -> f64 {
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let n = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    n * mag
}

/// The drawn range and ticks of an axis holding `lo..=hi`.
fn ticks_for(axis: &Axis, lo: f64, hi: f64) -> (f64, f64, Vec<(f64, String)>) {
    if !axis.ticks.is_empty() {
        let tlo = axis.ticks.iter().map(|t| t.0).fold(lo, f64::min);
        let thi = axis.ticks.iter().map(|t| t.0).fold(hi, f64::max);
        return (tlo, thi, axis.ticks.clone());
    }
    match axis.scale {
        Scale::Linear => {
            let lo = lo.min(0.0);
            let hi = if hi > lo { hi } else { lo + 1.0 };
            let step = nice_step(hi - lo, 5);
            let top = (hi / step).ceil() * step;
            let mut t = Vec::new();
            let mut v = lo;
            while v <= top + step * 1e-9 {
                t.push((v, (axis.fmt)(v)));
                v += step;
            }
            (lo, top, t)
        }
        Scale::Log => {
            let lo = lo.max(f64::MIN_POSITIVE);
            let hi = hi.max(lo * 10.0);
            let a = lo.log10().floor() as i32;
            let b = hi.log10().ceil() as i32;
            let mut t = Vec::new();
            for e in a..=b {
                let v = 10f64.powi(e);
                t.push((v, (axis.fmt)(v)));
                if b - a <= 2 {
                    for m in [2.0, 5.0] {
                        if e < b {
                            t.push((v * m, (axis.fmt)(v * m)));
                        }
                    }
                }
            }
            t.sort_by(|x, y| x.0.total_cmp(&y.0));
            (10f64.powi(a), 10f64.powi(b), t)
        }
    }
}

struct Frame {
    x: (f64, f64, Scale),
    y: (f64, f64, Scale),
}

impl Frame {
    fn map(v: f64, (lo, hi, s): (f64, f64, Scale), len: f64) -> f64 {
        let f = match s {
            Scale::Linear => (v - lo) / (hi - lo),
            Scale::Log => (v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10()),
        };
        if f.is_finite() {
            f * len
        } else {
            0.0
        }
    }
    fn px(&self, x: f64) -> f64 {
        LEFT + Self::map(x, self.x, W - LEFT - RIGHT)
    }
    fn py(&self, y: f64) -> f64 {
        H - BOTTOM - Self::map(y, self.y, H - TOP - BOTTOM)
    }
}

fn open(s: &mut String, title: &str, id: &str) {
    // A long title gets a smaller font rather than running off the chart.
    let size = (14.0 * (W - 20.0) / text_width(title, 14.0) / 1.1).min(14.0);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" id="{}" class="chart" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{t}"><title>{t}</title><rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/><text x="{}" y="20" font-size="{size:.1}" font-weight="bold" text-anchor="middle" font-family="sans-serif">{t}</text>"##,
        esc(id),
        W / 2.0,
        t = esc(title)
    );
}

/// Keeps the ticks whose labels fit: a label closer to the last kept one
/// than their half-widths (or heights) plus a gap is left out, its grid
/// line kept.
fn thin(
    ticks: &[(f64, String)],
    pos: impl Fn(f64) -> f64,
    extent: impl Fn(&str) -> f64,
) -> Vec<bool> {
    let mut keep = Vec::with_capacity(ticks.len());
    let mut last: Option<(f64, f64)> = None;
    for (v, l) in ticks {
        let (p, e) = (pos(*v), extent(l));
        let fits = !last.is_some_and(|(lp, le)| (p - lp).abs() < (le + e) / 2.0 + 4.0);
        if fits {
            last = Some((p, e));
        }
        keep.push(fits);
    }
    keep
}

fn axes(s: &mut String, f: &Frame, x: &Axis, xt: &[(f64, String)], y: &Axis, yt: &[(f64, String)]) {
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, TOP, H - BOTTOM);
    let keep_y = thin(yt, |v| f.py(v), |_| 13.0);
    for ((v, l), keep) in yt.iter().zip(keep_y) {
        let py = f.py(*v);
        let _ = write!(
            s,
            r##"<line x1="{x0:.1}" y1="{py:.1}" x2="{x1:.1}" y2="{py:.1}" stroke="#e0e0e0"/>"##
        );
        if keep {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" font-family="sans-serif">{}</text>"##,
                x0 - 6.0,
                py + 4.0,
                esc(l)
            );
        }
    }
    let keep_x = thin(xt, |v| f.px(v), |l| text_width(l, 11.0));
    for ((v, l), keep) in xt.iter().zip(keep_x) {
        let px = f.px(*v);
        let _ = write!(
            s,
            r##"<line x1="{px:.1}" y1="{y0:.1}" x2="{px:.1}" y2="{y1:.1}" stroke="#f0f0f0"/>"##
        );
        if keep {
            let _ = write!(
                s,
                r##"<text x="{px:.1}" y="{:.1}" font-size="11" text-anchor="middle" font-family="sans-serif">{}</text>"##,
                y1 + 18.0,
                esc(l)
            );
        }
    }
    let _ = write!(
        s,
        r##"<line x1="{x0:.1}" y1="{y1:.1}" x2="{x1:.1}" y2="{y1:.1}" stroke="#333"/><line x1="{x0:.1}" y1="{y0:.1}" x2="{x0:.1}" y2="{y1:.1}" stroke="#333"/><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" font-family="sans-serif">{}</text><text x="16" y="{:.1}" font-size="12" text-anchor="middle" font-family="sans-serif" transform="rotate(-90 16 {:.1})">{}</text>"##,
        (x0 + x1) / 2.0,
        H - 12.0,
        esc(&x.label),
        (y0 + y1) / 2.0,
        (y0 + y1) / 2.0,
        esc(&y.label)
    );
}

/// The legend, right of the plot: a solid swatch per entry, or a dashed
/// grey one for an entry naming every dashed series.
fn legend(s: &mut String, entries: &[(&str, &str, bool)]) {
    for (i, (name, colour, dashed)) in entries.iter().enumerate() {
        let y = TOP + 10.0 + i as f64 * 18.0;
        let x = W - RIGHT + 14.0;
        if *dashed {
            let _ = write!(
                s,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2" stroke-dasharray="4 3"/>"#,
                y - 4.0,
                x + 16.0,
                y - 4.0
            );
        } else {
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{:.1}" width="14" height="4" fill="{colour}"/>"#,
                y - 6.0
            );
        }
        // Names longer than the legend's column get a smaller font.
        let size = (12.0 * (RIGHT - 36.0) / text_width(name, 12.0)).min(12.0);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{y:.1}" font-size="{size:.1}" font-family="sans-serif">{}</text>"#,
            x + 20.0,
            esc(name)
        );
    }
}

/// A line chart; points with a non-positive value on a log axis are left
/// out. Dashed series share one legend entry, `dashed_legend`.
pub fn line_chart(
    id: &str,
    title: &str,
    x: &Axis,
    y: &Axis,
    series: &[Series],
    dashed_legend: &str,
) -> String {
    let ok = |v: f64, s: Scale| v.is_finite() && (s == Scale::Linear || v > 0.0);
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .chain(
            series
                .iter()
                .flat_map(|s| s.ranges.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)])),
        )
        .filter(|&(a, b)| ok(a, x.scale) && ok(b, y.scale))
        .collect();
    let (xl, xh) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
            (l.min(p.0), h.max(p.0))
        });
    let (yl, yh) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
            (l.min(p.1), h.max(p.1))
        });
    let (xl, xh) = if pts.is_empty() {
        (1.0, 10.0)
    } else {
        (xl, xh)
    };
    let (yl, yh) = if pts.is_empty() {
        (1.0, 10.0)
    } else {
        (yl, yh)
    };
    let (x0, x1, xt) = ticks_for(x, xl, xh);
    let (y0, y1, yt) = ticks_for(y, yl, yh);
    let f = Frame {
        x: (x0, x1, x.scale),
        y: (y0, y1, y.scale),
    };
    let mut s = String::new();
    open(&mut s, title, id);
    axes(&mut s, &f, x, &xt, y, &yt);
    for se in series {
        for &(xv, lo, hi) in &se.ranges {
            if ok(xv, x.scale) && ok(lo, y.scale) && ok(hi, y.scale) {
                let _ = write!(
                    s,
                    r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="1.5" opacity="0.6"/>"#,
                    f.px(xv),
                    f.py(lo),
                    f.px(xv),
                    f.py(hi),
                    se.colour
                );
            }
        }
        let path: Vec<String> = se
            .points
            .iter()
            .filter(|&&(a, b)| ok(a, x.scale) && ok(b, y.scale))
            .map(|&(a, b)| format!("{:.1},{:.1}", f.px(a), f.py(b)))
            .collect();
        if path.is_empty() {
            continue;
        }
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{}" stroke-width="{}"{} points="{}"><title>{}</title></polyline>"#,
            se.colour,
            if se.dashed { "1.5" } else { "2" },
            if se.dashed {
                r#" stroke-dasharray="5 4" opacity="0.8""#
            } else {
                ""
            },
            path.join(" "),
            esc(&se.name)
        );
        if se.points.len() <= 12 && !se.dashed {
            for p in &path {
                let (a, b) = p.split_once(',').expect("formatted above");
                let _ = write!(
                    s,
                    r#"<circle cx="{a}" cy="{b}" r="3" fill="{}"/>"#,
                    se.colour
                );
            }
        }
    }
    let mut entries: Vec<(&str, &str, bool)> = series
        .iter()
        .filter(|s| !s.dashed)
        .map(|s| (s.name.as_str(), s.colour, false))
        .collect();
    if series.iter().any(|s| s.dashed) {
        entries.push((dashed_legend, "#555555", true));
    }
    legend(&mut s, &entries);
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(100.0, 5), 20.0);
        assert_eq!(nice_step(7.0, 5), 2.0);
        assert_eq!(nice_step(0.3, 5), 0.1);
    }

    #[test]
    fn log_axes_put_ticks_on_decades() {
        let a = Axis {
            label: "x".into(),
            scale: Scale::Log,
            ticks: vec![],
            fmt: |v| format!("{v}"),
        };
        let (lo, hi, t) = ticks_for(&a, 3.0, 4000.0);
        assert_eq!((lo, hi), (1.0, 10000.0));
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
