//! HdrHistogram's standard percentile-distribution text (`.hgrm`), as
//! `outputPercentileDistribution` writes it, with values in milliseconds so
//! the file plots directly in HdrHistogram's online plotter.

use std::fmt::Write;

use hdrhistogram::Histogram;

use super::{Export, ExportError, RunMeta};
use crate::result::CellResult;

pub struct Hgrm;

/// Nanoseconds per output unit (milliseconds).
const SCALE: f64 = 1e6;
const TICKS_PER_HALF: u32 = 5;

/// The distribution of `h` in the `.hgrm` text format.
pub fn render(h: &Histogram<u64>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let mut total = 0u64;
    for v in h.iter_quantiles(TICKS_PER_HALF) {
        total += v.count_since_last_iteration();
        let q = v.quantile_iterated_to();
        let value = h.highest_equivalent(v.value_iterated_to()) as f64 / SCALE;
        if q < 1.0 {
            let _ = writeln!(
                s,
                "{value:12.3} {q:2.12} {total:10} {:14.2}",
                1.0 / (1.0 - q)
            );
        } else {
            let _ = writeln!(s, "{value:12.3} {q:2.12} {total:10}");
        }
    }
    let sub_buckets = (2 * 10u32.pow(u32::from(h.sigfig()))).next_power_of_two();
    let _ = writeln!(
        s,
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]",
        h.mean() / SCALE,
        h.stdev() / SCALE
    );
    let _ = writeln!(
        s,
        "#[Max     = {:12.3}, Total count    = {:12}]",
        h.max() as f64 / SCALE,
        h.len()
    );
    let _ = writeln!(
        s,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        h.buckets(),
        sub_buckets
    );
    s
}

impl Export for Hgrm {
    fn extension(&self) -> &'static str {
        "hgrm"
    }

    fn applies(&self, cell: &CellResult) -> bool {
        cell.histogram.as_ref().is_some_and(|h| !h.is_empty())
    }

    fn render(&self, _meta: &RunMeta, cell: &CellResult) -> Result<Vec<u8>, ExportError> {
        let h = cell.histogram.as_ref().ok_or_else(|| {
            ExportError::Histogram(format!("cell {} has no histogram", cell.stem()))
        })?;
        Ok(render(h).into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::new_histogram;

    #[test]
    fn distribution_has_the_standard_shape() {
        let mut h = new_histogram();
        for i in 1..=1000u64 {
            h.record(i * 1000).unwrap(); // 1 µs .. 1 ms
        }
        let text = render(&h);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"]
        );
        assert_eq!(lines[1], "");
        let rows: Vec<Vec<&str>> = lines[2..]
            .iter()
            .take_while(|l| !l.starts_with('#'))
            .map(|l| l.split_whitespace().collect())
            .collect();
        // First row: the minimum; last row: percentile 1, the full count.
        assert_eq!(rows[0][0], "0.001");
        let last = rows.last().unwrap();
        assert_eq!((last[1], last[2]), ("1.000000000000", "1000"));
        assert_eq!(last.len(), 3);
        // Counts never decrease down the table.
        let counts: Vec<u64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
        assert!(counts.windows(2).all(|w| w[0] <= w[1]));
        assert!(text.contains("#[Max     =        1.000, Total count    =         1000]"));
        assert!(text.contains("SubBuckets     =         2048]"));
    }
}
