//! The overrides the system config implies (issue 14): pysystemtrade's production applies
//! `exclude_instrument_lists` and `duplicate_instruments` as overrides
//! (`sysproduction/data/controls.py`, `diagOverrides`): `trading_restrictions` → no trading,
//! `bad_markets`, `ignore_instruments` and `duplicate_instruments.exclude` → reduce-only, read from
//! the config each time. place-orders reads them from `--config` (default
//! `DATA/config/system.yaml`) on every order run and every `overrides` subcommand.

use crate::Args;
use anyhow::Context;
use systrade_config::{ConfigErrorKind, SystemConfig};
use systrade_model::ConfiguredOverride;
use systrade_store::Store;

/// The config's overrides, sorted by instrument. Without `--config` and without
/// `DATA/config/system.yaml` there are none (with a warning, since the stored ones are then
/// cleared); an explicit `--config` that cannot be read, or a config that does not parse, is an
/// error: the run does not trade without knowing the restrictions.
pub(crate) fn load(args: &Args, store: &Store) -> anyhow::Result<Vec<ConfiguredOverride>> {
    let path = args
        .config
        .clone()
        .unwrap_or_else(|| store.dir().system_yaml());
    let (cfg, warnings) = match SystemConfig::from_file(&path) {
        Ok(x) => x,
        Err(e) if args.config.is_none() && e.kind == ConfigErrorKind::Io && !path.exists() => {
            tracing::warn!(
                "{}: no system config, so no config overrides (exclude_instrument_lists, duplicate_instruments) apply; give --config FILE if the system's config is elsewhere",
                path.display()
            );
            return Ok(Vec::new());
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "reading the system config {} for its trading restrictions (exclude_instrument_lists, duplicate_instruments)",
                    path.display()
                )
            });
        }
    };
    for w in &warnings {
        tracing::debug!("{w}");
    }
    Ok(cfg.configured_overrides())
}
