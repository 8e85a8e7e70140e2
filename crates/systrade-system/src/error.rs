//! What can stop a whole run before any instrument is processed. Per-instrument problems are not
//! errors but [`crate::Failure`]s, so the others go on.

use std::path::PathBuf;
use systrade_model::InstrumentCode;
use systrade_store::StoreError;

/// A problem of the whole run: the binaries report it and exit with their failure code.
#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    /// The system config cannot be read, is invalid or uses an unsupported feature.
    #[error(transparent)]
    Config(#[from] systrade_config::ConfigError),

    /// The config is valid but yields nothing to run: no trading rules, no instruments or no
    /// positive weights (a data problem: exit 4 in the binaries).
    #[error("{0}")]
    Unusable(systrade_config::ConfigError),

    /// The config cannot be mapped onto the forecast library (rule arguments, factors, weights).
    #[error(transparent)]
    ForecastConfig(#[from] crate::forecast_setup::ConfigProblem),

    /// The instrument list is empty.
    #[error("no instruments (instrument list from {source_name}; {} has no adjusted prices?)", adjusted_dir.display())]
    NoInstruments {
        /// Where the list came from (`instrument_weights`, `instruments`, every instrument with
        /// adjusted prices).
        source_name: &'static str,
        adjusted_dir: PathBuf,
    },

    /// The selection names instruments that are not in the system's instrument list.
    #[error(
        "unknown instrument(s) {}: not in the system's instrument list (from {source_name})",
        join(unknown)
    )]
    UnknownInstruments {
        unknown: Vec<InstrumentCode>,
        source_name: &'static str,
    },

    /// Static data (`config/*.csv`) cannot be read. (The store error is part of the message,
    /// not a separate cause, so that it is printed once.)
    #[error("{what}: {error}")]
    StaticData {
        what: &'static str,
        error: StoreError,
    },

    /// Another data directory problem (e.g. listing the stored instruments).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SystemError {
    /// The run is refused because of what the data directory holds (the config yields nothing to
    /// run), not because something failed: binaries exit 4.
    pub fn is_data_problem(&self) -> bool {
        matches!(self, Self::Unusable(_))
    }

    /// `--instruments` names an instrument outside the system: a bad argument, binaries exit 2
    /// (as every tool does for an unknown `--instruments` name).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::UnknownInstruments { .. })
    }
}

fn join(codes: &[InstrumentCode]) -> String {
    codes
        .iter()
        .map(InstrumentCode::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
