//! Which instruments a system trades (spec §3.0, pysystemtrade `systems/basesystem.py`
//! `get_instrument_list` with its default arguments).

use crate::types::SystemConfig;
use systrade_model::InstrumentCode;

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
