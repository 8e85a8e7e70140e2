//! The `sim` paper broker: fills every order at once and in full at the reference price plus
//! slippage (`price = reference + sign(quantity) × slippage`), keeping its book in the
//! `sim_executions` table of `state.sqlite` so positions survive between runs. Deterministic: no
//! clock or randomness enters a fill except the execution time stamp.

use super::{Broker, BrokerError, BrokerPosition, OrderRequest, OrderState, OrderStatus};
use systrade_store::StateWriter;
use systrade_store::state::sim::SimExecution;

/// The sim broker over its own connection to `state.sqlite`.
pub struct SimBroker {
    db: StateWriter,
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

fn state_err(e: systrade_store::StoreError) -> BrokerError {
    BrokerError::State(e.to_string())
}

fn status_of(e: SimExecution) -> OrderStatus {
    OrderStatus {
        broker_order_id: e.broker_order_id,
        state: OrderState::Filled,
        filled: e.quantity,
        average_price: Some(e.price),
        last_fill_time: Some(e.executed_at),
        commission: Some(0.0),
        message: None,
    }
}

impl SimBroker {
    /// `slippage` in price units per contract, adverse to the trade; `now` stamps executions.
    pub fn new(db: StateWriter, slippage: f64, now: String) -> Self {
        Self { db, slippage, now }
    }

    /// Fill price of a trade: `reference + sign(quantity) × slippage`.
    pub fn fill_price(reference: f64, quantity: i64, slippage: f64) -> f64 {
        reference + quantity.signum() as f64 * slippage
    }

    fn lookup(&self, client_order_id: &str) -> Result<Option<OrderStatus>, BrokerError> {
        Ok(self
            .db
            .sim_execution(client_order_id)
            .map_err(state_err)?
            .map(status_of))
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
        let execution = SimExecution {
            client_order_id: order.client_order_id.clone(),
            broker_order_id: String::new(),
            instrument: order.instrument.clone(),
            contract: order.contract.clone(),
            quantity: order.quantity,
            price: Self::fill_price(reference, order.quantity, self.slippage),
            executed_at: self.now.clone(),
        };
        let stored = self
            .db
            .transaction(|tx| {
                let execution = SimExecution {
                    broker_order_id: format!("SIM{}", tx.next_sim_execution_number()?),
                    ..execution
                };
                tx.insert_sim_execution(&execution)?;
                Ok(execution)
            })
            .map_err(state_err)?;
        Ok(status_of(stored))
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
        Ok(self
            .db
            .sim_positions()
            .map_err(state_err)?
            .into_iter()
            .map(|p| BrokerPosition {
                instrument: p.instrument,
                contract: p.contract,
                position: p.position,
            })
            .filter(|p| instruments.is_empty() || instruments.contains(&p.instrument))
            .collect())
    }
}
