//! One server thread: the accept loop and one task per connection, reading
//! frames, answering them in order, and closing the connection (only that
//! one) on a protocol error or a broken peer.

use std::os::fd::AsRawFd;
use std::rc::Rc;

use iobound_workloads::proto::{self, Request, HEADER, MAX_FRAME};
use tokio_uring::net::{TcpListener, TcpStream};

use super::db::{Shard, Table};
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
    let cfg = Rc::new(cfg);
    loop {
        match l.accept().await {
            Ok((stream, peer)) => {
                nodelay(&stream);
                let (cfg, shard) = (cfg.clone(), shard.clone());
                tokio_uring::spawn(async move {
                    if let Err(why) = serve_conn(&stream, &cfg, shard.as_deref()).await {
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

/// The per-query service delay, as a timerfd read through the thread's
/// io_uring: the wait costs no thread, and fires within microseconds of its
/// deadline (tokio's timer, which tokio-uring's runtime also offers, rounds
/// up to whole milliseconds: a 1 ms delay took about 2).
pub struct Delay {
    fd: tokio_uring::fs::File,
    raw: std::os::fd::RawFd,
}

impl Delay {
    fn new() -> std::io::Result<Delay> {
        // SAFETY: timerfd_create takes no pointers; a non-negative result is a new fd.
        let raw = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh fd that the File now owns.
        let std_file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(raw) };
        Ok(Delay {
            fd: tokio_uring::fs::File::from_std(std_file),
            raw,
        })
    }

    async fn wait(&self, d: std::time::Duration) -> std::io::Result<()> {
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: d.as_secs() as libc::time_t,
                tv_nsec: d.subsec_nanos() as libc::c_long,
            },
        };
        // SAFETY: arms our timerfd with a spec that lives across the call.
        if unsafe { libc::timerfd_settime(self.raw, 0, &spec, std::ptr::null_mut()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let (res, _) = self.fd.read_at(vec![0u8; 8], 0).await;
        res.map(|_| ())
    }
}

async fn serve_conn(
    stream: &TcpStream,
    cfg: &ServeConfig,
    shard: Option<&Shard>,
) -> Result<(), ConnError> {
    let delay = if cfg.db_latency.is_zero() {
        None
    } else {
        Some(Delay::new()?)
    };
    let mut buf: Vec<u8> = Vec::with_capacity(64 << 10);
    let mut out: Vec<u8> = Vec::with_capacity(64 << 10);
    loop {
        // Answer every complete frame already received, in order.
        let mut used_total = 0;
        while let Some((req, used)) = proto::decode_request(&buf[used_total..])? {
            out.clear();
            respond(req, cfg, shard, delay.as_ref(), &mut out).await?;
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
    delay: Option<&Delay>,
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
            if let Some(d) = delay {
                d.wait(cfg.db_latency).await?;
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
