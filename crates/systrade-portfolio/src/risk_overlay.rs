//! The risk overlay (spec §3.7): one portfolio-wide multiplier in `[0, 1]` that scales every
//! instrument's notional position down when the portfolio's risk or leverage exceeds a limit.
//!
//! What pysystemtrade does (`systems/portfolio.py` `Portfolios.get_risk_scalar`,
//! `systems/risk_overlay.py` `get_risk_multiplier`, `sysquant/portfolio_risk.py`,
//! `sysquant/estimators/{stdev_estimator,correlation_over_time,exponential_correlation,correlations,covariance}.py`,
//! `sysquant/fitting_dates.py`, `sysquant/optimisation/weights.py`, default
//! `instrument_returns_correlation` in `sysdata/config/defaults.yaml`):
//!
//! - Positions: `get_notional_position_before_risk_scaling` (subsystem position × instrument
//!   weight × IDM). Portfolio weights (`get_portfolio_weight_series_from_contract_positions`):
//!   `w = position × (fx.reindex(price, ffill) × price × value_of_block_price_move / capital)
//!   .reindex(position, ffill)`, with `price` the denominator price and `capital` the notional
//!   trading capital; the weights of all instruments form one frame on the union of their dates,
//!   forward-filled (`get_original_portfolio_weight_df`). [`portfolio_weight`].
//! - Standard deviations (`get_df_of_perc_vol`): `annualised_percentage_vol = 16 ×
//!   daily_percentage_volatility / 100`, all instruments on the union of their dates,
//!   forward-filled. [`annualised_percentage_vol`].
//! - Shocked standard deviations (`seriesOfStdevEstimates.shocked`): on the joint frame of
//!   standard deviations moved to business days (`resample("1B").ffill()`, so an instrument whose
//!   data ends early keeps its last value to the end of the frame), the rolling 99 % quantile over
//!   `10 × 256` days with `min_periods = ceil(2 / 0.99) = 3`, back-filled, then back on the frame's
//!   dates and forward-filled. [`shocked_vol`].
//! - Correlations (`get_list_of_instrument_returns_correlations` with
//!   `correlation_over_time_for_returns`): daily percentage returns (`daily_returns /
//!   denominator_price.ffill()`, [`daily_percentage_returns`]) of all instruments on the union of
//!   their dates, cumulated (`cumsum`, NaN kept), forward-filled, `resample("7D").last()`
//!   (bins of 7 days from the first date, labelled by their first day) and differenced: weekly
//!   returns ([`weekly_returns`]). Fitting periods (`generate_fitting_dates`, `rolling`,
//!   `interval_frequency "W"` = 7 days): the period starts are the weekly labels `d_0 … d_{m−1}`;
//!   the first period is a "no data" period whose matrix has 0.99 everywhere off the diagonal
//!   (`create_boring_corr_matrix`); period `k ≥ 1` uses the exponentially weighted correlation
//!   (`ewm(span=75, min_periods=10, ignore_na=True).corr(pairwise=True)`) of the last weekly row
//!   before `d_k` (i.e. of the weekly returns up to label `d_{k−1}`), cleaned (`cleaning: True`,
//!   `offdiag: 0.0`: a missing value becomes the average off-diagonal correlation if both
//!   instruments have a weekly return in the rows `d_{max(0,k−5)} … d_k` — `rollyears: 5`
//!   counts periods, here weeks — else 0.0; an all-missing matrix becomes the identity), not
//!   floored at zero, and clipped to `[−0.99, 0.99]` off the diagonal (`clip: 0.99`). A date
//!   uses the period with the latest start `<=` the date; a date before `d_0` the identity.
//!   [`EwmCorrelation`], [`clean_correlation`], [`CorrelationWalk`].
//! - Risk (`calc_portfolio_risk_series`, `portfolioWeights.portfolio_stdev`,
//!   `covariance_from_stdev_and_correlation`): per date, over the instruments with a weight, a
//!   standard deviation, and at least two non-NaN entries in their correlation column:
//!   `risk = sqrt(Σ_ij w_i w_j σ_i σ_j ρ_ij)`; with shocked `σ` for the shocked risk.
//!   [`portfolio_risk`].
//! - Sum of absolute risks (`calc_sum_annualised_risk_given_portfolio_weights`): `Σ_i |w_i| σ_i`
//!   (NaN terms skipped). [`sum_abs_risk`]. Leverage (`get_sum_leverage`): `Σ_i |w_i|`.
//!   [`leverage`].
//! - Multiplier (`get_risk_multiplier`): per measure `limit / max(limit, measure)` (NaN measure →
//!   1), the limits being `max_risk_fraction_normal_risk`, `max_risk_fraction_stdev_risk` and
//!   `max_risk_limit_sum_abs_risk` times `percentage_vol_target / 100`, and `max_risk_leverage`;
//!   the minimum of the four. [`risk_multiplier`]. It lives on the weights' (union) dates and is
//!   applied without lag: `notional_position = before × multiplier.reindex(index).ffill()`
//!   ([`crate::portfolio::notional_position`]).
//!
//! Where this differs: pysystemtrade looks standard deviations up with an exact `.loc[date]`
//! (an error for a date missing from the volatility frame) and `reindex`es them exactly for the
//! sum of absolute risks; here they are taken as of the date (identical whenever the weights'
//! dates are among the volatility dates, as they are when forecasts come from the same prices).
//! Sums run in a different order (symmetric halves), so results may differ in the last bits.
//! No pysystemtrade reference numbers for the overlay exist in `pst-reference`; the tests check
//! the formulas on hand-computed cases.

use crate::sizing::ROOT_BDAYS_INYEAR;
use chrono::NaiveDate;
use systrade_series::index::{reindex_ffill_sorted, reindex_sorted};
use systrade_series::{DailySeries, bfill, business_days, cumsum, ffill};

/// The four limits of `risk_overlay` (pysystemtrade config keys).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskOverlayLimits {
    /// Limit on the normal portfolio risk, as a multiple of the vol target.
    pub max_risk_fraction_normal_risk: f64,
    /// Limit on the portfolio risk with shocked standard deviations, as a multiple of the vol target.
    pub max_risk_fraction_stdev_risk: f64,
    /// Limit on the sum of absolute risks, as a multiple of the vol target.
    pub max_risk_limit_sum_abs_risk: f64,
    /// Limit on leverage (sum of absolute weights), absolute.
    pub max_risk_leverage: f64,
}

/// Quantile of the shocked standard deviation (`shock_quantile`).
pub const SHOCK_QUANTILE: f64 = 0.99;
/// Rolling window of the shocked standard deviation in business days (`roll_years × 256`).
pub const SHOCK_WINDOW_DAYS: usize = 10 * 256;
/// Span of the weekly returns' exponentially weighted correlation (`ew_lookback`).
pub const CORRELATION_SPAN: f64 = 75.0;
/// Minimum number of observations of the correlation (`min_periods`).
pub const CORRELATION_MIN_PERIODS: usize = 10;
/// Fitting window, in weekly periods, for the "has data" test of cleaning (`rollyears`).
pub const CORRELATION_ROLL_PERIODS: usize = 5;
/// Correlations are clipped to `[−CLIP, CLIP]` off the diagonal (`clip`).
pub const CORRELATION_CLIP: f64 = 0.99;
/// Off-diagonal correlation of the first ("no data") period (`create_boring_corr_matrix`).
pub const NO_DATA_CORRELATION: f64 = 0.99;

/// `annualised_percentage_vol = 16 × daily_percentage_volatility / 100` (a fraction per year).
pub fn annualised_percentage_vol(daily_percentage_volatility: &[f64]) -> Vec<f64> {
    daily_percentage_volatility
        .iter()
        .map(|v| ROOT_BDAYS_INYEAR * v / 100.0)
        .collect()
}

/// Value of one contract as a proportion of capital, on the price's dates:
/// `fx.reindex(price, ffill) × price × value_of_block_price_move / capital` (`fx` already on the
/// price's dates).
pub fn per_contract_value_as_proportion_of_capital(
    price: &[f64],
    fx_on_price_dates: &[f64],
    value_of_block_price_move: f64,
    capital: f64,
) -> Vec<f64> {
    assert_eq!(price.len(), fx_on_price_dates.len(), "aligned inputs");
    price
        .iter()
        .zip(fx_on_price_dates)
        .map(|(p, fx)| fx * p * value_of_block_price_move / capital)
        .collect()
}

/// Portfolio weight (position as a proportion of capital), on the position's dates:
/// `w = position × per_contract_value.reindex(position.index, method="ffill")`.
pub fn portfolio_weight(position: &DailySeries, per_contract_value: &DailySeries) -> Vec<f64> {
    let v = reindex_ffill_sorted(
        &per_contract_value.dates,
        &per_contract_value.values,
        &position.dates,
    );
    position.values.iter().zip(v).map(|(p, v)| p * v).collect()
}

/// Daily percentage returns (fractions): `daily_price.diff() / denominator_price.ffill()`, on the
/// daily price's dates (NaN where the denominator has no date).
pub fn daily_percentage_returns(
    daily_price: &DailySeries,
    denominator_price: &DailySeries,
) -> DailySeries {
    let denom = reindex_sorted(
        &denominator_price.dates,
        &ffill(&denominator_price.values),
        &daily_price.dates,
    );
    let p = &daily_price.values;
    let values = (0..p.len())
        .map(|t| {
            if t == 0 {
                f64::NAN
            } else {
                (p[t] - p[t - 1]) / denom[t]
            }
        })
        .collect();
    daily_price.with_values(values)
}

/// Shocked standard deviation, on business days from the first date of `stdev` to `until` (the
/// last date of all instruments' standard deviations, the end of pysystemtrade's joint frame):
/// the standard deviation forward-filled onto those days (so past its own last date the window
/// keeps taking its last value), `rolling(2560, min_periods=3).quantile(0.99)`, back-filled.
pub fn shocked_vol(dates: &[NaiveDate], stdev: &[f64], until: NaiveDate) -> DailySeries {
    assert_eq!(dates.len(), stdev.len(), "one value per date");
    let (Some(&first), Some(&last)) = (dates.first(), dates.last()) else {
        return DailySeries::default();
    };
    let grid = business_days(first, last.max(until));
    let on_grid = reindex_ffill_sorted(dates, &ffill(stdev), &grid);
    let min_periods = (2.0 / SHOCK_QUANTILE).ceil() as usize;
    let shocked = bfill(&systrade_series::rolling_quantile(
        &on_grid,
        SHOCK_WINDOW_DAYS,
        min_periods,
        SHOCK_QUANTILE,
    ));
    DailySeries::new(grid, shocked)
}

/// The 7-day bins of `resample("7D")` over a union of dates: labels `d_k = first + 7k` up to the
/// last date, and the position (in the dates) of the last date in each bin.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyBins {
    pub labels: Vec<NaiveDate>,
    last_in_bin: Vec<Option<usize>>,
}

impl WeeklyBins {
    pub fn new(dates: &[NaiveDate]) -> Self {
        let (Some(&first), Some(&last)) = (dates.first(), dates.last()) else {
            return Self {
                labels: Vec::new(),
                last_in_bin: Vec::new(),
            };
        };
        let bins = ((last - first).num_days() / 7) as usize + 1;
        let labels = (0..bins)
            .map(|k| first + chrono::Duration::days(7 * k as i64))
            .collect();
        let mut last_in_bin = vec![None; bins];
        for (i, d) in dates.iter().enumerate() {
            last_in_bin[((*d - first).num_days() / 7) as usize] = Some(i);
        }
        Self {
            labels,
            last_in_bin,
        }
    }

    /// One instrument's weekly returns on the labels: `level = returns.cumsum()` (NaN kept)
    /// forward-filled onto `dates` (the dates the bins were made from), the last level in each
    /// bin, differenced (`x.cumsum().ffill().resample("7D").last().diff()`).
    pub fn weekly_returns(&self, dates: &[NaiveDate], returns: &DailySeries) -> Vec<f64> {
        let level = ffill(&reindex_sorted(
            &returns.dates,
            &cumsum(&returns.values),
            dates,
        ));
        let at: Vec<f64> = self
            .last_in_bin
            .iter()
            .map(|i| i.map_or(f64::NAN, |i| level[i]))
            .collect();
        (0..at.len())
            .map(|k| if k == 0 { f64::NAN } else { at[k] - at[k - 1] })
            .collect()
    }
}

/// Weekly returns for the correlation estimate ([`WeeklyBins`]) of several instruments whose
/// return dates have the union `dates`: the labels and one vector per instrument.
pub fn weekly_returns(
    dates: &[NaiveDate],
    returns: &[DailySeries],
) -> (Vec<NaiveDate>, Vec<Vec<f64>>) {
    let bins = WeeklyBins::new(dates);
    let weekly = returns
        .iter()
        .map(|r| bins.weekly_returns(dates, r))
        .collect();
    (bins.labels, weekly)
}

/// pandas `ewmcov` state (`adjust=True`, `ignore_na=True`, `bias=True`) of one pair of series:
/// on each joint observation `(x, y)` after the first, `old_wt ← old_wt × (1 − α)`, the means
/// move to `(old_wt·mean + x) / (old_wt + 1)` and
/// `cov ← [old_wt·(cov + Δmean_x·Δmean_y) + (x − mean_x)(y − mean_y)] / (old_wt + 1)`, then
/// `old_wt ← old_wt + 1`; the first joint observation only sets the means. Valid from
/// `min_periods` joint observations.
#[derive(Debug, Clone, Copy)]
struct EwmCov {
    mean_x: f64,
    mean_y: f64,
    cov: f64,
    old_wt: f64,
    nobs: usize,
}

impl EwmCov {
    const EMPTY: EwmCov = EwmCov {
        mean_x: f64::NAN,
        mean_y: f64::NAN,
        cov: 0.0,
        old_wt: 1.0,
        nobs: 0,
    };

    /// One joint observation (both values non-NaN).
    fn update(&mut self, x: f64, y: f64, decay: f64) {
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
        self.cov = (w * (self.cov + (old_x - self.mean_x) * (old_y - self.mean_y))
            + (x - self.mean_x) * (y - self.mean_y))
            / (w + 1.0);
        self.old_wt += 1.0;
    }

    fn value(&self, min_periods: usize) -> f64 {
        if self.nobs >= min_periods.max(1) {
            self.cov
        } else {
            f64::NAN
        }
    }
}

/// Exponentially weighted pairwise correlation of `n` series updated one row at a time, pandas
/// `df.ewm(span, min_periods, ignore_na=True).corr(pairwise=True)`:
/// `ρ_ij = cov_ij / sqrt(var_i × var_j)`, where `cov_ij` is over the joint observations and each
/// `var_i` over the series' own observations (biased EW moments, α = 2 / (span + 1)). O(k²) per
/// row with `k` observed values, O(n²) memory.
#[derive(Debug, Clone)]
pub struct EwmCorrelation {
    n: usize,
    decay: f64,
    min_periods: usize,
    /// Upper triangle including the diagonal, row-major.
    pairs: Vec<EwmCov>,
}

impl EwmCorrelation {
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

    /// The current `n × n` correlation matrix, row-major (NaN where not yet valid).
    pub fn correlation(&self) -> Vec<f64> {
        let n = self.n;
        let var: Vec<f64> = (0..n)
            .map(|i| self.pairs[self.at(i, i)].value(self.min_periods))
            .collect();
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

    fn rho(&self, i: usize, j: usize, var: &[f64]) -> f64 {
        let cov = self.pairs[self.at(i, j)].value(self.min_periods);
        let p = var[i] * var[j];
        cov / if p > 0.0 { p.sqrt() } else { 0.0 }
    }

    /// [`clean_correlation`] of [`Self::correlation`] written into the upper triangle and the
    /// diagonal of `out` (`n × n`, row-major; the lower triangle is not written), without
    /// building the raw matrix: raw values exist only between series with a valid variance.
    /// Returns, per series, whether its column of the cleaned matrix has at least two non-NaN
    /// entries (covariance `assets_with_data`).
    pub fn cleaned_correlation_into(&self, must_have: &[bool], out: &mut [f64]) -> Vec<bool> {
        let n = self.n;
        assert_eq!(must_have.len(), n, "one flag per series");
        assert_eq!(out.len(), n * n, "n × n output");
        let var: Vec<f64> = (0..n)
            .map(|i| self.pairs[self.at(i, i)].value(self.min_periods))
            .collect();
        let is_valid: Vec<bool> = var.iter().map(|v| !v.is_nan()).collect();
        let (mut sum, mut count, mut nan_in_valid, mut diag_present) = (0.0, 0usize, false, false);
        for i in 0..n {
            let row = &mut out[i * n..(i + 1) * n];
            for j in i..n {
                row[j] = if is_valid[i] && is_valid[j] {
                    let r = self.rho(i, j, &var);
                    if r.is_nan() {
                        nan_in_valid = true;
                    } else if i != j {
                        sum += 2.0 * r;
                        count += 2;
                    } else {
                        diag_present = true;
                    }
                    r
                } else {
                    f64::NAN
                };
            }
        }
        let any_nan = nan_in_valid || is_valid.iter().any(|v| !v);
        let all_nan = count == 0 && !diag_present;
        let avg = if count > 0 {
            sum / count as f64
        } else {
            f64::NAN
        };
        for i in 0..n {
            let row = &mut out[i * n..(i + 1) * n];
            row[i] = 1.0;
            for (j, v) in row.iter_mut().enumerate().skip(i + 1) {
                if all_nan {
                    *v = 0.0;
                } else {
                    if any_nan && v.is_nan() {
                        *v = if must_have[i] && must_have[j] {
                            avg
                        } else {
                            0.0
                        };
                    }
                    // NaN stays NaN
                    *v = v.clamp(-CORRELATION_CLIP, CORRELATION_CLIP);
                }
            }
        }
        // A NaN survives only where avg is NaN, i.e. where no raw off-diagonal value exists:
        // then exactly the entries between two must-have series stay NaN.
        let must = must_have.iter().filter(|m| **m).count();
        (0..n)
            .map(|j| {
                let non_nan = if all_nan || !any_nan || !avg.is_nan() {
                    n
                } else if must_have[j] {
                    n - (must - 1)
                } else {
                    n
                };
                non_nan >= 2
            })
            .collect()
    }
}

/// Cleans and clips one correlation matrix (`n × n`, row-major) as pysystemtrade's
/// `clean_correlation` (`offdiag = 0.0`) then `clip_correlation_matrix(0.99)`:
/// - no NaN: unchanged; all NaN: the identity;
/// - otherwise a NaN off the diagonal becomes the average of the non-NaN off-diagonal values
///   when both instruments are `must_have`, else 0.0; the diagonal becomes 1;
/// - then off-diagonal values are clipped to `[−0.99, 0.99]` and the diagonal set to 1.
pub fn clean_correlation(raw: &[f64], must_have: &[bool]) -> Vec<f64> {
    let n = must_have.len();
    assert_eq!(raw.len(), n * n, "n × n matrix");
    let mut m = raw.to_vec();
    let any_nan = raw.iter().any(|v| v.is_nan());
    if any_nan {
        if raw.iter().all(|v| v.is_nan()) {
            m.iter_mut().for_each(|v| *v = 0.0);
        } else {
            let (mut sum, mut count) = (0.0, 0usize);
            for i in 0..n {
                for j in 0..n {
                    let v = raw[i * n + j];
                    if i != j && !v.is_nan() {
                        sum += v;
                        count += 1;
                    }
                }
            }
            let avg = if count > 0 {
                sum / count as f64
            } else {
                f64::NAN
            };
            for i in 0..n {
                for j in 0..n {
                    let v = &mut m[i * n + j];
                    if i != j && v.is_nan() {
                        *v = if must_have[i] && must_have[j] {
                            avg
                        } else {
                            0.0
                        };
                    }
                }
            }
        }
    }
    for i in 0..n {
        for j in 0..n {
            let v = &mut m[i * n + j];
            if i == j {
                *v = 1.0;
            } else {
                // NaN stays NaN
                *v = v.clamp(-CORRELATION_CLIP, CORRELATION_CLIP);
            }
        }
    }
    m
}

/// Instruments whose correlation column has at least two non-NaN entries (covariance
/// `assets_with_data`).
fn assets_with_data(corr: &[f64], n: usize) -> Vec<bool> {
    let mut count = vec![0usize; n];
    for row in corr.chunks(n.max(1)) {
        for (c, v) in count.iter_mut().zip(row) {
            *c += usize::from(!v.is_nan());
        }
    }
    count.into_iter().map(|c| c >= 2).collect()
}

/// The correlation matrix in force on each date, walking forward through the weekly returns
/// (see the module documentation): the identity before the first label, 0.99 off the diagonal
/// in the first week, then the cleaned, clipped EW correlation of the weeks before each period
/// start. Only the current matrix is held.
pub struct CorrelationWalk<'a> {
    labels: &'a [NaiveDate],
    weekly: Vec<&'a [f64]>,
    ewm: EwmCorrelation,
    /// Number of weekly rows folded into `ewm`.
    rows_done: usize,
    /// Period index of `corr` (`None` before the first label).
    period: Option<usize>,
    corr: Vec<f64>,
    with_data: Vec<bool>,
}

impl<'a> CorrelationWalk<'a> {
    /// `labels` and `weekly` (one slice per instrument, one value per label) from
    /// [`WeeklyBins`].
    pub fn new(labels: &'a [NaiveDate], weekly: Vec<&'a [f64]>) -> Self {
        let n = weekly.len();
        let mut corr = vec![0.0; n * n];
        (0..n).for_each(|i| corr[i * n + i] = 1.0);
        Self {
            labels,
            ewm: EwmCorrelation::new(n, CORRELATION_SPAN, CORRELATION_MIN_PERIODS),
            weekly,
            rows_done: 0,
            period: None,
            with_data: assets_with_data(&corr, n),
            corr,
        }
    }

    /// The correlation matrix (`n × n`, row-major) and which instruments have correlation data,
    /// for `date`; dates must be visited in ascending order.
    pub fn on(&mut self, date: NaiveDate) -> (&[f64], &[bool]) {
        let n = self.weekly.len();
        // period starts are the labels but the last (a single label starts the only period)
        let starts = self
            .labels
            .len()
            .saturating_sub(1)
            .max(1)
            .min(self.labels.len());
        let period = self.labels[..starts]
            .partition_point(|d| *d <= date)
            .checked_sub(1);
        if period != self.period
            && let Some(k) = period
        {
            self.period = period;
            if k == 0 {
                for (x, v) in self.corr.iter_mut().enumerate() {
                    *v = if x / n == x % n {
                        1.0
                    } else {
                        NO_DATA_CORRELATION
                    };
                }
                self.with_data = assets_with_data(&self.corr, n);
            } else {
                let mut row = vec![f64::NAN; n];
                while self.rows_done < k {
                    for (r, w) in row.iter_mut().zip(&self.weekly) {
                        *r = w[self.rows_done];
                    }
                    self.ewm.update(&row);
                    self.rows_done += 1;
                }
                let from = k.saturating_sub(CORRELATION_ROLL_PERIODS);
                let must_have: Vec<bool> = self
                    .weekly
                    .iter()
                    .map(|w| w[from..=k].iter().any(|v| !v.is_nan()))
                    .collect();
                self.with_data = self
                    .ewm
                    .cleaned_correlation_into(&must_have, &mut self.corr);
            }
        }
        (&self.corr, &self.with_data)
    }
}

/// Portfolio risk (annualised standard deviation as a fraction of capital) on one date:
/// `sqrt(Σ_ij w_i w_j σ_i σ_j ρ_ij)` over the instruments with a non-NaN weight, a non-NaN `σ`
/// and correlation data (`with_data`). `corr` is symmetric; only its diagonal and upper
/// triangle are read.
pub fn portfolio_risk(weights: &[f64], stdev: &[f64], corr: &[f64], with_data: &[bool]) -> f64 {
    let valid = risk_terms(weights, stdev, with_data);
    risk_of(&valid, corr, weights.len())
}

/// `(i, w_i σ_i)` for the instruments that count in [`portfolio_risk`].
fn risk_terms(weights: &[f64], stdev: &[f64], with_data: &[bool]) -> Vec<(usize, f64)> {
    (0..weights.len())
        .filter(|&i| with_data[i] && !weights[i].is_nan() && !stdev[i].is_nan())
        .map(|i| (i, weights[i] * stdev[i]))
        .collect()
}

/// `sqrt(Σ_i a_i² ρ_ii + 2 Σ_{i<j} a_i a_j ρ_ij)` over `(i, a_i)` in ascending `i`.
fn risk_of(valid: &[(usize, f64)], corr: &[f64], n: usize) -> f64 {
    let mut var = 0.0;
    for (p, &(i, a)) in valid.iter().enumerate() {
        let row = &corr[i * n..(i + 1) * n];
        let mut s = 0.0;
        for &(j, b) in &valid[p + 1..] {
            s += row[j] * b;
        }
        var += a * (a * row[i] + 2.0 * s);
    }
    var.sqrt()
}

/// The normal and shocked portfolio risks ([`portfolio_risk`] with `stdev` and with `shocked`)
/// in one pass over the correlations when the same instruments count in both.
fn portfolio_risks(
    weights: &[f64],
    stdev: &[f64],
    shocked: &[f64],
    corr: &[f64],
    with_data: &[bool],
) -> (f64, f64) {
    let n = weights.len();
    let a = risk_terms(weights, stdev, with_data);
    let b = risk_terms(weights, shocked, with_data);
    if a.len() != b.len() || a.iter().zip(&b).any(|(x, y)| x.0 != y.0) {
        return (risk_of(&a, corr, n), risk_of(&b, corr, n));
    }
    let (mut var_a, mut var_b) = (0.0, 0.0);
    for p in 0..a.len() {
        let (i, ai) = a[p];
        let bi = b[p].1;
        let row = &corr[i * n..(i + 1) * n];
        let (mut sa, mut sb) = (0.0, 0.0);
        for q in p + 1..a.len() {
            let r = row[a[q].0];
            sa += r * a[q].1;
            sb += r * b[q].1;
        }
        var_a += ai * (ai * row[i] + 2.0 * sa);
        var_b += bi * (bi * row[i] + 2.0 * sb);
    }
    (var_a.sqrt(), var_b.sqrt())
}

/// Sum of absolute risks on one date: `Σ_i |w_i| σ_i`, NaN terms skipped.
pub fn sum_abs_risk(weights: &[f64], stdev: &[f64]) -> f64 {
    weights
        .iter()
        .zip(stdev)
        .map(|(w, s)| w.abs() * s)
        .filter(|x| !x.is_nan())
        .sum()
}

/// Leverage on one date: `Σ_i |w_i|`, NaN weights skipped.
pub fn leverage(weights: &[f64]) -> f64 {
    weights
        .iter()
        .filter(|w| !w.is_nan())
        .map(|w| w.abs())
        .sum()
}

/// Multiplier for one measure: `limit / max(limit, measure)` (1 when the measure is NaN).
pub fn multiplier_for_limit(measure: f64, limit: f64) -> f64 {
    if measure.is_nan() || measure <= limit {
        1.0
    } else {
        limit / measure
    }
}

/// The four risk measures of one date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskMeasures {
    pub normal_risk: f64,
    pub shocked_vol_risk: f64,
    pub sum_abs_risk: f64,
    pub leverage: f64,
}

/// Risk multiplier: `min(limit_k / max(limit_k, measure_k))` over the four measures, with the
/// risk limits `max_risk_fraction_normal_risk`, `max_risk_fraction_stdev_risk` and
/// `max_risk_limit_sum_abs_risk` times `percentage_vol_target / 100`, and `max_risk_leverage`.
pub fn risk_multiplier(
    measures: RiskMeasures,
    limits: RiskOverlayLimits,
    percentage_vol_target: f64,
) -> f64 {
    let target = percentage_vol_target / 100.0;
    [
        multiplier_for_limit(
            measures.shocked_vol_risk,
            limits.max_risk_fraction_stdev_risk * target,
        ),
        multiplier_for_limit(
            measures.normal_risk,
            limits.max_risk_fraction_normal_risk * target,
        ),
        multiplier_for_limit(
            measures.sum_abs_risk,
            limits.max_risk_limit_sum_abs_risk * target,
        ),
        multiplier_for_limit(measures.leverage, limits.max_risk_leverage),
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min)
}

/// What the overlay needs of one instrument; dates are borrowed from the inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayInstrument<'a> {
    /// Dates of the notional position.
    pub weight_dates: &'a [NaiveDate],
    /// Portfolio weight on `weight_dates` ([`portfolio_weight`]).
    pub weight: Vec<f64>,
    /// Dates of the standard deviations.
    pub stdev_dates: &'a [NaiveDate],
    /// Annualised standard deviation ([`annualised_percentage_vol`]).
    pub stdev: Vec<f64>,
    /// Shocked standard deviation ([`shocked_vol`]), on its own (business-day) dates.
    pub shocked_stdev: DailySeries,
    /// Weekly returns on the labels of the [`WeeklyBins`] passed to [`risk_overlay`].
    pub weekly_returns: Vec<f64>,
}

/// The risk measures and multiplier on the union of the weights' dates.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskOverlayResult {
    pub measures: Vec<RiskMeasures>,
    pub multiplier: DailySeries,
}

/// The last non-NaN value at or before each date of a walk in ascending dates (pandas: reindex
/// onto a union index, then `ffill`), one cursor per series.
struct AsOf<'a> {
    dates: &'a [NaiveDate],
    values: &'a [f64],
    next: usize,
    current: f64,
}

impl<'a> AsOf<'a> {
    fn new(dates: &'a [NaiveDate], values: &'a [f64]) -> Self {
        assert_eq!(dates.len(), values.len(), "one value per date");
        Self {
            dates,
            values,
            next: 0,
            current: f64::NAN,
        }
    }

    fn at(&mut self, date: NaiveDate) -> f64 {
        while self.next < self.dates.len() && self.dates[self.next] <= date {
            let v = self.values[self.next];
            if !v.is_nan() {
                self.current = v;
            }
            self.next += 1;
        }
        self.current
    }
}

/// The risk overlay over all instruments (module documentation), walking the union of the
/// weights' dates: weights and standard deviations as of each date (forward-filled), the
/// correlations of [`CorrelationWalk`] over the weekly returns on `weekly_labels`, and per date
/// the four measures and [`risk_multiplier`]. Memory: one `n × n` matrix plus O(n) per date.
pub fn risk_overlay(
    instruments: &[OverlayInstrument],
    weekly_labels: &[NaiveDate],
    limits: RiskOverlayLimits,
    percentage_vol_target: f64,
) -> RiskOverlayResult {
    let n = instruments.len();
    let dates = systrade_series::index::union_all(instruments.iter().map(|i| i.weight_dates));
    let mut weight: Vec<AsOf> = instruments
        .iter()
        .map(|i| AsOf::new(i.weight_dates, &i.weight))
        .collect();
    let mut stdev: Vec<AsOf> = instruments
        .iter()
        .map(|i| AsOf::new(i.stdev_dates, &i.stdev))
        .collect();
    let mut shocked: Vec<AsOf> = instruments
        .iter()
        .map(|i| AsOf::new(&i.shocked_stdev.dates, &i.shocked_stdev.values))
        .collect();
    let mut walk = CorrelationWalk::new(
        weekly_labels,
        instruments.iter().map(|i| &i.weekly_returns[..]).collect(),
    );
    let identity: Vec<f64> = (0..n * n)
        .map(|x| if x / n == x % n { 1.0 } else { 0.0 })
        .collect();
    let identity_with_data = assets_with_data(&identity, n);
    let (mut w, mut s, mut h) = (vec![f64::NAN; n], vec![f64::NAN; n], vec![f64::NAN; n]);
    let mut measures = Vec::with_capacity(dates.len());
    let mut multiplier = Vec::with_capacity(dates.len());
    for date in &dates {
        for i in 0..n {
            w[i] = weight[i].at(*date);
            s[i] = stdev[i].at(*date);
            h[i] = shocked[i].at(*date);
        }
        let (corr, with_data) = if weekly_labels.is_empty() {
            (&identity[..], &identity_with_data[..])
        } else {
            walk.on(*date)
        };
        let (normal_risk, shocked_vol_risk) = portfolio_risks(&w, &s, &h, corr, with_data);
        let m = RiskMeasures {
            normal_risk,
            shocked_vol_risk,
            sum_abs_risk: sum_abs_risk(&w, &s),
            leverage: leverage(&w),
        };
        multiplier.push(risk_multiplier(m, limits, percentage_vol_target));
        measures.push(m);
    }
    RiskOverlayResult {
        multiplier: DailySeries::new(dates, multiplier),
        measures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    const ROB: RiskOverlayLimits = RiskOverlayLimits {
        max_risk_fraction_normal_risk: 1.75,
        max_risk_fraction_stdev_risk: 4.0,
        max_risk_limit_sum_abs_risk: 4.0,
        max_risk_leverage: 20.0,
    };

    fn measures(normal: f64, shocked: f64, sum_abs: f64, lev: f64) -> RiskMeasures {
        RiskMeasures {
            normal_risk: normal,
            shocked_vol_risk: shocked,
            sum_abs_risk: sum_abs,
            leverage: lev,
        }
    }

    #[test]
    fn multiplier_is_one_within_limits_and_binds_on_each_limit() {
        // vol target 16 %: limits 0.28, 0.64, 0.64 and leverage 20
        assert_eq!(
            risk_multiplier(measures(0.2, 0.5, 0.6, 10.0), ROB, 16.0),
            1.0
        );
        assert_eq!(
            risk_multiplier(measures(0.28, 0.64, 0.64, 20.0), ROB, 16.0),
            1.0
        );
        assert!(close(
            risk_multiplier(measures(0.56, 0.5, 0.6, 10.0), ROB, 16.0),
            0.5
        ));
        assert!(close(
            risk_multiplier(measures(0.2, 1.28, 0.6, 10.0), ROB, 16.0),
            0.5
        ));
        assert!(close(
            risk_multiplier(measures(0.2, 0.5, 0.8, 10.0), ROB, 16.0),
            0.8
        ));
        assert!(close(
            risk_multiplier(measures(0.2, 0.5, 0.6, 40.0), ROB, 16.0),
            0.5
        ));
        // the tightest binds
        assert!(close(
            risk_multiplier(measures(0.56, 0.5, 0.8, 80.0), ROB, 16.0),
            0.25
        ));
        // NaN measures do not bind
        let nan = f64::NAN;
        assert_eq!(
            risk_multiplier(measures(nan, nan, nan, nan), ROB, 16.0),
            1.0
        );
        assert!(close(
            risk_multiplier(measures(nan, nan, 1.28, nan), ROB, 16.0),
            0.5
        ));
    }

    #[test]
    fn risk_sum_abs_risk_and_leverage_of_one_date() {
        // w = (0.5, −0.25, NaN), σ = (0.2, 0.4, 0.3), ρ12 = 0.5:
        // a = wσ = (0.1, −0.1); var = 0.01 + 0.01 + 2·0.5·(0.1)(−0.1) = 0.01
        let w = [0.5, -0.25, f64::NAN];
        let s = [0.2, 0.4, 0.3];
        let corr = [1.0, 0.5, 0.2, 0.5, 1.0, 0.2, 0.2, 0.2, 1.0];
        let all = [true; 3];
        assert!(close(portfolio_risk(&w, &s, &corr, &all), 0.1));
        // an instrument without correlation data or σ is left out
        assert!(close(
            portfolio_risk(&[0.5, 1.0, 0.0], &s, &corr, &[true, false, true]),
            0.1
        ));
        assert!(close(
            portfolio_risk(&[0.5, 1.0, 0.0], &[0.2, f64::NAN, 0.3], &corr, &all),
            0.1
        ));
        // normal and shocked in one pass, with the same or different instruments counting
        let shocked = [0.4, 0.8, 0.6];
        let (a, b) = portfolio_risks(&w, &s, &shocked, &corr, &all);
        assert!(close(a, 0.1) && close(b, 0.2));
        let (a, b) = portfolio_risks(&w, &[0.2, f64::NAN, 0.3], &shocked, &corr, &all);
        assert!(close(a, 0.1) && close(b, 0.2)); // only the first counts in the normal risk
        assert!(close(sum_abs_risk(&w, &s), 0.5 * 0.2 + 0.25 * 0.4));
        assert!(close(leverage(&w), 0.75));
        assert_eq!(leverage(&[f64::NAN]), 0.0);
    }

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
        let rho_xy = direct_cov(&x, &y, alpha)
            / (direct_cov(&x, &x, alpha) * direct_cov(&y, &y, alpha)).sqrt();
        assert!((c[1] - rho_xy).abs() < 1e-12, "{} vs {rho_xy}", c[1]);
        assert!((c[3] - rho_xy).abs() < 1e-12);
        assert!((c[2] - 1.0).abs() < 1e-12);
        assert!((c[0] - 1.0).abs() < 1e-12);
        // fewer observations than min_periods: NaN
        let mut e = EwmCorrelation::new(2, 3.0, 3);
        e.update(&[1.0, 1.0]);
        e.update(&[2.0, nan]);
        e.update(&[3.0, 5.0]);
        let c = e.correlation();
        assert!(!c[0].is_nan() && c[1].is_nan() && c[3].is_nan());
    }

    #[test]
    fn cleaning_fills_missing_with_average_or_zero_and_clips() {
        let nan = f64::NAN;
        let raw = [1.0, 0.5, nan, 0.5, 1.0, 0.995, nan, 0.995, 1.0];
        // average of the non-NaN off-diagonal values: (0.5 + 0.5 + 0.995 + 0.995) / 4
        let avg = 0.7475;
        let c = clean_correlation(&raw, &[true, true, true]);
        assert!(close(c[2], avg) && close(c[6], avg));
        assert_eq!(c[5], 0.99);
        assert_eq!(c[0], 1.0);
        let c = clean_correlation(&raw, &[true, true, false]);
        assert_eq!(c[2], 0.0);
        assert_eq!(
            clean_correlation(&[nan; 4], &[true, true]),
            vec![1.0, 0.0, 0.0, 1.0]
        );
        let c = clean_correlation(&[1.0, -1.0, -1.0, 1.0], &[true, true]);
        assert_eq!(c, vec![1.0, -0.99, -0.99, 1.0]);
    }

    #[test]
    fn shocked_vol_is_the_rolling_99pc_quantile_backfilled() {
        // business days Mon 1 .. Fri 5 January 2024; quantile over k values: h = 0.99 (k − 1)
        let dates: Vec<NaiveDate> = (1..=5).map(|x| d(2024, 1, x)).collect();
        let out = shocked_vol(&dates, &[1.0, 2.0, f64::NAN, 4.0, 5.0], d(2024, 1, 2)).values;
        // values after ffill: 1, 2, 2, 4, 5
        let q3 = 2.0; // sorted 1, 2, 2: h = 1.98 → 2 + 0.98·0
        let q4 = 2.0 + (4.0 - 2.0) * 0.97; // 1, 2, 2, 4: h = 2.97
        let q5 = 4.0 + (5.0 - 4.0) * 0.96; // 1, 2, 2, 4, 5: h = 3.96 → v_3 + 0.96 (v_4 − v_3)
        let expected = [q3, q3, q3, q4, q5];
        assert_eq!(out.len(), 5);
        for (a, b) in out.iter().zip(expected) {
            assert!(close(*a, b), "{out:?}");
        }
        // past its own last date (Friday) up to the next Tuesday, the window keeps taking the
        // last value: 1, 2, 2, 4, 5, 5 (h = 4.95) and 1, 2, 2, 4, 5, 5, 5 (h = 5.94)
        let out = shocked_vol(&dates, &[1.0, 2.0, f64::NAN, 4.0, 5.0], d(2024, 1, 9));
        assert_eq!(out.dates.last(), Some(&d(2024, 1, 9)));
        assert_eq!(out.len(), 7);
        assert!(close(out.values[5], 5.0) && close(out.values[6], 5.0));
        let out = shocked_vol(&dates, &[1.0, 2.0, 3.0, 4.0, 5.0], d(2024, 1, 9));
        assert!(close(out.values[5], 5.0));
    }

    #[test]
    fn weekly_returns_are_differences_of_the_last_cumulated_return_per_seven_days() {
        let dates = business_days(d(2024, 1, 1), d(2024, 1, 19)); // three weeks, Mon..Fri
        let mut r = vec![1.0; dates.len()];
        r[0] = f64::NAN;
        r[6] = f64::NAN; // a missing return counts as 0 after the ffill of the cumulated level
        let late = DailySeries::new(dates[5..].to_vec(), vec![2.0; dates.len() - 5]);
        let (labels, weekly) = weekly_returns(&dates, &[DailySeries::new(dates.clone(), r), late]);
        assert_eq!(labels, vec![d(2024, 1, 1), d(2024, 1, 8), d(2024, 1, 15)]);
        assert!(weekly[0][0].is_nan());
        assert_eq!(&weekly[0][1..], &[4.0, 5.0]);
        // starts in week 2: level 2·5 = 10 at the end of week 2, 20 at the end of week 3
        assert!(weekly[1][0].is_nan() && weekly[1][1].is_nan());
        assert_eq!(weekly[1][2], 10.0);
    }

    #[test]
    fn weights_and_percentage_returns() {
        let value = DailySeries::new(vec![d(2024, 1, 1), d(2024, 1, 3)], vec![0.1, 0.2]);
        let position = DailySeries::new(vec![d(2024, 1, 2), d(2024, 1, 3)], vec![1.0, 2.0]);
        assert_eq!(portfolio_weight(&position, &value), vec![0.1, 0.4]);
        assert_eq!(
            per_contract_value_as_proportion_of_capital(&[100.0], &[2.0], 50.0, 1e6),
            vec![0.01]
        );
        let dates = vec![d(2024, 1, 1), d(2024, 1, 2), d(2024, 1, 3)];
        let back_adjusted = DailySeries::new(dates.clone(), vec![10.0, 11.0, 10.0]);
        let denominator = DailySeries::new(dates, vec![100.0, f64::NAN, 50.0]);
        let r = daily_percentage_returns(&back_adjusted, &denominator);
        assert!(r.values[0].is_nan());
        assert!(close(r.values[1], 0.01) && close(r.values[2], -0.02));
    }

    struct Inputs {
        dates: Vec<NaiveDate>,
        weight: f64,
        stdev: f64,
        returns: Vec<f64>,
    }

    fn inputs(dates: &[NaiveDate], weight: f64, stdev: f64, ret: impl Fn(usize) -> f64) -> Inputs {
        Inputs {
            dates: dates.to_vec(),
            weight,
            stdev,
            returns: (0..dates.len()).map(ret).collect(),
        }
    }

    /// Runs the overlay on instruments with constant weights and standard deviations (shocked:
    /// twice the standard deviation).
    fn run(instruments: &[Inputs], limits: RiskOverlayLimits) -> RiskOverlayResult {
        let all = systrade_series::index::union_all(instruments.iter().map(|i| &i.dates[..]));
        let bins = WeeklyBins::new(&all);
        let overlay: Vec<OverlayInstrument> = instruments
            .iter()
            .map(|i| {
                let n = i.dates.len();
                OverlayInstrument {
                    weight_dates: &i.dates,
                    weight: vec![i.weight; n],
                    stdev_dates: &i.dates,
                    stdev: vec![i.stdev; n],
                    shocked_stdev: DailySeries::new(i.dates.clone(), vec![2.0 * i.stdev; n]),
                    weekly_returns: bins.weekly_returns(
                        &all,
                        &DailySeries::new(i.dates.clone(), i.returns.clone()),
                    ),
                }
            })
            .collect();
        risk_overlay(&overlay, &bins.labels, limits, 16.0)
    }

    #[test]
    fn overlay_over_dates_uses_the_first_week_matrix_then_the_estimate() {
        let dates = business_days(d(2024, 1, 1), d(2024, 1, 19));
        let a = inputs(&dates, 1.0, 0.1, |t| (t as f64).sin());
        let b = inputs(&dates, 1.0, 0.1, |t| (t as f64).cos());
        let loose = RiskOverlayLimits {
            max_risk_fraction_normal_risk: 99.0,
            max_risk_fraction_stdev_risk: 99.0,
            max_risk_limit_sum_abs_risk: 99.0,
            max_risk_leverage: 99.0,
        };
        let pair = [a, b];
        let r = run(&pair, loose);
        assert_eq!(r.multiplier.dates, dates);
        assert!(r.multiplier.values.iter().all(|m| *m == 1.0));
        // first week: ρ = 0.99: var = 0.01 + 0.01 + 2·0.99·0.01
        assert!(close(r.measures[0].normal_risk, 0.0398_f64.sqrt()));
        assert!(close(
            r.measures[0].shocked_vol_risk,
            (4.0 * 0.0398_f64).sqrt()
        ));
        // second week on: fewer than 10 weekly returns, all NaN → identity
        assert!(close(r.measures[7].normal_risk, 0.02_f64.sqrt()));
        assert!(close(r.measures[7].sum_abs_risk, 0.2));
        assert!(close(r.measures[7].leverage, 2.0));
        // leverage 2 against a limit of 0.5: multiplier 0.25; the normal risk against
        // 0.5 × 0.16 = 0.08 gives 0.08 / 0.1414 = 0.566 (week 2) and 0.08 / 0.1995 = 0.401
        // (week 1), so leverage binds throughout
        let tight = RiskOverlayLimits {
            max_risk_leverage: 0.5,
            max_risk_fraction_normal_risk: 0.5,
            ..loose
        };
        let r = run(&pair, tight);
        assert!(close(r.multiplier.values[7], 0.25));
        assert!(close(r.multiplier.values[0], 0.25));
        assert!(r.multiplier.values.iter().all(|m| *m <= 1.0 && *m > 0.0));
    }

    #[test]
    fn overlay_ignores_instruments_before_they_start() {
        let dates = business_days(d(2024, 1, 1), d(2024, 1, 12));
        let a = inputs(&dates, 1.0, 0.1, |_| 0.01);
        let b = inputs(&dates[5..], 3.0, 0.2, |_| 0.02);
        let r = run(&[a, b], ROB);
        assert_eq!(r.multiplier.dates, dates);
        assert!(close(r.measures[0].leverage, 1.0));
        assert!(close(r.measures[0].sum_abs_risk, 0.1));
        assert!(close(r.measures[5].leverage, 4.0));
        assert!(close(r.measures[5].sum_abs_risk, 0.1 + 0.6));
    }

    /// Deterministic pseudo-random numbers in [0, 1) (a linear congruential generator).
    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn fused_cleaning_equals_cleaning_the_raw_matrix() {
        let mut seed = 11;
        let n = 5;
        let mut e = EwmCorrelation::new(n, 75.0, 10);
        for t in 0..60 {
            let row: Vec<f64> = (0..n)
                .map(|i| {
                    let u = lcg(&mut seed) - 0.5;
                    // series 3 starts late, series 4 never has data, gaps in series 1
                    if (i == 3 && t < 45) || i == 4 || (i == 1 && t % 7 == 0) {
                        f64::NAN
                    } else {
                        u + if i == 2 {
                            0.0
                        } else {
                            0.3 * (t as f64 * 0.1).sin()
                        }
                    }
                })
                .collect();
            e.update(&row);
            let must_have = [true, true, true, t >= 40, false];
            let mut fused = vec![0.0; n * n];
            let with_data = e.cleaned_correlation_into(&must_have, &mut fused);
            let reference = clean_correlation(&e.correlation(), &must_have);
            for i in 0..n {
                for j in i..n {
                    let (a, b) = (fused[i * n + j], reference[i * n + j]);
                    assert!(
                        (a - b).abs() < 1e-12 || (a.is_nan() && b.is_nan()),
                        "t {t}: {a} {b}"
                    );
                }
            }
            assert_eq!(with_data, assets_with_data(&reference, n));
        }
        // one series with data: no off-diagonal value, so no average to fill with
        let mut e = EwmCorrelation::new(3, 75.0, 10);
        for t in 0..12 {
            e.update(&[t as f64 * 0.1 + 0.3 * ((t % 3) as f64), f64::NAN, f64::NAN]);
        }
        for must_have in [[true, true, true], [true, true, false], [false; 3]] {
            let mut fused = vec![0.0; 9];
            let with_data = e.cleaned_correlation_into(&must_have, &mut fused);
            let reference = clean_correlation(&e.correlation(), &must_have);
            assert_eq!(with_data, assets_with_data(&reference, 3), "{must_have:?}");
        }
    }
}
