//! A whole system loaded from a data directory: the config, the instrument list, static data
//! (point size, currency, costs, rolls per year), prices, FX into the base currency and the
//! combined forecasts, wired into [`systrade_accounts::system::InstrumentInputs`] and
//! [`systrade_accounts::system::AccountsConfig`] (spec §3.0–3.8). Shared by `compute-forecasts`,
//! `size-positions` and `backtest`; the computation itself is in the libraries
//! (`systrade-forecast`, `systrade-portfolio`, `systrade-accounts`), the files in
//! `systrade-store`.
//!
//! - [`forecast_setup`]: the config mapped onto the forecast library ([`ForecastSetup`]).
//! - [`load`]: instrument list, static data, FX, prices reduced to daily series.
//! - [`forecasts`]: combined forecasts computed in process or read back.
//! - [`accounting`]: the accounting config and per-instrument inputs.
//! - [`floored_vol`]: instruments whose volatility sits at the floor, left out of sizing.
//! - [`estimation`]: estimated forecast weights, FDM, instrument weights and IDM (`backtest`,
//!   `compute-forecasts`, `size-positions`) and the rows of the estimates files.
//!
//! Per-instrument problems (missing prices, no FX for its currency, no forecast) are returned as
//! [`Failure`]s so the binaries can carry on with the others; problems of the whole run (bad
//! config, no instruments) are [`SystemError`]s. No command-line flags or exit codes here: the
//! binaries map both.

pub mod accounting;
mod error;
pub mod estimation;
pub mod floored_vol;
pub mod forecast_setup;
pub mod forecasts;
pub mod load;

pub use accounting::{
    Loaded, Overrides, accounts_config, assemble, capital_multiplier, instrument_inputs,
    last_price_date, optimised_backtest_constraints, optimised_config, optimiser_prices,
};
pub use error::SystemError;
pub use floored_vol::{FlooredVol, FlooredVolCheck, exclude_floored_vol, floored_vol};
pub use forecast_setup::{ConfigProblem, ForecastSetup};
pub use load::{
    Failure, InstrumentList, InstrumentPrices, Load, PricesAndData, Reference, StaticData,
    class_peers, fx_to_base, instrument_list, load_instruments, no_adjusted_prices,
    skip_without_multiple_prices, without_multiple_prices,
};

use std::path::{Path, PathBuf};
use systrade_config::SystemConfig;
use systrade_store::Store;

/// The config read from `path` (default `DATA/config/system.yaml`), warnings logged, unsupported
/// features rejected; with the path it was read from.
///
/// # Errors
/// Unreadable or invalid config, unsupported features.
pub fn load_config(
    store: &Store,
    path: Option<&Path>,
) -> Result<(SystemConfig, PathBuf), SystemError> {
    let (cfg, path) = read_config(store, path)?;
    cfg.check_supported()?;
    cfg.check_usable().map_err(SystemError::Unusable)?;
    Ok((cfg, path))
}

/// [`load_config`] for a tool that runs the forecast stages only (`compute-forecasts`): keys of
/// the portfolio stages (estimated instrument weights or IDM) do not stop it
/// ([`SystemConfig::check_supported_for_forecasts`]).
///
/// # Errors
/// Unreadable or invalid config, unsupported forecast features.
pub fn load_config_for_forecasts(
    store: &Store,
    path: Option<&Path>,
) -> Result<(SystemConfig, PathBuf), SystemError> {
    let (cfg, path) = read_config(store, path)?;
    cfg.check_supported_for_forecasts()?;
    cfg.check_usable().map_err(SystemError::Unusable)?;
    Ok((cfg, path))
}

fn read_config(store: &Store, path: Option<&Path>) -> Result<(SystemConfig, PathBuf), SystemError> {
    let path = path.map_or_else(|| store.dir().system_yaml(), Path::to_path_buf);
    let (cfg, warnings) = SystemConfig::from_file(&path)?;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    Ok((cfg, path))
}
