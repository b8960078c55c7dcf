//! The checks before a run, so refused input leaves nothing behind:
//! usable `--out` and `--data-dir` directories and the free space the data
//! files need. Directories created only to be checked are removed again when
//! the run is refused.

use std::path::{Path, PathBuf};

use iobound_workloads::{dataset, Service};

use super::{ensure_writable_dir, Suite};

/// What the checks before a run refuse: nothing is written then.
#[derive(Debug, thiserror::Error)]
pub enum Preflight {
    #[error("{flag} {}: {why}", path.display())]
    Dir {
        flag: &'static str,
        path: PathBuf,
        why: String,
    },
    #[error(
        "not enough free space for the data files in {}: {} needed ({what}), {} free; \
         {advice}, another --data-dir, or `iobound clean` to remove old data files",
        dir.display(), crate::output::human::bytes(*need as f64), crate::output::human::bytes(*free as f64)
    )]
    Space {
        dir: PathBuf,
        need: u64,
        free: u64,
        what: String,
        /// The flags of this command that make the files smaller.
        advice: &'static str,
    },
}

/// Why `dir` cannot hold iobound's files, in words, from the deepest part
/// of the path that exists: a file in the way, a directory that refuses new
/// entries (/proc/sys), or one that refuses writes.
/// Creates it when missing (as the run would).
fn unusable_dir(dir: &Path) -> Option<String> {
    // A relative path's last ancestor is "", which is the current directory.
    let existing = dir
        .ancestors()
        .map(|a| match a.as_os_str().is_empty() {
            true => Path::new("."),
            false => a,
        })
        .find(|a| a.exists());
    if let Some(x) = existing.filter(|x| !x.is_dir()) {
        return Some(if x == dir {
            "is a file, not a directory".into()
        } else {
            format!("{} is a file, not a directory", x.display())
        });
    }
    match ensure_writable_dir(dir) {
        Ok(()) => None,
        Err(e) if !dir.is_dir() => Some(match existing {
            Some(x) => format!(
                "cannot be created: {} does not accept new directories ({e})",
                x.display()
            ),
            None => format!("cannot be created ({e})"),
        }),
        Err(e) => Some(format!("does not accept new files ({e})")),
    }
}

/// Free bytes for an unprivileged writer on the file system holding `dir`.
fn free_space(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs fills the struct we pass; `c` is a valid C string.
    unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        (libc::statvfs(c.as_ptr(), &mut st) == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
    }
}

/// The bytes of data files still to be written for `spec` (0 when a file
/// of the right size is already there: it is reused).
fn to_write(path: &Path, size: u64) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.len() == size => 0,
        Ok(m) => size.saturating_sub(m.len()),
        Err(_) => size,
    }
}

/// The checks made before anything is written: the results and data
/// directories are usable, and every data file the run will create fits in
/// the free space of its file system. Refusals are bad input (exit 2).
pub fn preflight(suite: &Suite) -> Result<(), Preflight> {
    let mut dirs: Vec<&Path> = vec![&suite.out];
    dirs.extend(suite.groups.iter().map(|g| g.file.data_dir.as_path()));
    leaving_nothing(&dirs, || preflight_checks(suite))
}

/// Runs `checks`; when they refuse, removes the directories among `dirs`
/// (and their ancestors) that they created. Checking a directory creates
/// it (the only sure test of a path that does not exist yet), and refused
/// input may leave nothing behind.
fn leaving_nothing(
    dirs: &[&Path],
    checks: impl FnOnce() -> Result<(), Preflight>,
) -> Result<(), Preflight> {
    let created: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| d.ancestors())
        .filter(|a| !a.as_os_str().is_empty() && !a.exists())
        .map(Path::to_path_buf)
        .collect();
    let checked = checks();
    if checked.is_err() {
        // Deepest first; only directories still empty go.
        let mut created = created;
        created.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for d in created {
            let _ = std::fs::remove_dir(d);
        }
    }
    checked
}

/// The checks of [`preflight`] for one data directory, for the commands
/// that write there without a run (`serve db`, `lesson 4`): the directory
/// is usable (created when missing) and `files` (path, size) fit in its
/// free space.
pub fn check_data_dir(
    dir: &Path,
    files: &[(PathBuf, u64)],
    advice: &'static str,
) -> Result<(), Preflight> {
    leaving_nothing(&[dir], || {
        if let Some(why) = unusable_dir(dir) {
            return Err(Preflight::Dir {
                flag: "--data-dir",
                path: dir.to_path_buf(),
                why,
            });
        }
        let need: u64 = files.iter().map(|(p, size)| to_write(p, *size)).sum();
        match free_space(dir) {
            Some(free) if need > free => Err(Preflight::Space {
                dir: dir.to_path_buf(),
                need,
                free,
                what: files
                    .iter()
                    .map(|(p, size)| {
                        format!(
                            "{} {}",
                            p.file_name().unwrap_or_default().to_string_lossy(),
                            crate::output::human::bytes(*size as f64)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                advice,
            }),
            _ => Ok(()),
        }
    })
}

/// Room the database server's log needs at start: a fresh log replaces the
/// replayed one, and a log that can take no record would refuse the first
/// PUT. About a thousand 1 KiB PUTs.
pub const DB_LOG_ROOM: u64 = 1 << 20;

/// What `iobound serve db` writes under `dir` before it listens: its table
/// and the room its log needs ([`DB_LOG_ROOM`]).
pub fn db_files(dir: &Path, records: u64) -> Vec<(PathBuf, u64)> {
    vec![
        db_table(dir, records),
        (
            dir.join(crate::serve::recover::log_name(records)),
            DB_LOG_ROOM,
        ),
    ]
}

/// The database server's table under `dir`, and its size, for `records`.
pub fn db_table(dir: &Path, records: u64) -> (PathBuf, u64) {
    (
        dir.join(format!("iobound-db-{records}.dat")),
        (records * 1024).div_ceil(4096) * 4096,
    )
}

fn preflight_checks(suite: &Suite) -> Result<(), Preflight> {
    use std::os::unix::fs::MetadataExt;
    let dir_err = |flag, path: &Path, why| Preflight::Dir {
        flag,
        path: path.to_path_buf(),
        why,
    };
    if let Some(why) = unusable_dir(&suite.out) {
        return Err(dir_err("--out", &suite.out, why));
    }
    // Bytes to write per file system (by device), with the files' names.
    let mut needs: Vec<(u64, PathBuf, u64, Vec<String>)> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for cfg in &suite.groups {
        let data_dir = &cfg.file.data_dir;
        if let Some(why) = unusable_dir(data_dir) {
            return Err(dir_err("--data-dir", data_dir, why));
        }
        let dev = std::fs::metadata(data_dir).map_or(0, |m| m.dev());
        let mut files: Vec<(PathBuf, u64)> = Vec::new();
        for w in &cfg.workloads {
            let Ok(workload) = iobound_workloads::build(w, &cfg.file.params) else {
                continue;
            };
            for spec in workload.files() {
                files.push((dataset::path_for(data_dir, spec), spec.size));
            }
            // The database server's table and its log's room, under the same directory.
            if workload.service() == Some(Service::Db) && cfg.target.is_none() {
                files.extend(db_files(data_dir, cfg.file.params.records));
            }
        }
        for (path, size) in files {
            if seen.contains(&path) {
                continue;
            }
            seen.push(path.clone());
            let n = to_write(&path, size);
            if n == 0 {
                continue;
            }
            let name = format!(
                "{} {}",
                path.file_name().unwrap_or_default().to_string_lossy(),
                crate::output::human::bytes(n as f64)
            );
            match needs.iter_mut().find(|x| x.0 == dev) {
                Some(x) => {
                    x.2 += n;
                    x.3.push(name);
                }
                None => needs.push((dev, data_dir.clone(), n, vec![name])),
            }
        }
    }
    for (_, dir, need, names) in needs {
        if let Some(free) = free_space(&dir) {
            if need > free {
                return Err(Preflight::Space {
                    dir,
                    need,
                    free,
                    what: names.join(", "),
                    advice: "use a smaller --file-size or --records",
                });
            }
        }
    }
    Ok(())
}
