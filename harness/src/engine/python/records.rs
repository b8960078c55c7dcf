//! Reading the Python program's records: READY starts the cell's clock,
//! each request's record goes into the recorder, END closes the cell; the
//! program's processes are sampled for their peak memory and threads.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::ChildStdout;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::family::{family, sample, Sample};
use crate::engine::{CellCtx, EngineError, STALL};
use crate::exec::Done;
use crate::record::Recorder;

/// Record markers of the program's output.
const READY: u64 = 0xFFFF_FFFF_FFFF_FFFE;
const END: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/// CLOCK_MONOTONIC now, in ns: the program's clock (and `Instant`'s).
fn monotonic_ns() -> u64 {
    // SAFETY: timespec is plain integers, for which all zeroes is valid.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: clock_gettime fills the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// What reading the program's records gave.
pub(super) struct Readout {
    /// Requests abandoned in flight at the end.
    pub(super) cut: u64,
    /// The program's family at READY and at END, and the most it had of
    /// memory, threads and processes in between.
    pub(super) ready: Sample,
    pub(super) end: Sample,
    pub(super) peak: Sample,
    /// The cell was stopped before the program's END.
    pub(super) stopped: bool,
}

/// Reads the program's records until END: READY starts the cell's clock,
/// each request goes into `rec`. Watches for a stop (Ctrl-C, another
/// worker's failure) and for a program gone silent past the deadline.
pub(super) fn read_records(
    ctx: &CellCtx<'_>,
    pid: u32,
    out: &mut ChildStdout,
    rec: &mut Recorder,
    bytes_per_request: u64,
) -> Result<Readout, EngineError> {
    let fd = out.as_raw_fd();
    let mut buf = Vec::with_capacity(64 << 10);
    let mut chunk = vec![0u8; 64 << 10];
    let mut r = Reader {
        ctx,
        pid,
        rec,
        bytes_per_request,
        origin: None,
        ready: Sample::default(),
        peak: Sample::default(),
        members: vec![pid],
        last_sample: Instant::now(),
    };
    let mut last_record = Instant::now();
    loop {
        if ctx.abort.load(Ordering::Relaxed) {
            // Stopped (Ctrl-C, or another worker failed): what was recorded
            // stands, as in every engine; the program is ended.
            return Ok(r.readout(0, true));
        }
        let Some(readable) = poll_in(fd)? else {
            continue;
        };
        let now = Instant::now();
        r.sample_peak(now);
        if !readable {
            stalled(ctx, now, last_record)?;
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
        for record in buf[..whole].chunks_exact(24) {
            if let Some(done) = r.take(record)? {
                return Ok(done);
            }
        }
        buf.drain(..whole);
    }
}

/// Waits up to 100 ms for the program's output: `Some(true)` when there is
/// some, `Some(false)` when there is none yet, `None` when interrupted.
fn poll_in(fd: std::os::fd::RawFd) -> Result<Option<bool>, EngineError> {
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
            return Ok(None);
        }
        return Err(EngineError::Other(format!(
            "polling the Python program: {e}"
        )));
    }
    Ok(Some(n != 0))
}

/// A program silent for [`STALL`], long past the deadline, has stalled.
fn stalled(ctx: &CellCtx<'_>, now: Instant, last_record: Instant) -> Result<(), EngineError> {
    if let Some(clock) = ctx.clock() {
        let past = clock.deadline.is_some_and(|d| now > d + STALL);
        if past && now.duration_since(last_record) > STALL {
            return Err(EngineError::Stalled {
                in_flight: ctx.plan.concurrency,
                secs: STALL.as_secs(),
            });
        }
    }
    Ok(())
}

/// The reading's state between records.
struct Reader<'a, 'c> {
    ctx: &'a CellCtx<'c>,
    pid: u32,
    rec: &'a mut Recorder,
    bytes_per_request: u64,
    /// The program's clock start in our Instants: `Instant` and the
    /// program's monotonic_ns() read the same clock, at an offset we learn
    /// at READY.
    origin: Option<(Instant, u64)>,
    ready: Sample,
    peak: Sample,
    members: Vec<u32>,
    last_sample: Instant,
}

impl Reader<'_, '_> {
    fn keep_peak(&mut self, s: Sample) {
        self.peak.rss = self.peak.rss.max(s.rss);
        self.peak.threads = self.peak.threads.max(s.threads);
        self.peak.processes = self.peak.processes.max(s.processes);
    }

    /// The family found at READY (a scan of /proc is the costly part; the
    /// pool's processes do not change during a cell), sampled every 250 ms
    /// for its peak memory and threads.
    fn sample_peak(&mut self, now: Instant) {
        if self.origin.is_some()
            && now.duration_since(self.last_sample) >= Duration::from_millis(250)
        {
            self.keep_peak(sample(&self.members));
            self.last_sample = now;
        }
    }

    /// The readout once the program's family has been sampled a last time.
    fn readout(&mut self, cut: u64, stopped: bool) -> Readout {
        let end = sample(&family(self.pid));
        self.keep_peak(end);
        Readout {
            cut,
            ready: self.ready,
            end,
            peak: self.peak,
            stopped,
        }
    }

    /// One 24-byte record; the readout when it is END.
    fn take(&mut self, r: &[u8]) -> Result<Option<Readout>, EngineError> {
        let word = |i: usize| u64::from_le_bytes(r[i * 8..i * 8 + 8].try_into().expect("8"));
        let (a, b, c) = (word(0), word(1), word(2));
        match a {
            READY => {
                // The clock starts at the program's t0.
                let (now_i, now_ns) = (Instant::now(), monotonic_ns());
                self.origin = Some((now_i, now_ns));
                self.members = family(self.pid);
                self.ready = sample(&self.members);
                self.keep_peak(self.ready);
                let behind = Duration::from_nanos(now_ns.saturating_sub(b));
                self.ctx
                    .begin_at(now_i.checked_sub(behind).unwrap_or(now_i));
            }
            END => return Ok(Some(self.readout(b, false))),
            issued_ns => self.request(issued_ns, b, c)?,
        }
        Ok(None)
    }

    /// A request's record: issued and ended at the program's times, with
    /// its digest.
    fn request(&mut self, issued_ns: u64, ended_ns: u64, digest: u64) -> Result<(), EngineError> {
        let (Some((i0, n0)), Some(clock)) = (self.origin, self.ctx.clock()) else {
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
            measured: issued >= clock.measure_from && clock.deadline.map_or(true, |d| issued < d),
            intended: issued,
        };
        let done = Done {
            bytes: self.bytes_per_request,
            digest,
        };
        self.ctx
            .record(self.rec, 0, &ticket, issued, at(ended_ns), done);
        Ok(())
    }
}
