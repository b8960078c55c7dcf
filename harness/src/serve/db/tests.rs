//! Tests of the db server's table against its real files: a property test
//! of group commit across threads with crash images taken inside commits,
//! and the start-up paths (`--fresh`, old per-thread logs, empty logs).

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iobound_workloads::proto::RECORD_SIZE;

use super::{initial_record, is_initial, Shard, Stage, Table};
use crate::serve::recover::{self, OpenError};
use crate::serve::{wal, Kind, ServeConfig};

/// SplitMix64.
#[derive(Default)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "iobound-db-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cfg(dir: &Path, records: u64, threads: usize) -> ServeConfig {
    ServeConfig {
        kind: Kind::Db,
        listen: "127.0.0.1:0".parse().unwrap(),
        threads,
        records,
        db_latency: Duration::ZERO,
        direct: false,
        data_dir: dir.to_path_buf(),
        fresh: false,
        truncate_corrupt_wal: false,
        frame_timeout: Duration::from_secs(1),
    }
}

fn uring_or_skip() -> bool {
    let ok = io_uring::IoUring::new(2).is_ok();
    if !ok {
        crate::errln!("skipping: io_uring unavailable here");
    }
    ok
}

fn value(tag: u64) -> Vec<u8> {
    let mut v = vec![(tag % 253) as u8; RECORD_SIZE];
    v[..8].copy_from_slice(&tag.to_le_bytes());
    v
}

fn record_of(data: &[u8], key: u64) -> &[u8] {
    let at = key as usize * RECORD_SIZE;
    &data[at..at + RECORD_SIZE]
}

/// One PUT as its writer saw it; `sent` and `acked` are ticks of one
/// counter shared by every thread.
#[derive(Debug, Clone)]
struct Put {
    seq: u64,
    key: u64,
    tag: u64,
    sent: u64,
    acked: u64,
}

/// The files as a kill -9 at `stage` of the commit of seqs `first..end`
/// leaves them (copied while the committing thread waited).
#[derive(Debug)]
struct Image {
    dir: PathBuf,
    stage: Stage,
    first: u64,
    end: u64,
}

const RECORDS: u64 = 16;
const HOT: u64 = 6;

/// What a key must hold once every PUT below `cut` was replayed: the value
/// of its PUT with the highest seq below `cut`, or its initial content.
fn expected(puts: &[Put], key: u64, cut: u64) -> Vec<u8> {
    match puts
        .iter()
        .filter(|p| p.key == key && p.seq < cut)
        .max_by_key(|p| p.seq)
    {
        Some(p) => value(p.tag),
        None => {
            let mut r = vec![0u8; RECORD_SIZE];
            initial_record(key, &mut r);
            r
        }
    }
}

/// Starts the table from an image copied to `dir` and checks every key
/// against the PUTs below `cut`; returns the start's notes.
fn check_start(dir: &Path, puts: &[Put], cut: u64, what: &str) -> Result<Vec<String>, String> {
    let start = recover::start(&cfg(dir, RECORDS, 1)).map_err(|e| format!("{what}: {e}"))?;
    let data = std::fs::read(&start.data).unwrap();
    for key in 0..RECORDS {
        if record_of(&data, key) != expected(puts, key, cut) {
            let head = u64::from_le_bytes(record_of(&data, key)[..8].try_into().unwrap());
            return Err(format!(
                "{what}: key {key} holds tag/key {head}, expected the last PUT below seq {cut}"
            ));
        }
    }
    Ok(start.notes)
}

fn copy_image(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in [
        format!("iobound-db-{RECORDS}.wal"),
        format!("iobound-db-{RECORDS}.dat"),
    ] {
        std::fs::copy(from.join(&name), to.join(&name)).unwrap();
    }
}

/// One random run: `threads` runtimes, each with a few writer tasks that
/// PUT random hot keys with random yields between, a checkpoint every few
/// records, crash images taken at random stages of random commits; then
/// every property checked. Returns how many checkpoints ran.
fn run_case(seed: u64) -> Result<usize, String> {
    let mut rng = Rng(seed);
    let threads = 1 + rng.below(4) as usize;
    let checkpoint = (wal::HEADER + (2 + rng.below(10) as usize) * wal::RECORD) as u64;
    let s = Scratch::new("prop");
    let dir = s.0.join("data");
    let images: Arc<Mutex<(Rng, Vec<Image>)>> = Arc::new(Mutex::new((Rng(!seed), Vec::new())));
    let hook = {
        let (images, dir, snaps) = (images.clone(), dir.clone(), s.0.join("images"));
        Box::new(move |stage: Stage, first: u64, end: u64| {
            let mut g = images.lock().unwrap();
            let (rng, list) = &mut *g;
            if list.len() >= 40 || rng.below(4) != 0 {
                return;
            }
            let to = snaps.join(list.len().to_string());
            copy_image(&dir, &to);
            list.push(Image {
                dir: to,
                stage,
                first,
                end,
            });
        })
    };
    let table = Table::open_for_test(&cfg(&dir, RECORDS, threads), checkpoint, hook)
        .map_err(|e| e.to_string())?;
    let clock = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (table, clock, finished) = (table.clone(), clock.clone(), finished.clone());
            let mut rng = Rng(seed ^ ((t as u64 + 1) << 48));
            std::thread::spawn(move || {
                tokio_uring::start(async move {
                    let shard = Rc::new(Shard::open(&table).await.unwrap());
                    let writers: Vec<_> = (0..1 + rng.below(3))
                        .map(|w| {
                            let (shard, clock) = (shard.clone(), clock.clone());
                            let mut rng = Rng(rng.next());
                            let n = 5 + rng.below(30);
                            tokio_uring::spawn(async move {
                                let mut out = Vec::new();
                                for i in 0..n {
                                    for _ in 0..rng.below(3) {
                                        tokio::task::yield_now().await;
                                    }
                                    let key = rng.below(HOT);
                                    let tag = ((t as u64) << 40) | (w << 20) | i;
                                    let sent = clock.fetch_add(1, Ordering::SeqCst);
                                    let seq = shard.put(key, &value(tag)).await.unwrap();
                                    let acked = clock.fetch_add(1, Ordering::SeqCst);
                                    out.push(Put {
                                        seq,
                                        key,
                                        tag,
                                        sent,
                                        acked,
                                    });
                                }
                                out
                            })
                        })
                        .collect();
                    let mut out = Vec::new();
                    for w in writers {
                        out.extend(w.await.unwrap());
                    }
                    // This runtime may be running the commit of another
                    // thread's PUTs: it stays until every thread is done.
                    finished.fetch_add(1, Ordering::SeqCst);
                    while finished.load(Ordering::SeqCst) < threads || !table.idle() {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    out
                })
            })
        })
        .collect();
    let mut puts: Vec<Put> = Vec::new();
    for h in handles {
        puts.extend(h.join().map_err(|_| "a server thread panicked")?);
    }
    let data_path = table.data_path().to_path_buf();
    drop(table);
    let why = |w: String| format!("seed {seed:#x} ({threads} threads): {w}");

    // One global order, with no gap, whatever thread queued a PUT.
    let mut seqs: Vec<u64> = puts.iter().map(|p| p.seq).collect();
    seqs.sort_unstable();
    if seqs != (1..=puts.len() as u64).collect::<Vec<_>>() {
        return Err(why(format!("seqs are not 1..={}: {seqs:?}", puts.len())));
    }
    // A PUT sent after another of its key was answered comes later.
    for a in &puts {
        for b in puts.iter().filter(|b| b.key == a.key && a.acked < b.sent) {
            if a.seq > b.seq {
                return Err(why(format!(
                    "key {}: seq {} was answered before seq {} was sent",
                    a.key, a.seq, b.seq
                )));
            }
        }
    }
    // The live data file holds the last PUT of every key.
    let end = puts.len() as u64 + 1;
    let data = std::fs::read(&data_path).unwrap();
    for key in 0..RECORDS {
        if record_of(&data, key) != expected(&puts, key, end) {
            return Err(why(format!(
                "live data file: key {key} is not its last PUT"
            )));
        }
    }
    // So does a restart.
    check_start(&dir, &puts, end, "restart after the run").map_err(why)?;

    let (mut rng, images) = std::mem::take(&mut *images.lock().unwrap());
    let checkpoints = images
        .iter()
        .filter(|i| i.stage == Stage::DataSynced)
        .count();
    let grouped = images
        .iter()
        .filter(|i| i.stage == Stage::LogWritten && i.end - i.first > 1)
        .count();
    crate::errln!(
        "seed {seed:#x}: {threads} threads, {} PUTs, {} crash images ({grouped} of commits of several PUTs, {checkpoints} in checkpoints)",
        puts.len(),
        images.len()
    );
    for (n, img) in images.iter().enumerate() {
        // A kill -9 keeps what was written, synced or not.
        let what = format!(
            "image {n} at {:?} of seqs {}..{}",
            img.stage, img.first, img.end
        );
        let as_is = s.0.join(format!("as-is-{n}"));
        copy_image(&img.dir, &as_is);
        check_start(&as_is, &puts, img.end, &what).map_err(why)?;
        if img.stage != Stage::LogWritten {
            continue;
        }
        // The commit's write cut short anywhere (a crash during it), or,
        // after a power loss, any record of it missing: replay keeps the
        // records before the first one lost, never an earlier one.
        let log_name = format!("iobound-db-{RECORDS}.wal");
        let log = std::fs::read(img.dir.join(&log_name)).unwrap();
        let start = log.len() - (img.end - img.first) as usize * wal::RECORD;
        let torn = s.0.join(format!("torn-{n}"));
        copy_image(&img.dir, &torn);
        let cut = start + rng.below((log.len() - start) as u64) as usize;
        std::fs::write(torn.join(&log_name), &log[..cut]).unwrap();
        let kept = img.first + ((cut - start) / wal::RECORD) as u64;
        let notes =
            check_start(&torn, &puts, kept, &format!("{what}, cut at {cut}")).map_err(why)?;
        if cut > start && (cut - start) % wal::RECORD != 0 {
            assert!(notes.iter().any(|l| l.contains("discarded a torn tail")));
        }
        let hole = s.0.join(format!("hole-{n}"));
        copy_image(&img.dir, &hole);
        let lost = rng.below(img.end - img.first);
        let mut holed = log.clone();
        let at = start + lost as usize * wal::RECORD;
        holed[at..at + wal::RECORD].fill(0);
        std::fs::write(hole.join(&log_name), &holed).unwrap();
        check_start(
            &hole,
            &puts,
            img.first + lost,
            &format!("{what}, record {lost} of it lost"),
        )
        .map_err(why)?;
    }
    Ok(checkpoints)
}

/// Random interleavings of PUTs across threads, and crash images at random
/// points of random commits (written, synced, applied, checkpointing), on
/// the real files: one global order, replay restores every key's last
/// acknowledged PUT, nothing is ever refused as corrupt. Fails with
/// per-thread sequences, or with commits that overlap. IOBOUND_DB_SEED=N
/// replays one seed.
#[test]
fn group_commit_across_threads_survives_any_crash_point() {
    if !uring_or_skip() {
        return;
    }
    let seeds: Vec<u64> = match std::env::var("IOBOUND_DB_SEED") {
        Ok(s) => vec![s.trim_start_matches("0x").parse().expect("a seed")],
        Err(_) => (1..=8).map(|i| 0xD0B0_0000 + i).collect(),
    };
    let mut checkpoints = 0;
    for seed in seeds {
        checkpoints += run_case(seed).unwrap();
    }
    assert!(
        checkpoints > 0,
        "no crash image was taken during a checkpoint"
    );
}

/// `--fresh` rewrites only the records that changed, and discards the log
/// and old per-thread logs unreplayed.
#[test]
fn fresh_restores_changed_records_only() {
    let s = Scratch::new("fresh");
    let mut c = cfg(&s.0, RECORDS, 2);
    drop(recover::start(&c).unwrap());
    let data = s.0.join(format!("iobound-db-{RECORDS}.dat"));
    let f = std::fs::OpenOptions::new().write(true).open(&data).unwrap();
    use std::os::unix::fs::FileExt;
    for k in [2u64, 9] {
        f.write_all_at(&value(k + 100), k * RECORD_SIZE as u64)
            .unwrap();
    }
    // A log whose one record would bring key 3 back if it were replayed.
    let mut log = wal::encode_header(wal::Header {
        records: RECORDS,
        first_seq: 1,
    })
    .to_vec();
    wal::encode_record(&mut log, 1, 1, 3, &value(7));
    std::fs::write(s.0.join(format!("iobound-db-{RECORDS}.wal")), &log).unwrap();
    std::fs::write(s.0.join(format!("iobound-db-{RECORDS}.wal1")), b"old").unwrap();
    c.fresh = true;
    let start = recover::start(&c).unwrap();
    assert!(
        start.notes[0].contains("2 of 16 records restored")
            && start.notes[0].contains("older per-thread logs iobound-db-16.wal1"),
        "{:?}",
        start.notes
    );
    let bytes = std::fs::read(&data).unwrap();
    for k in 0..RECORDS {
        assert!(is_initial(k, record_of(&bytes, k)), "key {k}");
    }
    assert!(!s.0.join(format!("iobound-db-{RECORDS}.wal1")).exists());
    assert_eq!(
        std::fs::read(s.0.join(format!("iobound-db-{RECORDS}.wal")))
            .unwrap()
            .len(),
        wal::HEADER
    );
}

/// Logs of the older per-thread format are refused by name, and a second
/// start is refused while the first holds the table.
#[test]
fn old_logs_and_a_held_lock_refuse_to_start() {
    let s = Scratch::new("old");
    std::fs::write(s.0.join(format!("iobound-db-{RECORDS}.wal0")), b"x").unwrap();
    let c = cfg(&s.0, RECORDS, 1);
    match recover::start(&c) {
        Err(OpenError::OldLogs { names, .. }) => assert_eq!(names, "iobound-db-16.wal0"),
        other => panic!("{:?}", other.map(|s| s.notes)),
    }
    std::fs::remove_file(s.0.join(format!("iobound-db-{RECORDS}.wal0"))).unwrap();
    let held = recover::start(&c).unwrap();
    assert!(matches!(recover::start(&c), Err(OpenError::Locked { .. })));
    drop(held);
    // A log reset cut short left its temporary file: ignored and removed.
    std::fs::write(s.0.join(format!("iobound-db-{RECORDS}.wal.tmp")), b"x").unwrap();
    let again = recover::start(&c).unwrap();
    assert!(
        again
            .notes
            .iter()
            .any(|n| n.starts_with("replayed 0 records")),
        "{:?}",
        again.notes
    );
    assert!(!s.0.join(format!("iobound-db-{RECORDS}.wal.tmp")).exists());
}

/// A start that created the table and then failed (a full disk refusing the
/// log) removes the table it created: an outsider's refused start left a
/// 4.2 MB table on a full disk, and every later start failed for want of
/// room (fails without `UndoCreate`). Needs root to mount a small tmpfs;
/// says so and passes otherwise.
#[test]
fn a_start_that_fails_after_creating_the_table_removes_it() {
    let dir = Scratch::new("full");
    let mnt = dir.0.join("fs");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&mnt)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        crate::errln!("skipping: cannot mount a tmpfs here (needs root)");
        return;
    }
    // 1 MiB holds the (empty) lock file and a 1024-record table, exactly
    // 1 MiB, but not a page of log beside it.
    let c = cfg(&mnt, 1024, 1);
    let failed = Table::open(&c);
    let names: Vec<String> = std::fs::read_dir(&mnt)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let _ = std::process::Command::new("umount")
        .arg("-l")
        .arg(&mnt)
        .status();
    assert!(failed.is_err(), "the log fitted: make the tmpfs smaller");
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with(".dat") || n.ends_with(".wal.tmp")),
        "{names:?}"
    );
}
