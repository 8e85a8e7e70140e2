//! Every top-level key of pysystemtrade's config that systrade knows, and what it does with it: one
//! table, [`CONFIG_KEYS`] (issue 16: no key is accepted and silently ignored).
//!
//! The keys come from pysystemtrade 1.80's `sysdata/config/defaults.yaml` and its shipped example
//! configs (`simplesystemconfig.yaml`, `futures_chapter15/futuresconfig.yaml`,
//! `futuresestimateconfig.yaml`, `rob_system/config.yaml`); the test
//! `tests/key_classification.rs` walks every key of those files (vendored under
//! `tests/fixtures/pysystemtrade/`) and fails on one missing here.
//!
//! Each key belongs to a [`Stage`]. A tool checks only the stages it runs
//! ([`crate::SystemConfig::check_supported_for`]): `compute-forecasts` runs
//! [`FORECAST_STAGES`], `size-positions` and `backtest` [`SIZING_STAGES`] / [`BACKTEST_STAGES`]. A
//! key of a stage a tool does not run never stops it; a refused key stops the tools that run its
//! stage with an error naming the key and the file.
//!
//! Estimation keys (`use_*_estimates` and the estimator settings, issue 17): `backtest`
//! estimates; the production tools refuse `use_*_estimates: true` until they read estimates
//! ([`KeyStatus::RefusedUntilEstimation`]). The estimation blocks are read when their feature is on;
//! values systrade does not implement are refused ([`crate::estimation`]).

/// The part of a system a key configures (pysystemtrade's stages, grouped by the tools that run them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Price data of the instruments and the instrument list (pysystemtrade's `simData` and the
    /// system's instrument list): every tool.
    Data,
    /// Raw data, trading rules, forecast scaling and capping, forecast combination.
    Forecasts,
    /// Position sizing and the portfolio (instrument weights, IDM, buffers, risk overlay).
    Positions,
    /// Accounts: costs and profit and loss (`backtest` only).
    Accounts,
}

/// What `compute-forecasts` runs.
pub const FORECAST_STAGES: &[Stage] = &[Stage::Data, Stage::Forecasts];
/// What `size-positions` runs.
pub const SIZING_STAGES: &[Stage] = &[Stage::Data, Stage::Forecasts, Stage::Positions];
/// What `backtest` runs.
pub const BACKTEST_STAGES: &[Stage] = &[
    Stage::Data,
    Stage::Forecasts,
    Stage::Positions,
    Stage::Accounts,
];

/// What systrade does with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Read into [`crate::SystemConfig`] and used as pysystemtrade uses it.
    Implemented(Stage),
    /// Settings read only when another key turns their feature on (`feature` says which); while it
    /// is off they change nothing, in pysystemtrade as here. When the feature is refused, so is
    /// the configuration that would read them.
    OnlyWith { stage: Stage, feature: &'static str },
    /// Production processes, reports or a stage no systrade tool runs from this config (`what`);
    /// never stops any tool.
    ProductionOnly { what: &'static str },
    /// Parsed; a value that would change results is refused by the tools that run the stage (a
    /// clear error naming the key and the file); pysystemtrade's default is accepted.
    RefusedUnlessDefault(Stage),
    /// `true` is implemented by `backtest` (issue 17) and refused by the production tools that run
    /// the stage (`compute-forecasts`, `size-positions`) until estimation lands there.
    RefusedUntilEstimation(Stage),
    /// In pysystemtrade 1.80's defaults but read by no code of it: accepted, changes nothing
    /// there either.
    UnusedByPysystemtrade,
}

/// One row of [`CONFIG_KEYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigKey {
    pub key: &'static str,
    pub status: KeyStatus,
    /// Where pysystemtrade reads it, or why it has this status.
    pub note: &'static str,
}

const fn k(key: &'static str, status: KeyStatus, note: &'static str) -> ConfigKey {
    ConfigKey { key, status, note }
}

use KeyStatus::*;
use Stage::*;

const PRODUCTION: KeyStatus = ProductionOnly {
    what: "production processes (sysproduction, sysdata, sysbrokers)",
};

/// Every top-level key systrade knows (prefix families of production keys: [`PRODUCTION_PREFIXES`]).
pub const CONFIG_KEYS: &[ConfigKey] = &[
    // ---- data and instrument list
    k(
        "start_date",
        Implemented(Data),
        "sysdata/sim/sim_data.py: prices and FX start on this date",
    ),
    k(
        "instruments",
        Implemented(Data),
        "systems/basesystem.py instrument list",
    ),
    k(
        "duplicate_instruments",
        Implemented(Data),
        "systems/basesystem.py: exclude groups leave the list; sysproduction/data/controls.py: reduce-only override (place-orders, optimised size-positions)",
    ),
    k(
        "exclude_instrument_lists",
        Implemented(Data),
        "systems/basesystem.py: ignore_instruments leave the list; sysproduction/data/controls.py: overrides (trading_restrictions no-trading, bad_markets and ignore_instruments reduce-only) in place-orders and the optimised size-positions; optimised_positions_stage.py: trading_restrictions and bad_markets reduce-only in the optimised backtest",
    ),
    k(
        "base_config",
        RefusedUnlessDefault(Data),
        "loading another config first is not supported",
    ),
    // ---- forecasts
    k(
        "volatility_calculation",
        Implemented(Forecasts),
        "systems/rawdata.py",
    ),
    k(
        "trading_rules",
        Implemented(Forecasts),
        "systems/forecasting.py",
    ),
    k(
        "forecast_scalars",
        Implemented(Forecasts),
        "systems/forecast_scale_cap.py",
    ),
    k(
        "forecast_scalar",
        Implemented(Forecasts),
        "systems/forecast_scale_cap.py",
    ),
    k(
        "use_forecast_scale_estimates",
        Implemented(Forecasts),
        "systems/forecast_scale_cap.py",
    ),
    k(
        "forecast_scalar_estimate",
        Implemented(Forecasts),
        "systems/forecast_scale_cap.py",
    ),
    k(
        "forecast_cap",
        Implemented(Forecasts),
        "systems/forecast_scale_cap.py",
    ),
    k(
        "forecast_floor",
        Implemented(Forecasts),
        "systems/forecast_scale_cap.py",
    ),
    k(
        "average_absolute_forecast",
        Implemented(Forecasts),
        "systems/forecast_scale_cap.py, systems/positionsizing.py",
    ),
    k(
        "use_attenuation",
        Implemented(Forecasts),
        "systems/provided/attenuate_vol/vol_attenuation_forecast_scale_cap.py",
    ),
    k(
        "forecast_weights",
        Implemented(Forecasts),
        "systems/forecast_combine.py (auto_weight_from_grouping refused)",
    ),
    k(
        "forecast_weight_ewma_span",
        Implemented(Forecasts),
        "systems/forecast_combine.py",
    ),
    k(
        "forecast_div_multiplier",
        Implemented(Forecasts),
        "systems/forecast_combine.py",
    ),
    k(
        "forecast_mapping",
        Implemented(Forecasts),
        "systems/forecast_combine.py, systems/forecast_mapping.py",
    ),
    k(
        "rule_variations",
        OnlyWith {
            stage: Forecasts,
            feature: "use_forecast_weight_estimates",
        },
        "systems/forecast_combine.py",
    ),
    k(
        "forecast_post_ceiling_cost_SR",
        Implemented(Forecasts),
        "systems/forecast_combine.py _remove_expensive_rules_from_weights: rules whose SR cost (systrade_accounts::estimation::sr_cost_of_forecast) exceeds it leave the weights, fixed ones too; the default 999 drops none",
    ),
    k(
        "forecast_cost_estimates",
        OnlyWith {
            stage: Forecasts,
            feature: "forecast_post_ceiling_cost_SR below 999 (implemented), or use_forecast_weight_estimates",
        },
        "systems/accounts/account_costs.py: use_pooled_costs / use_pooled_turnover of a rule's SR cost (systrade_accounts::estimation::sr_cost_of_forecast)",
    ),
    // ---- estimation (issue 17): backtest estimates; production tools refuse use_*_estimates
    k(
        "use_forecast_weight_estimates",
        RefusedUntilEstimation(Forecasts),
        "systems/forecast_combine.py",
    ),
    k(
        "use_forecast_div_mult_estimates",
        RefusedUntilEstimation(Forecasts),
        "systems/forecast_combine.py",
    ),
    k(
        "use_instrument_weight_estimates",
        RefusedUntilEstimation(Positions),
        "systems/portfolio.py",
    ),
    k(
        "use_instrument_div_mult_estimates",
        RefusedUntilEstimation(Positions),
        "systems/portfolio.py",
    ),
    k(
        "forecast_weight_estimate",
        Implemented(Forecasts),
        "systems/forecast_combine.py, sysquant/optimisation/: read with use_forecast_weight_estimates; refused: another func, method bootstrap, using_exponent false, frequency other than W, ceiling_cost_SR below 9999",
    ),
    k(
        "forecast_correlation_estimate",
        Implemented(Forecasts),
        "systems/forecast_combine.py, sysquant/estimators/pooled_correlation.py: read with use_forecast_div_mult_estimates; refused: another func, using_exponent false, frequency other than W",
    ),
    k(
        "forecast_div_mult_estimate",
        Implemented(Forecasts),
        "sysquant/estimators/diversification_multipliers.py: read with use_forecast_div_mult_estimates; refused: another func",
    ),
    k(
        "instrument_weight_estimate",
        Implemented(Positions),
        "systems/portfolio.py, sysquant/optimisation/: read with use_instrument_weight_estimates; refused as forecast_weight_estimate",
    ),
    k(
        "instrument_correlation_estimate",
        Implemented(Positions),
        "systems/portfolio.py, sysquant/estimators/correlation_over_time.py: read with use_instrument_div_mult_estimates; refused: another func, using_exponent false, frequency other than W",
    ),
    k(
        "instrument_div_mult_estimate",
        Implemented(Positions),
        "sysquant/estimators/diversification_multipliers.py: read with use_instrument_div_mult_estimates; refused: another func",
    ),
    // ---- positions and portfolio
    k(
        "percentage_vol_target",
        Implemented(Positions),
        "systems/positionsizing.py",
    ),
    k(
        "notional_trading_capital",
        Implemented(Positions),
        "systems/positionsizing.py",
    ),
    k(
        "base_currency",
        Implemented(Positions),
        "systems/positionsizing.py",
    ),
    k(
        "long_only_instruments",
        Implemented(Positions),
        "systems/positionsizing.py",
    ),
    k(
        "instrument_weights",
        Implemented(Positions),
        "systems/portfolio.py (its keys also choose the instruments)",
    ),
    k(
        "instrument_weight_ewma_span",
        Implemented(Positions),
        "systems/portfolio.py",
    ),
    k(
        "instrument_div_multiplier",
        Implemented(Positions),
        "systems/portfolio.py",
    ),
    k(
        "allocate_zero_instrument_weights_to_these_instruments",
        Implemented(Positions),
        "systems/portfolio.py: weight 0, left out of equal weights",
    ),
    k(
        "risk_overlay",
        Implemented(Positions),
        "systems/portfolio.py",
    ),
    k(
        "instrument_returns_correlation",
        RefusedUnlessDefault(Positions),
        "systems/portfolio.py: correlations of the risk overlay and the dynamic optimiser (defaults built in; other values refused when risk_overlay is set or the strategy is optimised)",
    ),
    k(
        "capital_multiplier",
        Implemented(Positions),
        "systems/accounts/account_with_multiplier.py",
    ),
    k(
        "buffer_method",
        Implemented(Positions),
        "systems/buffering.py",
    ),
    k(
        "buffer_size",
        Implemented(Positions),
        "systems/buffering.py",
    ),
    k(
        "buffer_trade_to_edge",
        Implemented(Positions),
        "systems/buffering.py",
    ),
    // ---- accounts
    k(
        "use_SR_costs",
        Implemented(Accounts),
        "systems/accounts/account_costs.py",
    ),
    k(
        "vol_normalise_currency_costs",
        Implemented(Accounts),
        "systems/accounts/account_costs.py",
    ),
    k(
        "multiply_roll_costs_by",
        Implemented(Accounts),
        "systems/accounts/account_costs.py",
    ),
    // ---- production, reporting, stages no systrade tool runs from this config
    k(
        "strategy_capital_allocation",
        PRODUCTION,
        "sysproduction capital allocation",
    ),
    k(
        "strategy_list",
        Implemented(Positions),
        "sysproduction strategies: naming the dynamic optimised system or order generator makes the strategy optimised (docs/adr/0007-optimised-strategy.md)",
    ),
    k("strategy_weights", PRODUCTION, "sysproduction strategies"),
    k(
        "backtest_store_directory",
        PRODUCTION,
        "sysproduction backtest pickles",
    ),
    k("csv_backup_directory", PRODUCTION, "sysproduction backups"),
    k("mongo_dump_directory", PRODUCTION, "sysproduction backups"),
    k("echo_directory", PRODUCTION, "sysproduction process logs"),
    k("echo_extension", PRODUCTION, "sysproduction process logs"),
    k(
        "offsystem_backup_directory",
        PRODUCTION,
        "sysproduction backups",
    ),
    k("parquet_store", PRODUCTION, "sysdata parquet storage"),
    k("broker_factory_func", PRODUCTION, "sysbrokers"),
    k("broker_account", PRODUCTION, "sysbrokers"),
    k(
        "max_price_spike",
        PRODUCTION,
        "sysdata/tools/cleaner.py: price cleaning on update (fetch-prices)",
    ),
    k("GMT_offset_hours", PRODUCTION, "sysdata price cleaning"),
    k(
        "ignore_future_prices",
        PRODUCTION,
        "sysdata/tools/cleaner.py",
    ),
    k(
        "ignore_prices_with_zero_volumes_intraday",
        PRODUCTION,
        "sysdata/tools/cleaner.py",
    ),
    k(
        "ignore_prices_with_zero_volumes_daily",
        PRODUCTION,
        "sysdata/tools/cleaner.py",
    ),
    k("ignore_zero_prices", PRODUCTION, "sysdata/tools/cleaner.py"),
    k(
        "ignore_negative_prices",
        PRODUCTION,
        "sysdata/tools/cleaner.py",
    ),
    k(
        "intraday_frequency",
        PRODUCTION,
        "sysproduction price updates",
    ),
    k(
        "production_capital_method",
        PRODUCTION,
        "sysproduction/data/capital.py",
    ),
    k("stale_instruments", PRODUCTION, "sysproduction reports"),
    k("stale_strategies", PRODUCTION, "sysproduction reports"),
    k("monitor_output_path", PRODUCTION, "sysproduction monitor"),
    k("reporting_directory", PRODUCTION, "sysproduction reports"),
    k("report_file_extension", PRODUCTION, "sysproduction reports"),
    k("execution_algos", PRODUCTION, "sysexecution"),
    k(
        "roll_status_auto_update",
        PRODUCTION,
        "sysproduction/interactive_update_roll_status.py",
    ),
    k(
        "base_currency_for_reporting",
        PRODUCTION,
        "sysproduction reports",
    ),
    k(
        "small_system",
        Implemented(Positions),
        "systems/provided/dynamic_small_system_optimise: shadow cost, cost multiplier, tracking error buffer, correlation shrinkage of the optimiser (backtest --optimised, optimised strategy)",
    ),
    k(
        "rule_groups",
        ProductionOnly {
            what: "reports (grouping of rules)",
        },
        "futuresconfig.yaml grouping for reports",
    ),
    k(
        "style_groups",
        ProductionOnly {
            what: "reports (grouping of rules)",
        },
        "futuresconfig.yaml grouping for reports",
    ),
    k(
        "countries",
        ProductionOnly {
            what: "reports (grouping of instruments)",
        },
        "futuresconfig.yaml grouping for reports",
    ),
    k(
        "asset_classes",
        ProductionOnly {
            what: "reports (grouping of instruments)",
        },
        "futuresconfig.yaml grouping; asset classes come from instruments.csv",
    ),
    k(
        "instruments_with_threshold",
        UnusedByPysystemtrade,
        "in defaults.yaml, read by no code of pysystemtrade 1.80",
    ),
];

/// Key prefixes of production settings (`ib_ipaddress`, `mongo_host`, `email_address`, ...).
pub const PRODUCTION_PREFIXES: &[&str] = &["ib_", "mongo_", "email_", "arctic_", "db_"];

/// The row of a top-level key; production prefixes give a [`KeyStatus::ProductionOnly`] row of
/// their own. `None` for a key systrade does not know (the reader warns about it).
pub fn classify(key: &str) -> Option<ConfigKey> {
    if let Some(row) = CONFIG_KEYS.iter().find(|r| r.key == key) {
        return Some(*row);
    }
    PRODUCTION_PREFIXES
        .iter()
        .any(|p| key.starts_with(p))
        .then_some(ConfigKey {
            key: "",
            status: PRODUCTION,
            note: "production connection settings",
        })
}
