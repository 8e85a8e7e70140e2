//! The fake Client Portal gateway: the endpoints and JSON shapes of
//! `shared/spec/price-sources-and-ibkr.md` (IBKR's OpenAPI examples) for prices, orders,
//! positions and accounts, with the session rules of the real one.
//!
//! - Session: nothing answers but 401 until someone "logged in" (`logged_in`); `/iserver/*` other
//!   than the auth calls answers 401 until `POST /iserver/auth/ssodh/init` (unless
//!   `session_initialised`); `/tickle` sets a session cookie, and the fake counts the requests that
//!   send it back. The session can be made to expire once after N history calls.
//! - Market: [`FakeGatewayConfig::standard`] lists crude-style monthly futures (CL, expiring in
//!   the month before their contract month) next to quarterly ones (ES) and quotes one product in
//!   a magnified unit (ZC in dollars); see [`standard_futures`].
//! - Contracts: `GET /trsrv/futures`, `/iserver/contract/{conid}/info` (`contract_month`,
//!   `multiplier`, `currency`, `local_symbol`), `/iserver/secdef/info?…&month=DEC24` (by IB's
//!   contract month, which for crude-style futures is the month after the expiry's),
//!   `/iserver/secdef/search`. Symbols it does not know get monthly futures 2020–2035 (expiring on
//!   the 15th) when `synthesize_futures`.
//! - History: `/iserver/marketdata/history` with bars in IB's units, at most
//!   `max_concurrent_history` in flight (429 beyond), scripted 429/503 answers, a delay.
//! - Orders: `POST /iserver/account/{acct}/orders` answering the four shapes (scripted per
//!   submission), `POST /iserver/reply/{id}`, status with transitions and partial fills by plan,
//!   `/iserver/account/orders`, `/iserver/account/trades`. It refuses a client order id it has
//!   seen and orders without `manualIndicator: false`. Fills are at the future's price in IB's
//!   units (a product quoted in a magnified unit simply has its prices in that unit here).
//! - Accounts and positions: `/iserver/accounts`, `/portfolio/accounts`,
//!   `/portfolio/{acct}/positions/{page}` (its own fills plus scripted extra positions, market
//!   prices in IB's units), `/portfolio/{acct}/summary` (net liquidation value).

use super::server::{Request, Response, TestServer};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One daily bar as IB sends it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FakeBar {
    /// Bar start, Unix milliseconds.
    pub t: i64,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
    pub v: f64,
}

/// A listed futures contract.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeFuture {
    pub symbol: String,
    pub exchange: String,
    pub conid: i64,
    /// `YYYYMMDD`.
    pub expiration: i64,
    /// IB's contract month `YYYYMM`; `None`: the expiry's month. Crude oil's December contract
    /// expires in November: `expiration: 20241120, contract_month: Some(202412)`.
    pub contract_month: Option<i64>,
    pub multiplier: f64,
    pub currency: String,
    /// `local_symbol` of the contract details (`VXZ4`, `VX51Z4`).
    pub local_symbol: Option<String>,
    /// Daily bars, in IB's units.
    pub bars: Vec<FakeBar>,
    /// Fill and market price in IB's units; `None`: the gateway's `default_price`.
    pub price: Option<f64>,
}

impl FakeFuture {
    /// A future with multiplier 1, currency USD, no bars.
    pub fn new(symbol: &str, exchange: &str, conid: i64, expiration: i64) -> Self {
        Self {
            symbol: symbol.to_string(),
            exchange: exchange.to_string(),
            conid,
            expiration,
            contract_month: None,
            multiplier: 1.0,
            currency: "USD".to_string(),
            local_symbol: None,
            bars: Vec::new(),
            price: None,
        }
    }

    /// IB's contract month, `YYYYMM`.
    pub fn month(&self) -> i64 {
        self.contract_month.unwrap_or(self.expiration / 100)
    }
}

/// A currency pair such as `EUR.USD` and its bars.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeSeries {
    pub pair: String,
    pub conid: i64,
    pub bars: Vec<FakeBar>,
}

/// How the fake answers one order submission.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmitShape {
    /// `[{order_id, order_status: "PreSubmitted"}]`.
    Success,
    /// `[{id, message[], messageIds}]` this many times (each confirmed by `/iserver/reply/{id}`),
    /// then success.
    ReplyNeeded(u32),
    /// `400 {"error": text}`; no order.
    Error(String),
    /// `{"messageId", "orderId", "prompt": true, "text", "options"}`; no order.
    Prompt(String),
}

/// How accepted orders fill as their status is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillPlan {
    /// The first status poll finds the order Filled.
    Immediate,
    /// Filled in this many parts, one per poll (Submitted while partly filled).
    Partial(u32),
    /// Stays Submitted without fills until [`FakeGateway::release`].
    Hold,
}

/// What the fake knows and how it behaves.
#[derive(Debug, Clone)]
pub struct FakeGatewayConfig {
    /// False: nobody logged in through the gateway's web page; everything answers 401.
    pub logged_in: bool,
    /// False: `/iserver/*` needs `/iserver/auth/ssodh/init` first.
    pub session_initialised: bool,
    pub futures: Vec<FakeFuture>,
    pub fx: Vec<FakeSeries>,
    /// Symbols not in `futures` get monthly futures 2020–2035 expiring on the 15th.
    pub synthesize_futures: bool,
    /// History calls in flight beyond this answer 429 (IB: 5).
    pub max_concurrent_history: usize,
    /// How long a history call takes (so concurrency is observable).
    pub history_delay: Duration,
    /// The first N history calls answer 429.
    pub history_429_first: usize,
    /// The next N history calls answer 503.
    pub history_503_first: usize,
    /// After this many history calls the session expires once (401 until re-initialised).
    pub expire_session_after: Option<usize>,
    pub account: String,
    /// `netliquidation` of the account summary, in `base_currency`.
    pub net_liquidation: f64,
    pub base_currency: String,
    /// Fill and market price of futures without their own.
    pub default_price: f64,
    /// Answers to successive submissions; [`SubmitShape::Success`] once exhausted.
    pub shapes: VecDeque<SubmitShape>,
    pub fill_plan: FillPlan,
    /// Time between receiving (and registering) a submission and answering it.
    pub submit_delay: Duration,
    /// Positions held beyond the fake's own fills: `(conid, position)`.
    pub extra_positions: Vec<(i64, i64)>,
    /// `/iserver/account/order/status` answers 503 (IB: orders of an earlier session).
    pub status_unavailable: bool,
}

impl Default for FakeGatewayConfig {
    fn default() -> Self {
        Self {
            logged_in: true,
            session_initialised: false,
            futures: Vec::new(),
            fx: Vec::new(),
            synthesize_futures: false,
            max_concurrent_history: 5,
            history_delay: Duration::from_millis(30),
            history_429_first: 0,
            history_503_first: 0,
            expire_session_after: None,
            account: "DU1234567".into(),
            net_liquidation: 1_000_000.0,
            base_currency: "USD".into(),
            default_price: 100.0,
            shapes: VecDeque::new(),
            fill_plan: FillPlan::Immediate,
            submit_delay: Duration::ZERO,
            extra_positions: Vec::new(),
            status_unavailable: false,
        }
    }
}

/// The contract months (`YYYYMM`) of the standard market, 2024–2027.
fn months(cycle: &[i64]) -> impl Iterator<Item = i64> + '_ {
    (2024..=2027i64).flat_map(move |y| cycle.iter().map(move |m| y * 100 + m))
}

/// Four daily bars (2024-01-02 to 2024-01-05, 23:00 UTC the evening before each trading date as
/// IB stamps them) around `price`.
fn standard_bars(price: f64) -> Vec<FakeBar> {
    const JAN_1_2024_23H: i64 = 1_704_150_000_000;
    (0..4)
        .map(|k| {
            let c = price * (1.0 + 0.001 * k as f64);
            FakeBar {
                t: JAN_1_2024_23H + k * 86_400_000,
                o: c,
                h: c * 1.01,
                l: c * 0.99,
                c,
                v: 1000.0,
            }
        })
        .collect()
}

/// The standard market of the project's fake gateway (what `ibkr-gateway-fake` serves and the
/// full-flow tests trade), contract months 2024–2027:
///
/// - `CL` on NYMEX (conid `1600000000 + YYYYMM`): crude-style monthly futures, multiplier 1000,
///   each contract month's future expiring on the 20th of the month *before* (IB's contract
///   month 202412 expires 2024-11-20), price 70;
/// - `ES` on CME (conid `1700000000 + YYYYMM`): quarterly (H M U Z), multiplier 50, expiring on
///   the 20th of the contract month, price 5000;
/// - `ZC` on CBOT (conid `1800000000 + YYYYMM`): corn in H K N U Z, multiplier 5000, quoted in a
///   magnified unit: dollars (4.8025), where a mapping with `priceMagnifier` 100 stores cents
///   (480.25); expiring on the 14th of the contract month.
///
/// Each has four daily bars (trading dates 2024-01-02 to 2024-01-05) in IB's units.
pub fn standard_futures() -> Vec<FakeFuture> {
    let mut out = Vec::new();
    for ym in months(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
        let prev = if ym % 100 == 1 { ym - 89 } else { ym - 1 };
        let mut f = FakeFuture::new("CL", "NYMEX", 1_600_000_000 + ym, prev * 100 + 20);
        f.contract_month = Some(ym);
        f.multiplier = 1000.0;
        f.price = Some(70.0);
        f.bars = standard_bars(70.0);
        out.push(f);
    }
    for ym in months(&[3, 6, 9, 12]) {
        let mut f = FakeFuture::new("ES", "CME", 1_700_000_000 + ym, ym * 100 + 20);
        f.multiplier = 50.0;
        f.price = Some(5000.0);
        f.bars = standard_bars(5000.0);
        out.push(f);
    }
    for ym in months(&[3, 5, 7, 9, 12]) {
        let mut f = FakeFuture::new("ZC", "CBOT", 1_800_000_000 + ym, ym * 100 + 14);
        f.multiplier = 5000.0;
        f.price = Some(4.8025);
        f.bars = standard_bars(4.8025);
        out.push(f);
    }
    out
}

impl FakeGatewayConfig {
    /// The fake as `ibkr-gateway-fake` runs it: the [`standard_futures`] (crude-style monthly
    /// CL next to quarterly ES, corn quoted in dollars), other symbols synthesised.
    pub fn standard() -> Self {
        Self {
            futures: standard_futures(),
            synthesize_futures: true,
            ..Self::default()
        }
    }
}

/// Counters for assertions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeGatewayStats {
    pub history_calls: usize,
    pub history_ok: usize,
    pub answered_429: usize,
    pub answered_503: usize,
    pub answered_401: usize,
    pub ssodh_inits: usize,
    pub tickles: usize,
    /// Most history calls in flight at once.
    pub max_in_flight: usize,
    /// `period` of every accepted history call.
    pub periods: Vec<String>,
    /// `/iserver/contract/{conid}/info` calls.
    pub contract_info_calls: usize,
    /// Requests after the first tickle that sent the session cookie back.
    pub requests_with_cookie: usize,
    /// Order submissions received (POSTs to `/orders`, whatever the answer).
    pub submissions: usize,
    /// `/iserver/reply` calls answered.
    pub replies_answered: usize,
}

#[derive(Debug, Clone)]
struct FakeOrder {
    id: i64,
    coid: String,
    conid: i64,
    symbol: String,
    sign: i64,
    total: i64,
    filled: i64,
    notional: f64,
    status: String,
    plan: FillPlan,
    /// The limit price sent (IB's units); `None` for a market order.
    limit: Option<f64>,
}

#[derive(Debug, Clone)]
struct Execution {
    id: i64,
    order_id: i64,
    coid: String,
    conid: i64,
    symbol: String,
    qty: i64,
    price: f64,
}

#[derive(Debug, Clone)]
struct Draft {
    coid: String,
    conid: i64,
    symbol: String,
    sign: i64,
    total: i64,
    limit: Option<f64>,
}

const SESSION_COOKIE: &str = "x-sess-uuid";

#[derive(Debug)]
struct State {
    cfg: FakeGatewayConfig,
    authenticated: bool,
    in_flight: usize,
    expired_once: bool,
    cookie: Option<String>,
    stats: FakeGatewayStats,
    orders: Vec<FakeOrder>,
    executions: Vec<Execution>,
    replies: BTreeMap<String, (Draft, u32)>,
    seen_coids: Vec<String>,
    next_id: i64,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The underlying's conid the fake gives a symbol.
fn underlying_conid(symbol: &str) -> i64 {
    11_000_000
        + symbol
            .bytes()
            .fold(0i64, |h, b| (h * 131 + i64::from(b)) % 1_000_000)
}

fn month_name(yyyymm: i64) -> String {
    const NAMES: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let m = usize::try_from(yyyymm % 100).unwrap_or(1).clamp(1, 12);
    format!("{}{:02}", NAMES[m - 1], (yyyymm / 100) % 100)
}

fn side(sign: i64) -> &'static str {
    if sign > 0 { "BUY" } else { "SELL" }
}

impl State {
    fn unauthorized(&mut self) -> Response {
        self.stats.answered_401 += 1;
        Response::json(401, r#"{"error":"not authenticated"}"#)
    }

    fn future(&self, conid: i64) -> Option<&FakeFuture> {
        self.cfg.futures.iter().find(|f| f.conid == conid)
    }

    fn price(&self, conid: i64) -> f64 {
        self.future(conid)
            .and_then(|f| f.price)
            .unwrap_or(self.cfg.default_price)
    }

    /// The futures of `symbol` on `exchange` (any exchange when empty), synthesising them if
    /// asked to.
    fn listed(&mut self, symbol: &str, exchange: &str) -> Vec<FakeFuture> {
        let matches =
            |f: &FakeFuture| f.symbol == symbol && (exchange.is_empty() || f.exchange == exchange);
        if !self.cfg.futures.iter().any(|f| f.symbol == symbol) && self.cfg.synthesize_futures {
            let base = 500_000_000 + (underlying_conid(symbol) - 11_000_000) * 1000;
            let exchange = if exchange.is_empty() { "CME" } else { exchange };
            for year in 2020..=2035i64 {
                for month in 1..=12i64 {
                    self.cfg.futures.push(FakeFuture::new(
                        symbol,
                        exchange,
                        base + (year - 2020) * 12 + month,
                        year * 10000 + month * 100 + 15,
                    ));
                }
            }
        }
        self.cfg
            .futures
            .iter()
            .filter(|f| matches(f))
            .cloned()
            .collect()
    }

    fn handle(&mut self, req: &Request) -> Response {
        let Some(path) = req.path.strip_prefix("/v1/api") else {
            return Response::json(404, r#"{"error":"not found"}"#);
        };
        if !self.cfg.logged_in {
            return self.unauthorized();
        }
        if let Some(c) = &self.cookie
            && req
                .header("cookie")
                .is_some_and(|h| h.contains(&format!("{SESSION_COOKIE}={c}")))
        {
            self.stats.requests_with_cookie += 1;
        }
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (req.method.as_str(), segs.as_slice()) {
            ("POST" | "GET", ["tickle"]) => self.tickle(),
            ("POST" | "GET", ["iserver", "auth", "status"]) => {
                Response::json(200, auth_status(self.authenticated).to_string())
            }
            ("POST", ["iserver", "auth", "ssodh", "init"]) => {
                self.stats.ssodh_inits += 1;
                self.authenticated = true;
                Response::json(200, auth_status(true).to_string())
            }
            ("GET", ["trsrv", "futures"]) => self.trsrv_futures(req),
            (_, ["iserver", ..]) if !self.authenticated => self.unauthorized(),
            (_, ["iserver", ..]) => self.iserver(req, &segs[1..]),
            ("GET", ["portfolio", "accounts"]) => {
                let a = &self.cfg.account;
                Response::json(
                    200,
                    json!([{"id": a, "accountId": a, "currency": self.cfg.base_currency, "type": "DEMO"}])
                        .to_string(),
                )
            }
            ("GET", ["portfolio", a, "positions", page]) if *a == self.cfg.account => {
                let page: usize = page.parse().unwrap_or(0);
                let chunk: Vec<Value> = self
                    .positions()
                    .into_iter()
                    .skip(page * 100)
                    .take(100)
                    .collect();
                Response::json(200, Value::Array(chunk).to_string())
            }
            ("GET", ["portfolio", a, "summary"]) if *a == self.cfg.account => {
                let value = |amount: f64| {
                    json!({"amount": amount, "currency": self.cfg.base_currency, "isNull": false,
                           "timestamp": 1_747_229_400_000i64, "value": null, "severity": 0})
                };
                Response::json(
                    200,
                    json!({"netliquidation": value(self.cfg.net_liquidation),
                           "totalcashvalue": value(self.cfg.net_liquidation),
                           "accountcode": {"amount": 0.0, "currency": null, "isNull": false,
                                           "timestamp": 1_747_229_400_000i64, "value": self.cfg.account,
                                           "severity": 0}})
                    .to_string(),
                )
            }
            _ => not_found(req),
        }
    }

    fn tickle(&mut self) -> Response {
        self.stats.tickles += 1;
        let cookie = self
            .cookie
            .get_or_insert_with(|| "0123456789abcdef0123456789abcdef".to_string())
            .clone();
        let auth = self.authenticated;
        Response::json(
            200,
            json!({"session":"0123456789abcdef","ssoExpires":560000,"collission":false,
                   "userId":12345678,"hmds":{"error":"no bridge"},
                   "iserver":{"authStatus":{"authenticated":auth,"competing":false,"connected":true,
                              "message":"","MAC":"00:00:00:00:00:00",
                              "serverInfo":{"serverName":"fake","serverVersion":"Build 10.25.0"}}}})
            .to_string(),
        )
        .with_header(
            "Set-Cookie",
            &format!("{SESSION_COOKIE}={cookie}; Path=/; HttpOnly"),
        )
    }

    fn trsrv_futures(&mut self, req: &Request) -> Response {
        let symbols = req.query.get("symbols").cloned().unwrap_or_default();
        let exchange = req.query.get("exchange").cloned().unwrap_or_default();
        let mut out = serde_json::Map::new();
        for sym in symbols.split(',').filter(|s| !s.is_empty()) {
            let list: Vec<Value> = self
                .listed(sym, &exchange)
                .iter()
                .map(|f| {
                    json!({"symbol": f.symbol, "conid": f.conid,
                           "underlyingConid": underlying_conid(&f.symbol),
                           "expirationDate": f.expiration, "ltd": f.expiration,
                           "shortFuturesCutOff": f.expiration, "longFuturesCutOff": f.expiration})
                })
                .collect();
            out.insert(sym.to_string(), Value::Array(list));
        }
        Response::json(200, Value::Object(out).to_string())
    }

    fn iserver(&mut self, req: &Request, segs: &[&str]) -> Response {
        let acct = self.cfg.account.clone();
        match (req.method.as_str(), segs) {
            ("GET", ["accounts"]) => Response::json(
                200,
                json!({"accounts": [acct], "selectedAccount": acct, "isPaper": true,
                       "acctProps": {}, "aliases": {}})
                .to_string(),
            ),
            ("GET", ["secdef", "search"]) => self.secdef_search(req),
            ("GET", ["secdef", "info"]) => self.secdef_info(req),
            ("GET", ["contract", conid, "info"]) => {
                self.stats.contract_info_calls += 1;
                let Some(f) = conid.parse().ok().and_then(|c| self.future(c)) else {
                    return Response::json(400, r#"{"error":"unknown conid"}"#);
                };
                Response::json(
                    200,
                    json!({"con_id": f.conid, "symbol": f.symbol,
                           "local_symbol": f.local_symbol.clone().unwrap_or_else(|| f.symbol.clone()),
                           "instrument_type": "FUT", "contract_month": f.month().to_string(),
                           "expiry_full": f.expiration.to_string(),
                           "maturity_date": f.expiration.to_string(),
                           "multiplier": f.multiplier.to_string(), "currency": f.currency,
                           "exchange": f.exchange, "trading_class": f.symbol,
                           "underlying_con_id": underlying_conid(&f.symbol),
                           "valid_exchanges": f.exchange, "r_t_h": true, "company_name": f.symbol})
                    .to_string(),
                )
            }
            ("POST", ["account", a, "orders"]) if *a == acct => self.submit(req),
            ("POST", ["reply", id]) => {
                let id = id.to_string();
                self.reply(&id, req)
            }
            ("GET", ["account", "order", "status", _]) if self.cfg.status_unavailable => {
                Response::json(503, json!({"error": "Service Unavailable"}).to_string())
            }
            ("GET", ["account", "order", "status", id]) => self.order_status(id),
            ("GET", ["account", "orders"]) => {
                let orders: Vec<Value> = self.orders.iter().map(order_json).collect();
                Response::json(200, json!({"orders": orders, "snapshot": true}).to_string())
            }
            ("GET", ["account", "trades"]) => {
                let t: Vec<Value> = self
                    .executions
                    .iter()
                    .map(|e| {
                        json!({"execution_id": format!("0000e0d5.{:08}.01.01", e.id), "order_id": e.order_id,
                               "order_ref": e.coid, "conid": e.conid, "symbol": e.symbol,
                               "side": if e.qty > 0 { "B" } else { "S" }, "size": e.qty.abs(),
                               "price": e.price.to_string(), "commission": "1.0",
                               "trade_time": "20240105-15:00:00", "account": acct, "sec_type": "FUT"})
                    })
                    .collect();
                Response::json(200, Value::Array(t).to_string())
            }
            _ => not_found(req),
        }
    }

    fn secdef_search(&self, req: &Request) -> Response {
        let symbol = req.query.get("symbol").cloned().unwrap_or_default();
        let mut out = Vec::new();
        for s in self.cfg.fx.iter().filter(|s| s.pair == symbol) {
            out.push(json!({"conid": s.conid.to_string(), "companyHeader": format!("{} - IDEALPRO", s.pair),
                            "companyName": null, "description": "IDEALPRO", "symbol": s.pair,
                            "restricted": null, "fop": null, "opt": null, "war": null,
                            "sections": [{"secType": "CASH", "exchange": "IDEALPRO;"}]}));
        }
        let futures: Vec<&FakeFuture> = self
            .cfg
            .futures
            .iter()
            .filter(|f| f.symbol == symbol)
            .collect();
        if let Some(f) = futures.first() {
            let months: Vec<String> = futures.iter().map(|f| month_name(f.month())).collect();
            out.push(json!({"conid": underlying_conid(&f.symbol).to_string(),
                            "companyHeader": format!("{} - {}", f.symbol, f.exchange),
                            "companyName": f.symbol, "description": f.exchange, "symbol": f.symbol,
                            "restricted": null, "fop": null, "opt": null, "war": null,
                            "sections": [{"secType": "FUT", "months": months.join(";"), "exchange": f.exchange}]}));
        }
        Response::json(200, Value::Array(out).to_string())
    }

    fn secdef_info(&self, req: &Request) -> Response {
        let conid: i64 = req
            .query
            .get("conid")
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let month = req.query.get("month").map(|m| m.to_ascii_uppercase());
        let exchange = req.query.get("exchange").filter(|e| !e.is_empty());
        let list: Vec<Value> = self
            .cfg
            .futures
            .iter()
            .filter(|f| f.conid == conid || underlying_conid(&f.symbol) == conid)
            .filter(|f| month.as_ref().is_none_or(|m| *m == month_name(f.month())))
            .filter(|f| exchange.is_none_or(|e| *e == f.exchange))
            .map(|f| {
                json!({"conid": f.conid, "ticker": f.symbol, "secType": "FUT", "exchange": f.exchange,
                       "listingExchange": f.exchange, "currency": f.currency,
                       "maturityDate": f.expiration.to_string(), "strike": 0, "right": "?",
                       "validExchanges": f.exchange, "companyName": f.symbol,
                       "multiplier": f.multiplier.to_string()})
            })
            .collect();
        Response::json(200, Value::Array(list).to_string())
    }

    fn create(&mut self, d: Draft) -> i64 {
        self.next_id += 1;
        let id = 1_000_000 + self.next_id;
        self.orders.push(FakeOrder {
            id,
            coid: d.coid,
            conid: d.conid,
            symbol: d.symbol,
            sign: d.sign,
            total: d.total,
            filled: 0,
            notional: 0.0,
            status: "PreSubmitted".into(),
            plan: self.cfg.fill_plan,
            limit: d.limit,
        });
        id
    }

    fn fill(&mut self, idx: usize, qty: i64) {
        let price = self.price(self.orders[idx].conid);
        let o = &mut self.orders[idx];
        let qty = qty.min(o.total - o.filled);
        if qty <= 0 {
            return;
        }
        o.filled += qty;
        o.notional += qty as f64 * price;
        o.status = if o.filled == o.total {
            "Filled"
        } else {
            "Submitted"
        }
        .into();
        let e = Execution {
            id: self.executions.len() as i64 + 1,
            order_id: o.id,
            coid: o.coid.clone(),
            conid: o.conid,
            symbol: o.symbol.clone(),
            qty: qty * o.sign,
            price,
        };
        self.executions.push(e);
    }

    /// One status poll: the order moves along its fill plan.
    fn advance(&mut self, idx: usize) {
        let o = &mut self.orders[idx];
        if o.status == "Filled" || o.status == "Cancelled" {
            return;
        }
        match o.plan {
            FillPlan::Immediate => {
                let q = o.total;
                self.fill(idx, q);
            }
            FillPlan::Partial(n) => {
                let step = (o.total + i64::from(n) - 1) / i64::from(n.max(1));
                self.fill(idx, step.max(1));
            }
            FillPlan::Hold => o.status = "Submitted".into(),
        }
    }

    fn order_status(&mut self, id: &str) -> Response {
        let Some(idx) = self.orders.iter().position(|o| o.id.to_string() == id) else {
            return Response::json(503, json!({"error": "order not found"}).to_string());
        };
        self.advance(idx);
        let o = &self.orders[idx];
        Response::json(
            200,
            json!({"order_id": o.id, "order_status": o.status, "conid": o.conid,
                   "symbol": o.symbol, "side": side(o.sign),
                   "size": (o.total - o.filled).to_string(), "total_size": o.total.to_string(),
                   "cum_fill": o.filled.to_string(),
                   "average_price": if o.filled > 0 { (o.notional / o.filled as f64).to_string() } else { String::new() },
                   "order_type": "MKT", "tif": "DAY", "sec_type": "FUT", "account": self.cfg.account})
            .to_string(),
        )
    }

    fn submit(&mut self, req: &Request) -> Response {
        let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
        let Some(o) = body.get("orders").and_then(|a| a.get(0)) else {
            return Response::json(400, json!({"error": "no orders"}).to_string());
        };
        if o.get("manualIndicator") != Some(&Value::Bool(false)) {
            return Response::json(
                200,
                json!({"error": "Orders for USFUT products that do not include manualIndicator will be rejected"})
                    .to_string(),
            );
        }
        let coid = o
            .get("cOID")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let conid = o.get("conid").and_then(Value::as_i64).unwrap_or(0);
        let qty = o.get("quantity").and_then(Value::as_i64).unwrap_or(0);
        let order_side = o.get("side").and_then(Value::as_str).unwrap_or("");
        let Some(symbol) = self.future(conid).map(|f| f.symbol.clone()) else {
            return Response::json(
                200,
                json!({"error": format!("unknown conid {conid}")}).to_string(),
            );
        };
        let order_type = o.get("orderType").and_then(Value::as_str).unwrap_or("");
        let priced = o.get("price").and_then(Value::as_f64).is_some();
        if qty <= 0
            || !matches!(order_side, "BUY" | "SELL")
            || o.get("tif").is_none()
            || !matches!((order_type, priced), ("MKT", false) | ("LMT", true))
        {
            return Response::json(200, json!({"error": "bad order"}).to_string());
        }
        if !coid.is_empty() && self.seen_coids.contains(&coid) {
            return Response::json(
                200,
                json!({"error": format!("duplicate cOID {coid}")}).to_string(),
            );
        }
        let draft = Draft {
            coid: coid.clone(),
            conid,
            symbol,
            sign: if order_side == "BUY" { 1 } else { -1 },
            total: qty,
            limit: o.get("price").and_then(Value::as_f64),
        };
        match self.cfg.shapes.pop_front().unwrap_or(SubmitShape::Success) {
            SubmitShape::Success => {
                self.seen_coids.push(coid);
                let id = self.create(draft);
                Response::json(
                    200,
                    json!([{"order_id": id.to_string(), "order_status": "PreSubmitted", "encrypt_message": "1"}])
                        .to_string(),
                )
            }
            SubmitShape::ReplyNeeded(n) => self.reply_needed(draft, n),
            SubmitShape::Error(e) => Response::json(400, json!({"error": e}).to_string()),
            SubmitShape::Prompt(text) => Response::json(
                200,
                json!({"messageId": "p12", "orderId": 123456789, "prompt": true, "reqId": "22170",
                       "text": text, "options": ["Use on this order", "Always use", "Do not use"],
                       "dismissable": [], "type": "M"})
                .to_string(),
            ),
        }
    }

    fn reply_needed(&mut self, draft: Draft, remaining: u32) -> Response {
        self.next_id += 1;
        let id = format!("99097238-9824-4830-84ef-{:012}", self.next_id);
        self.replies
            .insert(id.clone(), (draft, remaining.saturating_sub(1)));
        Response::json(
            200,
            json!([{"id": id, "message": ["You are submitting an order without market data. We strongly recommend against this as it may result in erroneous and unexpected trades. Are you sure you want to submit this order?"],
                    "messageIds": ["o354"], "isSuppressed": false}])
            .to_string(),
        )
    }

    fn reply(&mut self, id: &str, req: &Request) -> Response {
        self.stats.replies_answered += 1;
        let confirmed = serde_json::from_str::<Value>(&req.body)
            .ok()
            .and_then(|v| v.get("confirmed").and_then(Value::as_bool))
            == Some(true);
        let Some((draft, remaining)) = self.replies.remove(id) else {
            return Response::json(
                400,
                json!({"error": format!("reply id not found: '{id}'")}).to_string(),
            );
        };
        if !confirmed {
            return Response::json(200, json!({"error": "Order not confirmed "}).to_string());
        }
        if remaining > 0 {
            return self.reply_needed(draft, remaining);
        }
        self.seen_coids.push(draft.coid.clone());
        let oid = self.create(draft);
        Response::json(
            200,
            json!([{"order_id": oid.to_string(), "order_status": "Submitted", "encrypt_message": "1"}]).to_string(),
        )
    }

    fn positions(&self) -> Vec<Value> {
        let mut by: BTreeMap<i64, (i64, f64)> = BTreeMap::new();
        for e in &self.executions {
            let p = by.entry(e.conid).or_default();
            p.0 += e.qty;
            p.1 += e.qty as f64 * e.price;
        }
        for (c, q) in &self.cfg.extra_positions {
            let price = self.price(*c);
            let p = by.entry(*c).or_default();
            p.0 += q;
            p.1 += *q as f64 * price;
        }
        by.into_iter()
            .filter(|(_, (p, _))| *p != 0)
            .map(|(conid, (p, cost))| {
                let f = self.future(conid);
                let (sym, exp, month, mult, ccy, exch) = f.map_or_else(
                    || {
                        (
                            String::from("?"),
                            0,
                            0,
                            1.0,
                            String::from("USD"),
                            String::new(),
                        )
                    },
                    |f| {
                        (
                            f.symbol.clone(),
                            f.expiration,
                            f.month(),
                            f.multiplier,
                            f.currency.clone(),
                            f.exchange.clone(),
                        )
                    },
                );
                let price = self.price(conid);
                json!({"acctId": self.cfg.account, "conid": conid,
                       "contractDesc": format!("{sym} {} @{exch}", month_name(month)),
                       "position": p as f64, "mktPrice": price, "mktValue": p as f64 * price * mult,
                       "avgPrice": cost / p as f64, "avgCost": cost / p as f64 * mult,
                       "currency": ccy, "assetClass": "FUT", "ticker": sym,
                       "expiry": exp.to_string(), "lastTradingDay": exp.to_string(),
                       "multiplier": mult, "listingExchange": exch})
            })
            .collect()
    }
}

fn order_json(o: &FakeOrder) -> Value {
    json!({
        "acct": "",
        "orderId": o.id,
        "conid": o.conid,
        "ticker": o.symbol,
        "side": side(o.sign),
        "orderType": if o.limit.is_some() { "LMT" } else { "MKT" },
        "price": o.limit,
        "status": o.status,
        "filledQuantity": o.filled,
        "remainingQuantity": o.total - o.filled,
        "totalSize": o.total,
        "avgPrice": if o.filled > 0 { json!(format!("{}", o.notional / o.filled as f64)) } else { json!("") },
        "timeInForce": "DAY",
        "order_ref": o.coid,
    })
}

fn auth_status(authenticated: bool) -> Value {
    json!({"authenticated": authenticated, "competing": false, "connected": true,
           "established": authenticated, "message": "", "fail": "", "MAC": "00:00:00:00:00:00",
           "hardware_info": "fake|fake",
           "serverInfo": {"serverName": "fake", "serverVersion": "Build 10.25.0"}})
}

fn not_found(req: &Request) -> Response {
    Response::json(
        404,
        json!({"error": format!("no route {} {}", req.method, req.path)}).to_string(),
    )
}

fn valid_period(p: &str) -> bool {
    let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
    let unit = &p[digits.len()..];
    !digits.is_empty() && matches!(unit, "min" | "h" | "d" | "w" | "m" | "y")
}

/// `/iserver/marketdata/history`, outside the lock while it "takes" `history_delay`.
fn history(state: &Mutex<State>, req: &Request) -> Response {
    let delay;
    {
        let mut st = lock(state);
        if !st.cfg.logged_in {
            return st.unauthorized();
        }
        if !st.authenticated {
            return st.unauthorized();
        }
        st.stats.history_calls += 1;
        if st.in_flight >= st.cfg.max_concurrent_history {
            st.stats.answered_429 += 1;
            return Response::json(429, r#"{"error":"Too many requests"}"#);
        }
        if st.cfg.history_429_first > 0 {
            st.cfg.history_429_first -= 1;
            st.stats.answered_429 += 1;
            return Response::json(429, r#"{"error":"Too many requests"}"#);
        }
        if st.cfg.history_503_first > 0 {
            st.cfg.history_503_first -= 1;
            st.stats.answered_503 += 1;
            return Response::json(503, r#"{"error":"Service Unavailable"}"#);
        }
        if let Some(n) = st.cfg.expire_session_after
            && st.stats.history_calls > n
            && !st.expired_once
        {
            st.expired_once = true;
            st.authenticated = false;
            return st.unauthorized();
        }
        st.in_flight += 1;
        st.stats.max_in_flight = st.stats.max_in_flight.max(st.in_flight);
        delay = st.cfg.history_delay;
    }
    std::thread::sleep(delay);
    let mut st = lock(state);
    st.in_flight -= 1;
    let Some(conid) = req.query.get("conid").and_then(|c| c.parse::<i64>().ok()) else {
        return Response::json(400, r#"{"error":"conid required"}"#);
    };
    let period = req.query.get("period").cloned().unwrap_or_default();
    if !valid_period(&period) || !req.query.contains_key("bar") {
        return Response::json(400, r#"{"error":"bad period or bar"}"#);
    }
    let (symbol, bars) = if let Some(f) = st.future(conid) {
        (f.symbol.clone(), f.bars.clone())
    } else if let Some(s) = st.cfg.fx.iter().find(|s| s.conid == conid) {
        (s.pair.clone(), s.bars.clone())
    } else {
        return Response::json(400, r#"{"error":"unknown conid"}"#);
    };
    st.stats.history_ok += 1;
    st.stats.periods.push(period.clone());
    let data: Vec<Value> = bars
        .iter()
        .map(|b| json!({"o": b.o, "h": b.h, "l": b.l, "c": b.c, "v": b.v, "t": b.t}))
        .collect();
    Response::json(
        200,
        json!({"symbol": symbol, "text": symbol, "timePeriod": period, "barLength": 86400,
               "startTime": "20250513-13:30:00", "chartPanStartTime": "20250521-00:00:00", "direction": -1,
               "mdAvailability": "S", "mktDataDelay": 0, "outsideRth": false, "negativeCapable": false,
               "priceFactor": 100, "volumeFactor": 100, "priceDisplayRule": 1, "priceDisplayValue": "2",
               "high": "21394/266616.18/1440", "low": "20426/267569.89/8640", "points": data.len(),
               "messageVersion": 2, "serverId": "4155828", "travelTime": 2, "data": data})
        .to_string(),
    )
}

/// A running fake gateway.
pub struct FakeGateway {
    server: TestServer,
    state: Arc<Mutex<State>>,
}

impl FakeGateway {
    /// Plain HTTP on 127.0.0.1 at an ephemeral port.
    pub fn start(cfg: FakeGatewayConfig) -> Self {
        Self::start_on(0, false, cfg)
    }

    /// On 127.0.0.1 at `port` (0: ephemeral); `tls`: HTTPS with a self-signed certificate, as the
    /// real gateway.
    pub fn start_on(port: u16, tls: bool, cfg: FakeGatewayConfig) -> Self {
        let state = Arc::new(Mutex::new(State {
            authenticated: cfg.session_initialised,
            cfg,
            in_flight: 0,
            expired_once: false,
            cookie: None,
            stats: FakeGatewayStats::default(),
            orders: Vec::new(),
            executions: Vec::new(),
            replies: BTreeMap::new(),
            seen_coids: Vec::new(),
            next_id: 0,
        }));
        let s2 = Arc::clone(&state);
        let handler = move |req: &Request| {
            if req.path == "/v1/api/iserver/marketdata/history" {
                return history(&s2, req);
            }
            let is_submit = req.method == "POST" && req.path.ends_with("/orders");
            let (resp, delay) = {
                let mut st = lock(&s2);
                if is_submit {
                    st.stats.submissions += 1;
                }
                (st.handle(req), st.cfg.submit_delay)
            };
            if is_submit && !delay.is_zero() {
                // The order is registered; the answer comes late (a client killed meanwhile never
                // hears of it).
                std::thread::sleep(delay);
            }
            resp
        };
        let server = if tls {
            TestServer::start_tls(port, handler)
        } else {
            TestServer::start_on(port, handler)
        };
        Self { server, state }
    }

    /// The API base URL to give a client: `http://127.0.0.1:PORT/v1/api` (`https://` with TLS).
    pub fn base_url(&self) -> String {
        format!("{}/v1/api", self.server.url())
    }

    pub fn stats(&self) -> FakeGatewayStats {
        lock(&self.state).stats.clone()
    }

    /// Order submissions received (POSTs to `/orders`, whatever the answer).
    pub fn submissions(&self) -> usize {
        lock(&self.state).stats.submissions
    }

    /// Orders accepted.
    pub fn order_count(&self) -> usize {
        lock(&self.state).orders.len()
    }

    /// `/iserver/reply` calls answered.
    pub fn replies_answered(&self) -> usize {
        lock(&self.state).stats.replies_answered
    }

    /// `(client order id, signed total, signed filled, status)` of every accepted order.
    pub fn orders(&self) -> Vec<(String, i64, i64, String)> {
        lock(&self.state)
            .orders
            .iter()
            .map(|o| {
                (
                    o.coid.clone(),
                    o.total * o.sign,
                    o.filled * o.sign,
                    o.status.clone(),
                )
            })
            .collect()
    }

    /// The conid of every accepted order.
    pub fn order_conids(&self) -> Vec<i64> {
        lock(&self.state).orders.iter().map(|o| o.conid).collect()
    }

    /// The limit price (IB's units) of every accepted order; `None` for market orders.
    pub fn limit_prices(&self) -> Vec<Option<f64>> {
        lock(&self.state).orders.iter().map(|o| o.limit).collect()
    }

    /// Fills every held order completely (as if the market traded while nobody watched).
    pub fn release(&self) {
        let mut st = lock(&self.state);
        st.cfg.fill_plan = FillPlan::Immediate;
        for i in 0..st.orders.len() {
            st.orders[i].plan = FillPlan::Immediate;
            let q = st.orders[i].total;
            st.fill(i, q);
        }
    }

    /// Changes the set-up while running.
    pub fn configure(&self, f: impl FnOnce(&mut FakeGatewayConfig)) {
        f(&mut lock(&self.state).cfg);
    }

    /// The conid of `symbol`'s future of IB contract month `yyyymm` (synthesising the list if set
    /// to).
    pub fn conid_of_month(&self, symbol: &str, yyyymm: i64) -> Option<i64> {
        lock(&self.state)
            .listed(symbol, "")
            .into_iter()
            .find(|f| f.month() == yyyymm)
            .map(|f| f.conid)
    }

    /// The conid of `symbol`'s future expiring in `yyyymm` (synthesising the list if set to).
    pub fn conid(&self, symbol: &str, yyyymm: i64) -> Option<i64> {
        lock(&self.state)
            .listed(symbol, "")
            .into_iter()
            .find(|f| f.expiration / 100 == yyyymm)
            .map(|f| f.conid)
    }
}
