//! A fake IB Client Portal gateway for the order side (shapes from
//! `shared/spec/price-sources-and-ibkr.md`, IBKR's OpenAPI examples):
//! `GET /iserver/accounts`, `GET /trsrv/futures`, `POST /iserver/account/{acct}/orders` answering
//! with the four shapes (success, reply-needed, error, prompt), `POST /iserver/reply/{id}`,
//! `GET /iserver/account/order/status/{id}` with status transitions and partial/full fills,
//! `GET /iserver/account/orders`, `GET /iserver/account/trades`, `GET /portfolio/accounts`,
//! `GET /portfolio/{acct}/positions/{page}`. It counts order submissions, refuses a `cOID` it has
//! already seen and orders without `manualIndicator: false`.

use super::server::{Request, Response, TestServer};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How the fake answers one order submission.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmitShape {
    /// `[{order_id, order_status: "PreSubmitted"}]`.
    Success,
    /// `[{id, message[], messageIds}]` this many times (each confirmed by `/iserver/reply/{id}`),
    /// then success.
    ReplyNeeded(u32),
    /// `{"error": text}`; no order.
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
    /// Stays Submitted without fills until [`FakeIbkrOrders::release`].
    Hold,
}

/// The fake's set-up.
#[derive(Debug, Clone)]
pub struct FakeOrdersConfig {
    pub account: String,
    /// False: every call answers 401.
    pub logged_in: bool,
    /// Symbol → listed futures `(conid, expirationDate YYYYMMDD)`.
    pub futures: BTreeMap<String, Vec<(i64, i64)>>,
    /// Symbols not in `futures` get monthly contracts 2020–2035 (expiring on the 15th).
    pub synthesize_futures: bool,
    /// Fill price per conid (default `default_price`).
    pub prices: BTreeMap<i64, f64>,
    pub default_price: f64,
    /// Answers to successive submissions; [`SubmitShape::Success`] once exhausted.
    pub shapes: VecDeque<SubmitShape>,
    pub fill_plan: FillPlan,
    /// Time between receiving (and counting) a submission and answering it.
    pub submit_delay: Duration,
    /// Positions the broker holds beyond its own fills: `(conid, position)`.
    pub extra_positions: Vec<(i64, i64)>,
    /// `/iserver/account/order/status` answers 503 (IB: orders of an earlier session).
    pub status_unavailable: bool,
}

impl Default for FakeOrdersConfig {
    fn default() -> Self {
        Self {
            account: "DU1234567".into(),
            logged_in: true,
            futures: BTreeMap::new(),
            synthesize_futures: true,
            prices: BTreeMap::new(),
            default_price: 100.0,
            shapes: VecDeque::new(),
            fill_plan: FillPlan::Immediate,
            submit_delay: Duration::ZERO,
            extra_positions: Vec::new(),
            status_unavailable: false,
        }
    }
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
    polls: u32,
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
}

#[derive(Debug, Default)]
struct State {
    config: FakeOrdersConfig,
    orders: Vec<FakeOrder>,
    executions: Vec<Execution>,
    replies: BTreeMap<String, (Draft, u32)>,
    seen_coids: Vec<String>,
    submissions: usize,
    replies_answered: usize,
    next_id: i64,
    conids: BTreeMap<i64, (String, i64)>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    fn listed(&mut self, symbol: &str) -> Vec<(i64, i64)> {
        if let Some(l) = self.config.futures.get(symbol) {
            let l = l.clone();
            for (c, e) in &l {
                self.conids.insert(*c, (symbol.to_string(), *e));
            }
            return l;
        }
        if !self.config.synthesize_futures {
            return Vec::new();
        }
        let base = 500_000_000
            + symbol
                .bytes()
                .fold(0i64, |h, b| (h * 131 + i64::from(b)) % 1_000_000)
                * 1000;
        let mut out = Vec::new();
        for year in 2020..=2035i64 {
            for month in 1..=12i64 {
                let conid = base + (year - 2020) * 12 + month;
                let exp = year * 10000 + month * 100 + 15;
                self.conids.insert(conid, (symbol.to_string(), exp));
                out.push((conid, exp));
            }
        }
        self.config.futures.insert(symbol.to_string(), out.clone());
        out
    }

    fn price(&self, conid: i64) -> f64 {
        self.config
            .prices
            .get(&conid)
            .copied()
            .unwrap_or(self.config.default_price)
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
            plan: self.config.fill_plan,
            polls: 0,
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
        o.polls += 1;
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

    fn order_json(o: &FakeOrder) -> Value {
        json!({
            "acct": "",
            "orderId": o.id,
            "conid": o.conid,
            "ticker": o.symbol,
            "side": if o.sign > 0 { "BUY" } else { "SELL" },
            "orderType": "MKT",
            "status": o.status,
            "filledQuantity": o.filled,
            "remainingQuantity": o.total - o.filled,
            "totalSize": o.total,
            "avgPrice": if o.filled > 0 { json!(format!("{}", o.notional / o.filled as f64)) } else { json!("") },
            "timeInForce": "DAY",
            "order_ref": o.coid,
        })
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
        let side = o.get("side").and_then(Value::as_str).unwrap_or("");
        let Some((symbol, _)) = self.conids.get(&conid).cloned() else {
            return Response::json(
                200,
                json!({"error": format!("unknown conid {conid}")}).to_string(),
            );
        };
        if qty <= 0 || !matches!(side, "BUY" | "SELL") || o.get("tif").is_none() {
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
            sign: if side == "BUY" { 1 } else { -1 },
            total: qty,
        };
        let shape = self
            .config
            .shapes
            .pop_front()
            .unwrap_or(SubmitShape::Success);
        match shape {
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
        self.replies_answered += 1;
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

    fn positions(&mut self) -> Vec<Value> {
        let mut by: BTreeMap<i64, i64> = BTreeMap::new();
        for e in &self.executions {
            *by.entry(e.conid).or_default() += e.qty;
        }
        for (c, p) in &self.config.extra_positions {
            *by.entry(*c).or_default() += p;
        }
        by.into_iter()
            .filter(|(_, p)| *p != 0)
            .map(|(conid, p)| {
                let (sym, exp) = self.conids.get(&conid).cloned().unwrap_or_default();
                json!({"acctId": self.config.account, "conid": conid,
                       "contractDesc": format!("{sym} {exp}"), "position": p as f64,
                       "mktPrice": self.price(conid), "currency": "USD", "assetClass": "FUT",
                       "ticker": sym, "expiry": exp.to_string(), "multiplier": 1.0})
            })
            .collect()
    }

    fn handle(&mut self, req: &Request) -> Response {
        if !self.config.logged_in {
            return Response::json(401, json!({"error": "not authenticated"}).to_string());
        }
        let acct = self.config.account.clone();
        let path = req.path.trim_start_matches("/v1/api");
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (req.method.as_str(), segs.as_slice()) {
            ("GET", ["iserver", "accounts"]) => Response::json(
                200,
                json!({"accounts": [acct], "selectedAccount": acct, "isPaper": true,
                       "acctProps": {}, "aliases": {}})
                .to_string(),
            ),
            ("GET", ["trsrv", "futures"]) => {
                let mut out = serde_json::Map::new();
                for sym in req
                    .query
                    .split('&')
                    .filter_map(|kv| kv.strip_prefix("symbols="))
                    .flat_map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>())
                {
                    let list: Vec<Value> = self
                        .listed(&sym)
                        .into_iter()
                        .map(|(conid, exp)| {
                            json!({"conid": conid, "expirationDate": exp, "ltd": exp,
                                   "symbol": sym, "underlyingConid": 11004968})
                        })
                        .collect();
                    out.insert(sym.clone(), Value::Array(list));
                }
                Response::json(200, Value::Object(out).to_string())
            }
            ("POST", ["iserver", "account", a, "orders"]) if *a == acct => self.submit(req),
            ("POST", ["iserver", "reply", id]) => {
                let id = id.to_string();
                self.reply(&id, req)
            }
            ("GET", ["iserver", "account", "order", "status", _])
                if self.config.status_unavailable =>
            {
                Response::json(503, json!({"error": "Service Unavailable"}).to_string())
            }
            ("GET", ["iserver", "account", "order", "status", id]) => {
                let Some(idx) = self.orders.iter().position(|o| o.id.to_string() == *id) else {
                    return Response::json(503, json!({"error": "order not found"}).to_string());
                };
                self.advance(idx);
                let o = &self.orders[idx];
                Response::json(
                    200,
                    json!({"order_id": o.id, "order_status": o.status, "conid": o.conid,
                           "symbol": o.symbol, "side": if o.sign > 0 { "BUY" } else { "SELL" },
                           "size": (o.total - o.filled).to_string(), "total_size": o.total.to_string(),
                           "cum_fill": o.filled.to_string(),
                           "average_price": if o.filled > 0 { (o.notional / o.filled as f64).to_string() } else { String::new() },
                           "order_type": "MKT", "tif": "DAY", "sec_type": "FUT", "account": acct})
                    .to_string(),
                )
            }
            ("GET", ["iserver", "account", "orders"]) => {
                let orders: Vec<Value> = self.orders.iter().map(Self::order_json).collect();
                Response::json(200, json!({"orders": orders, "snapshot": true}).to_string())
            }
            ("GET", ["iserver", "account", "trades"]) => {
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
            ("GET", ["portfolio", "accounts"]) => Response::json(
                200,
                json!([{"id": acct, "accountId": acct, "currency": "USD", "type": "DEMO"}])
                    .to_string(),
            ),
            ("GET", ["portfolio", a, "positions", page]) if *a == acct => {
                let page: usize = page.parse().unwrap_or(0);
                let all = self.positions();
                let chunk: Vec<Value> = all.into_iter().skip(page * 100).take(100).collect();
                Response::json(200, Value::Array(chunk).to_string())
            }
            _ => Response::json(
                404,
                json!({"error": format!("no route {} {}", req.method, req.path)}).to_string(),
            ),
        }
    }
}

/// A running fake gateway.
pub struct FakeIbkrOrders {
    server: TestServer,
    state: Arc<Mutex<State>>,
}

impl FakeIbkrOrders {
    /// Starts on 127.0.0.1 at an ephemeral port.
    pub fn start(config: FakeOrdersConfig) -> Self {
        Self::start_on(0, config)
    }

    /// Starts on 127.0.0.1 at `port` (0: ephemeral).
    pub fn start_on(port: u16, config: FakeOrdersConfig) -> Self {
        let state = Arc::new(Mutex::new(State {
            config,
            ..State::default()
        }));
        let s2 = Arc::clone(&state);
        let server = TestServer::start(port, move |req| {
            let is_submit = req.method == "POST" && req.path.ends_with("/orders");
            let delay = {
                let mut st = lock(&s2);
                if is_submit {
                    st.submissions += 1;
                }
                st.config.submit_delay
            };
            if is_submit && !delay.is_zero() {
                // Register the order first, answer late: a client killed meanwhile never hears of it.
                let resp = lock(&s2).handle(req);
                std::thread::sleep(delay);
                return resp;
            }
            lock(&s2).handle(req)
        });
        Self { server, state }
    }

    /// The base URL to give the client (`http://127.0.0.1:PORT/v1/api`).
    pub fn url(&self) -> String {
        format!("{}/v1/api", self.server.url())
    }

    /// Order submissions received (POSTs to `/orders`, whatever the answer).
    pub fn submissions(&self) -> usize {
        lock(&self.state).submissions
    }

    /// Orders accepted.
    pub fn order_count(&self) -> usize {
        lock(&self.state).orders.len()
    }

    /// `/iserver/reply` calls answered.
    pub fn replies_answered(&self) -> usize {
        lock(&self.state).replies_answered
    }

    /// `(client order id, signed total, filled, status)` of every accepted order.
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

    /// Fills every held order completely (as if the market traded while nobody watched).
    pub fn release(&self) {
        let mut st = lock(&self.state);
        st.config.fill_plan = FillPlan::Immediate;
        for i in 0..st.orders.len() {
            st.orders[i].plan = FillPlan::Immediate;
            let q = st.orders[i].total;
            st.fill(i, q);
        }
    }

    /// Changes the set-up while running (shapes, plan, delay, extra positions, login).
    pub fn configure(&self, f: impl FnOnce(&mut FakeOrdersConfig)) {
        f(&mut lock(&self.state).config);
    }

    /// The conid the fake lists for `symbol` expiring in `yyyymm` (synthesising the list if needed).
    pub fn conid(&self, symbol: &str, yyyymm: i64) -> Option<i64> {
        lock(&self.state)
            .listed(symbol)
            .into_iter()
            .find(|(_, e)| e / 100 == yyyymm)
            .map(|(c, _)| c)
    }
}
