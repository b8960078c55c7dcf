//! Page-cache honesty: how much of a file is resident in memory (mincore),
//! and warming a file by reading it once. A "cached" run whose pages were
//! evicted is really a disk run; these readings let the report say which.

use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Fraction of the file's pages resident in the page cache, in [0, 1].
pub fn resident_fraction(path: &Path) -> std::io::Result<f64> {
    let file = File::open(path)?;
    let len = file.metadata()?.len() as usize;
    if len == 0 {
        return Ok(1.0);
    }
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    // SAFETY: a fresh shared read-only mapping of a file we hold open; we never
    // dereference it, only ask mincore about it, and unmap it before returning.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let pages = len.div_ceil(page);
    let mut vec = vec![0u8; pages];
    // SAFETY: addr/len is the mapping made above; vec has one byte per page.
    let rc = unsafe { libc::mincore(addr, len, vec.as_mut_ptr()) };
    let err = std::io::Error::last_os_error();
    // SAFETY: unmapping exactly the mapping made above.
    unsafe { libc::munmap(addr, len) };
    if rc != 0 {
        return Err(err);
    }
    let resident = vec.iter().filter(|&&b| b & 1 == 1).count();
    Ok(resident as f64 / pages as f64)
}

/// Reads the whole file once through the page cache.
pub fn warm(path: &Path) -> std::io::Result<()> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    while f.read(&mut buf)? > 0 {}
    Ok(())
}

/// Asks the kernel to drop the file's clean cached pages (POSIX_FADV_DONTNEED).
pub fn evict(path: &Path) -> std::io::Result<()> {
    let f = File::open(path)?;
    // SAFETY: plain advisory syscall on an fd we own.
    let rc = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if rc != 0 {
        return Err(std::io::Error::from_raw_os_error(rc));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warming_makes_a_file_resident_and_eviction_undoes_it() {
        let p = std::env::temp_dir().join(format!("iobound-pc-{}", std::process::id()));
        std::fs::write(&p, vec![7u8; 1 << 20]).unwrap();
        File::open(&p).unwrap().sync_all().unwrap();
        evict(&p).unwrap();
        let cold = resident_fraction(&p).unwrap();
        warm(&p).unwrap();
        let hot = resident_fraction(&p).unwrap();
        assert!(hot > 0.99, "after warming: {hot}");
        // Eviction is advisory; on tmpfs it does nothing, so only check the warm side there.
        assert!(cold <= hot);
        std::fs::remove_file(&p).unwrap();
    }
}
