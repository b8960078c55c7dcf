//! What a db server does with its files before it serves: it locks the
//! table, creates the data file if needed, replays the write-ahead log into
//! it (or, with `--fresh`, discards the log and restores the initial
//! content), refuses logs it cannot replay faithfully, and starts the log
//! afresh. Each step it took is one line of [`Start::notes`].

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use iobound_workloads::proto::RECORD_SIZE;

use super::db::{initial_record, is_initial, PAGE};
use super::wal::{self, HeaderError, Tail};
use super::ServeConfig;

/// Why a db server does not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "another iobound server uses this table ({} is locked); stop it or give this one another --data-dir",
        .lock.display()
    )]
    Locked { lock: PathBuf },
    #[error("{}: {why}; refusing to start: {}", .log.display(), header_hint(.why))]
    Header { log: PathBuf, why: HeaderError },
    #[error(
        "{}: corrupt record at offset {offset} (seq {seq}): a valid record of a later commit follows at offset {later}, so acknowledged writes are damaged; refusing to start (--truncate-corrupt-wal replays the {keep} records before offset {offset} and drops the {bytes} bytes from there)",
        .log.display()
    )]
    Corrupt {
        log: PathBuf,
        offset: u64,
        seq: u64,
        later: u64,
        keep: u64,
        bytes: u64,
    },
    #[error(
        "{} holds per-thread logs of an older iobound ({names}): their order across threads was not recorded, so they cannot be replayed faithfully; refusing to start (--fresh discards them and restores the table's initial content)",
        .dir.display()
    )]
    OldLogs { dir: PathBuf, names: String },
}

fn header_hint(why: &HeaderError) -> &'static str {
    if why.is_damage() {
        "--truncate-corrupt-wal drops the whole log, or --fresh discards it and restores the table's initial content"
    } else {
        "move it away, or start with --fresh to discard it and restore the table's initial content"
    }
}

/// The table ready to serve.
pub struct Start {
    pub lock: std::fs::File,
    pub data: PathBuf,
    pub log: PathBuf,
    /// The sequence number the first PUT takes (the fresh log's first).
    pub next_seq: u64,
    /// What was done, one line each, for stderr.
    pub notes: Vec<String>,
}

/// The file names of a table of `records` records.
pub fn log_name(records: u64) -> String {
    format!("iobound-db-{records}.wal")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OpenError + '_ {
    move |source| OpenError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn lock_path(dir: &Path, records: u64) -> PathBuf {
    dir.join(format!("iobound-db-{records}.lock"))
}

/// The table's lock file when a server holds it now: a run that would
/// start its own server on that table says so before it writes anything
/// (two runs sharing a --data-dir failed every db cell). Creates nothing:
/// no lock file, no holder.
pub fn table_in_use(dir: &Path, records: u64) -> Option<PathBuf> {
    let path = lock_path(dir, records);
    lock_held(&path).then_some(path)
}

/// Whether a process holds the lock file `path` (a running server's
/// table); false when there is no such file.
pub fn lock_held(path: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    // SAFETY: flock on a descriptor we own; no pointers. A lock taken here
    // is released when `f` closes, at the end of this function.
    let refused = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) } != 0;
    refused && std::io::Error::last_os_error().raw_os_error() == Some(libc::EWOULDBLOCK)
}

/// Takes the table's lock, or says who holds it.
fn lock_table(dir: &Path, records: u64) -> Result<std::fs::File, OpenError> {
    use std::os::fd::AsRawFd;
    let path = lock_path(dir, records);
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    // SAFETY: flock on a descriptor we own; no pointers.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            OpenError::Locked { lock: path }
        } else {
            io(&path)(e)
        });
    }
    Ok(f)
}

/// Logs of the per-thread format iobound wrote before (`<log>0`, `<log>1`...).
fn old_logs(dir: &Path, records: u64) -> Result<Vec<PathBuf>, OpenError> {
    let prefix = log_name(records);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let p = entry.map_err(io(dir))?.path();
        let is_old = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix(&prefix))
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()));
        if is_old {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Creates the data file with every record's initial content, unless one
/// of the right size is there; returns whether it was created.
fn create_data(path: &Path, records: u64) -> std::io::Result<bool> {
    let size = (records * RECORD_SIZE as u64).div_ceil(PAGE as u64) * PAGE as u64;
    if std::fs::metadata(path).is_ok_and(|m| m.len() == size) {
        return Ok(false);
    }
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    let mut chunk = vec![0u8; 256 * RECORD_SIZE];
    let mut key = 0;
    while key < records {
        let n = (records - key).min(256) as usize;
        for (i, r) in chunk.chunks_exact_mut(RECORD_SIZE).take(n).enumerate() {
            initial_record(key + i as u64, r);
        }
        f.write_all(&chunk[..n * RECORD_SIZE])?;
        key += n as u64;
    }
    f.set_len(size)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(true)
}

fn millis(t: Instant) -> String {
    format!("{:.1} ms", t.elapsed().as_secs_f64() * 1e3)
}

/// The result of replaying a log into the data file.
#[derive(Debug)]
pub struct Replayed {
    pub next_seq: u64,
    pub notes: Vec<String>,
}

/// Replays `log` (if any) into `data` and syncs `data`. A torn tail is
/// discarded with a note; corruption or a header that does not fit is an
/// error, unless `truncate` and the log is damaged: then the records
/// before the damage are replayed and the rest dropped, with a note.
pub fn replay(
    log: &Path,
    data: &std::fs::File,
    data_path: &Path,
    records: u64,
    truncate: bool,
) -> Result<Replayed, OpenError> {
    let t = Instant::now();
    let mut notes = Vec::new();
    let bytes = match std::fs::read(log) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Replayed { next_seq: 1, notes })
        }
        Err(e) => return Err(io(log)(e)),
    };
    let shown = log.display();
    let scan = match wal::scan(&bytes, records) {
        Ok(s) => s,
        // A 0-byte log (cut right after it was created): nothing to replay.
        Err(HeaderError::Short(0)) => {
            notes.push(format!("{shown}: empty, nothing to replay"));
            return Ok(Replayed { next_seq: 1, notes });
        }
        Err(why) if why.is_damage() && truncate => {
            notes.push(format!(
                "{shown}: --truncate-corrupt-wal: {why}: dropped the whole log ({} bytes) without replaying it",
                bytes.len()
            ));
            return Ok(Replayed { next_seq: 1, notes });
        }
        Err(why) => {
            return Err(OpenError::Header {
                log: log.to_path_buf(),
                why,
            })
        }
    };
    let keep = scan.records.len() as u64;
    match scan.tail {
        Tail::Clean => {}
        Tail::Torn { offset, bytes } => notes.push(format!(
            "{shown}: discarded a torn tail of {bytes} bytes at offset {offset} (a commit cut short by a crash or a full disk, never acknowledged)"
        )),
        Tail::Corrupt {
            offset,
            seq,
            bytes,
            valid_after,
            ..
        } if truncate => notes.push(format!(
            "{shown}: --truncate-corrupt-wal: corrupt record at offset {offset} (seq {seq}); dropped the {bytes} bytes from there, {valid_after} valid records among them (their writes are lost)"
        )),
        Tail::Corrupt {
            offset,
            seq,
            later,
            bytes,
            ..
        } => {
            return Err(OpenError::Corrupt {
                log: log.to_path_buf(),
                offset,
                seq,
                later,
                keep,
                bytes,
            })
        }
    }
    for r in &scan.records {
        data.write_all_at(r.value, r.key * RECORD_SIZE as u64)
            .map_err(io(data_path))?;
    }
    data.sync_all().map_err(io(data_path))?;
    let range = match (scan.records.first(), scan.records.last()) {
        (Some(a), Some(b)) => format!(" (seq {} to {})", a.seq, b.seq),
        _ => String::new(),
    };
    notes.push(format!(
        "replayed {keep} records{range} from {shown} into {} in {}",
        data_path.display(),
        millis(t)
    ));
    Ok(Replayed {
        next_seq: scan.next_seq(),
        notes,
    })
}

/// Rewrites every record that differs from its initial content and reads
/// the whole table on the way (so that it is in the page cache); returns
/// how many records were rewritten.
pub fn restore(data: &std::fs::File, records: u64) -> std::io::Result<u64> {
    const CHUNK: u64 = 256;
    let mut buf = vec![0u8; CHUNK as usize * RECORD_SIZE];
    let mut want = vec![0u8; RECORD_SIZE];
    let mut restored = 0;
    let mut key = 0;
    while key < records {
        let n = (records - key).min(CHUNK);
        let bytes = &mut buf[..n as usize * RECORD_SIZE];
        data.read_exact_at(bytes, key * RECORD_SIZE as u64)?;
        for (i, r) in bytes.chunks_exact(RECORD_SIZE).enumerate() {
            let k = key + i as u64;
            if !is_initial(k, r) {
                initial_record(k, &mut want);
                data.write_all_at(&want, k * RECORD_SIZE as u64)?;
                restored += 1;
            }
        }
        key += n;
    }
    if restored > 0 {
        data.sync_data()?;
    }
    Ok(restored)
}

/// Replaces the log with one holding a header alone: written aside,
/// synced, renamed over the old one, and the directory synced, so that a
/// crash leaves either log whole.
pub fn reset_log(log: &Path, records: u64, first_seq: u64) -> std::io::Result<()> {
    let tmp = log.with_extension("wal.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&wal::encode_header(wal::Header { records, first_seq }))?;
    f.sync_all()?;
    std::fs::rename(&tmp, log)?;
    if let Some(dir) = log.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Everything a db server does with its files before it serves.
pub fn start(cfg: &ServeConfig) -> Result<Start, OpenError> {
    let dir = &cfg.data_dir;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let lock = lock_table(dir, cfg.records)?;
    let data_path = dir.join(format!("iobound-db-{}.dat", cfg.records));
    let log = dir.join(log_name(cfg.records));
    let mut notes = Vec::new();
    // A log reset cut short: the log it was to replace is still whole.
    let _ = std::fs::remove_file(log.with_extension("wal.tmp"));
    let old = old_logs(dir, cfg.records)?;
    let names = || {
        old.iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !old.is_empty() && !cfg.fresh {
        return Err(OpenError::OldLogs {
            dir: dir.clone(),
            names: names(),
        });
    }
    let t = Instant::now();
    let created = create_data(&data_path, cfg.records).map_err(io(&data_path))?;
    // A table this start created holds only the initial content: if the
    // start fails after it (a full disk refusing the log), it goes again,
    // so a refused start does not leave the disk fuller than it found it.
    let mut undo = UndoCreate(created.then(|| data_path.clone()));
    let data = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&data_path)
        .map_err(io(&data_path))?;
    let next_seq = if cfg.fresh {
        // None: there was no log to discard (a first start).
        let discarded = std::fs::metadata(&log).ok().map(|m| m.len());
        // The log goes first: whatever happens next, it is never replayed.
        reset_log(&log, cfg.records, 1).map_err(io(&log))?;
        for p in &old {
            std::fs::remove_file(p).map_err(io(p))?;
        }
        let table = if created {
            format!("table created with its initial content in {}", millis(t))
        } else {
            let restored = restore(&data, cfg.records).map_err(io(&data_path))?;
            format!(
                "{restored} of {} records restored to their initial content; table read in {}",
                cfg.records,
                millis(t)
            )
        };
        let older = if old.is_empty() {
            String::new()
        } else {
            format!(" and the older per-thread logs {}", names())
        };
        notes.push(match discarded {
            Some(bytes) => format!(
                "--fresh: discarded {} unreplayed ({bytes} bytes){older}; {table}",
                log.display()
            ),
            None if old.is_empty() => format!("--fresh: no log to discard; {table}"),
            None => format!("--fresh: discarded{older}; {table}"),
        });
        1
    } else {
        let r = replay(
            &log,
            &data,
            &data_path,
            cfg.records,
            cfg.truncate_corrupt_wal,
        )?;
        notes.extend(r.notes);
        reset_log(&log, cfg.records, r.next_seq).map_err(io(&log))?;
        r.next_seq
    };
    undo.0 = None;
    Ok(Start {
        lock,
        data: data_path,
        log,
        next_seq,
        notes,
    })
}

/// Removes a file this start created unless the start succeeded.
struct UndoCreate(Option<PathBuf>);

impl Drop for UndoCreate {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
            let _ = std::fs::remove_file(p.with_extension("wal.tmp"));
        }
    }
}
