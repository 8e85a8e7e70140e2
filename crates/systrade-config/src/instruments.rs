//! Which instruments a system trades (spec §3.0, pysystemtrade `systems/basesystem.py`
//! `get_instrument_list` with its default arguments), and what the config's exclusion lists mean
//! beyond the instrument list: the overrides production applies
//! ([`SystemConfig::configured_overrides`]) and the instruments the optimised backtest keeps for
//! data but does not trade ([`SystemConfig::markets_not_trading_but_with_data`]).

use crate::types::SystemConfig;
use std::collections::BTreeMap;
use systrade_model::{ConfiguredOverride, InstrumentCode, Override};

/// Where the instrument list came from, so a tool can say so in its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstrumentListSource {
    /// The keys of `instrument_weights`.
    InstrumentWeights,
    /// The `instruments` key.
    Instruments,
    /// Every instrument with data (the caller's list).
    AllInData,
}

impl SystemConfig {
    /// The system's instruments: keys of `instrument_weights` if present, else `instruments`, else
    /// `all_in_data`; minus `duplicate_instruments.exclude` and `exclude_instrument_lists.ignore_instruments`;
    /// sorted and without repeats (pysystemtrade: `sorted(set(...))`). Trading restrictions and bad
    /// markets stay in, as in pysystemtrade's default.
    pub fn instrument_list(&self, all_in_data: &[InstrumentCode]) -> Vec<InstrumentCode> {
        self.instrument_list_with_source(all_in_data).0
    }

    /// [`SystemConfig::instrument_list`] and where the raw list came from.
    pub fn instrument_list_with_source(
        &self,
        all_in_data: &[InstrumentCode],
    ) -> (Vec<InstrumentCode>, InstrumentListSource) {
        let (raw, source): (Vec<InstrumentCode>, _) = if let Some(w) = &self.instrument_weights {
            (
                w.keys().cloned().collect(),
                InstrumentListSource::InstrumentWeights,
            )
        } else if let Some(list) = &self.instruments {
            (list.clone(), InstrumentListSource::Instruments)
        } else {
            (all_in_data.to_vec(), InstrumentListSource::AllInData)
        };
        let removed = self.removed_instruments();
        let mut list: Vec<InstrumentCode> =
            raw.into_iter().filter(|c| !removed.contains(c)).collect();
        list.sort();
        list.dedup();
        (list, source)
    }

    /// Instruments removed from every instrument list: `duplicate_instruments.exclude` and
    /// `exclude_instrument_lists.ignore_instruments`, sorted, without repeats.
    pub fn removed_instruments(&self) -> Vec<InstrumentCode> {
        let mut removed = self.duplicate_instruments.excluded();
        removed.extend(
            self.exclude_instrument_lists
                .ignore_instruments
                .iter()
                .cloned(),
        );
        removed.sort();
        removed.dedup();
        removed
    }
}

/// The reasons pysystemtrade gives a configured override (`sysproduction/data/controls.py`).
const REASON_UNTRADEABLE: &str = "trading_restrictions in config";
const REASON_BAD: &str = "bad_markets in config";
const REASON_DUPLICATE: &str = "duplicate_instruments exclude in config";
const REASON_IGNORED: &str = "ignore_instruments in config";

impl SystemConfig {
    /// The overrides the config's instrument lists imply in production, one per instrument, sorted
    /// by instrument (pysystemtrade `diagOverrides.get_cumulative_override_from_configuration`):
    /// `exclude_instrument_lists.trading_restrictions` → no trading (`OVERRIDE_FOR_UNTRADEABLE`);
    /// `bad_markets`, `duplicate_instruments.exclude` and `ignore_instruments` → reduce-only
    /// (`OVERRIDE_FOR_BAD`, `_DUPLICATE`, `_IGNORED`). An instrument in several lists gets their
    /// combination ([`Override::combine`], pysystemtrade's `Override.__mul__`: no trading wins) and
    /// every reason.
    pub fn configured_overrides(&self) -> Vec<ConfiguredOverride> {
        let lists = &self.exclude_instrument_lists;
        let duplicates = self.duplicate_instruments.excluded();
        let sources: [(&[InstrumentCode], Override, &str); 4] = [
            (
                &lists.trading_restrictions,
                Override::NoTrading,
                REASON_UNTRADEABLE,
            ),
            (&lists.bad_markets, Override::ReduceOnly, REASON_BAD),
            (&duplicates, Override::ReduceOnly, REASON_DUPLICATE),
            (
                &lists.ignore_instruments,
                Override::ReduceOnly,
                REASON_IGNORED,
            ),
        ];
        let mut by_instrument: BTreeMap<InstrumentCode, (Vec<Override>, Vec<&str>)> =
            BTreeMap::new();
        for (codes, value, reason) in sources {
            for code in codes {
                let e = by_instrument.entry(code.clone()).or_default();
                if !e.1.contains(&reason) {
                    e.0.push(value);
                    e.1.push(reason);
                }
            }
        }
        by_instrument
            .into_iter()
            .map(|(instrument, (values, reasons))| ConfiguredOverride {
                instrument,
                value: Override::combine(&values),
                reason: reasons.join(", "),
            })
            .collect()
    }

    /// The instruments of `list` that the config marks `trading_restrictions` or `bad_markets`,
    /// sorted (pysystemtrade `System.get_list_of_markets_not_trading_but_with_data` with its
    /// defaults: duplicates and ignored instruments are already out of the instrument list). The
    /// optimised backtest makes them reduce-only (`optimisedPositions.get_reduce_only_instruments`);
    /// the static system keeps trading them and only warns
    /// (`Portfolios.config_allocates_zero_instrument_weights_to_these_instruments`).
    pub fn markets_not_trading_but_with_data(
        &self,
        list: &[InstrumentCode],
    ) -> Vec<InstrumentCode> {
        let lists = &self.exclude_instrument_lists;
        let mut out: Vec<InstrumentCode> = list
            .iter()
            .filter(|c| lists.trading_restrictions.contains(c) || lists.bad_markets.contains(c))
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> InstrumentCode {
        InstrumentCode::new(s).unwrap()
    }

    fn cfg(yaml: &str) -> SystemConfig {
        SystemConfig::from_yaml_str(yaml, "test.yaml").unwrap().0
    }

    #[test]
    fn configured_overrides_follow_pysystemtrade_diag_overrides() {
        let c = cfg(
            "duplicate_instruments:\n  include:\n    sp500: SP500_micro\n  exclude:\n    sp500: SP500\n    bonds: [BUND, BAD]\nexclude_instrument_lists:\n  ignore_instruments: [EXAMPLE]\n  trading_restrictions: [CORN, BAD]\n  bad_markets: [US10, BAD]\n",
        );
        let got: Vec<(String, Override, String)> = c
            .configured_overrides()
            .into_iter()
            .map(|o| (o.instrument.as_str().to_string(), o.value, o.reason))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "BAD".into(),
                    Override::NoTrading,
                    "trading_restrictions in config, bad_markets in config, duplicate_instruments exclude in config".into()
                ),
                ("BUND".into(), Override::ReduceOnly, REASON_DUPLICATE.into()),
                ("CORN".into(), Override::NoTrading, REASON_UNTRADEABLE.into()),
                ("EXAMPLE".into(), Override::ReduceOnly, REASON_IGNORED.into()),
                ("SP500".into(), Override::ReduceOnly, REASON_DUPLICATE.into()),
                ("US10".into(), Override::ReduceOnly, REASON_BAD.into()),
            ]
        );
        assert!(cfg("{}\n").configured_overrides().is_empty());
    }

    #[test]
    fn markets_not_trading_are_restricted_or_bad_in_the_list() {
        let c = cfg(
            "exclude_instrument_lists:\n  ignore_instruments: [EXAMPLE]\n  trading_restrictions: [CORN]\n  bad_markets: [US10, V2X]\n",
        );
        let list = [code("V2X"), code("CORN"), code("SP500"), code("EXAMPLE")];
        assert_eq!(
            c.markets_not_trading_but_with_data(&list),
            vec![code("CORN"), code("V2X")]
        );
    }
}
