//! Table `roll_states` (migration 2; written by roll-contracts, read by place-orders and report):
//! one row per instrument, absent = [`RollState::NoRoll`]. `state` uses pysystemtrade's spellings;
//! `previous_state` is what a failed roll returns to.

use super::{StateReader, StateTx};
use crate::error::Result;
use std::collections::BTreeMap;
use systrade_model::{InstrumentCode, RollState};

const TABLE: &str = "roll_states";

impl StateReader {
    /// Every stored roll state (instruments without a row are [`RollState::NoRoll`]).
    pub fn roll_states(&self) -> Result<BTreeMap<InstrumentCode, RollState>> {
        let raw = self.rows("SELECT instrument, state FROM roll_states", [], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        raw.into_iter()
            .map(|(i, s)| Ok((self.instrument(TABLE, &i)?, self.parse(TABLE, "state", &s)?)))
            .collect()
    }

    /// The roll state of `instrument` ([`RollState::NoRoll`] without a row).
    pub fn roll_state(&self, instrument: &InstrumentCode) -> Result<RollState> {
        match self.row(
            "SELECT state FROM roll_states WHERE instrument = ?1",
            [instrument.as_str()],
            |r| r.get::<_, String>(0),
        )? {
            Some(s) => self.parse(TABLE, "state", &s),
            None => Ok(RollState::NoRoll),
        }
    }
}

impl StateTx<'_> {
    /// Stores `state` for `instrument`, remembering `previous`.
    pub fn set_roll_state(
        &self,
        instrument: &InstrumentCode,
        state: RollState,
        previous: RollState,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO roll_states (instrument, state, previous_state, updated_at)
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
             ON CONFLICT (instrument) DO UPDATE SET state = excluded.state,
                 previous_state = excluded.previous_state, updated_at = excluded.updated_at",
            rusqlite::params![instrument.as_str(), state.as_str(), previous.as_str()],
        )?;
        Ok(())
    }
}
