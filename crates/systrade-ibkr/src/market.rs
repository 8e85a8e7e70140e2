//! The gateway seen through the instrument mapping: [`Ibkr`] knows each instrument's
//! `config/ibkr.csv` row and roll parameters, finds the IB future of one of our contracts (and the
//! contract of an IB future), and speaks in our units: every price in or out goes through the
//! instrument's [`PriceScale`]. fetch-prices (through systrade-sources) and place-orders (through
//! systrade-orders' broker) use it; nothing else needs conids.

use crate::contracts::{ContractDetails, FuturesUnderlying, ListedFuture};
use crate::error::IbkrError;
use crate::gateway::Gateway;
use crate::history::IbBar;
use crate::orders::{OrderTicket, Submission};
use crate::resolve::{expiring_on, pick};
use crate::units::PriceScale;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use systrade_model::{ContractDate, IbkrFx, IbkrInstrument, InstrumentCode, RollParameters};

/// One daily bar in our units (see [`IbBar`] for the date).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyBar {
    pub date: NaiveDate,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// One daily FX rate: units of `CCY2` per `CCY1`, inverted when the mapping says so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FxDay {
    pub date: NaiveDate,
    pub rate: f64,
}

/// An order in our terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub instrument: InstrumentCode,
    pub contract: ContractDate,
    pub client_order_id: String,
    /// Signed: positive buys.
    pub quantity: i64,
    /// `None`: market order; else in our units.
    pub limit_price: Option<f64>,
}

/// Where an order stands at IB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IbOrderState {
    /// PendingSubmit, PreSubmitted, Submitted, PendingCancel, WarnState, …
    Working,
    Filled,
    /// Cancelled or Inactive (expired, or refused after acceptance), possibly partly filled.
    Cancelled,
    /// Refused at submission.
    Rejected,
}

impl IbOrderState {
    /// IB's order status word.
    pub fn from_status(status: &str) -> Self {
        match status.to_ascii_lowercase().as_str() {
            "filled" => Self::Filled,
            "cancelled" | "canceled" | "inactive" => Self::Cancelled,
            _ => Self::Working,
        }
    }
}

/// IB's view of one order, prices in our units.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderReport {
    pub order_id: String,
    pub state: IbOrderState,
    /// Cumulative fill, signed like the order.
    pub filled: i64,
    pub average_price: Option<f64>,
    pub last_fill_time: Option<String>,
    pub commission: Option<f64>,
    pub message: Option<String>,
}

impl OrderReport {
    fn rejected(order_id: Option<String>, message: String) -> Self {
        Self {
            order_id: order_id.unwrap_or_default(),
            state: IbOrderState::Rejected,
            filled: 0,
            average_price: None,
            last_fill_time: None,
            commission: None,
            message: Some(message),
        }
    }
}

/// One broker position; `contract` is `None` when it is none of the given instruments' contracts.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub conid: i64,
    pub contract: Option<(InstrumentCode, ContractDate)>,
    pub position: i64,
    /// In our units when the position is mapped, else `None`.
    pub market_price: Option<f64>,
    pub average_price: Option<f64>,
    /// IB's description (`contractDesc`).
    pub description: String,
}

/// The futures IB lists for one symbol on one exchange.
type Listing = Arc<Vec<ListedFuture>>;

#[derive(Debug)]
struct Mapped {
    row: IbkrInstrument,
    roll: Option<RollParameters>,
}

/// The gateway with the instrument mapping. Shared between threads.
#[derive(Debug)]
pub struct Ibkr {
    gateway: Gateway,
    instruments: BTreeMap<InstrumentCode, Mapped>,
    /// `/trsrv/futures` by (symbol, exchange).
    listed: Mutex<HashMap<(String, String), Listing>>,
    details: Mutex<HashMap<i64, ContractDetails>>,
    /// `/iserver/secdef/search` by (symbol, exchange).
    underlyings: Mutex<HashMap<(String, String), Arc<FuturesUnderlying>>>,
    /// `/iserver/secdef/info` by (underlying conid, exchange, contract month id).
    months: Mutex<HashMap<(i64, String, i64), Vec<ListedFuture>>>,
    /// Every contract resolved, for the contracts table.
    resolved: Mutex<BTreeMap<(InstrumentCode, ContractDate), ListedFuture>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Ibkr {
    /// `rows`: `config/ibkr.csv`; `rolls`: the roll parameters of any instruments (their
    /// `ExpiryOffset` places crude-style expiries and tells monthly from weekly futures).
    pub fn new(
        gateway: Gateway,
        rows: impl IntoIterator<Item = IbkrInstrument>,
        rolls: impl IntoIterator<Item = RollParameters>,
    ) -> Self {
        let mut rolls: HashMap<InstrumentCode, RollParameters> = rolls
            .into_iter()
            .map(|r| (r.instrument.clone(), r))
            .collect();
        let instruments = rows
            .into_iter()
            .map(|row| {
                let roll = rolls.remove(row.instrument());
                (row.instrument().clone(), Mapped { row, roll })
            })
            .collect();
        Self {
            gateway,
            instruments,
            listed: Mutex::new(HashMap::new()),
            details: Mutex::new(HashMap::new()),
            underlyings: Mutex::new(HashMap::new()),
            months: Mutex::new(HashMap::new()),
            resolved: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// The instruments with a mapping row.
    pub fn instruments(&self) -> impl Iterator<Item = &InstrumentCode> {
        self.instruments.keys()
    }

    fn mapped(&self, instrument: &InstrumentCode) -> Result<&Mapped, IbkrError> {
        self.instruments.get(instrument).ok_or_else(|| {
            IbkrError::Lookup(format!(
                "{instrument} has no row in the IB instrument mapping (config/ibkr.csv)"
            ))
        })
    }

    /// The instrument's mapping row.
    pub fn mapping(&self, instrument: &InstrumentCode) -> Result<&IbkrInstrument, IbkrError> {
        Ok(&self.mapped(instrument)?.row)
    }

    /// The instrument's price conversion.
    pub fn scale(&self, instrument: &InstrumentCode) -> Result<PriceScale, IbkrError> {
        Ok(PriceScale::of(self.mapping(instrument)?))
    }

    /// The non-expired futures IB lists for the instrument's symbol and exchange (cached).
    pub fn listed(&self, instrument: &InstrumentCode) -> Result<Listing, IbkrError> {
        let row = &self.mapped(instrument)?.row;
        let key = (row.symbol().to_string(), row.exchange().to_string());
        if let Some(l) = lock(&self.listed).get(&key) {
            return Ok(Arc::clone(l));
        }
        let list = Arc::new(self.gateway.futures(row.symbol(), row.exchange())?);
        lock(&self.listed).insert(key, Arc::clone(&list));
        Ok(list)
    }

    fn details(&self, conid: i64) -> Result<ContractDetails, IbkrError> {
        if let Some(d) = lock(&self.details).get(&conid) {
            return Ok(d.clone());
        }
        let d = self.gateway.contract_details(conid)?;
        lock(&self.details).insert(conid, d.clone());
        Ok(d)
    }

    /// True unless the mapping gives a multiplier or currency and IB says another one (a value IB
    /// does not give is not a difference; two products left then make the month ambiguous).
    fn same_product(row: &IbkrInstrument, multiplier: Option<f64>, currency: Option<&str>) -> bool {
        let same_multiplier = match (row.multiplier(), multiplier) {
            (Some(want), Some(got)) => (want - got).abs() <= 1e-9 * want.abs().max(1.0),
            _ => true,
        };
        let same_currency = match (row.currency(), currency) {
            (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
            _ => true,
        };
        same_multiplier && same_currency
    }

    /// The underlying of the instrument's futures at IB (cached): its conid and IB's contract months.
    fn underlying(&self, instrument: &InstrumentCode) -> Result<Arc<FuturesUnderlying>, IbkrError> {
        let row = &self.mapped(instrument)?.row;
        let key = (row.symbol().to_string(), row.exchange().to_string());
        if let Some(u) = lock(&self.underlyings).get(&key) {
            return Ok(Arc::clone(u));
        }
        let found = self
            .gateway
            .futures_underlying(row.symbol(), row.exchange())?
            .unwrap_or(FuturesUnderlying {
                conid: None,
                months: Vec::new(),
            });
        let u = Arc::new(found);
        lock(&self.underlyings).insert(key, Arc::clone(&u));
        Ok(u)
    }

    /// The listed futures whose IB contract month is `month` (`/iserver/secdef/info?…&month=DEC24`,
    /// cached), with their expiries from the listing (else the `maturityDate` IB gives).
    fn futures_in_month(
        &self,
        instrument: &InstrumentCode,
        month: ContractDate,
    ) -> Result<Vec<ListedFuture>, IbkrError> {
        let row = &self.mapped(instrument)?.row;
        let listed = self.listed(instrument)?;
        let underlying = match listed.iter().find_map(|f| f.underlying_conid) {
            Some(u) => u,
            None => match self.underlying(instrument)?.conid {
                Some(u) => u,
                None => {
                    return Err(IbkrError::Lookup(format!(
                        "{instrument}: IB gives no underlying for {} on {}",
                        row.symbol(),
                        row.exchange()
                    )));
                }
            },
        };
        let key = (underlying, row.exchange().to_string(), month.id());
        if let Some(f) = lock(&self.months).get(&key) {
            return Ok(f.clone());
        }
        let found: Vec<ListedFuture> = self
            .gateway
            .futures_of_month(underlying, row.exchange(), month)?
            .into_iter()
            .filter_map(|m| {
                let expiry = listed
                    .iter()
                    .find(|f| f.conid == m.conid)
                    .map(|f| f.expiry)
                    .or(m.expiry)?;
                Some(ListedFuture {
                    conid: m.conid,
                    expiry,
                    underlying_conid: Some(underlying),
                })
            })
            .collect();
        lock(&self.months).insert(key, found.clone());
        Ok(found)
    }

    /// The IB future of one of our contracts: `Ok(None)` when IB does not list it; an ambiguous
    /// month is [`IbkrError::Lookup`].
    ///
    /// This is the one place our contract ids meet IB's contracts (issue 14 item 3): a monthly
    /// contract (`YYYYMM00`) is a future whose *IB contract month* is that month, as IB itself
    /// says (`/iserver/secdef/info?…&month=DEC24`; crude oil's December contract expires in
    /// November), never "the future expiring in that month". Among several futures of one
    /// month (weeklies, a mini next to the full contract) the mapping's multiplier and currency
    /// (checked against `/iserver/contract/{conid}/info`) and `IgnoreWeekly` with the roll
    /// configuration's approximate expiry choose ([`pick`]). A dated contract (`YYYYMMDD`) is the
    /// listed future expiring on that day. Every contract resolved is remembered for
    /// [`Ibkr::resolved_contracts`].
    pub fn resolve(
        &self,
        instrument: &InstrumentCode,
        contract: ContractDate,
    ) -> Result<Option<ListedFuture>, IbkrError> {
        let key = (instrument.clone(), contract);
        if let Some(f) = lock(&self.resolved).get(&key) {
            return Ok(Some(*f));
        }
        let m = self.mapped(instrument)?;
        let approx = m.roll.as_ref().map(|r| r.approx_expiry(contract));
        let mut found = if contract.day() == 0 {
            self.futures_in_month(instrument, contract)?
        } else {
            expiring_on(&self.listed(instrument)?, contract.reference_date())
        };
        if m.row.multiplier().is_some() || m.row.currency().is_some() {
            let mut same = Vec::with_capacity(found.len());
            for f in found {
                let d = self.details(f.conid)?;
                if Self::same_product(&m.row, d.multiplier, d.currency.as_deref()) {
                    same.push(f);
                }
            }
            found = same;
        }
        let picked = pick(&found, contract, approx, m.row.ignore_weekly())
            .map_err(|e| IbkrError::Lookup(format!("{instrument}: {e}")))?;
        if let Some(f) = picked {
            lock(&self.resolved).insert(key, f);
        }
        Ok(picked)
    }

    /// Every contract [`Ibkr::resolve`] found so far: our contract, IB's conid and the exact
    /// expiry (for the contracts table), by instrument and contract.
    pub fn resolved_contracts(&self) -> Vec<(InstrumentCode, ContractDate, ListedFuture)> {
        lock(&self.resolved)
            .iter()
            .map(|((i, c), f)| (i.clone(), *c, *f))
            .collect()
    }

    /// Our contracts of the contract months IB offers for the instrument
    /// (`/iserver/secdef/search`; in the priced cycle when there is a roll configuration), for an
    /// instrument with nothing stored yet.
    pub fn listed_contracts(
        &self,
        instrument: &InstrumentCode,
    ) -> Result<Vec<ContractDate>, IbkrError> {
        let m = self.mapped(instrument)?;
        let underlying = self.underlying(instrument)?;
        if underlying.months.is_empty() {
            return Err(IbkrError::Lookup(format!(
                "{instrument}: IB gives no contract months for {} on {}",
                m.row.symbol(),
                m.row.exchange()
            )));
        }
        Ok(underlying
            .months
            .iter()
            .copied()
            .filter(|c| {
                m.roll
                    .as_ref()
                    .is_none_or(|r| r.priced_cycle.contains(c.month()))
            })
            .collect())
    }

    /// Our contract of an IB future of the instrument, if the future is one: the monthly contract
    /// of IB's own contract month (`contract_month` of `/iserver/contract/{conid}/info`), provided
    /// that contract resolves to this very future (a weekly listed next to the monthly future
    /// does not). A future IB gives no contract month for is none of ours (with a warning).
    pub fn contract_of(
        &self,
        instrument: &InstrumentCode,
        future: &ListedFuture,
    ) -> Result<Option<ContractDate>, IbkrError> {
        let Some(c) = self.details(future.conid)?.contract_month else {
            tracing::warn!(
                instrument = %instrument,
                conid = future.conid,
                "IB gives no contract month for this future; it is not mapped to a contract"
            );
            return Ok(None);
        };
        Ok(match self.resolve(instrument, c) {
            Ok(Some(f)) if f.conid == future.conid => Some(c),
            Ok(_) | Err(IbkrError::Lookup(_)) => None,
            Err(e) => return Err(e),
        })
    }

    /// Daily bars of one of the instrument's futures over `period`, in our units.
    pub fn daily_bars(
        &self,
        instrument: &InstrumentCode,
        conid: i64,
        period: &str,
    ) -> Result<Vec<DailyBar>, IbkrError> {
        let scale = self.scale(instrument)?;
        Ok(self
            .gateway
            .daily_history(conid, period)?
            .into_iter()
            .map(|b: IbBar| DailyBar {
                date: b.date,
                open: scale.to_ours(b.open),
                high: scale.to_ours(b.high),
                low: scale.to_ours(b.low),
                close: scale.to_ours(b.close),
                volume: b.volume,
            })
            .collect())
    }

    /// Daily closes of an FX pair over `period`, inverted when the mapping says so
    /// (`USD.CAD` → CADUSD).
    pub fn daily_fx(&self, fx: &IbkrFx, period: &str) -> Result<Vec<FxDay>, IbkrError> {
        let conid = self.gateway.fx_conid(&fx.pair())?;
        Ok(self
            .gateway
            .daily_history(conid, period)?
            .into_iter()
            .map(|b| {
                let rate = PriceScale::UNIT.to_ours(b.close);
                FxDay {
                    date: b.date,
                    rate: if fx.invert() { 1.0 / rate } else { rate },
                }
            })
            .collect())
    }

    /// Sends an order (with the reply/confirm loop). An unmapped instrument or a contract IB
    /// does not list is [`IbkrError::Lookup`]; a refusal by IB is a report in state
    /// [`IbOrderState::Rejected`].
    pub fn submit(
        &self,
        account: &str,
        order: &Order,
        max_replies: usize,
    ) -> Result<OrderReport, IbkrError> {
        let scale = self.scale(&order.instrument)?;
        let Some(future) = self.resolve(&order.instrument, order.contract)? else {
            let row = self.mapping(&order.instrument)?;
            return Err(IbkrError::Lookup(format!(
                "no IB future for {} {} (symbol {} on {})",
                order.instrument,
                order.contract,
                row.symbol(),
                row.exchange()
            )));
        };
        let ticket = OrderTicket {
            account: account.to_string(),
            conid: future.conid,
            client_order_id: order.client_order_id.clone(),
            quantity: order.quantity,
            limit: order.limit_price.map(|p| scale.to_ib(p)),
        };
        Ok(match self.gateway.submit_order(&ticket, max_replies)? {
            Submission::Accepted { order_id, status } => OrderReport {
                order_id,
                state: IbOrderState::from_status(&status),
                filled: 0,
                average_price: None,
                last_fill_time: None,
                commission: None,
                message: Some(status),
            },
            Submission::Refused { order_id, message } => OrderReport::rejected(order_id, message),
        })
    }

    /// The status of an order of the current gateway session; `None` when the gateway does not
    /// know it (orders of an earlier session).
    pub fn order_status(
        &self,
        instrument: &InstrumentCode,
        order_id: &str,
    ) -> Result<Option<OrderReport>, IbkrError> {
        let scale = self.scale(instrument)?;
        Ok(self.gateway.order_status(order_id)?.map(|s| OrderReport {
            order_id: s.order_id,
            state: IbOrderState::from_status(&s.status),
            filled: s.filled,
            average_price: s.average_price.map(|p| scale.to_ours(p)),
            last_fill_time: None,
            commission: s.commission,
            message: Some(s.status),
        }))
    }

    /// Finds an order by our client order id among the gateway's live orders, then among the
    /// executions of the last 7 days (summed); `None` if IB has never seen it. `quantity` (signed)
    /// tells a complete fill from a partial one for an order known only by its executions.
    pub fn find_order(
        &self,
        instrument: &InstrumentCode,
        client_order_id: &str,
        quantity: i64,
    ) -> Result<Option<OrderReport>, IbkrError> {
        let scale = self.scale(instrument)?;
        if let Some(o) = self
            .gateway
            .live_orders()?
            .into_iter()
            .find(|o| o.client_order_id.as_deref() == Some(client_order_id))
        {
            return Ok(Some(OrderReport {
                order_id: o.order_id,
                state: IbOrderState::from_status(&o.status),
                filled: o.filled,
                average_price: o.average_price.map(|p| scale.to_ours(p)),
                last_fill_time: o.last_execution_time,
                commission: None,
                message: Some(o.status),
            }));
        }
        let execs: Vec<_> = self
            .gateway
            .executions(7)?
            .into_iter()
            .filter(|e| e.client_order_id.as_deref() == Some(client_order_id))
            .collect();
        let Some(first) = execs.first() else {
            return Ok(None);
        };
        let filled: i64 = execs.iter().map(|e| e.quantity).sum();
        let notional: f64 = execs
            .iter()
            .map(|e| e.quantity as f64 * scale.to_ours(e.price))
            .sum();
        Ok(Some(OrderReport {
            order_id: first.order_id.clone().unwrap_or_default(),
            state: if filled.abs() >= quantity.abs() {
                IbOrderState::Filled
            } else {
                IbOrderState::Cancelled
            },
            filled,
            average_price: (filled != 0).then(|| notional / filled as f64),
            last_fill_time: execs.last().and_then(|e| e.trade_time.clone()),
            commission: Some(execs.iter().filter_map(|e| e.commission).sum()),
            message: Some("found in executions".into()),
        }))
    }

    /// The account's futures positions, mapped to the contracts of `instruments` where they are
    /// one (by conid, multiplier and currency); market and average prices in our units for those.
    /// An instrument whose futures cannot be listed (other than the gateway being unavailable) is
    /// left out of the mapping with a warning: its positions come back unmapped.
    pub fn positions(
        &self,
        account: &str,
        instruments: &[InstrumentCode],
    ) -> Result<Vec<Position>, IbkrError> {
        let mut by_conid: HashMap<i64, Vec<(&InstrumentCode, ListedFuture)>> = HashMap::new();
        for i in instruments
            .iter()
            .filter(|i| self.instruments.contains_key(*i))
        {
            let listed = match self.listed(i) {
                Ok(l) => l,
                Err(e) if e.is_unavailable() => return Err(e),
                Err(e) => {
                    tracing::warn!(instrument = %i, "its positions cannot be mapped: {e}");
                    continue;
                }
            };
            for f in listed.iter() {
                by_conid.entry(f.conid).or_default().push((i, *f));
            }
        }
        self.gateway.portfolio_accounts()?;
        let mut out = Vec::new();
        for p in self.gateway.positions(account)? {
            let mut contract = None;
            for (i, f) in by_conid.get(&p.conid).into_iter().flatten() {
                let row = &self.mapped(i)?.row;
                if !Self::same_product(row, p.multiplier, p.currency.as_deref()) {
                    continue;
                }
                if let Some(c) = self.contract_of(i, f)? {
                    contract = Some(((*i).clone(), c, PriceScale::of(row)));
                    break;
                }
            }
            let to_ours = |x: Option<crate::units::IbPrice>| {
                contract
                    .as_ref()
                    .and_then(|(_, _, s)| x.map(|p| s.to_ours(p)))
            };
            out.push(Position {
                conid: p.conid,
                market_price: to_ours(p.market_price),
                average_price: to_ours(p.average_price),
                position: p.position.round() as i64,
                description: p.description,
                contract: contract.map(|(i, c, _)| (i, c)),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_states() {
        assert_eq!(IbOrderState::from_status("Filled"), IbOrderState::Filled);
        assert_eq!(
            IbOrderState::from_status("Inactive"),
            IbOrderState::Cancelled
        );
        assert_eq!(
            IbOrderState::from_status("PreSubmitted"),
            IbOrderState::Working
        );
    }
}
