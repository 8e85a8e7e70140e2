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
//!   [`EwmCorrelation`] (systrade-series), [`clean_correlation`], [`CorrelationWalk`].
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
//! The multiplier equals pysystemtrade's `risk_scalar` of `pst-reference/dynamic_optimisation` on
//! all 13 272 days within 1e-13 (backtest test `optimised_system_matches_pysystemtrade`): the
//! correlations are pandas' pairwise ones (each pair's moments over their joint observations), a
//! single instrument with a standard deviation has no risk (its covariance column has one entry),
//! and the shocked standard deviations are back-filled to the start of the joint frame.

//!
//! Modules: [`correlation`] (weekly returns, the correlation walk, cleaning), [`measures`]
//! (weights, returns, standard deviations, the four measures of one date) and [`overlay`] (the
//! limits, the multiplier and the walk over dates). Their items are re-exported here.

pub mod correlation;
pub mod measures;
pub mod overlay;

pub use correlation::{
    CORRELATION_CLIP, CORRELATION_MIN_PERIODS, CORRELATION_ROLL_PERIODS, CORRELATION_SPAN,
    CorrelationWalk, NO_DATA_CORRELATION, clean_correlation, clean_ewm_correlation_into,
    weekly_returns,
};
pub use measures::{
    RiskMeasures, SHOCK_QUANTILE, SHOCK_WINDOW_DAYS, annualised_percentage_vol,
    daily_percentage_returns, leverage, per_contract_value_as_proportion_of_capital,
    portfolio_risk, portfolio_weight, shocked_vol, sum_abs_risk,
};
pub use overlay::{
    OverlayInstrument, RiskOverlayLimits, RiskOverlayResult, multiplier_for_limit, risk_multiplier,
    risk_overlay,
};

/// What the three modules' tests share.
#[cfg(test)]
mod test_support {
    use chrono::NaiveDate;

    pub(super) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub(super) fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }
}
