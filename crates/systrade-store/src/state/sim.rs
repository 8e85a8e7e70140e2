//! Table `sim_executions` (migration 4): the book of place-orders' `sim` paper broker, so its
//! positions survive between runs. Instruments and contracts are the broker's own text, as the
//! orders sent to it carried them.

use super::{StateReader, StateTx};
use crate::error::Result;
use rusqlite::params;

/// One execution of the sim broker (it fills every order at once and in full).
#[derive(Debug, Clone, PartialEq)]
pub struct SimExecution {
    pub client_order_id: String,
    pub broker_order_id: String,
    pub instrument: String,
    pub contract: String,
    pub quantity: i64,
    pub price: f64,
    pub executed_at: String,
}

/// The sim broker's net position in one contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimPosition {
    pub instrument: String,
    pub contract: String,
    pub position: i64,
}

impl StateReader {
    /// The execution of the order with this client order id, if the sim broker has one.
    pub fn sim_execution(&self, client_order_id: &str) -> Result<Option<SimExecution>> {
        self.row(
            "SELECT client_order_id, broker_order_id, instrument, contract, quantity, price,
                    executed_at
             FROM sim_executions WHERE client_order_id = ?1",
            [client_order_id],
            |r| {
                Ok(SimExecution {
                    client_order_id: r.get(0)?,
                    broker_order_id: r.get(1)?,
                    instrument: r.get(2)?,
                    contract: r.get(3)?,
                    quantity: r.get(4)?,
                    price: r.get(5)?,
                    executed_at: r.get(6)?,
                })
            },
        )
    }

    /// The sim broker's non-zero net positions, by instrument and contract.
    pub fn sim_positions(&self) -> Result<Vec<SimPosition>> {
        self.rows(
            "SELECT instrument, contract, SUM(quantity) FROM sim_executions
             GROUP BY instrument, contract HAVING SUM(quantity) <> 0 ORDER BY 1, 2",
            [],
            |r| {
                Ok(SimPosition {
                    instrument: r.get(0)?,
                    contract: r.get(1)?,
                    position: r.get(2)?,
                })
            },
        )
    }

    /// The number the next execution gets (1, 2, …).
    pub fn next_sim_execution_number(&self) -> Result<i64> {
        self.value("SELECT COALESCE(MAX(id), 0) + 1 FROM sim_executions", [])
    }
}

impl StateTx<'_> {
    /// Records an execution (one per client order id).
    pub fn insert_sim_execution(&self, e: &SimExecution) -> Result<()> {
        self.exec(
            "INSERT INTO sim_executions
             (client_order_id, broker_order_id, instrument, contract, quantity, price, executed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                e.client_order_id,
                e.broker_order_id,
                e.instrument,
                e.contract,
                e.quantity,
                e.price,
                e.executed_at
            ],
        )?;
        Ok(())
    }
}
