//! Requests a user describes: a workload file (TOML) whose `[[step]]`s are
//! the steps every engine already interprets — database calls, compute
//! kernels, file reads and appends, echoes — checked with the file, line
//! and column of each mistake, and run as any catalogued workload.
//!
//! ```toml
//! name = "my-service"
//! description = "3 database calls of 5 ms, SHA-256 of 64 KiB, a 16 KiB read"
//! db_latency = "5ms"        # the db server's wait per call
//!
//! [[step]]
//! db = "get"                # or "put" (durable before the answer)
//! repeat = 3                # one after the other
//!
//! [[step]]
//! compute = "sha256"        # or "fnv1a" (a byte loop: holds Python's GIL)
//! size = "64K"
//!
//! [[step]]
//! read = "random"           # or "sequential"; from a data file
//! size = "16K"
//! ```
//! Other steps: `write = "append"` with `size` (and `fdatasync = true` to
//! make it durable), `echo = "64B"` (one round trip to the echo server).
//! A request holds at most [`MAX_STEPS`](crate::MAX_STEPS) steps once
//! repeats are counted, and talks to one server (db or echo).
//!
//! A db step may carry its own wait (`wait = "50ms"`, sent as a GET_WAIT or
//! PUT_WAIT frame, see [`crate::proto`]); `db_latency` is then the wait of
//! the calls without one. A wait or a size may vary per request:
//! `"uniform(5ms, 50ms)"`, `"exponential(10ms)"` or
//! `"percentiles(p50=5ms, p99=50ms, p100=80ms)"` ([`Dist`]). Requests of
//! several kinds in given proportions are `[[kind]]`s, each with a `weight`
//! and its own `[[kind.step]]`s, in place of the top-level `[[step]]`s.
//! Every draw (the kind, a wait, a size) comes from the request's number
//! and the seed, so every engine runs the same requests.
//!
//! `parse` reads and checks the file; `build` turns a checked script into
//! a [`Workload`]; this module holds the script itself and what it says
//! about its class.

mod build;
mod dist;
mod parse;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalog::{Class, Model};
use crate::step::Kernel;

pub use dist::Dist;

/// A mistake in a workload file: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {msg}", if *.line > 0 { format!(":{line}:{column}") } else { String::new() })]
pub struct ScriptError {
    pub file: String,
    /// From 1; 0 when the file could not be read at all.
    pub line: usize,
    pub column: usize,
    pub msg: String,
}

/// One step of a checked script. Sizes are in bytes, waits in µs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ScriptStep {
    /// A database call: GET, or a durable PUT; with its own wait, or the
    /// server's (`None`).
    Db {
        put: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wait: Option<Dist>,
    },
    /// A compute kernel over `size` bytes of the shared input.
    Compute { kernel: ScriptKernel, size: Dist },
    /// A read of `size` bytes from the data file (draws rounded down to
    /// 512 bytes).
    Read { sequential: bool, size: Dist },
    /// An append of `size` bytes to a log file, made durable or not.
    Append { size: Dist, fdatasync: bool },
    /// One round trip of `size` payload bytes to the echo server.
    Echo { size: Dist },
}

/// The kernels a script may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScriptKernel {
    Sha256,
    Fnv1a,
}

impl ScriptKernel {
    fn kernel(self) -> Kernel {
        match self {
            ScriptKernel::Sha256 => Kernel::Sha256,
            ScriptKernel::Fnv1a => Kernel::Fnv1a,
        }
    }
}

/// One kind of request of a mix: its share and its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestKind {
    /// As the file names it ("" when it does not).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Relative to the other kinds' weights.
    pub weight: u32,
    /// The steps in order, repeats unrolled.
    pub steps: Vec<ScriptStep>,
}

/// A checked workload file: what run.json records, so the run renders
/// again without the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ScriptRecord", into = "ScriptRecord")]
pub struct Script {
    pub name: String,
    pub description: String,
    /// The db server's wait per call without its own, when the file sets one.
    pub db_latency: Option<Duration>,
    /// The kinds of request, at least one; a file of `[[step]]`s is one
    /// unnamed kind of weight 1.
    pub kinds: Vec<RequestKind>,
}

/// A script as run.json spells it: a file of one kind keeps the `steps`
/// runs recorded before mixes, so either reads back.
#[derive(Serialize, Deserialize)]
struct ScriptRecord {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default, with = "opt_duration")]
    db_latency: Option<Duration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    steps: Vec<ScriptStep>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    kinds: Vec<RequestKind>,
}

impl From<ScriptRecord> for Script {
    fn from(r: ScriptRecord) -> Script {
        let mut kinds = r.kinds;
        if !r.steps.is_empty() {
            kinds.insert(0, RequestKind::only(r.steps));
        }
        Script {
            name: r.name,
            description: r.description,
            db_latency: r.db_latency,
            kinds,
        }
    }
}

impl From<Script> for ScriptRecord {
    fn from(s: Script) -> ScriptRecord {
        let single = s.single().map(|st| st.to_vec());
        ScriptRecord {
            name: s.name,
            description: s.description,
            db_latency: s.db_latency,
            steps: single.clone().unwrap_or_default(),
            kinds: if single.is_some() {
                Vec::new()
            } else {
                s.kinds
            },
        }
    }
}

impl RequestKind {
    /// The one kind of a file without `[[kind]]`s.
    fn only(steps: Vec<ScriptStep>) -> RequestKind {
        RequestKind {
            name: String::new(),
            weight: 1,
            steps,
        }
    }
}

mod opt_duration {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&crate::units::format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        let s: Option<String> = serde::Deserialize::deserialize(d)?;
        s.map(|s| crate::units::parse_duration(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

impl Script {
    /// The steps of a file of one unnamed kind (every file before mixes).
    pub fn single(&self) -> Option<&[ScriptStep]> {
        match &self.kinds[..] {
            [k] if k.name.is_empty() && k.weight == 1 => Some(&k.steps),
            _ => None,
        }
    }

    /// Every step of every kind.
    pub fn all_steps(&self) -> impl Iterator<Item = &ScriptStep> {
        self.kinds.iter().flat_map(|k| k.steps.iter())
    }

    /// Each kind with its share of the requests (the shares sum to 1).
    fn shares(&self) -> impl Iterator<Item = (&RequestKind, f64)> {
        let total: f64 = self.kinds.iter().map(|k| k.weight as f64).sum();
        self.kinds.iter().map(move |k| (k, k.weight as f64 / total))
    }

    fn waits(&self) -> bool {
        self.all_steps()
            .any(|s| !matches!(s, ScriptStep::Compute { .. }))
    }

    fn computes(&self) -> bool {
        self.all_steps()
            .any(|s| matches!(s, ScriptStep::Compute { .. }))
    }

    /// The compute steps' kernels, mean sizes and the share of requests
    /// that run them (for the harness to time: how much a request computes
    /// is measured, not declared).
    pub fn compute_steps(&self) -> Vec<(Kernel, u32, f64)> {
        self.shares()
            .flat_map(|(k, share)| {
                k.steps.iter().filter_map(move |s| match s {
                    ScriptStep::Compute { kernel, size } => {
                        Some((kernel.kernel(), size.mean().round().max(1.0) as u32, share))
                    }
                    _ => None,
                })
            })
            .collect()
    }

    /// Seconds a request waits on the database on average: each call its
    /// own mean wait, or `db_latency`.
    pub fn mean_db_wait(&self, db_latency: Duration) -> f64 {
        self.shares()
            .map(|(k, share)| {
                share
                    * k.steps
                        .iter()
                        .map(|s| match s {
                            ScriptStep::Db { wait: Some(w), .. } => w.mean() * 1e-6,
                            ScriptStep::Db { wait: None, .. } => db_latency.as_secs_f64(),
                            _ => 0.0,
                        })
                        .sum::<f64>()
            })
            .sum()
    }

    /// The class, from what a request costs: `compute_s` seconds of
    /// computing (measured by the caller) against its database waits
    /// (`db_latency` each, or the call's own). Waiting ten times longer than
    /// computing is I/O-bound (the lesson's web request: 3 x 10 ms against
    /// µs of rendering); computing with no wait at all is CPU-bound; a
    /// request with file or echo steps, whose waits are not known ahead,
    /// computing as long as a tenth of its known waits or more, is mixed.
    pub fn class_given(&self, compute_s: f64, db_latency: Duration) -> Class {
        let db_wait = self.mean_db_wait(db_latency);
        let other_waits = self.all_steps().any(|s| {
            matches!(
                s,
                ScriptStep::Read { .. } | ScriptStep::Append { .. } | ScriptStep::Echo { .. }
            )
        });
        match (self.computes(), self.waits()) {
            (false, _) => Class::IoBound,
            (true, false) => Class::CpuBound,
            _ if db_wait > 0.0 && compute_s <= 0.1 * db_wait => Class::IoBound,
            _ if !other_waits && compute_s >= 10.0 * db_wait => Class::CpuBound,
            _ => Class::Mixed,
        }
    }

    /// The class from the steps alone: only computing is CPU-bound, only
    /// waiting I/O-bound, both mixed (what [`Script::class_given`] says
    /// when their costs are close).
    pub fn class(&self) -> Class {
        match (self.waits(), self.computes()) {
            (true, true) => Class::Mixed,
            (false, true) => Class::CpuBound,
            _ => Class::IoBound,
        }
    }
}

/// The model the lesson predicts for a class.
pub fn prediction(class: Class) -> Model {
    match class {
        Class::IoBound => Model::EventLoop,
        Class::CpuBound => Model::Pool,
        Class::Mixed => Model::EventLoopPool,
    }
}

impl Script {
    /// Database calls waiting the server's `db_latency` that every request
    /// makes (the fewest of any kind): calls with their own wait are not
    /// counted, so what is said about `--db-latency` stays true.
    pub fn db_calls(&self) -> u32 {
        self.kinds
            .iter()
            .map(|k| {
                k.steps
                    .iter()
                    .filter(|s| matches!(s, ScriptStep::Db { wait: None, .. }))
                    .count() as u32
            })
            .min()
            .unwrap_or(0)
    }

    /// A one-line description for `iobound list` and the reports.
    pub fn summary(&self) -> String {
        if !self.description.is_empty() {
            return self.description.clone();
        }
        let steps = |steps: &[ScriptStep]| {
            steps
                .iter()
                .map(ScriptStep::summary)
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(s) = self.single() {
            return steps(s);
        }
        self.shares()
            .map(|(k, share)| format!("{:.0} %: {}", share * 100.0, steps(&k.steps)))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A size as a file writes it: "64K", "1M", "100B".
fn size_text(n: u64) -> String {
    match n {
        0 => "0B".to_string(),
        n if n % (1 << 20) == 0 => format!("{}M", n >> 20),
        n if n % 1024 == 0 => format!("{}K", n >> 10),
        n => format!("{n}B"),
    }
}

/// A wait in µs as a file writes it.
fn wait_text(us: u64) -> String {
    crate::units::format_duration(Duration::from_micros(us))
}

impl ScriptStep {
    /// Steps of a request this one takes.
    fn held(&self) -> usize {
        match self {
            ScriptStep::Append {
                fdatasync: true, ..
            } => 2,
            _ => 1,
        }
    }

    fn summary(&self) -> String {
        let kib = |d: &Dist| d.text(size_text);
        match self {
            ScriptStep::Db { put, wait } => format!(
                "db {}{}",
                if *put { "put" } else { "get" },
                wait.as_ref()
                    .map_or(String::new(), |w| format!(" of {}", w.text(wait_text)))
            ),
            ScriptStep::Compute { kernel, size } => {
                format!("{} of {}", kernel.kernel().name(), kib(size))
            }
            ScriptStep::Read { sequential, size } => format!(
                "{} read of {}",
                if *sequential { "sequential" } else { "random" },
                kib(size)
            ),
            ScriptStep::Append { size, fdatasync } => format!(
                "append of {}{}",
                kib(size),
                if *fdatasync { " + fdatasync" } else { "" }
            ),
            ScriptStep::Echo { size } => format!("echo of {}", kib(size)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Service;
    use crate::step::{Msg, Step};
    use crate::WorkloadParams;

    fn parse(text: &str) -> Result<Script, ScriptError> {
        Script::parse("w.toml", text)
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    /// An outsider's 48 KiB reads were refused: 1 GiB is not a multiple
    /// of 48 KiB. The data file is the largest multiple that fits, and
    /// every read stays inside it; a file smaller than one read is refused.
    #[test]
    fn a_file_size_that_is_not_a_multiple_of_the_reads_is_rounded_down() {
        let s = parse("name = \"r\"\n[[step]]\nread = \"random\"\nsize = \"48K\"\n").unwrap();
        let p = WorkloadParams::default();
        let w = s.build(&p).unwrap();
        let size = w.files()[0].size;
        assert_eq!(size, p.file_size - p.file_size % (48 << 10));
        for i in 0..1000 {
            for st in w.request(i).steps() {
                if let Step::Read { offset, len, .. } = st {
                    assert!(offset + *len as u64 <= size);
                }
            }
        }
        let small = WorkloadParams {
            file_size: 16 << 10,
            ..WorkloadParams::default()
        };
        let e = s.build(&small).err().unwrap().to_string();
        assert!(
            e.contains("--file-size 16384 is smaller than the largest read or append"),
            "{e}"
        );
    }

    const SERVICE: &str = r#"
name = "my-service"
db_latency = "5ms"

[[step]]
db = "get"
repeat = 3

[[step]]
compute = "sha256"
size = "64K"
"#;

    #[test]
    fn a_service_file_reads_into_its_steps_and_class() {
        let s = parse(SERVICE).unwrap();
        assert_eq!(s.single().unwrap().len(), 4);
        assert_eq!(s.db_latency, Some(Duration::from_millis(5)));
        assert_eq!(s.class(), Class::Mixed);
        // 3 x 5 ms of waiting against 30 µs of hashing: I/O-bound; against
        // 10 ms, mixed; with no wait at all (latency 0), CPU-bound.
        let ms = Duration::from_millis(5);
        assert_eq!(s.class_given(30e-6, ms), Class::IoBound);
        assert_eq!(s.class_given(10e-3, ms), Class::Mixed);
        assert_eq!(s.class_given(30e-6, Duration::ZERO), Class::CpuBound);
        assert_eq!(s.db_calls(), 3);
        let w = s.build(&WorkloadParams::default()).unwrap();
        assert_eq!(w.name(), "my-service");
        assert_eq!(w.service(), Some(Service::Db));
        let r = w.request(7);
        assert_eq!(r.len(), 4);
        assert!(r.steps()[3].is_compute());
        // Deterministic: the same request twice.
        assert_eq!(w.request(7), r);
        // run.json's copy reads back the same.
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Script>(&json).unwrap(), s);
    }

    #[test]
    fn mistakes_are_one_line_with_file_line_and_column() {
        for (text, want) in [
            (
                "name = \"x\"\n[[step]]\ndbb = \"get\"\n",
                "w.toml:3:1: unknown field `dbb`",
            ),
            (
                "name = \"x\"\n[[step]]\ncompute = \"sha256\"\nsize = 4096\n",
                "w.toml:4:8: size: expected a size with its unit",
            ),
            (
                "name = \"x\"\n[[step]]\ncompute = \"sha256\"\nsize = \"4096\"\n",
                "w.toml:4:8: size '4096': a size needs its unit",
            ),
            (
                "name = \"x\"\n[[step]]\ncompute = \"md5\"\nsize = \"4K\"\n",
                "w.toml:3:11: compute 'md5': expected \"sha256\" or \"fnv1a\"",
            ),
            ("name = \"x\"\n", "no [[step]]"),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nrepeat = 9\n",
                "w.toml:4:10: repeat 9: expected a whole number from 1 to 8",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nrepeat = 8\n[[step]]\necho = \"64B\"\n",
                "at most 8 steps",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\n[[step]]\necho = \"64B\"\n",
                "cannot be mixed",
            ),
            (
                "name = \"db-web\"\n[[step]]\ndb = \"get\"\n",
                "w.toml:1:8: name 'db-web' is a built-in",
            ),
            (
                "name = \"x\"\ndb_latency = \"5\"\n[[step]]\ndb = \"get\"\n",
                "w.toml:2:14: db_latency '5'",
            ),
            (
                "name = \"x\"\n[[step]]\nread = \"random\"\nsize = \"1000B\"\n",
                "multiple of 512",
            ),
            (
                "name = \"x\"\n[[step]]\nsize = \"4K\"\n",
                "this one has none",
            ),
            ("name = \"x\"\n[[step\n", "w.toml:2:"),
            // A call's own wait, a mix and distributions.
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nwait = \"50\"\n",
                "w.toml:4:8: wait '50': expected a duration with its unit",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nwait = 50\n",
                "w.toml:4:8: wait: expected a duration with its unit in quotes",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nwait = \"2min\"\n",
                "w.toml:4:8: wait '2min': expected at most 60s",
            ),
            (
                "name = \"x\"\n[[step]]\necho = \"8B\"\nwait = \"5ms\"\n",
                "w.toml:4:8: wait applies to a db step only",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nwait = \"uniform(5ms, 5)\"\n",
                "w.toml:4:22: wait: uniform's '5': expected a duration with its unit",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nwait = \"exponential(10s)\"\n",
                "w.toml:4:8: wait: draws reach 100s, expected at most 60s",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nwait = \"normal(5ms, 1ms)\"\n",
                "w.toml:4:8: wait 'normal(5ms, 1ms)': expected a value, uniform(a, b)",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nwait = \"percentiles(p50=5ms, p99=50ms)\"\n",
                "w.toml:4:38: wait: percentiles(...) ends with p100=VALUE",
            ),
            (
                "name = \"x\"\n[[step]]\ncompute = \"sha256\"\nsize = \"uniform(4K, 1K)\"\n",
                "w.toml:4:21: size: uniform(a, b) needs a <= b",
            ),
            (
                "name = \"x\"\n[[step]]\nread = \"random\"\nsize = \"uniform(4K, 6000B)\"\n",
                "w.toml:4:21: size of a read: uniform's '6000B': 6000 bytes: expected a multiple of 512",
            ),
            (
                "name = \"x\"\n[[kind]]\nweight = 0\n[[kind.step]]\ndb = \"get\"\n",
                "w.toml:3:10: weight 0: expected a whole number from 1 to 1000000",
            ),
            (
                "name = \"x\"\n[[kind]]\n[[kind.step]]\ndb = \"get\"\n",
                "w.toml:2:1: [[kind]] 1 needs a weight",
            ),
            (
                "name = \"x\"\n[[kind]]\nweight = 5\n",
                "w.toml:2:1: this [[kind]] has no [[kind.step]]",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\n[[kind]]\nweight = 5\n[[kind.step]]\ndb = \"put\"\n",
                "w.toml:4:1: a file has [[step]]s (one kind of request) or [[kind]]s (a mix), not both",
            ),
            (
                "name = \"x\"\n[[kind]]\nweight = 5\n[[kind.step]]\ndb = \"get\"\n[[kind]]\nweight = 1\n[[kind.step]]\necho = \"8B\"\n",
                "cannot be mixed (in one file, across its kinds too)",
            ),
            (
                "name = \"x\"\ndb_latency = \"5ms\"\n[[step]]\ndb = \"get\"\nwait = \"1ms\"\n",
                "w.toml:2:14: db_latency is the wait of db calls without their own",
            ),
            (
                "name = \"x\"\n[[kind]]\nweight = 5\nwieght = 3\n[[kind.step]]\ndb = \"get\"\n",
                "w.toml:4:1: unknown field `wieght`",
            ),
        ] {
            let e = error(text);
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    /// An outsider's finding: counting the steps a request holds said
    /// "(1 before it)" after an append with fdatasync (which counts two),
    /// and did not say which step went over.
    #[test]
    fn the_step_count_error_counts_as_the_user_does() {
        let e = error(
            "name = \"x\"\n[[step]]\nwrite = \"append\"\nsize = \"4K\"\nfdatasync = true\n\
             [[step]]\nread = \"random\"\nsize = \"4K\"\nrepeat = 7\n",
        );
        assert!(
            e.contains("w.toml:6:1:") && e.contains("[[step]] 2 brings them to 9 (2 before it)"),
            "{e}"
        );
        let e = error(
            "name = \"x\"\n[[kind]]\nweight = 1\n[[kind.step]]\ndb = \"get\"\nrepeat = 8\n\
             [[kind.step]]\ndb = \"get\"\n",
        );
        assert!(
            e.contains("[[kind.step]] 2 brings them to 9 (8 before it)"),
            "{e}"
        );
    }

    /// An outsider's finding: a value of the wrong type said serde's
    /// "expected i64"; each key says what it takes, in the user's words.
    #[test]
    fn a_wrong_type_says_what_the_key_takes() {
        for (text, want) in [
            (
                "name = \"x\"\n[[step]]\ndb = \"get\"\nrepeat = \"3\"\n",
                "w.toml:4:10: repeat \"3\": expected a whole number from 1 to 8",
            ),
            (
                "name = \"x\"\n[[kind]]\nweight = 2.5\n[[kind.step]]\ndb = \"get\"\n",
                "w.toml:3:10: weight 2.5: expected a whole number from 1 to 1000000",
            ),
            (
                "name = \"x\"\ndb_latency = 5\n[[step]]\ndb = \"get\"\n",
                "w.toml:2:14: db_latency = 5: expected a duration with its unit, e.g. \"5ms\"",
            ),
            (
                "name = \"x\"\n[[step]]\nwrite = \"append\"\nsize = \"4K\"\nfdatasync = \"yes\"\n",
                "w.toml:5:13: fdatasync = \"yes\": expected true or false",
            ),
            (
                "name = \"x\"\n[[step]]\ndb = 1\n",
                "w.toml:3:6: db = 1: expected \"get\" or \"put\"",
            ),
            (
                "name = 7\n[[step]]\ndb = \"get\"\n",
                "w.toml:1:8: name = 7: expected a name",
            ),
            (
                "name = \"x\"\n[step]\ndb = \"get\"\n",
                "w.toml:2:1: found map: steps and kinds are tables in double brackets",
            ),
            (
                "name = \"x\"\nstep = 3\n",
                "w.toml:2:8: found integer `3`: steps and kinds are tables",
            ),
        ] {
            let e = error(text);
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains("i64") && !e.contains("invalid type"), "{e}");
        }
    }

    /// An outsider's finding: a kind's name could be empty or another
    /// kind's, which the report cannot tell apart.
    #[test]
    fn a_kind_name_is_one_line_and_its_own() {
        let kind = |name: &str| {
            format!("[[kind]]\nname = {name}\nweight = 1\n[[kind.step]]\ndb = \"get\"\n")
        };
        let e = error(&format!("name = \"x\"\n{}", kind("\"\"")));
        assert!(
            e.contains("w.toml:3:8: [[kind]] 1: name \"\": expected one line"),
            "{e}"
        );
        let e = error(&format!(
            "name = \"x\"\n{}{}",
            kind("\"read\""),
            kind("\"read\"")
        ));
        assert!(
            e.contains("w.toml:8:8: [[kind]] 2: name 'read' is already [[kind]] 1's"),
            "{e}"
        );
        let e = error(&format!("name = \"x\"\n{}", kind("\"a\\nb\"")));
        assert!(e.contains("w.toml:3:8:"), "{e}");
        assert!(parse(&format!("name = \"x\"\n{}{}", kind("\"a\""), kind("\"b\""))).is_ok());
    }

    /// An outsider's finding: `db_latency = "100s"` was read, and only a
    /// run's length check (or the server) said no; the file refuses it
    /// with the limit, as it does a call's own wait.
    #[test]
    fn db_latency_is_bounded_like_a_calls_wait() {
        let e = error("name = \"x\"\ndb_latency = \"100s\"\n[[step]]\ndb = \"get\"\n");
        assert!(
            e.contains("w.toml:2:14: db_latency '100s': expected at most 60s"),
            "{e}"
        );
        assert!(parse("name = \"x\"\ndb_latency = \"60s\"\n[[step]]\ndb = \"get\"\n").is_ok());
    }

    /// The README says a wait is "from 0 to 60 s", and `--db-latency 0`
    /// works on the command line; `wait = "0"` said it lacked a unit.
    #[test]
    fn a_bare_zero_wait_needs_no_unit() {
        let s = parse(
            "name = \"x\"\ndb_latency = \"0\"\n[[step]]\ndb = \"get\"\nwait = \"0\"\n[[step]]\ndb = \"put\"\n",
        )
        .unwrap();
        assert_eq!(s.db_latency, Some(Duration::ZERO));
        assert_eq!(s.mean_db_wait(Duration::ZERO), 0.0);
        // Any other bare number still asks for its unit.
        let e = error("name = \"x\"\n[[step]]\ndb = \"get\"\nwait = \"5\"\n");
        assert!(e.contains("expected a duration with its unit"), "{e}");
    }

    /// An outsider's finding: a description of several lines broke the
    /// one-line rendering of `iobound list` and the reports; it is refused.
    #[test]
    fn a_description_is_one_line() {
        let e = error("name = \"x\"\ndescription = \"\"\"\nline one\nline two\"\"\"\n[[step]]\ndb = \"get\"\n");
        assert!(
            e.contains("w.toml:2:15: description: expected one line"),
            "{e}"
        );
        let s =
            parse("name = \"x\"\ndescription = \"one line\"\n[[step]]\ndb = \"get\"\n").unwrap();
        assert_eq!(s.description, "one line");
        // A direction override reverses what follows it on a terminal.
        let e = error("name = \"x\"\ndescription = \"a \u{202e}b\"\n[[step]]\ndb = \"get\"\n");
        assert!(e.contains("direction override"), "{e}");
        // Text in any script is fine.
        let s =
            parse("name = \"x\"\ndescription = \"requête web, مرحبا\"\n[[step]]\ndb = \"get\"\n")
                .unwrap();
        assert_eq!(s.description, "requête web, مرحبا");
    }

    /// Outside tester: `repeat = 99999999999999999999` said only "number too
    /// large to fit in target type".
    #[test]
    fn a_number_beyond_tomls_integers_says_so() {
        let e = error("name = \"x\"\n[[step]]\ndb = \"get\"\nrepeat = 99999999999999999999\n");
        assert!(
            e.contains("w.toml:4:10: a number beyond TOML's integers"),
            "{e}"
        );
    }

    /// An outsider's finding: after non-ASCII text on a line, the column
    /// counted bytes (2:90 for a value at character 81).
    #[test]
    fn columns_count_characters() {
        let line = "kind = [{ name = \"日本語🚀\", weight = 1, step = [{ db = \"get\", wait = \"uniform(5ms, 50)\" }] }]";
        let e = error(&format!("name = \"x\"\n{line}\n"));
        let col = 1 + line[..line.find("50)").unwrap()].chars().count();
        assert_eq!(col, 81);
        assert!(e.contains(&format!("w.toml:2:{col}:")), "{e}");
        let e = error("name = \"x\"\nkind = [{ name = \"日本語🚀\", weight = 0, step = [{ db = \"get\" }] }]\n");
        let col = 1 + "kind = [{ name = \"日本語🚀\", weight = ".chars().count();
        assert!(e.contains(&format!("w.toml:2:{col}:")), "{e}");
    }

    /// An outsider's finding: a file that is not UTF-8 said so without
    /// where; the error gives the line and column of the first bad byte.
    #[test]
    fn a_file_that_is_not_utf8_says_where() {
        let path = std::env::temp_dir().join(format!("iobound-latin1-{}.toml", std::process::id()));
        std::fs::write(&path, b"name = \"x\"\n# caf\xe9\n[[step]]\ndb = \"get\"\n").unwrap();
        let e = Script::load(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!((e.line, e.column), (2, 6), "{e}");
        assert!(e.msg.contains("0xe9 is not UTF-8"), "{e}");
    }

    const MIX: &str = r#"
name = "mix"
db_latency = "1ms"

[[kind]]
name = "read"
weight = 95
[[kind.step]]
db = "get"
wait = "5ms"
[[kind.step]]
db = "get"
[[kind.step]]
compute = "sha256"
size = "uniform(1K, 8K)"

[[kind]]
weight = 5
[[kind.step]]
db = "put"
wait = "percentiles(p50=20ms, p99=50ms, p100=80ms)"
[[kind.step]]
db = "get"
wait = "exponential(10ms)"
"#;

    /// The issue's three asks at once: a call's own wait, a weighted mix
    /// and distributions, drawn the same for the same request number.
    #[test]
    fn a_mix_draws_its_kinds_and_values_from_the_request_number() {
        let s = parse(MIX).unwrap();
        assert_eq!(s.kinds.len(), 2);
        assert_eq!((s.kinds[0].weight, s.kinds[1].weight), (95, 5));
        assert_eq!(s.kinds[0].name, "read");
        // Only the second GET of kind 1 waits the server's latency.
        assert_eq!(s.db_calls(), 0);
        let w = s.build(&WorkloadParams::default()).unwrap();
        assert_eq!(w.max_transfer(), crate::proto::PUT_WAIT_FRAME);
        assert_eq!(w.compute_input() as u64, 8192 + crate::compute::SPREAD);
        let n = 20_000;
        let (mut puts, mut sizes, mut put_waits) = (0, Vec::new(), Vec::new());
        for i in 0..n {
            let r = w.request(i);
            assert_eq!(r, w.request(i), "request {i} drawn twice differs");
            match r.steps() {
                [Step::Exchange {
                    msg:
                        Msg::Get {
                            wait_us: Some(5000),
                            ..
                        },
                }, Step::Exchange {
                    msg: Msg::Get { wait_us: None, .. },
                }, Step::Compute { input, .. }] => sizes.push(input.len()),
                [Step::Exchange {
                    msg:
                        Msg::Put {
                            wait_us: Some(a), ..
                        },
                }, Step::Exchange {
                    msg:
                        Msg::Get {
                            wait_us: Some(b), ..
                        },
                }] => {
                    puts += 1;
                    assert!(*b <= 100_000, "exponential(10ms) cut at 100 ms: {b}");
                    put_waits.push(*a);
                }
                other => panic!("request {i}: {other:?}"),
            }
        }
        // 5 % of 20,000 is 1,000 (sd ~31).
        assert!((850..1150).contains(&puts), "{puts} puts");
        assert!(sizes.iter().all(|s| (1024..=8192).contains(s)));
        assert!(sizes.iter().min() < Some(&1200) && sizes.iter().max() > Some(&8000));
        put_waits.sort();
        let median = put_waits[put_waits.len() / 2];
        assert!((15_000..25_000).contains(&median), "median {median}");
        assert!(put_waits.iter().all(|w| (20_000..=80_000).contains(w)));
        // Another seed, other requests.
        let other = s
            .build(&WorkloadParams {
                seed: 99,
                ..Default::default()
            })
            .unwrap();
        assert!((0..50).any(|i| other.request(i) != w.request(i)));
        // Waits count in the class: 0.95 x 6 ms + 0.05 x (~28 + 10) ms.
        let wait = s.mean_db_wait(Duration::from_millis(1));
        assert!((0.0065..0.0080).contains(&wait), "{wait}");
        assert_eq!(
            s.class_given(30e-6, Duration::from_millis(1)),
            Class::IoBound
        );
        assert!(s.summary().starts_with("95 %: db get of 5ms, db get, sha256 of uniform(1K, 8K); 5 %: db put of percentiles(p50=20ms"), "{}", s.summary());
        // run.json's copy reads back the same, kinds and distributions too.
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Script>(&json).unwrap(), s, "{json}");
    }

    /// The examples the README points at read, check and build.
    #[test]
    fn the_example_files_read_and_build() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut n = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "toml") {
                let s = Script::load(&path).unwrap_or_else(|e| panic!("{e}"));
                s.build(&WorkloadParams::default()).unwrap();
                n += 1;
            }
        }
        assert!(n >= 2, "{n} examples in {}", dir.display());
        // my-service-mix: a 5 ms and a 50 ms call, in a mix.
        let s = Script::load(&dir.join("my-service-mix.toml")).unwrap();
        assert_eq!(s.kinds.len(), 2);
        assert!(s.all_steps().any(|x| matches!(
            x,
            ScriptStep::Db {
                wait: Some(Dist::Fixed(50_000)),
                ..
            }
        )));
        assert_eq!(s.db_latency, Some(Duration::from_millis(5)));
    }

    /// A run.json written before mixes (steps, fixed sizes as numbers)
    /// reads back as one kind.
    #[test]
    fn a_script_recorded_before_mixes_reads_back() {
        let json = r#"{"name":"old","description":"","db_latency":"5ms","steps":[{"kind":"db","put":false},{"kind":"compute","kernel":"sha256","size":65536}]}"#;
        let s: Script = serde_json::from_str(json).unwrap();
        assert_eq!(
            s.single().unwrap(),
            [
                ScriptStep::Db {
                    put: false,
                    wait: None
                },
                ScriptStep::Compute {
                    kernel: ScriptKernel::Sha256,
                    size: Dist::Fixed(65536)
                }
            ]
        );
        assert_eq!(serde_json::to_string(&s).unwrap(), json);
    }

    #[test]
    fn every_step_kind_builds_into_the_engines_steps() {
        let s = parse(
            r#"
name = "every-step"
[[step]]
read = "random"
size = "4K"
[[step]]
read = "sequential"
size = "8K"
[[step]]
write = "append"
size = "4K"
fdatasync = true
[[step]]
compute = "fnv1a"
size = "1K"
[[step]]
echo = "64B"
"#,
        )
        .unwrap();
        let w = s
            .build(&WorkloadParams {
                file_size: 1 << 20,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(w.files().len(), 2);
        let r = w.request(3);
        let kinds: Vec<&str> = r
            .steps()
            .iter()
            .map(|s| match s {
                Step::Read { .. } => "read",
                Step::Append { .. } => "append",
                Step::Fdatasync { .. } => "sync",
                Step::Compute { .. } => "compute",
                Step::Exchange { .. } => "exchange",
                Step::Write { .. } => "write",
            })
            .collect();
        assert_eq!(
            kinds,
            ["read", "read", "append", "sync", "compute", "exchange"]
        );
        for i in 0..1000 {
            for st in w.request(i).steps() {
                if let Step::Read { offset, len, .. } = st {
                    assert!(offset % *len as u64 == 0 && offset + *len as u64 <= 1 << 20);
                }
            }
        }
        assert_eq!(s.class(), Class::Mixed);
    }
}
