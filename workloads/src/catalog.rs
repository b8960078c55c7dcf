//! The list of workloads: names, one-line descriptions, and construction from
//! checked parameters.

use crate::cpu::{CpuHash, CpuImage, MixedFile};
use crate::file::{LogWrite, RandRead, SeqRead};
use crate::net::{DbWeb, DbYcsb, Keys, Mix, MixedDb, NetEcho};
use crate::{Workload, WorkloadError};

/// Where a workload spends its time, which decides the model the lesson predicts wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    IoBound,
    CpuBound,
    Mixed,
}

impl Class {
    pub fn label(self) -> &'static str {
        match self {
            Class::IoBound => "I/O-bound",
            Class::CpuBound => "CPU-bound",
            Class::Mixed => "mixed",
        }
    }
}

/// A concurrency model: how requests wait and where they compute. Engines
/// declare theirs; the lesson's claims and the reports compare models, so a
/// new engine of a known model joins every comparison without being named.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// One OS thread per request in flight, blocking in each syscall.
    BlockingThreads,
    /// One thread multiplexing every request in flight; computes inline.
    EventLoop,
    /// Several event loops (one per core, or work-stealing between them).
    EventLoops,
    /// A fixed pool of threads, one per core; requests are queued tasks.
    Pool,
    /// A fixed pool of worker processes fed over IPC (Python's multiprocessing).
    ProcessPool,
    /// An event loop for waiting, a pool of threads for computing.
    EventLoopPool,
}

impl Model {
    /// Every model, in the order reports list them.
    pub const ALL: [Model; 6] = [
        Model::BlockingThreads,
        Model::EventLoop,
        Model::EventLoops,
        Model::Pool,
        Model::ProcessPool,
        Model::EventLoopPool,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Model::BlockingThreads => "blocking threads",
            Model::EventLoop => "event loop",
            Model::EventLoops => "event loops",
            Model::Pool => "thread pool",
            Model::ProcessPool => "process pool",
            Model::EventLoopPool => "event loop + pool",
        }
    }

    /// The name in run.json and on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Model::BlockingThreads => "blocking-threads",
            Model::EventLoop => "event-loop",
            Model::EventLoops => "event-loops",
            Model::Pool => "pool",
            Model::ProcessPool => "process-pool",
            Model::EventLoopPool => "event-loop-pool",
        }
    }
}

/// What `iobound list` shows about a workload.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct WorkloadInfo {
    pub name: &'static str,
    pub class: Class,
    pub summary: &'static str,
    /// What one request does, in words a report can put under the
    /// workload's heading whatever the run's parameters (no default values):
    /// English, then French.
    pub gist: [&'static str; 2],
    /// The model the lesson expects to win: an event loop for I/O-bound
    /// work, a pool of cores for CPU-bound work, both for mixed work.
    pub prediction: Model,
}

/// Every workload, in the order `iobound list` shows them.
pub fn catalog() -> &'static [WorkloadInfo] {
    CATALOG
}

/// A data table, one entry per workload (a new workload adds one here).
static CATALOG: &[WorkloadInfo] = &[
    WorkloadInfo {
        name: "file-randread",
        class: Class::IoBound,
        summary: "uniform random aligned reads of --block-size (4 KiB) from a data file",
        gist: ["random aligned reads from a data file", "lectures aléatoires alignées dans un fichier de données"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "file-seqread",
        class: Class::IoBound,
        summary: "sequential reads of --block-size (128 KiB), wrapping at the end of the file",
        gist: ["sequential reads of a data file", "lectures séquentielles d'un fichier de données"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "file-write",
        class: Class::IoBound,
        summary: "4 KiB appends to a log file, fdatasync after every --sync-every (1)",
        gist: ["appends to a log file, made durable with fdatasync", "ajouts à un fichier journal, rendus durables par fdatasync"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "cpu-hash",
        class: Class::CpuBound,
        summary: "SHA-256 of --work (256 KiB) of in-memory data per request; no I/O",
        gist: ["a SHA-256 of in-memory data; no I/O", "un SHA-256 de données en mémoire ; aucune I/O"],
        prediction: Model::Pool,
    },
    WorkloadInfo {
        name: "cpu-py",
        class: Class::CpuBound,
        summary: "FNV-1a of --work (256 KiB) one byte at a time; no I/O. In Python a byte loop holds the GIL, where hashlib's SHA-256 releases it",
        gist: ["a byte-by-byte hash (FNV-1a) of in-memory data; no I/O (in Python the byte loop holds the GIL)", "un hachage octet par octet (FNV-1a) de données en mémoire ; aucune I/O (en Python cette boucle garde le GIL)"],
        prediction: Model::Pool,
    },
    WorkloadInfo {
        name: "cpu-image",
        class: Class::CpuBound,
        summary: "3x3 box blur of a 512x512 grayscale tile per request; no I/O",
        gist: ["a 3x3 blur of an image tile; no I/O", "un flou 3x3 d'une tuile d'image ; aucune I/O"],
        prediction: Model::Pool,
    },
    WorkloadInfo {
        name: "net-echo",
        class: Class::IoBound,
        summary: "one --msg-size (64 B) message to the echo server and back",
        gist: ["one message to the echo server and back", "un message au serveur d'écho, puis son retour"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "db-ycsb-a",
        class: Class::IoBound,
        summary: "YCSB A on the db server: 50% reads, 50% durable updates, zipfian keys",
        gist: ["YCSB A on the simulated database: half reads, half durable updates", "YCSB A sur la base simulée : moitié lectures, moitié mises à jour durables"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "db-ycsb-b",
        class: Class::IoBound,
        summary: "YCSB B on the db server: 95% reads, 5% durable updates, zipfian keys",
        gist: ["YCSB B on the simulated database: 95 % reads, 5 % durable updates", "YCSB B sur la base simulée : 95 % de lectures, 5 % de mises à jour durables"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "db-ycsb-c",
        class: Class::IoBound,
        summary: "YCSB C on the db server: reads only, zipfian keys",
        gist: ["YCSB C on the simulated database: reads only", "YCSB C sur la base simulée : lectures seules"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "db-ycsb-f",
        class: Class::IoBound,
        summary: "YCSB F on the db server: read-modify-write of one key",
        gist: ["YCSB F on the simulated database: read-modify-write of one key", "YCSB F sur la base simulée : lecture puis réécriture d'une clé"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "redis-get",
        class: Class::IoBound,
        summary: "one GET of a 1 KiB record from a real Redis iobound starts (needs redis-server), zipfian keys",
        gist: ["one GET from a real Redis", "un GET sur un vrai Redis"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "redis-set",
        class: Class::IoBound,
        summary: "one durable SET of a 1 KiB record on a real Redis (appendfsync always), zipfian keys",
        gist: ["one durable SET on a real Redis", "un SET durable sur un vrai Redis"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "redis-ycsb-b",
        class: Class::IoBound,
        summary: "YCSB B on a real Redis: 95% GETs, 5% durable SETs, zipfian keys",
        gist: ["YCSB B on a real Redis: 95 % GETs, 5 % durable SETs", "YCSB B sur un vrai Redis : 95 % de GET, 5 % de SET durables"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "db-web",
        class: Class::IoBound,
        summary: "the lesson's web request: 3 sequential db queries, then a small render",
        gist: ["the lesson's web request, that is 3 database queries one after the other, then a small render", "la requête web de la leçon, soit 3 appels à la base l'un après l'autre puis un petit rendu"],
        prediction: Model::EventLoop,
    },
    WorkloadInfo {
        name: "mixed-db",
        class: Class::Mixed,
        summary: "one db query, then SHA-256 of --work (256 KiB)",
        gist: ["one database query, then a SHA-256 of in-memory data", "un appel à la base, puis un SHA-256 de données en mémoire"],
        prediction: Model::EventLoopPool,
    },
    WorkloadInfo {
        name: "mixed-file",
        class: Class::Mixed,
        summary: "random read of --block-size (64 KiB) from a data file, then SHA-256 of it",
        gist: ["a random read from a data file, then a SHA-256 of what it read", "une lecture aléatoire dans un fichier de données, puis le SHA-256 de ce qu'elle a lu"],
        prediction: Model::EventLoopPool,
    },
];

/// How db workloads pick keys.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum KeyDist {
    /// YCSB's zipfian distribution (constant 0.99): a few hot keys.
    #[default]
    Zipfian,
    /// Every key equally likely.
    Uniform,
}

/// Parameters shared by the workloads; each takes what it needs. Defined
/// once: the same struct is the command line's flags (clap), a suite
/// group's keys and run.json's record (serde).
#[derive(Debug, Clone, PartialEq, Eq, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkloadParams {
    /// Transfer size per request [default: 4K; 128K for file-seqread; 64K for mixed-file]
    #[arg(long, value_name = "SIZE", value_parser = crate::units::size_arg)]
    pub block_size: Option<u64>,
    /// Size of the data (or log) file
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = crate::units::size_arg)]
    pub file_size: u64,
    /// file-write: fdatasync after every N appends
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = crate::units::whole_arg, allow_hyphen_values = true)]
    pub sync_every: u64,
    /// Seed of the random offsets and keys
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = crate::units::whole_arg, allow_hyphen_values = true)]
    pub seed: u64,
    /// cpu-hash, cpu-py, mixed-db: bytes each request hashes
    #[arg(long, value_name = "SIZE", default_value = "256K", value_parser = crate::units::size_arg)]
    pub work: u64,
    /// net-echo: payload bytes per message, from 1 to 1,048,575 (the largest
    /// ECHO payload)
    #[arg(long, value_name = "SIZE", default_value = "64", value_parser = crate::units::size_arg)]
    pub msg_size: u64,
    /// db: records in the table (1 KiB each)
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = crate::units::whole_arg, allow_hyphen_values = true)]
    pub records: u64,
    /// db workloads: how keys are picked
    #[arg(long, value_enum, value_name = "DIST", default_value = "zipfian")]
    pub keys: KeyDist,
    /// db-ycsb-*: queries per request
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = crate::units::whole_arg, allow_hyphen_values = true)]
    pub ops_per_request: u64,
    /// A workload from a file (`--workload my.toml`): the file's checked
    /// steps, kept here so run.json holds them.
    #[arg(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<crate::script::Script>,
}

impl Default for WorkloadParams {
    fn default() -> Self {
        WorkloadParams {
            block_size: None,
            file_size: 1 << 30,
            sync_every: 1,
            seed: 1,
            work: 256 << 10,
            msg_size: 64,
            records: 100_000,
            keys: KeyDist::Zipfian,
            ops_per_request: 1,
            script: None,
        }
    }
}

/// Largest `--work`: one request's input must stay a reasonable allocation.
pub const MAX_WORK: u64 = 1 << 30;

/// Largest echo payload: a frame must fit the protocol's limit (its body
/// is the opcode byte and the payload), 1,048,575 bytes.
pub const MAX_MSG: u64 = (crate::proto::MAX_FRAME - 1) as u64;

/// `1048575` as the README writes it, `1,048,575`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn build_db(name: &str, p: &WorkloadParams) -> Result<Box<dyn Workload>, WorkloadError> {
    if p.records == 0 {
        return Err(WorkloadError::Invalid(
            "--records must be at least 1".into(),
        ));
    }
    let keys = Keys::new(p.keys == KeyDist::Uniform, p.records, p.seed);
    let ycsb = |n: &'static str, mix: Mix| -> Result<DbYcsb, WorkloadError> {
        let max = DbYcsb::max_ops(mix) as u64;
        if !(1..=max).contains(&p.ops_per_request) {
            return Err(WorkloadError::Invalid(format!(
                "--ops-per-request {} must be from 1 to {max} for {n}",
                p.ops_per_request
            )));
        }
        Ok(DbYcsb::new(
            n,
            mix,
            keys.clone(),
            p.ops_per_request as u32,
            p.seed,
        ))
    };
    let boxed = |w: DbYcsb| -> Box<dyn Workload> { Box::new(w) };
    match name {
        "db-ycsb-a" => ycsb("db-ycsb-a", Mix::A).map(boxed),
        "db-ycsb-b" => ycsb("db-ycsb-b", Mix::B).map(boxed),
        "db-ycsb-c" => ycsb("db-ycsb-c", Mix::C).map(boxed),
        "db-ycsb-f" => ycsb("db-ycsb-f", Mix::F).map(boxed),
        // The same requests to a real Redis: one query each for GET and SET.
        "redis-get" => Ok(boxed(
            DbYcsb::new("redis-get", Mix::C, keys.clone(), 1, p.seed).on_redis(),
        )),
        "redis-set" => Ok(boxed(
            DbYcsb::new("redis-set", Mix::W, keys.clone(), 1, p.seed).on_redis(),
        )),
        "redis-ycsb-b" => ycsb("redis-ycsb-b", Mix::B).map(|w| boxed(w.on_redis())),
        "db-web" => Ok(Box::new(DbWeb::new(keys))),
        _ => match p.work {
            1..=MAX_WORK => Ok(Box::new(MixedDb::new(keys, p.work as u32, p.seed))),
            _ => Err(WorkloadError::Invalid(format!(
                "--work {} must be from 1 byte to 1 GiB",
                p.work
            ))),
        },
    }
}

/// Builds the named workload, checking its parameters first.
pub fn build(name: &str, p: &WorkloadParams) -> Result<Box<dyn Workload>, WorkloadError> {
    if let Some(s) = p.script.as_ref().filter(|s| s.name == name) {
        return s.build(p);
    }
    let default_block = match name {
        "file-randread" | "file-write" => 4096,
        "file-seqread" => 128 * 1024,
        "mixed-file" => 64 * 1024,
        "cpu-hash" => {
            return match p.work {
                1..=MAX_WORK => Ok(Box::new(CpuHash::new(p.work as u32, p.seed))),
                _ => Err(WorkloadError::Invalid(format!(
                    "--work {} must be from 1 byte to 1 GiB",
                    p.work
                ))),
            }
        }
        "cpu-py" => {
            return match p.work {
                1..=MAX_WORK => Ok(Box::new(CpuHash::fnv(p.work as u32, p.seed))),
                _ => Err(WorkloadError::Invalid(format!(
                    "--work {} must be from 1 byte to 1 GiB",
                    p.work
                ))),
            }
        }
        "cpu-image" => return Ok(Box::new(CpuImage::new(p.seed))),
        "net-echo" => {
            return match p.msg_size {
                1..=MAX_MSG => Ok(Box::new(NetEcho::new(p.msg_size as u32))),
                _ => Err(WorkloadError::Invalid(format!(
                    "--msg-size {} must be from 1 to {} bytes (the largest ECHO payload)",
                    p.msg_size,
                    grouped(MAX_MSG)
                ))),
            }
        }
        "db-ycsb-a" | "db-ycsb-b" | "db-ycsb-c" | "db-ycsb-f" | "db-web" | "mixed-db"
        | "redis-get" | "redis-set" | "redis-ycsb-b" => return build_db(name, p),
        _ => return Err(WorkloadError::Unknown(name.to_string())),
    };
    let block = p.block_size.unwrap_or(default_block);
    if block == 0 || block % 512 != 0 || block > 64 << 20 {
        return Err(WorkloadError::Invalid(format!(
            "block size {block} must be a non-zero multiple of 512 bytes, at most 64 MiB"
        )));
    }
    if p.file_size < block || p.file_size % 4096 != 0 {
        return Err(WorkloadError::Invalid(format!(
            "file size {} must be a multiple of 4096 bytes and at least the block size ({block})",
            p.file_size
        )));
    }
    if p.sync_every == 0 {
        return Err(WorkloadError::Invalid(
            "--sync-every must be at least 1".into(),
        ));
    }
    let block32 = block as u32;
    Ok(match name {
        "file-randread" => Box::new(RandRead::new(p.file_size, block32, p.seed)),
        "file-seqread" => Box::new(SeqRead::new(p.file_size, block32)),
        "mixed-file" => Box::new(MixedFile::new(p.file_size, block32, p.seed)),
        "file-write" => {
            if p.file_size % block != 0 {
                return Err(WorkloadError::Invalid(format!(
                    "file-write needs a file size that is a multiple of the block size ({block})"
                )));
            }
            Box::new(LogWrite::new(p.file_size, block32, p.sync_every))
        }
        _ => unreachable!("name checked above"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogued_workload_builds_with_defaults() {
        for info in catalog() {
            let w = build(info.name, &WorkloadParams::default()).unwrap();
            assert_eq!(w.name(), info.name);
            assert!(!w.request(0).is_empty());
        }
    }

    /// `FileRole`'s rule, which the io_uring engines register buffers by:
    /// requests only read data files and only write (append to) logs.
    #[test]
    fn requests_read_data_files_and_write_logs() {
        use crate::step::{FileRole, Step};
        for info in catalog() {
            let w = build(info.name, &WorkloadParams::default()).unwrap();
            let role = |f: crate::FileId| w.files()[f.0 as usize].role;
            for i in 0..crate::WAIT_SAMPLE {
                for s in w.request(i).steps() {
                    match *s {
                        Step::Read { file, .. } => {
                            assert_eq!(role(file), FileRole::Data, "{} reads", info.name)
                        }
                        Step::Write { file, .. } | Step::Append { file, .. } => {
                            assert_eq!(role(file), FileRole::Log, "{} writes", info.name)
                        }
                        Step::Fdatasync { .. } | Step::Compute { .. } | Step::Exchange { .. } => {}
                    }
                }
            }
        }
    }

    /// The flags' defaults and `Default` are one set of values.
    #[test]
    fn command_line_defaults_are_the_defaults() {
        use clap::{Args, FromArgMatches};
        let cmd = WorkloadParams::augment_args(clap::Command::new("t"));
        let m = cmd.try_get_matches_from(["t"]).unwrap();
        assert_eq!(
            WorkloadParams::from_arg_matches(&m).unwrap(),
            WorkloadParams::default()
        );
    }

    /// Issue 18: what a workload says of its queries per request holds for
    /// its requests (the harness refuses a cell shorter than their wait).
    #[test]
    fn min_db_queries_is_the_fewest_queries_of_a_request() {
        use crate::step::{Msg, Step};
        for ops in [1, 3] {
            let p = WorkloadParams {
                ops_per_request: ops,
                ..Default::default()
            };
            for info in catalog() {
                let w = build(info.name, &p).unwrap();
                let fewest = (0..500)
                    .map(|i| {
                        w.request(i)
                            .steps()
                            .iter()
                            .filter(|s| {
                                matches!(
                                    s,
                                    Step::Exchange {
                                        msg: Msg::Get { .. } | Msg::Put { .. }
                                    }
                                )
                            })
                            .count() as u32
                    })
                    .min()
                    .unwrap();
                assert_eq!(w.min_db_queries(), fewest, "{} ops {ops}", info.name);
            }
        }
    }

    /// Issue 18: --msg-size states the limit it accepts, in bytes, in its
    /// help and its error (the error said "1 MiB - 5" and accepted 1 MiB - 1).
    #[test]
    fn msg_size_states_the_limit_it_accepts() {
        let echo = |msg_size| {
            build(
                "net-echo",
                &WorkloadParams {
                    msg_size,
                    ..Default::default()
                },
            )
        };
        assert!(echo(MAX_MSG).is_ok());
        let e = echo(MAX_MSG + 1).err().unwrap().to_string();
        let limit = grouped(MAX_MSG);
        assert_eq!(limit, "1,048,575");
        assert!(e.contains(&format!("from 1 to {limit} bytes")), "{e}");
        use clap::Args;
        let help = WorkloadParams::augment_args(clap::Command::new("t"))
            .render_long_help()
            .to_string();
        let line = help
            .split("--msg-size")
            .nth(1)
            .unwrap()
            .split("--records")
            .next()
            .unwrap()
            .replace(|c: char| c.is_whitespace(), " ");
        assert!(line.contains(&format!("from 1 to {limit}")), "{line}");
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(matches!(
            build("nope", &WorkloadParams::default()),
            Err(WorkloadError::Unknown(_))
        ));
        let p = WorkloadParams {
            block_size: Some(1000),
            ..Default::default()
        };
        assert!(matches!(
            build("file-randread", &p),
            Err(WorkloadError::Invalid(_))
        ));
        let p = WorkloadParams {
            sync_every: 0,
            ..Default::default()
        };
        assert!(build("file-write", &p).is_err());
    }
}
