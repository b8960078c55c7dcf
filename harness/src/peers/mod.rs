//! `iobound peers` (`make bench-peers`): iobound side by side with the
//! reference tools on loopback — fio on the file pairs of [`crate::fio`],
//! sockperf against iobound's echo server and its net-echo workload — in
//! alternating rounds, medians of the rounds, and iobound/peer ratios of
//! throughput, latency and CPU per operation; redis-benchmark against a
//! real Redis beside iobound's redis-get and its db server
//! ([`versus_redis`]). A peer that is not installed
//! gives rows marked skipped, with the reason: never a failure.

pub mod args;
mod net;
pub mod redis;
pub mod sockperf;
mod table;
mod versus_redis;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::FileConfig;
use crate::fio::{self, Pair};
use crate::run::{self};

pub use args::{ConnList, Peer, PeersArgs};
pub use net::{median_round, sockperf_round, sockperf_secs, NetRound, NetRow, NET_MODES};
pub use table::{render_fio, render_net};
pub use versus_redis::{render_redis, RedisRow};

use net::net_part;
use table::{round_cells, round_line};

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

/// One fio pair: its medians, or why it did not run.
#[derive(Debug, Clone, Serialize)]
pub struct FioLine {
    pub pair: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<fio::Row>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
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
        crate::out!("{}", render_fio(lines, cfg.repeat));
    }
    if let Some(rows) = &net {
        crate::out!("{}", render_net(rows, cfg.repeat, cfg.file.params.msg_size));
    }
    if let Some(rows) = &kv {
        crate::out!(
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
            crate::errln!("fio: skipped: {e}");
            Ok(skipped(e.to_string()))
        }
        Ok(version) => {
            crate::errln!("fio: {version}");
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
    use std::time::Duration;

    use super::*;
    use crate::load::Bound;

    pub(super) fn round(rate: f64, p99: Option<f64>, server: f64) -> NetRound {
        NetRound {
            rate,
            p50_ns: p99.map(|p| p / 2.0),
            p99_ns: p99,
            server_cpu_per_msg_ns: Some(server),
            client_cpu_per_msg_ns: 1000.0,
        }
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
}
