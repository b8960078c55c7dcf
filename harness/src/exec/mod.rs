//! The step interpreter every engine shares: opened files, I/O buffers,
//! resolving a [`Step`] to a concrete operation, running it with a blocking
//! syscall, and checking its result.
//!
//! Engines differ only in *how* they wait for an operation (a blocked thread,
//! a pool task, an io_uring completion); what an operation is and what counts
//! as its success is decided here once.
//!
//! This module holds the errors, the operation a step resolves to and the
//! step loop ([`Steps`]); `buf` the aligned buffers a request uses; `files`
//! the opened files ([`FileSet`]) and what is done with them.

mod buf;
mod files;
pub mod net;

pub use buf::{AlignedBuf, IoBufs, BUF_ALIGN};
pub use files::FileSet;

use std::net::SocketAddr;
use std::path::PathBuf;

use iobound_workloads::{Input, Kernel, Request, Step};

/// Errors from opening a workload's files.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "cannot open {path}{}: {source}{}",
        if *.direct { " with O_DIRECT" } else { "" },
        if *.direct && source.raw_os_error() == Some(libc::EINVAL) {
            " (this filesystem does not support O_DIRECT, e.g. tmpfs: pick another --data-dir)"
        } else {
            ""
        }
    )]
    Open {
        path: PathBuf,
        direct: bool,
        #[source]
        source: std::io::Error,
    },
}

/// Errors from one step of a request.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("{op} failed: {source}")]
    Io {
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{op} at offset {offset} moved {got} of {expected} bytes")]
    Short {
        op: &'static str,
        offset: u64,
        expected: u32,
        got: usize,
    },
    #[error("read at offset {offset} of {path} returned data that is not the file's content")]
    Corrupt { path: PathBuf, offset: u64 },
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the workload talks to a server, but none was started or given with --target")]
    NoTarget,
    #[error("{0}")]
    Net(String),
}

/// What follows a finished operation.
pub enum After {
    /// The step needs another operation (the rest of a send, a receive).
    Next(Op),
    /// The step is done, having moved this many bytes.
    Done(u64),
}

/// A step resolved against the open files: what syscall to make, where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read {
        file: usize,
        offset: u64,
        len: u32,
    },
    Write {
        file: usize,
        offset: u64,
        len: u32,
    },
    Fdatasync {
        file: usize,
    },
    /// Send `len` bytes of the write buffer from `off` on the connection.
    Send {
        off: u32,
        len: u32,
    },
    /// Receive into the read buffer from `off` to its end.
    Recv {
        off: u32,
    },
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Read { .. } => "read",
            Op::Write { .. } => "write",
            Op::Fdatasync { .. } => "fdatasync",
            Op::Send { .. } => "send",
            Op::Recv { .. } => "recv",
        }
    }

    /// Whether it goes over the slot's connection.
    pub fn is_net(&self) -> bool {
        matches!(self, Op::Send { .. } | Op::Recv { .. })
    }
}

/// What a finished request produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Done {
    /// Bytes its I/O steps moved.
    pub bytes: u64,
    /// Its compute steps' digests, folded with [`fold`].
    pub digest: u64,
}

/// What a request needs next, as [`Steps::next`] says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Todo {
    /// An operation to perform (a syscall, an io_uring entry, a future),
    /// then to report with [`Steps::completed`].
    Io(Op),
    /// A computation to run (on this thread, or on a pool), then to report
    /// with [`Steps::computed`].
    Compute(Kernel, Input),
    /// Every step is done.
    Done(Done),
}

/// A request's steps walked one operation at a time: the one step loop
/// every engine drives, whatever it waits with — a blocked thread, an
/// io_uring completion, a runtime's future. It resolves each step into an
/// operation ([`FileSet::resolve`]), follows a step that takes several
/// (a send then a receive), and accounts for bytes and digests; the engine
/// only performs what it is told and reports back.
#[derive(Debug, Clone, Copy)]
pub struct Steps {
    req: Request,
    /// Index of the current step.
    step: usize,
    /// The current step's operation, resolved and not yet completed.
    op: Option<Op>,
    done: Done,
}

impl Steps {
    pub fn new(req: Request) -> Self {
        Steps {
            req,
            step: 0,
            op: None,
            done: Done::default(),
        }
    }

    /// Whether the request has no step at all.
    pub fn is_empty(&self) -> bool {
        self.req.is_empty()
    }

    /// What the request needs now. Asking again before reporting gives the
    /// same answer (an operation is resolved once).
    #[inline]
    pub fn next(&mut self, files: &FileSet, bufs: &mut IoBufs) -> Todo {
        if let Some(op) = self.op {
            return Todo::Io(op);
        }
        match self.req.steps().get(self.step) {
            None => Todo::Done(self.done),
            Some(&Step::Compute { kernel, input }) => Todo::Compute(kernel, input),
            Some(step) => {
                let op = files.resolve(step, bufs);
                self.op = Some(op);
                Todo::Io(op)
            }
        }
    }

    /// Reports the current operation's result: checks it, and moves to the
    /// step's next operation or to the next step.
    #[inline]
    pub fn completed(
        &mut self,
        files: &FileSet,
        moved: std::io::Result<usize>,
        bufs: &mut IoBufs,
        verify: bool,
    ) -> Result<(), StepError> {
        let op = self.op.take().expect("an operation was asked for");
        let moved = moved.map_err(|source| StepError::Io {
            op: op.name(),
            source,
        })?;
        match files.complete(&op, moved, bufs, verify)? {
            After::Next(next) => self.op = Some(next),
            After::Done(bytes) => {
                self.done.bytes += bytes;
                self.step += 1;
            }
        }
        Ok(())
    }

    /// Reports the current computation's digest.
    #[inline]
    pub fn computed(&mut self, digest: u64) {
        self.done.digest = fold(self.done.digest, digest);
        self.step += 1;
    }

    /// Whether every step is done.
    pub fn finished(&self) -> bool {
        self.op.is_none() && self.step >= self.req.len()
    }

    /// What the finished steps moved and computed.
    pub fn done(&self) -> Done {
        self.done
    }
}

/// Folds a digest into a running checksum. Addition commutes, so the checksum
/// of a set of requests does not depend on the order engines finish them in.
#[inline]
pub fn fold(acc: u64, digest: u64) -> u64 {
    acc.wrapping_add(digest)
}
#[cfg(test)]
mod tests {
    use super::*;
    use iobound_workloads::{dataset, FileId};
    use iobound_workloads::{FileRole, FileSpec};

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("iobound-exec-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn aligned_buffers_are_aligned() {
        let mut b = AlignedBuf::new(100);
        assert_eq!(b.as_mut_ptr() as usize % BUF_ALIGN, 0);
        assert_eq!(b.len(), 100);
    }

    #[test]
    fn blocking_reads_verify_and_appends_wrap() {
        let dir = temp_dir("rw");
        let data = FileSpec {
            role: FileRole::Data,
            size: 64 << 10,
        };
        let log = FileSpec {
            role: FileRole::Log,
            size: 16 << 10,
        };
        let (dp, _) = dataset::prepare(&dir, &data).unwrap();
        let (lp, _) = dataset::prepare(&dir, &log).unwrap();
        let set = FileSet::open(&[(dp, data), (lp.clone(), log)], false).unwrap();
        let mut bufs = IoBufs::new(4096);
        let read = Request::one(Step::Read {
            file: FileId(0),
            offset: 8192,
            len: 4096,
        });
        assert_eq!(
            set.run_request_blocking(&read, &mut bufs, true)
                .unwrap()
                .bytes,
            4096
        );
        // Five appends of 4 KiB into a 16 KiB log: the fifth lands at 0 again.
        let append = Request::one(Step::Append {
            file: FileId(1),
            len: 4096,
        });
        let offsets: Vec<u64> = (0..5)
            .map(|_| match set.resolve(&append.steps()[0], &mut bufs) {
                Op::Write { offset, .. } => offset,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(offsets, [0, 4096, 8192, 12288, 0]);
        set.run_request_blocking(&append, &mut bufs, true).unwrap();
        let on_disk = std::fs::read(&lp).unwrap();
        assert!(dataset::is_written_block(&on_disk[4096..8192], 4096));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn verification_catches_wrong_content() {
        let dir = temp_dir("corrupt");
        let spec = FileSpec {
            role: FileRole::Data,
            size: 16 << 10,
        };
        let (p, _) = dataset::prepare(&dir, &spec).unwrap();
        let set = FileSet::open(&[(p, spec)], false).unwrap();
        let mut bufs = IoBufs::new(4096);
        let op = Op::Read {
            file: 0,
            offset: 4096,
            len: 4096,
        };
        let n = set.run_blocking(&op, &mut bufs).unwrap();
        assert!(set.check(&op, n, &bufs, true).is_ok());
        bufs.read.as_mut_slice()[7] ^= 0xff;
        assert!(matches!(
            set.check(&op, n, &bufs, true),
            Err(StepError::Corrupt { .. })
        ));
        assert!(matches!(
            set.check(&op, 100, &bufs, false),
            Err(StepError::Short { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
