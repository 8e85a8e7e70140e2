//! Where each kind of data lives in the data directory (docs/ARCHITECTURE.md "The data directory").

use crate::atomic::is_temp_name;
use crate::error::{Result, StoreError};
use std::path::{Path, PathBuf};
use systrade_model::InstrumentCode;

/// The kinds of time series stored as one Parquet file per instrument (or currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeriesKind {
    /// `prices/contracts/<I>.parquet`: bars of every contract of one instrument.
    Contracts,
    /// `prices/multiple/<I>.parquet`.
    Multiple,
    /// `prices/adjusted/<I>.parquet`.
    Adjusted,
    /// `prices/fx/<CCY>USD.parquet`.
    Fx,
    /// `rolls/<I>.parquet`: roll calendars.
    Rolls,
}

impl SeriesKind {
    pub const ALL: [SeriesKind; 5] = [
        Self::Contracts,
        Self::Multiple,
        Self::Adjusted,
        Self::Fx,
        Self::Rolls,
    ];

    /// Directory relative to the data directory.
    pub fn relative_dir(self) -> &'static str {
        match self {
            Self::Contracts => "prices/contracts",
            Self::Multiple => "prices/multiple",
            Self::Adjusted => "prices/adjusted",
            Self::Fx => "prices/fx",
            Self::Rolls => "rolls",
        }
    }

    /// Short name for summaries and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Contracts => "contracts",
            Self::Multiple => "multiple",
            Self::Adjusted => "adjusted",
            Self::Fx => "fx",
            Self::Rolls => "rolls",
        }
    }
}

/// Paths inside one data directory. Pure path arithmetic, no I/O except [`DataDir::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` relative to the data directory (as messages name files: `config/ibkr.csv`); paths
    /// outside it unchanged.
    pub fn relative<'p>(&self, path: &'p Path) -> &'p Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }

    pub fn config_dir(&self) -> PathBuf {
        self.root.join("config")
    }

    /// `config/instruments.csv`.
    pub fn instruments_csv(&self) -> PathBuf {
        self.config_dir().join("instruments.csv")
    }

    /// `config/rolls.csv`.
    pub fn rolls_csv(&self) -> PathBuf {
        self.config_dir().join("rolls.csv")
    }

    /// `config/spreads.csv`.
    pub fn spreads_csv(&self) -> PathBuf {
        self.config_dir().join("spreads.csv")
    }

    /// `config/system.yaml`.
    pub fn system_yaml(&self) -> PathBuf {
        self.config_dir().join("system.yaml")
    }

    /// `state.sqlite`.
    pub fn state_sqlite(&self) -> PathBuf {
        self.root.join("state.sqlite")
    }

    /// `config/processes.csv`: the step chain and time windows of `run-step`.
    pub fn processes_csv(&self) -> PathBuf {
        self.config_dir().join("processes.csv")
    }

    /// `config/ibkr.csv`: the Interactive Brokers contract mapping per instrument.
    pub fn ibkr_csv(&self) -> PathBuf {
        self.config_dir().join("ibkr.csv")
    }

    /// `config/ibkr-fx.csv`: the Interactive Brokers currency pair per FX rate.
    pub fn ibkr_fx_csv(&self) -> PathBuf {
        self.config_dir().join("ibkr-fx.csv")
    }

    /// `config/http-symbols.csv`: the symbol per instrument of `fetch-prices`' HTTP source.
    pub fn http_symbols_csv(&self) -> PathBuf {
        self.config_dir().join("http-symbols.csv")
    }

    /// The write lock file (see [`crate::lock`]).
    pub fn lock_file(&self) -> PathBuf {
        self.root.join(".write.lock")
    }

    /// `locks/`: the per-step locks of `run-step`.
    pub fn locks_dir(&self) -> PathBuf {
        self.root.join("locks")
    }

    /// `locks/step-<step>.lock`: held by `run-step` while `step` runs (an OS file lock, like
    /// [`DataDir::lock_file`]).
    pub fn step_lock_file(&self, step: &str) -> PathBuf {
        self.locks_dir().join(format!("step-{step}.lock"))
    }

    /// `locks/step-<step>.summary`: the run summary the command of a running step writes for
    /// `run-step` (`SYSTRADE_SUMMARY_FILE`); removed when the step's run is recorded.
    pub fn step_summary_file(&self, step: &str) -> PathBuf {
        self.locks_dir().join(format!("step-{step}.summary"))
    }

    /// `forecasts/`: one forecast file per instrument (compute-forecasts).
    pub fn forecasts_dir(&self) -> PathBuf {
        self.root.join("forecasts")
    }

    /// `positions/`: one position history file per instrument (size-positions).
    pub fn positions_dir(&self) -> PathBuf {
        self.root.join("positions")
    }

    /// `estimates/`: the estimates the production tools applied on their latest run
    /// ([`crate::estimates::Current`]).
    pub fn estimates_dir(&self) -> PathBuf {
        self.root.join("estimates")
    }

    /// `estimates/<forecasts|instruments>.parquet` ([`crate::estimates::Current`]).
    pub fn current_estimates_file(&self, which: crate::estimates::Current) -> PathBuf {
        self.estimates_dir().join(which.file_name())
    }

    /// `metrics/systrade.prom`: the Prometheus textfile `run-step` rewrites after every step.
    pub fn metrics_file(&self) -> PathBuf {
        self.root.join("metrics").join("systrade.prom")
    }

    /// `logs/price-revisions.csv`: every price changed by `fetch-prices --revise-days`.
    pub fn price_revisions_log(&self) -> PathBuf {
        self.root.join("logs").join("price-revisions.csv")
    }

    pub fn series_dir(&self, kind: SeriesKind) -> PathBuf {
        self.root.join(kind.relative_dir())
    }

    /// `<dir of kind>/<name>.parquet`; for [`SeriesKind::Fx`] `name` is the pair, e.g. `GBPUSD`.
    pub fn series_file(&self, kind: SeriesKind, name: &str) -> PathBuf {
        self.series_dir(kind).join(format!("{name}.parquet"))
    }

    pub fn contract_prices_file(&self, instrument: &InstrumentCode) -> PathBuf {
        self.series_file(SeriesKind::Contracts, instrument.as_str())
    }

    pub fn multiple_prices_file(&self, instrument: &InstrumentCode) -> PathBuf {
        self.series_file(SeriesKind::Multiple, instrument.as_str())
    }

    pub fn adjusted_prices_file(&self, instrument: &InstrumentCode) -> PathBuf {
        self.series_file(SeriesKind::Adjusted, instrument.as_str())
    }

    /// `prices/fx/<CCY>USD.parquet` for `currency` = `CCY` (e.g. `GBP`).
    pub fn fx_file(&self, currency: &str) -> PathBuf {
        self.series_file(SeriesKind::Fx, &format!("{currency}USD"))
    }

    pub fn roll_calendar_file(&self, instrument: &InstrumentCode) -> PathBuf {
        self.series_file(SeriesKind::Rolls, instrument.as_str())
    }

    /// `forecasts/<I>.parquet`.
    pub fn forecasts_file(&self, instrument: &InstrumentCode) -> PathBuf {
        self.forecasts_dir().join(format!("{instrument}.parquet"))
    }

    /// `positions/<I>.parquet`.
    pub fn positions_file(&self, instrument: &InstrumentCode) -> PathBuf {
        self.positions_dir().join(format!("{instrument}.parquet"))
    }

    /// Names (file stems) of the stored series of one kind, sorted. Hidden and temporary files are
    /// ignored; a missing directory is an empty list.
    pub fn list(&self, kind: SeriesKind) -> Result<Vec<String>> {
        let dir = self.series_dir(kind);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io(&dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') || is_temp_name(name) {
                continue;
            }
            if let Some(stem) = name.strip_suffix(".parquet") {
                names.push(stem.to_string());
            }
        }
        names.sort();
        Ok(names)
    }
}
