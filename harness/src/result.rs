//! What a run produces: one result per cell of the workload x mode x
//! concurrency matrix. Latencies are integer nanoseconds here; units change
//! only when rendered.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::resources::ThreadCount;

/// Identifies a cell in the run matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellKey {
    pub workload: String,
    /// Files opened with O_DIRECT: the same workload through the page cache
    /// and around it are different cells.
    #[serde(default)]
    pub direct: bool,
    pub mode: String,
    pub concurrency: usize,
    /// Open loop: intended requests per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<u64>,
    /// `--label`: tells apart cells of one workload run with different
    /// parameters in one run (a suite's groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

impl CellKey {
    /// The workload as reports name it, e.g. `file-randread (O_DIRECT)`.
    pub fn label(&self) -> String {
        let mut w = workload_label(&self.workload, self.direct);
        if let Some(t) = &self.tag {
            w = format!("{w} [{t}]");
        }
        match self.rate {
            Some(_) => format!("{w} (open loop, c{})", self.concurrency),
            None => w,
        }
    }

    /// File stem for the cell's outputs, e.g. `file-randread.direct.uring.c32`;
    /// `rep` (1-based) is added when a run repeats its cells.
    pub fn stem(&self, rep: Option<u32>) -> String {
        let direct = if self.direct { ".direct" } else { "" };
        let rep = rep.map_or(String::new(), |r| format!(".r{r}"));
        let rate = self.rate.map_or(String::new(), |r| format!(".at{r}"));
        let tag = self.tag.as_ref().map_or(String::new(), |t| format!(".{t}"));
        format!(
            "{}{tag}{direct}.{}.c{}{rate}{rep}",
            self.workload, self.mode, self.concurrency
        )
    }
}

/// How reports name a workload run with or without O_DIRECT.
pub fn workload_label(workload: &str, direct: bool) -> String {
    if direct {
        format!("{workload} (O_DIRECT)")
    } else {
        workload.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Skipped,
    Failed,
    /// Cut short by Ctrl-C or SIGTERM: the summary, when there is one,
    /// covers the part measured before the stop.
    Interrupted,
}

impl Status {
    /// The word summary.csv, the terminal and the reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        }
    }
}

/// Latency percentiles of the measured requests, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub min_ns: u64,
    pub mean_ns: f64,
    pub stdev_ns: f64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
}

impl Latency {
    pub fn of(h: &Histogram<u64>) -> Self {
        Latency {
            min_ns: h.min(),
            mean_ns: h.mean(),
            stdev_ns: h.stdev(),
            p50_ns: h.value_at_quantile(0.50),
            p90_ns: h.value_at_quantile(0.90),
            p99_ns: h.value_at_quantile(0.99),
            p999_ns: h.value_at_quantile(0.999),
            max_ns: h.max(),
        }
    }
}

/// CPU time of the whole process over the whole cell (warm-up included: the
/// readings are taken on the engine's threads when its clock starts and when
/// it returns, so they stay exact even when workers swamp the CPUs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cpu {
    pub user_ns: u64,
    pub sys_ns: u64,
    /// The CPU used inside the measured window (this process and its worker
    /// processes) / the requests completed in it; without both window edges,
    /// (user + sys) / every request completed in the cell.
    pub per_request_ns: f64,
    /// (user + sys) / the cell's wall time: 1.0 is one core busy all the time.
    pub cores_busy: f64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

/// Page-cache residency of one file at the start and end of the measured run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Residency {
    pub path: String,
    /// `data` (read by requests, so residency decides cache vs disk) or `log`.
    pub role: String,
    pub start: f64,
    pub end: f64,
}

/// The figures of one completed cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub requests: u64,
    pub elapsed_ns: u64,
    pub throughput_rps: f64,
    pub bytes: u64,
    pub bytes_per_s: f64,
    pub latency: Latency,
    pub cpu: Cpu,
    /// VmHWM over the cell (reset before it), worker processes' peaks added.
    pub peak_rss_bytes: Option<u64>,
    /// VmRSS when the cell started, after the allocator gave back what
    /// earlier cells freed: `peak_rss_bytes` minus this is what the cell
    /// itself added ([`Summary::rss_growth_bytes`]).
    #[serde(default)]
    pub baseline_rss_bytes: Option<u64>,
    /// Most threads seen at once while the cell ran.
    pub threads_peak: ThreadCount,
    /// Threads the harness itself had before the engine started (the main
    /// thread); `threads_peak.total - harness_threads` is what the engine used.
    pub harness_threads: u32,
    /// Workers that recorded requests (threads, pool threads, or 1 ring).
    pub workers: usize,
    /// The engine's pool (threads or processes), for engines with one
    /// (`Engine::pool_size`); absent in runs before it was recorded.
    #[serde(default)]
    pub pool_size: Option<usize>,
    /// Bytes per read or write step (the workload's block size in effect).
    pub block_size: u64,
    /// Compute steps' digests folded over the measured requests (hex), for
    /// workloads that compute: the same requests give the same checksum in
    /// every engine.
    pub checksum: Option<String>,
    /// Whether reads and writes went through the page cache.
    pub buffered: bool,
    pub page_cache: Vec<Residency>,
    /// CPU of the server iobound started, over the same span as `cpu`.
    #[serde(default)]
    pub server: Option<ServerCpu>,
    /// Where client and server ran.
    #[serde(default)]
    pub placement: crate::placement::Placement,
    /// Open loop: the intended rate, and latencies measured from the actual
    /// send instead of the intended start (what coordinated omission hides).
    #[serde(default)]
    pub target_rate: Option<f64>,
    #[serde(default)]
    pub latency_uncorrected: Option<Latency>,
    /// Worker processes the engine started (a process pool): their CPU is
    /// already in `cpu`, their peak memory in `peak_rss_bytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processes: Option<Processes>,
    /// What the engine noted about how this cell ran (a runtime's fallback).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The io_uring the engine ran on (uring, hybrid): the setup flags the
    /// kernel accepted and what was registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ring: Option<crate::ring::RingSetup>,
    /// What else used the machine while the cell ran.
    #[serde(default)]
    pub machine: Option<MachineLoad>,
}

impl Summary {
    /// Memory the cell added: its peak over its starting baseline (the
    /// whole peak for cells recorded before the baseline was).
    pub fn rss_growth_bytes(&self) -> Option<u64> {
        self.peak_rss_bytes
            .map(|p| p.saturating_sub(self.baseline_rss_bytes.unwrap_or(0)))
    }
}

/// The rest of the machine over a cell (its whole span, warm-up included).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MachineLoad {
    /// Fraction of the machine's CPU time the hypervisor gave to others.
    pub steal: f64,
    /// CPU used by processes other than iobound, its workers and its
    /// server, in cores (averaged over the cell; clock-tick resolution).
    pub other_cores: f64,
    /// The one-minute load average at the cell's end.
    pub load_average: f64,
}

impl MachineLoad {
    /// Steal above this fraction marks a busy machine.
    pub const STEAL_BUSY: f64 = 0.05;
    /// Other processes using more than this many cores mark a busy machine.
    pub const OTHER_BUSY: f64 = 0.5;

    /// Whether the machine was busy during the cell: steal above
    /// [`Self::STEAL_BUSY`] or others above [`Self::OTHER_BUSY`] cores.
    pub fn busy(&self) -> bool {
        self.steal > Self::STEAL_BUSY || self.other_cores > Self::OTHER_BUSY
    }
}

/// An engine's worker processes over a cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Processes {
    pub count: usize,
    pub user_ns: u64,
    pub sys_ns: u64,
    /// Sum of their peak resident sets.
    pub peak_rss_bytes: u64,
}

/// The server process's CPU time over a cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServerCpu {
    pub user_ns: u64,
    pub sys_ns: u64,
    /// Its CPU inside the measured window / the requests completed in it
    /// (without both edges, (user + sys) / every request of the cell).
    pub per_request_ns: f64,
}

/// One cell's outcome.
#[derive(Debug, Clone)]
pub struct CellResult {
    pub key: CellKey,
    /// Which repetition of the cell this is, from 1; `None` when the run
    /// does not repeat cells.
    pub rep: Option<u32>,
    pub status: Status,
    /// Why a cell was skipped or failed.
    pub reason: Option<String>,
    pub summary: Option<Summary>,
    pub histogram: Option<Histogram<u64>>,
    /// Open loop: latencies from the actual send (no coordinated-omission correction).
    pub histogram_uncorrected: Option<Histogram<u64>>,
}

impl Summary {
    /// OS threads the engine added, io_uring workers included.
    pub fn engine_threads(&self) -> u32 {
        self.threads_peak.total.saturating_sub(self.harness_threads)
    }
}

impl CellResult {
    /// File stem of this cell's outputs.
    pub fn stem(&self) -> String {
        self.key.stem(self.rep)
    }

    pub fn not_run(key: CellKey, status: Status, reason: String) -> Self {
        CellResult {
            key,
            rep: None,
            status,
            reason: Some(reason),
            summary: None,
            histogram: None,
            histogram_uncorrected: None,
        }
    }
}
