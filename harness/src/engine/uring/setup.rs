//! A cell's ring: built with the engine's setup flags, the data files and
//! the slots' buffers registered with the kernel when the options ask.

use io_uring::IoUring;
use iobound_workloads::{FileRole, FileSpec};

use super::slot::{FixedBufs, InFlight, Registered};
use super::RingOptions;
use crate::engine::{CellCtx, EngineError};
use crate::ring::{self, RingSetup};

/// A ring with room for every slot and the eventfd read, built with the
/// options' setup flags (a step down the kernel forced is noted on the
/// cell), and the cell's data files registered when asked.
pub(super) fn open_ring(
    ctx: &CellCtx<'_>,
    opts: &RingOptions,
) -> Result<(IoUring, RingSetup), EngineError> {
    // One extra entry for the eventfd read.
    let entries = u32::try_from(ctx.plan.concurrency + 1)
        .unwrap_or(u32::MAX)
        .next_power_of_two()
        .max(8);
    let built =
        ring::build(entries, opts.taskrun, opts.sqpoll.0).map_err(|source| EngineError::Uring {
            what: if opts.sqpoll.0.is_some() {
                "cannot create a ring with SQPOLL"
            } else {
                "cannot create a ring"
            },
            source,
        })?;
    for f in &built.fallbacks {
        ctx.note(f.clone());
    }
    let got = built.ring.params().sq_entries();
    if got < entries {
        ctx.note(format!(
            "the kernel's rings hold at most {got} entries ({entries} asked): \
             a slot's entry waits for room when every one is taken"
        ));
    }
    let mut setup = RingSetup {
        flags: built.flags,
        sq_thread_idle_ms: opts.sqpoll.0,
        submit_batch: opts.submit_batch,
        wait_count: opts.wait_count,
        ..RingSetup::default()
    };
    let fds = ctx.files.raw_fds();
    // The kernel refuses an empty table; a workload without files has no
    // use for one. Sockets stay plain descriptors: the table is the data
    // files' (index = the workload's file number), and a send or receive
    // costs the network stack far more than the descriptor lookup.
    if opts.register_files.on() && !fds.is_empty() {
        built
            .ring
            .submitter()
            .register_files(&fds)
            .map_err(|source| EngineError::Uring {
                what: "cannot register files",
                source,
            })?;
        setup.registered_files = fds.len();
    }
    Ok((built.ring, setup))
}

/// Registers the slots' buffers the workload's steps use as fixed buffers
/// (see [`buffers_for`], and [`FixedBufs`] for their indices) when asked and
/// the workload has files to read or write (network steps keep plain
/// buffers). A kernel or memlock limit that refuses them leaves the plain
/// buffers in use, noted on the cell; the cell's `RingSetup` then records
/// none, which is what `iobound fio` matches fio's options to.
pub(super) fn register(
    ctx: &CellCtx<'_>,
    ring: &IoUring,
    slots: &[InFlight],
    opts: &RingOptions,
    setup: &mut RingSetup,
) -> Result<Registered, EngineError> {
    let plain_fds = (setup.registered_files == 0).then(|| ctx.files.raw_fds());
    let mut reg = Registered {
        plain_fds,
        buffers: FixedBufs::default(),
    };
    let wanted = buffers_for(ctx.workload.files());
    if !opts.fixed_buffers.on() || ctx.files.raw_fds().is_empty() || wanted.per_slot() == 0 {
        return Ok(reg);
    }
    // The same order as `FixedBufs`'s indices: slot by slot, read then write.
    let iovecs: Vec<libc::iovec> = slots
        .iter()
        .flat_map(|s| {
            let read = wanted.read.then_some(&s.bufs.read);
            read.into_iter()
                .chain(wanted.write.then_some(&s.bufs.write))
        })
        .map(|b| libc::iovec {
            iov_base: b.as_slice().as_ptr() as *mut libc::c_void,
            iov_len: b.len(),
        })
        .collect();
    // SAFETY: the buffers live in `slots` (heap allocations that do not move
    // with the vector) until `Loop::finish` unregisters them, or are leaked
    // by `abandon` while the ring may still use them.
    match unsafe { ring.submitter().register_buffers(&iovecs) } {
        Ok(()) => {
            reg.buffers = wanted;
            setup.fixed_buffers = iovecs.len();
        }
        Err(e) => ctx.note(format!(
            "--fixed-buffers on: the kernel refused {} buffers ({e}): plain buffers used",
            iovecs.len()
        )),
    }
    Ok(reg)
}

/// The buffers worth registering for a workload's files: requests read
/// data files and append to logs ([`FileRole`]), so read buffers for the
/// first, write buffers for the second. A step outside that rule still
/// runs, with its plain buffer (`InFlight::entry_for`).
fn buffers_for(files: &[FileSpec]) -> FixedBufs {
    FixedBufs {
        read: files.iter().any(|f| f.role == FileRole::Data),
        write: files.iter().any(|f| f.role == FileRole::Log),
    }
}
