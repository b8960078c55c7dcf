//! The simulated database while it serves: a table of fixed-size records
//! stored four to a 4 KiB page in a data file, and one write-ahead log for
//! the whole server (format and replay rule in `wal.rs`, what a start does
//! in `recover.rs`), written by group commit across every server thread.
//!
//! GET reads the record's page (through the page cache, or O_DIRECT). A PUT
//! takes the next global sequence number when it is queued. Whichever thread
//! finds no commit running leads one: it takes every queued PUT, of every
//! thread, writes them at the log's tail in one write, fdatasyncs, writes
//! them to the data file in sequence order, and only then answers them.
//! One commit runs at a time server-wide, so the log, the data file and
//! replay apply PUTs in one order: a PUT sent after another PUT of the same
//! key was answered always comes later, and of two concurrent PUTs of one
//! key the one queued last wins.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use iobound_workloads::dataset;
use iobound_workloads::proto::RECORD_SIZE;
use tokio::sync::oneshot;
use tokio_uring::buf::{BoundedBuf, IoBuf, IoBufMut};
use tokio_uring::fs::File;

use super::recover;
pub use super::recover::OpenError;
use super::wal;
use super::ServeConfig;

pub(crate) const PAGE: usize = 4096;
/// Log bytes past which the data file is synced and the log restarts.
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

/// Whether `record` is record `key`'s initial content.
pub fn is_initial(key: u64, record: &[u8]) -> bool {
    record.len() == RECORD_SIZE
        && record[..8] == key.to_le_bytes()
        && dataset::matches(RECORD_SEED, key * RECORD_SIZE as u64 + 8, &record[8..])
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

/// A point of a commit, where tests take crash images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// The commit's records are written to the log, not yet synced.
    LogWritten,
    /// They are synced, not yet in the data file.
    LogSynced,
    /// They are in the data file, not yet answered.
    Applied,
    /// Checkpoint: the data file is synced, the log not yet cut.
    DataSynced,
    /// Checkpoint: the log is cut to its old header, not yet rewritten.
    LogCut,
}

/// Called at each [`Stage`] with the commit's first and end (exclusive)
/// sequence numbers.
#[cfg(test)]
pub(crate) type Hook = Box<dyn Fn(Stage, u64, u64) + Send + Sync>;

/// A PUT waiting for its commit.
struct Pending {
    seq: u64,
    key: u64,
    value: Box<[u8]>,
    /// Receives the PUT's seq once it is durable and applied; dropped
    /// unsent when the commit failed.
    done: oneshot::Sender<u64>,
}

/// The group-commit state every thread shares.
struct Commit {
    /// Queued PUTs, in sequence order.
    queue: Vec<Pending>,
    /// The seq the next queued PUT takes.
    next_seq: u64,
    /// Where the next commit writes in the log.
    tail: u64,
    /// A commit is running (on some thread).
    committing: bool,
    /// Why a commit failed: every later PUT is refused, since what the log
    /// and the data file hold is then unknown (as PostgreSQL stops on a
    /// failed fsync).
    failed: Option<String>,
}

struct Inner {
    data: PathBuf,
    log: PathBuf,
    records: u64,
    direct: bool,
    checkpoint: u64,
    commit: Mutex<Commit>,
    /// An exclusive lock on the table for the server's lifetime: a second
    /// server on the same files would replay and reset this one's
    /// write-ahead log under it, and acknowledged writes would be lost.
    _lock: std::fs::File,
    #[cfg(test)]
    hook: Option<Hook>,
}

/// The table and its log; shared by every server thread.
#[derive(Clone)]
pub struct Table(Arc<Inner>);

impl Table {
    /// Creates or checks the data file, replays the log (or, with
    /// `--fresh`, discards it and restores the initial content), and
    /// starts the log afresh. Says what it did on stderr.
    pub fn open(cfg: &ServeConfig) -> Result<Table, OpenError> {
        Table::open_tuned(cfg, CHECKPOINT, |_| {})
    }

    fn open_tuned(
        cfg: &ServeConfig,
        checkpoint: u64,
        with: impl FnOnce(&mut Inner),
    ) -> Result<Table, OpenError> {
        let start = recover::start(cfg)?;
        for note in &start.notes {
            crate::errln!("iobound serve: {note}");
        }
        let mut inner = Inner {
            data: start.data,
            log: start.log,
            records: cfg.records,
            direct: cfg.direct,
            checkpoint,
            commit: Mutex::new(Commit {
                queue: Vec::new(),
                next_seq: start.next_seq,
                tail: wal::HEADER as u64,
                committing: false,
                failed: None,
            }),
            _lock: start.lock,
            #[cfg(test)]
            hook: None,
        };
        with(&mut inner);
        Ok(Table(Arc::new(inner)))
    }

    /// Opens the table with a checkpoint every `checkpoint` log bytes and
    /// `hook` called at each stage of every commit.
    #[cfg(test)]
    pub(crate) fn open_for_test(
        cfg: &ServeConfig,
        checkpoint: u64,
        hook: Hook,
    ) -> Result<Table, OpenError> {
        Table::open_tuned(cfg, checkpoint, |i| i.hook = Some(hook))
    }

    pub fn data_path(&self) -> &Path {
        &self.0.data
    }

    pub fn log_path(&self) -> &Path {
        &self.0.log
    }

    fn commit(&self) -> MutexGuard<'_, Commit> {
        // A panic under the lock leaves plain data behind: go on with it.
        self.0.commit.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Refuses every PUT from now on, and those waiting now.
    fn fail(&self, why: String) {
        let mut c = self.commit();
        c.failed = Some(why);
        c.committing = false;
        // Dropping the senders tells every waiting PUT it failed.
        c.queue.clear();
    }

    /// No PUT is queued and no commit runs.
    #[cfg(test)]
    pub(crate) fn idle(&self) -> bool {
        let c = self.commit();
        c.queue.is_empty() && !c.committing
    }

    fn at(&self, _stage: Stage, _first: u64, _end: u64) {
        #[cfg(test)]
        if let Some(h) = &self.0.hook {
            h(_stage, _first, _end);
        }
    }
}

/// Runs `ops` together; the first error, once every one has ended or been
/// dropped (an operation dropped in flight keeps its buffer until the
/// kernel is done with it).
async fn all_ok<F: std::future::Future<Output = std::io::Result<()>>>(
    ops: Vec<F>,
) -> std::io::Result<()> {
    let mut ops: Vec<Option<std::pin::Pin<Box<F>>>> =
        ops.into_iter().map(|f| Some(Box::pin(f))).collect();
    futures_lite::future::poll_fn(|cx| {
        let mut pending = false;
        for slot in ops.iter_mut() {
            if let Some(op) = slot {
                match op.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => {
                        *slot = None;
                        r?;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(Ok(()))
        }
    })
    .await
}

/// Fails the log if a commit loop is dropped before it finished.
struct Abandoned(Option<Table>);

impl Drop for Abandoned {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.fail("the thread committing it stopped in the middle of a commit".into());
        }
    }
}

/// One server thread's handles on the table (tokio-uring files belong to
/// the runtime that opened them).
pub struct Shard {
    table: Table,
    data: File,
    log: File,
}

fn refused(why: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "PUT refused: the write-ahead log failed ({why}); restart the server to replay it"
    ))
}

impl Shard {
    pub async fn open(t: &Table) -> std::io::Result<Shard> {
        let mut opts = tokio_uring::fs::OpenOptions::new();
        opts.read(true).write(true);
        if t.0.direct {
            opts.custom_flags(libc::O_DIRECT);
        }
        let data = opts.open(&t.0.data).await?;
        let log = tokio_uring::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&t.0.log)
            .await?;
        Ok(Shard {
            table: t.clone(),
            data,
            log,
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

    /// Logs and applies a PUT; returns its sequence number once it is
    /// durable and in the data file.
    pub async fn put(self: &Rc<Self>, key: u64, value: &[u8]) -> std::io::Result<u64> {
        let (tx, rx) = oneshot::channel();
        let lead = {
            let mut c = self.table.commit();
            if let Some(why) = &c.failed {
                return Err(refused(why));
            }
            let seq = c.next_seq;
            c.next_seq += 1;
            c.queue.push(Pending {
                seq,
                key,
                value: value.into(),
                done: tx,
            });
            !std::mem::replace(&mut c.committing, true)
        };
        if lead {
            // A task of its own, so that this PUT's answer does not wait
            // for the commits that gather after its own.
            tokio_uring::spawn(self.clone().commit_loop());
        }
        match rx.await {
            Ok(seq) => Ok(seq),
            Err(_) => Err(refused(
                self.table.commit().failed.as_deref().unwrap_or("unknown"),
            )),
        }
    }

    /// Commits every queued PUT, batch after batch, until none is left.
    async fn commit_loop(self: Rc<Self>) {
        // Should this task be dropped mid-commit (its runtime shut down),
        // the PUTs queued on other threads must not wait forever.
        let mut guard = Abandoned(Some(self.table.clone()));
        loop {
            let (batch, tail) = {
                let mut c = self.table.commit();
                if c.queue.is_empty() {
                    c.committing = false;
                    guard.0 = None;
                    return;
                }
                (std::mem::take(&mut c.queue), c.tail)
            };
            let end = batch.last().map_or(0, |p| p.seq + 1);
            let done = match self.commit(&batch, tail).await {
                Ok(tail) => {
                    self.table.commit().tail = tail;
                    for p in batch {
                        let _ = p.done.send(p.seq);
                    }
                    if tail >= self.table.0.checkpoint {
                        self.checkpoint(end).await
                    } else {
                        Ok(())
                    }
                }
                Err(e) => Err(e),
            };
            if let Err(e) = done {
                crate::errln!(
                    "iobound serve: the write-ahead log failed: {e}; every PUT is refused from now on (a restart replays the log)"
                );
                guard.0 = None;
                self.table.fail(e.to_string());
                return;
            }
        }
    }

    /// Writes one batch at `tail` of the log, syncs it, and applies it to
    /// the data file; returns the new tail.
    async fn commit(&self, batch: &[Pending], tail: u64) -> std::io::Result<u64> {
        let first = batch[0].seq;
        let end = first + batch.len() as u64;
        let mut log = Vec::with_capacity(batch.len() * wal::RECORD);
        for p in batch {
            wal::encode_record(&mut log, p.seq, first, p.key, &p.value);
        }
        let len = log.len() as u64;
        let (res, _) = self.log.write_all_at(log, tail).await;
        res?;
        self.table.at(Stage::LogWritten, first, end);
        self.log.sync_data().await?;
        self.table.at(Stage::LogSynced, first, end);
        // In sequence order; a PUT that a later one of the batch overwrites
        // is skipped.
        let mut seen = std::collections::HashSet::with_capacity(batch.len());
        // What is left holds distinct keys: their writes are submitted
        // together (one at a time, each waiting for the last, took about a
        // third of a commit).
        let writes = batch.iter().rev().filter(|p| seen.insert(p.key)).map(|p| {
            let mut page = PageBuf::new();
            page.page.0[..RECORD_SIZE].copy_from_slice(&p.value);
            page.init = RECORD_SIZE;
            let at = p.key * RECORD_SIZE as u64;
            async move {
                self.data
                    .write_all_at(page.slice(..RECORD_SIZE), at)
                    .await
                    .0
            }
        });
        all_ok(writes.collect()).await?;
        self.table.at(Stage::Applied, first, end);
        Ok(tail + len)
    }

    /// Makes the data file durable, then restarts the log empty, with
    /// `first_seq` (the next record's) in its header, before any new record
    /// is written: no stale record can ever follow live ones.
    async fn checkpoint(&self, first_seq: u64) -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        self.data.sync_all().await?;
        self.table.at(Stage::DataSynced, first_seq, first_seq);
        // SAFETY: ftruncate on a descriptor this shard owns; no pointers.
        if unsafe { libc::ftruncate(self.log.as_raw_fd(), wal::HEADER as libc::off_t) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        self.table.at(Stage::LogCut, first_seq, first_seq);
        let header = wal::encode_header(wal::Header {
            records: self.table.0.records,
            first_seq,
        });
        let (res, _) = self.log.write_all_at(header.to_vec(), 0).await;
        res?;
        self.log.sync_data().await?;
        self.table.commit().tail = wal::HEADER as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
