//! Hand-written SVG charts: line charts on linear or log axes and grouped
//! bar charts, with labelled axes and a legend. Strings out, no I/O; every
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
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" id="{}" class="chart" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{t}"><title>{t}</title><rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/><text x="{}" y="20" font-size="14" font-weight="bold" text-anchor="middle" font-family="sans-serif">{t}</text>"##,
        esc(id),
        W / 2.0,
        t = esc(title)
    );
}

fn axes(s: &mut String, f: &Frame, x: &Axis, xt: &[(f64, String)], y: &Axis, yt: &[(f64, String)]) {
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, TOP, H - BOTTOM);
    for (v, l) in yt {
        let py = f.py(*v);
        let _ = write!(
            s,
            r##"<line x1="{x0:.1}" y1="{py:.1}" x2="{x1:.1}" y2="{py:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" font-family="sans-serif">{}</text>"##,
            x0 - 6.0,
            py + 4.0,
            esc(l)
        );
    }
    for (v, l) in xt {
        let px = f.px(*v);
        let _ = write!(
            s,
            r##"<line x1="{px:.1}" y1="{y0:.1}" x2="{px:.1}" y2="{y1:.1}" stroke="#f0f0f0"/><text x="{px:.1}" y="{:.1}" font-size="11" text-anchor="middle" font-family="sans-serif">{}</text>"##,
            y1 + 16.0,
            esc(l)
        );
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

fn legend(s: &mut String, entries: &[(&str, &str)]) {
    for (i, (name, colour)) in entries.iter().enumerate() {
        let y = TOP + 10.0 + i as f64 * 18.0;
        let x = W - RIGHT + 14.0;
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{:.1}" width="14" height="4" fill="{colour}"/><text x="{:.1}" y="{y:.1}" font-size="12" font-family="sans-serif">{}</text>"#,
            y - 6.0,
            x + 20.0,
            esc(name)
        );
    }
}

/// A line chart; points with a non-positive value on a log axis are left out.
pub fn line_chart(id: &str, title: &str, x: &Axis, y: &Axis, series: &[Series]) -> String {
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
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            se.colour,
            path.join(" "),
            esc(&se.name)
        );
        if se.points.len() <= 12 {
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
    let entries: Vec<(&str, &str)> = series.iter().map(|s| (s.name.as_str(), s.colour)).collect();
    legend(&mut s, &entries);
    s.push_str("</svg>");
    s
}

/// Grouped bars: one group per category, one bar per series.
pub fn bar_chart(
    id: &str,
    title: &str,
    categories: &[String],
    y: &Axis,
    series: &[(String, &'static str, Vec<Option<f64>>)],
) -> String {
    let hi = series
        .iter()
        .flat_map(|s| s.2.iter().flatten().copied())
        .fold(0.0, f64::max);
    let (y0, y1, yt) = ticks_for(y, 0.0, if hi > 0.0 { hi } else { 1.0 });
    let f = Frame {
        x: (0.0, categories.len().max(1) as f64, Scale::Linear),
        y: (y0, y1, Scale::Linear),
    };
    let mut s = String::new();
    open(&mut s, title, id);
    let x_axis = Axis {
        label: String::new(),
        scale: Scale::Linear,
        ticks: Vec::new(),
        fmt: |_| String::new(),
    };
    axes(&mut s, &f, &x_axis, &[], y, &yt);
    let n = series.len().max(1) as f64;
    for (ci, cat) in categories.iter().enumerate() {
        let slot = f.px(ci as f64 + 1.0) - f.px(ci as f64);
        let bw = slot * 0.8 / n;
        for (si, (name, colour, vals)) in series.iter().enumerate() {
            let Some(v) = vals.get(ci).copied().flatten() else {
                continue;
            };
            let x = f.px(ci as f64) + slot * 0.1 + si as f64 * bw;
            let top = f.py(v);
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{}: {}</title></rect>"#,
                (bw - 1.0).max(1.0),
                (H - BOTTOM - top).max(0.0),
                esc(name),
                esc(&(y.fmt)(v))
            );
        }
        let words: Vec<&str> = cat.split(' ').collect();
        for (li, w) in words.iter().enumerate() {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" font-family="sans-serif">{}</text>"#,
                f.px(ci as f64 + 0.5),
                H - BOTTOM + 14.0 + li as f64 * 12.0,
                esc(w)
            );
        }
    }
    let entries: Vec<(&str, &str)> = series.iter().map(|s| (s.0.as_str(), s.1)).collect();
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
