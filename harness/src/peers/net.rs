//! The network comparison: iobound's net-echo engines against sockperf on
//! loopback, in alternating rounds, and the medians of each side's rounds.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::table::round_line;
use super::{echo_log, sockperf, PeersConfig, PeersError};
use crate::config::FileConfig;
use crate::engine;
use crate::fio::median;
use crate::load::{Bound, Plan};
use crate::result::Status;
use crate::ring::UringSupport;
use crate::run::{self, CellOptions, Silent};
use crate::serve::child::ServerChild;
use crate::serve::Kind;

/// The engines net-echo runs on beside sockperf: the event loop on io_uring
/// and blocking threads.
pub const NET_MODES: [&str; 2] = ["uring", "threads"];

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
    pub(super) fn skipped(connections: usize, side: &str, why: String) -> Self {
        NetRow {
            connections,
            side: side.to_string(),
            median: None,
            rounds: Vec::new(),
            skipped: Some(why),
        }
    }

    pub(super) fn measured(connections: usize, side: &str, rounds: Vec<NetRound>) -> Self {
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

pub(super) fn net_part(cfg: &PeersConfig) -> Result<Vec<NetRow>, PeersError> {
    let version = match sockperf::probe(&cfg.sockperf_bin) {
        Ok(v) => v,
        Err(why) => {
            crate::errln!("sockperf: skipped: {why}");
            return Ok(cfg
                .connections
                .iter()
                .map(|&c| NetRow::skipped(c, "sockperf, iobound", why.clone()))
                .collect());
        }
    };
    crate::errln!("sockperf: {version}");
    let scratch = std::env::temp_dir();
    let msg_size = cfg.file.params.msg_size;
    let secs = sockperf_secs(&cfg.file);
    let log = echo_log(&scratch);
    let (ours, theirs) = start_servers(cfg, &scratch, &log, msg_size, secs)?;
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
                            crate::errln!(
                                "  {conns} conn round {round}: sockperf {}",
                                round_line(&r)
                            );
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
                crate::errln!(
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

/// iobound's echo server and sockperf's (or why it did not start), each
/// named on stderr with how it was started.
fn start_servers(
    cfg: &PeersConfig,
    scratch: &Path,
    log: &Path,
    msg_size: u64,
    secs: u64,
) -> Result<(ServerChild, Result<sockperf::Server, String>), PeersError> {
    let echo_args: Vec<String> = ["echo", "--listen", "127.0.0.1:0", "--threads", "1"]
        .map(String::from)
        .to_vec();
    let ours = ServerChild::start(Kind::Echo, &echo_args, log, None)
        .map_err(|e| PeersError::Server(e.to_string()))?;
    let theirs = sockperf::Server::start(&cfg.sockperf_bin, scratch);
    crate::errln!(
        "  iobound's server: iobound serve {} ({})",
        echo_args.join(" "),
        ours.addr
    );
    match &theirs {
        Ok(s) => crate::errln!(
            "  sockperf's server: {} server -f FEED -F epoll (FEED: T:{}); clients: {} {}",
            cfg.sockperf_bin,
            s.addr,
            cfg.sockperf_bin,
            sockperf::ping_pong_args(s.addr, msg_size, secs).join(" ")
        ),
        Err(e) => crate::errln!("  sockperf's server: {e}"),
    }
    Ok((ours, theirs))
}

#[cfg(test)]
mod tests {
    use super::super::tests::round;
    use super::*;

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
