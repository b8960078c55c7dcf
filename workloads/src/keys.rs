//! Key and offset distributions, as pure functions of the request number.
//!
//! Engines number requests; a distribution maps that number to a key without
//! any shared state, so every engine draws the same keys for the same requests
//! and no generator sits on the hot path behind a lock.

/// SplitMix64's finaliser: a fast bijective mix with good avalanche.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in `[0, n)` for request `i` under `seed`.
#[inline]
pub fn uniform(seed: u64, i: u64, n: u64) -> u64 {
    debug_assert!(n > 0);
    // Lemire's multiply-shift: unbiased enough for n far below 2^64, no division.
    ((mix64(seed ^ mix64(i)) as u128 * n as u128) >> 64) as u64
}

/// A uniform draw in `[0, 1)` for request `i` under `seed`.
#[inline]
pub fn unit(seed: u64, i: u64) -> f64 {
    (mix64(seed ^ mix64(i)) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// YCSB's zipfian distribution over `[0, n)` (Gray et al., "Quickly generating
/// billion-record synthetic databases"), with hot keys scattered over the key
/// space as YCSB's `ScrambledZipfianGenerator` does.
#[derive(Debug, Clone)]
pub struct Zipfian {
    n: u64,
    theta: f64,
    alpha: f64,
    zetan: f64,
    eta: f64,
    seed: u64,
}

impl Zipfian {
    /// YCSB's default skew.
    pub const YCSB_THETA: f64 = 0.99;

    /// Builds the distribution. Costs O(n) once (the zeta sum).
    pub fn new(n: u64, theta: f64, seed: u64) -> Self {
        assert!(n > 0 && theta > 0.0 && theta != 1.0);
        let zeta = |k: u64| (1..=k).map(|i| 1.0 / (i as f64).powf(theta)).sum::<f64>();
        let zetan = zeta(n);
        let zeta2 = zeta(2.min(n));
        let alpha = 1.0 / (1.0 - theta);
        let eta = (1.0 - (2.0 / n as f64).powf(1.0 - theta)) / (1.0 - zeta2 / zetan);
        Zipfian {
            n,
            theta,
            alpha,
            zetan,
            eta,
            seed,
        }
    }

    /// Rank of request `i`'s key: 0 is the most popular.
    pub fn rank(&self, i: u64) -> u64 {
        let u = unit(self.seed, i);
        let uz = u * self.zetan;
        if uz < 1.0 {
            return 0;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return 1.min(self.n - 1);
        }
        let r = (self.n as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        r.min(self.n - 1)
    }

    /// Key of request `i`: the rank scattered over the key space, so that
    /// popular keys do not sit next to each other in the data file.
    pub fn key(&self, i: u64) -> u64 {
        mix64(self.rank(i) ^ 0xC0FF_EE00) % self.n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_stays_in_range_and_covers_it() {
        let n = 16;
        let mut seen = [0u32; 16];
        for i in 0..16_000 {
            let k = uniform(7, i, n);
            assert!(k < n);
            seen[k as usize] += 1;
        }
        // Each bucket expects 1000; a broken mixer would leave some near 0.
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
    }

    #[test]
    fn uniform_is_deterministic() {
        assert_eq!(uniform(1, 42, 1000), uniform(1, 42, 1000));
        assert_ne!(
            (0..10).map(|i| uniform(1, i, 1 << 40)).collect::<Vec<_>>(),
            (0..10).map(|i| uniform(2, i, 1 << 40)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn zipfian_is_skewed_towards_low_ranks() {
        let z = Zipfian::new(100_000, Zipfian::YCSB_THETA, 3);
        let draws = 100_000;
        let top = (0..draws).filter(|&i| z.rank(i) < 100).count();
        // With theta 0.99 over 100k keys the top 0.1% of keys take ~40% of draws.
        assert!(top > draws as usize / 4, "top-100 share {top}");
        assert!((0..draws).all(|i| z.key(i) < 100_000));
    }
}
