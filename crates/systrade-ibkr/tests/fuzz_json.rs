//! Property-based fuzzing of everything the client reads from the gateway (issue 15): whatever JSON
//! (or non-JSON) the Client Portal answers with, every call returns a value or an `IbkrError`, never
//! a panic, and nothing it returns carries a non-finite price or an overflowed quantity.
//!
//! The answers come over real HTTP on 127.0.0.1 from the project's test server; the session
//! endpoints answer as a logged-in gateway does, every other endpoint answers with the generated
//! body. Bounded and seeded (fixed case count and RNG seed, no persisted failures), so it runs the
//! same way in a few seconds in every CI run.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use systrade_ibkr::fakes::{Response, TestServer};
use systrade_ibkr::orders::OrderTicket;
use systrade_ibkr::{Gateway, GatewayOptions, TransportOptions};
use systrade_test::fuzz::run;

const CASES: u32 = 256;

/// The field names the gateway's answers use, so generated objects hit the decoders' paths.
const FIELDS: &[&str] = &[
    "conid",
    "conidex",
    "symbol",
    "expirationDate",
    "maturityDate",
    "ltd",
    "multiplier",
    "currency",
    "exchange",
    "data",
    "o",
    "h",
    "l",
    "c",
    "v",
    "t",
    "priceFactor",
    "orders",
    "orderId",
    "order_id",
    "order_ref",
    "status",
    "order_status",
    "filledQuantity",
    "totalSize",
    "side",
    "avgPrice",
    "average_price",
    "lastExecutionTime_r",
    "execution_id",
    "size",
    "price",
    "trade_time_r",
    "position",
    "mktPrice",
    "avgCost",
    "contractDesc",
    "accounts",
    "selectedAccount",
    "id",
    "accountId",
    "netliquidation",
    "amount",
    "value",
    "error",
    "prompt",
    "messageId",
    "message",
    "text",
    "authenticated",
    "FUT",
    "sections",
    "secType",
    "months",
];

/// Scalars as the gateway sends them, and the ones it should never send.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|x| json!(x)),
        any::<u64>().prop_map(|x| json!(x)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |x| x.is_finite())
            .prop_map(|x| json!(x)),
        prop_oneof![
            Just(1.0e300),
            Just(-1.0e300),
            Just(9.3e18),
            Just(-9.3e18),
            Just(5e-324),
            Just(0.0),
        ]
        .prop_map(|x| json!(x)),
        prop_oneof![
            Just("".to_string()),
            Just("NaN".to_string()),
            Just("inf".to_string()),
            Just("-inf".to_string()),
            Just("1,234.5".to_string()),
            Just("-9223372036854775808".to_string()),
            Just("99999999999999999999".to_string()),
            Just("20261218".to_string()),
            Just("99991231".to_string()),
            Just("00000000".to_string()),
            Just("BUY".to_string()),
            Just("SELL".to_string()),
            Just("Filled".to_string()),
            Just("Submitted".to_string()),
            Just("Cancelled".to_string()),
            "[ -~]{0,12}",
        ]
        .prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (prop::sample::select(FIELDS).prop_map(str::to_string), inner),
                0..8
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An object shaped like the gateway's records: every known field, each present or not, with a
/// scalar value (so a record can have a price, a size and a side at once).
fn record() -> impl Strategy<Value = Value> {
    prop::collection::vec(prop::option::weighted(0.6, scalar()), FIELDS.len()).prop_map(|values| {
        Value::Object(
            FIELDS
                .iter()
                .zip(values)
                .filter_map(|(k, v)| Some(((*k).to_string(), v?)))
                .collect(),
        )
    })
}

/// A body: JSON most of the time (nested values, or lists of records), sometimes not JSON at all.
fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => value().prop_map(|v| v.to_string()),
        4 => prop::collection::vec(record(), 0..4).prop_map(|v| Value::Array(v).to_string()),
        1 => record().prop_map(|v| v.to_string()),
        1 => "[ -~]{0,40}",
        1 => Just(String::new()),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![8 => Just(200u16), 1 => Just(400u16), 1 => Just(500u16)]
}

fn gateway(url: &str) -> Gateway {
    Gateway::new(GatewayOptions {
        transport: TransportOptions {
            timeout: Duration::from_secs(5),
            retries: 0,
            backoff: Duration::from_millis(1),
            ..TransportOptions::default()
        },
        ..GatewayOptions::new(url)
    })
    .expect("client")
}

#[test]
fn no_gateway_answer_panics_the_client() {
    let answer: Arc<Mutex<(u16, String)>> = Arc::new(Mutex::new((200, "{}".into())));
    let shared = Arc::clone(&answer);
    let server = TestServer::start(move |req| {
        if req.path.ends_with("/tickle") {
            return Response::json(
                200,
                r#"{"session":"x","iserver":{"authStatus":{"authenticated":true}}}"#,
            );
        }
        if req.path.contains("/iserver/auth/status") {
            return Response::json(200, r#"{"authenticated":true,"connected":true}"#);
        }
        let (status, body) = shared.lock().unwrap().clone();
        Response::json(status, body)
    });
    let gw = gateway(&server.url());

    let decoded = AtomicUsize::new(0);
    run(
        "gateway answers",
        CASES,
        (status(), body()),
        |(status, body)| {
            *answer.lock().unwrap() = (status, body);
            decoded.fetch_add(check_every_call(&gw), Ordering::Relaxed);
        },
    );
    // The campaign reached the decoders: some answers were read as lists, orders or accounts.
    let decoded = decoded.into_inner();
    assert!(decoded > 100, "only {decoded} calls decoded an answer");
}

/// Every decoding call of the client against the current answer. Errors are fine; panics and
/// values no caller could use are not. Returns how many calls decoded the answer.
fn check_every_call(gw: &Gateway) -> usize {
    let mut ok = 0;
    ok += usize::from(gw.futures("ES", "CME").is_ok());
    ok += usize::from(gw.contract_details(12345).is_ok());
    ok += usize::from(
        gw.futures_of_month(
            11004968,
            "NYMEX",
            systrade_model::ContractDate::from_id(20261200).unwrap(),
        )
        .is_ok(),
    );
    ok += usize::from(gw.fx_conid("EUR.USD").is_ok());
    if let Ok(bars) = gw.daily_history(12345, "30d") {
        ok += 1;
        for w in bars.windows(2) {
            assert!(w[0].date < w[1].date, "history not sorted/unique: {bars:?}");
        }
    }
    ok += usize::from(gw.live_orders().is_ok());
    ok += usize::from(gw.executions(7).is_ok());
    ok += usize::from(gw.order_status("1").is_ok());
    ok += usize::from(gw.accounts().is_ok());
    ok += usize::from(gw.portfolio_accounts().is_ok());
    ok += usize::from(gw.positions("DU123").is_ok());
    ok += usize::from(gw.net_liquidation("DU123").is_ok());
    let ticket = OrderTicket {
        account: "DU123".into(),
        conid: 12345,
        client_order_id: "st-1".into(),
        quantity: 2,
        limit: None,
    };
    ok += usize::from(gw.submit_order(&ticket, 3).is_ok());
    ok
}

/// Quantities no futures account can have (beyond ±1e9 contracts, fractional, or the i64 edge that
/// overflowed when its sign was applied) are protocol errors, never a fill or position of
/// ±9.2e18 contracts (the shape the fuzzing above generates, as a named case).
#[test]
fn absurd_quantities_are_protocol_errors() {
    let answer: Arc<Mutex<String>> = Arc::new(Mutex::new(String::new()));
    let shared = Arc::clone(&answer);
    let server = TestServer::start(move |req| {
        if req.path.ends_with("/tickle") || req.path.contains("/iserver/auth/status") {
            return Response::json(200, r#"{"authenticated":true}"#);
        }
        Response::json(200, shared.lock().unwrap().clone())
    });
    let gw = gateway(&server.url());
    for size in [r#""-9223372036854775808""#, "1e300", "2.5", "-1e10"] {
        for side in ["S", "B"] {
            *answer.lock().unwrap() = format!(
                r#"[{{"execution_id":"e1","order_ref":"st-1","conid":1,"price":100,"size":{size},"side":"{side}"}}]"#
            );
            let got = gw.executions(1);
            assert!(got.is_err(), "size {size} side {side} accepted: {got:?}");
            *answer.lock().unwrap() = format!(
                r#"{{"orders":[{{"orderId":"1","order_ref":"st-1","conid":1,"status":"Filled","filledQuantity":{size},"side":"{side}"}}]}}"#
            );
            let got = gw.live_orders();
            assert!(got.is_err(), "filled {size} side {side} accepted: {got:?}");
            *answer.lock().unwrap() = format!(
                r#"{{"order_status":"Filled","conid":1,"cum_fill":{size},"side":"{side}"}}"#
            );
            let got = gw.order_status("1");
            assert!(
                got.is_err(),
                "cum_fill {size} side {side} accepted: {got:?}"
            );
            *answer.lock().unwrap() =
                format!(r#"[{{"conid":1,"position":{size},"assetClass":"FUT","mktPrice":1}}]"#);
            let got = gw.positions("DU123");
            assert!(got.is_err(), "position {size} accepted: {got:?}");
        }
    }
    // The ordinary answer still reads.
    *answer.lock().unwrap() =
        r#"[{"execution_id":"e1","order_ref":"st-1","conid":1,"price":100,"size":"3","side":"S"}]"#
            .into();
    let fills = gw.executions(1).expect("a plain execution");
    assert_eq!(fills[0].quantity, -3);
}
