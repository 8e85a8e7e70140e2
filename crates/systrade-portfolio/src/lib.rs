//! Position sizing and portfolio construction, pysystemtrade's `positionSize` and `portfolio`
//! stages (spec §3.6–3.7). Pure functions over date-indexed series ([`DailySeries`]); no I/O.
//!
//! Per instrument, a `size-positions` or `backtest` binary calls
//! [`sizing::size_instrument`] (block value → vol scalar → subsystem position), then at portfolio
//! level [`weights::fixed_instrument_weights`] and [`weights::fixed_idm`], then per instrument
//! [`portfolio::notional_position_without_idm`], [`portfolio::notional_position`],
//! [`portfolio::buffer`] and [`portfolio::apply_buffers_to_position`]; [`fx::fx_rate_to_base`]
//! provides the FX series and [`portfolio::capital_multiplier`] the compounding.

pub mod fx;
pub mod portfolio;
pub mod risk_overlay;
pub mod sizing;
pub mod weights;

pub use systrade_series::DailySeries;
