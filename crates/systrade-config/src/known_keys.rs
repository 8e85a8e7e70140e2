//! Keys that pysystemtrade's full config contains but the backtest tools do not use: production settings
//! (`sysdata/config/defaults.yaml`, private config, spec §4.12), estimator settings used only with
//! estimated weights/FDM/IDM, and grouping or reporting keys of the shipped example configs. They are
//! accepted silently, so that a config dumped by pysystemtrade (`system.config.save`, or
//! `pst-reference/simple_system/config.yaml`) reads without warnings.

/// Exact top-level keys known to pysystemtrade and deliberately unused here.
pub(crate) const KNOWN_UNUSED_KEYS: &[&str] = &[
    // production: storage, brokers, processes (defaults.yaml "PRODUCTION STUFF", spec §4.12)
    "strategy_capital_allocation",
    "strategy_weights",
    "backtest_store_directory",
    "csv_backup_directory",
    "mongo_dump_directory",
    "echo_directory",
    "echo_extension",
    "offsystem_backup_directory",
    "parquet_store",
    "broker_factory_func",
    "broker_account",
    "max_price_spike",
    "GMT_offset_hours",
    "ignore_future_prices",
    "ignore_prices_with_zero_volumes_intraday",
    "ignore_prices_with_zero_volumes_daily",
    "ignore_zero_prices",
    "ignore_negative_prices",
    "intraday_frequency",
    "production_capital_method",
    "stale_instruments",
    "stale_strategies",
    "monitor_output_path",
    "reporting_directory",
    "report_file_extension",
    "execution_algos",
    "roll_status_auto_update",
    "base_currency_for_reporting",
    // estimators: only used with estimated weights / FDM / IDM (not supported yet) or by reports
    "forecast_correlation_estimate",
    "forecast_div_mult_estimate",
    "forecast_cost_estimates",
    "forecast_post_ceiling_cost_SR",
    "forecast_weight_estimate",
    "instrument_correlation_estimate",
    "instrument_div_mult_estimate",
    "instrument_weight_estimate",
    "instruments_with_threshold",
    // shipped example configs: grouping and optional stages not used by the classic system
    "rule_groups",
    "style_groups",
    "countries",
    "asset_classes",
    "start_date",
];

/// Key prefixes of production settings (`ib_ipaddress`, `mongo_host`, `email_address`, ...).
const KNOWN_UNUSED_PREFIXES: &[&str] = &["ib_", "mongo_", "email_", "arctic_", "db_"];

/// True for a top-level key that pysystemtrade knows and the backtest tools ignore on purpose.
pub(crate) fn is_known_unused(key: &str) -> bool {
    KNOWN_UNUSED_KEYS.contains(&key) || KNOWN_UNUSED_PREFIXES.iter().any(|p| key.starts_with(p))
}
