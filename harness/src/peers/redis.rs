//! redis-benchmark, the Redis peer: its keyspace loaded beside iobound's
//! records, its GET runs, what it prints (`--csv`), read, and Redis's own
//! counters (`INFO stats commandstats persistence`), which say how many
//! GETs the server answered and whether they found a value.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use iobound_workloads::resp::{self, Reply};

/// Bytes of every value, Redis's records and redis-benchmark's keys alike.
pub const VALUE_SIZE: usize = 1024;

/// How to install what the Redis peer needs (Debian, Ubuntu).
pub const INSTALL: &str = "apt-get install redis-server redis-tools";

/// What one `redis-benchmark ... -t get --csv` run printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bench {
    /// Requests per second over its whole run.
    pub rps: f64,
    /// Latency percentiles, ms (redis-benchmark's unit).
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Reads redis-benchmark 7's `--csv` output: a header line naming the
/// columns (`"test","rps",...,"p50_latency_ms",...,"p99_latency_ms",...`)
/// and one line per test; the `GET` line is read by the header's names.
pub fn parse_csv(text: &str) -> Result<Bench, String> {
    let cells = |l: &str| -> Vec<String> {
        l.split(',')
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect()
    };
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .find(|l| l.contains("\"rps\""))
        .map(cells)
        .ok_or("no CSV header in redis-benchmark's output (is it 7.0 or later?)")?;
    let row = lines
        .map(cells)
        .find(|c| c.first().is_some_and(|t| t == "GET"))
        .ok_or("no GET line in redis-benchmark's output")?;
    let col = |name: &str| -> Result<f64, String> {
        let i = header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no '{name}' column in redis-benchmark's CSV"))?;
        row.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| format!("unreadable '{name}' in the GET line"))
    };
    let b = Bench {
        rps: col("rps")?,
        p50_ms: col("p50_latency_ms")?,
        p99_ms: col("p99_latency_ms")?,
    };
    if b.rps <= 0.0 {
        return Err("redis-benchmark measured no request".into());
    }
    Ok(b)
}

/// redis-benchmark's version line, or why the Redis peer cannot run (it or
/// redis-server missing).
pub fn probe(bin: &str) -> Result<String, String> {
    if let Some(why) = crate::serve::redis::missing() {
        return Err(format!("{why}; install the peer with `{INSTALL}`"));
    }
    let out = Command::new(bin).arg("--version").output().map_err(|e| {
        format!(
            "redis-benchmark not found ('{bin}': {e}): install it with `{INSTALL}` \
             (Debian, Ubuntu), or pass --redis-benchmark PATH"
        )
    })?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The command line: `clients` connections, `requests` GETs of keys drawn
/// uniformly from `key:000000000000` .. `key:<keys - 1>` (its `-r`).
pub fn bench_args(addr: SocketAddr, clients: usize, requests: u64, keys: u64) -> Vec<String> {
    [
        "-h",
        &addr.ip().to_string(),
        "-p",
        &addr.port().to_string(),
        "-c",
        &clients.to_string(),
        "-n",
        &requests.to_string(),
        "-d",
        &VALUE_SIZE.to_string(),
        "-t",
        "get",
        "-r",
        &keys.to_string(),
        "--csv",
    ]
    .map(String::from)
    .to_vec()
}

/// One redis-benchmark run, and its CPU (reaped child's rusage), ns.
pub fn run_bench(bin: &str, args: &[String]) -> Result<(Bench, u64), String> {
    let before = super::sockperf::children_cpu_ns();
    let out = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run redis-benchmark: {e}"))?;
    let cpu = super::sockperf::children_cpu_ns().saturating_sub(before);
    let text = String::from_utf8_lossy(&out.stdout);
    parse_csv(&text)
        .map(|b| (b, cpu))
        .map_err(|e| format!("redis-benchmark ({}): {e}: {}", out.status, text.trim()))
}

/// redis-benchmark's name of key `i` with `-r`: `key:` and 12 decimal digits.
pub fn bench_key(i: u64) -> String {
    format!("key:{i:012}")
}

/// Sends `req` and reads one reply; returns its bulk string, or the reply
/// said in words when it is something else.
fn call(s: &mut TcpStream, req: &[u8], buf: &mut Vec<u8>) -> Result<Option<Vec<u8>>, String> {
    s.write_all(req).map_err(|e| e.to_string())?;
    buf.clear();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        match resp::decode_reply(buf).map_err(|e| e.to_string())? {
            Some((Reply::Bulk(v), _)) => return Ok(v.map(<[u8]>::to_vec)),
            Some((Reply::Simple(v), _)) => return Ok(Some(v.to_vec())),
            Some((other, _)) => return Err(format!("unexpected reply {other:?}")),
            None => {}
        }
        let n = s.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("Redis closed the connection".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// SETs redis-benchmark's keys 0..n to values of [`VALUE_SIZE`] bytes (`x`,
/// what its own `-t set -d` writes), pipelined a thousand at a time, each
/// answered `+OK`: so every GET it sends with `-r n` finds a 1 KiB value.
pub fn load_bench_keys(addr: SocketAddr, n: u64) -> Result<(), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let value = vec![b'x'; VALUE_SIZE];
    let mut first = 0;
    while first < n {
        let count = 1000.min(n - first);
        let mut req = Vec::new();
        for i in first..first + count {
            req.extend(command(&[b"SET", bench_key(i).as_bytes(), &value]));
        }
        s.write_all(&req).map_err(|e| e.to_string())?;
        let mut replies = vec![0u8; resp::OK.len() * count as usize];
        s.read_exact(&mut replies).map_err(|e| e.to_string())?;
        if replies.chunks(resp::OK.len()).any(|r| r != resp::OK) {
            return Err(format!(
                "a SET was not answered +OK: {:?}",
                String::from_utf8_lossy(&replies[..replies.len().min(80)])
            ));
        }
        first += count;
    }
    Ok(())
}

/// Redis's counters that matter here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// GET commands executed (`cmdstat_get:calls`).
    pub gets: u64,
    /// Lookups that found a key, and that did not.
    pub hits: u64,
    pub misses: u64,
    /// An AOF rewrite running or scheduled (the load's appends start one).
    pub rewriting: bool,
}

/// Reads `INFO`'s text into [`Counters`].
pub fn parse_info(text: &str) -> Counters {
    let mut c = Counters::default();
    for l in text.lines() {
        let (k, v) = l.trim().split_once(':').unwrap_or(("", ""));
        let num = |v: &str| v.parse::<u64>().unwrap_or(0);
        match k {
            "keyspace_hits" => c.hits = num(v),
            "keyspace_misses" => c.misses = num(v),
            "aof_rewrite_in_progress" | "aof_rewrite_scheduled" => c.rewriting |= num(v) != 0,
            "cmdstat_get" => {
                c.gets = v
                    .split(',')
                    .find_map(|f| f.strip_prefix("calls="))
                    .map_or(0, num)
            }
            _ => {}
        }
    }
    c
}

/// Redis's counters now.
pub fn counters(addr: SocketAddr) -> Result<Counters, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let req = command(&[b"INFO", b"stats", b"commandstats", b"persistence"]);
    let text = call(&mut s, &req, &mut buf)?.ok_or("INFO answered nil")?;
    Ok(parse_info(&String::from_utf8_lossy(&text)))
}

/// Waits (up to 2 minutes) until no AOF rewrite runs or waits: the load's
/// appends start one, and its child would share the CPUs with the rounds.
pub fn settle(addr: SocketAddr) -> Result<(), String> {
    let t = Instant::now();
    while counters(addr)?.rewriting {
        if t.elapsed() > Duration::from_secs(120) {
            return Err("Redis's AOF rewrite did not end within 2 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// redis-benchmark 7.0.15's real output (Debian 12's redis-tools):
    /// `-c 64 -n 50000 -d 1024 -t get -r 1000 --csv`, stdout.
    const REAL: &str = include_str!("../../tests/fixtures/peers/redis-benchmark-get-c64.csv");

    #[test]
    fn parses_a_real_csv_run() {
        let b = parse_csv(REAL).unwrap();
        assert_eq!(b.rps, 16139.44);
        assert_eq!(b.p50_ms, 1.383);
        assert_eq!(b.p99_ms, 11.399);
    }

    #[test]
    fn refuses_what_is_not_a_get_run() {
        assert!(parse_csv("").unwrap_err().contains("no CSV header"));
        let set = REAL.replace("\"GET\"", "\"SET\"");
        assert!(parse_csv(&set).unwrap_err().contains("no GET line"));
        let old = REAL.replace("p99_latency_ms", "p98_latency_ms");
        assert!(parse_csv(&old).unwrap_err().contains("'p99_latency_ms'"));
        // -q's line instead of --csv.
        assert!(parse_csv("GET: 50377.83 requests per second, p50=0.055 msec").is_err());
    }

    #[test]
    fn reads_redis_counters() {
        let c = parse_info(
            "# Stats\r\nkeyspace_hits:70000\r\nkeyspace_misses:3\r\n# Persistence\r\n\
             aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:1\r\n# Commandstats\r\n\
             cmdstat_get:calls=40000,usec=3399,usec_per_call=0.08,rejected_calls=0,failed_calls=0\r\n\
             cmdstat_config|get:calls=4,usec=21\r\n",
        );
        assert_eq!(
            c,
            Counters {
                gets: 40000,
                hits: 70000,
                misses: 3,
                rewriting: true
            }
        );
    }

    #[test]
    fn arguments_and_keys() {
        let a = bench_args("127.0.0.1:6400".parse().unwrap(), 64, 90000, 100000);
        assert_eq!(
            a.join(" "),
            "-h 127.0.0.1 -p 6400 -c 64 -n 90000 -d 1024 -t get -r 100000 --csv"
        );
        assert_eq!(bench_key(12345), "key:000000012345");
    }
}
