//! Exponentially weighted covariance and correlation of several series at once, pandas
//! `df.ewm(span, min_periods, ignore_na=True).cov()` / `.corr(pairwise=True)` with `adjust=True`
//! and biased moments, updated one row at a time (pysystemtrade's correlation estimates,
//! `sysquant/estimators/exponential_correlation.py`).

/// pandas `ewmcov` state (`adjust=True`, `ignore_na=True`, `bias=True`) of one pair of series:
/// on each joint observation `(x, y)` after the first, `old_wt ← old_wt × (1 − α)`, the means
/// move to `(old_wt·mean + x) / (old_wt + 1)` and
/// `cov ← [old_wt·(cov + Δmean_x·Δmean_y) + (x − mean_x)(y − mean_y)] / (old_wt + 1)`, then
/// `old_wt ← old_wt + 1`; the first joint observation only sets the means. Valid from
/// `min_periods` joint observations. The variances of `x` and `y` over the same joint
/// observations (`ewmcov(X, X)` of the masked series) are kept alongside.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EwmCov {
    mean_x: f64,
    mean_y: f64,
    cov: f64,
    var_x: f64,
    var_y: f64,
    old_wt: f64,
    nobs: usize,
}

impl EwmCov {
    /// No observation yet.
    pub const EMPTY: EwmCov = EwmCov {
        mean_x: f64::NAN,
        mean_y: f64::NAN,
        cov: 0.0,
        var_x: 0.0,
        var_y: 0.0,
        old_wt: 1.0,
        nobs: 0,
    };

    /// One joint observation (both values non-NaN); `decay` is `1 − α`.
    pub fn update(&mut self, x: f64, y: f64, decay: f64) {
        self.nobs += 1;
        if self.nobs == 1 {
            self.mean_x = x;
            self.mean_y = y;
            return;
        }
        self.old_wt *= decay;
        let (old_x, old_y) = (self.mean_x, self.mean_y);
        let w = self.old_wt;
        if self.mean_x != x {
            self.mean_x = (w * old_x + x) / (w + 1.0);
        }
        if self.mean_y != y {
            self.mean_y = (w * old_y + y) / (w + 1.0);
        }
        let (dx, dy) = (old_x - self.mean_x, old_y - self.mean_y);
        let (ex, ey) = (x - self.mean_x, y - self.mean_y);
        self.cov = (w * (self.cov + dx * dy) + ex * ey) / (w + 1.0);
        self.var_x = (w * (self.var_x + dx * dx) + ex * ex) / (w + 1.0);
        self.var_y = (w * (self.var_y + dy * dy) + ey * ey) / (w + 1.0);
        self.old_wt += 1.0;
    }

    /// `cov / sqrt(var_x × var_y)` over the joint observations (pandas' pairwise `corr`), NaN
    /// before `min_periods` (at least 1) joint observations.
    pub fn correlation(&self, min_periods: usize) -> f64 {
        if self.nobs < min_periods.max(1) {
            return f64::NAN;
        }
        let p = self.var_x * self.var_y;
        self.cov / if p > 0.0 { p.sqrt() } else { 0.0 }
    }

    /// The covariance (the variance for a series paired with itself), NaN before `min_periods`
    /// (at least 1) joint observations.
    pub fn value(&self, min_periods: usize) -> f64 {
        if self.nobs >= min_periods.max(1) {
            self.cov
        } else {
            f64::NAN
        }
    }
}

/// Exponentially weighted pairwise correlation of `n` series updated one row at a time, pandas
/// `df.ewm(span, min_periods, ignore_na=True).corr(pairwise=True)`:
/// `ρ_ij = cov_ij / sqrt(var_i × var_j)`, all three over the **joint** observations of `i` and
/// `j` (pandas masks each pair to their common rows, `prep_binary`, before `ewmcov`; biased EW
/// moments, α = 2 / (span + 1)); the diagonal is `var_i / var_i` over the series' own
/// observations. O(k²) per row with `k` observed values, O(n²) memory. The decay is computed as
/// `1 − 2 / (span + 1)`.
#[derive(Debug, Clone)]
pub struct EwmCorrelation {
    n: usize,
    decay: f64,
    min_periods: usize,
    /// Upper triangle including the diagonal, row-major.
    pairs: Vec<EwmCov>,
}

impl EwmCorrelation {
    /// `n` series, `ewm(span=span, min_periods=min_periods)`.
    pub fn new(n: usize, span: f64, min_periods: usize) -> Self {
        Self {
            n,
            decay: 1.0 - 2.0 / (span + 1.0),
            min_periods,
            pairs: vec![EwmCov::EMPTY; n * (n + 1) / 2],
        }
    }

    fn at(&self, i: usize, j: usize) -> usize {
        let (i, j) = if i <= j { (i, j) } else { (j, i) };
        i * self.n - i * (i + 1) / 2 + j
    }

    /// Adds one row (one value per series, NaN = missing).
    pub fn update(&mut self, row: &[f64]) {
        assert_eq!(row.len(), self.n, "one value per series");
        let observed: Vec<usize> = (0..self.n).filter(|&i| !row[i].is_nan()).collect();
        for (a, &i) in observed.iter().enumerate() {
            let base = self.at(i, i) - i;
            for &j in &observed[a..] {
                self.pairs[base + j].update(row[i], row[j], self.decay);
            }
        }
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no series.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Each series' current variance (NaN before `min_periods` observations).
    pub fn variances(&self) -> Vec<f64> {
        (0..self.n)
            .map(|i| self.pairs[self.at(i, i)].value(self.min_periods))
            .collect()
    }

    /// The current `n × n` correlation matrix, row-major (NaN where not yet valid).
    pub fn correlation(&self) -> Vec<f64> {
        let n = self.n;
        let var = self.variances();
        let mut out = vec![f64::NAN; n * n];
        let valid: Vec<usize> = (0..n).filter(|&i| !var[i].is_nan()).collect();
        for (a, &i) in valid.iter().enumerate() {
            for &j in &valid[a..] {
                let r = self.rho(i, j, &var);
                out[i * n + j] = r;
                out[j * n + i] = r;
            }
        }
        out
    }

    /// The correlation of series `i` and `j` over their joint observations; on the diagonal
    /// `var_i / var_i` from the [`Self::variances`] (computed once per matrix by the caller).
    /// NaN before `min_periods` joint observations.
    pub fn rho(&self, i: usize, j: usize, var: &[f64]) -> f64 {
        if i == j {
            let v = var[i];
            return v / if v * v > 0.0 { (v * v).sqrt() } else { 0.0 };
        }
        self.pairs[self.at(i, j)].correlation(self.min_periods)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct biased EW moments over the given rows (weights (1 − α)^(age in observations)).
    fn direct_cov(x: &[f64], y: &[f64], alpha: f64) -> f64 {
        let rows: Vec<(f64, f64)> = x
            .iter()
            .zip(y)
            .filter(|(a, b)| !a.is_nan() && !b.is_nan())
            .map(|(a, b)| (*a, *b))
            .collect();
        let k = rows.len();
        let wts: Vec<f64> = (0..k)
            .map(|i| (1.0 - alpha).powi((k - 1 - i) as i32))
            .collect();
        let sw: f64 = wts.iter().sum();
        let mx = rows.iter().zip(&wts).map(|((a, _), w)| a * w).sum::<f64>() / sw;
        let my = rows.iter().zip(&wts).map(|((_, b), w)| b * w).sum::<f64>() / sw;
        rows.iter()
            .zip(&wts)
            .map(|((a, b), w)| w * (a - mx) * (b - my))
            .sum::<f64>()
            / sw
    }

    #[test]
    fn ewm_correlation_matches_direct_weighted_moments_with_missing_values() {
        let nan = f64::NAN;
        let x = [1.0, 2.0, 4.0, 3.0, 5.0, 2.0];
        let y = [1.0, nan, 1.0, 2.0, 0.5, 3.0];
        let z = [2.0, 4.0, 8.0, 6.0, 10.0, 4.0]; // 2x
        let mut e = EwmCorrelation::new(3, 3.0, 2); // α = 0.5
        for t in 0..x.len() {
            e.update(&[x[t], y[t], z[t]]);
        }
        let c = e.correlation();
        let alpha = 0.5;
        // pandas masks the pair to the joint rows: x's variance without x[1]
        let joint = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .zip(&y)
                .map(|(a, b)| if b.is_nan() { f64::NAN } else { *a })
                .collect()
        };
        let xj = joint(&x);
        let rho_xy = direct_cov(&xj, &y, alpha)
            / (direct_cov(&xj, &xj, alpha) * direct_cov(&y, &y, alpha)).sqrt();
        let own = direct_cov(&x, &y, alpha)
            / (direct_cov(&x, &x, alpha) * direct_cov(&y, &y, alpha)).sqrt();
        assert!((own - rho_xy).abs() > 1e-6, "the test tells the two apart");
        assert!((c[1] - rho_xy).abs() < 1e-12, "{} vs {rho_xy}", c[1]);
        assert!((c[3] - rho_xy).abs() < 1e-12);
        assert!((c[2] - 1.0).abs() < 1e-12);
        assert!((c[0] - 1.0).abs() < 1e-12);
        let var = e.variances();
        assert!((var[0] - direct_cov(&x, &x, alpha)).abs() < 1e-12);
        assert_eq!(e.rho(0, 1, &var).to_bits(), c[1].to_bits());
        // fewer observations than min_periods: NaN
        let mut e = EwmCorrelation::new(2, 3.0, 3);
        e.update(&[1.0, 1.0]);
        e.update(&[2.0, nan]);
        e.update(&[3.0, 5.0]);
        let c = e.correlation();
        assert!(!c[0].is_nan() && c[1].is_nan() && c[3].is_nan());
        assert_eq!(e.len(), 2);
    }
}
