//! The step interpreter every engine shares: opened files, I/O buffers,
//! resolving a [`Step`] to a concrete operation, running it with a blocking
//! syscall, and checking its result.
//!
//! Engines differ only in *how* they wait for an operation (a blocked thread,
//! a pool task, an io_uring completion); what an operation is and what counts
//! as its success is decided here once.

use std::alloc::{self, Layout};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use iobound_workloads::{compute, dataset};
use iobound_workloads::{FileRole, FileSpec, Input, Kernel, Request, Step};

use crate::net;

/// Alignment of I/O buffers: enough for O_DIRECT on any block device we meet.
pub const BUF_ALIGN: usize = 4096;

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

/// A heap buffer aligned for O_DIRECT.
pub struct AlignedBuf {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: AlignedBuf owns its allocation exclusively, like a Box<[u8]>.
unsafe impl Send for AlignedBuf {}

impl AlignedBuf {
    /// A zeroed buffer of `len` bytes (at least one alignment unit).
    pub fn new(len: usize) -> Self {
        let layout = Self::layout(len);
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc::alloc_zeroed(layout) };
        if ptr.is_null() {
            alloc::handle_alloc_error(layout);
        }
        AlignedBuf { ptr, len }
    }

    fn layout(len: usize) -> Layout {
        Layout::from_size_align(len.max(BUF_ALIGN), BUF_ALIGN).expect("buffer size overflows")
    }

    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: ptr is valid for len bytes for as long as self lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: ptr is valid for len bytes and uniquely borrowed through &mut self.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this same layout.
        unsafe { alloc::dealloc(self.ptr, Self::layout(self.len)) }
    }
}

/// The buffers one in-flight request uses. Reads and writes have separate
/// buffers so that a read never clobbers the payload a later write sends.
pub struct IoBufs {
    pub read: AlignedBuf,
    pub write: AlignedBuf,
    /// The connection exchanges go over, opened at first use.
    pub conn: Option<TcpStream>,
    /// Where the current exchange stands.
    pub net: net::Exchange,
}

impl IoBufs {
    pub fn new(max_transfer: usize) -> Self {
        // Payload content is generated in 8-byte words.
        let max_transfer = max_transfer.next_multiple_of(8);
        let mut write = AlignedBuf::new(max_transfer);
        dataset::write_payload(write.as_mut_slice());
        IoBufs {
            read: AlignedBuf::new(max_transfer),
            write,
            conn: None,
            net: net::Exchange::default(),
        }
    }
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

fn no_conn() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotConnected, "no connection")
}

fn conn(bufs: &IoBufs) -> std::io::Result<&TcpStream> {
    bufs.conn.as_ref().ok_or_else(no_conn)
}

#[repr(align(128))]
struct Tail(AtomicU64);

struct OpenFile {
    file: File,
    path: PathBuf,
    spec: FileSpec,
    /// Next append position; only log files grow, but every file has one so a
    /// workload may append anywhere.
    tail: Tail,
}

/// A workload's files, opened for one cell, and the read-only input its
/// compute steps share.
pub struct FileSet {
    files: Vec<OpenFile>,
    direct: bool,
    input: Vec<u8>,
    /// The server exchanges go to.
    target: Option<SocketAddr>,
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

impl FileSet {
    /// Opens prepared files, read-write, with O_DIRECT if asked.
    pub fn open(files: &[(PathBuf, FileSpec)], direct: bool) -> Result<Self, OpenError> {
        let mut open = Vec::with_capacity(files.len());
        for (path, spec) in files {
            let mut opts = OpenOptions::new();
            opts.read(true).write(true);
            if direct {
                opts.custom_flags(libc::O_DIRECT);
            }
            let file = opts.open(path).map_err(|source| OpenError::Open {
                path: path.clone(),
                direct,
                source,
            })?;
            open.push(OpenFile {
                file,
                path: path.clone(),
                spec: spec.clone(),
                tail: Tail(AtomicU64::new(0)),
            });
        }
        Ok(FileSet {
            files: open,
            direct,
            input: Vec::new(),
            target: None,
        })
    }

    /// Sets the server that exchange steps talk to.
    pub fn with_target(mut self, target: Option<SocketAddr>) -> Self {
        self.target = target;
        self
    }

    /// Opens `bufs`' connection to the target if it has none yet.
    pub fn ensure_conn(&self, bufs: &mut IoBufs) -> Result<(), StepError> {
        if bufs.conn.is_none() {
            let addr = self.target.ok_or(StepError::NoTarget)?;
            bufs.conn = Some(net::connect(addr)?);
        }
        Ok(())
    }

    /// Generates the shared compute input a workload's steps index into.
    pub fn with_compute_input(mut self, len: usize) -> Self {
        self.input = compute::shared_input(len);
        self
    }

    /// Runs a compute step on the calling thread and returns its digest.
    /// `last_read` is the buffer the request's latest read filled.
    #[inline]
    pub fn compute(&self, kernel: Kernel, input: Input, last_read: &[u8]) -> u64 {
        let bytes = match input {
            Input::Shared { offset, len } => {
                &self.input[offset as usize..offset as usize + len as usize]
            }
            Input::LastRead { len } => &last_read[..len as usize],
        };
        kernel.run(bytes)
    }

    pub fn direct(&self) -> bool {
        self.direct
    }

    pub fn raw_fds(&self) -> Vec<RawFd> {
        self.files.iter().map(|f| f.file.as_raw_fd()).collect()
    }

    pub fn path(&self, file: usize) -> &Path {
        &self.files[file].path
    }

    /// Every file with its spec, in workload order (as [`FileSet::open`] took them).
    pub fn specs(&self) -> Vec<(PathBuf, FileSpec)> {
        self.files
            .iter()
            .map(|f| (f.path.clone(), f.spec.clone()))
            .collect()
    }

    /// The server exchange steps go to.
    pub fn target(&self) -> Option<SocketAddr> {
        self.target
    }

    /// Bytes of shared compute input (see [`FileSet::with_compute_input`]).
    /// The shared compute input (what a worker process needs a copy of).
    pub fn compute_input(&self) -> &[u8] {
        &self.input
    }

    pub fn compute_input_len(&self) -> usize {
        self.input.len()
    }

    /// Bytes appended so far to `file` (before wrapping).
    pub fn appended(&self, file: usize) -> u64 {
        self.files[file].tail.0.load(Ordering::Relaxed)
    }

    /// Turns an I/O step into the operation to run. Reserves an append
    /// position and stamps the write payload so the write can be identified
    /// on disk.
    ///
    /// # Panics
    /// On a compute step: engines run those with [`FileSet::compute`].
    #[inline]
    pub fn resolve(&self, step: &Step, bufs: &mut IoBufs) -> Op {
        match *step {
            Step::Read { file, offset, len } => Op::Read {
                file: file.index(),
                offset,
                len,
            },
            Step::Write { file, offset, len } => {
                dataset::stamp(bufs.write.as_mut_slice(), offset);
                Op::Write {
                    file: file.index(),
                    offset,
                    len,
                }
            }
            Step::Append { file, len } => {
                let f = &self.files[file.index()];
                let pos = f.tail.0.fetch_add(len as u64, Ordering::Relaxed);
                // Workloads guarantee the size is a multiple of len, so an
                // append never straddles the wrap point.
                let offset = pos % f.spec.size;
                dataset::stamp(bufs.write.as_mut_slice(), offset);
                Op::Write {
                    file: file.index(),
                    offset,
                    len,
                }
            }
            Step::Fdatasync { file } => Op::Fdatasync { file: file.index() },
            Step::Compute { .. } => unreachable!("compute steps are not I/O"),
            Step::Exchange { msg } => net::begin(msg, bufs),
        }
    }

    /// Accounts for an operation that moved `moved` bytes: checks it, and
    /// says whether its step needs another operation.
    #[inline]
    pub fn complete(
        &self,
        op: &Op,
        moved: usize,
        bufs: &mut IoBufs,
        verify: bool,
    ) -> Result<After, StepError> {
        match op {
            Op::Send { .. } | Op::Recv { .. } => net::after(op, moved, bufs, verify),
            _ => {
                self.check(op, moved, bufs, verify)?;
                Ok(After::Done(moved as u64))
            }
        }
    }

    /// Runs `op` with one blocking syscall (pread, pwrite or fdatasync) and
    /// returns the byte count the kernel reported.
    #[inline]
    pub fn run_blocking(&self, op: &Op, bufs: &mut IoBufs) -> std::io::Result<usize> {
        match *op {
            Op::Read { file, offset, len } => self.files[file]
                .file
                .read_at(&mut bufs.read.as_mut_slice()[..len as usize], offset),
            Op::Write { file, offset, len } => self.files[file]
                .file
                .write_at(&bufs.write.as_slice()[..len as usize], offset),
            Op::Fdatasync { file } => self.files[file].file.sync_data().map(|()| 0),
            Op::Send { off, len } => {
                let (o, l) = (off as usize, len as usize);
                conn(bufs)?.write(&bufs.write.as_slice()[o..o + l])
            }
            Op::Recv { off } => {
                let IoBufs { read, conn, .. } = bufs;
                let c = conn.as_mut().ok_or_else(no_conn)?;
                c.read(&mut read.as_mut_slice()[off as usize..])
            }
        }
    }

    /// Checks a finished operation: full transfer, and with `verify`, that a
    /// read of a data file returned that file's content at that offset.
    #[inline]
    pub fn check(
        &self,
        op: &Op,
        moved: usize,
        bufs: &IoBufs,
        verify: bool,
    ) -> Result<(), StepError> {
        match *op {
            Op::Read { file, offset, len } | Op::Write { file, offset, len } => {
                if moved != len as usize {
                    return Err(StepError::Short {
                        op: op.name(),
                        offset,
                        expected: len,
                        got: moved,
                    });
                }
                let f = &self.files[file];
                if verify
                    && matches!(op, Op::Read { .. })
                    && f.spec.role == FileRole::Data
                    && !dataset::matches(
                        dataset::seed_of(FileRole::Data),
                        offset,
                        &bufs.read.as_slice()[..len as usize],
                    )
                {
                    return Err(StepError::Corrupt {
                        path: f.path.clone(),
                        offset,
                    });
                }
                Ok(())
            }
            Op::Fdatasync { .. } | Op::Send { .. } | Op::Recv { .. } => Ok(()),
        }
    }

    /// Runs every step of `req` in order on the calling thread, I/O with
    /// blocking syscalls. Shared by the engines whose workers block (threads,
    /// rayon).
    pub fn run_request_blocking(
        &self,
        req: &Request,
        bufs: &mut IoBufs,
        verify: bool,
    ) -> Result<Done, StepError> {
        let mut steps = Steps::new(*req);
        loop {
            match steps.next(self, bufs) {
                Todo::Io(op) => {
                    if op.is_net() {
                        self.ensure_conn(bufs)?;
                    }
                    let moved = self.run_blocking(&op, bufs);
                    steps.completed(self, moved, bufs, verify)?;
                }
                Todo::Compute(kernel, input) => {
                    steps.computed(self.compute(kernel, input, bufs.read.as_slice()));
                }
                Todo::Done(done) => return Ok(done),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iobound_workloads::{dataset, FileId};

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
