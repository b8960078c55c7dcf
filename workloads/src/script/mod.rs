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
//! Not yet expressible (said here so nobody hunts for it): a latency per
//! call (every call waits the server's one `db_latency`), a weighted mix of
//! request kinds, and distributions of waits or sizes.

//!
//! `parse` reads and checks the file; `build` turns a checked script into
//! a [`Workload`]; this module holds the script itself and what it says
//! about its class.

mod build;
mod parse;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalog::{Class, Model};
use crate::step::Kernel;

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

/// One step of a checked script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ScriptStep {
    /// A database call: GET, or a durable PUT.
    Db { put: bool },
    /// A compute kernel over `size` bytes of the shared input.
    Compute { kernel: ScriptKernel, size: u32 },
    /// A read of `size` bytes from the data file.
    Read { sequential: bool, size: u32 },
    /// An append of `size` bytes to a log file, made durable or not.
    Append { size: u32, fdatasync: bool },
    /// One round trip of `size` payload bytes to the echo server.
    Echo { size: u32 },
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

/// A checked workload file: what run.json records, so the run renders
/// again without the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The db server's wait per call, when the file sets one.
    #[serde(default, with = "opt_duration")]
    pub db_latency: Option<Duration>,
    /// The steps in order, repeats unrolled.
    pub steps: Vec<ScriptStep>,
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
    fn waits(&self) -> bool {
        self.steps
            .iter()
            .any(|s| !matches!(s, ScriptStep::Compute { .. }))
    }

    fn computes(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, ScriptStep::Compute { .. }))
    }

    /// The compute steps' kernels and sizes, in order (for the harness to
    /// time: how much a request computes is measured, not declared).
    pub fn compute_steps(&self) -> Vec<(Kernel, u32)> {
        self.steps
            .iter()
            .filter_map(|s| match s {
                ScriptStep::Compute { kernel, size } => Some((kernel.kernel(), *size)),
                _ => None,
            })
            .collect()
    }

    /// The class, from what a request costs: `compute_s` seconds of
    /// computing (measured by the caller) against its database waits of
    /// `db_latency` each. Waiting ten times longer than computing is
    /// I/O-bound (the lesson's web request: 3 x 10 ms against µs of
    /// rendering); computing with no wait at all is CPU-bound; a request
    /// with file or echo steps, whose waits are not known ahead, computing
    /// as long as a tenth of its known waits or more, is mixed.
    pub fn class_given(&self, compute_s: f64, db_latency: Duration) -> Class {
        let db_wait = self.db_calls() as f64 * db_latency.as_secs_f64();
        let other_waits = self.steps.iter().any(|s| {
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
    /// Database calls a request makes.
    pub fn db_calls(&self) -> u32 {
        self.steps
            .iter()
            .filter(|s| matches!(s, ScriptStep::Db { .. }))
            .count() as u32
    }

    /// A one-line description for `iobound list` and the reports.
    pub fn summary(&self) -> String {
        if !self.description.is_empty() {
            return self.description.clone();
        }
        let kib = size_text;
        self.steps
            .iter()
            .map(|s| match s {
                ScriptStep::Db { put } => format!("db {}", if *put { "put" } else { "get" }),
                ScriptStep::Compute { kernel, size } => {
                    format!("{} of {}", kernel.kernel().name(), kib(*size))
                }
                ScriptStep::Read { sequential, size } => format!(
                    "{} read of {}",
                    if *sequential { "sequential" } else { "random" },
                    kib(*size)
                ),
                ScriptStep::Append { size, fdatasync } => format!(
                    "append of {}{}",
                    kib(*size),
                    if *fdatasync { " + fdatasync" } else { "" }
                ),
                ScriptStep::Echo { size } => format!("echo of {}", kib(*size)),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A size as a file writes it: "64K", "1M", "100B".
fn size_text(n: u32) -> String {
    match n {
        n if n % (1 << 20) == 0 => format!("{}M", n >> 20),
        n if n % 1024 == 0 => format!("{}K", n >> 10),
        n => format!("{n}B"),
    }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Service;
    use crate::step::Step;
    use crate::WorkloadParams;

    fn parse(text: &str) -> Result<Script, ScriptError> {
        Script::parse("w.toml", text)
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
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
        assert_eq!(s.steps.len(), 4);
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
                "w.toml:4:10: repeat 9: expected 1 to 8",
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
        ] {
            let e = error(text);
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
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
