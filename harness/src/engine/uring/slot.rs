//! One slot of the completion loop: its request, buffers and timeout, and
//! the submission entry for each of its operations.

use std::os::fd::{AsRawFd, RawFd};
use std::time::Instant;

use io_uring::{opcode, squeue, types};
use iobound_workloads::{Input, Kernel};

use super::super::CellCtx;
use crate::exec::{IoBufs, Op, Steps, Todo};
use crate::load::{Clock, Slot};
use crate::record::Recorder;

/// Set in the `user_data` of an open-loop slot's wait for its next start.
pub(super) const WAIT_BIT: u64 = 1 << 62;

/// How entries name the data files and the slots' buffers.
pub(super) struct Registered {
    /// The files' descriptors when they are not registered; `None`: the
    /// ring's fixed-file table, where file `i` is entry `i`.
    pub plain_fds: Option<Vec<RawFd>>,
    /// Which of the slots' buffers are the ring's fixed buffers.
    pub buffers: FixedBufs,
}

/// Which of every slot's two buffers are registered, in the order
/// `register` hands them to the kernel: slot by slot, its read buffer
/// (when registered) before its write buffer (when registered). Only the
/// kinds the workload's steps use are registered, so a read-only workload
/// pins half the memory and meets RLIMIT_MEMLOCK later.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct FixedBufs {
    pub read: bool,
    pub write: bool,
}

impl FixedBufs {
    /// Registered buffers per slot.
    pub fn per_slot(self) -> usize {
        usize::from(self.read) + usize::from(self.write)
    }

    /// Slot `id`'s read buffer's index, when registered. At most 16384
    /// buffers register (the kernel's limit), so the index fits a u16.
    pub fn read_index(self, id: usize) -> Option<u16> {
        self.read.then(|| (self.per_slot() * id) as u16)
    }

    /// Slot `id`'s write buffer's index, when registered.
    pub fn write_index(self, id: usize) -> Option<u16> {
        self.write
            .then(|| (self.per_slot() * id + usize::from(self.read)) as u16)
    }
}

/// Builds `$e` with `$t` bound to file `$file` as the ring knows it: a
/// fixed-file index or a plain descriptor. (A macro: the two are distinct
/// types, and the trait the opcodes take them by is sealed.)
macro_rules! with_file {
    ($reg:expr, $file:expr, |$t:ident| $e:expr) => {
        match &$reg.plain_fds {
            None => {
                let $t = types::Fixed($file as u32);
                $e
            }
            Some(fds) => {
                let $t = types::Fd(fds[$file]);
                $e
            }
        }
    };
}

/// What a slot does next.
pub(super) enum Next {
    Io(squeue::Entry),
    /// A timeout until its next request is due (open loop).
    Wait(squeue::Entry),
    Compute(Kernel, Input),
    Idle,
}

/// A slot's current request and where it stands.
pub(super) struct InFlight {
    slot: Slot,
    pub(super) bufs: IoBufs,
    pub(super) steps: Steps,
    /// The request's number, whether it is measured, and when it was
    /// meant to start (latency counts from there).
    ticket: crate::load::Ticket,
    /// When it was actually sent (open loop: the uncorrected latency's start).
    pub(super) sent: Instant,
    /// Open loop: how long to wait for the next intended start; the kernel
    /// reads it when the timeout entry is submitted.
    wait: types::Timespec,
}

/// How a slot's next request begins.
pub(super) enum Begin {
    /// The slot has no more requests.
    Idle,
    /// Now.
    Go,
    /// At its intended start, later (open loop).
    At(Instant),
}

impl InFlight {
    /// Every slot of the plan with its buffers and (network workloads) its
    /// connection, opened before the clock starts.
    pub(super) fn open_all(ctx: &CellCtx<'_>) -> Result<Vec<InFlight>, super::super::EngineError> {
        Slot::all(&ctx.plan)
            .into_iter()
            .map(|slot| {
                Ok(InFlight {
                    slot,
                    bufs: ctx.new_bufs()?,
                    steps: Steps::new(iobound_workloads::Request::new()),
                    ticket: crate::load::Ticket {
                        index: 0,
                        measured: false,
                        intended: Instant::now(),
                    },
                    sent: Instant::now(),
                    wait: types::Timespec::new(),
                })
            })
            .collect()
    }

    /// Sets up the slot's next request, intended to start at `now` in a
    /// closed loop, or at its place on the schedule in an open loop.
    pub(super) fn begin_next(&mut self, ctx: &CellCtx<'_>, clock: &Clock, now: Instant) -> Begin {
        let Some(t) = self.slot.next(clock, now, &ctx.abort) else {
            return Begin::Idle;
        };
        self.steps = Steps::new(ctx.workload.request(t.index));
        self.sent = now;
        self.ticket = t;
        if self.steps.is_empty() {
            Begin::Idle
        } else if t.intended > now {
            Begin::At(t.intended)
        } else {
            Begin::Go
        }
    }

    /// What the slot's current step waits on.
    pub(super) fn first(&mut self, ctx: &CellCtx<'_>, id: usize, reg: &Registered) -> Next {
        match self.steps.next(ctx.files, &mut self.bufs) {
            Todo::Compute(kernel, input) => Next::Compute(kernel, input),
            Todo::Io(op) => Next::Io(self.entry_for(op, id, reg)),
            Todo::Done(_) => unreachable!("a request is begun only with steps left"),
        }
    }

    /// A timeout entry that ends when the slot's next request is due.
    pub(super) fn wait_entry(&mut self, at: Instant, id: usize) -> squeue::Entry {
        let d = at.saturating_duration_since(Instant::now());
        self.wait = types::Timespec::new()
            .sec(d.as_secs())
            .nsec(d.subsec_nanos());
        opcode::Timeout::new(&self.wait as *const types::Timespec)
            .build()
            .user_data(id as u64 | WAIT_BIT)
    }

    /// Moves the slot past a finished step: records a finished request and
    /// starts the next. Says what the slot waits for now.
    pub(super) fn advance(
        &mut self,
        ctx: &CellCtx<'_>,
        clock: &Clock,
        rec: &mut Recorder,
        id: usize,
        now: Instant,
        reg: &Registered,
    ) -> Next {
        if self.steps.finished() {
            ctx.record(rec, 0, &self.ticket, self.sent, now, self.steps.done());
            match self.begin_next(ctx, clock, now) {
                Begin::Idle => return Next::Idle,
                Begin::At(at) => return Next::Wait(self.wait_entry(at, id)),
                Begin::Go => {}
            }
        }
        self.first(ctx, id, reg)
    }

    /// The submission entry for `op`, the slot's current operation.
    fn entry_for(&mut self, op: Op, id: usize, reg: &Registered) -> squeue::Entry {
        let sock = || types::Fd(self.bufs.conn.as_ref().map_or(-1, |c| c.as_raw_fd()));
        let entry = match op {
            Op::Send { off, len } => {
                // SAFETY: `off + len` lies within the write buffer (the frame
                // was encoded there).
                let p = unsafe { self.bufs.write.as_mut_ptr().add(off as usize) };
                opcode::Send::new(sock(), p, len)
                    .flags(libc::MSG_NOSIGNAL)
                    .build()
            }
            Op::Recv { off } => {
                let cap = (self.bufs.read.len() - off as usize) as u32;
                // SAFETY: `off` is at most the read buffer's length.
                let p = unsafe { self.bufs.read.as_mut_ptr().add(off as usize) };
                opcode::Recv::new(sock(), p, cap).build()
            }
            // The buffer's start and `len` lie within the registered buffer
            // (a slot's buffers are registered whole). A kind of buffer not
            // registered (its steps were not expected, see `register`) goes
            // as a plain read or write: never an index the ring lacks.
            Op::Read { file, offset, len } => {
                let buf = self.bufs.read.as_mut_ptr();
                with_file!(reg, file, |f| match reg.buffers.read_index(id) {
                    Some(i) => opcode::ReadFixed::new(f, buf, len, i)
                        .offset(offset)
                        .build(),
                    None => opcode::Read::new(f, buf, len).offset(offset).build(),
                })
            }
            Op::Write { file, offset, len } => {
                let buf = self.bufs.write.as_mut_ptr();
                with_file!(reg, file, |f| match reg.buffers.write_index(id) {
                    Some(i) => opcode::WriteFixed::new(f, buf, len, i)
                        .offset(offset)
                        .build(),
                    None => opcode::Write::new(f, buf, len).offset(offset).build(),
                })
            }
            Op::Fdatasync { file } => with_file!(reg, file, |f| opcode::Fsync::new(f)
                .flags(types::FsyncFlags::DATASYNC)
                .build()),
        };
        entry.user_data(id as u64)
    }
}
