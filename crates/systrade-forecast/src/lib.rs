//! The forecasting half of pysystemtrade's backtest (spec §3.2–3.5) as pure functions:
//!
//! - [`rawdata`]: daily prices, returns, volatility (`mixed_vol_calc`, `robust_vol_calc`,
//!   `simple_vol_calc`), percentage vol/returns, vol-normalised prices.
//! - [`carry`]: carry inputs from multiple prices (raw roll, roll differential, annualised roll,
//!   raw carry).
//! - [`rules`]: the trading rules, one function each, named after pysystemtrade's.
//! - [`spec`]: [`TradingRule`] — a rule function with its parameters and data inputs, built from
//!   pysystemtrade's dotted function names (or short names) and `other_args`.
//! - [`attenuation`]: optional vol attenuation of raw forecasts (`use_attenuation`).
//! - [`scaling`]: fixed and estimated (pooled) forecast scalars, cap and floor.
//! - [`factors`]: factor inputs (rolling calendar-window skew and kurtosis, demean methods).
//! - [`combine`]: forecast weights (alignment, smoothing, renormalisation), FDM, combined forecast.
//! - [`instrument`]: everything for one instrument ([`ForecastInputs`], [`InstrumentForecasts`],
//!   [`instrument::scale_cap_combine`]).
//! - [`cross_section`]: inputs computed from several instruments (asset-class normalised price
//!   and median carry, demeaned factors).
//! - [`in_order`]: parallel work whose results are consumed in order as they are ready.
//! - [`pipeline`]: the whole forecast stage over all instruments of a system
//!   ([`pipeline::compute_forecasts`]), used by `compute-forecasts`, `size-positions` and
//!   `backtest`.
//!
//! No I/O: inputs are prices already in memory, outputs are [`DailySeries`] and
//! [`systrade_model::ForecastSeries`].

pub mod attenuation;
pub mod carry;
pub mod combine;
pub mod cross_section;
pub mod factors;
pub mod in_order;
pub mod instrument;
pub mod pipeline;
pub mod rawdata;
pub mod rules;
pub mod scaling;
pub mod spec;

pub use combine::CombinedLimit;
pub use cross_section::{ClassPeer, CrossSectionalInputs, CrossSectionalNeeds};
pub use instrument::{
    CostCeiling, ForecastConfig, ForecastInputs, ForecastMapping, ForecastScalar,
    InstrumentForecasts, PriceInputs, RuleForecast,
};
pub use pipeline::{ForecastJob, PipelineReport, RuleCosts, ScalarMethod, TradingCosts};
pub use rawdata::{RawData, VolConfig, VolEstimator};
pub use spec::{DataInput, FactorSpec, RuleError, RuleFunction, TradingRule};
pub use systrade_series::DailySeries;
