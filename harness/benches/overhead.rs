//! `cargo bench -p iobound --bench overhead`: what the harness itself costs
//! per request — the clock read, recording into the histogram, and building
//! the request — to compare with the shortest requests it measures (about
//! 1 µs for a 4 KiB read from the page cache). Prints nanoseconds per call.

use std::hint::black_box;
use std::time::{Duration, Instant};

use iobound::exec::Done;
use iobound::load::Taper;
use iobound::record::{InWindow, Progress, Recorder, Sink};
use iobound_workloads::{build, WorkloadParams};

const N: u64 = 20_000_000;

fn per_call(label: &str, mut f: impl FnMut(u64)) -> f64 {
    // Warm caches and branch predictors first.
    for i in 0..N / 10 {
        f(i);
    }
    let best = (0..5)
        .map(|_| {
            let t = Instant::now();
            for i in 0..N {
                f(i);
            }
            t.elapsed().as_nanos() as f64 / N as f64
        })
        .fold(f64::INFINITY, f64::min);
    println!("{label:<44} {best:>7.2} ns/call");
    best
}

/// Cost of noting one completed request, with or without the histogram.
fn recorder_cost(label: &str, record_latency: bool) -> f64 {
    recording(label, Recorder::new(record_latency))
}

/// Cost of noting one completed request on `rec`.
fn recording(label: &str, mut rec: Recorder) -> f64 {
    let progress = Progress::new(1);
    per_call(label, |i| {
        let latency = Duration::from_nanos(500 + (i & 0xffff));
        rec.complete(
            &progress,
            0,
            true,
            InWindow {
                ended: i & 1 == 0,
                weight: 1.0,
            },
            latency,
            None,
            Done {
                bytes: 4096,
                digest: 0,
            },
        );
    })
}

fn main() {
    println!("iobound harness overhead per request (best of 5 x {N} calls)");
    let clock = per_call("Instant::now()", |_| {
        black_box(Instant::now());
    });
    let record = recorder_cost("Recorder::complete (histogram + progress)", true);
    // A completion's weight in the throughput (the window's taper), as
    // CellCtx::record takes it: completions spread over a 1 s window, a
    // quarter of them on each fading edge.
    let t0 = Instant::now();
    let taper = Taper::new(t0, t0 + Duration::from_secs(1));
    let ends: Vec<Instant> = (0..1024u64)
        .map(|k| t0 + Duration::from_micros(k * 977))
        .collect();
    let share = per_call("Taper::weight (a completion in the window)", |i| {
        black_box(taper.weight(black_box(ends[(i & 1023) as usize])));
    });
    let count_only = recorder_cost("Recorder::complete, latency not recorded", false);
    // The threads engine's recorder per slot: latencies held back, then
    // added to a shared histogram's shard under its lock.
    let sink = Sink::new(8, false);
    recording(
        "Recorder::complete, shared (threads' slots)",
        Recorder::shared(true, &sink, 0),
    );
    let w = build("file-randread", &WorkloadParams::default()).expect("builds");
    let request = per_call("file-randread request(i)", |i| {
        black_box(w.request(black_box(i)));
    });
    // A closed-loop request reads the clock once (its end is the next start).
    let total = clock + record + share + request;
    println!(
        "per request: {total:.1} ns in all; histogram recording alone {:.1} ns = {:.1}% of a 1 us request",
        record - count_only,
        (record - count_only) / 10.0
    );
}
