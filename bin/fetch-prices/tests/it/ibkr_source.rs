//! The ibkr source against the fake Client Portal gateway on 127.0.0.1.

use crate::common::*;
use chrono::NaiveDate;
use std::time::Duration;
use systrade_ibkr::fakes::{FakeBar, FakeFuture, FakeGateway, FakeGatewayConfig, FakeSeries};
use systrade_store::Store;

const IBKR_CSV: &str = "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\n\
CORN,ZC,CBOT,NA,5000,100,FALSE\n\
US10,ZN,CBOT,USD,1000,1,FALSE\n\
WHEAT,ZW,CBOT,NA,5000,100,FALSE\n";

/// IB daily bars: each starts at 23:00 UTC the evening before its trading date (Globex), `t` in ms.
fn ib_bars(days: &[NaiveDate], closes: &[f64]) -> Vec<FakeBar> {
    days.iter()
        .zip(closes)
        .map(|(d, &c)| {
            let start = (*d - chrono::Duration::days(1))
                .and_hms_opt(23, 0, 0)
                .unwrap();
            FakeBar {
                t: start.and_utc().timestamp_millis(),
                o: c,
                h: c + 0.01,
                l: c - 0.01,
                c,
                v: 1234.0,
            }
        })
        .collect()
}

/// ZC (in dollars) and ZN futures, five expiries each; May 25 is outside the priced cycle HMUZ.
fn futures(n_days: usize) -> Vec<FakeFuture> {
    let days = business_days(today(), n_days);
    let mut out = Vec::new();
    for (sym, base, conid0, multiplier) in [("ZC", 4.40, 1000, 5000.0), ("ZN", 110.0, 2000, 1000.0)]
    {
        for (k, exp) in [20240314, 20240614, 20240913, 20241213, 20250314, 20250514]
            .into_iter()
            .enumerate()
        {
            out.push(FakeFuture {
                multiplier,
                bars: ib_bars(&days, &closes(n_days, base + k as f64 * 0.1)),
                ..FakeFuture::new(sym, "CBOT", conid0 + k as i64, exp)
            });
        }
    }
    out
}

fn env_with_mapping() -> Env {
    let env = Env::new(&["CORN", "US10"]);
    env.write_config("ibkr.csv", IBKR_CSV);
    env
}

fn ibkr_args(fake: &str) -> Vec<&str> {
    vec![
        "--source",
        "ibkr",
        "--ibkr-url",
        fake,
        "--retry-backoff-ms",
        "5",
        "--format",
        "csv",
    ]
}

#[test]
fn history_is_fetched_through_auth_503_and_429() {
    let env = env_with_mapping();
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures: futures(30),
        session_initialised: false, // /iserver/* answers 401 until ssodh/init
        history_429_first: 2,
        history_503_first: 1,
        ..FakeGatewayConfig::default()
    });
    let url = fake.base_url();
    let out = env.cmd(&ibkr_args(&url)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stdout = stdout_of(&out);
    // Mar, Jun, Sep, Dec 24 and Mar 25 (May 25 is not in the priced cycle), 30 days each.
    let corn = csv_line(&stdout, "CORN");
    assert_eq!(
        (corn[2].as_str(), corn[3].as_str()),
        ("5", "150"),
        "{stdout}"
    );
    assert_eq!(corn[5], "2024-03-15T23:00:00");
    let stats = fake.stats();
    assert_eq!(stats.ssodh_inits, 1);
    assert_eq!(stats.answered_503, 1);
    assert_eq!(stats.answered_429, 2);
    assert!(stats.max_in_flight <= 5, "{stats:?}");
    assert!(stats.tickles >= 1);
    assert_eq!(stats.history_ok, 10);
    assert!(
        stats.periods.iter().all(|p| p == "366d"),
        "{:?}",
        stats.periods
    );

    // Prices are in pysystemtrade units: IB's ZC dollars × priceMagnifier 100.
    let stored = env.stored("CORN").unwrap();
    let cfg = futures(30);
    let mar24 = &cfg[0];
    let first = stored.iter().find(|b| b.contract.id() == 20240300).unwrap();
    assert_eq!(first.close, mar24.bars[0].c * 100.0);
    assert_eq!(first.volume, 1234.0);
    assert_eq!(first.timestamp.date(), business_days(today(), 30)[0]);
    let us10 = env.stored("US10").unwrap();
    assert_eq!(
        us10.iter()
            .find(|b| b.contract.id() == 20240600)
            .unwrap()
            .close,
        cfg[7].bars[0].c
    );

    // Second run: only the last day is asked for, nothing is added.
    let out = env.cmd(&ibkr_args(&url)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(csv_line(&stdout_of(&out), "CORN")[3], "0");
    assert!(fake.stats().periods[10..].iter().all(|p| p == "1d"));
}

#[test]
fn an_expired_session_is_reauthenticated() {
    let env = env_with_mapping();
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures: futures(5),
        session_initialised: true,
        history_503_first: 0,
        expire_session_after: Some(3),
        ..FakeGatewayConfig::default()
    });
    let url = fake.base_url();
    let out = env
        .cmd(&[ibkr_args(&url), vec!["--contracts", "202406,202409"]].concat())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stats = fake.stats();
    assert_eq!(stats.answered_401, 1, "{stats:?}");
    assert_eq!(stats.ssodh_inits, 1);
    assert_eq!(stats.history_ok, 4);
    assert!(stderr_of(&out).contains("re-authenticating"));
    assert_eq!(csv_line(&stdout_of(&out), "US10")[3], "10");
}

#[test]
fn a_gateway_nobody_logged_in_to_exits_5() {
    let env = env_with_mapping();
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures: futures(5),
        logged_in: false,
        ..FakeGatewayConfig::default()
    });
    let url = fake.base_url();
    let out = env.cmd(&ibkr_args(&url)).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("log in through the gateway's web page"));
    assert!(!env.data().join("prices").exists());
}

#[test]
fn at_most_five_history_requests_are_in_flight() {
    let env = env_with_mapping();
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures: futures(5),
        session_initialised: true,
        history_503_first: 0,
        history_delay: Duration::from_millis(300),
        ..FakeGatewayConfig::default()
    });
    let url = fake.base_url();
    let out = env.cmd(&ibkr_args(&url)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stats = fake.stats();
    assert_eq!(stats.answered_429, 0, "{stats:?}");
    // Ten requests wanted at once: the client lets five through (more than one shows they overlap).
    assert!((2..=5).contains(&stats.max_in_flight), "{stats:?}");
    assert_eq!(stats.history_ok, 10);
}

#[test]
fn a_client_asking_too_much_gets_429_and_retries() {
    let env = env_with_mapping();
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures: futures(5),
        session_initialised: true,
        history_503_first: 0,
        history_delay: Duration::from_millis(300),
        ..FakeGatewayConfig::default()
    });
    let url = fake.base_url();
    let out = env
        .cmd(
            &[
                ibkr_args(&url),
                vec!["--max-concurrent-history", "10", "--retries", "8"],
            ]
            .concat(),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stats = fake.stats();
    assert!(stats.answered_429 > 0, "{stats:?}");
    assert_eq!(stats.history_ok, 10);
    assert_eq!(csv_line(&stdout_of(&out), "CORN")[3], "25");
}

#[test]
fn a_self_signed_certificate_needs_the_flag_and_a_closed_port_says_so() {
    let env = env_with_mapping();
    let fake = FakeGateway::start_on(
        0,
        true,
        FakeGatewayConfig {
            futures: futures(5),
            ..FakeGatewayConfig::default()
        },
    );
    let url = fake.base_url();
    let out = env.cmd(&ibkr_args(&url)).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains("TLS certificate was refused") && err.contains("--ibkr-insecure"),
        "{err}"
    );
    assert!(!env.data().join("prices").exists());
    let out = env
        .cmd(&[ibkr_args(&url), vec!["--ibkr-insecure"]].concat())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(csv_line(&stdout_of(&out), "CORN")[1], "updated");
    // Only the gateway's certificate: the flag is refused for other sources.
    let out = env
        .cmd(&["--source", "csv:/nonexistent", "--ibkr-insecure"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = env
        .cmd(&ibkr_args(&format!("http://127.0.0.1:{closed}/v1/api")))
        .args(["--retries", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("connection refused"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn an_instrument_ib_does_not_list_fails_alone() {
    let env = Env::new(&["CORN", "US10", "WHEAT"]);
    env.write_config("ibkr.csv", IBKR_CSV);
    let fake = FakeGateway::start(FakeGatewayConfig {
        futures: futures(5),
        ..FakeGatewayConfig::default()
    });
    let url = fake.base_url();
    let out = env.cmd(&ibkr_args(&url)).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    let wheat = csv_line(&stdout_of(&out), "WHEAT");
    assert_eq!(wheat[1], "failed");
    assert!(wheat[6].contains("IB lists no futures for ZW on CBOT"));
    assert_eq!(csv_line(&stdout_of(&out), "CORN")[1], "updated");
}

#[test]
fn fx_rates_are_inverted_when_configured() {
    let env = Env::new(&[]);
    env.write_config("ibkr-fx.csv", "CODE,CCY1,CCY2,INVERT\nCADUSD,USD,CAD,YES\n");
    let days = business_days(today(), 3);
    let fake = FakeGateway::start(FakeGatewayConfig {
        fx: vec![FakeSeries {
            pair: "USD.CAD".to_string(),
            conid: 15016062,
            bars: ib_bars(&days, &[1.25, 1.3, 1.3125]),
        }],
        ..FakeGatewayConfig::default()
    });
    let url = fake.base_url();
    let out = env
        .cmd(&[ibkr_args(&url), vec!["--fx"]].concat())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(csv_line(&stdout_of(&out), "CADUSD")[3], "3");
    let cad = systrade_store::Store::open(env.data())
        .read_fx_rates("CAD")
        .unwrap();
    assert_eq!(cad.values, vec![0.8, 1.0 / 1.3, 1.0 / 1.3125]);
}

/// Issue 14 item 3: fetch-prices maps contract months through IB's own contract month, as
/// place-orders does, and records each contract's exact expiry in the contracts table. The fake's
/// standard market lists crude-style CL (IB's DEC24 expires on 20 November) and quotes ZC in
/// dollars; the roll configuration's ExpiryOffset (14, wrong for crude) pointed the old mapping
/// at the future expiring in December (IB's JAN25).
#[test]
fn crude_style_contract_months_and_exact_expiries_are_recorded() {
    let env = Env::new(&["CRUDE_W", "CORN"]);
    env.write_config(
        "ibkr.csv",
        "Instrument,IBSymbol,IBExchange,IBCurrency,IBMultiplier,priceMagnifier,IgnoreWeekly\n\
         CRUDE_W,CL,NYMEX,USD,1000,1,FALSE\nCORN,ZC,CBOT,USD,5000,100,FALSE\n",
    );
    let fake = FakeGateway::start(FakeGatewayConfig {
        session_initialised: true,
        ..FakeGatewayConfig::standard()
    });
    let url = fake.base_url();
    let mut args = ibkr_args(&url);
    args.extend(["--contracts", "202412", "--lookback-days", "120"]);
    let out = env.cmd(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let corn = env.stored("CORN").unwrap();
    assert_eq!(corn.last().map(|b| b.contract.id()), Some(20241200));
    assert!((corn[0].close - 480.25).abs() < 1e-9, "{}", corn[0].close);
    let stored: Vec<(String, i64, i64, String)> = Store::open(env.data())
        .open_state()
        .unwrap()
        .resolved_contracts()
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.instrument.to_string(),
                c.contract.id(),
                c.conid,
                c.expiry.to_string(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        vec![
            ("CORN".into(), 20241200, 1_800_202_412, "2024-12-14".into()),
            (
                "CRUDE_W".into(),
                20241200,
                1_600_202_412,
                "2024-11-20".into()
            ),
        ]
    );
}
