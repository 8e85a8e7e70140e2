//! Handcrafted weights, pysystemtrade's default optimiser `method: handcraft`
//! (`sysquant/optimisation/optimisers/handcraft.py`, `call_optimiser.py`,
//! `sysquant/estimators/clustering_correlations.py`, `sysquant/optimisation/SR_adjustment.py`,
//! `sysquant/estimators/estimates.py`).
//!
//! * Assets without a standard deviation or without any correlation are set aside (NaN weight);
//!   the rest, **sorted by name** (numpy `setdiff1d`), are handcrafted.
//! * One or two assets: 1/N. More: split into two clusters (complete-linkage hierarchical
//!   clustering of the correlation matrix's rows, euclidean distances, cut just below the last
//!   merge; an even split by order when the matrix is boring, has a non-finite value or the cut
//!   gives more than two clusters), each cluster handcrafted recursively (without SR
//!   adjustment), and each asset weighted `0.5 × DM(cluster) × weight in cluster` — so the
//!   weights need not sum to 1.
//! * Unless `equalise_SR`: the weights are multiplied by a Sharpe-ratio multiplier from a
//!   parametric mini-bootstrap and re-normalised to sum to 1.

use crate::EstimateError;
use crate::correlation::Correlation;
use crate::diversification::{DEFAULT_DM_MAX, dm_single_period};
use crate::normal;
use crate::weights::Weights;

/// What an optimiser is given for one fit period (`Estimates`): per asset (the correlation's
/// names, in its order) the mean and standard deviation of returns, their correlation, and how
/// many rows of data they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    pub correlation: Correlation,
    pub mean: Vec<f64>,
    pub stdev: Vec<f64>,
    /// Rows of (possibly pooled) data in the fit window.
    pub data_length: usize,
    /// Rows per year of the data's frequency ([`periods_per_year`]).
    pub periods_per_year: f64,
}

/// Rows per year of a pandas frequency, as pysystemtrade counts them
/// (`how_many_times_a_year_is_pd_frequency`, `syscore/dateutils.py`): `B` 256, `W` 365.25 / 7,
/// `M` 12, `D` 365.25; `None` for any other.
pub fn periods_per_year(frequency: &str) -> Option<f64> {
    match frequency {
        "B" => Some(256.0),
        "W" => Some(365.25 / 7.0),
        "M" => Some(12.0),
        "D" => Some(365.25),
        _ => None,
    }
}

impl Estimates {
    fn check(&self) -> Result<(), EstimateError> {
        let n = self.correlation.size();
        for (what, v) in [("means", &self.mean), ("standard deviations", &self.stdev)] {
            if v.len() != n {
                return Err(EstimateError::LengthMismatch {
                    what,
                    expected: n,
                    got: v.len(),
                });
            }
        }
        Ok(())
    }

    fn subset(&self, assets: &[usize]) -> Self {
        Self {
            correlation: self.correlation.subset(assets),
            mean: assets.iter().map(|&i| self.mean[i]).collect(),
            stdev: assets.iter().map(|&i| self.stdev[i]).collect(),
            data_length: self.data_length,
            periods_per_year: self.periods_per_year,
        }
    }

    fn size(&self) -> usize {
        self.correlation.size()
    }

    /// Assets with a NaN standard deviation or fewer than two correlations
    /// (`Estimates.assets_with_missing_data`).
    pub fn assets_with_missing_data(&self) -> Vec<usize> {
        let corr_missing = self.correlation.assets_with_missing_data();
        (0..self.size())
            .filter(|&i| self.stdev[i].is_nan() || corr_missing.contains(&i))
            .collect()
    }
}

/// Handcrafted weights for one fit period (`optimiser_for_method("handcraft", …)`): the valid
/// assets' weights then NaN for the others; empty when no asset is valid.
pub fn handcraft(estimates: &Estimates, equalise_sr: bool) -> Result<Weights, EstimateError> {
    for_valid_assets(estimates, |sub| risk_weights(sub, equalise_sr))
}

/// `optimiser_for_method`'s frame around any optimiser: the assets with data, sorted by name
/// (numpy `setdiff1d`), get `optimiser`'s weights; the others NaN; empty when none has data.
pub(crate) fn for_valid_assets(
    estimates: &Estimates,
    optimiser: impl Fn(&Estimates) -> Result<Vec<f64>, EstimateError>,
) -> Result<Weights, EstimateError> {
    estimates.check()?;
    let missing = estimates.assets_with_missing_data();
    let names = estimates.correlation.names();
    let mut valid: Vec<usize> = (0..estimates.size())
        .filter(|i| !missing.contains(i))
        .collect();
    if valid.is_empty() {
        return Ok(Weights::default());
    }
    valid.sort_by(|&a, &b| names[a].cmp(&names[b]));
    let sub = estimates.subset(&valid);
    let w = optimiser(&sub)?;
    let mut entries: Vec<(String, f64)> = sub.correlation.names().iter().cloned().zip(w).collect();
    entries.extend(missing.iter().map(|&i| (names[i].clone(), f64::NAN)));
    Ok(Weights::new(entries))
}

/// `handcraftPortfolio.risk_weights`, aligned with the estimates' order.
pub(crate) fn risk_weights(est: &Estimates, equalise_sr: bool) -> Result<Vec<f64>, EstimateError> {
    let n = est.size();
    let raw = if n <= 2 {
        vec![1.0 / n as f64; n]
    } else {
        aggregated_risk_weights(est)?
    };
    if equalise_sr || n == 1 {
        return Ok(raw);
    }
    let sr: Vec<f64> = est
        .mean
        .iter()
        .zip(&est.stdev)
        .map(|(m, s)| m / s)
        .collect();
    let years = est.data_length as f64 / est.periods_per_year;
    if years.is_nan() || years <= 0.0 {
        return Err(EstimateError::NoData);
    }
    Ok(adjust_weights_for_sr(
        &raw,
        &sr,
        est.correlation.average(),
        years,
    ))
}

fn aggregated_risk_weights(est: &Estimates) -> Result<Vec<f64>, EstimateError> {
    let (first, second) = two_clusters(&est.correlation);
    let mut out = vec![0.0; est.size()];
    for cluster in [first, second] {
        let sub = est.subset(&cluster);
        let w = risk_weights(&sub, true)?;
        let weights = Weights::new(
            sub.correlation
                .names()
                .iter()
                .cloned()
                .zip(w.clone())
                .collect(),
        );
        let dm = dm_single_period(&sub.correlation, &weights, DEFAULT_DM_MAX);
        for (k, &i) in cluster.iter().enumerate() {
            out[i] += 0.5 * dm * w[k];
        }
    }
    Ok(out)
}

/// The two clusters (asset positions in matrix order) of `cluster_correlation_matrix`.
pub fn two_clusters(corr: &Correlation) -> (Vec<usize>, Vec<usize>) {
    let n = corr.size();
    let arbitrary = || {
        let half = n / 2;
        ((0..half).collect(), (half..n).collect())
    };
    if corr.is_boring() || n < 2 || corr.values().iter().any(|v| !v.is_finite()) {
        return arbitrary();
    }
    match complete_linkage_top_split(corr) {
        Some(split) => split,
        None => arbitrary(),
    }
}

/// Complete-linkage clustering (scipy `linkage(pdist(C), "complete")`) of the rows of the
/// matrix; the two clusters below the last merge, or `None` when cutting 1e-6 below the last
/// merge height (`fcluster(…, "distance")`) gives more than two clusters (scipy's
/// `cutoff_distance_to_guarantee_N_clusters` then fails and pysystemtrade splits by order).
///
/// Merges at exactly equal distances are taken lowest pair first; scipy's nearest-neighbour
/// chain may pair ties differently, which can change the split only when distances tie exactly.
fn complete_linkage_top_split(corr: &Correlation) -> Option<(Vec<usize>, Vec<usize>)> {
    let n = corr.size();
    let mut dist = vec![0.0; n * n];
    for i in 0..n {
        for j in (i + 1)..n {
            let d = (0..n)
                .map(|k| {
                    let e = corr.get(i, k) - corr.get(j, k);
                    e * e
                })
                .sum::<f64>()
                .sqrt();
            dist[i * n + j] = d;
            dist[j * n + i] = d;
        }
    }
    let mut clusters: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut heights = Vec::with_capacity(n - 1);
    let mut last = (Vec::new(), Vec::new());
    while clusters.len() > 1 {
        let (mut best, mut bi, mut bj) = (f64::INFINITY, 0, 1);
        for a in 0..clusters.len() {
            for b in (a + 1)..clusters.len() {
                let d = clusters[a]
                    .iter()
                    .flat_map(|&i| clusters[b].iter().map(move |&j| (i, j)))
                    .map(|(i, j)| dist[i * n + j])
                    .fold(f64::NEG_INFINITY, f64::max);
                if d < best {
                    (best, bi, bj) = (d, a, b);
                }
            }
        }
        heights.push(best);
        let merged_b = clusters.remove(bj);
        if clusters.len() == 1 {
            last = (clusters[0].clone(), merged_b);
            break;
        }
        clusters[bi].extend(merged_b);
    }
    let top = *heights.last()?;
    let cutoff = top - 0.000_001;
    if heights.iter().filter(|&&h| h > cutoff).count() != 1 {
        return None;
    }
    let (mut a, mut b) = last;
    a.sort_unstable();
    b.sort_unstable();
    Some((a, b))
}

/// `adjust_weights_for_SR`: each weight times the multiplier of its SR relative to the average
/// SR, then normalised to sum to 1.
pub fn adjust_weights_for_sr(
    weights: &[f64],
    sr: &[f64],
    avg_correlation: f64,
    years: f64,
) -> Vec<f64> {
    if weights.len() == 1 {
        return weights.to_vec();
    }
    let present: Vec<f64> = sr.iter().copied().filter(|v| !v.is_nan()).collect();
    let avg_sr = present.iter().sum::<f64>() / present.len() as f64;
    let new: Vec<f64> = weights
        .iter()
        .zip(sr)
        .map(|(w, s)| w * multiplier_from_relative_sr(s - avg_sr, avg_correlation, years))
        .collect();
    let total: f64 = new.iter().sum();
    new.iter().map(|w| w / total).collect()
}

/// `mini_bootstrap_ratio_given_SR_diff`: the average, over confidence points 0.2, 0.4, 0.6, 0.8,
/// of the optimal two-asset weight of an asset whose SR is `sr_diff` above another's (average SR
/// 0.5, standard deviation 0.15, correlation `avg_correlation`, mean known to within
/// `0.15 × √(2 (1 − ρ) / years)`), relative to 1/2; 1 when that ratio moves the other way from
/// `sr_diff` (or is undefined).
pub fn multiplier_from_relative_sr(sr_diff: f64, avg_correlation: f64, years: f64) -> f64 {
    const AVG_SR: f64 = 0.5;
    const STD: f64 = 0.15;
    const POINTS: [f64; 4] = [0.2, 0.4, 0.6000000000000001, 0.8];
    let average_mean = AVG_SR * STD;
    let asset1_mean = (sr_diff + AVG_SR) * STD;
    let mean_difference = asset1_mean - average_mean;
    let omega_one = STD / years.sqrt();
    let omega_variance = 2.0 * (omega_one * omega_one) * (1.0 - avg_correlation);
    let omega = omega_variance.sqrt();
    let mut sum = 0.0;
    let mut count = 0usize;
    for p in POINTS {
        let confident = if omega > 0.0 {
            mean_difference + omega * normal::ppf(p)
        } else {
            f64::NAN
        };
        let w = two_asset_max_sharpe(confident + average_mean, average_mean, avg_correlation);
        if !w.is_nan() {
            sum += w;
            count += 1;
        }
    }
    let ratio = if count == 0 {
        f64::NAN
    } else {
        (sum / count as f64) / 0.5
    };
    if sign(ratio - 1.0) != sign(sr_diff) || ratio.is_nan() {
        return 1.0;
    }
    ratio
}

fn sign(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// The first asset's weight in pysystemtrade's long-only, fully invested maximum-Sharpe
/// portfolio of two assets with volatility 0.15, correlation `rho` and means `m1`, `m2`
/// (`optimise_using_correlation` → `optimise_from_sigma_and_mean_list`): scipy's SLSQP from
/// 50/50 with `tol=1e-5`, replayed step for step by [`crate::slsqp`] — it stops short of the
/// exact optimum, and pysystemtrade's weights carry that.
pub fn two_asset_max_sharpe(m1: f64, m2: f64, rho: f64) -> f64 {
    const STD: f64 = 0.15;
    if m1.is_nan() || m2.is_nan() || rho.is_nan() {
        return f64::NAN;
    }
    crate::optimisers::max_sharpe(&[m1, m2], &[STD, STD], &[1.0, rho, rho, 1.0])
        .map_or(f64::NAN, |w| w[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|i| format!("a{i}")).collect()
    }

    fn est(corr: Vec<f64>, mean: Vec<f64>, stdev: Vec<f64>) -> Estimates {
        let n = mean.len();
        Estimates {
            correlation: Correlation::new(names(n), corr).unwrap(),
            mean,
            stdev,
            data_length: 520,
            periods_per_year: 52.0,
        }
    }

    /// Two tight pairs: {a0, a1} (ρ 0.9) and {a2, a3} (ρ 0.9), 0 across. Each cluster is 50/50
    /// with DM 1/√0.95, so every weight is 0.5 × 0.5 / √0.95.
    #[test]
    fn clusters_and_sub_portfolio_dm_by_hand() {
        let c = vec![
            1.0, 0.9, 0.0, 0.0, //
            0.9, 1.0, 0.0, 0.0, //
            0.0, 0.0, 1.0, 0.9, //
            0.0, 0.0, 0.9, 1.0,
        ];
        let e = est(c.clone(), vec![1.0; 4], vec![1.0; 4]);
        assert_eq!(two_clusters(&e.correlation), (vec![0, 1], vec![2, 3]));
        let w = handcraft(&e, true).unwrap();
        let expect = 0.25 / 0.95f64.sqrt();
        for (_, v) in w.entries() {
            assert!((v - expect).abs() < 1e-15);
        }
        // equal SRs: the SR adjustment only normalises
        let w = handcraft(&e, false).unwrap();
        for (_, v) in w.entries() {
            assert!((v - 0.25).abs() < 1e-15);
        }
    }

    /// Three assets: a0 and a2 close (ρ 0.8), a1 apart → clusters {a0, a2}, {a1};
    /// a1 gets 0.5 × 1 × 1, a0 and a2 0.5 × DM × 0.5 with DM = 1/√0.9.
    #[test]
    fn three_assets_odd_cluster() {
        let c = vec![1.0, 0.1, 0.8, 0.1, 1.0, 0.2, 0.8, 0.2, 1.0];
        let e = est(c, vec![1.0; 3], vec![1.0; 3]);
        assert_eq!(two_clusters(&e.correlation), (vec![0, 2], vec![1]));
        let w = handcraft(&e, true).unwrap();
        assert!((w.get("a1").unwrap() - 0.5).abs() < 1e-15);
        assert!((w.get("a0").unwrap() - 0.25 / 0.9f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn boring_tied_and_nan_matrices_split_by_order() {
        let boring = Correlation::boring(names(5), 0.99);
        assert_eq!(two_clusters(&boring), (vec![0, 1], vec![2, 3, 4]));
        // all off-diagonals equal: every merge ties, more than two clusters at the cut
        let flat =
            Correlation::new(names(3), vec![1.0, 0.5, 0.5, 0.5, 1.0, 0.5, 0.5, 0.5, 1.0]).unwrap();
        assert_eq!(two_clusters(&flat), (vec![0], vec![1, 2]));
        let mut v = vec![0.2; 9];
        v[1] = f64::NAN;
        let with_nan = Correlation::new(names(3), v).unwrap();
        assert_eq!(two_clusters(&with_nan), (vec![0], vec![1, 2]));
    }

    #[test]
    fn missing_assets_get_nan_and_none_valid_gives_empty() {
        let nan = f64::NAN;
        let c = vec![1.0, 0.3, nan, 0.3, 1.0, nan, nan, nan, 1.0];
        let e = est(c, vec![1.0, 2.0, 0.0], vec![1.0, 1.0, 0.0]);
        let w = handcraft(&e, true).unwrap();
        assert_eq!(w.get("a0"), Some(0.5));
        assert!(w.get("a2").unwrap().is_nan());
        let none = est(vec![nan; 4], vec![1.0, 1.0], vec![1.0, 1.0]);
        assert!(handcraft(&none, false).unwrap().is_empty());
        let bad = Estimates {
            mean: vec![1.0],
            ..est(vec![1.0, 0.0, 0.0, 1.0], vec![1.0, 1.0], vec![1.0, 1.0])
        };
        assert!(handcraft(&bad, false).is_err());
        let no_years = Estimates {
            data_length: 0,
            ..est(vec![1.0, 0.0, 0.0, 1.0], vec![1.0, 2.0], vec![1.0, 1.0])
        };
        assert!(matches!(
            handcraft(&no_years, false),
            Err(EstimateError::NoData)
        ));
    }

    #[test]
    fn sharpe_adjustment() {
        // same SR: multiplier 1
        assert_eq!(multiplier_from_relative_sr(0.0, 0.5, 10.0), 1.0);
        // better SR gets more, worse less, and symmetric cases are consistent
        let up = multiplier_from_relative_sr(0.2, 0.5, 10.0);
        let down = multiplier_from_relative_sr(-0.2, 0.5, 10.0);
        assert!(up > 1.0 && down < 1.0 && up < 2.0 && down > 0.0);
        // SLSQP lands near the exact optimum: means (0.075 + d, 0.075), ρ = 0 → w ∝ means;
        // an asset with a negative mean gets (nearly) nothing
        assert!((two_asset_max_sharpe(0.1, 0.075, 0.0) - 0.1 / 0.175).abs() < 1e-2);
        assert!(two_asset_max_sharpe(-0.1, 0.075, 0.3).abs() < 1e-6);
        assert!((two_asset_max_sharpe(0.3, 0.075, 0.5) - 1.0).abs() < 1e-6);
        assert!(two_asset_max_sharpe(f64::NAN, 0.075, 0.0).is_nan());
        // extreme inputs run to an answer (or NaN → no adjustment) without panicking
        for (d, rho, years) in [
            (1e300, 0.5, 1e-300),
            (f64::INFINITY, 0.0, 1.0),
            (-1e10, -0.99, 1e6),
            (0.3, 0.999_999_999, 0.5),
        ] {
            let m = multiplier_from_relative_sr(d, rho, years);
            assert!(m.is_finite() && m >= 0.0, "{d} {rho} {years}: {m}");
        }
        // NaN SR or correlation 1 (no uncertainty in the difference): no adjustment
        assert_eq!(multiplier_from_relative_sr(f64::NAN, 0.5, 10.0), 1.0);
        assert_eq!(multiplier_from_relative_sr(0.3, 1.0, 10.0), 1.0);
        let w = adjust_weights_for_sr(&[0.5, 0.5], &[0.7, 0.3], 0.5, 10.0);
        assert!((w[0] + w[1] - 1.0).abs() < 1e-15 && w[0] > w[1]);
    }
}
