//! One server thread: the accept loop and one task per connection, reading
//! frames, answering them in order, and closing the connection (only that
//! one) on a protocol error or a broken peer.

use std::os::fd::AsRawFd;
use std::rc::Rc;

use iobound_workloads::proto::{self, Request, HEADER, MAX_FRAME};
use tokio_uring::net::{TcpListener, TcpStream};

use super::db::{Shard, Table};
use super::timer::Timer;
use super::{Kind, ServeConfig};

/// Disables Nagle: a request-response protocol waits on every small write.
fn nodelay(s: &TcpStream) {
    let one: libc::c_int = 1;
    // SAFETY: setsockopt reads sizeof(int) bytes from a live local; the fd
    // belongs to the stream for the duration of the call.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

pub async fn accept_loop(l: TcpListener, cfg: ServeConfig, table: Option<Table>, thread: usize) {
    let shard = match table {
        Some(t) => match Shard::open(&t, thread).await {
            Ok(s) => Some(Rc::new(s)),
            Err(e) => {
                eprintln!("iobound serve: thread {thread}: cannot open the table: {e}");
                std::process::exit(1);
            }
        },
        None => None,
    };
    // Only database queries wait: one timer per thread serves them all.
    let timer = if cfg.kind == Kind::Db && !cfg.db_latency.is_zero() {
        match Timer::start() {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("iobound serve: thread {thread}: cannot create a timer: {e}");
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
                nodelay(&stream);
                let (cfg, shard, timer) = (cfg.clone(), shard.clone(), timer.clone());
                tokio_uring::spawn(async move {
                    if let Err(why) =
                        serve_conn(&stream, &cfg, shard.as_deref(), timer.as_deref()).await
                    {
                        eprintln!("iobound serve: closed {peer}: {why}");
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors, typically: say so, back off, go on.
                eprintln!("iobound serve: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

/// Why a connection ended early.
#[derive(Debug, thiserror::Error)]
enum ConnError {
    #[error("protocol error: {0}")]
    Frame(#[from] proto::FrameError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("peer closed the connection in the middle of a frame ({0} bytes pending)")]
    Truncated(usize),
    #[error("{0} request on the echo server")]
    WrongServer(&'static str),
}

async fn serve_conn(
    stream: &TcpStream,
    cfg: &ServeConfig,
    shard: Option<&Shard>,
    delay: Option<&Timer>,
) -> Result<(), ConnError> {
    let mut buf: Vec<u8> = Vec::with_capacity(64 << 10);
    let mut out: Vec<u8> = Vec::with_capacity(64 << 10);
    loop {
        // Answer every complete frame already received, in order.
        let mut used_total = 0;
        while let Some((req, used)) = proto::decode_request(&buf[used_total..])? {
            out.clear();
            respond(req, cfg, shard, delay, &mut out).await?;
            used_total += used;
            let (res, o) = stream.write_all(out).await;
            out = o;
            res?;
        }
        buf.drain(..used_total);
        // Room for the rest of the current frame, at least 16 KiB.
        let need = match proto::frame_len(&buf)? {
            Some(total) => total.saturating_sub(buf.len()),
            None => HEADER,
        }
        .clamp(16 << 10, HEADER + MAX_FRAME);
        buf.reserve(need);
        let (res, b) = stream.read(buf).await;
        buf = b;
        if res? == 0 {
            return if buf.is_empty() {
                Ok(())
            } else {
                Err(ConnError::Truncated(buf.len()))
            };
        }
    }
}

async fn respond(
    req: Request<'_>,
    cfg: &ServeConfig,
    shard: Option<&Shard>,
    delay: Option<&Timer>,
    out: &mut Vec<u8>,
) -> Result<(), ConnError> {
    match req {
        Request::Echo(p) => {
            proto::encode_response(out, proto::STATUS_OK, p);
            Ok(())
        }
        Request::Get { key } | Request::Put { key, .. } => {
            let (Kind::Db, Some(shard)) = (cfg.kind, shard) else {
                return Err(ConnError::WrongServer(match req {
                    Request::Get { .. } => "GET",
                    _ => "PUT",
                }));
            };
            // The emulated remote database's service time: a timer on this
            // thread's event loop, never a sleeping thread.
            if let Some(t) = delay {
                t.sleep(cfg.db_latency).await;
            }
            if key >= cfg.records {
                proto::encode_response(out, proto::STATUS_NOT_FOUND, &[]);
                return Ok(());
            }
            match req {
                Request::Get { key } => {
                    let record = shard.get(key).await?;
                    proto::encode_response(out, proto::STATUS_OK, &record);
                }
                Request::Put { key, value } => {
                    shard.put(key, value).await?;
                    proto::encode_response(out, proto::STATUS_OK, &[]);
                }
                Request::Echo(_) => unreachable!("matched above"),
            }
            Ok(())
        }
    }
}
