//! Platform-independent randomness and the two transcendental functions the generator needs.
//!
//! The generated files must be the same bytes on every machine. `f64::exp`/`f64::ln` call the
//! platform's libm, whose last bit differs between C libraries, and a one-ulp difference early in a
//! 10-year random walk can flip a rounded price years later. So [`exp`] and [`ln`] here use only
//! `+ - * /`, `sqrt` and `round`, which IEEE 754 defines exactly (Rust never fuses them into FMA
//! implicitly). Random numbers come from ChaCha8, whose output stream is value-stable across
//! `rand_chacha` releases, and are turned into uniforms and normals by code in this file rather
//! than by `rand`'s distributions, which may change between versions.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// ln 2 split as in fdlibm: `LN2_HI` has trailing zero bits so `k · LN2_HI` is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `e^x`, deterministic on every platform (relative error below 1e-15).
///
/// `x = k·ln2 + r` with `k = round(x / ln2)`, `|r| ≤ ln2/2`; `e^x = 2^k · Σ_{n≤17} rⁿ/n!`.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -708.0 {
        return 0.0;
    }
    let k = (x * std::f64::consts::LOG2_E).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut p = 1.0;
    for n in (1..=17).rev() {
        p = 1.0 + p * r / f64::from(n);
    }
    p * pow2(k as i32)
}

/// `2^k` for `-1022 ≤ k ≤ 1023`, built from the exponent bits.
fn pow2(k: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&k));
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// Natural logarithm of a positive normal `x`, deterministic on every platform (NaN otherwise).
///
/// `x = m · 2^e` with `m ∈ [√½, √2)`; `ln x = e·ln2 + 2·atanh(s)`, `s = (m−1)/(m+1)`,
/// `atanh(s) = Σ_{k≤12} s^(2k+1)/(2k+1)`.
pub fn ln(x: f64) -> f64 {
    if !(x.is_normal() && x > 0.0) {
        return f64::NAN;
    }
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut p = 0.0;
    for k in (0..=12).rev() {
        p = p * s2 + 1.0 / f64::from(2 * k + 1);
    }
    let e = e as f64;
    e * LN2_HI + (2.0 * s * p + e * LN2_LO)
}

/// A seeded random stream: ChaCha8 keyed by a seed and a stream name, so every instrument,
/// contract and FX series draws from its own stream and does not depend on what else is generated
/// or in which order (parallel generation gives the same numbers).
#[derive(Debug, Clone)]
pub struct SynthRng {
    rng: ChaCha8Rng,
    spare_normal: Option<f64>,
}

impl SynthRng {
    /// The stream named `stream` (e.g. `"CORN"`, `"CORN/20231200"`, `"fx/EUR"`) of seed `seed`.
    pub fn new(seed: u64, stream: &str) -> Self {
        let mut state = seed ^ fnv1a(stream.as_bytes());
        let mut key = [0u8; 32];
        for chunk in key.chunks_exact_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        Self {
            rng: ChaCha8Rng::from_seed(key),
            spare_normal: None,
        }
    }

    /// Uniform on `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on `[low, high)`.
    pub fn uniform_between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A uniformly chosen index below `n` (`n > 0`).
    pub fn index(&mut self, n: usize) -> usize {
        ((self.uniform() * n as f64) as usize).min(n - 1)
    }

    /// Standard normal by Marsaglia's polar method: draw `(u, v)` uniform in the unit disc,
    /// `s = u² + v²`, then `u·√(−2 ln s / s)` and `v·√(−2 ln s / s)` are independent N(0, 1).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * ln(s) / s).sqrt();
                self.spare_normal = Some(v * f);
                return u * f;
            }
        }
    }
}

/// FNV-1a, 64 bit: a fixed, platform-independent hash of a stream name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64 step: expands one 64-bit state into well-mixed key words.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_ln_agree_with_std() {
        let mut x = -30.0;
        while x < 30.0 {
            let (ours, std) = (exp(x), x.exp());
            assert!(
                ((ours - std) / std).abs() < 2e-15,
                "exp({x}) = {ours}, std {std}"
            );
            x += 0.0137;
        }
        let mut x = 1e-6;
        while x < 1e6 {
            let (ours, std) = (ln(x), x.ln());
            assert!(
                (ours - std).abs() < 2e-15 * std.abs().max(1.0),
                "ln({x}) = {ours}, std {std}"
            );
            x *= 1.0173;
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(ln(1.0), 0.0);
        assert!(ln(0.0).is_nan() && ln(-1.0).is_nan());
        assert_eq!(exp(800.0), f64::INFINITY);
        assert_eq!(exp(-800.0), 0.0);
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let draw = |seed, name| {
            let mut r = SynthRng::new(seed, name);
            (0..8).map(|_| r.uniform()).collect::<Vec<_>>()
        };
        assert_eq!(draw(1, "CORN"), draw(1, "CORN"));
        assert_ne!(draw(1, "CORN"), draw(2, "CORN"));
        assert_ne!(draw(1, "CORN"), draw(1, "US10"));
    }

    #[test]
    fn normals_have_unit_moments() {
        let mut r = SynthRng::new(7, "normals");
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
        let u: Vec<f64> = (0..n).map(|_| r.uniform()).collect();
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
    }
}
