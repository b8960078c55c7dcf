//! One server thread: the accept loop and one task per connection, reading
//! frames (through [`FrameReader`]), answering them in order, and closing the
//! connection (only that one) on a protocol error, a broken peer, or a frame
//! left unfinished for longer than `--frame-timeout`.

use std::rc::Rc;

use iobound_workloads::proto::{self, Request};
use tokio_uring::net::{TcpListener, TcpStream};

use super::db::{Shard, Table};
use super::framing::FrameReader;
use super::timer::Timer;
use super::{Kind, ServeConfig};

pub async fn accept_loop(l: TcpListener, cfg: ServeConfig, table: Option<Table>, thread: usize) {
    let shard = match table {
        Some(t) => match Shard::open(&t).await {
            Ok(s) => Some(Rc::new(s)),
            Err(e) => {
                crate::errln!("iobound serve: thread {thread}: cannot open the table: {e}");
                std::process::exit(1);
            }
        },
        None => None,
    };
    // Only database queries wait: one timer per thread serves them all,
    // each wait its own deadline in the timer's heap, so calls waiting
    // different times on many connections overlap. Made even when
    // `--db-latency` is 0: a GET_WAIT or PUT_WAIT brings its own wait.
    let timer = if cfg.kind == Kind::Db {
        match Timer::start() {
            Ok(t) => Some(t),
            Err(e) => {
                crate::errln!("iobound serve: thread {thread}: cannot create a timer: {e}");
                std::process::exit(1);
            }
        }
    } else {
        None
    };
    let cfg = Rc::new(cfg);
    loop {
        match l.accept().await {
            Ok((stream, peer)) => {
                // A request-response protocol waits on every small write:
                // no Nagle delay. Failure only costs latency, so it is ignored.
                let _ = stream.set_nodelay(true);
                let (cfg, shard, timer) = (cfg.clone(), shard.clone(), timer.clone());
                tokio_uring::spawn(async move {
                    if let Err(why) =
                        serve_conn(&stream, &cfg, shard.as_ref(), timer.as_deref()).await
                    {
                        // Also ends a read still pending in the ring (after a
                        // timeout), so its socket is released now.
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                        crate::errln!("iobound serve: closed {peer}: {why}");
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors, typically: say so, back off, go on.
                crate::errln!("iobound serve: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

/// Why a connection ended early (logged; the other connections go on).
/// The echo server's loop uses it too.
#[derive(Debug, thiserror::Error)]
pub(super) enum ConnError {
    #[error("protocol error: {0}")]
    Frame(#[from] proto::FrameError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("peer closed the connection in the middle of a frame ({0} bytes pending)")]
    Truncated(usize),
    #[error(
        "no byte for {secs} s in the middle of a frame ({pending} bytes pending; --frame-timeout)"
    )]
    Stalled { secs: f64, pending: usize },
    #[error("{0} request on the echo server")]
    WrongServer(&'static str),
}

async fn serve_conn(
    stream: &TcpStream,
    cfg: &ServeConfig,
    shard: Option<&Rc<Shard>>,
    delay: Option<&Timer>,
) -> Result<(), ConnError> {
    let mut frames = FrameReader::new();
    let mut out: Vec<u8> = Vec::with_capacity(64 << 10);
    loop {
        // Answer every complete frame already received, in order.
        while let Some(frame) = frames.frame()? {
            let used = frame.len();
            let (req, _) = proto::decode_request(frame)?.expect("a complete frame");
            out.clear();
            respond(req, cfg, shard, delay, &mut out).await?;
            frames.consume(used);
            let (res, o) = stream.write_all(out).await;
            out = o;
            res?;
        }
        // Between frames a connection may idle as long as it likes; in the
        // middle of one, a silent peer would hold the connection forever.
        let pending = frames.pending().len();
        let n = if pending == 0 {
            frames.fill(stream).await?
        } else {
            tokio::time::timeout(cfg.frame_timeout, frames.fill(stream))
                .await
                .map_err(|_| ConnError::Stalled {
                    secs: cfg.frame_timeout.as_secs_f64(),
                    pending,
                })??
        };
        if n == 0 {
            return match frames.pending().len() {
                0 => Ok(()),
                left => Err(ConnError::Truncated(left)),
            };
        }
    }
}

async fn respond(
    req: Request<'_>,
    cfg: &ServeConfig,
    shard: Option<&Rc<Shard>>,
    delay: Option<&Timer>,
    out: &mut Vec<u8>,
) -> Result<(), ConnError> {
    match req {
        Request::Echo(p) => {
            proto::encode_response(out, proto::STATUS_OK, p);
            Ok(())
        }
        Request::Get { key, wait_us } | Request::Put { key, wait_us, .. } => {
            let (Kind::Db, Some(shard)) = (cfg.kind, shard) else {
                return Err(ConnError::WrongServer(match req {
                    Request::Get { .. } => "GET",
                    _ => "PUT",
                }));
            };
            // The emulated remote database's service time, the call's own
            // or the server's: a timer on this thread's event loop, never a
            // sleeping thread.
            let wait = wait_us.map_or(cfg.db_latency, |us| {
                std::time::Duration::from_micros(us.into())
            });
            if let (Some(t), false) = (delay, wait.is_zero()) {
                t.sleep(wait).await;
            }
            if key >= cfg.records {
                proto::encode_response(out, proto::STATUS_NOT_FOUND, &[]);
                return Ok(());
            }
            match req {
                Request::Get { key, .. } => {
                    let record = shard.get(key).await?;
                    proto::encode_response(out, proto::STATUS_OK, &record);
                }
                Request::Put { key, value, .. } => {
                    shard.put(key, value).await?;
                    proto::encode_response(out, proto::STATUS_OK, &[]);
                }
                Request::Echo(_) => unreachable!("matched above"),
            }
            Ok(())
        }
    }
}
