//! The broker interface (spec §5 "Orders", "Positions"): submit an order carrying our client order
//! id, look an order up by that id (after a crash or timeout, before any resend), poll its status
//! and fills, list positions.

pub mod ibkr;
pub mod sim;

pub use ibkr::{IbkrBroker, IbkrConfig};
pub use sim::SimBroker;
use systrade_store::state::contracts::ResolvedContract;

/// An order to send. `quantity` is signed (positive buys).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRequest {
    pub client_order_id: String,
    pub instrument: String,
    /// Contract id `YYYYMMDD` (`ContractDate::id`).
    pub contract: String,
    pub quantity: i64,
    /// `None`: market order.
    pub limit_price: Option<f64>,
    /// The reference price (the sim broker fills at it plus slippage).
    pub reference_price: Option<f64>,
}

/// Where an order stands at the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Accepted and working (IB PendingSubmit, PreSubmitted, Submitted, …).
    Working,
    /// Completely filled.
    Filled,
    /// Cancelled or expired (possibly partly filled).
    Cancelled,
    /// Refused by the broker.
    Rejected,
}

impl OrderState {
    pub fn is_terminal(self) -> bool {
        !matches!(self, OrderState::Working)
    }

    /// The `broker_orders.status` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Working => "submitted",
            OrderState::Filled => "filled",
            OrderState::Cancelled => "cancelled",
            OrderState::Rejected => "rejected",
        }
    }
}

/// The broker's view of one order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderStatus {
    pub broker_order_id: String,
    pub state: OrderState,
    /// Cumulative filled quantity, signed like the order.
    pub filled: i64,
    /// Average price of the cumulative fill.
    pub average_price: Option<f64>,
    /// `YYYY-MM-DD HH:MM:SS` of the last fill, when known.
    pub last_fill_time: Option<String>,
    pub commission: Option<f64>,
    /// Broker message (rejection reason, status text).
    pub message: Option<String>,
}

/// One broker position, mapped to our instrument and contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerPosition {
    pub instrument: String,
    pub contract: String,
    pub position: i64,
}

/// Broker failures.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// Not reachable, not logged in, or refusing the session: the run stops (exit code 5).
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The broker answered something this client does not understand.
    #[error("unexpected broker response: {0}")]
    Protocol(String),
    /// Our own bookkeeping (e.g. the sim broker's table) failed.
    #[error("broker state: {0}")]
    State(String),
}

/// A broker. Calls are sequential: IB accepts one order in flight at a time (spec, ibind).
pub trait Broker {
    /// `sim` or `ibkr`.
    fn name(&self) -> &str;
    /// The account orders go to.
    fn account(&self) -> &str;
    /// Sends an order (with the reply/confirm loop where the broker has one) and returns its
    /// acknowledged status; a refusal is `Ok` with [`OrderState::Rejected`].
    fn submit(&mut self, order: &OrderRequest) -> Result<OrderStatus, BrokerError>;
    /// Finds an order by our client order id among the broker's open and recent orders and
    /// executions; `None` if the broker has never seen it.
    fn find_by_client_id(
        &mut self,
        order: &OrderRequest,
    ) -> Result<Option<OrderStatus>, BrokerError>;
    /// The current status of an acknowledged order (`order` says which instrument and client
    /// order id it is).
    fn status(
        &mut self,
        broker_order_id: &str,
        order: &OrderRequest,
    ) -> Result<OrderStatus, BrokerError>;
    /// Current futures positions of the instruments given (all when empty). Positions are mapped
    /// with every instrument the broker is configured for, so a holding in a configured
    /// instrument outside the list is left out, not reported as unknown; positions no configured
    /// instrument maps are returned with instrument `?` and the broker's description as contract.
    fn positions(&mut self, instruments: &[String]) -> Result<Vec<BrokerPosition>, BrokerError>;
    /// Contracts resolved at the broker since the last call (conid and exact expiry), for the
    /// `contracts` table; none for a broker without contract ids.
    fn take_resolved_contracts(&mut self) -> Vec<ResolvedContract> {
        Vec::new()
    }
}
