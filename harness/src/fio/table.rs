//! The iobound/fio table: one row per pair, medians and their ratios.

use super::{median, FioResult, Ours, Pair};
use crate::output::human;

/// Medians of one pair.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub name: &'static str,
    pub iobound_iops: f64,
    pub fio_iops: f64,
    pub iobound_p99_ns: f64,
    pub fio_p99_ns: f64,
    /// fio times fdatasync apart from the write, so its p99 is not comparable.
    pub p99_comparable: bool,
    /// User + system CPU per I/O: iobound's whole process over the cell,
    /// fio's jobs over their runtime (medians).
    pub iobound_cpu_per_io_ns: f64,
    /// `None` when fio's JSON lacks the fields (see [`fio_cpu_per_io_ns`]).
    pub fio_cpu_per_io_ns: Option<f64>,
    /// fio polled with an SQPOLL thread, whose CPU its `usr_cpu`/`sys_cpu`
    /// leave out (26 % usr, 0.1 % sys while that thread spun, fio 3.33),
    /// while iobound's process CPU counts it: the CPU ratio means nothing.
    #[serde(default)]
    pub fio_cpu_misses_sqpoll: bool,
    /// Rounds whose iobound ring lacked a mechanism the options asked for
    /// (fixed buffers the kernel refused), which fio went without too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring_fallback: Option<String>,
}

impl Row {
    pub(super) fn new(p: &Pair, ours: &[Ours], theirs: &[FioResult]) -> Self {
        let col = |f: fn(&Ours) -> f64| median(&ours.iter().map(f).collect::<Vec<_>>());
        let fio_cpu: Option<Vec<f64>> = theirs.iter().map(|f| f.cpu_per_io_ns).collect();
        Row {
            name: p.name,
            iobound_iops: col(|x| x.iops),
            iobound_p99_ns: col(|x| x.p99_ns),
            iobound_cpu_per_io_ns: col(|x| x.cpu_per_io_ns),
            fio_iops: median(&theirs.iter().map(|f| f.iops).collect::<Vec<_>>()),
            fio_p99_ns: median(&theirs.iter().map(|f| f.p99_ns).collect::<Vec<_>>()),
            fio_cpu_per_io_ns: fio_cpu.map(|v| median(&v)),
            fio_cpu_misses_sqpoll: false,
            ring_fallback: None,
            p99_comparable: theirs.iter().all(|f| f.sync_p99_ns.is_none()),
        }
    }
}

/// The comparison table.
pub fn render(rows: &[Row], repeat: usize) -> String {
    let line = |c: [&str; 10]| {
        format!(
            "{:<28} {:>10} {:>10} {:>7} {:>11} {:>11} {:>7} {:>10} {:>10} {:>7}\n",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]
        )
    };
    let mut s = format!("\niobound vs fio, median of {repeat} run(s) each\n");
    s.push_str(&line([
        "pair", "iobound", "fio", "IOPS", "iobound", "fio", "p99", "iobound", "fio", "CPU/IO",
    ]));
    s.push_str(&line([
        "", "IOPS", "IOPS", "ratio", "p99", "p99", "ratio", "CPU/IO", "CPU/IO", "ratio",
    ]));
    for r in rows {
        let p99_ratio = if r.p99_comparable {
            format!("{:.2}", r.iobound_p99_ns / r.fio_p99_ns)
        } else {
            "n/a".into()
        };
        let (fio_cpu, cpu_ratio) = match r.fio_cpu_per_io_ns {
            Some(f) if r.fio_cpu_misses_sqpoll => (human::duration_ns(f), "n/a".into()),
            Some(f) => (
                human::duration_ns(f),
                format!("{:.2}", r.iobound_cpu_per_io_ns / f),
            ),
            None => ("n/a".into(), "n/a".into()),
        };
        s.push_str(&line([
            r.name,
            &human::rate(r.iobound_iops),
            &human::rate(r.fio_iops),
            &format!("{:.2}", r.iobound_iops / r.fio_iops),
            &human::duration_ns(r.iobound_p99_ns),
            &human::duration_ns(r.fio_p99_ns),
            &p99_ratio,
            &human::duration_ns(r.iobound_cpu_per_io_ns),
            &fio_cpu,
            &cpu_ratio,
        ]));
    }
    for r in rows {
        if let Some(f) = &r.ring_fallback {
            s.push_str(&format!("{}: {f}.\n", r.name));
        }
    }
    if rows.iter().any(|r| r.fio_cpu_misses_sqpoll) {
        s.push_str("CPU/IO ratio n/a: fio's CPU figures leave out its SQPOLL thread; iobound's count it.\n");
    }
    if rows.iter().any(|r| !r.p99_comparable) {
        s.push_str("p99 n/a: fio reports write and fdatasync latencies separately; iobound times the pair.\n");
    }
    s.push_str(
        "CPU/IO: user + system CPU per I/O; iobound's process over the cell's measured window \
         / the requests completed in it, fio's jobs (usr_cpu + sys_cpu of job_runtime, ramp \
         excluded) / their I/Os.\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::super::tests::table_row;
    use super::*;

    #[test]
    fn the_table_has_cpu_per_io_and_its_ratio() {
        let row = table_row(None);
        let t = render(std::slice::from_ref(&row), 3);
        assert!(t.contains("CPU/IO") && t.contains(" 1.50\n"), "{t}");
        let t = render(
            &[Row {
                fio_cpu_per_io_ns: None,
                ..row.clone()
            }],
            3,
        );
        let line = t.lines().find(|l| l.starts_with("randread")).unwrap();
        assert!(line.ends_with("n/a     n/a"), "{t}");
        // With SQPOLL, fio's own CPU figure shows but no ratio is drawn.
        let t = render(
            &[Row {
                fio_cpu_misses_sqpoll: true,
                ..row
            }],
            3,
        );
        let line = t.lines().find(|l| l.starts_with("randread")).unwrap();
        assert!(line.ends_with("2.0µs     n/a"), "{t}");
        assert!(t.contains("leave out its SQPOLL thread"), "{t}");
    }
}
