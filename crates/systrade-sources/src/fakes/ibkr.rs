//! A fake IB Client Portal gateway. Shapes follow `shared/spec/price-sources-and-ibkr.md` (IBKR's
//! OpenAPI spec examples): `/iserver/auth/status`, `/iserver/auth/ssodh/init`, `/tickle`,
//! `/trsrv/futures`, `/iserver/secdef/search`, `/iserver/secdef/info`,
//! `/iserver/marketdata/history` (bars `{t,o,h,l,c,v}`, `t` in Unix ms).

use super::server::{Request, Response, TestServer};
use serde_json::json;
use std::sync::{Arc, Mutex};
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

/// A listed futures contract and its bars.
#[derive(Debug, Clone)]
pub struct FakeFuture {
    pub symbol: String,
    pub exchange: String,
    pub conid: i64,
    /// `YYYYMMDD`.
    pub expiration: i64,
    pub bars: Vec<FakeBar>,
}

/// A currency pair such as `EUR.USD` and its bars.
#[derive(Debug, Clone)]
pub struct FakeSeries {
    pub pair: String,
    pub conid: i64,
    pub bars: Vec<FakeBar>,
}

/// What the fake knows and how it misbehaves.
#[derive(Debug, Clone)]
pub struct FakeIbkrConfig {
    pub futures: Vec<FakeFuture>,
    pub fx: Vec<FakeSeries>,
    /// False: nobody logged in through the gateway's web page; everything answers 401.
    pub logged_in: bool,
    /// False: the brokerage session needs `/iserver/auth/ssodh/init` first; until then `/iserver/*`
    /// (other than the auth calls) answers 401 and the status says `authenticated: false`.
    pub session_initialised: bool,
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
}

impl Default for FakeIbkrConfig {
    fn default() -> Self {
        Self {
            futures: Vec::new(),
            fx: Vec::new(),
            logged_in: true,
            session_initialised: false,
            max_concurrent_history: 5,
            history_delay: Duration::from_millis(30),
            history_429_first: 0,
            history_503_first: 1,
            expire_session_after: None,
        }
    }
}

/// Counters for assertions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeIbkrStats {
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
}

#[derive(Debug)]
struct State {
    cfg: FakeIbkrConfig,
    authenticated: bool,
    in_flight: usize,
    expired_once: bool,
    stats: FakeIbkrStats,
}

/// The running fake.
pub struct FakeIbkr {
    server: TestServer,
    state: Arc<Mutex<State>>,
}

fn lock(s: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeIbkr {
    pub fn start(cfg: FakeIbkrConfig) -> Self {
        let state = Arc::new(Mutex::new(State {
            authenticated: cfg.session_initialised,
            cfg,
            in_flight: 0,
            expired_once: false,
            stats: FakeIbkrStats::default(),
        }));
        let s2 = Arc::clone(&state);
        let server = TestServer::start(move |req| handle(&s2, req));
        Self { server, state }
    }

    /// The base URL to give the client: `http://127.0.0.1:PORT/v1/api`.
    pub fn base_url(&self) -> String {
        format!("{}/v1/api", self.server.url())
    }

    pub fn stats(&self) -> FakeIbkrStats {
        lock(&self.state).stats.clone()
    }
}

fn unauthorized(st: &mut State) -> Response {
    st.stats.answered_401 += 1;
    Response::json(401, r#"{"error":"not authenticated"}"#)
}

fn handle(state: &Mutex<State>, req: &Request) -> Response {
    let Some(path) = req.path.strip_prefix("/v1/api") else {
        return Response::json(404, r#"{"error":"not found"}"#);
    };
    {
        let mut st = lock(state);
        if !st.cfg.logged_in {
            return unauthorized(&mut st);
        }
    }
    match (req.method.as_str(), path) {
        ("POST", "/tickle") => {
            let mut st = lock(state);
            st.stats.tickles += 1;
            let auth = st.authenticated;
            Response::json(
                200,
                json!({"session":"0123456789abcdef","ssoExpires":560000,"collission":false,
                       "userId":12345678,
                       "hmds":{"error":"no bridge"},
                       "iserver":{"authStatus":{"authenticated":auth,"competing":false,"connected":true,
                                  "message":"","MAC":"00:00:00:00:00:00",
                                  "serverInfo":{"serverName":"fake","serverVersion":"Build 10.25.0"}}}})
                .to_string(),
            )
        }
        ("POST" | "GET", "/iserver/auth/status") => {
            let st = lock(state);
            Response::json(200, auth_status(st.authenticated).to_string())
        }
        ("POST", "/iserver/auth/ssodh/init") => {
            let mut st = lock(state);
            st.stats.ssodh_inits += 1;
            st.authenticated = true;
            Response::json(200, auth_status(true).to_string())
        }
        ("GET", "/trsrv/futures") => {
            let st = lock(state);
            let symbols = req.query.get("symbols").cloned().unwrap_or_default();
            let exchange = req.query.get("exchange").cloned();
            let mut out = serde_json::Map::new();
            for sym in symbols.split(',').filter(|s| !s.is_empty()) {
                let list: Vec<serde_json::Value> = st
                    .cfg
                    .futures
                    .iter()
                    .filter(|f| f.symbol == sym)
                    .filter(|f| {
                        exchange
                            .as_ref()
                            .is_none_or(|e| e.is_empty() || *e == f.exchange)
                    })
                    .map(|f| {
                        json!({"symbol":f.symbol,"conid":f.conid,"underlyingConid":11004968,
                               "expirationDate":f.expiration,"ltd":f.expiration,
                               "shortFuturesCutOff":f.expiration,"longFuturesCutOff":f.expiration})
                    })
                    .collect();
                out.insert(sym.to_string(), serde_json::Value::Array(list));
            }
            Response::json(200, serde_json::Value::Object(out).to_string())
        }
        (_, p) if p.starts_with("/iserver/") => {
            {
                let mut st = lock(state);
                if !st.authenticated {
                    return unauthorized(&mut st);
                }
            }
            iserver(state, req, p)
        }
        _ => Response::json(404, r#"{"error":"not found"}"#),
    }
}

fn auth_status(authenticated: bool) -> serde_json::Value {
    json!({"authenticated":authenticated,"competing":false,"connected":true,"established":authenticated,
           "message":"","fail":"","MAC":"00:00:00:00:00:00","hardware_info":"fake|fake",
           "serverInfo":{"serverName":"fake","serverVersion":"Build 10.25.0"}})
}

fn iserver(state: &Mutex<State>, req: &Request, path: &str) -> Response {
    match (req.method.as_str(), path) {
        ("GET", "/iserver/secdef/search") => {
            let st = lock(state);
            let symbol = req.query.get("symbol").cloned().unwrap_or_default();
            let mut out = Vec::new();
            for s in st.cfg.fx.iter().filter(|s| s.pair == symbol) {
                out.push(json!({"conid":s.conid.to_string(),"companyHeader":format!("{} - IDEALPRO", s.pair),
                                "companyName":null,"description":"IDEALPRO","symbol":s.pair,
                                "restricted":null,"fop":null,"opt":null,"war":null,
                                "sections":[{"secType":"CASH","exchange":"IDEALPRO;"}]}));
            }
            if let Some(f) = st.cfg.futures.iter().find(|f| f.symbol == symbol) {
                out.push(json!({"conid":"11004968","companyHeader":format!("{} - {}", f.symbol, f.exchange),
                                "companyName":f.symbol,"description":f.exchange,"symbol":f.symbol,
                                "restricted":null,"fop":null,"opt":null,"war":null,
                                "sections":[{"secType":"FUT","months":"DEC24;MAR25","exchange":f.exchange}]}));
            }
            Response::json(200, serde_json::Value::Array(out).to_string())
        }
        ("GET", "/iserver/secdef/info") => {
            let st = lock(state);
            let conid: i64 = req
                .query
                .get("conid")
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let list: Vec<serde_json::Value> = st
                .cfg
                .futures
                .iter()
                .filter(|f| f.conid == conid || conid == 11004968)
                .map(|f| {
                    json!({"conid":f.conid,"ticker":f.symbol,"secType":"FUT","exchange":f.exchange,
                           "listingExchange":f.exchange,"currency":"USD",
                           "maturityDate":f.expiration.to_string(),"strike":0,"right":"?",
                           "validExchanges":f.exchange,"companyName":f.symbol})
                })
                .collect();
            Response::json(200, serde_json::Value::Array(list).to_string())
        }
        ("GET", "/iserver/marketdata/history") => history(state, req),
        _ => Response::json(404, r#"{"error":"not found"}"#),
    }
}

fn valid_period(p: &str) -> bool {
    let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
    let unit = &p[digits.len()..];
    !digits.is_empty() && matches!(unit, "min" | "h" | "d" | "w" | "m" | "y")
}

fn history(state: &Mutex<State>, req: &Request) -> Response {
    let delay;
    {
        let mut st = lock(state);
        st.stats.history_calls += 1;
        st.in_flight += 1;
        st.stats.max_in_flight = st.stats.max_in_flight.max(st.in_flight);
        if st.in_flight > st.cfg.max_concurrent_history {
            st.in_flight -= 1;
            st.stats.answered_429 += 1;
            return Response::json(429, r#"{"error":"Too many requests"}"#);
        }
        if st.cfg.history_429_first > 0 {
            st.cfg.history_429_first -= 1;
            st.in_flight -= 1;
            st.stats.answered_429 += 1;
            return Response::json(429, r#"{"error":"Too many requests"}"#);
        }
        if st.cfg.history_503_first > 0 {
            st.cfg.history_503_first -= 1;
            st.in_flight -= 1;
            st.stats.answered_503 += 1;
            return Response::json(503, r#"{"error":"Service Unavailable"}"#);
        }
        if let Some(n) = st.cfg.expire_session_after
            && st.stats.history_calls > n
            && !st.expired_once
        {
            st.expired_once = true;
            st.authenticated = false;
            st.in_flight -= 1;
            return unauthorized(&mut st);
        }
        delay = st.cfg.history_delay;
    }
    std::thread::sleep(delay);
    let mut st = lock(state);
    st.in_flight -= 1;
    let conid: i64 = match req.query.get("conid").and_then(|c| c.parse().ok()) {
        Some(c) => c,
        None => return Response::json(400, r#"{"error":"conid required"}"#),
    };
    let period = req.query.get("period").cloned().unwrap_or_default();
    if !valid_period(&period) || !req.query.contains_key("bar") {
        return Response::json(400, r#"{"error":"bad period or bar"}"#);
    }
    let (symbol, bars) = if let Some(f) = st.cfg.futures.iter().find(|f| f.conid == conid) {
        (f.symbol.clone(), f.bars.clone())
    } else if let Some(s) = st.cfg.fx.iter().find(|s| s.conid == conid) {
        (s.pair.clone(), s.bars.clone())
    } else {
        return Response::json(400, r#"{"error":"unknown conid"}"#);
    };
    st.stats.history_ok += 1;
    st.stats.periods.push(period.clone());
    let data: Vec<serde_json::Value> = bars
        .iter()
        .map(|b| json!({"o":b.o,"h":b.h,"l":b.l,"c":b.c,"v":b.v,"t":b.t}))
        .collect();
    Response::json(
        200,
        json!({"symbol":symbol,"text":symbol,"timePeriod":period,"barLength":86400,
               "startTime":"20250513-13:30:00","chartPanStartTime":"20250521-00:00:00","direction":-1,
               "mdAvailability":"S","mktDataDelay":0,"outsideRth":false,"negativeCapable":false,
               "priceFactor":100,"volumeFactor":100,"priceDisplayRule":1,"priceDisplayValue":"2",
               "high":"21394/266616.18/1440","low":"20426/267569.89/8640","points":data.len(),
               "messageVersion":2,"serverId":"4155828","travelTime":2,"data":data})
        .to_string(),
    )
}
