//! pysystemtrade's generic optimiser over time (`sysquant/optimisation/generic_optimiser.py`,
//! `optimise_over_time.py`, `portfolio_optimiser.py`): fit periods laid out on the net returns'
//! first and last timestamps; per period the exponentially weighted correlation, mean and
//! standard deviation ([`crate::correlation`], [`crate::moments`], with the pooled length as
//! `length_adjustment`), the optimiser `method` ([`crate::optimisers`]), then weight cleaning with
//! the assets that have data in the fit window as must-haves; 1/N in a period without data; and
//! optionally `apply_cost_weight` (each period's weights adjusted for the columns' SR costs).

use crate::EstimateError;
use crate::correlation::CorrelationEstimator;
use crate::fit_dates::{DateMethod, FitPeriod, Interval, fit_periods};
use crate::handcraft::{Estimates, adjust_weights_for_sr, periods_per_year};
use crate::moments::ExponentialMoments;
use crate::optimisers::{Method, WeightingArgs, optimise};
use crate::returns::PreProcessed;
use crate::weights::{Weights, clean_weights};

/// An exponentially weighted estimator's settings (`ew_lookback`, `min_periods`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EwSettings {
    pub ew_lookback: f64,
    pub min_periods: usize,
}

/// The correlation estimate's settings (`correlation_estimate`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorrelationSettings {
    pub ew: EwSettings,
    pub cleaning: bool,
    pub floor_at_zero: bool,
    /// `offdiag` (0.99): the correlation given to pairs without data when cleaning.
    pub offdiag: f64,
    pub clip: Option<f64>,
}

/// `forecast_weight_estimate` / `instrument_weight_estimate` as the optimiser reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimiserSettings {
    pub method: Method,
    pub args: WeightingArgs,
    pub date_method: DateMethod,
    pub rollyears: usize,
    /// Re-estimation interval (pysystemtrade: 12 months).
    pub interval: Interval,
    /// `cleaning`: replace the NaN weights of assets with data.
    pub cleaning: bool,
    pub correlation: CorrelationSettings,
    pub mean: EwSettings,
    pub vol: EwSettings,
    pub apply_cost_weight: bool,
}

/// One fit period's result.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodWeights {
    pub period: FitPeriod,
    /// The estimates handed to the optimiser (`None` for the period without data).
    pub estimates: Option<Estimates>,
    /// The optimiser's weights before cleaning (1/N without data).
    pub before_cleaning: Weights,
    /// The period's weights (cleaned when configured, cost-adjusted when configured).
    pub weights: Weights,
}

/// Weights per fit period for the pre-processed returns (`genericOptimiser.weights()`), in period
/// order. Column names are the returns' columns.
///
/// # Errors
/// Bad estimator settings, a frequency without a known number of periods a year, no data.
pub fn optimise_over_time(
    returns: &PreProcessed,
    s: &OptimiserSettings,
) -> Result<Vec<PeriodWeights>, EstimateError> {
    let data = &returns.net.data;
    let (Some(&start), Some(&end)) = (data.index.first(), data.index.last()) else {
        return Err(EstimateError::NoData);
    };
    let periods = fit_periods(start, end, s.date_method, s.rollyears, s.interval)?;
    let per_year = periods_per_year(&returns.net.frequency)
        .ok_or_else(|| EstimateError::UnknownInterval(returns.net.frequency.clone()))?;
    let adjust = returns.net.pooled_length;
    let correlations = CorrelationEstimator {
        ew_lookback: s.correlation.ew.ew_lookback,
        min_periods: s.correlation.ew.min_periods,
        cleaning: s.correlation.cleaning,
        floor_at_zero: s.correlation.floor_at_zero,
        offdiag: s.correlation.offdiag,
        clip: s.correlation.clip,
        length_adjustment: adjust,
    }
    .estimate(data, &periods)?;
    let moments = |e: EwSettings| ExponentialMoments {
        ew_lookback: e.ew_lookback,
        min_periods: e.min_periods,
        length_adjustment: adjust,
        periods_per_year: per_year,
    };
    let means = moments(s.mean).estimate(data, &periods)?;
    let stdevs = moments(s.vol).estimate(data, &periods)?;
    let mut out = Vec::with_capacity(periods.len());
    for (k, p) in periods.periods().iter().enumerate() {
        if p.no_data {
            let w = Weights::equal(&data.names);
            out.push(PeriodWeights {
                period: *p,
                estimates: None,
                before_cleaning: w.clone(),
                weights: w,
            });
            continue;
        }
        let estimates = Estimates {
            correlation: correlations[k].clone(),
            mean: means.mean[k].clone(),
            stdev: stdevs.stdev[k].clone(),
            data_length: data.rows_between(p.fit_start, p.fit_end),
            periods_per_year: per_year,
        };
        let raw = optimise(s.method, &estimates, &s.args)?;
        let mut weights = if s.cleaning {
            let has = data.has_data_between(p.fit_start, p.fit_end);
            clean_weights(
                &raw,
                |name| data.names.iter().position(|n| n == name).map(|i| has[i]),
                0.5,
            )?
        } else {
            raw.clone()
        };
        if s.apply_cost_weight && !weights.is_empty() {
            weights = cost_weighted(&weights, &data.names, &returns.unadjusted_cost_sr);
        }
        out.push(PeriodWeights {
            period: *p,
            estimates: Some(estimates),
            before_cleaning: raw,
            weights,
        });
    }
    if s.apply_cost_weight {
        // the period without data is adjusted too (pysystemtrade adjusts every row)
        for pw in out.iter_mut().filter(|pw| pw.period.no_data) {
            pw.weights = cost_weighted(&pw.weights, &data.names, &returns.unadjusted_cost_sr);
        }
    }
    Ok(out)
}

/// `adjust_dataframe_of_weights_for_SR_costs` for one row: the weights adjusted for the columns'
/// (negative) SR costs as if they were Sharpe ratios, average correlation 0.5, 100 years of data.
fn cost_weighted(weights: &Weights, names: &[String], cost_sr: &[f64]) -> Weights {
    let w: Vec<f64> = weights.entries().iter().map(|(_, w)| *w).collect();
    let sr: Vec<f64> = weights
        .entries()
        .iter()
        .map(|(n, _)| {
            names
                .iter()
                .position(|x| x == n)
                .map_or(f64::NAN, |i| cost_sr[i])
        })
        .collect();
    let adjusted = adjust_weights_for_sr(&w, &sr, 0.5, 100.0);
    Weights::new(
        weights
            .entries()
            .iter()
            .zip(adjusted)
            .map(|((n, _), w)| (n.clone(), w))
            .collect(),
    )
}
