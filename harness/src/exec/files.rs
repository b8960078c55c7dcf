//! A workload's files opened for one cell ([`FileSet`]): append positions
//! reserved, steps resolved to operations, operations run with a blocking
//! syscall and their results checked, compute steps run on the shared input.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use iobound_workloads::{compute, dataset};
use iobound_workloads::{FileRole, FileSpec, Input, Kernel, Request, Step};

use super::net;
use super::{After, Done, IoBufs, Op, OpenError, StepError, Steps, Todo};

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
