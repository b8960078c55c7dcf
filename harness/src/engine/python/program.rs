//! The Python program's process and what iobound writes to it: the job
//! line, the compute input and the encoded requests.

use std::io::{BufWriter, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use iobound_workloads::{Input, Msg, Request, Step};

use super::{program_dir, PyOptions, Python, GRACE};
use crate::engine::{CellCtx, EngineError};
use crate::load::Bound;

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
            // A call's own wait rides in `b` (1: `len` holds it, in µs).
            Msg::Get { key, wait_us } => (6, 2, wait_us.is_some() as u8, wait_us.unwrap_or(0), key),
            Msg::Put { key, wait_us } => (6, 3, wait_us.is_some() as u8, wait_us.unwrap_or(0), key),
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
pub(super) struct Program {
    pub(super) child: Child,
}

impl Drop for Program {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Starts the program for `engine`'s model, its stdin, stdout and stderr
/// piped.
pub(super) fn spawn(engine: &Python, opts: &PyOptions) -> Result<Program, EngineError> {
    let dir = program_dir()?;
    let mut cmd = Command::new(opts.interpreter());
    cmd.args(["-m", "iobound_py", "--model", engine.py])
        .env("PYTHONPATH", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    crate::resources::die_with_parent(&mut cmd);
    let child = cmd
        .spawn()
        .map_err(|e| EngineError::Other(format!("cannot start {}: {e}", opts.interpreter())))?;
    Ok(Program { child })
}

/// The request writer: the job, the compute input, then requests 0, 1, 2,
/// ... until the bound or until `stop` (the program stopped reading).
pub(super) fn feed(
    ctx: &CellCtx<'_>,
    workers: usize,
    stdin: ChildStdin,
    stop: &AtomicBool,
) -> std::io::Result<()> {
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
}

/// The bytes a request moves, for the records, which carry its time and
/// not its index: the mean of the first requests' scripts (exact when every
/// request has the same shape, as all but YCSB's mixes do), file steps and
/// exchanges counted as the Rust engines count them.
pub(super) fn bytes_per_request(ctx: &CellCtx<'_>) -> u64 {
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
}
