//! The `sim` paper broker: fills every order at once and in full at the reference price plus
//! slippage (`price = reference + sign(quantity) × slippage`), keeping its book in the
//! `sim_executions` table of `state.sqlite` so positions survive between runs. Deterministic: no
//! clock or randomness enters a fill except the execution time stamp.

use super::{Broker, BrokerError, BrokerPosition, OrderRequest, OrderState, OrderStatus};
use rusqlite::{Connection, OptionalExtension, params};

/// The sim broker over its own connection to `state.sqlite` (migration 4 must be applied).
pub struct SimBroker {
    conn: Connection,
    slippage: f64,
    now: String,
}

impl std::fmt::Debug for SimBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimBroker")
            .field("slippage", &self.slippage)
            .finish()
    }
}

fn state_err(e: rusqlite::Error) -> BrokerError {
    BrokerError::State(e.to_string())
}

impl SimBroker {
    /// `slippage` in price units per contract, adverse to the trade; `now` stamps executions.
    pub fn new(conn: Connection, slippage: f64, now: String) -> Self {
        Self {
            conn,
            slippage,
            now,
        }
    }

    /// Fill price of a trade: `reference + sign(quantity) × slippage`.
    pub fn fill_price(reference: f64, quantity: i64, slippage: f64) -> f64 {
        reference + quantity.signum() as f64 * slippage
    }

    fn lookup(&self, client_order_id: &str) -> Result<Option<OrderStatus>, BrokerError> {
        self.conn
            .query_row(
                "SELECT broker_order_id, quantity, price, executed_at FROM sim_executions
                 WHERE client_order_id = ?1",
                [client_order_id],
                |r| {
                    Ok(OrderStatus {
                        broker_order_id: r.get(0)?,
                        state: OrderState::Filled,
                        filled: r.get(1)?,
                        average_price: Some(r.get(2)?),
                        last_fill_time: Some(r.get(3)?),
                        commission: Some(0.0),
                        message: None,
                    })
                },
            )
            .optional()
            .map_err(state_err)
    }
}

impl Broker for SimBroker {
    fn name(&self) -> &str {
        "sim"
    }

    fn account(&self) -> &str {
        "SIM"
    }

    fn submit(&mut self, order: &OrderRequest) -> Result<OrderStatus, BrokerError> {
        if let Some(existing) = self.lookup(&order.client_order_id)? {
            return Ok(existing);
        }
        let Some(reference) = order.limit_price.or(order.reference_price) else {
            return Ok(OrderStatus {
                broker_order_id: String::new(),
                state: OrderState::Rejected,
                filled: 0,
                average_price: None,
                last_fill_time: None,
                commission: None,
                message: Some("the sim broker needs a reference price".into()),
            });
        };
        let price = Self::fill_price(reference, order.quantity, self.slippage);
        let next: i64 = self
            .conn
            .query_row(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM sim_executions",
                [],
                |r| r.get(0),
            )
            .map_err(state_err)?;
        let broker_order_id = format!("SIM{next}");
        self.conn
            .execute(
                "INSERT INTO sim_executions
                 (client_order_id, broker_order_id, instrument, contract, quantity, price, executed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    order.client_order_id,
                    broker_order_id,
                    order.instrument,
                    order.contract,
                    order.quantity,
                    price,
                    self.now
                ],
            )
            .map_err(state_err)?;
        self.lookup(&order.client_order_id)?
            .ok_or_else(|| BrokerError::State("execution not stored".into()))
    }

    fn find_by_client_id(
        &mut self,
        order: &OrderRequest,
    ) -> Result<Option<OrderStatus>, BrokerError> {
        self.lookup(&order.client_order_id)
    }

    fn status(
        &mut self,
        broker_order_id: &str,
        order: &OrderRequest,
    ) -> Result<OrderStatus, BrokerError> {
        let client_order_id = order.client_order_id.as_str();
        self.lookup(client_order_id)?.ok_or_else(|| {
            BrokerError::Protocol(format!(
                "sim order {broker_order_id} ({client_order_id}) unknown"
            ))
        })
    }

    fn positions(&mut self, instruments: &[String]) -> Result<Vec<BrokerPosition>, BrokerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT instrument, contract, SUM(quantity) FROM sim_executions
                 GROUP BY instrument, contract HAVING SUM(quantity) <> 0 ORDER BY 1, 2",
            )
            .map_err(state_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(BrokerPosition {
                    instrument: r.get(0)?,
                    contract: r.get(1)?,
                    position: r.get(2)?,
                })
            })
            .map_err(state_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(state_err)?;
        Ok(rows
            .into_iter()
            .filter(|p| instruments.is_empty() || instruments.contains(&p.instrument))
            .collect())
    }
}
