//! A workload file's class from what its requests cost here: its compute
//! steps timed on this machine against its database waits
//! ([`iobound_workloads::Script::class_given`] draws the line).

use std::time::{Duration, Instant};

use iobound_workloads::compute::shared_input;
use iobound_workloads::script::prediction;
use iobound_workloads::{Class, Model, Script};

/// Seconds one request computes here, on average: each compute step's
/// kernel run on its mean size of the shared input, the fastest of a few
/// runs (the machine's other work only adds time), times the share of
/// requests whose kind runs it.
pub fn compute_seconds(script: &Script) -> f64 {
    script
        .compute_steps()
        .iter()
        .map(|&(kernel, size, share)| {
            // The input is generated 8 bytes at a time; a size need not be.
            let input = shared_input((size as usize).div_ceil(8) * 8);
            let input = &input[..size as usize];
            share
                * (0..5)
                    .map(|_| {
                        let t = Instant::now();
                        std::hint::black_box(kernel.run(std::hint::black_box(input)));
                        t.elapsed().as_secs_f64()
                    })
                    .fold(f64::INFINITY, f64::min)
        })
        .sum()
}

/// The class and the lesson's model for it, with the database's wait per
/// call the run uses.
pub fn class(script: &Script, db_latency: Duration) -> (Class, Model) {
    let c = script.class_given(compute_seconds(script), db_latency);
    (c, prediction(c))
}
