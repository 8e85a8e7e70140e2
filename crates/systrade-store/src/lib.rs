//! systrade-store: all file and SQLite I/O of systrade.
//!
//! The data directory layout (docs/ARCHITECTURE.md "The data directory") is the contract between the
//! tools. This crate reads and writes each kind with its model type from `systrade-model`:
//!
//! | kind | file | type |
//! |---|---|---|
//! | instruments | `config/instruments.csv` | `Vec<Instrument>` |
//! | roll parameters | `config/rolls.csv` | `Vec<RollParameters>` |
//! | spread costs | `config/spreads.csv` | `Vec<SpreadCost>` |
//! | IB instrument names | `config/ibkr.csv` | `Vec<IbkrInstrument>` |
//! | IB FX names | `config/ibkr-fx.csv` | `Vec<IbkrFx>` |
//! | contract prices | `prices/contracts/<I>.parquet` | `ContractPrices` |
//! | multiple prices | `prices/multiple/<I>.parquet` | `MultiplePrices` |
//! | adjusted prices | `prices/adjusted/<I>.parquet` | `AdjustedPrices` |
//! | FX rates | `prices/fx/<CCY>USD.parquet` | `FxRates` |
//! | roll calendars | `rolls/<I>.parquet` | `RollCalendar` |
//! | forecasts | `forecasts/<I>.parquet` | `Vec<ForecastSeries>` ([`forecasts`]) |
//! | position histories | `positions/<I>.parquet` | `PositionHistory` ([`position_history`]) |
//! | operational state | `state.sqlite` | [`StateReader`], [`StateWriter`] (one module per table group, [`state`]) |
//!
//! Outside the data directory it owns the Parquet files `backtest --output DIR` writes:
//! `instruments.parquet` ([`backtest_instruments`]) and `optimised.parquet` ([`optimised_positions`]).
//!
//! Reading needs only a [`Store`]. Writing needs a [`Writer`], obtained with
//! [`Store::lock_for_writing`], which holds the data directory's advisory write lock ([`lock`]); every
//! write replaces its file atomically ([`atomic`]). `state.sqlite` follows the same split:
//! [`Store::open_state`] gives a read-only [`StateReader`], [`Store::open_state_for_writing`] a
//! [`StateWriter`] whose writes happen in transactions ([`state`]). Writes check that rows are strictly increasing by
//! timestamp (then contract; roll calendars by contract chain, [`check_roll_calendar_order`]); reads check the schema (missing column, wrong type) and name the file and
//! column on error. `append_*` methods add only rows newer than the stored ones ([`merge`]);
//! `write_*` methods replace a file explicitly.

pub mod atomic;
pub mod backtest_instruments;
mod columns;
pub mod config;
pub mod error;
pub mod estimates;
pub mod forecasts;
mod kinds;
pub mod layout;
pub mod lock;
pub mod merge;
pub mod optimised_positions;
mod pages;
pub mod position_history;
pub mod pst;
pub mod state;

pub use config::{NO_REGION, SpreadCost};
pub use error::{Result, StoreError};
pub use kinds::{
    ContractClose, check_order, check_order_named, check_roll_calendar_order,
    roll_calendar_time_anomalies,
};
pub use layout::{DataDir, SeriesKind};
pub use lock::{DEFAULT_LOCK_TIMEOUT, WriteLock};
pub use merge::{TimedRow, merge_new_rows, merge_new_values};
pub use state::{MIGRATIONS, Migration, StateReader, StateTx, StateWriter, now_text};

use kinds::{ADJUSTED_COLUMNS, FX_COLUMNS};
use std::path::{Path, PathBuf};
use std::time::Duration;
use systrade_model::{
    AdjustedPrices, CarryPrices, ContractPrices, FxRates, IbkrFx, IbkrInstrument, Instrument,
    InstrumentCode, MultiplePrices, RollCalendar, RollParameters,
};

/// A data directory, for reading. Cheap to create; does no I/O until asked.
#[derive(Debug, Clone)]
pub struct Store {
    dir: DataDir,
}

/// The encoded content of one file, ready to be committed by a [`Writer`]. Preparing (encoding and
/// validating) needs no lock, so a tool can prepare everything first and write only when all is valid.
#[derive(Debug, Clone)]
pub struct PreparedFile {
    path: PathBuf,
    rows: usize,
    bytes: Vec<u8>,
}

impl PreparedFile {
    /// The file it will replace.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of data rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Size of the encoded file in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The encoded file.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The file was created or replaced.
    Written,
    /// The file already had exactly this content; it was not touched.
    Unchanged,
}

impl Store {
    /// The store of the data directory `root` (which need not exist yet).
    pub fn open(root: impl Into<PathBuf>) -> Self {
        Self {
            dir: DataDir::new(root),
        }
    }

    pub fn dir(&self) -> &DataDir {
        &self.dir
    }

    pub fn root(&self) -> &Path {
        self.dir.root()
    }

    // ---- reading ------------------------------------------------------------------------------

    /// `config/instruments.csv`.
    pub fn read_instruments(&self) -> Result<Vec<Instrument>> {
        config::read_instruments(&self.dir.instruments_csv())
    }

    /// `config/rolls.csv`.
    pub fn read_roll_parameters(&self) -> Result<Vec<RollParameters>> {
        config::read_roll_parameters(&self.dir.rolls_csv())
    }

    /// `config/spreads.csv`.
    pub fn read_spread_costs(&self) -> Result<Vec<SpreadCost>> {
        config::read_spread_costs(&self.dir.spreads_csv())
    }

    /// `config/ibkr.csv`: how each instrument is named at Interactive Brokers.
    pub fn read_ibkr_instruments(&self) -> Result<Vec<IbkrInstrument>> {
        config::read_ibkr_instruments(&self.dir.ibkr_csv())
    }

    /// `config/ibkr-fx.csv`: how each FX rate is named at Interactive Brokers.
    pub fn read_ibkr_fx(&self) -> Result<Vec<IbkrFx>> {
        config::read_ibkr_fx(&self.dir.ibkr_fx_csv())
    }

    /// `prices/contracts/<I>.parquet`.
    pub fn read_contract_prices(&self, instrument: &InstrumentCode) -> Result<ContractPrices> {
        kinds::decode_contract_prices(&self.dir.contract_prices_file(instrument))
    }

    /// `prices/multiple/<I>.parquet`.
    /// The contract, timestamp and close of every stored bar of `instrument` (the other columns are
    /// not decoded): enough to plan a fetch and run the spike check. Same checks and errors as
    /// [`Store::read_contract_prices`].
    pub fn read_contract_closes(&self, instrument: &InstrumentCode) -> Result<Vec<ContractClose>> {
        kinds::decode_contract_closes(&self.dir.contract_prices_file(instrument))
    }

    pub fn read_multiple_prices(&self, instrument: &InstrumentCode) -> Result<MultiplePrices> {
        kinds::decode_multiple_prices(&self.dir.multiple_prices_file(instrument))
    }

    /// The carry columns of `prices/multiple/<I>.parquet` (price, carry and their contracts): what
    /// the forecast stage needs, read without decompressing the forward columns. Same checks and
    /// errors as [`Store::read_multiple_prices`].
    pub fn read_carry_prices(&self, instrument: &InstrumentCode) -> Result<CarryPrices> {
        kinds::decode_carry_prices(&self.dir.multiple_prices_file(instrument), true)
    }

    /// The price column of `prices/multiple/<I>.parquet` and its contract, what sizing needs
    /// (pysystemtrade's daily denominator price), as [`CarryPrices`] without decoding the carry
    /// columns: `carry` is NaN and `carry_contract` repeats `price_contract`. Same checks and
    /// errors as [`Store::read_multiple_prices`].
    pub fn read_current_contract_prices(&self, instrument: &InstrumentCode) -> Result<CarryPrices> {
        kinds::decode_carry_prices(&self.dir.multiple_prices_file(instrument), false)
    }

    /// `prices/adjusted/<I>.parquet`.
    pub fn read_adjusted_prices(&self, instrument: &InstrumentCode) -> Result<AdjustedPrices> {
        kinds::decode_series(&self.dir.adjusted_prices_file(instrument), ADJUSTED_COLUMNS)
    }

    /// `prices/fx/<CCY>USD.parquet`; `currency` is `CCY` (e.g. `GBP`).
    pub fn read_fx_rates(&self, currency: &str) -> Result<FxRates> {
        kinds::decode_series(&self.dir.fx_file(currency), FX_COLUMNS)
    }

    /// `rolls/<I>.parquet`.
    pub fn read_roll_calendar(&self, instrument: &InstrumentCode) -> Result<RollCalendar> {
        kinds::decode_roll_calendar(&self.dir.roll_calendar_file(instrument))
    }

    /// Instruments with a stored file of `kind` (not meaningful for [`SeriesKind::Fx`]; use
    /// [`Store::list_fx_currencies`]). Files whose names are not instrument codes are skipped.
    pub fn list_instruments(&self, kind: SeriesKind) -> Result<Vec<InstrumentCode>> {
        Ok(self
            .dir
            .list(kind)?
            .iter()
            .filter_map(|n| InstrumentCode::new(n).ok())
            .collect())
    }

    /// Currencies with a stored FX series (`GBP` for `prices/fx/GBPUSD.parquet`).
    pub fn list_fx_currencies(&self) -> Result<Vec<String>> {
        Ok(self
            .dir
            .list(SeriesKind::Fx)?
            .into_iter()
            .filter_map(|n| n.strip_suffix("USD").map(str::to_string))
            .filter(|c| !c.is_empty())
            .collect())
    }

    /// Opens `state.sqlite` for reading, applying pending migrations; without the file, an empty
    /// database (nothing is created). See [`state`].
    pub fn open_state(&self) -> Result<StateReader> {
        StateReader::open(&self.dir.state_sqlite())
    }

    /// Opens (creating if needed) `state.sqlite` for writing, applying pending migrations. SQLite
    /// serialises writers itself, so this needs no [`Writer`]; rows that belong with files are
    /// written while holding one. See [`state`].
    pub fn open_state_for_writing(&self) -> Result<StateWriter> {
        StateWriter::open(&self.dir.state_sqlite())
    }

    // ---- preparing (encoding + validation, no lock needed) ------------------------------------

    pub fn prepare_instruments(&self, rows: &[Instrument]) -> Result<PreparedFile> {
        let path = self.dir.instruments_csv();
        let bytes = config::encode_instruments(&path, rows)?;
        Ok(PreparedFile {
            path,
            rows: rows.len(),
            bytes,
        })
    }

    pub fn prepare_roll_parameters(&self, rows: &[RollParameters]) -> Result<PreparedFile> {
        let path = self.dir.rolls_csv();
        let bytes = config::encode_roll_parameters(&path, rows)?;
        Ok(PreparedFile {
            path,
            rows: rows.len(),
            bytes,
        })
    }

    /// `config/ibkr.csv` (pysystemtrade's `ib_config_futures.csv` columns; import-pst).
    pub fn prepare_ibkr_instruments(&self, rows: &[IbkrInstrument]) -> Result<PreparedFile> {
        let path = self.dir.ibkr_csv();
        let bytes = config::encode_ibkr_instruments(&path, rows)?;
        Ok(PreparedFile {
            path,
            rows: rows.len(),
            bytes,
        })
    }

    pub fn prepare_spread_costs(&self, rows: &[SpreadCost]) -> Result<PreparedFile> {
        let path = self.dir.spreads_csv();
        let bytes = config::encode_spread_costs(&path, rows)?;
        Ok(PreparedFile {
            path,
            rows: rows.len(),
            bytes,
        })
    }

    pub fn prepare_contract_prices(
        &self,
        instrument: &InstrumentCode,
        rows: &ContractPrices,
    ) -> Result<PreparedFile> {
        let path = self.dir.contract_prices_file(instrument);
        let bytes = kinds::encode_contract_prices(&path, rows)?;
        Ok(PreparedFile {
            path,
            rows: rows.len(),
            bytes,
        })
    }

    pub fn prepare_multiple_prices(
        &self,
        instrument: &InstrumentCode,
        rows: &MultiplePrices,
    ) -> Result<PreparedFile> {
        let path = self.dir.multiple_prices_file(instrument);
        let bytes = kinds::encode_multiple_prices(&path, rows)?;
        Ok(PreparedFile {
            path,
            rows: rows.len(),
            bytes,
        })
    }

    pub fn prepare_adjusted_prices(
        &self,
        instrument: &InstrumentCode,
        series: &AdjustedPrices,
    ) -> Result<PreparedFile> {
        let path = self.dir.adjusted_prices_file(instrument);
        let bytes = kinds::encode_series(&path, ADJUSTED_COLUMNS, series)?;
        Ok(PreparedFile {
            path,
            rows: series.len(),
            bytes,
        })
    }

    /// `currency` is `CCY` of `CCYUSD`; it must be three ASCII capital letters.
    pub fn prepare_fx_rates(&self, currency: &str, series: &FxRates) -> Result<PreparedFile> {
        let path = self.dir.fx_file(currency);
        check_currency(&path, currency)?;
        let bytes = kinds::encode_series(&path, FX_COLUMNS, series)?;
        Ok(PreparedFile {
            path,
            rows: series.len(),
            bytes,
        })
    }

    pub fn prepare_roll_calendar(
        &self,
        instrument: &InstrumentCode,
        rows: &RollCalendar,
    ) -> Result<PreparedFile> {
        let path = self.dir.roll_calendar_file(instrument);
        let bytes = kinds::encode_roll_calendar(&path, rows)?;
        Ok(PreparedFile {
            path,
            rows: rows.len(),
            bytes,
        })
    }

    // ---- writing ------------------------------------------------------------------------------

    /// Takes the data directory's write lock, waiting up to `timeout` for another writer
    /// ([`DEFAULT_LOCK_TIMEOUT`] is a good default); fails with [`StoreError::Locked`].
    pub fn lock_for_writing(&self, timeout: Duration) -> Result<Writer<'_>> {
        let lock = WriteLock::acquire(&self.dir.lock_file(), timeout)?;
        Ok(Writer {
            store: self,
            _lock: lock,
        })
    }
}

/// Writes to a data directory while holding its write lock (released on drop). `Sync`: files can be
/// written from several threads.
#[derive(Debug)]
pub struct Writer<'a> {
    store: &'a Store,
    _lock: WriteLock,
}

impl Writer<'_> {
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Replaces the prepared file atomically, or leaves it untouched if it already has this content.
    pub fn commit(&self, file: &PreparedFile) -> Result<WriteOutcome> {
        if atomic::same_content(&file.path, &file.bytes)? {
            return Ok(WriteOutcome::Unchanged);
        }
        atomic::write_atomic(&file.path, &file.bytes)?;
        Ok(WriteOutcome::Written)
    }

    /// Deletes temporary files left in the data directory by killed writers; returns how many.
    pub fn remove_stale_temp_files(&self) -> Result<usize> {
        atomic::remove_stale_temp_files(self.store.root())
    }

    /// [`Writer::remove_stale_temp_files`] in one directory of the data directory (e.g.
    /// [`DataDir::forecasts_dir`]) and its subdirectories only.
    pub fn remove_stale_temp_files_in(&self, dir: &Path) -> Result<usize> {
        atomic::remove_stale_temp_files(dir)
    }

    /// Replaces many prepared files with one flush to disk ([`atomic::StagedFiles`]): stage them
    /// (from any thread), then commit them together.
    pub fn staged(&self) -> StagedWrites<'_> {
        StagedWrites {
            _writer: self,
            files: atomic::StagedFiles::new(),
        }
    }

    // ---- explicit replacement -----------------------------------------------------------------

    pub fn write_instruments(&self, rows: &[Instrument]) -> Result<WriteOutcome> {
        self.commit(&self.store.prepare_instruments(rows)?)
    }

    pub fn write_roll_parameters(&self, rows: &[RollParameters]) -> Result<WriteOutcome> {
        self.commit(&self.store.prepare_roll_parameters(rows)?)
    }

    pub fn write_spread_costs(&self, rows: &[SpreadCost]) -> Result<WriteOutcome> {
        self.commit(&self.store.prepare_spread_costs(rows)?)
    }

    /// Replaces the contract prices of `instrument` (rows sorted by timestamp, then contract).
    pub fn write_contract_prices(
        &self,
        instrument: &InstrumentCode,
        rows: &ContractPrices,
    ) -> Result<WriteOutcome> {
        self.commit(&self.store.prepare_contract_prices(instrument, rows)?)
    }

    pub fn write_multiple_prices(
        &self,
        instrument: &InstrumentCode,
        rows: &MultiplePrices,
    ) -> Result<WriteOutcome> {
        self.commit(&self.store.prepare_multiple_prices(instrument, rows)?)
    }

    pub fn write_adjusted_prices(
        &self,
        instrument: &InstrumentCode,
        series: &AdjustedPrices,
    ) -> Result<WriteOutcome> {
        self.commit(&self.store.prepare_adjusted_prices(instrument, series)?)
    }

    pub fn write_fx_rates(&self, currency: &str, series: &FxRates) -> Result<WriteOutcome> {
        self.commit(&self.store.prepare_fx_rates(currency, series)?)
    }

    pub fn write_roll_calendar(
        &self,
        instrument: &InstrumentCode,
        rows: &RollCalendar,
    ) -> Result<WriteOutcome> {
        self.commit(&self.store.prepare_roll_calendar(instrument, rows)?)
    }

    // ---- appending new rows (never rewrites history) ------------------------------------------

    /// Adds the bars newer than the last stored bar of their contract; returns how many were added.
    pub fn append_contract_prices(
        &self,
        instrument: &InstrumentCode,
        new: &ContractPrices,
    ) -> Result<usize> {
        let path = self.store.dir.contract_prices_file(instrument);
        if let Some((bytes, rows)) = kinds::append_contract_prices_after_last(&path, new)? {
            self.commit(&PreparedFile { path, rows, bytes })?;
            return Ok(new.len());
        }
        let mut stored = or_empty(self.store.read_contract_prices(instrument))?;
        let added = merge_new_rows(&mut stored, new);
        if added > 0 {
            self.write_contract_prices(instrument, &stored)?;
        }
        Ok(added)
    }

    /// Appends `new` as one row group after the stored row groups (copied byte for byte) when the
    /// file exists, can be appended to, and `new` is in strictly increasing (timestamp, contract)
    /// order entirely after its last bar; returns the number of rows then in the file, or `None`
    /// (nothing written) when that does not apply. The bytes are those [`Writer::write_contract_prices`]
    /// would write for the stored bars followed by `new`.
    pub fn try_append_contract_prices(
        &self,
        instrument: &InstrumentCode,
        new: &ContractPrices,
    ) -> Result<Option<usize>> {
        let path = self.store.dir.contract_prices_file(instrument);
        match kinds::append_contract_prices_after_last(&path, new)? {
            Some((bytes, rows)) => {
                self.commit(&PreparedFile { path, rows, bytes })?;
                Ok(Some(rows))
            }
            None => Ok(None),
        }
    }

    /// Adds the rows newer than the last stored row; returns how many were added.
    pub fn append_multiple_prices(
        &self,
        instrument: &InstrumentCode,
        new: &MultiplePrices,
    ) -> Result<usize> {
        let path = self.store.dir.multiple_prices_file(instrument);
        if let Some((bytes, rows)) = kinds::append_multiple_prices_after_last(&path, new)? {
            self.commit(&PreparedFile { path, rows, bytes })?;
            return Ok(new.len());
        }
        let mut stored = or_empty(self.store.read_multiple_prices(instrument))?;
        let added = merge_new_rows(&mut stored, new);
        if added > 0 {
            self.write_multiple_prices(instrument, &stored)?;
        }
        Ok(added)
    }

    /// Adds the values newer than the last stored one; returns how many were added.
    pub fn append_adjusted_prices(
        &self,
        instrument: &InstrumentCode,
        new: &AdjustedPrices,
    ) -> Result<usize> {
        let path = self.store.dir.adjusted_prices_file(instrument);
        if let Some((bytes, rows)) = kinds::append_series_after_last(&path, ADJUSTED_COLUMNS, new)?
        {
            self.commit(&PreparedFile { path, rows, bytes })?;
            return Ok(new.len());
        }
        let mut stored = or_empty(self.store.read_adjusted_prices(instrument))?;
        let added = merge_new_values(&mut stored, new);
        if added > 0 {
            self.write_adjusted_prices(instrument, &stored)?;
        }
        Ok(added)
    }

    /// Adds the rates newer than the last stored one; returns how many were added.
    pub fn append_fx_rates(&self, currency: &str, new: &FxRates) -> Result<usize> {
        let path = self.store.dir.fx_file(currency);
        check_currency(&path, currency)?;
        if let Some((bytes, rows)) = kinds::append_series_after_last(&path, FX_COLUMNS, new)? {
            self.commit(&PreparedFile { path, rows, bytes })?;
            return Ok(new.len());
        }
        let mut stored = or_empty(self.store.read_fx_rates(currency))?;
        let added = merge_new_values(&mut stored, new);
        if added > 0 {
            self.write_fx_rates(currency, &stored)?;
        }
        Ok(added)
    }

    /// Adds the roll calendar rows newer than the last stored one; returns how many were added.
    pub fn append_roll_calendar(
        &self,
        instrument: &InstrumentCode,
        new: &RollCalendar,
    ) -> Result<usize> {
        let mut stored = or_empty(self.store.read_roll_calendar(instrument))?;
        let added = merge_new_rows(&mut stored, new);
        if added > 0 {
            self.write_roll_calendar(instrument, &stored)?;
        }
        Ok(added)
    }
}

/// Prepared files staged for replacement under a [`Writer`]'s lock ([`Writer::staged`]): each
/// is written beside its target now and renamed over it by [`StagedWrites::commit`], after one
/// flush of all of them. Dropped without commit, the targets keep their content.
#[derive(Debug)]
pub struct StagedWrites<'a> {
    _writer: &'a Writer<'a>,
    files: atomic::StagedFiles,
}

impl StagedWrites<'_> {
    /// Stages `file` (its target is replaced on commit). May be called from several threads.
    pub fn stage(&self, file: &PreparedFile) -> Result<()> {
        self.files.stage(&file.path, &file.bytes)
    }

    /// Stages `file` unless its target already has exactly this content
    /// ([`WriteOutcome::Unchanged`]: nothing is staged, the file is left untouched).
    pub fn stage_if_changed(&self, file: &PreparedFile) -> Result<WriteOutcome> {
        if atomic::same_content(&file.path, &file.bytes)? {
            return Ok(WriteOutcome::Unchanged);
        }
        self.stage(file)?;
        Ok(WriteOutcome::Written)
    }

    /// As [`Self::stage_if_changed`], but an empty `file` never replaces a stored Parquet file
    /// that has rows (issue 15: a run that computed nothing must not wipe its previous output);
    /// that is an error naming the file, and the stored file is kept.
    pub fn stage_if_changed_keeping_rows(&self, file: &PreparedFile) -> Result<WriteOutcome> {
        if file.rows == 0 && file.path.exists() {
            let bytes = bytes::Bytes::from(
                std::fs::read(&file.path).map_err(|e| StoreError::io(&file.path, e))?,
            );
            let stored = {
                use parquet::file::reader::FileReader;
                parquet::file::reader::SerializedFileReader::new(bytes)
                    .map_err(|e| StoreError::format(&file.path, e))?
                    .metadata()
                    .file_metadata()
                    .num_rows()
            };
            if stored > 0 {
                return Err(StoreError::format(
                    &file.path,
                    format!(
                        "not replacing {stored} stored rows with an empty result (kept as it was)"
                    ),
                ));
            }
        }
        self.stage_if_changed(file)
    }

    /// Number of files staged so far.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Makes every staged file durable and renames each over its target; returns how many.
    ///
    /// # Errors
    /// As [`atomic::StagedFiles::commit`]: targets renamed before a failure hold their new
    /// content, the others their old one.
    pub fn commit(self) -> Result<usize> {
        self.files.commit()
    }
}

fn check_currency(path: &Path, currency: &str) -> Result<()> {
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(StoreError::format(
            path,
            format!("'{currency}' is not a currency code (three capital letters)"),
        ));
    }
    Ok(())
}

fn or_empty<T: Default>(r: Result<T>) -> Result<T> {
    match r {
        Err(e) if e.is_not_found() => Ok(T::default()),
        other => other,
    }
}

#[cfg(test)]
mod tests;
