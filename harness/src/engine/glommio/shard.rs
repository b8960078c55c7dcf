//! One glommio executor of a cell: its files and connections opened
//! inside it before the clock starts, then one task per slot, each walking
//! its requests' steps with glommio's own files and sockets.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::Instant;

use ::glommio::io::{BufferedFile, DmaFile, OpenOptions, ReadResult};
use ::glommio::net::TcpStream;
use ::glommio::LocalExecutorBuilder;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use iobound_workloads::Request;

use super::{io_memory_needed, memlock_limit, mib, Gate, GlommioOptions, DEFAULT_IO_MEMORY};
use crate::engine::{CellCtx, EngineError};
use crate::exec::{Done, IoBufs, Op, StepError, Steps, Todo};
use crate::load::{Clock, Slot};
use crate::record::Recorder;

/// One executor, on the calling thread, running `slots` as one task each;
/// `worker` is its recorder's index. Every executor of a cell meets at
/// `ready` once set up, and the clock starts after that.
pub(super) fn executor(
    ctx: &CellCtx<'_>,
    builder: LocalExecutorBuilder,
    worker: usize,
    slots: Vec<Slot>,
    ready: &Gate,
) -> Result<Recorder, EngineError> {
    let needed = io_memory_needed(ctx.workload, slots.len());
    let io_memory = match ctx.settings.get::<GlommioOptions>().glommio_io_memory {
        Some(m) => {
            let m = usize::try_from(m).unwrap_or(usize::MAX);
            if m < needed {
                ctx.note(format!(
                    "--glommio-io-memory {} is below the {} this cell's slots may hold at once: glommio serves buffers it cannot fit from the standard allocator, unregistered",
                    mib(m as u64),
                    mib(needed as u64)
                ));
            }
            m
        }
        None => needed.max(DEFAULT_IO_MEMORY),
    };
    let ex = match builder.io_memory(io_memory).make() {
        Ok(ex) => ex,
        Err(e) => {
            // The other executors wait for this one; let them go, and stop them.
            ctx.fail();
            ready.arrive_and_wait();
            return Err(EngineError::Other(format!(
                "cannot start a glommio executor: {e}"
            )));
        }
    };
    ex.run(async {
        let set_up = Shard::set_up(ctx, worker, slots, io_memory).await;
        if set_up.is_err() {
            ctx.fail();
        }
        ready.arrive_and_wait();
        let (shard, states) = set_up?;
        shard.run(states).await
    })
}

/// A workload file as glommio opened it.
enum File {
    Dma(DmaFile),
    Buffered(BufferedFile),
}

/// What one executor's tasks share.
struct Shard<'c> {
    ctx: &'c CellCtx<'c>,
    worker: usize,
    files: Vec<File>,
    rec: RefCell<Recorder>,
}

/// One slot's task state.
struct Task {
    slot: Slot,
    bufs: IoBufs,
    conn: Option<TcpStream>,
    /// The request's latest file read, where glommio put it; `None` when
    /// its latest read was a receive into `bufs.read`.
    last: Option<ReadResult>,
}

impl<'c> Shard<'c> {
    /// Opens the workload's files and the slots' connections, inside the
    /// executor and before the clock starts.
    async fn set_up(
        ctx: &'c CellCtx<'c>,
        worker: usize,
        slots: Vec<Slot>,
        io_memory: usize,
    ) -> Result<(Shard<'c>, Vec<Task>), EngineError> {
        if !registered_buffers() {
            ctx.note(unregistered_note(io_memory));
        }
        let mut files = Vec::with_capacity(ctx.workload.files().len());
        for i in 0..ctx.workload.files().len() {
            files.push(open(ctx, i).await?);
        }
        let target = match ctx.workload.service() {
            Some(_) => Some(ctx.files.target().ok_or(StepError::NoTarget)?),
            None => None,
        };
        let mut tasks = Vec::with_capacity(slots.len());
        for slot in slots {
            let bufs = IoBufs::new(ctx.workload.max_transfer());
            let conn = match target {
                Some(addr) => {
                    let c = connect(addr).await?;
                    // SAFETY: the descriptor is the stream's, open while
                    // it lives; watch_socket only duplicates it.
                    ctx.watch_socket(unsafe { std::os::fd::BorrowedFd::borrow_raw(c.as_raw_fd()) });
                    Some(c)
                }
                None => None,
            };
            tasks.push(Task {
                slot,
                bufs,
                conn,
                last: None,
            });
        }
        let shard = Shard {
            ctx,
            worker,
            files,
            rec: RefCell::new(ctx.new_recorder()),
        };
        Ok((shard, tasks))
    }

    /// Runs every slot as its own task until all are done.
    async fn run(self, tasks: Vec<Task>) -> Result<Recorder, EngineError> {
        let clock = self.ctx.begin();
        let start = Instant::now();
        let shard = &self;
        let clock = &clock;
        let handles: Vec<_> = tasks
            .into_iter()
            .map(|t| {
                // SAFETY: the task borrows `self` and `clock`, which outlive
                // it: every handle is awaited below before they go away, and
                // none is forgotten (an unwinding panic drops them, which
                // cancels their tasks first).
                unsafe { ::glommio::spawn_scoped_local(t.run(shard, clock, start)) }
            })
            .collect();
        let mut first_error = None;
        for h in handles {
            if let Err(e) = h.await {
                self.ctx.fail();
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(self.rec.into_inner()),
        }
    }
}

/// Whether glommio's I/O memory is registered with io_uring. glommio says
/// so only in a log line; a buffer's Debug form shows its registration.
/// Must run inside an executor.
fn registered_buffers() -> bool {
    format!("{:?}", ::glommio::allocate_dma_buffer(4096)).contains("uring_buffer_id: Some")
}

/// Why glommio's I/O memory went unregistered, as far as can be told: each
/// of its three rings pins that memory again, and without CAP_IPC_LOCK the
/// kernel counts every pin against RLIMIT_MEMLOCK.
fn unregistered_note(io_memory: usize) -> String {
    let why = if has_cap_ipc_lock() {
        "io_uring refused to register it (glommio only logs why)".to_string()
    } else {
        let limit = match memlock_limit() {
            u64::MAX => "unlimited".to_string(),
            l => mib(l),
        };
        format!(
            "without CAP_IPC_LOCK its three rings need 3 x {} of locked memory, and RLIMIT_MEMLOCK is {limit}: raise ulimit -l or lower --glommio-io-memory",
            mib(io_memory as u64)
        )
    };
    format!(
        "glommio could not register its {} of I/O memory with io_uring ({why}); its O_DIRECT reads and writes used unregistered buffers (READ/WRITE, not READ_FIXED/WRITE_FIXED)",
        mib(io_memory as u64)
    )
}

/// Whether this process holds CAP_IPC_LOCK (bit 14 of CapEff), which
/// exempts io_uring's pinned buffers from RLIMIT_MEMLOCK.
fn has_cap_ipc_lock() -> bool {
    const CAP_IPC_LOCK: u32 = 14;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let hex = s
                .lines()
                .find_map(|l| l.strip_prefix("CapEff:"))?
                .trim()
                .to_string();
            u64::from_str_radix(&hex, 16).ok()
        })
        .is_some_and(|caps| caps >> CAP_IPC_LOCK & 1 == 1)
}

/// Opens workload file `i` the way the cell asks: O_DIRECT or buffered.
async fn open(ctx: &CellCtx<'_>, i: usize) -> Result<File, EngineError> {
    let path = ctx.files.path(i);
    let failed = |e: ::glommio::GlommioError<()>| {
        EngineError::Other(format!("glommio cannot open {}: {e}", path.display()))
    };
    let mut opts = OpenOptions::new();
    opts.read(true).write(true);
    if !ctx.files.direct() {
        return opts
            .buffered_open(path)
            .await
            .map(File::Buffered)
            .map_err(failed);
    }
    let f = opts.dma_open(path).await.map_err(failed)?;
    // glommio quietly opens files on tmpfs without O_DIRECT; a cell that
    // asked for it must not run buffered.
    // SAFETY: fcntl F_GETFL on an fd the DmaFile keeps open reads its flags.
    let flags = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 || flags & libc::O_DIRECT == 0 {
        return Err(EngineError::Other(format!(
            "glommio opened {} without O_DIRECT (a filesystem without direct I/O?)",
            path.display()
        )));
    }
    Ok(File::Dma(f))
}

/// Connects to the server with glommio (io_uring CONNECT), without
/// Nagle's delay, with the blocking engines' time limit on a silent server.
async fn connect(addr: SocketAddr) -> Result<TcpStream, StepError> {
    let failed = |e: ::glommio::GlommioError<()>| StepError::Connect {
        addr,
        source: e.into(),
    };
    let s = TcpStream::connect(addr).await.map_err(failed)?;
    s.set_nodelay(true)
        .and_then(|()| s.set_read_timeout(Some(crate::exec::net::PEER_TIMEOUT)))
        .and_then(|()| s.set_write_timeout(Some(crate::exec::net::PEER_TIMEOUT)))
        .map_err(failed)?;
    Ok(s)
}

fn no_conn() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotConnected, "no connection")
}

impl Task {
    /// The slot's requests, one after another, until it has no more.
    async fn run(
        mut self,
        shard: &Shard<'_>,
        clock: &Clock,
        start: Instant,
    ) -> Result<(), EngineError> {
        let ctx = shard.ctx;
        let mut now = start;
        while let Some(ticket) = self.slot.next(clock, now, &ctx.abort) {
            // Open loop: wait for the request's place on the schedule; a
            // late slot starts at once, its latency still counted from the
            // intended start.
            let mut sent = now;
            if ctx.plan.rate.is_some() {
                let t = Instant::now();
                if ticket.intended > t {
                    ::glommio::timer::sleep(ticket.intended - t).await;
                }
                sent = Instant::now();
            }
            let req = ctx.workload.request(ticket.index);
            let done = match self.request(shard, &req).await {
                Ok(done) => done,
                Err(e) => return ctx.failed(EngineError::from(e)).map_or(Ok(()), Err),
            };
            let end = Instant::now();
            ctx.record(
                &mut shard.rec.borrow_mut(),
                shard.worker,
                &ticket,
                sent,
                end,
                done,
            );
            now = end;
        }
        Ok(())
    }

    /// Every step of `req` in order ([`Steps`]), with glommio doing the I/O.
    async fn request(&mut self, shard: &Shard<'_>, req: &Request) -> Result<Done, StepError> {
        let files = shard.ctx.files;
        let mut steps = Steps::new(*req);
        self.last = None;
        loop {
            match steps.next(files, &mut self.bufs) {
                Todo::Compute(kernel, input) => {
                    // The step waits its turn at the back of glommio's run
                    // queue, as uring's compute steps wait in its ready
                    // queue. glommio is cooperative: without this, a task
                    // with no I/O left to await would never give way, and
                    // one slot would run every request of a compute-only
                    // cell while the others starved.
                    futures_lite::future::yield_now().await;
                    let last = self.last.as_deref().unwrap_or(self.bufs.read.as_slice());
                    steps.computed(files.compute(kernel, input, last));
                }
                Todo::Io(op) => {
                    let moved = self.io(shard, op).await;
                    steps.completed(files, moved, &mut self.bufs, shard.ctx.verify)?;
                }
                Todo::Done(done) => return Ok(done),
            }
        }
    }

    /// Runs one operation on glommio; returns the bytes it moved.
    async fn io(&mut self, shard: &Shard<'_>, op: Op) -> std::io::Result<usize> {
        match op {
            Op::Read { file, offset, len } => {
                // Give the previous result's buffer back before taking another.
                self.last = None;
                let r = match &shard.files[file] {
                    File::Dma(f) => f.read_at_aligned(offset, len as usize).await,
                    File::Buffered(f) => f.read_at(offset, len as usize).await,
                }?;
                let n = r.len();
                if shard.ctx.verify {
                    // The content check looks in the slot's read buffer.
                    self.bufs.read.as_mut_slice()[..n].copy_from_slice(&r);
                }
                self.last = Some(r);
                Ok(n)
            }
            Op::Write { file, offset, len } => {
                let payload = &self.bufs.write.as_slice()[..len as usize];
                Ok(match &shard.files[file] {
                    File::Dma(f) => {
                        let mut b = f.alloc_dma_buffer(payload.len());
                        b.as_bytes_mut().copy_from_slice(payload);
                        f.write_at(b, offset).await
                    }
                    File::Buffered(f) => f.write_at(payload.to_vec(), offset).await,
                }?)
            }
            Op::Fdatasync { file } => {
                match &shard.files[file] {
                    File::Dma(f) => f.fdatasync().await,
                    File::Buffered(f) => f.fdatasync().await,
                }?;
                Ok(0)
            }
            Op::Send { off, len } => {
                let (o, l) = (off as usize, len as usize);
                let conn = self.conn.as_mut().ok_or_else(no_conn)?;
                conn.write(&self.bufs.write.as_slice()[o..o + l]).await
            }
            Op::Recv { off } => {
                self.last = None;
                let conn = self.conn.as_mut().ok_or_else(no_conn)?;
                conn.read(&mut self.bufs.read.as_mut_slice()[off as usize..])
                    .await
            }
        }
    }
}
