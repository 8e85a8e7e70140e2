//! Closing prices of every contract of one instrument, indexed for the roll computations.

use std::collections::BTreeMap;
use systrade_model::{ContractDate, ContractPrices, Timestamp};

/// Per contract, its finite closing prices (`FINAL`) in time order. Bars with a missing or
/// non-finite close are left out: "has a price" means a finite close.
#[derive(Debug, Clone, Default)]
pub struct PricesByContract {
    map: BTreeMap<ContractDate, Vec<(Timestamp, f64)>>,
}

impl PricesByContract {
    /// Groups bars by contract; for a repeated (contract, timestamp) the later bar wins.
    pub fn from_bars(bars: &ContractPrices) -> Self {
        let mut map: BTreeMap<ContractDate, Vec<(Timestamp, f64)>> = BTreeMap::new();
        for bar in bars.iter().filter(|b| b.close.is_finite()) {
            map.entry(bar.contract)
                .or_default()
                .push((bar.timestamp, bar.close));
        }
        for series in map.values_mut() {
            series.sort_by_key(|(t, _)| *t);
            // keep the last of equal timestamps
            let mut deduped: Vec<(Timestamp, f64)> = Vec::with_capacity(series.len());
            for &(t, v) in series.iter() {
                match deduped.last_mut() {
                    Some(last) if last.0 == t => last.1 = v,
                    _ => deduped.push((t, v)),
                }
            }
            *series = deduped;
        }
        Self { map }
    }

    /// Contracts with at least one price, in contract order.
    pub fn contracts(&self) -> impl Iterator<Item = ContractDate> + '_ {
        self.map.keys().copied()
    }

    pub fn first_contract(&self) -> Option<ContractDate> {
        self.map.keys().next().copied()
    }

    pub fn last_contract(&self) -> Option<ContractDate> {
        self.map.keys().next_back().copied()
    }

    pub fn has(&self, contract: ContractDate) -> bool {
        self.map.contains_key(&contract)
    }

    /// All prices of a contract (empty when it has none).
    pub fn series(&self, contract: ContractDate) -> &[(Timestamp, f64)] {
        self.map.get(&contract).map_or(&[], Vec::as_slice)
    }

    /// The close of `contract` at exactly `at`.
    pub fn price_at(&self, contract: ContractDate, at: Timestamp) -> Option<f64> {
        let s = self.series(contract);
        s.binary_search_by_key(&at, |(t, _)| *t)
            .ok()
            .map(|i| s[i].1)
    }

    /// Prices of `contract` with `start <= t <= end`.
    pub fn between(
        &self,
        contract: ContractDate,
        start: Timestamp,
        end: Timestamp,
    ) -> &[(Timestamp, f64)] {
        let s = self.series(contract);
        let lo = s.partition_point(|(t, _)| *t < start);
        let hi = s.partition_point(|(t, _)| *t <= end);
        if lo >= hi { &[] } else { &s[lo..hi] }
    }

    /// Last timestamp with a price for `contract`.
    pub fn last_timestamp(&self, contract: ContractDate) -> Option<Timestamp> {
        self.series(contract).last().map(|(t, _)| *t)
    }

    /// The latest timestamp at which both `a` and `b` have prices, with their prices.
    pub fn last_matched(&self, a: ContractDate, b: ContractDate) -> Option<(Timestamp, f64, f64)> {
        let sb = self.series(b);
        self.series(a).iter().rev().find_map(|&(t, pa)| {
            sb.binary_search_by_key(&t, |(tb, _)| *tb)
                .ok()
                .map(|i| (t, pa, sb[i].1))
        })
    }
}
