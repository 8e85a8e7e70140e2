//! Table `optimal_positions` (migration 3; written by size-positions, read by place-orders and
//! report): one row per run per strategy and instrument; the latest (by timestamp, then id) is the
//! current optimal position.

use super::{StateReader, StateTx, display};
use crate::error::Result;
use serde::Serialize;
use systrade_model::InstrumentCode;

/// An optimal position: the buffer `[lower, upper]` of one strategy and instrument, with the price
/// and contract it refers to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimalPosition {
    pub strategy: String,
    #[serde(serialize_with = "display")]
    pub instrument: InstrumentCode,
    /// The time of the price the position refers to (`YYYY-MM-DD HH:MM:SS`).
    pub timestamp: String,
    pub lower: f64,
    pub upper: f64,
    pub reference_price: f64,
    /// The priced contract (`YYYYMMDD`) as size-positions found it; may be empty.
    pub reference_contract: String,
}

impl StateReader {
    /// The latest optimal position per strategy and instrument (latest timestamp, then highest
    /// id), sorted by strategy and instrument.
    pub fn latest_optimal_positions(&self) -> Result<Vec<OptimalPosition>> {
        let raw = self.rows(
            "SELECT o.strategy, o.instrument, o.timestamp, o.lower, o.upper, o.reference_price,
                    o.reference_contract
             FROM optimal_positions o
             WHERE o.id = (SELECT o2.id FROM optimal_positions o2
                           WHERE o2.strategy = o.strategy AND o2.instrument = o.instrument
                           ORDER BY o2.timestamp DESC, o2.id DESC LIMIT 1)
             ORDER BY o.strategy, o.instrument",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, f64>(3)?,
                    r.get::<_, f64>(4)?,
                    r.get::<_, f64>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )?;
        raw.into_iter()
            .map(|(strategy, i, timestamp, lower, upper, price, contract)| {
                Ok(OptimalPosition {
                    strategy,
                    instrument: self.instrument("optimal_positions", &i)?,
                    timestamp,
                    lower,
                    upper,
                    reference_price: price,
                    reference_contract: contract,
                })
            })
            .collect()
    }
}

impl StateTx<'_> {
    /// Adds an optimal position (the table refuses `lower > upper`).
    pub fn insert_optimal_position(&self, o: &OptimalPosition) -> Result<()> {
        self.exec(
            "INSERT INTO optimal_positions
             (strategy, instrument, timestamp, lower, upper, reference_price, reference_contract)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                o.strategy,
                o.instrument.as_str(),
                o.timestamp,
                o.lower,
                o.upper,
                o.reference_price,
                o.reference_contract
            ],
        )?;
        Ok(())
    }
}
