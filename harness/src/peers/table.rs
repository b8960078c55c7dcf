//! The peers' tables as text: iobound against fio and against sockperf,
//! and the figures and ratios of a round the Redis table shares.

use super::{FioLine, NetRound, NetRow};
use crate::fio;
use crate::output::human;

fn opt_ns(x: Option<f64>) -> String {
    x.map_or("n/a".into(), human::duration_ns)
}

/// A round's five figures (rate, p50, p99, server and client CPU per
/// message) and its three ratios to `reference` (rate, p99, server CPU;
/// blank without one): the cells the sockperf and the Redis tables share.
pub(super) fn round_cells(m: &NetRound, reference: Option<NetRound>) -> [String; 8] {
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "n/a".into(),
    };
    let [r0, r1, r2] = match reference {
        Some(p) => [
            ratio(Some(m.rate), Some(p.rate)),
            ratio(m.p99_ns, p.p99_ns),
            ratio(m.server_cpu_per_msg_ns, p.server_cpu_per_msg_ns),
        ],
        None => [String::new(), String::new(), String::new()],
    };
    [
        human::rate(m.rate),
        opt_ns(m.p50_ns),
        opt_ns(m.p99_ns),
        opt_ns(m.server_cpu_per_msg_ns),
        human::duration_ns(m.client_cpu_per_msg_ns),
        r0,
        r1,
        r2,
    ]
}

pub(super) fn round_line(r: &NetRound) -> String {
    format!(
        "{} msg/s p50 {} p99 {} server CPU/msg {} client CPU/msg {}",
        human::rate(r.rate),
        opt_ns(r.p50_ns),
        opt_ns(r.p99_ns),
        opt_ns(r.server_cpu_per_msg_ns),
        human::duration_ns(r.client_cpu_per_msg_ns)
    )
}

/// The fio table: [`fio::render`] of the measured pairs, then the skipped ones.
pub fn render_fio(lines: &[FioLine], repeat: usize) -> String {
    let rows: Vec<fio::Row> = lines.iter().filter_map(|l| l.row.clone()).collect();
    let mut s = if rows.is_empty() {
        format!("\niobound vs fio, median of {repeat} run(s) each\n")
    } else {
        fio::render(&rows, repeat)
    };
    for l in lines {
        if let Some(why) = &l.skipped {
            s.push_str(&format!("{:<28} skipped: {why}\n", l.pair));
        }
    }
    s
}

/// The network table: each side's medians, and iobound/sockperf ratios.
pub fn render_net(rows: &[NetRow], repeat: usize, msg_size: u64) -> String {
    let line = |c: [&str; 10]| {
        format!(
            "{:>5}  {:<16} {:>8} {:>9} {:>9} {:>10} {:>10} {:>7} {:>7} {:>7}\n",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]
        )
    };
    let mut s = format!(
        "\niobound vs sockperf, TCP on loopback, {msg_size} B messages, median of {repeat} round(s) each\n"
    );
    s.push_str(&line([
        "conns", "side", "msg/s", "p50", "p99", "server", "client", "msg/s", "p99", "server",
    ]));
    s.push_str(&line([
        "", "", "", "", "", "CPU/msg", "CPU/msg", "ratio", "ratio", "CPU/msg",
    ]));
    for r in rows {
        let conns = r.connections.to_string();
        let Some(m) = &r.median else {
            let why = r.skipped.as_deref().unwrap_or("no round completed");
            s.push_str(&format!("{conns:>5}  {:<16} skipped: {why}\n", r.side));
            continue;
        };
        let peer = rows
            .iter()
            .find(|p| p.connections == r.connections && p.side == "sockperf")
            .and_then(|p| p.median);
        let c = round_cells(m, peer.filter(|_| r.side != "sockperf"));
        s.push_str(&line([
            &conns, &r.side, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7],
        ]));
    }
    s.push_str(
        "Ratios are iobound/sockperf at the same connection count. CPU/msg: user + system CPU \
         per round trip: iobound's server and client over the cell's measured window, per \
         request completed in it; sockperf's server (/proc/<pid>/stat) and clients over their \
         whole run, warm-up included. sockperf's clients each report \
         their own percentiles, so its p50 and p99 are given at 1 connection only.\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::super::tests::round;
    use super::*;

    #[test]
    fn the_network_table_has_ratios_and_skipped_rows() {
        let rows = vec![
            NetRow::measured(
                1,
                "sockperf",
                vec![round(40_000.0, Some(20_000.0), 8_000.0)],
            ),
            NetRow::measured(
                1,
                "iobound uring",
                vec![round(30_000.0, Some(30_000.0), 12_000.0)],
            ),
            NetRow::skipped(8, "sockperf, iobound", "sockperf not found".into()),
        ];
        let t = render_net(&rows, 1, 64);
        let uring = t.lines().find(|l| l.contains("iobound uring")).unwrap();
        assert!(uring.ends_with("0.75    1.50    1.50"), "{uring}");
        assert!(
            t.contains("    8  sockperf, iobound skipped: sockperf not found"),
            "{t}"
        );
    }
}
