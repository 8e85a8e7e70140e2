//! The annualised mean and standard deviation of returns per fit period, as the generic
//! optimiser hands them to handcrafting (`meanEstimator` / `stdevEstimator` with
//! `using_exponent: True`: pysystemtrade `sysquant/estimators/mean_estimator.py`,
//! `stdev_estimator.py`, `generic_estimator.py`).
//!
//! Over the whole (possibly pooled) data, pandas `ewm(span = ew_lookback × length_adjustment,
//! min_periods = min_periods × length_adjustment).mean()` and `.std()` per column (`adjust=True`,
//! `ignore_na=False`, bias-corrected std); each period takes the row **strictly before** its
//! `fit_end` (`get_max_index_before_datetime`), NaN when there is none or for the period without
//! data; then `mean × periods_per_year` and `stdev × √periods_per_year`.

use crate::EstimateError;
use crate::correlation::DataFrame;
use crate::fit_dates::FitPeriods;
use systrade_series::{Ewm, ewm_mean, ewm_std};

/// The settings of one estimator (`mean_estimate` / `vol_estimate`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExponentialMoments {
    pub ew_lookback: f64,
    pub min_periods: usize,
    /// Instruments pooled (1 when not pooled).
    pub length_adjustment: usize,
    /// [`crate::handcraft::periods_per_year`] of the data's frequency.
    pub periods_per_year: f64,
}

/// Per fit period, one value per column.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    pub mean: Vec<Vec<f64>>,
    pub stdev: Vec<Vec<f64>>,
}

impl ExponentialMoments {
    pub fn estimate(
        &self,
        data: &DataFrame,
        periods: &FitPeriods,
    ) -> Result<Moments, EstimateError> {
        let adjust = self.length_adjustment.max(1);
        let span = self.ew_lookback * adjust as f64;
        if !(span.is_finite() && span >= 1.0) {
            return Err(EstimateError::BadParameter {
                what: "ew_lookback",
                value: self.ew_lookback,
            });
        }
        if !(self.periods_per_year.is_finite() && self.periods_per_year > 0.0) {
            return Err(EstimateError::BadParameter {
                what: "periods_per_year",
                value: self.periods_per_year,
            });
        }
        let min_periods = self.min_periods * adjust;
        let means: Vec<Vec<f64>> = data
            .columns
            .iter()
            .map(|c| ewm_mean(c, Ewm::span(span), min_periods))
            .collect();
        let stdevs: Vec<Vec<f64>> = data
            .columns
            .iter()
            .map(|c| ewm_std(c, Ewm::span(span), min_periods))
            .collect();
        let root = self.periods_per_year.sqrt();
        let mut out = Moments {
            mean: Vec::with_capacity(periods.len()),
            stdev: Vec::with_capacity(periods.len()),
        };
        for p in periods.periods() {
            let before = data.index.partition_point(|t| *t < p.fit_end);
            if p.no_data || before == 0 {
                out.mean.push(vec![f64::NAN; data.columns.len()]);
                out.stdev.push(vec![f64::NAN; data.columns.len()]);
                continue;
            }
            let row = before - 1;
            out.mean.push(
                means
                    .iter()
                    .map(|c| c[row] * self.periods_per_year)
                    .collect(),
            );
            out.stdev
                .push(stdevs.iter().map(|c| c[row] * root).collect());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit_dates::FitPeriod;
    use systrade_model::Timestamp;

    #[test]
    fn annualised_ewm_moments_before_the_fit_end() {
        let ts =
            |d: u32| Timestamp::from_date(chrono::NaiveDate::from_ymd_opt(2001, 1, d).unwrap());
        let data = DataFrame::new(
            (1..=4).map(ts).collect(),
            vec!["x".into()],
            vec![vec![1.0, 3.0, 2.0, 100.0]],
        )
        .unwrap();
        let period = |end: u32, no_data: bool| FitPeriod {
            fit_start: ts(1),
            fit_end: ts(end),
            period_start: ts(end),
            period_end: ts(28),
            no_data,
        };
        let periods = FitPeriods(vec![period(1, true), period(4, false), period(1, false)]);
        let m = ExponentialMoments {
            ew_lookback: 3.0,
            min_periods: 2,
            length_adjustment: 1,
            periods_per_year: 4.0,
        }
        .estimate(&data, &periods)
        .unwrap();
        assert!(m.mean[0][0].is_nan() && m.stdev[0][0].is_nan());
        // rows before the 4th: 1, 3, 2 with weights ¼, ½, 1 (span 3 → α ½)
        let w = [0.25, 0.5, 1.0];
        let x = [1.0, 3.0, 2.0];
        let sw: f64 = w.iter().sum();
        let mean = (0..3).map(|k| w[k] * x[k]).sum::<f64>() / sw;
        let biased = (0..3).map(|k| w[k] * (x[k] - mean).powi(2)).sum::<f64>() / sw;
        let sw2: f64 = w.iter().map(|v| v * v).sum();
        let var = biased * sw * sw / (sw * sw - sw2);
        assert!((m.mean[1][0] - 4.0 * mean).abs() < 1e-14);
        assert!((m.stdev[1][0] - 2.0 * var.sqrt()).abs() < 1e-14);
        // nothing strictly before the fit end
        assert!(m.mean[2][0].is_nan());
        let bad = ExponentialMoments {
            ew_lookback: f64::NAN,
            min_periods: 2,
            length_adjustment: 1,
            periods_per_year: 4.0,
        };
        assert!(bad.estimate(&data, &periods).is_err());
    }
}
