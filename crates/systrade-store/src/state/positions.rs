//! Tables `strategy_positions` and `contract_positions` (migration 4; written by place-orders from
//! fills, read by roll-contracts and report): the position of each strategy in each instrument,
//! and of the account in each contract.

use super::{StateReader, StateTx, display};
use crate::error::Result;
use serde::Serialize;
use systrade_model::{ContractDate, InstrumentCode};

/// A row of `strategy_positions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StrategyPosition {
    pub strategy: String,
    #[serde(serialize_with = "display")]
    pub instrument: InstrumentCode,
    pub position: i64,
}

/// A row of `contract_positions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractPosition {
    #[serde(serialize_with = "display")]
    pub instrument: InstrumentCode,
    #[serde(serialize_with = "display")]
    pub contract: ContractDate,
    pub position: i64,
}

impl StateReader {
    /// Every strategy position, by strategy and instrument.
    pub fn strategy_positions(&self) -> Result<Vec<StrategyPosition>> {
        let raw = self.rows(
            "SELECT strategy, instrument, position FROM strategy_positions ORDER BY 1, 2",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(|(strategy, i, position)| {
                Ok(StrategyPosition {
                    strategy,
                    instrument: self.instrument("strategy_positions", &i)?,
                    position,
                })
            })
            .collect()
    }

    /// Every contract position, by instrument and contract.
    pub fn contract_positions(&self) -> Result<Vec<ContractPosition>> {
        let raw = self.rows(
            "SELECT instrument, contract, position FROM contract_positions ORDER BY 1, 2",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(|(i, c, position)| {
                Ok(ContractPosition {
                    instrument: self.instrument("contract_positions", &i)?,
                    contract: self.contract("contract_positions", &c)?,
                    position,
                })
            })
            .collect()
    }

    /// The position of `strategy` in `instrument` (0 without a row).
    pub fn strategy_position(&self, strategy: &str, instrument: &InstrumentCode) -> Result<i64> {
        Ok(self
            .row(
                "SELECT position FROM strategy_positions WHERE strategy = ?1 AND instrument = ?2",
                [strategy, instrument.as_str()],
                |r| r.get(0),
            )?
            .unwrap_or_default())
    }

    /// The instrument's position summed over strategies.
    pub fn instrument_position(&self, instrument: &InstrumentCode) -> Result<i64> {
        self.value(
            "SELECT COALESCE(SUM(position), 0) FROM strategy_positions WHERE instrument = ?1",
            [instrument.as_str()],
        )
    }

    /// The position in one contract (0 without a row).
    pub fn contract_position(
        &self,
        instrument: &InstrumentCode,
        contract: ContractDate,
    ) -> Result<i64> {
        Ok(self
            .row(
                "SELECT position FROM contract_positions WHERE instrument = ?1 AND contract = ?2",
                [instrument.as_str(), &contract.id().to_string()],
                |r| r.get(0),
            )?
            .unwrap_or_default())
    }

    /// The strategy with the largest absolute position in `instrument` (ties: first by name).
    pub fn largest_strategy_position(&self, instrument: &InstrumentCode) -> Result<Option<String>> {
        self.row(
            "SELECT strategy FROM strategy_positions WHERE instrument = ?1
             ORDER BY ABS(position) DESC, strategy LIMIT 1",
            [instrument.as_str()],
            |r| r.get(0),
        )
    }
}

impl StateTx<'_> {
    /// Refuses a position update whose integer sum overflows (SQLite would store it as a REAL).
    fn check_position_sum(
        &self,
        table: &str,
        instrument: &InstrumentCode,
        from: i64,
        delta: i64,
    ) -> Result<()> {
        match from.checked_add(delta) {
            Some(_) => Ok(()),
            None => Err(crate::error::StoreError::value(
                self.path(),
                0,
                &format!("{table}.position"),
                format!("{instrument}: {from} + {delta} overflows"),
            )),
        }
    }

    /// Adds `delta` to a strategy position (an overflowing sum is an error).
    pub fn add_strategy_position(
        &self,
        strategy: &str,
        instrument: &InstrumentCode,
        delta: i64,
        at: &str,
    ) -> Result<()> {
        let from = self.strategy_position(strategy, instrument)?;
        self.check_position_sum("strategy_positions", instrument, from, delta)?;
        self.exec(
            "INSERT INTO strategy_positions (strategy, instrument, position, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (strategy, instrument) DO UPDATE
             SET position = position + excluded.position, updated_at = excluded.updated_at",
            rusqlite::params![strategy, instrument.as_str(), delta, at],
        )?;
        Ok(())
    }

    /// Adds `delta` to a contract position (an overflowing sum is an error).
    pub fn add_contract_position(
        &self,
        instrument: &InstrumentCode,
        contract: ContractDate,
        delta: i64,
        at: &str,
    ) -> Result<()> {
        let from = self.contract_position(instrument, contract)?;
        self.check_position_sum("contract_positions", instrument, from, delta)?;
        self.exec(
            "INSERT INTO contract_positions (instrument, contract, position, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (instrument, contract) DO UPDATE
             SET position = position + excluded.position, updated_at = excluded.updated_at",
            rusqlite::params![instrument.as_str(), contract.id().to_string(), delta, at],
        )?;
        Ok(())
    }
}
