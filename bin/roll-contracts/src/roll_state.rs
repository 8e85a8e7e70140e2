//! Roll states and priced-contract positions, as read from `state.sqlite` (tables `roll_states`
//! and `contract_positions`, `systrade_store::state::{roll, positions}`), loaded once per run so
//! the per-instrument work (in parallel) needs no database connection.

use std::collections::BTreeMap;
use systrade_model::{ContractDate, InstrumentCode, RollState};
use systrade_store::StateReader;

/// Every stored roll state and every contract position.
pub(crate) struct RollBook {
    states: BTreeMap<InstrumentCode, RollState>,
    positions: BTreeMap<(InstrumentCode, ContractDate), i64>,
}

impl RollBook {
    pub(crate) fn load(db: &StateReader) -> anyhow::Result<Self> {
        Ok(Self {
            states: db.roll_states()?,
            positions: db
                .contract_positions()?
                .into_iter()
                .map(|p| ((p.instrument, p.contract), p.position))
                .collect(),
        })
    }

    /// The roll state of `instrument` (No_Roll when none is stored).
    pub(crate) fn state(&self, instrument: &InstrumentCode) -> RollState {
        self.states.get(instrument).copied().unwrap_or_default()
    }

    /// Instruments with a stored roll state.
    pub(crate) fn instruments(&self) -> impl Iterator<Item = &InstrumentCode> {
        self.states.keys()
    }

    /// The position in `contract` of `instrument` (0 when none is stored).
    pub(crate) fn position_in(&self, instrument: &InstrumentCode, contract: ContractDate) -> i64 {
        self.positions
            .get(&(instrument.clone(), contract))
            .copied()
            .unwrap_or(0)
    }
}
