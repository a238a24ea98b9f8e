//! Deterministic randomness.
//!
//! Every random decision draws from a ChaCha8 stream keyed by `(seed, purpose, entity)`.
//! No stream is shared between entities, so no decision depends on the order in which
//! things are generated, on `as_of` (which only cuts what is written) or on the dirty rate
//! (defects use their own hashes).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The purpose of a random stream; part of every stream's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Catalog = 1,
    Instructor = 2,
    Admit = 3,
    StudentTerm = 5,
    Sections = 6,
    Outcome = 7,
    Assessment = 8,
    Attendance = 9,
    Feedback = 10,
    Address = 11,
    PostTerm = 13,
}

/// SplitMix64 finaliser: a fast, well-mixed 64-bit hash step.
pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Combines two values into one well-mixed hash.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    splitmix64(a ^ splitmix64(b.wrapping_add(0x632B_E59B_D9B4_E019)))
}

/// A stream for one entity and purpose.
pub(crate) fn rng(seed: u64, tag: Tag, a: u64, b: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(mix(mix(seed, tag as u64), a), b))
}

/// Maps a hash to a uniform number in [0, 1).
pub(crate) fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Small conveniences on top of [`Rng`].
pub(crate) trait RngExt: Rng {
    /// A standard normal draw (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1: f64 = self.random::<f64>().max(1e-12);
        let u2: f64 = self.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// True with probability `p` (clamped to 0..=1).
    fn chance(&mut self, p: f64) -> bool {
        self.random::<f64>() < p
    }

    /// A uniform index below `n` (`n` must be positive).
    fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.random_range(0..n)
    }

    /// A uniform integer in `lo..=hi`.
    fn between(&mut self, lo: i32, hi: i32) -> i32 {
        if hi <= lo {
            return lo;
        }
        self.random_range(lo..=hi)
    }

    /// A uniform element of a non-empty slice.
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// An index drawn from a cumulative weight table (see [`cumulative`]).
    fn weighted(&mut self, cum: &[f64]) -> usize {
        let total = cum.last().copied().unwrap_or(0.0);
        if total <= 0.0 {
            return 0;
        }
        let x = self.random::<f64>() * total;
        cum.partition_point(|&c| c <= x).min(cum.len() - 1)
    }
}

impl<R: Rng + ?Sized> RngExt for R {}

/// Running sums of weights, for [`RngExt::weighted`].
pub(crate) fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .into_iter()
        .map(|w| {
            acc += w.max(0.0);
            acc
        })
        .collect()
}
