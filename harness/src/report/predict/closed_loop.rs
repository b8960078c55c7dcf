//! The closed-loop predictor: for each concurrency model, the ceilings of
//! a closed loop of C requests (Little's law on the waits, the cores over
//! the CPU a request costs, the server's threads) from a few calibration
//! cells. `iobound advise` predicts with it before it measures, and the
//! report's "Predicted vs measured" section checks it against a run. Pure:
//! figures in, ceilings out.

use iobound_workloads::Model;

use crate::report::bounds::Bound;
use crate::report::model::Stat;

/// What the calibration cells measured, one value per repetition.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The engine the calibration ran on.
    pub engine: String,
    /// Requests per second at C = 1: one request at a time, so 1 / the
    /// time a request takes when nothing queues.
    pub x1: Vec<f64>,
    /// The concurrency of the loaded calibration cell.
    pub loaded_c: usize,
    /// The client's CPU seconds per request in the loaded cell.
    pub client_cpu_s: Vec<f64>,
    /// The server's CPU seconds per request there (0 without a server).
    pub server_cpu_s: Vec<f64>,
    /// CPUs of this machine, shared by client and server.
    pub cores: usize,
    /// Threads of the server iobound starts.
    pub server_threads: u64,
}

/// Spread above which a calibration figure is called noisy: (max − min) /
/// median over its repetitions.
pub const NOISY: f64 = 0.25;

fn median(v: &[f64]) -> f64 {
    Stat::of(v).median
}

fn spread(v: &[f64]) -> f64 {
    let s = Stat::of(v);
    if s.median > 0.0 {
        (s.max - s.min) / s.median
    } else {
        0.0
    }
}

impl Calibration {
    pub fn x1(&self) -> f64 {
        median(&self.x1)
    }
    pub fn client_cpu(&self) -> f64 {
        median(&self.client_cpu_s)
    }
    pub fn server_cpu(&self) -> f64 {
        median(&self.server_cpu_s)
    }
    /// The noisiest calibration figure's name and spread, when one is
    /// above [`NOISY`].
    pub fn noisy(&self) -> Option<(&'static str, f64)> {
        [
            ("throughput at C=1", spread(&self.x1)),
            ("client CPU per request", spread(&self.client_cpu_s)),
        ]
        .into_iter()
        .filter(|(_, s)| *s > NOISY)
        .max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// One model's predicted throughput at the user's concurrency.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub model: Model,
    pub engine: String,
    /// Every ceiling that applies, requests per second.
    pub ceilings: Vec<(Bound, f64)>,
    /// The lowest: the prediction.
    pub limit: (Bound, f64),
    /// Requests this model holds in flight: C, or its workers for a pool.
    pub in_flight: usize,
}

/// The predictions at concurrency `c` for each (model, engine, workers):
/// `workers` is a pool's threads (the requests it holds at once).
pub fn predict(cal: &Calibration, models: &[(Model, String, usize)], c: usize) -> Vec<Prediction> {
    let x1 = cal.x1();
    let (client, server) = (cal.client_cpu(), cal.server_cpu());
    let per_s = |cpu: f64, n: f64| if cpu > 0.0 { n / cpu } else { f64::INFINITY };
    models
        .iter()
        .map(|(model, engine, workers)| {
            let in_flight = match model {
                Model::Pool | Model::ProcessPool => (*workers).min(c),
                _ => c,
            };
            let mut ceilings = vec![(Bound::Waiting, in_flight as f64 * x1)];
            // One event loop computes on its one thread.
            if *model == Model::EventLoop {
                ceilings.push((Bound::Cores, per_s(client, 1.0)));
            }
            ceilings.push((Bound::Machine, per_s(client + server, cal.cores as f64)));
            if server > 0.0 {
                ceilings.push((Bound::Server, per_s(server, cal.server_threads as f64)));
            }
            let limit = ceilings
                .iter()
                .copied()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .expect("waiting always applies");
            Prediction {
                model: *model,
                engine: engine.clone(),
                ceilings,
                limit,
                in_flight,
            }
        })
        .collect()
}

/// The concurrency at which waiting stops being the limit of a model that
/// holds every request in flight: where C × X(1) meets the machine's CPU
/// ceiling or the server's, whichever is lower — returned with it, so the
/// sentence names the right one. Below it, such models do alike.
pub fn crossover(cal: &Calibration) -> Option<(f64, Bound)> {
    let (client, server) = (cal.client_cpu(), cal.server_cpu());
    let mut ceiling = if client + server > 0.0 {
        (cal.cores as f64 / (client + server), Bound::Machine)
    } else {
        return None;
    };
    if server > 0.0 && (cal.server_threads as f64 / server) < ceiling.0 {
        ceiling = (cal.server_threads as f64 / server, Bound::Server);
    }
    (cal.x1() > 0.0).then(|| (ceiling.0 / cal.x1(), ceiling.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn calibration() -> Calibration {
        Calibration {
            engine: "threads".into(),
            // 10 ms per request alone.
            x1: vec![100.0, 100.0, 100.0],
            loaded_c: 16,
            // 100 µs of client CPU, 50 µs of server CPU per request.
            client_cpu_s: vec![100e-6; 3],
            server_cpu_s: vec![50e-6; 3],
            cores: 2,
            server_threads: 1,
        }
    }

    #[test]
    fn each_model_gets_its_lowest_ceiling() {
        let cal = calibration();
        let models = [
            (Model::BlockingThreads, "threads".to_string(), 2),
            (Model::EventLoop, "uring".to_string(), 1),
            (Model::Pool, "rayon".to_string(), 2),
        ];
        // C = 10: waiting bounds all but the pool (2 in flight: 200/s).
        let p = predict(&cal, &models, 10);
        assert_eq!(p[0].limit, (Bound::Waiting, 1000.0));
        assert_eq!(p[1].limit, (Bound::Waiting, 1000.0));
        assert_eq!(p[2].limit, (Bound::Waiting, 200.0));
        // C = 1000: the loop's one core (10k/s) and the machine's two
        // shared with the server (2 / 150 µs = 13.3k/s), and the server's
        // one thread (20k/s).
        let p = predict(&cal, &models, 1000);
        assert_eq!(p[1].limit, (Bound::Cores, 10_000.0));
        assert_eq!(p[0].limit.0, Bound::Machine);
        assert!((p[0].limit.1 - 13_333.3).abs() < 1.0);
        assert_eq!(p[2].limit, (Bound::Waiting, 200.0));
        // Waiting meets the machine at ~133 in flight.
        assert!((crossover(&cal).unwrap().0 - 133.3).abs() < 0.5);
    }

    #[test]
    fn a_noisy_calibration_is_named() {
        let mut cal = calibration();
        assert_eq!(cal.noisy(), None);
        cal.x1 = vec![100.0, 60.0, 100.0];
        assert_eq!(cal.noisy().unwrap().0, "throughput at C=1");
    }
}
