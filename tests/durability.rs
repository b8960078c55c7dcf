//! The db server's durability promises, driven from outside and written from
//! the README alone (sections "The loopback servers and their protocol" and
//! "Durability"): several connections write shared hot keys, the server is
//! killed (SIGKILL or SIGTERM) in the middle, started again, and every key is
//! read back; damaged logs are made by hand from the documented format and
//! the server's exit status and first stderr line are checked.
//!
//! Only the standard library (and libc for signals) is used; randomness comes
//! from a seeded SplitMix64.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_iobound");

/// A record's (and a PUT value's) size.
const VALUE: usize = 1024;
/// `--records` of every server here.
const RECORDS: u64 = 256;
/// Keys the writers share.
const HOT: u64 = 64;
/// The log's header and record sizes (README, "Durability").
const LOG_HEADER: usize = 64;
const LOG_RECORD: usize = 1052;

const OP_GET: u8 = 2;
const OP_PUT: u8 = 3;

const IO_TIMEOUT: Duration = Duration::from_secs(20);
const START_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Files and processes
// ---------------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "iobound-durability-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(p.join("data")).unwrap();
        Scratch(p)
    }
    fn data(&self) -> PathBuf {
        self.0.join("data")
    }
    /// The log of a table of `records` records (README: `iobound-db-<records>.wal`).
    fn log(&self, records: u64) -> PathBuf {
        self.data().join(format!("iobound-db-{records}.wal"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `iobound serve db`, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: PathBuf,
}

/// How a start ended when the server did not listen.
#[derive(Debug)]
struct Refused {
    status: ExitStatus,
    stderr: String,
}

impl Refused {
    fn first_line(&self) -> &str {
        self.stderr.lines().next().unwrap_or("")
    }
}

static STARTS: AtomicU64 = AtomicU64::new(0);

fn start(s: &Scratch, records: u64, threads: usize, extra: &[&str]) -> Result<Server, Refused> {
    let stderr = s.0.join(format!(
        "server-{}.stderr",
        STARTS.fetch_add(1, Ordering::Relaxed)
    ));
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "db",
            "--listen",
            "127.0.0.1:0",
            "--db-latency",
            "0",
        ])
        .args(["--records", &records.to_string()])
        .args(["--threads", &threads.to_string()])
        .arg("--data-dir")
        .arg(s.data())
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("spawn iobound serve db");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut r = BufReader::new(out);
        let mut line = String::new();
        let _ = tx.send(r.read_line(&mut line).map(|_| line));
        let _ = std::io::copy(&mut r, &mut std::io::sink());
    });
    let line = rx
        .recv_timeout(START_TIMEOUT)
        .expect("no `listening on` line in time")
        .unwrap();
    match line.trim().strip_prefix("listening on ") {
        Some(a) => Ok(Server {
            child,
            addr: a.parse().unwrap(),
            stderr,
        }),
        None => {
            let status = child.wait().unwrap();
            Err(Refused {
                status,
                stderr: std::fs::read_to_string(&stderr).unwrap_or_default(),
            })
        }
    }
}

fn started(s: &Scratch, threads: usize, extra: &[&str]) -> Server {
    start(s, RECORDS, threads, extra).unwrap_or_else(|r| {
        panic!(
            "the server did not start ({}): {}",
            r.status,
            r.stderr.trim()
        )
    })
}

impl Server {
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends `sig` and waits for the process to die of it.
    fn kill(mut self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid; no pointers.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, sig) }, 0);
        let st = self.child.wait().unwrap();
        assert_eq!(st.signal(), Some(sig), "the server ended with {st}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The protocol (README: u32 LE length, then opcode or status, then the body)
// ---------------------------------------------------------------------------------------------

fn connect(addr: SocketAddr) -> TcpStream {
    let c = TcpStream::connect(addr).unwrap();
    c.set_nodelay(true).unwrap();
    c.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    c
}

fn send(c: &mut TcpStream, op: u8, key: u64, value: Option<&[u8]>) -> std::io::Result<()> {
    let body = 1 + 8 + value.map_or(0, <[u8]>::len);
    let mut f = Vec::with_capacity(4 + body);
    f.extend_from_slice(&(body as u32).to_le_bytes());
    f.push(op);
    f.extend_from_slice(&key.to_le_bytes());
    f.extend_from_slice(value.unwrap_or_default());
    c.write_all(&f)
}

/// One response: status, then the rest of the body.
fn answer(c: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut len = [0u8; 4];
    c.read_exact(&mut len)?;
    let mut body = vec![0u8; u32::from_le_bytes(len) as usize];
    c.read_exact(&mut body)?;
    Ok((body[0], body[1..].to_vec()))
}

fn put(c: &mut TcpStream, key: u64, value: &[u8]) -> std::io::Result<()> {
    send(c, OP_PUT, key, Some(value))?;
    match answer(c)? {
        (0, rest) if rest.is_empty() => Ok(()),
        other => panic!("PUT {key}: unexpected answer {other:?}"),
    }
}

fn get(c: &mut TcpStream, key: u64) -> Vec<u8> {
    send(c, OP_GET, key, None).unwrap();
    let (status, record) = answer(c).unwrap();
    assert_eq!((status, record.len()), (0, VALUE), "GET {key}");
    record
}

/// The value writer `w` sends in its `n`-th PUT, to `key`: recognisable,
/// and different from every other.
fn value(w: u64, n: u64, key: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(VALUE);
    v.extend_from_slice(&((0xD0 << 56) | (w << 32) | n).to_le_bytes());
    v.extend_from_slice(&key.to_le_bytes());
    let mut r = Rng((w << 40) ^ (n << 8) ^ key);
    while v.len() < VALUE {
        v.extend_from_slice(&r.next().to_le_bytes());
    }
    v
}

/// Which PUT wrote `record` of `key`: `Some((w, n))`, or `None` for the
/// key's initial content (README: it starts with the key).
fn writer_of(key: u64, record: &[u8]) -> Result<Option<(u64, u64)>, String> {
    let head = u64::from_le_bytes(record[..8].try_into().unwrap());
    if head == key {
        return Ok(None);
    }
    let (w, n) = ((head >> 32) & 0xff_ffff, head & 0xffff_ffff);
    if head >> 56 == 0xD0 && value(w, n, key) == record {
        Ok(Some((w, n)))
    } else {
        Err(format!(
            "key {key} holds bytes no PUT sent: {:02x?}...",
            &record[..16]
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Writers, and the rule every key must satisfy after a restart
// ---------------------------------------------------------------------------------------------

/// One PUT as a writer saw it.
#[derive(Debug, Clone)]
struct Put {
    w: u64,
    n: u64,
    key: u64,
    sent: Instant,
    /// When its answer came; `None` if the server died first.
    acked: Option<Instant>,
}

/// Writer `w`: PUTs to random hot keys, one at a time on its connection,
/// until the connection breaks (the server was killed).
fn writer(addr: SocketAddr, w: u64, seed: u64, stop: Arc<AtomicBool>) -> Vec<Put> {
    let mut rng = Rng(seed ^ w);
    let mut c = connect(addr);
    let mut out = Vec::new();
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let key = rng.next() % HOT;
        let v = value(w, n, key);
        let sent = Instant::now();
        let ok = put(&mut c, key, &v).is_ok();
        out.push(Put {
            w,
            n,
            key,
            sent,
            acked: ok.then(Instant::now),
        });
        if !ok {
            break;
        }
    }
    out
}

/// Counts acknowledged PUTs whose effect is lost: for every key, the value
/// found must come from a PUT that no acknowledged PUT of that key follows
/// (a PUT follows another when it was sent after the other was answered).
/// Of PUTs that overlapped in time, either may win (README).
fn lost(puts: &[Put], found: &[(u64, Vec<u8>)]) -> Result<(usize, Vec<String>), String> {
    let mut lost = 0;
    let mut examples = Vec::new();
    for (key, record) in found {
        let winner = writer_of(*key, record)?;
        // When the value found was answered (never: it stays in force).
        let won_at = match winner {
            None => None,
            Some((w, n)) => {
                let p = puts
                    .iter()
                    .find(|p| (p.w, p.n) == (w, n))
                    .ok_or_else(|| format!("key {key}: value of an unknown PUT {w}/{n}"))?;
                if p.key != *key {
                    return Err(format!("key {key} holds the value PUT to key {}", p.key));
                }
                Some(p.acked)
            }
        };
        for q in puts.iter().filter(|q| q.key == *key && q.acked.is_some()) {
            let superseded = match won_at {
                None => true,
                Some(None) => false,
                Some(Some(at)) => at < q.sent,
            };
            if superseded {
                lost += 1;
                if examples.len() < 3 {
                    examples.push(format!(
                        "key {key}: holds {winner:?}, but PUT {}/{} was answered after that one was",
                        q.w, q.n
                    ));
                }
            }
        }
    }
    Ok((lost, examples))
}

fn read_all(addr: SocketAddr, keys: std::ops::Range<u64>) -> Vec<(u64, Vec<u8>)> {
    let mut c = connect(addr);
    keys.map(|k| (k, get(&mut c, k))).collect()
}

/// One row of the acceptance table.
struct Row {
    acked: usize,
    in_flight: usize,
    lost: usize,
}

/// `rounds` times: `writers` connections write the hot keys for a while,
/// the server gets `sig`, starts again (with `threads` threads), and every
/// key is read back and checked against every PUT so far.
fn crash_rounds(threads: usize, sig: i32, writers: u64, rounds: usize) -> Row {
    let s = Scratch::new(&format!("crash-t{threads}-s{sig}"));
    let mut server = started(&s, threads, &[]);
    let mut puts: Vec<Put> = Vec::new();
    let seed = 0x5EED ^ ((threads as u64) << 8) ^ sig as u64;
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let (addr, stop) = (server.addr, stop.clone());
                let w = w + round as u64 * writers;
                thread::spawn(move || writer(addr, w, seed, stop))
            })
            .collect();
        thread::sleep(Duration::from_millis(400));
        server.kill(sig);
        // A writer whose connection somehow survived stops anyway.
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            puts.extend(h.join().unwrap());
        }
        server = started(&s, threads, &[]);
        let restart = server.stderr();
        assert!(
            restart
                .lines()
                .any(|l| l.starts_with("iobound serve: replayed ")),
            "no replay line after the restart: {restart}"
        );
        let found = read_all(server.addr, 0..HOT);
        let (n, examples) = lost(&puts, &found).unwrap();
        assert_eq!(
            n, 0,
            "--threads {threads}, signal {sig}, round {round}: {n} acknowledged PUTs lost, e.g. {examples:?}"
        );
    }
    let acked = puts.iter().filter(|p| p.acked.is_some()).count();
    assert!(
        acked > 50 * rounds,
        "too few PUTs answered to mean anything: {acked}"
    );
    Row {
        acked,
        in_flight: puts.len() - acked,
        lost: 0,
    }
}

/// A count list from the environment (`IOBOUND_CRASH_WRITERS=8,64`), or
/// the default: CI runs the short matrix, a closing note the long one.
fn env_counts(name: &str, default: &[u64]) -> Vec<u64> {
    std::env::var(name).map_or_else(
        |_| default.to_vec(),
        |v| {
            v.split(',')
                .map(|x| x.trim().parse().expect("a list of whole numbers"))
                .collect()
        },
    )
}

/// Prints `| threads | signal | writers | acked | in flight | lost |` rows
/// (`--nocapture`); `IOBOUND_CRASH_WRITERS` and `IOBOUND_CRASH_ROUNDS`
/// lengthen it.
fn crash_matrix(threads: usize) {
    let rounds = env_counts("IOBOUND_CRASH_ROUNDS", &[2])[0] as usize;
    for writers in env_counts("IOBOUND_CRASH_WRITERS", &[12]) {
        for (sig, name) in [(libc::SIGKILL, "SIGKILL"), (libc::SIGTERM, "SIGTERM")] {
            let r = crash_rounds(threads, sig, writers, rounds);
            eprintln!(
                "| {threads} | {name} | {writers} | {rounds} | {} | {} | {} |",
                r.acked, r.in_flight, r.lost
            );
        }
    }
}

/// The report: with more than one thread, a restart brought keys
/// back to older acknowledged values. Fails with per-thread logs.
#[test]
fn acknowledged_puts_survive_kills_with_one_thread() {
    crash_matrix(1);
}

#[test]
fn acknowledged_puts_survive_kills_with_two_threads() {
    crash_matrix(2);
}

#[test]
fn acknowledged_puts_survive_kills_with_four_threads() {
    crash_matrix(4);
}

/// The log does not depend on the thread count: one written by 4 threads
/// replays under 1, then 2.
#[test]
fn a_log_replays_under_another_thread_count() {
    let s = Scratch::new("threads");
    let server = started(&s, 4, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..16)
        .map(|w| {
            let (addr, stop) = (server.addr, stop.clone());
            thread::spawn(move || writer(addr, w, 0xACE, stop))
        })
        .collect();
    thread::sleep(Duration::from_millis(500));
    server.kill(libc::SIGKILL);
    let puts: Vec<Put> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(
        puts.len() > 200,
        "too few PUTs to mean anything: {}",
        puts.len()
    );
    for threads in [1, 2] {
        let server = started(&s, threads, &[]);
        let found = read_all(server.addr, 0..HOT);
        assert_eq!(lost(&puts, &found).unwrap().0, 0, "--threads {threads}");
        server.kill(libc::SIGKILL);
    }
}

// ---------------------------------------------------------------------------------------------
// Damaged logs
// ---------------------------------------------------------------------------------------------

/// A table whose log holds exactly the PUTs of keys 0..10 (one commit each,
/// answered), the server then killed; its data file is put back as it was
/// before them, as if none of its unsynced writes had reached the disk (the
/// README: only the log is synced per commit), so what the keys hold after
/// a restart comes from the log alone. Returns the values.
fn ten_puts(s: &Scratch) -> Vec<Vec<u8>> {
    started(s, 1, &[]).kill(libc::SIGKILL);
    let dat = s.data().join(format!("iobound-db-{RECORDS}.dat"));
    let before = std::fs::read(&dat).unwrap();
    let server = started(s, 1, &[]);
    let mut c = connect(server.addr);
    let values: Vec<Vec<u8>> = (0..10).map(|k| value(99, k, k)).collect();
    for (k, v) in values.iter().enumerate() {
        put(&mut c, k as u64, v).unwrap();
    }
    server.kill(libc::SIGKILL);
    let len = std::fs::metadata(s.log(RECORDS)).unwrap().len() as usize;
    assert_eq!(len, LOG_HEADER + 10 * LOG_RECORD, "log size after 10 PUTs");
    std::fs::write(&dat, before).unwrap();
    values
}

/// The log's first sequence number (README: bytes 24..32 of its header).
fn first_seq(log: &Path) -> u64 {
    let b = std::fs::read(log).unwrap();
    u64::from_le_bytes(b[24..32].try_into().unwrap())
}

fn is_initial(key: u64, record: &[u8]) -> bool {
    writer_of(key, record) == Ok(None)
}

/// A write cut short at the end of the log (as a crash in the middle of a
/// commit leaves it) is discarded with one line saying how much and where;
/// the records before it are replayed.
#[test]
fn a_torn_tail_is_discarded_and_said() {
    for cut in [1, 500, LOG_RECORD - 1] {
        let s = Scratch::new("torn");
        let values = ten_puts(&s);
        let at = LOG_HEADER + 9 * LOG_RECORD;
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(s.log(RECORDS))
            .unwrap();
        f.set_len((at + cut) as u64).unwrap();
        let server = started(&s, 1, &[]);
        let err = server.stderr();
        let first = err.lines().next().unwrap_or("");
        assert!(
            first.starts_with("iobound serve: ")
                && first.contains(&format!(
                    "iobound-db-{RECORDS}.wal: discarded a torn tail of {cut} bytes at offset {at}"
                )),
            "first line: {first}"
        );
        eprintln!("torn tail of {cut} bytes | 0 (starts) | {first}");
        let found = read_all(server.addr, 0..10);
        for (k, r) in &found[..9] {
            assert_eq!(r, &values[*k as usize], "key {k}");
        }
        assert!(is_initial(9, &found[9].1));
    }
}

/// One flipped byte in the middle of the log: the server refuses to start
/// with one line naming the log and the offset; --truncate-corrupt-wal then
/// replays the records before it and says what it dropped.
#[test]
fn a_flipped_byte_in_the_middle_refuses_to_start() {
    let s = Scratch::new("flip");
    let values = ten_puts(&s);
    let log = s.log(RECORDS);
    let first = first_seq(&log);
    let at = LOG_HEADER + 4 * LOG_RECORD;
    let mut b = std::fs::read(&log).unwrap();
    b[at + 600] ^= 0x04;
    std::fs::write(&log, &b).unwrap();
    let r = start(&s, RECORDS, 2, &[])
        .err()
        .expect("must refuse to start");
    assert_eq!(r.status.code(), Some(1), "{}", r.stderr);
    let want = format!(
        "iobound: error: {}: corrupt record at offset {at} (seq {})",
        log.display(),
        first + 4
    );
    assert!(
        r.first_line().starts_with(&want) && r.first_line().contains("--truncate-corrupt-wal"),
        "first line: {}",
        r.first_line()
    );
    eprintln!("flipped byte | {:?} | {}", r.status.code(), r.first_line());
    // Refusing changed nothing: a second try says the same.
    let again = start(&s, RECORDS, 1, &[]).err().expect("refuses again");
    assert_eq!(again.first_line(), r.first_line());

    let server = started(&s, 1, &["--truncate-corrupt-wal"]);
    let err = server.stderr();
    assert!(
        err.lines().next().unwrap_or("").contains(&format!(
            "--truncate-corrupt-wal: corrupt record at offset {at}"
        )),
        "{err}"
    );
    let found = read_all(server.addr, 0..10);
    for (k, r) in &found {
        if *k < 4 {
            assert_eq!(r, &values[*k as usize], "key {k}");
        } else {
            assert!(is_initial(*k, r), "key {k} should have been dropped");
        }
    }
}

/// A log of another table size (renamed by hand) is refused, and so is
/// garbage in place of a log.
#[test]
fn a_log_of_another_table_is_refused() {
    let small = Scratch::new("small");
    let server = start(&small, 128, 1, &[]).unwrap();
    let mut c = connect(server.addr);
    put(&mut c, 3, &value(1, 1, 3)).unwrap();
    server.kill(libc::SIGKILL);
    let s = Scratch::new("other");
    std::fs::copy(small.log(128), s.log(RECORDS)).unwrap();
    let r = start(&s, RECORDS, 1, &[]).err().expect("must refuse");
    assert_eq!(r.status.code(), Some(1));
    assert!(
        r.first_line()
            .contains("belongs to a table of 128 records, not 256"),
        "{}",
        r.first_line()
    );
    eprintln!(
        "another table size | {:?} | {}",
        r.status.code(),
        r.first_line()
    );

    std::fs::write(s.log(RECORDS), vec![b'x'; 5000]).unwrap();
    let r = start(&s, RECORDS, 1, &[]).err().expect("must refuse");
    assert_eq!(r.status.code(), Some(1));
    assert!(
        r.first_line().contains("not an iobound write-ahead log"),
        "{}",
        r.first_line()
    );
    eprintln!("not a log | {:?} | {}", r.status.code(), r.first_line());
    // --fresh is the way out.
    let server = started(&s, 1, &["--fresh"]);
    assert!(is_initial(3, &read_all(server.addr, 3..4)[0].1));
}

/// An empty (0-byte) log holds nothing to replay: the server starts.
#[test]
fn an_empty_log_starts_with_nothing_replayed() {
    let s = Scratch::new("empty");
    std::fs::write(s.log(RECORDS), b"").unwrap();
    let server = started(&s, 1, &[]);
    let err = server.stderr();
    assert!(err.contains("empty, nothing to replay"), "{err}");
    eprintln!(
        "empty log | 0 (starts) | {}",
        err.lines().next().unwrap_or("")
    );
    assert!(is_initial(5, &read_all(server.addr, 5..6)[0].1));
}

/// Per-thread logs of the older format cannot be put back in order: the
/// server refuses them and names them, and --fresh discards them.
#[test]
fn per_thread_logs_of_an_older_iobound_are_refused() {
    let s = Scratch::new("old");
    for t in 0..2 {
        std::fs::write(
            s.data().join(format!("iobound-db-{RECORDS}.wal{t}")),
            vec![7u8; 1064],
        )
        .unwrap();
    }
    let r = start(&s, RECORDS, 2, &[]).err().expect("must refuse");
    assert_eq!(r.status.code(), Some(1));
    assert!(
        r.first_line()
            .contains("iobound-db-256.wal0, iobound-db-256.wal1")
            && r.first_line().contains("--fresh"),
        "{}",
        r.first_line()
    );
    eprintln!(
        "per-thread logs | {:?} | {}",
        r.status.code(),
        r.first_line()
    );
    let _server = started(&s, 2, &["--fresh"]);
    assert!(!s.data().join(format!("iobound-db-{RECORDS}.wal0")).exists());
}

/// --fresh puts every record back to its initial content and says how many
/// it rewrote.
#[test]
fn fresh_restores_the_initial_table() {
    let s = Scratch::new("fresh");
    let server = started(&s, 2, &[]);
    let mut c = connect(server.addr);
    for k in 0..10 {
        put(&mut c, k * 7, &value(5, k, k * 7)).unwrap();
    }
    server.kill(libc::SIGKILL);
    let server = started(&s, 1, &["--fresh"]);
    let err = server.stderr();
    assert!(
        err.contains("--fresh: discarded") && err.contains("10 of 256 records restored"),
        "{err}"
    );
    for (k, r) in read_all(server.addr, 0..RECORDS) {
        assert!(is_initial(k, &r), "key {k}");
    }
}

/// `iobound run` starts its db server with --fresh: each run (and each
/// group of a suite) starts from the initial table, whatever the previous
/// one wrote (fails when the harness no longer passes it).
#[test]
fn iobound_run_starts_its_db_server_fresh() {
    let s = Scratch::new("run");
    let out = s.0.join("results");
    let run = || {
        let o = Command::new(BIN)
            .args(["run", "-w", "db-ycsb-a", "-m", "threads", "-c", "2"])
            .args(["-d", "0.5s", "--warmup", "0s", "--records", "100"])
            .args(["--db-latency", "0", "--quiet", "--data-dir"])
            .arg(s.data())
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run();
    run();
    let mut logs: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|d| std::fs::read_to_string(d.unwrap().path().join("server-db-g1.log")).unwrap())
        .collect();
    logs.sort_by_key(|l| l.contains("table created"));
    let (second, first) = (&logs[0], &logs[1]);
    assert!(
        // A first start has no log: it says so rather than "discarded"
        // one (an outside tester's finding).
        first.starts_with("iobound serve: --fresh: no log to discard; table created"),
        "{first}"
    );
    let restored: u64 = second
        .split(" of 100 records restored")
        .next()
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{second}"));
    assert!(
        restored > 0,
        "the first run's PUTs were not undone: {second}"
    );
}

// ---------------------------------------------------------------------------------------------
// A full disk
// ---------------------------------------------------------------------------------------------

/// A tmpfs of `bytes` mounted on `dir`, unmounted on drop; `None` where this
/// process may not mount (not root, or in a container without the right):
/// the tests below then say so and pass.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, bytes: u64) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipping: cannot mount a tmpfs here (needs root)");
        }
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    fn free(&self) -> u64 {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(self.0.as_os_str().as_bytes()).unwrap();
        // SAFETY: statvfs fills the zeroed struct; `c` is a valid C string.
        unsafe {
            let mut st: libc::statvfs = std::mem::zeroed();
            assert_eq!(libc::statvfs(c.as_ptr(), &mut st), 0);
            st.f_bavail as u64 * st.f_frsize as u64
        }
    }

    /// Fills the file system with a file until at most `leave` bytes are free.
    fn fill_to(&self, leave: u64) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.0.join("filler"))
            .unwrap();
        let chunk = vec![0xA5u8; 4096];
        while self.free() > leave {
            if f.write_all(&chunk).is_err() {
                break;
            }
        }
    }

    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// An outsider filled the data directory's disk: a start with room for the
/// table but not for its log failed late (exit 1) and left the new table,
/// filling the disk for good; a start on a full disk left an empty probe
/// file each time. Both are refused up front now (exit 2, one line) and
/// leave nothing behind (fails without the log's room in the check, or
/// without the probe's removal on a failed write).
#[test]
fn a_full_disk_refuses_the_start_and_leaves_nothing() {
    let s = Scratch::new("full");
    let Some(fs) = Tmpfs::mount(&s.data(), 8 << 20) else {
        return;
    };
    // The table (256 KiB) fits; its log's room (README: 1 MiB) does not.
    fs.fill_to(600 << 10);
    let refused = start(&s, RECORDS, 1, &[]).err().expect("refused");
    assert_eq!(refused.status.code(), Some(2), "{}", refused.stderr);
    assert!(
        refused.first_line().contains("not enough free space")
            && refused.first_line().contains("use a smaller --records")
            && !refused.first_line().contains("--file-size"),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert_eq!(fs.names(), ["filler"]);
    // Nothing free at all: the directory refuses new files, and the probe
    // that found it out is gone too.
    fs.fill_to(0);
    let refused = start(&s, RECORDS, 1, &[]).err().expect("refused");
    assert_eq!(refused.status.code(), Some(2), "{}", refused.stderr);
    assert!(
        refused.first_line().contains("does not accept new files"),
        "{}",
        refused.stderr
    );
    assert_eq!(fs.names(), ["filler"]);
}
