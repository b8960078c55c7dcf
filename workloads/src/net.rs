//! Network workloads: echo round trips, YCSB-style queries on the simulated
//! database, and the lesson's web request (sequential queries, then a
//! render). Each request is a few [`Step::Exchange`]s with the server.

use crate::compute::{hash_shared, SPREAD};
use crate::keys::{uniform, unit, Zipfian};
use crate::proto::{Service, RECORD_RESPONSE, RECORD_SIZE};
use crate::step::{FileSpec, Input, Kernel, Msg, Request, Step};
use crate::Workload;

/// How keys are drawn.
#[derive(Debug, Clone)]
pub enum Keys {
    Uniform { n: u64, seed: u64 },
    Zipfian(Zipfian),
}

impl Keys {
    pub fn new(uniform_keys: bool, n: u64, seed: u64) -> Self {
        if uniform_keys {
            Keys::Uniform { n, seed }
        } else {
            Keys::Zipfian(Zipfian::new(n, Zipfian::YCSB_THETA, seed))
        }
    }

    /// The key of draw `i`.
    pub fn key(&self, i: u64) -> u64 {
        match self {
            Keys::Uniform { n, seed } => uniform(*seed, i, *n),
            Keys::Zipfian(z) => z.key(i),
        }
    }
}

/// One message each way: `len` bytes sent and returned.
#[derive(Debug, Clone)]
pub struct NetEcho {
    len: u32,
}

impl NetEcho {
    pub fn new(len: u32) -> Self {
        NetEcho { len }
    }
}

/// Bytes a request or response of the database needs at most.
const DB_BUFFER: usize = if crate::proto::PUT_FRAME > crate::resp::SET_LEN {
    crate::proto::PUT_FRAME
} else {
    crate::resp::SET_LEN
};

impl Workload for NetEcho {
    fn name(&self) -> &'static str {
        "net-echo"
    }
    fn files(&self) -> &[FileSpec] {
        &[]
    }
    fn max_transfer(&self) -> usize {
        crate::proto::HEADER + 1 + self.len as usize
    }
    fn request(&self, _i: u64) -> Request {
        Request::one(Step::Exchange {
            msg: Msg::Echo { len: self.len },
        })
    }
    fn service(&self) -> Option<Service> {
        Some(Service::Echo)
    }
}

/// The YCSB core workloads this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// 50% reads, 50% updates.
    A,
    /// 95% reads, 5% updates.
    B,
    /// Reads only.
    C,
    /// Read-modify-write: a read, then an update of the same key.
    F,
    /// Updates only (not one of YCSB's: the writes' cost alone).
    W,
}

impl Mix {
    fn reads(self) -> f64 {
        match self {
            Mix::A => 0.5,
            Mix::B => 0.95,
            Mix::C | Mix::F => 1.0,
            Mix::W => 0.0,
        }
    }
}

/// `ops` queries per request, reads and updates mixed as YCSB's workload.
#[derive(Debug, Clone)]
pub struct DbYcsb {
    name: &'static str,
    mix: Mix,
    keys: Keys,
    ops: u32,
    seed: u64,
    /// The same requests to a real Redis, in RESP, instead of the
    /// simulated database.
    redis: bool,
}

impl DbYcsb {
    /// Most queries one request may make for a mix (F takes two steps each).
    pub fn max_ops(mix: Mix) -> u32 {
        if mix == Mix::F {
            (crate::MAX_STEPS / 2) as u32
        } else {
            crate::MAX_STEPS as u32
        }
    }

    pub fn new(name: &'static str, mix: Mix, keys: Keys, ops: u32, seed: u64) -> Self {
        DbYcsb {
            name,
            mix,
            keys,
            ops,
            seed,
            redis: false,
        }
    }

    /// The same requests, to a real Redis ([`Service::Redis`]).
    pub fn on_redis(self) -> Self {
        DbYcsb {
            redis: true,
            ..self
        }
    }

    fn get(&self, key: u64) -> Step {
        Step::Exchange {
            msg: if self.redis {
                Msg::RedisGet { key }
            } else {
                Msg::Get { key, wait_us: None }
            },
        }
    }

    fn put(&self, key: u64) -> Step {
        Step::Exchange {
            msg: if self.redis {
                Msg::RedisSet { key }
            } else {
                Msg::Put { key, wait_us: None }
            },
        }
    }
}

impl Workload for DbYcsb {
    fn name(&self) -> &'static str {
        self.name
    }
    fn files(&self) -> &[FileSpec] {
        &[]
    }
    fn max_transfer(&self) -> usize {
        DB_BUFFER
    }
    fn request(&self, i: u64) -> Request {
        let mut r = Request::new();
        for j in 0..self.ops as u64 {
            let draw = i * self.ops as u64 + j;
            let key = self.keys.key(draw);
            if self.mix == Mix::F {
                r.push(self.get(key));
                r.push(self.put(key));
            } else if unit(self.seed ^ 0x5EAD, draw) < self.mix.reads() {
                r.push(self.get(key));
            } else {
                r.push(self.put(key));
            }
        }
        r
    }
    fn service(&self) -> Option<Service> {
        Some(if self.redis {
            Service::Redis
        } else {
            Service::Db
        })
    }
    fn min_db_queries(&self) -> u32 {
        // Redis has no --db-latency to wait.
        if self.redis {
            return 0;
        }
        // Read-modify-write: a GET then a PUT per operation.
        match self.mix {
            Mix::F => 2 * self.ops,
            _ => self.ops,
        }
    }
}

/// Queries a web request makes before it renders.
pub const WEB_QUERIES: u64 = 3;

/// The lesson's web server: each request makes three queries one after the
/// other, then renders a page from the last record (a hash of it), so a
/// worker is held for the whole wait.
#[derive(Debug, Clone)]
pub struct DbWeb {
    keys: Keys,
}

impl DbWeb {
    pub fn new(keys: Keys) -> Self {
        DbWeb { keys }
    }
}

impl Workload for DbWeb {
    fn name(&self) -> &'static str {
        "db-web"
    }
    fn files(&self) -> &[FileSpec] {
        &[]
    }
    fn max_transfer(&self) -> usize {
        DB_BUFFER
    }
    fn request(&self, i: u64) -> Request {
        let mut r = Request::new();
        for j in 0..WEB_QUERIES {
            r.push(Step::Exchange {
                msg: Msg::Get {
                    key: self.keys.key(i * WEB_QUERIES + j),
                    wait_us: None,
                },
            });
        }
        r.push(Step::Compute {
            kernel: Kernel::Sha256,
            input: Input::LastRead {
                len: RECORD_RESPONSE as u32,
            },
        });
        r
    }
    fn computes(&self) -> bool {
        true
    }
    fn service(&self) -> Option<Service> {
        Some(Service::Db)
    }
    fn min_db_queries(&self) -> u32 {
        WEB_QUERIES as u32
    }
}

/// One query, then a compute step of `work` bytes of hashing: the mixed
/// database case.
#[derive(Debug, Clone)]
pub struct MixedDb {
    keys: Keys,
    work: u32,
    seed: u64,
}

impl MixedDb {
    pub fn new(keys: Keys, work: u32, seed: u64) -> Self {
        MixedDb { keys, work, seed }
    }
}

impl Workload for MixedDb {
    fn name(&self) -> &'static str {
        "mixed-db"
    }
    fn files(&self) -> &[FileSpec] {
        &[]
    }
    fn max_transfer(&self) -> usize {
        DB_BUFFER
    }
    fn request(&self, i: u64) -> Request {
        let mut r = Request::one(Step::Exchange {
            msg: Msg::Get {
                key: self.keys.key(i),
                wait_us: None,
            },
        });
        r.push(hash_shared(self.seed, i, self.work));
        r
    }
    fn compute_input(&self) -> usize {
        (self.work as u64 + SPREAD) as usize
    }
    fn computes(&self) -> bool {
        true
    }
    fn service(&self) -> Option<Service> {
        Some(Service::Db)
    }
    fn min_db_queries(&self) -> u32 {
        1
    }
}

const _: () = assert!(DB_BUFFER >= RECORD_RESPONSE && DB_BUFFER >= RECORD_SIZE);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ycsb_mixes_hold_their_read_fraction() {
        let keys = || Keys::new(false, 1000, 1);
        for (mix, lo, hi) in [
            (Mix::A, 0.45, 0.55),
            (Mix::B, 0.93, 0.97),
            (Mix::C, 1.0, 1.0),
        ] {
            let w = DbYcsb::new("x", mix, keys(), 1, 1);
            let reads = (0..4000)
                .filter(|&i| {
                    matches!(
                        w.request(i).steps()[0],
                        Step::Exchange {
                            msg: Msg::Get { .. }
                        }
                    )
                })
                .count() as f64
                / 4000.0;
            assert!((lo..=hi).contains(&reads), "{mix:?}: {reads}");
        }
        let f = DbYcsb::new("f", Mix::F, keys(), 2, 1).request(5);
        assert_eq!(f.len(), 4);
        match (f.steps()[0], f.steps()[1]) {
            (
                Step::Exchange {
                    msg: Msg::Get { key: a, .. },
                },
                Step::Exchange {
                    msg: Msg::Put { key: b, .. },
                },
            ) => assert_eq!(a, b),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn web_requests_query_three_times_then_render() {
        let r = DbWeb::new(Keys::new(true, 100, 1)).request(9);
        assert_eq!(r.len(), 4);
        assert!(r.steps()[3].is_compute());
    }
}
