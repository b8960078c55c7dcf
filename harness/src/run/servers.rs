//! The loopback servers a group's workloads need: started when the group's
//! first cell of a repetition starts, stopped after its last, so every
//! group (and every repetition of it) gets servers of its own settings on a
//! table restored to its initial content. Two groups never share a server,
//! and no two servers ever run on one table.

use std::path::Path;

use iobound_workloads::Service;

use super::{Observer, Ready};
use crate::config::RunConfig;
use crate::result::Status;
use crate::serve::child::ServerChild;
use crate::serve::Kind;

/// The servers of one group in one repetition; stopped on drop.
pub(crate) struct GroupServers {
    pub group: usize,
    pub rep: Option<u32>,
    running: Vec<(Service, ServerChild)>,
    /// Why a server could not start: the cells that need it fail with this
    /// (or are skipped, when the program is not installed here).
    failed: Vec<(Service, String, Status)>,
}

impl GroupServers {
    /// Starts a server for each service the group's workloads use (none
    /// with `--target`). A server that does not start fails only the cells
    /// that need it, with the reason; the rest of the suite goes on.
    pub fn start(
        cfg: &RunConfig,
        ready: &[Ready],
        dir: &Path,
        group: usize,
        rep: Option<u32>,
        obs: &mut dyn Observer,
    ) -> Self {
        let mut me = GroupServers {
            group,
            rep,
            running: Vec::new(),
            failed: Vec::new(),
        };
        if cfg.target.is_some() {
            return me;
        }
        for s in ready.iter().filter_map(|r| r.workload.service()) {
            if me.running.iter().any(|(k, _)| *k == s) || me.failed.iter().any(|(k, ..)| *k == s) {
                continue;
            }
            if let Some(why) = (s == Service::Redis)
                .then(crate::serve::redis::missing)
                .flatten()
            {
                me.failed.push((s, why, Status::Skipped));
                continue;
            }
            match start_server(s, cfg, dir, group, rep) {
                Ok(child) => {
                    obs.server_started(s, child.addr, group, rep);
                    me.running.push((s, child));
                }
                Err(e) => me.failed.push((s, e.to_string(), Status::Failed)),
            }
        }
        me
    }

    /// The server a service's cells talk to: `Ok(None)` when the group uses
    /// `--target` or needs none, `Err` with the cells' status and the reason
    /// when it did not start.
    pub fn server(&self, s: Option<Service>) -> Result<Option<&ServerChild>, (Status, String)> {
        let Some(s) = s else { return Ok(None) };
        if let Some((_, why, status)) = self.failed.iter().find(|(k, ..)| *k == s) {
            return Err((*status, why.clone()));
        }
        Ok(self.running.iter().find(|(k, _)| *k == s).map(|(_, c)| c))
    }
}

/// The flags of `iobound serve` for a service and a group.
pub(crate) fn serve_args(s: Service, cfg: &RunConfig) -> crate::cli::ServeArgs {
    let mut a = crate::config::serve_defaults(kind(s));
    a.threads = cfg.server_threads;
    if s == Service::Db {
        a.records = cfg.file.params.records;
        a.db.db_latency = cfg.file.db_latency;
        a.data.data_dir = Some(cfg.file.data_dir.clone());
        // Every group starts from the same table, whatever earlier groups
        // or runs wrote, and with the table in the page cache.
        a.fresh = true;
        a.direct = cfg.file.direct;
    }
    a
}

fn kind(s: Service) -> Kind {
    match s {
        Service::Echo => Kind::Echo,
        Service::Db => Kind::Db,
        Service::Redis => Kind::Redis,
    }
}

/// Starts the server a service needs, as a child process logging into the
/// run directory (one log per group and repetition).
fn start_server(
    s: Service,
    cfg: &RunConfig,
    dir: &Path,
    group: usize,
    rep: Option<u32>,
) -> Result<ServerChild, crate::serve::child::ChildError> {
    let rep = rep.map_or(String::new(), |r| format!("-r{r}"));
    let cpus = cfg.pin.server.as_deref();
    if s == Service::Redis {
        let log = dir.join(format!("server-redis-g{}{rep}.log", group + 1));
        // Its append-only file beside the data files, started afresh.
        let files = cfg.file.data_dir.join("iobound-redis");
        let threads = cfg.server_threads;
        return crate::serve::redis::start(cfg.file.params.records, threads, &files, &log, cpus);
    }
    let args = serve_args(s, cfg).to_argv();
    let log = dir.join(format!("server-{}-g{}{rep}.log", args[0], group + 1));
    ServerChild::start(kind(s), &args, &log, cpus)
}
