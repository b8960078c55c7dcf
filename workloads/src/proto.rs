//! The wire protocol of the loopback servers (`iobound serve echo|db`):
//! length-prefixed binary frames over TCP, defined once for clients, servers
//! and the fuzz target.
//!
//! Every frame is `len: u32 LE` followed by `len` bytes of body; the body's
//! first byte is an opcode (requests) or a status (responses).
//!
//! | request | body after the opcode |
//! |---|---|
//! | `ECHO` (1) | the payload, returned as is |
//! | `GET` (2) | key: u64 LE |
//! | `PUT` (3) | key: u64 LE, then the [`RECORD_SIZE`]-byte value |
//! | `GET_WAIT` (4) | key: u64 LE, wait: u32 LE (µs) |
//! | `PUT_WAIT` (5) | key: u64 LE, wait: u32 LE (µs), then the value |
//!
//! `GET_WAIT` and `PUT_WAIT` are GET and PUT carrying their own service
//! time, which the server waits instead of its `--db-latency`: one request
//! can make a 5 ms call and a 50 ms call. New opcodes, rather than a field
//! added to GET and PUT, keep every frame written before them valid.
//!
//! | response | body after the status |
//! |---|---|
//! | `OK` (0) | ECHO: the payload; GET: the record; PUT: nothing |
//! | `NOT_FOUND` (1) | nothing (key outside the table) |
//!
//! A frame longer than [`MAX_FRAME`], an unknown opcode or a body of the
//! wrong length for its opcode is a protocol error: the server closes that
//! connection.

/// Which loopback server a workload needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Returns every payload as sent.
    Echo,
    /// The simulated database (GET/PUT of records).
    Db,
    /// A real Redis on loopback, its records loaded (GET/SET in RESP).
    Redis,
}

/// Bytes of one database record (YCSB's default row: 10 fields of 100 B, rounded).
pub const RECORD_SIZE: usize = 1024;
/// Largest body accepted, so a corrupt length cannot make a peer allocate gigabytes.
pub const MAX_FRAME: usize = 1 << 20;
/// Bytes of the length prefix.
pub const HEADER: usize = 4;

pub const OP_ECHO: u8 = 1;
pub const OP_GET: u8 = 2;
pub const OP_PUT: u8 = 3;
pub const OP_GET_WAIT: u8 = 4;
pub const OP_PUT_WAIT: u8 = 5;
/// Bytes of a call's own wait (µs, u32 LE) in `GET_WAIT` and `PUT_WAIT`.
pub const WAIT: usize = 4;

pub const STATUS_OK: u8 = 0;
pub const STATUS_NOT_FOUND: u8 = 1;

/// A decoded request, borrowing its payload from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    Echo(&'a [u8]),
    /// `wait_us`: the call's own service time (`GET_WAIT`), or `None` for
    /// the server's (`GET`).
    Get {
        key: u64,
        wait_us: Option<u32>,
    },
    Put {
        key: u64,
        wait_us: Option<u32>,
        value: &'a [u8],
    },
}

/// A decoded response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    pub status: u8,
    pub body: &'a [u8],
}

/// Why bytes are not a valid frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes exceeds the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    #[error("empty frame (no opcode)")]
    Empty,
    #[error("unknown opcode {0}")]
    UnknownOp(u8),
    #[error("opcode {op}: body of {got} bytes, expected {want}")]
    BadLength { op: u8, got: usize, want: usize },
    #[error("a call's own wait of {0} µs exceeds the {MAX_WAIT_US}-µs limit")]
    WaitTooLong(u32),
}

/// The longest wait a `GET_WAIT` or `PUT_WAIT` may ask for (60 s, the
/// workload files' own limit): the server refuses a longer one rather than
/// hold a request for up to 71 minutes on a client's word.
pub const MAX_WAIT_US: u32 = 60_000_000;

/// A frame's own wait, checked against [`MAX_WAIT_US`].
fn checked_wait(rest: &[u8]) -> Result<u32, FrameError> {
    let w = wait_of(rest);
    if w > MAX_WAIT_US {
        return Err(FrameError::WaitTooLong(w));
    }
    Ok(w)
}

/// Length of the frame starting `buf`, once its header is in: `Ok(None)`
/// while fewer than [`HEADER`] bytes have arrived.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, FrameError> {
    let Some(h) = buf.get(..HEADER) else {
        return Ok(None);
    };
    let len = u32::from_le_bytes(h.try_into().expect("4 bytes")) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    if len == 0 {
        return Err(FrameError::Empty);
    }
    Ok(Some(HEADER + len))
}

/// The body of the complete frame at the start of `buf`, and the bytes it
/// takes; `Ok(None)` while incomplete.
fn body(buf: &[u8]) -> Result<Option<(&[u8], usize)>, FrameError> {
    match frame_len(buf)? {
        Some(total) if buf.len() >= total => Ok(Some((&buf[HEADER..total], total))),
        _ => Ok(None),
    }
}

fn key_of(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

fn wait_of(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[8..8 + WAIT].try_into().expect("4 bytes"))
}

/// Decodes the request at the start of `buf`: `Ok(None)` while incomplete,
/// else the request and the bytes it used. Never panics, whatever the input.
pub fn decode_request(buf: &[u8]) -> Result<Option<(Request<'_>, usize)>, FrameError> {
    let Some((b, used)) = body(buf)? else {
        return Ok(None);
    };
    let (op, rest) = (b[0], &b[1..]);
    let want = |want: usize| {
        if rest.len() == want {
            Ok(())
        } else {
            Err(FrameError::BadLength {
                op,
                got: rest.len(),
                want,
            })
        }
    };
    let req = match op {
        OP_ECHO => Request::Echo(rest),
        OP_GET => {
            want(8)?;
            Request::Get {
                key: key_of(rest),
                wait_us: None,
            }
        }
        OP_PUT => {
            want(8 + RECORD_SIZE)?;
            Request::Put {
                key: key_of(rest),
                wait_us: None,
                value: &rest[8..],
            }
        }
        OP_GET_WAIT => {
            want(8 + WAIT)?;
            Request::Get {
                key: key_of(rest),
                wait_us: Some(checked_wait(rest)?),
            }
        }
        OP_PUT_WAIT => {
            want(8 + WAIT + RECORD_SIZE)?;
            Request::Put {
                key: key_of(rest),
                wait_us: Some(checked_wait(rest)?),
                value: &rest[8 + WAIT..],
            }
        }
        other => return Err(FrameError::UnknownOp(other)),
    };
    Ok(Some((req, used)))
}

/// Decodes the response at the start of `buf`, like [`decode_request`].
pub fn decode_response(buf: &[u8]) -> Result<Option<(Response<'_>, usize)>, FrameError> {
    let Some((b, used)) = body(buf)? else {
        return Ok(None);
    };
    Ok(Some((
        Response {
            status: b[0],
            body: &b[1..],
        },
        used,
    )))
}

fn frame(out: &mut Vec<u8>, first: u8, parts: &[&[u8]]) {
    let len = 1 + parts.iter().map(|p| p.len()).sum::<usize>();
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.push(first);
    for p in parts {
        out.extend_from_slice(p);
    }
}

/// Appends a request frame to `out`.
pub fn encode_request(out: &mut Vec<u8>, r: &Request<'_>) {
    match *r {
        Request::Echo(p) => frame(out, OP_ECHO, &[p]),
        Request::Get { key, wait_us: None } => frame(out, OP_GET, &[&key.to_le_bytes()]),
        Request::Get {
            key,
            wait_us: Some(w),
        } => frame(out, OP_GET_WAIT, &[&key.to_le_bytes(), &w.to_le_bytes()]),
        Request::Put {
            key,
            wait_us: None,
            value,
        } => frame(out, OP_PUT, &[&key.to_le_bytes(), value]),
        Request::Put {
            key,
            wait_us: Some(w),
            value,
        } => frame(
            out,
            OP_PUT_WAIT,
            &[&key.to_le_bytes(), &w.to_le_bytes(), value],
        ),
    }
}

/// Size of the request frame for a GET.
pub const GET_FRAME: usize = HEADER + 1 + 8;
/// Size of the request frame for a PUT.
pub const PUT_FRAME: usize = HEADER + 1 + 8 + RECORD_SIZE;
/// Size of the request frame for a PUT_WAIT, the largest a db call sends.
pub const PUT_WAIT_FRAME: usize = PUT_FRAME + WAIT;
/// Where a PUT's value starts in its frame, with or without its own wait.
pub fn put_value_at(wait_us: Option<u32>) -> usize {
    HEADER + 1 + 8 + wait_us.map_or(0, |_| WAIT)
}
/// Size of a response carrying a record.
pub const RECORD_RESPONSE: usize = HEADER + 1 + RECORD_SIZE;

/// Bytes an exchange moves, its request frame and its answer's (a record
/// found, a PUT acknowledged, the payload echoed): what the Rust engines
/// count when they receive the whole answer.
pub fn exchange_bytes(msg: &crate::step::Msg) -> u64 {
    use crate::step::Msg;
    (match *msg {
        Msg::Echo { len } => 2 * (HEADER + 1 + len as usize),
        Msg::Get { wait_us, .. } => GET_FRAME + wait_us.map_or(0, |_| WAIT) + RECORD_RESPONSE,
        Msg::Put { wait_us, .. } => PUT_FRAME + wait_us.map_or(0, |_| WAIT) + HEADER + 1,
        Msg::RedisGet { .. } => crate::resp::GET_LEN + crate::resp::RECORD_REPLY,
        Msg::RedisSet { .. } => crate::resp::SET_LEN + crate::resp::OK.len(),
    }) as u64
}

/// Writes a request's header in place at the start of `buf`, whose bytes
/// after the header already hold the payload (echo) or value (PUT): no
/// copy, no allocation. A `wait_us` follows the key (and makes GET
/// `GET_WAIT`, PUT `PUT_WAIT`). Returns the frame's length.
///
/// # Panics
/// If `buf` is shorter than the frame (buffers are sized by the workload).
pub fn encode_request_in_place(
    buf: &mut [u8],
    op: u8,
    key: Option<u64>,
    wait_us: Option<u32>,
    payload: usize,
) -> usize {
    let op = match (op, wait_us) {
        (OP_GET, Some(_)) => OP_GET_WAIT,
        (OP_PUT, Some(_)) => OP_PUT_WAIT,
        (op, _) => op,
    };
    let body = 1 + key.map_or(0, |_| 8) + wait_us.map_or(0, |_| WAIT) + payload;
    buf[..HEADER].copy_from_slice(&(body as u32).to_le_bytes());
    buf[HEADER] = op;
    if let Some(k) = key {
        buf[HEADER + 1..HEADER + 9].copy_from_slice(&k.to_le_bytes());
    }
    if let Some(w) = wait_us {
        buf[HEADER + 9..HEADER + 9 + WAIT].copy_from_slice(&w.to_le_bytes());
    }
    HEADER + body
}

/// Appends a response frame to `out`.
pub fn encode_response(out: &mut Vec<u8>, status: u8, body: &[u8]) {
    frame(out, status, &[body]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reviewer's finding: the server held a call for any u32 of µs
    /// (71 minutes) that a frame asked for. Past 60 s the frame is refused.
    #[test]
    fn a_wait_past_the_limit_is_refused() {
        let frame = |w: u32| {
            let mut f = vec![13, 0, 0, 0, OP_GET_WAIT];
            f.extend_from_slice(&7u64.to_le_bytes());
            f.extend_from_slice(&w.to_le_bytes());
            f
        };
        assert!(matches!(
            decode_request(&frame(MAX_WAIT_US)),
            Ok(Some((
                Request::Get {
                    key: 7,
                    wait_us: Some(MAX_WAIT_US)
                },
                17
            )))
        ));
        assert_eq!(
            decode_request(&frame(MAX_WAIT_US + 1)),
            Err(FrameError::WaitTooLong(MAX_WAIT_US + 1))
        );
    }

    #[test]
    fn requests_round_trip() {
        let value = vec![7u8; RECORD_SIZE];
        for r in [
            Request::Echo(b"hello"),
            Request::Get {
                key: 42,
                wait_us: None,
            },
            Request::Put {
                key: 9,
                wait_us: None,
                value: &value,
            },
            Request::Get {
                key: 43,
                wait_us: Some(50_000),
            },
            Request::Put {
                key: 10,
                wait_us: Some(0),
                value: &value,
            },
        ] {
            let mut buf = Vec::new();
            encode_request(&mut buf, &r);
            // Every strict prefix is incomplete, never an error.
            for cut in 0..buf.len() {
                assert_eq!(decode_request(&buf[..cut]), Ok(None), "{r:?} cut {cut}");
            }
            buf.extend_from_slice(b"next");
            let (got, used) = decode_request(&buf).unwrap().unwrap();
            assert_eq!(got, r);
            assert_eq!(used, buf.len() - 4);
        }
    }

    #[test]
    fn bad_frames_are_errors() {
        let mut big = (MAX_FRAME as u32 + 1).to_le_bytes().to_vec();
        big.push(1);
        assert_eq!(
            decode_request(&big),
            Err(FrameError::TooLarge(MAX_FRAME + 1))
        );
        assert_eq!(decode_request(&[0, 0, 0, 0]), Err(FrameError::Empty));
        assert_eq!(
            decode_request(&[1, 0, 0, 0, 9]),
            Err(FrameError::UnknownOp(9))
        );
        assert!(matches!(
            decode_request(&[3, 0, 0, 0, OP_GET, 1, 2]),
            Err(FrameError::BadLength { op: OP_GET, .. })
        ));
        // A GET_WAIT whose wait is cut short, and a GET's body under the
        // GET_WAIT opcode: both the wrong length.
        assert!(matches!(
            decode_request(&[12, 0, 0, 0, OP_GET_WAIT, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
            Err(FrameError::BadLength {
                op: OP_GET_WAIT,
                want: 12,
                ..
            })
        ));
        assert!(matches!(
            decode_request(&[9, 0, 0, 0, OP_GET_WAIT, 1, 2, 3, 4, 5, 6, 7, 8]),
            Err(FrameError::BadLength {
                op: OP_GET_WAIT,
                ..
            })
        ));
        assert_eq!(
            decode_request(&[1, 0, 0, 0, 6]),
            Err(FrameError::UnknownOp(6))
        );
    }

    /// The fuzz target's property on a fixed, reproducible sample of inputs,
    /// so `make test` checks it without libFuzzer: random bytes, and valid
    /// frames with one byte flipped.
    #[test]
    fn decoders_never_panic_and_accept_only_what_they_re_encode() {
        let mut x = 0x1234_5678_u64;
        let mut next = || {
            x = crate::keys::mix64(x);
            x
        };
        let value = vec![1u8; RECORD_SIZE];
        let mut valid = Vec::new();
        encode_request(
            &mut valid,
            &Request::Put {
                key: 3,
                wait_us: None,
                value: &value,
            },
        );
        let mut valid_wait = Vec::new();
        encode_request(
            &mut valid_wait,
            &Request::Put {
                key: 3,
                wait_us: Some(5_000),
                value: &value,
            },
        );
        for round in 0..30_000 {
            let mut data: Vec<u8> = match round % 3 {
                0 => {
                    let len = (next() % 64) as usize;
                    (0..len).map(|_| next() as u8).collect()
                }
                1 => valid.clone(),
                _ => valid_wait.clone(),
            };
            if !data.is_empty() {
                let i = (next() % data.len() as u64) as usize;
                data[i] ^= 1 << (next() % 8);
            }
            if let Ok(Some((req, used))) = decode_request(&data) {
                let mut again = Vec::new();
                encode_request(&mut again, &req);
                assert_eq!(again, &data[..used]);
            }
            if let Ok(Some((r, used))) = decode_response(&data) {
                let mut again = Vec::new();
                encode_response(&mut again, r.status, r.body);
                assert_eq!(again, &data[..used]);
            }
        }
    }

    /// The in-place encoder (what every Rust engine sends) writes the same
    /// bytes as the reference encoder, with and without a call's own wait.
    #[test]
    fn in_place_frames_equal_encoded_ones() {
        for wait_us in [None, Some(0), Some(5_000), Some(u32::MAX)] {
            let mut buf = vec![0u8; PUT_WAIT_FRAME];
            let n = encode_request_in_place(&mut buf, OP_GET, Some(7), wait_us, 0);
            let mut want = Vec::new();
            encode_request(&mut want, &Request::Get { key: 7, wait_us });
            assert_eq!(&buf[..n], &want[..]);
            let mut buf = vec![9u8; PUT_WAIT_FRAME];
            let n = encode_request_in_place(&mut buf, OP_PUT, Some(7), wait_us, RECORD_SIZE);
            let at = put_value_at(wait_us);
            let mut want = Vec::new();
            encode_request(
                &mut want,
                &Request::Put {
                    key: 7,
                    wait_us,
                    value: &buf[at..at + RECORD_SIZE],
                },
            );
            assert_eq!(&buf[..n], &want[..]);
        }
    }

    #[test]
    fn responses_round_trip() {
        let mut buf = Vec::new();
        encode_response(&mut buf, STATUS_NOT_FOUND, &[]);
        let (r, used) = decode_response(&buf).unwrap().unwrap();
        assert_eq!((r.status, r.body.len(), used), (STATUS_NOT_FOUND, 0, 5));
    }
}
