//! The IB client against the fake gateway, without the binary: 401 before the brokerage session
//! exists, and the client's re-authentication on it.

use chrono::NaiveTime;
use std::time::Duration;
use systrade_sources::fakes::{FakeBar, FakeFuture, FakeIbkr, FakeIbkrConfig};
use systrade_sources::http::{HttpClient, HttpOptions, Method};
use systrade_sources::ibkr::IbkrClient;

fn fake() -> FakeIbkr {
    FakeIbkr::start(FakeIbkrConfig {
        futures: vec![FakeFuture {
            symbol: "ES".into(),
            exchange: "CME".into(),
            conid: 495512557,
            expiration: 20241220,
            bars: vec![FakeBar {
                t: 1_747_229_400_000, // 2025-05-14 13:30 UTC
                o: 212.43,
                h: 213.94,
                l: 210.58,
                c: 212.33,
                v: 266616.18,
            }],
        }],
        history_503_first: 0,
        ..FakeIbkrConfig::default()
    })
}

fn http() -> HttpClient {
    HttpClient::new(HttpOptions {
        timeout: Duration::from_secs(5),
        max_retries: 2,
        backoff: Duration::from_millis(5),
        ..HttpOptions::default()
    })
    .unwrap()
}

#[test]
fn iserver_answers_401_until_the_session_is_initialised() {
    let fake = fake();
    let url = format!(
        "{}/iserver/marketdata/history?conid=495512557&period=1w&bar=1d",
        fake.base_url()
    );
    let e = http().send(Method::Get, &url, &url, None).unwrap_err();
    assert_eq!(e.status(), Some(401));
    // /trsrv is not /iserver: it answers.
    let trsrv = format!("{}/trsrv/futures?symbols=ES", fake.base_url());
    let body = http().send(Method::Get, &trsrv, &trsrv, None).unwrap().body;
    assert!(body.contains("\"expirationDate\":20241220"), "{body}");
}

#[test]
fn the_client_reauthenticates_on_401_and_reads_real_shaped_bars() {
    let fake = fake();
    let client = IbkrClient::new(
        http(),
        &fake.base_url(),
        5,
        NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
    );
    // No ensure_session first: the history call meets a 401, initialises the session, retries.
    let bars = client.daily_history(495512557, "1w").unwrap();
    let stats = fake.stats();
    assert_eq!(stats.answered_401, 1);
    assert_eq!(stats.ssodh_inits, 1);
    assert_eq!(bars.len(), 1);
    assert_eq!(bars[0].timestamp.to_string(), "2025-05-14 23:00:00");
    assert_eq!(
        (bars[0].open, bars[0].close, bars[0].volume),
        (212.43, 212.33, 266616.18)
    );
    let listed = client.futures("ES", "CME").unwrap();
    assert_eq!(listed[0].conid, 495512557);
}
