//! Load generation: `concurrency` slots, each running one request after
//! another, numbered so that slots together cover request numbers 0, 1, 2, ...
//! Closed loop: a slot starts its next request when the previous one ends.
//! Open loop (`--rate`): every request has an intended start on a fixed
//! schedule, and its latency counts from then (coordinated-omission
//! correction, as wrk2 does), so a stalled server shows as queueing.
//! The slot logic is the same for every engine; only how a slot waits differs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What ends the measured part of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Duration(Duration),
    Requests(u64),
}

/// An open-loop schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Intended starts per second, over all slots.
    pub per_sec: f64,
    /// Exponential gaps (a Poisson process) instead of even spacing.
    pub poisson: bool,
}

/// A plan: how many requests are outstanding, for how long, and (open
/// loop) on what schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub concurrency: usize,
    pub warmup: Duration,
    pub bound: Bound,
    /// `None`: closed loop.
    pub rate: Option<Rate>,
}

/// Time marks of one cell, fixed when the engine has finished its set-up.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub start: Instant,
    /// Requests started before this instant are warm-up and not recorded.
    pub measure_from: Instant,
    /// With a duration bound, no request starts at or after this instant.
    pub deadline: Option<Instant>,
    /// With a duration bound, the weight each completion carries in the
    /// throughput.
    pub taper: Option<Taper>,
}

impl Clock {
    pub fn new(plan: &Plan, start: Instant) -> Self {
        let measure_from = start + plan.warmup;
        let deadline = match plan.bound {
            Bound::Duration(d) => Some(measure_from + d),
            Bound::Requests(_) => None,
        };
        Clock {
            start,
            measure_from,
            deadline,
            taper: deadline.map(|d| Taper::new(measure_from, d)),
        }
    }
}

/// The measured window's weights: a completion counts 1 in the middle of
/// the window and fades linearly to 0 over its first and last quarters
/// (a Tukey window). Counting every completion inside as 1, a closed loop
/// whose slots finish in step (thousands of requests answered by one
/// server in the same few turns) came out in steps of C: `db-web` at 4096
/// in flight measured exactly 7 or 8 requests per slot in its window,
/// 14 % apart, in repetitions of one cell. A wave of completions now
/// enters and leaves the count gradually. It still counts completions:
/// a pool's queue that holds requests for longer than the window is
/// measured at the rate it completes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Taper {
    from: Instant,
    full_from: Instant,
    full_to: Instant,
    to: Instant,
    ramp: f64,
}

impl Taper {
    pub fn new(from: Instant, to: Instant) -> Self {
        let ramp = to.saturating_duration_since(from) / 4;
        Taper {
            from,
            full_from: from + ramp,
            full_to: to - ramp,
            to,
            ramp: ramp.as_secs_f64(),
        }
    }

    /// The weight of a completion at `t`: 1 in the window's middle half,
    /// 0 outside the window, linear between.
    #[inline]
    pub fn weight(&self, t: Instant) -> f64 {
        if t >= self.full_from && t <= self.full_to {
            1.0
        } else if t < self.from || t > self.to {
            0.0
        } else if t < self.full_from {
            (t - self.from).as_secs_f64() / self.ramp
        } else {
            (self.to - t).as_secs_f64() / self.ramp
        }
    }

    /// The weights' integral from the window's start to `until` (the
    /// window's end, or earlier for a cell stopped early): the length the
    /// weighted count is divided by.
    pub fn length(&self, until: Instant) -> std::time::Duration {
        let secs = |a: Instant, b: Instant| b.saturating_duration_since(a).as_secs_f64();
        let until = until.clamp(self.from, self.to);
        let h = self.ramp;
        let up = secs(self.from, until.min(self.full_from));
        let mid = secs(self.full_from, until.min(self.full_to));
        let down = secs(self.full_to, until);
        // Each ramp's integral: the triangle's area up to `until`.
        let s = if h > 0.0 {
            up * up / (2.0 * h) + mid + (down - down * down / (2.0 * h))
        } else {
            mid
        };
        std::time::Duration::from_secs_f64(s)
    }
}

/// The request a slot runs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub index: u64,
    /// Whether this request falls in the measured window.
    pub measured: bool,
    /// When the request should start: `now` in a closed loop, its place on
    /// the schedule in an open loop (possibly already past).
    pub intended: Instant,
}

/// One closed-loop slot: at most one request outstanding at a time.
#[derive(Debug, Clone)]
pub struct Slot {
    next_index: u64,
    stride: u64,
    /// Measured requests this slot may still start, with a request-count bound.
    quota: Option<u64>,
    rate: Option<Rate>,
    /// Open loop: this slot's next intended start, from the clock's start.
    next_at: Duration,
}

/// Seed of the Poisson schedule's gaps.
const ARRIVAL_SEED: u64 = 0xA7;

/// The gap after request `index` on one slot of a schedule with `slots` slots.
fn gap(rate: Rate, slots: u64, index: u64) -> Duration {
    let mean = slots as f64 / rate.per_sec;
    let secs = if rate.poisson {
        // Inverse transform of an exponential; 1 - u is in (0, 1].
        -(1.0 - iobound_workloads::keys::unit(ARRIVAL_SEED, index)).ln() * mean
    } else {
        mean
    };
    Duration::from_secs_f64(secs)
}

impl Slot {
    /// The `id`-th of `plan.concurrency` slots. With `--requests N`, the N
    /// measured requests are split as evenly as possible between slots.
    pub fn new(plan: &Plan, id: usize) -> Self {
        let c = plan.concurrency as u64;
        let quota = match plan.bound {
            Bound::Requests(n) => Some(n / c + u64::from((id as u64) < n % c)),
            Bound::Duration(_) => None,
        };
        let next_at = match plan.rate {
            None => Duration::ZERO,
            // Even spacing interleaves the slots: slot s starts at s / R.
            Some(r) if !r.poisson => Duration::from_secs_f64(id as f64 / r.per_sec),
            // A Poisson process per slot at R / C adds up to one at R.
            Some(r) => gap(r, c, id as u64 | 1 << 63),
        };
        Slot {
            next_index: id as u64,
            stride: c,
            quota,
            rate: plan.rate,
            next_at,
        }
    }

    /// All slots of a plan.
    pub fn all(plan: &Plan) -> Vec<Slot> {
        (0..plan.concurrency)
            .map(|id| Slot::new(plan, id))
            .collect()
    }

    /// The next request to start at `now`, or `None` when this slot is done
    /// (deadline passed, quota used up, or the cell aborted).
    #[inline]
    pub fn next(&mut self, clock: &Clock, now: Instant, abort: &AtomicBool) -> Option<Ticket> {
        if abort.load(Ordering::Relaxed) {
            return None;
        }
        let intended = match self.rate {
            None => now,
            Some(_) => clock.start + self.next_at,
        };
        let measured = intended >= clock.measure_from;
        if let Some(deadline) = clock.deadline {
            if intended >= deadline {
                return None;
            }
        }
        if measured {
            if let Some(q) = &mut self.quota {
                if *q == 0 {
                    return None;
                }
                *q -= 1;
            }
        }
        let index = self.next_index;
        self.next_index += self.stride;
        if let Some(r) = self.rate {
            self.next_at += gap(r, self.stride, index);
        }
        Some(Ticket {
            index,
            measured,
            intended,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The taper's weights, and its length: 3/4 of a whole window.
    #[test]
    fn the_taper_weighs_the_middle_fully_and_fades_at_the_edges() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let w = Taper::new(ms(1000), ms(5000));
        for (t, want) in [
            (0, 0.0),
            (1000, 0.0),
            (1500, 0.5),
            (2000, 1.0),
            (3000, 1.0),
            (4000, 1.0),
            (4500, 0.5),
            (5000, 0.0),
            (6000, 0.0),
        ] {
            assert!(
                (w.weight(ms(t)) - want).abs() < 1e-9,
                "at {t} ms: {}",
                w.weight(ms(t))
            );
        }
        assert_eq!(w.length(ms(5000)), Duration::from_millis(3000));
        assert_eq!(w.length(ms(9000)), Duration::from_millis(3000));
        // Stopped early: the integral up to the stop.
        assert!((w.length(ms(1500)).as_secs_f64() - 0.125).abs() < 1e-9);
        assert!((w.length(ms(3000)).as_secs_f64() - 1.5).abs() < 1e-9);
    }

    /// Completions in waves of C every `p` (slots that finish in step): the
    /// weighted count over the length is within 2 % of C / p whatever the
    /// waves' phase, where counting whole completions in the window was off
    /// by up to a wave (8 % here). Fails with weights of 1 inside the window.
    #[test]
    fn waves_of_completions_do_not_come_out_in_steps() {
        let t0 = Instant::now();
        let (w0, w1) = (t0 + Duration::from_secs(2), t0 + Duration::from_secs(5));
        let taper = Taper::new(w0, w1);
        let len = taper.length(w1).as_secs_f64();
        let (c, p) = (4096.0, 0.4);
        let (mut worst_taper, mut worst_whole) = (0.0f64, 0.0f64);
        for phase in 0..40 {
            let mut t = 1.0 + phase as f64 * p / 40.0;
            let (mut weighted, mut whole) = (0.0, 0.0);
            while t < 6.0 {
                let at = t0 + Duration::from_secs_f64(t);
                weighted += c * taper.weight(at);
                if at >= w0 && at <= w1 {
                    whole += c;
                }
                t += p;
            }
            let truth = c / p;
            worst_taper = worst_taper.max((weighted / len / truth - 1.0).abs());
            worst_whole = worst_whole.max((whole / 3.0 / truth - 1.0).abs());
        }
        assert!(worst_taper < 0.02, "tapered: {worst_taper}");
        assert!(worst_whole > 0.05, "whole counts: {worst_whole}");
    }

    /// A steady rate of completions, whatever the requests' latencies (a
    /// pool's queue), is measured as that rate.
    #[test]
    fn a_steady_completion_rate_is_measured_as_itself() {
        let t0 = Instant::now();
        let (w0, w1) = (t0 + Duration::from_secs(1), t0 + Duration::from_secs(4));
        let taper = Taper::new(w0, w1);
        let n: f64 = (0..64 * 6)
            .map(|k| taper.weight(t0 + Duration::from_secs_f64(k as f64 / 64.0)))
            .sum();
        let rate = n / taper.length(w1).as_secs_f64();
        assert!((rate - 64.0).abs() < 0.5, "{rate}");
    }

    fn plan(c: usize, bound: Bound) -> Plan {
        Plan {
            concurrency: c,
            warmup: Duration::ZERO,
            bound,
            rate: None,
        }
    }

    #[test]
    fn request_bound_is_split_exactly_and_indices_cover_the_range() {
        let p = plan(3, Bound::Requests(10));
        let clock = Clock::new(&p, Instant::now());
        let abort = &AtomicBool::new(false);
        let now = clock.start;
        let mut seen: Vec<u64> = Slot::all(&p)
            .into_iter()
            .flat_map(|mut s| std::iter::from_fn(move || s.next(&clock, now, abort)))
            .map(|t| {
                assert!(t.measured);
                t.index
            })
            .collect();
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn warmup_requests_are_unmeasured_and_the_deadline_stops_slots() {
        let p = Plan {
            concurrency: 1,
            warmup: Duration::from_secs(1),
            bound: Bound::Duration(Duration::from_secs(2)),
            rate: None,
        };
        let t0 = Instant::now();
        let clock = Clock::new(&p, t0);
        let abort = AtomicBool::new(false);
        let mut s = Slot::new(&p, 0);
        assert!(!s.next(&clock, t0, &abort).unwrap().measured);
        assert!(
            s.next(&clock, t0 + Duration::from_millis(1500), &abort)
                .unwrap()
                .measured
        );
        assert!(s
            .next(&clock, t0 + Duration::from_secs(3), &abort)
            .is_none());
        let mut s = Slot::new(&p, 0);
        abort.store(true, Ordering::Relaxed);
        assert!(s.next(&clock, t0, &abort).is_none());
    }

    #[test]
    fn open_loop_slots_follow_the_schedule_whatever_the_clock_says() {
        let p = Plan {
            concurrency: 4,
            warmup: Duration::ZERO,
            bound: Bound::Duration(Duration::from_secs(1)),
            rate: Some(Rate {
                per_sec: 1000.0,
                poisson: false,
            }),
        };
        let t0 = Instant::now();
        let clock = Clock::new(&p, t0);
        let abort = AtomicBool::new(false);
        let mut starts: Vec<(u64, Duration)> = Slot::all(&p)
            .into_iter()
            .flat_map(|mut s| {
                let abort = &abort;
                // A slot that is always late still gets its intended times.
                std::iter::from_fn(move || s.next(&clock, t0 + Duration::from_secs(5), abort))
            })
            .map(|t| (t.index, t.intended - t0))
            .collect();
        starts.sort();
        assert_eq!(starts.len(), 1000);
        for (i, at) in &starts {
            assert_eq!(*at, Duration::from_secs_f64(*i as f64 / 1000.0), "{i}");
        }
        // Poisson: the same mean rate, uneven gaps.
        let p = Plan {
            rate: Some(Rate {
                per_sec: 1000.0,
                poisson: true,
            }),
            ..p
        };
        let n = Slot::all(&p)
            .into_iter()
            .map(|mut s| std::iter::from_fn(|| s.next(&clock, t0, &abort)).count())
            .sum::<usize>();
        assert!((900..1100).contains(&n), "{n}");
    }
}
