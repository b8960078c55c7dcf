//! System information captured once per run, so a result always says what
//! machine, kernel and filesystem produced it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::procfs::{self, Mount};
use crate::ring::UringSupport;

#[derive(Debug, Clone, Serialize)]
pub struct SystemInfo {
    pub hostname: String,
    pub kernel: String,
    pub arch: String,
    pub cpu_model: String,
    pub cpus: usize,
    pub memory_bytes: u64,
    pub data_dir: PathBuf,
    pub filesystem: Filesystem,
    pub direct_io: bool,
    pub io_uring: UringSupport,
    pub iobound_version: &'static str,
}

/// The filesystem holding the data files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Filesystem {
    pub fstype: String,
    pub device: String,
    pub mount_point: String,
}

impl SystemInfo {
    pub fn collect(data_dir: &Path, direct_io: bool, io_uring: UringSupport) -> Self {
        let cpu_model = procfs::cpu_model().unwrap_or_else(|| "unknown".into());
        let memory_bytes = procfs::mem_total().unwrap_or(0);
        let data_dir = data_dir
            .canonicalize()
            .unwrap_or_else(|_| data_dir.to_path_buf());
        SystemInfo {
            hostname: uname_field(|u| &u.nodename),
            kernel: uname_field(|u| &u.release),
            arch: std::env::consts::ARCH.to_string(),
            cpu_model,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes,
            filesystem: filesystem_of(&data_dir),
            data_dir,
            direct_io,
            io_uring,
            iobound_version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// The git commit the binary was built from (`unknown` outside a checkout;
/// `-dirty` when tracked files had changes).
pub const GIT_COMMIT: &str = env!("IOBOUND_GIT_COMMIT");

fn uname_field(pick: impl Fn(&libc::utsname) -> &[libc::c_char; 65]) -> String {
    // SAFETY: utsname is plain data that uname fills.
    let u = unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return "unknown".into();
        }
        u
    };
    let field = pick(&u);
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The mount holding `path`: the longest mount point that is a prefix of it.
pub fn filesystem_of(path: &Path) -> Filesystem {
    longest_mount_of(procfs::mounts(), path).unwrap_or_default()
}

#[cfg(test)]
fn parse_mountinfo_for(mountinfo: &str, path: &Path) -> Option<Filesystem> {
    longest_mount_of(procfs::parse_mounts(mountinfo), path)
}

fn longest_mount_of(mounts: Vec<Mount>, path: &Path) -> Option<Filesystem> {
    mounts
        .into_iter()
        .filter(|m| path.starts_with(&m.mount_point))
        .map(|m| Filesystem {
            fstype: m.fstype,
            device: m.source,
            mount_point: m.mount_point,
        })
        .max_by_key(|f| f.mount_point.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_mount_prefix_wins() {
        let mi = "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n\
                  30 22 0:40 / /tmp rw - tmpfs tmpfs rw\n\
                  31 22 0:41 / /mnt/my\\040disk rw - xfs /dev/vdb rw\n";
        let f = parse_mountinfo_for(mi, Path::new("/tmp/x")).unwrap();
        assert_eq!(
            (f.fstype.as_str(), f.mount_point.as_str()),
            ("tmpfs", "/tmp")
        );
        let f = parse_mountinfo_for(mi, Path::new("/work/a")).unwrap();
        assert_eq!((f.fstype.as_str(), f.device.as_str()), ("ext4", "/dev/vda"));
        let f = parse_mountinfo_for(mi, Path::new("/mnt/my disk/f")).unwrap();
        assert_eq!(f.fstype, "xfs");
    }

    #[test]
    fn collects_this_machine() {
        let s = SystemInfo::collect(&std::env::temp_dir(), false, UringSupport::detect());
        assert!(s.cpus >= 1 && s.memory_bytes > 0);
        assert!(!s.kernel.is_empty() && !s.filesystem.fstype.is_empty());
    }
}
