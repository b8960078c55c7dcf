//! The `procs` engine: a pool of worker processes, every request crossing a
//! process boundary — Rust's version of Python's `multiprocessing.Pool`.
//!
//! Workers are `iobound` itself, started anew (`current_exe()` with
//! [`CHILD_ENV`]`=procs`, never a `fork()` of this multi-threaded process
//! without exec), one Unix socketpair each as their standard input. A worker
//! is told once what a cell needs (a small JSON [`Setup`]: file paths and
//! specs, O_DIRECT, compute input size, buffer size, verify flag, the
//! server's address), opens the files itself, builds the shared compute
//! input and opens its own connection to the server. Then it loops: one compact binary
//! request in, [`run_request_blocking`](crate::exec::FileSet::run_request_blocking),
//! one fixed-size reply out (`Done{bytes,digest}` and its own service time,
//! or an error's text).
//!
//! Requests travel as their steps, not their index (which would need the
//! workload rebuilt from `CellCtx::params` in the worker): appends must take
//! their positions from one tail shared by every worker, or two workers would
//! write the same blocks — so the parent reserves them ([`FileSet::resolve`])
//! and sends plain writes. A request is at most 121 bytes either way, and
//! Python's pool pickles each task's arguments the same way.
//!
//! A socketpair rather than two pipes: one channel both ways, EOF on either
//! side when the other dies, and `SO_RCVTIMEO`, so a worker that stops
//! answering fails the cell after [`STALL`] without a `poll` per request.
//!
//! The parent runs one thread per worker (the calling thread is the first):
//! each takes the oldest pending slot from a shared FIFO, sends its next
//! request, blocks for the reply, records it and queues the slot again. So
//! each worker has one request at a time, and a request's latency runs from
//! when its slot issued it, queueing included, as in `rayon`.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufReader, Read, Write};
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use iobound_workloads::{
    FileId, FileRole, FileSpec, Input, Kernel, Model, Msg, Request, Step, MAX_STEPS,
};

use super::{
    blocking_request_with, CellCtx, Children, Engine, EngineError, OptionSet, Settings, CHILD_ENV,
};
use crate::exec::{Done, FileSet, IoBufs, Op};
use crate::load::{Clock, Plan, Slot, Ticket};
use crate::record::Recorder;
use crate::resources::Usage;

pub struct Procs;

const NAME: &str = "procs";

// Options of the process pool.
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Engine procs")]
pub struct ProcsOptions {
    /// Worker processes of the procs engine [default: one per core]
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    pub procs_workers: Option<usize>,
}

impl ProcsOptions {
    /// The pool's size: as given, or one process per core.
    pub fn workers(&self) -> usize {
        self.procs_workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

impl OptionSet for ProcsOptions {
    const ID: &'static str = "procs";
}

const PROCS_OPTIONS: super::Options = super::Options::of::<ProcsOptions>();

/// How long a worker may leave a request (or the handshake) unanswered
/// before the cell fails: the longest latency a histogram records.
const STALL: Duration = Duration::from_nanos(crate::record::HIGHEST_NS);

impl Engine for Procs {
    fn name(&self) -> &'static str {
        NAME
    }

    fn summary(&self) -> &'static str {
        "each request sent over a socket to a pool of worker processes (one per core), blocking syscalls there"
    }

    fn model(&self) -> Model {
        Model::ProcessPool
    }

    fn options(&self) -> &'static [&'static super::Options] {
        &[&PROCS_OPTIONS]
    }

    fn threads_needed(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<ProcsOptions>().workers()
    }

    fn processes(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<ProcsOptions>().workers()
    }

    fn connections(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<ProcsOptions>().workers()
    }

    fn workers(&self, _plan: &Plan, s: &Settings) -> usize {
        s.get::<ProcsOptions>().workers()
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
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
                let _ = std::fs::write(format!("/proc/{}/clear_refs", w.pid), "5");
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
                        Err(Failure::Panic(super::panic_message(p.as_ref())))
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
            children.peak_rss_bytes += peak_rss_of(w.pid).unwrap_or(0);
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

    fn child_main(&self) -> std::process::ExitCode {
        std::process::ExitCode::from(worker_main())
    }
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

/// Why a parent thread stopped early.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("died mid-cell")]
    Died,
    #[error("answered nothing for {} s", STALL.as_secs())]
    Stalled,
    /// The request failed in the worker; the text is its step error.
    #[error("failed a request: {0}")]
    Request(String),
    #[error("broke the protocol: {0}")]
    Protocol(String),
    #[error("{0}")]
    Io(io::Error),
    #[error("its parent thread panicked: {0}")]
    Panic(String),
    #[error("cannot start its parent thread: {0}")]
    Thread(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset => Failure::Died,
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Failure::Stalled,
            _ => Failure::Io(e),
        }
    }
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
        // SAFETY: the closure runs in the forked child before exec and only
        // makes an async-signal-safe syscall (prctl).
        unsafe {
            cmd.pre_exec(|| {
                // Dies with iobound, even on kill -9.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
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
const WORKER_TEST: &str = "engine::procs::tests::worker_entry";

/// The command that starts a worker: this very binary. Under `cargo test`
/// that is the library's test binary, where libtest runs only
/// [`WORKER_TEST`], which serves as the worker — the same code as the
/// `iobound` binary's, without depending on a separately built `iobound`
/// that may be missing or stale.
fn worker_command() -> io::Result<Command> {
    #[cfg_attr(not(test), allow(unused_mut))]
    let mut cmd = Command::new(std::env::current_exe()?);
    #[cfg(test)]
    cmd.args(["--exact", WORKER_TEST, "--nocapture", "--test-threads=1"]);
    Ok(cmd)
}

/// CPU time and context switches of process `pid` so far, from /proc.
fn usage_of(pid: u32) -> Option<Usage> {
    let (user, sys) = crate::serve::child::cpu_of(pid)?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    Some(Usage {
        user: Duration::from_nanos(user),
        sys: Duration::from_nanos(sys),
        voluntary_switches: field("voluntary_ctxt_switches:"),
        involuntary_switches: field("nonvoluntary_ctxt_switches:"),
    })
}

/// Peak resident set of process `pid` (since its last reset), in bytes.
fn peak_rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

// ---------------------------------------------------------------------------
// The wire between parent and worker. Little-endian throughout.
//
// Set-up, parent to worker, once: u32 length, then that much JSON (`Setup`).
// Request, parent to worker: u8 length, then the steps (see `encode`).
// Reply, worker to parent: `REPLY` bytes — a tag and three u64 — then, for
// an error, that many bytes of text:
//   READY                       the worker is set up
//   DONE   bytes digest ns      a request's result and the worker's timing
//   ERROR  len  0      0        the request (or set-up) failed; len bytes of text
// ---------------------------------------------------------------------------

/// What a worker needs to run a cell's requests.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Setup {
    files: Vec<SetupFile>,
    direct: bool,
    /// Bytes of shared compute input to generate (deterministic).
    compute_input: usize,
    /// Size of the worker's I/O buffers.
    max_transfer: usize,
    verify: bool,
    /// The server exchange steps go to.
    target: Option<SocketAddr>,
    /// Whether requests talk to it: the worker connects before it is ready.
    connect: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct SetupFile {
    /// The path's bytes: paths need not be UTF-8.
    path: Vec<u8>,
    log: bool,
    size: u64,
}

impl Setup {
    /// What the parent's cell has open, for a worker to open the same.
    fn of(ctx: &CellCtx<'_>) -> Setup {
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

    fn send(&self, mut chan: &UnixStream) -> Result<(), Failure> {
        let json = serde_json::to_vec(self).map_err(|e| Failure::Protocol(e.to_string()))?;
        let mut msg = (json.len() as u32).to_le_bytes().to_vec();
        msg.extend_from_slice(&json);
        chan.write_all(&msg).map_err(Failure::from)
    }

    /// The files as the worker opens them.
    fn files(&self) -> Vec<(PathBuf, FileSpec)> {
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
enum Reply {
    Ready,
    Done { done: Done, service: Duration },
    Error(String),
}

impl Reply {
    /// Writes the reply in one write: one wake-up of the parent.
    fn write(&self, out: &mut impl Write) -> io::Result<()> {
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

    fn read(input: &mut impl Read) -> Result<Reply, Failure> {
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
const MAX_BODY: usize = MAX_STEPS * MAX_STEP;
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
fn encode(req: &Request, files: &FileSet, scratch: &mut IoBufs, out: &mut [u8]) -> usize {
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
                Msg::Get { key } => {
                    o.put(&[S_EXCHANGE, 1]);
                    o.put(&key.to_le_bytes());
                }
                Msg::Put { key } => {
                    o.put(&[S_EXCHANGE, 2]);
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
enum DecodeError {
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
fn decode(mut body: &[u8], files: usize) -> Result<Request, DecodeError> {
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
                    1 => Msg::Get { key: u64_(b)? },
                    2 => Msg::Put { key: u64_(b)? },
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

// ---------------------------------------------------------------------------
// The worker process.
// ---------------------------------------------------------------------------

/// Errors that end a worker.
#[derive(Debug, thiserror::Error)]
enum WorkerError {
    #[error("its channel (stdin) is not usable: {0}")]
    Channel(#[source] io::Error),
    #[error("bad set-up message: {0}")]
    BadSetup(String),
    #[error("set-up failed: {0}")]
    SetUpFailed(String),
}

/// A worker's whole life; its exit code.
fn worker_main() -> u8 {
    match serve() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("iobound: procs worker {}: {e}", std::process::id());
            1
        }
    }
}

/// Reads the set-up, opens what it names, then answers requests until the
/// parent closes the channel.
fn serve() -> Result<(), WorkerError> {
    // The socket the parent gave as stdin, duplicated so it is ours to own.
    let chan = UnixStream::from(
        io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .map_err(WorkerError::Channel)?,
    );
    let mut input = BufReader::new(&chan);
    let mut out = &chan;
    let mut len = [0u8; 4];
    input.read_exact(&mut len).map_err(WorkerError::Channel)?;
    let mut json = vec![0u8; u32::from_le_bytes(len) as usize];
    input.read_exact(&mut json).map_err(WorkerError::Channel)?;
    let setup: Setup =
        serde_json::from_slice(&json).map_err(|e| WorkerError::BadSetup(e.to_string()))?;
    let (files, mut bufs) = match open(&setup) {
        Ok(x) => x,
        Err(why) => {
            // The parent reports it; our exit status only confirms it.
            let _ = Reply::Error(why.clone()).write(&mut out);
            return Err(WorkerError::SetUpFailed(why));
        }
    };
    Reply::Ready.write(&mut out).map_err(WorkerError::Channel)?;
    let n_files = setup.files.len();
    let mut body = [0u8; u8::MAX as usize];
    loop {
        let mut len = [0u8; 1];
        match input.read_exact(&mut len) {
            Ok(()) => {}
            // The parent closed the channel (or died): the pool is done.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(WorkerError::Channel(e)),
        }
        let body = &mut body[..len[0] as usize];
        input.read_exact(body).map_err(WorkerError::Channel)?;
        let reply = match decode(body, n_files) {
            Ok(req) => {
                let t = Instant::now();
                match files.run_request_blocking(&req, &mut bufs, setup.verify) {
                    Ok(done) => Reply::Done {
                        done,
                        service: t.elapsed(),
                    },
                    Err(e) => Reply::Error(e.to_string()),
                }
            }
            Err(e) => Reply::Error(format!("bad request: {e}")),
        };
        reply.write(&mut out).map_err(WorkerError::Channel)?;
    }
}

/// Opens the set-up's files, compute input and connection, as the parent's
/// cell opened its own.
fn open(setup: &Setup) -> Result<(FileSet, IoBufs), String> {
    let files = FileSet::open(&setup.files(), setup.direct)
        .map_err(|e| e.to_string())?
        .with_compute_input(setup.compute_input)
        .with_target(setup.target);
    let mut bufs = IoBufs::new(setup.max_transfer);
    if setup.connect {
        files.ensure_conn(&mut bufs).map_err(|e| e.to_string())?;
    }
    Ok((files, bufs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Bound;
    use crate::record::{merge, Progress};
    use iobound_workloads::{build, dataset, Workload, WorkloadParams};

    /// Not a test of its own: when the engine starts workers from the unit
    /// test binary, libtest runs only this, and it serves as the worker.
    /// Run normally, it checks that the engine names it right.
    #[test]
    fn worker_entry() {
        if std::env::var_os(CHILD_ENV).is_some() {
            std::process::exit(i32::from(worker_main()));
        }
        let here = module_path!().strip_prefix("iobound::").unwrap();
        assert_eq!(format!("{here}::worker_entry"), WORKER_TEST);
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("iobound-procs-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

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
                msg: Msg::Get { key: u64::MAX },
            },
            Step::Exchange {
                msg: Msg::Put { key: 5 },
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

    fn cpu_hash(work: u64) -> (Box<dyn Workload>, FileSet) {
        let params = WorkloadParams {
            work,
            ..Default::default()
        };
        let w = build("cpu-hash", &params).unwrap();
        let files = FileSet::open(&[], false)
            .unwrap()
            .with_compute_input(w.compute_input());
        (w, files)
    }

    #[test]
    fn workers_cpu_and_memory_count_and_the_boundary_is_noted() {
        let (w, files) = cpu_hash(256 << 10);
        let plan = Plan {
            concurrency: 4,
            warmup: Duration::ZERO,
            bound: Bound::Requests(600),
            rate: None,
        };
        let settings = Settings::default().with(&ProcsOptions {
            procs_workers: Some(2),
        });
        let progress = Progress::new(Procs.workers(&plan, &settings));
        let ctx = CellCtx::new(w.as_ref(), &files, plan, &settings, &progress);
        let totals = merge(Procs.run(&ctx).unwrap());
        assert_eq!(totals.requests, 600);
        let c = ctx.children().expect("the engine reports its workers");
        assert_eq!(c.processes, 2);
        // 600 SHA-256 of 256 KiB take far more than the 10 ms /proc counts
        // in, and all of it happens in the workers.
        let cpu = c.usage.user + c.usage.sys;
        assert!(cpu >= Duration::from_millis(20), "{c:?}");
        // Each worker holds at least its 1.25 MiB of compute input.
        assert!(c.peak_rss_bytes >= 2 * (5 << 18), "{c:?}");
        let notes = ctx.notes();
        assert!(
            notes.iter().any(|n| n.starts_with("process boundary: ")),
            "{notes:?}"
        );
    }

    #[test]
    fn a_worker_that_cannot_set_up_fails_the_cell_with_its_reason() {
        let dir = temp_dir("setup");
        let spec = FileSpec {
            role: FileRole::Data,
            size: 64 << 10,
        };
        let (p, _) = dataset::prepare(&dir, &spec).unwrap();
        let params = WorkloadParams {
            file_size: 64 << 10,
            ..Default::default()
        };
        let w = build("file-randread", &params).unwrap();
        let files = FileSet::open(&[(p.clone(), spec)], false).unwrap();
        // The parent opened the file; the worker finds it gone.
        std::fs::remove_dir_all(&dir).unwrap();
        let plan = Plan {
            concurrency: 1,
            warmup: Duration::ZERO,
            bound: Bound::Requests(10),
            rate: None,
        };
        let settings = Settings::default().with(&ProcsOptions {
            procs_workers: Some(1),
        });
        let progress = Progress::new(1);
        let ctx = CellCtx::new(w.as_ref(), &files, plan, &settings, &progress);
        let e = Procs.run(&ctx).err().expect("the cell fails").to_string();
        assert!(e.contains("could not set up"), "{e}");
        assert!(e.contains(&p.display().to_string()), "{e}");
        assert!(ctx.start().is_none(), "the clock never started");
    }
}
