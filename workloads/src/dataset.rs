//! Data-set content and preparation: what bytes the files hold, how to check
//! them, and how to create them once and reuse them.
//!
//! Content is a pure function of (seed, absolute offset), so any block read at
//! any offset can be verified without keeping a copy of the file, and the data
//! neither repeats nor compresses (no dedup or zero-page shortcut in the stack).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::keys::mix64;
use crate::step::{FileRole, FileSpec};
use crate::WorkloadError;

/// Seed of data files' content.
pub const DATA_SEED: u64 = 0x1B0_0DA7A;
/// Seed of a log file's initial content.
pub const LOG_SEED: u64 = 0x1B0_0106;
/// Seed of the payload requests write.
pub const WRITE_SEED: u64 = 0x1B0_0517E;
/// First 8 bytes of every block a request writes.
pub const WRITE_MAGIC: [u8; 8] = *b"IOBNDWR1";
/// Bytes at the start of a written block that identify it: magic, then offset.
pub const STAMP_LEN: usize = 16;

/// Fills `buf` with the content that lives at `offset` in a file of `seed`.
///
/// `offset` and `buf.len()` must be multiples of 8 (every block size iobound
/// accepts is a multiple of 512).
pub fn fill(seed: u64, offset: u64, buf: &mut [u8]) {
    debug_assert!(offset % 8 == 0 && buf.len() % 8 == 0);
    let first = offset / 8;
    for (k, chunk) in buf.chunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&word(seed, first + k as u64).to_le_bytes());
    }
}

#[inline]
fn word(seed: u64, index: u64) -> u64 {
    mix64(seed ^ index.wrapping_mul(0xA24B_AED4_963E_E407))
}

/// Whether `buf` holds exactly the content at `offset` in a file of `seed`.
pub fn matches(seed: u64, offset: u64, buf: &[u8]) -> bool {
    if offset % 8 != 0 || buf.len() % 8 != 0 {
        return false;
    }
    let first = offset / 8;
    buf.chunks_exact(8)
        .enumerate()
        .all(|(k, c)| c == word(seed, first + k as u64).to_le_bytes())
}

/// Prepares a write buffer's payload once; [`stamp`] then marks each write.
pub fn write_payload(buf: &mut [u8]) {
    fill(WRITE_SEED, 0, buf);
}

/// Marks a block about to be written at `offset`, so a later read can prove
/// which write landed where.
#[inline]
pub fn stamp(buf: &mut [u8], offset: u64) {
    buf[..8].copy_from_slice(&WRITE_MAGIC);
    buf[8..16].copy_from_slice(&offset.to_le_bytes());
}

/// Whether `buf`, read back from `offset`, is a block that a request wrote there.
pub fn is_written_block(buf: &[u8], offset: u64) -> bool {
    buf.len() >= STAMP_LEN
        && buf[..8] == WRITE_MAGIC
        && buf[8..16] == offset.to_le_bytes()
        && matches(WRITE_SEED, STAMP_LEN as u64, &buf[STAMP_LEN..])
}

/// Seed of a file's initial content.
pub fn seed_of(role: FileRole) -> u64 {
    match role {
        FileRole::Data => DATA_SEED,
        FileRole::Log => LOG_SEED,
    }
}

/// Where a file of this spec lives under `dir`. The size is in the name so
/// that runs with different sizes never fight over one file.
pub fn path_for(dir: &Path, spec: &FileSpec) -> PathBuf {
    let role = match spec.role {
        FileRole::Data => "data",
        FileRole::Log => "log",
    };
    dir.join(format!("iobound-{role}-{}.dat", spec.size))
}

/// What [`prepare`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    Reused,
    Created,
}

const CHUNK: usize = 1 << 20;

/// Makes sure the file for `spec` exists under `dir` with its full content,
/// creating it if needed. A file of the right size whose first and last blocks
/// hold the expected content is reused. The file is written under a temporary
/// name, synced, then renamed, so an interrupted preparation never leaves a
/// file that a later run would take as complete.
pub fn prepare(dir: &Path, spec: &FileSpec) -> Result<(PathBuf, Prepared), WorkloadError> {
    prepare_until(dir, spec, &|| false)
}

/// [`prepare`], giving up between two 1 MiB chunks once `stop` says so (a
/// Ctrl-C): the partial file is removed and the error's kind is
/// `Interrupted`.
pub fn prepare_until(
    dir: &Path,
    spec: &FileSpec,
    stop: &dyn Fn() -> bool,
) -> Result<(PathBuf, Prepared), WorkloadError> {
    let path = path_for(dir, spec);
    let err = |source| WorkloadError::DataFile {
        path: path.clone(),
        source,
    };
    if looks_complete(&path, spec).map_err(err)? {
        return Ok((path, Prepared::Reused));
    }
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("iobound"),
        std::process::id()
    ));
    let result = write_file(&tmp, spec, stop).and_then(|()| fs::rename(&tmp, &path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok((path, Prepared::Created))
}

fn write_file(tmp: &Path, spec: &FileSpec, stop: &dyn Fn() -> bool) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)?;
    let seed = seed_of(spec.role);
    let mut buf = vec![0u8; CHUNK];
    let mut off = 0u64;
    while off < spec.size {
        if stop() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "preparation stopped",
            ));
        }
        let n = (spec.size - off).min(CHUNK as u64) as usize;
        fill(seed, off, &mut buf[..n]);
        f.write_all(&buf[..n])?;
        off += n as u64;
    }
    f.sync_all()
}

fn looks_complete(path: &Path, spec: &FileSpec) -> std::io::Result<bool> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if f.metadata()?.len() != spec.size {
        return Ok(false);
    }
    if spec.role == FileRole::Log {
        // A log's content changes with every run; its size is what matters.
        return Ok(true);
    }
    let probe = 4096.min(spec.size) as usize & !7;
    let mut buf = vec![0u8; probe];
    f.read_exact(&mut buf)?;
    if !matches(DATA_SEED, 0, &buf) {
        return Ok(false);
    }
    let last = (spec.size - probe as u64) & !7;
    use std::io::Seek;
    f.seek(std::io::SeekFrom::Start(last))?;
    f.read_exact(&mut buf)?;
    Ok(matches(DATA_SEED, last, &buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_is_a_function_of_offset() {
        let mut whole = vec![0u8; 8192];
        fill(DATA_SEED, 0, &mut whole);
        let mut second = vec![0u8; 4096];
        fill(DATA_SEED, 4096, &mut second);
        assert_eq!(&whole[4096..], &second[..]);
        assert!(matches(DATA_SEED, 4096, &second));
        assert!(!matches(DATA_SEED, 0, &second));
        assert!(!matches(LOG_SEED, 4096, &second));
    }

    #[test]
    fn content_does_not_repeat_and_is_not_zero() {
        let mut buf = vec![0u8; 1 << 16];
        fill(DATA_SEED, 0, &mut buf);
        let words: std::collections::HashSet<_> = buf.chunks_exact(8).collect();
        assert_eq!(words.len(), buf.len() / 8);
        assert!(buf.iter().filter(|&&b| b == 0).count() < buf.len() / 100);
    }

    #[test]
    fn stamped_blocks_are_recognised_only_at_their_offset() {
        let mut b = vec![0u8; 4096];
        write_payload(&mut b);
        stamp(&mut b, 8192);
        assert!(is_written_block(&b, 8192));
        assert!(!is_written_block(&b, 4096));
        b[100] ^= 1;
        assert!(!is_written_block(&b, 8192));
    }

    #[test]
    fn prepare_creates_then_reuses_and_repairs() {
        let dir = std::env::temp_dir().join(format!("iobound-ds-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let spec = FileSpec {
            role: FileRole::Data,
            size: 3 * CHUNK as u64 + 4096,
        };
        let (p, how) = prepare(&dir, &spec).unwrap();
        assert_eq!(how, Prepared::Created);
        let bytes = fs::read(&p).unwrap();
        assert_eq!(bytes.len() as u64, spec.size);
        assert!(matches(DATA_SEED, 0, &bytes));
        assert_eq!(prepare(&dir, &spec).unwrap().1, Prepared::Reused);
        // A file of the right size but foreign content is rebuilt, not trusted.
        fs::write(&p, vec![0u8; spec.size as usize]).unwrap();
        assert_eq!(prepare(&dir, &spec).unwrap().1, Prepared::Created);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Issue 13: a Ctrl-C while a data file is written stops the writing
    /// within a chunk and leaves no file behind (fails if preparation runs
    /// to the end regardless).
    #[test]
    fn preparation_stops_when_asked_and_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("iobound-ds-stop-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let spec = FileSpec {
            role: FileRole::Data,
            size: 64 * CHUNK as u64,
        };
        let calls = std::cell::Cell::new(0);
        let stop = || {
            calls.set(calls.get() + 1);
            calls.get() > 2
        };
        match prepare_until(&dir, &spec, &stop) {
            Err(WorkloadError::DataFile { source, .. }) => {
                assert_eq!(source.kind(), std::io::ErrorKind::Interrupted)
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(calls.get(), 3);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
