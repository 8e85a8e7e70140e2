//! The Parquet layout of each series kind (docs/ARCHITECTURE.md "The data directory") and the
//! conversions between model types and columns.

use crate::columns::{
    ColumnData, ColumnType, decode, decode_projected, encode, try_append_after_last,
};
use crate::error::{Result, StoreError};
use std::path::Path;
use systrade_model::{
    CarryPrices, ContractBar, ContractDate, ContractPrices, MultiplePrices, MultiplePricesRow,
    PriceSeries, RollCalendar, RollCalendarRow, Timestamp,
};

use ColumnType::{ContractId, Price, Timestamp as Ts};

pub(crate) const CONTRACT_COLUMNS: &[(&str, ColumnType)] = &[
    ("contract", ContractId),
    ("timestamp", Ts),
    ("open", Price),
    ("high", Price),
    ("low", Price),
    ("close", Price),
    ("volume", Price),
];

pub(crate) const MULTIPLE_COLUMNS: &[(&str, ColumnType)] = &[
    ("timestamp", Ts),
    ("price", Price),
    ("price_contract", ContractId),
    ("forward", Price),
    ("forward_contract", ContractId),
    ("carry", Price),
    ("carry_contract", ContractId),
];

pub(crate) const ADJUSTED_COLUMNS: &[(&str, ColumnType)] = &[("timestamp", Ts), ("price", Price)];

pub(crate) const FX_COLUMNS: &[(&str, ColumnType)] = &[("timestamp", Ts), ("rate", Price)];

pub(crate) const ROLL_COLUMNS: &[(&str, ColumnType)] = &[
    ("timestamp", Ts),
    ("current_contract", ContractId),
    ("next_contract", ContractId),
    ("carry_contract", ContractId),
];

/// Checks that rows are strictly increasing by (timestamp, contract). `keys` yields the timestamp and
/// a secondary key (the contract id, or 0 for single series). Rows are numbered from 1.
pub fn check_order(
    path: &Path,
    keys: impl IntoIterator<Item = (Timestamp, i64)>,
    secondary_name: Option<&str>,
) -> Result<()> {
    check_order_named(path, keys, "timestamp", secondary_name)
}

/// [`check_order`] with the name of the timestamp column in messages (e.g. `DATETIME` in a CSV file).
pub fn check_order_named(
    path: &Path,
    keys: impl IntoIterator<Item = (Timestamp, i64)>,
    timestamp_name: &str,
    secondary_name: Option<&str>,
) -> Result<()> {
    let mut previous: Option<(Timestamp, i64)> = None;
    for (i, key) in keys.into_iter().enumerate() {
        if let Some(prev) = previous {
            if key == prev {
                let (field, what) = match secondary_name {
                    Some(s) => (
                        s,
                        format!("duplicate row for timestamp {} and {s} {}", key.0, key.1),
                    ),
                    None => (timestamp_name, format!("duplicate timestamp {}", key.0)),
                };
                return Err(StoreError::order(path, i + 1, field, what));
            }
            if key < prev {
                let problem = if key.0 < prev.0 {
                    format!(
                        "timestamp {} is before the previous row's {} (rows must be sorted by time)",
                        key.0, prev.0
                    )
                } else {
                    format!(
                        "contract {} is before the previous row's {} at the same timestamp {}",
                        key.1, prev.1, key.0
                    )
                };
                let field = if key.0 < prev.0 {
                    timestamp_name
                } else {
                    secondary_name.unwrap_or(timestamp_name)
                };
                return Err(StoreError::order(path, i + 1, field, problem));
            }
        }
        previous = Some(key);
    }
    Ok(())
}

fn micros(ts: impl Iterator<Item = Timestamp>) -> ColumnData {
    ColumnData::Int(ts.map(Timestamp::micros).collect())
}

fn ids(c: impl Iterator<Item = ContractDate>) -> ColumnData {
    ColumnData::Int(c.map(ContractDate::id).collect())
}

fn floats(v: impl Iterator<Item = f64>) -> ColumnData {
    ColumnData::Float(v.collect())
}

/// Contract ids checked and converted; consecutive rows mostly hold the same contract, so an id equal
/// to the previous row's is not checked again.
fn contract_dates(path: &Path, column: &str, values: Vec<i64>) -> Result<Vec<ContractDate>> {
    let mut out = Vec::with_capacity(values.len());
    let mut previous: Option<(i64, ContractDate)> = None;
    for (i, id) in values.into_iter().enumerate() {
        let date = match previous {
            Some((p, date)) if p == id => date,
            _ => ContractDate::from_id(id)
                .map_err(|e| StoreError::value(path, i + 1, column, e.to_string()))?,
        };
        previous = Some((id, date));
        out.push(date);
    }
    Ok(out)
}

/// Timestamps checked against the range a stored file may hold
/// ([`systrade_model::validation::check_stored_timestamp`]), so a corrupt or hand-made file (say
/// one ending at `i64::MAX` microseconds) is an error naming the file, not a panic downstream.
fn timestamps(path: &Path, column: &str, values: Vec<i64>) -> Result<Vec<Timestamp>> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let t = Timestamp::from_micros(m);
            systrade_model::validation::check_stored_timestamp(t)
                .map(|()| t)
                .map_err(|p| StoreError::value(path, i + 1, column, p))
        })
        .collect()
}

/// Checks a roll calendar's order: `current_contract` strictly increasing (the contract chain).
///
/// Roll calendars are ordered by their contract chain, not by timestamp: pysystemtrade's shipped
/// calendars contain a few roll dates that are out of time order or repeated (`GAS-PEN` row 149,
/// `INR-micro` row 72, `WHEAT_ICE` row 59 of v1.80), and the row order is what defines which contract
/// follows which. Such rows are kept as given; [`roll_calendar_time_anomalies`] finds them.
pub fn check_roll_calendar_order(path: &Path, rows: &RollCalendar) -> Result<()> {
    for (i, w) in rows.windows(2).enumerate() {
        if w[1].current_contract <= w[0].current_contract {
            return Err(StoreError::order(
                path,
                i + 2,
                "current_contract",
                format!(
                    "contract {} does not follow the previous row's {} (roll calendars are ordered by \
                     current_contract)",
                    w[1].current_contract, w[0].current_contract
                ),
            ));
        }
    }
    Ok(())
}

/// Rows (numbered from 1) of a roll calendar whose timestamp is not after the previous row's.
pub fn roll_calendar_time_anomalies(rows: &RollCalendar) -> Vec<usize> {
    rows.windows(2)
        .enumerate()
        .filter(|(_, w)| w[1].timestamp <= w[0].timestamp)
        .map(|(i, _)| i + 2)
        .collect()
}

// ---- contract prices -------------------------------------------------------------------------

pub(crate) fn encode_contract_prices(path: &Path, rows: &ContractPrices) -> Result<Vec<u8>> {
    check_order(
        path,
        rows.iter().map(|r| (r.timestamp, r.contract.id())),
        Some("contract"),
    )?;
    encode(path, CONTRACT_COLUMNS, contract_columns(rows))
}

fn contract_columns(rows: &[ContractBar]) -> Vec<ColumnData> {
    vec![
        ids(rows.iter().map(|r| r.contract)),
        micros(rows.iter().map(|r| r.timestamp)),
        floats(rows.iter().map(|r| r.open)),
        floats(rows.iter().map(|r| r.high)),
        floats(rows.iter().map(|r| r.low)),
        floats(rows.iter().map(|r| r.close)),
        floats(rows.iter().map(|r| r.volume)),
    ]
}

/// The file `path` with the bars `new` appended as one row group, when they are strictly increasing
/// and all after the last stored bar (then every one of them is new for its contract); `None` when
/// that does not apply or the file cannot be appended to (see [`try_append_after_last`]).
pub(crate) fn append_contract_prices_after_last(
    path: &Path,
    new: &ContractPrices,
) -> Result<Option<(Vec<u8>, usize)>> {
    let keys: Vec<_> = new
        .iter()
        .map(|r| (r.timestamp.micros(), r.contract.id()))
        .collect();
    try_append_after_last(
        path,
        CONTRACT_COLUMNS,
        "timestamp",
        Some("contract"),
        &keys,
        || contract_columns(new),
    )
}

pub(crate) fn decode_contract_prices(path: &Path) -> Result<ContractPrices> {
    let mut cols = decode(path, CONTRACT_COLUMNS)?.into_iter();
    let mut next = || cols.next().expect("one column per declared column");
    let contract = contract_dates(path, "contract", next().into_int())?;
    let ts = timestamps(path, "timestamp", next().into_int())?;
    let (open, high, low, close, volume) = (
        next().into_float(),
        next().into_float(),
        next().into_float(),
        next().into_float(),
        next().into_float(),
    );
    let rows: ContractPrices = (0..ts.len())
        .map(|i| ContractBar {
            contract: contract[i],
            timestamp: ts[i],
            open: open[i],
            high: high[i],
            low: low[i],
            close: close[i],
            volume: volume[i],
        })
        .collect();
    check_order(
        path,
        rows.iter().map(|r| (r.timestamp, r.contract.id())),
        Some("contract"),
    )?;
    Ok(rows)
}

/// One stored bar reduced to what planning and the spike check need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContractClose {
    pub contract: ContractDate,
    pub timestamp: Timestamp,
    /// `NaN` when missing.
    pub close: f64,
}

/// The `contract`, `timestamp` and `close` columns of a contract prices file, with the same checks
/// as [`decode_contract_prices`] (every column present with its type, valid contract ids, rows in
/// (timestamp, contract) order); the other columns are not decoded.
pub(crate) fn decode_contract_closes(path: &Path) -> Result<Vec<ContractClose>> {
    let mut cols =
        decode_projected(path, CONTRACT_COLUMNS, &["contract", "timestamp", "close"])?.into_iter();
    let mut next = || cols.next().expect("one column per wanted column");
    let contract = contract_dates(path, "contract", next().into_int())?;
    let ts = timestamps(path, "timestamp", next().into_int())?;
    let close = next().into_float();
    let rows: Vec<ContractClose> = (0..ts.len())
        .map(|i| ContractClose {
            contract: contract[i],
            timestamp: ts[i],
            close: close[i],
        })
        .collect();
    check_order(
        path,
        rows.iter().map(|r| (r.timestamp, r.contract.id())),
        Some("contract"),
    )?;
    Ok(rows)
}

// ---- multiple prices -------------------------------------------------------------------------

pub(crate) fn encode_multiple_prices(path: &Path, rows: &MultiplePrices) -> Result<Vec<u8>> {
    check_order(path, rows.iter().map(|r| (r.timestamp, 0)), None)?;
    encode(path, MULTIPLE_COLUMNS, multiple_columns(rows))
}

fn multiple_columns(rows: &[MultiplePricesRow]) -> Vec<ColumnData> {
    vec![
        micros(rows.iter().map(|r| r.timestamp)),
        floats(rows.iter().map(|r| r.price)),
        ids(rows.iter().map(|r| r.price_contract)),
        floats(rows.iter().map(|r| r.forward)),
        ids(rows.iter().map(|r| r.forward_contract)),
        floats(rows.iter().map(|r| r.carry)),
        ids(rows.iter().map(|r| r.carry_contract)),
    ]
}

/// [`append_contract_prices_after_last`] for multiple prices.
pub(crate) fn append_multiple_prices_after_last(
    path: &Path,
    new: &MultiplePrices,
) -> Result<Option<(Vec<u8>, usize)>> {
    let keys: Vec<_> = new.iter().map(|r| (r.timestamp.micros(), 0)).collect();
    try_append_after_last(path, MULTIPLE_COLUMNS, "timestamp", None, &keys, || {
        multiple_columns(new)
    })
}

pub(crate) fn decode_multiple_prices(path: &Path) -> Result<MultiplePrices> {
    let mut cols = decode(path, MULTIPLE_COLUMNS)?.into_iter();
    let mut next = || cols.next().expect("one column per declared column");
    let ts = timestamps(path, "timestamp", next().into_int())?;
    let price = next().into_float();
    let price_contract = contract_dates(path, "price_contract", next().into_int())?;
    let forward = next().into_float();
    let forward_contract = contract_dates(path, "forward_contract", next().into_int())?;
    let carry = next().into_float();
    let carry_contract = contract_dates(path, "carry_contract", next().into_int())?;
    check_order(path, ts.iter().map(|t| (*t, 0)), None)?;
    Ok((0..ts.len())
        .map(|i| MultiplePricesRow {
            timestamp: ts[i],
            price: price[i],
            price_contract: price_contract[i],
            forward: forward[i],
            forward_contract: forward_contract[i],
            carry: carry[i],
            carry_contract: carry_contract[i],
        })
        .collect())
}

/// The carry columns of a multiple-prices file (the forward columns are checked for presence and type
/// but never decompressed).
/// The price and carry columns of a multiple-prices file; without `with_carry` the carry columns
/// are not decoded (`carry` is then NaN and `carry_contract` repeats `price_contract`: for
/// readers that use only the price, [`crate::Store::read_current_contract_prices`]).
pub(crate) fn decode_carry_prices(path: &Path, with_carry: bool) -> Result<CarryPrices> {
    let wanted: &[&str] = if with_carry {
        &[
            "timestamp",
            "price",
            "price_contract",
            "carry",
            "carry_contract",
        ]
    } else {
        &["timestamp", "price", "price_contract"]
    };
    let mut cols = decode_projected(path, MULTIPLE_COLUMNS, wanted)?.into_iter();
    let mut next = || cols.next().expect("one column per wanted column");
    let timestamps = timestamps(path, "timestamp", next().into_int())?;
    let price = next().into_float();
    let price_contract = contract_dates(path, "price_contract", next().into_int())?;
    let (carry, carry_contract) = if with_carry {
        let carry = next().into_float();
        (
            carry,
            contract_dates(path, "carry_contract", next().into_int())?,
        )
    } else {
        (vec![f64::NAN; price.len()], price_contract.clone())
    };
    check_order(path, timestamps.iter().map(|t| (*t, 0)), None)?;
    Ok(CarryPrices {
        timestamps,
        price,
        price_contract,
        carry,
        carry_contract,
    })
}

// ---- single series (adjusted prices, FX) -----------------------------------------------------

pub(crate) fn encode_series(
    path: &Path,
    columns: &[(&str, ColumnType)],
    series: &PriceSeries,
) -> Result<Vec<u8>> {
    if series.timestamps.len() != series.values.len() {
        return Err(StoreError::value(
            path,
            series.timestamps.len().min(series.values.len()) + 1,
            columns[1].0,
            format!(
                "{} timestamps but {} values",
                series.timestamps.len(),
                series.values.len()
            ),
        ));
    }
    check_order(path, series.timestamps.iter().map(|t| (*t, 0)), None)?;
    let data = vec![
        micros(series.timestamps.iter().copied()),
        floats(series.values.iter().copied()),
    ];
    encode(path, columns, data)
}

/// [`append_contract_prices_after_last`] for a single series (adjusted prices, FX rates).
pub(crate) fn append_series_after_last(
    path: &Path,
    columns: &[(&str, ColumnType)],
    new: &PriceSeries,
) -> Result<Option<(Vec<u8>, usize)>> {
    if new.timestamps.len() != new.values.len() {
        return Ok(None);
    }
    let keys: Vec<_> = new.timestamps.iter().map(|t| (t.micros(), 0)).collect();
    try_append_after_last(path, columns, columns[0].0, None, &keys, || {
        vec![
            micros(new.timestamps.iter().copied()),
            floats(new.values.iter().copied()),
        ]
    })
}

pub(crate) fn decode_series(path: &Path, columns: &[(&str, ColumnType)]) -> Result<PriceSeries> {
    let mut cols = decode(path, columns)?.into_iter();
    let ts = timestamps(
        path,
        columns[0].0,
        cols.next().expect("timestamp column").into_int(),
    )?;
    let values = cols.next().expect("value column").into_float();
    check_order(path, ts.iter().map(|t| (*t, 0)), None)?;
    Ok(PriceSeries::new(ts, values))
}

// ---- roll calendars --------------------------------------------------------------------------

pub(crate) fn encode_roll_calendar(path: &Path, rows: &RollCalendar) -> Result<Vec<u8>> {
    check_roll_calendar_order(path, rows)?;
    let data = vec![
        micros(rows.iter().map(|r| r.timestamp)),
        ids(rows.iter().map(|r| r.current_contract)),
        ids(rows.iter().map(|r| r.next_contract)),
        ids(rows.iter().map(|r| r.carry_contract)),
    ];
    encode(path, ROLL_COLUMNS, data)
}

pub(crate) fn decode_roll_calendar(path: &Path) -> Result<RollCalendar> {
    let mut cols = decode(path, ROLL_COLUMNS)?.into_iter();
    let mut next = || cols.next().expect("one column per declared column");
    let ts = timestamps(path, "timestamp", next().into_int())?;
    let current = contract_dates(path, "current_contract", next().into_int())?;
    let next_c = contract_dates(path, "next_contract", next().into_int())?;
    let carry = contract_dates(path, "carry_contract", next().into_int())?;
    let rows: RollCalendar = (0..ts.len())
        .map(|i| RollCalendarRow {
            timestamp: ts[i],
            current_contract: current[i],
            next_contract: next_c[i],
            carry_contract: carry[i],
        })
        .collect();
    check_roll_calendar_order(path, &rows)?;
    Ok(rows)
}
