//! iobound beside redis-benchmark, against one real Redis: redis-benchmark's
//! GETs, iobound's redis-get on the uring and threads engines at the same
//! connection count, and iobound's db-ycsb-c against its own db server
//! (`--db-latency 0`, one thread) on the same engines, so the db server's
//! CPU per GET stands beside Redis's. Rounds alternate which side goes first.

use iobound_workloads::KeyDist;
use serde::Serialize;

use super::redis::{self as peer, Counters};
use super::{median_round, round_cells, round_line, NetRound, PeersConfig, PeersError, NET_MODES};
use crate::engine;
use crate::load::{Bound, Plan};
use crate::result::{Status, Summary};
use crate::ring::UringSupport;
use crate::run::{self, CellOptions, Ready, Silent};
use crate::serve::child::ServerChild;
use crate::serve::Kind;

/// One side at one connection count against one server: medians of its rounds.
#[derive(Debug, Clone, Serialize)]
pub struct RedisRow {
    pub connections: usize,
    /// `redis-benchmark`, or `iobound <engine>`.
    pub side: String,
    /// `redis`, or `db` (iobound's db server).
    pub server: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median: Option<NetRound>,
    pub rounds: Vec<NetRound>,
    /// GETs that found no value over the rounds (Redis's `keyspace_misses`);
    /// none for the db server, whose reads always find their record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub misses: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl RedisRow {
    fn skipped(connections: usize, side: &str, server: &'static str, why: String) -> Self {
        RedisRow {
            connections,
            side: side.to_string(),
            server,
            median: None,
            rounds: Vec::new(),
            misses: None,
            skipped: Some(why),
        }
    }

    fn measured(
        connections: usize,
        side: &str,
        server: &'static str,
        rounds: Vec<NetRound>,
        misses: Option<u64>,
    ) -> Self {
        RedisRow {
            connections,
            side: side.to_string(),
            server,
            median: median_round(&rounds),
            rounds,
            misses,
            skipped: None,
        }
    }
}

/// A side's rounds so far, or why it does not run.
type Side = Result<(Vec<NetRound>, u64), String>;

/// Everything the rounds share.
struct Bench<'a> {
    cfg: &'a PeersConfig,
    redis: &'a ServerChild,
    /// redis-benchmark's version, or why it does not run.
    tool: Result<String, String>,
    redis_get: Ready,
    db: Result<(&'a ServerChild, Ready), String>,
    uring: UringSupport,
}

/// Runs the Redis comparison; a missing redis-server or redis-benchmark
/// gives skipped rows, not an error.
pub(super) fn redis_part(cfg: &PeersConfig) -> Result<Vec<RedisRow>, PeersError> {
    let tool = peer::probe(&cfg.redis_bench_bin);
    if let Some(why) = crate::serve::redis::missing() {
        let why = format!("{why}; install the peer with `{}`", peer::INSTALL);
        crate::errln!("redis: skipped: {why}");
        return Ok(cfg
            .redis_connections
            .iter()
            .map(|&c| RedisRow::skipped(c, "redis-benchmark, iobound", "redis", why.clone()))
            .collect());
    }
    match &tool {
        Ok(v) => crate::errln!("redis: {v}"),
        Err(why) => crate::errln!("redis-benchmark: skipped: {why}"),
    }
    let records = cfg.file.params.records;
    let scratch = std::env::temp_dir();
    let pid = std::process::id();
    let files = cfg.file.data_dir.join(format!("iobound-peers-redis-{pid}"));
    let log = scratch.join(format!("iobound-peers-{pid}-redis.log"));
    let redis = crate::serve::redis::start(records, 1, &files, &log, None)
        .map_err(|e| PeersError::Redis(e.to_string()))?;
    let loaded = peer::load_bench_keys(redis.addr, records).and_then(|()| peer::settle(redis.addr));
    loaded.map_err(|e| PeersError::Redis(format!("loading redis-benchmark's keys: {e}")))?;
    crate::errln!(
        "  Redis: redis-server on {} (appendfsync always, io-threads 1), {records} records \
         k<16 hex> and {records} keys key:<12 digits>, 1 KiB values",
        redis.addr
    );
    let db_log = scratch.join(format!("iobound-peers-{pid}-db.log"));
    let db_args = db_serve_args(cfg, records);
    let db = ServerChild::start(Kind::Db, &db_args, &db_log, None).map_err(|e| e.to_string());
    match &db {
        Ok(s) => crate::errln!(
            "  db server: iobound serve {} ({})",
            db_args.join(" "),
            s.addr
        ),
        Err(e) => crate::errln!("  db server: skipped: {e}"),
    }
    let mut params = cfg.file.params.clone();
    // redis-benchmark's -r draws keys uniformly: so do both iobound cells.
    params.keys = KeyDist::Uniform;
    let mut obs = Silent;
    let mut prepare =
        |name: &str| run::prepare(name, &params, &cfg.file.data_dir, &mut Vec::new(), &mut obs);
    let redis_get = prepare("redis-get")?;
    let db_ready = prepare("db-ycsb-c")?;
    let bench = Bench {
        cfg,
        redis: &redis,
        tool,
        redis_get,
        db: db.as_ref().map(|s| (s, db_ready)).map_err(Clone::clone),
        uring: UringSupport::detect(),
    };
    let mut rows = Vec::new();
    for &conns in &cfg.redis_connections {
        rows.extend(bench.at(conns)?);
    }
    drop(db);
    drop(redis);
    let _ = std::fs::remove_dir_all(&files);
    for l in [&log, &db_log] {
        let _ = std::fs::remove_file(l);
    }
    Ok(rows)
}

/// `iobound serve db` as `iobound run` starts it, at `--db-latency 0` (or
/// the run's) with one thread, on a fresh table of `records` records.
fn db_serve_args(cfg: &PeersConfig, records: u64) -> Vec<String> {
    let mut a = crate::config::serve_defaults(Kind::Db);
    a.threads = 1;
    a.records = records;
    a.db.db_latency = cfg.file.db_latency;
    a.data.data_dir = Some(cfg.file.data_dir.clone());
    a.fresh = true;
    a.to_argv()
}

/// redis-benchmark's `-n` for a side that runs `secs` at `rate` GET/s.
fn requests_for(rate: f64, secs: f64, conns: usize) -> u64 {
    ((rate * secs) as u64).max(1000).max(conns as u64 * 10)
}

impl Bench<'_> {
    /// Every side's rounds at `conns` connections.
    fn at(&self, conns: usize) -> Result<Vec<RedisRow>, PeersError> {
        let cfg = self.cfg;
        let plan = Plan {
            concurrency: conns,
            warmup: cfg.file.warmup,
            bound: cfg.file.bound,
            rate: None,
        };
        let secs = match cfg.file.bound {
            Bound::Duration(d) => (d + cfg.file.warmup).as_secs_f64(),
            Bound::Requests(_) => 0.0,
        };
        // redis-benchmark runs a count of requests: the cells' count, or
        // what a short first run says it does in the cells' time.
        let mut n = match cfg.file.bound {
            Bound::Requests(n) => Ok(n),
            Bound::Duration(_) => self.calibrate(conns).map(|r| requests_for(r, secs, conns)),
        };
        let mut tool: Side = match (&self.tool, &n) {
            (Err(why), _) | (_, Err(why)) => Err(why.clone()),
            _ => Ok((Vec::new(), 0)),
        };
        let mut on_redis: Vec<Side> = vec![Ok((Vec::new(), 0)); NET_MODES.len()];
        let mut on_db: Vec<Side> = vec![
            self.db
                .as_ref()
                .map(|_| (Vec::new(), 0))
                .map_err(Clone::clone);
            NET_MODES.len()
        ];
        for round in 1..=cfg.repeat {
            // ABBA: redis-benchmark first in even rounds, iobound first in odd ones.
            let tool_first = round % 2 == 0;
            if tool_first {
                self.tool_round(conns, round, &mut tool, &mut n, secs);
            }
            for (i, mode) in NET_MODES.iter().enumerate() {
                let r = self.redis_cell(mode, plan)?;
                crate::errln!(
                    "  {conns} conn round {round}: iobound {mode} on Redis {}",
                    round_line(&r.0)
                );
                push(&mut on_redis[i], r);
                if let Ok((db, ready)) = &self.db {
                    let r = self.db_cell(mode, plan, db, ready)?;
                    crate::errln!(
                        "  {conns} conn round {round}: iobound {mode} on the db {}",
                        round_line(&r)
                    );
                    push(&mut on_db[i], (r, 0));
                }
            }
            if !tool_first {
                self.tool_round(conns, round, &mut tool, &mut n, secs);
            }
        }
        let mut rows = vec![row(conns, "redis-benchmark", "redis", tool, true)];
        for (mode, side) in NET_MODES.iter().zip(on_redis) {
            rows.push(row(conns, &format!("iobound {mode}"), "redis", side, true));
        }
        for (mode, side) in NET_MODES.iter().zip(on_db) {
            rows.push(row(conns, &format!("iobound {mode}"), "db", side, false));
        }
        Ok(rows)
    }

    /// A short redis-benchmark run, not counted: its GET/s.
    fn calibrate(&self, conns: usize) -> Result<f64, String> {
        let n = (conns as u64 * 200).max(20_000);
        let args = peer::bench_args(self.redis.addr, conns, n, self.cfg.file.params.records);
        peer::run_bench(&self.cfg.redis_bench_bin, &args).map(|(b, _)| b.rps)
    }

    fn counters(&self) -> Result<(Counters, u64), String> {
        let cpu = self.redis.cpu().map_or(0, |(u, s)| u + s);
        Ok((peer::counters(self.redis.addr)?, cpu))
    }

    /// One redis-benchmark run of `n` GETs; `n` is then sized from its rate.
    fn tool_round(
        &self,
        conns: usize,
        round: usize,
        side: &mut Side,
        n: &mut Result<u64, String>,
        secs: f64,
    ) {
        let (Ok(_), Ok(count)) = (side.as_ref(), n.as_ref()) else {
            return;
        };
        let count = *count;
        let args = peer::bench_args(self.redis.addr, conns, count, self.cfg.file.params.records);
        if round == 1 {
            crate::errln!(
                "  redis-benchmark: {} {}",
                self.cfg.redis_bench_bin,
                args.join(" ")
            );
        }
        let measured = self.counters().and_then(|before| {
            let (b, cpu) = peer::run_bench(&self.cfg.redis_bench_bin, &args)?;
            let after = self.counters()?;
            Ok((b, cpu, before, after))
        });
        match measured {
            Ok((b, cpu, before, after)) => {
                let (server, misses) = server_per_get(before, after);
                let r = NetRound {
                    rate: b.rps,
                    p50_ns: Some(b.p50_ms * 1e6),
                    p99_ns: Some(b.p99_ms * 1e6),
                    server_cpu_per_msg_ns: server,
                    client_cpu_per_msg_ns: cpu as f64 / count as f64,
                };
                crate::errln!(
                    "  {conns} conn round {round}: redis-benchmark {}",
                    round_line(&r)
                );
                if secs > 0.0 {
                    *n = Ok(requests_for(b.rps, secs, conns));
                }
                push(side, (r, misses));
            }
            Err(e) => *side = Err(e),
        }
    }

    /// iobound's redis-get cell; Redis's CPU over the GETs it counted.
    fn redis_cell(&self, mode: &str, plan: Plan) -> Result<(NetRound, u64), PeersError> {
        let mut opts = CellOptions::new(false, self.cfg.file.settings.clone());
        opts.target = Some(self.redis.addr);
        opts.server_pid = Some(self.redis.pid());
        let before = self.counters().map_err(PeersError::Redis)?;
        let s = self.cell(&self.redis_get, mode, plan, &opts)?;
        let after = self.counters().map_err(PeersError::Redis)?;
        let (server, misses) = server_per_get(before, after);
        Ok((
            NetRound {
                server_cpu_per_msg_ns: server,
                ..cell_round(&s)
            },
            misses,
        ))
    }

    /// iobound's db-ycsb-c cell against its db server.
    fn db_cell(
        &self,
        mode: &str,
        plan: Plan,
        db: &ServerChild,
        ready: &Ready,
    ) -> Result<NetRound, PeersError> {
        let mut opts = CellOptions::new(false, self.cfg.file.settings.clone());
        opts.target = Some(db.addr);
        opts.server_pid = Some(db.pid());
        Ok(cell_round(&self.cell(ready, mode, plan, &opts)?))
    }

    fn cell(
        &self,
        ready: &Ready,
        mode: &str,
        plan: Plan,
        opts: &CellOptions,
    ) -> Result<Summary, PeersError> {
        let engine = engine::by_name(mode).expect("net modes name real engines");
        let cell = run::run_cell(ready, engine, plan, opts, &self.uring, &mut Silent);
        match (cell.status, &cell.summary) {
            (Status::Ok, Some(s)) => Ok(s.clone()),
            _ => Err(PeersError::Cell(
                cell.stem(),
                cell.reason.unwrap_or_default(),
            )),
        }
    }
}

/// Redis's CPU per GET between two readings, and the GETs that missed.
fn server_per_get(before: (Counters, u64), after: (Counters, u64)) -> (Option<f64>, u64) {
    let gets = after.0.gets.saturating_sub(before.0.gets);
    let cpu = after.1.saturating_sub(before.1);
    let misses = after.0.misses.saturating_sub(before.0.misses);
    ((gets > 0).then(|| cpu as f64 / gets as f64), misses)
}

fn cell_round(s: &Summary) -> NetRound {
    NetRound {
        rate: s.throughput_rps,
        p50_ns: Some(s.latency.p50_ns as f64),
        p99_ns: Some(s.latency.p99_ns as f64),
        server_cpu_per_msg_ns: s.server.map(|c| c.per_request_ns),
        client_cpu_per_msg_ns: s.cpu.per_request_ns,
    }
}

fn push(side: &mut Side, (r, misses): (NetRound, u64)) {
    if let Ok((rounds, m)) = side {
        rounds.push(r);
        *m += misses;
    }
}

fn row(conns: usize, side: &str, server: &'static str, s: Side, counts_misses: bool) -> RedisRow {
    match s {
        Ok((rounds, misses)) => {
            RedisRow::measured(conns, side, server, rounds, counts_misses.then_some(misses))
        }
        Err(why) => RedisRow::skipped(conns, side, server, why),
    }
}

/// The Redis table: each side's medians; iobound's rows on Redis over
/// redis-benchmark's, the db server's over Redis's under the same engine.
pub fn render_redis(rows: &[RedisRow], repeat: usize, records: u64) -> String {
    let line = |c: [&str; 11]| {
        format!(
            "{:>5}  {:<16} {:<6} {:>8} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7}\n",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]
        )
    };
    let mut s = format!(
        "\niobound vs redis-benchmark, GETs of 1 KiB values ({records} keys, uniform) on loopback, \
         median of {repeat} round(s) each\n"
    );
    s.push_str(&line([
        "conns", "side", "server", "GET/s", "p50", "p99", "server", "client", "GET/s", "p99",
        "server",
    ]));
    s.push_str(&line([
        "", "", "", "", "", "", "CPU/GET", "CPU/GET", "ratio", "ratio", "CPU/GET",
    ]));
    let mut missed = Vec::new();
    for r in rows {
        let conns = r.connections.to_string();
        let Some(m) = &r.median else {
            let why = r.skipped.as_deref().unwrap_or("no round completed");
            s.push_str(&format!(
                "{conns:>5}  {:<16} {:<6} skipped: {why}\n",
                r.side, r.server
            ));
            continue;
        };
        if let Some(n) = r.misses.filter(|&n| n > 0) {
            missed.push(format!("{} at {conns} connections: {n}", r.side));
        }
        let reference = rows
            .iter()
            .find(|p| {
                p.connections == r.connections
                    && match r.server {
                        "db" => p.server == "redis" && p.side == r.side,
                        _ => p.side == "redis-benchmark" && r.side != "redis-benchmark",
                    }
            })
            .and_then(|p| p.median);
        let c = round_cells(m, reference);
        s.push_str(&line([
            &conns, &r.side, r.server, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7],
        ]));
    }
    s.push_str(
        "Ratios: iobound on Redis over redis-benchmark at the same connection count; the db \
         server (iobound serve db --db-latency 0, one thread, db-ycsb-c) over Redis under the \
         same iobound engine. CPU/GET: user + system CPU per GET: Redis's (/proc/<pid>/stat \
         over the GETs its INFO counted, warm-up included), the db server's and iobound's \
         (over the cell's measured window, per request completed in it), redis-benchmark's \
         (its rusage over its GETs).\n",
    );
    if missed.is_empty() {
        if rows.iter().any(|r| r.misses.is_some()) {
            s.push_str("Every GET on Redis found its 1 KiB value (keyspace_misses 0).\n");
        }
    } else {
        s.push_str(&format!(
            "GETs that found no value (keyspace_misses): {}\n",
            missed.join(", ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(rate: f64, p99: f64, server: f64) -> NetRound {
        NetRound {
            rate,
            p50_ns: Some(p99 / 2.0),
            p99_ns: Some(p99),
            server_cpu_per_msg_ns: Some(server),
            client_cpu_per_msg_ns: 1000.0,
        }
    }

    #[test]
    fn the_redis_table_has_both_references() {
        let rows = vec![
            RedisRow::measured(
                64,
                "redis-benchmark",
                "redis",
                vec![round(100_000.0, 1e6, 4000.0)],
                Some(0),
            ),
            RedisRow::measured(
                64,
                "iobound uring",
                "redis",
                vec![round(90_000.0, 2e6, 5000.0)],
                Some(0),
            ),
            RedisRow::measured(
                64,
                "iobound uring",
                "db",
                vec![round(45_000.0, 3e6, 6000.0)],
                None,
            ),
            RedisRow::skipped(
                1,
                "redis-benchmark",
                "redis",
                "redis-benchmark not found".into(),
            ),
        ];
        let t = render_redis(&rows, 1, 100_000);
        let on_redis = t
            .lines()
            .find(|l| l.contains("iobound uring") && l.contains("redis"))
            .unwrap();
        assert!(on_redis.ends_with("0.90    2.00    1.25"), "{t}");
        let on_db = t.lines().find(|l| l.contains(" db ")).unwrap();
        assert!(on_db.ends_with("0.50    1.50    1.20"), "{t}");
        assert!(
            t.contains("    1  redis-benchmark  redis  skipped: redis-benchmark not found"),
            "{t}"
        );
        assert!(t.contains("keyspace_misses 0"), "{t}");
    }

    #[test]
    fn server_cpu_is_per_counted_get() {
        let c = |gets, misses| Counters {
            gets,
            misses,
            ..Counters::default()
        };
        assert_eq!(
            server_per_get((c(10, 1), 1000), (c(110, 3), 401_000)),
            (Some(4000.0), 2)
        );
        assert_eq!(server_per_get((c(10, 0), 0), (c(10, 0), 5)), (None, 0));
    }

    #[test]
    fn redis_benchmark_runs_the_cells_time() {
        assert_eq!(requests_for(50_000.0, 3.5, 64), 175_000);
        assert_eq!(requests_for(10.0, 0.1, 1), 1000);
        assert_eq!(requests_for(10.0, 0.1, 4096), 40_960);
    }
}
