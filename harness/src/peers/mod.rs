//! `iobound peers` (`make bench-peers`): iobound side by side with the
//! reference tools on loopback — fio on the file pairs of [`crate::fio`],
//! sockperf against iobound's echo server and its net-echo workload — in
//! alternating rounds, medians of the rounds, and iobound/peer ratios of
//! throughput, latency and CPU per operation; redis-benchmark against a
//! real Redis beside iobound's redis-get and its db server
//! ([`versus_redis`]). A peer that is not installed
//! gives rows marked skipped, with the reason: never a failure.

pub mod args;
pub mod redis;
pub mod sockperf;
mod versus_redis;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::config::FileConfig;
use crate::engine;
use crate::fio::{self, median, Pair};
use crate::load::{Bound, Plan};
use crate::output::human;
use crate::result::Status;
use crate::ring::UringSupport;
use crate::run::{self, CellOptions, Silent};
use crate::serve::child::ServerChild;
use crate::serve::Kind;

pub use args::{ConnList, Peer, PeersArgs};
pub use versus_redis::{render_redis, RedisRow};

#[derive(Debug, thiserror::Error)]
pub enum PeersError {
    #[error(transparent)]
    Fio(#[from] fio::FioError),
    #[error(transparent)]
    Run(#[from] run::RunError),
    #[error("iobound cell {0} did not complete: {1}")]
    Cell(String, String),
    #[error("cannot start iobound's echo server: {0}")]
    Server(String),
    #[error("cannot start Redis: {0}")]
    Redis(String),
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, std::io::Error),
}

/// What `iobound peers` runs, checked.
#[derive(Debug, Clone)]
pub struct PeersConfig {
    pub file: FileConfig,
    pub repeat: usize,
    pub only: Option<Peer>,
    pub pairs: Vec<Pair>,
    /// Connection counts beside sockperf.
    pub connections: Vec<usize>,
    /// Connection counts beside redis-benchmark.
    pub redis_connections: Vec<usize>,
    pub fio_bin: String,
    pub sockperf_bin: String,
    pub redis_bench_bin: String,
    pub json: Option<PathBuf>,
}

/// The engines net-echo runs on beside sockperf: the event loop on io_uring
/// and blocking threads.
pub const NET_MODES: [&str; 2] = ["uring", "threads"];

/// One fio pair: its medians, or why it did not run.
#[derive(Debug, Clone, Serialize)]
pub struct FioLine {
    pub pair: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<fio::Row>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// One side of the network comparison in one round.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NetRound {
    /// Round trips per second.
    pub rate: f64,
    /// Round-trip percentiles, ns; `None` for several sockperf clients,
    /// which each report their own.
    pub p50_ns: Option<f64>,
    pub p99_ns: Option<f64>,
    /// The server process's user + system CPU / the messages it answered.
    pub server_cpu_per_msg_ns: Option<f64>,
    /// The client side's user + system CPU / its messages.
    pub client_cpu_per_msg_ns: f64,
}

/// One side at one connection count: medians of its rounds.
#[derive(Debug, Clone, Serialize)]
pub struct NetRow {
    pub connections: usize,
    /// `sockperf`, or `iobound <engine>`.
    pub side: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median: Option<NetRound>,
    pub rounds: Vec<NetRound>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl NetRow {
    fn skipped(connections: usize, side: &str, why: String) -> Self {
        NetRow {
            connections,
            side: side.to_string(),
            median: None,
            rounds: Vec::new(),
            skipped: Some(why),
        }
    }

    fn measured(connections: usize, side: &str, rounds: Vec<NetRound>) -> Self {
        NetRow {
            connections,
            side: side.to_string(),
            median: median_round(&rounds),
            rounds,
            skipped: None,
        }
    }
}

/// Each field's median over the rounds (a field missing from any round is missing).
pub fn median_round(rounds: &[NetRound]) -> Option<NetRound> {
    if rounds.is_empty() {
        return None;
    }
    let opt = |f: fn(&NetRound) -> Option<f64>| {
        rounds
            .iter()
            .map(f)
            .collect::<Option<Vec<f64>>>()
            .map(|v| median(&v))
    };
    Some(NetRound {
        rate: median(&rounds.iter().map(|r| r.rate).collect::<Vec<_>>()),
        p50_ns: opt(|r| r.p50_ns),
        p99_ns: opt(|r| r.p99_ns),
        server_cpu_per_msg_ns: opt(|r| r.server_cpu_per_msg_ns),
        client_cpu_per_msg_ns: median(
            &rounds
                .iter()
                .map(|r| r.client_cpu_per_msg_ns)
                .collect::<Vec<_>>(),
        ),
    })
}

/// One sockperf round: `clients` ping-pong clients, the server's CPU read
/// from /proc before and after.
pub fn sockperf_round(
    bin: &str,
    server: &sockperf::Server,
    clients: usize,
    msg_size: u64,
    secs: u64,
) -> Result<NetRound, String> {
    let cpu = || crate::resources::cpu_of(server.pid()).map(|(u, s)| u + s);
    let before = cpu();
    let c = sockperf::run_clients(bin, server.addr, clients, msg_size, secs)?;
    let after = cpu();
    let answered: u64 = c.each.iter().map(|p| p.total_received).sum();
    let msgs = answered.max(1) as f64;
    let one = (clients == 1).then(|| c.each[0]);
    Ok(NetRound {
        rate: c.each.iter().map(sockperf::PingPong::rate).sum(),
        p50_ns: one.map(|p| p.p50_us * 1e3),
        p99_ns: one.map(|p| p.p99_us * 1e3),
        server_cpu_per_msg_ns: before
            .zip(after)
            .map(|(b, a)| a.saturating_sub(b) as f64 / msgs),
        client_cpu_per_msg_ns: c.cpu_ns as f64 / msgs,
    })
}

/// sockperf's run length for a cell of `file`'s warm-up and duration: whole
/// seconds (its `-t`), at least 1; its own warm-up is inside.
pub fn sockperf_secs(file: &FileConfig) -> u64 {
    let d = match file.bound {
        Bound::Duration(d) => d,
        Bound::Requests(_) => Duration::from_secs(5),
    };
    ((d + file.warmup).as_secs_f64().ceil() as u64).max(1)
}

/// Runs the peers and prints the tables (and writes the JSON).
pub fn run(cfg: &PeersConfig) -> Result<(), PeersError> {
    let runs = |p: Peer| cfg.only.map_or(true, |o| o == p);
    let fio_lines = match runs(Peer::Fio) {
        true => Some(fio_part(cfg)?),
        false => None,
    };
    let net = match runs(Peer::Sockperf) {
        true => Some(net_part(cfg)?),
        false => None,
    };
    let kv = match runs(Peer::Redis) {
        true => Some(versus_redis::redis_part(cfg)?),
        false => None,
    };
    if let Some(lines) = &fio_lines {
        print!("{}", render_fio(lines, cfg.repeat));
    }
    if let Some(rows) = &net {
        print!("{}", render_net(rows, cfg.repeat, cfg.file.params.msg_size));
    }
    if let Some(rows) = &kv {
        print!(
            "{}",
            render_redis(rows, cfg.repeat, cfg.file.params.records)
        );
    }
    if let Some(path) = &cfg.json {
        let doc = serde_json::json!({
            "repeat": cfg.repeat,
            "msg_size": cfg.file.params.msg_size,
            "records": cfg.file.params.records,
            "fio": fio_lines,
            "sockperf": net,
            "redis": kv,
        });
        std::fs::write(
            path,
            serde_json::to_string_pretty(&doc).expect("rows serialize"),
        )
        .map_err(|e| PeersError::Write(path.clone(), e))?;
    }
    Ok(())
}

fn fio_part(cfg: &PeersConfig) -> Result<Vec<FioLine>, PeersError> {
    let skipped = |why: String| {
        cfg.pairs
            .iter()
            .map(|p| FioLine {
                pair: p.name,
                row: None,
                skipped: Some(why.clone()),
            })
            .collect()
    };
    match fio::probe(&cfg.fio_bin) {
        Err(e) => {
            eprintln!("fio: skipped: {e}");
            Ok(skipped(e.to_string()))
        }
        Ok(version) => {
            eprintln!("fio: {version}");
            let rows = fio::compare(&cfg.file, &cfg.pairs, cfg.repeat, &cfg.fio_bin)?;
            Ok(rows
                .into_iter()
                .map(|r| FioLine {
                    pair: r.name,
                    row: Some(r),
                    skipped: None,
                })
                .collect())
        }
    }
}

fn net_part(cfg: &PeersConfig) -> Result<Vec<NetRow>, PeersError> {
    let version = match sockperf::probe(&cfg.sockperf_bin) {
        Ok(v) => v,
        Err(why) => {
            eprintln!("sockperf: skipped: {why}");
            return Ok(cfg
                .connections
                .iter()
                .map(|&c| NetRow::skipped(c, "sockperf, iobound", why.clone()))
                .collect());
        }
    };
    eprintln!("sockperf: {version}");
    let scratch = std::env::temp_dir();
    let msg_size = cfg.file.params.msg_size;
    let secs = sockperf_secs(&cfg.file);
    let log = echo_log(&scratch);
    let echo_args: Vec<String> = ["echo", "--listen", "127.0.0.1:0", "--threads", "1"]
        .map(String::from)
        .to_vec();
    let ours = ServerChild::start(Kind::Echo, &echo_args, &log, None)
        .map_err(|e| PeersError::Server(e.to_string()))?;
    let theirs = sockperf::Server::start(&cfg.sockperf_bin, &scratch);
    eprintln!(
        "  iobound's server: iobound serve {} ({})",
        echo_args.join(" "),
        ours.addr
    );
    match &theirs {
        Ok(s) => eprintln!(
            "  sockperf's server: {} server -f FEED -F epoll (FEED: T:{}); clients: {} {}",
            cfg.sockperf_bin,
            s.addr,
            cfg.sockperf_bin,
            sockperf::ping_pong_args(s.addr, msg_size, secs).join(" ")
        ),
        Err(e) => eprintln!("  sockperf's server: {e}"),
    }
    let mut obs = Silent;
    let ready = run::prepare(
        "net-echo",
        &cfg.file.params,
        &cfg.file.data_dir,
        &mut Vec::new(),
        &mut obs,
    )?;
    let uring = UringSupport::detect();
    let mut opts = CellOptions::new(false, cfg.file.settings.clone());
    opts.target = Some(ours.addr);
    opts.server_pid = Some(ours.pid());
    let mut rows = Vec::new();
    for &conns in &cfg.connections {
        let plan = Plan {
            concurrency: conns,
            warmup: cfg.file.warmup,
            bound: cfg.file.bound,
            rate: None,
        };
        let mut peer: Result<Vec<NetRound>, String> =
            theirs.as_ref().map(|_| Vec::new()).map_err(Clone::clone);
        let mut mine: Vec<Vec<NetRound>> = vec![Vec::new(); NET_MODES.len()];
        for round in 1..=cfg.repeat {
            // ABBA: sockperf first in even rounds, iobound first in odd ones.
            let peer_first = round % 2 == 0;
            let peer_round = |peer: &mut Result<Vec<NetRound>, String>| {
                if let (Ok(done), Ok(server)) = (peer.as_mut(), theirs.as_ref()) {
                    match sockperf_round(&cfg.sockperf_bin, server, conns, msg_size, secs) {
                        Ok(r) => {
                            eprintln!("  {conns} conn round {round}: sockperf {}", round_line(&r));
                            done.push(r);
                        }
                        Err(e) => *peer = Err(e),
                    }
                }
            };
            if peer_first {
                peer_round(&mut peer);
            }
            for (i, mode) in NET_MODES.iter().enumerate() {
                let engine = engine::by_name(mode).expect("net modes name real engines");
                let cell = run::run_cell(&ready, engine, plan, &opts, &uring, &mut obs);
                let s = match (cell.status, &cell.summary) {
                    (Status::Ok, Some(s)) => s.clone(),
                    _ => {
                        return Err(PeersError::Cell(
                            cell.stem(),
                            cell.reason.unwrap_or_default(),
                        ))
                    }
                };
                let r = NetRound {
                    rate: s.throughput_rps,
                    p50_ns: Some(s.latency.p50_ns as f64),
                    p99_ns: Some(s.latency.p99_ns as f64),
                    server_cpu_per_msg_ns: s.server.map(|c| c.per_request_ns),
                    client_cpu_per_msg_ns: s.cpu.per_request_ns,
                };
                eprintln!(
                    "  {conns} conn round {round}: iobound {mode} {}",
                    round_line(&r)
                );
                mine[i].push(r);
            }
            if !peer_first {
                peer_round(&mut peer);
            }
        }
        rows.push(match peer {
            Ok(r) => NetRow::measured(conns, "sockperf", r),
            Err(why) => NetRow::skipped(conns, "sockperf", why),
        });
        for (mode, r) in NET_MODES.iter().zip(mine) {
            rows.push(NetRow::measured(conns, &format!("iobound {mode}"), r));
        }
    }
    drop(ours);
    let _ = std::fs::remove_file(&log);
    Ok(rows)
}

fn opt_ns(x: Option<f64>) -> String {
    x.map_or("n/a".into(), human::duration_ns)
}

/// A round's five figures (rate, p50, p99, server and client CPU per
/// message) and its three ratios to `reference` (rate, p99, server CPU;
/// blank without one): the cells the sockperf and the Redis tables share.
fn round_cells(m: &NetRound, reference: Option<NetRound>) -> [String; 8] {
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

fn round_line(r: &NetRound) -> String {
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

/// `iobound peers`' flags and checked file settings as a [`PeersConfig`].
pub fn config(args: &PeersArgs, file: FileConfig, pairs: Vec<Pair>) -> PeersConfig {
    PeersConfig {
        file,
        repeat: args.repeat as usize,
        only: args.only,
        pairs,
        connections: args
            .connections
            .as_ref()
            .map_or(vec![1, 8], |c| c.0.clone()),
        redis_connections: args
            .connections
            .as_ref()
            .map_or(vec![1, 64], |c| c.0.clone()),
        fio_bin: args.fio.clone(),
        sockperf_bin: args.sockperf.clone(),
        redis_bench_bin: args.redis_benchmark.clone(),
        json: args.json.clone(),
    }
}

/// The log of iobound's echo server during `iobound peers`.
pub fn echo_log(scratch: &Path) -> PathBuf {
    scratch.join(format!("iobound-peers-{}-echo.log", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(rate: f64, p99: Option<f64>, server: f64) -> NetRound {
        NetRound {
            rate,
            p50_ns: p99.map(|p| p / 2.0),
            p99_ns: p99,
            server_cpu_per_msg_ns: Some(server),
            client_cpu_per_msg_ns: 1000.0,
        }
    }

    #[test]
    fn medians_of_rounds_field_by_field() {
        let m = median_round(&[
            round(3.0, Some(30.0), 5.0),
            round(1.0, Some(10.0), 9.0),
            round(2.0, Some(20.0), 7.0),
        ])
        .unwrap();
        assert_eq!(
            (m.rate, m.p99_ns, m.server_cpu_per_msg_ns),
            (2.0, Some(20.0), Some(7.0))
        );
        let gap = median_round(&[round(1.0, None, 1.0), round(1.0, Some(2.0), 1.0)]).unwrap();
        assert_eq!(gap.p99_ns, None);
        assert!(median_round(&[]).is_none());
    }

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

    #[test]
    fn a_missing_peer_gives_skipped_rows_not_an_error() {
        let file = FileConfig {
            params: iobound_workloads::WorkloadParams::default(),
            direct: false,
            data_dir: std::env::temp_dir().join("iobound-peers-test-unused"),
            warmup: Duration::from_millis(100),
            bound: Bound::Duration(Duration::from_millis(100)),
            settings: Default::default(),
            db_latency: Duration::ZERO,
        };
        let cfg = PeersConfig {
            file,
            repeat: 1,
            only: None,
            pairs: fio::PAIRS[..2].to_vec(),
            connections: vec![1, 8],
            redis_connections: vec![1, 64],
            fio_bin: "/nonexistent/fio".into(),
            sockperf_bin: "/nonexistent/sockperf".into(),
            redis_bench_bin: "/nonexistent/redis-benchmark".into(),
            json: None,
        };
        let lines = fio_part(&cfg).unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines[0]
            .skipped
            .as_deref()
            .unwrap()
            .contains("apt-get install fio"));
        let rows = net_part(&cfg).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[1]
            .skipped
            .as_deref()
            .unwrap()
            .contains("apt-get install sockperf"));
        assert!(
            render_fio(&lines, 1).contains("randread-direct-uring-32     skipped: fio not found")
        );
    }

    #[test]
    fn sockperf_runs_whole_seconds() {
        let mut file = FileConfig {
            params: iobound_workloads::WorkloadParams::default(),
            direct: false,
            data_dir: "/d".into(),
            warmup: Duration::from_millis(500),
            bound: Bound::Duration(Duration::from_secs(2)),
            settings: Default::default(),
            db_latency: Duration::ZERO,
        };
        assert_eq!(sockperf_secs(&file), 3);
        file.bound = Bound::Duration(Duration::from_millis(100));
        file.warmup = Duration::ZERO;
        assert_eq!(sockperf_secs(&file), 1);
    }
}
