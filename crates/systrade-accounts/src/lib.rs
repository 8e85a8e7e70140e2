//! Backtest accounting, pysystemtrade's `accounts` stage (spec §3.8). Pure functions; no I/O.
//!
//! Per instrument a `backtest` binary calls [`buffering::buffered_position`] on the notional
//! position and its buffers, then [`curves::instrument_account_cash_costs`] (gross P&L with the
//! one-day delayed fill in points, instrument currency, base currency and percent; fills; holding
//! pseudo-fills; vol-normalised cash costs; business-day gross/costs/net curves). At portfolio level
//! [`curves::portfolio_account`] sums the instruments and [`stats::stats`] summarises any curve.
//!
//! [`estimation::sr_cost_of_forecast`] is the annual SR cost of trading one rule's forecast
//! (turnover × cost per trade + holding, pooled as `forecast_cost_estimates` says), used by
//! estimation and by the `forecast_post_ceiling_cost_SR` rule filter of the forecast pipeline.
//!
//! [`system`] wires all of it for the binaries: [`system::compute_positions`] (everything
//! `size-positions` writes: sizing, weights, IDM, notional positions, buffers, buffered positions),
//! [`system::account_instrument`] and [`system::run_system`] (the backtest, cash or SR costs), and
//! [`system::compound`] (capital multiplier: full or half compounding); [`tearsheet`] the
//! tear-sheet numbers of the backtest report (monthly and annual returns, drawdown periods, rolling
//! Sharpe). Parity with pysystemtrade's simple system is checked stage by stage in
//! `tests/parity_simple_system.rs`.

pub mod buffering;
pub mod costs;
pub mod curves;
pub mod estimation;
pub mod pandl;
pub mod stats;
pub mod system;
pub mod tearsheet;

pub use systrade_series::DailySeries;
