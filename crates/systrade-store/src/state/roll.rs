//! Tables `roll_states` (migration 2; written by roll-contracts, read by place-orders and report):
//! one row per instrument, absent = [`RollState::NoRoll`]. `state` uses pysystemtrade's spellings;
//! `previous_state` is what a failed roll returns to.
//!
//! And `pending_rolls` (migration 7; roll-contracts only): the write-ahead record of a production
//! roll ([`PendingRoll`]). [`StateWriter::record_pending_rolls`] stores it durably (`synchronous =
//! FULL`) before any file of the roll changes; [`StateTx::finish_roll`] deletes it in the same
//! transaction that stores the new roll state, so a roll is either pending or done, never lost.

use super::{StateReader, StateTx, StateWriter};
use crate::error::{Result, StoreError};
use std::collections::BTreeMap;
use systrade_model::{InstrumentCode, MultipleEnd, PendingRoll, RollState, Timestamp};

const TABLE: &str = "roll_states";
const PENDING: &str = "pending_rolls";

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

    /// Every roll started and not finished (left by a killed run), by instrument.
    pub fn pending_rolls(&self) -> Result<Vec<PendingRoll>> {
        type Raw = (
            String,
            String,
            i64,
            String,
            String,
            i64,
            String,
            String,
            bool,
        );
        let raw: Vec<Raw> = self.rows(
            "SELECT instrument, previous_state, rows_before, last_before, priced_before,
                    rows_after, last_after, priced_after, forward_fill
             FROM pending_rolls ORDER BY instrument",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(|(i, st, rb, lb, pb, ra, la, pa, ff)| {
                Ok(PendingRoll {
                    instrument: self.instrument(PENDING, &i)?,
                    previous_state: self.parse(PENDING, "previous_state", &st)?,
                    before: self.multiple_end(["rows_before", "last_before"], rb, &lb, &pb)?,
                    after: self.multiple_end(["rows_after", "last_after"], ra, &la, &pa)?,
                    forward_fill: ff,
                })
            })
            .collect()
    }

    fn multiple_end(
        &self,
        columns: [&'static str; 2],
        rows: i64,
        timestamp: &str,
        contract: &str,
    ) -> Result<MultipleEnd> {
        let column = |column, problem| StoreError::Column {
            path: self.path().to_path_buf(),
            table: PENDING,
            column,
            problem,
        };
        Ok(MultipleEnd {
            rows: usize::try_from(rows)
                .map_err(|_| column(columns[0], format!("{rows} is not a row count")))?,
            timestamp: Timestamp::parse(timestamp)
                .map_err(|e| column(columns[1], format!("{timestamp:?}: {e}")))?,
            price_contract: self.contract(PENDING, contract)?,
        })
    }
}

impl StateWriter {
    /// Records `rolls` as pending in one transaction made durable before it returns (`synchronous
    /// = FULL` for this commit: the record must survive a power loss that the roll's files, which
    /// are fsynced, survive). Fails if one of the instruments already has a pending roll.
    pub fn record_pending_rolls(&mut self, rolls: &[PendingRoll]) -> Result<()> {
        self.set_synchronous("FULL")?;
        let result = self.transaction(|tx| {
            for roll in rolls {
                tx.exec(
                    "INSERT INTO pending_rolls (instrument, previous_state, rows_before,
                         last_before, priced_before, rows_after, last_after, priced_after,
                         forward_fill, started_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    rusqlite::params![
                        roll.instrument.as_str(),
                        roll.previous_state.as_str(),
                        row_count(roll.before.rows),
                        roll.before.timestamp.to_string(),
                        roll.before.price_contract.to_string(),
                        row_count(roll.after.rows),
                        roll.after.timestamp.to_string(),
                        roll.after.price_contract.to_string(),
                        roll.forward_fill,
                        super::now_text(),
                    ],
                )?;
            }
            Ok::<_, StoreError>(())
        });
        let restored = self.set_synchronous("NORMAL");
        result.and(restored)
    }

    fn set_synchronous(&self, mode: &str) -> Result<()> {
        self.conn()
            .pragma_update(None, "synchronous", mode)
            .map_err(|e| self.err(e))
    }
}

fn row_count(rows: usize) -> i64 {
    i64::try_from(rows).unwrap_or(i64::MAX)
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

    /// A roll's files are written: its roll state becomes No_Roll (previous: the state it was
    /// rolled from) and its pending record is deleted.
    pub fn finish_roll(&self, roll: &PendingRoll) -> Result<()> {
        self.set_roll_state(&roll.instrument, RollState::NoRoll, roll.previous_state)?;
        self.forget_pending_roll(&roll.instrument)
    }

    /// Deletes the pending record of `instrument` (its roll was undone or its files replaced);
    /// the roll state is left as it is.
    pub fn forget_pending_roll(&self, instrument: &InstrumentCode) -> Result<()> {
        self.exec(
            "DELETE FROM pending_rolls WHERE instrument = ?1",
            [instrument.as_str()],
        )?;
        Ok(())
    }
}
