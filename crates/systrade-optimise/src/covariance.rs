//! Correlation shrinkage and the covariance the optimiser measures tracking error with.
//!
//! Follows `sysquant/estimators/correlations.py` (`correlationEstimate.shrink_to_offdiag`,
//! `shrink`, `assets_with_data`), `sysquant/estimators/covariance.py`
//! (`covariance_from_stdev_and_correlation`) and `sysquant/optimisation/shared.py`
//! (`sigma_from_corr_and_std`).
//!
//! - Shrinkage toward the identity (`shrink_to_offdiag(offdiag=0.0)`):
//!   `ρ' = s · I + (1 − s) · ρ` elementwise, with the two shortcuts pysystemtrade takes: `s = 1`
//!   returns the identity itself (so a NaN correlation disappears) and `s = 0` returns `ρ`
//!   unchanged. [`CorrelationMatrix::shrink_to_identity`].
//! - An asset "has data" in a matrix when its column holds at least two non-NaN entries — the
//!   diagonal and at least one other. [`CorrelationMatrix::assets_with_data`],
//!   [`Covariance::assets_with_data`].
//! - Covariance over the assets `A` that have data both in the correlation matrix and in the
//!   standard deviations (`σ_i` not NaN): `Σ_ij = (σ_i · ρ_ij) · σ_j` for `i, j ∈ A`, NaN for every
//!   entry involving an asset outside `A`. pysystemtrade forms `diag(σ) · ρ · diag(σ)` as two
//!   matrix products; every product term with a zero of `diag(σ)` adds an exact zero, so each entry
//!   is `(σ_i ρ_ij) σ_j` bit for bit (which is why the matrix is symmetric only to the last bit).
//!   But `0 × NaN = NaN`: one NaN correlation (or one infinite `σ`) among the assets of `A` makes
//!   **every** entry NaN, and then no asset has data — the optimiser holds nothing that day. The
//!   reference shows exactly this from 1975-04-09 to 1975-06-17, when the CORN|GOLD correlation
//!   was NaN. [`covariance_from_stdev_and_correlation`].
//! - With a single asset in `A` its column has one entry, so it has no data either: one
//!   instrument alone is never traded.

use crate::InputError;

/// A square correlation matrix over the instrument universe (row-major), NaN where undefined.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationMatrix {
    n: usize,
    values: Vec<f64>,
}

impl CorrelationMatrix {
    /// A matrix of `n × n` values in row-major order.
    pub fn new(n: usize, values: Vec<f64>) -> Result<Self, InputError> {
        if values.len() != n * n {
            return Err(InputError::Length {
                what: "correlation matrix",
                expected: n * n,
                got: values.len(),
            });
        }
        Ok(Self { n, values })
    }

    /// The identity: pysystemtrade's `create_boring_corr_matrix(offdiag=0.0)`, used before the
    /// first correlation period starts.
    pub fn identity(n: usize) -> Self {
        let mut values = vec![0.0; n * n];
        for i in 0..n {
            values[i * n + i] = 1.0;
        }
        Self { n, values }
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for the empty matrix.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `ρ_ij`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.n + j]
    }

    /// The values in row-major order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// `shrink_to_offdiag(offdiag=0.0, shrinkage_corr=s)`: `s · I + (1 − s) · ρ` elementwise;
    /// `s = 1` gives the identity and `s = 0` the matrix itself, as pysystemtrade short-cuts them.
    pub fn shrink_to_identity(&self, shrinkage: f64) -> Self {
        if shrinkage == 1.0 {
            return Self::identity(self.n);
        }
        if shrinkage == 0.0 {
            return self.clone();
        }
        let n = self.n;
        let values = self
            .values
            .iter()
            .enumerate()
            .map(|(k, &rho)| {
                let prior = if k / n == k % n { 1.0 } else { 0.0 };
                shrinkage * prior + (1.0 - shrinkage) * rho
            })
            .collect();
        Self { n, values }
    }

    /// Per instrument: its column holds at least two non-NaN entries.
    pub fn assets_with_data(&self) -> Vec<bool> {
        columns_with_two_values(self.n, &self.values)
    }
}

/// The covariance of annualised instrument returns (row-major), NaN for assets without data.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariance {
    n: usize,
    values: Vec<f64>,
}

impl Covariance {
    /// A covariance matrix given directly (`n × n`, row-major; NaN marks missing entries).
    pub fn new(n: usize, values: Vec<f64>) -> Result<Self, InputError> {
        if values.len() != n * n {
            return Err(InputError::Length {
                what: "covariance matrix",
                expected: n * n,
                got: values.len(),
            });
        }
        Ok(Self { n, values })
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for the empty matrix.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `Σ_ij`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.n + j]
    }

    /// The values in row-major order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Per instrument: its column holds at least two non-NaN entries (pysystemtrade applies the
    /// correlation rule to the covariance too, because the matrix it builds is a plain
    /// `correlationEstimate`).
    pub fn assets_with_data(&self) -> Vec<bool> {
        columns_with_two_values(self.n, &self.values)
    }
}

fn columns_with_two_values(n: usize, values: &[f64]) -> Vec<bool> {
    let mut count = vec![0usize; n];
    for row in values.chunks_exact(n.max(1)) {
        for (c, v) in count.iter_mut().zip(row) {
            if !v.is_nan() {
                *c += 1;
            }
        }
    }
    count.into_iter().map(|c| c >= 2).collect()
}

/// `covariance_from_stdev_and_correlation`: `Σ_ij = (σ_i ρ_ij) σ_j` over the assets with data in
/// both `stdev` (not NaN) and `correlation` (≥ 2 non-NaN entries in its column); NaN elsewhere;
/// all NaN when any `σ_i` or `ρ_ij` among those assets is NaN or infinite (see the module docs).
pub fn covariance_from_stdev_and_correlation(
    stdev: &[f64],
    correlation: &CorrelationMatrix,
) -> Result<Covariance, InputError> {
    let n = correlation.len();
    if stdev.len() != n {
        return Err(InputError::Length {
            what: "standard deviations",
            expected: n,
            got: stdev.len(),
        });
    }
    let corr_data = correlation.assets_with_data();
    let with_data: Vec<usize> = (0..n)
        .filter(|&i| corr_data[i] && !stdev[i].is_nan())
        .collect();
    let mut values = vec![f64::NAN; n * n];
    let all_finite = with_data.iter().all(|&i| {
        stdev[i].is_finite() && with_data.iter().all(|&j| correlation.get(i, j).is_finite())
    });
    if all_finite {
        for &i in &with_data {
            for &j in &with_data {
                values[i * n + j] = (stdev[i] * correlation.get(i, j)) * stdev[j];
            }
        }
    }
    Ok(Covariance { n, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    #[test]
    fn shrinkage_halves_off_diagonals_and_keeps_nan() {
        let c = CorrelationMatrix::new(2, vec![1.0, 0.6, 0.6, 1.0]).unwrap();
        assert_eq!(c.shrink_to_identity(0.5).values(), &[1.0, 0.3, 0.3, 1.0]);
        assert_eq!(c.shrink_to_identity(0.0), c);
        assert_eq!(c.shrink_to_identity(1.0), CorrelationMatrix::identity(2));
        let c = CorrelationMatrix::new(2, vec![1.0, NAN, NAN, 1.0]).unwrap();
        assert!(c.shrink_to_identity(0.5).get(0, 1).is_nan());
        // s = 1 returns the identity itself: the NaN is gone
        assert_eq!(c.shrink_to_identity(1.0).get(0, 1), 0.0);
    }

    #[test]
    fn covariance_over_assets_with_data() {
        let c =
            CorrelationMatrix::new(3, vec![1.0, 0.5, 0.0, 0.5, 1.0, 0.0, 0.0, 0.0, 1.0]).unwrap();
        let cov = covariance_from_stdev_and_correlation(&[0.2, 0.1, NAN], &c).unwrap();
        assert_eq!(cov.get(0, 0), (0.2 * 1.0) * 0.2);
        assert_eq!(cov.get(0, 1), (0.2 * 0.5) * 0.1);
        assert_eq!(cov.get(1, 0), (0.1 * 0.5) * 0.2);
        assert!(cov.get(2, 2).is_nan() && cov.get(0, 2).is_nan());
        assert_eq!(cov.assets_with_data(), vec![true, true, false]);
    }

    #[test]
    fn one_asset_alone_has_no_data() {
        let c = CorrelationMatrix::identity(2);
        let cov = covariance_from_stdev_and_correlation(&[0.2, NAN], &c).unwrap();
        assert_eq!(cov.get(0, 0), 0.04000000000000001);
        assert_eq!(cov.assets_with_data(), vec![false, false]);
    }

    #[test]
    fn one_nan_correlation_makes_the_whole_matrix_undefined() {
        // CORN|GOLD NaN, both with stdev; a third asset without stdev
        let c =
            CorrelationMatrix::new(3, vec![1.0, NAN, 0.0, NAN, 1.0, 0.0, 0.0, 0.0, 1.0]).unwrap();
        assert_eq!(c.assets_with_data(), vec![true, true, true]);
        let cov = covariance_from_stdev_and_correlation(&[0.2, 0.1, NAN], &c).unwrap();
        assert!(cov.values().iter().all(|v| v.is_nan()));
        assert_eq!(cov.assets_with_data(), vec![false; 3]);
        // an infinite stdev does the same
        let c = CorrelationMatrix::identity(2);
        let cov = covariance_from_stdev_and_correlation(&[f64::INFINITY, 0.1], &c).unwrap();
        assert!(cov.values().iter().all(|v| v.is_nan()));
    }

    #[test]
    fn an_asset_whose_column_is_all_nan_but_the_diagonal_drops_out() {
        let c =
            CorrelationMatrix::new(3, vec![1.0, 0.2, NAN, 0.2, 1.0, NAN, NAN, NAN, 1.0]).unwrap();
        assert_eq!(c.assets_with_data(), vec![true, true, false]);
        let cov = covariance_from_stdev_and_correlation(&[0.2, 0.1, 0.3], &c).unwrap();
        assert_eq!(cov.assets_with_data(), vec![true, true, false]);
        assert!(CorrelationMatrix::new(2, vec![1.0]).is_err());
        assert!(covariance_from_stdev_and_correlation(&[0.1], &c).is_err());
    }
}
