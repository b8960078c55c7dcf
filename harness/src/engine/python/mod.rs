//! The Python engines — `py-asyncio`, `py-uvloop`, `py-threads`,
//! `py-procs`, `py-asyncio-procs` — run the same request steps in Python's
//! own concurrency models, as the lesson's reader writes them: the program
//! `python/iobound_py` (shipped in this binary, written to a cache
//! directory on first use) is started with `python3`, reads the cell's job,
//! its compute input and a stream of encoded requests on stdin, and writes
//! one record per completed request (when its slot took it, when it ended,
//! its digest) on stdout. The records land in the same recorder, histograms
//! and summaries as every engine's; the program's CPU, memory and threads,
//! its worker processes' included, count with the client's. The protocol is
//! in `python/README.md`.
//!
//! Open loops are not run by these engines (skipped, with the reason);
//! request-count-bounded cells run without warm-up (said in the cell's
//! notes), since the program cannot know how many warm-up requests to take.

mod family;
mod interpreter;

use family::{family, sample, Sample};

pub(crate) use interpreter::{probe, program_dir};

use std::io::{BufWriter, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use iobound_workloads::{Input, Model, Msg, Request, Step, Workload};

use super::{CellCtx, Children, Engine, EngineError, Language, OptionSet, Options, Settings};
use crate::exec::Done;
use crate::load::{Bound, Plan};
use crate::record::Recorder;
use crate::resources::Usage;

/// One of Python's models, run by the program.
pub struct Python {
    name: &'static str,
    model: Model,
    /// The program's `--model`.
    py: &'static str,
    summary: &'static str,
}

pub const ASYNCIO: Python = Python {
    name: "py-asyncio",
    model: Model::EventLoop,
    py: "asyncio",
    summary: "Python asyncio: one event loop, a task per outstanding request, sockets as asyncio streams; files through run_in_executor (asyncio has no async files); computes on the loop",
};

pub const UVLOOP: Python = Python {
    name: "py-uvloop",
    model: Model::EventLoop,
    py: "uvloop",
    summary: "py-asyncio on uvloop's event loop (skipped where uvloop is not installed)",
};

pub const THREADS: Python = Python {
    name: "py-threads",
    model: Model::BlockingThreads,
    py: "threads",
    summary: "Python threading: a thread per outstanding request, blocking calls; computes under the GIL (hashlib releases it on large buffers)",
};

pub const PROCS: Python = Python {
    name: "py-procs",
    model: Model::ProcessPool,
    py: "procs",
    summary: "Python multiprocessing: a ProcessPoolExecutor of one process per core, one whole request at a time per process",
};

pub const ASYNCIO_PROCS: Python = Python {
    name: "py-asyncio-procs",
    model: Model::EventLoopPool,
    py: "asyncio-procs",
    summary: "Python asyncio for the waits, compute steps sent to a process pool with run_in_executor (the lesson's pattern for mixed work)",
};

// Options of the Python engines. A `//` comment: clap turns a doc comment
// here into the about text of every command the set is added to.
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[command(next_help_heading = "Engines py-*")]
pub struct PyOptions {
    /// Processes of py-procs' and py-asyncio-procs' pools [default: one per core]
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    pub py_workers: Option<usize>,
    /// The Python interpreter that runs the py-* engines [default: python3]
    #[arg(long, value_name = "PATH")]
    pub python: Option<String>,
}

impl PyOptions {
    fn workers(&self) -> usize {
        super::or_per_core(self.py_workers)
    }

    fn interpreter(&self) -> &str {
        self.python.as_deref().unwrap_or("python3")
    }
}

impl OptionSet for PyOptions {
    const ID: &'static str = "python";
}

const OPTIONS: Options = Options::of::<PyOptions>();

/// Record markers of the program's output.
const READY: u64 = 0xFFFF_FFFF_FFFF_FFFE;
const END: u64 = 0xFFFF_FFFF_FFFF_FFFF;
/// The program's exit status when uvloop cannot be imported.
const NO_UVLOOP: i32 = 3;

/// How long requests in flight at the deadline may still take before the
/// program abandons them (they are counted, and said in the cell's notes).
const GRACE: Duration = Duration::from_secs(1);

impl Engine for Python {
    fn name(&self) -> &'static str {
        self.name
    }

    fn summary(&self) -> &'static str {
        self.summary
    }

    fn model(&self) -> Model {
        self.model
    }

    fn language(&self) -> Language {
        Language::Python
    }

    /// The interpreter, its imports, and (pool models) the pool's processes
    /// started and warmed: about 0.4 s on the 2-vCPU VM.
    fn startup(&self) -> Duration {
        Duration::from_millis(400)
    }

    fn options(&self) -> &'static [&'static Options] {
        &[&OPTIONS]
    }

    fn unsupported(
        &self,
        w: &dyn Workload,
        _: bool,
        plan: &Plan,
        settings: &Settings,
    ) -> Option<String> {
        if w.service() == Some(iobound_workloads::Service::Redis) {
            return Some(
                "the Python engines speak iobound's protocol, not Redis's RESP (not written yet)"
                    .into(),
            );
        }
        if plan.rate.is_some() {
            return Some("the Python engines run closed loops only (no --rate)".into());
        }
        let python = settings.get::<PyOptions>().interpreter().to_string();
        probe(&python, self.py == "uvloop").err()
    }

    /// This thread and the request writer; the program's threads are its own
    /// process's, counted with it.
    fn threads_needed(&self, _plan: &Plan, _: &Settings) -> usize {
        2
    }

    fn processes(&self, _plan: &Plan, s: &Settings) -> usize {
        match self.model {
            Model::ProcessPool | Model::EventLoopPool => 1 + s.get::<PyOptions>().workers(),
            _ => 1,
        }
    }

    fn workers(&self, _plan: &Plan, _: &Settings) -> usize {
        1
    }

    fn run(&self, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
        run(self, ctx)
    }
}

/// The step as the program reads it: `<BBBBIQQ` (kind, a, b, pad, len, x, y).
fn encode_step(step: &Step, out: &mut Vec<u8>) {
    let (kind, a, b, len, x): (u8, u8, u8, u32, u64) = match *step {
        Step::Read { file, offset, len } => (1, file.0, 0, len, offset),
        Step::Write { file, offset, len } => (2, file.0, 0, len, offset),
        Step::Append { file, len } => (3, file.0, 0, len, 0),
        Step::Fdatasync { file } => (4, file.0, 0, 0, 0),
        Step::Compute { kernel, input } => match input {
            Input::Shared { offset, len } => (5, kernel.code(), 0, len, offset),
            Input::LastRead { len } => (5, kernel.code(), 1, len, 0),
        },
        Step::Exchange { msg } => match msg {
            Msg::Echo { len } => (6, 1, 0, len, 0),
            Msg::Get { key } => (6, 2, 0, 0, key),
            Msg::Put { key } => (6, 3, 0, 0, key),
            // The program speaks iobound's protocol only: `unsupported`
            // skips Redis workloads before a step reaches it.
            Msg::RedisGet { key } => (6, 4, 0, 0, key),
            Msg::RedisSet { key } => (6, 5, 0, 0, key),
        },
    };
    out.extend_from_slice(&[kind, a, b, 0]);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&x.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
}

/// A request as the program reads it: its step count, then its steps.
fn encode_request(req: &Request, out: &mut Vec<u8>) {
    out.extend_from_slice(&(req.len() as u32).to_le_bytes());
    for s in req.steps() {
        encode_step(s, out);
    }
}

/// The job line.
fn job(ctx: &CellCtx<'_>, workers: usize) -> String {
    let (duration_ns, requests) = match ctx.plan.bound {
        Bound::Duration(d) => (Some(d.as_nanos() as u64), None),
        Bound::Requests(n) => (None, Some(n)),
    };
    let warmup_ns = match ctx.plan.bound {
        Bound::Duration(_) => ctx.plan.warmup.as_nanos() as u64,
        Bound::Requests(_) => 0,
    };
    let direct = ctx.files.direct();
    let files: Vec<serde_json::Value> = ctx
        .files
        .specs()
        .iter()
        .map(|(p, spec)| serde_json::json!({"path": p, "size": spec.size, "direct": direct}))
        .collect();
    let mut line = serde_json::json!({
        "version": 1,
        "concurrency": ctx.plan.concurrency,
        "workers": workers,
        "warmup_ns": warmup_ns,
        "duration_ns": duration_ns,
        "requests": requests,
        "grace_ns": GRACE.as_nanos() as u64,
        "target": ctx.files.target().map(|a| a.to_string()),
        "files": files,
        "compute_input_len": ctx.files.compute_input().len(),
    })
    .to_string();
    line.push('\n');
    line
}

/// The program's process; killed and reaped on drop.
struct Program {
    child: Child,
}

impl Drop for Program {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// CLOCK_MONOTONIC now, in ns: the program's clock (and `Instant`'s).
fn monotonic_ns() -> u64 {
    // SAFETY: timespec is plain integers, for which all zeroes is valid.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: clock_gettime fills the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn run(engine: &Python, ctx: &CellCtx<'_>) -> Result<Vec<Recorder>, EngineError> {
    let opts = ctx.settings.get::<PyOptions>();
    let workers = opts.workers();
    let dir = program_dir()?;
    let mut cmd = Command::new(opts.interpreter());
    cmd.args(["-m", "iobound_py", "--model", engine.py])
        .env("PYTHONPATH", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: between fork and exec, only prctl (async-signal-safe): the
    // program dies with iobound whatever happens to it.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .map_err(|e| EngineError::Other(format!("cannot start {}: {e}", opts.interpreter())))?;
    let mut prog = Program { child };
    let pid = prog.child.id();
    let stdin = prog.child.stdin.take().expect("piped");
    let mut stdout = prog.child.stdout.take().expect("piped");
    let mut stderr = prog.child.stderr.take().expect("piped");
    if let Bound::Requests(_) = ctx.plan.bound {
        if !ctx.plan.warmup.is_zero() {
            ctx.note("the Python engines run a request-count-bounded cell without warm-up: every request is measured");
        }
    }
    // Which Python ran it, in the cell's notes (and so in run.json).
    if let Ok(who) = probe(opts.interpreter(), engine.py == "uvloop") {
        ctx.note(format!("run by {who}"));
    }
    if !ctx.workload.files().is_empty()
        && matches!(engine.model, Model::EventLoop | Model::EventLoopPool)
    {
        ctx.note(
            "file steps went through loop.run_in_executor on asyncio's default thread pool: asyncio has no asynchronous file I/O (aiofiles does the same)",
        );
    }
    // The program reports each request's time, not its index: its bytes
    // are the mean of the first requests' scripts (exact when every
    // request has the same shape, as all but YCSB's mixes do), file steps
    // and exchanges counted as the Rust engines count them.
    let bytes_per_request = {
        const SAMPLE: u64 = 1024;
        let total: u64 = (0..SAMPLE)
            .map(|i| {
                let r = ctx.workload.request(i);
                r.bytes()
                    + r.steps()
                        .iter()
                        .map(|s| match s {
                            iobound_workloads::Step::Exchange { msg } => {
                                iobound_workloads::proto::exchange_bytes(msg)
                            }
                            _ => 0,
                        })
                        .sum::<u64>()
            })
            .sum();
        (total as f64 / SAMPLE as f64).round() as u64
    };
    let stop = AtomicBool::new(false);
    let mut rec = ctx.new_recorder();
    let outcome = std::thread::scope(|s| {
        // The request writer: the job, the compute input, then requests
        // 0, 1, 2, ... until the bound or until the program stops reading.
        let writer = s.spawn(|| {
            let mut w = BufWriter::with_capacity(64 << 10, stdin);
            w.write_all(job(ctx, workers).as_bytes())?;
            w.write_all(ctx.files.compute_input())?;
            let limit = match ctx.plan.bound {
                Bound::Requests(n) => n,
                Bound::Duration(_) => u64::MAX,
            };
            let mut buf = Vec::with_capacity(4 + 8 * 24);
            for i in 0..limit {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                buf.clear();
                encode_request(&ctx.workload.request(i), &mut buf);
                w.write_all(&buf)?;
            }
            w.flush()
        });
        let read = read_records(ctx, pid, &mut stdout, &mut rec, bytes_per_request);
        stop.store(true, Ordering::Relaxed);
        if read.as_ref().map_or(true, |r| r.stopped) {
            // The writer may be blocked on a full pipe: end the program.
            let _ = prog.child.kill();
        }
        let _ = writer.join();
        read
    });
    let status = prog
        .child
        .wait()
        .map_err(|e| EngineError::Other(e.to_string()))?;
    let mut err = String::new();
    let _ = stderr.read_to_string(&mut err);
    let last = err.lines().last().unwrap_or("").to_string();
    let r = match outcome {
        Ok(r) => r,
        // What the program said on stderr is the reason.
        Err(EngineError::Other(m)) if !last.is_empty() => {
            return Err(EngineError::Other(format!("{m}: {last}")))
        }
        Err(e) => return Err(e),
    };
    if !r.stopped && status.code() == Some(NO_UVLOOP) {
        return Err(EngineError::Other(format!(
            "uvloop is not installed: {last}"
        )));
    }
    if !r.stopped && !status.success() {
        return Err(EngineError::Other(format!(
            "the Python program ({}) exited with {status}: {last}",
            engine.py
        )));
    }
    // The program's CPU and its workers' from its clock start (READY) to
    // its last record (END): what it spent starting (interpreter, imports,
    // the pool) is set-up, as an engine's is before its clock.
    let ns = |a: u64, b: u64| Duration::from_nanos(a.saturating_sub(b));
    ctx.report_children(Children {
        processes: r.peak.processes,
        usage: Usage {
            user: ns(r.end.user, r.ready.user),
            sys: ns(r.end.sys, r.ready.sys),
            ..Usage::default()
        },
        peak_rss_bytes: r.peak.rss,
        threads: r.peak.threads as u32,
    });
    let cut = r.cut;
    if cut > 0 {
        ctx.note(format!(
            "{cut} requests still in flight {} after the deadline were abandoned by the Python program",
            crate::output::human::duration_ns(GRACE.as_nanos() as f64)
        ));
    }
    Ok(vec![rec])
}

/// What reading the program's records gave.
struct Readout {
    /// Requests abandoned in flight at the end.
    cut: u64,
    /// The program's family at READY and at END, and the most it had of
    /// memory, threads and processes in between.
    ready: Sample,
    end: Sample,
    peak: Sample,
    /// The cell was stopped before the program's END.
    stopped: bool,
}

/// Reads the program's records until END: READY starts the cell's clock,
/// each request goes into `rec`. Watches for a stop (Ctrl-C, another
/// worker's failure) and for a program gone silent past the deadline.
fn read_records(
    ctx: &CellCtx<'_>,
    pid: u32,
    out: &mut std::process::ChildStdout,
    rec: &mut Recorder,
    bytes_per_request: u64,
) -> Result<Readout, EngineError> {
    let fd = out.as_raw_fd();
    let mut buf = Vec::with_capacity(64 << 10);
    let mut chunk = vec![0u8; 64 << 10];
    // The program's clock start in our Instants: `Instant` and the
    // program's monotonic_ns() read the same clock, at an offset we learn
    // at READY.
    let mut origin: Option<(Instant, u64)> = None;
    let mut ready = Sample::default();
    let mut peak = Sample::default();
    let mut members: Vec<u32> = vec![pid];
    let keep_peak = |peak: &mut Sample, s: Sample| {
        peak.rss = peak.rss.max(s.rss);
        peak.threads = peak.threads.max(s.threads);
        peak.processes = peak.processes.max(s.processes);
    };
    let mut last_sample = Instant::now();
    let mut last_record = Instant::now();
    loop {
        if ctx.abort.load(Ordering::Relaxed) {
            // Stopped (Ctrl-C, or another worker failed): what was recorded
            // stands, as in every engine; the program is ended.
            let now = sample(&family(pid));
            keep_peak(&mut peak, now);
            return Ok(Readout {
                cut: 0,
                ready,
                end: now,
                peak,
                stopped: true,
            });
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd we own, for 100 ms.
        let n = unsafe { libc::poll(&mut pfd, 1, 100) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(EngineError::Other(format!(
                "polling the Python program: {e}"
            )));
        }
        let now = Instant::now();
        // The family found at READY (a scan of /proc is the costly part;
        // the pool's processes do not change during a cell), sampled
        // every 250 ms for its peak memory and threads.
        if origin.is_some() && now.duration_since(last_sample) >= Duration::from_millis(250) {
            keep_peak(&mut peak, sample(&members));
            last_sample = now;
        }
        if n == 0 {
            if let Some(clock) = ctx.clock() {
                let past = clock.deadline.is_some_and(|d| now > d + super::STALL);
                if past && now.duration_since(last_record) > super::STALL {
                    return Err(EngineError::Stalled {
                        in_flight: ctx.plan.concurrency,
                        secs: super::STALL.as_secs(),
                    });
                }
            }
            continue;
        }
        let got = out
            .read(&mut chunk)
            .map_err(|e| EngineError::Other(format!("reading the Python program: {e}")))?;
        if got == 0 {
            return Err(EngineError::Other(
                "the Python program ended before its last record".into(),
            ));
        }
        last_record = now;
        buf.extend_from_slice(&chunk[..got]);
        let whole = buf.len() / 24 * 24;
        for r in buf[..whole].chunks_exact(24) {
            let word = |i: usize| u64::from_le_bytes(r[i * 8..i * 8 + 8].try_into().expect("8"));
            let (a, b, c) = (word(0), word(1), word(2));
            match a {
                READY => {
                    // The clock starts at the program's t0.
                    let (now_i, now_ns) = (Instant::now(), monotonic_ns());
                    origin = Some((now_i, now_ns));
                    members = family(pid);
                    ready = sample(&members);
                    keep_peak(&mut peak, ready);
                    let behind = Duration::from_nanos(now_ns.saturating_sub(b));
                    ctx.begin_at(now_i.checked_sub(behind).unwrap_or(now_i));
                }
                END => {
                    let end = sample(&family(pid));
                    keep_peak(&mut peak, end);
                    return Ok(Readout {
                        cut: b,
                        ready,
                        end,
                        peak,
                        stopped: false,
                    });
                }
                issued_ns => {
                    let (Some((i0, n0)), Some(clock)) = (origin, ctx.clock()) else {
                        return Err(EngineError::Other(
                            "the Python program sent a record before READY".into(),
                        ));
                    };
                    let at = |ns: u64| {
                        if ns >= n0 {
                            i0 + Duration::from_nanos(ns - n0)
                        } else {
                            i0.checked_sub(Duration::from_nanos(n0 - ns)).unwrap_or(i0)
                        }
                    };
                    let issued = at(issued_ns);
                    let ticket = crate::load::Ticket {
                        index: 0,
                        measured: issued >= clock.measure_from
                            && clock.deadline.map_or(true, |d| issued < d),
                        intended: issued,
                    };
                    let done = Done {
                        bytes: bytes_per_request,
                        digest: c,
                    };
                    ctx.record(rec, 0, &ticket, issued, at(b), done);
                }
            }
        }
        buf.drain(..whole);
    }
}
