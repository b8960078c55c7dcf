//! The loopback servers iobound measures against (`iobound serve echo|db`):
//! one thread per `--threads`, all accepting from one listening socket; the
//! db server's threads each run a tokio-uring runtime, the echo server's
//! each its own ring (echo_ring.rs). A bad frame or an abrupt disconnect
//! ends that connection only, with a logged reason.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub mod child;
pub mod conn;
pub mod db;
mod echo_ring;
mod framing;
pub mod recover;
pub mod redis;
pub mod timer;
pub mod wal;

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Echo,
    Db,
    /// A real Redis that `run` starts for the redis-* workloads (not a
    /// server of `iobound serve`).
    #[value(skip)]
    Redis,
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
    /// db: start from the table's initial content, discarding the log.
    pub fresh: bool,
    /// db: replay a corrupt log up to the damage instead of refusing it.
    pub truncate_corrupt_wal: bool,
    /// Longest wait for the rest of a frame once it has started arriving.
    pub frame_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] db::OpenError),
    #[error("server thread: {0}")]
    Thread(String),
}

/// The server's one listening socket. SO_REUSEADDR only, so a restarted
/// server can bind past connections in TIME_WAIT; never SO_REUSEPORT, which
/// would let a second, unrelated server bind the same port and take half of
/// its clients. The server's threads share this socket instead.
fn listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    // socket2 sets close-on-exec itself.
    use socket2::{Domain, Socket, Type};
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    sock.set_reuse_address(true)?;
    sock.bind(&addr.into())?;
    // A deep backlog: thousands of clients connect at the start of a cell.
    sock.listen(4096)?;
    Ok(sock.into())
}

/// The warning a server listening beyond loopback prints at start: it
/// answers anyone who can reach the port, with no authentication.
pub fn exposure_warning(addr: SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "warning: listening on {addr}: this server is reachable from the network and has \
             no authentication; anyone who can reach the port can read and write its data \
             (use --listen 127.0.0.1:PORT to keep it local)"
        )
    })
}

/// Runs a server until the process is killed. Prints `listening on ADDR`
/// on stdout once every thread listens: `iobound run` waits for that line.
pub fn serve(cfg: &ServeConfig) -> Result<(), ServeError> {
    let listen_err = |source| ServeError::Listen {
        addr: cfg.listen,
        source,
    };
    let first = listener(cfg.listen).map_err(listen_err)?;
    let addr = first.local_addr().map_err(listen_err)?;
    // Each thread's runtime accepts from its own descriptor of that socket.
    let mut listeners = Vec::with_capacity(cfg.threads);
    for _ in 1..cfg.threads {
        listeners.push(first.try_clone().map_err(listen_err)?);
    }
    listeners.push(first);
    let db = match cfg.kind {
        Kind::Db => Some(db::Table::open(cfg)?),
        Kind::Echo => None,
        Kind::Redis => unreachable!("`iobound serve` offers no redis"),
    };
    let mut handles = Vec::new();
    for (i, l) in listeners.into_iter().enumerate() {
        let cfg = cfg.clone();
        let db = db.clone();
        handles.push(
            std::thread::Builder::new()
                .name(format!("iobound-serve{i}"))
                .spawn(move || match cfg.kind {
                    // The echo server has its own loop (echo_ring.rs says why).
                    Kind::Echo => {
                        let served = echo_ring::EchoRing::new(l, cfg.frame_timeout)
                            .and_then(echo_ring::EchoRing::run);
                        if let Err(e) = served {
                            crate::errln!("iobound serve: thread {i}: {e}");
                            std::process::exit(1);
                        }
                    }
                    _ => tokio_uring::builder().entries(1024).start(async move {
                        let l = tokio_uring::net::TcpListener::from_std(l);
                        conn::accept_loop(l, cfg, db, i).await
                    }),
                })
                .map_err(|e| ServeError::Thread(e.to_string()))?,
        );
    }
    if let Some(w) = exposure_warning(addr) {
        crate::errln!("{w}");
    }
    crate::outln!("listening on {addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    for h in handles {
        h.join()
            .map_err(|_| ServeError::Thread("a server thread panicked".into()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Issue 13: `--listen 0.0.0.0` warns; loopback does not (fails if the
    /// warning is dropped or shown for loopback).
    #[test]
    fn only_a_server_beyond_loopback_warns() {
        let w = super::exposure_warning("0.0.0.0:7000".parse().unwrap()).unwrap();
        assert!(w.contains("reachable from the network") && w.contains("no authentication"));
        assert!(super::exposure_warning("127.0.0.1:7000".parse().unwrap()).is_none());
        assert!(super::exposure_warning("[::1]:7000".parse().unwrap()).is_none());
    }
}
