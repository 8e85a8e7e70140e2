//! The other optimisers of pysystemtrade's generic optimiser (`method` in
//! `forecast_weight_estimate` / `instrument_weight_estimate`): `equal_weights`, `one_period` and
//! `shrinkage` (`sysquant/optimisation/optimisers/*.py`, `sysquant/optimisation/shared.py`,
//! `sysquant/estimators/estimates.py`), beside [`crate::handcraft`].
//!
//! `one_period` equalises the estimates (vols to their average, then optionally every SR to
//! `ann_target_SR`) and maximises the Sharpe ratio, long only and fully invested, with scipy's
//! SLSQP from 1/N (`tol=1e-5`, replayed by [`crate::slsqp`]); `shrinkage` first shrinks the
//! correlations towards their average by `shrinkage_corr` and the SRs towards `ann_target_SR` by
//! `shrinkage_SR`. The objective's dot products are fused as numpy's are for two assets; with
//! more assets numpy's BLAS may sum in another order, so the last bits (and SLSQP's early stop)
//! can differ slightly.

use crate::EstimateError;
use crate::handcraft::{Estimates, risk_weights};
use crate::weights::Weights;

/// The optimiser (`method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Handcraft,
    EqualWeights,
    OnePeriod,
    Shrinkage,
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "handcraft" => Ok(Self::Handcraft),
            "equal_weights" => Ok(Self::EqualWeights),
            "one_period" => Ok(Self::OnePeriod),
            "shrinkage" => Ok(Self::Shrinkage),
            other => Err(format!(
                "unknown optimiser method '{other}' (expected handcraft, equal_weights, one_period or shrinkage)"
            )),
        }
    }
}

/// The weighting settings the optimisers read (pysystemtrade's names and defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightingArgs {
    pub equalise_sr: bool,
    pub equalise_vols: bool,
    pub ann_target_sr: f64,
    pub shrinkage_sr: f64,
    pub shrinkage_corr: f64,
}

impl Default for WeightingArgs {
    /// `optimise_given_estimates` / `shrinkage_optimisation` defaults.
    fn default() -> Self {
        Self {
            equalise_sr: true,
            equalise_vols: true,
            ann_target_sr: 0.5,
            shrinkage_sr: 0.9,
            shrinkage_corr: 0.5,
        }
    }
}

/// Weights for one fit period by `method` (`optimiser_for_method`): the valid assets (sorted by
/// name) optimised, NaN for the others, empty when none is valid.
pub fn optimise(
    method: Method,
    estimates: &Estimates,
    args: &WeightingArgs,
) -> Result<Weights, EstimateError> {
    if method == Method::Handcraft && !args.equalise_vols {
        // pysystemtrade raises "Non equalised vols not supported"
        return Err(EstimateError::BadParameter {
            what: "equalise_vols (handcraft needs it)",
            value: 0.0,
        });
    }
    crate::handcraft::for_valid_assets(estimates, |sub| match method {
        Method::Handcraft => risk_weights(sub, args.equalise_sr),
        Method::EqualWeights => Ok(vec![1.0 / sub.mean.len() as f64; sub.mean.len()]),
        Method::OnePeriod => Ok(optimise_given_estimates(sub.clone(), args)),
        Method::Shrinkage => {
            let mut e = sub.clone();
            e.correlation = e.correlation.shrunk_to_average(args.shrinkage_corr);
            e.mean = shrink_means_to_sr(&e.mean, &e.stdev, args.shrinkage_sr, args.ann_target_sr);
            Ok(optimise_given_estimates(e, args))
        }
    })
}

/// `shrink_SR_with_lists`: each SR moved to `shrinkage × target + (1 − shrinkage) × SR`.
fn shrink_means_to_sr(mean: &[f64], stdev: &[f64], shrinkage: f64, target: f64) -> Vec<f64> {
    let sr: Vec<f64> = mean.iter().zip(stdev).map(|(m, s)| m / s).collect();
    if sr.iter().all(|v| v.is_nan()) {
        return vec![f64::NAN; mean.len()];
    }
    sr.iter()
        .zip(stdev)
        .map(|(x, s)| ((shrinkage * target) + (1.0 - shrinkage) * x) * s)
        .collect()
}

/// `equalise_estimates` then the maximum-SR SLSQP (`optimise_given_estimates`).
fn optimise_given_estimates(mut e: Estimates, args: &WeightingArgs) -> Vec<f64> {
    if args.equalise_vols {
        if e.stdev.iter().all(|v| v.is_nan()) {
            e.mean = vec![f64::NAN; e.mean.len()];
        } else {
            let present: Vec<f64> = e.stdev.iter().copied().filter(|v| !v.is_nan()).collect();
            let avg = present.iter().sum::<f64>() / present.len() as f64;
            let factor: Vec<f64> = e.stdev.iter().map(|s| s / avg).collect();
            e.mean = e.mean.iter().zip(&factor).map(|(m, f)| m / f).collect();
            e.stdev = e.stdev.iter().zip(&factor).map(|(s, f)| s / f).collect();
        }
    }
    if args.equalise_sr {
        e.mean = e.stdev.iter().map(|s| args.ann_target_sr * s).collect();
    }
    let n = e.mean.len();
    let corr: Vec<f64> = e.correlation.values().to_vec();
    max_sharpe(&e.mean, &e.stdev, &corr).unwrap_or_else(|| vec![f64::NAN; n])
}

/// `a·b` as numpy computes short dot products: `fma(a_i, b_i, …fma(a_1, b_1, a_0 b_0))`.
fn dot_fused(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = a[0] * b[0];
    for i in 1..a.len() {
        acc = a[i].mul_add(b[i], acc);
    }
    acc
}

/// The long-only, fully invested maximum-Sharpe weights (`optimise_from_sigma_and_mean_list`):
/// `Σ = diag(σ) C diag(σ)`, SLSQP from 1/N with `tol=1e-5`. `None` for no asset.
pub fn max_sharpe(mean: &[f64], stdev: &[f64], corr: &[f64]) -> Option<Vec<f64>> {
    let n = mean.len();
    if n == 0 || stdev.len() != n || corr.len() != n * n {
        return None;
    }
    // columns of Σ
    let sigma_cols: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            (0..n)
                .map(|k| (stdev[k] * corr[k * n + j]) * stdev[j])
                .collect()
        })
        .collect();
    let neg_sr = |w: &[f64]| {
        let ret = dot_fused(w, mean);
        let ws: Vec<f64> = sigma_cols.iter().map(|col| dot_fused(w, col)).collect();
        let var = dot_fused(&ws, w);
        -ret / var.sqrt()
    };
    let fully_invested = |w: &[f64]| 1.0 - w.iter().sum::<f64>();
    let start = vec![1.0 / n as f64; n];
    crate::slsqp::minimize(
        &neg_sr,
        &[&fully_invested],
        &start,
        &vec![0.0; n],
        &vec![1.0; n],
        0.000_01,
        100,
    )
    .ok()
    .map(|s| s.x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlation::Correlation;

    fn est() -> Estimates {
        Estimates {
            correlation: Correlation::new(
                vec!["a".into(), "b".into(), "c".into()],
                vec![1.0, 0.3, 0.1, 0.3, 1.0, 0.5, 0.1, 0.5, 1.0],
            )
            .unwrap(),
            mean: vec![0.05, 0.08, 0.02],
            stdev: vec![0.1, 0.2, 0.15],
            data_length: 520,
            periods_per_year: 52.0,
        }
    }

    fn close(w: &Weights, expected: &[f64], tol: f64) {
        for ((_, g), e) in w.entries().iter().zip(expected) {
            assert!((g - e).abs() < tol, "{w:?} vs {expected:?}");
        }
    }

    /// Expected weights from scipy 1.11.4 running pysystemtrade's steps on the same estimates.
    #[test]
    fn one_period_and_shrinkage_agree_with_scipy() {
        let args = WeightingArgs {
            equalise_sr: false,
            ..WeightingArgs::default()
        };
        let w = optimise(Method::OnePeriod, &est(), &args).unwrap();
        close(&w, &[0.6030849678820805, 0.39691503211791945, 0.0], 1e-6);
        let w = optimise(Method::Shrinkage, &est(), &args).unwrap();
        close(
            &w,
            &[0.3969561350467849, 0.2943049104998942, 0.3087389544533209],
            1e-6,
        );
    }

    #[test]
    fn equal_weights_and_equalised_srs() {
        let w = optimise(Method::EqualWeights, &est(), &WeightingArgs::default()).unwrap();
        close(&w, &[1.0 / 3.0; 3], 1e-15);
        // equal SRs and vols with zero correlation: 1/N is optimal, SLSQP stays there
        let mut e = est();
        e.correlation = Correlation::new(
            e.correlation.names().to_vec(),
            vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        )
        .unwrap();
        let w = optimise(Method::OnePeriod, &e, &WeightingArgs::default()).unwrap();
        close(&w, &[1.0 / 3.0; 3], 1e-6);
        let no_vols = WeightingArgs {
            equalise_vols: false,
            ..WeightingArgs::default()
        };
        assert!(optimise(Method::Handcraft, &est(), &no_vols).is_err());
        assert!("bogus".parse::<Method>().is_err());
        assert_eq!("one_period".parse::<Method>(), Ok(Method::OnePeriod));
        // NaN estimates do not panic
        let mut bad = est();
        bad.mean = vec![f64::NAN; 3];
        let w = optimise(Method::OnePeriod, &bad, &no_vols).unwrap();
        assert_eq!(w.len(), 3);
    }
}
