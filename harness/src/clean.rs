//! iobound's data files: which files of a data directory are iobound's
//! (data sets, logs, the database's table and write-ahead logs, and leftovers
//! of an interrupted preparation), and `iobound clean`, which removes them.
//! They are kept between runs on purpose (a 1 GiB data set is reused rather
//! than written again), one per size, so they pile up unless removed.

use std::path::{Path, PathBuf};

/// Whether a file name is one iobound creates in a data directory.
pub fn is_iobound_file(name: &str) -> bool {
    let numbered = |rest: &str| {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits > 0
    };
    let after = |prefix: &str| name.strip_prefix(prefix).is_some_and(numbered);
    (after("iobound-data-") || after("iobound-log-")) && name.ends_with(".dat")
        || after("iobound-db-")
            && (name.ends_with(".dat")
                || name.ends_with(".tmp")
                || name.contains(".wal")
                || name.ends_with(".lock"))
        // An interrupted preparation's temporary file, and a writability probe.
        || name.starts_with(".iobound-") && (name.contains(".tmp-") || name.starts_with(".iobound-probe-"))
}

/// iobound's files in `dir` with their sizes, by name; none when the
/// directory does not exist.
pub fn data_files(dir: &Path) -> std::io::Result<Vec<(PathBuf, u64)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let meta = e.metadata()?;
        if meta.is_file() && is_iobound_file(name) {
            out.push((e.path(), meta.len()));
        }
    }
    out.sort();
    Ok(out)
}

/// The table (`iobound-db-<records>`) a file belongs to, if it is a db file.
fn table_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("iobound-db-")?;
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    (digits > 0).then(|| &name[..("iobound-db-".len() + digits)])
}

/// Whether a running `iobound serve db` holds the table's lock: its files
/// are in use, and removing them would lose its acknowledged writes.
fn in_use(dir: &Path, table: &str) -> bool {
    crate::serve::recover::lock_held(&dir.join(format!("{table}.lock")))
}

/// Lists iobound's data files in `dir` on stdout and, unless `dry_run`,
/// removes them — but never the files of a table a running server holds
/// (said on stdout instead). Returns (files, bytes) removed (or that would be).
pub fn clean(dir: &Path, dry_run: bool) -> std::io::Result<(usize, u64)> {
    let files = data_files(dir)?;
    let (mut count, mut bytes) = (0, 0);
    for (path, size) in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if let Some(table) = table_of(name).filter(|t| in_use(dir, t)) {
            crate::outln!(
                "keeping {} ({}): a running iobound server uses the table {table}",
                path.display(),
                crate::output::human::bytes(*size as f64)
            );
            continue;
        }
        crate::outln!(
            "{} {} ({})",
            if dry_run { "would remove" } else { "removing" },
            path.display(),
            crate::output::human::bytes(*size as f64)
        );
        if !dry_run {
            std::fs::remove_file(path)?;
        }
        count += 1;
        bytes += size;
    }
    // Redis's directory (its files are emptied at each start): removed
    // when empty, as a clean data directory has none of iobound's.
    let redis = dir.join("iobound-redis");
    if !dry_run && std::fs::remove_dir(&redis).is_ok() {
        crate::outln!("removing {}/", redis.display());
    }
    Ok((count, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_iobound_files_are_recognised() {
        for yes in [
            "iobound-data-1073741824.dat",
            "iobound-log-8388608.dat",
            "iobound-db-100000.dat",
            "iobound-db-100000.wal0",
            "iobound-db-100000.tmp",
            ".iobound-data-1073741824.dat.tmp-1234",
        ] {
            assert!(is_iobound_file(yes), "{yes}");
        }
        for no in [
            "iobound-data-.dat",
            "notes.txt",
            "iobound-data-12.txt",
            "my-iobound-data-1.dat",
            "run.json",
        ] {
            assert!(!is_iobound_file(no), "{no}");
        }
    }

    /// Issue 13: `iobound clean` removes iobound's data files and nothing
    /// else, and `--dry-run` removes nothing (fails if clean ignores either).
    #[test]
    fn clean_removes_only_iobound_files() {
        let dir = std::env::temp_dir().join(format!("iobound-clean-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("iobound-data-4096.dat"), [0u8; 4096]).unwrap();
        std::fs::write(dir.join("iobound-db-10.wal0"), b"x").unwrap();
        std::fs::write(dir.join("keep.txt"), b"mine").unwrap();
        assert_eq!(clean(&dir, true).unwrap(), (2, 4097));
        assert_eq!(data_files(&dir).unwrap().len(), 2);
        assert_eq!(clean(&dir, false).unwrap(), (2, 4097));
        assert!(data_files(&dir).unwrap().is_empty());
        assert!(dir.join("keep.txt").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
