//! A real Redis on loopback, for the redis-* workloads: `redis-server` from
//! PATH (the cells are skipped with the reason when it is missing), made
//! as durable as the simulated database (`appendfsync always`: a SET is on
//! disk before its answer), with the run's records loaded before any cell.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;

use iobound_workloads::resp;

use super::child::{ChildError, ServerChild};
use super::Kind;

/// The program, as the README tells users to install it (`apt-get install
/// redis-server`).
pub const PROGRAM: &str = "redis-server";

/// Why Redis cannot run here, if it cannot: the program is not on PATH.
pub fn missing() -> Option<String> {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(PROGRAM).is_file()));
    (!found).then(|| {
        format!("{PROGRAM} is not installed (apt-get install redis-server): the redis-* workloads need a real Redis")
    })
}

/// Starts Redis on a free loopback port with its files in `dir` (emptied
/// first: every group starts from the same records), `io_threads` I/O
/// threads, and loads `records` records of [`RECORD_SIZE`] bytes.
pub fn start(
    records: u64,
    io_threads: u64,
    dir: &Path,
    log: &Path,
    cpus: Option<&[usize]>,
) -> Result<ServerChild, ChildError> {
    let err = |source| ChildError::Spawn {
        kind: Kind::Redis,
        source,
    };
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(err)?;
    // A port the kernel just gave out and took back: free now, and Redis
    // takes it at once.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(err)?
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut cmd = Command::new(PROGRAM);
    cmd.args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--dir", &dir.display().to_string()])
        .args([
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ])
        .args(["--io-threads", &io_threads.to_string()])
        .args(["--protected-mode", "no", "--daemonize", "no"]);
    let child = ServerChild::start_program(Kind::Redis, cmd, addr, log, cpus)?;
    load(addr, records).map_err(|e| ChildError::NoAddress {
        kind: Kind::Redis,
        why: format!("loading its {records} records failed: {e}"),
        log: log.display().to_string(),
    })?;
    Ok(child)
}

/// SETs records 0..n, pipelined a thousand at a time, each answered `+OK`.
fn load(addr: SocketAddr, n: u64) -> std::io::Result<()> {
    let mut s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    const BATCH: u64 = 1000;
    let mut req = vec![0u8; resp::SET_LEN * BATCH as usize];
    let mut replies = Vec::with_capacity(resp::OK.len() * BATCH as usize);
    let mut first = 0;
    while first < n {
        let count = BATCH.min(n - first);
        let mut at = 0;
        for key in first..first + count {
            at += resp::encode_set(&mut req[at..], key);
        }
        s.write_all(&req[..at])?;
        let want = resp::OK.len() * count as usize;
        replies.resize(want, 0);
        s.read_exact(&mut replies)?;
        if replies.chunks(resp::OK.len()).any(|r| r != resp::OK) {
            return Err(std::io::Error::other(format!(
                "a SET was not answered +OK: {:?}",
                String::from_utf8_lossy(&replies[..want.min(80)])
            )));
        }
        first += count;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use iobound_workloads::proto::RECORD_SIZE;

    /// With redis-server installed, a started Redis holds every record,
    /// each beginning with its key; without it, the reason names the
    /// package (and the test says it skipped).
    #[test]
    fn a_started_redis_holds_the_records() {
        if let Some(why) = missing() {
            assert!(why.contains("apt-get install redis-server"), "{why}");
            crate::errln!("skipped: {why}");
            return;
        }
        let dir = std::env::temp_dir().join(format!("iobound-redis-{}", std::process::id()));
        let log = std::env::temp_dir().join(format!("iobound-redis-{}.log", std::process::id()));
        let server = start(2500, 1, &dir, &log, None).expect("redis starts");
        let mut s = TcpStream::connect(server.addr).unwrap();
        let mut b = vec![0u8; resp::SET_LEN];
        for key in [0, 1234, 2499] {
            let n = resp::encode_get(&mut b, key);
            s.write_all(&b[..n]).unwrap();
            let mut r = vec![0u8; resp::RECORD_REPLY];
            s.read_exact(&mut r).unwrap();
            match resp::decode_reply(&r).unwrap() {
                Some((resp::Reply::Bulk(Some(v)), used)) => {
                    assert_eq!(used, r.len());
                    assert_eq!(v.len(), RECORD_SIZE);
                    assert_eq!(v[..8], key.to_le_bytes());
                }
                other => panic!("{other:?}"),
            }
        }
        let n = resp::encode_get(&mut b, 2500);
        s.write_all(&b[..n]).unwrap();
        let mut r = [0u8; 5];
        s.read_exact(&mut r).unwrap();
        assert_eq!(&r, b"$-1\r\n");
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(&log);
    }
}
