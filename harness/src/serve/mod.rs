//! The loopback servers iobound measures against (`iobound serve echo|db`),
//! built on tokio-uring: one single-threaded runtime per `--threads`, each
//! with its own listener on a shared port (SO_REUSEPORT). A bad frame or an
//! abrupt disconnect ends that connection only, with a logged reason.

use std::net::SocketAddr;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::Duration;

pub mod child;
pub mod conn;
pub mod db;
pub mod timer;

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Echo,
    Db,
}

/// Checked settings of a server.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub kind: Kind,
    pub listen: SocketAddr,
    pub threads: usize,
    /// db: records in the table.
    pub records: u64,
    /// db: fixed service delay per query, on the event loop's timer.
    pub db_latency: Duration,
    /// db: open the table with O_DIRECT.
    pub direct: bool,
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("database files in {dir}: {source}")]
    Db {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("server thread: {0}")]
    Thread(String),
}

/// A listening socket with SO_REUSEADDR and SO_REUSEPORT, so each server
/// thread can have its own listener on one port.
fn listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let domain = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: socket(2) takes no pointers; a non-negative result is a new fd.
    let fd = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh socket we own.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    for opt in [libc::SO_REUSEADDR, libc::SO_REUSEPORT] {
        // SAFETY: setsockopt reads sizeof(int) bytes from a live local.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    let std_listener = std::net::TcpListener::from(owned);
    let sock = socket_addr(addr);
    // SAFETY: bind/listen on our socket with an address of the stated length.
    let rc = unsafe {
        libc::bind(
            fd,
            (&sock.0 as *const libc::sockaddr_storage).cast(),
            sock.1,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // A deep backlog: thousands of clients connect at the start of a cell.
    // SAFETY: as above.
    if unsafe { libc::listen(fd, 4096) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(std_listener)
}

fn socket_addr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all zeroes is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in.
            let sin = unsafe {
                &mut *(&mut ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>()
            };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in6.
            let sin6 = unsafe {
                &mut *(&mut ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

/// Runs a server until the process is killed. Prints `listening on ADDR`
/// on stdout once every thread listens: `iobound run` waits for that line.
pub fn serve(cfg: &ServeConfig) -> Result<(), ServeError> {
    let first = listener(cfg.listen).map_err(|source| ServeError::Listen {
        addr: cfg.listen,
        source,
    })?;
    let addr = first.local_addr().map_err(|source| ServeError::Listen {
        addr: cfg.listen,
        source,
    })?;
    let mut listeners = vec![first];
    for _ in 1..cfg.threads {
        listeners.push(listener(addr).map_err(|source| ServeError::Listen { addr, source })?);
    }
    let db = match cfg.kind {
        Kind::Db => Some(db::Table::open(cfg).map_err(|source| ServeError::Db {
            dir: cfg.data_dir.clone(),
            source,
        })?),
        Kind::Echo => None,
    };
    let mut handles = Vec::new();
    for (i, l) in listeners.into_iter().enumerate() {
        let cfg = cfg.clone();
        let db = db.clone();
        handles.push(
            std::thread::Builder::new()
                .name(format!("iobound-serve{i}"))
                .spawn(move || {
                    tokio_uring::builder().entries(1024).start(async move {
                        let l = tokio_uring::net::TcpListener::from_std(l);
                        conn::accept_loop(l, cfg, db, i).await
                    })
                })
                .map_err(|e| ServeError::Thread(e.to_string()))?,
        );
    }
    println!("listening on {addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    for h in handles {
        h.join()
            .map_err(|_| ServeError::Thread("a server thread panicked".into()))?;
    }
    Ok(())
}
