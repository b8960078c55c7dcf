//! Ceilings on throughput computed from the run's own measurements, so each
//! curve can be read against what it could at most have done: waiting
//! (Little's law in a closed loop), the client's cores, the server's
//! threads, and the machine's cores shared by client and server.

use iobound_workloads::{Class, Model};

use super::model::{Group, Point, Report};
use crate::lang::Lang;

/// What limits a point's throughput.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// C in flight, each taking the latency measured at C = 1: C × X(1).
    Waiting,
    /// The cores the engine can use, each busy for the CPU a request cost.
    Cores,
    /// The server's threads, each busy for the server CPU a request cost.
    Server,
    /// Client and server on one machine: its CPUs over their CPU per request.
    Machine,
    /// Open loop: each connection carries one request at a time, so at
    /// most connections / the time a request holds one (Little's law).
    Connections,
}

impl Bound {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Bound::Waiting => lang.pick(
                "requests in flight × throughput at C=1",
                "requêtes en cours × débit à C=1",
            ),
            Bound::Cores => lang.pick(
                "client cores / CPU per request",
                "cœurs du client / CPU par requête",
            ),
            Bound::Server => lang.pick(
                "server threads / server CPU per request",
                "threads du serveur / CPU serveur par requête",
            ),
            Bound::Machine => lang.pick(
                "machine CPUs / (client + server CPU per request)",
                "CPU de la machine / (CPU client + serveur par requête)",
            ),
            Bound::Connections => lang.pick(
                "connections / time per request (Little's law)",
                "connexions / durée par requête (loi de Little)",
            ),
        }
    }
}

/// The ceilings of one point; `limit` is the lowest.
#[derive(Debug, Clone, PartialEq)]
pub struct Ceiling {
    pub all: Vec<(Bound, f64)>,
    pub limit: (Bound, f64),
}

impl Ceiling {
    /// The measured median as a fraction of the lowest ceiling.
    pub fn reached(&self, p: &Point) -> f64 {
        p.throughput.median / self.limit.1
    }
}

/// Cores an engine could use at a point: its OS threads (io_uring's kernel
/// workers and blocking pools included), at most the machine's CPUs; but a
/// single event loop ([`Model::EventLoop`]) counts one core where it computes
/// (CPU-bound and mixed groups) or does network I/O against a measured
/// server. [`how`] states this rule in words: change both together.
pub fn usable_cores(r: &Report, g: &Group, p: &Point) -> f64 {
    let cpus = r.cpus.max(1) as f64;
    // An event loop computes on its one thread, whatever other threads its
    // runtime keeps (glommio's, asyncio's executor, io_uring's workers). Its
    // I/O is another matter: tokio hands file reads to its blocking pool and
    // io_uring fdatasync to kernel workers, which run on the other cores
    // (a one-core ceiling had tokio's O_DIRECT reads at 159 % of it).
    // Network I/O (a group with a server iobound measured) is the loop's
    // own work too: its sockets are read and written on its thread (glommio
    // on net-echo had a ceiling of 2 cores here and 1 in the prediction).
    let computes = matches!(g.class, Some(Class::CpuBound | Class::Mixed));
    if (computes || g.has_server()) && r.any_model_of(&p.engine) == Some(Model::EventLoop) {
        return 1.0;
    }
    p.threads.median.max(1.0).min(cpus)
}

/// Every ceiling of `p` in `g` that this run measured enough to compute.
pub fn ceiling(r: &Report, g: &Group, p: &Point) -> Option<Ceiling> {
    let mut all = Vec::new();
    if !g.open_loop {
        if let Some(one) = g.point(&p.engine, 1) {
            // A model that blocks a thread (or process) per wait has at most
            // that many waits in flight, whatever C is: a pool of 2 threads
            // waits for 2 requests at a time.
            let blocks = matches!(
                r.any_model_of(&p.engine),
                Some(Model::BlockingThreads | Model::Pool | Model::ProcessPool)
            );
            let waits = if blocks {
                // The pool's recorded size; older runs: its OS threads.
                let held = p.pool_size.map_or(p.threads.median.max(1.0), |n| n as f64);
                (p.concurrency as f64).min(held)
            } else {
                p.concurrency as f64
            };
            all.push((Bound::Waiting, waits * one.throughput.median));
        }
    }
    if g.open_loop {
        if let Some(service) = p.service_ns.filter(|s| s.median > 0.0) {
            all.push((
                Bound::Connections,
                p.connections as f64 * 1e9 / service.median,
            ));
        }
    }
    // CPU seconds per request.
    let per_req = |ns: f64| ns / 1e9;
    let client = per_req(p.cpu_ns.median);
    if client > 0.0 {
        all.push((Bound::Cores, usable_cores(r, g, p) / client));
    }
    if let Some(server) = p.server_cpu_ns.map(|s| per_req(s.median)) {
        if server > 0.0 {
            let threads = g.params.server_threads.unwrap_or(1).max(1) as f64;
            all.push((Bound::Server, threads / server));
        }
        if client + server > 0.0 && r.cpus > 0 {
            all.push((Bound::Machine, r.cpus as f64 / (client + server)));
        }
    }
    all.retain(|(_, v)| v.is_finite() && *v > 0.0);
    let limit = all.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(Ceiling { all, limit })
}

/// How each ceiling is computed, one line each; the connections ceiling
/// only when the run has an open-loop cell (the only ones it applies to).
pub fn how(r: &Report, lang: Lang) -> Vec<String> {
    let open_loop = r.groups.iter().any(|g| g.open_loop);
    let mut v = vec![
        lang.pick(
            "requests in flight: in a closed loop, throughput = requests in flight / latency (Little's law); if every request kept the latency it had alone (C = 1), C requests in flight would give C × the throughput at C = 1. It is the waiting ceiling where requests wait (on a server, a timer, the disk): the waits overlap. A model that holds a thread per request (blocking threads, a pool) has at most as many requests in flight as it has threads.",
            "requêtes en cours : en boucle fermée, débit = requêtes en cours / latence (loi de Little) ; si chaque requête gardait la latence qu'elle a seule (C = 1), C requêtes en cours donneraient C × le débit à C = 1. C'est le plafond des attentes là où les requêtes attendent (un serveur, un minuteur, le disque) : les attentes se recouvrent. Un modèle qui occupe un thread par requête (threads bloquants, pool) n'a pas plus de requêtes en cours que de threads.",
        )
        .to_string(),
        lang.pick(
            "client cores: the cores the engine can use divided by the CPU time one request cost it in that cell. An engine can use as many cores as it had OS threads (the threads column: kernel workers and blocking pools included), at most the machine's CPUs — except a single event loop where it computes (CPU-bound and mixed workloads) or where it does network I/O against a server this run measured: that work runs on its one thread, so it counts one core, whatever other threads its runtime keeps. Where a single event loop does file I/O it counts its threads, as its runtime's blocking pool or io_uring's kernel workers do the I/O on other cores. Reaching it means those cores were busy all the time.",
            "cœurs du client : les cœurs que le moteur peut occuper divisés par le temps CPU qu'une requête lui a coûté dans cette cellule. Un moteur peut occuper autant de cœurs qu'il avait de threads (la colonne des threads : threads du noyau et pools bloquants compris), au plus les CPU de la machine — sauf une boucle d'événements unique là où elle calcule (charges limitées par le CPU et mixtes) ou là où elle fait des I/O réseau face à un serveur mesuré dans ce rapport : ce travail se fait sur son unique thread, elle compte donc un cœur, quels que soient les autres threads de son environnement. Là où une boucle d'événements unique fait des I/O de fichiers, elle compte ses threads : le pool bloquant de son environnement ou les threads du noyau d'io_uring font ces I/O sur les autres cœurs. L'atteindre veut dire que ces cœurs étaient occupés en permanence.",
        )
        .to_string(),
        lang.pick(
            "server: the loopback server's threads divided by the server CPU time per request.",
            "serveur : les threads du serveur local divisés par son temps CPU par requête.",
        )
        .to_string(),
    ];
    if open_loop {
        v.push(
            lang.pick(
                "connections (open loop): each connection carries one request at a time, so the offered rate it can carry is at most connections / the time a request holds one (its latency from the actual send); a rate above that queues, whatever the CPUs could do.",
                "connexions (boucle ouverte) : chaque connexion porte une requête à la fois, le débit offert qu'elle peut porter est donc au plus connexions / la durée pendant laquelle une requête l'occupe (sa latence depuis l'envoi réel) ; au-delà, les requêtes s'accumulent, quoi que puissent les CPU.",
            )
            .to_string(),
        );
    }
    v.push(
        lang.pick(
            "machine: client and server share the machine's CPUs; its CPUs divided by their CPU time per request together. Each ceiling is computed from medians measured in other cells or over the whole cell, so a point can land a few percent above it: read 100 % and a little more as \"at the ceiling\". No ceiling models the storage device: O_DIRECT cells far below every ceiling were limited by the disk.",
            "machine : client et serveur se partagent les CPU de la machine ; leur nombre divisé par le temps CPU d'une requête chez les deux. Chaque plafond vient de médianes mesurées dans d'autres cellules ou sur toute la cellule : un point peut le dépasser de quelques pour cent ; lisez 100 % et un peu plus comme « au plafond ». Aucun plafond ne modélise le disque : les cellules O_DIRECT loin sous tous leurs plafonds étaient limitées par lui.",
        )
        .to_string(),
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::testing::{group, point, report};
    use crate::report::model::Stat;
    use crate::report::Render;

    /// Reviewer finding: the ceilings' definition said an engine could use
    /// "its threads, at most the machine's CPUs", while an event loop
    /// counted one core where it computes or does network I/O. The
    /// definition names both cases, and each of the reviewer's examples
    /// (2 CPUs) gives the cores it says.
    #[test]
    fn the_client_cores_definition_says_what_usable_cores_does() {
        let hash = group(
            "cpu-hash",
            Class::CpuBound,
            vec![point("glommio", 8, &[100.0], 10.0, 2.0)],
        );
        let mut echo_point = point("glommio", 8, &[100.0], 10.0, 3.0);
        echo_point.server_cpu_ns = Some(Stat::of(&[5_000.0]));
        let echo = group("net-echo", Class::IoBound, vec![echo_point]);
        let mut read = group(
            "file-randread (O_DIRECT)",
            Class::IoBound,
            vec![point("glommio", 8, &[100.0], 10.0, 3.0)],
        );
        read.direct = true;
        let r = report(2, &[("glommio", Model::EventLoop)], vec![hash, echo, read]);
        let cores: Vec<f64> = r
            .groups
            .iter()
            .map(|g| usable_cores(&r, g, &g.points[0]))
            .collect();
        assert_eq!(cores, [1.0, 1.0, 2.0]);

        let md =
            |lang| String::from_utf8(crate::report::markdown::Markdown.render(&r, lang)).unwrap();
        let en = md(Lang::En);
        assert!(
            en.contains("except a single event loop where it computes (CPU-bound and mixed workloads) or where it does network I/O against a server this run measured")
                && en.contains("Where a single event loop does file I/O it counts its threads"),
            "{en}"
        );
        let fr = md(Lang::Fr);
        assert!(
            fr.contains("sauf une boucle d'événements unique là où elle calcule (charges limitées par le CPU et mixtes) ou là où elle fait des I/O réseau face à un serveur mesuré dans ce rapport")
                && fr.contains("Là où une boucle d'événements unique fait des I/O de fichiers, elle compte ses threads")
                && !fr.contains("(ses threads, au plus les CPU de la machine)"),
            "{fr}"
        );
    }

    /// Reviewer finding: open-loop words are explained only in a run with
    /// an open-loop cell; the connections ceiling applies to no other, so
    /// its line ("connections (open loop)") goes with them.
    #[test]
    fn the_connections_ceiling_is_defined_only_in_an_open_loop_run() {
        let closed = group(
            "db-web",
            Class::IoBound,
            vec![
                point("uring", 1, &[100.0], 10.0, 1.0),
                point("uring", 8, &[800.0], 10.0, 1.0),
            ],
        );
        let r = report(2, &[("uring", Model::EventLoop)], vec![closed.clone()]);
        for lang in [Lang::En, Lang::Fr] {
            let md = String::from_utf8(crate::report::markdown::Markdown.render(&r, lang)).unwrap();
            assert!(
                md.contains(lang.pick("- client cores:", "- cœurs du client :"))
                    && !md.contains(
                        lang.pick("connections (open loop)", "connexions (boucle ouverte)")
                    ),
                "{md}"
            );
            assert_eq!(how(&r, lang).len(), 4);
        }
        let mut open = closed;
        open.open_loop = true;
        let r = report(2, &[("uring", Model::EventLoop)], vec![open]);
        assert!(how(&r, Lang::En)[3].starts_with("connections (open loop):"));
        assert!(how(&r, Lang::Fr)[3].starts_with("connexions (boucle ouverte) :"));
    }
}
