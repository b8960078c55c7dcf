//! The simulated database: a table of fixed-size records stored four to a
//! 4 KiB page in a data file, and a write-ahead log per server thread.
//!
//! GET reads the record's page (through the page cache, or O_DIRECT).
//! PUT appends to the thread's WAL; one fdatasync covers every PUT that
//! arrived while the previous sync ran (group commit), and a PUT is answered
//! only once its sync returned. The record is then written to the data file.
//! On start the WALs are replayed into the data file, so an acknowledged
//! write survives a kill -9 of the server.

use std::cell::{Cell, RefCell};
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use iobound_workloads::dataset;
use iobound_workloads::proto::RECORD_SIZE;
use tokio::sync::oneshot;
use tokio_uring::buf::{BoundedBuf, IoBuf, IoBufMut};
use tokio_uring::fs::File;

use super::ServeConfig;

const PAGE: usize = 4096;
const WAL_MAGIC: u32 = 0x1B0D_3A1F;
/// magic u32, pad u32, seq u64, key u64, value, check u64.
const ENTRY: usize = 4 + 4 + 8 + 8 + RECORD_SIZE + 8;
/// WAL bytes after which the data file is synced and the log restarts at 0.
const CHECKPOINT: u64 = 64 << 20;

/// Seed of the records' generated content.
const RECORD_SEED: u64 = 0xDB;

/// The bytes of record `key` as first created: its key, then generated content.
pub fn initial_record(key: u64, out: &mut [u8]) {
    out[..8].copy_from_slice(&key.to_le_bytes());
    dataset::fill(
        RECORD_SEED,
        key * RECORD_SIZE as u64 + 8,
        &mut out[8..RECORD_SIZE],
    );
}

/// A page-aligned buffer, as O_DIRECT needs.
#[repr(C, align(4096))]
struct Page([u8; PAGE]);

pub struct PageBuf {
    page: Box<Page>,
    init: usize,
}

impl PageBuf {
    fn new() -> Self {
        PageBuf {
            page: Box::new(Page([0; PAGE])),
            init: 0,
        }
    }
}

// SAFETY: the page is heap-allocated and never moves while the box lives;
// `init` never exceeds the page's size.
unsafe impl IoBuf for PageBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.page.0.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.init
    }
    fn bytes_total(&self) -> usize {
        PAGE
    }
}

// SAFETY: as above; the kernel writes at most `bytes_total` bytes.
unsafe impl IoBufMut for PageBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.page.0.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        self.init = self.init.max(pos.min(PAGE));
    }
}

/// Where the table lives; shared by every server thread.
#[derive(Debug, Clone)]
pub struct Table {
    data: PathBuf,
    dir: PathBuf,
    records: u64,
    direct: bool,
    /// An exclusive lock on the table for the server's lifetime: a second
    /// server on the same files would replay and truncate this one's
    /// write-ahead log under it, and acknowledged writes would be lost.
    _lock: std::sync::Arc<std::fs::File>,
}

/// Takes the table's lock, or says who holds it.
fn lock_table(dir: &Path, records: u64) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let path = dir.join(format!("iobound-db-{records}.lock"));
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    // SAFETY: flock on a descriptor we own; no pointers.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!(
                    "another iobound server uses this table ({} is locked); stop it or give this one another --data-dir",
                    path.display()
                ),
            )
        } else {
            e
        });
    }
    Ok(f)
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn encode_entry(out: &mut Vec<u8>, seq: u64, key: u64, value: &[u8]) {
    let start = out.len();
    out.extend_from_slice(&WAL_MAGIC.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&key.to_le_bytes());
    out.extend_from_slice(value);
    let check = fnv(&out[start..]);
    out.extend_from_slice(&check.to_le_bytes());
}

/// The valid entries at the start of a WAL: each well-formed, with a
/// sequence number above the one before (entries past a checkpoint restart
/// are older and end the log).
fn parse_wal(bytes: &[u8]) -> Vec<(u64, u64, &[u8])> {
    let mut out = Vec::new();
    let mut last = 0u64;
    for e in bytes.chunks_exact(ENTRY) {
        let magic = u32::from_le_bytes(e[..4].try_into().expect("4"));
        let seq = u64::from_le_bytes(e[8..16].try_into().expect("8"));
        let key = u64::from_le_bytes(e[16..24].try_into().expect("8"));
        let check = u64::from_le_bytes(e[ENTRY - 8..].try_into().expect("8"));
        if magic != WAL_MAGIC || fnv(&e[..ENTRY - 8]) != check || seq <= last {
            break;
        }
        last = seq;
        out.push((seq, key, &e[24..24 + RECORD_SIZE]));
    }
    out
}

impl Table {
    fn wal_path(&self, thread: usize) -> PathBuf {
        self.dir
            .join(format!("iobound-db-{}.wal{thread}", self.records))
    }

    /// Creates the data file if needed, then replays and clears every WAL.
    pub fn open(cfg: &ServeConfig) -> std::io::Result<Table> {
        std::fs::create_dir_all(&cfg.data_dir)?;
        let lock = lock_table(&cfg.data_dir, cfg.records)?;
        let t = Table {
            data: cfg.data_dir.join(format!("iobound-db-{}.dat", cfg.records)),
            dir: cfg.data_dir.clone(),
            records: cfg.records,
            direct: cfg.direct,
            _lock: std::sync::Arc::new(lock),
        };
        let size = t.records * RECORD_SIZE as u64;
        let size = size.div_ceil(PAGE as u64) * PAGE as u64;
        let fresh = std::fs::metadata(&t.data).map_or(true, |m| m.len() != size);
        if fresh {
            let tmp = t.data.with_extension("tmp");
            let mut f = std::fs::File::create(&tmp)?;
            let mut chunk = vec![0u8; 256 * RECORD_SIZE];
            let mut key = 0;
            while key < t.records {
                let n = (t.records - key).min(256) as usize;
                for (i, r) in chunk.chunks_exact_mut(RECORD_SIZE).take(n).enumerate() {
                    initial_record(key + i as u64, r);
                }
                f.write_all(&chunk[..n * RECORD_SIZE])?;
                key += n as u64;
            }
            f.set_len(size)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &t.data)?;
        }
        let data = OpenOptions::new().read(true).write(true).open(&t.data)?;
        let mut replayed = 0usize;
        for entry in std::fs::read_dir(&t.dir)? {
            let p = entry?.path();
            let is_wal = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("iobound-db-{}.wal", t.records)));
            if !is_wal {
                continue;
            }
            let mut bytes = Vec::new();
            std::fs::File::open(&p)?.read_to_end(&mut bytes)?;
            for (_, key, value) in parse_wal(&bytes) {
                if key < t.records {
                    data.write_all_at(value, key * RECORD_SIZE as u64)?;
                    replayed += 1;
                }
            }
            data.sync_all()?;
            std::fs::remove_file(&p)?;
        }
        if replayed > 0 {
            eprintln!(
                "iobound serve: replayed {replayed} logged writes into {}",
                t.data.display()
            );
        }
        Ok(t)
    }

    pub fn data_path(&self) -> &Path {
        &self.data
    }
}

/// A PUT waiting for its group's fdatasync.
struct Pending {
    key: u64,
    value: Box<[u8]>,
    done: oneshot::Sender<()>,
}

/// One server thread's handles on the table, and its group-commit state.
pub struct Shard {
    data: File,
    wal: File,
    tail: Cell<u64>,
    seq: Cell<u64>,
    pending: RefCell<Vec<Pending>>,
    committing: Cell<bool>,
    /// The last commit's I/O error, reported to the PUTs it covered.
    failed: RefCell<Option<String>>,
}

impl Shard {
    pub async fn open(t: &Table, thread: usize) -> std::io::Result<Shard> {
        let mut opts = tokio_uring::fs::OpenOptions::new();
        opts.read(true).write(true);
        if t.direct {
            opts.custom_flags(libc::O_DIRECT);
        }
        let data = opts.open(&t.data).await?;
        let wal = tokio_uring::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(t.wal_path(thread))
            .await?;
        Ok(Shard {
            data,
            wal,
            tail: Cell::new(0),
            seq: Cell::new(0),
            pending: RefCell::new(Vec::new()),
            committing: Cell::new(false),
            failed: RefCell::new(None),
        })
    }

    /// Reads the page holding record `key` and returns the record.
    pub async fn get(&self, key: u64) -> std::io::Result<Vec<u8>> {
        let off = key * RECORD_SIZE as u64;
        let page = off / PAGE as u64 * PAGE as u64;
        let (res, buf) = self.data.read_at(PageBuf::new(), page).await;
        let n = res?;
        let at = (off - page) as usize;
        if n < at + RECORD_SIZE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("short read of page {page}: {n} bytes"),
            ));
        }
        Ok(buf.page.0[at..at + RECORD_SIZE].to_vec())
    }

    /// Logs and applies a PUT; returns once it is durable.
    pub async fn put(&self, key: u64, value: &[u8]) -> std::io::Result<()> {
        let (tx, rx) = oneshot::channel();
        self.pending.borrow_mut().push(Pending {
            key,
            value: value.into(),
            done: tx,
        });
        if !self.committing.get() {
            // No commit in flight: this PUT leads, and commits every batch
            // that gathers meanwhile until none is left.
            self.committing.set(true);
            let r = self.commit_all().await;
            self.committing.set(false);
            r?;
        }
        if rx.await.is_err() {
            let why = self.failed.borrow().clone().unwrap_or_default();
            return Err(std::io::Error::other(format!("commit failed: {why}")));
        }
        Ok(())
    }

    async fn commit_all(&self) -> std::io::Result<()> {
        loop {
            let batch = std::mem::take(&mut *self.pending.borrow_mut());
            if batch.is_empty() {
                return Ok(());
            }
            if let Err(e) = self.commit(&batch).await {
                *self.failed.borrow_mut() = Some(e.to_string());
                // Dropping the senders tells every waiting PUT it failed.
                return Err(e);
            }
            for p in batch {
                let _ = p.done.send(());
            }
        }
    }

    async fn commit(&self, batch: &[Pending]) -> std::io::Result<()> {
        let mut log = Vec::with_capacity(batch.len() * ENTRY);
        for p in batch {
            self.seq.set(self.seq.get() + 1);
            encode_entry(&mut log, self.seq.get(), p.key, &p.value);
        }
        let len = log.len() as u64;
        let (res, _) = self.wal.write_at(log, self.tail.get()).submit().await;
        let n = res?;
        if n as u64 != len {
            return Err(std::io::Error::other(format!(
                "short WAL write: {n} of {len}"
            )));
        }
        self.wal.sync_data().await?;
        self.tail.set(self.tail.get() + len);
        for p in batch {
            let mut page = PageBuf::new();
            page.page.0[..RECORD_SIZE].copy_from_slice(&p.value);
            page.init = RECORD_SIZE;
            let (res, _) = self
                .data
                .write_at(page.slice(..RECORD_SIZE), p.key * RECORD_SIZE as u64)
                .submit()
                .await;
            res?;
        }
        if self.tail.get() >= CHECKPOINT {
            // Every logged write is in the data file: make it durable, then
            // let the log start over (older entries end replay by their seq).
            self.data.sync_data().await?;
            self.tail.set(0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_replay_stops_at_torn_or_older_entries() {
        let v = vec![3u8; RECORD_SIZE];
        let mut log = Vec::new();
        encode_entry(&mut log, 5, 1, &v);
        encode_entry(&mut log, 6, 2, &v);
        encode_entry(&mut log, 2, 3, &v); // from before a checkpoint restart
        let keys: Vec<u64> = parse_wal(&log).iter().map(|e| e.1).collect();
        assert_eq!(keys, [1, 2]);
        let mut torn = log[..ENTRY * 2].to_vec();
        torn[ENTRY + 30] ^= 1;
        assert_eq!(parse_wal(&torn).len(), 1);
    }

    #[test]
    fn initial_records_start_with_their_key() {
        let mut r = vec![0u8; RECORD_SIZE];
        initial_record(77, &mut r);
        assert_eq!(u64::from_le_bytes(r[..8].try_into().unwrap()), 77);
    }
}
