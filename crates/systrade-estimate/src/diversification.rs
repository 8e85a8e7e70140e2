//! The diversification multiplier (pysystemtrade
//! `sysquant/estimators/diversification_multipliers.py`, `portfolioWeights.portfolio_stdev` in
//! `sysquant/optimisation/weights.py`).

use crate::EstimateError;
use crate::correlation::Correlation;
use crate::fit_dates::FitPeriod;
use crate::weights::Weights;
use systrade_model::Timestamp;
use systrade_series::{Ewm, ewm_mean};

/// pysystemtrade's default cap (`dm_max`).
pub const DEFAULT_DM_MAX: f64 = 2.5;

/// `DM = min(1 / √(wᵀ C w), dm_max)` over the assets with a (non-NaN) weight and a correlation
/// with something (`diversification_mult_single_period`); 1 where the risk is NaN or below 1e-7
/// (including no usable asset).
pub fn dm_single_period(correlation: &Correlation, weights: &Weights, dm_max: f64) -> f64 {
    let with_data = correlation.assets_with_data();
    let mut idx = Vec::new();
    let mut w = Vec::new();
    for (name, value) in weights.entries() {
        if value.is_nan() {
            continue;
        }
        if let Some(i) = correlation.position(name)
            && with_data.contains(&i)
        {
            idx.push(i);
            w.push(*value);
        }
    }
    let mut variance = 0.0;
    for (a, &i) in idx.iter().enumerate() {
        let mut row = 0.0;
        for (b, &j) in idx.iter().enumerate() {
            row += w[b] * correlation.get(i, j);
        }
        variance += w[a] * row;
    }
    let risk = variance.sqrt();
    if risk.is_nan() || risk < 0.000_000_1 {
        return 1.0;
    }
    (1.0 / risk).min(dm_max)
}

/// A diversification multiplier series on the weights' index.
#[derive(Debug, Clone, PartialEq)]
pub struct DiversificationMultiplier {
    pub index: Vec<Timestamp>,
    pub values: Vec<f64>,
}

/// Weight rows over time (the smoothed forecast or instrument weights, daily): `rows[k]` holds
/// one value per name at `index[k]` (ascending).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightHistory {
    pub index: Vec<Timestamp>,
    pub names: Vec<String>,
    pub rows: Vec<Vec<f64>>,
}

/// The multiplier over time (`diversification_multiplier_from_list`): per fit period, the DM of
/// its correlation and of the last weight row at or before the period start (1 when there is no
/// such row), the weights taken for the correlation's names (a name the weights lack is an
/// error, as in pandas); the per-period values put on the weights' index by
/// `reindex(method="ffill")` (a row takes the last period starting at or before it, so a period
/// starting at 00:00:00.000007 shows from the next row), leading gaps set to 1, then smoothed by
/// `ewm(span=ewma_span).mean()`.
pub fn dm_over_time(
    periods: &[FitPeriod],
    correlations: &[Correlation],
    weights: &WeightHistory,
    ewma_span: f64,
    dm_max: f64,
) -> Result<DiversificationMultiplier, EstimateError> {
    if correlations.len() != periods.len() {
        return Err(EstimateError::LengthMismatch {
            what: "correlation matrices",
            expected: periods.len(),
            got: correlations.len(),
        });
    }
    if weights.rows.len() != weights.index.len() {
        return Err(EstimateError::LengthMismatch {
            what: "weight rows",
            expected: weights.index.len(),
            got: weights.rows.len(),
        });
    }
    if let Some(k) = weights.index.windows(2).position(|w| w[1] < w[0]) {
        return Err(EstimateError::UnsortedIndex(k + 1));
    }
    if let Some(k) = periods
        .windows(2)
        .position(|w| w[1].period_start < w[0].period_start)
    {
        return Err(EstimateError::UnsortedIndex(k + 1));
    }
    if !(ewma_span.is_finite() && ewma_span >= 1.0) {
        return Err(EstimateError::BadParameter {
            what: "ewma_span",
            value: ewma_span,
        });
    }
    let mut dms = Vec::with_capacity(periods.len());
    for (period, corr) in periods.iter().zip(correlations) {
        let mut cols = Vec::with_capacity(corr.size());
        for name in corr.names() {
            let k = weights
                .names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| EstimateError::UnknownName(name.clone()))?;
            cols.push(k);
        }
        let upto = weights.index.partition_point(|t| *t <= period.period_start);
        let dm = if upto == 0 {
            1.0
        } else {
            let row = &weights.rows[upto - 1];
            let w = Weights::new(
                corr.names()
                    .iter()
                    .zip(&cols)
                    .map(|(n, &k)| (n.clone(), row.get(k).copied().unwrap_or(f64::NAN)))
                    .collect(),
            );
            dm_single_period(corr, &w, dm_max)
        };
        dms.push(dm);
    }
    let mut daily = Vec::with_capacity(weights.index.len());
    let mut k = 0usize;
    for t in &weights.index {
        while k < periods.len() && periods[k].period_start <= *t {
            k += 1;
        }
        daily.push(if k == 0 { 1.0 } else { dms[k - 1] });
    }
    let values = ewm_mean(&daily, Ewm::span(ewma_span), 0);
    Ok(DiversificationMultiplier {
        index: weights.index.clone(),
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|i| format!("a{i}")).collect()
    }

    #[test]
    fn single_period_by_hand() {
        let c = Correlation::new(names(2), vec![1.0, 0.5, 0.5, 1.0]).unwrap();
        let w = Weights::new(vec![("a0".into(), 0.5), ("a1".into(), 0.5)]);
        // wᵀCw = 0.25 + 0.25 + 2 × 0.25 × 0.5 = 0.75
        assert!((dm_single_period(&c, &w, 2.5) - 1.0 / 0.75f64.sqrt()).abs() < 1e-15);
        // capped
        let c0 = Correlation::new(names(2), vec![1.0, -1.0, -1.0, 1.0]).unwrap();
        assert_eq!(dm_single_period(&c0, &w, 2.5), 1.0); // zero risk → 1
        let c1 = Correlation::new(names(2), vec![1.0, -0.9, -0.9, 1.0]).unwrap();
        assert_eq!(dm_single_period(&c1, &w, 2.5), 2.5);
        // NaN weight and an asset without correlations are left out; a NaN inside gives 1
        let nan = f64::NAN;
        let c3 =
            Correlation::new(names(3), vec![1.0, 0.0, nan, 0.0, 1.0, nan, nan, nan, 1.0]).unwrap();
        let w3 = Weights::new(vec![
            ("a0".into(), 0.5),
            ("a1".into(), 0.5),
            ("a2".into(), 0.3),
        ]);
        assert!((dm_single_period(&c3, &w3, 2.5) - 2f64.sqrt()).abs() < 1e-15);
        // a1's column has a single value: a1 is left out, a0 alone has DM 1/0.5 = 2
        let c4 = Correlation::new(names(2), vec![1.0, nan, 0.2, 1.0]).unwrap();
        assert_eq!(dm_single_period(&c4, &w, 2.5), 2.0);
        // a NaN between two assets that have correlations: NaN risk → 1
        let c5 =
            Correlation::new(names(3), vec![1.0, nan, 0.1, nan, 1.0, 0.1, 0.1, 0.1, 1.0]).unwrap();
        assert_eq!(dm_single_period(&c5, &w, 2.5), 1.0);
        assert_eq!(dm_single_period(&c, &Weights::default(), 2.5), 1.0);
    }

    #[test]
    fn over_time_ffills_onto_the_weights_index_and_smooths() {
        let ts = |s: &str| Timestamp::parse(s).unwrap();
        let periods = [
            FitPeriod {
                fit_start: ts("2001-01-06"),
                fit_end: ts("2001-01-06"),
                period_start: ts("2001-01-06"),
                period_end: ts("2001-01-10 00:00:00.000001"),
                no_data: true,
            },
            FitPeriod {
                fit_start: ts("2001-01-06"),
                fit_end: ts("2001-01-10 00:00:00.000001"),
                period_start: ts("2001-01-10 00:00:00.000001"),
                period_end: ts("2001-01-20"),
                no_data: false,
            },
        ];
        let corr = vec![
            Correlation::boring(names(2), 0.99),
            Correlation::new(names(2), vec![1.0, 0.5, 0.5, 1.0]).unwrap(),
        ];
        let days = [
            "2001-01-05",
            "2001-01-08",
            "2001-01-09",
            "2001-01-10",
            "2001-01-11",
        ];
        let weights = WeightHistory {
            index: days.iter().map(|d| ts(d)).collect(),
            names: vec!["a1".into(), "a0".into()],
            rows: vec![vec![0.5, 0.5]; 5],
        };
        // span 1 = no smoothing: 01-05 before any period → 1; the first period (boring 0.99:
        // DM 1/√0.995) from 01-08; the second (1/√0.75) only from 01-11
        let dm = dm_over_time(&periods, &corr, &weights, 1.0, 2.5).unwrap();
        let boring = 1.0 / 0.995f64.sqrt();
        let second = 1.0 / 0.75f64.sqrt();
        let expect = [1.0, boring, boring, boring, second];
        for (g, e) in dm.values.iter().zip(expect) {
            assert!((g - e).abs() < 1e-15, "{:?}", dm.values);
        }
        // span 3 (α ½), adjust=True: second value (½·1 + 1·b) / 1.5
        let dm = dm_over_time(&periods, &corr, &weights, 3.0, 2.5).unwrap();
        assert!((dm.values[1] - (0.5 + boring) / 1.5).abs() < 1e-15);
        let bad = WeightHistory {
            names: vec!["zz".into(), "a0".into()],
            ..weights.clone()
        };
        assert!(dm_over_time(&periods, &corr, &bad, 125.0, 2.5).is_err());
        assert!(dm_over_time(&periods, &corr[..1], &weights, 125.0, 2.5).is_err());
        assert!(dm_over_time(&periods, &corr, &weights, f64::NAN, 2.5).is_err());
        let dm = dm_over_time(&[], &[], &weights, 125.0, 2.5).unwrap();
        assert_eq!(dm.values, vec![1.0; 5]);
    }
}
