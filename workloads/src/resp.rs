//! RESP, the protocol of a real Redis (version 2, what every Redis server
//! speaks): the GET and SET requests iobound sends, written in place at
//! fixed lengths, and the replies it reads back, whatever their chunking.
//!
//! A request is an array of bulk strings: `*2\r\n$3\r\nGET\r\n$17\r\n<key>\r\n`.
//! A key is `k` and 16 hex digits (17 bytes), so every request of a kind has
//! one length. A SET's value is [`RECORD_SIZE`] bytes that start with the
//! key (u64 LE), as the simulated database's records do, so a GET can check
//! it read its own key.

use crate::proto::RECORD_SIZE;

/// Bytes of a key: `k` and 16 hex digits.
pub const KEY_LEN: usize = 17;
/// Largest reply accepted: a bulk string of one record, with room to spare;
/// a corrupt length cannot make a client allocate more.
pub const MAX_REPLY: usize = 1 << 20;

const GET_HEAD: &[u8] = b"*2\r\n$3\r\nGET\r\n$17\r\n";
const SET_HEAD: &[u8] = b"*3\r\n$3\r\nSET\r\n$17\r\n";
const VALUE_HEAD: &[u8] = b"$1024\r\n";

/// Bytes of a GET request.
pub const GET_LEN: usize = GET_HEAD.len() + KEY_LEN + 2;
/// Bytes of a SET request of one record.
pub const SET_LEN: usize = SET_HEAD.len() + KEY_LEN + 2 + VALUE_HEAD.len() + RECORD_SIZE + 2;
/// Bytes of the reply to a GET of a stored record: `$1024\r\n<value>\r\n`.
pub const RECORD_REPLY: usize = VALUE_HEAD.len() + RECORD_SIZE + 2;
/// The reply to a SET: `+OK\r\n`.
pub const OK: &[u8] = b"+OK\r\n";

/// Writes record `key`'s name (`k` and 16 hex digits) into `out`.
pub fn key_name(key: u64, out: &mut [u8]) {
    out[0] = b'k';
    let hex = b"0123456789abcdef";
    for i in 0..16 {
        out[1 + i] = hex[((key >> (60 - 4 * i)) & 0xF) as usize];
    }
}

/// Writes `GET <key>` at the start of `buf`; returns its length.
///
/// # Panics
/// If `buf` is shorter than [`GET_LEN`] (buffers are sized by the workload).
pub fn encode_get(buf: &mut [u8], key: u64) -> usize {
    let h = GET_HEAD.len();
    buf[..h].copy_from_slice(GET_HEAD);
    key_name(key, &mut buf[h..h + KEY_LEN]);
    buf[h + KEY_LEN..GET_LEN].copy_from_slice(b"\r\n");
    GET_LEN
}

/// Where a SET's value starts in its request: the caller may fill the value
/// there before or after [`encode_set`] (which writes only the key in it).
pub const SET_VALUE_AT: usize = SET_HEAD.len() + KEY_LEN + 2 + VALUE_HEAD.len();

/// Writes `SET <key> <value>` at the start of `buf`, the value's first 8
/// bytes being the key (the rest is whatever `buf` holds there); returns
/// its length.
///
/// # Panics
/// If `buf` is shorter than [`SET_LEN`].
pub fn encode_set(buf: &mut [u8], key: u64) -> usize {
    let h = SET_HEAD.len();
    buf[..h].copy_from_slice(SET_HEAD);
    key_name(key, &mut buf[h..h + KEY_LEN]);
    let mut at = h + KEY_LEN;
    buf[at..at + 2].copy_from_slice(b"\r\n");
    at += 2;
    buf[at..at + VALUE_HEAD.len()].copy_from_slice(VALUE_HEAD);
    at += VALUE_HEAD.len();
    buf[at..at + 8].copy_from_slice(&key.to_le_bytes());
    at += RECORD_SIZE;
    buf[at..at + 2].copy_from_slice(b"\r\n");
    SET_LEN
}

/// A reply, borrowing from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    /// `+OK`
    Simple(&'a [u8]),
    /// `-ERR ...`
    Error(&'a [u8]),
    Integer(i64),
    /// `$n` and n bytes, or `$-1` (none).
    Bulk(Option<&'a [u8]>),
    /// `*n` and n replies (their bytes are counted, not decoded), or `*-1`.
    Array(Option<usize>),
}

/// Why bytes are not a RESP reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RespError {
    #[error("unknown reply type byte {0:#04x}")]
    UnknownType(u8),
    #[error("bad length line {0:?}")]
    BadLength(String),
    #[error("reply of {0} bytes exceeds the {MAX_REPLY}-byte limit")]
    TooLarge(usize),
    #[error("a bulk string not ended by CRLF")]
    NoCrlf,
}

/// The line at the start of `buf` (without its CRLF) and the bytes it takes
/// with it; `None` while no CRLF has arrived.
fn line(buf: &[u8]) -> Result<Option<(&[u8], usize)>, RespError> {
    match buf.windows(2).position(|w| w == b"\r\n") {
        Some(i) => Ok(Some((&buf[..i], i + 2))),
        None if buf.len() > MAX_REPLY => Err(RespError::TooLarge(buf.len())),
        None => Ok(None),
    }
}

fn number(l: &[u8]) -> Result<i64, RespError> {
    std::str::from_utf8(l)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| RespError::BadLength(String::from_utf8_lossy(l).into_owned()))
}

/// Decodes the reply at the start of `buf`: `Ok(None)` while incomplete,
/// else the reply and the bytes it takes (replies after it, pipelined,
/// are left). Never panics, whatever the input.
pub fn decode_reply(buf: &[u8]) -> Result<Option<(Reply<'_>, usize)>, RespError> {
    decode_at(buf, 0)
}

fn decode_at(buf: &[u8], depth: usize) -> Result<Option<(Reply<'_>, usize)>, RespError> {
    let Some(&kind) = buf.first() else {
        return Ok(None);
    };
    let Some((l, head)) = line(&buf[1..])? else {
        return Ok(None);
    };
    let head = head + 1;
    let reply = match kind {
        b'+' => Reply::Simple(l),
        b'-' => Reply::Error(l),
        b':' => Reply::Integer(number(l)?),
        b'$' => {
            let n = number(l)?;
            if n == -1 {
                return Ok(Some((Reply::Bulk(None), head)));
            }
            let n = usize::try_from(n)
                .map_err(|_| RespError::BadLength(String::from_utf8_lossy(l).into_owned()))?;
            if n > MAX_REPLY {
                return Err(RespError::TooLarge(n));
            }
            let end = head + n + 2;
            if buf.len() < end {
                return Ok(None);
            }
            if &buf[head + n..end] != b"\r\n" {
                return Err(RespError::NoCrlf);
            }
            return Ok(Some((Reply::Bulk(Some(&buf[head..head + n])), end)));
        }
        b'*' => {
            let n = number(l)?;
            if n == -1 {
                return Ok(Some((Reply::Array(None), head)));
            }
            let n = usize::try_from(n)
                .map_err(|_| RespError::BadLength(String::from_utf8_lossy(l).into_owned()))?;
            // Nested arrays deeper than any reply to GET or SET are refused
            // rather than followed (a hostile peer cannot recurse us away).
            if n > MAX_REPLY || depth > 8 {
                return Err(RespError::TooLarge(n));
            }
            let mut at = head;
            for _ in 0..n {
                match decode_at(&buf[at..], depth + 1)? {
                    Some((_, used)) => at += used,
                    None => return Ok(None),
                }
            }
            return Ok(Some((Reply::Array(Some(n)), at)));
        }
        other => return Err(RespError::UnknownType(other)),
    };
    Ok(Some((reply, head)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_what_redis_reads() {
        let mut b = vec![0u8; SET_LEN];
        let n = encode_get(&mut b, 0x1234);
        assert_eq!(&b[..n], b"*2\r\n$3\r\nGET\r\n$17\r\nk0000000000001234\r\n");
        let n = encode_set(&mut b, u64::MAX);
        assert_eq!(n, SET_LEN);
        assert!(b.starts_with(b"*3\r\n$3\r\nSET\r\n$17\r\nkffffffffffffffff\r\n$1024\r\n"));
        assert_eq!(&b[SET_VALUE_AT..SET_VALUE_AT + 8], &u64::MAX.to_le_bytes());
        assert!(b.ends_with(b"\r\n"));
    }

    fn replies() -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(OK);
        v.extend_from_slice(b"$1024\r\n");
        v.extend(std::iter::repeat_n(7u8, 1024));
        v.extend_from_slice(b"\r\n");
        v.extend_from_slice(b"$-1\r\n-ERR wrong type\r\n:42\r\n*2\r\n$1\r\na\r\n:1\r\n");
        v
    }

    /// Every reply comes back whole, at its length, whatever the chunks
    /// the bytes arrive in (one byte at a time, or several replies at once).
    #[test]
    fn split_and_pipelined_replies_decode_at_their_boundaries() {
        let all = replies();
        let mut whole = Vec::new();
        let mut at = 0;
        while at < all.len() {
            let (r, used) = decode_reply(&all[at..]).unwrap().unwrap();
            whole.push((format!("{r:?}"), used));
            at += used;
        }
        assert_eq!(whole.len(), 6);
        assert_eq!(whole[1].1, RECORD_REPLY);
        for chunk in [1, 2, 3, 7, 1030, all.len()] {
            let mut got = Vec::new();
            let (mut buf, mut fed) = (Vec::new(), 0);
            while fed < all.len() || !buf.is_empty() {
                if let Some((r, used)) = decode_reply(&buf).unwrap() {
                    got.push((format!("{r:?}"), used));
                    buf.drain(..used);
                    continue;
                }
                assert!(
                    fed < all.len(),
                    "chunk {chunk}: stuck with {} bytes",
                    buf.len()
                );
                let end = (fed + chunk).min(all.len());
                buf.extend_from_slice(&all[fed..end]);
                fed = end;
            }
            assert_eq!(got, whole, "chunk {chunk}");
        }
    }

    #[test]
    fn bad_replies_are_errors_not_panics() {
        for bad in [
            &b"?x\r\n"[..],
            b"$abc\r\n",
            b"$-5\r\n",
            b"$3\r\nabcXY",
            b"$99999999\r\n",
            b":1x\r\n",
        ] {
            assert!(
                decode_reply(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep: Vec<u8> = b"*1\r\n".repeat(20);
        assert!(decode_reply(&deep).is_err());
        // Incomplete is not an error.
        for part in [&b""[..], b"+O", b"$5\r\nab", b"*2\r\n:1\r\n"] {
            assert_eq!(decode_reply(part), Ok(None));
        }
    }
}
