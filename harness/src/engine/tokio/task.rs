//! One slot's task on tokio: its requests one after another, each step
//! performed the tokio way (sockets as tokio's, file operations on the
//! blocking pool), the open loop's waits on tokio's timer.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use ::tokio::io::{AsyncReadExt, AsyncWriteExt};
use ::tokio::net::TcpStream;

use iobound_workloads::Request;

use super::{Ctx, Shared};
use crate::engine::EngineError;
use crate::exec::{Done, IoBufs, Op, Steps, Todo};
use crate::load::{Clock, Slot};

/// One slot's requests, one after another, as one task. Mirrors
/// [`super::blocking_request`]: a closed-loop request starts when the
/// previous one ends; an open-loop one waits for its intended start, from
/// which its latency counts.
pub(super) async fn slot_loop(
    ctx: Ctx,
    shared: Arc<Shared>,
    clock: Clock,
    mut slot: Slot,
    mut bufs: IoBufs,
    mut conn: Option<TcpStream>,
) -> Result<(), EngineError> {
    let mut start = Instant::now();
    while let Some(ticket) = slot.next(&clock, start, &ctx.abort) {
        let mut sent = start;
        if ctx.plan.rate.is_some() {
            if ticket.intended > Instant::now() {
                ::tokio::time::sleep_until(ticket.intended.into()).await;
            }
            sent = Instant::now();
        }
        let req = ctx.workload.request(ticket.index);
        let mut run = std::pin::pin!(request(ctx, &req, bufs, &mut conn));
        let mut suspended = false;
        let outcome = std::future::poll_fn(|cx| {
            let p = run.as_mut().poll(cx);
            suspended |= p.is_pending();
            p
        })
        .await;
        let done;
        (bufs, done) = match outcome {
            Ok(x) => x,
            Err(e) => return ctx.failed(e).map_or(Ok(()), Err),
        };
        let end = Instant::now();
        shared.record(ctx, &ticket, sent, end, done)?;
        start = end;
        if !suspended {
            // The request never gave the thread back (compute steps only,
            // say): without a yield this task would run its next one at
            // once, and the other slots' requests would never start, so the
            // cell would not have `concurrency` requests outstanding. A
            // server's next request arrives through the runtime; here it
            // waits its turn behind the ready tasks, as on `uring`'s FIFO
            // ready queue, and that wait counts in its latency.
            ::tokio::task::yield_now().await;
        }
    }
    Ok(())
}

/// Runs every step of `req` in order ([`Steps`]). The buffers travel by
/// value, since a file operation lends them to a blocking-pool thread.
async fn request(
    ctx: Ctx,
    req: &Request,
    mut bufs: IoBufs,
    conn: &mut Option<TcpStream>,
) -> Result<(IoBufs, Done), EngineError> {
    let mut steps = Steps::new(*req);
    loop {
        match steps.next(ctx.files, &mut bufs) {
            // Inline, on the thread polling this task: its other tasks wait.
            Todo::Compute(kernel, input) => {
                steps.computed(ctx.files.compute(kernel, input, bufs.read.as_slice()));
            }
            Todo::Io(op) => {
                let moved;
                (bufs, moved) = perform(ctx, op, bufs, conn).await?;
                steps.completed(ctx.files, moved, &mut bufs, ctx.verify)?;
            }
            Todo::Done(done) => return Ok((bufs, done)),
        }
    }
}

/// One operation: a send or receive on the task's tokio socket, or a file
/// syscall on tokio's blocking pool. Returns the buffers and what the
/// operation returned.
async fn perform(
    ctx: Ctx,
    op: Op,
    mut bufs: IoBufs,
    conn: &mut Option<TcpStream>,
) -> Result<(IoBufs, std::io::Result<usize>), EngineError> {
    let moved = match op {
        Op::Send { off, len } => match conn {
            Some(c) => {
                let data = &bufs.write.as_slice()[off as usize..(off + len) as usize];
                c.write(data).await
            }
            None => Err(not_connected()),
        },
        Op::Recv { off } => match conn {
            Some(c) => {
                let space = &mut bufs.read.as_mut_slice()[off as usize..];
                c.read(space).await
            }
            None => Err(not_connected()),
        },
        Op::Read { .. } | Op::Write { .. } | Op::Fdatasync { .. } => {
            return ::tokio::task::spawn_blocking(move || {
                let moved = ctx.files.run_blocking(&op, &mut bufs);
                (bufs, moved)
            })
            .await
            .map_err(|e| EngineError::Other(format!("a blocking-pool {} failed: {e}", op.name())));
        }
    };
    Ok((bufs, moved))
}

fn not_connected() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotConnected, "no connection")
}
