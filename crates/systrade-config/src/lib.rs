//! pysystemtrade's backtest YAML config, read into typed Rust (spec §3.0, §3.3–3.9).
//!
//! A config such as pysystemtrade's `futures_chapter15/futuresconfig.yaml`,
//! `example/simplesystemconfig.yaml` or a full dumped config (`pst-reference/simple_system/config.yaml`)
//! reads unchanged:
//! - every key the backtest uses becomes a typed field of [`SystemConfig`], with pysystemtrade v1.80's
//!   `sysdata/config/defaults.yaml` value (spec §3.9 table) when absent or null;
//! - wrong types and bad values (negative `buffer_size`, a text where a weight belongs, `forecast_weights`
//!   naming a rule that `trading_rules` does not define, an unknown rule function, ...) are a
//!   [`ConfigError`] naming the key path, e.g. `trading_rules.ewmac8.other_args.Lfast`, and the line;
//! - every key pysystemtrade knows is classified in one table, [`keys::CONFIG_KEYS`]: implemented,
//!   used only with a feature another key turns on, production-only (a stage no tool runs from this
//!   config), or refused; unknown keys are a [`Warning`];
//! - features not implemented yet (estimated forecast weights, FDM, instrument weights, IDM, ...)
//!   are parsed; [`SystemConfig::check_supported_for`] rejects them with a message
//!   naming the key, for the tools that run their stage ([`keys::Stage`]).
//!
//! YAML is read with serde-saphyr (YAML 1.2 core schema). For compatibility with PyYAML (YAML 1.1),
//! booleans may also be written `yes`/`no`/`on`/`off`, and numbers like `1e-10` (a string for PyYAML) are
//! numbers. Pure: no I/O except [`SystemConfig::from_file`].
//!
//! [`EXAMPLE_SYSTEM_YAML`] is a ready-made config for the demo (`DATA/config/system.yaml`).

mod error;
pub mod estimation;
mod instruments;
pub mod keys;
mod parse;
mod types;
mod yaml;

pub use error::{ConfigError, ConfigErrorKind, Warning};
pub use instruments::InstrumentListSource;
pub use keys::{BACKTEST_STAGES, FORECAST_STAGES, SIZING_STAGES, Stage};
pub use types::DEFAULT_FORECAST_POST_CEILING_COST_SR;
pub use types::{
    ArgValue, BufferMethod, CapitalMultiplier, DataSource, DivMultiplier, DuplicateInstruments,
    ExcludeInstrumentLists, ForecastCostEstimates, ForecastMapping, ForecastScalarEstimate,
    ForecastWeights, Refusal, RiskOverlay, RuleFunction, RuleVariations, RuleWeights, SmallSystem,
    Strategy, SystemConfig, TradingRule, VolFunction, VolatilityCalculation,
};

use std::path::Path;

/// The example system config shipped as `crates/systrade-config/examples/system.yaml`: the book's
/// ewmac16_64, ewmac32_128, ewmac64_256 and carry with their fixed forecast scalars and the book's forecast
/// weights and FDM, 20% volatility target on 250,000 USD, no instrument weights (so the tools use equal
/// weights over every instrument with data, with a warning). The demo copies it to `DATA/config/system.yaml`.
pub const EXAMPLE_SYSTEM_YAML: &str = include_str!("../examples/system.yaml");

impl SystemConfig {
    /// Reads a config from YAML text. `source_name` (usually the file name) prefixes every error and
    /// warning. Returns the config with defaults filled in and the warnings (unknown keys, ...) in
    /// line order.
    ///
    /// # Errors
    /// [`ConfigErrorKind::Yaml`] for text that is not YAML; [`ConfigErrorKind::Invalid`],
    /// [`ConfigErrorKind::UnknownRule`] or [`ConfigErrorKind::UnknownRuleFunction`] for bad values.
    pub fn from_yaml_str(
        text: &str,
        source_name: &str,
    ) -> Result<(SystemConfig, Vec<Warning>), ConfigError> {
        let root = yaml::parse(text).map_err(|e| {
            ConfigError::new(
                source_name,
                ConfigErrorKind::Yaml,
                None,
                0,
                format!("not valid YAML: {e}"),
            )
        })?;
        let mut reader = parse::Reader::new(source_name);
        let config = reader.read(&root)?;
        let mut warnings = reader.warnings;
        warnings.sort_by_key(|w| w.line.unwrap_or(0));
        Ok((config, warnings))
    }

    /// Reads a config file (see [`SystemConfig::from_yaml_str`]); errors name the path.
    ///
    /// # Errors
    /// [`ConfigErrorKind::Io`] when the file cannot be read, otherwise as [`SystemConfig::from_yaml_str`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<(SystemConfig, Vec<Warning>), ConfigError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(
                &name,
                ConfigErrorKind::Io,
                None,
                0,
                format!("cannot read: {e}"),
            )
        })?;
        Self::from_yaml_str(&text, &name)
    }
}
