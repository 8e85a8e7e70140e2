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
use rayon::prelude::*;

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
    optimise_periods(
        PeriodEstimates {
            periods: periods.periods(),
            names: &data.names,
            periods_per_year: per_year,
            correlations,
            means: means.mean,
            stdevs: stdevs.stdev,
            data_length: &|p| data.rows_between(p.fit_start, p.fit_end),
            has_data: &|p| data.has_data_between(p.fit_start, p.fit_end),
        },
        s,
        &returns.unadjusted_cost_sr,
    )
}

/// What the optimiser reads per fit period, however it was estimated ([`optimise_over_time`] from
/// one asset's returns, [`crate::pooled_returns`] for many assets pooled at once).
pub(crate) struct PeriodEstimates<'a> {
    pub periods: &'a [FitPeriod],
    /// The columns (assets) weighted.
    pub names: &'a [String],
    pub periods_per_year: f64,
    /// One per period, in period order.
    pub correlations: Vec<crate::Correlation>,
    /// Annualised, one row per period.
    pub means: Vec<Vec<f64>>,
    pub stdevs: Vec<Vec<f64>>,
    /// The number of rows in a period's fit window.
    pub data_length: &'a (dyn Fn(&FitPeriod) -> usize + Sync),
    /// Whether each column has a value in a period's fit window.
    pub has_data: &'a (dyn Fn(&FitPeriod) -> Vec<bool> + Sync),
}

/// The optimiser `method` per period, then cleaning and `apply_cost_weight` (module docs); 1/N
/// in the period without data.
pub(crate) fn optimise_periods(
    e: PeriodEstimates<'_>,
    s: &OptimiserSettings,
    unadjusted_cost_sr: &[f64],
) -> Result<Vec<PeriodWeights>, EstimateError> {
    let PeriodEstimates {
        periods,
        names,
        periods_per_year,
        correlations,
        means,
        stdevs,
        data_length,
        has_data,
    } = e;
    // each period on its own (in parallel), collected in period order
    let mut out = periods
        .par_iter()
        .zip(
            correlations
                .into_par_iter()
                .zip(means.into_par_iter().zip(stdevs)),
        )
        .map(|(p, (correlation, (mean, stdev)))| {
            if p.no_data {
                let w = Weights::equal(names);
                return Ok(PeriodWeights {
                    period: *p,
                    estimates: None,
                    before_cleaning: w.clone(),
                    weights: w,
                });
            }
            let estimates = Estimates {
                correlation,
                mean,
                stdev,
                data_length: data_length(p),
                periods_per_year,
            };
            let raw = optimise(s.method, &estimates, &s.args)?;
            let mut weights = if s.cleaning {
                let has = has_data(p);
                clean_weights(
                    &raw,
                    |name| names.iter().position(|n| n == name).map(|i| has[i]),
                    0.5,
                )?
            } else {
                raw.clone()
            };
            if s.apply_cost_weight && !weights.is_empty() {
                weights = cost_weighted(&weights, names, unadjusted_cost_sr);
            }
            Ok(PeriodWeights {
                period: *p,
                estimates: Some(estimates),
                before_cleaning: raw,
                weights,
            })
        })
        .collect::<Result<Vec<_>, EstimateError>>()?;
    if s.apply_cost_weight {
        // the period without data is adjusted too (pysystemtrade adjusts every row)
        for pw in out.iter_mut().filter(|pw| pw.period.no_data) {
            pw.weights = cost_weighted(&pw.weights, names, unadjusted_cost_sr);
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

/// Settings of correlations over time for a diversification multiplier
/// (`forecast_correlation_estimate` / `instrument_correlation_estimate`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorrelationOverTime {
    /// `forward_fill_data` (pooled forecasts) / `forward_fill_price_index` (returns).
    pub forward_fill: bool,
    pub date_method: DateMethod,
    pub rollyears: usize,
    pub interval: Interval,
    pub correlation: CorrelationSettings,
}

/// One correlation matrix per fit period.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationsOverTime {
    pub periods: Vec<FitPeriod>,
    pub matrices: Vec<crate::Correlation>,
}

impl CorrelationOverTime {
    fn over(
        &self,
        data: &crate::DataFrame,
        length_adjustment: usize,
    ) -> Result<CorrelationsOverTime, EstimateError> {
        let (Some(&start), Some(&end)) = (data.index.first(), data.index.last()) else {
            return Err(EstimateError::NoData);
        };
        let periods = fit_periods(start, end, self.date_method, self.rollyears, self.interval)?;
        let matrices = CorrelationEstimator {
            ew_lookback: self.correlation.ew.ew_lookback,
            min_periods: self.correlation.ew.min_periods,
            cleaning: self.correlation.cleaning,
            floor_at_zero: self.correlation.floor_at_zero,
            offdiag: self.correlation.offdiag,
            clip: self.correlation.clip,
            length_adjustment,
        }
        .estimate(data, &periods)?;
        Ok(CorrelationsOverTime {
            periods: periods.periods().to_vec(),
            matrices,
        })
    }

    /// `correlation_over_time_for_returns` (the IDM's instrument correlations): daily returns
    /// summed into weekly returns ([`crate::pooling::weekly_returns_from_daily`]), then the
    /// correlations per fit period of the weekly data.
    pub fn for_returns(
        &self,
        daily: &crate::DataFrame,
    ) -> Result<CorrelationsOverTime, EstimateError> {
        let weekly = crate::pooling::weekly_returns_from_daily(daily, self.forward_fill)?;
        self.over(&weekly, 1)
    }

    /// `pooled_correlation_estimator` (the FDM's forecast correlations): each instrument's
    /// forecasts weekly and stacked ([`crate::pooling::pooled_weekly`]; one frame when not
    /// pooled), then the correlations per fit period with the pooled length as
    /// `length_adjustment`.
    pub fn pooled(
        &self,
        frames: &[crate::DataFrame],
    ) -> Result<CorrelationsOverTime, EstimateError> {
        let (pooled, n) = crate::pooling::pooled_weekly(frames, self.forward_fill)?;
        self.over(&pooled, n)
    }
}
