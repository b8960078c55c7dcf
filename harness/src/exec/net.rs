//! The client side of an [`Step::Exchange`](iobound_workloads::Step): the
//! request frame written in place into the slot's write buffer, the progress
//! of its send and of the response's receive (either may take several
//! syscalls or io_uring operations), and the checks on the response. Every
//! engine uses this; engines only decide how they wait.

use std::net::{SocketAddr, TcpStream};

use iobound_workloads::proto::{self, RECORD_SIZE};
use iobound_workloads::resp;
use iobound_workloads::Msg;

use super::{After, IoBufs, Op, StepError};

/// How long a send or receive may wait on a silent server, in every engine
/// whose sockets have timeouts (blocking ones, glommio's).
pub const PEER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Where an exchange stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exchange {
    msg: Option<Msg>,
    /// Length of the request frame.
    frame: u32,
    sent: u32,
    got: u32,
}

/// Opens a connection to `addr`, without Nagle's delay (every request is a
/// small write the server waits for).
pub fn connect(addr: SocketAddr) -> Result<TcpStream, StepError> {
    let s = TcpStream::connect(addr).map_err(|source| StepError::Connect { addr, source })?;
    s.set_nodelay(true)
        .map_err(|source| StepError::Connect { addr, source })?;
    // Blocking engines must not wait forever on a server that stopped
    // answering; io_uring's loop has its own stall check.
    for t in [
        s.set_read_timeout(Some(PEER_TIMEOUT)),
        s.set_write_timeout(Some(PEER_TIMEOUT)),
    ] {
        t.map_err(|source| StepError::Connect { addr, source })?;
    }
    Ok(s)
}

/// Writes the request frame of `msg` into the write buffer and returns the
/// first operation: sending it.
pub fn begin(msg: Msg, bufs: &mut IoBufs) -> Op {
    let w = bufs.write.as_mut_slice();
    let frame = match msg {
        Msg::Echo { len } => {
            proto::encode_request_in_place(w, proto::OP_ECHO, None, None, len as usize)
        }
        Msg::Get { key, wait_us } => {
            proto::encode_request_in_place(w, proto::OP_GET, Some(key), wait_us, 0)
        }
        Msg::Put { key, wait_us } => {
            // The value carries its key first, as every record does, so a
            // later GET can check what it read.
            let v = proto::put_value_at(wait_us);
            w[v..v + 8].copy_from_slice(&key.to_le_bytes());
            proto::encode_request_in_place(w, proto::OP_PUT, Some(key), wait_us, RECORD_SIZE)
        }
        Msg::RedisGet { key } => resp::encode_get(w, key),
        Msg::RedisSet { key } => resp::encode_set(w, key),
    } as u32;
    bufs.net = Exchange {
        msg: Some(msg),
        frame,
        sent: 0,
        got: 0,
    };
    Op::Send { off: 0, len: frame }
}

/// Largest frame a message needs in either direction: how big slot buffers must be.
pub fn buffer_size(msg: Msg) -> usize {
    match msg {
        Msg::Echo { len } => proto::HEADER + 1 + len as usize,
        Msg::Get { .. } | Msg::Put { .. } => proto::PUT_WAIT_FRAME.max(proto::RECORD_RESPONSE),
        Msg::RedisGet { .. } | Msg::RedisSet { .. } => resp::SET_LEN.max(resp::RECORD_REPLY),
    }
}

fn net_err(what: impl Into<String>) -> StepError {
    StepError::Net(what.into())
}

/// Accounts for a send or receive that moved `n` bytes.
pub fn after(op: &Op, n: usize, bufs: &mut IoBufs, verify: bool) -> Result<After, StepError> {
    let x = &mut bufs.net;
    match *op {
        Op::Send { .. } => {
            x.sent += n as u32;
            Ok(After::Next(if x.sent < x.frame {
                Op::Send {
                    off: x.sent,
                    len: x.frame - x.sent,
                }
            } else {
                Op::Recv { off: 0 }
            }))
        }
        Op::Recv { .. } => {
            if n == 0 {
                return Err(net_err(format!(
                    "the server closed the connection ({} bytes of a response received)",
                    x.got
                )));
            }
            x.got += n as u32;
            let got = x.got as usize;
            let read = &bufs.read.as_slice()[..got];
            let msg = x.msg.expect("set by begin");
            let total = response_len(msg, read)?;
            match total {
                Some(t) if got >= t => {
                    if got > t {
                        return Err(net_err("the server sent more than one response"));
                    }
                    check(bufs, t, verify)?;
                    Ok(After::Done(bufs.net.frame as u64 + t as u64))
                }
                Some(t) if t > bufs.read.len() => Err(net_err(format!(
                    "response of {t} bytes is larger than any this request expects"
                ))),
                _ => Ok(After::Next(Op::Recv { off: x.got })),
            }
        }
        _ => unreachable!("only sends and receives belong to an exchange"),
    }
}

/// Length of the response at the start of `read` once it is known (a
/// frame's header, or a whole RESP reply, has arrived).
fn response_len(msg: Msg, read: &[u8]) -> Result<Option<usize>, StepError> {
    if is_redis(msg) {
        return match resp::decode_reply(read) {
            Ok(r) => Ok(r.map(|(_, used)| used)),
            Err(e) => Err(net_err(format!("bad reply from Redis: {e}"))),
        };
    }
    proto::frame_len(read).map_err(|e| net_err(format!("bad response: {e}")))
}

fn is_redis(msg: Msg) -> bool {
    matches!(msg, Msg::RedisGet { .. } | Msg::RedisSet { .. })
}

/// Checks a complete Redis reply against its request.
fn check_redis(msg: Msg, reply: &[u8], verify: bool) -> Result<(), StepError> {
    let (r, _) = resp::decode_reply(reply)
        .map_err(|e| net_err(format!("bad reply from Redis: {e}")))?
        .ok_or_else(|| net_err("incomplete reply"))?;
    match (msg, r) {
        (Msg::RedisSet { .. }, resp::Reply::Simple(b"OK")) => Ok(()),
        (Msg::RedisGet { key }, resp::Reply::Bulk(Some(v))) => {
            if v.len() != RECORD_SIZE {
                return Err(net_err(format!("Redis GET {key} returned {} bytes", v.len())));
            }
            if verify && v[..8] != key.to_le_bytes() {
                return Err(net_err(format!("Redis GET {key} returned another record")));
            }
            Ok(())
        }
        (Msg::RedisGet { key }, resp::Reply::Bulk(None)) => Err(net_err(format!(
            "Redis GET {key} found no record: the server holds fewer than --records (one started by hand?)"
        ))),
        (m, resp::Reply::Error(e)) => Err(net_err(format!(
            "Redis answered {m:?} with the error {:?}",
            String::from_utf8_lossy(e)
        ))),
        (m, r) => Err(net_err(format!("Redis answered {m:?} with {r:?}"))),
    }
}

/// Checks a complete response against its request.
fn check(bufs: &IoBufs, total: usize, verify: bool) -> Result<(), StepError> {
    let msg = bufs.net.msg.expect("set by begin");
    if is_redis(msg) {
        return check_redis(msg, &bufs.read.as_slice()[..total], verify);
    }
    let (r, _) = proto::decode_response(&bufs.read.as_slice()[..total])
        .map_err(|e| net_err(format!("bad response: {e}")))?
        .ok_or_else(|| net_err("incomplete response"))?;
    if r.status != proto::STATUS_OK {
        let what = match msg {
            Msg::Echo { len } => format!("ECHO of {len} bytes"),
            Msg::Get { key, .. } => format!("GET of key {key}"),
            Msg::Put { key, .. } => format!("PUT of key {key}"),
            Msg::RedisGet { .. } | Msg::RedisSet { .. } => unreachable!("checked above"),
        };
        return Err(net_err(if r.status == proto::STATUS_NOT_FOUND {
            format!(
                "{what} answered 'not found' (status 1): the server's table is smaller than --records says (a server started with another --records?)"
            )
        } else {
            format!("{what} answered with status {}", r.status)
        }));
    }
    match msg {
        Msg::Echo { len } => {
            let sent = &bufs.write.as_slice()[proto::HEADER + 1..proto::HEADER + 1 + len as usize];
            if r.body != sent {
                return Err(net_err(format!(
                    "echo returned {} bytes that differ from the {len} sent",
                    r.body.len()
                )));
            }
        }
        Msg::Get { key, .. } => {
            if r.body.len() != RECORD_SIZE {
                return Err(net_err(format!(
                    "GET {key} returned {} bytes",
                    r.body.len()
                )));
            }
            if verify && r.body[..8] != key.to_le_bytes() {
                return Err(net_err(format!("GET {key} returned another record")));
            }
        }
        Msg::Put { key, .. } => {
            if !r.body.is_empty() {
                return Err(net_err(format!("PUT {key} answered with a body")));
            }
        }
        Msg::RedisGet { .. } | Msg::RedisSet { .. } => unreachable!("checked above"),
    }
    Ok(())
}
