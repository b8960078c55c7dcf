//! The parent's side of the `procs` engine: starting the worker processes,
//! handing them the cell's requests from one FIFO of slots, and accounting
//! for their CPU time, memory and the cost of the process boundary.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::wire::{encode, Reply, Setup, MAX_BODY};
use super::{Failure, ProcsOptions, NAME, STALL};
use crate::engine::{blocking_request_with, CellCtx, Children, EngineError, CHILD_ENV};
use crate::exec::IoBufs;
use crate::load::{Clock, Slot, Ticket};
use crate::procfs::{self, Proc};
use crate::record::Recorder;
use crate::resources::Usage;

/// Runs a cell on a pool of worker processes started for it.
pub(super) fn run(ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
    if std::env::var_os(CHILD_ENV).is_some() {
        // A binary that ran its own main as our worker must not start a
        // pool of its own: that would recurse.
        return Err(EngineError::Other(format!(
            "a process started with {CHILD_ENV} cannot start procs workers"
        )));
    }
    let setup = Setup::of(ctx);
    let mut pool = Pool::default();
    for id in 0..ctx.settings.get::<ProcsOptions>().workers() {
        pool.start(id, &setup)?;
    }
    let queue: Mutex<VecDeque<Pending>> = Mutex::new(VecDeque::new());
    let start_usage: Vec<Option<Usage>> = pool
        .workers
        .iter()
        .map(|w| {
            // VmHWM from here on: the worker's set-up is not the cell's.
            procfs::reset_peak_rss(Proc::Pid(w.pid));
            usage_of(w.pid)
        })
        .collect();
    // The workers are idle until the first request: the readings above
    // are theirs at the clock's start.
    let clock = ctx.begin();
    let start = Instant::now();
    queue
        .lock()
        .expect("fresh")
        .extend(Slot::all(&ctx.plan).into_iter().map(|slot| Pending {
            slot,
            issued: start,
        }));
    let outcomes: Vec<Result<Driven, Failure>> = std::thread::scope(|s| {
        let (first, rest) = pool.workers.split_first().expect("at least one worker");
        let handles: Vec<_> = rest
            .iter()
            .map(|w| {
                let (queue, clock) = (&queue, &clock);
                std::thread::Builder::new()
                    .name(format!("iobound-procs{}", w.id))
                    .spawn_scoped(s, move || drive(ctx, clock, queue, w))
            })
            .collect();
        if handles.iter().any(Result::is_err) {
            // Stop at once rather than run the cell one worker short.
            ctx.fail();
        }
        let mut out = vec![drive(ctx, &clock, &queue, first)];
        for h in handles {
            out.push(match h {
                Ok(h) => h.join().unwrap_or_else(|p| {
                    ctx.fail();
                    Err(Failure::Panic(crate::engine::panic_message(p.as_ref())))
                }),
                Err(e) => {
                    ctx.fail();
                    Err(Failure::Thread(e))
                }
            });
        }
        out
    });
    // Every request has its answer: the workers are idle again.
    let mut children = Children {
        processes: pool.workers.len(),
        ..Children::default()
    };
    for (w, before) in pool.workers.iter().zip(&start_usage) {
        if let (Some(before), Some(after)) = (before, usage_of(w.pid)) {
            let d = after.since(before);
            children.usage.user += d.user;
            children.usage.sys += d.sys;
            children.usage.voluntary_switches += d.voluntary_switches;
            children.usage.involuntary_switches += d.involuntary_switches;
        }
        children.peak_rss_bytes += procfs::status(Proc::Pid(w.pid))
            .and_then(|s| s.vm_hwm)
            .unwrap_or(0);
    }
    ctx.report_children(children);

    let mut recorders = Vec::with_capacity(outcomes.len());
    let mut boundary = Boundary::default();
    let mut first_error = None;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(d) => {
                recorders.push(d.recorder);
                boundary.add(&d.boundary);
            }
            Err(f) => {
                let e = pool.explain(i, f);
                first_error.get_or_insert(e);
            }
        }
    }
    let closed = pool.close();
    if let Some(e) = first_error {
        return Err(e);
    }
    if let Some((id, pid, status, said)) = closed
        .into_iter()
        .find(|(_, _, status, _)| !status.is_some_and(|s| s.success()))
    {
        let status = status.map_or("did not exit".into(), |s| s.to_string());
        return Err(EngineError::Other(format!(
            "procs worker {id} (pid {pid}) ended badly: {status}{said}"
        )));
    }
    if let Some(note) = boundary.note() {
        ctx.note(note);
    }
    Ok(recorders)
}

/// A slot waiting for a worker, and when it issued its next request.
struct Pending {
    slot: Slot,
    issued: Instant,
}

/// What crossing the process boundary cost, over measured requests.
#[derive(Debug, Default, Clone, Copy)]
struct Boundary {
    requests: u64,
    /// Dispatch to result, as the parent saw it.
    round_trip: Duration,
    /// The same requests as the workers timed them.
    service: Duration,
}

impl Boundary {
    fn add(&mut self, o: &Boundary) {
        self.requests += o.requests;
        self.round_trip += o.round_trip;
        self.service += o.service;
    }

    /// One line for the cell's notes, if any request was measured.
    fn note(&self) -> Option<String> {
        let n = self.requests as f64;
        (self.requests > 0).then(|| {
            let us = |d: Duration| d.as_secs_f64() * 1e6 / n;
            format!(
                "process boundary: {:.1} µs per request on top of {:.1} µs of work \
                 (round trip to a worker, minus its own timing of the request)",
                us(self.round_trip.saturating_sub(self.service)),
                us(self.service)
            )
        })
    }
}

/// What one parent thread brings back.
struct Driven {
    recorder: Recorder,
    boundary: Boundary,
}

/// One parent thread: takes the oldest pending slot, has worker `w` run its
/// next request, records it, queues the slot again; until no slot is left.
fn drive(
    ctx: &CellCtx<'_>,
    clock: &Clock,
    queue: &Mutex<VecDeque<Pending>>,
    w: &Worker,
) -> Result<Driven, Failure> {
    let mut recorder = ctx.new_recorder();
    let mut boundary = Boundary::default();
    // Appends reserve their position here; the stamp this writes is unused.
    let mut scratch = IoBufs::new(16);
    let mut msg = [0u8; 1 + MAX_BODY];
    let mut chan = w.chan.as_ref().expect("open until the pool closes");
    // The queue only shrinks: a slot is pushed back only by the thread that
    // popped it, in the same breath as it takes the next one. So a thread
    // that finds it empty has nothing left to wait for.
    let take = |back: Option<Pending>| {
        let mut q = queue.lock().expect("never poisoned");
        if let Some(p) = back {
            q.push_back(p);
        }
        q.pop_front()
    };
    let mut next = take(None);
    while let Some(mut p) = next {
        let run = |ticket: &Ticket, req: iobound_workloads::Request| {
            let len = encode(&req, ctx.files, &mut scratch, &mut msg);
            let dispatched = Instant::now();
            let reply = chan
                .write_all(&msg[..len])
                .map_err(Failure::from)
                .and_then(|()| Reply::read(&mut chan));
            let (done, service) = match reply? {
                Reply::Done { done, service } => (done, service),
                Reply::Error(text) => return Err(Failure::Request(text)),
                Reply::Ready => return Err(Failure::Protocol("a second ready message".into())),
            };
            if ticket.measured {
                boundary.requests += 1;
                boundary.round_trip += dispatched.elapsed();
                boundary.service += service;
            }
            Ok(done)
        };
        match blocking_request_with(ctx, clock, &mut p.slot, &mut recorder, w.id, p.issued, run)? {
            Some(end) => {
                p.issued = end;
                next = take(Some(p));
            }
            None => next = take(None),
        }
    }
    Ok(Driven { recorder, boundary })
}

/// A started worker process and the parent's end of its channel.
struct Worker {
    id: usize,
    pid: u32,
    child: Child,
    /// `None` once closed: the worker then reads EOF and exits.
    chan: Option<UnixStream>,
    stderr: Option<ChildStderr>,
}

/// The cell's workers. Dropping it (an early error, a panic) still closes
/// and reaps every one, so no worker or zombie outlives a cell.
#[derive(Default)]
struct Pool {
    workers: Vec<Worker>,
}

/// How long closed workers get to exit before they are killed.
const EXIT_GRACE: Duration = Duration::from_secs(5);

impl Pool {
    /// Starts worker `id`, sends it the set-up, and waits until it is ready
    /// to take requests (files open, connected).
    fn start(&mut self, id: usize, setup: &Setup) -> Result<(), EngineError> {
        let (ours, theirs) = UnixStream::pair().map_err(EngineError::Spawn)?;
        let mut cmd = worker_command().map_err(EngineError::Spawn)?;
        cmd.env(CHILD_ENV, NAME)
            // The socket is the worker's stdin, read and written both ways;
            // stdout is not used, so nothing printed there can corrupt it.
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group: a terminal's Ctrl-C reaches iobound,
            // which stops the cell cleanly, not the workers mid-request.
            .process_group(0);
        crate::resources::die_with_parent(&mut cmd);
        let mut child = cmd.spawn().map_err(EngineError::Spawn)?;
        drop(cmd);
        let pid = child.id();
        let handshake = ours
            .set_read_timeout(Some(STALL))
            .map_err(Failure::Io)
            .and_then(|()| setup.send(&ours))
            .and_then(|()| Reply::read(&mut &ours));
        self.workers.push(Worker {
            id,
            pid,
            stderr: child.stderr.take(),
            child,
            chan: Some(ours),
        });
        let index = self.workers.len() - 1;
        match handshake {
            Ok(Reply::Ready) => Ok(()),
            Ok(Reply::Error(why)) => Err(EngineError::Other(format!(
                "procs worker {id} (pid {pid}) could not set up: {why}"
            ))),
            Ok(Reply::Done { .. }) => {
                let e = Failure::Protocol("a result before any request".into());
                Err(self.explain(index, e))
            }
            Err(f) => Err(self.explain(index, f)),
        }
    }

    /// The error that ends the cell when worker `i` failed: dead or stuck
    /// workers are killed and reaped first, so their status and last words
    /// can be told.
    fn explain(&mut self, i: usize, f: Failure) -> EngineError {
        let w = &mut self.workers[i];
        let (id, pid) = (w.id, w.pid);
        let how = match f {
            Failure::Stalled => {
                let _ = w.child.kill();
                let _ = wait_until(&mut w.child, Instant::now() + EXIT_GRACE);
                format!(", so it was killed{}", last_words(w.stderr.as_mut()))
            }
            Failure::Died => {
                // EOF came: it is dead, or exiting.
                let status = wait_until(&mut w.child, Instant::now() + EXIT_GRACE);
                let status = status.map_or(String::new(), |s| format!(": {s}"));
                format!("{status}{}", last_words(w.stderr.as_mut()))
            }
            _ => String::new(),
        };
        EngineError::Other(format!("procs worker {id} (pid {pid}) {f}{how}"))
    }

    /// Closes every channel, so idle workers read EOF and exit, and reaps
    /// them all (killing any still running after [`EXIT_GRACE`]). Returns
    /// each worker's id, pid, exit status and last words.
    fn close(&mut self) -> Vec<(usize, u32, Option<ExitStatus>, String)> {
        for w in &mut self.workers {
            w.chan = None;
        }
        let deadline = Instant::now() + EXIT_GRACE;
        self.workers
            .drain(..)
            .map(|mut w| {
                let status = wait_until(&mut w.child, deadline);
                let said = if status.is_some_and(|s| s.success()) {
                    String::new()
                } else {
                    last_words(w.stderr.as_mut())
                };
                (w.id, w.pid, status, said)
            })
            .collect()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.close();
    }
}

/// Waits for `child` until `deadline`, then kills it; `None` if it could
/// not be reaped at all.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(s)) => return Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
            Ok(None) => {
                let _ = child.kill();
                return child.wait().ok();
            }
            Err(_) => return None,
        }
    }
}

/// The last line an exited worker wrote to stderr, as `"; it said: ..."`.
fn last_words(stderr: Option<&mut ChildStderr>) -> String {
    let mut text = Vec::new();
    if let Some(e) = stderr {
        // Its write end closed when it exited: this reads to EOF at once.
        let _ = e.take(64 << 10).read_to_end(&mut text);
    }
    let text = String::from_utf8_lossy(&text);
    match text.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => format!("; it said: {}", line.trim()),
        None => String::new(),
    }
}

/// The name of the unit test that turns the test binary into a worker.
#[cfg(test)]
pub(super) const WORKER_TEST: &str = "engine::procs::tests::worker_entry";

/// The command that starts a worker: this very binary. Under `cargo test`
/// that is the library's test binary, where libtest runs only
/// [`WORKER_TEST`], which serves as the worker — the same code as the
/// `iobound` binary's, without depending on a separately built `iobound`
/// that may be missing or stale.
fn worker_command() -> io::Result<Command> {
    #[cfg_attr(not(test), allow(unused_mut))]
    let mut cmd = crate::resources::self_command()?;
    #[cfg(test)]
    cmd.args(["--exact", WORKER_TEST, "--nocapture", "--test-threads=1"]);
    Ok(cmd)
}

/// CPU time and context switches of process `pid` so far, from /proc.
fn usage_of(pid: u32) -> Option<Usage> {
    let (user, sys) = crate::resources::cpu_of(pid)?;
    let status = procfs::status(Proc::Pid(pid))?;
    Some(Usage {
        user: Duration::from_nanos(user),
        sys: Duration::from_nanos(sys),
        voluntary_switches: status.voluntary_switches.unwrap_or(0),
        involuntary_switches: status.involuntary_switches.unwrap_or(0),
    })
}
