//! The standard normal distribution function and its inverse (scipy `norm.cdf` / `norm.ppf`),
//! as pysystemtrade's SR adjustment needs them (`sysquant/optimisation/SR_adjustment.py` takes
//! `norm(mean, omega).ppf(p) = mean + omega × Φ⁻¹(p)` at p = 0.2, 0.4, 0.6, 0.8).

/// Φ(x) from the series `Φ(x) = ½ + φ(x) Σ x^(2k+1) / (1·3·…·(2k+1))` (all terms of one sign, no
/// cancellation), accurate to a few ulps for |x| ≤ 8; ±∞ map to 1 and 0, NaN to NaN.
pub fn cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x > 8.5 {
        return 1.0;
    }
    if x < -8.5 {
        return 0.0;
    }
    let x2 = x * x;
    let (mut term, mut sum) = (x, x);
    let mut k = 1.0;
    while term.abs() > 1e-17 * sum.abs() {
        k += 2.0;
        term *= x2 / k;
        sum += term;
        if k > 2000.0 {
            break;
        }
    }
    0.5 + pdf(x) * sum
}

/// φ(x) = exp(−x²/2) / √(2π).
pub fn pdf(x: f64) -> f64 {
    const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}

/// Φ⁻¹(p) by Newton's method on [`cdf`]; 0 and 1 give ∓∞, outside [0, 1] or NaN gives NaN.
pub fn ppf(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    // start from a logistic approximation, then Newton
    let mut x = (p / (1.0 - p)).ln() / 1.702;
    for _ in 0..100 {
        let d = pdf(x);
        if d == 0.0 {
            break;
        }
        let step = (cdf(x) - p) / d;
        x -= step;
        if step.abs() <= 1e-16 * x.abs().max(1e-300) {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_quantiles() {
        // scipy.stats.norm.ppf
        // Φ⁻¹(0.8) = 0.84162123357291434…, Φ⁻¹(0.6) = 0.25334710313579978…
        assert!((ppf(0.8) - 0.841_621_233_572_914_3).abs() < 1e-15);
        assert!((ppf(0.2) + 0.841_621_233_572_914_3).abs() < 1e-15);
        assert!((ppf(0.6) - 0.253_347_103_135_799_8).abs() < 1e-15);
        assert!((ppf(0.975) - 1.959_963_984_540_054).abs() < 1e-15);
        assert_eq!(ppf(0.5), 0.0);
        assert!(ppf(f64::NAN).is_nan() && ppf(1.5).is_nan());
        assert_eq!(ppf(1.0), f64::INFINITY);
        assert!((cdf(1.0) - 0.841_344_746_068_542_9).abs() < 1e-15);
    }
}
