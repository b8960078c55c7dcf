//! The runtimes section: engines of one model compared with each other (an
//! event loop on epoll against one on io_uring, say) at the lowest and the
//! highest concurrency they shared, and a pool of threads against a pool of
//! processes on CPU-bound work. Pure; engines are found by their recorded
//! models, never by name.

use iobound_workloads::{Class, Model};

use super::model::{Point, Report};

/// One engine at one point.
#[derive(Debug, Clone)]
pub struct Row {
    pub model: Model,
    pub group: String,
    pub concurrency: usize,
    pub engine: String,
    pub throughput: f64,
    pub p99_ns: f64,
    pub cpu_per_request_ns: f64,
    pub memory: f64,
}

impl Row {
    fn of(model: Model, group: &str, p: &Point) -> Self {
        Row {
            model,
            group: group.to_string(),
            concurrency: p.concurrency,
            engine: p.engine.clone(),
            throughput: p.throughput.median,
            p99_ns: p.p99_ns.median,
            cpu_per_request_ns: p.cpu_ns.median,
            memory: p.memory.median,
        }
    }
}

/// Models that ran on two engines or more, with those engines.
pub fn shared_models(r: &Report) -> Vec<(Model, Vec<String>)> {
    Model::ALL
        .into_iter()
        .filter_map(|m| {
            // Rust's engines and Python's alike: an event loop on epoll,
            // on io_uring and in asyncio are runtimes of one model.
            let e: Vec<String> = r
                .models
                .iter()
                .chain(&r.python)
                .filter(|(_, x)| *x == m)
                .map(|(e, _)| e.clone())
                .collect();
            (e.len() >= 2).then_some((m, e))
        })
        .collect()
}

/// Per model with several engines: every closed-loop group where two of
/// them ran, at the lowest and highest concurrency two of them shared.
pub fn rows(r: &Report) -> Vec<Row> {
    let mut out = Vec::new();
    for (model, engines) in shared_models(r) {
        for g in r.groups.iter().filter(|g| !g.open_loop) {
            let shared: Vec<usize> = g
                .concurrencies
                .iter()
                .copied()
                .filter(|&c| engines.iter().filter(|e| g.point(e, c).is_some()).count() >= 2)
                .collect();
            let (Some(&lo), Some(&hi)) = (shared.first(), shared.last()) else {
                continue;
            };
            let mut cs = vec![lo];
            if hi != lo {
                cs.push(hi);
            }
            for c in cs {
                for e in &engines {
                    if let Some(p) = g.point(e, c) {
                        out.push(Row::of(model, &g.label, p));
                    }
                }
            }
        }
    }
    out
}

/// A pool of threads against a pool of processes on CPU-bound work, at the
/// highest concurrency both ran, when the run has both.
pub fn pools(r: &Report) -> Vec<Row> {
    let mut out = Vec::new();
    for g in r
        .groups
        .iter()
        .filter(|g| !g.open_loop && g.class == Some(Class::CpuBound))
    {
        let of = |m: Model, c: usize| {
            g.points
                .iter()
                .filter(|p| p.concurrency == c && r.any_model_of(&p.engine) == Some(m))
                .collect::<Vec<_>>()
        };
        let Some(c) = g
            .concurrencies
            .iter()
            .rev()
            .copied()
            .find(|&c| !of(Model::Pool, c).is_empty() && !of(Model::ProcessPool, c).is_empty())
        else {
            continue;
        };
        for m in [Model::Pool, Model::ProcessPool] {
            for p in of(m, c) {
                out.push(Row::of(m, &g.label, p));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::testing::{group, point, report};

    #[test]
    fn engines_of_one_model_are_compared_at_their_lowest_and_highest_shared_load() {
        let models = [
            ("threads", Model::BlockingThreads),
            ("uring", Model::EventLoop),
            ("tokio", Model::EventLoop),
            ("rayon", Model::Pool),
            ("procs", Model::ProcessPool),
        ];
        let r = report(
            2,
            &models,
            vec![
                group(
                    "net-echo",
                    Class::IoBound,
                    vec![
                        point("threads", 1, &[1.0], 1.0, 1.0),
                        point("uring", 1, &[10.0], 1.0, 1.0),
                        point("tokio", 1, &[12.0], 1.0, 1.0),
                        point("uring", 64, &[100.0], 1.0, 1.0),
                        point("tokio", 64, &[90.0], 1.0, 1.0),
                        point("uring", 256, &[100.0], 1.0, 1.0),
                    ],
                ),
                group(
                    "cpu-hash",
                    Class::CpuBound,
                    vec![
                        point("rayon", 32, &[100.0], 1.0, 2.0),
                        point("procs", 32, &[90.0], 1.2, 3.0),
                        point("uring", 32, &[50.0], 1.0, 1.0),
                    ],
                ),
            ],
        );
        assert_eq!(
            shared_models(&r),
            [(
                Model::EventLoop,
                vec!["uring".to_string(), "tokio".to_string()]
            )]
        );
        let rows = rows(&r);
        // 256 had one event loop only: 1 and 64 are the shared loads.
        let seen: Vec<(usize, &str)> = rows
            .iter()
            .map(|x| (x.concurrency, x.engine.as_str()))
            .collect();
        assert_eq!(
            seen,
            [(1, "uring"), (1, "tokio"), (64, "uring"), (64, "tokio")]
        );
        let pools = pools(&r);
        assert_eq!(pools.len(), 2);
        assert_eq!(
            (pools[1].model, pools[1].engine.as_str()),
            (Model::ProcessPool, "procs")
        );
        assert!((pools[1].cpu_per_request_ns - 1200.0).abs() < 1e-6);
    }
}
