//! Closed-loop load: `concurrency` slots, each running one request after
//! another, numbered so that slots together cover request numbers 0, 1, 2, ...
//! The slot logic is the same for every engine; only how a slot waits differs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What ends the measured part of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Duration(Duration),
    Requests(u64),
}

/// A closed-loop plan: how many requests are outstanding and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub concurrency: usize,
    pub warmup: Duration,
    pub bound: Bound,
}

/// Time marks of one cell, fixed when the engine has finished its set-up.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub start: Instant,
    /// Requests started before this instant are warm-up and not recorded.
    pub measure_from: Instant,
    /// With a duration bound, no request starts at or after this instant.
    pub deadline: Option<Instant>,
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
        }
    }
}

/// The request a slot runs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub index: u64,
    /// Whether this request falls in the measured window.
    pub measured: bool,
}

/// One closed-loop slot: at most one request outstanding at a time.
#[derive(Debug, Clone)]
pub struct Slot {
    next_index: u64,
    stride: u64,
    /// Measured requests this slot may still start, with a request-count bound.
    quota: Option<u64>,
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
        Slot {
            next_index: id as u64,
            stride: c,
            quota,
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
        let measured = now >= clock.measure_from;
        if let Some(deadline) = clock.deadline {
            if now >= deadline {
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
        Some(Ticket { index, measured })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(c: usize, bound: Bound) -> Plan {
        Plan {
            concurrency: c,
            warmup: Duration::ZERO,
            bound,
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
}
