//! Backtest accounting, pysystemtrade's `accounts` stage (spec §3.8). Pure functions; no I/O.
//!
//! Per instrument a `backtest` binary calls [`buffering::buffered_position`] on the notional
//! position and its buffers, then [`curves::instrument_account_cash_costs`] (gross P&L with the
//! one-day delayed fill in points, instrument currency, base currency and percent; fills; holding
//! pseudo-fills; vol-normalised cash costs; business-day gross/costs/net curves). At portfolio level
//! [`curves::portfolio_account`] sums the instruments and [`stats::stats`] summarises any curve.

pub mod buffering;
pub mod costs;
pub mod curves;
pub mod pandl;
pub mod stats;
pub mod system;

pub use systrade_series::DailySeries;
