//! `iobound peers`' flags (clap only, at the layer of `cli`: it imports
//! nothing that runs).

use std::path::PathBuf;

use clap::Args;
use iobound_workloads::WorkloadParams;

use crate::cli::{DataArgs, LengthArgs};

pub const PEERS_EXAMPLES: &str = "\
Examples:
  iobound peers                                  # fio pairs, sockperf at 1 and 8 connections, Redis at 1 and 64
  iobound peers --duration 2s --repeat 3 --only sockperf --connections 1,4,16
  iobound peers --only fio --pairs randread-direct-uring-32 --json peers.json
  iobound peers --only redis --connections 1,64 --repeat 5

Each side runs on loopback and on the same files, alternating which goes first
each round (ABBA), and the table shows medians of the rounds and iobound/peer
ratios:
  fio       the pairs of `iobound fio`: IOPS, p99 and CPU per I/O
  sockperf  its server (epoll, one thread) answering C `sockperf ping-pong
            --tcp --full-rtt` clients, beside iobound's echo server (one
            thread) answering net-echo at C connections on uring and threads:
            round trips/s, p50 and p99 (sockperf's at 1 connection only:
            its clients report apart), and the CPU per message of each
            server and of the clients
  redis     one Redis (appendfsync always, one thread, --records records
            of 1 KiB); `redis-benchmark -t get -r RECORDS --csv` at C
            connections (its keys key:NNNNNNNNNNNN loaded too, so every GET
            finds a value), beside iobound's redis-get at C connections on
            uring and threads, and db-ycsb-c on iobound's db server
            (--db-latency 0, one thread) on the same engines: GET/s, p50,
            p99, and the CPU per GET of each server and of the clients;
            keys uniform on both sides, as redis-benchmark draws them
A peer that is not installed gives rows marked skipped, with the reason:
  apt-get install fio sockperf redis-server redis-tools     (Debian, Ubuntu)";

/// Connection counts, from `--connections 1,8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnList(pub Vec<usize>);

/// `1,8` into connection counts, each from 1 to 4096.
pub fn conn_list(s: &str) -> Result<ConnList, String> {
    let items = iobound_workloads::units::split_list(s);
    if items.is_empty() {
        return Err("expected connection counts such as 1,8".into());
    }
    items
        .iter()
        .map(|x| match x.parse::<usize>() {
            Ok(n) if (1..=4096).contains(&n) => Ok(n),
            _ => Err(format!("'{x}' is not a connection count from 1 to 4096")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(ConnList)
}

/// Which peers `iobound peers` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Peer {
    /// fio, on the pairs of `iobound fio`
    Fio,
    /// sockperf, against iobound's echo server and net-echo
    Sockperf,
    /// redis-benchmark against Redis, beside iobound's redis-get, and the db server
    Redis,
}

#[derive(Debug, Args)]
pub struct PeersArgs {
    #[command(flatten)]
    pub params: WorkloadParams,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub length: LengthArgs,
    /// Rounds of each side; the medians are compared
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: u32,
    /// Run one peer only [default: both]
    #[arg(long, value_enum, value_name = "PEER")]
    pub only: Option<Peer>,
    /// fio pairs to run, comma-separated [default: all]
    #[arg(long, value_name = "LIST")]
    pub pairs: Option<String>,
    /// Connection counts of the network comparisons, comma-separated
    /// [default: 1,8 for sockperf, 1,64 for redis]
    #[arg(long, value_name = "LIST", value_parser = conn_list)]
    pub connections: Option<ConnList>,
    /// Path of the fio binary
    #[arg(long, value_name = "PATH", default_value = "fio")]
    pub fio: String,
    /// Path of the sockperf binary
    #[arg(long, value_name = "PATH", default_value = "sockperf")]
    pub sockperf: String,
    /// Path of the redis-benchmark binary (redis-server is taken from PATH)
    #[arg(long, value_name = "PATH", default_value = "redis-benchmark")]
    pub redis_benchmark: String,
    /// Also write every row (medians, each round, skipped rows' reasons) as JSON to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_lists() {
        assert_eq!(conn_list("1, 8").unwrap(), ConnList(vec![1, 8]));
        assert!(conn_list("0").is_err());
        assert!(conn_list("").is_err());
        assert!(conn_list("1,x").unwrap_err().contains("'x'"));
    }
}
