//! The wire between the `procs` engine's parent and its workers.
//! Little-endian throughout.
//!
//! Set-up, parent to worker, once: u32 length, then that much JSON (`Setup`).
//! Request, parent to worker: u8 length, then the steps (see `encode`).
//! Reply, worker to parent: `REPLY` bytes — a tag and three u64 — then, for
//! an error, that many bytes of text:
//!
//! ```text
//! READY                       the worker is set up
//! DONE   bytes digest ns      a request's result and the worker's timing
//! ERROR  len  0      0        the request (or set-up) failed; len bytes of text
//! ```

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use iobound_workloads::{FileId, FileRole, FileSpec, Input, Kernel, Msg, Request, Step, MAX_STEPS};

use super::Failure;
use crate::engine::CellCtx;
use crate::exec::{Done, FileSet, IoBufs, Op};

/// What a worker needs to run a cell's requests.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(super) struct Setup {
    pub(super) files: Vec<SetupFile>,
    pub(super) direct: bool,
    /// Bytes of shared compute input to generate (deterministic).
    pub(super) compute_input: usize,
    /// Size of the worker's I/O buffers.
    pub(super) max_transfer: usize,
    pub(super) verify: bool,
    /// The server exchange steps go to.
    pub(super) target: Option<SocketAddr>,
    /// Whether requests talk to it: the worker connects before it is ready.
    pub(super) connect: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(super) struct SetupFile {
    /// The path's bytes: paths need not be UTF-8.
    path: Vec<u8>,
    log: bool,
    size: u64,
}

impl Setup {
    /// What the parent's cell has open, for a worker to open the same.
    pub(super) fn of(ctx: &CellCtx<'_>) -> Setup {
        Setup {
            files: ctx
                .files
                .specs()
                .into_iter()
                .map(|(path, spec)| SetupFile {
                    path: path.into_os_string().into_vec(),
                    log: spec.role == FileRole::Log,
                    size: spec.size,
                })
                .collect(),
            direct: ctx.files.direct(),
            compute_input: ctx.files.compute_input_len(),
            max_transfer: ctx.workload.max_transfer(),
            verify: ctx.verify,
            target: ctx.files.target(),
            connect: ctx.workload.service().is_some(),
        }
    }

    pub(super) fn send(&self, mut chan: &UnixStream) -> Result<(), Failure> {
        let json = serde_json::to_vec(self).map_err(|e| Failure::Protocol(e.to_string()))?;
        let mut msg = (json.len() as u32).to_le_bytes().to_vec();
        msg.extend_from_slice(&json);
        chan.write_all(&msg).map_err(Failure::from)
    }

    /// The files as the worker opens them.
    pub(super) fn files(&self) -> Vec<(PathBuf, FileSpec)> {
        self.files
            .iter()
            .map(|f| {
                let role = if f.log { FileRole::Log } else { FileRole::Data };
                (
                    PathBuf::from(OsString::from_vec(f.path.clone())),
                    FileSpec { role, size: f.size },
                )
            })
            .collect()
    }
}

/// Bytes of a reply's fixed part.
const REPLY: usize = 25;
const TAG_DONE: u8 = 0;
const TAG_ERROR: u8 = 1;
const TAG_READY: u8 = 2;
/// Longest error text a worker sends.
const MAX_ERROR: usize = 64 << 10;

/// A worker's answer.
#[derive(Debug, PartialEq)]
pub(super) enum Reply {
    Ready,
    Done { done: Done, service: Duration },
    Error(String),
}

impl Reply {
    /// Writes the reply in one write: one wake-up of the parent.
    pub(super) fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let mut head = [0u8; REPLY];
        let (tag, a, b, c, text) = match self {
            Reply::Ready => (TAG_READY, 0, 0, 0, &b""[..]),
            Reply::Done { done, service } => (
                TAG_DONE,
                done.bytes,
                done.digest,
                service.as_nanos() as u64,
                &b""[..],
            ),
            Reply::Error(t) => {
                let mut end = t.len().min(MAX_ERROR);
                while !t.is_char_boundary(end) {
                    end -= 1;
                }
                (TAG_ERROR, end as u64, 0, 0, &t.as_bytes()[..end])
            }
        };
        head[0] = tag;
        head[1..9].copy_from_slice(&a.to_le_bytes());
        head[9..17].copy_from_slice(&b.to_le_bytes());
        head[17..25].copy_from_slice(&c.to_le_bytes());
        if text.is_empty() {
            out.write_all(&head)
        } else {
            let mut all = head.to_vec();
            all.extend_from_slice(text);
            out.write_all(&all)
        }
    }

    pub(super) fn read(input: &mut impl Read) -> Result<Reply, Failure> {
        let mut head = [0u8; REPLY];
        input.read_exact(&mut head)?;
        let word = |i: usize| u64::from_le_bytes(head[1 + 8 * i..9 + 8 * i].try_into().unwrap());
        match head[0] {
            TAG_READY => Ok(Reply::Ready),
            TAG_DONE => Ok(Reply::Done {
                done: Done {
                    bytes: word(0),
                    digest: word(1),
                },
                service: Duration::from_nanos(word(2)),
            }),
            TAG_ERROR if word(0) as usize <= MAX_ERROR => {
                let mut text = vec![0u8; word(0) as usize];
                input.read_exact(&mut text)?;
                Ok(Reply::Error(String::from_utf8_lossy(&text).into_owned()))
            }
            tag => Err(Failure::Protocol(format!("reply tag {tag}"))),
        }
    }
}

/// Longest encoded step, and so the longest request body: it must fit the
/// one-byte length.
const MAX_STEP: usize = 15;
pub(super) const MAX_BODY: usize = MAX_STEPS * MAX_STEP;
const _: () = assert!(MAX_BODY <= u8::MAX as usize);

const S_READ: u8 = 0;
const S_WRITE: u8 = 1;
const S_SYNC: u8 = 2;
const S_COMPUTE: u8 = 3;
const S_EXCHANGE: u8 = 4;

/// A request being encoded.
struct Out<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Out<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }

    fn file_op(&mut self, tag: u8, file: u8, offset: u64, len: u32) {
        self.put(&[tag, file]);
        self.put(&offset.to_le_bytes());
        self.put(&len.to_le_bytes());
    }
}

/// Encodes `req` into `out` (length byte, then steps); returns the bytes
/// used. Appends get their position here, from the parent's one tail, and
/// go as writes there.
pub(super) fn encode(
    req: &Request,
    files: &FileSet,
    scratch: &mut IoBufs,
    out: &mut [u8],
) -> usize {
    let mut o = Out { buf: out, at: 1 };
    for step in req.steps() {
        match *step {
            Step::Read { file, offset, len } => o.file_op(S_READ, file.0, offset, len),
            Step::Write { file, offset, len } => o.file_op(S_WRITE, file.0, offset, len),
            Step::Append { .. } => match files.resolve(step, scratch) {
                Op::Write { file, offset, len } => o.file_op(S_WRITE, file as u8, offset, len),
                other => unreachable!("an append resolves to a write, not {other:?}"),
            },
            Step::Fdatasync { file } => o.put(&[S_SYNC, file.0]),
            Step::Compute { kernel, input } => {
                let k = kernel.code();
                match input {
                    Input::Shared { offset, len } => {
                        o.put(&[S_COMPUTE, k, 0]);
                        o.put(&offset.to_le_bytes());
                        o.put(&len.to_le_bytes());
                    }
                    Input::LastRead { len } => {
                        o.put(&[S_COMPUTE, k, 1]);
                        o.put(&len.to_le_bytes());
                    }
                }
            }
            Step::Exchange { msg } => match msg {
                Msg::Echo { len } => {
                    o.put(&[S_EXCHANGE, 0]);
                    o.put(&len.to_le_bytes());
                }
                Msg::Get { key, wait_us: None } => {
                    o.put(&[S_EXCHANGE, 1]);
                    o.put(&key.to_le_bytes());
                }
                Msg::Put { key, wait_us: None } => {
                    o.put(&[S_EXCHANGE, 2]);
                    o.put(&key.to_le_bytes());
                }
                // A call's own wait: codes of their own, so the others'
                // bytes stay as they were.
                Msg::Get {
                    key,
                    wait_us: Some(w),
                } => {
                    o.put(&[S_EXCHANGE, 5]);
                    o.put(&key.to_le_bytes());
                    o.put(&w.to_le_bytes());
                }
                Msg::Put {
                    key,
                    wait_us: Some(w),
                } => {
                    o.put(&[S_EXCHANGE, 6]);
                    o.put(&key.to_le_bytes());
                    o.put(&w.to_le_bytes());
                }
                Msg::RedisGet { key } => {
                    o.put(&[S_EXCHANGE, 3]);
                    o.put(&key.to_le_bytes());
                }
                Msg::RedisSet { key } => {
                    o.put(&[S_EXCHANGE, 4]);
                    o.put(&key.to_le_bytes());
                }
            },
        }
    }
    let at = o.at;
    out[0] = (at - 1) as u8;
    at
}

/// Errors decoding a request body.
#[derive(Debug, thiserror::Error, PartialEq)]
pub(super) enum DecodeError {
    #[error("a request cut short")]
    Short,
    #[error("unknown {what} code {code}")]
    Unknown { what: &'static str, code: u8 },
    #[error("file {0} is not one of the cell's files")]
    NoFile(u8),
    #[error("more than {MAX_STEPS} steps")]
    TooLong,
}

/// Decodes a request body; file numbers must be below `files`.
pub(super) fn decode(mut body: &[u8], files: usize) -> Result<Request, DecodeError> {
    fn take<const N: usize>(b: &mut &[u8]) -> Result<[u8; N], DecodeError> {
        let (head, rest) = b.split_first_chunk::<N>().ok_or(DecodeError::Short)?;
        *b = rest;
        Ok(*head)
    }
    let u8_ = |b: &mut &[u8]| take::<1>(b).map(|x| x[0]);
    let u32_ = |b: &mut &[u8]| take::<4>(b).map(u32::from_le_bytes);
    let u64_ = |b: &mut &[u8]| take::<8>(b).map(u64::from_le_bytes);
    let file = |b: &mut &[u8]| {
        let f = u8_(b)?;
        if (f as usize) < files {
            Ok(FileId(f))
        } else {
            Err(DecodeError::NoFile(f))
        }
    };
    let mut req = Request::new();
    while !body.is_empty() {
        if req.len() == MAX_STEPS {
            return Err(DecodeError::TooLong);
        }
        let b = &mut body;
        let step = match u8_(b)? {
            S_READ => Step::Read {
                file: file(b)?,
                offset: u64_(b)?,
                len: u32_(b)?,
            },
            S_WRITE => Step::Write {
                file: file(b)?,
                offset: u64_(b)?,
                len: u32_(b)?,
            },
            S_SYNC => Step::Fdatasync { file: file(b)? },
            S_COMPUTE => {
                let code = u8_(b)?;
                let kernel = match Kernel::from_code(code) {
                    Some(k) => k,
                    None => {
                        return Err(DecodeError::Unknown {
                            what: "kernel",
                            code,
                        })
                    }
                };
                let input = match u8_(b)? {
                    0 => Input::Shared {
                        offset: u64_(b)?,
                        len: u32_(b)?,
                    },
                    1 => Input::LastRead { len: u32_(b)? },
                    code => {
                        return Err(DecodeError::Unknown {
                            what: "input",
                            code,
                        })
                    }
                };
                Step::Compute { kernel, input }
            }
            S_EXCHANGE => Step::Exchange {
                msg: match u8_(b)? {
                    0 => Msg::Echo { len: u32_(b)? },
                    1 => Msg::Get {
                        key: u64_(b)?,
                        wait_us: None,
                    },
                    2 => Msg::Put {
                        key: u64_(b)?,
                        wait_us: None,
                    },
                    5 => Msg::Get {
                        key: u64_(b)?,
                        wait_us: Some(u32_(b)?),
                    },
                    6 => Msg::Put {
                        key: u64_(b)?,
                        wait_us: Some(u32_(b)?),
                    },
                    3 => Msg::RedisGet { key: u64_(b)? },
                    4 => Msg::RedisSet { key: u64_(b)? },
                    code => {
                        return Err(DecodeError::Unknown {
                            what: "message",
                            code,
                        })
                    }
                },
            },
            code => return Err(DecodeError::Unknown { what: "step", code }),
        };
        req.push(step);
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::procs::tests::temp_dir;
    use iobound_workloads::dataset;

    #[test]
    fn every_step_survives_the_wire_and_appends_become_writes_at_reserved_places() {
        let dir = temp_dir("wire");
        let log = FileSpec {
            role: FileRole::Log,
            size: 16 << 10,
        };
        let (p, _) = dataset::prepare(&dir, &log).unwrap();
        let files = FileSet::open(&[(p, log)], false).unwrap();
        let f = FileId(0);
        let mut req = Request::new();
        for s in [
            Step::Read {
                file: f,
                offset: u64::MAX - 7,
                len: u32::MAX,
            },
            Step::Write {
                file: f,
                offset: 4096,
                len: 512,
            },
            Step::Fdatasync { file: f },
            Step::Compute {
                kernel: Kernel::Sha256,
                input: Input::Shared {
                    offset: 1 << 40,
                    len: 7,
                },
            },
            Step::Compute {
                kernel: Kernel::Blur3x3,
                input: Input::LastRead { len: 9 },
            },
            Step::Exchange {
                msg: Msg::Echo { len: 3 },
            },
            Step::Exchange {
                msg: Msg::Get {
                    key: u64::MAX,
                    wait_us: None,
                },
            },
            Step::Exchange {
                msg: Msg::Put {
                    key: 5,
                    wait_us: None,
                },
            },
        ] {
            req.push(s);
        }
        let mut scratch = IoBufs::new(16);
        let mut msg = [0u8; 1 + MAX_BODY];
        let n = encode(&req, &files, &mut scratch, &mut msg);
        assert_eq!(msg[0] as usize, n - 1);
        assert_eq!(decode(&msg[1..n], 1).unwrap(), req);
        // A file outside the cell and a cut-short body are refused.
        assert_eq!(decode(&msg[1..n], 0), Err(DecodeError::NoFile(0)));
        assert_eq!(decode(&msg[1..n - 1], 1), Err(DecodeError::Short));
        // Redis's messages.
        let mut redis = Request::one(Step::Exchange {
            msg: Msg::RedisGet { key: 1 << 40 },
        });
        redis.push(Step::Exchange {
            msg: Msg::RedisSet { key: 6 },
        });
        let n = encode(&redis, &files, &mut scratch, &mut msg);
        assert_eq!(decode(&msg[1..n], 1).unwrap(), redis);
        // Calls with their own wait.
        let mut waits = Request::one(Step::Exchange {
            msg: Msg::Get {
                key: 6,
                wait_us: Some(50_000),
            },
        });
        waits.push(Step::Exchange {
            msg: Msg::Put {
                key: 7,
                wait_us: Some(0),
            },
        });
        let n = encode(&waits, &files, &mut scratch, &mut msg);
        assert_eq!(decode(&msg[1..n], 1).unwrap(), waits);
        // Two appends: writes at consecutive places of the parent's tail.
        let mut app = Request::one(Step::Append { file: f, len: 4096 });
        app.push(Step::Append { file: f, len: 4096 });
        let n = encode(&app, &files, &mut scratch, &mut msg);
        let got = decode(&msg[1..n], 1).unwrap();
        let offsets: Vec<u64> = got
            .steps()
            .iter()
            .map(|s| match *s {
                Step::Write { offset, len, .. } => {
                    assert_eq!(len, 4096);
                    offset
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(offsets, [0, 4096]);
        assert_eq!(files.appended(0), 8192);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn replies_round_trip() {
        for r in [
            Reply::Ready,
            Reply::Done {
                done: Done {
                    bytes: 1 << 40,
                    digest: u64::MAX,
                },
                service: Duration::from_nanos(123_456),
            },
            Reply::Error("read failed: é".into()),
        ] {
            let mut wire = Vec::new();
            r.write(&mut wire).unwrap();
            assert_eq!(Reply::read(&mut wire.as_slice()).unwrap(), r);
        }
        assert!(matches!(
            Reply::read(&mut [9u8; REPLY].as_slice()),
            Err(Failure::Protocol(_))
        ));
        assert!(matches!(
            Reply::read(&mut [0u8; 3].as_slice()),
            Err(Failure::Died)
        ));
    }
}
