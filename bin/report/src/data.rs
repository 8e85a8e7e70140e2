//! Everything the sections read from the data directory, loaded once per instrument.

use chrono::NaiveDate;
use std::collections::BTreeMap;
use systrade_cli::CommonArgs;
use systrade_model::{ContractPrices, Instrument, InstrumentCode, MultiplePrices, RollParameters};
use systrade_ops::formulas;
use systrade_store::{StateReader, Store};

/// One instrument's inputs and derived figures.
pub(crate) struct InstrumentData {
    pub(crate) cfg: Instrument,
    pub(crate) roll: Option<RollParameters>,
    pub(crate) slippage: Option<f64>,
    pub(crate) multiple: MultiplePrices,
    pub(crate) contracts: ContractPrices,
    /// Latest FX rate to USD (1 for USD; `None` when no rates are stored).
    pub(crate) fx: Option<f64>,
    /// Daily returns `Δadjusted / previous price`, by date, the last `vol_window`.
    pub(crate) returns: BTreeMap<NaiveDate, f64>,
    pub(crate) annual_pct_std: Option<f64>,
    /// Last PRICE of multiple prices.
    pub(crate) price: Option<f64>,
    /// Date of the newest contract bar (or adjusted price).
    pub(crate) last_price_date: Option<NaiveDate>,
}

impl InstrumentData {
    pub(crate) fn code(&self) -> &str {
        self.cfg.code.as_str()
    }

    /// Point size in USD (base currency).
    pub(crate) fn pointsize_base(&self) -> Option<f64> {
        self.fx.map(|fx| self.cfg.pointsize * fx)
    }

    /// Close of `contract` (YYYYMMDD id) on or before the newest bar.
    pub(crate) fn contract_close(&self, contract: i64) -> Option<f64> {
        self.contracts
            .iter()
            .rev()
            .find(|b| b.contract.id() == contract)
            .map(|b| b.close)
    }
}

impl InstrumentData {
    /// Last close minus the close before it, for `contract` (YYYYMMDD id).
    pub(crate) fn contract_last_move(&self, contract: i64) -> Option<f64> {
        let mut closes = self
            .contracts
            .iter()
            .rev()
            .filter(|b| b.contract.id() == contract)
            .map(|b| b.close);
        let last = closes.next()?;
        Some(last - closes.next()?)
    }
}

/// A file that is not there yet is empty; one that cannot be read (corrupt, a timestamp outside
/// 1900..2200, unreadable) is also left out of the report but never silently: a warning names the
/// file and the problem (issue 15 item 6).
fn or_missing<T: Default>(read: Result<T, systrade_store::StoreError>) -> T {
    match read {
        Ok(v) => v,
        Err(e) => {
            if !e.is_not_found() {
                tracing::warn!("{e}; left out of the report");
            }
            T::default()
        }
    }
}

pub(crate) struct Data {
    pub(crate) instruments: Vec<InstrumentData>,
}

impl Data {
    pub(crate) fn load(
        store: &Store,
        _db: &StateReader,
        common: &CommonArgs,
        vol_window: usize,
    ) -> anyhow::Result<Self> {
        let all = store.read_instruments()?;
        let codes: Vec<InstrumentCode> = all.iter().map(|i| i.code.clone()).collect();
        let wanted = common.select_instruments(&codes)?;
        let rolls = or_missing(store.read_roll_parameters());
        let spreads = or_missing(store.read_spread_costs());
        let mut fx_cache: BTreeMap<String, Option<f64>> = BTreeMap::new();
        let mut instruments = Vec::new();
        for cfg in all.into_iter().filter(|i| wanted.contains(&i.code)) {
            let code = cfg.code.clone();
            let multiple = or_missing(store.read_multiple_prices(&code));
            let adjusted = or_missing(store.read_adjusted_prices(&code));
            let contracts = or_missing(store.read_contract_prices(&code));
            let fx = *fx_cache.entry(cfg.currency.clone()).or_insert_with(|| {
                if cfg.currency == "USD" {
                    Some(1.0)
                } else {
                    or_missing(store.read_fx_rates(&cfg.currency).map(Some))
                        .and_then(|s| s.values.last().copied())
                }
            });
            // Returns: Δadjusted / previous PRICE (the current contract's price), pysystemtrade's
            // percentage returns without the back-adjustment distortion.
            let price_by_ts: BTreeMap<i64, f64> = multiple
                .iter()
                .map(|r| (r.timestamp.day_number(), r.price))
                .collect();
            let mut returns = BTreeMap::new();
            for i in 1..adjusted.len() {
                let prev_ts = adjusted.timestamps[i - 1];
                let base = price_by_ts
                    .range(..=prev_ts.day_number())
                    .next_back()
                    .map(|(_, p)| *p);
                if let Some(base) = base.filter(|b| *b != 0.0 && b.is_finite()) {
                    let r = (adjusted.values[i] - adjusted.values[i - 1]) / base;
                    if r.is_finite() {
                        returns.insert(adjusted.timestamps[i].date(), r);
                    }
                }
            }
            while returns.len() > vol_window {
                returns.pop_first();
            }
            let rv: Vec<f64> = returns.values().copied().collect();
            let annual_pct_std = formulas::std_dev(&rv).map(|s| 100.0 * s * 16.0);
            let last_price_date = contracts
                .iter()
                .map(|b| b.timestamp)
                .max()
                .or_else(|| adjusted.last_timestamp())
                .map(|t| t.date());
            instruments.push(InstrumentData {
                roll: rolls.iter().find(|r| r.instrument == code).cloned(),
                slippage: spreads
                    .iter()
                    .find(|s| s.instrument == code)
                    .map(|s| s.spread_cost),
                price: multiple.last().map(|r| r.price).filter(|p| p.is_finite()),
                multiple,
                contracts,
                fx,
                returns,
                annual_pct_std,
                last_price_date,
                cfg,
            });
        }
        Ok(Self { instruments })
    }

    pub(crate) fn get(&self, code: &str) -> Option<&InstrumentData> {
        self.instruments.iter().find(|i| i.code() == code)
    }
}
