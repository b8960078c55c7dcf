//! `iobound serve`'s flags, and the argv that parses back into them.

use std::time::Duration;

use clap::Args;
use iobound_workloads::units::duration_arg;

use super::shared::{DataDirArgs, DbArgs};

pub(super) const SERVE_EXAMPLES: &str = "\
Examples:
  # the database on one host, with a 1 ms service delay per query
  iobound serve db --listen 0.0.0.0:7000 --db-latency 1ms
  # and the load from another: no server is started then
  iobound run --workload db-ycsb-b --target 10.0.0.5:7000

  # after a crash: replay the write-ahead log (the default) and see what it did
  iobound serve db --data-dir /var/tmp/iobound
  # back to the initial table, the log discarded (what `iobound run` does)
  iobound serve db --fresh

`iobound run` starts the server it needs by itself, as a child process, and
stops it when the run ends. An answered PUT survives a crash: at start the
db server replays its write-ahead log and says so on stderr; it refuses a
corrupt log (exit 1) unless --truncate-corrupt-wal. The protocol and the
log's format are documented in the README.";

#[derive(Debug, Clone, PartialEq, Args)]
pub struct ServeArgs {
    /// Which server
    #[arg(value_enum)]
    pub kind: crate::serve::Kind,
    /// Address to listen on (port 0: the OS picks one; printed on stdout)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Server threads, each with its own io_uring loop (1 to 1024)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = super::shared::server_threads_arg,
          allow_hyphen_values = true)]
    pub threads: u64,
    /// db: records in the table (1 KiB each)
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub records: u64,
    #[command(flatten)]
    pub db: DbArgs,
    /// db: open the table with O_DIRECT
    #[arg(long)]
    pub direct: bool,
    #[command(flatten)]
    pub data: DataDirArgs,
    /// db: start from the table's initial content: discard the write-ahead
    /// log without replaying it, rewrite the records that differ from their
    /// initial content, and read the whole table into the page cache
    /// (`iobound run` starts its servers so)
    #[arg(long, conflicts_with = "truncate_corrupt_wal")]
    pub fresh: bool,
    /// db: when the write-ahead log is corrupt (a bad record followed by
    /// valid ones), replay the records before the damage and drop the rest,
    /// instead of refusing to start
    #[arg(long)]
    pub truncate_corrupt_wal: bool,
    /// Close a connection whose frame stays unfinished this long (idle
    /// connections between frames stay open)
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration_arg,
          allow_hyphen_values = true)]
    pub frame_timeout: Duration,
}

impl ServeArgs {
    /// The command line (after `iobound serve`) that parses back into these
    /// flags: how `run` starts its servers, so that the child's arguments
    /// and their parser are one type.
    pub fn to_argv(&self) -> Vec<String> {
        use clap::ValueEnum;
        let kind = self
            .kind
            .to_possible_value()
            .expect("every server kind has a name");
        let mut argv = vec![
            kind.get_name().to_string(),
            "--listen".into(),
            self.listen.to_string(),
            "--threads".into(),
            self.threads.to_string(),
            "--frame-timeout".into(),
            format!("{}ns", self.frame_timeout.as_nanos()),
        ];
        if self.kind == crate::serve::Kind::Db {
            argv.extend([
                "--records".into(),
                self.records.to_string(),
                "--db-latency".into(),
                format!("{}ns", self.db.db_latency.as_nanos()),
            ]);
        }
        argv.extend(self.data.to_argv());
        for (flag, on) in [
            ("--direct", self.direct),
            ("--fresh", self.fresh),
            ("--truncate-corrupt-wal", self.truncate_corrupt_wal),
        ] {
            if on {
                argv.push(flag.into());
            }
        }
        argv
    }
}
