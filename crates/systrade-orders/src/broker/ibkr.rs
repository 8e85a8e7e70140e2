//! The IB Client Portal Web API broker (spec §5; `shared/spec/price-sources-and-ibkr.md` "Orders",
//! "Positions"), over reqwest's blocking client with rustls.
//!
//! - Session: `GET /iserver/accounts` must be called before orders; it also chooses the account
//!   (the configured one, else `selectedAccount`, else the first). 401 or no connection → unavailable.
//! - Contracts: `GET /trsrv/futures?symbols=SYM` lists non-expired futures (`conid`,
//!   `expirationDate` YYYYMMDD); a monthly contract `YYYYMM00` matches the future expiring in that
//!   month, a dated contract `YYYYMMDD` the exact expiry. Symbols come from `config/ibkr.csv`
//!   (`Instrument,IBSymbol,IBExchange,…`), else the instrument code itself.
//! - Orders: `POST /iserver/account/{acct}/orders` with `cOID` = our client order id and
//!   `manualIndicator: false`; the answer is one of four shapes — success `[{order_id,
//!   order_status}]`, reply-needed `[{id, message[]}]` (confirmed with `POST /iserver/reply/{id}`
//!   `{"confirmed":true}`, looping), error `{error}`, prompt `{messageId, prompt: true, text,
//!   options}`. A prompt needs a human choice, so the order is treated as refused (its text is
//!   kept) and reconciliation catches it if IB placed it anyway.
//! - Status: `GET /iserver/account/order/status/{orderId}` (`order_status`, `cum_fill`,
//!   `average_price`, `side`); lookup by client order id: `GET /iserver/account/orders`
//!   (`order_ref` = cOID) then `GET /iserver/account/trades` (executions, `order_ref`).
//! - Positions: `GET /portfolio/accounts`, then `GET /portfolio/{acct}/positions/{page}` (≤ 100 per
//!   page) mapped back through the contract lists.

use super::{Broker, BrokerError, BrokerPosition, OrderRequest, OrderState, OrderStatus};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// How to reach the gateway.
#[derive(Debug, Clone)]
pub struct IbkrConfig {
    /// E.g. `https://localhost:5000/v1/api` (no trailing slash needed).
    pub base_url: String,
    /// Account id; `None`: the gateway's selected account.
    pub account: Option<String>,
    /// Accept the gateway's self-signed certificate.
    pub accept_invalid_certs: bool,
    pub timeout: Duration,
    /// Instrument → (IB symbol, IB exchange), from `config/ibkr.csv`.
    pub symbols: BTreeMap<String, (String, String)>,
    /// Most `/iserver/reply` confirmations per order before giving up.
    pub max_replies: usize,
}

impl IbkrConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            account: None,
            accept_invalid_certs: false,
            timeout: Duration::from_secs(20),
            symbols: BTreeMap::new(),
            max_replies: 10,
        }
    }
}

/// Reads `config/ibkr.csv` (`Instrument,IBSymbol,IBExchange,…`, spec §1.11) into instrument →
/// (symbol, exchange).
pub fn parse_ibkr_symbols(text: &str) -> Result<BTreeMap<String, (String, String)>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("config/ibkr.csv has no {name} column"))
    };
    let (i, s, x) = (col("Instrument")?, col("IBSymbol")?, col("IBExchange")?);
    let mut out = BTreeMap::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let get = |k: usize| rec.get(k).unwrap_or("").to_string();
        out.insert(get(i), (get(s), get(x)));
    }
    Ok(out)
}

/// One listed future (from `/trsrv/futures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Listed {
    conid: i64,
    expiration: i64,
}

/// The IB Client Portal broker.
pub struct IbkrBroker {
    config: IbkrConfig,
    client: reqwest::blocking::Client,
    account: String,
    /// Symbol → listed futures.
    futures: BTreeMap<String, Vec<Listed>>,
}

impl std::fmt::Debug for IbkrBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IbkrBroker")
            .field("base_url", &self.config.base_url)
            .field("account", &self.account)
            .finish()
    }
}

/// A JSON number that IB may send as a string.
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `+1` for buys (`BUY`, `B`), `−1` for sells.
fn side_sign(v: &Value) -> i64 {
    match v.as_str().map(str::to_ascii_uppercase).as_deref() {
        Some("SELL") | Some("S") => -1,
        _ => 1,
    }
}

/// IB order status → ours: Filled; Cancelled / Inactive (expired, refused after acceptance) →
/// cancelled; everything else (PendingSubmit, PreSubmitted, Submitted, PendingCancel, WarnState) →
/// working.
fn map_state(status: &str) -> OrderState {
    match status.to_ascii_lowercase().as_str() {
        "filled" => OrderState::Filled,
        "cancelled" | "canceled" | "inactive" => OrderState::Cancelled,
        _ => OrderState::Working,
    }
}

/// The four answer shapes of an order submission or reply (plus anything else).
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Success {
        order_id: String,
        status: String,
    },
    ReplyNeeded {
        id: String,
        message: String,
    },
    Error(String),
    Prompt {
        text: String,
        order_id: Option<String>,
    },
    Other(String),
}

fn classify(v: &Value) -> Answer {
    let first = match v {
        Value::Array(a) => a.first(),
        _ => Some(v),
    };
    let Some(o) = first else {
        return Answer::Other("empty answer".into());
    };
    if let Some(id) = o.get("order_id").and_then(text) {
        return Answer::Success {
            order_id: id,
            status: o
                .get("order_status")
                .and_then(text)
                .unwrap_or_else(|| "Submitted".into()),
        };
    }
    if let Some(e) = o.get("error").and_then(text) {
        return Answer::Error(e);
    }
    if o.get("prompt").and_then(Value::as_bool) == Some(true) || o.get("messageId").is_some() {
        return Answer::Prompt {
            text: o
                .get("text")
                .and_then(text)
                .unwrap_or_else(|| "prompt".into()),
            order_id: o.get("orderId").and_then(text),
        };
    }
    if let Some(id) = o.get("id").and_then(text) {
        let message = match o.get("message") {
            Some(Value::Array(m)) => m.iter().filter_map(text).collect::<Vec<_>>().join(" | "),
            Some(m) => text(m).unwrap_or_default(),
            None => String::new(),
        };
        return Answer::ReplyNeeded { id, message };
    }
    Answer::Other(v.to_string())
}

impl IbkrBroker {
    /// Connects: builds the client and calls `/iserver/accounts` (required before orders).
    pub fn connect(config: IbkrConfig) -> Result<Self, BrokerError> {
        let client = reqwest::blocking::Client::builder()
            .timeout(config.timeout)
            .danger_accept_invalid_certs(config.accept_invalid_certs)
            .build()
            .map_err(|e| BrokerError::Unavailable(format!("HTTP client: {e}")))?;
        let mut broker = Self {
            config,
            client,
            account: String::new(),
            futures: BTreeMap::new(),
        };
        let accounts = broker.get("/iserver/accounts")?;
        let listed: Vec<String> = accounts
            .get("accounts")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(text).collect())
            .unwrap_or_default();
        broker.account = match &broker.config.account {
            Some(a) if listed.contains(a) => a.clone(),
            Some(a) => {
                return Err(BrokerError::Unavailable(format!(
                    "account {a} is not among the gateway's accounts {listed:?}"
                )));
            }
            None => accounts
                .get("selectedAccount")
                .and_then(text)
                .or_else(|| listed.first().cloned())
                .ok_or_else(|| BrokerError::Unavailable("the gateway lists no account".into()))?,
        };
        Ok(broker)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url.trim_end_matches('/'), path)
    }

    fn send(
        &self,
        req: reqwest::blocking::RequestBuilder,
        what: &str,
    ) -> Result<Value, BrokerError> {
        let resp = req
            .send()
            .map_err(|e| BrokerError::Unavailable(format!("{what}: {e}")))?;
        let status = resp.status();
        let body = resp
            .text()
            .map_err(|e| BrokerError::Unavailable(format!("{what}: {e}")))?;
        if status.as_u16() == 401 {
            return Err(BrokerError::Unavailable(format!(
                "{what}: 401 not authenticated (log in through the Client Portal gateway)"
            )));
        }
        if status.as_u16() == 429 || status.as_u16() == 503 && !what.contains("status") {
            return Err(BrokerError::Unavailable(format!("{what}: {status}")));
        }
        match serde_json::from_str::<Value>(&body) {
            Ok(v) => Ok(v),
            Err(_) if status.is_success() && body.trim().is_empty() => Ok(Value::Null),
            Err(_) => Err(BrokerError::Protocol(format!(
                "{what}: {status}: {}",
                body.chars().take(200).collect::<String>()
            ))),
        }
    }

    fn get(&self, path: &str) -> Result<Value, BrokerError> {
        self.send(self.client.get(self.url(path)), &format!("GET {path}"))
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, BrokerError> {
        self.send(
            self.client.post(self.url(path)).json(body),
            &format!("POST {path}"),
        )
    }

    fn symbol(&self, instrument: &str) -> String {
        self.config
            .symbols
            .get(instrument)
            .map(|(s, _)| s.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| instrument.to_string())
    }

    fn listed(&mut self, symbol: &str) -> Result<&[Listed], BrokerError> {
        if !self.futures.contains_key(symbol) {
            let v = self.get(&format!("/trsrv/futures?symbols={symbol}"))?;
            let list = v
                .get(symbol)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|f| {
                            Some(Listed {
                                conid: num(f.get("conid")?)? as i64,
                                expiration: num(f.get("expirationDate")?)? as i64,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.futures.insert(symbol.to_string(), list);
        }
        Ok(self.futures.get(symbol).map(Vec::as_slice).unwrap_or(&[]))
    }

    /// The conid of `instrument`'s `contract` (`YYYYMMDD`, day `00` for monthly contracts).
    fn conid(&mut self, instrument: &str, contract: &str) -> Result<Option<i64>, BrokerError> {
        let id: i64 = contract
            .parse()
            .map_err(|_| BrokerError::Protocol(format!("bad contract id {contract}")))?;
        let symbol = self.symbol(instrument);
        let found = self
            .listed(&symbol)?
            .iter()
            .find(|l| {
                if id % 100 == 0 {
                    l.expiration / 100 == id / 100
                } else {
                    l.expiration == id
                }
            })
            .map(|l| l.conid);
        Ok(found)
    }

    fn status_from_order_row(o: &Value) -> Option<OrderStatus> {
        let id = o.get("orderId").and_then(text)?;
        let status = o.get("status").and_then(text).unwrap_or_default();
        let sign = side_sign(o.get("side").unwrap_or(&Value::Null));
        let filled = o.get("filledQuantity").and_then(num).unwrap_or(0.0) as i64 * sign;
        Some(OrderStatus {
            broker_order_id: id,
            state: map_state(&status),
            filled,
            average_price: o.get("avgPrice").and_then(num),
            last_fill_time: o.get("lastExecutionTime").and_then(text),
            commission: None,
            message: Some(status),
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
        let rejected = |id: Option<String>, msg: String| OrderStatus {
            broker_order_id: id.unwrap_or_default(),
            state: OrderState::Rejected,
            filled: 0,
            average_price: None,
            last_fill_time: None,
            commission: None,
            message: Some(msg),
        };
        let Some(conid) = self.conid(&order.instrument, &order.contract)? else {
            return Ok(rejected(
                None,
                format!(
                    "no IB future for {} {} (symbol {})",
                    order.instrument,
                    order.contract,
                    self.symbol(&order.instrument)
                ),
            ));
        };
        let mut o = json!({
            "acctId": self.account,
            "conid": conid,
            "secType": format!("{conid}:FUT"),
            "cOID": order.client_order_id,
            "orderType": if order.limit_price.is_some() { "LMT" } else { "MKT" },
            "side": if order.quantity > 0 { "BUY" } else { "SELL" },
            "quantity": order.quantity.abs(),
            "tif": "DAY",
            "manualIndicator": false,
        });
        if let Some(p) = order.limit_price {
            o["price"] = json!(p);
        }
        let mut answer = self.post(
            &format!("/iserver/account/{}/orders", self.account),
            &json!({ "orders": [o] }),
        )?;
        for _ in 0..=self.config.max_replies {
            match classify(&answer) {
                Answer::Success { order_id, status } => {
                    return Ok(OrderStatus {
                        broker_order_id: order_id,
                        state: map_state(&status),
                        filled: 0,
                        average_price: None,
                        last_fill_time: None,
                        commission: None,
                        message: Some(status),
                    });
                }
                Answer::ReplyNeeded { id, message } => {
                    tracing::debug!(reply_id = %id, %message, "IB asks to confirm; confirming");
                    answer = self.post(
                        &format!("/iserver/reply/{id}"),
                        &json!({ "confirmed": true }),
                    )?;
                }
                Answer::Error(e) => return Ok(rejected(None, e)),
                Answer::Prompt { text, order_id } => {
                    return Ok(rejected(order_id, format!("IB prompt: {text}")));
                }
                Answer::Other(s) => {
                    return Err(BrokerError::Protocol(format!("order answer: {s}")));
                }
            }
        }
        Ok(rejected(
            None,
            format!("more than {} confirmations asked", self.config.max_replies),
        ))
    }

    fn find_by_client_id(
        &mut self,
        order: &OrderRequest,
    ) -> Result<Option<OrderStatus>, BrokerError> {
        let coid = order.client_order_id.as_str();
        let orders = self.get("/iserver/account/orders")?;
        if let Some(row) = orders
            .get("orders")
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .find(|o| o.get("order_ref").and_then(Value::as_str) == Some(coid))
            })
        {
            return Ok(Self::status_from_order_row(row));
        }
        let trades = self.get("/iserver/account/trades?days=7")?;
        let execs: Vec<&Value> = trades
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|t| t.get("order_ref").and_then(Value::as_str) == Some(coid))
                    .collect()
            })
            .unwrap_or_default();
        if execs.is_empty() {
            return Ok(None);
        }
        let (mut qty, mut notional) = (0i64, 0.0);
        for t in &execs {
            let q = t.get("size").and_then(num).unwrap_or(0.0) as i64
                * side_sign(t.get("side").unwrap_or(&Value::Null));
            qty += q;
            notional += q as f64 * t.get("price").and_then(num).unwrap_or(0.0);
        }
        let id = execs[0].get("order_id").and_then(text).unwrap_or_default();
        Ok(Some(OrderStatus {
            broker_order_id: id,
            state: if qty.abs() >= order.quantity.abs() {
                OrderState::Filled
            } else {
                OrderState::Cancelled
            },
            filled: qty,
            average_price: (qty != 0).then(|| notional / qty as f64),
            last_fill_time: execs
                .last()
                .and_then(|t| t.get("trade_time"))
                .and_then(text),
            commission: Some(
                execs
                    .iter()
                    .filter_map(|t| t.get("commission").and_then(num))
                    .sum(),
            ),
            message: Some("found in executions".into()),
        }))
    }

    fn status(
        &mut self,
        broker_order_id: &str,
        client_order_id: &str,
    ) -> Result<OrderStatus, BrokerError> {
        let v = self.get(&format!("/iserver/account/order/status/{broker_order_id}"))?;
        let Some(status) = v.get("order_status").and_then(text) else {
            return Err(BrokerError::Protocol(format!(
                "status of order {broker_order_id} ({client_order_id}): {v}"
            )));
        };
        let sign = side_sign(v.get("side").unwrap_or(&Value::Null));
        Ok(OrderStatus {
            broker_order_id: broker_order_id.to_string(),
            state: map_state(&status),
            filled: v.get("cum_fill").and_then(num).unwrap_or(0.0) as i64 * sign,
            average_price: v.get("average_price").and_then(num),
            last_fill_time: None,
            commission: v.get("commission").and_then(num),
            message: Some(status),
        })
    }

    fn positions(&mut self, instruments: &[String]) -> Result<Vec<BrokerPosition>, BrokerError> {
        let mut by_conid: BTreeMap<i64, (String, String)> = BTreeMap::new();
        for i in instruments {
            let symbol = self.symbol(i);
            for l in self.listed(&symbol)?.to_vec() {
                // Our monthly ids carry day 00; dated contracts would need the exact expiry.
                by_conid.insert(
                    l.conid,
                    (i.clone(), format!("{}", l.expiration / 100 * 100)),
                );
            }
        }
        self.get("/portfolio/accounts")?;
        let mut out = Vec::new();
        for page in 0..1000 {
            let v = self.get(&format!("/portfolio/{}/positions/{page}", self.account))?;
            let rows = v.as_array().cloned().unwrap_or_default();
            for p in &rows {
                let position = p.get("position").and_then(num).unwrap_or(0.0).round() as i64;
                if position == 0 {
                    continue;
                }
                let conid = p.get("conid").and_then(num).unwrap_or(0.0) as i64;
                let (instrument, contract) = by_conid.get(&conid).cloned().unwrap_or_else(|| {
                    (
                        "?".to_string(),
                        p.get("contractDesc")
                            .and_then(text)
                            .unwrap_or_else(|| conid.to_string()),
                    )
                });
                out.push(BrokerPosition {
                    instrument,
                    contract,
                    position,
                });
            }
            if rows.len() < 100 {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_answer_shapes() {
        let ok =
            json!([{"order_id":"1370093239","order_status":"PreSubmitted","encrypt_message":"1"}]);
        assert_eq!(
            classify(&ok),
            Answer::Success {
                order_id: "1370093239".into(),
                status: "PreSubmitted".into()
            }
        );
        let reply = json!([{"id":"99097238-9824","message":["You are submitting an order without market data"],"messageIds":["o354"],"isSuppressed":false}]);
        assert!(
            matches!(classify(&reply), Answer::ReplyNeeded { id, .. } if id == "99097238-9824")
        );
        assert_eq!(
            classify(&json!({"error":"Order not confirmed "})),
            Answer::Error("Order not confirmed ".into())
        );
        let prompt = json!({"messageId":"p12","orderId":123456789,"prompt":true,"reqId":"22170","text":"Price exceeds","options":["Use on this order"],"dismissable":[],"type":"M"});
        assert_eq!(
            classify(&prompt),
            Answer::Prompt {
                text: "Price exceeds".into(),
                order_id: Some("123456789".into())
            }
        );
    }

    #[test]
    fn states_and_symbols() {
        assert_eq!(map_state("Filled"), OrderState::Filled);
        assert_eq!(map_state("Inactive"), OrderState::Cancelled);
        assert_eq!(map_state("PreSubmitted"), OrderState::Working);
        let m = parse_ibkr_symbols(
            "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\nSP500,MES,CME,USD,5,1,FALSE\n",
        )
        .unwrap();
        assert_eq!(m["SP500"], ("MES".to_string(), "CME".to_string()));
        assert_eq!(num(&json!("1,234.5")), Some(1234.5));
    }
}
