//! Price data kinds stored in the data directory. Missing prices are `f64::NAN` in memory and null in
//! files. Every kind is kept sorted by timestamp (then contract).

use crate::contract::ContractDate;
use crate::time::Timestamp;

/// One row of multiple prices (pysystemtrade `sysobjects/multiple_prices.py`): the priced contract's
/// price, the forward (next held) contract's price and the carry contract's price at one timestamp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultiplePricesRow {
    pub timestamp: Timestamp,
    pub price: f64,
    pub price_contract: ContractDate,
    pub forward: f64,
    pub forward_contract: ContractDate,
    pub carry: f64,
    pub carry_contract: ContractDate,
}

/// Multiple prices of one instrument, in time order (`prices/multiple/<I>.parquet`).
pub type MultiplePrices = Vec<MultiplePricesRow>;

/// The carry data of multiple prices (pysystemtrade `get_instrument_raw_carry_data`): the priced and
/// carry contracts and their prices, column by column, in time order. This is what the forecast
/// stage reads from `prices/multiple/<I>.parquet` (the forward columns are not needed there).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CarryPrices {
    pub timestamps: Vec<Timestamp>,
    pub price: Vec<f64>,
    pub price_contract: Vec<ContractDate>,
    pub carry: Vec<f64>,
    pub carry_contract: Vec<ContractDate>,
}

impl CarryPrices {
    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }

    /// Keeps the first `n` rows.
    pub fn truncate(&mut self, n: usize) {
        self.timestamps.truncate(n);
        self.price.truncate(n);
        self.price_contract.truncate(n);
        self.carry.truncate(n);
        self.carry_contract.truncate(n);
    }
}

impl From<&[MultiplePricesRow]> for CarryPrices {
    fn from(rows: &[MultiplePricesRow]) -> Self {
        Self {
            timestamps: rows.iter().map(|r| r.timestamp).collect(),
            price: rows.iter().map(|r| r.price).collect(),
            price_contract: rows.iter().map(|r| r.price_contract).collect(),
            carry: rows.iter().map(|r| r.carry).collect(),
            carry_contract: rows.iter().map(|r| r.carry_contract).collect(),
        }
    }
}

/// A time series of one value per timestamp: adjusted prices (`prices/adjusted/<I>.parquet`, column
/// `price`) and FX rates (`prices/fx/<CCY>USD.parquet`, column `rate`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceSeries {
    pub timestamps: Vec<Timestamp>,
    pub values: Vec<f64>,
}

impl PriceSeries {
    pub fn new(timestamps: Vec<Timestamp>, values: Vec<f64>) -> Self {
        assert_eq!(timestamps.len(), values.len(), "one value per timestamp");
        Self { timestamps, values }
    }

    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }

    pub fn last_timestamp(&self) -> Option<Timestamp> {
        self.timestamps.last().copied()
    }
}

/// Back-adjusted continuous prices of one instrument.
pub type AdjustedPrices = PriceSeries;

/// Spot FX: USD per one unit of the currency.
pub type FxRates = PriceSeries;

/// One daily (or intraday) bar of one contract (`prices/contracts/<I>.parquet`); pysystemtrade calls
/// the close `FINAL`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContractBar {
    pub contract: ContractDate,
    pub timestamp: Timestamp,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// All bars of all contracts of one instrument, sorted by timestamp then contract.
pub type ContractPrices = Vec<ContractBar>;

/// One row of a roll calendar (`rolls/<I>.parquet`; pysystemtrade `roll_calendars_csv`): the
/// timestamp is the **last** at which `current_contract` is held; afterwards `next_contract` is held;
/// `carry_contract` is the carry contract while holding `current_contract`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollCalendarRow {
    pub timestamp: Timestamp,
    pub current_contract: ContractDate,
    pub next_contract: ContractDate,
    pub carry_contract: ContractDate,
}

/// A roll calendar, in time order.
pub type RollCalendar = Vec<RollCalendarRow>;
