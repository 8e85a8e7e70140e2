//! The IB Client Portal broker: the [`Broker`] trait over [`systrade_ibkr::Ibkr`], which owns the
//! session, the contract resolution (`config/ibkr.csv` rows and roll parameters), the order
//! endpoints with the reply/confirm loop and the price conversion (`priceMagnifier`). This adapter
//! only translates: our contract ids and client order ids in, [`OrderStatus`] and
//! [`BrokerPosition`] out. See docs/adr/0003-ibkr-crate.md for why it lives here.
//!
//! - Connecting initialises the brokerage session (tickle, auth status, `ssodh/init`) and calls
//!   `/iserver/accounts` (required before orders), which also chooses the account: the configured
//!   one, else the gateway's selected one, else the first.
//! - An order for an instrument without a mapping row, or for a contract IB does not list or lists
//!   ambiguously (weeklies without `IgnoreWeekly`), is refused before anything is sent.
//! - Failures that make the gateway unusable are [`BrokerError::Unavailable`] (the run stops);
//!   answers this client does not understand are [`BrokerError::Protocol`] (for a status: look
//!   the order up by client order id instead).

use super::{Broker, BrokerError, BrokerPosition, OrderRequest, OrderState, OrderStatus};
use systrade_ibkr::{Gateway, GatewayOptions, IbOrderState, Ibkr, IbkrError, Order, OrderReport};
use systrade_model::{ContractDate, IbkrInstrument, InstrumentCode, RollParameters};
use systrade_store::state::contracts::ResolvedContract;

/// How to reach the gateway and what it trades.
#[derive(Debug, Clone)]
pub struct IbkrConfig {
    pub gateway: GatewayOptions,
    /// Account id; `None`: the gateway's selected account.
    pub account: Option<String>,
    /// `config/ibkr.csv`.
    pub mapping: Vec<IbkrInstrument>,
    /// The roll configuration (expiry offsets tell the monthly future among weeklies with
    /// `IgnoreWeekly`; contract months are IB's own).
    pub rolls: Vec<RollParameters>,
    /// Most `/iserver/reply` confirmations per order before giving up.
    pub max_replies: usize,
}

impl IbkrConfig {
    /// A 20-second timeout; idempotent calls retried on 429/503 as the gateway defaults say.
    pub fn new(base_url: impl Into<String>) -> Self {
        let mut gateway = GatewayOptions::new(base_url);
        gateway.transport.timeout = std::time::Duration::from_secs(20);
        Self {
            gateway,
            account: None,
            mapping: Vec::new(),
            rolls: Vec::new(),
            max_replies: 10,
        }
    }
}

/// The IB Client Portal broker.
#[derive(Debug)]
pub struct IbkrBroker {
    ibkr: Ibkr,
    account: String,
    max_replies: usize,
    /// Contracts already returned by [`Broker::take_resolved_contracts`].
    resolved: Vec<ResolvedContract>,
}

fn broker_error(e: IbkrError) -> BrokerError {
    if e.is_unavailable() {
        BrokerError::Unavailable(e.to_string())
    } else {
        BrokerError::Protocol(e.to_string())
    }
}

fn instrument_code(s: &str) -> Result<InstrumentCode, BrokerError> {
    InstrumentCode::new(s).map_err(|e| BrokerError::Protocol(e.to_string()))
}

fn status_of(r: OrderReport) -> OrderStatus {
    OrderStatus {
        broker_order_id: r.order_id,
        state: match r.state {
            IbOrderState::Working => OrderState::Working,
            IbOrderState::Filled => OrderState::Filled,
            IbOrderState::Cancelled => OrderState::Cancelled,
            IbOrderState::Rejected => OrderState::Rejected,
        },
        filled: r.filled,
        average_price: r.average_price,
        last_fill_time: r.last_fill_time,
        commission: r.commission,
        message: r.message,
    }
}

impl IbkrBroker {
    /// Connects: initialises the session and chooses the account. The error is the gateway's, so
    /// that the caller can say what to do about it (a refused certificate, a refused connection).
    pub fn connect(config: IbkrConfig) -> Result<Self, IbkrError> {
        let gateway = Gateway::new(config.gateway)?;
        gateway.ensure_session()?;
        let account = gateway
            .accounts()?
            .choose(config.account.as_deref())
            .map_err(|e| IbkrError::Lookup(e.to_string()))?;
        Ok(Self {
            ibkr: Ibkr::new(gateway, config.mapping, config.rolls),
            account,
            max_replies: config.max_replies,
            resolved: Vec::new(),
        })
    }
}

impl Broker for IbkrBroker {
    fn name(&self) -> &str {
        "ibkr"
    }

    fn account(&self) -> &str {
        &self.account
    }

    fn submit(&mut self, order: &OrderRequest) -> Result<OrderStatus, BrokerError> {
        let refused = |message: String| OrderStatus {
            broker_order_id: String::new(),
            state: OrderState::Rejected,
            filled: 0,
            average_price: None,
            last_fill_time: None,
            commission: None,
            message: Some(message),
        };
        let (instrument, contract) = match (
            InstrumentCode::new(&order.instrument),
            order.contract.parse::<ContractDate>(),
        ) {
            (Ok(i), Ok(c)) => (i, c),
            _ => {
                return Ok(refused(format!(
                    "not an instrument and contract: {} {}",
                    order.instrument, order.contract
                )));
            }
        };
        let ours = Order {
            instrument,
            contract,
            client_order_id: order.client_order_id.clone(),
            quantity: order.quantity,
            limit_price: order.limit_price,
        };
        match self.ibkr.submit(&self.account, &ours, self.max_replies) {
            Ok(report) => Ok(status_of(report)),
            Err(IbkrError::Lookup(m)) => Ok(refused(m)),
            Err(e) => Err(broker_error(e)),
        }
    }

    fn find_by_client_id(
        &mut self,
        order: &OrderRequest,
    ) -> Result<Option<OrderStatus>, BrokerError> {
        self.ibkr
            .find_order(
                &instrument_code(&order.instrument)?,
                &order.client_order_id,
                order.quantity,
            )
            .map(|r| r.map(status_of))
            .map_err(broker_error)
    }

    fn status(
        &mut self,
        broker_order_id: &str,
        order: &OrderRequest,
    ) -> Result<OrderStatus, BrokerError> {
        match self
            .ibkr
            .order_status(&instrument_code(&order.instrument)?, broker_order_id)
            .map_err(broker_error)?
        {
            Some(r) => Ok(status_of(r)),
            None => Err(BrokerError::Protocol(format!(
                "status of order {broker_order_id} ({}): unknown to this gateway session",
                order.client_order_id
            ))),
        }
    }

    /// Every contract the gateway mapping resolved (for orders, for positions), each once.
    fn take_resolved_contracts(&mut self) -> Vec<ResolvedContract> {
        let all: Vec<ResolvedContract> = self
            .ibkr
            .resolved_contracts()
            .into_iter()
            .map(|(instrument, contract, f)| ResolvedContract {
                instrument,
                contract,
                broker: "ibkr".into(),
                conid: f.conid,
                expiry: f.expiry,
            })
            .collect();
        let fresh: Vec<ResolvedContract> = all
            .into_iter()
            .filter(|c| !self.resolved.contains(c))
            .collect();
        self.resolved.extend(fresh.iter().cloned());
        fresh
    }

    /// Maps positions with every instrument of `config/ibkr.csv` (issue 14 item 5: a position
    /// in a configured instrument outside `instruments` is not an unknown position) and returns
    /// those of `instruments` (all when empty) and the ones no configured instrument maps (`?`).
    fn positions(&mut self, instruments: &[String]) -> Result<Vec<BrokerPosition>, BrokerError> {
        let configured: Vec<InstrumentCode> = self.ibkr.instruments().cloned().collect();
        let wanted = |p: &systrade_ibkr::Position| match &p.contract {
            Some((i, _)) => instruments.is_empty() || instruments.iter().any(|w| w == i.as_str()),
            None => true,
        };
        Ok(self
            .ibkr
            .positions(&self.account, &configured)
            .map_err(broker_error)?
            .into_iter()
            .filter(wanted)
            .map(|p| match p.contract {
                Some((i, c)) => BrokerPosition {
                    instrument: i.to_string(),
                    contract: c.id().to_string(),
                    position: p.position,
                },
                None => BrokerPosition {
                    instrument: "?".to_string(),
                    contract: p.description,
                    position: p.position,
                },
            })
            .collect())
    }
}
