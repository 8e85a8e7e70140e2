//! pysystemtrade's parameter estimation (issue 17), as pure computation over numbers the caller
//! supplies; no I/O. Each module cites the pysystemtrade 1.80 module whose behaviour it follows:
//!
//! | step | module | pysystemtrade |
//! |---|---|---|
//! | fit periods (`expanding`, `rolling`, `in_sample`; the first "no data" period) | [`fit_dates`] | `sysquant/fitting_dates.py` |
//! | correlation matrix: cleaning, floor, clip, shrinkage, missing assets | [`correlation`] | `sysquant/estimators/correlations.py` |
//! | pooling instruments' weekly data (ffill, `resample("W").last()`, µs offsets); weekly returns from daily ones for the IDM | [`pooling`] | `sysquant/estimators/pooled_correlation.py`, `syscore/pandas/list_of_df.py`, `sysquant/estimators/correlation_over_time.py` |
//! | annualised EW mean and standard deviation per fit period | [`moments`] | `sysquant/estimators/mean_estimator.py`, `stdev_estimator.py` |
//! | exponentially weighted correlation per fit period | [`correlation`] | `sysquant/estimators/exponential_correlation.py`, `generic_estimator.py` |
//! | handcrafted weights (clustering, sub-portfolios, SR adjustment) | [`handcraft`], [`slsqp`] | `sysquant/optimisation/optimisers/handcraft.py`, `sysquant/estimators/clustering_correlations.py`, `sysquant/optimisation/SR_adjustment.py`, `sysquant/optimisation/shared.py`, scipy's SLSQP |
//! | `equal_weights`, `one_period`, `shrinkage` | [`optimisers`] | `sysquant/optimisation/optimisers/{equal_weights,one_period,shrinkage}.py`, `sysquant/optimisation/shared.py` |
//! | equal weights, valid-asset subset, weight cleaning | [`weights`] | `sysquant/optimisation/optimisers/call_optimiser.py`, `sysquant/optimisation/cleaning.py`, `sysquant/optimisation/weights.py` |
//! | estimated weights on the forecast/position index: forward fill, zero where no forecast, business days, ewm, sum to one | [`smoothing`] | `syscore/pandas/strategy_functions.py` (`fix_weights_vs_position_or_forecast`), `systems/forecast_combine.py`, `systems/portfolio.py` |
//! | diversification multiplier (single period, over time, smoothing, `dm_max`) | [`diversification`] | `sysquant/estimators/diversification_multipliers.py` |
//! | returns to fit on: daily gross and cost returns, pooled gross returns, SR costs (own, pooled, per unit of turnover), `equalise_gross`, `cost_multiplier`, weekly stack | [`returns`] | `sysquant/returns.py`, `sysquant/optimisation/pre_processing.py` |
//! | the generic optimiser over time (fit periods, estimates, method, cleaning, `apply_cost_weight`) | [`over_time`] | `sysquant/optimisation/generic_optimiser.py`, `optimise_over_time.py`, `portfolio_optimiser.py` |
//! | the same estimates for every instrument of a pool at once (pooled gross returns: shared moments plus each instrument's costs) | [`pooled_returns`] | as [`returns`] and [`over_time`] |
//!
//! The P&L those returns come from (each rule's forecast traded alone, each subsystem) is
//! `systrade_accounts::estimation`.

pub mod correlation;
pub mod diversification;
pub mod fit_dates;
pub mod handcraft;
pub mod moments;
pub mod normal;
pub mod optimisers;
pub mod over_time;
pub mod pooled_returns;
pub mod pooling;
pub mod returns;
pub mod slsqp;
pub mod smoothing;
pub mod weights;

pub use correlation::{Correlation, CorrelationEstimator, DataFrame};
pub use diversification::{DiversificationMultiplier, dm_over_time, dm_single_period};
pub use fit_dates::{DateMethod, FitPeriod, FitPeriods, Interval, fit_periods};
pub use handcraft::{Estimates, handcraft};
pub use weights::{Weights, clean_weights};

/// Inputs the estimators cannot work with (reported instead of panicking).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    #[error("unknown date_method '{0}' (expected expanding, rolling or in_sample)")]
    UnknownDateMethod(String),
    #[error("unknown interval frequency '{0}' (expected W, M, 12M, Y or <n>D)")]
    UnknownInterval(String),
    #[error("the data end ({end}) is before its start ({start})")]
    EndBeforeStart { start: String, end: String },
    #[error(
        "the data ({start} to {end}) is shorter than one re-estimation interval, so there is no fit period"
    )]
    TooShortForFitPeriods { start: String, end: String },
    #[error("no data to estimate from")]
    NoData,
    #[error("a correlation matrix of {names} names needs {expected} values, got {got}")]
    MatrixShape {
        names: usize,
        expected: usize,
        got: usize,
    },
    #[error("{what}: {got} values for {expected} names")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("'{0}' is not among the correlation matrix's names")]
    UnknownName(String),
    #[error("the index is not sorted ascending at row {0}")]
    UnsortedIndex(usize),
    #[error("{what} must be positive and finite, got {value}")]
    BadParameter { what: &'static str, value: f64 },
}
